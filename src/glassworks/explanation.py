"""``Explanation``: the one data type every native explanation and every audit carries.

Modelled on ``shap.Explanation`` (values, base_values, data, feature_names) so that it converts
to it without loss, plus what an audit needs to know: which method produced the values and
which quantity (estimand) they estimate.
"""

from dataclasses import dataclass, field

import numpy as np

#: Estimands the library knows (the names; each one's definition and exact computations are in
#: :mod:`glassworks.comparator.estimands`). An explainer is scored against the truth of what it
#: estimates.
ESTIMANDS = (
    "interventional_shap",  # Shapley values of E[f(x_S, X_~S)] over a background set
    "path_shap",  # Shapley values of the tree's cover-weighted conditional expectation
    "baseline_shap",  # Shapley values with respect to one reference point
    "local_slope",  # coefficients of a local linear model
    "path_contribution",  # Saabas: change of the node value along the decision path
    "path_features",  # which features the decision path (or the rules tried) tested
    "lime_tabular",  # large-sample limit of LIME's default (quartile-discretised) weights
    "lime_gaussian",  # the same limit without discretisation, sampling around x (a slope)
    "integrated_gradients",  # Aumann-Shapley path integral along the line from the baseline
    "gradient",  # the gradient of f at x
    "gradient_x_input",  # the gradient times (x - background mean)
    "partial_dependence",  # spread of each feature's partial-dependence function (global)
    "permutation_importance",  # expected loss increase when a feature is permuted (global)
    "global_importance",  # mean |interventional SHAP| over the rows (global)
    "unknown",
)


@dataclass
class Explanation:
    """Feature attributions for a batch of samples.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_features) or (n_samples, n_features, n_outputs)
        One attribution per sample and feature (and per output, e.g. per class).
    base_values : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        What the attributions start from. For Shapley values ``base_values +
        values.sum(axis=1)`` is the model's output; for a local linear model it is the
        intercept.
    data : ndarray of shape (n_samples, n_features)
        The samples explained.
    feature_names : list of str
        One name per feature.
    method : str
        What produced the values, e.g. ``"tree_shap_path"``.
    estimand : str
        The quantity the values estimate; one of :data:`ESTIMANDS`.
    output_names : list of str or None
        Names of the outputs (class labels) when ``values`` is 3-D.
    extra : dict
        Method-specific additions (e.g. MAPLE's neighbour weights).

    Examples
    --------
    >>> import numpy as np
    >>> from glassworks import Explanation
    >>> e = Explanation(values=np.ones((2, 3)), base_values=np.zeros(2),
    ...                 data=np.zeros((2, 3)), feature_names=["a", "b", "c"],
    ...                 method="demo", estimand="unknown")
    >>> e.to_frame().shape
    (6, 5)
    """

    values: np.ndarray
    base_values: np.ndarray
    data: np.ndarray
    feature_names: list
    method: str = "unknown"
    estimand: str = "unknown"
    output_names: list = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.values = np.asarray(self.values, dtype=np.float64)
        self.base_values = np.asarray(self.base_values, dtype=np.float64)
        self.data = np.asarray(self.data)
        self.feature_names = [str(f) for f in self.feature_names]
        if self.values.ndim not in (2, 3):
            raise ValueError(
                f"values must be 2-D or 3-D, got shape {self.values.shape}."
            )
        n, d = self.values.shape[:2]
        if len(self.feature_names) != d:
            raise ValueError(
                f"{len(self.feature_names)} feature names for {d} features."
            )
        if self.base_values.shape[0] != n:
            raise ValueError(
                f"base_values has {self.base_values.shape[0]} rows, values has {n}."
            )
        if self.estimand not in ESTIMANDS:
            raise ValueError(
                f"estimand must be one of {ESTIMANDS}, got {self.estimand!r}."
            )
        if self.values.ndim == 3 and self.output_names is None:
            self.output_names = [str(i) for i in range(self.values.shape[2])]

    @property
    def shape(self):
        return self.values.shape

    def __len__(self):
        return self.values.shape[0]

    def __getitem__(self, rows):
        """Select samples (rows); the result is again an ``Explanation``."""
        if isinstance(rows, (int, np.integer)):
            rows = [rows]
        extra = {
            k: (v[rows] if isinstance(v, np.ndarray) and v.shape[:1] == (len(self),) else v)
            for k, v in self.extra.items()
        }
        return Explanation(
            values=self.values[rows],
            base_values=self.base_values[rows],
            data=self.data[rows],
            feature_names=list(self.feature_names),
            method=self.method,
            estimand=self.estimand,
            output_names=None if self.output_names is None else list(self.output_names),
            extra=extra,
        )

    def output(self):
        """What the attributions add up to: ``base_values + values.sum(axis=1)``."""
        return self.base_values + self.values.sum(axis=1)

    def to_frame(self):
        """A tidy ``pandas.DataFrame``: one row per sample, feature (and output).

        Columns: ``sample``, ``feature``, (``output``,) ``value``, ``data``, ``base_value``.
        """
        import pandas as pd

        n, d = self.values.shape[:2]
        sample = np.repeat(np.arange(n), d)
        feature = np.tile(np.asarray(self.feature_names, dtype=object), n)
        data = self.data.reshape(n * d) if self.data.size == n * d else np.full(n * d, np.nan)
        if self.values.ndim == 2:
            return pd.DataFrame(
                {
                    "sample": sample,
                    "feature": feature,
                    "value": self.values.reshape(n * d),
                    "data": data,
                    "base_value": np.repeat(self.base_values, d),
                }
            )
        k = self.values.shape[2]
        return pd.DataFrame(
            {
                "sample": np.repeat(sample, k),
                "feature": np.repeat(feature, k),
                "output": np.tile(np.asarray(self.output_names, dtype=object), n * d),
                "value": self.values.reshape(n * d * k),
                "data": np.repeat(data, k),
                "base_value": np.repeat(self.base_values, d, axis=0).reshape(n * d * k),
            }
        )

    def to_shap(self):
        """Convert to a ``shap.Explanation`` (for shap's plots). Needs shap installed."""
        try:
            import shap
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "Explanation.to_shap() needs shap: pip install 'glassworks[shap]'"
            ) from exc
        return shap.Explanation(
            values=self.values,
            base_values=self.base_values,
            data=np.asarray(self.data, dtype=np.float64),
            feature_names=list(self.feature_names),
            output_names=self.output_names,
        )

    def __repr__(self):
        return (
            f"Explanation(method={self.method!r}, estimand={self.estimand!r}, "
            f"values shape={self.values.shape})"
        )
