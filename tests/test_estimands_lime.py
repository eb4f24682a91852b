"""LIME's large-sample limits against lime itself.

Differential tests: the audit's own LIME explainers (the real ``lime`` package, configured as
the audit runs it) are run over many seeds, and the mean of their weights must fall within a
few standard errors of the exact limit (``lime_tabular``, ``lime_gaussian``) that the audit
scores them against, on a tree, a forest, a linear model and a classifier's probability.

lime fits ``Ridge(alpha=1)`` with N samples plus x itself; the limit is N -> inf with alpha
fixed, so lime's mean is off by O(1/N): the penalty shrinks each weight by about
``1 / (N E[kernel] Var_w(z_j))`` of itself (:func:`ridge_shrinkage`). The tolerance allows
that shrinkage, computed, on top of four standard errors.
"""

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeRegressor

from glassworks.comparator.estimands.boxes import Boxes
from glassworks.comparator.estimands.lime import (
    LimeStats,
    Linear,
    lime_gaussian,
    lime_tabular,
)
from glassworks.comparator.explainers import Lime, LimeContinuous
from glassworks.comparator.ground_truth import _as_gw_tree, compute_truth

D = 4
N_SAMPLES = 5000
SEEDS = 24


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    bg = rng.normal(size=(300, D))
    # a 0/1-valued feature shifted to 5/6: its first quartile bin is a single value (lime
    # samples it as its standardised bound, ~0) and its top bin holds no training row
    bg[:, 3] = 5.0 + (rng.random(300) < 0.3)
    # strong interactions: only through them does the kernel (its tilt) move the limit
    y = (2.0 * bg[:, 0] + 3.0 * (bg[:, 1] > 0) * (bg[:, 2] > 0)
         + 2.0 * (bg[:, 3] > 5.5) * bg[:, 1])
    X = np.array([[0.3, -0.5, 0.2, 6.0],   # x's bins all hold training rows
                  [-0.8, 1.5, 0.9, 7.0]])  # x3 = 7 lies in lime's empty top bin
    return bg, y, X


def _models(bg, y):
    yc = (y + 0.5 * np.random.default_rng(1).normal(size=len(y)) > 0).astype(int)
    return {
        "tree": DecisionTreeRegressor(max_depth=4, random_state=0).fit(bg, y),
        "forest": RandomForestRegressor(n_estimators=8, max_depth=4, random_state=0).fit(bg, y),
        "linear": LinearRegression().fit(bg, y),
        "classifier": RandomForestClassifier(n_estimators=8, max_depth=3,
                                             random_state=0).fit(bg, yc),
    }


@pytest.fixture(scope="module")
def models(data):
    bg, y, _ = data
    return _models(bg, y)


def ridge_shrinkage(stats, X, mode):
    """Relative O(1/N) shrinkage of lime's weights by its ridge penalty (alpha = 1): one over
    the weighted Gram matrix's smallest diagonal entry, ``N E[kernel] Var_w(z_j)``."""
    if mode == "tabular":
        p, q = stats.tilted(stats.bins(X))
        kernel = np.prod(p + stats.a * (1 - p), axis=1)
        var = np.where((q > 0) & (q < 1), q * (1 - q), np.inf).min(axis=1)
    else:
        kernel = np.full(len(X), stats.sigma ** D)
        var = np.full(len(X), stats.sigma ** 2)
    return 1.0 / (N_SAMPLES * kernel * var)


def lime_runs(model, X, bg, mode):
    """The audit's own LIME explainer on each row, over SEEDS seeds: (SEEDS, n, d)."""
    ctx = SimpleNamespace(background=bg, feature_names=[f"x{j}" for j in range(D)])
    if hasattr(model, "predict_proba"):
        def fn(Z):
            return model.predict_proba(Z)[:, 1]
    else:
        fn = model.predict
    ex = (Lime if mode == "tabular" else LimeContinuous)(num_samples=N_SAMPLES)
    return np.array([[ex.explain(ctx, x, fn, seed).values for x in X]
                     for seed in range(SEEDS)])


@pytest.mark.parametrize("mode", ["tabular", "gaussian"])
@pytest.mark.parametrize("name", ["tree", "forest", "linear", "classifier"])
def test_lime_mean_converges_to_its_limit(data, models, name, mode):
    bg, _, X = data
    model = models[name]
    truth, _ = compute_truth(model, X, bg, estimands=[f"lime_{mode}"])
    limit = truth.values[f"lime_{mode}"]
    assert f"lime_{mode}" not in truth.tolerance  # exact, not estimated
    runs = lime_runs(model, X, bg, mode)
    mean = runs.mean(axis=0)
    se = runs.std(axis=0, ddof=1) / np.sqrt(SEEDS)
    shrink = ridge_shrinkage(LimeStats(bg), X, mode)[:, None] * np.abs(limit)
    scale = np.abs(limit).max()
    tol = 4.0 * se + 2.0 * shrink + 1e-9 * scale
    assert np.all(np.abs(mean - limit) <= tol), (name, mode, limit, mean, se)
    # not a test that cannot fail: the limit is away from zero and resolved by the runs
    assert scale > 20 * se.max()


def test_tabular_intercept_is_limes(data, models):
    """lime's intercept (the fit at z = 0, ``e.intercept[1]``) converges to the limit's, also
    with a feature in an empty bin (x itself then sets its weight against the penalty)."""
    from lime.lime_tabular import LimeTabularExplainer

    bg, _, X = data
    tree = models["tree"]
    lim = lime_tabular(Boxes.from_trees([_as_gw_tree(tree.tree_, D)],
                                        input_dtype=np.float32), X, bg)
    runs = []
    for seed in range(SEEDS):
        ex = LimeTabularExplainer(bg, mode="regression", random_state=seed)
        runs.append([ex.explain_instance(x, tree.predict, num_features=D,
                                         num_samples=N_SAMPLES).intercept[1] for x in X])
    runs = np.array(runs)
    se = runs.std(axis=0, ddof=1) / np.sqrt(SEEDS)
    assert np.all(np.abs(runs.mean(axis=0) - lim.intercept) <= 4 * se + 0.01)


def test_monte_carlo_fallback_estimates_the_same_limit(data, models):
    bg, _, X = data
    model = models["classifier"]
    boxes = Boxes.from_trees([_as_gw_tree(e.tree_, D) for e in model.estimators_],
                             np.full(8, 1 / 8), column=1, input_dtype=np.float32)
    st_ = LimeStats(bg)

    def fn(Z):
        return model.predict_proba(Z)[:, 1]

    for limit in (lime_tabular, lime_gaussian):
        exact = limit(boxes, X, stats=st_)
        mc = limit(fn, X, stats=st_, budget=40_000, random_state=3)
        assert exact.stderr is None and mc.stderr.shape == X.shape
        assert np.all(np.abs(mc.values - exact.values) <= 4 * mc.stderr + 1e-12)
        np.testing.assert_allclose(mc.intercept, exact.intercept, atol=0.02)


def test_black_box_truth_is_labelled_not_exact(data):
    bg, y, X = data
    knn = KNeighborsRegressor(n_neighbors=5).fit(bg, y)
    truth, _ = compute_truth(knn, X, bg, estimands=["lime_tabular", "lime_gaussian"])
    for name in ("lime_tabular", "lime_gaussian"):
        assert truth.values[name].shape == X.shape
        assert truth.tolerance[name] > 0
    assert any("not exact: Monte Carlo" in note for note in truth.notes)


def test_linear_closed_forms(data):
    bg, _, X = data
    w = np.array([1.5, -2.0, 0.0, 0.7])
    g = lime_gaussian(Linear(w, 3.0), X, bg)
    np.testing.assert_allclose(g.values, np.broadcast_to(w, X.shape))
    np.testing.assert_allclose(g.intercept, 3.0)
    # tabular: w_j times the difference of lime's sampling means in and out of x's bin
    st_ = LimeStats(bg)
    t = lime_tabular(Linear(w, 3.0), X, stats=st_)
    mc = lime_tabular(lambda Z: Z @ w + 3.0, X, stats=st_, budget=40_000)
    assert np.all(np.abs(t.values - mc.values) <= 4 * mc.stderr + 1e-9)
    assert np.all(t.values[:, 2] == 0.0)


# --------------------------------------------------------------------------------------------
# invariants over random trees
# --------------------------------------------------------------------------------------------
def _random_tree(seed, depth, drop):
    rng = np.random.default_rng(seed)
    bg = rng.normal(size=(120, D))
    y = rng.normal(size=120) + bg @ rng.normal(size=D)
    Xfit = bg.copy()
    Xfit[:, drop] = 0.0  # the tree cannot split on feature `drop`
    tree = DecisionTreeRegressor(max_depth=depth, random_state=0).fit(Xfit, y)
    return bg, Boxes.from_trees([_as_gw_tree(tree.tree_, D)])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), depth=st.integers(1, 5), drop=st.integers(0, D - 1))
def test_limits_are_linear_in_f_and_ignore_unused_features(seed, depth, drop):
    bg, a = _random_tree(seed, depth, drop)
    _, b = _random_tree(seed + 1, depth, drop)
    (fa, la_, ua), (fb, lb_, ub) = _pad(a, b), _pad(b, a)
    both = Boxes(np.concatenate([fa, fb]), np.concatenate([la_, lb_]),
                 np.concatenate([ua, ub]), np.concatenate([a.value, -2.5 * b.value]), D)
    X = np.random.default_rng(seed).normal(size=(5, D))
    st_ = LimeStats(bg)
    for limit in (lime_tabular, lime_gaussian):
        la, lb, lab = (limit(m, X, stats=st_) for m in (a, b, both))
        scale = 1.0 + np.abs(la.values).max() + np.abs(lb.values).max()
        np.testing.assert_allclose(lab.values, la.values - 2.5 * lb.values,
                                   atol=1e-10 * scale)
        np.testing.assert_allclose(lab.intercept, la.intercept - 2.5 * lb.intercept,
                                   atol=1e-10 * scale)
        # a feature the model never reads gets no weight (the features are independent
        # under lime's weighted sampling), in both modes
        assert np.all(la.values[:, drop] == 0.0)


def _pad(a, b):
    """a's (feature, lower, upper) padded to the larger depth of a and b."""
    L = max(a.depth, b.depth)
    k = L - a.depth
    f = np.pad(a.feature, ((0, 0), (0, k)), constant_values=-1)
    lo = np.pad(a.lower, ((0, 0), (0, k)), constant_values=-np.inf)
    hi = np.pad(a.upper, ((0, 0), (0, k)), constant_values=np.inf)
    return f, lo, hi


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------
def test_bad_inputs(data):
    bg, _, X = data
    w = np.ones(D)
    bad_bg = bg.copy()
    bad_bg[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        LimeStats(bad_bg)
    with pytest.raises(ValueError, match="non-empty"):
        LimeStats(np.empty((0, D)))
    with pytest.raises(ValueError, match="kernel_width"):
        LimeStats(bg, kernel_width=0.0)
    with pytest.raises(ValueError, match="discretizer"):
        LimeStats(bg, discretizer="entropy")
    st_ = LimeStats(bg)
    with pytest.raises(ValueError, match="shape"):
        lime_tabular(Linear(w), X[:, :3], stats=st_)
    Xn = X.copy()
    Xn[0, 1] = np.inf
    with pytest.raises(ValueError, match="finite"):
        lime_gaussian(Linear(w), Xn, stats=st_)
    with pytest.raises(ValueError, match="coef"):
        lime_tabular(Linear(np.ones(D + 1)), X, stats=st_)
    with pytest.raises(TypeError, match="model must be"):
        lime_tabular("tree", X, stats=st_)
    with pytest.raises(ValueError, match="budget"):
        lime_gaussian(lambda Z: Z[:, 0], X, stats=st_, budget=10)
    with pytest.raises(ValueError, match="predict_fn"):
        lime_gaussian(lambda Z: Z, X, stats=st_, budget=200)
    with pytest.raises(ValueError, match="background"):
        lime_tabular(Linear(w), X)
    with pytest.raises(ValueError, match="does not match"):
        lime_tabular(Linear(w), X, bg[:10], stats=st_)
    # nothing the caller passed is modified
    bg0, X0 = bg.copy(), X.copy()
    lime_tabular(Linear(w), X, bg)
    lime_gaussian(lambda Z: Z @ w, X, bg, budget=200)
    np.testing.assert_array_equal(bg, bg0)
    np.testing.assert_array_equal(X, X0)
