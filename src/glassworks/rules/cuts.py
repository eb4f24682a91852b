"""Numba kernel: the thresholds of every numeric column in one call.

Per column (missing values and zero-weight rows ignored): the midpoints between consecutive
distinct values when there are at most ``n_cuts + 1`` of them (found with an early exit, so a
continuous column costs a few comparisons); otherwise just above ``n_cuts`` weighted quantiles,
chosen among the data values (inverted CDF), so that integer weights and repeated rows give the
same cuts; a cut is the midpoint between its value and the next distinct value up.
"""

import numpy as np
from numba import njit


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
            u = np.sort(seen[:n_seen])
            for t in range(n_seen - 1):
                out[r, t] = u[t] + (u[t + 1] - u[t]) / 2.0
            counts[r] = n_seen - 1
    return out, counts, needs


@njit(cache=True, nogil=True)
def next_above_kernel(x, w, vals):
    """For each sorted value ``vals[t]``, the smallest valid ``x`` above it (one pass)."""
    m = vals.shape[0]
    hi = np.full(m, np.inf)
    for i in range(x.shape[0]):
        v = x[i]
        if np.isnan(v) or w[i] <= 0.0:
            continue
        # cuts below v: v is a candidate for the largest of them, t = (number below) - 1
        lo_i = 0
        hi_i = m
        while lo_i < hi_i:
            mid = (lo_i + hi_i) >> 1
            if vals[mid] < v:
                lo_i = mid + 1
            else:
                hi_i = mid
        t = lo_i - 1
        if t >= 0 and v < hi[t]:
            hi[t] = v
    return hi


def column_cuts(Z, w, columns, n_cuts):
    """Cuts of each listed column of ``Z`` (see the module docstring); a list of arrays."""
    Zt = np.ascontiguousarray(Z[:, columns].T)
    out, counts, needs = few_distinct_cuts_kernel(Zt, w, int(n_cuts))
    result = [out[r, : counts[r]] for r in range(len(columns))]
    levels = np.arange(1, n_cuts + 1) / (n_cuts + 1)
    unit = bool(np.all(w == 1.0))
    for r in np.flatnonzero(needs):
        x = Zt[r]
        ok = ~np.isnan(x) & (w > 0)
        xv, wv = x[ok], w[ok]
        n = xv.size
        if unit:
            pos = np.clip(np.ceil(levels * n - 1e-9 * n).astype(np.int64) - 1, 0, n - 1)
            vals = np.partition(xv, pos)[pos]
        else:
            order = np.argsort(xv)
            cum = np.cumsum(wv[order])
            total = cum[-1]
            pos = np.searchsorted(cum, levels * total - 1e-9 * total, side="left")
            vals = xv[order][np.clip(pos, 0, n - 1)]
        vals = np.unique(vals)
        xmax = xv.max()
        if vals[-1] == xmax:  # nothing above the top cut: use the next value down
            vals = np.unique(np.r_[vals[:-1], xv[xv < xmax].max()])
        hi = next_above_kernel(xv, np.ones(n), vals)
        result[r] = vals + (hi - vals) / 2.0
    return result
