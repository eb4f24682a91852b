"""Random forests on glassworks' Numba CART grower, explained exactly by TreeSHAP."""

from ._classes import RandomForestClassifier, RandomForestRegressor

__all__ = ["RandomForestClassifier", "RandomForestRegressor"]
