"""Numba kernel: the thresholds of every numeric column in one call.

Per column (missing values and zero-weight rows ignored): the midpoints between consecutive
distinct values when there are at most ``n_cuts + 1`` of them (found with an early exit, so a
continuous column costs a few comparisons); otherwise just above ``n_cuts`` weighted quantiles,
chosen among the data values (inverted CDF), so that integer weights and repeated rows give the
same cuts; a cut is the midpoint between its value and the next distinct value up.

Also here: the per-column summary (missing values, categories present) and the kernel that
turns cuts and categories into the single conditions' arrays.
"""

import numpy as np
from numba import njit

from .._jit import internal


@njit(cache=True, nogil=True)
def few_distinct_cuts_kernel(Zt, w, n_cuts):
    """Per column of ``Zt`` (n_columns, n_samples): midpoints between its distinct values when
    it has at most ``n_cuts + 1`` (early exit otherwise). Returns (cuts padded with NaN,
    counts, needs_quantiles)."""
    c, n = Zt.shape
    limit = n_cuts + 1
    out = np.full((c, max(n_cuts, 1)), np.nan)
    counts = np.zeros(c, dtype=np.int64)
    needs = np.zeros(c, dtype=np.bool_)
    seen = np.empty(limit + 1)
    for r in range(c):
        n_seen = 0
        for i in range(n):
            v = Zt[r, i]
            if np.isnan(v) or w[i] <= 0.0:
                continue
            new = True
            for s in range(n_seen):
                if seen[s] == v:
                    new = False
                    break
            if new:
                seen[n_seen] = v
                n_seen += 1
                if n_seen > limit:
                    break
        if n_seen > limit:
            needs[r] = True
        elif n_seen >= 2:
            # insertion sort of the few distinct values (np.sort would link a quicksort in)
            for i in range(1, n_seen):
                v = seen[i]
                j = i
                while j > 0 and seen[j - 1] > v:
                    seen[j] = seen[j - 1]
                    j -= 1
                seen[j] = v
            for t in range(n_seen - 1):
                out[r, t] = seen[t] + (seen[t + 1] - seen[t]) / 2.0
            counts[r] = n_seen - 1
    return out, counts, needs


@internal
@njit(cache=True, nogil=True)
def _stats_from_sorted(xs, pos):
    """``xs[pos]`` of sorted ``xs`` and for each the smallest value of ``xs`` above it (inf
    if none)."""
    n = xs.shape[0]
    m = pos.shape[0]
    out = np.empty(m)
    above = np.full(m, np.inf)
    for q in range(m):
        out[q] = xs[pos[q]]
        t = np.searchsorted(xs, out[q], side="right")
        if t < n:
            above[q] = xs[t]
    return out, above


@internal
@njit(cache=True, nogil=True)
def _select_in_bucket(seg, r):
    """The value of rank ``r`` in ``seg`` (values sharing the top 16 bits of their order key):
    a histogram of the next 8 bits, then a sort of the few values in the wanted one."""
    sign = np.uint64(1) << np.uint64(63)
    keys = seg.view(np.uint64)
    h2 = np.zeros(256, dtype=np.int64)
    for i in range(seg.shape[0]):
        b = keys[i]
        b ^= (np.uint64(0) - (b >> np.uint64(63))) | sign
        h2[(b >> np.uint64(40)) & np.uint64(255)] += 1
    acc = 0
    sub = 0
    for t in range(256):
        if acc + h2[t] > r:
            sub = t
            break
        acc += h2[t]
    small = np.empty(h2[sub])
    f = 0
    for i in range(seg.shape[0]):
        b = keys[i]
        b ^= (np.uint64(0) - (b >> np.uint64(63))) | sign
        if ((b >> np.uint64(40)) & np.uint64(255)) == np.uint64(sub):
            small[f] = seg[i]
            f += 1
    small = np.sort(small)
    return small[r - acc]


@internal
@njit(cache=True, nogil=True)
def _order_stats(xv, pos, hist):
    """``np.partition(xv, pos)[pos]`` (no NaN in ``xv``), and for each the smallest value of
    ``xv`` above it (inf if none), in two passes: a histogram of the top
    16 bits of an order-preserving integer key finds each rank's bucket, and only the values
    in those buckets are sorted. ``hist``: scratch int64 (65536,)."""
    n = xv.shape[0]
    m = pos.shape[0]
    if n <= 8192:  # small: a plain sort beats clearing and scanning the 65536 buckets
        return _stats_from_sorted(np.sort(xv), pos)
    keys = xv.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    shift = np.uint64(48)
    for b in range(hist.shape[0]):  # a loop: a slice setitem compiles far more
        hist[b] = 0
    for i in range(n):
        b = keys[i]
        b ^= (np.uint64(0) - (b >> np.uint64(63))) | sign  # branchless: ~b if negative
        hist[b >> shift] += 1
    bucket = np.empty(m, dtype=np.int64)
    start = np.empty(m, dtype=np.int64)  # rank of the bucket's first value
    q = 0
    acc = 0
    for b in range(hist.shape[0]):
        nxt = acc + hist[b]
        while q < m and pos[q] < nxt:
            bucket[q] = b
            start[q] = acc
            q += 1
        acc = nxt
        if q == m:
            break
    # the values of the wanted buckets (at most m distinct), gathered bucket by bucket; a
    # slot table (int32) says which, and where, instead of three 65536-entry int64 arrays
    slot = np.zeros(hist.shape[0], dtype=np.int32)
    ub = np.empty(m, dtype=np.int64)
    nb = 0
    for q in range(m):
        if slot[bucket[q]] == 0:
            ub[nb] = bucket[q]
            nb += 1
            slot[bucket[q]] = nb
    boff = np.zeros(nb + 1, dtype=np.int64)
    for t in range(nb):
        boff[t + 1] = boff[t] + hist[ub[t]]
    cand = np.empty(boff[nb])
    fill = boff[:nb].copy()
    for i in range(n):
        b = keys[i]
        b ^= (np.uint64(0) - (b >> np.uint64(63))) | sign  # branchless: ~b if negative
        s = slot[b >> shift]
        if s != 0:
            cand[fill[s - 1]] = xv[i]
            fill[s - 1] += 1
    offset = np.zeros(m, dtype=np.int64)  # per quantile: where its bucket starts in cand
    for q in range(m):
        offset[q] = boff[slot[bucket[q]] - 1]
    out = np.empty(m)
    above = np.empty(m)
    # within its bucket (a few thousand values), each rank by a second histogram and the
    # value above it by one pass: sorting the buckets cost 0.6 ms per column at n = 80k
    for q in range(m):
        b = bucket[q]
        seg = cand[offset[q]: offset[q] + hist[b]]
        v = _select_in_bucket(seg, pos[q] - start[q])
        out[q] = v
        best = np.inf
        for i in range(seg.shape[0]):
            x = seg[i]
            best = min(best, x if x > v else np.inf)
        if best == np.inf:  # the bucket's largest value: the next one up is in a later bucket
            for i in range(n):
                x = xv[i]
                best = min(best, x if x > v else np.inf)
        above[q] = best
    return out, above


@internal
@njit(cache=True, nogil=True)
def _distinct_stats(stats, above):
    """Keep the first of each run of equal values of the sorted ``stats`` (and its
    ``above``) at the front; returns how many."""
    m = 1
    for q in range(1, stats.shape[0]):
        if stats[q] != stats[m - 1]:
            stats[m] = stats[q]
            above[m] = above[q]
            m += 1
    return m


@internal
@njit(cache=True, nogil=True)
def _top_to_below(stats, above, m, below):
    """The top value has nothing above it, so it cannot be a cut: cut below it instead
    (at ``below``, the next value down), unless that is already the previous cut."""
    if m >= 2 and stats[m - 2] == below:
        return m - 1
    top = stats[m - 1]
    stats[m - 1] = below
    above[m - 1] = top
    return m


@internal
@njit(cache=True, nogil=True)
def _write_cuts(out, counts, r, stats, above, m):
    # each cut is the midpoint between a quantile value and the next distinct value up
    for q in range(m):
        out[r, q] = stats[q] + (above[q] - stats[q]) / 2.0
    counts[r] = m


@njit(cache=True, nogil=True)
def presorted_cuts_kernel(needs, levels, out, counts, S, srow):
    """Fill ``out`` / ``counts`` for the columns flagged in ``needs`` (unit weights): cuts
    just above the quantiles ``levels`` (inverted CDF among the data values), each the
    midpoint up to the next distinct value; the top value is never a cut (nothing above it).
    Row ``srow[r]`` of ``S`` is column ``r`` sorted (NaN last), sorted by numpy beforehand
    (several times faster than Numba's sort on small columns).

    The three cases (presorted, unit weights, weights) are three kernels: a fit compiles
    only the one its data needs (the weighted one alone links an argsort and np.unique)."""
    n = S.shape[1]
    for r in range(needs.shape[0]):
        if not needs[r]:
            continue
        xs = S[srow[r]]
        nv = n
        while nv > 0 and np.isnan(xs[nv - 1]):
            nv -= 1
        xs = xs[:nv]
        pos = np.ceil(levels * nv - 1e-9 * nv).astype(np.int64) - 1
        pos = np.minimum(np.maximum(pos, 0), nv - 1)
        stats, above = _stats_from_sorted(xs, pos)
        m = _distinct_stats(stats, above)
        if above[m - 1] == np.inf:  # nothing above the top cut: use the next value down
            t = np.searchsorted(xs, stats[m - 1], side="left")
            m = _top_to_below(stats, above, m, xs[t - 1] if t > 0 else -np.inf)
        _write_cuts(out, counts, r, stats, above, m)


@njit(cache=True, nogil=True)
def unit_quantile_cuts_kernel(Zt, w, needs, levels, out, counts):
    """:func:`presorted_cuts_kernel` on large data (n > 8192, unit weights, NaN and
    zero-weight rows left out): no full sort (see :func:`_order_stats`)."""
    c, n = Zt.shape
    hist = np.zeros(65536 if n > 8192 else 1, dtype=np.int64)  # buckets only for large n
    for r in range(c):
        if not needs[r]:
            continue
        x = Zt[r]
        nv = 0
        for i in range(n):
            nv += (not np.isnan(x[i])) and w[i] > 0.0
        if nv == n:
            xv = x  # nothing to leave out: no copy
        else:
            xv = np.empty(nv)
            t = 0
            for i in range(n):
                if not np.isnan(x[i]) and w[i] > 0.0:
                    xv[t] = x[i]
                    t += 1
        pos = np.ceil(levels * nv - 1e-9 * nv).astype(np.int64) - 1
        pos = np.minimum(np.maximum(pos, 0), nv - 1)
        stats, above = _order_stats(xv, pos, hist)
        m = _distinct_stats(stats, above)
        if above[m - 1] == np.inf:  # nothing above the top cut: use the next value down
            below = -np.inf
            for i in range(nv):
                x = xv[i]
                below = max(below, x if x < stats[m - 1] else -np.inf)
            m = _top_to_below(stats, above, m, below)
        _write_cuts(out, counts, r, stats, above, m)


@njit(cache=True, nogil=True)
def weighted_quantile_cuts_kernel(Zt, w, needs, levels, out, counts):
    """:func:`presorted_cuts_kernel` for weighted data: cuts just above the weighted
    quantiles ``levels`` (inverted CDF among the data values); one pass finds the values
    above."""
    c, n = Zt.shape
    for r in range(c):
        if not needs[r]:
            continue
        x = Zt[r]
        nv = 0
        for i in range(n):
            nv += (not np.isnan(x[i])) and w[i] > 0.0
        xv = np.empty(nv)
        wv = np.empty(nv)
        t = 0
        for i in range(n):
            if not np.isnan(x[i]) and w[i] > 0.0:
                xv[t] = x[i]
                wv[t] = w[i]
                t += 1
        order = np.argsort(xv)
        cum = np.cumsum(wv[order])
        total = cum[-1]
        pos = np.searchsorted(cum, levels * total - 1e-9 * total)
        pos = np.minimum(np.maximum(pos, 0), nv - 1)
        vals = np.unique(xv[order][pos])
        xmax = xv.max()
        if vals[-1] == xmax:  # nothing above the top cut: use the next value down
            below = -np.inf
            for i in range(nv):
                if xv[i] < xmax and xv[i] > below:
                    below = xv[i]
            tmp = vals.copy()
            tmp[-1] = below
            vals = np.unique(tmp)
        # the smallest value above each cut value, in one pass (binary search among vals)
        m = vals.shape[0]
        hi = np.full(m, np.inf)
        for i in range(nv):
            v = xv[i]
            lo_i = 0
            hi_i = m
            while lo_i < hi_i:
                mid = (lo_i + hi_i) >> 1
                if vals[mid] < v:
                    lo_i = mid + 1
                else:
                    hi_i = mid
            q = lo_i - 1
            if q >= 0 and v < hi[q]:
                hi[q] = v
        for q in range(m):
            out[r, q] = vals[q] + (hi[q] - vals[q]) / 2.0
        counts[r] = m


@njit(cache=True, nogil=True)
def column_summary_kernel(Zt, w, is_cat, n_cat):
    """Per column of ``Zt`` (rows of positive weight only): whether it has a missing value,
    and for a categorical column (``is_cat``) which of its ``n_cat`` codes occur."""
    c, n = Zt.shape
    has_nan = np.zeros(c, dtype=np.bool_)
    present = np.zeros((c, max(n_cat, 1)), dtype=np.bool_)
    for r in range(c):
        x = Zt[r]
        if is_cat[r]:
            for i in range(n):
                if w[i] > 0.0:
                    v = x[i]
                    if np.isnan(v):
                        has_nan[r] = True
                    elif 0.0 <= v < n_cat:
                        present[r, np.int64(v)] = True
        else:
            for i in range(n):
                if np.isnan(x[i]) and w[i] > 0.0:
                    has_nan[r] = True
                    break
    return has_nan, present


def column_cuts_padded(Z, w, columns, n_cuts, Zt=None, unit=None):
    """Cuts of each listed column of ``Z`` (see the module docstring): ``(cuts, counts)``,
    row ``r`` of ``cuts`` holding ``counts[r]`` cuts then NaN padding.

    ``Zt``: ``Z`` transposed and C-contiguous when the caller has it (the transpose of a
    large matrix costs more than the cuts); with ``columns=None``, ``Zt`` holds exactly the
    columns wanted (``Z`` is not read). ``unit``: whether every weight is 1, when the
    caller knows."""
    if Zt is None:
        Zt = np.ascontiguousarray(Z[:, columns].T)
    elif columns is not None and (
        len(columns) != Zt.shape[0] or np.any(columns != np.arange(Zt.shape[0]))
    ):
        Zt = Zt[columns]
    out, counts, needs = few_distinct_cuts_kernel(Zt, w, int(n_cuts))
    if needs.any():
        levels = np.arange(1, n_cuts + 1) / (n_cuts + 1)
        if unit is None:
            unit = bool(np.all(w == 1.0))
        n = Zt.shape[1]
        if unit and n <= 8192:
            # numpy's sort, then the quantiles: a bucket-selection kernel was ~50 us faster
            # on breast cancer but cost a second more of first compilation
            if needs.all():  # every column (continuous data): no gather before the sort
                S = np.sort(Zt, axis=1)
                srow = np.arange(Zt.shape[0])
            else:
                idx = np.flatnonzero(needs)
                S = np.sort(Zt[idx], axis=1)
                srow = np.zeros(Zt.shape[0], dtype=np.int64)
                srow[idx] = np.arange(idx.size)
            presorted_cuts_kernel(needs, levels, out, counts, S, srow)
        elif unit:
            unit_quantile_cuts_kernel(Zt, w, needs, levels, out, counts)
        else:
            weighted_quantile_cuts_kernel(Zt, w, needs, levels, out, counts)
    return out, counts


def column_cuts(Z, w, columns, n_cuts, Zt=None):
    """Cuts of each listed column of ``Z`` (see the module docstring); a list of arrays."""
    out, counts = column_cuts_padded(Z, w, columns, n_cuts, Zt=Zt)
    return [out[r, : counts[r]] for r in range(len(columns))]


@njit(cache=True, nogil=True)
def condition_arrays_kernel(is_cat, cuts, counts, present, has_nan, ready_made):
    """The single conditions as arrays ``(feature, op, value)``, per column in order: a
    numeric column's cuts (``<=`` (op 0) then ``>`` (op 1) for each; row ``r`` of ``cuts`` /
    ``counts`` is the ``r``-th numeric column), a categorical column's present codes (op 2;
    a column with a single value and no missing offers none; ``ready_made``: code 1 only),
    then "is missing" (op 3) when the column has missing values (not ``ready_made``)."""
    d = is_cat.shape[0]
    n_cat = present.shape[1]
    total = 0
    r = 0
    for j in range(d):
        if not is_cat[j]:
            total += 2 * counts[r]
            r += 1
        else:
            total += n_cat
        total += 1
    feat = np.empty(total, dtype=np.int64)
    op = np.empty(total, dtype=np.int64)
    val = np.empty(total)
    m = 0
    r = 0
    for j in range(d):
        if not is_cat[j]:
            for q in range(counts[r]):
                for o in range(2):
                    feat[m] = j
                    op[m] = o
                    val[m] = cuts[r, q]
                    m += 1
            r += 1
        else:
            n_present = 0
            for c in range(n_cat):
                n_present += present[j, c]
            if ready_made or n_present + has_nan[j] > 1:
                for c in range(n_cat):
                    if present[j, c] and (not ready_made or c == 1):
                        feat[m] = j
                        op[m] = 2
                        val[m] = c
                        m += 1
        if has_nan[j] and not ready_made:
            feat[m] = j
            op[m] = 3
            val[m] = np.nan
            m += 1
    return feat[:m], op[:m], val[:m]
