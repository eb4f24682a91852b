"""Cost-complexity pruning on the flat Tree, checked against scikit-learn's own pruning."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassworks.tree._tree import TREE_LEAF, Tree
from glassworks.tree.pruning import cost_complexity_pruning_path, prune, subtree

CASES = [
    # (classifier, criterion, extra model params)
    (True, "gini", {}),
    (True, "entropy", {}),
    (True, "log_loss", {"max_leaf_nodes": 25}),  # best-first growth numbers nodes differently
    (False, "squared_error", {}),
    (False, "squared_error", {"min_samples_leaf": 3, "max_leaf_nodes": 30}),
    (False, "absolute_error", {"max_depth": 6}),
    (False, "poisson", {}),
]


def _data(seed, classifier, criterion, n=160, nan_rate=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    X[:, 3] = np.round(X[:, 3])  # a feature with ties
    y = X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(scale=0.5, size=n)
    if classifier:
        y = np.digitize(y, [-0.7, 0.0, 0.7])
    elif criterion == "poisson":
        y = rng.poisson(np.exp(0.5 * X[:, 0]))
    w = rng.integers(1, 4, size=n).astype(float)
    w[rng.random(n) < 0.1] = 0.0
    if nan_rate:
        X[rng.random(X.shape) < nan_rate] = np.nan
    return X, y, w


def _model(classifier, criterion, params, ccp_alpha=0.0, seed=0):
    Model = DecisionTreeClassifier if classifier else DecisionTreeRegressor
    return Model(criterion=criterion, random_state=seed, ccp_alpha=ccp_alpha, **params)


def _assert_same_tree(ours, sk_tree):
    ref = sk_tree if isinstance(sk_tree, Tree) else Tree.from_sklearn(sk_tree)
    assert ours.node_count == ref.node_count
    for name in ("children_left", "children_right", "feature", "n_node_samples"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(ref, name), err_msg=name)
    for name in ("threshold", "weighted_n_node_samples", "impurity", "value"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(ref, name), err_msg=name)
    internal = ref.children_left != TREE_LEAF
    np.testing.assert_array_equal(
        ours.missing_go_to_left[internal], ref.missing_go_to_left[internal]
    )


def _alphas_to_try(path_alphas):
    """Path alphas themselves (exact ties), midpoints, and beyond the last one."""
    a = np.unique(path_alphas)
    mids = (a[:-1] + a[1:]) / 2
    picks = np.concatenate([a[1:], mids, [a[-1] * 2 + 1.0]])
    if picks.size > 8:
        picks = picks[np.linspace(0, picks.size - 1, 8).round().astype(int)]
    return picks[picks > 0]


@pytest.mark.parametrize("classifier,criterion,params", CASES)
@pytest.mark.parametrize("weighted", [False, True])
def test_path_matches_sklearn(classifier, criterion, params, weighted):
    X, y, w = _data(1, classifier, criterion)
    sw = w if weighted else None
    m = _model(classifier, criterion, params).fit(X, y, sample_weight=sw)
    ours_alphas, ours_imp = cost_complexity_pruning_path(Tree.from_sklearn(m.tree_))
    ref = m.cost_complexity_pruning_path(X, y, sample_weight=sw)
    assert ours_alphas.shape == ref.ccp_alphas.shape
    np.testing.assert_allclose(ours_alphas, ref.ccp_alphas, rtol=1e-12, atol=0)
    np.testing.assert_allclose(ours_imp, ref.impurities, rtol=1e-12, atol=0)


@pytest.mark.parametrize("classifier,criterion,params", CASES)
@pytest.mark.parametrize("weighted", [False, True])
def test_prune_matches_sklearn_refit(classifier, criterion, params, weighted):
    X, y, w = _data(2, classifier, criterion)
    sw = w if weighted else None
    full = _model(classifier, criterion, params).fit(X, y, sample_weight=sw)
    tree = Tree.from_sklearn(full.tree_)
    alphas, _ = cost_complexity_pruning_path(tree)
    Xq = np.random.default_rng(3).normal(size=(300, 4))
    for alpha in _alphas_to_try(alphas):
        ref = _model(classifier, criterion, params, ccp_alpha=alpha).fit(X, y, sample_weight=sw)
        ours = prune(tree, alpha)
        assert ours.node_count == ref.tree_.node_count
        np.testing.assert_array_equal(ours.apply(Xq), ref.apply(Xq))
        if classifier:
            # predict_proba renormalises the leaf values: equal up to rounding
            np.testing.assert_allclose(ours.predict(Xq), ref.predict_proba(Xq), rtol=1e-12)
        else:
            np.testing.assert_array_equal(ours.predict(Xq)[:, 0], ref.predict(Xq))
        _assert_same_tree(ours, ref.tree_)


@pytest.mark.parametrize("classifier", [True, False])
def test_prune_with_missing_values_matches_sklearn(classifier):
    criterion = "gini" if classifier else "squared_error"
    X, y, w = _data(4, classifier, criterion, n=200, nan_rate=0.15)
    full = _model(classifier, criterion, {}).fit(X, y, sample_weight=w)
    tree = Tree.from_sklearn(full.tree_)
    alphas, imp = cost_complexity_pruning_path(tree)
    ref_path = full.cost_complexity_pruning_path(X, y, sample_weight=w)
    np.testing.assert_allclose(alphas, ref_path.ccp_alphas, rtol=1e-12, atol=0)
    np.testing.assert_allclose(imp, ref_path.impurities, rtol=1e-12, atol=0)
    Xq = X.copy()
    for alpha in _alphas_to_try(alphas):
        ref = _model(classifier, criterion, {}, ccp_alpha=alpha).fit(X, y, sample_weight=w)
        ours = prune(tree, alpha)
        np.testing.assert_array_equal(ours.apply(Xq), ref.apply(Xq))
        _assert_same_tree(ours, ref.tree_)


def _random_tree(seed, classifier, depth):
    rng = np.random.default_rng(seed)
    n = 120
    X = rng.normal(size=(n, 3))
    y = X[:, 0] - X[:, 1] ** 2 + rng.normal(scale=0.4, size=n)
    if classifier:
        y = (y > 0).astype(int)
    w = rng.uniform(0.2, 3.0, size=n)
    Model = DecisionTreeClassifier if classifier else DecisionTreeRegressor
    m = Model(max_depth=depth, random_state=seed).fit(X, y, sample_weight=w)
    return Tree.from_sklearn(m.tree_), X


def _leaf_cost(tree):
    leaves = tree.children_left == TREE_LEAF
    w = tree.weighted_n_node_samples
    return float(np.sum(w[leaves] * tree.impurity[leaves] / w[0]))


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    classifier=st.booleans(),
    depth=st.integers(1, 9),
    frac=st.floats(0.0, 1.2),
)
def test_pruned_tree_invariants(seed, classifier, depth, frac):
    tree, X = _random_tree(seed, classifier, depth)
    before = copy.deepcopy(tree.__dict__)
    alphas, impurities = cost_complexity_pruning_path(tree)
    assert alphas[0] == 0.0
    assert np.all(np.diff(alphas) >= 0)
    assert np.all(np.diff(impurities) >= -1e-12)
    assert impurities[0] == pytest.approx(_leaf_cost(tree))

    alpha = frac * alphas[-1]
    pruned = prune(tree, alpha)
    # the caller's tree is untouched
    for key, val in before.items():
        if isinstance(val, np.ndarray):
            np.testing.assert_array_equal(getattr(tree, key), val)

    # a binary tree, preorder-numbered, parents before children
    n = pruned.node_count
    internal = np.flatnonzero(pruned.children_left != TREE_LEAF)
    assert n == 2 * pruned.n_leaves - 1
    assert np.all(pruned.children_left[internal] == internal + 1)
    assert np.all(pruned.children_right[internal] > pruned.children_left[internal])
    children = np.concatenate([pruned.children_left[internal], pruned.children_right[internal]])
    assert sorted(children.tolist()) == list(range(1, n))
    leaves = pruned.children_left == TREE_LEAF
    assert np.all(pruned.children_right[leaves] == TREE_LEAF)
    assert np.all(pruned.feature[leaves] == -2)
    assert np.all(pruned.feature[internal] >= 0)

    if alpha > 0:
        # the pruned tree is the one reached after every step whose alpha is <= alpha
        j = int(np.searchsorted(alphas, alpha, side="right")) - 1
        assert _leaf_cost(pruned) == pytest.approx(impurities[j], rel=1e-9, abs=1e-12)
        assert pruned.n_leaves <= tree.n_leaves

    # surviving nodes keep their fields: each pruned node maps onto an original node reached
    # by the same route from the root
    mapping = np.zeros(n, dtype=np.int64)
    for node in internal:
        mapping[pruned.children_left[node]] = tree.children_left[mapping[node]]
        mapping[pruned.children_right[node]] = tree.children_right[mapping[node]]
    for name in ("value", "n_node_samples", "weighted_n_node_samples", "impurity"):
        np.testing.assert_array_equal(getattr(pruned, name), getattr(tree, name)[mapping])
    np.testing.assert_array_equal(pruned.threshold[internal], tree.threshold[mapping[internal]])
    np.testing.assert_array_equal(pruned.feature[internal], tree.feature[mapping[internal]])
    # every pruned leaf is an original node: a row lands in the pruned leaf that is the
    # ancestor of (or equal to) its original leaf
    orig_path = tree.decision_path(X)
    new_leaf = pruned.apply(X)
    assert np.all(orig_path[np.arange(X.shape[0]), mapping[new_leaf]] == 1)


def test_prune_beyond_last_alpha_gives_root_only():
    tree, X = _random_tree(0, True, 6)
    alphas, impurities = cost_complexity_pruning_path(tree)
    root = prune(tree, alphas[-1])
    assert root.node_count == 1
    np.testing.assert_array_equal(root.value[0], tree.value[0])
    assert impurities[-1] == pytest.approx(tree.impurity[0])
    np.testing.assert_array_equal(root.predict(X), np.repeat(tree.value2d[:1], len(X), axis=0))
    assert prune(tree, np.inf).node_count == 1


def test_prune_zero_alpha_is_unchanged_copy():
    tree, _ = _random_tree(5, False, 5)
    same = prune(tree, 0.0)
    assert same is not tree
    for name in ("children_left", "children_right", "threshold", "value", "impurity"):
        np.testing.assert_array_equal(getattr(same, name), getattr(tree, name))
        assert not np.shares_memory(getattr(same, name), getattr(tree, name))


def test_single_leaf_tree():
    X = np.zeros((10, 2))
    m = DecisionTreeRegressor().fit(X, np.arange(10.0))
    tree = Tree.from_sklearn(m.tree_)
    alphas, impurities = cost_complexity_pruning_path(tree)
    ref = m.cost_complexity_pruning_path(X, np.arange(10.0))
    np.testing.assert_allclose(alphas, ref.ccp_alphas)
    np.testing.assert_allclose(impurities, ref.impurities)
    assert prune(tree, 1.0).node_count == 1


def test_accepts_estimator_with_tree_attribute():
    tree, _ = _random_tree(1, True, 4)

    class Holder:
        tree_ = tree

    a1, i1 = cost_complexity_pruning_path(Holder())
    a2, i2 = cost_complexity_pruning_path(tree)
    np.testing.assert_array_equal(a1, a2)
    assert prune(Holder(), a1[1]).node_count == prune(tree, a1[1]).node_count


@pytest.mark.parametrize("alpha", [-0.1, np.nan, "0.1", None, True])
def test_bad_alpha_is_rejected(alpha):
    tree, _ = _random_tree(1, True, 3)
    with pytest.raises(ValueError, match="ccp_alpha"):
        prune(tree, alpha)


def test_non_tree_is_rejected():
    with pytest.raises(TypeError, match="Tree"):
        cost_complexity_pruning_path(DecisionTreeClassifier().fit([[0], [1]], [0, 1]))


def test_subtree_rejects_inconsistent_mask():
    tree, _ = _random_tree(2, True, 4)
    with pytest.raises(ValueError, match="shape"):
        subtree(tree, np.zeros(3, dtype=bool))
    with pytest.raises(ValueError, match="not marked"):
        subtree(tree, np.zeros(tree.node_count, dtype=bool))


# -- hand-made trees with many ties, against scikit-learn's Cython pruning on the same tree ------
def _to_sklearn_tree(tree):
    from sklearn.tree._tree import NODE_DTYPE
    from sklearn.tree._tree import Tree as SkTree

    sk = SkTree(tree.n_features, np.array([1], dtype=np.intp), 1)
    nodes = np.zeros(tree.node_count, dtype=NODE_DTYPE)
    nodes["left_child"] = tree.children_left
    nodes["right_child"] = tree.children_right
    nodes["feature"] = tree.feature
    nodes["threshold"] = tree.threshold
    nodes["impurity"] = tree.impurity
    nodes["n_node_samples"] = tree.n_node_samples
    nodes["weighted_n_node_samples"] = tree.weighted_n_node_samples
    nodes["missing_go_to_left"] = tree.missing_go_to_left
    sk.__setstate__(
        {
            "max_depth": tree.max_depth,
            "node_count": tree.node_count,
            "nodes": nodes,
            "values": np.ascontiguousarray(tree.value),
        }
    )
    return sk


def _random_shape_tree(rng, n_splits):
    """A random binary tree, numbered in a random order in which parents precede children,
    with impurities and weights drawn from tiny sets so that effective alphas tie often."""
    left, right, frontier = [-1], [-1], [0]
    for _ in range(n_splits):
        node = frontier.pop(rng.integers(len(frontier)))
        left[node], right[node] = len(left), len(left) + 1
        left += [-1, -1]
        right += [-1, -1]
        frontier += [left[node], right[node]]
    left, right = np.array(left), np.array(right)
    n = left.shape[0]
    w = np.zeros(n)
    for node in range(n - 1, -1, -1):  # children have larger ids than their parent
        w[node] = rng.choice([1.0, 2.0]) if left[node] == -1 else w[left[node]] + w[right[node]]
    is_leaf = left == -1
    return Tree(
        children_left=left,
        children_right=right,
        feature=np.where(is_leaf, -2, rng.integers(0, 3, n)),
        threshold=np.where(is_leaf, -2.0, rng.normal(size=n)),
        missing_go_to_left=rng.integers(0, 2, n),
        value=rng.normal(size=(n, 1)),
        n_node_samples=w.astype(np.int64),
        weighted_n_node_samples=w,
        impurity=rng.choice([0.0, 0.25, 0.5, 1.0], size=n),
        n_features=3,
    )


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_splits=st.integers(0, 40))
def test_ties_and_any_numbering_match_sklearn_cython(seed, n_splits):
    try:  # private scikit-learn API: skip rather than fail if it moves
        from sklearn.tree._tree import NODE_DTYPE  # noqa: F401
        from sklearn.tree._tree import Tree as SkTree
        from sklearn.tree._tree import _build_pruned_tree_ccp, ccp_pruning_path
    except ImportError:
        pytest.skip("scikit-learn's private tree pruning functions are not available")

    rng = np.random.default_rng(seed)
    tree = _random_shape_tree(rng, n_splits)
    sk = _to_sklearn_tree(tree)
    ref = ccp_pruning_path(sk)
    alphas, impurities = cost_complexity_pruning_path(tree)
    np.testing.assert_array_equal(alphas, ref["ccp_alphas"])
    np.testing.assert_array_equal(impurities, ref["impurities"])
    for alpha in np.concatenate([alphas[1:], rng.uniform(0, max(alphas.max(), 0.0) + 0.1, size=3)]):
        if alpha <= 0:
            continue
        out = SkTree(3, np.array([1], dtype=np.intp), 1)
        _build_pruned_tree_ccp(out, sk, alpha)
        _assert_same_tree(prune(tree, alpha), out)


def test_glassworks_estimators_use_this_pruning():
    import glassworks

    for classifier, criterion in ((True, "entropy"), (False, "squared_error")):
        X, y, w = _data(6, classifier, criterion)
        Model = glassworks.DecisionTreeClassifier if classifier else glassworks.DecisionTreeRegressor
        full = Model(criterion=criterion, random_state=0).fit(X, y, sample_weight=w)
        path = full.cost_complexity_pruning_path(X, y, sample_weight=w)
        alphas, impurities = cost_complexity_pruning_path(full.tree_)
        np.testing.assert_array_equal(path.ccp_alphas, alphas)
        np.testing.assert_array_equal(path.impurities, impurities)
        for alpha in _alphas_to_try(alphas)[:4]:
            pruned = Model(criterion=criterion, random_state=0, ccp_alpha=alpha)
            pruned.fit(X, y, sample_weight=w)
            _assert_same_tree(pruned.tree_, prune(full.tree_, alpha))
