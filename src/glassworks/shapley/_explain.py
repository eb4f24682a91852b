"""``explain_trees``: exact native explanations of a tree or a tree ensemble."""

import numpy as np

from ..explanation import Explanation
from .interventional import check_background, ensemble_predict_kernel, interventional_values
from .saabas import saabas_values
from .treeshap import check_X, pack_trees, path_base_kernel, path_values

__all__ = ["explain_trees"]

_METHODS = ("shap", "path")


def explain_trees(
    trees,
    X,
    *,
    method="shap",
    background=None,
    feature_names,
    output_names=None,
    tree_weights=None,
):
    """Exact attributions of a tree or an ensemble ``sum_t w_t * tree_t(x)``.

    Parameters
    ----------
    trees : Tree or list of Tree
        One tree or a forest's trees (all with the same features and outputs).
    X : array-like of shape (n_samples, n_features)
        Samples to explain; may hold NaN (routed by each split's ``missing_go_to_left``).
    method : {"shap", "path"}, default="shap"
        ``"shap"``: Shapley values; path-dependent TreeSHAP (the tree's cover-weighted
        conditional expectation) when ``background`` is None, otherwise exact interventional
        Shapley values with respect to the whole background set (no subsampling).
        ``"path"``: Saabas path contributions.
    background : array-like of shape (n_background, n_features) or None
        Background set for interventional Shapley values (``method="shap"`` only).
    feature_names : list of str or None
        One name per feature (None names them ``x0, x1, ...``).
    output_names : list of str or None
        None for a regressor (2-D values); the class names for a classifier, in which case the
        class probabilities are explained (3-D values).
    tree_weights : array-like of shape (n_trees,) or None
        Weight of each tree; default ``1 / n_trees`` (a forest's average).

    Returns
    -------
    Explanation
        ``base_values + values.sum(axis=1)`` equals the model output. The base value is the
        cover-weighted expectation (path SHAP), the mean output over the background
        (interventional SHAP) or the root value (Saabas).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from glassworks.tree._tree import Tree
    >>> from glassworks.shapley import explain_trees
    >>> X = np.random.RandomState(0).rand(50, 3); y = X[:, 0] + X[:, 1]
    >>> tree = Tree.from_sklearn(DecisionTreeRegressor(max_depth=3).fit(X, y).tree_)
    >>> e = explain_trees(tree, X[:5], feature_names=["a", "b", "c"])
    >>> bool(np.allclose(e.output(), tree.predict(X[:5])[:, 0]))
    True
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}.")
    if method == "path" and background is not None:
        raise ValueError(
            "background is only used by method='shap' (interventional Shapley values); "
            "Saabas path contributions (method='path') take none."
        )
    packed = pack_trees(trees, tree_weights)
    Xa = check_X(X, packed.n_features)
    d = packed.n_features
    if feature_names is None:
        feature_names = [f"x{j}" for j in range(d)]
    feature_names = [str(f) for f in feature_names]
    if len(feature_names) != d:
        raise ValueError(f"{len(feature_names)} feature names for {d} features.")
    k = packed.n_outputs
    if output_names is not None:
        output_names = [str(o) for o in output_names]
        if len(output_names) != k:
            raise ValueError(f"{len(output_names)} output names for {k} tree outputs.")
    elif k != 1:
        raise ValueError(
            f"The trees have {k} outputs: give output_names (the class names) to explain them."
        )
    args = (packed.left, packed.right, packed.feature, packed.threshold, packed.missing,
            packed.value)
    extra = {}
    if method == "path":
        values = saabas_values(packed, Xa)
        base = packed.value[packed.roots].sum(axis=0)
        estimand, name = "path_contribution", "saabas"
    elif background is None:
        values = path_values(packed, Xa)
        base = path_base_kernel(packed.left, packed.right, packed.cover, packed.value,
                                packed.roots)
        estimand, name = "path_shap", "tree_shap_path"
    else:
        bg = check_background(background, d)
        values = interventional_values(packed, Xa, bg)
        base = ensemble_predict_kernel(*args, packed.roots, bg).mean(axis=0)
        estimand, name = "interventional_shap", "tree_shap_interventional"
        extra["n_background"] = bg.shape[0]
    n = Xa.shape[0]
    base_values = np.tile(base, (n, 1))
    if output_names is None:
        values = values[:, :, 0]
        base_values = base_values[:, 0]
    return Explanation(
        values=values,
        base_values=base_values,
        data=Xa.copy(),
        feature_names=feature_names,
        method=name,
        estimand=estimand,
        output_names=output_names,
        extra=extra,
    )
