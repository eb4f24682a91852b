"""glassworks TreeSHAP against shap.TreeExplainer on the same trees (via to_shap_model).

shap's kernels accumulate in float32 in places, hence the 1e-6 tolerance.
"""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassworks.shapley import (
    explain_trees,
    to_shap_model,
    tree_shap_interventional,
    tree_shap_path,
)
from glassworks.tree._tree import Tree

shap = pytest.importorskip("shap")


def _data(seed, classifier, n=500, d=6, nan_rate=0.1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X[:, 0] * X[:, 1] + X[:, 2] + rng.normal(scale=0.3, size=n)
    if classifier:
        y = np.digitize(y, [-0.5, 0.5])
    X[rng.random(X.shape) < nan_rate] = np.nan
    Xq = rng.normal(size=(25, d))
    Xq[rng.random(Xq.shape) < nan_rate] = np.nan
    bg = rng.normal(size=(150, d))  # more than shap's default 100-row cut
    return X, y, Xq, bg


def _models(seed, classifier):
    X, y, Xq, bg = _data(seed, classifier)
    if classifier:
        single = DecisionTreeClassifier(max_depth=6, random_state=seed).fit(X, y)
        forest = RandomForestClassifier(n_estimators=5, max_depth=5, random_state=seed).fit(X, y)
    else:
        single = DecisionTreeRegressor(max_depth=6, random_state=seed).fit(X, y)
        forest = RandomForestRegressor(n_estimators=5, max_depth=5, random_state=seed).fit(X, y)
    single_trees = [Tree.from_sklearn(single.tree_)]
    forest_trees = [Tree.from_sklearn(e.tree_) for e in forest.estimators_]
    return single_trees, forest_trees, Xq, bg


def _shap_values(model_dict, Xq, bg=None):
    if bg is None:
        ex = shap.TreeExplainer(model_dict, feature_perturbation="tree_path_dependent")
    else:
        masker = shap.maskers.Independent(bg, max_samples=len(bg))
        ex = shap.TreeExplainer(model_dict, data=masker, feature_perturbation="interventional")
    sv = np.asarray(ex.shap_values(Xq, check_additivity=False))
    if sv.ndim == 2:
        sv = sv[:, :, None]
    return sv, np.atleast_1d(np.asarray(ex.expected_value, dtype=np.float64))


@pytest.mark.parametrize("classifier", [False, True])
@pytest.mark.parametrize("ensemble", [False, True])
@pytest.mark.parametrize("interventional", [False, True])
def test_matches_shap(classifier, ensemble, interventional):
    single, forest, Xq, bg = _models(3, classifier)
    trees = forest if ensemble else single
    weights = np.linspace(0.5, 1.5, len(trees)) / len(trees) if ensemble else None
    sv, ev = _shap_values(to_shap_model(trees, weights), Xq, bg if interventional else None)
    if interventional:
        values, base = tree_shap_interventional(trees, Xq, bg, tree_weights=weights)
    else:
        values, base = tree_shap_path(trees, Xq, tree_weights=weights)
    assert values.shape == sv.shape
    np.testing.assert_allclose(values, sv, rtol=0, atol=1e-6)
    np.testing.assert_allclose(base, ev, rtol=0, atol=1e-6)


def test_explanation_matches_shap_classifier_forest():
    _, forest, Xq, bg = _models(5, True)
    e = explain_trees(forest, Xq, background=bg, feature_names=list("abcdef"),
                      output_names=["lo", "mid", "hi"])
    sv, ev = _shap_values(to_shap_model(forest), Xq, bg)
    np.testing.assert_allclose(e.values, sv, rtol=0, atol=1e-6)
    np.testing.assert_allclose(e.base_values, np.tile(ev, (len(Xq), 1)), rtol=0, atol=1e-6)


def test_to_shap_model_is_fresh_each_call_and_maps_missing_direction():
    single, _, _, _ = _models(1, False)
    t = single[0]
    a, b = to_shap_model(t), to_shap_model(t)
    fields = [t.children_left, t.children_right, t.feature, t.threshold, t.value,
              t.weighted_n_node_samples, t.missing_go_to_left]
    for key in a["trees"][0]:
        assert not np.shares_memory(a["trees"][0][key], b["trees"][0][key])
        assert not any(np.shares_memory(a["trees"][0][key], f) for f in fields)
    internal = t.children_left >= 0
    default = a["trees"][0]["children_default"]
    expect = np.where(t.missing_go_to_left.astype(bool), t.children_left, t.children_right)
    np.testing.assert_array_equal(default[internal], expect[internal])
    assert set(np.unique(t.missing_go_to_left[internal])) == {0, 1}
