"""Grow one CART tree on binned data into a flat :class:`~glassworks.tree._tree.Tree`.

API (stable; a forest calls it once per tree on data binned once)::

    from glassworks.tree.binning import BinMapper
    from glassworks.tree.grower import grow_tree

    mapper = BinMapper(max_bins=255, random_state=seed).fit(X)   # X float64, NaN allowed
    X_binned = mapper.transform(X)                                 # uint8, Fortran order
    tree = grow_tree(
        X_binned, y, sample_weight, mapper,
        n_classes=3,               # 0 for regression
        criterion="gini",          # "gini", "entropy"/"log_loss", "squared_error"
        max_depth=None, min_samples_split=2, min_samples_leaf=1,
        min_weight_fraction_leaf=0.0, min_impurity_decrease=0.0,
        max_leaf_nodes=None,       # set: best-first growth, as scikit-learn
        max_features=None,         # an int count of features drawn per node, or None (all)
        seed=0,                    # feature draws; same seed, same tree
        parallel=True,             # False: serial kernels (use it when growing trees in threads)
    )

- ``y``: class codes ``0..n_classes-1`` (any int or float dtype) for a classifier, the float
  target for a regressor.
- ``sample_weight``: float64, non-negative; rows of weight 0 are left out entirely (as
  scikit-learn does), so bootstrap counts can be passed as weights.
- ``min_weight_fraction_leaf`` is a fraction of ``sample_weight.sum()``, as scikit-learn.
- The result has scikit-learn's node numbering (depth-first: pre-order; best-first: creation
  order), thresholds in feature units, ``value`` = class probabilities or the mean, and
  ``missing_go_to_left`` learnt per split.

The growth runs in Numba functions that release the GIL, so trees can be grown in Python
threads (with ``parallel=False``; a parallel kernel launched from several threads at once is
not supported by every Numba threading layer).

How: large nodes are searched on histograms (the smaller child's built, the larger's by
subtraction from the parent's). A node of at most ``_TINY`` samples gets no histogram: its
samples get local ids (a block of weights and targets in cache) and are sorted by bin for
every feature, then each search is one pass over the sorted samples
(:func:`~glassworks.tree.splitting.best_cut_of_sorted`) and each split a stable, branch-free
partition of the sorted lists (squared error: every feature in one call, a two-sample node
without a scan). With sampled features (``max_features`` < d, as a forest's classifier) no
node keeps histograms or sorted lists of every feature: each node looks at its drawn features
only, a one-feature histogram for a large node, a sort of its samples (insertion, or counting
over the feature's bins) for a small one (``_SAMPLED_SORT``). A depth-first tree without feature sampling grows its large
nodes first and then the subtrees of its small nodes, which share nothing (their own sample
ranges and records, no random draws): with ``parallel=True`` they are grown on threads, and
the tree is the same whatever the schedule.

A forest on small data skips ``grow_tree``: one call of :func:`_grow_kernel` with
``finish=True`` grows a run of its trees (the same growth) into concatenated node arrays
(:mod:`glassworks.forest._batch`).
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import get_num_threads, njit

from .._jit import internal
from .._parallel import serial_variant
from ._jit import NO_NRT
from ._tree import Tree
from .histogram import (
    build_histogram_parallel,
    build_histogram_serial,
    clear_histogram,
    one_feature_histogram,
    subtract_histogram,
)
from .categorical_splitting import (
    best_subset_of_feature,
    bin_goes_left,
    left_sums_of_subset,
    mixed_cuts_parallel,
    mixed_cuts_serial,
)
from .splitting import (
    ENTROPY,
    GINI,
    SQUARED_ERROR,
    best_cut_of_feature,
    best_cut_of_sorted,
    best_cuts_parallel,
    best_cuts_serial,
    feature_is_constant,
    node_impurity,
    squared_error_cuts_of_pair,
    squared_error_cuts_of_sorted,
)

CRITERIA = {"gini": GINI, "entropy": ENTROPY, "log_loss": ENTROPY, "squared_error": SQUARED_ERROR}

_EPS = np.finfo(np.float64).eps
_INT32_MAX = 2**31 - 1
# a node's histogram is built in parallel (over features) from this many (samples x features)
# and its cuts searched in parallel from this many (features x bins x channels): every
# parallel launch ends on a barrier, which on a busy machine can cost more than it saves
_PARALLEL_WORK = 1_000_000
_PARALLEL_CUTS = 200_000
# nodes of at most this many samples are searched without histograms: on their samples kept
# sorted by bin per feature (sorted once when a node first gets this small, then split stably
# into the children), in one pass at a cost proportional to the node's size rather than to the
# number of bins; a deep tree's many small nodes would otherwise pay for clearing, subtracting
# and scanning full histograms. (Changing it changes which nodes' sums come from histogram
# subtraction, hence the last bits of some sums: keep it fixed for reproducible trees.)
_TINY = 2048
# ... but sorting a node pays off only over the levels below it: with fewer than this many
# levels left to grow (max_depth), nodes above _TINIEST samples keep histograms
_SORT_LEVELS = 6
_TINIEST = 48
# with sampled features, a node of at most this many samples sorts a drawn feature's samples
# (insertion sort) rather than building its histogram (which costs a pass over its bins)
_SAMPLED_SORT = 48
# the deferred small subtrees are grown on threads (parallel=True) from this many samples
_PARALLEL_SUBTREES = 20_000

# integer record fields
_START, _END, _DEPTH, _PARENT, _LEFT, _RIGHT, _SLOT, _FEAT, _BLO, _BHI, _ML, _LEAF, _SRT = range(13)
_NI = 13
# float record fields
_IMP, _WN, _IMPROVEMENT, _SQSUM = range(4)


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _rand_int(state, lo, hi):
    x = state[0]
    x ^= x << np.uint64(13)
    x ^= x >> np.uint64(7)
    x ^= x << np.uint64(17)
    state[0] = x
    return lo + np.int64(x % np.uint64(hi - lo))


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _weight_of(totals, n_classes):
    if n_classes == 0:
        return totals[0]
    s = 0.0
    for c in range(n_classes):
        s += totals[c]
    return s


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _precheck(r, ri, rf, rt, n_classes, criterion, max_depth, min_samples_split,
              min_samples_leaf, min_weight_leaf):
    """Store the node's impurity and weight; True when it may be split (before the search)."""
    n_node = ri[r, _END] - ri[r, _START]
    wn = _weight_of(rt[r], n_classes)
    imp = node_impurity(rt[r], n_classes, criterion, rf[r, _SQSUM])
    rf[r, _IMP] = imp
    rf[r, _WN] = wn
    return not (
        ri[r, _DEPTH] >= max_depth
        or n_node < min_samples_split
        or n_node < 2 * min_samples_leaf
        or wn < 2.0 * min_weight_leaf
        or imp <= _EPS
    )


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _sort_node(Xb, idx, start, end, srt, sbin, counts, gpw, pw):
    """Give the node's samples local ids and write them, sorted by (bin, row) for each feature,
    to ``srt[f, start:end]`` and their bins to ``sbin[f, start:end]``.

    The sample at ``idx[i]`` (rows in increasing order) gets the local id i: its payload
    ``gpw[row]`` is copied to ``pw[i]`` and ``idx[i]`` becomes i. The node's subtree then reads
    its samples' weights and targets from a block of ``pw`` of the node's size, in cache,
    instead of gathering them across all rows; local ids keep the row order.

    A counting sort (stable: ``idx[start:end]`` is in row order), linear in the node's size.
    """
    NB = counts.shape[0] - 1
    for i in range(start, end):
        s = idx[i]
        for k in range(3):
            pw[i, k] = gpw[s, k]
    for f in range(Xb.shape[1]):
        for b in range(NB + 1):
            counts[b] = 0
        for i in range(start, end):
            counts[np.int64(Xb[idx[i], f]) + 1] += 1
        counts[0] = start
        for b in range(1, NB + 1):
            counts[b] += counts[b - 1]
        row = srt[f]
        rowb = sbin[f]
        for i in range(start, end):
            b = Xb[idx[i], f]
            row[counts[b]] = i
            rowb[counts[b]] = b
            counts[b] += 1
    for i in range(start, end):
        idx[i] = i


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _commit(r, ri, rf, rt, rl, best_f, b_lo, b_hi, ml, best_proxy, n_classes, criterion,
            min_impurity_decrease, w_total, scratch):
    """Record node r's best cut as its split unless its improvement is too small; True when
    split. ``scratch`` (K,) is overwritten."""
    K = rt.shape[1]
    wn = rf[r, _WN]
    if criterion == SQUARED_ERROR:
        improvement = (best_proxy - rt[r, 1] * rt[r, 1] / wn) / w_total
    else:
        left = rl[r]
        right = scratch
        for k in range(K):
            right[k] = rt[r, k] - left[k]
        wl = _weight_of(left, n_classes)
        wr = wn - wl
        imp_l = node_impurity(left, n_classes, criterion, 0.0)
        imp_r = node_impurity(right, n_classes, criterion, 0.0)
        improvement = (wn / w_total) * (rf[r, _IMP] - wr / wn * imp_r - wl / wn * imp_l)
    if improvement + _EPS < min_impurity_decrease:
        return False
    ri[r, _LEAF] = 0
    ri[r, _FEAT] = best_f
    ri[r, _BLO] = b_lo
    ri[r, _BHI] = b_hi
    ri[r, _ML] = ml
    rf[r, _IMPROVEMENT] = improvement
    return True


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _evaluate_sorted(r, splittable, ri, rf, rt, rl, missing_bin, n_classes, criterion,
                     min_samples_leaf, min_weight_leaf, min_impurity_decrease, w_total, cut, Xb,
                     idx, is_clf, ws, srt, sbin, gpw, pw, keys):
    """Find the split of node r, a small node without histogram, on its samples sorted by bin
    per feature (sorted here if its parent's were not), every feature searched (a tree with
    sampled features uses :func:`_evaluate_sampled`). Leaves r a leaf when nothing
    qualifies."""
    ri[r, _LEAF] = 1
    rf[r, _IMPROVEMENT] = 0.0
    if not splittable:
        return
    d = Xb.shape[1]
    K = rt.shape[1]
    totals = rt[r]
    left = rl[r]
    for k in range(K):
        left[k] = 0.0
    start = ri[r, _START]
    end = ri[r, _END]
    # (np.int64, not literals: a Literal[int] reaches _commit's typing before it is unified
    # with int64 and compiles _commit a second time)
    best_f = np.int64(-1)
    b_lo = np.int64(-1)
    b_hi = np.int64(-1)
    ml = np.int64(0)
    best_proxy = -np.inf
    if ri[r, _SRT] == 0:
        _sort_node(Xb, idx, start, end, srt, sbin, keys, gpw, pw)
        ri[r, _SRT] = 1
    row = cut[0]
    if not is_clf and criterion == SQUARED_ERROR:
        # every feature, in one call
        if end - start == 2:
            n_cut, best_f = squared_error_cuts_of_pair(srt, sbin, start, pw, missing_bin,
                                                       totals, min_weight_leaf, row, left)
        else:
            # (start - start, not 0: a literal compiles another specialisation)
            n_cut, best_f = squared_error_cuts_of_sorted(srt, sbin, start - start, d, start, end,
                                                         pw, missing_bin, totals,
                                                         min_samples_leaf, min_weight_leaf, row,
                                                         left)
        if best_f >= 0:
            _commit(r, ri, rf, rt, rl, best_f, np.int64(row[1]), np.int64(row[2]),
                    np.int64(row[3]), row[0], n_classes, criterion, min_impurity_decrease,
                    w_total, ws[0])
        return
    for f in range(d):
        if not best_cut_of_sorted(srt, sbin, f, start, end, pw, is_clf, missing_bin,
                                  totals, n_classes, criterion, min_samples_leaf,
                                  min_weight_leaf, row, ws):
            continue
        if row[0] > best_proxy:
            best_proxy = row[0]
            best_f = f
            b_lo = np.int64(row[1])
            b_hi = np.int64(row[2])
            ml = np.int64(row[3])
            for k in range(K):
                left[k] = ws[6, k]
    if best_f < 0:
        return
    _commit(r, ri, rf, rt, rl, best_f, b_lo, b_hi, ml, best_proxy, n_classes, criterion,
            min_impurity_decrease, w_total, ws[0])


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _evaluate_sampled(r, splittable, ri, rf, rt, rl, n_bins, missing_bin, n_classes,
                      criterion, min_samples_leaf, min_weight_leaf, min_impurity_decrease,
                      w_total, max_features, rng, perm, cut, Xb, idx, is_clf, codes, w, wy,
                      gpw, ws, hs, hrange, tsrt, tsbin, keys, is_cat, rb, cbits, iscr, ckey):
    """Find node r's split when features are sampled: only the drawn features are looked at,
    each on the node's samples (``idx[start:end]``, rows in row order) when drawn.

    A small node sorts the drawn feature's samples by (bin, row) (stably, the samples being in
    row order: an insertion sort, or a counting sort over the feature's bins (``keys``
    scratch) when it has few enough for that to be cheaper) and scans them with
    :func:`~glassworks.tree.splitting.best_cut_of_sorted`; a larger one builds that feature's
    histogram (``hs``, all-zero between calls) and scans it. Both give, bit for bit, the sums
    and the cut the node's full histogram would, so the tree does not depend on which path a
    node takes. A categorical feature (``is_cat``, None when there is none) is always searched
    on its histogram (:func:`~.categorical_splitting.best_subset_of_feature`, its left bins in
    ``cbits[0]``, the winner's in ``rb[r]``; ``iscr``, ``ckey`` scratch). Leaves r a leaf when
    nothing qualifies."""
    ri[r, _LEAF] = 1
    rf[r, _IMPROVEMENT] = 0.0
    if not splittable:
        return
    d = Xb.shape[1]
    K = rt.shape[1]
    totals = rt[r]
    left = rl[r]
    for k in range(K):
        left[k] = 0.0
    start = ri[r, _START]
    end = ri[r, _END]
    n_node = end - start
    small = n_node <= tsrt.shape[1]
    for j in range(d):
        perm[j] = j
    best_f = -1
    b_lo = -1
    b_hi = -1
    ml = 0
    best_proxy = -np.inf
    row = cut[0]
    srow = tsrt[0]
    brow = tsbin[0]
    # draw features (as scikit-learn: until max_features non-constant ones)
    n_take = 0
    n_drawn = d - d  # (not a literal 0: _rand_int would compile for Literal[int](0) too)
    while n_drawn < d and n_take < max_features:
        j = _rand_int(rng, n_drawn, d)
        f = perm[j]
        perm[j] = perm[n_drawn]
        perm[n_drawn] = f
        n_drawn += 1
        cat_f = False
        if is_cat is not None:
            cat_f = is_cat[f]
        if small and not cat_f:
            nbf = n_bins[f]
            # counting sort (two passes over the samples and two over the bins) where it
            # beats the insertion sort's n_node**2 / 4 expected moves
            if nbf < (n_node * n_node) >> 3:
                # bins 0 .. nbf - 1, then the NaN bin (slot nbf)
                for b in range(nbf + 1):
                    keys[b] = 0
                for i in range(n_node):
                    b = np.int64(Xb[idx[start + i], f])
                    keys[b if b < nbf else nbf] += 1
                acc = 0
                for b in range(nbf + 1):
                    c = keys[b]
                    keys[b] = acc
                    acc += c
                for i in range(n_node):
                    s = idx[start + i]
                    b = Xb[s, f]
                    kb = np.int64(b) if b < nbf else nbf
                    q = keys[kb]
                    keys[kb] = q + 1
                    brow[q] = b
                    srow[q] = s
            else:
                # insertion sort: about n_node**2 / 4 moves
                for i in range(n_node):
                    s = idx[start + i]
                    b = Xb[s, f]
                    q = i
                    while q > 0 and brow[q - 1] > b:
                        brow[q] = brow[q - 1]
                        srow[q] = srow[q - 1]
                        q -= 1
                    brow[q] = b
                    srow[q] = s
            z = n_node - n_node  # not a literal 0: one specialisation of the search
            if not best_cut_of_sorted(tsrt, tsbin, z, z, n_node, gpw, is_clf, missing_bin,
                                      totals, n_classes, criterion, min_samples_leaf,
                                      min_weight_leaf, row, ws):
                continue
            n_take += 1
            if row[0] > best_proxy:
                best_proxy = row[0]
                best_f = f
                b_lo = np.int64(row[1])
                b_hi = np.int64(row[2])
                ml = np.int64(row[3])
                for k in range(K):
                    left[k] = ws[6, k]
        else:
            one_feature_histogram(Xb, f, idx, start, end, codes, w, wy, is_clf, hs, hrange)
            lo = hrange[0]
            hi = hrange[1]
            if cat_f:
                if not feature_is_constant(hs, lo, hi, n_bins[f], missing_bin):
                    n_take += 1
                    best_subset_of_feature(hs, lo, hi, n_bins[f], missing_bin, totals,
                                           n_classes, criterion, min_samples_leaf,
                                           min_weight_leaf, row, ws[0], cbits[0], iscr[0],
                                           iscr[1], iscr[2], ckey)
                    if row[0] > best_proxy:
                        best_proxy = row[0]
                        best_f = f
                        b_lo = np.int64(row[1])
                        b_hi = np.int64(row[2])
                        ml = np.int64(row[3])
                        for k in range(4):
                            rb[r, k] = cbits[0, k]
                        left_sums_of_subset(hs, lo, hi, missing_bin, cbits[0], left)
            elif not feature_is_constant(hs, lo, hi, n_bins[f], missing_bin):
                n_take += 1
                best_cut_of_feature(hs, lo, hi, n_bins[f], missing_bin, totals, n_classes,
                                    criterion, min_samples_leaf, min_weight_leaf, row, ws[0])
                if row[0] > best_proxy:
                    best_proxy = row[0]
                    best_f = f
                    b_lo = np.int64(row[1])
                    b_hi = np.int64(row[2])
                    ml = np.int64(row[3])
                    for k in range(K):
                        left[k] = 0.0
                    for b in range(lo, b_lo + 1):
                        for k in range(K):
                            left[k] += hs[b, k]
                    if ml == 1 and hs[missing_bin, K - 1] > 0.0:
                        for k in range(K):
                            left[k] += hs[missing_bin, k]
            for b in range(lo, hi + 1):
                for k in range(K):
                    hs[b, k] = 0.0
    if best_f < 0:
        return
    _commit(r, ri, rf, rt, rl, best_f, b_lo, b_hi, ml, best_proxy, n_classes, criterion,
            min_impurity_decrease, w_total, ws[0])


@internal
@njit(cache=True, nogil=True)
def _evaluate(r, splittable, ri, rf, rt, rl, pool, pranges, free, n_free, n_bins, missing_bin,
              n_classes, criterion, min_samples_leaf, min_weight_leaf, min_impurity_decrease,
              w_total, perm, cut, parallel, Xb, idx, is_clf, ws, srt, sbin, gpw, pw, keys,
              is_cat, rb, cbits):
    """Find node r's split over every feature (a tree with sampled features uses
    :func:`_evaluate_sampled`): on its histogram (slot ri[r, _SLOT]) or, for a small node
    without one, on its sorted samples. With categorical features (``is_cat``, None when there
    is none) every node has a histogram, the categorical ones are searched for subsets
    (their left bins in ``cbits``, the winner's copied to ``rb[r]``). Leaves r a leaf when
    nothing qualifies."""
    slot = ri[r, _SLOT]
    if slot < 0:
        _evaluate_sorted(r, splittable, ri, rf, rt, rl, missing_bin, n_classes, criterion,
                         min_samples_leaf, min_weight_leaf, min_impurity_decrease, w_total,
                         cut, Xb, idx, is_clf, ws, srt, sbin, gpw, pw, keys)
        return
    ri[r, _LEAF] = 1
    rf[r, _IMPROVEMENT] = 0.0
    if not splittable:
        _release(pool, pranges, slot, free, n_free)
        ri[r, _SLOT] = -1
        return
    d = Xb.shape[1]
    K = rt.shape[1]
    totals = rt[r]
    left = rl[r]
    for k in range(K):
        left[k] = 0.0
    best_proxy = -np.inf
    hist = pool[slot]
    ranges = pranges[slot]
    feats = perm[:d]
    for j in range(d):
        feats[j] = j
    nf = d
    if nf > 0:
        if is_cat is None:
            if parallel and nf * hist.shape[1] * hist.shape[2] >= _PARALLEL_CUTS:
                best_cuts_parallel(hist, ranges, feats, n_bins, missing_bin, totals, n_classes,
                                   criterion, min_samples_leaf, min_weight_leaf, cut)
            else:
                best_cuts_serial(hist, ranges, feats, n_bins, missing_bin, totals, n_classes,
                                 criterion, min_samples_leaf, min_weight_leaf, cut)
        elif parallel and nf * hist.shape[1] * hist.shape[2] >= _PARALLEL_CUTS:
            mixed_cuts_parallel(hist, ranges, feats, n_bins, missing_bin, totals, n_classes,
                                criterion, min_samples_leaf, min_weight_leaf, cut, is_cat, cbits)
        else:
            mixed_cuts_serial(hist, ranges, feats, n_bins, missing_bin, totals, n_classes,
                              criterion, min_samples_leaf, min_weight_leaf, cut, is_cat, cbits)
    best = -1
    for j in range(nf):
        if cut[j, 0] > best_proxy:
            best_proxy = cut[j, 0]
            best = j
    if best < 0:
        _release(pool, pranges, slot, free, n_free)
        ri[r, _SLOT] = -1
        return
    best_f = feats[best]
    b_lo = np.int64(cut[best, 1])
    b_hi = np.int64(cut[best, 2])
    ml = np.int64(cut[best, 3])
    h = hist[best_f]
    cat_f = False
    if is_cat is not None:
        cat_f = is_cat[best_f]
    if cat_f:
        for k in range(4):
            rb[r, k] = cbits[best, k]
        left_sums_of_subset(h, ranges[best_f, 0], ranges[best_f, 1], missing_bin, cbits[best],
                            left)
    else:
        for b in range(ranges[best_f, 0], b_lo + 1):
            for k in range(K):
                left[k] += h[b, k]
        if ml == 1 and h[missing_bin, K - 1] > 0.0:
            for k in range(K):
                left[k] += h[missing_bin, k]
    if not _commit(r, ri, rf, rt, rl, best_f, b_lo, b_hi, ml, best_proxy, n_classes,
                   criterion, min_impurity_decrease, w_total, ws[0]):
        _release(pool, pranges, slot, free, n_free)
        ri[r, _SLOT] = -1


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _release(pool, pranges, slot, free, n_free):
    # free slots are kept all-zero, so that building a histogram needs no zeroing
    clear_histogram(pool[slot], pranges[slot])
    free[n_free[0]] = slot
    n_free[0] += 1


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _heap_push(keys, recs, size, key, rec):
    i = size
    keys[i] = key
    recs[i] = rec
    while i > 0:
        p = (i - 1) >> 1
        # max-heap on the improvement; earlier records first among equals
        if keys[p] > keys[i] or (keys[p] == keys[i] and recs[p] < recs[i]):
            break
        keys[p], keys[i] = keys[i], keys[p]
        recs[p], recs[i] = recs[i], recs[p]
        i = p
    return size + 1


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _heap_pop(keys, recs, size):
    top = recs[0]
    size -= 1
    keys[0] = keys[size]
    recs[0] = recs[size]
    i = 0
    while True:
        lc = 2 * i + 1
        if lc >= size:
            break
        c = lc
        rc = lc + 1
        if rc < size and (keys[rc] > keys[lc] or (keys[rc] == keys[lc] and recs[rc] < recs[lc])):
            c = rc
        if keys[i] > keys[c] or (keys[i] == keys[c] and recs[i] < recs[c]):
            break
        keys[c], keys[i] = keys[i], keys[c]
        recs[c], recs[i] = recs[i], recs[c]
        i = c
    return top, size


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _copy_prefix(dst, src):
    # slice assignment between arrays compiles slowly in Numba; a flat loop does not
    d = dst.reshape(-1)
    s = src.reshape(-1)
    for i in range(s.shape[0]):
        d[i] = s[i]


@internal
@njit(cache=True, nogil=True)
def _grow_float2(a, cap):
    out = np.zeros((cap, a.shape[1]), dtype=np.float64)
    _copy_prefix(out, a)
    return out


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _make_children(r, lc, rc, pl, s2l, s2r, ri, rf, rt, rl):
    """Records of node r's children: samples [start, pl) and [pl, end)."""
    K = rt.shape[1]
    cnt = K - 1
    start = ri[r, _START]
    end = ri[r, _END]
    for c in (lc, rc):
        ri[c, _DEPTH] = ri[r, _DEPTH] + 1
        ri[c, _PARENT] = r
        ri[c, _SLOT] = -1
        ri[c, _LEFT] = -1
        ri[c, _RIGHT] = -1
        ri[c, _SRT] = 0
    ri[lc, _START] = start
    ri[lc, _END] = pl
    ri[rc, _START] = pl
    ri[rc, _END] = end
    for k in range(K):
        rt[lc, k] = rl[r, k]
        rt[rc, k] = rt[r, k] - rl[r, k]
    rt[lc, cnt] = pl - start
    rt[rc, cnt] = end - pl
    rf[lc, _SQSUM] = s2l
    rf[rc, _SQSUM] = s2r
    ri[r, _LEFT] = lc
    ri[r, _RIGHT] = rc


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _partition_subset(Xb, y, wy, idx, buf, start, end, f, bits, is_clf):
    """The histogram path's partition of ``idx[start:end]`` (stable, branch-free) for a
    categorical split: a sample goes left when its bin is in ``bits`` (the missing bin's bit
    is the NaN side). Returns ``(pl, pr, s2l, s2r)``: the right samples are ``buf[:pr]``."""
    pl = start
    pr = 0
    s2l = 0.0
    s2r = 0.0
    for i in range(start, end):
        s = idx[i]
        b = np.int64(Xb[s, f])
        go = np.int64((bits[b >> 6] >> np.uint64(b & 63)) & np.uint64(1))
        idx[pl] = s
        buf[pr] = s
        pl += go
        pr += 1 - go
        if not is_clf:
            v = wy[s] * y[s]
            s2l += v if go == 1 else 0.0
            s2r += 0.0 if go == 1 else v
    return pl, pr, s2l, s2r


@internal
@njit(cache=True, nogil=True, **NO_NRT)
def _split_sorted(r, lc, rc, ri, rf, rt, rl, idx, srt, sbin, pw, side, buf, sbuf, bbuf,
                  missing_bin, n_classes, criterion, max_depth, min_samples_split,
                  min_samples_leaf, min_weight_leaf, is_clf):
    """Split a small node r (idx holds local ids, samples sorted per feature) into records lc
    and rc; returns whether each child may be split.

    The sides come from the split feature's sorted samples (no gather from Xb); idx and every
    feature's sorted samples are split stably, branch-free (a small node's sides are
    unpredictable).
    """
    start = ri[r, _START]
    end = ri[r, _END]
    f = ri[r, _FEAT]
    b_lo = ri[r, _BLO]
    go_missing_left = ri[r, _ML] == 1
    for i in range(start, end):
        b = sbin[f, i]
        if b == missing_bin:
            left_side = go_missing_left
        else:
            left_side = b <= b_lo
        side[srt[f, i]] = np.uint8(1) if left_side else np.uint8(0)
    pl = start
    pr = 0
    s2l = 0.0
    s2r = 0.0
    for i in range(start, end):
        s = idx[i]
        g = side[s]
        idx[pl] = s
        buf[pr] = s
        pl += g
        pr += 1 - g
        if not is_clf:
            t = pw[s, 2]
            # (adding +0.0 leaves a sum that starts at +0.0 bit for bit unchanged)
            s2l += t if g else 0.0
            s2r += 0.0 if g else t
    for i in range(pr):
        idx[pl + i] = buf[i]
    _make_children(r, lc, rc, pl, s2l, s2r, ri, rf, rt, rl)
    split_l = _precheck(lc, ri, rf, rt, n_classes, criterion, max_depth, min_samples_split,
                        min_samples_leaf, min_weight_leaf)
    split_r = _precheck(rc, ri, rf, rt, n_classes, criterion, max_depth, min_samples_split,
                        min_samples_leaf, min_weight_leaf)
    if split_l or split_r:
        # the children's sorted samples: a stable split of the parent's
        # (copied out, then scattered back: the left child's from start, the right's from pl)
        n = end - start
        for ff in range(srt.shape[0]):
            for i in range(n):
                sbuf[i] = srt[ff, start + i]
                bbuf[i] = sbin[ff, start + i]
            ql = start
            qr = pl
            for i in range(n):
                s = sbuf[i]
                g = side[s]
                q = ql if g else qr
                srt[ff, q] = s
                sbin[ff, q] = bbuf[i]
                ql += g
                qr += 1 - g
        ri[lc, _SRT] = 1
        ri[rc, _SRT] = 1
    return split_l, split_r


@internal
@njit(cache=True, nogil=True)
def _grow_subtree(root, split_root, rec0, ri, rf, rt, rl, Xb, idx, srt, sbin, gpw, pw, side,
                  missing_bin, n_classes, criterion, max_depth, min_samples_split,
                  min_samples_leaf, min_weight_leaf, min_impurity_decrease, w_total, is_clf):
    """Grow the whole subtree of a small node (record ``root``, precheck done) on sorted
    samples, depth-first, its nodes recorded from ``rec0`` on.

    It only touches the root's sample range of idx, srt, sbin, pw, side and its own records,
    so subtrees can be grown concurrently. Features are not sampled (no random draws).
    """
    d = Xb.shape[1]
    K = rt.shape[1]
    n_sub = ri[root, _END] - ri[root, _START]
    cut = np.empty((max(d, 1), 4), dtype=np.float64)
    ws = np.empty((7, K), dtype=np.float64)
    keys = np.empty(missing_bin + 2, dtype=np.int64)
    buf = np.empty(n_sub, dtype=np.int64)
    sbuf = np.empty(n_sub, dtype=np.int32)
    bbuf = np.empty(n_sub, dtype=np.uint8)
    stack = np.empty(n_sub + 2, dtype=np.int64)
    _evaluate_sorted(root, split_root, ri, rf, rt, rl, missing_bin, n_classes, criterion,
                     min_samples_leaf, min_weight_leaf, min_impurity_decrease, w_total, cut,
                     Xb, idx, is_clf, ws, srt, sbin, gpw, pw, keys)
    n_rec = rec0
    sp = 0
    if ri[root, _LEAF] == 0:
        stack[0] = root
        sp = 1
    while sp > 0:
        sp -= 1
        r = stack[sp]
        lc = n_rec
        rc = n_rec + 1
        n_rec += 2
        split_l, split_r = _split_sorted(r, lc, rc, ri, rf, rt, rl, idx, srt, sbin, pw, side,
                                         buf, sbuf, bbuf, missing_bin, n_classes, criterion,
                                         max_depth, min_samples_split, min_samples_leaf,
                                         min_weight_leaf, is_clf)
        _evaluate_sorted(lc, split_l, ri, rf, rt, rl, missing_bin, n_classes, criterion,
                         min_samples_leaf, min_weight_leaf, min_impurity_decrease, w_total,
                         cut, Xb, idx, is_clf, ws, srt, sbin, gpw, pw, keys)
        _evaluate_sorted(rc, split_r, ri, rf, rt, rl, missing_bin, n_classes, criterion,
                         min_samples_leaf, min_weight_leaf, min_impurity_decrease, w_total,
                         cut, Xb, idx, is_clf, ws, srt, sbin, gpw, pw, keys)
        if ri[rc, _LEAF] == 0:
            stack[sp] = rc
            sp += 1
        if ri[lc, _LEAF] == 0:
            stack[sp] = lc
            sp += 1
    return n_rec


@njit(cache=True, nogil=True)
def _grow_subtrees(roots, offsets, ri, rf, rt, rl, Xb, idx, srt, sbin, gpw, pw, side,
                   missing_bin, n_classes, criterion, max_depth, min_samples_split,
                   min_samples_leaf, min_weight_leaf, min_impurity_decrease, w_total):
    """Grow the deferred small subtrees ``roots`` (their records from ``offsets``).

    Subtrees share no state (disjoint sample ranges and records, no random draws): threads
    may grow disjoint lists of them at once, and the tree does not depend on how."""
    is_clf = n_classes > 0
    # (a deferred root is always split; not a literal True, which would compile
    # _evaluate_sorted a second time, for Literal[bool](True))
    split = roots.shape[0] > 0
    for j in range(roots.shape[0]):
        _grow_subtree(roots[j], split, offsets[j], ri, rf, rt, rl, Xb, idx, srt, sbin, gpw, pw,
                      side, missing_bin, n_classes, criterion, max_depth, min_samples_split,
                      min_samples_leaf, min_weight_leaf, min_impurity_decrease, w_total, is_clf)


@internal
@njit(cache=True, nogil=True)
def _node_arrays(nn, n_classes):
    """Uninitialised node arrays of a Tree (or of concatenated trees) of ``nn`` nodes."""
    n_out = n_classes if n_classes > 0 else 1
    return (np.empty(nn, dtype=np.int64), np.empty(nn, dtype=np.int64),
            np.empty(nn, dtype=np.int64), np.empty(nn, dtype=np.float64),
            np.empty(nn, dtype=np.uint8), np.empty((nn, n_out), dtype=np.float64),
            np.empty(nn, dtype=np.int64), np.empty(nn, dtype=np.float64),
            np.empty(nn, dtype=np.float64))


@njit(cache=True, nogil=True)
def _finish(ri, rf, rt, n_rec, best_first, n_classes, values, edges, is_exact, is_cat, rb):
    """The Tree's arrays (see :func:`_node_order` and :func:`_assemble_into`), and the left
    bins of each node's categorical split (empty when ``is_cat`` is None)."""
    order = _node_order(ri, n_rec, best_first)
    nn = order.shape[0]
    left, right, feature, threshold, missing_left, value, n_samples, wn, impurity = (
        _node_arrays(nn, n_classes))
    obits = _bit_rows(nn, is_cat)
    _assemble_into(ri, rf, rt, order, n_classes, values, edges, is_exact, left, right, feature,
                   threshold, missing_left, value, n_samples, wn, impurity, nn - nn, is_cat,
                   rb, obits)
    return left, right, feature, threshold, missing_left, value, n_samples, wn, impurity, obits


@internal
@njit(cache=True, nogil=True)
def _bit_rows(nn, is_cat):
    """Left-bin sets of ``nn`` output nodes: (nn, 4) uint64, zero rows when ``is_cat`` is
    None."""
    if is_cat is None:
        return np.zeros((0, 4), dtype=np.uint64)
    return np.zeros((nn, 4), dtype=np.uint64)


@internal
@njit(cache=True, nogil=True)
def _node_order(ri, n_rec, best_first):
    """The records of the tree's nodes in output order: creation order (best-first) or
    pre-order (depth-first); deferred subtrees leave unused records in their blocks, which no
    link reaches."""
    order = np.empty(n_rec, dtype=np.int64)
    if best_first:
        for i in range(n_rec):
            order[i] = i
        return order
    stack = np.empty(n_rec, dtype=np.int64)
    sp = 1
    stack[0] = 0
    k = 0
    while sp > 0:
        sp -= 1
        r = stack[sp]
        order[k] = r
        k += 1
        if ri[r, _LEAF] == 0:
            stack[sp] = ri[r, _RIGHT]
            stack[sp + 1] = ri[r, _LEFT]
            sp += 2
    return order[:k]


@internal
@njit(cache=True, nogil=True)
def _assemble_into(ri, rf, rt, order, n_classes, values, edges, is_exact, left, right, feature,
                   threshold, missing_left, value, n_samples, wn, impurity, o, is_cat, rb,
                   obits):
    """Write the Tree's arrays for the records ``order`` at rows ``o ..`` of the outputs:
    thresholds in feature units between the observed bins of each split (the midpoint of the
    two values for an exact feature, as scikit-learn; of the two bin edges otherwise; +inf
    for "NaN right" cuts), children numbered from 0 within the tree. A categorical split
    (``is_cat``, None when there is none) gets a NaN threshold and its left bins in
    ``obits``."""
    nn = order.shape[0]
    K = rt.shape[1]
    new_id = np.zeros(ri.shape[0], dtype=np.int64)
    for i in range(nn):
        new_id[order[i]] = i
    for j in range(nn):
        r = order[j]
        i = o + j
        w_r = rf[r, _WN]
        wn[i] = w_r
        impurity[i] = rf[r, _IMP]
        n_samples[i] = np.int64(rt[r, K - 1])
        if n_classes > 0:
            for c in range(n_classes):
                value[i, c] = rt[r, c] / w_r
        else:
            value[i, 0] = rt[r, 1] / w_r
        if ri[r, _LEAF] == 1:
            left[i] = -1
            right[i] = -1
            feature[i] = -2
            threshold[i] = -2.0
            missing_left[i] = 0
            continue
        f = ri[r, _FEAT]
        lo = ri[r, _BLO]
        hi = ri[r, _BHI]
        left[i] = new_id[ri[r, _LEFT]]
        right[i] = new_id[ri[r, _RIGHT]]
        feature[i] = f
        missing_left[i] = ri[r, _ML]
        if is_cat is not None:
            if is_cat[f]:
                threshold[i] = np.nan
                for k in range(4):
                    obits[i, k] = rb[r, k]
                continue
        if hi < 0:
            threshold[i] = np.inf
        elif is_exact[f]:
            a = values[f, lo]
            b = values[f, hi]
            mid = a / 2.0 + b / 2.0
            threshold[i] = a if (mid >= b or np.isinf(mid)) else mid
        else:
            threshold[i] = edges[f, lo] / 2.0 + edges[f, hi - 1] / 2.0


@njit(cache=True, nogil=True)
def _grow_one(Xb, y, w, n_classes, criterion, n_bins, missing_bin, max_depth,
              min_samples_split, min_samples_leaf, min_weight_leaf, min_impurity_decrease,
              max_leaf_nodes, max_features, seed, parallel, is_cat):
    """Grow one tree into records; its deferred small subtrees (``roots``) are left to
    :func:`_grow_subtrees`. Returns the records, the scratch those need and the left bins of
    the categorical splits (``rb``, a row per record; empty when ``is_cat`` is None).

    ``is_cat``: None (no categorical feature: the categorical searches are not compiled), or
    which features are categorical. Then every node is searched on histograms (no sorted
    small nodes, no deferred subtrees): a subset search needs a node's per-category sums."""
    n, d = Xb.shape
    is_clf = n_classes > 0
    K = n_classes + 1 if is_clf else 3
    cnt = K - 1
    NB = missing_bin + 1
    if is_cat is None:
        tiny = _TINY
        tiniest = _TINIEST
    else:
        tiny = 0
        tiniest = 0

    m = 0
    for i in range(n):
        if w[i] > 0.0:
            m += 1
    idx = np.empty(m, dtype=np.int64)
    j = 0
    for i in range(n):
        if w[i] > 0.0:
            idx[j] = i
            j += 1
    buf = np.empty(m, dtype=np.int64)
    codes = np.zeros(n if is_clf else 1, dtype=np.int64)
    wy = np.zeros(1 if is_clf else n, dtype=np.float64)
    w_total = 0.0
    for i in range(n):
        w_total += w[i]
        if is_clf:
            codes[i] = np.int64(y[i])
        else:
            wy[i] = w[i] * y[i]
    rng = np.empty(1, dtype=np.uint64)
    rng[0] = np.uint64(seed) * np.uint64(2654435761) + np.uint64(88172645463325252)

    # a root small enough to be searched on sorted samples has no histogram, nor has any
    # node below it: no pool at all (a tree on a few hundred rows, as MAPLE and small
    # forests grow by the hundred, would pay more for allocating it than for its growth)
    root_tiny = m <= tiny and not (max_depth < _SORT_LEVELS and m > tiniest)
    # with sampled features, each node looks at its drawn features only (_evaluate_sampled,
    # called here directly: a call through a function that counts references would cost an
    # atomic operation per array argument): no pool of histograms of every feature, no sorted
    # samples of every feature
    sampling = max_features < d
    # records: as many as the tree can have (every leaf holds a sample), left uninitialised
    # (every field read is written first): pages of records never used are never touched,
    # and a deep tree is not copied over as it grows
    cap = max(2 * m - 1, 1)
    if max_depth < 40:
        cap = min(cap, (1 << (max_depth + 1)) - 1)
    if max_leaf_nodes > 0:
        cap = min(cap, 2 * max_leaf_nodes - 1)
    ri = np.empty((cap, _NI), dtype=np.int64)
    rf = np.empty((cap, 4), dtype=np.float64)
    rt = np.empty((cap, K), dtype=np.float64)
    rl = np.empty((cap, K), dtype=np.float64)
    # categorical splits: each record's left bins (a 256-bit set), and the search's scratch
    if is_cat is None:
        rb = np.zeros((0, 4), dtype=np.uint64)
        cbits = np.zeros((0, 4), dtype=np.uint64)
        iscr = np.zeros((0, 0), dtype=np.int64)
        ckey = np.zeros(0, dtype=np.float64)
    else:
        rb = np.zeros((cap, 4), dtype=np.uint64)
        cbits = np.zeros((max(d, 1), 4), dtype=np.uint64)
        iscr = np.zeros((3, NB), dtype=np.int64)
        ckey = np.zeros(NB, dtype=np.float64)
    for k in range(K):
        rt[0, k] = 0.0
    rf[0, _SQSUM] = 0.0
    pcap = 0 if root_tiny or sampling else 4
    pool = np.zeros((pcap, d, NB, K), dtype=np.float64)
    pranges = np.zeros((pcap, d, 2), dtype=np.int64)
    free = np.empty(pcap, dtype=np.int64)
    for s in range(pcap):
        free[s] = pcap - 1 - s
    n_free = np.full(1, pcap, dtype=np.int64)
    cut = np.empty((d, 4), dtype=np.float64)
    perm = np.empty(2 * d, dtype=np.int64)
    ws = np.empty((7, K), dtype=np.float64)
    # small nodes' samples sorted per feature (pages are only touched once nodes get small)
    srt = np.empty((d, 0 if sampling else m), dtype=np.int32)
    sbin = np.empty((d, 0 if sampling else m), dtype=np.uint8)
    # sampled features: one feature's histogram (all-zero between uses), one node's samples
    # sorted by one feature's bins
    hs = np.zeros((NB if sampling else 0, K), dtype=np.float64)
    hrange = np.empty(2, dtype=np.int64)
    tsrt = np.empty((1, _SAMPLED_SORT if sampling else 0), dtype=np.int32)
    tsbin = np.empty((1, _SAMPLED_SORT if sampling else 0), dtype=np.uint8)
    # (weight, class code or weight * y, weight * y**2) of each row, and of each local id
    gpw = np.empty((n, 3), dtype=np.float64)
    for i in range(n):
        gpw[i, 0] = w[i]
        gpw[i, 1] = codes[i] if is_clf else wy[i]
        gpw[i, 2] = 0.0 if is_clf else wy[i] * y[i]
    pw = np.empty((m, 3), dtype=np.float64)
    keys = np.empty(NB + 1, dtype=np.int64)
    sbuf = np.empty(min(m, _TINY), dtype=np.int32)
    bbuf = np.empty(min(m, _TINY), dtype=np.uint8)
    side = np.zeros(m, dtype=np.uint8)

    # root (zero is not a literal: literal arguments would compile extra specialisations)
    zero = np.int64(m - m)
    m = np.int64(idx.shape[0])
    if not is_clf:
        s2 = 0.0
        for i in range(m):
            s = idx[i]
            s2 += wy[s] * y[s]
        rf[0, _SQSUM] = s2
    ri[0, _START] = 0
    ri[0, _END] = m
    ri[0, _DEPTH] = 0
    ri[0, _PARENT] = -1
    ri[0, _LEFT] = -1
    ri[0, _RIGHT] = -1
    if sampling:
        ri[0, _SLOT] = -1
        ri[0, _SRT] = 0
        if d > 0:
            # the totals as the histogram path sums them (each bin of feature 0 in row order,
            # the bins in increasing order)
            one_feature_histogram(Xb, zero, idx, zero, m, codes, w, wy, is_clf, hs, hrange)
            # (the bins outside the seen range are empty: adding their zeros changes nothing)
            for b in range(hrange[0], hrange[1] + 1):
                for k in range(K):
                    rt[0, k] += hs[b, k]
                    hs[b, k] = 0.0
    elif root_tiny:
        ri[0, _SLOT] = -1
        ri[0, _SRT] = 1
        _sort_node(Xb, idx, zero, m, srt, sbin, keys, gpw, pw)
        if d > 0:
            # the totals as the histogram path sums them: each bin of feature 0 in row
            # order, the bins in increasing order
            cur = ws[0]
            for k in range(K):
                cur[k] = 0.0
            row0 = srt[0]
            bin0 = sbin[0]
            prev = -1
            for i in range(m):
                s = row0[i]
                b = np.int64(bin0[i])
                if b != prev:
                    for k in range(K):
                        rt[0, k] += cur[k]
                        cur[k] = 0.0
                    prev = b
                if is_clf:
                    cur[np.int64(pw[s, 1])] += pw[s, 0]
                else:
                    cur[0] += pw[s, 0]
                    cur[1] += pw[s, 1]
                cur[cnt] += 1.0
            for k in range(K):
                rt[0, k] += cur[k]
    else:
        n_free[0] -= 1
        slot = free[n_free[0]]
        if parallel and m * d >= _PARALLEL_WORK:
            build_histogram_parallel(Xb, idx, zero, m, codes, w, wy, is_clf, pool[slot],
                                     pranges[slot])
        else:
            build_histogram_serial(Xb, idx, zero, m, codes, w, wy, is_clf, pool[slot],
                                   pranges[slot])
        ri[0, _SLOT] = slot
        ri[0, _SRT] = 0
        if d > 0:
            for b in range(NB):
                for k in range(K):
                    rt[0, k] += pool[slot, 0, b, k]
    rt[0, cnt] = m
    n_rec = 1
    split_root = _precheck(zero, ri, rf, rt, n_classes, criterion, max_depth,
                           min_samples_split, min_samples_leaf, min_weight_leaf)
    best_first = max_leaf_nodes > 0
    # depth-first growth without feature sampling defers the subtrees of small nodes (no
    # histogram, sorted samples) until the large nodes are grown: they are independent (their
    # own samples and records, no random draws), so they can then be grown in parallel
    defer = not best_first and max_features >= d and tiny > 0
    droots = np.empty(m + 1 if defer else 0, dtype=np.int64)
    n_def = 0
    if defer and split_root and ri[0, _SLOT] < 0:
        ri[0, _LEAF] = 1
        droots[0] = 0
        n_def = 1
    elif sampling:
        _evaluate_sampled(zero, split_root, ri, rf, rt, rl, n_bins, missing_bin, n_classes,
                          criterion, min_samples_leaf, min_weight_leaf, min_impurity_decrease,
                          w_total, max_features, rng, perm, cut, Xb, idx, is_clf, codes, w, wy,
                          gpw, ws, hs, hrange, tsrt, tsbin, keys, is_cat, rb, cbits, iscr,
                          ckey)
    else:
        _evaluate(zero, split_root, ri, rf, rt, rl, pool, pranges, free, n_free, n_bins,
                  missing_bin, n_classes, criterion, min_samples_leaf, min_weight_leaf,
                  min_impurity_decrease, w_total, perm, cut, parallel, Xb, idx, is_clf, ws,
                  srt, sbin, gpw, pw, keys, is_cat, rb, cbits)
    splits_left = max_leaf_nodes - 1 if best_first else np.int64(1) << 62
    fcap = 64
    fkeys = np.empty(fcap, dtype=np.float64)
    frecs = np.empty(fcap, dtype=np.int64)
    fsize = 0
    if ri[0, _LEAF] == 0:
        fkeys[0] = rf[0, _IMPROVEMENT]
        frecs[0] = 0
        fsize = 1

    while fsize > 0:
        if best_first:
            r, fsize = _heap_pop(fkeys, frecs, fsize)
        else:
            fsize -= 1
            r = frecs[fsize]
        if splits_left <= 0:
            ri[r, _LEAF] = 1
            if ri[r, _SLOT] >= 0:
                _release(pool, pranges, ri[r, _SLOT], free, n_free)
                ri[r, _SLOT] = -1
            continue
        splits_left -= 1
        if n_rec + 2 > cap:
            cap *= 2
            ri2 = np.full((cap, _NI), -1, dtype=np.int64)
            _copy_prefix(ri2, ri)
            ri = ri2
            rf = _grow_float2(rf, cap)
            rt = _grow_float2(rt, cap)
            rl = _grow_float2(rl, cap)
            if is_cat is not None:
                rb2 = np.zeros((cap, 4), dtype=np.uint64)
                _copy_prefix(rb2, rb)
                rb = rb2

        lc = np.int64(n_rec)
        rc = np.int64(n_rec + 1)
        n_rec += 2
        if ri[r, _SRT] == 1:
            split_l, split_r = _split_sorted(r, lc, rc, ri, rf, rt, rl, idx, srt, sbin, pw,
                                             side, buf, sbuf, bbuf, missing_bin, n_classes,
                                             criterion, max_depth, min_samples_split,
                                             min_samples_leaf, min_weight_leaf, is_clf)
        else:
            # partition the samples (stably: each child's samples stay in row order)
            start = ri[r, _START]
            end = ri[r, _END]
            f = ri[r, _FEAT]
            b_lo = ri[r, _BLO]
            go_missing_left = ri[r, _ML] == 1
            pl = start
            pr = 0
            s2l = 0.0
            s2r = 0.0
            # branch-free (which side a sample goes is a coin flip to the branch predictor):
            # every sample is written to both sides and the side's cursor alone moves (idx[pl]
            # is at or before i: already read). A regressor's sums add w * y**2 >= +0.0 or
            # exactly +0.0, so they are bit for bit the branchy sums.
            cat_f = False
            if is_cat is not None:
                cat_f = is_cat[f]
            if cat_f:
                pl, pr, s2l, s2r = _partition_subset(Xb, y, wy, idx, buf, start, end, f, rb[r],
                                                     is_clf)
            else:
                for i in range(start, end):
                    s = idx[i]
                    b = Xb[s, f]
                    go = np.int64(go_missing_left) if b == missing_bin else np.int64(b <= b_lo)
                    idx[pl] = s
                    buf[pr] = s
                    pl += go
                    pr += 1 - go
                    if not is_clf:
                        v = wy[s] * y[s]
                        s2l += v if go == 1 else 0.0
                        s2r += 0.0 if go == 1 else v
            for i in range(pr):
                idx[pl + i] = buf[i]
            _make_children(r, lc, rc, pl, s2l, s2r, ri, rf, rt, rl)
            split_l = _precheck(lc, ri, rf, rt, n_classes, criterion, max_depth,
                                min_samples_split, min_samples_leaf, min_weight_leaf)
            split_r = _precheck(rc, ri, rf, rt, n_classes, criterion, max_depth,
                                min_samples_split, min_samples_leaf, min_weight_leaf)
        start = ri[r, _START]
        end = ri[r, _END]
        pl = ri[lc, _END]
        # small children are searched without a histogram
        ps = ri[r, _SLOT]
        # (a node without a histogram has children without: they have no parent's to subtract)
        shallow = max_depth - ri[lc, _DEPTH] < _SORT_LEVELS
        need_l = split_l and ps >= 0 and (
            pl - start > tiny or (shallow and pl - start > tiniest))
        need_r = split_r and ps >= 0 and (
            end - pl > tiny or (shallow and end - pl > tiniest))
        ri[r, _SLOT] = -1
        if need_l or need_r:
            if pl - start <= end - pl:
                small, large, need_small, need_large = lc, rc, need_l, need_r
            else:
                small, large, need_small, need_large = rc, lc, need_r, need_l
            if n_free[0] == 0:
                pool2 = np.zeros((2 * pcap, d, NB, K), dtype=np.float64)
                _copy_prefix(pool2, pool)
                pool = pool2
                pranges2 = np.zeros((2 * pcap, d, 2), dtype=np.int64)
                _copy_prefix(pranges2, pranges)
                pranges = pranges2
                free2 = np.empty(2 * pcap, dtype=np.int64)
                for s in range(pcap):
                    free2[s] = 2 * pcap - 1 - s
                free = free2
                n_free[0] = pcap
                pcap *= 2
            n_free[0] -= 1
            ss = free[n_free[0]]
            n_small = ri[small, _END] - ri[small, _START]
            if parallel and n_small * d >= _PARALLEL_WORK:
                build_histogram_parallel(Xb, idx, ri[small, _START], ri[small, _END], codes, w,
                                         wy, is_clf, pool[ss], pranges[ss])
            else:
                build_histogram_serial(Xb, idx, ri[small, _START], ri[small, _END], codes, w,
                                       wy, is_clf, pool[ss], pranges[ss])
            if need_large:
                subtract_histogram(pool[ps], pool[ss], pranges[ss])
                ri[large, _SLOT] = ps
            else:
                _release(pool, pranges, ps, free, n_free)
            if need_small:
                ri[small, _SLOT] = ss
            else:
                _release(pool, pranges, ss, free, n_free)
        elif ps >= 0:
            _release(pool, pranges, ps, free, n_free)

        for c in (lc, rc):
            split_c = split_l if c == lc else split_r
            if defer and split_c and ri[c, _SLOT] < 0:
                # a small subtree: grown after the large nodes (see below)
                ri[c, _LEAF] = 1
                droots[n_def] = c
                n_def += 1
            elif sampling:
                _evaluate_sampled(c, split_c, ri, rf, rt, rl, n_bins, missing_bin, n_classes,
                                  criterion, min_samples_leaf, min_weight_leaf,
                                  min_impurity_decrease, w_total, max_features, rng, perm, cut,
                                  Xb, idx, is_clf, codes, w, wy, gpw, ws, hs, hrange, tsrt,
                                  tsbin, keys, is_cat, rb, cbits, iscr, ckey)
            else:
                _evaluate(c, split_c, ri, rf, rt, rl, pool, pranges, free, n_free, n_bins,
                          missing_bin, n_classes, criterion, min_samples_leaf,
                          min_weight_leaf, min_impurity_decrease, w_total, perm, cut, parallel,
                          Xb, idx, is_clf, ws, srt, sbin, gpw, pw, keys, is_cat, rb, cbits)
        if fsize + 2 > fcap:
            fkeys2 = np.empty(2 * fcap, dtype=np.float64)
            _copy_prefix(fkeys2, fkeys)
            fkeys = fkeys2
            frecs2 = np.empty(2 * fcap, dtype=np.int64)
            _copy_prefix(frecs2, frecs)
            frecs = frecs2
            fcap *= 2
        if best_first:
            for c in (lc, rc):
                if ri[c, _LEAF] == 0:
                    fsize = _heap_push(fkeys, frecs, fsize, rf[c, _IMPROVEMENT], c)
        else:
            # right pushed first: the left subtree is grown first (pre-order, as sklearn)
            for c in (rc, lc):
                if ri[c, _LEAF] == 0:
                    frecs[fsize] = c
                    fsize += 1

    if n_def > 0:
        # each deferred subtree of n samples has at most 2 n - 2 nodes below its root: a
        # block of records of its own (grown by _grow_subtrees, called by grow_tree)
        roots = droots[:n_def]
        offsets = np.empty(n_def, dtype=np.int64)
        sizes = np.empty(n_def, dtype=np.int64)
        total = n_rec
        for j in range(n_def):
            sizes[j] = ri[roots[j], _END] - ri[roots[j], _START]
            offsets[j] = total
            total += 2 * sizes[j] - 2
        if total > ri.shape[0]:
            ri2 = np.empty((total, _NI), dtype=np.int64)
            rf2 = np.empty((total, 4), dtype=np.float64)
            rt2 = np.empty((total, K), dtype=np.float64)
            rl2 = np.empty((total, K), dtype=np.float64)
            for i in range(n_rec):
                for k in range(_NI):
                    ri2[i, k] = ri[i, k]
                for k in range(4):
                    rf2[i, k] = rf[i, k]
                for k in range(K):
                    rt2[i, k] = rt[i, k]
                    rl2[i, k] = rl[i, k]
            ri, rf, rt, rl = ri2, rf2, rt2, rl2
        n_rec = total
    else:
        roots = droots[:0]
        offsets = droots[:0]
    return ri, rf, rt, rl, n_rec, roots, offsets, idx, srt, sbin, gpw, pw, side, w_total, rb


@njit(cache=True, nogil=True)
def _grow_kernel(Xb, y, sw, inbag, t0, t1, n_classes, criterion, n_bins, missing_bin,
                 max_depth, min_samples_split, min_samples_leaf, min_weight_leaf,
                 min_impurity_decrease, max_leaf_nodes, max_features, seeds, parallel, finish,
                 values, edges, is_exact, is_cat):
    """Grow trees ``t0 .. t1 - 1``, tree t on the weights ``sw * inbag[t]`` with the seed
    ``seeds[t]`` and the minimum leaf weight ``min_weight_leaf[t]``.

    ``finish=False`` (one tree, t0, on the weights ``sw`` themselves, ``inbag`` unread:
    :func:`grow_tree`): returns its records and scratch (first 14 values) for the caller to
    grow the deferred subtrees (on threads) and :func:`_finish` it. ``finish=True`` (a run of
    at least one of a forest's trees): grows every tree whole, serially, and returns their
    node arrays concatenated (values 15 to 23, children numbered within each tree) and the
    node count of each tree (value 24). One call for a run of trees: a forest on a few hundred
    rows (MAPLE grows them by the hundred) would spend as long per tree in calls, boxing and
    Python as in growing it. Value 25 is the records' left bins of categorical splits
    (``finish=False``), value 26 the output nodes' (``finish=True``); both empty when
    ``is_cat`` is None (see :func:`_grow_one`).
    """
    if not finish:
        ri, rf, rt, rl, n_rec, roots, offsets, idx, srt, sbin, gpw, pw, side, w_total, rb = (
            _grow_one(Xb, y, sw, n_classes, criterion, n_bins, missing_bin, max_depth,
                      min_samples_split, min_samples_leaf, min_weight_leaf[t0],
                      min_impurity_decrease, max_leaf_nodes, max_features, seeds[t0], parallel,
                      is_cat)
        )
        e = _node_arrays(t0 - t0, n_classes)
        return (ri, rf, rt, rl, n_rec, roots, offsets, idx, srt, sbin, gpw, pw, side, w_total,
                e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8],
                np.zeros(0, dtype=np.int64), rb, _bit_rows(t0 - t0, is_cat))
    n = Xb.shape[0]
    best_first = max_leaf_nodes > 0
    # room for every tree's worst case (each leaf holds an in-bag sample, depth and leaf caps)
    cap = 0
    for t in range(t0, t1):
        m = 0
        for i in range(n):
            if inbag[t, i] > 0 and sw[i] > 0.0:
                m += 1
        cap += max(2 * m - 1, 1)
    if max_depth < 40:
        cap = min(cap, (t1 - t0) * ((1 << (max_depth + 1)) - 1))
    if max_leaf_nodes > 0:
        cap = min(cap, (t1 - t0) * (2 * max_leaf_nodes - 1))
    left, right, feature, threshold, missing_left, value, n_samples, wn, impurity = (
        _node_arrays(cap, n_classes))
    obits = _bit_rows(cap, is_cat)
    counts = np.zeros(t1 - t0, dtype=np.int64)
    w = np.empty(n, dtype=np.float64)
    o = t0 - t0  # (not a literal 0: _assemble_into would compile for Literal[int](0) too)
    for t in range(t0, t1):
        for i in range(n):
            w[i] = sw[i] * inbag[t, i]
        ri, rf, rt, rl, n_rec, roots, offsets, idx, srt, sbin, gpw, pw, side, w_total, rb = (
            _grow_one(Xb, y, w, n_classes, criterion, n_bins, missing_bin, max_depth,
                      min_samples_split, min_samples_leaf, min_weight_leaf[t],
                      min_impurity_decrease, max_leaf_nodes, max_features, seeds[t], parallel,
                      is_cat)
        )
        if roots.shape[0] > 0:
            _grow_subtrees(roots, offsets, ri, rf, rt, rl, Xb, idx, srt, sbin, gpw, pw, side,
                           missing_bin, n_classes, criterion, max_depth, min_samples_split,
                           min_samples_leaf, min_weight_leaf[t], min_impurity_decrease, w_total)
        order = _node_order(ri, n_rec, best_first)
        _assemble_into(ri, rf, rt, order, n_classes, values, edges, is_exact, left, right,
                       feature, threshold, missing_left, value, n_samples, wn, impurity, o,
                       is_cat, rb, obits)
        counts[t - t0] = order.shape[0]
        o += order.shape[0]
    # copies: the forest keeps these, not the capacity; the records of the last tree are
    # returned only for the tuple's shape (finish=False's)
    return (ri, rf, rt, rl, n_rec, roots, offsets, idx, srt, sbin, gpw, pw, side, w_total,
            left[:o].copy(), right[:o].copy(), feature[:o].copy(), threshold[:o].copy(),
            missing_left[:o].copy(), value[:o].copy(), n_samples[:o].copy(), wn[:o].copy(),
            impurity[:o].copy(), counts, rb, obits[:o if is_cat is not None else 0].copy())


# The grower without its parallel kernels: the same code, calling the serial histogram and cut
# searches where the kernels above name the parallel ones. Numba compiles every call site,
# taken or not, so ``_grow_kernel`` always compiles (and its callers re-link) both parallel
# kernels and their gufuncs; ``grow_tree`` runs this copy when the data is too small for
# either to be launched, so a small first fit does not compile them (the same tree: the same
# operations run).
_evaluate_serial = serial_variant(_evaluate, {"best_cuts_parallel": best_cuts_serial,
                                              "mixed_cuts_parallel": mixed_cuts_serial})
_grow_one_serial = serial_variant(_grow_one, {"build_histogram_parallel": build_histogram_serial,
                                              "_evaluate": _evaluate_serial})
_grow_kernel_serial = serial_variant(_grow_kernel, {"_grow_one": _grow_one_serial})


def launches_parallel(n, d, n_classes, missing_bin, parallel):
    """Whether growing a tree on n x d samples may run a parallel kernel (see the thresholds
    ``_PARALLEL_WORK`` and ``_PARALLEL_CUTS``); when not, :data:`_grow_kernel_serial` grows
    it without compiling them."""
    channels = n_classes + 1 if n_classes > 0 else 3
    return bool(parallel) and (n * d >= _PARALLEL_WORK
                               or d * (missing_bin + 1) * channels >= _PARALLEL_CUTS)


def kernel_vector(a):
    """``a`` as the grower's kernels take a vector: float64, C-contiguous and writeable.

    A read-only array (pandas' copy-on-write arrays, memory maps) is another Numba type: the
    whole grower would be compiled a second time for it, so it is copied (never written to).
    """
    a = np.ascontiguousarray(a, dtype=np.float64)
    return a if a.flags.writeable else a.copy()


def grow_tree(
    X_binned,
    y,
    sample_weight,
    bin_mapper,
    *,
    n_classes,
    criterion,
    max_depth=None,
    min_samples_split=2,
    min_samples_leaf=1,
    min_weight_fraction_leaf=0.0,
    min_impurity_decrease=0.0,
    max_leaf_nodes=None,
    max_features=None,
    seed=0,
    parallel=True,
):
    """Grow one tree; see the module docstring. Returns a :class:`Tree`.

    Parameters are scikit-learn's, already validated by the caller; ``max_features`` is an
    int count (or None for all features), ``min_samples_split`` an int, ``n_classes`` 0 for
    a regressor.
    """
    X_binned = np.asfortranarray(X_binned, dtype=np.uint8)
    n, d = X_binned.shape
    if n > _INT32_MAX:
        # small nodes keep their sorted samples as int32 row numbers
        raise ValueError(f"grow_tree supports at most 2**31 - 1 samples, got {n}.")
    y = kernel_vector(y)
    w = kernel_vector(sample_weight)
    crit = CRITERIA[criterion]
    if (n_classes > 0) == (crit == SQUARED_ERROR):
        raise ValueError(f"criterion {criterion!r} does not fit n_classes={n_classes}.")
    max_depth = _INT32_MAX if max_depth is None else int(max_depth)
    min_samples_leaf = int(min_samples_leaf)
    min_samples_split = max(int(min_samples_split), 2 * min_samples_leaf)
    min_weight_leaf = float(min_weight_fraction_leaf) * float(w.sum())
    mf = d if max_features is None else int(max_features)
    missing_bin = int(bin_mapper.missing_bin_)
    values = np.ascontiguousarray(bin_mapper.values_)
    edges = np.ascontiguousarray(bin_mapper.edges_)
    is_exact = np.ascontiguousarray(bin_mapper.is_exact_)
    is_cat = categorical_mask(bin_mapper)
    # _grow_one itself, not _grow_kernel(finish=False), which only wraps it: a tree's first
    # fit then compiles one entry point less (the wrapper re-optimises and re-emits the whole
    # grower linked into it); the forest's batched runs still go through _grow_kernel
    grow_one = (_grow_one if launches_parallel(n, d, n_classes, missing_bin, parallel)
                else _grow_one_serial)
    (ri, rf, rt, rl, n_rec, roots, offsets, idx, srt, sbin, gpw, pw, side, w_total,
     rb) = grow_one(
        X_binned, y, w, int(n_classes), crit, np.ascontiguousarray(bin_mapper.n_bins_),
        missing_bin, max_depth, min_samples_split, min_samples_leaf, float(min_weight_leaf),
        float(min_impurity_decrease), -1 if max_leaf_nodes is None else int(max_leaf_nodes), mf,
        np.int64(int(seed)), bool(parallel), is_cat,
    )
    if roots.shape[0] > 0:
        # the small subtrees, deferred by the kernel: on threads when parallel
        def grow(sel):
            _grow_subtrees(roots[sel], offsets[sel], ri, rf, rt, rl, X_binned, idx, srt, sbin,
                           gpw, pw, side, missing_bin, int(n_classes), crit, max_depth,
                           min_samples_split, min_samples_leaf, min_weight_leaf,
                           float(min_impurity_decrease), w_total)

        n_threads = get_num_threads() if parallel else 1
        if n_threads > 1 and roots.shape[0] > 1 and rt[0, -1] >= _PARALLEL_SUBTREES:
            # largest first, to the least loaded thread
            sizes = ri[roots, _END] - ri[roots, _START]
            load = np.zeros(n_threads)
            owner = np.empty(roots.shape[0], dtype=np.int64)
            for j in np.argsort(-sizes, kind="stable"):
                t = int(np.argmin(load))
                owner[j] = t
                load[t] += sizes[j]
            with ThreadPoolExecutor(max_workers=n_threads) as ex:
                list(ex.map(grow, [owner == t for t in range(n_threads)]))
        else:
            grow(slice(None))
    (left, right, feature, threshold, missing_left, value, n_samples, wn, impurity,
     bin_bits) = _finish(ri, rf, rt, n_rec, max_leaf_nodes is not None, int(n_classes), values,
                         edges, is_exact, is_cat, rb)
    cat_split, cat_bitset = (None, None) if is_cat is None else bin_mapper.category_bitsets(
        feature, left, bin_bits, missing_left)
    return Tree(
        children_left=left,
        children_right=right,
        feature=feature,
        threshold=threshold,
        missing_go_to_left=missing_left,
        value=value,
        n_node_samples=n_samples,
        weighted_n_node_samples=wn,
        impurity=impurity,
        n_features=d,
        cat_split=cat_split,
        cat_bitset=cat_bitset,
    )


def categorical_mask(bin_mapper):
    """The grower's ``is_cat`` argument: which features are categorical (bool, C-contiguous),
    or None when none is (the categorical kernels are then neither compiled nor run)."""
    mask = getattr(bin_mapper, "is_categorical_", None)
    if mask is None or not mask.any():
        return None
    return np.ascontiguousarray(mask, dtype=np.bool_)
