"""Planted-truth scenarios: their structure, and recall at k in an audit."""

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassworks.comparator import audit
from glassworks.comparator.scenarios import SCENARIOS, make_scenario


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenarios_are_seeded_and_planted(name):
    a = make_scenario(name, n_samples=300, random_state=1)
    b = make_scenario(name, n_samples=300, random_state=1)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert a.X.shape == (300, 8) and len(a.feature_names) == 8
    assert set(a.roles) == set(a.feature_names)
    Model = DecisionTreeClassifier if a.task == "classification" else DecisionTreeRegressor
    m = Model(max_depth=4, random_state=0).fit(a.X, a.y)
    # the model leans on the planted features: they carry most of its importance
    assert m.feature_importances_[a.relevant].sum() > 0.8


def test_proxy_is_correlated_but_unused():
    s = make_scenario("proxy", n_samples=500, random_state=0)
    assert np.corrcoef(s.X[:, 0], s.X[:, 1])[0, 1] > 0.95
    m = DecisionTreeRegressor(max_depth=4, random_state=0).fit(s.X, s.y)
    assert 1 not in m.tree_.feature


def test_shortcut_is_what_the_model_uses():
    s = make_scenario("shortcut", n_samples=500, random_state=0)
    assert np.mean(s.X[:, -1] == s.y) > 0.9
    m = DecisionTreeClassifier(max_depth=2, random_state=0).fit(s.X, s.y)
    assert m.tree_.feature[0] == len(s.feature_names) - 1


def test_recall_at_k_in_an_audit():
    s = make_scenario("sparse", n_samples=400, n_features=6, k=2, random_state=0)
    m = DecisionTreeRegressor(max_depth=3, random_state=0).fit(s.X, s.y)

    def wrong(predict_fn, X, background):
        v = np.zeros(X.shape)
        v[:, -2:] = 1.0  # points at two noise features
        return v

    rep = audit(m, s.X[:5], background=s.X[:40], relevant_features=s.relevant,
                explainers=["tree_shap", ("wrong", wrong, "interventional_shap")],
                metrics=["recall_at_k"], random_state=0)
    assert rep.score("tree_shap", "recall_at_k") == 1.0
    assert rep.score("wrong", "recall_at_k") == 0.0


def test_bad_scenario_arguments():
    with pytest.raises(ValueError, match="Unknown scenario"):
        make_scenario("nope")
    with pytest.raises(ValueError, match="n_features"):
        make_scenario("proxy", n_features=2)
