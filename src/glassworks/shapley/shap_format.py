"""Export trees to shap's custom tree-model dict, so ``shap.TreeExplainer`` can explain them.

shap's ``TreeEnsemble`` accepts ``{"trees": [tree_dict, ...], "base_offset": ..., ...}`` where
each tree dict has ``children_left``, ``children_right``, ``children_default``, ``features``,
``thresholds``, ``values`` (n_nodes, n_outputs) and ``node_sample_weight``. Two traps:

- shap keeps references to (and may write into) the arrays of the dict it is given, so
  :func:`to_shap_model` builds fresh arrays on every call: call it once per explainer.
- for interventional values give shap the background as
  ``shap.maskers.Independent(bg, max_samples=len(bg))``: plain data is cut to 100 rows.
"""

import numpy as np

from .treeshap import _as_tree_list, _check_tree_weights

__all__ = ["to_shap_model"]


def to_shap_model(trees, tree_weights=None):
    """A fresh shap custom tree-model dict for ``sum_t w_t * tree_t(x)``.

    Parameters
    ----------
    trees : Tree or list of Tree
    tree_weights : array-like of shape (n_trees,) or None
        Default ``1 / n_trees`` (a forest's average). Folded into the node values.

    Returns
    -------
    dict
        ``{"trees": [...], "base_offset": 0.0, "tree_limit": n_trees, "objective": None,
        "tree_output": "raw_value", "input_dtype": float64, "internal_dtype": float64}``.
        Every array is a new copy; give shap a fresh dict for every explainer.

    Examples
    --------
    >>> import numpy as np, shap
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from glassworks.tree._tree import Tree
    >>> X = np.random.RandomState(0).rand(40, 2); y = X[:, 0]
    >>> tree = Tree.from_sklearn(DecisionTreeRegressor(max_depth=2).fit(X, y).tree_)
    >>> ex = shap.TreeExplainer(to_shap_model(tree), feature_perturbation="tree_path_dependent")
    >>> ex.shap_values(X[:3]).shape
    (3, 2)
    """
    trees = _as_tree_list(trees)
    weights = _check_tree_weights(tree_weights, len(trees))
    out = []
    for t, w in zip(trees, weights):
        leaf = t.children_left < 0
        missing_left = t.missing_go_to_left.astype(bool)
        default = np.where(missing_left, t.children_left, t.children_right)
        default = np.where(leaf, -1, default)
        out.append(
            {
                "children_left": np.array(t.children_left, dtype=np.int32),
                "children_right": np.array(t.children_right, dtype=np.int32),
                "children_default": np.array(default, dtype=np.int32),
                "features": np.where(leaf, -2, t.feature).astype(np.int32),
                "thresholds": np.where(leaf, -2.0, t.threshold).astype(np.float64),
                "values": np.array(t.value2d * w, dtype=np.float64),
                "node_sample_weight": np.array(t.weighted_n_node_samples, dtype=np.float64),
            }
        )
    return {
        "trees": out,
        "base_offset": 0.0,
        "tree_limit": len(out),
        "objective": None,
        "tree_output": "raw_value",
        "input_dtype": np.float64,
        "internal_dtype": np.float64,
    }
