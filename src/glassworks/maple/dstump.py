"""DStump feature ranking (Kazemitabar et al., 2017), as MAPLE uses it.

Each tree's root split is a decision stump chosen on a bootstrap sample and a random subset of
features; a feature's score is the impurity reduction of the root splits on it, summed over the
trees. The original MAPLE code sums the root's impurity instead (``"root_impurity"``), which
favours the same features on a regression forest (the root impurity is nearly the same in every
tree) but is not what the paper describes; both are offered.
"""

import numpy as np

RANKINGS = ("impurity_reduction", "root_impurity")


def flat_nodes(trees):
    """The node arrays of ``trees`` concatenated (child indices local to each tree), with
    ``node_offset`` (int64 (n_trees + 1,)): the layout a glassworks forest keeps."""
    counts = np.array([t.node_count for t in trees], dtype=np.int64)
    node_offset = np.zeros(len(trees) + 1, dtype=np.int64)
    np.cumsum(counts, out=node_offset[1:])
    out = {"node_offset": node_offset}
    for name in ("children_left", "children_right", "feature", "weighted_n_node_samples",
                 "impurity"):
        out[name] = (np.concatenate([getattr(t, name) for t in trees]) if trees
                     else np.empty(0))
    return out


def dstump_scores(trees, n_features, method="impurity_reduction"):
    """Per-feature DStump scores from the root splits of ``trees``.

    Parameters
    ----------
    trees : list of :class:`glassworks.tree._tree.Tree`, or dict
        The trees, or their concatenated node arrays (:func:`flat_nodes`).
    n_features : int
    method : {"impurity_reduction", "root_impurity"}

    Returns
    -------
    ndarray of shape (n_features,)
    """
    if method not in RANKINGS:
        raise ValueError(f"feature_ranking must be one of {RANKINGS}, got {method!r}.")
    nodes = trees if isinstance(trees, dict) else flat_nodes(trees)
    scores = np.zeros(n_features)
    root = nodes["node_offset"][:-1]
    left = nodes["children_left"][root]
    split = left != -1
    root, left = root[split], left[split] + root[split]
    if root.size == 0:
        return scores
    right = nodes["children_right"][root] + root
    imp = nodes["impurity"]
    if method == "root_impurity":
        gain = imp[root]
    else:
        w = nodes["weighted_n_node_samples"]
        gain = imp[root] - (w[left] * imp[left] + w[right] * imp[right]) / w[root]
    # in tree order, one tree at a time (unbuffered), as a loop over the trees would add
    np.add.at(scores, nodes["feature"][root], gain)
    return scores


def impurity_importance(trees, n_features):
    """Total weighted impurity decrease of every split on each feature, over all the trees.

    Breaks DStump's ties: a forest with a few dominant features puts only those at its roots,
    leaving every other feature with a DStump score of 0; their order (and so which of them a
    model keeping ``k`` features gets) then follows how much they do further down the trees
    instead of their column index. ``trees``: as :func:`dstump_scores`.
    """
    total = np.zeros(n_features)
    nodes = trees if isinstance(trees, dict) else flat_nodes(trees)
    node_offset = nodes["node_offset"]
    if node_offset.shape[0] < 2:
        return total
    # all trees at once (one pass over concatenated node arrays, not a loop of small ones)
    counts = np.diff(node_offset)
    offset = np.repeat(node_offset[:-1], counts)
    left = nodes["children_left"]
    right = nodes["children_right"]
    feature = nodes["feature"]
    w = nodes["weighted_n_node_samples"]
    imp = nodes["impurity"]
    split = np.flatnonzero(left != -1)
    if split.size == 0:
        return total
    lft, rgt = left[split] + offset[split], right[split] + offset[split]
    root_w = w[offset[split]]
    gain = (w[split] * imp[split] - w[lft] * imp[lft] - w[rgt] * imp[rgt]) / root_w
    return total + np.bincount(feature[split], weights=gain, minlength=n_features)


def rank_features(scores, tiebreak=None):
    """Features by decreasing score, ties by decreasing ``tiebreak``, then lower index first."""
    scores = np.asarray(scores, dtype=np.float64)
    if tiebreak is None:
        return np.argsort(-scores, kind="stable")
    # lexsort: last key is the primary one; it is stable, so equal keys keep index order
    return np.lexsort((-np.asarray(tiebreak, dtype=np.float64), -scores))
