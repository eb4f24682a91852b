"""Numba kernels that walk fitted flat trees: leaf lookup (apply) and decision paths.

A sample goes left at a split node when ``x[feature] <= threshold``; a missing value (NaN)
goes to the side stored in ``missing_go_to_left``. At a categorical split (``cat_split[node] >=
0``) it goes left when its category code is in the node's row of ``cat_bitset``
(:func:`category_goes_left`).

Every walking kernel of glassworks (here, TreeSHAP's, Saabas', the forest's packed walks) takes
``cat_split, cat_bitset`` last: None for a tree without categorical splits, which Numba prunes
(``if cat_split is not None``) before compiling, so the numeric walk is compiled and runs as
if the categorical test were not there; a tree with categorical splits gets its own
specialisation.
"""

import numpy as np
from numba import njit, prange

from .._jit import internal


@internal
@njit(cache=True, nogil=True)
def category_goes_left(bits, v, missing_left):
    """Whether the category code ``v`` is in the bitset ``bits`` (uint64 words); NaN, and a
    code the bitset does not cover (negative, not an integer, too large), take
    ``missing_left``."""
    if v >= 0.0 and v < bits.shape[0] * 64.0:
        c = np.int64(v)
        if c == v:
            return ((bits[c >> 6] >> np.uint64(c & 63)) & np.uint64(1)) != np.uint64(0)
    return missing_left


@internal
@njit(cache=True, nogil=True)
def leaf_from(children_left, children_right, feature, threshold, missing_go_to_left, x, root,
              cat_split, cat_bitset):
    """Leaf reached by the row ``x`` from node ``root`` (a forest packs its trees end to end,
    each tree starting at its own root)."""
    # the comparison first and NaN as a rare override, the child picked by a select rather
    # than a branch on the (unpredictable) direction: ~10% faster walks than testing NaN first
    node = root
    left = children_left[root]
    while left != -1:
        v = x[feature[node]]
        go_left = v <= threshold[node]
        if np.isnan(v):
            go_left = missing_go_to_left[node] != 0
        if cat_split is not None:
            k = cat_split[node]
            if k >= 0:
                go_left = category_goes_left(cat_bitset[k], v, missing_go_to_left[node] != 0)
        node = left if go_left else children_right[node]
        left = children_left[node]
    return node


@internal
@njit(cache=True, nogil=True)
def _leaf_of(children_left, children_right, feature, threshold, missing_go_to_left, x,
             cat_split, cat_bitset):
    return leaf_from(children_left, children_right, feature, threshold, missing_go_to_left, x, 0,
                     cat_split, cat_bitset)


#: rows walked together, interleaved, by :func:`apply_kernel`
_GROUP = 4
#: rows per parallel task of :func:`apply_kernel`
_BLOCK = 4096


@internal
@njit(cache=True, nogil=True)
def _children(children_left, children_right):
    """(n_nodes, 2) int64: left and right child side by side, so that a walk step picks
    ``children[node, go_right]`` by index (no branch on the unpredictable direction) from one
    cache line."""
    n = children_left.shape[0]
    children = np.empty((n, 2), dtype=np.int64)
    for j in range(n):
        children[j, 0] = children_left[j]
        children[j, 1] = children_right[j]
    return children


@internal
@njit(cache=True, nogil=True)
def _apply_rows(children, feature, threshold, missing_go_to_left, X, start, stop, out,
                cat_split, cat_bitset):
    """Leaves of rows ``start:stop`` into ``out``, four rows at a time.

    A walk is a chain of dependent loads (the next node depends on this one); four rows
    advancing in lock-step overlap their chains (about 2x faster than one row at a time on a
    depth-8 tree, 3x with the indexed child pick).
    """
    cur = np.zeros(_GROUP, dtype=np.int64)
    g0 = start
    while g0 + _GROUP <= stop:
        for j in range(_GROUP):
            cur[j] = 0
        active = True
        while active:
            active = False
            for j in range(_GROUP):
                node = cur[j]
                if children[node, 0] != -1:
                    v = X[g0 + j, feature[node]]
                    go_right = not (v <= threshold[node])
                    if np.isnan(v):
                        go_right = missing_go_to_left[node] == 0
                    if cat_split is not None:
                        k = cat_split[node]
                        if k >= 0:
                            go_right = not category_goes_left(cat_bitset[k], v,
                                                              missing_go_to_left[node] != 0)
                    cur[j] = children[node, np.int64(go_right)]
                    active = True
        for j in range(_GROUP):
            out[g0 + j] = cur[j]
        g0 += _GROUP
    for i in range(g0, stop):
        node = 0
        while children[node, 0] != -1:
            v = X[i, feature[node]]
            go_right = not (v <= threshold[node])
            if np.isnan(v):
                go_right = missing_go_to_left[node] == 0
            if cat_split is not None:
                k = cat_split[node]
                if k >= 0:
                    go_right = not category_goes_left(cat_bitset[k], v,
                                                      missing_go_to_left[node] != 0)
            node = children[node, np.int64(go_right)]
        out[i] = node


@njit(cache=True, nogil=True)
def apply_serial_kernel(children_left, children_right, feature, threshold, missing_go_to_left,
                        cat_split, cat_bitset, X):
    """:func:`apply_kernel` on the calling thread alone (for small inputs)."""
    n = X.shape[0]
    out = np.empty(n, dtype=np.int64)
    if 8 * n < children_left.shape[0]:
        # a few rows through a big tree: not worth laying the children side by side
        for i in range(n):
            out[i] = _leaf_of(
                children_left, children_right, feature, threshold, missing_go_to_left, X[i],
                cat_split, cat_bitset,
            )
        return out
    children = _children(children_left, children_right)
    _apply_rows(children, feature, threshold, missing_go_to_left, X, 0, n, out, cat_split,
                cat_bitset)
    return out


@njit(cache=True, parallel=True, nogil=True)
def apply_parallel_kernel(children_left, children_right, feature, threshold,
                          missing_go_to_left, cat_split, cat_bitset, X):
    """:func:`apply_kernel` over blocks of rows in parallel."""
    n = X.shape[0]
    out = np.empty(n, dtype=np.int64)
    children = _children(children_left, children_right)
    n_blocks = (n + _BLOCK - 1) // _BLOCK
    for b in prange(n_blocks):
        _apply_rows(children, feature, threshold, missing_go_to_left, X, b * _BLOCK,
                    min(n, (b + 1) * _BLOCK), out, cat_split, cat_bitset)
    return out


#: below this much work (rows x log2(nodes), about the walk's steps) the walk stays on the
#: calling thread: waking Numba's pool costs more than it saves, far more on a busy machine
#: (100k rows through a depth-8 tree take about 2 ms on one core)
PARALLEL_WORK = 2_000_000


def apply_kernel(children_left, children_right, feature, threshold, missing_go_to_left,
                 cat_split, cat_bitset, X):
    """Index of the leaf each row of X lands in; shape (n_samples,), int64.

    X is float64, C-contiguous; walked in parallel above :data:`PARALLEL_WORK`.
    ``cat_split``, ``cat_bitset``: the tree's categorical splits, or None.
    """
    work = X.shape[0] * max(1, int(children_left.shape[0]).bit_length())
    kernel = apply_parallel_kernel if work >= PARALLEL_WORK else apply_serial_kernel
    return kernel(children_left, children_right, feature, threshold, missing_go_to_left,
                  cat_split, cat_bitset, X)


@njit(cache=True, nogil=True)
def path_lengths_kernel(children_left, children_right, feature, threshold, missing_go_to_left,
                        cat_split, cat_bitset, X):
    """Number of nodes on each row's decision path (root and leaf included)."""
    n = X.shape[0]
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        node = 0
        count = 1
        while children_left[node] != -1:
            v = X[i, feature[node]]
            if np.isnan(v):
                go_left = missing_go_to_left[node] != 0
            else:
                go_left = v <= threshold[node]
            if cat_split is not None:
                c = cat_split[node]
                if c >= 0:
                    go_left = category_goes_left(cat_bitset[c], v, missing_go_to_left[node] != 0)
            node = children_left[node] if go_left else children_right[node]
            count += 1
        out[i] = count
    return out


@njit(cache=True, nogil=True)
def path_nodes_kernel(children_left, children_right, feature, threshold, missing_go_to_left,
                      cat_split, cat_bitset, X, indptr):
    """Nodes on each row's decision path, laid out CSR-style with ``indptr``."""
    n = X.shape[0]
    indices = np.empty(indptr[n], dtype=np.int64)
    for i in range(n):
        node = 0
        k = indptr[i]
        indices[k] = 0
        while children_left[node] != -1:
            v = X[i, feature[node]]
            if np.isnan(v):
                go_left = missing_go_to_left[node] != 0
            else:
                go_left = v <= threshold[node]
            if cat_split is not None:
                c = cat_split[node]
                if c >= 0:
                    go_left = category_goes_left(cat_bitset[c], v, missing_go_to_left[node] != 0)
            node = children_left[node] if go_left else children_right[node]
            k += 1
            indices[k] = node
    return indices
