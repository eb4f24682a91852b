"""Grow a run of a forest's trees in one Numba call, straight into flat node arrays.

A forest on a few hundred rows (MAPLE grows them by the hundred) spends about as long per tree
in Python (argument conversion, a :class:`~glassworks.tree._tree.Tree` and its checks, packing)
as in growing it. This kernel calls the grower's own kernels (:func:`_grow_kernel`,
:func:`_grow_subtrees`, :func:`_finish`, the same calls :func:`~glassworks.tree.grower.grow_tree`
makes, so the trees are the same) for trees ``t0 .. t1 - 1`` and returns their node arrays
concatenated, plus the packed walk rows (:mod:`._packed`): nothing per tree reaches Python.
The forest builds ``Tree`` objects (views of the flat arrays) only when they are asked for.

The grower's kernels run serially here (``parallel=False``): the forest uses this path only
where the grower would not have run anything in parallel (see ``_classes``).
"""

import numpy as np
from numba import njit

from ..tree.grower import _finish, _grow_kernel, _grow_subtrees
from ._packed import _pack_kernel


@njit(cache=True, nogil=True)
def grow_forest_kernel(Xb, y, sw, inbag, seeds, t0, t1, n_classes, criterion, n_bins,
                       missing_bin, max_depth, min_samples_split, min_samples_leaf,
                       min_weight_leaf, min_impurity_decrease, max_leaf_nodes, max_features,
                       values, edges, is_exact, parallel):
    """Trees ``t0 .. t1 - 1`` of a forest, concatenated.

    ``inbag`` (n_trees, n) int32 are the bootstrap counts (each tree's weights are
    ``sw * inbag[t]``), ``seeds`` (n_trees,) int64 the trees' seeds, ``min_weight_leaf``
    (n_trees,) float64 each tree's minimum leaf weight; the other arguments are
    :func:`~glassworks.tree.grower.grow_tree`'s, already resolved as it resolves them;
    ``parallel`` must be False (an argument, not a literal: a literal would compile the
    grower's kernels once more).

    Returns
    -------
    left, right, feature, threshold, missing_left, value, n_samples, wn, impurity
        The trees' node arrays, concatenated (child indices local to each tree).
    counts : int64 (t1 - t0,)
        Nodes per tree.
    nodes : int64 (n_nodes, 4)
        The packed walk rows (``_packed._pack_kernel`` of the concatenated arrays).
    """
    n = Xb.shape[0]
    best_first = max_leaf_nodes > 0
    w = np.empty(n, dtype=np.float64)
    grown = []
    for t in range(t0, t1):
        for i in range(n):
            w[i] = sw[i] * inbag[t, i]
        ri, rf, rt, rl, n_rec, roots, offsets, idx, srt, sbin, gpw, pw, side, w_total = (
            _grow_kernel(Xb, y, w, n_classes, criterion, n_bins, missing_bin, max_depth,
                         min_samples_split, min_samples_leaf, min_weight_leaf[t],
                         min_impurity_decrease, max_leaf_nodes, max_features, seeds[t], parallel)
        )
        if roots.shape[0] > 0:
            _grow_subtrees(roots, offsets, ri, rf, rt, rl, Xb, idx, srt, sbin, gpw, pw, side,
                           missing_bin, n_classes, criterion, max_depth, min_samples_split,
                           min_samples_leaf, min_weight_leaf[t], min_impurity_decrease, w_total)
        grown.append(_finish(ri, rf, rt, n_rec, best_first, n_classes, values, edges, is_exact))

    n_trees = t1 - t0
    counts = np.empty(n_trees, dtype=np.int64)
    total = 0
    for k in range(n_trees):
        counts[k] = grown[k][0].shape[0]
        total += counts[k]
    n_out = grown[0][5].shape[1]
    left = np.empty(total, dtype=np.int64)
    right = np.empty(total, dtype=np.int64)
    feature = np.empty(total, dtype=np.int64)
    threshold = np.empty(total, dtype=np.float64)
    missing_left = np.empty(total, dtype=np.uint8)
    value = np.empty((total, n_out), dtype=np.float64)
    n_samples = np.empty(total, dtype=np.int64)
    wn = np.empty(total, dtype=np.float64)
    impurity = np.empty(total, dtype=np.float64)
    # element loops, not slice assignments: each slice assignment compiles numba's
    # shape-mismatch error path (string formatting), seconds of first-call compile
    at = 0
    for k in range(n_trees):
        g = grown[k]
        g_value = g[5]
        for i in range(counts[k]):
            left[at] = g[0][i]
            right[at] = g[1][i]
            feature[at] = g[2][i]
            threshold[at] = g[3][i]
            missing_left[at] = g[4][i]
            for o in range(n_out):
                value[at, o] = g_value[i, o]
            n_samples[at] = g[6][i]
            wn[at] = g[7][i]
            impurity[at] = g[8][i]
            at += 1
    nodes = _pack_kernel(left, right, feature, threshold, missing_left)
    return (left, right, feature, threshold, missing_left, value, n_samples, wn, impurity,
            counts, nodes)
