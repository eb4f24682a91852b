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


def stabilise_tree_thresholds(tree, X, X_binned, mapper):
    """:func:`float32_stable_thresholds` for one tree, on the training values near its
    thresholds only; the tree's thresholds are moved in place. Returns the number moved.

    A single tree's split sits between two values its node holds, so every training row it
    routes keeps its side in float32; but an explanation walks x through nodes off its own
    path too (path TreeSHAP, Saabas), where a threshold was chosen from other rows and x's
    float32 rounding may cross it. Scanning every training value (as the forest does) would
    cost more than the fit on a million rows, so only the values that can matter are read: a
    value that float32 moves across a threshold, or that a move would carry across, lies
    within one float32 step of it, hence in a bin that meets ``[t - 2 step, t + 2 step]``
    (bins are intervals of the feature, ``X_binned`` says which rows are in which).
    """
    left = tree.children_left
    thr = tree.threshold
    split = np.flatnonzero((left != -1) & np.isfinite(thr))
    if split.size == 0:
        return 0
    feat = tree.feature[split].astype(np.int64)
    cat = getattr(mapper, "is_categorical_", None)
    moved = 0
    d = X.shape[1]
    for j in np.unique(feat):
        if cat is not None and cat[j]:
            continue
        at = split[feat == j]
        t = thr[at]
        with np.errstate(over="ignore"):
            step = np.spacing(np.abs(t).astype(np.float32)).astype(np.float64)
        step = np.where(np.isfinite(step), step, 0.0)
        probe = np.zeros((2 * t.size, d))
        probe[:, j] = np.concatenate([t - 2 * step, t + 2 * step])
        bins = mapper.transform(probe)[:, j].astype(np.int64)
        lo, hi = bins[: t.size], bins[t.size:]
        near = np.zeros(256, dtype=bool)
        for a, b in zip(lo.tolist(), hi.tolist()):
            near[a:b + 1] = True
        near[int(mapper.missing_bin_)] = False
        rows = near[X_binned[:, j]]
        if not rows.any():
            continue
        vals = X[rows, j]
        # of those, the values within two float32 steps of a threshold (all that can matter)
        order = np.argsort(t)
        ts, ss = t[order], 2 * step[order]
        k = np.clip(np.searchsorted(ts, vals), 1, ts.size) - 1
        k2 = np.minimum(k + 1, ts.size - 1)
        keep = (np.abs(vals - ts[k]) <= ss[k]) | (np.abs(vals - ts[k2]) <= ss[k2])
        if not keep.any():
            continue
        vals = vals[keep]
        new, n = float32_stable_thresholds(np.zeros(t.size, dtype=np.int64), t, vals[:, None])
        if n:
            thr[at] = new
            moved += n
    return moved
