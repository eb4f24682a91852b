"""Categorical columns of the tree estimators (trees, forests, MAPLE's forest).

Which columns are categorical (``categorical_features``), their categories, and their encoding
as float64 category codes, which is the rule list's (:func:`glassworks.rules.mining.encode`):
the position of the value in the training categories, NaN for a missing value, -1 for a value
unseen in training. The trees send a code they did not learn (NaN, -1, unseen) where the
split sends missing values.

``categorical_features``:

- ``"from_dtype"`` (default): a DataFrame's pandas ``category``, object and string (pyarrow
  or python) columns. Booleans stay numeric (0 / 1). An object or string column whose values
  are all numbers written as text is numeric (with the rule list's warning). A numpy array
  has no per-column dtype: a numeric one has no categorical column, an object or string one
  is refused (name its categorical columns, or pass a DataFrame).
- a list of column names (DataFrame) or indices, or a boolean mask of shape (n_features,):
  those columns, whatever their dtype (a numeric column then has one category per value).
- None: no categorical column (the previous behaviour: non-numeric columns are refused).

The categories of a ``category`` column are its dtype's categories (in their order); those of
any other column its sorted distinct values.
"""

import numpy as np

from .rules.mining import (
    _all_numbers, _factorize, _sorted_categories, _sorted_values, encode,
    warn_numbers_as_strings,
)

__all__ = ["CategoricalColumns", "fit_categorical_columns", "categorical_columns_of"]


def categorical_columns_of(est):
    """The :class:`CategoricalColumns` of a fitted estimator, or None (no categorical
    column). Estimators keep plain ``is_categorical_`` / ``categories_`` attributes (so that
    skops loads them without trusting a new type)."""
    categories = getattr(est, "categories_", None)
    if categories is None:
        return None
    return CategoricalColumns(est.is_categorical_, categories)


def set_categorical_attributes(est, info, n_features):
    """``is_categorical_`` (bool per feature) and ``categories_`` (a list per feature, None
    for a numeric one; None altogether when no feature is categorical)."""
    if info is None:
        est.is_categorical_ = np.zeros(n_features, dtype=bool)
        est.categories_ = None
    else:
        est.is_categorical_ = info.is_categorical.copy()
        est.categories_ = [None if c is None else list(c) for c in info.categories]


class CategoricalColumns:
    """What a fit learnt about the categorical columns (kept by the estimator).

    Attributes
    ----------
    is_categorical : ndarray of bool, shape (n_features,)
    kinds : list of {"num", "cat"}
    categories : list
        Per feature, the list of its categories (codes are positions), or None.
    """

    def __init__(self, is_categorical, categories):
        self.is_categorical = np.asarray(is_categorical, dtype=bool)
        self.categories = list(categories)
        self.kinds = ["cat" if c else "num" for c in self.is_categorical]

    @property
    def n_categories(self):
        return np.array([len(c) if c is not None else 0 for c in self.categories],
                        dtype=np.int64)

    def encode(self, X):
        """Float64 codes of X (DataFrame or array), C-contiguous; inf refused."""
        Z = encode(X, self.kinds, self.categories)
        for j in np.flatnonzero(~self.is_categorical):
            if np.isinf(Z[:, j]).any():
                raise ValueError(f"Column {j} contains infinity; only NaN (missing) is allowed.")
        return np.ascontiguousarray(Z)


def _is_frame(X):
    return hasattr(X, "dtypes") and hasattr(X, "columns") and hasattr(X, "iloc")


def _mask_from_param(param, X, n_features):
    """Boolean mask of the columns the user named (list of names / indices, or a mask)."""
    arr = np.asarray(param)
    if arr.ndim != 1:
        raise ValueError("categorical_features must be 'from_dtype', None, a list of column "
                         f"names or indices, or a boolean mask; got shape {arr.shape}.")
    mask = np.zeros(n_features, dtype=bool)
    if arr.size == 0:
        return mask
    if arr.dtype.kind == "b":
        if arr.shape[0] != n_features:
            raise ValueError(f"categorical_features as a boolean mask must have {n_features} "
                             f"entries (one per feature); got {arr.shape[0]}.")
        return arr.copy()
    if arr.dtype.kind in "iu":
        bad = [int(i) for i in arr if not -n_features <= i < n_features]
        if bad:
            raise ValueError(f"categorical_features has indices outside [0, {n_features}): "
                             f"{bad[:10]}.")
        mask[arr] = True
        return mask
    if arr.dtype.kind in "OUS" and all(isinstance(v, str) for v in param):
        if not _is_frame(X):
            raise ValueError("categorical_features names columns, but X has no column names "
                             "(pass a DataFrame, or give column indices).")
        cols = [str(c) for c in X.columns]
        missing = [v for v in param if v not in cols]
        if missing:
            raise ValueError("categorical_features names columns that X does not have: "
                             + ", ".join(map(repr, missing[:10]))
                             + f". X's columns: {', '.join(cols[:20])}"
                             + (" ..." if len(cols) > 20 else "") + ".")
        mask[[cols.index(v) for v in param]] = True
        return mask
    raise ValueError("categorical_features must be 'from_dtype', None, a list of column names "
                     f"or indices, or a boolean mask; got {param!r}.")


def _from_dtype_mask(X):
    """(mask, categories) of a DataFrame's categorical columns by dtype, or None."""
    import pandas as pd

    mask = np.zeros(X.shape[1], dtype=bool)
    categories = [None] * X.shape[1]
    as_numbers = []
    for j, (name, s) in enumerate(X.items()):
        dt = s.dtype
        if isinstance(dt, pd.CategoricalDtype):
            mask[j] = True
            categories[j] = list(dt.categories)
        elif pd.api.types.is_bool_dtype(dt) or pd.api.types.is_numeric_dtype(dt):
            continue
        elif pd.api.types.is_object_dtype(dt) or pd.api.types.is_string_dtype(dt):
            _, uniques = _factorize(s)
            if _all_numbers(uniques):
                as_numbers.append(str(name))
                continue
            mask[j] = True
            categories[j] = _sorted_values(uniques)
    if as_numbers:
        warn_numbers_as_strings(as_numbers)
    return mask, categories


def fit_categorical_columns(X, categorical_features, max_bins=None):
    """The categorical columns of a training X, or None when it has none (the estimator then
    takes its numeric path, unchanged).

    Parameters
    ----------
    X : DataFrame or array-like
    categorical_features : "from_dtype", None, list of names / indices, or bool mask
    max_bins : int or None
        Only to warn when a column has more categories than bins (see
        :mod:`glassworks.tree.binning` for what happens to the rarest ones).

    Returns
    -------
    CategoricalColumns or None
    """
    import pandas as pd

    if categorical_features is None:
        return None
    frame = _is_frame(X)
    if isinstance(categorical_features, str):
        if categorical_features != "from_dtype":
            raise ValueError("categorical_features must be 'from_dtype', None, a list of column"
                             f" names or indices, or a boolean mask; got {categorical_features!r}.")
        if frame:
            if X.shape[1] == 0:
                return None
            mask, categories = _from_dtype_mask(X)
        else:
            if hasattr(X, "toarray") or not hasattr(X, "__len__"):
                return None
            arr = X if isinstance(X, np.ndarray) else np.asarray(X)
            if arr.dtype.kind in "OUS" and arr.ndim == 2:
                try:
                    arr.astype(np.float64)
                except TypeError:
                    # not a string but an object float() refuses (a dict, a list): the
                    # numeric validation's own TypeError says so, as scikit-learn's does
                    return None
                except ValueError:
                    raise ValueError(
                        f"X is a numpy array of dtype {arr.dtype} with non-numeric values. "
                        "A numpy array has no per-column dtype to tell categorical columns "
                        "from numeric ones: pass a pandas DataFrame (category or string "
                        "columns are categorical), or name them with "
                        "categorical_features=[column indices]."
                    ) from None
            return None
        if not mask.any():
            return None
    else:
        if frame:
            n_features = X.shape[1]
        else:
            arr = np.asarray(X, dtype=object) if not isinstance(X, np.ndarray) else X
            if arr.ndim != 2:
                return None  # validate_data gives its usual error
            n_features = arr.shape[1]
        mask = _mask_from_param(categorical_features, X, n_features)
        if not mask.any():
            return None
        categories = [None] * n_features
        for j in np.flatnonzero(mask):
            if frame:
                s = X.iloc[:, j]
                if isinstance(s.dtype, pd.CategoricalDtype):
                    categories[j] = list(s.dtype.categories)
                    continue
                if pd.api.types.is_bool_dtype(s.dtype):
                    categories[j] = [False, True]
                    continue
                categories[j] = _sorted_categories(s)
            else:
                categories[j] = _sorted_categories(arr[:, j])
    info = CategoricalColumns(mask, categories)
    if max_bins is not None:
        wide = [(j, len(categories[j])) for j in np.flatnonzero(mask)
                if len(categories[j]) > max_bins]
        if wide:
            from ._validation import warn_at_caller

            names = [str(X.columns[j]) if frame else f"x{j}" for j, _ in wide]
            warn_at_caller(
                "Categorical columns with more categories than max_bins="
                f"{max_bins}: " + ", ".join(f"{n} ({k})" for n, (_, k) in zip(names, wide))
                + f". In each, the {max_bins - 1} most frequent categories in the training data"
                " get a bin of their own and all the rarer ones share one bin (every split "
                "sends them the same way).")
    return info


def validate_categorical_fit(est, X, y, categorical_features, max_bins, **check_params):
    """``validate_data(est, X, y, ...)`` for an X with categorical columns: the float64 codes
    (C-contiguous), the validated y and the :class:`CategoricalColumns` (the estimator's
    ``n_features_in_``, ``feature_names_in_``, ``is_categorical_`` and ``categories_`` set);
    None when X has no categorical column (the caller then validates X as before)."""
    from sklearn.utils.validation import _get_feature_names, validate_data

    info = fit_categorical_columns(X, categorical_features, max_bins)
    if info is None:
        return None
    names = _get_feature_names(X)
    Z = info.encode(X)
    check_params = {**check_params, "dtype": np.float64, "ensure_all_finite": "allow-nan"}
    check_params.pop("order", None)
    Z, y = validate_data(est, Z, y, order="C", **check_params)
    if names is not None:
        est.feature_names_in_ = names
    set_categorical_attributes(est, info, Z.shape[1])
    return Z, y, info


def validate_categorical_predict(est, X):
    """The float64 codes of a prediction X for an estimator fitted with categorical columns
    (feature names and count checked as ``validate_data(reset=False)``), or None when it
    was fitted without any."""
    from sklearn.utils.validation import validate_data

    info = categorical_columns_of(est)
    if info is None:
        return None
    if not hasattr(X, "__len__") and not hasattr(X, "shape"):
        raise ValueError(f"Expected a 2-D array-like X, got {type(X).__name__}.")
    validate_data(est, X, skip_check_array=True, reset=False)
    if not _is_frame(X):
        arr = np.asarray(X, dtype=object) if not isinstance(X, np.ndarray) else X
        if arr.ndim != 2:
            raise ValueError(f"Expected a 2-D X, got an array of shape {arr.shape}.")
        X = arr
    if X.shape[0] == 0:
        raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
    return info.encode(X)


def trees_for_explanation(est, trees, *arrays):
    """The trees and inputs the explanation kernels read: for an estimator fitted with
    categorical columns, each tree's threshold equivalent
    (:func:`glassworks.tree.categorical_expansion.expand_categorical`) and the inputs with
    missing / unseen codes as NaN; otherwise the arguments unchanged."""
    info = categorical_columns_of(est)
    if info is None:
        return (trees, *arrays)
    from .tree.categorical_expansion import codes_for_expansion

    k = info.n_categories
    trees = [t.threshold_equivalent(k) for t in trees]
    arrays = [None if a is None else codes_for_expansion(a, info.is_categorical, k)
              for a in arrays]
    return (trees, *arrays)


def refuse_shap_model(est):
    """shap's TreeEnsemble has no categorical splits: a clear error for such a model."""
    if categorical_columns_of(est) is not None:
        raise ValueError(
            f"This {type(est).__name__} has categorical features; shap's tree format has "
            "threshold splits only, so to_shap_model() cannot hand it over as is. Use "
            "model.explain(X) (exact TreeSHAP, path-dependent or interventional with "
            "background=), or hand shap the equivalent threshold model on category codes: "
            "shap.TreeExplainer(model.to_threshold_model().to_shap_model()) on "
            "model.encode_categories(X).")


def encode_categories(est, X):
    """X as the float64 category codes ``est.to_threshold_model()`` reads (numeric columns
    unchanged; a missing or unseen category NaN), validated as ``predict`` validates it."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est)
    info = categorical_columns_of(est)
    if info is None:
        check = getattr(est, "_validate_X_predict", None) or est._check_X
        Z = np.array(check(X), dtype=np.float64)
    else:
        from .tree.categorical_expansion import codes_for_expansion

        Z = codes_for_expansion(validate_categorical_predict(est, X), info.is_categorical,
                                info.n_categories)
    names = getattr(est, "feature_names_in_", None)
    if names is None:
        return Z
    import pandas as pd

    # named as the model's features: the threshold model (fitted with those names) then
    # predicts on it without scikit-learn's "X does not have valid feature names"
    return pd.DataFrame(Z, columns=list(names), index=getattr(X, "index", None))


def to_threshold_model(est):
    """A fitted copy of ``est`` whose trees are their threshold equivalents on the category
    codes (:func:`glassworks.tree.categorical_expansion.expand_categorical`): on
    ``encode_categories(est, X)`` it predicts exactly what ``est`` predicts on ``X``, and
    anything that reads threshold splits only (shap's TreeExplainer, the comparator's exact
    truths) can read it. ``est`` itself when it has no categorical feature; ``est`` is never
    modified."""
    import copy

    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est)
    if categorical_columns_of(est) is None:
        return est
    (trees,) = trees_for_explanation(est, est._fitted_trees())
    # a shallow copy: every attribute that differs is replaced below, the others (classes,
    # names, seeds) are shared read-only, and a forest's node arrays are not copied for
    # nothing
    new = copy.copy(est)
    new.categorical_features = None
    set_categorical_attributes(new, None, est.n_features_in_)
    new._set_fitted_trees(trees)
    return new


class CategoricalMixin:
    """``encode_categories`` and ``to_threshold_model`` for the tree estimators."""

    def encode_categories(self, X):
        """X as category codes, the input of :meth:`to_threshold_model`'s model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray or DataFrame of float64, shape (n_samples, n_features)
            Each categorical column as the position of its value in ``categories_`` (NaN for
            a missing or unseen value); numeric columns as they are. A DataFrame with the
            model's ``feature_names_in_`` as columns (and X's index) when it has them.
        """
        return encode_categories(self, X)

    def to_threshold_model(self):
        """An equivalent fitted model on category codes, with threshold splits only.

        Each categorical split ``city in {ber, dub}`` becomes threshold splits on the codes
        of ``city`` whose exits lead to copies of its subtrees, with the covers shared so
        that path-dependent TreeSHAP, interventional TreeSHAP and Saabas give the original
        model's values exactly. For tools that read threshold trees only:
        ``shap.TreeExplainer(m.to_threshold_model().to_shap_model())`` on
        ``m.encode_categories(X)``. The model itself when it has no categorical feature.

        Returns
        -------
        estimator
            A copy (this model is not modified); ``predict(encode_categories(X))`` equals
            this model's ``predict(X)``.
        """
        return to_threshold_model(self)
