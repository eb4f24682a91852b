"""Numba kernels that walk fitted flat trees: leaf lookup (apply) and decision paths.

A sample goes left at a split node when ``x[feature] <= threshold``; a missing value (NaN)
goes to the side stored in ``missing_go_to_left``.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def leaf_from(children_left, children_right, feature, threshold, missing_go_to_left, x, root):
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
        node = left if go_left else children_right[node]
        left = children_left[node]
    return node


@njit(cache=True, nogil=True)
def _leaf_of(children_left, children_right, feature, threshold, missing_go_to_left, x):
    return leaf_from(children_left, children_right, feature, threshold, missing_go_to_left, x, 0)


@njit(cache=True, parallel=True, nogil=True)
def apply_kernel(children_left, children_right, feature, threshold, missing_go_to_left, X):
    """Index of the leaf each row of X lands in; shape (n_samples,), int64."""
    n = X.shape[0]
    out = np.empty(n, dtype=np.int64)
    for i in prange(n):
        out[i] = _leaf_of(
            children_left, children_right, feature, threshold, missing_go_to_left, X[i]
        )
    return out


@njit(cache=True, nogil=True)
def path_lengths_kernel(children_left, children_right, feature, threshold, missing_go_to_left, X):
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
            node = children_left[node] if go_left else children_right[node]
            count += 1
        out[i] = count
    return out


@njit(cache=True, nogil=True)
def path_nodes_kernel(children_left, children_right, feature, threshold, missing_go_to_left, X, indptr):
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
            node = children_left[node] if go_left else children_right[node]
            k += 1
            indices[k] = node
    return indices
