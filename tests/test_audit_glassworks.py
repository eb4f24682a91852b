"""Ground truth for the glassworks families (trees, forests, rule lists, MAPLE), checked
against brute-force enumeration, and MAPLE as a black-box explainer."""

import numpy as np
import pytest

from glassworks.comparator import audit
from glassworks.comparator.ground_truth import compute_truth
from glassworks.shapley import exact_interventional_shapley


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 5))
    y = 3 * X[:, 0] + 2 * (X[:, 1] > 0) + X[:, 2] * X[:, 0]
    return X, y


def _enum(target, X, bg):
    out = np.empty(X.shape)
    for c, rows in target.groups():
        out[rows] = exact_interventional_shapley(target.fn(c), X[rows], bg)[0]
    return out


def _models(X, y):
    from glassworks import (
        DecisionTreeClassifier,
        DecisionTreeRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
        RuleListClassifier,
    )

    y3 = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    return {
        "tree": DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y),
        "tree_clf3": DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y3),
        "forest": RandomForestRegressor(n_estimators=8, max_depth=4, random_state=0).fit(X, y),
        "forest_clf": RandomForestClassifier(n_estimators=8, max_depth=3,
                                             random_state=0).fit(X, y > 1),
        "rules": RuleListClassifier().fit(X, y > 1),
    }


@pytest.mark.parametrize("name", ["tree", "tree_clf3", "forest", "forest_clf", "rules"])
def test_glassworks_tree_families_match_enumeration(data, name):
    X, y = data
    m = _models(X, y)[name]
    truth, target = compute_truth(m, X[:6], X[:30])
    assert truth.family.startswith("glassworks")
    assert truth.trees is not None
    assert np.allclose(truth.values["interventional_shap"], _enum(target, X[:6], X[:30]),
                       atol=1e-9)
    own = np.array([target.fn(int(c))(X[i:i + 1])[0]
                    for i, c in enumerate(target.output_index)])
    for est in ("interventional_shap", "path_shap"):
        total = truth.values[est].sum(axis=1) + truth.expected[est]
        assert np.allclose(total, own, atol=1e-9), est


def test_rule_list_path_features_are_the_rules_tested(data):
    X, y = data
    m = _models(X, y)["rules"]
    truth, _ = compute_truth(m, X[:10], X[:30])
    assert np.array_equal(truth.values["path_features"], m.rules_tested(X[:10]).astype(float))
    tested_anywhere = np.zeros(X.shape[1], bool)
    for r in m.rules_:
        tested_anywhere[r["features"]] = True
    assert np.array_equal(truth.dummy, ~tested_anywhere)


def test_maple_model_and_maple_explainer(data):
    from glassworks import MapleRegressor

    X, y = data
    m = MapleRegressor(n_estimators=20, random_state=0).fit(X, y)
    truth, target = compute_truth(m, X[:4], X[:25])
    assert np.allclose(truth.values["local_slope"], m.explain(X[:4]).values)
    assert np.allclose(truth.values["interventional_shap"], _enum(target, X[:4], X[:25]))
    rep = audit(m, X[:3], background=X[:60], explainers=["maple", "gradient"],
                metrics=["error", "neighbourhood_fidelity", "seconds"], random_state=0)
    assert not rep.failures, rep.failures
    assert np.isfinite(rep.score("maple", "error"))
    assert np.isfinite(rep.score("maple", "neighbourhood_fidelity@0.5"))
