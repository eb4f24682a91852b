"""Piecewise-constant axis-aligned models as a weighted sum of boxes.

``f(x) = offset + sum_m value[m] * prod_l 1{lower[m, l] < x[feature[m, l]] <= upper[m, l]}``

A tree is the sum of its leaves' boxes, a forest the weighted sum of its trees' boxes, a rule
list the boxes of its equivalent flat tree (``model.tree_``), an Explainable Boosting Machine
its intercept plus one box per bin of each main term and per cell of each pair. Any quantity
that is an expectation of f under a product distribution over the features then factorises:
``E f = offset + sum_m value[m] * prod_l P(lower[m, l] < X_feature <= upper[m, l])``.

Boxes are stored sparsely: box m constrains at most ``depth`` features (``feature[m, l]``,
``-1`` where it constrains fewer, with ``(-inf, inf]`` there), so a forest of deep trees on
many features costs memory for the tests its paths make, not for every feature.
"""

import numpy as np

__all__ = ["Boxes", "float32_cut"]

#: Elements (rows x boxes x depth) evaluated at once by :meth:`Boxes.predict`.
CHUNK_ELEMENTS = 1 << 22


def float32_cut(threshold):
    """The float64 cut equivalent to a float32 comparison.

    scikit-learn's trees send a sample left when ``float32(x) <= t``. That holds exactly when
    ``x <= float32_cut(t)``: the largest double whose float32 rounding (to nearest, ties to
    even) is at most t.

    Parameters
    ----------
    threshold : array-like of float64

    Returns
    -------
    ndarray of float64, same shape
    """
    t = np.asarray(threshold, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        f = t.astype(np.float32)
        f = np.where(f.astype(np.float64) > t, np.nextafter(f, np.float32(-np.inf)), f)
        up = np.nextafter(f, np.float32(np.inf))
        # the midpoint of two neighbouring float32 values is exact in float64
        mid = (f.astype(np.float64) + up.astype(np.float64)) / 2.0
        cut = np.where(mid.astype(np.float32) == f, mid, np.nextafter(mid, -np.inf))
    # beyond float32's range (or an infinite threshold) the comparison is the plain one
    return np.where(np.isfinite(cut) & np.isfinite(t), cut, t)


class Boxes:
    """A model ``offset + sum_m value[m] * 1{x in box m}``, boxes axis-aligned and half-open.

    Parameters
    ----------
    feature : ndarray of shape (n_boxes, depth), int
        The features box m constrains, ``-1`` in unused slots (each feature at most once per
        box).
    lower, upper : ndarray of shape (n_boxes, depth), float
        Box m holds x when ``lower[m, l] < x[feature[m, l]] <= upper[m, l]`` for every l;
        ``-inf`` / ``inf`` where a side is open (and in unused slots).
    value : ndarray of shape (n_boxes,)
    n_features : int
    offset : float, default=0.0
        Added to every output (an EBM's intercept).

    Attributes
    ----------
    n_boxes, depth, n_features : int

    Notes
    -----
    Build one with :meth:`from_trees` or :meth:`from_ebm`; :meth:`predict` evaluates it (use
    it to check the conversion against the model).
    """

    def __init__(self, feature, lower, upper, value, n_features, offset=0.0):
        feature = np.array(feature, dtype=np.int64, ndmin=2)
        lower = np.array(lower, dtype=np.float64, ndmin=2)
        upper = np.array(upper, dtype=np.float64, ndmin=2)
        value = np.array(value, dtype=np.float64).reshape(-1)
        if feature.shape[0] == 0 and feature.ndim == 2 and value.size == 0:
            feature = feature.reshape(0, max(feature.shape[1], 1))
            lower = np.full(feature.shape, -np.inf)
            upper = np.full(feature.shape, np.inf)
        if not (feature.shape == lower.shape == upper.shape) or feature.ndim != 2:
            raise ValueError("feature, lower and upper must have the same shape (n_boxes, depth).")
        if value.shape[0] != feature.shape[0]:
            raise ValueError(f"value must have {feature.shape[0]} entries, got {value.shape[0]}.")
        n_features = int(n_features)
        if np.any(feature >= n_features) or np.any(feature < -1):
            raise ValueError(f"feature indices must be in [-1, {n_features}).")
        pad = feature < 0
        if np.any(np.isfinite(lower[pad])) or np.any(np.isfinite(upper[pad])):
            raise ValueError("unused slots (feature -1) must have lower=-inf and upper=inf.")
        if np.any(~(lower < upper)):
            raise ValueError("every box must be non-empty: lower < upper in every slot.")
        if not np.all(np.isfinite(value)) or not np.isfinite(offset):
            raise ValueError("box values and the offset must be finite.")
        # unused slots get distinct negative codes so that only real repeats collide
        codes = np.sort(np.where(feature >= 0, feature, -1 - np.arange(feature.shape[1])), axis=1)
        if np.any(codes[:, 1:] == codes[:, :-1]):
            raise ValueError("a box constrains each feature at most once.")
        self.feature = feature
        self.lower = lower
        self.upper = upper
        self.value = value
        self.n_features = n_features
        self.offset = float(offset)
        self._edges = None

    # -- sizes ---------------------------------------------------------------------------
    @property
    def n_boxes(self):
        return self.value.shape[0]

    @property
    def depth(self):
        return self.feature.shape[1]

    def features_used(self):
        """Boolean mask (n_features,) of the features some box with a non-zero value tests."""
        used = np.zeros(self.n_features, dtype=bool)
        f = self.feature[self.value != 0]
        used[f[f >= 0]] = True
        return used

    def __repr__(self):
        return (f"Boxes(n_boxes={self.n_boxes}, depth={self.depth}, "
                f"n_features={self.n_features}, offset={self.offset:g})")

    # -- evaluation ----------------------------------------------------------------------
    def dense(self):
        """The bounds as dense arrays ``(lower, upper)``, each (n_boxes, n_features)."""
        lo = np.full((self.n_boxes, self.n_features), -np.inf)
        hi = np.full((self.n_boxes, self.n_features), np.inf)
        m, l = np.nonzero(self.feature >= 0)
        lo[m, self.feature[m, l]] = self.lower[m, l]
        hi[m, self.feature[m, l]] = self.upper[m, l]
        return lo, hi

    def predict(self, X):
        """The model's output on the rows of X, shape (n,)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n, {self.n_features}), got {X.shape}.")
        n = X.shape[0]
        out = np.full(n, self.offset)
        if self.n_boxes == 0 or n == 0:
            return out
        # an extra zero column stands in for the unused slots (bounds -inf, inf there)
        Xe = np.concatenate([X, np.zeros((n, 1))], axis=1)
        f = np.where(self.feature >= 0, self.feature, self.n_features)
        step = max(1, CHUNK_ELEMENTS // max(1, self.n_boxes * self.depth))
        for s in range(0, n, step):
            v = Xe[s:s + step][:, f]  # (r, M, L)
            inside = np.all((self.lower < v) & (v <= self.upper), axis=2)
            out[s:s + step] += inside @ self.value
        return out

    def edge_table(self):
        """Each distinct finite bound once, for computations that evaluate a 1-D function per
        (feature, bound) and gather it per box.

        Returns
        -------
        edges : ndarray (U,)
            ``edges[0] = -inf`` and ``edges[1] = inf`` (shared by every feature and the unused
            slots), then the finite bounds, sorted by feature then value.
        edge_feature : ndarray (U,), int
            The feature of each edge; ``-1`` for the two infinite ones.
        lower_index, upper_index : ndarray (n_boxes, depth), int
            Position in ``edges`` of ``lower`` and ``upper``.
        """
        if self._edges is None:
            lower_index = np.zeros(self.feature.shape, dtype=np.int64)
            upper_index = np.ones(self.feature.shape, dtype=np.int64)
            edges, edge_feature = [np.array([-np.inf, np.inf])], [np.array([-1, -1])]
            start = 2
            for j in np.unique(self.feature[self.feature >= 0]):
                on_j = self.feature == j
                lo, hi = self.lower[on_j], self.upper[on_j]
                vals = np.unique(np.concatenate([lo[np.isfinite(lo)], hi[np.isfinite(hi)]]))
                for bound, index in ((lo, lower_index), (hi, upper_index)):
                    ok = np.isfinite(bound)
                    pos = index[on_j]
                    pos[ok] = start + np.searchsorted(vals, bound[ok])
                    index[on_j] = pos
                edges.append(vals)
                edge_feature.append(np.full(vals.size, j, dtype=np.int64))
                start += vals.size
            self._edges = (np.concatenate(edges), np.concatenate(edge_feature),
                           lower_index, upper_index)
        return self._edges

    # -- constructors --------------------------------------------------------------------
    @classmethod
    def from_trees(cls, trees, weights=None, column=0, input_dtype=np.float64):
        """The boxes of a weighted sum of glassworks trees, for one output column.

        Parameters
        ----------
        trees : list of glassworks.tree._tree.Tree
            (scikit-learn's ``tree_`` converts with ``Tree.from_sklearn``; a rule list's
            equivalent tree is ``model.tree_``.)
        weights : array-like (n_trees,), default=None
            Each tree's weight in the sum (a forest: ``1 / n_trees``); None: all 1.
        column : int, default=0
            The column of the node values (a class for a classifier).
        input_dtype : numpy dtype, default=float64
            ``np.float32`` for scikit-learn's trees, which compare ``float32(x) <= t``: the
            cuts are then moved to the equivalent float64 values (:func:`float32_cut`).

        Returns
        -------
        Boxes
            One box per leaf with a non-zero value and a non-empty region.
        """
        trees = list(trees)
        if not trees:
            raise ValueError("at least one tree is needed.")
        weights = np.ones(len(trees)) if weights is None else np.asarray(weights, np.float64)
        if weights.shape != (len(trees),):
            raise ValueError(f"weights must have shape ({len(trees)},), got {weights.shape}.")
        d = int(trees[0].n_features)
        if any(int(t.n_features) != d for t in trees):
            raise ValueError("all trees must have the same number of features.")
        f32 = np.dtype(input_dtype) == np.float32
        leaves = []  # (dict feature -> (lo, hi), value)
        for tree, w in zip(trees, weights):
            if not 0 <= column < tree.n_outputs:
                raise ValueError(f"column {column} out of range: the tree has "
                                 f"{tree.n_outputs} output(s).")
            thr = float32_cut(tree.threshold) if f32 else tree.threshold
            left, right, feat = tree.children_left, tree.children_right, tree.feature
            values = tree.value2d[:, column]
            stack = [(0, {})]
            while stack:
                node, bounds = stack.pop()
                if left[node] < 0:
                    v = w * values[node]
                    if v != 0:
                        leaves.append((bounds, v))
                    continue
                j, t = int(feat[node]), float(thr[node])
                lo, hi = bounds.get(j, (-np.inf, np.inf))
                if t > lo:  # the left child's region is not empty
                    b = dict(bounds)
                    b[j] = (lo, min(hi, t))
                    stack.append((int(left[node]), b))
                if t < hi:
                    b = dict(bounds)
                    b[j] = (max(lo, t), hi)
                    stack.append((int(right[node]), b))
        return cls._from_dicts(leaves, d, 0.0)

    @classmethod
    def from_ebm(cls, ebm, column=None):
        """The boxes of an interpret ExplainableBoostingMachine's additive score.

        The score is the EBM's ``decision_function`` for a classifier (log-odds) and its
        ``predict`` for a regressor with the identity link: the intercept plus each term's
        score at the row's bins. interpret bins a continuous value x with cuts c as
        ``c[k-1] <= x < c[k]``; as a box that is ``prev(c[k-1]) < x <= prev(c[k])`` with
        ``prev`` the next double down, which is exact.

        Parameters
        ----------
        ebm : fitted ExplainableBoostingClassifier or ExplainableBoostingRegressor
        column : int, default=None
            The class of a multiclass EBM's score; ignored otherwise.

        Raises
        ------
        ValueError
            For categorical (nominal / ordinal) features, for a regressor whose link is not
            the identity, or a multiclass EBM without ``column``. Missing values and unseen
            categories (the first and last score of each term) are not represented: the
            boxes cover finite inputs only.
        """
        for attr in ("bins_", "term_features_", "term_scores_", "intercept_"):
            if not hasattr(ebm, attr):
                raise ValueError(f"expected a fitted ExplainableBoostingMachine (no {attr}).")
        link = getattr(ebm, "link_", "identity")
        if not hasattr(ebm, "classes_") and link not in ("identity", None):
            raise ValueError(f"the EBM's link is {link!r}: its prediction is not additive.")
        intercept = np.atleast_1d(np.asarray(ebm.intercept_, dtype=np.float64))
        multi = intercept.shape[0] > 1
        if multi:
            if column is None:
                raise ValueError("a multiclass EBM needs the column (class) to explain.")
            offset = float(intercept[column])
        else:
            offset = float(intercept[0])
        d = len(ebm.bins_)
        for levels in ebm.bins_:
            if any(not isinstance(level, np.ndarray) for level in levels):
                raise ValueError("EBMs with categorical features are not supported as boxes.")
        leaves = []
        for feats, scores in zip(ebm.term_features_, ebm.term_scores_):
            feats = [int(j) for j in feats]
            k = len(feats)
            scores = np.asarray(scores, dtype=np.float64)
            if multi:
                scores = scores[..., column]
            # the first (missing) and last (unseen) entries of each axis are not bins
            cells = scores[(slice(1, -1),) * k]
            edges = []
            for j in feats:
                levels = ebm.bins_[j]
                cuts = np.asarray(levels[min(len(levels), k) - 1], dtype=np.float64)
                below = np.nextafter(cuts, -np.inf)
                edges.append((np.concatenate([[-np.inf], below]),
                              np.concatenate([below, [np.inf]])))
            for idx in zip(*np.nonzero(cells)):
                bounds = {j: (edges[a][0][i], edges[a][1][i]) for a, (j, i) in
                          enumerate(zip(feats, idx))}
                leaves.append((bounds, float(cells[idx])))
        return cls._from_dicts(leaves, d, offset)

    @classmethod
    def _from_dicts(cls, leaves, d, offset):
        depth = max([sum(1 for lo, hi in b.values() if np.isfinite(lo) or np.isfinite(hi))
                     for b, _ in leaves] + [1])
        M = len(leaves)
        feature = np.full((M, depth), -1, dtype=np.int64)
        lower = np.full((M, depth), -np.inf)
        upper = np.full((M, depth), np.inf)
        value = np.empty(M)
        for m, (bounds, v) in enumerate(leaves):
            l = 0
            for j in sorted(bounds):
                lo, hi = bounds[j]
                if np.isfinite(lo) or np.isfinite(hi):
                    feature[m, l], lower[m, l], upper[m, l] = j, lo, hi
                    l += 1
            value[m] = v
        return cls(feature, lower, upper, value, d, offset)
