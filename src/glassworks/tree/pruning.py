"""Minimal cost-complexity pruning of a fitted :class:`~glassworks.tree._tree.Tree`.

Breiman et al.'s weakest-link pruning, exactly as scikit-learn defines it, so that a glassworks
tree and a scikit-learn tree grown on the same data prune to the same subtree:

- the cost of a node ``t`` as a leaf is ``R(t) = w(t) / w(root) * impurity(t)``, with ``w`` the
  weighted number of training samples;
- the cost of the branch ``T_t`` rooted at ``t`` is the sum of ``R`` over its leaves;
- the *effective alpha* of an internal node is ``(R(t) - R(T_t)) / (|leaves(T_t)| - 1)``;
- repeatedly, the internal node with the smallest effective alpha (the first in node order on a
  tie) is collapsed into a leaf, until the root is a leaf.

:func:`cost_complexity_pruning_path` returns the sequence of effective alphas and the total leaf
cost after each step; :func:`prune` stops the sequence at the first effective alpha greater than
``ccp_alpha`` and returns that subtree. Floating-point operations are performed in the same order
as scikit-learn's Cython implementation, so ties are broken identically.

Only the ancestors of a pruned node change their effective alpha, so the weakest link is kept in
an indexed heap (a small Numba kernel, compiled on first use): a whole path costs
``O(n_nodes * depth * log n_nodes)`` instead of scikit-learn's ``O(n_nodes ** 2)``.
"""

import numbers

import numpy as np
from numba import njit

from .._jit import internal
from ._tree import TREE_LEAF, TREE_UNDEFINED, Tree

__all__ = ["cost_complexity_pruning_path", "prune", "subtree"]


def _check_tree(tree):
    if not isinstance(tree, Tree):
        inner = getattr(tree, "tree_", None)
        if isinstance(inner, Tree):
            return inner
        raise TypeError(
            f"Expected a glassworks Tree or a fitted estimator whose tree_ is one, got "
            f"{type(tree).__name__}. Wrap a scikit-learn tree with Tree.from_sklearn(model.tree_)."
        )
    if tree.node_count == 0:
        raise ValueError("The tree has no nodes.")
    return tree


def _parents(tree):
    """Parent of every node (-2 at the root) and a boolean mask of leaves."""
    n = tree.node_count
    left = tree.children_left
    right = tree.children_right
    parent = np.full(n, TREE_UNDEFINED, dtype=np.int64)
    internal = np.flatnonzero(left != TREE_LEAF)
    parent[left[internal]] = internal
    parent[right[internal]] = internal
    is_leaf = left == TREE_LEAF
    return parent, is_leaf


def _initial_branch_costs(r_node, parent, is_leaf):
    """``R(T_t)`` and the leaf count of every branch, summed exactly as scikit-learn sums them.

    scikit-learn adds each leaf's cost into every ancestor, leaf by leaf in index order. We
    build all (ancestor, leaf) pairs level by level, order them by leaf, and let the unbuffered
    ``np.add.at`` accumulate in that order: the sums are bitwise equal to scikit-learn's.
    """
    n = r_node.shape[0]
    leaves = np.flatnonzero(is_leaf)
    r_branch = np.zeros(n, dtype=np.float64)
    r_branch[leaves] = r_node[leaves]
    anc_parts, leaf_parts = [], []
    cur, src = leaves, leaves
    while True:
        keep = cur != 0
        cur, src = parent[cur[keep]], src[keep]
        if cur.size == 0:
            break
        anc_parts.append(cur)
        leaf_parts.append(src)
    n_leaves = np.zeros(n, dtype=np.int64)
    if anc_parts:
        anc = np.concatenate(anc_parts)
        src = np.concatenate(leaf_parts)
        order = np.argsort(src, kind="stable")
        anc, src = anc[order], src[order]
        np.add.at(r_branch, anc, r_node[src])
        n_leaves += np.bincount(anc, minlength=n)
    return r_branch, n_leaves


@internal
@njit(cache=True, nogil=True, inline="always")
def _before(a, b, alpha):
    # heap order: smaller alpha first, then smaller node index (scikit-learn's strict "<" scan
    # in index order keeps the first minimum); NaN sorts last
    x = alpha[a]
    y = alpha[b]
    if x < y:
        return True
    if x == y:
        return a < b
    return x == x and y != y


@internal
@njit(cache=True, nogil=True)
def _sift_up(heap, pos, alpha, k):
    node = heap[k]
    while k > 0:
        up = (k - 1) >> 1
        if not _before(node, heap[up], alpha):
            break
        heap[k] = heap[up]
        pos[heap[k]] = k
        k = up
    heap[k] = node
    pos[node] = k


@internal
@njit(cache=True, nogil=True)
def _sift_down(heap, pos, alpha, k, size):
    node = heap[k]
    while True:
        child = 2 * k + 1
        if child >= size:
            break
        if child + 1 < size and _before(heap[child + 1], heap[child], alpha):
            child += 1
        if not _before(heap[child], node, alpha):
            break
        heap[k] = heap[child]
        pos[heap[k]] = k
        k = child
    heap[k] = node
    pos[node] = k


@internal
@njit(cache=True, nogil=True)
def _heap_remove(heap, pos, alpha, node, size):
    """Remove ``node``; return the new size."""
    k = pos[node]
    size -= 1
    pos[node] = -1
    if k != size:
        moved = heap[size]
        heap[k] = moved
        pos[moved] = k
        _sift_down(heap, pos, alpha, k, size)
        _sift_up(heap, pos, alpha, pos[moved])
    return size


@njit(cache=True, nogil=True)
def _weakest_link_kernel(
    children_left, children_right, parent, r_node, r_branch, n_leaves, ccp_alpha
):
    """Weakest-link pruning until the next effective alpha exceeds ``ccp_alpha``, or until the
    root is a leaf. ``r_branch`` and ``n_leaves`` are updated in place.

    Returns (alphas, impurities, leaves_in_subtree): the path and the final subtree's leaves.
    """
    n = children_left.shape[0]
    leaves_in_subtree = np.zeros(n, dtype=np.bool_)
    candidate = np.zeros(n, dtype=np.bool_)
    in_subtree = np.ones(n, dtype=np.bool_)
    alpha = np.full(n, np.inf)
    heap = np.empty(n, dtype=np.int64)
    pos = np.full(n, -1, dtype=np.int64)
    size = 0
    for i in range(n):
        if children_left[i] == -1:
            leaves_in_subtree[i] = True
        else:
            candidate[i] = True
            # the same float operations as scikit-learn: (R(t) - R(T_t)) / (|T_t| - 1)
            alpha[i] = (r_node[i] - r_branch[i]) / (n_leaves[i] - 1)
            heap[size] = i
            pos[i] = size
            size += 1
    for k in range(size // 2 - 1, -1, -1):
        _sift_down(heap, pos, alpha, k, size)

    out_alpha = np.empty(size + 1)
    out_imp = np.empty(size + 1)
    out_alpha[0] = 0.0
    out_imp[0] = r_branch[0]
    count = 1
    stack = np.empty(n, dtype=np.int64)
    while candidate[0]:
        pruned = heap[0]
        effective_alpha = alpha[pruned]
        if effective_alpha != effective_alpha:
            break  # only NaN impurities left: scikit-learn would select nothing sensible
        if ccp_alpha < effective_alpha:
            break
        size = _heap_remove(heap, pos, alpha, pruned, size)

        # the branch's descendants leave the tree (stop at nodes already gone)
        sp = 0
        stack[sp] = children_left[pruned]
        stack[sp + 1] = children_right[pruned]
        sp = 2
        while sp > 0:
            sp -= 1
            node = stack[sp]
            if not in_subtree[node]:
                continue
            if candidate[node]:
                size = _heap_remove(heap, pos, alpha, node, size)
                candidate[node] = False
            leaves_in_subtree[node] = False
            in_subtree[node] = False
            if children_left[node] != -1:
                stack[sp] = children_left[node]
                stack[sp + 1] = children_right[node]
                sp += 2
        candidate[pruned] = False
        leaves_in_subtree[pruned] = True

        n_pruned_leaves = n_leaves[pruned] - 1
        n_leaves[pruned] = 0
        r_diff = r_node[pruned] - r_branch[pruned]
        r_branch[pruned] = r_node[pruned]
        node = parent[pruned]
        while node != -2:
            n_leaves[node] -= n_pruned_leaves
            r_branch[node] += r_diff
            alpha[node] = (r_node[node] - r_branch[node]) / (n_leaves[node] - 1)
            _sift_up(heap, pos, alpha, pos[node])
            _sift_down(heap, pos, alpha, pos[node], size)
            node = parent[node]

        out_alpha[count] = effective_alpha
        out_imp[count] = r_branch[0]
        count += 1
    return out_alpha[:count].copy(), out_imp[:count].copy(), leaves_in_subtree


def _weakest_link_sequence(tree, ccp_alpha=None):
    """Run weakest-link pruning; return (alphas, impurities, leaf mask of the final subtree).

    With ``ccp_alpha=None`` pruning runs until the root is a leaf (the full path). Otherwise it
    stops before the first step whose effective alpha exceeds ``ccp_alpha``.

    scikit-learn rescans every node at each step (quadratic). Only the ancestors of a pruned
    node change their effective alpha, so an indexed heap keyed by (alpha, node) finds the same
    weakest link (smallest alpha, then smallest index, as scikit-learn's strict-``<`` scan) in
    ``O(depth * log n)`` per step. The alphas are computed with the same operations in the same
    order, hence bitwise equal.
    """
    w = tree.weighted_n_node_samples
    # Same expression and evaluation order as scikit-learn: (w * impurity) / w_root.
    r_node = w * tree.impurity / w[0]
    parent, is_leaf = _parents(tree)
    r_branch, n_leaves = _initial_branch_costs(r_node, parent, is_leaf)
    limit = np.inf if ccp_alpha is None else float(ccp_alpha)
    return _weakest_link_kernel(
        tree.children_left, tree.children_right, parent, r_node, r_branch, n_leaves, limit
    )


def cost_complexity_pruning_path(tree):
    """Effective alphas and total leaf impurities along the minimal cost-complexity path.

    The same quantities as scikit-learn's
    ``DecisionTreeClassifier.cost_complexity_pruning_path``, computed from a fitted tree
    rather than by refitting.

    Parameters
    ----------
    tree : Tree or fitted estimator
        A glassworks :class:`~glassworks.tree._tree.Tree`, or an estimator whose ``tree_`` is
        one. It should be the unpruned tree (grown with ``ccp_alpha=0``).

    Returns
    -------
    ccp_alphas : ndarray of shape (n_steps,)
        Effective alphas of the successive subtrees, non-decreasing, starting at 0.0 (the
        tree itself); the last entry is the alpha that prunes the tree down to its root.
    impurities : ndarray of shape (n_steps,)
        Sum over the leaves of each subtree of ``w(leaf) / w(root) * impurity(leaf)``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from glassworks.tree._tree import Tree
    >>> from glassworks.tree.pruning import cost_complexity_pruning_path
    >>> X, y = load_iris(return_X_y=True)
    >>> model = DecisionTreeClassifier(random_state=0).fit(X, y)
    >>> alphas, impurities = cost_complexity_pruning_path(Tree.from_sklearn(model.tree_))
    >>> float(alphas[0]), bool(alphas[-1] > alphas[0])
    (0.0, True)
    """
    tree = _check_tree(tree)
    alphas, impurities, _ = _weakest_link_sequence(tree)
    return alphas, impurities


def _check_alpha(ccp_alpha):
    if isinstance(ccp_alpha, bool) or not isinstance(ccp_alpha, numbers.Real):
        raise ValueError(f"ccp_alpha must be a non-negative real number, got {ccp_alpha!r}.")
    ccp_alpha = float(ccp_alpha)
    if not np.isfinite(ccp_alpha) and ccp_alpha != np.inf:
        raise ValueError(f"ccp_alpha must be a non-negative real number, got {ccp_alpha!r}.")
    if ccp_alpha < 0:
        raise ValueError(f"ccp_alpha must be non-negative, got {ccp_alpha!r}.")
    return ccp_alpha


def _copy_tree(tree):
    return Tree(
        children_left=tree.children_left.copy(),
        children_right=tree.children_right.copy(),
        feature=tree.feature.copy(),
        threshold=tree.threshold.copy(),
        missing_go_to_left=tree.missing_go_to_left.copy(),
        value=tree.value.copy(),
        n_node_samples=tree.n_node_samples.copy(),
        weighted_n_node_samples=tree.weighted_n_node_samples.copy(),
        impurity=tree.impurity.copy(),
        n_features=tree.n_features,
        cat_split=None if tree.cat_split is None else tree.cat_split.copy(),
        cat_bitset=None if tree.cat_bitset is None else tree.cat_bitset.copy(),
    )


def subtree(tree, leaves_in_subtree):
    """The subtree whose leaves are the marked nodes, renumbered in depth-first preorder.

    Parameters
    ----------
    tree : Tree
        The original tree.
    leaves_in_subtree : array-like of bool, shape (n_nodes,)
        Nodes that become leaves. Every root-to-leaf path of ``tree`` must cross exactly one
        of them.

    Returns
    -------
    Tree
        A new tree: node 0 is the root, every parent precedes its children and a left child
        immediately follows its parent (scikit-learn's numbering of a pruned tree). Surviving
        nodes keep their value, counts, impurity, threshold and NaN direction; new leaves get
        ``feature == -2``, ``threshold == -2.0`` and no children.
    """
    tree = _check_tree(tree)
    mark = np.asarray(leaves_in_subtree, dtype=bool)
    if mark.shape != (tree.node_count,):
        raise ValueError(
            f"leaves_in_subtree must have shape ({tree.node_count},), got {mark.shape}."
        )
    left = tree.children_left
    right = tree.children_right

    order = []  # original ids in new order
    new_parent = []  # (new parent id, is_left) for each new node
    stack = [(0, -1, False)]
    while stack:
        node, par, is_left = stack.pop()
        if not mark[node] and left[node] == TREE_LEAF:
            raise ValueError(
                f"Node {node} is a leaf of the tree but not marked as a leaf of the subtree."
            )
        new_id = len(order)
        order.append(node)
        new_parent.append((par, is_left))
        if not mark[node]:
            stack.append((int(right[node]), new_id, False))
            stack.append((int(left[node]), new_id, True))

    order = np.asarray(order, dtype=np.int64)
    m = order.shape[0]
    new_left = np.full(m, TREE_LEAF, dtype=np.int64)
    new_right = np.full(m, TREE_LEAF, dtype=np.int64)
    for new_id, (par, is_left) in enumerate(new_parent):
        if par >= 0:
            if is_left:
                new_left[par] = new_id
            else:
                new_right[par] = new_id

    new_leaf = new_left == TREE_LEAF
    feature = tree.feature[order].copy()
    threshold = tree.threshold[order].copy()
    missing = tree.missing_go_to_left[order].copy()
    feature[new_leaf] = TREE_UNDEFINED
    threshold[new_leaf] = float(TREE_UNDEFINED)
    # scikit-learn's _build_pruned_tree copies the original node's NaN flag into collapsed
    # leaves too; it is never read at a leaf, so we clear it for a canonical layout.
    missing[new_leaf] = 0
    cat = {}
    if tree.cat_split is not None:
        cs = tree.cat_split[order].copy()
        cs[new_leaf] = -1
        cat = {"cat_split": cs, "cat_bitset": tree.cat_bitset.copy()}
    return Tree(
        children_left=new_left,
        children_right=new_right,
        feature=feature,
        threshold=threshold,
        missing_go_to_left=missing,
        value=tree.value[order].copy(),
        n_node_samples=tree.n_node_samples[order].copy(),
        weighted_n_node_samples=tree.weighted_n_node_samples[order].copy(),
        impurity=tree.impurity[order].copy(),
        n_features=tree.n_features,
        **cat,
    )


def prune(tree, ccp_alpha):
    """The minimal cost-complexity subtree for ``ccp_alpha``.

    Weakest links are collapsed while their effective alpha is ``<= ccp_alpha``: the result is
    the subtree scikit-learn builds when a tree is fitted with the same ``ccp_alpha``.

    Parameters
    ----------
    tree : Tree or fitted estimator
        A glassworks :class:`~glassworks.tree._tree.Tree` (or an estimator whose ``tree_`` is
        one), normally grown with ``ccp_alpha=0``. It is not modified.
    ccp_alpha : float
        Non-negative complexity parameter. As in scikit-learn, ``0.0`` means no pruning: a copy
        of the tree is returned unchanged (zero-gain splits are kept).

    Returns
    -------
    Tree
        A new tree, renumbered in depth-first preorder (node 0 the root, parents before
        children, left child right after its parent), with every field of the surviving nodes
        copied from ``tree``: pruning never changes a node's value, counts or impurity. Nodes
        that became leaves have ``feature == -2``, ``threshold == -2.0``, no children.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from glassworks.tree._tree import Tree
    >>> from glassworks.tree.pruning import prune
    >>> X, y = load_iris(return_X_y=True)
    >>> full = Tree.from_sklearn(DecisionTreeClassifier(random_state=0).fit(X, y).tree_)
    >>> small = prune(full, ccp_alpha=0.02)
    >>> small.node_count < full.node_count
    True
    """
    tree = _check_tree(tree)
    ccp_alpha = _check_alpha(ccp_alpha)
    if ccp_alpha == 0.0:
        return _copy_tree(tree)
    _, _, leaves = _weakest_link_sequence(tree, ccp_alpha=ccp_alpha)
    return subtree(tree, leaves)
