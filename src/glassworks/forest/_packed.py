"""A list of flat trees packed into one set of node arrays, and the kernel that walks it.

Walking 200 small trees one kernel call at a time costs more in call overhead than in work;
packing them (child indices made global, one root offset per tree) lets a single parallel
kernel find every row's leaf in every tree.
"""

from contextlib import contextmanager

import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

from ..tree.predictor import leaf_from


def pack_trees(trees):
    """Concatenate the node arrays of ``trees`` (a list of :class:`glassworks.tree._tree.Tree`).

    Returns
    -------
    dict with keys ``children_left``, ``children_right`` (global node indices, -1 at a
    leaf), ``feature``, ``threshold``, ``missing_go_to_left`` and ``node_offset`` (int64 of
    shape (n_trees + 1,), tree ``t`` owns global nodes ``node_offset[t]:node_offset[t+1]``).
    """
    counts = np.array([t.node_count for t in trees], dtype=np.int64)
    node_offset = np.zeros(len(trees) + 1, dtype=np.int64)
    np.cumsum(counts, out=node_offset[1:])
    left = np.concatenate([t.children_left for t in trees])
    right = np.concatenate([t.children_right for t in trees])
    shift = np.repeat(node_offset[:-1], counts)
    is_split = left != -1
    left = np.where(is_split, left + shift, -1)
    right = np.where(is_split, right + shift, -1)
    return {
        "children_left": np.ascontiguousarray(left, dtype=np.int64),
        "children_right": np.ascontiguousarray(right, dtype=np.int64),
        "feature": np.ascontiguousarray(np.concatenate([t.feature for t in trees])),
        "threshold": np.ascontiguousarray(np.concatenate([t.threshold for t in trees])),
        "missing_go_to_left": np.ascontiguousarray(
            np.concatenate([t.missing_go_to_left for t in trees])
        ),
        "node_offset": node_offset,
        "value": np.ascontiguousarray(np.concatenate([t.value2d for t in trees])),
        "nodes": _interleave(left, right, np.concatenate([t.feature for t in trees]),
                             np.concatenate([t.threshold for t in trees]),
                             np.concatenate([t.missing_go_to_left for t in trees])),
    }


def _interleave(left, right, feature, threshold, missing):
    """One row of 4 int64 per node: left, right, feature | missing-left << 32, threshold bits.

    A walk step then reads one cache line instead of five arrays: on forests of millions of
    nodes (deep trees on large data) the separate arrays make prediction memory-bound.
    """
    nodes = np.empty((left.shape[0], 4), dtype=np.int64)
    nodes[:, 0] = left
    nodes[:, 1] = right
    nodes[:, 2] = np.where(feature >= 0, feature, 0) | (missing.astype(np.int64) << 32)
    nodes[:, 3] = np.ascontiguousarray(threshold, dtype=np.float64).view(np.int64)
    return nodes


def packed_walk_args(packed):
    return (
        packed["children_left"],
        packed["children_right"],
        packed["feature"],
        packed["threshold"],
        packed["missing_go_to_left"],
        packed["node_offset"],
    )


@njit(cache=True, parallel=True, nogil=True)
def apply_packed_kernel(
    children_left, children_right, feature, threshold, missing_go_to_left, node_offset, X
):
    """Global leaf index of every row of X in every tree; int64 of shape (n_samples, n_trees).

    Subtract ``node_offset[t]`` from column ``t`` for the tree-local index.
    """
    n = X.shape[0]
    n_trees = node_offset.shape[0] - 1
    out = np.empty((n, n_trees), dtype=np.int64)
    for i in prange(n):
        for t in range(n_trees):
            node = leaf_from(children_left, children_right, feature, threshold,
                             missing_go_to_left, X[i], node_offset[t])
            out[i, t] = node
    return out


@njit(cache=True, parallel=True, nogil=True)
def predict_packed_kernel(nodes, thresholds, node_offset, value, tree_weight, X):
    """Weighted sum over trees of the leaf values; (n_samples, n_outputs).

    ``nodes`` is the interleaved (n_nodes, 4) int64 layout of :func:`pack_trees` and
    ``thresholds`` its float64 view; ``value`` is (n_nodes, n_outputs); ``tree_weight``
    (n_trees,), e.g. ``1 / n_trees``.
    """
    n = X.shape[0]
    n_trees = node_offset.shape[0] - 1
    k = value.shape[1]
    out = np.zeros((n, k))
    # blocks of rows, tree by tree within a block: one tree's nodes stay in cache while the
    # block walks it (per row, trees are still summed in order: the same result)
    block = 256
    n_blocks = (n + block - 1) // block
    for b in prange(n_blocks):
        start = b * block
        stop = min(n, start + block)
        for t in range(n_trees):
            w = tree_weight[t]
            root = node_offset[t]
            for i in range(start, stop):
                node = root
                while nodes[node, 0] != -1:
                    packed = nodes[node, 2]
                    v = X[i, packed & 0xFFFFFFFF]
                    if np.isnan(v):
                        go_left = (packed >> 32) != 0
                    else:
                        go_left = v <= thresholds[node, 3]
                    node = nodes[node, 0] if go_left else nodes[node, 1]
                for o in range(k):
                    out[i, o] += w * value[node, o]
    return out


@njit(cache=True, parallel=True, nogil=True)
def oob_kernel(
    children_left, children_right, feature, threshold, missing_go_to_left, node_offset,
    value, inbag, X
):
    """Sum of the leaf values of the trees that did not see each row (``inbag[t, i] == 0``),
    and how many such trees; returns (sums (n, n_outputs), counts (n,))."""
    n = X.shape[0]
    n_trees = node_offset.shape[0] - 1
    k = value.shape[1]
    sums = np.zeros((n, k))
    counts = np.zeros(n, dtype=np.int64)
    for i in prange(n):
        for t in range(n_trees):
            if inbag[t, i] != 0:
                continue
            node = leaf_from(children_left, children_right, feature, threshold,
                             missing_go_to_left, X[i], node_offset[t])
            counts[i] += 1
            for o in range(k):
                sums[i, o] += value[node, o]
    return sums, counts


#: below this much work (roughly, inner-loop steps) a parallel kernel runs on the calling
#: thread alone: waking the pool costs more than it saves, and far more on a busy machine
PARALLEL_WORK = 2_000_000


@contextmanager
def threads_for(work):
    """Run the enclosed Numba kernels on one thread when ``work`` is small.

    ``numba.set_num_threads`` is thread-local, so this neither affects other threads nor
    changes any result (each kernel's output is independent of the thread count).
    """
    if work >= PARALLEL_WORK:
        yield
        return
    previous = get_num_threads()
    set_num_threads(1)
    try:
        yield
    finally:
        set_num_threads(previous)
