"""Each estimand's exact computation against the method itself or a brute-force oracle.

(LIME's limits: tests/test_estimands_lime.py.)
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassworks.comparator import estimands as E
from glassworks.comparator.estimands.importance import pd_function
from glassworks.comparator.estimands.integrated_gradients import (
    effective_thresholds,
    ig_crossing_walk,
    staircase_ig,
)
from glassworks.comparator.ground_truth import compute_truth
from glassworks.explanation import ESTIMANDS


def brute_force_ig(f, X, b, n_segments=64, max_depth=45):
    """IG by walking the line: each segment is crossed coordinate by coordinate, in both
    orders; where the two orders disagree (two features change f inside the segment) the
    segment is halved, down to 2**-max_depth, where the crossings are simultaneous and the
    two orders' mean is their Shapley value (two features). Model calls only."""
    n, d = X.shape
    orders = (list(range(d)), list(range(d))[::-1])
    out = np.zeros((n, d))
    # segments (row, a0, a1), refined level by level, each level in one batch of calls
    rows = np.repeat(np.arange(n), n_segments)
    a0 = np.tile(np.arange(n_segments) / n_segments, n)
    a1 = np.tile((np.arange(n_segments) + 1) / n_segments, n)
    for depth in range(max_depth + 1):
        z0 = b + a0[:, None] * (X[rows] - b)
        z1 = np.where((a1 == 1.0)[:, None], X[rows], b + a1[:, None] * (X[rows] - b))
        credits = []
        for order in orders:
            pts = [z0]
            for j in order:
                z = pts[-1].copy()
                z[:, j] = z1[:, j]
                pts.append(z)
            fv = f(np.concatenate(pts)).reshape(d + 1, len(rows))
            c = np.zeros((len(rows), d))
            for s, j in enumerate(order):
                c[:, j] = fv[s + 1] - fv[s]
            credits.append(c)
        agree = np.all(np.abs(credits[0] - credits[1]) <= 1e-12, axis=1)
        if depth == max_depth:
            agree[:] = True
        np.add.at(out, rows[agree], 0.5 * (credits[0] + credits[1])[agree])
        keep = ~agree
        if not keep.any():
            break
        mid = 0.5 * (a0[keep] + a1[keep])
        rows = np.concatenate([rows[keep], rows[keep]])
        a0, a1 = np.concatenate([a0[keep], mid]), np.concatenate([mid, a1[keep]])
    return out


def test_registry_holds_every_estimand_with_a_definition():
    from glassworks.comparator.explainers import EXPLAINERS

    assert list(E.REGISTRY) == [e for e in ESTIMANDS if e != "unknown"]
    for name, est in E.REGISTRY.items():
        assert est.name == name and est.description and est.reading and est.noun
        assert est.kinds, name
    for name, factory in EXPLAINERS.items():
        assert factory.estimand in E.REGISTRY, name
    with pytest.raises(ValueError, match="Unknown estimand"):
        E.get("nope")


# --------------------------------------------------------------------------------------------
# integrated gradients
# --------------------------------------------------------------------------------------------
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), depth=st.integers(1, 5), d=st.integers(2, 4),
       forest=st.booleans())
def test_ig_crossing_walk_equals_a_brute_force_walk_on_random_trees(seed, depth, d, forest):
    from glassworks import DecisionTreeRegressor, RandomForestRegressor

    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(120, d))
    y = X @ rng.normal(size=d) + (X[:, 0] > 0) * X[:, -1] + 0.1 * rng.normal(size=120)
    if forest:
        m = RandomForestRegressor(n_estimators=3, max_depth=depth, random_state=seed).fit(X, y)
    else:
        m = DecisionTreeRegressor(max_depth=depth, random_state=seed).fit(X, y)
    truth, target = compute_truth(m, X[:3], X[:40], estimands=["integrated_gradients"])
    ig = truth.values["integrated_gradients"]
    f, b = target.fn(0), X[:40].mean(axis=0)
    np.testing.assert_allclose(ig, brute_force_ig(f, X[:3], b), atol=1e-9)
    np.testing.assert_allclose(ig.sum(axis=1), f(X[:3]) - f(b[None, :])[0], atol=1e-12)
    np.testing.assert_allclose(truth.expected["integrated_gradients"], f(b[None, :])[0])


def test_ig_of_a_scikit_learn_tree_reads_its_float32_thresholds():
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(200, 3))
    m = DecisionTreeRegressor(max_depth=5, random_state=0).fit(X, X[:, 0] - 2 * (X[:, 1] > 0))
    truth, target = compute_truth(m, X[:4], X[:30], estimands=["integrated_gradients"])
    b = np.asarray(X[:30], np.float32).astype(np.float64).mean(axis=0)
    Xr = np.asarray(X[:4], np.float32).astype(np.float64)
    np.testing.assert_allclose(truth.values["integrated_gradients"],
                               brute_force_ig(target.fn(0), Xr, b), atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e6, 1e6, allow_nan=False, width=64))
def test_effective_threshold_is_where_float32_rounding_crosses(t):
    star = effective_thresholds([t], np.float32)[0]
    below = np.nextafter(star, -np.inf)
    above = np.nextafter(star, np.inf)
    # float(...): a Python float against a float32 would be compared in float32 (NEP 50)
    assert float(np.float32(below)) <= t < float(np.float32(above))


def test_simultaneous_crossings_share_the_jump_as_the_corner_games_shapley_value():
    from glassworks import DecisionTreeRegressor
    from glassworks.shapley.brute_force import shapley_from_coalition_values

    # binary features against a zero baseline: all cross the line at a = 0.5 together
    grid = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], float)
    X = np.repeat(grid, 20, axis=0)
    y = 3 * X[:, 0] * X[:, 1] + X[:, 2] - 2 * X[:, 0] * X[:, 2]
    m = DecisionTreeRegressor(random_state=0).fit(X, y)
    x = np.ones((1, 3))
    truth, target = compute_truth(m, x, X, baseline=np.zeros(3),
                                  estimands=["integrated_gradients"])
    f = target.fn(0)
    corner = f(grid[[4 * a + 2 * b_ + c for c in (0, 1) for b_ in (0, 1) for a in (0, 1)]])
    # corner[code]: bit i of code says whether feature i is past its threshold
    expect = shapley_from_coalition_values(corner, 3)
    np.testing.assert_allclose(truth.values["integrated_gradients"][0], expect, atol=1e-12)
    # the convention is the limit of a slightly tilted line, averaged over the tilts: a
    # baseline moved by 1e-6 x (a ranking of the features) makes them cross in that order
    import itertools

    tilted = np.mean([
        ig_crossing_walk(lambda Z: (f(Z), np.zeros((len(Z), 3))), truth.view.thresholds, x,
                         1e-6 * np.array(order, dtype=float))[0]
        for order in itertools.permutations(range(3))
    ], axis=0)
    np.testing.assert_allclose(tilted, expect, atol=1e-9)
    assert not np.allclose(expect, expect[0])  # the three features get different shares


def test_ig_of_linear_and_additive_models_is_their_closed_form():
    from interpret.glassbox import ExplainableBoostingRegressor
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(250, 3))
    lin = LinearRegression().fit(X, X @ [1.0, -2.0, 0.5])
    truth, _ = compute_truth(lin, X[:5], X[:30])
    b = X[:30].mean(axis=0)
    np.testing.assert_allclose(truth.values["integrated_gradients"], (X[:5] - b) * lin.coef_)
    np.testing.assert_allclose(truth.values["gradient"], np.tile(lin.coef_, (5, 1)))
    np.testing.assert_allclose(truth.values["integrated_gradients"],
                               truth.values["interventional_shap"], atol=1e-12)
    # an EBM without pairs: each feature's jumps add up to its own term's change
    ebm = ExplainableBoostingRegressor(interactions=0, outer_bags=1, max_rounds=100,
                                       random_state=0).fit(X, np.sin(3 * X[:, 0]) + X[:, 1])
    truth, target = compute_truth(ebm, X[:5], X[:30], estimands=["integrated_gradients"])
    terms = ebm.eval_terms(X[:5]) - ebm.eval_terms(b[None, :])
    np.testing.assert_allclose(truth.values["integrated_gradients"], terms, atol=1e-10)


def test_ig_of_an_ebm_with_a_pair_term_by_the_crossing_walk():
    from interpret.glassbox import ExplainableBoostingRegressor

    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, size=(250, 3))
    m = ExplainableBoostingRegressor(interactions=[(1, 2)], outer_bags=1, max_rounds=100,
                                     random_state=0).fit(X, X[:, 0] + X[:, 1] * X[:, 2])
    truth, target = compute_truth(m, X[:2], X[:30], estimands=["integrated_gradients"])
    assert "piecewise_constant" in truth.view.kinds
    np.testing.assert_allclose(truth.values["integrated_gradients"],
                               brute_force_ig(target.fn(0), X[:2], X[:30].mean(axis=0),
                                              n_segments=16), atol=1e-9)


def test_maple_is_affine_between_its_forest_thresholds():
    from glassworks import MapleRegressor
    from glassworks.comparator.estimands.gradients import fd_steps

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 3))
    m = MapleRegressor(n_estimators=10, random_state=0).fit(X, 2 * X[:, 0] + X[:, 1] ** 2)
    truth, target = compute_truth(m, X[:4], X[:30])
    f = target.fn(0)
    # the local slope is the gradient inside a cell of the forest's partition
    steps = 1e-3 * fd_steps(X[:30])
    for i in range(4):
        for j in range(3):
            e = np.zeros(3)
            e[j] = steps[j]
            fd = (f(X[i:i + 1] + e) - f(X[i:i + 1] - e))[0] / (2 * steps[j])
            assert fd == pytest.approx(truth.values["gradient"][i, j], abs=1e-6)
    np.testing.assert_allclose(truth.values["gradient"], m.explain(X[:4]).values)
    ig = truth.values["integrated_gradients"]
    b = X[:30].mean(axis=0)
    np.testing.assert_allclose(ig.sum(axis=1), f(X[:4]) - f(b[None, :])[0], atol=1e-9)
    np.testing.assert_allclose(ig, staircase_ig(f, X[:4], b, 1024), atol=0.02)


def test_black_box_ig_is_a_quadrature_with_a_stated_tolerance():
    class Smooth:
        def predict(self, Z):
            Z = np.asarray(Z, dtype=np.float64)
            return np.sin(Z[:, 0]) + Z[:, 1] * Z[:, 2]

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(40, 3))
    truth, _ = compute_truth(Smooth(), X[:3], X, estimands=["integrated_gradients"])
    b = X.mean(axis=0)
    # the exact path integral, by Gauss-Legendre on the analytic gradient
    a, w = np.polynomial.legendre.leggauss(40)
    a, w = (a + 1) / 2, w / 2
    expect = np.empty((3, 3))
    for i in range(3):
        z = b + a[:, None] * (X[i] - b)
        grad = np.stack([np.cos(z[:, 0]), z[:, 2], z[:, 1]], axis=1)
        expect[i] = (w @ grad) * (X[i] - b)
    tol = truth.tolerance["integrated_gradients"]
    assert 0 < tol < 1e-3
    np.testing.assert_allclose(truth.values["integrated_gradients"], expect, atol=10 * tol)


# --------------------------------------------------------------------------------------------
# gradients
# --------------------------------------------------------------------------------------------
def test_gradient_of_a_tree_is_zero_and_rows_near_a_threshold_are_reported():
    from glassworks import DecisionTreeRegressor

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 2))
    m = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, (X[:, 0] > 0.1) * 1.0)
    t = m.tree_.threshold[0]
    rows = np.array([[0.9, 0.0], [t + 1e-9, 0.0]])
    truth, _ = compute_truth(m, rows, X[:50], estimands=["gradient", "gradient_x_input"])
    assert np.all(truth.values["gradient"] == 0)
    assert np.all(truth.values["gradient_x_input"] == 0)
    assert any("1 of 2 rows lie within the finite-difference step" in n for n in truth.notes)


# --------------------------------------------------------------------------------------------
# partial dependence and permutation importance
# --------------------------------------------------------------------------------------------
def test_partial_dependence_equals_scikit_learn_brute():
    from sklearn.inspection import partial_dependence

    from glassworks import RandomForestRegressor

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 4))
    m = RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(
        X, X[:, 0] * X[:, 1] + (X[:, 2] > 0))
    bg = X[:60]
    for j in range(4):
        r = partial_dependence(m, bg, [j], kind="average", method="brute", grid_resolution=15)
        grid = r["grid_values"][0]
        np.testing.assert_allclose(pd_function(m.predict, bg, j, grid), r["average"][0],
                                   atol=1e-12)
    truth, _ = compute_truth(m, X[:5], bg, estimands=["partial_dependence"])
    expect = [np.std(pd_function(m.predict, bg, j, bg[:, j])) for j in range(4)]
    np.testing.assert_allclose(truth.values["partial_dependence"], expect, atol=1e-12)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**16), depth=st.integers(1, 4))
def test_permutation_importance_is_the_mean_over_all_replacement_rows(seed, depth):
    from glassworks import DecisionTreeRegressor

    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(100, 3))
    X[:, 2] = np.round(X[:, 2])  # repeated values
    m = DecisionTreeRegressor(max_depth=depth, random_state=0).fit(X, X[:, 0] + X[:, 2])
    truth, _ = compute_truth(m, X[:12], X[:30], estimands=["permutation_importance"])
    f, A = m.predict, X[:12]
    expect = np.zeros(3)
    for j in range(3):
        for i in range(12):
            for k in range(12):
                z = A[i].copy()
                z[j] = A[k, j]
                expect[j] += (f(A[i:i + 1])[0] - f(z[None, :])[0]) ** 2
    np.testing.assert_allclose(truth.values["permutation_importance"], expect / 144,
                               atol=1e-12)


def test_many_permutation_importance_repeats_converge_to_the_expectation():
    from sklearn.inspection import permutation_importance

    from glassworks import DecisionTreeRegressor
    from glassworks.comparator.explainers import _predict_fn_estimator

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 3))
    m = DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, 2 * X[:, 0] + X[:, 1])
    A = X[:40]
    truth, _ = compute_truth(m, A, X[:30], estimands=["permutation_importance"])
    r = permutation_importance(_predict_fn_estimator(m.predict), A, m.predict(A),
                               scoring="neg_mean_squared_error", n_repeats=600,
                               random_state=0)
    se = r.importances.std(axis=1) / np.sqrt(600)
    exact = truth.values["permutation_importance"]
    assert np.all(np.abs(r.importances_mean - exact) <= 4 * se + 1e-12)
    assert exact[2] == 0 and exact[0] > exact[1] > 0


def test_linear_closed_forms_of_the_global_estimands():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    m = LinearRegression().fit(X, X @ [1.0, -2.0, 0.0])
    truth, target = compute_truth(m, X[:20], X[:50])
    view = truth.view
    view.kinds = ("black_box",)  # the model-call computations, for comparison
    for name in ("partial_dependence", "permutation_importance"):
        calls = E.get(name).compute(view, X[:20], X[:50], X[:50].mean(axis=0)).values
        np.testing.assert_allclose(truth.values[name], calls, atol=1e-10)
