"""explain_trees: completeness, estimands, dummy features, Saabas, input checks."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import RandomForestRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassworks import Explanation
from glassworks.shapley import explain_trees, saabas
from glassworks.tree._tree import Tree


def _trees(seed, d=4, depth=4, classifier=False, n_trees=1, nan_rate=0.1, n=300):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X[:, 0] - 2 * X[:, min(1, d - 1)] * X[:, -1] + rng.normal(scale=0.2, size=n)
    if classifier:
        y = np.digitize(y, [-1.0, 0.0, 1.0])
    X[rng.random(X.shape) < nan_rate] = np.nan
    Model = DecisionTreeClassifier if classifier else DecisionTreeRegressor
    trees = []
    for t in range(n_trees):
        idx = rng.integers(0, n, n)
        model = Model(max_depth=depth, random_state=t).fit(X[idx], y[idx])
        trees.append(Tree.from_sklearn(model.tree_))
    Xq = rng.normal(size=(20, d))
    Xq[rng.random(Xq.shape) < nan_rate] = np.nan
    return trees, Xq, rng.normal(size=(30, d))


def _output(trees, X, weights):
    return sum(w * t.predict(X) for w, t in zip(weights, trees))


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    d=st.integers(1, 7),
    depth=st.integers(1, 9),
    classifier=st.booleans(),
    n_trees=st.integers(1, 4),
    method=st.sampled_from(["path_shap", "interventional", "saabas"]),
)
def test_completeness(seed, d, depth, classifier, n_trees, method):
    trees, Xq, bg = _trees(seed, d, depth, classifier, n_trees)
    w = np.random.default_rng(seed).uniform(-1, 2, n_trees)
    names = [f"f{j}" for j in range(d)]
    out_names = [f"c{c}" for c in range(trees[0].n_outputs)] if classifier else None
    e = explain_trees(
        trees, Xq,
        method="path" if method == "saabas" else "shap",
        background=bg if method == "interventional" else None,
        feature_names=names, output_names=out_names, tree_weights=w,
    )
    expected = _output(trees, Xq, w)
    if not classifier:
        expected = expected[:, 0]
    np.testing.assert_allclose(e.output(), expected, rtol=0, atol=1e-10)
    if method == "interventional":
        base = _output(trees, bg, w).mean(axis=0)
        np.testing.assert_allclose(e.base_values[0], base if classifier else base[0], atol=1e-12)


def test_default_weights_average_the_forest_and_estimands():
    X, y = np.random.default_rng(0).normal(size=(200, 3)), np.arange(200.0)
    rf = RandomForestRegressor(n_estimators=4, max_depth=4, random_state=0).fit(X, y)
    trees = [Tree.from_sklearn(e.tree_) for e in rf.estimators_]
    names = ["a", "b", "c"]
    for kwargs, estimand, method in (
        ({}, "path_shap", "tree_shap_path"),
        ({"background": X[:10]}, "interventional_shap", "tree_shap_interventional"),
        ({"method": "path"}, "path_contribution", "saabas"),
    ):
        e = explain_trees(trees, X[:7], feature_names=names, **kwargs)
        assert isinstance(e, Explanation)
        assert (e.estimand, e.method) == (estimand, method)
        assert e.values.shape == (7, 3) and e.base_values.shape == (7,)
        np.testing.assert_allclose(e.output(), rf.predict(X[:7]), atol=1e-9)
        assert e.feature_names == names
        np.testing.assert_array_equal(e.data, X[:7])
    # path SHAP's base is the cover-weighted mean of the root values
    e = explain_trees(trees, X[:2], feature_names=names)
    np.testing.assert_allclose(e.base_values, np.mean([t.value2d[0, 0] for t in trees]))


def test_classifier_values_are_3d_probabilities():
    trees, Xq, bg = _trees(1, classifier=True, n_trees=2)
    e = explain_trees(trees, Xq, background=bg, feature_names=list("abcd"),
                      output_names=["w", "x", "y", "z"])
    assert e.values.shape == (20, 4, 4) and e.base_values.shape == (20, 4)
    assert e.output_names == ["w", "x", "y", "z"]
    np.testing.assert_allclose(e.output().sum(axis=1), 1.0, atol=1e-12)
    # probabilities sum to one whatever the coalition, so per feature the classes cancel
    np.testing.assert_allclose(e.values.sum(axis=2), 0.0, atol=1e-12)


@pytest.mark.parametrize("kwargs", [{}, {"background": "bg"}, {"method": "path"}])
def test_dummy_feature_gets_exactly_zero(kwargs):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 4))
    X[:, 2] = 1.0  # constant: never split on
    y = X[:, 0] * X[:, 1] + X[:, 3]
    tree = Tree.from_sklearn(DecisionTreeRegressor(max_depth=6, random_state=0).fit(X, y).tree_)
    assert 2 not in set(tree.feature)
    Xq = rng.normal(size=(25, 4))
    if kwargs.get("background") == "bg":
        kwargs = {"background": rng.normal(size=(20, 4))}
    e = explain_trees(tree, Xq, feature_names=list("abcd"), **kwargs)
    assert np.all(e.values[:, 2] == 0.0)
    assert np.any(e.values[:, [0, 1, 3]] != 0.0)


def test_saabas_telescopes_to_output_minus_root():
    trees, Xq, _ = _trees(4, d=5, depth=7, classifier=True, n_trees=3)
    w = [0.5, 0.25, 0.25]
    values, base = saabas(trees, Xq, tree_weights=w)
    np.testing.assert_allclose(base, sum(wi * t.value2d[0] for wi, t in zip(w, trees)))
    np.testing.assert_allclose(values.sum(axis=1), _output(trees, Xq, w) - base, atol=1e-12)
    # each tree credits only the features tested on the sample's path
    t = trees[0]
    v1, _ = saabas(t, Xq)
    path = t.decision_path(Xq).toarray().astype(bool)
    for i in range(len(Xq)):
        tested = set(t.feature[path[i] & (t.children_left >= 0)])
        untouched = [j for j in range(5) if j not in tested]
        assert np.all(v1[i, untouched] == 0.0)


def test_does_not_modify_inputs_and_accepts_dataframes():
    trees, Xq, bg = _trees(5)
    Xc, bgc = Xq.copy(), bg.copy()
    e1 = explain_trees(trees, Xq, background=bg, feature_names=list("abcd"))
    np.testing.assert_array_equal(Xq, Xc)
    np.testing.assert_array_equal(bg, bgc)
    assert not np.shares_memory(e1.data, Xq)
    e2 = explain_trees(trees, pd.DataFrame(Xq, columns=list("abcd")),
                       background=pd.DataFrame(bg), feature_names=list("abcd"))
    np.testing.assert_array_equal(e1.values, e2.values)


def test_clear_errors():
    trees, Xq, bg = _trees(6, classifier=True)
    names = list("abcd")
    outs = ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="method must be one of"):
        explain_trees(trees, Xq, method="kernel", feature_names=names, output_names=outs)
    with pytest.raises(ValueError, match="X has 3 features"):
        explain_trees(trees, Xq[:, :3], feature_names=names[:3], output_names=outs)
    with pytest.raises(ValueError, match="background has 5 features"):
        explain_trees(trees, Xq, background=np.zeros((4, 5)), feature_names=names,
                      output_names=outs)
    with pytest.raises(ValueError, match="background is empty"):
        explain_trees(trees, Xq, background=np.zeros((0, 4)), feature_names=names,
                      output_names=outs)
    with pytest.raises(ValueError, match="feature names"):
        explain_trees(trees, Xq, feature_names=names[:2], output_names=outs)
    with pytest.raises(ValueError, match="output_names"):
        explain_trees(trees, Xq, feature_names=names)
    with pytest.raises(ValueError, match="tree_weights has 2 entries"):
        explain_trees(trees, Xq, feature_names=names, output_names=outs, tree_weights=[1, 2])
    with pytest.raises(ValueError, match="trees is empty"):
        explain_trees([], Xq, feature_names=names)
    with pytest.raises(ValueError, match="Tree.from_sklearn"):
        explain_trees([object()], Xq, feature_names=names)
    with pytest.raises(ValueError, match="2-D"):
        explain_trees(trees, Xq[0], feature_names=names, output_names=outs)
    with pytest.raises(ValueError, match="non-numeric|numeric"):
        explain_trees(trees, np.array([["a"] * 4]), feature_names=names, output_names=outs)
    with pytest.raises(ValueError, match="only used by method='shap'"):
        explain_trees(trees, Xq, method="path", background=bg, feature_names=names,
                      output_names=outs)


def test_empty_batch_and_thread_count_restored():
    import numba

    trees, Xq, bg = _trees(8, classifier=True)
    before = numba.get_num_threads()
    for kwargs in ({}, {"background": bg}, {"method": "path"}):
        e = explain_trees(trees, Xq[:0], feature_names=list("abcd"),
                          output_names=["a", "b", "c", "d"], **kwargs)
        assert e.values.shape == (0, 4, 4) and e.base_values.shape == (0, 4)
        explain_trees(trees, Xq[:2], feature_names=list("abcd"),
                      output_names=["a", "b", "c", "d"], **kwargs)
        assert numba.get_num_threads() == before
