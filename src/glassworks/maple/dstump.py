"""DStump feature ranking (Kazemitabar et al., 2017), as MAPLE uses it.

Each tree's root split is a decision stump chosen on a bootstrap sample and a random subset of
features; a feature's score is the impurity reduction of the root splits on it, summed over the
trees. The original MAPLE code sums the root's impurity instead (``"root_impurity"``), which
favours the same features on a regression forest (the root impurity is nearly the same in every
tree) but is not what the paper describes; both are offered.
"""

import numpy as np

RANKINGS = ("impurity_reduction", "root_impurity")


def dstump_scores(trees, n_features, method="impurity_reduction"):
    """Per-feature DStump scores from the root splits of ``trees``.

    Parameters
    ----------
    trees : list of :class:`glassworks.tree._tree.Tree`
    n_features : int
    method : {"impurity_reduction", "root_impurity"}

    Returns
    -------
    ndarray of shape (n_features,)
    """
    if method not in RANKINGS:
        raise ValueError(f"feature_ranking must be one of {RANKINGS}, got {method!r}.")
    scores = np.zeros(n_features)
    for tree in trees:
        left = tree.children_left[0]
        if left == -1:
            continue
        right = tree.children_right[0]
        imp = tree.impurity
        if method == "root_impurity":
            gain = imp[0]
        else:
            w = tree.weighted_n_node_samples
            gain = imp[0] - (w[left] * imp[left] + w[right] * imp[right]) / w[0]
        scores[tree.feature[0]] += gain
    return scores


def impurity_importance(trees, n_features):
    """Total weighted impurity decrease of every split on each feature, over all the trees.

    Breaks DStump's ties: a forest with a few dominant features puts only those at its roots,
    leaving every other feature with a DStump score of 0; their order (and so which of them a
    model keeping ``k`` features gets) then follows how much they do further down the trees
    instead of their column index.
    """
    total = np.zeros(n_features)
    if not trees:
        return total
    # all trees at once (one pass over concatenated node arrays, not a loop of small ones)
    counts = np.array([t.node_count for t in trees], dtype=np.int64)
    offset = np.repeat(np.cumsum(counts) - counts, counts)
    left = np.concatenate([t.children_left for t in trees])
    right = np.concatenate([t.children_right for t in trees])
    feature = np.concatenate([t.feature for t in trees])
    w = np.concatenate([t.weighted_n_node_samples for t in trees])
    imp = np.concatenate([t.impurity for t in trees])
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
