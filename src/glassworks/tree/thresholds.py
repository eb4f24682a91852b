"""Split thresholds after growth: kept float32-safe for the training values."""

import numpy as np

__all__ = ["float32_stable_thresholds"]


def float32_stable_thresholds(feature, threshold, X):
    """Thresholds moved so that no training value changes side when rounded to float32.

    A forest's split lies midway between the values its node's bootstrap sample holds; a
    training value outside that sample (grid data: a middle value) can sit exactly on it.
    ``v <= t`` then holds in float64 and fails for ``float32(v)``, so the same rows predict
    differently when passed as float32. Each such threshold is moved by less than a float32
    rounding step, to the side that keeps ``v`` where the forest was grown to send it:
    to ``float32(v)`` when that rounds up, to just below ``float32(v)`` when it rounds down.
    A threshold whose move would carry another training value across is left as it was
    (the float32 warning at predict still flags those rows). The float64 partition of every
    training value is unchanged, so predictions on the training data's float64 values are
    the same.

    Returns ``(thresholds, n_moved)``.
    """
    t = np.array(threshold, dtype=np.float64)
    feature = np.asarray(feature, dtype=np.int64)
    moved = 0
    for j in np.unique(feature):
        at = np.flatnonzero(feature == j)
        col = X[:, j]
        vals = np.unique(col[np.isfinite(col)])
        if vals.size == 0:
            continue
        with np.errstate(over="ignore"):
            v32 = vals.astype(np.float32).astype(np.float64)
        # the values float32 moves, and the interval each one sweeps: [lo, hi); a value
        # beyond float32's range is inf there, whichever threshold we choose
        shift = (v32 != vals) & np.isfinite(v32)
        if not shift.any():
            continue
        lo = np.minimum(vals, v32)[shift]
        hi = np.maximum(vals, v32)[shift]
        src = np.flatnonzero(shift)
        order = np.argsort(lo, kind="stable")
        lo, hi, src = lo[order], hi[order], src[order]
        k = np.searchsorted(lo, t[at], side="right") - 1
        hit = (k >= 0) & (t[at] < hi[np.maximum(k, 0)])
        for i, c in zip(at[hit], src[k[hit]]):
            ti, v, r = t[i], vals[c], v32[c]
            if (v <= ti) == (r <= ti):
                continue
            new = r if v <= ti else np.nextafter(r, -np.inf)
            a, b = min(ti, new), max(ti, new)
            # another value between the old and the new threshold would change side
            if np.any((vals > a) & (vals <= b)):
                continue
            t[i] = new
            moved += 1
    return t, moved
