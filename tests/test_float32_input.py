"""float32 X at predict time: the same predictions and explanations as the float64 data.

scikit-learn's trees are float32-safe (they fit on float32). A glassworks forest's split lies
between the values its bootstrap sample holds, and could sit exactly on a training value the
sample left out: that value rounded to float32 then crossed it (55 of 442 diabetes rows
changed, by up to 3.6). These tests fail without ``float32_stable_thresholds``.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes

import glassworks as gw
from glassworks.forest._classes import float32_stable_thresholds


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y, (y > np.median(y)).astype(int)


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the float32 rounding warning is not what is tested
        return fn(*a, **k)


ESTIMATORS = [
    ("forest_reg", lambda: gw.RandomForestRegressor(n_estimators=50, max_depth=6,
                                                    random_state=0), False),
    ("forest_clf", lambda: gw.RandomForestClassifier(n_estimators=50, max_depth=6,
                                                     random_state=0), True),
    ("tree_reg", lambda: gw.DecisionTreeRegressor(max_depth=6, random_state=0), False),
    ("tree_clf", lambda: gw.DecisionTreeClassifier(max_depth=6, random_state=0), True),
    ("maple", lambda: gw.MapleRegressor(random_state=0), False),
    ("rules", lambda: gw.RuleListClassifier(), True),
]


@pytest.mark.parametrize("name,make,clf", ESTIMATORS, ids=[e[0] for e in ESTIMATORS])
def test_float32_input_predicts_like_float64(diabetes, name, make, clf):
    X, y, yc = diabetes
    model = make().fit(X, yc if clf else y)
    X32 = X.astype(np.float32)
    p64 = model.predict(X)
    p32 = _quiet(model.predict, X32)
    changed = int(np.sum(p32 != p64))
    # MAPLE's local ridge reads x itself: float32 rounding moves it by ~1e-8 relative
    if name == "maple":
        np.testing.assert_allclose(p32, p64, rtol=1e-5, atol=1e-5 * np.abs(p64).max())
    else:
        assert changed == 0, f"{name}: {changed} of {len(X)} rows change with float32 input"
    if hasattr(model, "predict_proba"):
        np.testing.assert_array_equal(_quiet(model.predict_proba, X32), model.predict_proba(X))


@pytest.mark.parametrize("cls", [gw.RandomForestRegressor, gw.DecisionTreeRegressor])
def test_explanations_on_float32_input_add_up(diabetes, cls):
    X, y, _ = diabetes
    kw = {"n_estimators": 30} if cls is gw.RandomForestRegressor else {}
    model = cls(max_depth=6, random_state=0, **kw).fit(X, y)
    X32 = X.astype(np.float32)
    e32 = _quiet(model.explain, X32)
    np.testing.assert_allclose(e32.values.sum(axis=1) + e32.base_values,
                               _quiet(model.predict, X32), atol=1e-8)
    # float32 input is explained as the float64 numbers it holds: no hidden float32 compare
    e = model.explain(X32.astype(np.float64))
    np.testing.assert_array_equal(e32.values, e.values)
    if cls is gw.RandomForestRegressor:
        # the forest moved its thresholds off the training values' float32 roundings
        np.testing.assert_allclose(e32.values, model.explain(X).values, atol=1e-10)
    else:
        # a single tree does not (scanning the training values near every threshold doubled
        # an unbounded 1M-row fit): where x's float32 rounding crosses a threshold off its
        # own path, its explanation is the model's at the rounded point. Its prediction is
        # unchanged (test above): every training row's own path keeps its sides.
        diff = e32.values != model.explain(X).values
        assert 0 < diff.mean() < 0.2


def test_stable_thresholds_move_only_what_crosses():
    # grid data: a threshold exactly on a middle value that float32 rounds up
    vals = np.array([0.1, 0.2, 0.3])
    X = vals[:, None]
    t, moved = float32_stable_thresholds(np.array([0]), np.array([0.2]), X)
    assert moved == 1
    for v in vals:
        assert (v <= t[0]) == (np.float64(np.float32(v)) <= t[0])
    # the float64 partition is unchanged, and a safe threshold is left alone
    assert np.all((vals <= t[0]) == (vals <= 0.2))
    t2, moved2 = float32_stable_thresholds(np.array([0]), np.array([0.25]), X)
    assert moved2 == 0 and t2[0] == 0.25


def test_forest_float64_predictions_unchanged_by_the_move(diabetes):
    """The move keeps every training value's float64 side: the forest's float64 output on
    its training data is what its unmoved thresholds give (checked against the trees'
    own leaf values reached by a plain walk)."""
    X, y, _ = diabetes
    f = gw.RandomForestRegressor(n_estimators=10, max_depth=5, random_state=1).fit(X, y)
    walk = np.zeros(len(X))
    for est in f.estimators_:
        t = est.tree_
        node = np.zeros(len(X), dtype=np.int64)
        for _ in range(64):
            leaf = t.children_left[node] == -1
            if leaf.all():
                break
            go_left = X[np.arange(len(X)), np.maximum(t.feature[node], 0)] <= t.threshold[node]
            nxt = np.where(go_left, t.children_left[node], t.children_right[node])
            node = np.where(leaf, node, nxt)
        walk += t.value2d[node, 0]
    np.testing.assert_allclose(f.predict(X), walk / len(f.estimators_), rtol=1e-12)
