"""A list of flat trees packed into one node array, and the kernels that walk it.

Walking 200 small trees one kernel call at a time costs more in call overhead than in work;
packing them (one root offset per tree) lets a single parallel kernel find every row's leaf in
every tree.

Layout: one row of four int64 per node, ``left, right, feature | missing-left << 32,
threshold bits`` (the threshold is read through a float64 view of the same array); child
indices are local to their tree (each tree is packed on its own, by the thread that grew it)
and the walk adds the tree's root offset. A walk step reads one cache line, and
``nodes[node, go_right]`` picks the child by index rather than by a branch on the
(unpredictable) direction.

The walks are latency-bound on deep trees (each step waits for the node it needs), so rows are
walked four at a time, interleaved: the four independent chains of loads overlap. Rows are cut
into one large block per thread, walked tree by tree, so a tree's nodes are reused from cache
by the whole block before the next tree; per row the trees are still summed in order, so the
result does not depend on the number of threads.
"""

from contextlib import contextmanager

import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

from .._jit import internal
from .._parallel import with_serial_twin
from ..tree.predictor import category_goes_left

#: rows walked together (interleaved) through one tree
_GROUP = 4
#: rows of a block: large enough to reuse a tree from cache, small enough to keep the block's
#: rows of X and its accumulators in cache while it passes through every tree
_MAX_BLOCK = 16384


_FIELDS = (
    ("children_left", np.int64),
    ("children_right", np.int64),
    ("feature", np.int64),
    ("threshold", np.float64),
    ("missing_go_to_left", np.uint8),
)
#: a forest packs a tree of at least this many nodes in the thread that grew it
PACK_IN_THREAD = 4096


def pack_tree(tree):
    """One tree's node rows (int64 (n_nodes, 4), child indices local to the tree).

    A forest packs each large tree in the thread that grew it; :func:`pack_trees` joins them.
    """
    return _pack_kernel(*(
        np.ascontiguousarray(getattr(tree, name), dtype=dtype) for name, dtype in _FIELDS
    ))


def pack_trees(trees, packed=None):
    """Join ``trees`` (a list of :class:`glassworks.tree._tree.Tree`) into one node array.

    Parameters
    ----------
    trees : list of Tree
    packed : list of (ndarray or None), optional
        :func:`pack_tree` of each tree when already computed (None: packed here).

    Returns
    -------
    dict with keys ``nodes`` (int64 (n_nodes, 4): left and right child, -1 at a leaf, as
    indices local to the node's tree; ``feature | missing_go_to_left << 32``; the threshold's
    float64 bits), ``value`` ((n_nodes, n_outputs)), ``node_offset`` (int64 (n_trees + 1,):
    tree ``t`` owns global nodes ``node_offset[t]:node_offset[t+1]``, its root first; the
    kernels add it to the local child indices) and ``n_nodes``.
    """
    counts = np.array([t.node_count for t in trees], dtype=np.int64)
    node_offset = np.zeros(len(trees) + 1, dtype=np.int64)
    np.cumsum(counts, out=node_offset[1:])
    if packed is None or all(p is None for p in packed):
        # one kernel call over all the trees (local indices need no shift): for hundreds of
        # small trees a call per tree would cost more than the packing
        nodes = _pack_kernel(*(
            np.concatenate([getattr(t, name) for t in trees]).astype(dtype, copy=False)
            for name, dtype in _FIELDS
        ))
    else:
        nodes = np.concatenate(
            [pack_tree(t) if p is None else p for t, p in zip(trees, packed)]
        )
    out = {
        "nodes": nodes,
        "node_offset": node_offset,
        "value": np.ascontiguousarray(np.concatenate([t.value2d for t in trees])),
        "n_nodes": int(node_offset[-1]),
    }
    cat_split, cat_bitset = packed_categorical(trees)
    if cat_split is not None:
        out["cat_split"] = cat_split
        out["cat_bitset"] = cat_bitset
    return out


@njit(cache=True, nogil=True)
def _pack_kernel(left, right, feature, threshold, missing):
    n = left.shape[0]
    nodes = np.empty((n, 4), dtype=np.int64)
    thr = nodes.view(np.float64)
    for j in range(n):
        if left[j] == -1:
            nodes[j, 0] = -1
            nodes[j, 1] = -1
            nodes[j, 2] = 0
        else:
            nodes[j, 0] = left[j]
            nodes[j, 1] = right[j]
            nodes[j, 2] = max(feature[j], 0) | (np.int64(missing[j] != 0) << 32)
        thr[j, 3] = threshold[j]
    return nodes


def packed_walk_args(packed):
    """The arguments every packed kernel starts with: nodes, their float64 view (thresholds;
    a view taken here, not stored, so a pickled forest holds the nodes once), node_offset,
    and the categorical splits ``cat_split`` (global row of ``cat_bitset`` per global node,
    -1 elsewhere) and ``cat_bitset`` (see :mod:`glassworks.tree._tree`), both None for a
    forest without categorical splits (Numba prunes the test: the numeric walk is compiled
    as before, a categorical forest gets its own specialisation)."""
    nodes = packed["nodes"]
    return (nodes, nodes.view(np.float64), packed["node_offset"], packed.get("cat_split"),
            packed.get("cat_bitset"))


def packed_categorical(trees):
    """``(cat_split, cat_bitset)`` of a list of trees concatenated (global bitset rows, one
    common width), or ``(None, None)`` when no tree has a categorical split."""
    if not any(t.has_categorical for t in trees):
        return None, None
    width = max(t.cat_bitset.shape[1] for t in trees if t.has_categorical)
    splits, rows, base = [], [], 0
    for t in trees:
        if not t.has_categorical:
            splits.append(np.full(t.node_count, -1, dtype=np.int64))
            continue
        cs = t.cat_split
        splits.append(np.where(cs >= 0, cs + base, -1))
        b = np.zeros((t.cat_bitset.shape[0], width), dtype=np.uint64)
        b[:, : t.cat_bitset.shape[1]] = t.cat_bitset
        # a code past a narrower tree's width takes its NaN side: the padding says so
        pad = t.missing_go_to_left[cs >= 0][np.argsort(cs[cs >= 0])] != 0
        b[pad, t.cat_bitset.shape[1]:] = np.uint64(0xFFFFFFFFFFFFFFFF)
        rows.append(b)
        base += b.shape[0]
    return (np.ascontiguousarray(np.concatenate(splits)),
            np.ascontiguousarray(np.concatenate(rows)))


@internal
@njit(cache=True, nogil=True)
def _walk_group(nodes, thresholds, root, X, g0, m, cur, cat_split, cat_bitset):
    """Leaves of rows ``g0 .. g0 + m - 1`` (m <= _GROUP) in the tree at ``root``, into ``cur``.

    The rows advance in lock-step, one level per sweep, so their loads overlap; a row at its
    leaf stays there.
    """
    for j in range(_GROUP):
        cur[j] = root
    active = True
    while active:
        active = False
        for j in range(_GROUP):
            node = cur[j]
            if nodes[node, 0] != -1 and j < m:
                packed = nodes[node, 2]
                v = X[g0 + j, packed & 0xFFFFFFFF]
                go_right = not (v <= thresholds[node, 3])
                if np.isnan(v):
                    go_right = (packed >> 32) == 0
                if cat_split is not None:
                    c = cat_split[node]
                    if c >= 0:
                        go_right = not category_goes_left(cat_bitset[c], v, (packed >> 32) != 0)
                cur[j] = root + nodes[node, np.int64(go_right)]
                active = True


@internal
@njit(cache=True, nogil=True)
def _leaf_packed(nodes, thresholds, root, x, cat_split, cat_bitset):
    node = root
    while nodes[node, 0] != -1:
        packed = nodes[node, 2]
        v = x[packed & 0xFFFFFFFF]
        go_right = not (v <= thresholds[node, 3])
        if np.isnan(v):
            go_right = (packed >> 32) == 0
        if cat_split is not None:
            c = cat_split[node]
            if c >= 0:
                go_right = not category_goes_left(cat_bitset[c], v, (packed >> 32) != 0)
        node = root + nodes[node, np.int64(go_right)]
    return node


def block_rows(n):
    """Rows per block for the packed kernels: one block per Numba thread (a tree is reused by
    as many rows as possible), capped. Results do not depend on it."""
    threads = get_num_threads()
    return max(_GROUP, min(-(-n // threads), _MAX_BLOCK))


@with_serial_twin
@njit(cache=True, parallel=True, nogil=True)
def apply_packed_kernel(nodes, thresholds, node_offset, cat_split, cat_bitset, X, block):
    """Global leaf index of every row of X in every tree; int64 of shape (n_samples, n_trees).

    Subtract ``node_offset[t]`` from column ``t`` for the tree-local index. ``block``: rows
    per parallel task (:func:`block_rows`).
    """
    n = X.shape[0]
    n_trees = node_offset.shape[0] - 1
    out = np.empty((n, n_trees), dtype=np.int64)
    n_blocks = (n + block - 1) // block
    for b in prange(n_blocks):
        start = b * block
        stop = min(n, start + block)
        cur = np.empty(_GROUP, dtype=np.int64)
        for t in range(n_trees):
            root = node_offset[t]
            for g0 in range(start, stop, _GROUP):
                m = min(_GROUP, stop - g0)
                _walk_group(nodes, thresholds, root, X, g0, m, cur, cat_split, cat_bitset)
                for j in range(m):
                    out[g0 + j, t] = cur[j]
    return out


@with_serial_twin
@njit(cache=True, parallel=True, nogil=True)
def predict_packed_kernel(nodes, thresholds, node_offset, cat_split, cat_bitset, value,
                          tree_weight, X, block):
    """Weighted sum over trees of the leaf values; (n_samples, n_outputs).

    ``value`` is (n_nodes, n_outputs); ``tree_weight`` (n_trees,), e.g. ``1 / n_trees``;
    ``block`` rows per parallel task (:func:`block_rows`).
    """
    n = X.shape[0]
    n_trees = node_offset.shape[0] - 1
    k = value.shape[1]
    out = np.zeros((n, k))
    n_blocks = (n + block - 1) // block
    for b in prange(n_blocks):
        start = b * block
        stop = min(n, start + block)
        cur = np.empty(_GROUP, dtype=np.int64)
        for t in range(n_trees):
            w = tree_weight[t]
            root = node_offset[t]
            for g0 in range(start, stop, _GROUP):
                m = min(_GROUP, stop - g0)
                _walk_group(nodes, thresholds, root, X, g0, m, cur, cat_split, cat_bitset)
                for j in range(m):
                    node = cur[j]
                    for o in range(k):
                        out[g0 + j, o] += w * value[node, o]
    return out


@with_serial_twin
@njit(cache=True, parallel=True, nogil=True)
def oob_kernel(nodes, thresholds, node_offset, cat_split, cat_bitset, value, inbag, X):
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
            node = _leaf_packed(nodes, thresholds, node_offset[t], X[i], cat_split, cat_bitset)
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
