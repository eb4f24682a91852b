"""Histogram kernels: per-feature, per-bin sums of one node's samples.

A histogram is a float64 array ``hist`` of shape ``(n_features, n_bins_total, n_channels)``
(``n_bins_total = max_bins + 1``: the last bin holds NaN). The channels are

- classification: ``n_classes`` weighted class counts, then the sample count;
- regression: ``sum(w)``, ``sum(w * y)``, then the sample count.

The sample count is always the last channel (``min_samples_leaf`` counts samples, not
weight). A histogram is built into an all-zero array, and ``clear_histogram`` zeroes only the
bins a node touched (``bin_ranges``): for the many small nodes of a deep tree, zeroing and
subtracting whole histograms would cost more than building them. A node's samples are ``idx[start:end]``; the grower builds the smaller child's
histogram from its samples and gets the larger sibling's by subtraction from the parent's.
Each kernel comes in a serial and a parallel (over features) flavour: the grower picks the
parallel one for large nodes only, and a forest growing trees in threads uses serial ones.
"""

import numpy as np
from numba import njit, prange

from .._jit import internal
from ._jit import NO_NRT


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def one_feature_histogram(Xb, f, idx, start, end, codes, w, wy, is_clf, h, bin_range):
    """Add the sums of samples ``idx[start:end]`` for feature f to ``h`` (n_bins_total,
    n_channels); ``bin_range`` gets the smallest and largest bin seen."""
    cnt = h.shape[1] - 1
    lo = 255
    hi = 0
    if is_clf:
        for i in range(start, end):
            s = idx[i]
            b = Xb[s, f]
            h[b, codes[s]] += w[s]
            h[b, cnt] += 1.0
            if b < lo:
                lo = b
            if b > hi:
                hi = b
    else:
        for i in range(start, end):
            s = idx[i]
            b = Xb[s, f]
            h[b, 0] += w[s]
            h[b, 1] += wy[s]
            h[b, cnt] += 1.0
            if b < lo:
                lo = b
            if b > hi:
                hi = b
    bin_range[0] = lo
    bin_range[1] = hi


@njit(cache=True, nogil=True, parallel=True)
def build_histogram_parallel(Xb, idx, start, end, codes, w, wy, is_clf, hist, bin_ranges):
    """Fill ``hist`` with the sums of samples ``idx[start:end]``; ``bin_ranges[f]`` gets the
    smallest and largest bin seen (the NaN bin included)."""
    for f in prange(Xb.shape[1]):
        # a prange index is uint64: np.int64 keeps the one int64 specialisation the serial
        # callers compile (a second one would cost its compile and every caller's re-link)
        one_feature_histogram(Xb, np.int64(f), idx, start, end, codes, w, wy, is_clf, hist[f],
                              bin_ranges[f])


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def build_histogram_serial(Xb, idx, start, end, codes, w, wy, is_clf, hist, bin_ranges):
    """Serial twin of :func:`build_histogram_parallel`."""
    for f in range(Xb.shape[1]):
        one_feature_histogram(Xb, f, idx, start, end, codes, w, wy, is_clf, hist[f], bin_ranges[f])


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def subtract_histogram(parent, child, child_ranges):
    """``parent -= child`` in place: the sibling's histogram, without touching its samples.

    Only the child's bin range is touched (the child's samples are a subset of the parent's).
    """
    K = parent.shape[2]
    for f in range(parent.shape[0]):
        for b in range(child_ranges[f, 0], child_ranges[f, 1] + 1):
            for k in range(K):
                parent[f, b, k] -= child[f, b, k]


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def clear_histogram(hist, bin_ranges):
    """Zero the bins within ``bin_ranges`` (all that a node can have written)."""
    K = hist.shape[2]
    for f in range(hist.shape[0]):
        for b in range(bin_ranges[f, 0], bin_ranges[f, 1] + 1):
            for k in range(K):
                hist[f, b, k] = 0.0
