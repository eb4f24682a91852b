"""MAPLE estimators: ``MapleRegressor`` and ``MapleClassifier``.

Plumb, Molitor and Talwalkar, "Model Agnostic Supervised Local Explanations", NeurIPS 2018.
A tree ensemble fitted to the target defines, for every query ``x``, weights over the training
rows (how often a row shares a leaf with ``x``, each leaf counting once per tree); MAPLE's
prediction at ``x`` is a ridge regression fitted with those weights on the DStump-ranked
features that a validation split chose. The local linear model is the explanation.

The work happens in :mod:`.neighbourhood` (leaf -> rows index, weights) and :mod:`.ridge`
(batched weighted ridge solves); these classes validate, fit the forest and hold the state.
"""

import numbers
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
from numba import get_num_threads
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import (
    check_random_state_seed,
    is_plain_matrix,
    reject_non_numeric as _reject_non_numeric,
    warn_rounded_input,
)
from .._categorical import (
    categorical_columns_of, set_categorical_attributes, validate_categorical_fit,
    validate_categorical_predict,
)
from ..explanation import Explanation, slope_inputs
from ..integrations.interpret import InterpretMixin
from ..forest._packed import (
    PARALLEL_WORK,
    apply_packed_kernel,
    block_rows,
    pack_trees,
    packed_walk_args,
    threads_for,
)
from ..tree._tree import Tree
from .dstump import RANKINGS, dstump_scores, flat_nodes, impurity_importance, rank_features
from .neighbourhood import (
    build_leaf_index,
    chunk_bounds,
    local_distribution_kernel,
    top_neighbors_kernel,
    weight_counts_kernel,
    weights_csr_kernel,
)
from .ridge import local_ridge_kernel, selection_sse_kernel

def _reject_frame_non_numeric(X):
    """Name the non-numeric columns of a DataFrame; other inputs are left to validate_data,
    whose TypeError for objects that are not numbers scikit-learn's checks expect."""
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        _reject_non_numeric(X)


_FORESTS = ("rf", "gbrt")


#: the local-ridge kernels run in parallel from this much work (``_solve_work``, which counts
#: every training row in every neighbourhood: the real work is a fraction of it); below it,
#: waking the pool and pinning BLAS cost more than they save, far more on a busy machine
_RIDGE_PARALLEL_WORK = 4 * PARALLEL_WORK
_blas_controller = None


@contextmanager
def _kernel_threads(work):
    """Threads for the local-ridge kernels: Numba's over the queries, BLAS's pinned to one.

    The kernels call BLAS (gemm) once per query from inside ``prange``; a threaded BLAS there
    would start its own threads on cores the other queries already use.
    """
    if work < _RIDGE_PARALLEL_WORK:
        with threads_for(0):
            yield
        return
    global _blas_controller
    if _blas_controller is None:
        import scipy.linalg.cython_blas  # noqa: F401  (the BLAS Numba calls: load it to pin it)
        from threadpoolctl import ThreadpoolController

        # found once: threadpool_limits scans the loaded libraries on every call (~2 ms)
        _blas_controller = ThreadpoolController()
    with _blas_controller.limit(limits=1, user_api="blas"):
        yield


def _trees_of(fitted):
    """The fitted trees of a tree ensemble, as :class:`Tree` objects."""
    trees = getattr(fitted, "trees_", None)
    if trees is not None:
        return list(trees)
    out = []
    for est in np.ravel(np.asarray(fitted.estimators_, dtype=object)):
        t = est.tree_
        out.append(t if isinstance(t, Tree) else Tree.from_sklearn(t))
    return out


def _standardisation(X):
    """Per-column center (mean) and scale (standard deviation, 1 for a constant column) of X.

    Computed on the columns divided by their largest magnitude, so that a column of values
    near the float64 limit (whose squares overflow) still gets a finite scale.
    """
    peak = np.max(np.abs(X), axis=0) if X.shape[0] else np.ones(X.shape[1])
    peak = np.where(peak > 0, peak, 1.0)
    U = X / peak
    center = U.mean(axis=0) * peak
    scale = U.std(axis=0) * peak
    scale = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
    return center, scale


def _standardise(X, center, scale, columns=None):
    """``(X - center) / scale`` column-wise, computed as ``X / scale - center / scale`` (no
    overflow of the difference near the float64 limit); a C-ordered copy, columns optional."""
    if columns is not None:
        X, center, scale = X[:, columns], center[columns], scale[columns]
    return np.ascontiguousarray(X / scale - center / scale)


#: indicators per categorical feature in the local models, at most (the most frequent
#: categories after the reference; the rarer ones share the reference's zero vector)
MAX_LOCAL_LEVELS = 16


def _local_levels(X, is_categorical):
    """``[(feature, codes)]``: the categories each categorical feature has an indicator for
    in the local models. The most frequent category is the reference (no indicator: with the
    intercept it would be collinear), then up to :data:`MAX_LOCAL_LEVELS` of the next most
    frequent (ties: lower code); a missing value has none."""
    out = []
    for j in np.flatnonzero(is_categorical):
        col = X[:, j]
        codes, counts = np.unique(col[~np.isnan(col)], return_counts=True)
        order = np.lexsort((codes, -counts))
        out.append((int(j), np.sort(codes[order[1:1 + MAX_LOCAL_LEVELS]])))
    return out


class _BaseMaple(InterpretMixin, BaseEstimator):
    """State and algorithms shared by the regressor and the classifier."""

    def __init__(
        self,
        *,
        n_estimators=200,
        max_features=0.5,
        min_samples_leaf=10,
        forest="rf",
        alpha=0.001,
        n_features_to_keep=None,
        feature_ranking="impurity_reduction",
        validation_fraction=1 / 3,
        refit=True,
        n_jobs=None,
        random_state=None,
        categorical_features="from_dtype",
    ):
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.forest = forest
        self.alpha = alpha
        self.n_features_to_keep = n_features_to_keep
        self.feature_ranking = feature_ranking
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.categorical_features = categorical_features

    # -- validation --------------------------------------------------------------------
    def _check_params(self, n_samples, n_features):
        if not isinstance(self.n_estimators, numbers.Integral) or self.n_estimators < 1:
            raise ValueError(f"n_estimators must be an integer >= 1, got {self.n_estimators!r}.")
        if not isinstance(self.alpha, numbers.Real) or not self.alpha >= 0:
            raise ValueError(f"alpha must be a number >= 0, got {self.alpha!r}.")
        if self.feature_ranking not in RANKINGS:
            raise ValueError(
                f"feature_ranking must be one of {RANKINGS}, got {self.feature_ranking!r}."
            )
        if not (isinstance(self.forest, str) and self.forest in _FORESTS) and not hasattr(
            self.forest, "fit"
        ):
            raise ValueError(
                f"forest must be one of {_FORESTS} or an unfitted tree-ensemble estimator, "
                f"got {self.forest!r}."
            )
        msl = self.min_samples_leaf
        if isinstance(msl, numbers.Integral):
            if msl < 1:
                raise ValueError(f"min_samples_leaf must be >= 1, got {msl}.")
            if n_samples < msl:
                raise ValueError(
                    f"MAPLE needs at least min_samples_leaf={msl} training rows, got "
                    f"n_samples = {n_samples}."
                )
        elif not (isinstance(msl, numbers.Real) and 0 < msl < 1):
            raise ValueError(f"min_samples_leaf must be an int >= 1 or a float in (0, 1), got {msl!r}.")
        k = self.n_features_to_keep
        if k is not None and (
            not isinstance(k, numbers.Integral) or not 1 <= k <= n_features
        ):
            raise ValueError(
                f"n_features_to_keep must be None or an integer in [1, {n_features}], got {k!r}."
            )
        vf = self.validation_fraction
        if not (isinstance(vf, numbers.Real) and 0 < vf < 1):
            raise ValueError(f"validation_fraction must be in (0, 1), got {vf!r}.")

    def _validate_X(self, X, reset):
        if not reset and getattr(self, "categories_", None) is not None:
            return self._validate_codes(validate_categorical_predict(self, X))
        if self._plain_matrix(X, reset):
            return X
        _reject_frame_non_numeric(X)
        X64 = validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_all_finite=True, order="C"
        )
        if not reset and X64 is not X:
            nodes = self._state_["packed"]["nodes"]
            split = nodes[:, 0] != -1
            warn_rounded_input(X, X64, nodes[split, 2] & 0xFFFFFFFF,
                               nodes.view(np.float64)[split, 3])
        return X64

    def _validate_codes(self, Z):
        """Category codes (NaN: a missing or unseen category, which the forest sends where
        its splits send missing values) with finite numeric columns."""
        num = ~self.is_categorical_
        if not np.isfinite(Z[:, num]).all():
            names = self._feature_names()
            bad = [names[j] for j in np.flatnonzero(num & ~np.isfinite(Z).all(axis=0))]
            raise ValueError(f"Input X contains NaN or infinity in numeric columns "
                             f"({', '.join(bad)}): MAPLE's local linear models need them "
                             "complete (a categorical column may have missing values).")
        return Z

    def _plain_matrix(self, X, reset):
        """True when X is what ``validate_data`` would return unchanged (a finite float64
        C-ordered matrix, with the fitted feature count and no fitted feature names when not
        ``reset``), after doing what it does for such an X. Its generic checks cost a small
        fit and predict (MAPLE on a few hundred rows) a few percent. Anything else goes
        through ``validate_data``, which accepts it or raises its usual error."""
        if not is_plain_matrix(X, c_order=True):
            return False
        if reset:
            self.n_features_in_ = X.shape[1]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return True
        return (X.shape[1] == getattr(self, "n_features_in_", -1)
                and not hasattr(self, "feature_names_in_")
                and getattr(self, "categories_", None) is None)

    # -- the forest --------------------------------------------------------------------
    def _make_forest(self, seed):
        kind = self.forest
        common = dict(
            n_estimators=self.n_estimators,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            random_state=seed,
        )
        if not isinstance(kind, str):
            est = clone(kind)
            if "random_state" in est.get_params():
                est.set_params(random_state=seed)
            return est
        if kind == "gbrt":
            from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

            cls = GradientBoostingClassifier if self._is_classifier else GradientBoostingRegressor
            return cls(max_depth=None, **common)
        from ..forest._classes import RandomForestClassifier, RandomForestRegressor

        cls = RandomForestClassifier if self._is_classifier else RandomForestRegressor
        # None: as many threads as Numba's kernels use (the forest does not depend on it)
        n_jobs = get_num_threads() if self.n_jobs is None else self.n_jobs
        return cls(n_jobs=n_jobs, **common)

    def _fit_neighbourhoods(self, X, y_forest, seed):
        """Fit the forest on (X, y_forest) and index its leaves; returns the state dict."""
        from ..forest._classes import _BaseForest

        est = self._make_forest(seed)
        info = categorical_columns_of(self)
        if info is not None and not isinstance(est, _BaseForest):
            raise ValueError(
                "Categorical features need glassworks' own forest (forest='rf'), which splits "
                f"on categories natively; {type(est).__name__} takes numbers only: encode "
                "them first, or pass categorical_features=None with numeric columns.")
        if isinstance(est, _BaseForest):
            # X and y are validated already: skip the forest's own checks. A glassworks forest
            # packs its trees and keeps their node arrays flat: no Tree object is needed
            est.n_features_in_ = X.shape[1]
            if info is not None:
                set_categorical_attributes(est, info, X.shape[1])
            est._fit_validated(X, y_forest, np.ones(X.shape[0]), categorical=info is not None)
            packed = est._packed
            nodes = est._node_arrays()
        else:
            est.fit(X, y_forest)
            trees = _trees_of(est)
            packed = pack_trees(trees)
            nodes = flat_nodes(trees)
        n_trees = packed["node_offset"].shape[0] - 1
        with threads_for(X.shape[0] * n_trees * 16):
            leaves = apply_packed_kernel(*packed_walk_args(packed), X, block_rows(X.shape[0]))
        leaf_ptr, leaf_rows = build_leaf_index(leaves, packed["n_nodes"])
        return {
            "forest": est,
            "nodes": nodes,
            "packed": packed,
            "leaf_ptr": leaf_ptr,
            "leaf_rows": leaf_rows,
        }

    def _query_leaves(self, X, state=None):
        state = self._state_ if state is None else state
        n_trees = state["packed"]["node_offset"].shape[0] - 1
        with threads_for(X.shape[0] * n_trees * 16):
            return apply_packed_kernel(
                *packed_walk_args(state["packed"]), X, block_rows(X.shape[0])
            )

    # -- fit ---------------------------------------------------------------------------
    def _fit(self, X, y, X_val=None, y_val=None):
        # y as validate_data would return it: a 1-d array of numbers (finite: checked by
        # _encode_y) with one label per row
        plain_y = (type(y) is np.ndarray and y.ndim == 1 and y.dtype.kind in "biuf"
                   and y.shape[0] == getattr(X, "shape", (-1,))[0])
        cat = None
        if not (plain_y and self._plain_matrix(X, reset=True)):
            # the neighbourhood forest's bins: 255 (its default max_bins)
            cat = validate_categorical_fit(self, X, y, self.categorical_features, 255,
                                           y_numeric=not self._is_classifier,
                                           multi_output=False)
            if cat is None:
                _reject_frame_non_numeric(X)
                X, y = validate_data(
                    self, X, y, dtype=np.float64, ensure_all_finite=True, order="C",
                    y_numeric=not self._is_classifier, multi_output=False,
                )
            else:
                X, y = cat[0], cat[1]
                X = self._validate_codes(X)
        if cat is None:
            set_categorical_attributes(self, None, X.shape[1])
        n, d = X.shape
        self._check_params(n, d)
        y_forest, Y = self._encode_y(y)
        rng = np.random.RandomState(check_random_state_seed(self.random_state))
        seed_split, seed_forest, seed_refit = (int(s) for s in rng.randint(0, 2**31 - 1, 3))

        if (X_val is None) != (y_val is None):
            raise ValueError("Pass both X_val and y_val, or neither.")
        # the feature count chosen (or kept) is of numeric features: a categorical one
        # enters every local model, as indicators of its categories (see _local_levels)
        n_linear = int((~self.is_categorical_).sum())
        if self.n_features_to_keep is not None and self.n_features_to_keep > n_linear:
            raise ValueError(
                f"n_features_to_keep={self.n_features_to_keep} but only {n_linear} features are "
                "numeric: it counts the numeric features of the local models (a categorical "
                "one is always in them, as indicators of its categories).")
        select = self.n_features_to_keep is None and n_linear > 1
        holdout = None
        if X_val is not None:
            X_val = self._validate_X(X_val, reset=False)
            y_val = np.asarray(y_val)
            if y_val.shape[0] != X_val.shape[0]:
                raise ValueError(
                    f"X_val has {X_val.shape[0]} rows but y_val has {y_val.shape[0]}."
                )
            _, Y_val = self._encode_y(y_val, fitted=True)
            X_fit, yf_fit, Y_fit = X, y_forest, Y
        elif select:
            n_val = int(round(self.validation_fraction * n))
            msl = self.min_samples_leaf
            min_train = msl if isinstance(msl, numbers.Integral) else 1
            if n_val >= 1 and n - n_val >= max(min_train, 2):
                perm = np.random.RandomState(seed_split).permutation(n)
                holdout = perm[:n_val]
                keep = np.sort(perm[n_val:])
                X_val, Y_val = X[holdout], Y[holdout]
                X_fit, yf_fit, Y_fit = X[keep], y_forest[keep], Y[keep]
            else:
                # too few rows to hold any out: keep every feature (recorded below)
                select = False
                X_fit, yf_fit, Y_fit = X, y_forest, Y
        else:
            X_fit, yf_fit, Y_fit = X, y_forest, Y

        state = self._fit_neighbourhoods(X_fit, yf_fit, seed_forest)
        scores = dstump_scores(state["nodes"], d, self.feature_ranking)
        ranking = rank_features(scores, impurity_importance(state["nodes"], d))
        linear = ranking[~self.is_categorical_[ranking]]

        self.validation_rmse_ = None
        if self.n_features_to_keep is not None:
            k = int(self.n_features_to_keep)
        elif select:
            center, scale = _standardisation(X_fit)
            Xr = _standardise(X_fit, center, scale, linear)
            Xvr = _standardise(X_val, center, scale, linear)
            qleaves = self._query_leaves(X_val, state)
            with _kernel_threads(self._solve_work(len(X_val), X_fit.shape[0], d)):
                sse = selection_sse_kernel(
                    qleaves, state["leaf_ptr"], state["leaf_rows"], chunk_bounds(len(X_val)),
                    Xr, Y_fit, Xvr, np.ascontiguousarray(Y_val), float(self.alpha),
                )
            rmse = np.sqrt(sse.sum(axis=0) / (X_val.shape[0] * Y.shape[1]))
            self.validation_rmse_ = rmse
            # ties go to the smaller model, as in the original (strict improvement)
            k = int(np.argmin(rmse)) + 1
        else:
            k = n_linear

        if holdout is not None and self.refit:
            state = self._fit_neighbourhoods(X, y_forest, seed_refit)
            X_fit, Y_fit = X, Y

        self.feature_scores_ = scores
        self.feature_ranking_ = ranking
        self.n_features_kept_ = k
        self.kept_features_ = np.sort(linear[:k])
        self.forest_ = state["forest"]
        self._state_ = state
        self.X_train_ = X_fit
        self._Y_train = Y_fit
        # a categorical feature enters each local model as indicators of its categories
        self._levels = _local_levels(X_fit, self.is_categorical_)
        # the local ridge regressions run on the kept features (and the indicators)
        # standardised by the training statistics, so that the penalty does not depend on the
        # features' units
        D = self._design(X_fit)
        center, scale = _standardisation(D)
        self._Zk_train = _standardise(D, center, scale)
        self._z_center = center
        self._z_scale = scale
        return self

    def _design(self, X):
        """The local models' inputs: the kept numeric features, then one indicator column
        per modelled category of each categorical feature (see :func:`_local_levels`)."""
        parts = [X[:, self.kept_features_]]
        for j, levels in self._levels:
            parts.append((X[:, j][:, None] == levels[None, :]).astype(np.float64))
        return np.ascontiguousarray(np.hstack(parts))

    @property
    def trees_(self):
        """The neighbourhood forest's trees as flat :class:`Tree` (built on first access)."""
        check_is_fitted(self, "_state_")
        return _trees_of(self.forest_)

    # -- local models ------------------------------------------------------------------
    def _local_models(self, X):
        """Coefficients (n, d, m) over all features (0 for dropped) and intercepts (n, m)."""
        check_is_fitted(self, "_state_")
        X = self._validate_X(X, reset=False)
        st = self._state_
        qleaves = self._query_leaves(X)
        Z = self._Zk_train
        work = self._solve_work(X.shape[0], Z.shape[0], Z.shape[1])
        with _kernel_threads(work):
            coef_k, intercept = local_ridge_kernel(
                qleaves, st["leaf_ptr"], st["leaf_rows"], chunk_bounds(X.shape[0]),
                Z, self._Y_train, float(self.alpha),
            )
        # back from z = x / scale - center / scale to the features' own units
        coef_k /= self._z_scale[None, :, None]
        intercept -= np.einsum("qjm,j->qm", coef_k, self._z_center)
        coef = np.zeros((X.shape[0], self.n_features_in_, coef_k.shape[2]))
        nk = self.kept_features_.shape[0]
        coef[:, self.kept_features_, :] = coef_k[:, :nk]
        # a categorical feature's value: the coefficient of the row's own category's
        # indicator (0 for the reference category, a rare one, or a missing one)
        at = nk
        rows = np.arange(X.shape[0])
        for j, levels in self._levels:
            block = coef_k[:, at:at + levels.shape[0]]
            at += levels.shape[0]
            hit = X[:, j][:, None] == levels[None, :]
            own = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
            ok = own >= 0
            coef[rows[ok], j, :] = block[rows[ok], own[ok], :]
        return X, coef, intercept

    def _solve_work(self, n_queries, n_train, k):
        # a neighbourhood holds at most n_train rows; its Gram matrix costs rows x k^2 / 2
        return n_queries * n_train * (k * k // 2 + k + 1)

    def _local_output(self, X):
        X, coef, intercept = self._local_models(X)
        Xs = slope_inputs(X, self.is_categorical_)
        return intercept + np.einsum("nd,ndm->nm", Xs, coef)

    def _feature_names(self):
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(c) for c in names]
        return [f"x{j}" for j in range(self.n_features_in_)]

    # -- example-based explanations ------------------------------------------------------
    def _validated_leaves(self, X):
        check_is_fitted(self, "_state_")
        X = self._validate_X(X, reset=False)
        return X, self._query_leaves(X)

    def weights(self, X):
        """MAPLE's neighbourhood weights of the training rows for each row of X.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)

        Returns
        -------
        scipy.sparse.csr_matrix of shape (n_queries, n_train)
            ``W[i, r] = sum_t [leaf_t(X[i]) == leaf_t(X_train_[r])] / |leaf_t(X[i])|``;
            each row sums to the number of trees.
        """
        X, ql = self._validated_leaves(X)
        st = self._state_
        n_train = self.X_train_.shape[0]
        bounds = chunk_bounds(X.shape[0])
        counts = weight_counts_kernel(ql, st["leaf_ptr"], st["leaf_rows"], n_train, bounds)
        indptr = np.zeros(X.shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        indices, data = weights_csr_kernel(
            ql, st["leaf_ptr"], st["leaf_rows"], n_train, bounds, indptr
        )
        return sp.csr_matrix((data, indices, indptr), shape=(X.shape[0], n_train))

    def plot(self, x, *, k=10, max_features=15):
        """Draw the MAPLE explanation of one point: local coefficients and neighbour weights.

        See :func:`glassworks.plotting.plot_maple`; returns a matplotlib Figure.
        """
        from ..plotting import plot_maple

        return plot_maple(self, x, k=k, max_features=max_features)

    def neighbors(self, X, k=10):
        """The ``k`` training rows with the most weight for each row of X.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
        k : int, default=10

        Returns
        -------
        indices : ndarray of int64, shape (n_queries, k)
            Rows of ``X_train_`` by decreasing weight (ties: lower row first); ``-1`` pads
            when fewer than ``k`` rows have weight.
        weights : ndarray of shape (n_queries, k)
            Their weights (0 where padded).
        """
        if not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(f"k must be an integer >= 1, got {k!r}.")
        X, ql = self._validated_leaves(X)
        st = self._state_
        return top_neighbors_kernel(
            ql, st["leaf_ptr"], st["leaf_rows"], self.X_train_.shape[0],
            chunk_bounds(X.shape[0]), int(k),
        )

    # -- global patterns ----------------------------------------------------------------
    def local_distribution(self, X, feature, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)):
        """The local training distribution of each row of X along one feature.

        The paper's tool for global patterns: the training rows, weighted by a point's
        neighbourhood, projected on ``feature``. Far from any boundary it is spread around
        the point; next to an abrupt change of the model's behaviour it is cut off at the
        boundary, on the point's side.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
        feature : int or str
            Column index, or name when fitted on a DataFrame.
        quantiles : sequence of float in [0, 1]

        Returns
        -------
        dict with ``mean``, ``std`` (n_queries,) and ``quantiles`` (n_queries, len(quantiles))
        of the weighted distribution, ``levels`` (the quantile levels) and ``value`` (the
        queries' own values of the feature).
        """
        j = self._numeric_feature_index(feature, "local_distribution")
        levels = np.asarray(quantiles, dtype=np.float64)
        if levels.ndim != 1 or levels.size == 0 or (levels < 0).any() or (levels > 1).any():
            raise ValueError("quantiles must be a non-empty sequence of levels in [0, 1].")
        order = np.argsort(levels)
        X, ql = self._validated_leaves(X)
        st = self._state_
        mean, std, qs = local_distribution_kernel(
            ql, st["leaf_ptr"], st["leaf_rows"], self.X_train_.shape[0],
            chunk_bounds(X.shape[0]), np.ascontiguousarray(self.X_train_[:, j]),
            np.ascontiguousarray(levels[order]),
        )
        out_q = np.empty_like(qs)
        out_q[:, order] = qs
        return {"mean": mean, "std": std, "quantiles": out_q, "levels": levels,
                "value": X[:, j].copy()}

    def find_boundaries(self, feature, X=None, window=10, threshold=0.25, n_candidates=64):
        """Detect abrupt changes of the model's behaviour along one feature.

        A boundary at ``b`` keeps MAPLE's neighbourhoods on one side of it: points just
        below ``b`` have (almost) no weight above it and points just above have none below.
        For each candidate ``b`` (midpoints between quantiles of the feature) the *crossing*
        is the mean weight that the ``window`` points nearest below and above ``b`` put on
        the other side of ``b``. Smooth regions give crossings near their typical level;
        a boundary gives a local minimum far below it.

        Parameters
        ----------
        feature : int or str
        X : array-like, default=None
            Points whose neighbourhoods are examined; the training rows when None.
        window : int, default=10
            Points taken on each side of a candidate.
        threshold : float, default=0.25
            A candidate is reported when its crossing is a local minimum below
            ``threshold`` times the median crossing over all candidates.
        n_candidates : int, default=64

        Returns
        -------
        boundaries : ndarray
            The detected boundary locations, ascending.
        candidates : ndarray
            All candidate locations.
        crossing : ndarray
            The crossing at each candidate.
        """
        check_is_fitted(self, "_state_")
        j = self._numeric_feature_index(feature, "find_boundaries")
        X = self.X_train_ if X is None else self._validate_X(X, reset=False)
        W = self.weights(X)
        W = sp.diags(1.0 / np.asarray(W.sum(axis=1)).ravel()) @ W
        x = X[:, j]
        v = self.X_train_[:, j]
        uniq = np.unique(x)
        if uniq.size < 2:
            return np.empty(0), np.empty(0), np.empty(0)
        probe = np.unique(np.quantile(x, np.linspace(0, 1, n_candidates + 2)[1:-1]))
        cand = []
        for p in probe:
            hi = uniq[np.searchsorted(uniq, p, side="right"):]
            lo = uniq[: np.searchsorted(uniq, p, side="right")]
            if hi.size and lo.size:
                cand.append(0.5 * (lo[-1] + hi[0]))
        cand = np.unique(np.asarray(cand))
        if cand.size == 0:
            return np.empty(0), np.empty(0), np.empty(0)
        below_mass = np.asarray(W @ (v[:, None] <= cand[None, :]).astype(np.float64))
        order = np.argsort(x, kind="stable")
        xs = x[order]
        crossing = np.empty(cand.size)
        for c, b in enumerate(cand):
            split = np.searchsorted(xs, b, side="right")
            left = order[max(0, split - window):split]
            right = order[split:split + window]
            opp = np.concatenate([1.0 - below_mass[left, c], below_mass[right, c]])
            crossing[c] = opp.mean()
        ref = np.median(crossing)
        found = []
        for c in range(cand.size):
            lo_ok = c == 0 or crossing[c] <= crossing[c - 1]
            hi_ok = c == cand.size - 1 or crossing[c] <= crossing[c + 1]
            if lo_ok and hi_ok and crossing[c] < threshold * ref:
                found.append(cand[c])
        return np.asarray(found), cand, crossing

    def _numeric_feature_index(self, feature, what):
        j = self._feature_index(feature)
        if self.is_categorical_[j]:
            raise ValueError(f"{what} works along a numeric feature; {feature!r} is "
                             "categorical (it shapes the neighbourhoods, see weights()).")
        return j

    def _feature_index(self, feature):
        check_is_fitted(self, "_state_")
        if isinstance(feature, numbers.Integral):
            if not 0 <= feature < self.n_features_in_:
                raise ValueError(f"feature {feature} out of range [0, {self.n_features_in_}).")
            return int(feature)
        names = self._feature_names()
        if feature in names:
            return names.index(feature)
        raise ValueError(f"Unknown feature {feature!r}.")


class MapleRegressor(RegressorMixin, _BaseMaple):
    """MAPLE: a random forest's supervised neighbourhoods with local ridge regressions.

    Parameters
    ----------
    n_estimators : int, default=200
        Trees of the neighbourhood forest.
    max_features : int, float or None, default=0.5
        Features tried per split (the paper's 0.5).
    min_samples_leaf : int or float, default=10
    forest : {"rf", "gbrt"} or estimator, default="rf"
        ``"rf"``: glassworks' random forest; ``"gbrt"``: scikit-learn's gradient boosting
        (``max_depth=None``, as the original code); or any unfitted tree ensemble whose
        fitted ``estimators_`` hold trees (e.g. ``sklearn.ensemble.ExtraTreesRegressor()``).
    alpha : float, default=0.001
        Ridge penalty of the local linear models (the intercept is not penalised), on the
        features standardised by the mean and standard deviation of the training rows: the
        penalty does not depend on the features' units (multiplying a feature by ``c``
        divides its slopes by ``c`` and changes nothing else), and on standardised data it
        is the original MAPLE's ``Ridge(alpha=0.001)``.
    n_features_to_keep : int or None, default=None
        Number of DStump-ranked features in the local models; None chooses it on a
        validation split by RMSE (every count is tried, without refitting).
    feature_ranking : {"impurity_reduction", "root_impurity"}, default="impurity_reduction"
        DStump score: the root splits' impurity reduction (the paper), or the root's
        impurity (the original code). Ties (features never at a root) are broken by the
        features' total impurity reduction over all splits, not by column order.
    validation_fraction : float, default=1/3
        Share of X held out to choose the feature count when ``fit`` gets no ``X_val``
        (1/3 reproduces the paper's 50/25 train/validation split).
    refit : bool, default=True
        After choosing the count on a held-out split, refit the forest on all of X.
    n_jobs : int or None, default=None
        Threads growing the forest; None: as many as Numba's kernels use
        (``numba.get_num_threads()``). The model does not depend on it.
    random_state : int, RandomState or None, default=None
    categorical_features : "from_dtype", None, list of names or indices, or bool mask, default="from_dtype"
        Categorical columns (see :class:`~glassworks.DecisionTreeRegressor`): the
        neighbourhood forest splits on them natively (``forest="rf"`` only), and each enters
        the local models as indicators of its categories (the most frequent one the
        reference, then up to :data:`MAX_LOCAL_LEVELS` more; rarer, missing and unseen ones
        share the reference's zeros). ``explain`` gives such a feature the coefficient of the
        row's own category's indicator. A missing or unseen category goes where the forest's
        splits send missing values.

    Attributes
    ----------
    forest_ : estimator
        The fitted neighbourhood forest.
    trees_ : list of Tree
        Its trees as flat :class:`glassworks.tree._tree.Tree`.
    feature_scores_ : ndarray of shape (n_features,)
        DStump scores, from the forest fitted on the training part of the split (with
        ``refit=True`` and no ``X_val``, ``forest_`` is the forest refitted on all of X).
    feature_ranking_ : ndarray of shape (n_features,)
        Features by decreasing DStump score; features at no root (score 0, often most of
        them) by decreasing total impurity reduction over all splits, then by index.
    n_features_kept_ : int
    kept_features_ : ndarray
        Indices of the features in the local models (ascending; numeric features only).
    is_categorical_ : ndarray of bool, shape (n_features,)
    categories_ : list or None
        Per feature, its categories (codes are positions), or None for a numeric one; None
        when no feature is categorical.
    validation_rmse_ : ndarray of shape (n_features,) or None
        Validation RMSE with the first k ranked features, k = 1..n_features.
    X_train_ : ndarray
        The rows the neighbourhoods weight.

    Examples
    --------
    >>> import numpy as np
    >>> from glassworks import MapleRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 3)); y = 2 * X[:, 0] - X[:, 1]
    >>> m = MapleRegressor(n_estimators=20, random_state=0).fit(X, y)
    >>> e = m.explain(X[:5])
    >>> bool(np.allclose(e.base_values + (e.values * X[:5]).sum(1), m.predict(X[:5])))
    True
    """

    _is_classifier = False

    def _encode_y(self, y, fitted=False):
        y = np.asarray(y, dtype=np.float64).ravel()
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinity.")
        return y, y.reshape(-1, 1).copy()

    def fit(self, X, y, X_val=None, y_val=None):
        """Fit the forest, rank the features and choose how many to keep.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            No NaN: the local linear models cannot use missing values.
        y : array-like of shape (n_samples,)
        X_val, y_val : array-like, optional
            A validation set for the feature count (the paper's protocol); when absent a
            ``validation_fraction`` of X is held out.
        """
        return self._fit(X, y, X_val, y_val)

    def predict(self, X):
        """MAPLE's prediction: each row's local ridge model evaluated at the row."""
        return self._local_output(X)[:, 0]

    def explain(self, X):
        """The local linear models of the rows of X.

        Returns
        -------
        Explanation
            ``estimand="local_slope"``; ``values`` (n, n_features) are the coefficients (0
            for dropped features), ``base_values`` the intercepts, so that
            ``base_values + (values * X).sum(1) == predict(X)``. A categorical feature's value
            is its term itself (the coefficient of the row's category), added as it is.
        """
        X, coef, intercept = self._local_models(X)
        return Explanation(
            values=coef[:, :, 0],
            base_values=intercept[:, 0],
            data=X,
            feature_names=self._feature_names(),
            method="maple",
            estimand="local_slope",
            extra={"kept_features": self.kept_features_.copy(),
                   "categorical": self.is_categorical_.tolist()},
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class MapleClassifier(ClassifierMixin, _BaseMaple):
    """MAPLE for classification: local ridge models of the class indicators.

    The neighbourhood forest is a random forest classifier; the local model at ``x`` is a
    weighted ridge regression of the one-hot class indicators, i.e. a local linear model of
    each class probability. Its outputs sum to 1 (the intercept is unpenalised) but may leave
    [0, 1]; ``predict_proba`` clips them to [0, 1] and renormalises, ``predict_local`` returns
    them unclipped (what ``explain`` adds up to). The feature count minimises the validation
    Brier score. Parameters and attributes as :class:`MapleRegressor`.

    Examples
    --------
    >>> import numpy as np
    >>> from glassworks import MapleClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 3)); y = (X[:, 0] > 0).astype(int)
    >>> clf = MapleClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _is_classifier = True

    def _encode_y(self, y, fitted=False):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if not fitted:
            check_classification_targets(y)
            self.classes_, codes = np.unique(y, return_inverse=True)
        else:
            codes = np.searchsorted(self.classes_, y)
            codes = np.clip(codes, 0, len(self.classes_) - 1)
            if not np.array_equal(self.classes_[codes], y):
                raise ValueError("y_val holds labels that are not in y.")
        Y = np.zeros((y.shape[0], len(self.classes_)))
        Y[np.arange(y.shape[0]), codes] = 1.0
        return codes, Y

    def fit(self, X, y, X_val=None, y_val=None):
        """Fit the forest, rank the features and choose how many to keep.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        X_val, y_val : array-like, optional
            A validation set for the feature count.
        """
        return self._fit(X, y, X_val, y_val)

    def predict_local(self, X):
        """Local linear estimates of the class probabilities (unclipped), (n, n_classes)."""
        return self._local_output(X)

    def predict_proba(self, X):
        """Class probabilities: the local estimates clipped to [0, 1] and renormalised."""
        p = np.clip(self.predict_local(X), 0.0, 1.0)
        s = p.sum(axis=1, keepdims=True)
        k = p.shape[1]
        return np.divide(p, s, out=np.full_like(p, 1.0 / k), where=s > 0)

    def predict(self, X):
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def explain(self, X):
        """The local linear models of the class probabilities.

        Returns
        -------
        Explanation
            ``estimand="local_slope"``; ``values`` (n, n_features, n_classes),
            ``base_values`` (n, n_classes): ``base_values + (values * X[..., None]).sum(1)``
            equals :meth:`predict_local`.
        """
        X, coef, intercept = self._local_models(X)
        return Explanation(
            values=coef,
            base_values=intercept,
            data=X,
            feature_names=self._feature_names(),
            method="maple",
            estimand="local_slope",
            output_names=[str(c) for c in self.classes_],
            extra={"kept_features": self.kept_features_.copy(),
                   "categorical": self.is_categorical_.tolist()},
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
