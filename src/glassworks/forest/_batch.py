"""Grow a run of a forest's trees straight into flat node arrays.

A forest on a few hundred rows (MAPLE grows them by the hundred) spends about as long per tree
in Python (argument conversion, a :class:`~glassworks.tree._tree.Tree` and its checks, packing)
as in growing it. :func:`grow_forest_run` calls the grower's own kernels
(:func:`_grow_kernel`, :func:`_grow_subtrees`, :func:`_finish`, the same calls
:func:`~glassworks.tree.grower.grow_tree` makes, so the trees are the same) for trees
``t0 .. t1 - 1`` and returns their node arrays concatenated, plus the packed walk rows
(:mod:`._packed`): no ``Tree`` is built per tree. The forest builds ``Tree`` objects (views of
the flat arrays) only when they are asked for.

The loop over trees is Python, not a cached Numba function: a cached function that calls the
grower (whose histogram and split searches are ``parallel=True`` kernels) crashes when it is
loaded from the cache in a later process if the grower itself was compiled in an earlier one
(numba/numba#8578, #4807); and compiling the grower into a second function would double its
first-call compile time.

The grower's kernels run serially here (``parallel=False``): the forest uses this path only
where the grower would not have run anything in parallel (see ``_classes``).
"""

import numpy as np
from ..tree.grower import _finish, _grow_kernel, _grow_subtrees
from ._packed import _pack_kernel


def grow_forest_run(Xb, y, sw, inbag, seeds, t0, t1, n_classes, criterion, n_bins,
                       missing_bin, max_depth, min_samples_split, min_samples_leaf,
                       min_weight_leaf, min_impurity_decrease, max_leaf_nodes, max_features,
                       values, edges, is_exact, parallel):
    """Trees ``t0 .. t1 - 1`` of a forest, concatenated.

    ``inbag`` (n_trees, n) int32 are the bootstrap counts (each tree's weights are
    ``sw * inbag[t]``), ``seeds`` (n_trees,) int64 the trees' seeds, ``min_weight_leaf``
    (n_trees,) float64 each tree's minimum leaf weight; the other arguments are
    :func:`~glassworks.tree.grower.grow_tree`'s, already resolved as it resolves them;
    ``parallel`` must be False.

    Returns
    -------
    left, right, feature, threshold, missing_left, value, n_samples, wn, impurity
        The trees' node arrays, concatenated (child indices local to each tree).
    counts : int64 (t1 - t0,)
        Nodes per tree.
    nodes : int64 (n_nodes, 4)
        The packed walk rows (``_packed._pack_kernel`` of the concatenated arrays).
    """
    best_first = max_leaf_nodes > 0
    grown = []
    for t in range(t0, t1):
        w = sw * inbag[t]
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

    counts = np.array([g[0].shape[0] for g in grown], dtype=np.int64)
    cols = [np.concatenate([g[k] for g in grown]) for k in range(9)]
    nodes = _pack_kernel(cols[0], cols[1], cols[2], cols[3], cols[4])
    return (*cols, counts, nodes)
