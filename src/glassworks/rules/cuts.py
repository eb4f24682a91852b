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
def quantile_cuts_kernel(Zt, w, needs, levels, unit, out, counts):
    """Fill ``out`` / ``counts`` for the columns flagged in ``needs``: cuts just above the
    weighted quantiles ``levels`` (inverted CDF among the data values), each the midpoint up
    to the next distinct value; the top value is never a cut (nothing above it)."""
    c, n = Zt.shape
    for r in range(c):
        if not needs[r]:
            continue
        x = Zt[r]
        nv = 0
        for i in range(n):
            if not np.isnan(x[i]) and w[i] > 0.0:
                nv += 1
        xv = np.empty(nv)
        wv = np.empty(nv)
        t = 0
        for i in range(n):
            if not np.isnan(x[i]) and w[i] > 0.0:
                xv[t] = x[i]
                wv[t] = w[i]
                t += 1
        if unit:
            xs = np.sort(xv)
            pos = np.ceil(levels * nv - 1e-9 * nv).astype(np.int64) - 1
        else:
            order = np.argsort(xv)
            xs = xv[order]
            cum = np.cumsum(wv[order])
            total = cum[-1]
            pos = np.searchsorted(cum, levels * total - 1e-9 * total)
        pos = np.minimum(np.maximum(pos, 0), nv - 1)
        vals = np.unique(xs[pos])
        xmax = xs[nv - 1]
        if vals[-1] == xmax:  # nothing above the top cut: use the next value down
            below = xmax
            for i in range(nv - 1, -1, -1):
                if xs[i] < xmax:
                    below = xs[i]
                    break
            tmp = vals.copy()
            tmp[-1] = below
            vals = np.unique(tmp)
        for q in range(vals.shape[0]):
            hi = xs[np.searchsorted(xs, vals[q], side="right")]
            out[r, q] = vals[q] + (hi - vals[q]) / 2.0
        counts[r] = vals.shape[0]


def column_cuts(Z, w, columns, n_cuts):
    """Cuts of each listed column of ``Z`` (see the module docstring); a list of arrays."""
    Zt = np.ascontiguousarray(Z[:, columns].T)
    out, counts, needs = few_distinct_cuts_kernel(Zt, w, int(n_cuts))
    if needs.any():
        levels = np.arange(1, n_cuts + 1) / (n_cuts + 1)
        quantile_cuts_kernel(Zt, w, needs, levels, bool(np.all(w == 1.0)), out, counts)
    return [out[r, : counts[r]] for r in range(len(columns))]
