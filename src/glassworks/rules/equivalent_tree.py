"""A rule list as the equivalent flat :class:`~glassworks.tree._tree.Tree`.

Each unresolved condition of rule ``i`` becomes a split; its satisfied side goes on to the
rule's next condition (or to rule ``i``'s leaf), its unsatisfied side to rule ``i + 1`` (or to
the default leaf). Splits, in the encoded feature space of :mod:`.mining`:

- ``x <= t``: split at ``t``; missing goes right (the unsatisfied side);
- ``x > t``: split at ``t`` with the sides swapped; missing goes left (unsatisfied);
- ``x == c`` (a category code): two splits, at ``c + 0.5`` and ``c - 0.5``;
- ``x is missing``: split at ``+inf`` with ``missing_go_to_left = 0`` (only NaN goes right).

A conjunction fails in several places, so the rest of the list is copied below each failing
side; along every path the builder tracks what is already known about each feature (an
interval and whether it is missing) and drops conditions that are already decided, which keeps
the copies small. Leaf values are the rules' ``predict_proba`` vectors; covers are the training
weights reaching each node.
"""

import numpy as np

from ..tree._tree import Tree
from .mining import GT, ISNAN, LE

_UNKNOWN, _NOT_NAN, _IS_NAN = 0, 1, 2


def _decide(cond, state):
    """True / False when the path so far decides the condition, else None."""
    j, op, v = cond
    lo, hi, nan = state.get(j, (-np.inf, np.inf, _UNKNOWN))
    if op == ISNAN:
        return None if nan == _UNKNOWN else nan == _IS_NAN
    if nan == _IS_NAN:
        return False
    if op == LE:
        if lo >= v:
            return False
        return True if (hi <= v and nan == _NOT_NAN) else None
    if op == GT:
        if hi <= v:
            return False
        return True if (lo >= v and nan == _NOT_NAN) else None
    # EQ: the code interval (v - 0.5, v + 0.5]
    if hi <= v - 0.5 or lo >= v + 0.5:
        return False
    return True if (lo >= v - 0.5 and hi <= v + 0.5 and nan == _NOT_NAN) else None


def _split_for(cond, state):
    """(threshold, missing_go_to_left) of the next split that resolves the condition."""
    j, op, v = cond
    lo, hi, nan = state.get(j, (-np.inf, np.inf, _UNKNOWN))
    if op == ISNAN:
        return np.inf, 0
    if op == LE:
        return v, 0
    if op == GT:
        return v, 1
    if hi > v + 0.5:
        return v + 0.5, 0
    if lo < v - 0.5:
        return v - 0.5, 1
    return np.inf, 0  # the interval is settled, only "missing or not" is left


def _children_states(j, t, missing_left, state):
    lo, hi, nan = state.get(j, (-np.inf, np.inf, _UNKNOWN))
    left, right = dict(state), dict(state)
    if t == np.inf:
        left[j] = (lo, hi, _NOT_NAN)
        right[j] = (lo, hi, _IS_NAN)
        return left, right
    left[j] = (lo, min(hi, t), nan if missing_left else _NOT_NAN)
    right[j] = (max(lo, t), hi, _NOT_NAN if missing_left else nan)
    return left, right


def rule_list_to_tree(antecedents, leaf_values, n_features, *, max_nodes=200_000):
    """Build the tree; covers are left at zero (see :func:`set_covers`).

    Parameters
    ----------
    antecedents : list of tuple of conditions
        The rules, in order.
    leaf_values : ndarray (n_rules + 1, n_classes)
        Each rule's value, then the default rule's.
    n_features : int
    max_nodes : int
        Refuse to build a larger tree (a long list of conjunctions can need exponentially many
        copies).
    """
    left, right, feature, threshold, missing, leaf_of = [], [], [], [], [], []

    def new_node():
        left.append(-1)
        right.append(-1)
        feature.append(-2)
        threshold.append(-2.0)
        missing.append(0)
        leaf_of.append(-1)
        if len(left) > max_nodes:
            raise ValueError(
                f"The rule list's equivalent tree needs more than {max_nodes} nodes."
            )
        return len(left) - 1

    n_rules = len(antecedents)
    # explicit stack instead of recursion: (node id, rule i, condition j, state)
    root = new_node()
    stack = [(root, 0, 0, {})]
    while stack:
        node, i, j, state = stack.pop()
        while True:
            if i == n_rules:
                leaf_of[node] = n_rules
                break
            if j == len(antecedents[i]):
                leaf_of[node] = i
                break
            decided = _decide(antecedents[i][j], state)
            if decided is True:
                j += 1
            elif decided is False:
                i, j = i + 1, 0
            else:
                break
        if leaf_of[node] >= 0:
            continue
        cond = antecedents[i][j]
        t, miss_left = _split_for(cond, state)
        feature[node] = cond[0]
        threshold[node] = t
        missing[node] = miss_left
        ls, rs = _children_states(cond[0], t, miss_left, state)
        lnode = new_node()
        rnode = new_node()
        left[node], right[node] = lnode, rnode
        # push right first so that the left subtree is numbered first (pre-order)
        stack.append((rnode, i, j, rs))
        stack.append((lnode, i, j, ls))
    n = len(left)
    leaf_of = np.asarray(leaf_of)
    k = leaf_values.shape[1]
    value = np.zeros((n, k))
    is_leaf = leaf_of >= 0
    value[is_leaf] = leaf_values[leaf_of[is_leaf]]
    tree = Tree(
        children_left=np.asarray(left),
        children_right=np.asarray(right),
        feature=np.asarray(feature),
        threshold=np.asarray(threshold, dtype=np.float64),
        missing_go_to_left=np.asarray(missing, dtype=np.uint8),
        value=value,
        n_node_samples=np.zeros(n, dtype=np.int64),
        weighted_n_node_samples=np.zeros(n),
        impurity=np.zeros(n),
        n_features=n_features,
    )
    return tree, leaf_of


def set_covers(tree, Z, w):
    """Fill the node counts and covers from the training data (encoded ``Z``, weights ``w``);
    an internal node's value becomes the cover-weighted mean of its children's."""
    leaves = tree.apply(Z)
    count = np.bincount(leaves, minlength=tree.node_count).astype(np.int64)
    cover = np.bincount(leaves, weights=w, minlength=tree.node_count).astype(np.float64)
    value = tree.value[:, 0, :]
    # children come after their parents: sum covers and fill internal values bottom-up
    for node in range(tree.node_count - 1, -1, -1):
        lft = tree.children_left[node]
        if lft == -1:
            continue
        rgt = tree.children_right[node]
        count[node] = count[lft] + count[rgt]
        cover[node] = cover[lft] + cover[rgt]
        tot = cover[node]
        if tot > 0:
            value[node] = (cover[lft] * value[lft] + cover[rgt] * value[rgt]) / tot
        else:
            value[node] = 0.5 * (value[lft] + value[rgt])
    tree.n_node_samples[:] = count
    tree.weighted_n_node_samples[:] = cover
    return tree
