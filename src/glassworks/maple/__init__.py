"""MAPLE: Model Agnostic supervised Local Explanations (Plumb, Molitor, Talwalkar, 2018).

``MapleRegressor`` / ``MapleClassifier`` are interpretable models (a forest's supervised
neighbourhoods with local ridge models); ``MapleExplainer`` explains any black-box model.
"""

from ._classes import MapleClassifier, MapleRegressor
from .explainer import MapleExplainer

__all__ = ["MapleClassifier", "MapleRegressor", "MapleExplainer"]
