"""Split search on a categorical feature: the best subset of categories sent left.

A categorical feature's bins are its categories (:class:`~glassworks.tree.binning.BinMapper`
gives each category a bin, a rare tail past ``max_bins - 1`` categories one bin together), and
a categorical split sends a subset of the node's bins left. Among the ``2^(m-1) - 1``
partitions of a node's ``m`` categories:

- two classes (Gini or entropy) and squared error: the optimal subset is a prefix of the
  categories sorted by the proportion of class 1 / the mean target (Fisher 1958 for squared
  error; Breiman et al. 1984, Theorem 4.5, for any concave impurity of two classes). So one
  sort and one scan of the prefixes find it exactly, as LightGBM and scikit-learn's
  HistGradientBoosting do (without their smoothing and caps on the categories scanned);
- more than two classes: no such ordering exists (the problem is NP-hard in general). We
  sort the categories by the proportion of each class in turn and scan the prefixes of each
  of those ``n_classes`` orders, keeping the best: a heuristic that is never better than the
  exhaustive search and exact for two classes (the class-1 order is then the optimal one).

Missing values are handled as on a numeric feature: when the node has NaN, every prefix is
tried with NaN right and with NaN left (this covers every prefix of the order that has NaN in
its place as one more category, so the optimum over subsets of categories and NaN is kept);
without NaN at the node, NaN goes to the child with more samples. A category the node never
saw (absent from its samples, or from the training data) goes where NaN goes: the returned
bitset marks those bins, and the missing bin, with the NaN side. ``min_samples_leaf`` and
``min_weight_leaf`` are applied to each prefix as on a numeric feature: with them the best
qualifying prefix is not always the best qualifying subset.

Candidates are compared with the numeric search's proxy (:func:`~.splitting._proxy`),
strictly greater wins; the categories are sorted stably (ties in bin order), so the split is
deterministic.

These kernels are compiled only for trees with categorical features: the grower calls them
behind ``if is_cat is not None`` tests on an argument that is None for numeric data, which
Numba prunes before typing.
"""

import numpy as np
from numba import njit, prange

from .._jit import internal
from ._jit import NO_NRT
from .splitting import SQUARED_ERROR, _proxy, _weight, best_cut_of_feature


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _sort_by_key(perm, key, m):
    """Stable insertion sort of ``perm[:m]`` by ``key[perm[i]]`` (ascending)."""
    for i in range(1, m):
        p = perm[i]
        k = key[p]
        j = i
        while j > 0 and key[perm[j - 1]] > k:
            perm[j] = perm[j - 1]
            j -= 1
        perm[j] = p


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def bin_goes_left(bits, b):
    """Whether bin ``b`` is in the 256-bit set ``bits`` (4 uint64 words)."""
    return ((bits[b >> 6] >> np.uint64(b & 63)) & np.uint64(1)) != np.uint64(0)


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def best_subset_of_feature(h, lo, hi, n_bins, missing_bin, totals, n_classes, criterion,
                           min_samples_leaf, min_weight_leaf, out, left, bits, cats, perm,
                           best_perm, key):
    """Best categorical split of one feature; writes ``out = [proxy, n_left, -1,
    missing_left]`` and the bins sent left to ``bits`` (uint64 (4,), a bit per bin; the
    missing bin's bit and those of the bins empty at the node are ``missing_left``).

    ``out[0] = -inf`` when no split qualifies (or the feature is constant on the node: one
    category and no NaN). ``h`` is the feature's histogram (n_bins_total, n_channels),
    ``lo``/``hi`` bound its non-empty bins, ``totals`` the node's channel sums; ``left``
    (n_channels,) and ``cats``, ``perm``, ``best_perm`` (int64), ``key`` (float64), each of
    at least ``n_bins`` entries, are scratch.
    """
    K = h.shape[1]
    cnt = K - 1
    out[0] = -np.inf
    out[1] = -1.0
    out[2] = -1.0
    out[3] = 0.0
    has_missing = h[missing_bin, cnt] > 0.0
    last = min(hi, n_bins - 1)
    m = 0
    for b in range(lo, last + 1):
        if h[b, cnt] > 0.0:
            cats[m] = b
            m += 1
    if m == 0 or (m == 1 and not has_missing):
        return
    n_total = totals[cnt]
    wt = _weight(totals, n_classes, criterion)
    is_reg = criterion == SQUARED_ERROR
    n_orders = n_classes if n_classes > 2 else 1
    best = -np.inf
    best_len = 0
    best_ml = 0
    n_searches = 2 if has_missing else 1
    for o in range(n_orders):
        c = 1 if n_classes == 2 else o
        for i in range(m):
            b = cats[i]
            perm[i] = i
            if is_reg:
                key[i] = h[b, 1] / h[b, 0]
            else:
                s = 0.0
                for k in range(n_classes):
                    s += h[b, k]
                key[i] = h[b, c] / s if s > 0.0 else 0.0
        _sort_by_key(perm, key, m)
        improved = False
        for search in range(n_searches):
            missing_left = search == 1
            for k in range(K):
                left[k] = h[missing_bin, k] if missing_left else 0.0
            for i in range(m):
                b = cats[perm[i]]
                for k in range(K):
                    left[k] += h[b, k]
                if i == m - 1 and (missing_left or not has_missing):
                    break  # everything left
                n_left = left[cnt]
                n_right = n_total - n_left
                if n_left >= min_samples_leaf and n_right >= min_samples_leaf:
                    wl = _weight(left, n_classes, criterion)
                    wr = wt - wl
                    if wl >= min_weight_leaf and wr >= min_weight_leaf:
                        p = _proxy(left, totals, n_classes, criterion)
                        if p > best:
                            best = p
                            best_len = i + 1
                            improved = True
                            if has_missing:
                                best_ml = 1 if missing_left else 0
                            else:
                                best_ml = 1 if n_left > n_right else 0
        if improved:
            for i in range(m):
                best_perm[i] = cats[perm[i]]
    if best_len == 0:
        return
    out[0] = best
    out[1] = best_len
    out[3] = best_ml
    fill = np.uint64(0xFFFFFFFFFFFFFFFF) if best_ml == 1 else np.uint64(0)
    for w in range(4):
        bits[w] = fill
    # the node's categories take their side; every other bin (empty at the node, the missing
    # bin) keeps the NaN side set above
    for i in range(m):
        b = cats[i]
        bits[b >> 6] &= ~(np.uint64(1) << np.uint64(b & 63))
    for i in range(best_len):
        b = best_perm[i]
        bits[b >> 6] |= np.uint64(1) << np.uint64(b & 63)


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def left_sums_of_subset(h, lo, hi, missing_bin, bits, left):
    """``left`` = the channel sums of the node's samples whose bin is in ``bits`` (the
    missing bin included when its bit is set), bins in increasing order."""
    K = h.shape[1]
    cnt = K - 1
    for k in range(K):
        left[k] = 0.0
    for b in range(lo, hi + 1):
        if h[b, cnt] > 0.0 and bin_goes_left(bits, b):
            for k in range(K):
                left[k] += h[b, k]


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _best_of_feature(hist, bin_ranges, f, n_bins, missing_bin, totals, n_classes, criterion,
                     min_samples_leaf, min_weight_leaf, out, left, is_cat, bits, iscr, key):
    if is_cat[f]:
        best_subset_of_feature(hist[f], bin_ranges[f, 0], bin_ranges[f, 1], n_bins[f],
                               missing_bin, totals, n_classes, criterion, min_samples_leaf,
                               min_weight_leaf, out, left, bits, iscr[0], iscr[1], iscr[2],
                               key)
    else:
        best_cut_of_feature(hist[f], bin_ranges[f, 0], bin_ranges[f, 1], n_bins[f],
                            missing_bin, totals, n_classes, criterion, min_samples_leaf,
                            min_weight_leaf, out, left)


@njit(cache=True, nogil=True, parallel=True)
def mixed_cuts_parallel(hist, bin_ranges, features, n_bins, missing_bin, totals, n_classes,
                        criterion, min_samples_leaf, min_weight_leaf, out, is_cat, cbits):
    """:func:`~.splitting.best_cuts_parallel` for a tree with categorical features:
    ``out[j]`` the best cut or subset of feature ``features[j]``, ``cbits[j]`` its left bins
    when it is categorical."""
    nf = features.shape[0]
    nb = hist.shape[1]
    scratch = np.empty((nf, hist.shape[2]), dtype=np.float64)
    iscr = np.empty((nf, 3, nb), dtype=np.int64)
    key = np.empty((nf, nb), dtype=np.float64)
    for j in prange(nf):
        _best_of_feature(hist, bin_ranges, features[j], n_bins, missing_bin, totals, n_classes,
                         criterion, min_samples_leaf, min_weight_leaf, out[j], scratch[j],
                         is_cat, cbits[j], iscr[j], key[j])


@internal
@njit(cache=True, nogil=True)
def mixed_cuts_serial(hist, bin_ranges, features, n_bins, missing_bin, totals, n_classes,
                      criterion, min_samples_leaf, min_weight_leaf, out, is_cat, cbits):
    """Serial twin of :func:`mixed_cuts_parallel`."""
    nb = hist.shape[1]
    scratch = np.empty(hist.shape[2], dtype=np.float64)
    iscr = np.empty((3, nb), dtype=np.int64)
    key = np.empty(nb, dtype=np.float64)
    for j in range(features.shape[0]):
        _best_of_feature(hist, bin_ranges, features[j], n_bins, missing_bin, totals, n_classes,
                         criterion, min_samples_leaf, min_weight_leaf, out[j], scratch, is_cat,
                         cbits[j], iscr, key)
