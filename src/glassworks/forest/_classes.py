"""Random forests on glassworks' Numba CART grower.

X is binned once (:class:`glassworks.tree.binning.BinMapper`); each tree is grown by
:func:`glassworks.tree.grower.grow_tree` on the binned data with its bootstrap sample passed as
integer counts in ``sample_weight`` (rows of count 0 are left out, as scikit-learn does). Every
tree's seed and bootstrap sample are drawn from ``random_state`` before any tree is grown, so the
forest is the same whatever ``n_jobs``; trees are grown in Python threads (the grower releases
the GIL). Prediction, ``apply`` and the out-of-bag estimate walk all trees at once in one
parallel kernel over the packed node arrays (:mod:`._packed`).

A forest on small data (``_BATCH_ROWS``, as MAPLE's) grows runs of trees in one kernel call each
(:mod:`._batch`: the same grower kernels, the same trees) and keeps their nodes as flat arrays;
the ``Tree`` / ``ForestTree`` objects of ``estimators_`` and ``trees_`` are built on first
access.
"""

import itertools
import numbers
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._categorical import (
    CategoricalMixin,
    categorical_columns_of, refuse_shap_model, set_categorical_attributes,
    trees_for_explanation, validate_categorical_fit, validate_categorical_predict,
)
from ..tree.thresholds import float32_stable_thresholds
from .._validation import check_random_state_seed, check_sample_weight, warn_rounded_input
from ..integrations.interpret import InterpretMixin
from .._validation import reject_non_numeric as _reject_non_numeric
from ._packed import (
    PACK_IN_THREAD,
    apply_packed_kernel,
    block_rows,
    oob_kernel,
    pack_tree,
    pack_trees,
    packed_walk_args,
    predict_packed_kernel,
    threads_for,
)


def _reject_frame_non_numeric(X):
    """Name the non-numeric columns of a DataFrame; other inputs are left to validate_data,
    whose TypeError for objects that are not numbers scikit-learn's checks expect."""
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        _reject_non_numeric(X)


class ForestTree:
    """One fitted member of a glassworks forest: its flat ``tree_`` and what it was grown with.

    Like scikit-learn's forests' ``estimators_`` items, it predicts and applies on its own.

    Attributes
    ----------
    tree_ : Tree
    n_features_in_ : int
    random_state : int
        The tree's seed (its feature draws).
    """

    def __init__(self, tree, n_features_in, random_state, classes=None):
        self.tree_ = tree
        self.n_features_in_ = n_features_in
        self.random_state = random_state
        if classes is not None:
            self.classes_ = classes

    def _X(self, X):
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[-1]} features, the tree was grown on {self.n_features_in_}."
            )
        return X

    def apply(self, X):
        return self.tree_.apply(self._X(X))

    def predict(self, X):
        v = self.tree_.predict(self._X(X))
        if hasattr(self, "classes_"):
            return self.classes_[np.argmax(v, axis=1)]
        return v[:, 0]

    def predict_proba(self, X):
        return self.tree_.predict(self._X(X))

    def __repr__(self):
        return f"ForestTree({self.tree_!r})"


def _resolve_max_features(max_features, d):
    if max_features is None:
        return d
    if isinstance(max_features, str):
        if max_features == "sqrt":
            return max(1, int(np.sqrt(d)))
        if max_features == "log2":
            return max(1, int(np.log2(d)))
        raise ValueError(
            f"max_features must be an int, a float in (0, 1], 'sqrt', 'log2' or None, got "
            f"{max_features!r}."
        )
    if isinstance(max_features, numbers.Integral) and not isinstance(max_features, bool):
        if not 1 <= max_features <= d:
            raise ValueError(f"max_features={max_features} is not in [1, n_features={d}].")
        return int(max_features)
    if isinstance(max_features, numbers.Real) and 0 < max_features <= 1:
        return max(1, int(max_features * d))
    raise ValueError(
        f"max_features must be an int, a float in (0, 1], 'sqrt', 'log2' or None, got "
        f"{max_features!r}."
    )


def _resolve_n_jobs(n_jobs):
    if n_jobs is None:
        return 1
    if not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer or None, got {n_jobs!r}.")
    cpus = os.cpu_count() or 1
    return max(1, cpus + 1 + n_jobs) if n_jobs < 0 else int(n_jobs)


def _bootstrap_counts(rng, n_trees, n, n_boot, bootstrap):
    """In-bag counts (n_trees, n) int32: each tree's bootstrap sample of ``n_boot`` rows.

    One generator, trees in order, so the samples do not depend on ``n_jobs``. Drawn a few
    trees at a time: ``integers`` of shape (k, n_boot) is the same stream as k draws of
    n_boot, and one ``bincount`` over all k trees replaces k small ones.
    """
    inbag = np.ones((n_trees, n), dtype=np.int32)
    if not bootstrap:
        return inbag
    boot = np.random.default_rng(int(rng.randint(0, np.iinfo(np.int32).max)))
    step = max(1, 4_000_000 // max(n_boot, 1))
    for t0 in range(0, n_trees, step):
        k = min(step, n_trees - t0)
        draws = boot.integers(0, n, (k, n_boot))
        draws += (np.arange(k, dtype=draws.dtype) * n)[:, None]
        inbag[t0:t0 + k] = np.bincount(draws.ravel(), minlength=k * n).reshape(k, n)
    return inbag


#: forests on at most this many rows (and rows x features) grow their trees in batches
#: (:mod:`._batch`): one kernel call per run of trees, no Python per tree. Above it a tree's
#: growth may use threads of its own (``grow_tree(parallel=True)``) and the per-tree Python
#: cost is negligible. The trees are the same either way.
_BATCH_ROWS = 20_000
_BATCH_CELLS = 500_000

_FLAT_FIELDS = (
    "children_left", "children_right", "feature", "threshold", "missing_go_to_left", "value",
    "n_node_samples", "weighted_n_node_samples", "impurity",
)


def _grow_batched(Xb, codes, sw, inbag, seeds, mapper, n_jobs, grow_args):
    """Every tree with :func:`._batch.grow_forest_run`, in runs on ``n_jobs`` threads.

    Returns the flat node arrays (``_FLAT_FIELDS``, ``node_offset`` and the packed ``nodes``).
    """
    from ..tree.grower import CRITERIA, categorical_mask, kernel_vector
    from ._batch import grow_forest_run

    n, d = Xb.shape
    n_trees = inbag.shape[0]
    msl = int(grow_args["min_samples_leaf"])
    max_depth = grow_args["max_depth"]
    max_leaf_nodes = grow_args["max_leaf_nodes"]
    mf = grow_args["max_features"]
    mwf = float(grow_args["min_weight_fraction_leaf"])
    # as grow_tree: a fraction of each tree's total weight (numpy's sum, as it does)
    if mwf > 0:
        mwl = np.array([mwf * float((sw * inbag[t]).sum()) for t in range(n_trees)])
    else:
        mwl = np.zeros(n_trees)
    is_cat = categorical_mask(mapper)
    args = (
        int(grow_args["n_classes"]), CRITERIA[grow_args["criterion"]],
        np.ascontiguousarray(mapper.n_bins_), int(mapper.missing_bin_),
        2**31 - 1 if max_depth is None else int(max_depth),
        max(int(grow_args["min_samples_split"]), 2 * msl), msl, mwl,
        float(grow_args["min_impurity_decrease"]),
        -1 if max_leaf_nodes is None else int(max_leaf_nodes), d if mf is None else int(mf),
        np.ascontiguousarray(mapper.values_), np.ascontiguousarray(mapper.edges_),
        np.ascontiguousarray(mapper.is_exact_), False, is_cat,
    )
    Xb = np.asfortranarray(Xb, dtype=np.uint8)
    y = kernel_vector(codes)
    sw = kernel_vector(sw)
    seeds = np.ascontiguousarray(seeds, dtype=np.int64)

    def run(bounds):
        return grow_forest_run(Xb, y, sw, inbag, seeds, bounds[0], bounds[1], *args)

    if n_jobs == 1:
        parts = [run((0, n_trees))]
    else:
        # runs of trees handed out as threads ask for them (about four per thread, the
        # calling thread one of them): on a busy machine a thread that gets no core leaves
        # its share to the others, and the fit waits for at most one run. A forest may take
        # only a few milliseconds, so plain threads rather than a pool's start-up and futures
        cuts = np.linspace(0, n_trees, min(n_trees, 4 * n_jobs) + 1).astype(np.int64).tolist()
        parts = [None] * (len(cuts) - 1)
        next_run = itertools.count()
        errors = []

        def work():
            try:
                for k in iter(lambda: next(next_run), None):
                    if k >= len(parts) or errors:
                        return
                    parts[k] = run((cuts[k], cuts[k + 1]))
            except BaseException as exc:  # re-raised in the calling thread
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(n_jobs - 1)]
        for th in threads:
            th.start()
        work()
        for th in threads:
            th.join()
        if errors:
            raise errors[0]
    if len(parts) == 1:
        cols = list(parts[0])
    else:
        cols = [np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]
    counts = cols[9]
    node_offset = np.zeros(n_trees + 1, dtype=np.int64)
    np.cumsum(counts, out=node_offset[1:])
    flat = dict(zip(_FLAT_FIELDS, cols[:9]))
    flat["node_offset"] = node_offset
    flat["nodes"] = cols[10]
    if is_cat is not None:
        # bitsets over category codes, a global row per categorical split of any tree
        flat["cat_split"], flat["cat_bitset"] = mapper.category_bitsets(
            flat["feature"], flat["children_left"], cols[11], flat["missing_go_to_left"])
    return flat


def _flat_trees(flat, n_features):
    """The :class:`Tree` of each tree of a flat forest (views of its arrays)."""
    from ..tree._tree import Tree

    off = flat["node_offset"]
    cs, cb = flat.get("cat_split"), flat.get("cat_bitset")
    return [
        Tree(**{k: flat[k][a:b] for k in _FLAT_FIELDS}, n_features=n_features,
             **({} if cs is None else _tree_bitsets(cs[a:b], cb)))
        for a, b in zip(off[:-1].tolist(), off[1:].tolist())
    ]


def _tree_bitsets(cat_split, cat_bitset):
    """One tree's own ``cat_split`` / ``cat_bitset`` from a flat forest's global ones."""
    used = cat_split >= 0
    if not used.any():
        return {"cat_split": None, "cat_bitset": None}
    rows = cat_split[used]
    local = np.full(cat_split.shape[0], -1, dtype=np.int64)
    local[used] = np.arange(rows.shape[0])
    return {"cat_split": local, "cat_bitset": cat_bitset[rows]}


def _concat_trees(trees):
    """The flat arrays of a list of :class:`Tree` (as the batch grower returns them)."""
    counts = np.array([t.node_count for t in trees], dtype=np.int64)
    node_offset = np.zeros(len(trees) + 1, dtype=np.int64)
    np.cumsum(counts, out=node_offset[1:])
    flat = {
        k: np.concatenate([t.value2d if k == "value" else getattr(t, k) for t in trees])
        for k in _FLAT_FIELDS
    }
    flat["node_offset"] = node_offset
    from ._packed import packed_categorical

    cat_split, cat_bitset = packed_categorical(trees)
    if cat_split is not None:
        flat["cat_split"], flat["cat_bitset"] = cat_split, cat_bitset
    return flat


class _BaseForest(CategoricalMixin, InterpretMixin, BaseEstimator):
    _criteria = ()

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion,
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        min_weight_fraction_leaf=0.0,
        max_features,
        max_leaf_nodes=None,
        min_impurity_decrease=0.0,
        bootstrap=True,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        max_samples=None,
        max_bins=255,
        categorical_features="from_dtype",
    ):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.max_samples = max_samples
        self.max_bins = max_bins
        self.categorical_features = categorical_features

    # -- validation --------------------------------------------------------------------
    def _check_params(self, n, d):
        def _int_at_least(name, lo, allow_none=False):
            v = getattr(self, name)
            if v is None and allow_none:
                return
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}.")

        _int_at_least("n_estimators", 1)
        _int_at_least("max_depth", 1, allow_none=True)
        _int_at_least("max_leaf_nodes", 2, allow_none=True)
        if self.criterion not in self._criteria:
            raise ValueError(f"criterion must be one of {self._criteria}, got {self.criterion!r}.")
        msl = self.min_samples_leaf
        if isinstance(msl, numbers.Integral) and not isinstance(msl, bool):
            if msl < 1:
                raise ValueError(f"min_samples_leaf must be >= 1, got {msl}.")
            msl = int(msl)
        elif isinstance(msl, numbers.Real) and 0 < msl < 1:
            msl = max(1, int(np.ceil(msl * n)))
        else:
            raise ValueError(f"min_samples_leaf must be an int >= 1 or a float in (0, 1), got {msl!r}.")
        mss = self.min_samples_split
        if isinstance(mss, numbers.Integral) and not isinstance(mss, bool):
            if mss < 2:
                raise ValueError(f"min_samples_split must be >= 2, got {mss}.")
            mss = int(mss)
        elif isinstance(mss, numbers.Real) and 0 < mss <= 1:
            mss = max(2, int(np.ceil(mss * n)))
        else:
            raise ValueError(f"min_samples_split must be an int >= 2 or a float in (0, 1], got {mss!r}.")
        if not 0 <= self.min_weight_fraction_leaf <= 0.5:
            raise ValueError("min_weight_fraction_leaf must be in [0, 0.5].")
        if not self.min_impurity_decrease >= 0:
            raise ValueError("min_impurity_decrease must be >= 0.")
        if self.oob_score and not self.bootstrap:
            raise ValueError("Out of bag estimation only available if bootstrap=True.")
        if not isinstance(self.max_bins, numbers.Integral) or not 2 <= self.max_bins <= 255:
            raise ValueError(f"max_bins must be an integer in [2, 255], got {self.max_bins!r}.")
        ms = self.max_samples
        if ms is None:
            n_boot = n
        elif isinstance(ms, numbers.Integral) and not isinstance(ms, bool):
            if not 1 <= ms <= n:
                raise ValueError(f"max_samples must be in [1, n_samples={n}], got {ms}.")
            n_boot = int(ms)
        elif isinstance(ms, numbers.Real) and 0 < ms <= 1:
            n_boot = max(1, int(round(ms * n)))
        else:
            raise ValueError(f"max_samples must be None, an int or a float in (0, 1], got {ms!r}.")
        return msl, mss, _resolve_max_features(self.max_features, d), n_boot

    # -- fit ---------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Grow the forest.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN is allowed (each split learns which side missing values take).
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        cat = validate_categorical_fit(self, X, y, self.categorical_features, self.max_bins,
                                       y_numeric=not self._is_clf, multi_output=False)
        if cat is not None:
            X, y, _ = cat
            return self._fit_validated(X, y, check_sample_weight(sample_weight, X),
                                       categorical=True)
        _reject_frame_non_numeric(X)
        X, y = validate_data(
            self, X, y, dtype=np.float64, ensure_all_finite="allow-nan", order="C",
            y_numeric=not self._is_clf, multi_output=False,
        )
        return self._fit_validated(X, y, check_sample_weight(sample_weight, X))

    def _fit_validated(self, X, y, sw, categorical=False):
        """``fit`` on arrays already validated (X float64 C-ordered, ``n_features_in_`` set,
        ``sw`` checked): MAPLE fits its forest on data it has validated itself. With
        ``categorical``, X holds category codes and ``is_categorical_`` / ``categories_``
        are set (:func:`glassworks._categorical.validate_categorical_fit`)."""
        if not categorical:
            set_categorical_attributes(self, None, X.shape[1])
        n, d = X.shape
        codes = self._encode_y(y)
        msl, mss, mf, n_boot = self._check_params(n, d)

        rng = np.random.RandomState(check_random_state_seed(self.random_state))
        seeds = rng.randint(0, np.iinfo(np.int32).max, size=self.n_estimators)
        from ..tree.binning import BinMapper

        info = categorical_columns_of(self)
        mapper = BinMapper(
            max_bins=self.max_bins, random_state=int(seeds[0]),
            is_categorical=None if info is None else info.is_categorical,
            n_categories=None if info is None else info.n_categories,
        ).fit(X)
        Xb = mapper.transform(X)
        inbag = _bootstrap_counts(rng, self.n_estimators, n, n_boot, self.bootstrap)
        n_classes = len(self.classes_) if self._is_clf else 0
        n_jobs = min(_resolve_n_jobs(self.n_jobs), self.n_estimators)
        grow_args = dict(
            n_classes=n_classes, criterion=self.criterion, max_depth=self.max_depth,
            min_samples_split=mss, min_samples_leaf=msl,
            min_weight_fraction_leaf=self.min_weight_fraction_leaf,
            min_impurity_decrease=self.min_impurity_decrease,
            max_leaf_nodes=self.max_leaf_nodes, max_features=None if mf == d else mf,
        )
        self._seeds = seeds
        self._estimators = None
        if n <= _BATCH_ROWS and n * d <= _BATCH_CELLS:
            self._flat = _grow_batched(Xb, codes, sw, inbag, seeds, mapper, n_jobs, grow_args)
            self._packed = {
                "nodes": self._flat.pop("nodes"),
                "node_offset": self._flat["node_offset"],
                "value": self._flat["value"],
                "n_nodes": int(self._flat["node_offset"][-1]),
            }
            if "cat_split" in self._flat:
                self._packed["cat_split"] = self._flat["cat_split"]
                self._packed["cat_bitset"] = self._flat["cat_bitset"]
        else:
            self._flat = None
            self._grow_each(Xb, codes, sw, inbag, seeds, mapper, n_jobs, grow_args, d)
        self.n_outputs_ = 1
        self._stabilise_thresholds(X)
        if self.oob_score:
            self._set_oob(X, y, inbag)
        return self

    def _splits(self):
        """``(split mask, feature, threshold)`` of every packed node; the thresholds are a
        writeable view of the packed nodes."""
        nodes = self._packed["nodes"]
        return (nodes[:, 0] != -1, (nodes[:, 2] & 0xFFFFFFFF).astype(np.int64),
                nodes.view(np.float64)[:, 3])

    def _stabilise_thresholds(self, X):
        """Keep every training value on its side of every split when it is rounded to
        float32 (see :func:`float32_stable_thresholds`): on the arrays predict and explain
        read (the packed nodes) and on the trees."""
        split, feat, thr = self._splits()
        new, moved = float32_stable_thresholds(feat[split], thr[split], X)
        if not moved:
            return
        thr[split] = new
        # the trees hold the same nodes in the same order (tree t: node_offset[t]:[t+1])
        if self._flat is not None:
            self._flat["threshold"][split] = thr[split]
        if self._estimators is not None:
            off = self._packed["node_offset"]
            for t, e in enumerate(self._estimators):
                sl = slice(int(off[t]), int(off[t + 1]))
                e.tree_.threshold[split[sl]] = thr[sl][split[sl]]

    def _grow_each(self, Xb, codes, sw, inbag, seeds, mapper, n_jobs, grow_args, d):
        """One :func:`grow_tree` call per tree (large data: each tree's growth may use threads)."""
        from ..tree.grower import grow_tree

        def grow(t, parallel):
            tree = grow_tree(
                Xb, codes, sw * inbag[t], mapper, seed=int(seeds[t]), parallel=parallel,
                **grow_args,
            )
            # a large tree is packed here, in its growing thread, rather than at the end
            return tree, pack_tree(tree) if tree.node_count >= PACK_IN_THREAD else None

        if n_jobs == 1:
            grown = [grow(t, True) for t in range(self.n_estimators)]
        else:
            # the grower releases the GIL; serial kernels inside each thread. Trees go to the
            # threads in runs (about four per thread) rather than one task each: a small
            # tree grows in about the time a task takes to hand over
            grown = [None] * self.n_estimators
            step = max(1, self.n_estimators // (4 * n_jobs))

            def grow_run(t0):
                for t in range(t0, min(t0 + step, self.n_estimators)):
                    grown[t] = grow(t, False)

            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                list(pool.map(grow_run, range(0, self.n_estimators, step)))

        trees, packed = [g[0] for g in grown], [g[1] for g in grown]
        classes = self.classes_ if self._is_clf else None
        self._estimators = [
            ForestTree(tree, d, int(s), classes) for tree, s in zip(trees, seeds)
        ]
        self._packed = pack_trees(trees, packed)

    @property
    def estimators_(self):
        """The fitted trees as :class:`ForestTree` (built on first access when the forest was
        grown in batches: see :mod:`._batch`)."""
        est = self.__dict__.get("_estimators")
        if est is None:
            flat = self.__dict__.get("_flat")
            if flat is None:
                raise AttributeError(
                    f"This {type(self).__name__} instance is not fitted yet: no estimators_."
                )
            classes = self.classes_ if self._is_clf else None
            est = self._estimators = [
                ForestTree(tree, self.n_features_in_, int(s), classes)
                for tree, s in zip(_flat_trees(flat, self.n_features_in_), self._seeds)
            ]
        return est

    @estimators_.setter
    def estimators_(self, value):
        self._estimators = value

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: it may be the live __dict__
        if state.get("_flat") is not None:
            # the trees are views of the flat arrays: pickle those once, rebuild the views
            state["_estimators"] = None
        return state

    def _node_arrays(self):
        """All trees' node arrays concatenated (child indices local to each tree) and
        ``node_offset``: a dict with the :class:`Tree` field names (``value`` 2-D)."""
        check_is_fitted(self, "_packed")
        if self._flat is not None:
            return self._flat
        return _concat_trees(self.trees_)

    @property
    def trees_(self):
        """The fitted trees as flat :class:`glassworks.tree._tree.Tree` objects."""
        check_is_fitted(self, "estimators_")
        return [e.tree_ for e in self.estimators_]

    def _check_X(self, X):
        check_is_fitted(self, "_packed")
        Z = validate_categorical_predict(self, X)
        if Z is not None:
            return Z
        _reject_frame_non_numeric(X)
        X64 = validate_data(
            self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan", order="C"
        )
        if X64 is not X:
            split, feat, thr = self._splits()
            warn_rounded_input(X, X64, feat[split], thr[split])
        return X64

    def _mean_value(self, X):
        X = self._check_X(X)
        p = self._packed
        n_trees = p["node_offset"].shape[0] - 1
        w = np.full(n_trees, 1.0 / n_trees)
        with threads_for(X.shape[0] * len(w) * 16):
            return predict_packed_kernel(
                *packed_walk_args(p), p["value"], w, X, block_rows(X.shape[0])
            )

    def _oob_values(self, X, inbag):
        p = self._packed
        with threads_for(X.shape[0] * inbag.shape[0] * 16):
            sums, counts = oob_kernel(*packed_walk_args(p), p["value"], inbag, X)
        ok = counts > 0
        out = np.full(sums.shape, np.nan)
        out[ok] = sums[ok] / counts[ok, None]
        return out, ok

    def apply(self, X):
        """Leaf index of each row in each tree, shape (n_samples, n_estimators)."""
        X = self._check_X(X)
        p = self._packed
        with threads_for(X.shape[0] * (p["node_offset"].shape[0] - 1) * 16):
            leaves = apply_packed_kernel(*packed_walk_args(p), X, block_rows(X.shape[0]))
        return leaves - p["node_offset"][:-1][None, :]

    @property
    def feature_importances_(self):
        """Mean decrease in impurity (each tree's normalised, then averaged and normalised)."""
        check_is_fitted(self, "estimators_")
        total = np.zeros(self.n_features_in_)
        for t in self.trees_:
            imp = np.zeros(self.n_features_in_)
            split = np.flatnonzero(t.children_left != -1)
            if split.size:
                w, im = t.weighted_n_node_samples, t.impurity
                lft, rgt = t.children_left[split], t.children_right[split]
                gain = w[split] * im[split] - w[lft] * im[lft] - w[rgt] * im[rgt]
                np.add.at(imp, t.feature[split], gain)
                s = imp.sum()
                if s > 0:
                    total += imp / s
        s = total.sum()
        return total / s if s > 0 else total

    def explain(self, X, method="shap", background=None):
        """Exact explanations of the forest's output (the mean of its trees).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        method : {"shap", "path"}, default="shap"
            ``"shap"``: exact TreeSHAP over the ensemble, path-dependent when ``background``
            is None (estimand ``path_shap``) and interventional over the whole background set
            otherwise (``interventional_shap``); ``"path"``: Saabas contributions.
        background : array-like of shape (n_background, n_features), optional

        Returns
        -------
        Explanation
            ``base_values + values.sum(1)`` is ``predict`` (regressor) or ``predict_proba``
            (classifier, 3-D values, one output per class).
        """
        from ..shapley import explain_trees

        X = self._check_X(X)
        if background is not None:
            background = self._check_X(background)
        trees, X, background = trees_for_explanation(self, self.trees_, X, background)
        return explain_trees(
            trees, X, method=method, background=background,
            feature_names=self._feature_names(),
            output_names=[str(c) for c in self.classes_] if self._is_clf else None,
        )

    def _fitted_trees(self):
        return self.trees_

    def _set_fitted_trees(self, trees):
        """Replace the trees (e.g. by their threshold equivalents): the flat arrays and the
        packed walk rows are rebuilt from them."""
        self._estimators = None
        self._flat = _concat_trees(trees)
        self._packed = pack_trees(trees)

    def to_shap_model(self):
        """The forest as shap's custom tree dict: ``shap.TreeExplainer(forest.to_shap_model())``.

        A fresh dict each call (shap may modify what it is given).
        """
        from ..shapley.shap_format import to_shap_model

        refuse_shap_model(self)
        trees = self.trees_
        return to_shap_model(trees, tree_weights=np.full(len(trees), 1.0 / len(trees)))

    def _feature_names(self):
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(c) for c in names]
        return [f"x{j}" for j in range(self.n_features_in_)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class RandomForestRegressor(RegressorMixin, _BaseForest):
    """A random forest regressor on glassworks' Numba CART grower.

    Parameters
    ----------
    n_estimators : int, default=100
    criterion : {"squared_error"}, default="squared_error"
    max_depth : int or None, default=None
    min_samples_split : int or float, default=2
    min_samples_leaf : int or float, default=1
    min_weight_fraction_leaf : float, default=0.0
    max_features : int, float, "sqrt", "log2" or None, default=1.0
        Features drawn (without replacement) at each split.
    max_leaf_nodes : int or None, default=None
        Set: best-first growth, as scikit-learn.
    min_impurity_decrease : float, default=0.0
    bootstrap : bool, default=True
    oob_score : bool, default=False
        Set ``oob_score_`` (R^2) and ``oob_prediction_``.
    n_jobs : int or None, default=None
        Threads growing trees. The forest does not depend on it.
    random_state : int, RandomState or None, default=None
    max_samples : int, float or None, default=None
        Bootstrap sample size.
    max_bins : int, default=255
        Bins per feature: a feature with more distinct values splits at quantile edges.
    categorical_features : "from_dtype", list of str or int, bool mask or None, \
default="from_dtype"
        Categorical features and how their splits are found: see
        :class:`glassworks.DecisionTreeClassifier`.

    Attributes
    ----------
    estimators_ : list of ForestTree
        Each with ``tree_`` (a flat :class:`glassworks.tree._tree.Tree`).
    trees_ : list of Tree
    feature_importances_ : ndarray of shape (n_features,)
    oob_score_, oob_prediction_ : float, ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from glassworks import RandomForestRegressor
    >>> X = np.random.RandomState(0).rand(200, 4); y = X[:, 0] + X[:, 1] ** 2
    >>> rf = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
    >>> e = rf.explain(X[:3])
    >>> bool(np.allclose(e.output(), rf.predict(X[:3])))
    True
    """

    _criteria = ("squared_error",)
    _is_clf = False

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="squared_error",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        min_weight_fraction_leaf=0.0,
        max_features=1.0,
        max_leaf_nodes=None,
        min_impurity_decrease=0.0,
        bootstrap=True,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        max_samples=None,
        max_bins=255,
        categorical_features="from_dtype",
    ):
        super().__init__(
            n_estimators, criterion=criterion, max_depth=max_depth,
            min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
            min_weight_fraction_leaf=min_weight_fraction_leaf, max_features=max_features,
            max_leaf_nodes=max_leaf_nodes, min_impurity_decrease=min_impurity_decrease,
            bootstrap=bootstrap, oob_score=oob_score, n_jobs=n_jobs,
            random_state=random_state, max_samples=max_samples, max_bins=max_bins,
            categorical_features=categorical_features,
        )

    def _encode_y(self, y):
        y = np.asarray(y, dtype=np.float64)
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinity.")
        return y

    def predict(self, X):
        """Mean of the trees' predictions."""
        return self._mean_value(X)[:, 0]

    def _set_oob(self, X, y, inbag):
        pred, ok = self._oob_values(X, inbag)
        self.oob_prediction_ = pred[:, 0]
        if not ok.all():
            import warnings

            warnings.warn(
                "Some inputs do not have OOB scores. This probably means too few trees were "
                "used to compute any reliable OOB estimates.", UserWarning,
            )
        self.oob_score_ = r2_score(y[ok], pred[ok, 0]) if ok.any() else np.nan


class RandomForestClassifier(ClassifierMixin, _BaseForest):
    """A random forest classifier on glassworks' Numba CART grower.

    Parameters as :class:`RandomForestRegressor`, with ``criterion`` in {"gini", "entropy",
    "log_loss"} (default "gini") and ``max_features`` default "sqrt". ``predict_proba`` is the
    mean of the trees' leaf class frequencies, as scikit-learn.

    Attributes
    ----------
    classes_ : ndarray
    estimators_ : list of ForestTree
    trees_ : list of Tree
    oob_score_, oob_decision_function_ : float, ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from glassworks import RandomForestClassifier
    >>> X = np.random.RandomState(0).rand(200, 4); y = (X[:, 0] > 0.5).astype(int)
    >>> clf = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _criteria = ("gini", "entropy", "log_loss")
    _is_clf = True

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="gini",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        min_weight_fraction_leaf=0.0,
        max_features="sqrt",
        max_leaf_nodes=None,
        min_impurity_decrease=0.0,
        bootstrap=True,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        max_samples=None,
        max_bins=255,
        categorical_features="from_dtype",
    ):
        super().__init__(
            n_estimators, criterion=criterion, max_depth=max_depth,
            min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
            min_weight_fraction_leaf=min_weight_fraction_leaf, max_features=max_features,
            max_leaf_nodes=max_leaf_nodes, min_impurity_decrease=min_impurity_decrease,
            bootstrap=bootstrap, oob_score=oob_score, n_jobs=n_jobs,
            random_state=random_state, max_samples=max_samples, max_bins=max_bins,
            categorical_features=categorical_features,
        )

    def _encode_y(self, y):
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        return codes.astype(np.float64)

    def predict_proba(self, X):
        """Mean of the trees' leaf class frequencies, (n_samples, n_classes)."""
        return self._mean_value(X)

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def _set_oob(self, X, y, inbag):
        proba, ok = self._oob_values(X, inbag)
        self.oob_decision_function_ = proba
        if not ok.all():
            import warnings

            warnings.warn(
                "Some inputs do not have OOB scores. This probably means too few trees were "
                "used to compute any reliable OOB estimates.", UserWarning,
            )
        pred = self.classes_[np.argmax(proba[ok], axis=1)]
        self.oob_score_ = accuracy_score(y[ok], pred) if ok.any() else np.nan
