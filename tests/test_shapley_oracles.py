"""TreeSHAP kernels against brute-force enumeration of all coalitions (to 1e-10).

Small random scikit-learn trees (d <= 6, depth <= 5) with few features so that a feature
repeats on a path, trained and queried with NaN so every ``missing_go_to_left`` matters.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassworks.shapley import (
    exact_interventional_shapley,
    saabas,
    tree_path_shapley_brute,
    tree_shap_interventional,
    tree_shap_path,
)
from glassworks.tree._tree import Tree


def _fit(seed, d, depth, classifier, nan_rate=0.15, n=400):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[:, 0] = np.round(X[:, 0] * 2)  # ties: thresholds fall between repeated values
    y = X[:, 0] * X[:, -1] + np.sin(2 * X[:, min(1, d - 1)]) + rng.normal(scale=0.3, size=n)
    if classifier:
        y = np.digitize(y, [-0.5, 0.7])
    X[rng.random(X.shape) < nan_rate] = np.nan
    Model = DecisionTreeClassifier if classifier else DecisionTreeRegressor
    model = Model(max_depth=depth, random_state=seed).fit(X, y)
    Xq = rng.normal(size=(12, d))
    Xq[rng.random(Xq.shape) < nan_rate] = np.nan
    bg = rng.normal(size=(15, d))
    bg[rng.random(bg.shape) < nan_rate] = np.nan
    return Tree.from_sklearn(model.tree_), Xq, bg


def _has_repeated_feature_on_a_path(tree):
    def rec(node, seen):
        if tree.children_left[node] < 0:
            return False
        f = tree.feature[node]
        if f in seen:
            return True
        s = seen | {f}
        return rec(tree.children_left[node], s) or rec(tree.children_right[node], s)

    return rec(0, frozenset())


CASES = [
    (seed, d, depth, clf)
    for seed, (d, depth) in enumerate([(2, 5), (3, 5), (4, 4), (6, 5), (5, 3), (1, 3)])
    for clf in (False, True)
]


@pytest.mark.parametrize("algorithm", ["table", "linear", "unwind"])
@pytest.mark.parametrize("seed,d,depth,classifier", CASES)
def test_path_shap_matches_enumeration(seed, d, depth, classifier, algorithm):
    tree, Xq, _ = _fit(seed, d, depth, classifier)
    values, base = tree_shap_path(tree, Xq, tree_weights=[1.0], algorithm=algorithm)
    expected, expected_base = tree_path_shapley_brute(tree, Xq)
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(base, expected_base, rtol=0, atol=1e-12)
    np.testing.assert_allclose(base, tree.value2d[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("algorithm", ["table", "traversal"])
@pytest.mark.parametrize("seed,d,depth,classifier", CASES)
def test_interventional_shap_matches_enumeration(seed, d, depth, classifier, algorithm):
    tree, Xq, bg = _fit(seed, d, depth, classifier)
    values, base = tree_shap_interventional(tree, Xq, bg, tree_weights=[1.0],
                                            algorithm=algorithm)
    expected, expected_base = exact_interventional_shapley(tree.predict, Xq, bg)
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(base, expected_base, rtol=0, atol=1e-12)


def test_cases_include_repeated_features_and_nan_routing():
    """The oracle cases above do exercise UNWIND and both NaN directions."""
    repeated = 0
    missing_dirs = set()
    for seed, d, depth, clf in CASES:
        tree, _, _ = _fit(seed, d, depth, clf)
        repeated += _has_repeated_feature_on_a_path(tree)
        missing_dirs |= set(tree.missing_go_to_left[tree.children_left >= 0].tolist())
    assert repeated >= 6
    assert missing_dirs == {0, 1}


def test_ensemble_matches_weighted_sum_of_single_trees():
    trees, Xs, bgs = zip(*[_fit(s, 4, 4, True) for s in range(3)])
    Xq, bg = Xs[0], bgs[0]
    w = np.array([0.2, 0.5, 1.3])
    for kernel, args in ((tree_shap_path, ()), (tree_shap_interventional, (bg,)), (saabas, ())):
        values, base = kernel(list(trees), Xq, *args, tree_weights=w)
        parts = [kernel(t, Xq, *args, tree_weights=[1.0]) for t in trees]
        np.testing.assert_allclose(values, sum(wi * p[0] for wi, p in zip(w, parts)), atol=1e-12)
        np.testing.assert_allclose(base, sum(wi * p[1] for wi, p in zip(w, parts)), atol=1e-12)


@pytest.mark.parametrize("algorithm", ["auto", "table", "traversal"])
def test_interventional_forest_matches_enumeration(algorithm):
    trees = [_fit(s, 3, 5, False)[0] for s in range(4)]
    _, Xq, bg = _fit(0, 3, 5, False)
    w = np.array([0.1, 0.4, 0.25, 0.25])
    values, base = tree_shap_interventional(trees, Xq, bg, tree_weights=w, algorithm=algorithm)

    def f(A):
        return sum(wi * t.predict(A) for wi, t in zip(w, trees))

    expected, expected_base = exact_interventional_shapley(f, Xq, bg)
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(base, expected_base, rtol=0, atol=1e-12)


def _hand_tree(cover_left):
    """Root splits x0; the left child splits x1 and may have zero cover (zero weights)."""
    return Tree(
        children_left=[1, 3, -1, -1, -1],
        children_right=[2, 4, -1, -1, -1],
        feature=[0, 1, -2, -2, -2],
        threshold=[0.0, 0.0, -2.0, -2.0, -2.0],
        missing_go_to_left=[1, 0, 0, 0, 0],
        value=np.array([[1.0], [0.0], [2.0], [-3.0], [5.0]]) if cover_left else
        np.array([[2.0], [0.0], [2.0], [-3.0], [5.0]]),
        n_node_samples=[10, 4, 6, 2, 2],
        weighted_n_node_samples=[10.0, cover_left, 10.0 - cover_left, cover_left / 2,
                                 cover_left / 2],
        impurity=np.zeros(5),
        n_features=2,
    )


@pytest.mark.parametrize("algorithm", ["table", "linear", "unwind"])
@pytest.mark.parametrize("cover_left", [4.0, 0.0])
def test_zero_cover_nodes_give_finite_values(cover_left, algorithm):
    tree = _hand_tree(cover_left)
    Xq = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [np.nan, np.nan]])
    values, base = tree_shap_path(tree, Xq, algorithm=algorithm)
    expected, expected_base = tree_path_shapley_brute(tree, Xq)
    assert np.all(np.isfinite(values))
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(base + values.sum(axis=1), tree.predict(Xq), atol=1e-12)


def test_single_leaf_tree():
    tree = Tree(
        children_left=[-1], children_right=[-1], feature=[-2], threshold=[-2.0],
        missing_go_to_left=[0], value=np.array([[0.25, 0.75]]), n_node_samples=[4],
        weighted_n_node_samples=[4.0], impurity=[0.0], n_features=3,
    )
    X = np.random.default_rng(0).normal(size=(5, 3))
    for values, base in (tree_shap_path(tree, X), tree_shap_path(tree, X, algorithm="unwind"),
                         tree_shap_path(tree, X, algorithm="table"),
                         tree_shap_interventional(tree, X, X, algorithm="table"),
                         tree_shap_interventional(tree, X, X, algorithm="traversal"),
                         saabas(tree, X)):
        assert values.shape == (5, 3, 2)
        assert np.all(values == 0.0)
        np.testing.assert_array_equal(base, [0.25, 0.75])


def test_deep_tree_and_wide_tables_agree_across_algorithms():
    """A deep tree (many unique features per path) and a forest mixing table and traversal."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3000, 14))
    y = np.sin(X @ rng.normal(size=14)) + rng.normal(scale=0.1, size=3000)
    deep = Tree.from_sklearn(DecisionTreeRegressor(random_state=0).fit(X, y).tree_)
    shallow = Tree.from_sklearn(DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y).tree_)
    assert deep.max_depth > 14
    Xq, bg = rng.normal(size=(6, 14)), rng.normal(size=(9, 14))
    p1, _ = tree_shap_path(deep, Xq, algorithm="linear")
    p2, _ = tree_shap_path(deep, Xq, algorithm="unwind")
    np.testing.assert_allclose(p1, p2, rtol=0, atol=1e-10)
    trees = [deep, shallow]
    q1, _ = tree_shap_path(trees, Xq, algorithm="linear")
    q2, _ = tree_shap_path(trees, Xq, algorithm="table")  # deep one falls back
    np.testing.assert_allclose(q1, q2, rtol=0, atol=1e-10)
    i1, _ = tree_shap_interventional(trees, Xq, bg, algorithm="traversal")
    i2, _ = tree_shap_interventional(trees, Xq, bg, algorithm="auto")
    i3, _ = tree_shap_interventional(trees, Xq, bg, algorithm="table")  # deep one falls back
    np.testing.assert_allclose(i1, i2, rtol=0, atol=1e-12)
    np.testing.assert_allclose(i1, i3, rtol=0, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n_trees=st.integers(1, 4), depth=st.integers(1, 7),
       d=st.integers(1, 7), classifier=st.booleans())
def test_leaf_tables_match_other_algorithms_on_weighted_ensembles(seed, n_trees, depth, d,
                                                                  classifier):
    """The leaf-pattern-table kernel (one call for the whole ensemble) against the quadrature
    and pairwise-traversal kernels and against the weighted sum of per-tree results."""
    trees = [_fit(seed + s, d, depth, classifier, n=200)[0] for s in range(n_trees)]
    assume(len({t.n_outputs for t in trees}) == 1)  # a class can be missing from a sample
    _, Xq, bg = _fit(seed, d, depth, classifier)
    w = np.random.default_rng(seed).uniform(0.1, 2.0, size=n_trees)
    p_table, _ = tree_shap_path(trees, Xq, tree_weights=w, algorithm="table")
    p_linear, _ = tree_shap_path(trees, Xq, tree_weights=w, algorithm="linear")
    np.testing.assert_allclose(p_table, p_linear, rtol=0, atol=1e-10)
    parts = sum(wi * tree_shap_path(t, Xq, tree_weights=[1.0], algorithm="table")[0]
                for wi, t in zip(w, trees))
    np.testing.assert_allclose(p_table, parts, rtol=0, atol=1e-10)
    i_table, _ = tree_shap_interventional(trees, Xq, bg, tree_weights=w, algorithm="table")
    i_trav, _ = tree_shap_interventional(trees, Xq, bg, tree_weights=w, algorithm="traversal")
    np.testing.assert_allclose(i_table, i_trav, rtol=0, atol=1e-10)


def test_tables_split_into_groups_and_skip_oversized_trees(monkeypatch):
    """Tables built in several kernel calls (a small memory cap) and trees too large for the
    cap left to the other kernels give the same values."""
    from glassworks.shapley import _tables
    from glassworks.shapley.treeshap import pack_trees

    trees = [_fit(s, 4, 5, True)[0] for s in range(4)]
    trees = [t for t in trees if t.n_outputs == trees[0].n_outputs]
    _, Xq, bg = _fit(0, 4, 5, True)
    reference_path, _ = tree_shap_path(trees, Xq, algorithm="linear")
    reference_int, _ = tree_shap_interventional(trees, Xq, bg, algorithm="traversal")
    packed = pack_trees(trees)
    sizes = _tables.tree_table_stats(packed)["entries"] * packed.n_outputs
    for cap in (sizes.max(), np.sort(sizes)[-2]):  # one tree per group; the largest skipped
        monkeypatch.setattr(_tables, "TABLE_MAX_ENTRIES", int(cap))
        assert _tables.tabulable(pack_trees(trees)).sum() == np.sum(sizes <= cap)
        values, _ = tree_shap_path(trees, Xq, algorithm="table")
        np.testing.assert_allclose(values, reference_path, rtol=0, atol=1e-10)
        values, _ = tree_shap_interventional(trees, Xq, bg, algorithm="table")
        np.testing.assert_allclose(values, reference_int, rtol=0, atol=1e-10)
