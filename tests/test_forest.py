"""Random forests: scikit-learn conformance, agreement with scikit-learn's forests and with shap."""

import copy

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier as SkRFC
from sklearn.ensemble import RandomForestRegressor as SkRFR
from sklearn.utils.estimator_checks import check_estimator

from glassworks import DecisionTreeRegressor, RandomForestClassifier, RandomForestRegressor

_XFAIL = {
    "check_sample_weight_equivalence_on_dense_data": (
        "the bootstrap draws rows uniformly and then multiplies their weights (as "
        "scikit-learn's forests, which expect this check to fail too)"
    )
}


@pytest.mark.parametrize("est", [
    RandomForestRegressor(n_estimators=5, random_state=0),
    RandomForestClassifier(n_estimators=5, random_state=0),
], ids=["regressor", "classifier"])
def test_check_estimator(est):
    check_estimator(est, expected_failed_checks=_XFAIL)


def test_check_estimator_without_bootstrap_passes_weight_equivalence():
    # without the bootstrap, weights are exactly repetitions
    check_estimator(
        RandomForestRegressor(n_estimators=3, bootstrap=False, max_features=None,
                              random_state=0)
    )


@pytest.fixture(scope="module")
def reg_data():
    X, y = make_regression(n_samples=900, n_features=8, n_informative=5, noise=5.0,
                           random_state=0)
    return X[:600], y[:600], X[600:], y[600:]


@pytest.fixture(scope="module")
def clf_data():
    X, y = make_classification(n_samples=900, n_features=8, n_informative=5, n_classes=3,
                               random_state=0)
    return X[:600], y[:600], X[600:], y[600:]


def test_regressor_accuracy_and_oob_close_to_sklearn(reg_data):
    X, y, Xt, yt = reg_data
    ours = RandomForestRegressor(n_estimators=60, oob_score=True, random_state=0).fit(X, y)
    ref = SkRFR(n_estimators=60, oob_score=True, random_state=0).fit(X, y)
    assert abs(ours.score(Xt, yt) - ref.score(Xt, yt)) < 0.03
    assert abs(ours.oob_score_ - ref.oob_score_) < 0.03
    assert ours.oob_prediction_.shape == (600,)


def test_classifier_accuracy_and_oob_close_to_sklearn(clf_data):
    X, y, Xt, yt = clf_data
    ours = RandomForestClassifier(n_estimators=60, oob_score=True, random_state=0).fit(X, y)
    ref = SkRFC(n_estimators=60, oob_score=True, random_state=0).fit(X, y)
    assert abs(ours.score(Xt, yt) - ref.score(Xt, yt)) < 0.04
    assert abs(ours.oob_score_ - ref.oob_score_) < 0.04
    p = ours.predict_proba(Xt)
    np.testing.assert_allclose(p.sum(1), 1.0)
    # predict_proba is the mean of the members' leaf frequencies
    np.testing.assert_allclose(
        p, np.mean([e.predict_proba(Xt) for e in ours.estimators_], axis=0), atol=1e-12
    )


def _tree_arrays(forest):
    return [
        (t.children_left, t.children_right, t.feature, t.threshold, t.value,
         t.n_node_samples, t.weighted_n_node_samples)
        for t in forest.trees_
    ]


@pytest.mark.parametrize("cls", [RandomForestRegressor, RandomForestClassifier])
def test_same_forest_whatever_n_jobs(cls, reg_data, clf_data):
    X, y = (reg_data if cls is RandomForestRegressor else clf_data)[:2]
    a = cls(n_estimators=8, max_features=0.5, random_state=7, n_jobs=1).fit(X, y)
    b = cls(n_estimators=8, max_features=0.5, random_state=7, n_jobs=2).fit(X, y)
    for ta, tb in zip(_tree_arrays(a), _tree_arrays(b)):
        for fa, fb in zip(ta, tb):
            np.testing.assert_array_equal(fa, fb)


def test_one_tree_forest_equals_the_decision_tree(reg_data, clf_data):
    tree_mod = pytest.importorskip("glassworks.tree._classes")
    for cls, tcls, (X, y) in (
        (RandomForestRegressor, tree_mod.DecisionTreeRegressor, reg_data[:2]),
        (RandomForestClassifier, tree_mod.DecisionTreeClassifier, clf_data[:2]),
    ):
        f = cls(n_estimators=1, bootstrap=False, max_features=None, min_samples_leaf=3,
                random_state=0).fit(X, y)
        t = tcls(min_samples_leaf=3, random_state=0).fit(X, y)
        ft, tt = f.trees_[0], t.tree_
        for name in ("children_left", "children_right", "feature", "threshold",
                     "n_node_samples"):
            np.testing.assert_array_equal(getattr(ft, name), getattr(tt, name))
        np.testing.assert_allclose(ft.value, tt.value)
        if cls is RandomForestRegressor:
            np.testing.assert_allclose(f.predict(X), t.predict(X))
        else:
            np.testing.assert_allclose(f.predict_proba(X), t.predict_proba(X))


def test_apply_matches_each_tree(reg_data):
    X, y, Xt, _ = reg_data
    f = RandomForestRegressor(n_estimators=6, random_state=0).fit(X, y)
    leaves = f.apply(Xt)
    assert leaves.shape == (len(Xt), 6)
    for t, est in enumerate(f.estimators_):
        np.testing.assert_array_equal(leaves[:, t], est.apply(Xt))
    np.testing.assert_allclose(f.predict(Xt), np.mean([e.predict(Xt) for e in f.estimators_], 0))
    imp = f.feature_importances_
    assert imp.shape == (8,) and abs(imp.sum() - 1) < 1e-12


def test_explain_completeness_and_shap_agreement(reg_data):
    shap = pytest.importorskip("shap")
    X, y, Xt, _ = reg_data
    f = RandomForestRegressor(n_estimators=10, max_depth=6, random_state=0).fit(X, y)
    e = f.explain(Xt[:20])
    assert e.estimand == "path_shap"
    np.testing.assert_allclose(e.output(), f.predict(Xt[:20]), atol=1e-8)
    model = f.to_shap_model()
    ref = shap.TreeExplainer(copy.deepcopy(model)).shap_values(Xt[:20])
    np.testing.assert_allclose(e.values, ref, atol=1e-6)

    bg = X[:30]
    ei = f.explain(Xt[:10], background=bg)
    assert ei.estimand == "interventional_shap"
    np.testing.assert_allclose(ei.output(), f.predict(Xt[:10]), atol=1e-8)
    te = shap.TreeExplainer(copy.deepcopy(model), data=bg,
                            feature_perturbation="interventional")
    np.testing.assert_allclose(ei.values, te.shap_values(Xt[:10]), atol=1e-6)


def test_classifier_explain_completeness(clf_data):
    X, y, Xt, _ = clf_data
    f = RandomForestClassifier(n_estimators=8, random_state=0).fit(X, y)
    e = f.explain(Xt[:10])
    assert e.values.shape == (10, 8, 3)
    np.testing.assert_allclose(e.output(), f.predict_proba(Xt[:10]), atol=1e-8)


def test_missing_values_are_routed(reg_data):
    X, y, Xt, _ = reg_data
    X = X.copy()
    X[::7, 2] = np.nan
    f = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y)
    Xq = Xt.copy()
    Xq[:, 2] = np.nan
    assert np.isfinite(f.predict(Xq)).all()


def test_bad_input(reg_data):
    X, y, Xt, _ = reg_data
    f = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        f.predict(Xt[:, :5])
    with pytest.raises(ValueError, match="max_features"):
        RandomForestRegressor(max_features="half").fit(X, y)
    with pytest.raises(ValueError, match="bootstrap"):
        RandomForestRegressor(oob_score=True, bootstrap=False).fit(X, y)
    with pytest.raises(ValueError, match="n_estimators"):
        RandomForestRegressor(n_estimators=0).fit(X, y)
    Xi = X.copy()
    Xi[0, 0] = np.inf
    with pytest.raises(ValueError):
        RandomForestRegressor(n_estimators=3).fit(Xi, y)
    Xc = X.copy()
    RandomForestRegressor(n_estimators=3).fit(Xc, y)
    np.testing.assert_array_equal(Xc, X)


def _plain_leaf(tree, x):
    """Oracle: the textbook walk, one row, one tree."""
    node = 0
    while tree.children_left[node] != -1:
        v = x[tree.feature[node]]
        go_left = tree.missing_go_to_left[node] != 0 if np.isnan(v) else v <= tree.threshold[node]
        node = tree.children_left[node] if go_left else tree.children_right[node]
    return node


@pytest.mark.parametrize("n_rows", [1, 3, 4, 5, 37])
def test_packed_walks_match_a_plain_walk_with_missing_values(clf_data, n_rows):
    # the packed kernels walk rows four at a time in blocks per thread: any row count, any
    # thread count, NaN routed as learnt, and the same sums bit for bit
    from numba import get_num_threads, set_num_threads

    X, y, Xt, _ = clf_data
    X = X.copy()
    X[::5, 1] = np.nan
    f = RandomForestClassifier(n_estimators=7, max_depth=9, random_state=0).fit(X, y)
    Xq = Xt[:n_rows].copy()
    Xq[::2, 1] = np.nan
    Xq[1::3, 4] = np.nan
    leaves = np.array([[_plain_leaf(t, x) for t in f.trees_] for x in Xq])
    np.testing.assert_array_equal(f.apply(Xq), leaves)
    proba = np.zeros((n_rows, 3))
    for t, tree in enumerate(f.trees_):
        proba += tree.value2d[leaves[:, t]] / 7
    np.testing.assert_allclose(f.predict_proba(Xq), proba, rtol=1e-12)
    previous = get_num_threads()
    try:
        set_num_threads(1)
        one = f.predict_proba(Xq)
    finally:
        set_num_threads(previous)
    np.testing.assert_array_equal(one, f.predict_proba(Xq))
    for t, est in enumerate(f.estimators_):
        np.testing.assert_array_equal(est.apply(Xq), leaves[:, t])


@pytest.mark.parametrize("cls", [RandomForestRegressor, RandomForestClassifier])
@pytest.mark.parametrize("params", [
    dict(max_features=0.5, min_samples_leaf=3),
    dict(max_features=None, max_leaf_nodes=9, min_weight_fraction_leaf=0.02),
])
def test_batched_growth_equals_one_grow_tree_call_per_tree(cls, params, reg_data, clf_data,
                                                           monkeypatch):
    # small data: all trees grow in one kernel call per run (_batch); large data: one
    # grow_tree call per tree. Same trees, predictions and leaves either way, any n_jobs
    import pickle

    from glassworks.forest import _classes

    X, y, Xt, _ = reg_data if cls is RandomForestRegressor else clf_data
    X = X.copy()
    X[::7, 2] = np.nan
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    batched = [cls(n_estimators=9, random_state=3, n_jobs=j, **params).fit(X, y, sw)
               for j in (1, 2)]
    assert batched[0]._flat is not None
    monkeypatch.setattr(_classes, "_BATCH_ROWS", 0)
    each = cls(n_estimators=9, random_state=3, **params).fit(X, y, sw)
    assert each._flat is None
    # pickled before the trees were ever built: they are rebuilt from the flat arrays
    restored = pickle.loads(pickle.dumps(batched[1]))
    for f in batched + [restored]:
        for ta, tb in zip(_tree_arrays(f), _tree_arrays(each)):
            for fa, fb in zip(ta, tb):
                np.testing.assert_array_equal(fa, fb)
        np.testing.assert_array_equal(f.apply(Xt), each.apply(Xt))
        out = "predict" if cls is RandomForestRegressor else "predict_proba"
        np.testing.assert_array_equal(getattr(f, out)(Xt), getattr(each, out)(Xt))
        assert [e.random_state for e in f.estimators_] == [
            e.random_state for e in each.estimators_]
    np.testing.assert_array_equal(batched[0].feature_importances_, each.feature_importances_)


def test_pickling_keeps_the_live_forest_s_trees(reg_data):
    import pickle

    X, y = reg_data[:2]
    f = RandomForestRegressor(n_estimators=3, random_state=0).fit(X[:100], y[:100])
    first = f.estimators_
    restored = pickle.loads(pickle.dumps(f))
    assert f.estimators_ is first
    for a, b in zip(restored.trees_, f.trees_):
        np.testing.assert_array_equal(a.threshold, b.threshold)


def test_read_only_target_compiles_no_second_grower():
    # pandas' copy-on-write arrays are read-only, a distinct Numba type: the grower must see
    # the same types either way (else the whole grower compiles twice)
    from glassworks.tree import grower

    X, y = make_regression(n_samples=200, n_features=4, random_state=0)
    b = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, y).predict(X)
    t = DecisionTreeRegressor(random_state=0).fit(X, y).predict(X)
    seen = set(grower._grow_kernel.signatures)
    y_ro = y.copy()
    y_ro.flags.writeable = False
    a = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, y_ro).predict(X)
    u = DecisionTreeRegressor(random_state=0).fit(X, y_ro).predict(X)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(t, u)
    assert set(grower._grow_kernel.signatures) == seen
