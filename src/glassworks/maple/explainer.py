"""``MapleExplainer``: MAPLE as a post-hoc explainer of any model.

As in the paper's explanation experiments, MAPLE is fitted to the black box's predictions on the
training data (not to the labels); its local linear model at ``x`` is the explanation of the
black box at ``x``, comparable to LIME's.
"""

import numpy as np

from ..explanation import Explanation
from ._classes import MapleRegressor


class MapleExplainer:
    """Explain ``predict_fn`` with MAPLE's local linear models.

    Parameters
    ----------
    predict_fn : callable
        ``predict_fn(X) -> (n,)`` or ``(n, n_outputs)`` (e.g. class probabilities). One MAPLE
        model is fitted per output.
    feature_names : list of str, optional
    **maple_params
        Passed to :class:`MapleRegressor` (``n_estimators``, ``alpha``, ``random_state``...).

    Attributes
    ----------
    models_ : list of MapleRegressor
        One per output of ``predict_fn``.

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
        feature count, when given)."""
        X_train = np.asarray(X_train, dtype=np.float64)
        out = self._outputs(X_train)
        out_val = None if X_val is None else self._outputs(np.asarray(X_val, dtype=np.float64))
        self.n_outputs_ = out.shape[1]
        self.models_ = []
        for o in range(self.n_outputs_):
            m = MapleRegressor(**self.maple_params)
            if out_val is None:
                m.fit(X_train, out[:, o])
            else:
                m.fit(X_train, out[:, o], X_val, out_val[:, o])
            self.models_.append(m)
        self.n_features_in_ = X_train.shape[1]
        return self

    def _outputs(self, X):
        out = np.asarray(self.predict_fn(X), dtype=np.float64)
        if out.ndim == 1:
            out = out[:, None]
        if out.ndim != 2 or out.shape[0] != X.shape[0]:
            raise ValueError(
                f"predict_fn returned shape {out.shape} for {X.shape[0]} rows; expected "
                "(n,) or (n, n_outputs)."
            )
        return out

    def explain(self, X):
        """Local linear explanations of ``predict_fn`` at the rows of X.

        Returns
        -------
        Explanation
            ``estimand="local_slope"``, ``method="maple"``: ``values`` (n, d) (or (n, d,
            n_outputs)) are the local slopes, ``base_values`` the intercepts; ``extra``
            holds ``"prediction"``, MAPLE's own estimate of ``predict_fn`` at X.
        """
        if not hasattr(self, "models_"):
            raise ValueError("MapleExplainer is not fitted; call fit(X_train) first.")
        exps = [m.explain(X) for m in self.models_]
        names = self.feature_names
        if names is None:
            names = exps[0].feature_names
        if self.n_outputs_ == 1:
            values, base = exps[0].values, exps[0].base_values
        else:
            values = np.stack([e.values for e in exps], axis=2)
            base = np.stack([e.base_values for e in exps], axis=1)
        pred = base + (values * (exps[0].data if values.ndim == 2 else exps[0].data[:, :, None])).sum(1)
        return Explanation(
            values=values,
            base_values=base,
            data=exps[0].data,
            feature_names=list(names),
            method="maple",
            estimand="local_slope",
            extra={"prediction": pred},
        )
