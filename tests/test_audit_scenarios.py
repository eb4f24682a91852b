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


def test_recall_against_what_the_fitted_model_uses():
    """A tree on the shortcut scenario uses x0 besides the planted watermark: recall is scored
    against the model's use on the data (the generator's counterfactuals), the plan beside."""
    from glassworks import DecisionTreeClassifier

    s = make_scenario("shortcut", n_samples=500, random_state=0)
    m = DecisionTreeClassifier(max_depth=5, random_state=0).fit(s.X, s.y)
    used, share = s.used_on_data(lambda Z: m.predict_proba(Z)[:, 1])
    w = s.feature_names.index("watermark")
    assert w in used and 0 in used  # the fitted tree also relies on x0
    assert share[w] > 0.2 and share[5] == 0.0
    assert used == [0, w]

    def plan_only(predict_fn, X, background):  # puts everything on the planted watermark
        A = np.zeros_like(X)
        A[:, w] = 1.0
        return A

    def model_use(predict_fn, X, background):  # on what the fitted model uses
        A = np.zeros_like(X)
        A[:, [0, w]] = 1.0
        return A

    exps = [("plan_only", plan_only, "interventional_shap"),
            ("model_use", model_use, "interventional_shap")]
    rep = audit(m, s.X[:5], background=s.X[:40], explainers=exps, metrics=["recall_at_k"],
                random_state=0, scenario=s)
    note = [n for n in rep.notes if n.startswith("recall_at_k")][0]
    assert "the plan differs: watermark" in note and "x0" in note
    assert list(rep.relevant) == s.relevant  # the report still shows the plan
    assert rep.score("model_use", "recall_at_k") == 1.0
    # watermark in its top 2, and x0 with chance 1/7 among the 7 tied zeros: < 1, while it
    # reads 1.0 against the plan alone
    assert rep.score("plan_only", "recall_at_k") == pytest.approx(0.5 + 0.5 / 7)
    plan = audit(m, s.X[:5], background=s.X[:40], explainers=exps, metrics=["recall_at_k"],
                 random_state=0, relevant_features=s.relevant)
    assert plan.score("plan_only", "recall_at_k") == 1.0


def test_recall_plan_and_use_agree_on_proxy():
    from glassworks import RandomForestRegressor

    s = make_scenario("proxy", n_samples=600, random_state=0)
    m = RandomForestRegressor(n_estimators=20, max_depth=3, random_state=0).fit(s.X, s.y)
    used, share = s.used_on_data(m.predict)
    assert used == [0, 2] and share[1] < 0.05  # the proxy's redraw given x0 changes little
