"""CART trees: the estimators, the Numba grower they use, and the flat ``Tree`` they produce.

Modules, in the order data flows: ``binning`` (features to uint8 bins) -> ``histogram``
(per-node sums) -> ``splitting`` (best split from a histogram) -> ``grower`` (one tree) ->
``_tree`` / ``predictor`` (the fitted tree and its walking kernels) -> ``_classes`` (the
estimators). Exports are lazy: importing this package compiles and imports nothing heavy.
"""

from importlib import import_module

_EXPORTS = {
    "DecisionTreeClassifier": "glassworks.tree._classes",
    "DecisionTreeRegressor": "glassworks.tree._classes",
    "Tree": "glassworks.tree._tree",
    "BinMapper": "glassworks.tree.binning",
    "grow_tree": "glassworks.tree.grower",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'glassworks.tree' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
