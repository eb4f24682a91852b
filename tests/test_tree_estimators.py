"""DecisionTreeClassifier / DecisionTreeRegressor against scikit-learn's, and their contract."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import tree as sktree
from sklearn.datasets import make_classification, make_regression
from sklearn.utils.estimator_checks import parametrize_with_checks

from glassworks import DecisionTreeClassifier, DecisionTreeRegressor
from glassworks.tree._tree import Tree


# -- helpers ---------------------------------------------------------------------------------
def assert_same_tree(ours, theirs):
    """Walk both trees from the root and compare node by node.

    Where the two trees split on different features or thresholds the splits must be equally
    good (a tie in the impurity decrease, broken differently: scikit-learn visits features in
    random order); such subtrees are not compared further. A pure node may be a leaf in one
    tree only: scikit-learn computes class proportions from separately rounded weight sums, so
    with float weights a pure node can show an impurity of ~1e-16 > EPSILON and be split.
    Returns the number of such divergences.
    """
    a, b = ours, Tree.from_sklearn(theirs) if not isinstance(theirs, Tree) else theirs
    ties = 0
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        assert a.n_node_samples[i] == b.n_node_samples[j]
        np.testing.assert_allclose(a.weighted_n_node_samples[i], b.weighted_n_node_samples[j])
        np.testing.assert_allclose(a.impurity[i], b.impurity[j], atol=1e-9)
        np.testing.assert_allclose(a.value[i], b.value[j], atol=1e-9)
        leaf_a = a.children_left[i] == -1
        leaf_b = b.children_left[j] == -1
        if leaf_a != leaf_b:
            assert max(a.impurity[i], b.impurity[j]) < 1e-12, f"node {i}: leaf in one tree only"
            ties += 1
            continue
        if leaf_a:
            continue
        kids_a = (a.children_left[i], a.children_right[i])
        kids_b = (b.children_left[j], b.children_right[j])
        if a.feature[i] == b.feature[j] and a.threshold[i] == b.threshold[j]:
            assert a.missing_go_to_left[i] == b.missing_go_to_left[j]
            stack.extend(zip(kids_a, kids_b))
        else:
            ties += 1
            cost_a = sum(a.weighted_n_node_samples[k] * a.impurity[k] for k in kids_a)
            cost_b = sum(b.weighted_n_node_samples[k] * b.impurity[k] for k in kids_b)
            np.testing.assert_allclose(cost_a, cost_b, rtol=1e-9, atol=1e-9)
    return ties


def few_values_data(seed, n=800, d=5, levels=8, classes=3, nan_rate=0.0):
    """Features with few distinct values (so our bins are sklearn's candidate thresholds)
    and a target with noise (so that equally good splits are rare)."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, levels, size=(n, d)).astype(float) * 0.5
    score = X[:, 0] - 0.8 * X[:, 1] + 0.3 * X[:, 2] * X[:, -1] + rng.normal(scale=0.7, size=n)
    y_clf = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    if nan_rate:
        X[rng.random(X.shape) < nan_rate] = np.nan
    return X, y_clf, score


# max_leaf_nodes None: depth-first growth (depth-limited: deep nodes are small and full of
# ties); an int: best-first growth
CASES = [
    ("gini", None, False, False),
    ("gini", None, True, True),
    ("entropy", None, True, False),
    ("log_loss", 15, False, True),
    ("gini", 25, True, False),
    ("squared_error", None, False, False),
    ("squared_error", None, True, False),
    ("squared_error", 20, True, False),
]


# -- differential against scikit-learn -------------------------------------------------------
@pytest.mark.parametrize("criterion,max_leaf_nodes,weighted,class_weight", CASES)
def test_same_tree_as_sklearn(criterion, max_leaf_nodes, weighted, class_weight):
    X, y_clf, y_reg = few_values_data(0)
    w = np.random.default_rng(1).uniform(0.5, 3.0, size=X.shape[0]) if weighted else None
    params = dict(criterion=criterion, max_leaf_nodes=max_leaf_nodes, min_samples_leaf=3,
                  max_depth=6 if max_leaf_nodes is None else None, random_state=0)
    if criterion == "squared_error":
        ours = DecisionTreeRegressor(**params).fit(X, y_reg, sample_weight=w)
        theirs = sktree.DecisionTreeRegressor(**params).fit(X, y_reg, sample_weight=w)
    else:
        if class_weight:
            params["class_weight"] = "balanced"
        ours = DecisionTreeClassifier(**params).fit(X, y_clf, sample_weight=w)
        theirs = sktree.DecisionTreeClassifier(**params).fit(X, y_clf, sample_weight=w)
    ties = assert_same_tree(ours.tree_, theirs.tree_)
    if ties == 0:
        assert ours.tree_.node_count == theirs.tree_.node_count
        np.testing.assert_array_equal(ours.tree_.feature, theirs.tree_.feature)
        np.testing.assert_array_equal(ours.tree_.threshold, theirs.tree_.threshold)
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
        np.testing.assert_allclose(ours.feature_importances_, theirs.feature_importances_,
                                   atol=1e-9)
    else:
        # ties only deep down, where nodes are small
        assert ties <= 3
    if max_leaf_nodes is not None:
        assert ours.get_n_leaves() == theirs.get_n_leaves() == max_leaf_nodes


@pytest.mark.parametrize("param", [
    {"max_depth": 3},
    {"min_samples_split": 40},
    {"min_samples_leaf": 0.05},
    {"min_weight_fraction_leaf": 0.04},
    {"min_impurity_decrease": 0.01},
    {"ccp_alpha": 0.004},
])
def test_stopping_rules_as_sklearn(param):
    X, y, _ = few_values_data(2)
    ours = DecisionTreeClassifier(random_state=0, **param).fit(X, y)
    theirs = sktree.DecisionTreeClassifier(random_state=0, **param).fit(X, y)
    assert assert_same_tree(ours.tree_, theirs.tree_) <= 2


def test_pruning_path_as_sklearn():
    X, _, y = few_values_data(3, n=300)
    ours = DecisionTreeRegressor(max_depth=6, min_samples_leaf=5).cost_complexity_pruning_path(X, y)
    theirs = sktree.DecisionTreeRegressor(
        max_depth=6, min_samples_leaf=5, random_state=0
    ).cost_complexity_pruning_path(X, y)
    np.testing.assert_allclose(ours.ccp_alphas, theirs.ccp_alphas, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(ours.impurities, theirs.impurities, rtol=1e-7, atol=1e-12)


def test_missing_values_as_sklearn():
    # NaN in an informative feature: the NaN side of each split is learnt from the data
    X, y, score = few_values_data(4, nan_rate=0.15)
    Xq, _, _ = few_values_data(5, n=300, nan_rate=0.3)
    for ours, theirs, target in [
        (DecisionTreeClassifier(max_depth=4), sktree.DecisionTreeClassifier(max_depth=4,
                                                                            random_state=0), y),
        (DecisionTreeRegressor(max_depth=4), sktree.DecisionTreeRegressor(max_depth=4,
                                                                          random_state=0), score),
    ]:
        ours.fit(X, target)
        theirs.fit(X, target)
        assert assert_same_tree(ours.tree_, theirs.tree_) == 0
        np.testing.assert_allclose(ours.predict(Xq), theirs.predict(Xq))


def test_missing_values_only_at_predict_go_to_the_bigger_child():
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    y = np.array([0, 0, 0, 1, 1])
    ours = DecisionTreeClassifier().fit(X, y)
    theirs = sktree.DecisionTreeClassifier().fit(X, y)
    assert ours.tree_.threshold[0] == theirs.tree_.threshold[0] == 2.5
    assert ours.predict([[np.nan]])[0] == theirs.predict([[np.nan]])[0] == 0


@pytest.mark.parametrize("depth", [6, None])
def test_continuous_data_close_to_sklearn(depth):
    # quantile bins instead of exact thresholds: the test scores stay close to sklearn's
    # (averaged over three data sets: unbounded trees are high-variance)
    ours, theirs = [], []
    for seed in range(3):
        X, y = make_classification(n_samples=4000, n_features=10, n_informative=6,
                                   random_state=seed)
        Xr, yr = make_regression(n_samples=4000, n_features=10, noise=5.0, random_state=seed)
        tr, te = slice(0, 3000), slice(3000, None)
        for ModelA, ModelB, (A, b) in [
            (DecisionTreeClassifier, sktree.DecisionTreeClassifier, (X, y)),
            (DecisionTreeRegressor, sktree.DecisionTreeRegressor, (Xr, yr)),
        ]:
            ours.append(ModelA(max_depth=depth, random_state=0).fit(A[tr], b[tr])
                        .score(A[te], b[te]))
            theirs.append(ModelB(max_depth=depth, random_state=0).fit(A[tr], b[tr])
                          .score(A[te], b[te]))
    ours, theirs = np.array(ours).reshape(3, 2), np.array(theirs).reshape(3, 2)
    assert np.all(ours.mean(axis=0) >= theirs.mean(axis=0) - 0.03)


# -- invariants ------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    min_samples_leaf=st.integers(1, 12),
    max_depth=st.sampled_from([None, 2, 5]),
    max_leaf_nodes=st.sampled_from([None, 7]),
    max_features=st.sampled_from([None, 2, "sqrt"]),
    nan_rate=st.sampled_from([0.0, 0.2]),
    max_bins=st.sampled_from([255, 8]),
)
def test_invariants(seed, min_samples_leaf, max_depth, max_leaf_nodes, max_features, nan_rate,
                    max_bins):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(250, 4))
    X[:, 3] = rng.integers(0, 3, size=250)
    y = np.digitize(X[:, 0] + X[:, 1] * X[:, 3] + rng.normal(scale=0.5, size=250), [-1, 0, 1])
    X[rng.random(X.shape) < nan_rate] = np.nan
    clf = DecisionTreeClassifier(
        min_samples_leaf=min_samples_leaf, max_depth=max_depth, max_leaf_nodes=max_leaf_nodes,
        max_features=max_features, max_bins=max_bins, random_state=seed,
    ).fit(X, y)
    t = clf.tree_
    leaves = t.children_left == -1
    internal = ~leaves
    assert np.all(t.n_node_samples[leaves] >= min_samples_leaf)
    # children partition their parent
    np.testing.assert_array_equal(
        t.n_node_samples[internal],
        t.n_node_samples[t.children_left[internal]] + t.n_node_samples[t.children_right[internal]],
    )
    if max_depth is not None:
        assert clf.get_depth() <= max_depth
    if max_leaf_nodes is not None:
        assert clf.get_n_leaves() <= max_leaf_nodes
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # apply agrees with a plain walk of tree_, NaN routed by missing_go_to_left
    leaf = clf.apply(X)
    np.testing.assert_array_equal(leaf, t.apply(X))
    for i in range(0, 250, 7):
        node = 0
        while t.children_left[node] != -1:
            v = X[i, t.feature[node]]
            left = t.missing_go_to_left[node] if np.isnan(v) else v <= t.threshold[node]
            node = t.children_left[node] if left else t.children_right[node]
        assert node == leaf[i]
    # training rows reach exactly the counts stored in the leaves
    np.testing.assert_array_equal(np.bincount(leaf, minlength=t.node_count)[leaves],
                                  t.n_node_samples[leaves])
    # thresholds lie between observed values: each split separates training rows
    for node in np.flatnonzero(internal):
        col = X[:, t.feature[node]]
        obs = col[~np.isnan(col)]
        thr = t.threshold[node]
        assert np.isinf(thr) or (obs.min() <= thr < obs.max())
    # decision_path is the walk
    path = clf.decision_path(X)
    assert path.shape == (250, t.node_count)
    np.testing.assert_array_equal(path[np.arange(250), leaf].A1, 1)
    assert np.all(path[:, 0].toarray() == 1)
    # log-proba and predict
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_same_random_state_same_tree():
    X, y = make_classification(n_samples=1500, n_features=12, random_state=1)
    a = DecisionTreeClassifier(max_features="sqrt", random_state=3).fit(X, y).tree_
    b = DecisionTreeClassifier(max_features="sqrt", random_state=3).fit(X, y).tree_
    c = DecisionTreeClassifier(max_features="sqrt", random_state=4).fit(X, y).tree_
    np.testing.assert_array_equal(a.feature, b.feature)
    np.testing.assert_array_equal(a.threshold, b.threshold)
    assert a.node_count != c.node_count or not np.array_equal(a.feature, c.feature)


# -- labels, frames, explanations ------------------------------------------------------------
def test_string_labels_one_class_and_frames():
    X, y, _ = few_values_data(6, n=200, d=3)
    labels = np.array(["low", "mid", "high"])[y]
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    clf = DecisionTreeClassifier(max_depth=3).fit(df, labels)
    assert list(clf.classes_) == ["high", "low", "mid"]
    assert set(clf.predict(df)) <= set(labels)
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c"])
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df.rename(columns={"a": "z"}))
    # one class: scikit-learn fits a single leaf that predicts it
    one = DecisionTreeClassifier().fit(X, np.full(200, "only"))
    assert one.tree_.node_count == 1
    assert list(one.predict(X[:3])) == ["only"] * 3
    np.testing.assert_array_equal(one.predict_proba(X[:3]), np.ones((3, 1)))


def test_explanations_are_wired():
    X, y, score = few_values_data(7, n=300, d=4)
    clf = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    e = clf.explain(X[:10])
    assert e.values.shape == (10, 4, 3)
    np.testing.assert_allclose(e.base_values + e.values.sum(axis=1), clf.predict_proba(X[:10]),
                               atol=1e-9)
    reg = DecisionTreeRegressor(max_depth=4).fit(X, score)
    e = reg.explain(X[:10], background=X[:20])
    assert e.values.shape == (10, 4)
    np.testing.assert_allclose(e.base_values + e.values.sum(axis=1), reg.predict(X[:10]),
                               atol=1e-9)
    p = reg.explain(X[:10], method="path")
    np.testing.assert_allclose(p.base_values + p.values.sum(axis=1), reg.predict(X[:10]),
                               atol=1e-9)
    rules = clf.explain_rules(X[:5])
    assert len(rules) == 5 and all("=>" in r for r in rules)
    model = reg.to_shap_model()
    assert len(model["trees"]) == 1


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("Model", [DecisionTreeClassifier, DecisionTreeRegressor])
def test_bad_input(Model):
    X, y, _ = few_values_data(8, n=60, d=3)
    Xinf = X.copy()
    Xinf[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        Model().fit(Xinf, y)
    with pytest.raises(ValueError, match="2D array"):
        Model().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="0 sample"):
        Model().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="(?i)negative"):
        Model().fit(X, y, sample_weight=np.r_[-1.0, np.ones(59)])
    with pytest.raises(ValueError, match="NaN"):
        Model().fit(X, y, sample_weight=np.r_[np.nan, np.ones(59)])
    with pytest.raises(ValueError, match="non-numeric"):
        # string columns are categorical by default (tests/test_categorical.py); without
        # categorical features they are refused by name
        Model(categorical_features=None).fit(pd.DataFrame({"a": ["x"] * 60, "b": X[:, 1]}), y)
    m = Model().fit(X, y)
    with pytest.raises(ValueError, match="3 features"):
        m.predict(X[:, :2])
    with pytest.raises(ValueError, match="infinity"):
        m.predict(Xinf)


@pytest.mark.parametrize("Model", [DecisionTreeClassifier, DecisionTreeRegressor])
def test_inputs_not_modified(Model):
    X, y, _ = few_values_data(9, n=100, d=3, nan_rate=0.1)
    w = np.linspace(0.5, 2.0, 100)
    X0, y0, w0 = X.copy(), y.copy(), w.copy()
    m = Model(max_features=2, random_state=0).fit(X, y, sample_weight=w)
    m.predict(X)
    m.apply(X)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(w, w0)


# -- scikit-learn conformance ----------------------------------------------------------------
@parametrize_with_checks([DecisionTreeClassifier(random_state=0),
                          DecisionTreeRegressor(random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
