"""The flat Tree contract: its walks agree with scikit-learn's on scikit-learn's own trees."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassworks.tree._tree import Tree


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    depth=st.integers(1, 8),
    nan_rate=st.sampled_from([0.0, 0.2]),
    classifier=st.booleans(),
)
def test_walks_agree_with_sklearn(seed, depth, nan_rate, classifier):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 5))
    y = X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(scale=0.3, size=300)
    if classifier:
        y = np.digitize(y, [-0.5, 0.5])
    X[rng.random(X.shape) < nan_rate] = np.nan
    Model = DecisionTreeClassifier if classifier else DecisionTreeRegressor
    m = Model(max_depth=depth, random_state=seed).fit(X, y)
    t = Tree.from_sklearn(m.tree_)
    Xq = rng.normal(size=(200, 5))
    Xq[rng.random(Xq.shape) < nan_rate] = np.nan
    np.testing.assert_array_equal(t.apply(Xq), m.apply(Xq))
    assert (t.decision_path(Xq) != m.decision_path(Xq)).nnz == 0
    pred = t.predict(Xq)
    if classifier:
        np.testing.assert_allclose(pred, m.predict_proba(Xq))
    else:
        np.testing.assert_allclose(pred[:, 0], m.predict(Xq))
    assert t.n_leaves == m.get_n_leaves()
    assert t.max_depth == m.get_depth()


def test_from_sklearn_copies_arrays():
    X = np.random.default_rng(0).normal(size=(50, 3))
    m = DecisionTreeRegressor(max_depth=3).fit(X, X[:, 0])
    t = Tree.from_sklearn(m.tree_)
    t.threshold[0] = 123.0
    assert m.tree_.threshold[0] != 123.0


def test_inconsistent_fields_are_rejected():
    with pytest.raises(ValueError, match="shape"):
        Tree(
            children_left=[-1],
            children_right=[-1, -1],
            feature=[-2],
            threshold=[-2.0],
            missing_go_to_left=[0],
            value=np.zeros((1, 1)),
            n_node_samples=[1],
            weighted_n_node_samples=[1.0],
            impurity=[0.0],
            n_features=1,
        )
