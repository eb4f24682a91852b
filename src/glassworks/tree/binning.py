"""Binning: every feature mapped once to at most ``max_bins`` uint8 bins, plus a missing bin.

Bin ``i`` of feature ``f`` holds the values ``edges[f, i-1] < x <= edges[f, i]`` (bin 0 is
``x <= edges[f, 0]``, the last non-missing bin is ``x > edges[f, n_bins[f] - 2]``), so a split
"bin <= b" is exactly "x <= edges[f, b]" in the feature's own units. NaN goes to the reserved
bin ``missing_bin == max_bins``.

- A feature with at most ``max_bins`` distinct values gets *exact* bins: one per distinct value,
  edges at the midpoints ``a / 2 + b / 2`` between consecutive distinct values (the thresholds
  scikit-learn's exact CART would pick), and ``values[f, i]`` the distinct value of bin ``i``.
- Otherwise the edges are quantiles (midpoint interpolation) of a subsample of at most
  ``subsample`` rows, drawn deterministically from ``random_state``; ``values`` is NaN.

Categorical features (``is_categorical``) hold integer category codes (NaN missing): each
category the training data holds gets a bin of its own, in code order, when there are at most
``max_bins`` of them; otherwise the ``max_bins - 1`` most frequent ones do (ties: lower code)
and all the rarer ones share the last bin, so a split sends them the same way (LightGBM's
``max_bin``/``min_data_per_group`` do much the same to rare categories). A code the training
data never holds maps to the missing bin: an unseen category is treated as missing.

The kernels release the GIL and run on a small thread pool (features for the edges, row
blocks for the mapping): plain threads rather than ``prange`` keep the first-call compile short.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from .._jit import internal

#: a bin index is a uint8, and one index is reserved for NaN
MAX_BINS_LIMIT = 255


@internal
@njit(cache=True, nogil=True)
def _midpoint(a, b):
    # scikit-learn's threshold between two consecutive values; falling back to ``a`` keeps
    # "a <= t < b" when a and b are adjacent floats (or the halves overflow)
    t = a / 2.0 + b / 2.0
    if t >= b or np.isinf(t):
        t = a
    return t


@njit(cache=True, nogil=True)
def _edges_from_sorted(data, max_bins, edges, values):
    """Edges (and exact values) from one feature's sorted non-NaN values: (n_bins, exact)."""
    n = data.shape[0]
    if n == 0:
        return 1, True
    n_unique = 1
    for i in range(1, n):
        if data[i] != data[i - 1]:
            n_unique += 1
    if n_unique <= max_bins:
        values[0] = data[0]
        j = 0
        for i in range(1, n):
            if data[i] != data[i - 1]:
                j += 1
                values[j] = data[i]
                edges[j - 1] = _midpoint(data[i - 1], data[i])
        return n_unique, True
    # quantile edges, np.percentile(data, linspace(0, 100, max_bins + 1)[1:-1], "midpoint")
    n_edges = 0
    last = -np.inf
    for q in range(1, max_bins):
        pos = q * (n - 1) / max_bins
        lo = int(np.floor(pos))
        hi = int(np.ceil(pos))
        e = data[lo] / 2.0 + data[hi] / 2.0
        if e > last and e < data[n - 1]:
            edges[n_edges] = e
            n_edges += 1
            last = e
    return n_edges + 1, False


@njit(cache=True, nogil=True)
def _all_values_known(col, values, n_values):
    """True when every non-NaN value of ``col`` is one of the sorted ``values[:n_values]``."""
    for v in col:
        if np.isnan(v):
            continue
        lo = 0
        hi = n_values
        while lo < hi:
            mid = (lo + hi) >> 1
            if values[mid] < v:
                lo = mid + 1
            else:
                hi = mid
        if lo >= n_values or values[lo] != v:
            return False
    return True


@njit(cache=True, nogil=True)
def _map_to_bins(X, padded_edges, missing_bin, out, start, stop):
    """Bin rows [start, stop) of X; ``padded_edges`` is (n_features, 256), +inf padded."""
    d = X.shape[1]
    for f in range(d):
        e = padded_edges[f]
        for i in range(start, stop):
            v = X[i, f]
            # branch-free binary search for the number of edges strictly below v
            # (edges[b-1] < v <= edges[b]); the +inf padding keeps it in range
            pos = np.int64(e[127] < v) * 128
            pos += np.int64(e[pos + 63] < v) * 64
            pos += np.int64(e[pos + 31] < v) * 32
            pos += np.int64(e[pos + 15] < v) * 16
            pos += np.int64(e[pos + 7] < v) * 8
            pos += np.int64(e[pos + 3] < v) * 4
            pos += np.int64(e[pos + 1] < v) * 2
            pos += np.int64(e[pos] < v)
            out[i, f] = missing_bin if np.isnan(v) else pos


def _category_bins(col, n_categories, max_bins):
    """(bin of each code, number of bins) of a categorical column of codes (NaN missing)."""
    codes = col[~np.isnan(col)].astype(np.int64)
    if n_categories is None:
        n_categories = int(codes.max()) + 1 if codes.size else 0
    counts = np.bincount(codes, minlength=n_categories)[:n_categories]
    present = np.flatnonzero(counts)
    lut = np.full(n_categories, max_bins, dtype=np.uint8)  # max_bins: the missing bin
    if present.size <= max_bins:
        lut[present] = np.arange(present.size)
        return lut, max(1, int(present.size))
    # the most frequent categories keep a bin each (in code order), the rest share the last
    keep = np.sort(present[np.argsort(-counts[present], kind="stable")[: max_bins - 1]])
    lut[present] = max_bins - 1
    lut[keep] = np.arange(keep.size)
    return lut, max_bins


def _n_threads():
    return max(1, min(os.cpu_count() or 1, 8))


#: below this many values (rows x features) binning runs on the calling thread: starting a
#: pool costs more than sorting a few thousand values (MAPLE bins a few hundred rows per fit)
_THREADED_VALUES = 200_000


def _run_threaded(fn, items, work=None):
    """``[fn(i) for i in items]`` on a thread pool (the kernels release the GIL); serially
    when ``work`` (values processed) is below ``_THREADED_VALUES``."""
    n = _n_threads()
    if n == 1 or len(items) <= 1 or (work is not None and work < _THREADED_VALUES):
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(fn, items))


class BinMapper:
    """Map continuous features to uint8 bins (see the module docstring).

    Parameters
    ----------
    max_bins : int, default=255
        Maximum number of non-missing bins per feature, in [2, 255].
    subsample : int or None, default=200_000
        Rows used to compute quantile edges when a feature has more than ``max_bins``
        distinct values. None uses every row.
    random_state : int, default=0
        Seed of the subsample.
    is_categorical : array-like of bool of shape (n_features,) or None, default=None
        Which features are categorical (their values integer codes ``0 .. n - 1``).
    n_categories : array-like of int of shape (n_features,) or None, default=None
        Number of categories (codes) of each categorical feature; by default one more than
        the largest code seen.

    Attributes
    ----------
    edges_ : ndarray of shape (n_features, max_bins), float64
        ``edges_[f, :n_bins_[f] - 1]`` are the upper edges of bins; padded with +inf.
    values_ : ndarray of shape (n_features, max_bins), float64
        For an exact feature, the distinct value of each bin; NaN otherwise.
    n_bins_ : ndarray of shape (n_features,), int64
        Number of non-missing bins of each feature (1 for a constant feature).
    is_exact_ : ndarray of shape (n_features,), bool
        Whether the feature's bins are its distinct values.
    missing_bin_ : int
        The bin of NaN (``max_bins``); histograms have ``max_bins + 1`` rows.
    is_categorical_ : ndarray of shape (n_features,), bool
    category_bins_ : list of (ndarray of uint8 or None)
        For a categorical feature, the bin of each code (``missing_bin_`` for a code the
        training data does not hold); None for a numeric one.
    """

    def __init__(self, max_bins=255, subsample=200_000, random_state=0, is_categorical=None,
                 n_categories=None):
        self.max_bins = max_bins
        self.subsample = subsample
        self.random_state = random_state
        self.is_categorical = is_categorical
        self.n_categories = n_categories

    def fit(self, X):
        """Compute the edges from X (2-D float64, NaN allowed, no inf)."""
        max_bins = int(self.max_bins)
        if not 2 <= max_bins <= MAX_BINS_LIMIT:
            raise ValueError(f"max_bins must be in [2, {MAX_BINS_LIMIT}], got {self.max_bins}.")
        X = np.asarray(X, dtype=np.float64)
        n, d = X.shape
        rows = None
        if self.subsample is not None and n > self.subsample:
            rng = np.random.default_rng(self.random_state)
            rows = np.sort(rng.choice(n, int(self.subsample), replace=False))
        edges = np.full((d, max_bins), np.inf)
        values = np.full((d, max_bins), np.nan)
        n_bins = np.ones(d, dtype=np.int64)
        exact = np.zeros(d, dtype=np.bool_)

        def sorted_values(col):
            col = col[~np.isnan(col)]
            col.sort()  # numpy's sort is faster than Numba's and releases the GIL
            return col

        def fit_feature(f):
            col = X[:, f] if rows is None else X[rows, f]
            nb, ex = _edges_from_sorted(sorted_values(col), max_bins, edges[f], values[f])
            if ex and rows is not None and not _all_values_known(X[:, f], values[f], nb):
                # a value absent from the subsample would break exactness: use every row
                e = np.full(max_bins, np.inf)
                v = np.full(max_bins, np.nan)
                nb2, ex2 = _edges_from_sorted(sorted_values(X[:, f].copy()), max_bins, e, v)
                if ex2:
                    nb, edges[f], values[f] = nb2, e, v
                else:
                    # too many distinct values after all: the subsample's midpoints are
                    # valid (if not exact) edges
                    ex = False
            n_bins[f] = nb
            exact[f] = ex

        cat = np.zeros(d, dtype=np.bool_)
        if self.is_categorical is not None:
            cat = np.asarray(self.is_categorical, dtype=np.bool_).reshape(-1)
            if cat.shape[0] != d:
                raise ValueError(f"is_categorical has {cat.shape[0]} entries for {d} features.")
        numeric = [f for f in range(d) if not cat[f]]
        _run_threaded(fit_feature, numeric, work=n * len(numeric))
        self.category_bins_ = [None] * d
        for f in np.flatnonzero(cat):
            n_cat = None if self.n_categories is None else int(self.n_categories[f])
            self.category_bins_[f], n_bins[f] = _category_bins(X[:, f], n_cat, max_bins)
        values[~exact] = np.nan
        self.edges_ = edges
        self.values_ = values
        self.n_bins_ = n_bins
        self.is_exact_ = exact
        self.missing_bin_ = max_bins
        self.n_features_ = d
        self.is_categorical_ = cat
        return self

    def transform(self, X):
        """Bin X: uint8 array of shape (n_samples, n_features) in Fortran order."""
        X = np.asarray(X, dtype=np.float64)
        if X.shape[1] != self.n_features_:
            raise ValueError(
                f"X has {X.shape[1]} features, the bins were fitted on {self.n_features_}."
            )
        out = np.empty(X.shape, dtype=np.uint8, order="F")
        padded = np.full((self.n_features_, 256), np.inf)
        padded[:, : self.edges_.shape[1]] = self.edges_
        n = X.shape[0]
        # row blocks: X is usually C-ordered, so each block reads its rows once
        block = max(4096, -(-n // (4 * _n_threads())))
        starts = list(range(0, n, block))
        _run_threaded(
            lambda s: _map_to_bins(X, padded, self.missing_bin_, out, s, min(n, s + block)),
            starts,
        )
        for f in np.flatnonzero(getattr(self, "is_categorical_", ())):
            lut = self.category_bins_[f]
            col = X[:, f]
            # NaN, and any code outside the fitted ones, take the missing bin
            ok = (col >= 0) & (col < lut.shape[0])
            codes = np.where(ok, col, 0).astype(np.int64)
            out[:, f] = np.where(ok, lut[codes], np.uint8(self.missing_bin_))
        return out

    def category_bitsets(self, feature, children_left, bin_bits, missing_go_to_left):
        """The :class:`~glassworks.tree._tree.Tree` fields of a tree's categorical splits.

        Parameters
        ----------
        feature, children_left : int64 (n_nodes,)
            The tree's nodes.
        bin_bits : uint64 (n_nodes, 4)
            Each categorical split's left bins (a bit per bin, the missing bin's the NaN side),
            as the grower returns them; other rows are not read.
        missing_go_to_left : uint8 (n_nodes,)

        Returns
        -------
        cat_split : int64 (n_nodes,)
            -1, or the row of ``cat_bitset`` of the node's split.
        cat_bitset : uint64 (n_splits, n_words)
            Bit c of a row: code c goes left. A code past the feature's categories (up to the
            row's width) takes the NaN side.
        """
        cat = self.is_categorical_
        internal = np.asarray(children_left) != -1
        f_all = np.where(internal, feature, 0)
        nodes = np.flatnonzero(internal & cat[f_all])
        cat_split = np.full(len(feature), -1, dtype=np.int64)
        cat_split[nodes] = np.arange(nodes.shape[0])
        widest = max(self.category_bins_[f].shape[0] for f in np.flatnonzero(cat))
        n_words = max(1, -(-widest // 64))
        bitset = np.zeros((nodes.shape[0], n_words), dtype=np.uint64)
        ml = np.asarray(missing_go_to_left)[nodes] != 0
        for f in np.unique(f_all[nodes]):
            rows = np.flatnonzero(f_all[nodes] == f)
            lut = self.category_bins_[f].astype(np.int64)
            words = bin_bits[nodes[rows]][:, lut >> 6]
            go = (words >> (lut & 63).astype(np.uint64)) & np.uint64(1)
            full = np.repeat(ml[rows][:, None], n_words * 64, axis=1)
            full[:, : lut.shape[0]] = go.astype(np.bool_)
            packed = np.packbits(full, axis=1, bitorder="little")
            bitset[rows] = np.ascontiguousarray(packed).view("<u8").astype(np.uint64)
        return cat_split, bitset

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    @property
    def bin_thresholds_(self):
        """List of the upper bin edges of each feature, in feature units."""
        return [self.edges_[f, : self.n_bins_[f] - 1].copy() for f in range(self.n_features_)]
