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


def slope_inputs(data, categorical=None):
    """What a ``local_slope`` explanation's values multiply to give each feature's term:
    the data, except a categorical feature's column, which is 1 (MAPLE's value for it is the
    coefficient of the row's own category, a term already; its code, NaN when missing, is
    not a number to multiply). ``categorical``: a bool per feature, or None."""
    X = np.asarray(data, dtype=np.float64)
    if categorical is None or not np.any(categorical):
        return X
    return np.where(np.asarray(categorical, dtype=bool), 1.0, X)


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
        """A bounded summary, like pandas' or shap's: the method and estimand, the base
        values, and for the first few samples their largest attributions with the features'
        values (at most ``_SHOW_ROWS`` samples, ``_SHOW_FEATURES`` features, ``_SHOW_OUTPUTS``
        outputs)."""
        return "\n".join(_summary_lines(self))

    __str__ = __repr__


#: how much of an explanation ``repr`` shows
_SHOW_ROWS, _SHOW_FEATURES, _SHOW_OUTPUTS = 3, 5, 3


def _num(v):
    """A number in at most about 8 characters (``g`` format, 4 significant digits)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        text = str(v)
        return text if len(text) <= 12 else text[:11] + "..."
    return f"{f:.4g}"


def _additive(estimand):
    # attributions that add up to the output (base + sum of values); a local slope does not
    return estimand.endswith("_shap") or estimand == "path_contribution"


def _summary_lines(e):
    n, d = e.values.shape[:2]
    k = e.values.shape[2] if e.values.ndim == 3 else None
    shape = f"{n} sample{'s' * (n != 1)} x {d} feature{'s' * (d != 1)}"
    if k is not None:
        shape += f" x {k} outputs"
    lines = [f"Explanation of {shape}: method {e.method!r}, estimand {e.estimand!r}"]
    outputs = [None] if k is None else list(range(min(k, _SHOW_OUTPUTS)))
    base = e.base_values
    word = "intercept" if e.estimand == "local_slope" else "base value"
    for o in outputs:
        b = base if o is None else base[:, o]
        label = "" if o is None else f" [{e.output_names[o]}]"
        if n and np.all(b == b[0]):
            lines.append(f"{word}{label}: {_num(b[0])} (every sample)")
        elif n:
            lines.append(f"{word}s{label}: {_num(b.min())} to {_num(b.max())}")
    if k is not None and k > _SHOW_OUTPUTS:
        lines.append(f"(outputs {_SHOW_OUTPUTS + 1} to {k} not shown)")
    data_ok = e.data.ndim == 2 and e.data.shape[0] == n and e.data.shape[1] == d
    width = min(max([len(f) for f in e.feature_names] + [7]), 24)
    heads = ["value" if o is None else f"[{e.output_names[o]}]"[:10] for o in outputs]
    for i in range(min(n, _SHOW_ROWS)):
        V = e.values[i][:, None] if k is None else e.values[i][:, outputs]
        B = np.atleast_1d(base[i])[[0] if k is None else outputs]
        parts = []
        for c, o in enumerate(outputs):
            label = "" if o is None else f"[{e.output_names[o]}] "
            if _additive(e.estimand):
                t = V[:, c].sum()
                parts.append(f"{label}{_num(B[c])} {'-' if t < 0 else '+'} {_num(abs(t))} = "
                             f"{_num(B[c] + t)}")
            elif data_ok and e.estimand == "local_slope" and e.data.dtype.kind in "biuf":
                x = slope_inputs(e.data[i], (e.extra or {}).get("categorical"))
                pred = B[c] + float(np.dot(V[:, c], x))
                parts.append(f"{label}{word} {_num(B[c])}, prediction {_num(pred)}")
            else:
                parts.append(f"{label}{word} {_num(B[c])}")
        lines.append(f"sample {i}: " + "; ".join(parts))
        top = np.argsort(-np.abs(V).max(axis=1), kind="stable")[:_SHOW_FEATURES]
        lines.append(f"  {'feature':<{width}}" + "".join(f"  {h:>10}" for h in heads)
                     + f"  {'data':>10}")
        for j in top:
            name = e.feature_names[j]
            name = name if len(name) <= width else name[: width - 3] + "..."
            x = _num(e.data[i, j]) if data_ok else "-"
            lines.append(f"  {name:<{width}}" + "".join(f"  {_num(v):>10}" for v in V[j])
                         + f"  {x:>10}")
        if d > _SHOW_FEATURES:
            rest = np.delete(V, top, axis=0).sum(axis=0)
            lines.append(f"  ... {d - _SHOW_FEATURES} more features" + (
                " (sum " + ", ".join(_num(r) for r in rest) + ")"
                if _additive(e.estimand) else ""))
    if n > _SHOW_ROWS:
        lines.append(f"... {n - _SHOW_ROWS} more samples")
    return lines
