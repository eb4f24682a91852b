"""Grow a run of a forest's trees straight into flat node arrays.

A forest on a few hundred rows (MAPLE grows them by the hundred) would spend about as long
per tree in Python (argument conversion, boxing, a :class:`~glassworks.tree._tree.Tree` and
its checks, packing) as in growing it. :func:`grow_forest_run` makes one call of the grower's
kernel for a run of trees (:func:`~glassworks.tree.grower._grow_kernel` with ``finish=True``:
the same growth :func:`~glassworks.tree.grower.grow_tree` runs, so the trees are the same) and
returns their node arrays concatenated, plus the packed walk rows (:mod:`._packed`): no
``Tree`` is built per tree. The forest builds ``Tree`` objects (views of the flat arrays)
only when they are asked for.

The loop over trees is inside the grower's own kernel rather than in a new Numba function
calling it: a cached function that calls the grower (whose histogram and split searches are
``parallel=True`` kernels) crashes when it is loaded from the cache in a later process if the
grower itself was compiled in an earlier one (numba/numba#8578, #4807).

The grower's serial variant runs here (``_grow_kernel_serial``, which names no parallel
kernel, so none is compiled): the forest uses this path only where the grower would not have
run anything in parallel (see ``_classes``).
"""

from ..tree.grower import _grow_kernel_serial
from ._packed import _pack_kernel


def grow_forest_run(Xb, y, sw, inbag, seeds, t0, t1, n_classes, criterion, n_bins,
                    missing_bin, max_depth, min_samples_split, min_samples_leaf,
                    min_weight_leaf, min_impurity_decrease, max_leaf_nodes, max_features,
                    values, edges, is_exact, parallel, is_cat=None):
    """Trees ``t0 .. t1 - 1`` of a forest, concatenated.

    ``inbag`` (n_trees, n) int32 are the bootstrap counts (each tree's weights are
    ``sw * inbag[t]``), ``seeds`` (n_trees,) int64 the trees' seeds, ``min_weight_leaf``
    (n_trees,) float64 each tree's minimum leaf weight; the other arguments are
    :func:`~glassworks.tree.grower.grow_tree`'s, already resolved as it resolves them;
    ``parallel`` must be False; ``is_cat`` the grower's (None: no categorical feature).

    Returns
    -------
    left, right, feature, threshold, missing_left, value, n_samples, wn, impurity
        The trees' node arrays, concatenated (child indices local to each tree).
    counts : int64 (t1 - t0,)
        Nodes per tree.
    nodes : int64 (n_nodes, 4)
        The packed walk rows (``_packed._pack_kernel`` of the concatenated arrays).
    bin_bits : uint64 (n_nodes, 4) or (0, 4)
        The left bins of each categorical split (empty when ``is_cat`` is None).
    """
    out = _grow_kernel_serial(Xb, y, sw, inbag, t0, t1, n_classes, criterion, n_bins,
                              missing_bin, max_depth, min_samples_split, min_samples_leaf,
                              min_weight_leaf, min_impurity_decrease, max_leaf_nodes,
                              max_features, seeds, parallel, True, values, edges, is_exact,
                              is_cat)
    cols = out[14:23]
    nodes = _pack_kernel(cols[0], cols[1], cols[2], cols[3], cols[4])
    return (*cols, out[23], nodes, out[25])
