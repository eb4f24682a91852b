"""Known pitfalls of post-hoc explainers, reproduced against the exact truth."""

import numpy as np
import pytest
from sklearn.tree import DecisionTreeRegressor

from glassworks.comparator import audit
from glassworks.comparator import metrics as M
from glassworks.comparator.explainers import KernelShap
from glassworks.comparator.scenarios import make_scenario


@pytest.fixture(scope="module")
def sparse_tree():
    s = make_scenario("sparse", n_samples=400, n_features=7, k=3, random_state=0)
    m = DecisionTreeRegressor(max_depth=4, random_state=0).fit(s.X, s.y)
    used = np.unique(m.tree_.feature[m.tree_.feature >= 0])
    assert set(used) <= {0, 1, 2}  # the noise features are dummies of the model
    return m, s


def test_default_lime_puts_mass_on_dummies_permutation_shap_none(sparse_tree):
    m, s = sparse_tree
    rep = audit(m, s.X[:6], background=s.X[:50], explainers=["lime", "permutation_shap"],
                metrics=["dummy_mass", "error"], random_state=0)
    assert rep.score("lime", "dummy_mass") > 1e-3
    # exactly zero: a permutation step that changes a dummy feature changes nothing
    dm = rep.per_instance.query("explainer == 'permutation_shap' and metric == 'dummy_mass'")
    assert (dm["value"] == 0.0).all()
    assert np.all(rep.attributions["permutation_shap"][:, rep.dummy] == 0.0)


def test_kernel_shap_error_falls_with_nsamples():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 10))
    y = X[:, 0] * X[:, 1] + (X[:, 2] > 0) + X[:, 3:].sum(axis=1)
    m = DecisionTreeRegressor(max_depth=6, random_state=0).fit(X, y)
    errors = []
    for ns in (40, 800):
        rep = audit(m, X[:5], background=X[:30], explainers=[KernelShap(nsamples=ns)],
                    metrics=["error"], random_state=0)
        errors.append(rep.score("kernel_shap", "error"))
    assert errors[1] < 0.5 * errors[0]


def test_path_and_interventional_shapley_differ_under_correlation():
    s = make_scenario("proxy", n_samples=400, n_features=4, random_state=0)
    m = DecisionTreeRegressor(max_depth=5, random_state=0).fit(s.X, s.y)
    rep = audit(m, s.X[:8], background=s.X[:60], explainers=["tree_shap", "tree_shap_path"],
                metrics=["error", "estimand_gap"], random_state=0)
    path, inter = rep.truth["path_shap"], rep.truth["interventional_shap"]
    assert np.max(np.abs(path - inter)) > 0.05
    # each shap mode matches its own estimand, and is off when read as the other one
    assert rep.score("tree_shap", "error") < 1e-6
    assert rep.score("tree_shap_path", "error") < 1e-6
    off = np.mean([M.error(a, t) for a, t in zip(rep.attributions["tree_shap_path"], inter)])
    assert off > 0.05
    # ... and the report says so: the gap of path_shap from what it is read as
    assert rep.score("tree_shap", "estimand_gap") == 0.0
    assert rep.score("tree_shap_path", "estimand_gap") == pytest.approx(off, rel=1e-3)
    assert rep.estimand_distances.loc["path_shap", "interventional_shap"] == pytest.approx(
        rep.score("tree_shap_path", "estimand_gap"))


def test_lime_continuous_slopes_are_in_feature_units():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) * np.array([1.0, 10.0, 0.1])
    m = LinearRegression().fit(X, X @ np.array([1.0, 0.5, -3.0]))
    rep = audit(m, X[:3], explainers=["lime_continuous", "gradient"], random_state=0)
    # LIME's Gaussian-mode slopes of a linear function are its coefficients (ridge shrinkage
    # aside), in the features' own units
    np.testing.assert_allclose(rep.attributions["lime_continuous"],
                               np.repeat(m.coef_[None, :], 3, axis=0), rtol=1e-3)
    assert rep.score("gradient", "estimation_error") < 1e-6
    assert rep.score("gradient", "estimand_gap") < 1e-9  # slope x (x - mean) = SHAP
    # LIME's ridge shrinks a little; the output itself spreads over about 3 units
    assert rep.score("lime_continuous", "neighbourhood_fidelity@0.5") < 1e-2
