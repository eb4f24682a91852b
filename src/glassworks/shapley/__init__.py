"""Exact Shapley values and path contributions for trees and tree ensembles.

- :func:`explain_trees`: a :class:`glassworks.Explanation` of a tree or an ensemble:
  path-dependent TreeSHAP, exact interventional TreeSHAP over a whole background set, or
  Saabas path contributions.
- Plain-array kernels for the auditor: :func:`tree_shap_path`,
  :func:`tree_shap_interventional`, :func:`saabas` (each returns ``(values (n, d, k),
  base (k,))``).
- Brute-force oracles (any model, d <= 16): :func:`exact_interventional_shapley`,
  :func:`exact_baseline_shapley`, :func:`tree_path_shapley_brute`.
- :func:`to_shap_model`: export to shap's custom tree dict.

Importing this package compiles nothing; each kernel compiles (or loads from Numba's cache)
on its first call.
"""

from ._explain import explain_trees
from .brute_force import (
    exact_baseline_shapley,
    exact_interventional_shapley,
    tree_path_shapley_brute,
)
from .interventional import tree_shap_interventional
from .saabas import saabas
from .shap_format import to_shap_model
from .treeshap import pack_trees, tree_shap_path

__all__ = [
    "explain_trees",
    "tree_shap_path",
    "tree_shap_interventional",
    "saabas",
    "pack_trees",
    "exact_interventional_shapley",
    "exact_baseline_shapley",
    "tree_path_shapley_brute",
    "to_shap_model",
]
