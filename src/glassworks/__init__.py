"""glassworks: interpretable-by-construction models and an auditor of post-hoc explainers.

The estimators are imported lazily, on first use, so that ``import glassworks`` stays cheap:
it neither imports the optional dependencies (shap, lime, matplotlib, pyspark) nor compiles
any Numba kernel.
"""

from importlib import import_module

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "Explanation": "glassworks.explanation",
    "DecisionTreeClassifier": "glassworks.tree._classes",
    "DecisionTreeRegressor": "glassworks.tree._classes",
    "export_text": "glassworks.tree.export",
    "RandomForestClassifier": "glassworks.forest._classes",
    "RandomForestRegressor": "glassworks.forest._classes",
    "MapleRegressor": "glassworks.maple._classes",
    "MapleClassifier": "glassworks.maple._classes",
    "MapleExplainer": "glassworks.maple.explainer",
    "RuleListClassifier": "glassworks.rules._classes",
    "audit": "glassworks.comparator.runner",
    "AuditReport": "glassworks.comparator.report",
    "make_scenario": "glassworks.comparator.scenarios",
    "explain_trees": "glassworks.shapley",
    "decision_rules": "glassworks.tree.export",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'glassworks' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
