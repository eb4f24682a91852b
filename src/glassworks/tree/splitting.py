"""Split search on a node's histogram: the best "bin <= b" cut of each feature, scikit-learn's way.

Criteria (``criterion`` code): 0 gini, 1 entropy (log base 2, as scikit-learn), 2 squared
error. Candidates are compared with scikit-learn's *proxy* improvement (``-w_l * imp_l - w_r *
imp_r`` for classification, ``S_l^2 / w_l + S_r^2 / w_r`` for squared error), strictly
greater wins, so among equal cuts of one feature the lowest bin wins, as scikit-learn's
left-to-right scan does.

Missing values (the NaN bin): when the node has NaN for the feature, every cut is tried with
NaN on the right (including the cut "every non-missing value left, NaN right") and then with
NaN on the left; otherwise NaN goes, at predict time, to the child with more training samples.
A cut is only made between two bins that hold samples of the node, so a feature whose node
values fall in one bin (and has no NaN) is constant and never split.

A cut is returned as ``(b_lo, b_hi)``: the last non-empty bin on the left and the first
non-empty bin on the right (``b_hi == -1`` for the "NaN right" cut), from which the grower
derives the threshold between the two observed values.
"""

import numpy as np
from numba import njit, prange

from .._jit import internal
from ._jit import NO_NRT

GINI = 0
ENTROPY = 1
SQUARED_ERROR = 2

_LN2 = np.log(2.0)


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def node_impurity(totals, n_classes, criterion, sq_sum):
    """Impurity of a node from its channel totals (and ``sum(w * y**2)`` for regression)."""
    if criterion == SQUARED_ERROR:
        w = totals[0]
        mean = totals[1] / w
        return sq_sum / w - mean * mean
    w = 0.0
    for c in range(n_classes):
        w += totals[c]
    if criterion == GINI:
        sq = 0.0
        for c in range(n_classes):
            sq += totals[c] * totals[c]
        return 1.0 - sq / (w * w)
    ent = 0.0
    for c in range(n_classes):
        if totals[c] > 0.0:
            p = totals[c] / w
            ent -= p * np.log(p) / _LN2
    return ent


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _proxy(left, totals, n_classes, criterion):
    """scikit-learn's proxy improvement of the cut with channel sums ``left``."""
    if criterion == SQUARED_ERROR:
        wl = left[0]
        wr = totals[0] - wl
        sl = left[1]
        sr = totals[1] - sl
        return sl * sl / wl + sr * sr / wr
    wl = 0.0
    wr = 0.0
    for c in range(n_classes):
        wl += left[c]
        wr += totals[c] - left[c]
    if criterion == GINI:
        sql = 0.0
        sqr = 0.0
        for c in range(n_classes):
            a = left[c]
            b = totals[c] - a
            sql += a * a
            sqr += b * b
        imp_l = 1.0 - sql / (wl * wl)
        imp_r = 1.0 - sqr / (wr * wr)
    else:
        imp_l = 0.0
        imp_r = 0.0
        for c in range(n_classes):
            a = left[c]
            b = totals[c] - a
            if a > 0.0:
                p = a / wl
                imp_l -= p * np.log(p) / _LN2
            if b > 0.0:
                p = b / wr
                imp_r -= p * np.log(p) / _LN2
    return -wr * imp_r - wl * imp_l


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _weight(stats, n_classes, criterion):
    if criterion == SQUARED_ERROR:
        return stats[0]
    w = 0.0
    for c in range(n_classes):
        w += stats[c]
    return w


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _next_nonempty(h, b, last, cnt):
    b += 1
    while b <= last:
        if h[b, cnt] > 0.0:
            return b
        b += 1
    return -1


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def feature_is_constant(h, lo, hi, n_bins, missing_bin):
    """True when the node's values of this feature cannot be cut: all NaN, or one bin and no NaN."""
    cnt = h.shape[1] - 1
    has_missing = h[missing_bin, cnt] > 0.0
    last = min(hi, n_bins - 1)
    first = -1
    n_nonempty = 0
    for b in range(lo, last + 1):
        if h[b, cnt] > 0.0:
            n_nonempty += 1
            if n_nonempty > 1:
                return False
            first = b
    if first == -1:
        return True
    return not has_missing


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def best_cut_of_feature(
    h, lo, hi, n_bins, missing_bin, totals, n_classes, criterion,
    min_samples_leaf, min_weight_leaf, out, left,
):
    """Best cut of one feature; writes ``out = [proxy, b_lo, b_hi, missing_left]``.

    ``out[0] = -inf`` when no cut satisfies ``min_samples_leaf`` and ``min_weight_leaf``.
    ``h`` is the feature's histogram (n_bins_total, n_channels); ``lo``/``hi`` bound the
    non-empty bins; ``totals`` are the node's channel sums; ``left`` is scratch of n_channels
    (passed in: an allocation per call would cost more than a small node's whole search).
    """
    K = h.shape[1]
    cnt = K - 1
    out[0] = -np.inf
    out[1] = -1.0
    out[2] = -1.0
    out[3] = 0.0
    has_missing = h[missing_bin, cnt] > 0.0
    last = min(hi, n_bins - 1)
    start_bin = lo - 1
    first = _next_nonempty(h, start_bin, last, cnt)
    if first == -1:
        return
    n_total = totals[cnt]
    gini2 = n_classes == 2 and criterion == GINI
    if gini2 or criterion == SQUARED_ERROR:
        _best_cut_scalar(h, first, last, missing_bin, has_missing, totals, min_samples_leaf,
                         min_weight_leaf, out, gini2)
        return
    best = -np.inf
    n_searches = 2 if has_missing else 1
    for search in range(n_searches):
        missing_left = search == 1
        if missing_left:
            for k in range(K):
                left[k] = h[missing_bin, k]
        else:
            for k in range(K):
                left[k] = 0.0
        b = first
        while b != -1:
            for k in range(K):
                left[k] += h[b, k]
            nxt = _next_nonempty(h, b, last, cnt)
            if nxt == -1 and (missing_left or not has_missing):
                break
            n_left = left[cnt]
            n_right = n_total - n_left
            if n_left >= min_samples_leaf and n_right >= min_samples_leaf:
                wl = _weight(left, n_classes, criterion)
                wr = _weight(totals, n_classes, criterion) - wl
                if wl >= min_weight_leaf and wr >= min_weight_leaf:
                    p = _proxy(left, totals, n_classes, criterion)
                    if p > best:
                        best = p
                        out[0] = p
                        out[1] = b
                        out[2] = nxt
                        if has_missing:
                            out[3] = 1.0 if missing_left else 0.0
                        else:
                            out[3] = 1.0 if n_left > n_right else 0.0
            b = nxt


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _best_cut_scalar(h, first, last, missing_bin, has_missing, totals, min_samples_leaf,
                     min_weight_leaf, out, gini):
    """:func:`best_cut_of_feature` for two-class Gini (``gini``) or squared error, the two
    searches whose three channels fit in scalars (class 0, class 1, count; weight,
    weight * y, count): the same operations in the same order as :func:`_weight` and
    :func:`_proxy` (the same bits), without their calls and loops over channels. The forest
    classifier's and regressor's most frequent search."""
    t0 = totals[0]
    t1 = totals[1]
    n_total = totals[2]
    # the count channel (2), from the shape: a literal 2 would compile _next_nonempty a
    # second time (Literal[int](2) next to best_cut_of_feature's int64)
    cnt = h.shape[1] - 1
    if gini:
        wt = 0.0
        wt += t0
        wt += t1
    else:
        wt = t0
    best = -np.inf
    n_searches = 2 if has_missing else 1
    for search in range(n_searches):
        missing_left = search == 1
        if missing_left:
            l0 = h[missing_bin, 0]
            l1 = h[missing_bin, 1]
            ln = h[missing_bin, 2]
        else:
            l0 = 0.0
            l1 = 0.0
            ln = 0.0
        b = first
        while b != -1:
            l0 += h[b, 0]
            l1 += h[b, 1]
            ln += h[b, 2]
            nxt = _next_nonempty(h, b, last, cnt)
            if nxt == -1 and (missing_left or not has_missing):
                break
            n_right = n_total - ln
            if ln >= min_samples_leaf and n_right >= min_samples_leaf:
                if gini:
                    wl = 0.0
                    wl += l0
                    wl += l1
                else:
                    wl = l0
                wr = wt - wl
                if wl >= min_weight_leaf and wr >= min_weight_leaf:
                    if gini:
                        r0 = t0 - l0
                        r1 = t1 - l1
                        pl = 0.0
                        pr = 0.0
                        pl += l0
                        pr += r0
                        pl += l1
                        pr += r1
                        sql = 0.0
                        sqr = 0.0
                        sql += l0 * l0
                        sqr += r0 * r0
                        sql += l1 * l1
                        sqr += r1 * r1
                        imp_l = 1.0 - sql / (pl * pl)
                        imp_r = 1.0 - sqr / (pr * pr)
                        p = -pr * imp_r - pl * imp_l
                    else:
                        sr = t1 - l1
                        p = l1 * l1 / wl + sr * sr / wr
                    if p > best:
                        best = p
                        out[0] = p
                        out[1] = b
                        out[2] = nxt
                        if has_missing:
                            out[3] = 1.0 if missing_left else 0.0
                        else:
                            out[3] = 1.0 if ln > n_right else 0.0
            b = nxt


@njit(cache=True, nogil=True, parallel=True)
def best_cuts_parallel(hist, bin_ranges, features, n_bins, missing_bin, totals, n_classes,
                       criterion, min_samples_leaf, min_weight_leaf, out):
    """``out[j]`` = best cut of feature ``features[j]`` (see :func:`best_cut_of_feature`)."""
    scratch = np.empty((features.shape[0], hist.shape[2]), dtype=np.float64)
    for j in prange(features.shape[0]):
        f = features[j]
        best_cut_of_feature(hist[f], bin_ranges[f, 0], bin_ranges[f, 1], n_bins[f], missing_bin,
                            totals, n_classes, criterion, min_samples_leaf, min_weight_leaf,
                            out[j], scratch[j])


@internal
@njit(cache=True, nogil=True)
def best_cuts_serial(hist, bin_ranges, features, n_bins, missing_bin, totals, n_classes,
                     criterion, min_samples_leaf, min_weight_leaf, out):
    """Serial twin of :func:`best_cuts_parallel`."""
    scratch = np.empty(hist.shape[2], dtype=np.float64)
    for j in range(features.shape[0]):
        f = features[j]
        best_cut_of_feature(hist[f], bin_ranges[f, 0], bin_ranges[f, 1], n_bins[f], missing_bin,
                            totals, n_classes, criterion, min_samples_leaf, min_weight_leaf,
                            out[j], scratch)


# rows of the scratch ``ws`` of best_cut_of_sorted
_CUR, _L0, _L1, _MISS, _SNAP0, _SNAP1, _SNAP = range(7)


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _flush(ws, has_missing, K):
    for k in range(K):
        c = ws[_CUR, k]
        ws[_L0, k] += c
        if has_missing:
            ws[_L1, k] += c
        ws[_CUR, k] = 0.0


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _gini2_proxy(l0, l1, t0, t1):
    # _proxy for two classes and Gini: the same operations in the same order (the same bits)
    r0 = t0 - l0
    r1 = t1 - l1
    pl = 0.0
    pr = 0.0
    pl += l0
    pr += r0
    pl += l1
    pr += r1
    sql = 0.0
    sqr = 0.0
    sql += l0 * l0
    sqr += r0 * r0
    sql += l1 * l1
    sqr += r1 * r1
    imp_l = 1.0 - sql / (pl * pl)
    imp_r = 1.0 - sqr / (pr * pr)
    return -pr * imp_r - pl * imp_l


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _sorted_gini2(srt, sbin, f, start, end_nm, has_missing, pw, totals, min_samples_leaf,
                  min_weight_leaf, out, ws):
    """The classification scan of :func:`best_cut_of_sorted` for two classes and Gini, on
    scalars (same operations, same order, same bits; ``ws[_MISS]`` holds the NaN sums)."""
    t0 = totals[0]
    t1 = totals[1]
    n_total = totals[2]
    wt = 0.0
    wt += t0
    wt += t1
    c0 = 0.0
    c1 = 0.0
    cn = 0.0
    a0 = 0.0
    a1 = 0.0
    an = 0.0
    m0 = ws[_MISS, 0]
    m1 = ws[_MISS, 1]
    mn = ws[_MISS, 2]
    best0 = -np.inf
    best1 = -np.inf
    lo0 = -1
    hi0 = -1
    ml0 = 0
    lo1 = -1
    hi1 = -1
    s00 = 0.0
    s01 = 0.0
    s0n = 0.0
    s10 = 0.0
    s11 = 0.0
    s1n = 0.0
    prev = np.int64(sbin[f, start])
    for i in range(start, end_nm + 1):
        b = np.int64(sbin[f, i]) if i < end_nm else -1
        if b != prev:
            a0 += c0
            a1 += c1
            an += cn
            if has_missing:
                m0 += c0
                m1 += c1
                mn += cn
            c0 = 0.0
            c1 = 0.0
            cn = 0.0
            if b >= 0 or has_missing:
                n_right = n_total - an
                if an >= min_samples_leaf and n_right >= min_samples_leaf:
                    wl = 0.0
                    wl += a0
                    wl += a1
                    wr = wt - wl
                    if wl >= min_weight_leaf and wr >= min_weight_leaf:
                        p = _gini2_proxy(a0, a1, t0, t1)
                        if p > best0:
                            best0 = p
                            lo0 = prev
                            hi0 = b
                            ml0 = 0 if has_missing else (1 if an > n_right else 0)
                            s00 = a0
                            s01 = a1
                            s0n = an
            if has_missing and b >= 0:
                n_right = n_total - mn
                if mn >= min_samples_leaf and n_right >= min_samples_leaf:
                    wl = 0.0
                    wl += m0
                    wl += m1
                    wr = wt - wl
                    if wl >= min_weight_leaf and wr >= min_weight_leaf:
                        p = _gini2_proxy(m0, m1, t0, t1)
                        if p > best1:
                            best1 = p
                            lo1 = prev
                            hi1 = b
                            s10 = a0
                            s11 = a1
                            s1n = an
            prev = b
        if i < end_nm:
            s = srt[f, i]
            w = pw[s, 0]
            one = pw[s, 1] != 0.0
            # (adding +0.0 leaves a sum that starts at +0.0 bit for bit unchanged)
            c0 += 0.0 if one else w
            c1 += w if one else 0.0
            cn += 1.0
    if best1 > best0:
        out[0] = best1
        out[1] = lo1
        out[2] = hi1
        out[3] = 1.0
        ws[_SNAP, 0] = s10 + ws[_MISS, 0]
        ws[_SNAP, 1] = s11 + ws[_MISS, 1]
        ws[_SNAP, 2] = s1n + ws[_MISS, 2]
    elif lo0 >= 0:
        out[0] = best0
        out[1] = lo0
        out[2] = hi0
        out[3] = ml0
        ws[_SNAP, 0] = s00
        ws[_SNAP, 1] = s01
        ws[_SNAP, 2] = s0n


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def best_cut_of_sorted(srt, sbin, f, start, end, pw, is_clf, missing_bin, totals, n_classes,
                       criterion, min_samples_leaf, min_weight_leaf, out, ws):
    """Best cut of one feature of a small node, from its samples sorted by bin.

    ``srt[f, start:end]`` are the node's samples sorted by (bin, row) and ``sbin[f, start:end]``
    their bins (the NaN bin, the highest, last); ``pw[s]`` is (weight, class code) or
    (weight, weight * y) of sample (local id) s. One pass, no histogram: each bin's sums are accumulated
    in row order and added to the running left sums at the bin's end, so every candidate's
    sums, proxy and the winner (first strict maximum: the "NaN right" cuts in bin order, then
    the "NaN left" ones) are bit for bit those of :func:`best_cut_of_feature` on the node's
    histogram. Writes ``out = [proxy, b_lo, b_hi, missing_left]`` and, in ``ws[6]``, the
    winner's left sums; ``ws`` is (7, n_channels) scratch. Returns False when the feature is
    constant on the node (all NaN, or one bin and no NaN).
    """
    if not is_clf and criterion == SQUARED_ERROR:
        n_cut, best_f = squared_error_cuts_of_sorted(srt, sbin, f, f + 1, start, end, pw,
                                                     missing_bin, totals, min_samples_leaf,
                                                     min_weight_leaf, out, ws[_SNAP])
        return n_cut > 0
    K = totals.shape[0]
    cnt = K - 1
    out[0] = -np.inf
    out[1] = -1.0
    out[2] = -1.0
    out[3] = 0.0
    end_nm = end
    while end_nm > start and sbin[f, end_nm - 1] == missing_bin:
        end_nm -= 1
    has_missing = end_nm < end
    if end_nm == start or (not has_missing and sbin[f, start] == sbin[f, end_nm - 1]):
        return False
    n_total = totals[cnt]
    for k in range(K):
        ws[_MISS, k] = 0.0
    if has_missing:
        for i in range(end_nm, end):
            s = srt[f, i]
            if is_clf:
                ws[_MISS, np.int64(pw[s, 1])] += pw[s, 0]
            else:
                ws[_MISS, 0] += pw[s, 0]
                ws[_MISS, 1] += pw[s, 1]
            ws[_MISS, cnt] += 1.0
    if n_classes == 2 and criterion == GINI:
        _sorted_gini2(srt, sbin, f, start, end_nm, has_missing, pw, totals, min_samples_leaf,
                      min_weight_leaf, out, ws)
        return True
    # classification (any number of channels)
    wt = _weight(totals, n_classes, criterion)
    for k in range(K):
        ws[_CUR, k] = 0.0
        ws[_L0, k] = 0.0
        ws[_L1, k] = ws[_MISS, k]
    l0 = ws[_L0]
    l1 = ws[_L1]
    best0 = -np.inf
    best1 = -np.inf
    lo0 = -1
    hi0 = -1
    ml0 = 0
    lo1 = -1
    hi1 = -1
    prev = np.int64(sbin[f, start])
    for i in range(start, end_nm + 1):
        b = np.int64(sbin[f, i]) if i < end_nm else -1
        if b != prev:
            _flush(ws, has_missing, K)
            if b >= 0 or has_missing:
                n_left = l0[cnt]
                n_right = n_total - n_left
                if n_left >= min_samples_leaf and n_right >= min_samples_leaf:
                    wl = _weight(l0, n_classes, criterion)
                    wr = wt - wl
                    if wl >= min_weight_leaf and wr >= min_weight_leaf:
                        p = _proxy(l0, totals, n_classes, criterion)
                        if p > best0:
                            best0 = p
                            lo0 = prev
                            hi0 = b
                            ml0 = 0 if has_missing else (1 if n_left > n_right else 0)
                            for k in range(K):
                                ws[_SNAP0, k] = l0[k]
            if has_missing and b >= 0:
                n_left = l1[cnt]
                n_right = n_total - n_left
                if n_left >= min_samples_leaf and n_right >= min_samples_leaf:
                    wl = _weight(l1, n_classes, criterion)
                    wr = wt - wl
                    if wl >= min_weight_leaf and wr >= min_weight_leaf:
                        p = _proxy(l1, totals, n_classes, criterion)
                        if p > best1:
                            best1 = p
                            lo1 = prev
                            hi1 = b
                            for k in range(K):
                                ws[_SNAP1, k] = l0[k]
            prev = b
        if i < end_nm:
            s = srt[f, i]
            if is_clf:
                ws[_CUR, np.int64(pw[s, 1])] += pw[s, 0]
            else:
                ws[_CUR, 0] += pw[s, 0]
                ws[_CUR, 1] += pw[s, 1]
            ws[_CUR, cnt] += 1.0
    if best1 > best0:
        out[0] = best1
        out[1] = lo1
        out[2] = hi1
        out[3] = 1.0
        for k in range(K):
            ws[_SNAP, k] = ws[_SNAP1, k] + ws[_MISS, k]
    elif lo0 >= 0:
        out[0] = best0
        out[1] = lo0
        out[2] = hi0
        out[3] = ml0
        for k in range(K):
            ws[_SNAP, k] = ws[_SNAP0, k]
    return True


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def squared_error_cuts_of_sorted(srt, sbin, f_lo, f_hi, start, end, pw, missing_bin, totals,
                                 min_samples_leaf, min_weight_leaf, out, snap):
    """:func:`best_cut_of_sorted` for squared error, over the features ``f_lo:f_hi`` at once.

    The best cut over those features (the first strict maximum of the proxies, in feature
    order) goes to ``out = [proxy, b_lo, b_hi, missing_left]`` and its left sums to ``snap``.
    One call per node rather than per feature: a deep tree's nodes are mostly tiny, and a
    call per feature cost them more than their scans. Returns ``(number of features not
    constant on the node, best feature or -1)``.

    Within a feature, candidates are compared by cross-multiplication (the proxy
    ``a1^2 / a0 + sr^2 / wr`` as one fraction: no division per candidate); the winner's proxy
    is then computed as :func:`_proxy` does, bit for bit.
    """
    out[0] = -np.inf
    out[1] = -1.0
    out[2] = -1.0
    out[3] = 0.0
    t0 = totals[0]
    t1 = totals[1]
    n_total = totals[2]
    n_cut = 0
    best_f = -1
    best_all = -np.inf
    for f in range(f_lo, f_hi):
        end_nm = end
        while end_nm > start and sbin[f, end_nm - 1] == missing_bin:
            end_nm -= 1
        has_missing = end_nm < end
        if end_nm == start or (not has_missing and sbin[f, start] == sbin[f, end_nm - 1]):
            continue
        n_cut += 1
        mis0 = 0.0
        mis1 = 0.0
        misn = 0.0
        if has_missing:
            for i in range(end_nm, end):
                s = srt[f, i]
                mis0 += pw[s, 0]
                mis1 += pw[s, 1]
                misn += 1.0
        c0 = 0.0
        c1 = 0.0
        cn = 0.0
        a0 = 0.0
        a1 = 0.0
        an = 0.0
        m0 = mis0
        m1 = mis1
        mn = misn
        bn0 = 0.0
        bd0 = 1.0
        bn1 = 0.0
        bd1 = 1.0
        q0 = 0.0
        q1 = 0.0
        lo0 = -1
        hi0 = -1
        ml0 = 0
        lo1 = -1
        hi1 = -1
        s00 = 0.0
        s01 = 0.0
        s0n = 0.0
        s10 = 0.0
        s11 = 0.0
        s1n = 0.0
        prev = np.int64(sbin[f, start])
        for i in range(start, end_nm + 1):
            b = np.int64(sbin[f, i]) if i < end_nm else -1
            if b != prev:
                a0 += c0
                a1 += c1
                an += cn
                if has_missing:
                    m0 += c0
                    m1 += c1
                    mn += cn
                c0 = 0.0
                c1 = 0.0
                cn = 0.0
                if b >= 0 or has_missing:
                    # "NaN right" cut after bin prev
                    n_right = n_total - an
                    if an >= min_samples_leaf and n_right >= min_samples_leaf:
                        wr = t0 - a0
                        if a0 >= min_weight_leaf and wr >= min_weight_leaf:
                            sr = t1 - a1
                            num = a1 * a1 * wr + sr * sr * a0
                            den = a0 * wr
                            if lo0 < 0 or num * bd0 > bn0 * den:
                                bn0 = num
                                bd0 = den
                                lo0 = prev
                                hi0 = b
                                ml0 = 0 if has_missing else (1 if an > n_right else 0)
                                s00 = a0
                                s01 = a1
                                s0n = an
                if has_missing and b >= 0:
                    n_right = n_total - mn
                    if mn >= min_samples_leaf and n_right >= min_samples_leaf:
                        wr = t0 - m0
                        if m0 >= min_weight_leaf and wr >= min_weight_leaf:
                            sr = t1 - m1
                            num = m1 * m1 * wr + sr * sr * m0
                            den = m0 * wr
                            if lo1 < 0 or num * bd1 > bn1 * den:
                                bn1 = num
                                bd1 = den
                                q0 = m0
                                q1 = m1
                                lo1 = prev
                                hi1 = b
                                s10 = a0
                                s11 = a1
                                s1n = an
                prev = b
            if i < end_nm:
                s = srt[f, i]
                c0 += pw[s, 0]
                c1 += pw[s, 1]
                cn += 1.0
        # the feature's winners' proxies, bit for bit as _proxy computes them
        best0 = -np.inf
        best1 = -np.inf
        if lo0 >= 0:
            sr = t1 - s01
            best0 = s01 * s01 / s00 + sr * sr / (t0 - s00)
        if lo1 >= 0:
            sr = t1 - q1
            best1 = q1 * q1 / q0 + sr * sr / (t0 - q0)
        if best1 > best0:
            if best1 > best_all:
                best_all = best1
                best_f = f
                out[0] = best1
                out[1] = lo1
                out[2] = hi1
                out[3] = 1.0
                snap[0] = s10 + mis0
                snap[1] = s11 + mis1
                snap[2] = s1n + misn
        elif lo0 >= 0 and best0 > best_all:
            best_all = best0
            best_f = f
            out[0] = best0
            out[1] = lo0
            out[2] = hi0
            out[3] = ml0
            snap[0] = s00
            snap[1] = s01
            snap[2] = s0n
    return n_cut, best_f


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def squared_error_cuts_of_pair(srt, sbin, start, pw, missing_bin, totals, min_weight_leaf,
                               out, snap):
    """:func:`squared_error_cuts_of_sorted` over every feature for a node of two samples
    (``min_samples_leaf`` <= 1, or the node would not be split), bit for bit.

    Each feature that separates the two samples has one cut: the sample of the lower bin (or
    the one not missing) on the left. Its proxy is one of two numbers, computed once, and
    the first feature of the largest wins: a deep tree's most numerous nodes, without a scan.
    """
    out[0] = -np.inf
    out[1] = -1.0
    out[2] = -1.0
    out[3] = 0.0
    t0 = totals[0]
    t1 = totals[1]
    u = srt[0, start]
    # the proxies (as the scan computes them) with u, then the other sample, on the left
    p_u = -np.inf
    p_v = -np.inf
    v = srt[0, start + 1]
    for side in range(2):
        s = u if side == 0 else v
        a0 = 0.0 + (0.0 + pw[s, 0])
        a1 = 0.0 + (0.0 + pw[s, 1])
        wr = t0 - a0
        if a0 >= min_weight_leaf and wr >= min_weight_leaf:
            sr = t1 - a1
            p = a1 * a1 / a0 + sr * sr / wr
            if side == 0:
                p_u = p
            else:
                p_v = p
    n_cut = 0
    best_f = -1
    best_all = -np.inf
    for f in range(srt.shape[0]):
        b1 = sbin[f, start]
        b2 = sbin[f, start + 1]
        if b1 == b2:
            continue
        n_cut += 1
        s = srt[f, start]
        p = p_u if s == u else p_v
        if p > best_all:
            best_all = p
            best_f = f
            out[0] = p
            out[1] = b1
            out[2] = -1 if b2 == missing_bin else b2
            out[3] = 0.0
            snap[0] = 0.0 + (0.0 + pw[s, 0])
            snap[1] = 0.0 + (0.0 + pw[s, 1])
            snap[2] = 1.0
    return n_cut, best_f
