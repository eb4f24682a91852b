"""Binning and the Numba grower, tested on their own (the API a forest builds on)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassworks.tree._tree import Tree
from glassworks.tree.binning import BinMapper
from glassworks.tree.grower import grow_tree


def _trees_equal(a, b):
    fields = ("children_left", "children_right", "feature", "threshold", "missing_go_to_left",
              "n_node_samples", "weighted_n_node_samples", "impurity", "value")
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in fields)


# -- binning ---------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_distinct=st.sampled_from([1, 2, 7, 300, 5000]),
    max_bins=st.sampled_from([2, 16, 255]),
    nan_rate=st.sampled_from([0.0, 0.1]),
)
def test_bins_are_the_edge_intervals(seed, n_distinct, max_bins, nan_rate):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, n_distinct, size=(800, 2)).astype(float) * 0.37 - 3.0
    X[:, 1] = rng.normal(size=800)
    X[rng.random(X.shape) < nan_rate] = np.nan
    mapper = BinMapper(max_bins=max_bins).fit(X)
    Xb = mapper.transform(X)
    assert Xb.dtype == np.uint8 and Xb.flags.f_contiguous
    for f in range(2):
        edges = mapper.bin_thresholds_[f]
        assert np.all(np.diff(edges) > 0)
        nan = np.isnan(X[:, f])
        assert np.all(Xb[nan, f] == max_bins)
        b = Xb[~nan, f].astype(int)
        x = X[~nan, f]
        assert b.max(initial=0) < mapper.n_bins_[f] <= max_bins
        # bin i holds edges[i-1] < x <= edges[i]
        upper = np.append(edges, np.inf)[b]
        lower = np.insert(edges, 0, -np.inf)[b]
        assert np.all((lower < x) & (x <= upper))


def test_exact_bins_are_sklearn_midpoints():
    X = np.array([[0.0], [1.0], [1.0], [2.5], [np.nan], [10.0]])
    mapper = BinMapper().fit(X)
    assert mapper.is_exact_[0]
    np.testing.assert_array_equal(mapper.bin_thresholds_[0], [0.5, 1.75, 6.25])
    np.testing.assert_array_equal(mapper.values_[0, :4], [0.0, 1.0, 2.5, 10.0])


def test_subsample_keeps_exact_bins_when_a_value_is_rare():
    # the value 0.5 (one row) is almost surely missing from a 50-row subsample: the mapper
    # must notice and still give every distinct value its own bin
    X = np.repeat([0.0, 1.0, 2.0], 400)[:, None]
    X[17, 0] = 0.5
    mapper = BinMapper(subsample=50, random_state=0).fit(X)
    assert mapper.is_exact_[0]
    np.testing.assert_array_equal(mapper.values_[0, :4], [0.0, 0.5, 1.0, 2.0])
    # many distinct values: quantile bins from the subsample, deterministic with the seed
    Z = np.random.default_rng(0).normal(size=(5000, 1))
    m1 = BinMapper(max_bins=32, subsample=500, random_state=3).fit(Z)
    m2 = BinMapper(max_bins=32, subsample=500, random_state=3).fit(Z)
    assert not m1.is_exact_[0]
    np.testing.assert_array_equal(m1.edges_, m2.edges_)


def test_bad_max_bins():
    with pytest.raises(ValueError, match="max_bins"):
        BinMapper(max_bins=256).fit(np.zeros((3, 1)))


# -- grower ----------------------------------------------------------------------------------
def _data(seed, n=600, d=4, levels=6, classes=3):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, levels, size=(n, d)).astype(float)
    score = X[:, 0] - 0.7 * X[:, 1] + 0.4 * X[:, 2] * X[:, 3] / levels + rng.normal(size=n)
    y_clf = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    return X, y_clf, score


@pytest.mark.parametrize("criterion", ["gini", "entropy", "squared_error"])
def test_grow_tree_matches_sklearn(criterion):
    X, y_clf, y_reg = _data(1)
    mapper = BinMapper().fit(X)
    Xb = mapper.transform(X)
    w = np.random.default_rng(2).integers(1, 4, size=X.shape[0]).astype(float)
    if criterion == "squared_error":
        y, n_classes, Model = y_reg, 0, DecisionTreeRegressor
    else:
        y, n_classes, Model = y_clf, 3, DecisionTreeClassifier
    ours = grow_tree(Xb, y, w, mapper, n_classes=n_classes, criterion=criterion, max_depth=4)
    sk = Tree.from_sklearn(
        Model(criterion=criterion, max_depth=4, random_state=0).fit(X, y, w).tree_
    )
    # shallow, many samples per node: no ties, the very same tree node by node
    assert ours.node_count == sk.node_count
    np.testing.assert_array_equal(ours.feature, sk.feature)
    np.testing.assert_array_equal(ours.threshold, sk.threshold)
    np.testing.assert_array_equal(ours.children_left, sk.children_left)
    np.testing.assert_array_equal(ours.n_node_samples, sk.n_node_samples)
    np.testing.assert_allclose(ours.weighted_n_node_samples, sk.weighted_n_node_samples)
    np.testing.assert_allclose(ours.impurity, sk.impurity, atol=1e-12)
    np.testing.assert_allclose(ours.value, sk.value, atol=1e-12)


def test_grow_tree_is_deterministic_and_parallel_agnostic():
    X, y, _ = _data(3, n=3000, d=8, levels=40)
    mapper = BinMapper().fit(X)
    Xb = mapper.transform(X)
    w = np.ones(X.shape[0])
    kw = dict(n_classes=3, criterion="gini", max_features=3)
    a = grow_tree(Xb, y, w, mapper, seed=7, parallel=True, **kw)
    b = grow_tree(Xb, y, w, mapper, seed=7, parallel=False, **kw)
    c = grow_tree(Xb, y, w, mapper, seed=8, **kw)
    assert _trees_equal(a, b)
    assert not _trees_equal(a, c)


def test_parallel_kernels_give_the_serial_tree():
    # large enough (samples x features >= 1e6) for the parallel histogram kernel to run
    rng = np.random.default_rng(11)
    X = rng.normal(size=(60_000, 20))
    y = X[:, 0] + X[:, 1] ** 2 + rng.normal(size=60_000)
    mapper = BinMapper().fit(X)
    Xb = mapper.transform(X)
    w = np.ones(X.shape[0])
    kw = dict(n_classes=0, criterion="squared_error", max_depth=3)
    assert _trees_equal(grow_tree(Xb, y, w, mapper, parallel=True, **kw),
                        grow_tree(Xb, y, w, mapper, parallel=False, **kw))


def test_zero_weight_rows_are_left_out():
    # bootstrap counts as weights: a row of weight 0 must be as if it were not there
    X, _, y = _data(4)
    w = np.random.default_rng(5).integers(0, 3, size=X.shape[0]).astype(float)
    keep = w > 0
    m_all = BinMapper().fit(X)
    m_kept = BinMapper().fit(X[keep])
    a = grow_tree(m_all.transform(X), y, w, m_all, n_classes=0, criterion="squared_error")
    b = grow_tree(m_kept.transform(X[keep]), y[keep], w[keep], m_kept, n_classes=0,
                  criterion="squared_error")
    assert _trees_equal(a, b)


def test_criterion_must_fit_the_task():
    X, y, _ = _data(6, n=50)
    mapper = BinMapper().fit(X)
    with pytest.raises(ValueError, match="criterion"):
        grow_tree(mapper.transform(X), y, np.ones(50), mapper, n_classes=0, criterion="gini")


@pytest.mark.parametrize("criterion", ["gini", "squared_error"])
@pytest.mark.parametrize("n, n_values, min_nodes", [(3000, None, 400), (150, 13, 8)])
def test_sampled_features_search_like_the_full_search(criterion, n, n_values, min_nodes):
    # one non-constant feature (with NaN) among constant ones: drawing features until
    # max_features=1 non-constant one is found always finds it, so the sampled search (drawn
    # features only: a histogram for large nodes, sorted samples for small ones: by insertion
    # for a feature of many bins, by counting for one of few, n_values) must grow the tree the
    # search over every feature grows
    rng = np.random.default_rng(9)
    X = np.zeros((n, 6))
    X[:, 1] = 2.0
    X[:, 4] = rng.normal(size=n)
    if n_values is not None:
        X[:, 4] = np.round(np.clip(X[:, 4], -1.5, 1.5) * (n_values - 1) / 3)
    X[rng.random(n) < 0.1, 4] = np.nan
    score = np.nan_to_num(X[:, 4], nan=0.5) ** 2 + rng.normal(size=n)
    if criterion == "gini":
        y, n_classes = np.digitize(score, [0.5, 1.5]), 3
    else:
        y, n_classes = score, 0
    w = rng.random(n) * 2
    mapper = BinMapper().fit(X)
    Xb = mapper.transform(X)
    kw = dict(n_classes=n_classes, criterion=criterion, parallel=False)
    full = grow_tree(Xb, y, w, mapper, **kw)
    sampled = grow_tree(Xb, y, w, mapper, max_features=1, seed=3, **kw)
    assert full.node_count > min_nodes
    # bit for bit: both sum each bin's samples in row order (a sort that is not stable would
    # change the last bits)
    for f in ("children_left", "children_right", "feature", "threshold", "missing_go_to_left",
              "n_node_samples", "weighted_n_node_samples", "impurity", "value"):
        np.testing.assert_array_equal(getattr(sampled, f), getattr(full, f))
