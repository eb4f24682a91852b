"""``RuleListClassifier``: greedy or certifiably optimal (CORELS) rule lists, multiclass."""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from .._validation import check_sample_weight, is_plain_matrix
from ..integrations.interpret import InterpretMixin
from .bitvec import (
    leaf_values_kernel,
    pack_labels,
    pack_vector,
    rule_list_counts,
)
from .equivalent_tree import rule_list_to_tree, set_covers
from .greedy import greedy_rule_list
from .mining import (
    analyse_columns,
    antecedent_mask,
    antecedent_text,
    encode,
    encode_frame_columns,
    mine_antecedents,
    transposed,
)
from .search import bnb_search, equivalent_minority

_ALGORITHMS = ("greedy", "optimal")


def _encode_labels(y):
    """``np.unique(y, return_inverse=True)``; small-range integer labels by counting (the
    sort np.unique does cost 1 ms on 80 000 labels), and when every value of the range
    occurs (labels 0 .. k-1) the codes are just ``y - min``."""
    if y.dtype.kind in "iu" and y.ndim == 1 and y.size:
        lo, hi = int(y.min()), int(y.max())
        if -(2**62) < lo and hi < 2**62 and hi - lo < 65536:
            off = y.astype(np.int64) - lo
            counts = np.bincount(off, minlength=hi - lo + 1)
            if counts.all():
                return np.arange(lo, hi + 1).astype(y.dtype), off
            present = np.flatnonzero(counts)
            lut = np.zeros(hi - lo + 1, dtype=np.intp)
            lut[present] = np.arange(present.size)
            return (present + lo).astype(y.dtype), lut[off]
    return np.unique(y, return_inverse=True)


_QUEUES = ("lower_bound", "curiosity")


class RuleListClassifier(InterpretMixin, ClassifierMixin, BaseEstimator):
    """An ordered if / else-if / else list of rules; the first rule a sample matches decides.

    Each rule is a conjunction of conditions on the input features (``x <= t``, ``x > t``,
    ``x == category``, ``x is missing``) and predicts one class; the last (default) rule
    catches the rest. Works for any number of classes.

    Parameters
    ----------
    algorithm : {"greedy", "optimal"}, default="greedy"
        ``"greedy"``: sequential covering (each new rule grown condition by condition to
        score best on the still-uncaptured samples; three scores tried, the list with the
        smallest objective kept), then cut to the prefix with the smallest objective. ``"optimal"``: minimise the CORELS objective (below) by branch and
        bound (Angelino et al., JMLR 2018), certifying the optimum unless a budget stops it.
    lam : float, default=0.01
        Penalty per rule in the objective ``misclassification rate + lam * n_rules`` (the
        default rule is not counted; the rate is weighted by ``sample_weight``).
    max_card : int, default=2
        Maximum number of conditions per rule.
    n_cuts : int, default=8
        Thresholds per numeric column: all midpoints between distinct values when there are at
        most ``n_cuts + 1`` of them, else after ``n_cuts`` (weighted) quantiles.
    min_support : float, default=0.01
        Antecedents capturing a smaller (weighted) fraction of the training data are dropped;
        the greedy algorithm also requires a rule to newly capture this fraction.
    max_rules : int or None, default=None
        Maximum number of rules (not counting the default rule). For ``"optimal"`` a
        constraint of the search (the certificate is then for lists of at most this length).
    max_nodes : int, default=5_000_000
        ``"optimal"`` only: budget of prefix-trie nodes (memory: about 130 bytes per node with
        the queue and the permutation map; measured 175 MB for 1.3 million nodes on COMPAS).
    time_limit : float or None, default=None
        ``"optimal"`` only: budget in seconds.
    queue : {"lower_bound", "curiosity"}, default="lower_bound"
        ``"optimal"`` only: which prefix to expand next, the smallest objective lower bound
        first, or the smallest lower bound per captured sample ("curiosity").

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    rules_ : list of dict
        The rules in order, the default rule last. Keys: ``"conditions"`` (list of
        ``(feature_name, op, value)`` with op one of ``"<="``, ``">"``, ``"=="``,
        ``"is missing"``), ``"features"`` (indices of the input features tested),
        ``"text"``, ``"class"`` (the predicted label), ``"support"`` (training weight the rule
        captures, i.e. that reaches it and satisfies it), ``"confidence"`` (fraction of that
        weight of the predicted class), ``"proba"`` (the smoothed class frequencies
        ``predict_proba`` returns), ``"is_default"``. Built on first access (a fit computes
        the counts, not the text).
    objective_ : float
        The objective of the fitted list on the training data.
    lower_bound_ : float
        ``"optimal"``: a proven lower bound on the objective of every rule list over the mined
        antecedents (equal to ``objective_`` when certified); NaN for ``"greedy"``.
    certified_ : bool
        True only when the search proved the list optimal (never for ``"greedy"``).
    search_stats_ : dict
        ``"optimal"``: nodes, queue size, expansions, time, and ``stopped_by`` (None,
        ``"max_nodes"`` or ``"time_limit"``).
    antecedents_ : list of str
        Text of the mined antecedents the learner chose from (for ``"greedy"`` the single
        conditions, which it conjoins itself).
    tree_ : Tree or None
        The equivalent flat decision tree (same ``predict_proba``), used by :meth:`explain`;
        built on first access (not during fit), None when the list needs too large a tree.
    n_features_in_, feature_names_in_ : as in scikit-learn.

    Notes
    -----
    A DataFrame whose columns are all boolean is a ready-made antecedent matrix (e.g. CORELS's
    ``.out`` files): each column is an antecedent ("column is true") named by the column;
    with ``max_card=1`` they are used as given (``min_support`` still applies, and of columns
    capturing exactly the same rows only the first is kept; pass ``min_support=0`` to keep
    every non-empty column).

    The optimal search runs on one thread; its memory is the prefix trie, the queue and the
    permutation map (about 130 bytes per node, ``search_stats_["n_nodes"]``), bounded by
    ``max_nodes``. With ``max_card=2`` on wide numeric data the mined pairs dominate instead:
    (number of antecedents) x n_samples / 8 bytes.

    Examples
    --------
    >>> import numpy as np
    >>> from glassworks import RuleListClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randint(0, 4, size=(300, 2)); y = np.where(X[:, 0] >= 2, "yes", "no")
    >>> clf = RuleListClassifier(algorithm="optimal", lam=0.01).fit(X, y)
    >>> clf.certified_, clf.score(X, y)
    (True, 1.0)
    >>> print(clf)
    if x0 <= 1.5 then no  (163 captured, 100% right)
    else: yes  (137 captured, 100% right)
    """

    def __init__(
        self,
        algorithm="greedy",
        lam=0.01,
        max_card=2,
        n_cuts=8,
        min_support=0.01,
        max_rules=None,
        max_nodes=5_000_000,
        time_limit=None,
        queue="lower_bound",
    ):
        self.algorithm = algorithm
        self.lam = lam
        self.max_card = max_card
        self.n_cuts = n_cuts
        self.min_support = min_support
        self.max_rules = max_rules
        self.max_nodes = max_nodes
        self.time_limit = time_limit
        self.queue = queue

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        return tags

    # -- input ---------------------------------------------------------------------------
    def _check_params(self):
        if self.algorithm not in _ALGORITHMS:
            raise ValueError(f"algorithm must be one of {_ALGORITHMS}, got {self.algorithm!r}.")
        if self.queue not in _QUEUES:
            raise ValueError(f"queue must be one of {_QUEUES}, got {self.queue!r}.")
        if not (np.isfinite(self.lam) and self.lam >= 0):
            raise ValueError(f"lam must be a finite number >= 0, got {self.lam!r}.")
        for name in ("max_card", "n_cuts", "max_nodes"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}.")
        if self.max_rules is not None and (
            not isinstance(self.max_rules, (int, np.integer)) or self.max_rules < 0
        ):
            raise ValueError(f"max_rules must be None or an integer >= 0, got {self.max_rules!r}.")
        if not (0.0 <= self.min_support < 1.0):
            raise ValueError(f"min_support must be in [0, 1), got {self.min_support!r}.")
        if self.time_limit is not None and not self.time_limit > 0:
            raise ValueError(f"time_limit must be None or > 0, got {self.time_limit!r}.")

    @staticmethod
    def _mode_of(X):
        import pandas as pd

        if isinstance(X, pd.DataFrame):
            try:  # the column arrays' dtypes: X.dtypes builds a Series (~25 us)
                dtypes = [a.dtype for a in X._iter_column_arrays()]
            except AttributeError:  # pragma: no cover - a pandas without it
                dtypes = X.dtypes.tolist()
            numeric = all(
                (dt.kind in "iufc") if isinstance(dt, np.dtype)
                else not isinstance(dt, pd.StringDtype)
                and pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt)
                for dt in dtypes
            )
            return "numeric" if numeric and X.shape[1] > 0 else "frame"
        if hasattr(X, "dtype") and getattr(X, "dtype", None) == np.bool_ and getattr(X, "ndim", 0) == 2:
            return "bool"
        return "numeric"

    def _fast_fit_validation(self, X, mode):
        """What ``validate_data(reset=True)`` does (``n_features_in_``, ``feature_names_in_``)
        for the inputs where all of its checks pass trivially, without its generic machinery
        (dataframe-library detection, tags, conversion: a fifth of a small fit); True when
        done. Anything else (NaN or inf in an array, other dtypes or containers, empty data,
        duplicate or mixed-type column names) returns False and goes through
        ``validate_data``, which accepts it or raises its usual error."""
        import pandas as pd

        if mode == "numeric":
            # a float64 matrix without NaN / inf: check_array would return it as is
            if not is_plain_matrix(X):
                return False
            names = None
        else:
            if not (type(X) is pd.DataFrame and X.shape[0] >= 1 and X.shape[1] >= 1
                    and X.columns.nlevels == 1 and X.columns.is_unique):
                return False
            names = np.asarray(X.columns, dtype=object)
            if not all(type(v) is str for v in names):
                types = {type(v).__qualname__ for v in names}
                if "str" in types:  # mixed: validate_data raises its TypeError
                    return False
                names = None  # no string names: no feature names (as sklearn)
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.n_features_in_ = X.shape[1]
        return True

    def _encode_X(self, X, *, reset, y=None):
        """Validate X (and y when fitting) and return the encoded float matrix, y and, when
        fitting (``reset``), the matrix transposed (C-contiguous) and which columns have
        missing values if the encoding produced them (else None)."""
        if reset:
            mode = self._mode_of(X)
        else:
            mode = self._input_mode_
        fast = reset and y is not None and self._fast_fit_validation(X, mode)
        Zt = has_nan = None
        if mode == "numeric":
            if not fast:
                X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan",
                                  reset=reset)
            if y is not None:
                # y alone: column_or_1d only when not already a 1-d array (validate_data's
                # second check_array pass cost a tenth of a small fit); non-finite float
                # labels are rejected by check_classification_targets in fit
                if not (isinstance(y, np.ndarray) and y.ndim == 1):
                    y = column_or_1d(y, warn=True)
                if not (isinstance(y, np.ndarray) and y.shape[0] == X.shape[0]):
                    check_consistent_length(X, y)  # the mismatch error
            if reset:
                self._kinds = ["num"] * X.shape[1]
                self._categories = [None] * X.shape[1]
                self._ready_made = False
            # fit only reads Z (no copy needed); predict hands Z out in explanations, so copies
            Z = (np.ascontiguousarray(X, dtype=np.float64) if y is not None
                 else np.array(X, dtype=np.float64, order="C"))
        else:
            if not fast:
                X = validate_data(self, X, skip_check_array=True, reset=reset)
            if X.shape[0] == 0:
                raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
            if X.shape[1] == 0:
                raise ValueError("Found array with 0 feature(s) while a minimum of 1 is required.")
            enc = encode_frame_columns(X) if fast else None
            if enc is not None:
                # numeric and string columns: encoded straight into the transpose
                Zt, self._kinds, self._categories, has_nan = enc
                self._ready_made = False
                Z = Zt.T
            else:
                factorized = {}
                if reset:
                    self._kinds, self._categories, self._ready_made = analyse_columns(
                        X, factorized
                    )
                Z = encode(X, self._kinds, self._categories, factorized)
            if y is not None:
                if not (isinstance(y, np.ndarray) and y.ndim == 1):
                    y = column_or_1d(y, warn=True)
                if not (isinstance(y, np.ndarray) and y.shape[0] == Z.shape[0]):
                    check_consistent_length(Z, y)  # the mismatch error
        if reset:
            self._input_mode_ = mode
        return (Z, y, Zt, has_nan) if reset else (Z, y)

    def _feature_names(self):
        if hasattr(self, "feature_names_in_"):
            return [str(c) for c in self.feature_names_in_]
        return [f"x{j}" for j in range(self.n_features_in_)]

    # -- fit -----------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Mine antecedents from X and learn the rule list.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric columns (NaN = missing) and, in a DataFrame, categorical columns
            (category, object/string, bool). An all-boolean DataFrame is a ready-made
            antecedent matrix.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,) or None
            Non-negative weights; the objective counts weighted misclassifications.

        Returns
        -------
        self
        """
        self._check_params()
        Z, y, Zt, has_nan = self._encode_X(X, reset=True, y=y)
        # integer, boolean and string labels in a 1-d array are always classification
        # targets; type_of_target's full inspection (about 0.5 ms) is for the other kinds
        if isinstance(y, np.ndarray) and y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("Input y contains NaN or infinity.")
        if not (isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "iubUS"):
            check_classification_targets(y)
        self.classes_, y_enc = _encode_labels(y)
        k = self.classes_.shape[0]
        if k < 2:
            raise ValueError(
                "RuleListClassifier needs samples of at least two classes in the data; "
                f"got 1 class ({self.classes_[0]!r})."
            )
        if sample_weight is None:  # the common case, without the generic checks
            w = np.ones(Z.shape[0])
            Zf, yf, wf, unit = Z, y_enc, w, True
        else:
            w = check_sample_weight(sample_weight, Z)
            # zero-weight rows take no part in anything (mining, search, counts)
            keep = w > 0
            if keep.all():
                Zf, yf, wf = Z, y_enc, w
            else:
                Zf, yf, wf = Z[keep], y_enc[keep], w[keep]
            unit = bool(np.all(wf == 1.0))
        # the greedy learner builds its conjunctions itself from the single conditions
        mine_card = 1 if self.algorithm == "greedy" else int(self.max_card)
        # columns contiguous: the cuts, the packing, the covers
        Zt = transposed(Zf) if Zt is None or Zf is not Z else Zt
        antecedents, captures, _ = mine_antecedents(
            Zf, wf, self._kinds, self._categories, n_cuts=int(self.n_cuts),
            max_card=mine_card, min_support=float(self.min_support),
            ready_made=self._ready_made, Zt=Zt,
            # every row kept: the encoder's categories all occur, its NaN flags hold
            has_nan=has_nan if Zf is Z else None, unit=unit,
        )
        self._mined = antecedents
        labels = pack_labels(yf.astype(np.int64, copy=False), k)
        W = float(wf.shape[0]) if unit else float(wf.sum())
        self.search_stats_ = {}
        if not antecedents:
            warnings.warn(
                "No antecedent has enough support (min_support="
                f"{self.min_support}); the model is the default rule alone.",
                UserWarning,
            )
            chosen_antecedents, rows = [], np.zeros((0, 1), dtype=np.int64)
            self.lower_bound_ = np.nan
            self.certified_ = False
        elif self.algorithm == "greedy":
            rules = greedy_rule_list(
                captures, labels, wf, unit, float(self.lam), max_card=int(self.max_card),
                max_rules=self.max_rules, min_count=float(self.min_support) * W,
                partner=antecedents.complement_partners(captures, Zf.shape[0]) if unit else None,
                W=W,
            )
            chosen_antecedents = [
                tuple(cond for a in conj for cond in antecedents[a]) for conj in rules
            ]
            rows = np.full((len(rules), int(self.max_card)), -1, dtype=np.int64)
            for r, conj in enumerate(rules):
                rows[r, : len(conj)] = conj
            self.lower_bound_ = np.nan
            self.certified_ = False
        else:
            minor = equivalent_minority(captures, yf, wf, k)
            res = bnb_search(
                captures, labels, pack_vector(minor), wf, unit, float(self.lam),
                max_depth=self.max_rules, policy=self.queue, max_nodes=int(self.max_nodes),
                time_limit=self.time_limit,
            )
            prefix = list(res.pop("prefix"))
            chosen_antecedents = [antecedents[a] for a in prefix]
            rows = np.array(prefix, dtype=np.int64).reshape(-1, 1)
            self.lower_bound_ = float(res.pop("lower_bound"))
            self.certified_ = bool(res.pop("certified"))
            res.pop("objective")
            self.search_stats_ = res
        counts = rule_list_counts(captures, rows, labels, wf, unit)
        self._build(chosen_antecedents, counts, yf, wf, Z_full=Z, w_full=w,
                    Zt=Zt if Zf is Z else None, unit=unit)
        if self.search_stats_.get("stopped_by") is not None:
            warnings.warn(
                f"The optimal search stopped at its {self.search_stats_['stopped_by']} budget: "
                f"the list is the best found (objective {self.objective_:.6g}), not certified "
                f"optimal; proven lower bound {self.lower_bound_:.6g}.",
                UserWarning,
            )
        return self

    def _build(self, rule_antecedents, counts, y, w, *, Z_full, w_full, Zt=None, unit=False):
        """Leaf values and objective from the class weights each rule captures (``counts``,
        the default rule last); ``rules_`` itself is built on first access."""
        k = self.classes_.shape[0]
        W = float(w.shape[0]) if unit else float(w.sum())
        # unit weights: the class counts are integers, their sum over the rules is exact
        prior = (counts.sum(axis=0) if unit else np.bincount(y, weights=w, minlength=k)) / W
        n_r = counts.shape[0]
        if unit:  # integer counts: one kernel (the numpy steps below cost ~35 us)
            k_ = counts.shape[1]
            proba, s, conf = np.empty((n_r, k_)), np.empty(n_r), np.empty(n_r)
            cls, rule_class = np.empty(n_r, dtype=np.int64), np.empty(n_r, dtype=np.int64)
            mistakes = leaf_values_kernel(counts, prior, proba, cls, s, conf, rule_class)
        else:
            s = counts.sum(axis=1)
            pos = s > 0
            cls = np.where(pos, counts.argmax(axis=1), int(np.argmax(prior)))
            right = counts[np.arange(n_r), cls]
            # no division by zero below (s + 1 >= 1; flip implies pos, s > 0): no
            # np.errstate, whose set-up cost a third of this method
            proba = (counts + prior) / (s + 1.0)[:, None]
            # smoothing must not change the predicted class: then the raw frequencies
            flip = pos & (proba.argmax(axis=1) != cls)
            proba[flip] = counts[flip] / s[flip, None]
            proba[~pos] = prior
            conf = np.where(pos, right / np.where(pos, s, 1.0), np.nan)
            mistakes = 0.0
            for m in np.where(pos, s - right, 0.0).tolist():
                mistakes += m
            rule_class = proba.argmax(axis=1)
        self._antecedents = list(rule_antecedents)
        self._leaf_values = proba
        self._rule_class = rule_class
        self._rule_stats = (cls, s, conf)
        self.objective_ = mistakes / W + float(self.lam) * len(rule_antecedents)
        d = self.n_features_in_
        feats = np.zeros((n_r, d), dtype=bool)
        acc = np.zeros(d, dtype=bool)
        for r, ante in enumerate(self._antecedents):
            for c in ante:
                acc[c[0]] = True
            feats[r] = acc
        feats[n_r - 1] = acc
        self._tested = feats
        # the equivalent tree is built on first use (``tree_``): on small data building it
        # and walking the training rows for its covers cost as much as the whole fit. Only
        # the columns the rules test are kept for the covers (the tree splits on no other).
        # kept as rows (used features x samples), from the transposed matrix when the caller
        # has it (fancy-indexing columns of a row-major matrix is a slow strided gather)
        used = np.flatnonzero(acc)
        Zu_t = Zt[used] if Zt is not None else np.take(Z_full, used, axis=1).T.copy()
        self._cover_data = (used, Zu_t, w_full)
        for lazy in ("tree_", "_tree_error", "rules_"):
            self.__dict__.pop(lazy, None)

    @property
    def rules_(self):
        """The rules in order, the default rule last (see the class docstring); built once,
        on first access (the text is for display, a fit does not need it)."""
        if "rules_" not in self.__dict__:
            check_is_fitted(self, "_leaf_values")
            names = self._feature_names()
            cls, s, conf = self._rule_stats
            ops = {0: "<=", 1: ">", 2: "==", 3: "is missing"}
            rules = []
            for r, ante in enumerate(self._antecedents + [()]):
                rules.append(
                    {
                        "conditions": [
                            (names[j], ops[op],
                             self._categories[j][int(v)] if op == 2 else
                             (None if op == 3 else float(v)))
                            for (j, op, v) in ante
                        ],
                        "features": sorted({c[0] for c in ante}),
                        "text": antecedent_text(ante, names, self._categories, self._ready_made)
                        if ante else "",
                        "class": self.classes_[cls[r]],
                        "support": float(s[r]),
                        "confidence": float(conf[r]),
                        "proba": self._leaf_values[r].copy(),
                        "is_default": not ante,
                    }
                )
            self.__dict__["rules_"] = rules
        return self.__dict__["rules_"]

    @property
    def tree_(self):
        """The equivalent flat decision tree (same ``predict_proba``), None when the list
        needs too large a tree (``_tree_error`` says why); built once, on first access."""
        if "tree_" not in self.__dict__:
            check_is_fitted(self, "_leaf_values")
            used, Zu_t, w_full = self._cover_data
            d = self.n_features_in_
            try:
                tree, _ = rule_list_to_tree(self._antecedents, self._leaf_values, d)
                Z = np.zeros((w_full.shape[0], d))
                Z[:, used] = Zu_t.T
                self.__dict__["tree_"] = set_covers(tree, Z, w_full)
            except ValueError as exc:  # a huge list of conjunctions: no equivalent tree
                self.__dict__["tree_"] = None
                self.__dict__["_tree_error"] = str(exc)
        return self.__dict__["tree_"]

    @property
    def antecedents_(self):
        """Text of the mined antecedents (built on demand: there can be thousands)."""
        check_is_fitted(self, "_leaf_values")
        names = self._feature_names()
        return [antecedent_text(a, names, self._categories, self._ready_made) for a in self._mined]

    # -- predict -------------------------------------------------------------------------
    def _rule_index(self, X):
        check_is_fitted(self, "_leaf_values")
        Z, _ = self._encode_X(X, reset=False)
        n = Z.shape[0]
        out = np.full(n, len(self._antecedents), dtype=np.int64)
        open_ = np.ones(n, dtype=bool)
        for r, ante in enumerate(self._antecedents):
            hit = open_ & antecedent_mask(Z, ante)
            out[hit] = r
            open_ &= ~hit
        return out, Z

    def apply(self, X):
        """Index of the rule that fires for each sample (``len(rules_) - 1`` = default)."""
        return self._rule_index(X)[0]

    def predict(self, X):
        """Class of the first rule each sample satisfies."""
        idx, _ = self._rule_index(X)
        return self.classes_[self._rule_class[idx]]

    def predict_proba(self, X):
        """Smoothed class frequencies of the training points the firing rule captures:
        ``(counts + prior) / (support + 1)``, the prior being the training class frequencies
        (so an empty rule predicts the prior)."""
        idx, _ = self._rule_index(X)
        return self._leaf_values[idx].copy()

    # -- explanations --------------------------------------------------------------------
    def plot(self, ax=None):
        """Draw the rule list as a table (see :func:`glassworks.plotting.plot_rules`).

        Returns a matplotlib Figure.
        """
        from ..plotting import plot_rules

        return plot_rules(self, ax=ax)

    def explain_rules(self, X):
        """For each sample, the rule that fired.

        Returns
        -------
        pandas.DataFrame
            Columns ``rule`` (index into ``rules_``; the default rule is the last),
            ``text`` (the rule as printed, ``"else"`` for the default) and ``class``.
        """
        import pandas as pd

        idx, _ = self._rule_index(X)
        texts = np.array(
            [("else" if r["is_default"] else r["text"]) for r in self.rules_], dtype=object
        )
        return pd.DataFrame(
            {"rule": idx, "text": texts[idx], "class": self.classes_[self._rule_class[idx]]}
        )

    def rules_tested(self, X):
        """Which input features appear in the rules each sample was tested against (the rules
        up to and including the one that fired; all rules for the default).

        Returns
        -------
        ndarray of bool, shape (n_samples, ``n_features_in_``)
        """
        idx, _ = self._rule_index(X)
        return self._tested[idx].copy()

    def explain(self, X, method="shap", background=None):
        """Exact Shapley values of ``predict_proba``, through the equivalent tree ``tree_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        method : {"shap", "path"}, default="shap"
            ``"shap"``: path-dependent TreeSHAP (training covers) when ``background`` is
            None, else exact interventional Shapley values over the background set.
            ``"path"``: Saabas path contributions.
        background : array-like or None
            Background samples (same format as X).

        Returns
        -------
        Explanation
            values of shape (n_samples, n_features, n_classes); ``base_values +
            values.sum(axis=1)`` equals ``predict_proba(X)``. ``data`` holds the encoded
            features (category codes for categorical columns).
        """
        from ..shapley import explain_trees

        check_is_fitted(self, "_leaf_values")
        if self.tree_ is None:
            raise ValueError(f"No equivalent tree: {self._tree_error}")
        _, Z = self._rule_index(X)
        bg = None
        if background is not None:
            bg, _ = self._encode_X(background, reset=False)
        return explain_trees(
            [self.tree_], Z, method=method, background=bg, feature_names=self._feature_names(),
            output_names=[str(c) for c in self.classes_],
        )

    # -- display -------------------------------------------------------------------------
    def __str__(self):
        if not hasattr(self, "_leaf_values"):
            return repr(self)
        lines = []
        for r, rule in enumerate(self.rules_):
            cls = rule["class"]
            conf = rule["confidence"]
            tail = f"  ({rule['support']:.6g} captured, {conf:.0%} right)" if conf == conf else ""
            if rule["is_default"]:
                lines.append(f"else: {cls}{tail}" if r > 0 else f"always: {cls}{tail}")
            else:
                kw = "if" if r == 0 else "else if"
                lines.append(f"{kw} {rule['text']} then {cls}{tail}")
        return "\n".join(lines)
