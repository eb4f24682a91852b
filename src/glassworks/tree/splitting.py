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

GINI = 0
ENTROPY = 1
SQUARED_ERROR = 2

_LN2 = np.log(2.0)


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _weight(stats, n_classes, criterion):
    if criterion == SQUARED_ERROR:
        return stats[0]
    w = 0.0
    for c in range(n_classes):
        w += stats[c]
    return w


@njit(cache=True, nogil=True)
def _next_nonempty(h, b, last, cnt):
    b += 1
    while b <= last:
        if h[b, cnt] > 0.0:
            return b
        b += 1
    return -1


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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
