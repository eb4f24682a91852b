"""``DecisionTreeClassifier`` and ``DecisionTreeRegressor``: CART on binned features.

scikit-learn's trees, grown by a Numba histogram grower (:mod:`glassworks.tree.grower`):
each feature is binned once (exact bins when it has at most ``max_bins`` distinct values,
quantile bins otherwise), then every split is found on per-node histograms. On features with
few distinct values the tree is the one scikit-learn grows (same splits, thresholds and
impurities, up to ties between equally good splits); thresholds are always stored in the
features' own units, so ``tree_`` reads and predicts like scikit-learn's.
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._categorical import (
    CategoricalMixin,
    refuse_shap_model, set_categorical_attributes, trees_for_explanation,
    validate_categorical_fit, validate_categorical_predict,
)
from .._validation import (
    check_random_state_seed, check_sample_weight, reject_non_numeric, warn_rounded_input,
)
from ..integrations.interpret import InterpretMixin
from .binning import MAX_BINS_LIMIT, BinMapper
from .grower import grow_tree

__all__ = ["DecisionTreeClassifier", "DecisionTreeRegressor"]

# quantile edges of features with many distinct values come from this many rows at most
_BINNING_SUBSAMPLE = 200_000


class _BaseDecisionTree(CategoricalMixin, InterpretMixin, BaseEstimator):
    """Shared fit/predict logic; subclasses set the criterion family."""

    _parameter_constraints = {
        "max_depth": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "min_samples_split": [
            Interval(numbers.Integral, 2, None, closed="left"),
            Interval(RealNotInt, 0.0, 1.0, closed="right"),
        ],
        "min_samples_leaf": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0.0, 1.0, closed="neither"),
        ],
        "min_weight_fraction_leaf": [Interval(numbers.Real, 0.0, 0.5, closed="both")],
        "max_features": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0.0, 1.0, closed="right"),
            StrOptions({"sqrt", "log2"}),
            None,
        ],
        "random_state": ["random_state"],
        "max_leaf_nodes": [Interval(numbers.Integral, 2, None, closed="left"), None],
        "min_impurity_decrease": [Interval(numbers.Real, 0.0, None, closed="left")],
        "ccp_alpha": [Interval(numbers.Real, 0.0, None, closed="left")],
        "max_bins": [Interval(numbers.Integral, 2, MAX_BINS_LIMIT, closed="both")],
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
    }

    # -- fitting -------------------------------------------------------------------------
    def _fit(self, X, y, sample_weight, is_classifier):
        self._validate_params()
        cat = validate_categorical_fit(self, X, y, self.categorical_features, self.max_bins,
                                       y_numeric=not is_classifier)
        if cat is None:
            _check_numeric(X)
            X, y = validate_data(
                self,
                X,
                y,
                dtype=np.float64,
                ensure_all_finite="allow-nan",
                y_numeric=not is_classifier,
            )
            set_categorical_attributes(self, None, X.shape[1])
            is_cat = n_cat = None
        else:
            X, y, info = cat
            is_cat, n_cat = info.is_categorical, info.n_categories
        n_samples, n_features = X.shape
        if is_classifier:
            check_classification_targets(y)
            self.classes_, codes = np.unique(y, return_inverse=True)
            self.n_classes_ = len(self.classes_)
            target = codes.astype(np.float64)
            n_classes = self.n_classes_
        else:
            target = np.asarray(y, dtype=np.float64)
            n_classes = 0
        self.n_outputs_ = 1
        sw = check_sample_weight(sample_weight, X)
        if is_classifier and self.class_weight is not None:
            sw = sw * compute_sample_weight(self.class_weight, y)
            if sw.sum() <= 0:
                raise ValueError("sample_weight * class_weight sums to zero: nothing to fit.")

        # scikit-learn's conversions of the size parameters
        if isinstance(self.min_samples_leaf, numbers.Integral):
            min_samples_leaf = int(self.min_samples_leaf)
        else:
            min_samples_leaf = int(np.ceil(self.min_samples_leaf * n_samples))
        if isinstance(self.min_samples_split, numbers.Integral):
            min_samples_split = int(self.min_samples_split)
        else:
            min_samples_split = max(2, int(np.ceil(self.min_samples_split * n_samples)))
        self.max_features_ = _resolve_max_features(self.max_features, n_features)

        seed = check_random_state_seed(self.random_state)
        mapper = BinMapper(
            max_bins=self.max_bins, subsample=_BINNING_SUBSAMPLE, random_state=seed,
            is_categorical=is_cat, n_categories=n_cat,
        )
        X_binned = mapper.fit_transform(X)
        tree = grow_tree(
            X_binned,
            target,
            sw,
            mapper,
            n_classes=n_classes,
            criterion=self.criterion,
            max_depth=self.max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            min_weight_fraction_leaf=self.min_weight_fraction_leaf,
            min_impurity_decrease=self.min_impurity_decrease,
            max_leaf_nodes=self.max_leaf_nodes,
            max_features=self.max_features_,
            seed=seed,
        )
        if self.ccp_alpha > 0.0:
            from .pruning import prune

            tree = prune(tree, self.ccp_alpha)
        self.tree_ = tree
        return self

    # -- prediction ----------------------------------------------------------------------
    def _validate_X_predict(self, X):
        check_is_fitted(self, "tree_")
        Z = validate_categorical_predict(self, X)
        if Z is not None:
            return Z
        _check_numeric(X)
        X64 = validate_data(
            self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan"
        )
        if X64 is not X:
            t = self.tree_
            split = t.children_left != -1
            warn_rounded_input(X, X64, t.feature[split], t.threshold[split])
        return X64

    def _apply(self, X):
        return self.tree_.apply(X)

    def _leaf_values(self, X):
        return self.tree_.value2d[self._apply(X)]

    def apply(self, X):
        """Index of the leaf each sample ends up in.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,), int64
        """
        return self._apply(self._validate_X_predict(X))

    def decision_path(self, X):
        """Indicator matrix of the nodes each sample passes through.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scipy.sparse.csr_matrix of shape (n_samples, n_nodes)
        """
        return self.tree_.decision_path(self._validate_X_predict(X))

    def get_depth(self):
        """Depth of the tree (a single leaf has depth 0)."""
        check_is_fitted(self, "tree_")
        return self.tree_.max_depth

    def get_n_leaves(self):
        """Number of leaves of the tree."""
        check_is_fitted(self, "tree_")
        return self.tree_.n_leaves

    @property
    def feature_importances_(self):
        """Normalised total weighted impurity decrease brought by each feature (MDI)."""
        check_is_fitted(self, "tree_")
        return compute_feature_importances(self.tree_)

    # -- explanations --------------------------------------------------------------------
    def _feature_names(self):
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return [f"x{j}" for j in range(self.n_features_in_)]
        return [str(n) for n in names]

    def _output_names(self):
        return None

    def explain(self, X, method="shap", background=None):
        """Exact attributions of the tree's predictions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to explain (NaN allowed).
        method : {"shap", "path"}, default="shap"
            ``"shap"``: Shapley values (path-dependent TreeSHAP, or exact interventional
            Shapley values over ``background`` when given); ``"path"``: Saabas path
            contributions.
        background : array-like of shape (n_background, n_features), optional
            Background set of interventional Shapley values.

        Returns
        -------
        glassworks.Explanation
            Values of shape (n_samples, n_features) for a regressor, (n_samples, n_features,
            n_classes) of ``predict_proba`` for a classifier.
        """
        from ..shapley import explain_trees

        X = self._validate_X_predict(X)
        if background is not None:
            background = self._validate_X_predict(background)
        trees, X, background = trees_for_explanation(self, [self.tree_], X, background)
        return explain_trees(
            trees,
            X,
            method=method,
            background=background,
            feature_names=self._feature_names(),
            output_names=self._output_names(),
        )

    def plot(self, *, max_depth=None, ax=None, fontsize=None):
        """Draw the tree: one box per node, split tests in the features' own units.

        See :func:`glassworks.plotting.plot_tree`; returns a matplotlib Figure.
        """
        from ..plotting import plot_tree

        return plot_tree(self, max_depth=max_depth, ax=ax, fontsize=fontsize)

    def explain_rules(self, X):
        """Each sample's decision path as one readable rule (see ``decision_rules``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        list of str
        """
        from .export import decision_rules

        X = self._validate_X_predict(X)
        return decision_rules(self, X, feature_names=self._feature_names())

    def _fitted_trees(self):
        return [self.tree_]

    def _set_fitted_trees(self, trees):
        (self.tree_,) = trees

    def to_shap_model(self):
        """The tree in shap's custom tree format: ``shap.TreeExplainer(model.to_shap_model())``.

        A classifier's tree outputs class probabilities.
        """
        from ..shapley.shap_format import to_shap_model

        check_is_fitted(self, "tree_")
        refuse_shap_model(self)
        return to_shap_model([self.tree_])

    def cost_complexity_pruning_path(self, X, y, sample_weight=None):
        """Effective alphas and total leaf impurities of minimal cost-complexity pruning.

        The tree is grown with ``ccp_alpha=0`` on (X, y), as scikit-learn does.

        Returns
        -------
        sklearn.utils.Bunch
            ``ccp_alphas`` and ``impurities``, arrays of the same length.
        """
        from .pruning import cost_complexity_pruning_path

        est = clone(self).set_params(ccp_alpha=0.0)
        est.fit(X, y, sample_weight=sample_weight)
        alphas, impurities = cost_complexity_pruning_path(est.tree_)
        return Bunch(ccp_alphas=alphas, impurities=impurities)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class DecisionTreeClassifier(ClassifierMixin, _BaseDecisionTree):
    """A CART classification tree (scikit-learn's parameters), grown on binned features.

    Parameters
    ----------
    criterion : {"gini", "entropy", "log_loss"}, default="gini"
        Impurity measure; entropy uses base-2 logarithms, as scikit-learn.
    max_depth : int or None, default=None
        Maximum depth; None grows until leaves are pure or too small.
    min_samples_split : int or float, default=2
        Minimum samples to split a node (a float is a fraction of n_samples).
    min_samples_leaf : int or float, default=1
        Minimum samples in each child of a split.
    min_weight_fraction_leaf : float, default=0.0
        Minimum fraction of the total sample weight in each child.
    max_features : int, float, {"sqrt", "log2"} or None, default=None
        Features drawn (without replacement) at each node.
    random_state : int, RandomState or None, default=None
        Seeds the feature draws and the binning subsample.
    max_leaf_nodes : int or None, default=None
        If set, the tree grows best-first (largest impurity decrease first) up to this many
        leaves.
    min_impurity_decrease : float, default=0.0
        A split is made only if it decreases the weighted impurity by at least this much.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.
    ccp_alpha : float, default=0.0
        Minimal cost-complexity pruning parameter.
    max_bins : int, default=255
        Maximum number of bins per feature (2 to 255); NaN has its own bin. Features with at
        most ``max_bins`` distinct values are split exactly as scikit-learn would.
    categorical_features : "from_dtype", list of str or int, bool mask or None, \
default="from_dtype"
        Categorical features: by default a DataFrame's ``category``, object and string
        columns (booleans stay numeric); or the columns named or indexed, or a mask; None for
        none. Each category is a bin and a split sends a subset of categories left: for two
        classes and squared error the best subset (categories sorted by class-1 share / mean
        target, Fisher 1958; Breiman et al. 1984), for more classes the best prefix of the
        categories sorted by each class's share in turn (a heuristic). Missing values and
        categories unseen in training go where the split sends missing values. A column with
        more than ``max_bins`` categories keeps a bin for each of its ``max_bins - 1`` most
        frequent ones, the rarer ones share one (with a warning). See
        :mod:`glassworks.tree.categorical_splitting`.

    Attributes
    ----------
    tree_ : glassworks.tree._tree.Tree
        The fitted tree (scikit-learn's field names; ``value`` holds class probabilities).
    classes_ : ndarray of shape (n_classes,)
    n_classes_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when X had string column names.
    is_categorical_ : ndarray of bool of shape (n_features,)
    categories_ : list or None
        Per feature the list of its categories (a code is a position in it), None for a
        numeric feature; None when no feature is categorical.
    max_features_ : int
    n_outputs_ : int
    feature_importances_ : ndarray of shape (``n_features_in_``,)

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from glassworks import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    >>> clf.get_depth(), clf.predict(X[:2]).tolist()
    (3, [0, 0])
    """

    _parameter_constraints = {
        **_BaseDecisionTree._parameter_constraints,
        "criterion": [StrOptions({"gini", "entropy", "log_loss"})],
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        criterion="gini",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        min_weight_fraction_leaf=0.0,
        max_features=None,
        random_state=None,
        max_leaf_nodes=None,
        min_impurity_decrease=0.0,
        class_weight=None,
        ccp_alpha=0.0,
        max_bins=255,
        categorical_features="from_dtype",
    ):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.class_weight = class_weight
        self.ccp_alpha = ccp_alpha
        self.max_bins = max_bins
        self.categorical_features = categorical_features

    def fit(self, X, y, sample_weight=None):
        """Grow the tree on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric features; NaN allowed, inf not.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; rows of weight 0 are ignored.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, is_classifier=True)

    def predict_proba(self, X):
        """Class probabilities of the leaf each sample reaches, shape (n_samples, n_classes)."""
        X = self._validate_X_predict(X)
        return self._leaf_values(X)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (``-inf`` for probability 0)."""
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba)

    def predict(self, X):
        """Most probable class of each sample."""
        proba = self.predict_proba(X)
        return self.classes_.take(np.argmax(proba, axis=1), axis=0)

    def _output_names(self):
        return [str(c) for c in self.classes_]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class DecisionTreeRegressor(RegressorMixin, _BaseDecisionTree):
    """A CART regression tree (squared error), grown on binned features.

    Parameters
    ----------
    criterion : {"squared_error"}, default="squared_error"
        Impurity measure: the weighted variance of the target.
    max_depth, min_samples_split, min_samples_leaf, min_weight_fraction_leaf, max_features, \
random_state, max_leaf_nodes, min_impurity_decrease, ccp_alpha, max_bins, \
categorical_features
        As for :class:`DecisionTreeClassifier`.

    Attributes
    ----------
    tree_ : glassworks.tree._tree.Tree
        The fitted tree; ``value`` holds the weighted mean target of each node.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when X had string column names.
    is_categorical_ : ndarray of bool of shape (n_features,)
    categories_ : list or None
        Per feature the list of its categories (a code is a position in it), None for a
        numeric feature; None when no feature is categorical.
    max_features_ : int
    n_outputs_ : int
    feature_importances_ : ndarray of shape (``n_features_in_``,)

    Examples
    --------
    >>> import numpy as np
    >>> from glassworks import DecisionTreeRegressor
    >>> X = np.arange(10.0).reshape(-1, 1); y = (X[:, 0] > 4).astype(float)
    >>> reg = DecisionTreeRegressor(max_depth=1).fit(X, y)
    >>> float(reg.tree_.threshold[0]), reg.predict([[2.0], [7.0]]).tolist()
    (4.5, [0.0, 1.0])
    """

    _parameter_constraints = {
        **_BaseDecisionTree._parameter_constraints,
        "criterion": [StrOptions({"squared_error"})],
    }

    def __init__(
        self,
        *,
        criterion="squared_error",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        min_weight_fraction_leaf=0.0,
        max_features=None,
        random_state=None,
        max_leaf_nodes=None,
        min_impurity_decrease=0.0,
        ccp_alpha=0.0,
        max_bins=255,
        categorical_features="from_dtype",
    ):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.ccp_alpha = ccp_alpha
        self.max_bins = max_bins
        self.categorical_features = categorical_features

    def fit(self, X, y, sample_weight=None):
        """Grow the tree on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric features; NaN allowed, inf not.
        y : array-like of shape (n_samples,)
            Finite numeric target.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; rows of weight 0 are ignored.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, is_classifier=False)

    def predict(self, X):
        """Mean training target of the leaf each sample reaches."""
        X = self._validate_X_predict(X)
        return self._leaf_values(X)[:, 0]


def _check_numeric(X):
    """Name non-numeric columns clearly; object arrays are left to ``validate_data``, whose
    TypeError scikit-learn's conventions expect."""
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        reject_non_numeric(X)
    elif isinstance(X, np.ndarray) and X.dtype.kind in "US":
        reject_non_numeric(X)


def _resolve_max_features(max_features, n_features):
    if max_features is None:
        return n_features
    if max_features == "sqrt":
        return max(1, int(np.sqrt(n_features)))
    if max_features == "log2":
        return max(1, int(np.log2(n_features)))
    if isinstance(max_features, numbers.Integral):
        if max_features > n_features:
            raise ValueError(
                f"max_features must be in (0, n_features={n_features}], got {max_features}."
            )
        return int(max_features)
    return max(1, int(max_features * n_features))


def compute_feature_importances(tree):
    """scikit-learn's mean decrease in impurity of every feature, normalised to sum to 1."""
    left = tree.children_left
    right = tree.children_right
    internal = np.flatnonzero(left != -1)
    wn = tree.weighted_n_node_samples
    imp = tree.impurity
    decrease = (
        wn[internal] * imp[internal]
        - wn[left[internal]] * imp[left[internal]]
        - wn[right[internal]] * imp[right[internal]]
    )
    out = np.zeros(tree.n_features, dtype=np.float64)
    np.add.at(out, tree.feature[internal], decrease)
    out /= wn[0]
    total = out.sum()
    if total > 0.0:
        out /= total
    return out
