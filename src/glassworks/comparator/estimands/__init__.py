"""Estimands: the exact quantities the audit's explainers estimate.

Each estimand is one :class:`Estimand` object in :data:`REGISTRY`: its name (one of
:data:`glassworks.explanation.ESTIMANDS`), a one-line definition shown in the report, how to
read its values, its unit (attribution, slope, importance, indicator) and scope (local or
global), and, per kind of model (trees, linear, additive, piecewise constant or affine, black
box; see :mod:`.base`), its exact computation, next to its definition:

- :mod:`.shapley`: ``interventional_shap``, ``baseline_shap``, ``path_shap``;
- :mod:`.paths`: ``path_contribution`` (Saabas), ``path_features``;
- :mod:`.gradients`: ``gradient``, ``gradient_x_input``, ``local_slope``;
- :mod:`.integrated_gradients`: ``integrated_gradients`` (the crossing walk);
- :mod:`.importance`: ``global_importance``, ``partial_dependence``,
  ``permutation_importance``;
- :mod:`.lime_wiring`: ``lime_tabular``, ``lime_gaussian`` (their limits: :mod:`.lime`,
  on :mod:`.boxes`).

An explainer names the estimand it estimates (``explainer.estimand``); the model's family
adapter (:mod:`glassworks.comparator.ground_truth`) says which kinds of computation apply.
"""

import numpy as np

from . import gradients, importance, integrated_gradients, lime_wiring, paths, shapley  # noqa: F401
from glassworks.explanation import ESTIMANDS

from .base import REGISTRY, Estimand, ModelView, NotExact, Value

# the registry in the order of glassworks.explanation.ESTIMANDS (the report's order)
_ORDER = {name: i for i, name in enumerate(ESTIMANDS)}
for _name in sorted(REGISTRY, key=_ORDER.get):
    REGISTRY[_name] = REGISTRY.pop(_name)

__all__ = ["REGISTRY", "Estimand", "ModelView", "NotExact", "Value", "get", "as_attribution",
           "global_view"]


def get(name):
    """The :class:`Estimand` called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"Unknown estimand {name!r}; known: {', '.join(REGISTRY)}."
        ) from None


def as_attribution(name, values, X, reference):
    """A local estimand's values as attributions: a slope is read as ``slope * (x - r)``
    (exact for a linear model: that is its interventional Shapley value for r the
    background mean)."""
    values = np.asarray(values, dtype=np.float64)
    if REGISTRY[name].unit == "slope":
        return values * (X - reference)
    return values


def global_view(name, values, X, reference):
    """An estimand as shares of importance per feature (d,), summing to 1: a local one by
    the mean over rows of ``|attribution|``, a global one by ``|values|``. All zero stays zero."""
    est = REGISTRY[name]
    if est.scope == "local":
        v = np.abs(as_attribution(name, values, X, reference)).mean(axis=0)
    else:
        v = np.abs(np.asarray(values, dtype=np.float64))
    total = v.sum()
    return v / total if total > 0 else v
