"""MAPLE's supervised neighbourhood as Numba kernels.

The weight of training row ``r`` for a query ``x`` is ``sum_t [leaf_t(r) == leaf_t(x)] /
|leaf_t(x)|`` where ``|leaf|`` counts the training rows in that leaf (Plumb et al., 2018, eq. 2).

The index from leaf to training rows (CSR over the forest's global node ids) is built once at
fit time: memory O(n_train x n_trees). A query's weights are accumulated into a scratch vector
of length n_train that is reset row by row, one scratch per chunk of queries, so nothing of size
n_query x n_train is ever held in memory.
"""

import numpy as np
from numba import get_num_threads, njit, prange

from .._jit import internal


@njit(cache=True, nogil=True)
def build_leaf_index(train_leaves, n_nodes):
    """CSR index from global leaf id to the training rows in that leaf.

    Parameters
    ----------
    train_leaves : int64 (n_train, n_trees)
        Global leaf ids of the training rows.
    n_nodes : int
        Total node count of the packed forest.

    Returns
    -------
    leaf_ptr : int64 (n_nodes + 1,)
    leaf_rows : int64 (n_train * n_trees,)
        ``leaf_rows[leaf_ptr[g]:leaf_ptr[g + 1]]`` are the rows in leaf ``g``, ascending.
    """
    n, n_trees = train_leaves.shape
    leaf_ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    for i in range(n):
        for t in range(n_trees):
            leaf_ptr[train_leaves[i, t] + 1] += 1
    for g in range(n_nodes):
        leaf_ptr[g + 1] += leaf_ptr[g]
    fill = leaf_ptr[:-1].copy()
    leaf_rows = np.empty(n * n_trees, dtype=np.int64)
    for i in range(n):
        for t in range(n_trees):
            g = train_leaves[i, t]
            leaf_rows[fill[g]] = i
            fill[g] += 1
    return leaf_ptr, leaf_rows


@internal
@njit(cache=True, nogil=True)
def accumulate_weights(query_leaves, leaf_ptr, leaf_rows, scratch, touched):
    """Add one query's neighbourhood weights into ``scratch``; return how many rows it touched.

    ``touched[:n]`` lists the rows with non-zero weight in first-touch order. The caller must
    reset ``scratch[touched[:n]]`` to zero before the next query.
    """
    n_touched = 0
    for t in range(query_leaves.shape[0]):
        g = query_leaves[t]
        start = leaf_ptr[g]
        stop = leaf_ptr[g + 1]
        if stop == start:
            continue
        inv = 1.0 / (stop - start)
        for p in range(start, stop):
            r = leaf_rows[p]
            if scratch[r] == 0.0:
                touched[n_touched] = r
                n_touched += 1
            scratch[r] += inv
    return n_touched


def chunk_bounds(n):
    """Split ``range(n)`` into about four chunks per thread (each chunk owns one scratch)."""
    n_chunks = max(1, min(n, 4 * get_num_threads()))
    return np.linspace(0, n, n_chunks + 1).astype(np.int64)


@njit(cache=True, parallel=True, nogil=True)
def weight_counts_kernel(query_leaves, leaf_ptr, leaf_rows, n_train, bounds):
    """Number of training rows with non-zero weight for each query."""
    n_q = query_leaves.shape[0]
    counts = np.zeros(n_q, dtype=np.int64)
    for c in prange(bounds.shape[0] - 1):
        scratch = np.zeros(n_train)
        touched = np.empty(n_train, dtype=np.int64)
        for q in range(bounds[c], bounds[c + 1]):
            nt = accumulate_weights(query_leaves[q], leaf_ptr, leaf_rows, scratch, touched)
            counts[q] = nt
            for j in range(nt):
                scratch[touched[j]] = 0.0
    return counts


@njit(cache=True, parallel=True, nogil=True)
def weights_csr_kernel(query_leaves, leaf_ptr, leaf_rows, n_train, bounds, indptr):
    """Fill a CSR matrix (rows: queries, columns: training rows, sorted) of the weights."""
    indices = np.empty(indptr[-1], dtype=np.int64)
    data = np.empty(indptr[-1], dtype=np.float64)
    for c in prange(bounds.shape[0] - 1):
        scratch = np.zeros(n_train)
        touched = np.empty(n_train, dtype=np.int64)
        for q in range(bounds[c], bounds[c + 1]):
            nt = accumulate_weights(query_leaves[q], leaf_ptr, leaf_rows, scratch, touched)
            rows = np.sort(touched[:nt])
            s = indptr[q]
            for j in range(nt):
                indices[s + j] = rows[j]
                data[s + j] = scratch[rows[j]]
            for j in range(nt):
                scratch[touched[j]] = 0.0
    return indices, data


@njit(cache=True, parallel=True, nogil=True)
def top_neighbors_kernel(query_leaves, leaf_ptr, leaf_rows, n_train, bounds, k):
    """The ``k`` training rows of largest weight for each query (ties: lower row first).

    Returns rows (int64, -1 padded) and weights (0 padded), both (n_query, k), by
    decreasing weight.
    """
    n_q = query_leaves.shape[0]
    out_rows = np.full((n_q, k), -1, dtype=np.int64)
    out_w = np.zeros((n_q, k))
    for c in prange(bounds.shape[0] - 1):
        scratch = np.zeros(n_train)
        touched = np.empty(n_train, dtype=np.int64)
        for q in range(bounds[c], bounds[c + 1]):
            nt = accumulate_weights(query_leaves[q], leaf_ptr, leaf_rows, scratch, touched)
            rows = np.sort(touched[:nt])
            w = np.empty(nt)
            for j in range(nt):
                w[j] = -scratch[rows[j]]
            order = np.argsort(w, kind="mergesort")  # stable: ties keep row order
            m = min(k, nt)
            for j in range(m):
                out_rows[q, j] = rows[order[j]]
                out_w[q, j] = -w[order[j]]
            for j in range(nt):
                scratch[touched[j]] = 0.0
    return out_rows, out_w


@njit(cache=True, parallel=True, nogil=True)
def local_distribution_kernel(
    query_leaves, leaf_ptr, leaf_rows, n_train, bounds, values, quantiles
):
    """Weighted mean, standard deviation and quantiles of ``values`` (one training column)
    under each query's neighbourhood weights.

    Returns mean (n_q,), std (n_q,), q (n_q, len(quantiles)). A weighted quantile is the
    smallest value whose cumulative normalised weight reaches the level.
    """
    n_q = query_leaves.shape[0]
    nlev = quantiles.shape[0]
    mean = np.empty(n_q)
    std = np.empty(n_q)
    qs = np.empty((n_q, nlev))
    for c in prange(bounds.shape[0] - 1):
        scratch = np.zeros(n_train)
        touched = np.empty(n_train, dtype=np.int64)
        for q in range(bounds[c], bounds[c + 1]):
            nt = accumulate_weights(query_leaves[q], leaf_ptr, leaf_rows, scratch, touched)
            v = np.empty(nt)
            w = np.empty(nt)
            total = 0.0
            s1 = 0.0
            for j in range(nt):
                v[j] = values[touched[j]]
                w[j] = scratch[touched[j]]
                total += w[j]
                s1 += w[j] * v[j]
            mu = s1 / total
            s2 = 0.0
            for j in range(nt):
                s2 += w[j] * (v[j] - mu) ** 2
            mean[q] = mu
            std[q] = np.sqrt(s2 / total)
            order = np.argsort(v)
            cum = 0.0
            lev = 0
            for j in range(nt):
                cum += w[order[j]] / total
                while lev < nlev and cum >= quantiles[lev] - 1e-12:
                    qs[q, lev] = v[order[j]]
                    lev += 1
            while lev < nlev:
                qs[q, lev] = v[order[nt - 1]]
                lev += 1
            for j in range(nt):
                scratch[touched[j]] = 0.0
    return mean, std, qs
