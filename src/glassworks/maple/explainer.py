"""``MapleExplainer``: MAPLE as a post-hoc explainer of any model.

As in the paper's explanation experiments, MAPLE is fitted to the black box's predictions on the
training data (not to the labels); its local linear model at ``x`` is the explanation of the
black box at ``x``, comparable to LIME's.

Column names are kept: an explainer fitted on a DataFrame explains DataFrames by column name
(reordered when needed, refused when a name is missing) and hands ``predict_fn`` DataFrames
with the fitted columns, so that a pipeline that selects its columns by name can be explained.
"""

import warnings

import numpy as np
import scipy.sparse as sp

from ..explanation import Explanation
from ._classes import MapleRegressor


class MapleExplainer:
    """Explain ``predict_fn`` with MAPLE's local linear models.

    Parameters
    ----------
    predict_fn : callable
        ``predict_fn(X) -> (n,)`` or ``(n, n_outputs)`` (e.g. class probabilities). One MAPLE
        model is fitted per output. When the explainer is fitted on a pandas DataFrame,
        ``predict_fn`` gets DataFrames with the same columns, in the same order.
    feature_names : list of str, optional
        Names of the features of a numpy input (a DataFrame's own column names are used
        otherwise; a DataFrame whose columns differ from ``feature_names`` is refused).
    **maple_params
        Passed to :class:`MapleRegressor` (``n_estimators``, ``alpha``, ``random_state``...).

    Attributes
    ----------
    models_ : list of MapleRegressor
        One per output of ``predict_fn``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        The column names of the DataFrame ``fit`` got (absent after a numpy fit).

    Examples
    --------
    >>> import numpy as np
    >>> from glassworks import MapleExplainer
    >>> rng = np.random.RandomState(0); X = rng.normal(size=(200, 3))
    >>> f = lambda Z: np.sin(Z[:, 0]) + Z[:, 1]
    >>> ex = MapleExplainer(f, n_estimators=20, random_state=0).fit(X)
    >>> ex.explain(X[:4]).estimand
    'local_slope'
    """

    def __init__(self, predict_fn, feature_names=None, **maple_params):
        if not callable(predict_fn):
            raise ValueError("predict_fn must be callable.")
        self.predict_fn = predict_fn
        self.feature_names = feature_names
        self.maple_params = maple_params

    def fit(self, X_train, X_val=None):
        """Fit MAPLE to ``predict_fn``'s outputs on ``X_train`` (and ``X_val`` for the
        feature count, when given).

        Parameters
        ----------
        X_train : array-like or DataFrame of shape (n_samples, n_features)
            Numeric features (no NaN or inf). A DataFrame's column names are kept.
        X_val : array-like or DataFrame of shape (n_val, n_features), optional
            Held-out rows on which MAPLE chooses how many features its local models use.

        Returns
        -------
        self
        """
        self._frame = _is_frame(X_train)
        if self._frame:
            names = [str(c) for c in X_train.columns]
            if self.feature_names is not None and list(self.feature_names) != names:
                raise ValueError(
                    "feature_names differ from the DataFrame's columns: "
                    f"{list(self.feature_names)} vs {names}. Leave feature_names unset to "
                    "use the columns' names."
                )
            self.feature_names_in_ = np.asarray(X_train.columns, dtype=object)
        else:
            self.__dict__.pop("feature_names_in_", None)
        X_user, X64 = self._numeric(X_train, reset=True)
        out = self._outputs(X_user, X64.shape[0])
        out_val = None
        if X_val is not None:
            V_user, V64 = self._numeric(X_val, reset=False)
            out_val = self._outputs(V_user, V64.shape[0])
        self.n_outputs_ = out.shape[1]
        self.models_ = []
        for o in range(self.n_outputs_):
            m = MapleRegressor(**self.maple_params)
            if out_val is None:
                m.fit(X64, out[:, o])
            else:
                m.fit(X64, out[:, o], V64, out_val[:, o])
            self.models_.append(m)
        return self

    def _numeric(self, X, reset):
        """(X as ``predict_fn`` gets it, X as a float64 matrix in the fitted column order)."""
        if sp.issparse(X):
            raise TypeError(
                "MapleExplainer needs dense numeric X (its local models are dense ridge "
                "regressions); got a sparse matrix. Pass X.toarray(), or explain a few rows "
                "at a time if X is large."
            )
        if _is_frame(X):
            X = self._align_frame(X, reset)
            bad = [str(c) for c, dt in zip(X.columns, X.dtypes) if not _numeric_dtype(dt)]
            if bad:
                raise ValueError(
                    "MapleExplainer's local linear models need numeric features; these "
                    f"columns are not: {', '.join(bad[:10])}{' ...' if len(bad) > 10 else ''}. "
                    "Encode them first (e.g. explain a pipeline whose first step encodes "
                    "them, fitting the explainer on the encoded columns)."
                )
            X64 = X.to_numpy(dtype=np.float64)
        else:
            if not reset and getattr(self, "_frame", False):
                warnings.warn(
                    "X has no column names, but MapleExplainer was fitted on a DataFrame: "
                    "its columns are taken in the fitted order "
                    f"{list(self.feature_names_in_)}.", UserWarning, stacklevel=3,
                )
            arr = np.asarray(X)
            if arr.dtype.kind not in "biuf":
                try:
                    arr = arr.astype(np.float64)
                except (TypeError, ValueError):
                    raise ValueError(
                        "MapleExplainer's local linear models need numeric features; X has "
                        f"dtype {arr.dtype} with values that are not numbers (e.g. "
                        f"{_first_non_number(arr)!r}). Encode them first."
                    ) from None
            X64 = np.asarray(arr, dtype=np.float64)
            if X64.ndim != 2:
                raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X64.shape}.")
            if not reset and X64.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X64.shape[1]} features, but MapleExplainer was fitted with "
                    f"{self.n_features_in_}."
                )
            if getattr(self, "_frame", False):
                import pandas as pd

                X = pd.DataFrame(X64, columns=self.feature_names_in_)
        if reset:
            self.n_features_in_ = X64.shape[1]
            if self.feature_names is not None and len(self.feature_names) != X64.shape[1]:
                raise ValueError(
                    f"feature_names has {len(self.feature_names)} names for "
                    f"{X64.shape[1]} features."
                )
        if not np.isfinite(X64).all():
            raise ValueError("X contains NaN or infinity; MAPLE's local models need finite "
                             "values (impute them first).")
        return X, X64

    def _align_frame(self, X, reset):
        """The DataFrame with the fitted columns in the fitted order (refused when one is
        missing)."""
        if reset:
            return X
        fitted = list(getattr(self, "feature_names_in_", []))
        if not fitted:
            if X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but MapleExplainer was fitted with "
                    f"{self.n_features_in_}."
                )
            return X
        cols = list(X.columns)
        if cols == fitted:
            return X
        missing = [c for c in fitted if c not in cols]
        if missing or X.columns.duplicated().any():
            raise ValueError(
                "X's columns do not match those MapleExplainer was fitted on: missing "
                f"{[str(c) for c in missing]}. Fitted order: {[str(c) for c in fitted]}; "
                f"X's: {[str(c) for c in cols]}."
            )
        return X[fitted]  # same names, other order (extra columns dropped)

    def _outputs(self, X, n):
        out = np.asarray(self.predict_fn(X), dtype=np.float64)
        if out.ndim == 1:
            out = out[:, None]
        if out.ndim != 2 or out.shape[0] != n:
            raise ValueError(
                f"predict_fn returned shape {out.shape} for {n} rows; expected "
                "(n,) or (n, n_outputs)."
            )
        return out

    def explain(self, X):
        """Local linear explanations of ``predict_fn`` at the rows of X.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            After a DataFrame fit, a DataFrame's columns are matched by name (reordered when
            needed; a missing column raises).

        Returns
        -------
        Explanation
            ``estimand="local_slope"``, ``method="maple"``: ``values`` (n, d) (or (n, d,
            n_outputs)) are the local slopes, ``base_values`` the intercepts; ``extra``
            holds ``"prediction"``, MAPLE's own estimate of ``predict_fn`` at X.
        """
        if not hasattr(self, "models_"):
            raise ValueError("MapleExplainer is not fitted; call fit(X_train) first.")
        _, X64 = self._numeric(X, reset=False)
        exps = [m.explain(X64) for m in self.models_]
        if self.n_outputs_ == 1:
            values, base = exps[0].values, exps[0].base_values
        else:
            values = np.stack([e.values for e in exps], axis=2)
            base = np.stack([e.base_values for e in exps], axis=1)
        data = exps[0].data
        pred = base + (values * (data if values.ndim == 2 else data[:, :, None])).sum(1)
        return Explanation(
            values=values,
            base_values=base,
            data=data,
            feature_names=self._names(),
            method="maple",
            estimand="local_slope",
            extra={"prediction": pred},
        )

    def _names(self):
        if hasattr(self, "feature_names_in_"):
            return [str(c) for c in self.feature_names_in_]
        if self.feature_names is not None:
            return [str(c) for c in self.feature_names]
        return [f"x{j}" for j in range(self.n_features_in_)]


def _is_frame(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def _numeric_dtype(dtype):
    import pandas as pd

    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def _first_non_number(arr):
    for v in arr.ravel():
        try:
            float(v)
        except (TypeError, ValueError):
            return v
    return None
