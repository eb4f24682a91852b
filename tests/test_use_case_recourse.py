"""recourse: the exact smallest single-feature change against a leaf-box oracle on small
trees; an attribution-led suggestion against the truth's feasibility."""

import numpy as np
import pytest

from glassworks import DecisionTreeClassifier, DecisionTreeRegressor
from glassworks.comparator.ground_truth import tree_thresholds
from glassworks.comparator.use_cases import NotApplicable
from glassworks.comparator.use_cases import recourse as rc
from use_case_helpers import audited, by_explainer, fixed_attr, zero_attr


def _leaf_boxes(t, node=0, lo=None, hi=None):
    d = t.n_features
    lo = np.full(d, -np.inf) if lo is None else lo
    hi = np.full(d, np.inf) if hi is None else hi
    if t.children_left[node] < 0:
        yield node, lo, hi
        return
    f, th = t.feature[node], t.threshold[node]
    h2 = hi.copy()
    h2[f] = min(hi[f], th)
    yield from _leaf_boxes(t, t.children_left[node], lo, h2)
    l2 = lo.copy()
    l2[f] = max(lo[f], th)  # right: x > th
    yield from _leaf_boxes(t, t.children_right[node], l2, hi)


def _oracle(t, X, data):
    """Smallest single-feature change reaching a leaf of the other class (brute force over
    the leaves' boxes), within the data's range."""
    rmin, rmax = data.min(axis=0), data.max(axis=0)
    cls = np.argmax(t.value[:, 0, :], axis=1)
    pred = cls[t.apply(X)]
    best = np.full(X.shape, np.inf)
    for leaf, lo, hi in _leaf_boxes(t):
        for i, x in enumerate(X):
            if cls[leaf] == pred[i]:
                continue
            inside = (x > lo) & (x <= hi)
            for j in range(X.shape[1]):
                if not np.delete(inside, j).all():
                    continue
                a, b = max(lo[j], rmin[j]), min(hi[j], rmax[j])  # (a, b] within range
                if b < a or (b == a and a == lo[j]):
                    continue
                if x[j] <= a:
                    best[i, j] = min(best[i, j], a - x[j])  # just above a
                elif x[j] > b:
                    best[i, j] = min(best[i, j], x[j] - b)
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_truth_matches_leaf_box_oracle(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((300, 3))
    y = ((X[:, 0] + X[:, 1] * X[:, 2]) > 0).astype(int)
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    t = model.tree_
    rows, data = X[:40], X
    cands = rc.candidates(data, tree_thresholds([t], 3))
    got = rc.smallest_changes(rows, cands, rc.flip_table(model.predict, rows, cands))
    want = _oracle(t, rows, data)
    assert np.array_equal(np.isfinite(got), np.isfinite(want))
    fin = np.isfinite(want)
    assert fin.any()
    np.testing.assert_allclose(got[fin], want[fin], rtol=0, atol=1e-12)


def test_suggestions_against_the_truth():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((400, 4))
    y = ((X[:, 0] > 0) & (X[:, 1] > -0.5)).astype(int)
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    st, ctx = audited(model, X[:60], X[100:200],
                      ["tree_shap", ("zero", zero_attr, "interventional_shap"),
                       ("fixed", fixed_attr, "interventional_shap")], random_state=0)
    r = by_explainer(rc.run(st, ctx))
    assert r["zero"]["correct"] is False and r["zero"]["score"] == 0.0
    # a fixed vector always names x3, which the model never tests: it never flips
    assert r["fixed"]["correct"] is False and r["fixed"]["score"] == 0.0
    assert r["tree_shap"]["correct"] is True, r["tree_shap"]["answer"]
    assert "exact" in r["tree_shap"]["truth"]


def test_regressor_is_a_message():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((100, 3))
    st, ctx = audited(DecisionTreeRegressor(max_depth=2).fit(X, X[:, 0]), X[:10], X[50:],
                      ["tree_shap"])
    with pytest.raises(NotApplicable, match="classifier"):
        rc.run(st, ctx)
