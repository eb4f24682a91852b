"""interpret integration: every glassworks model gives interpret explanation objects that render."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

import glassworks as gw
from glassworks.integrations.interpret import global_importances

pytest.importorskip("interpret")
plotly = pytest.importorskip("plotly")


def _case(name):
    Xi, yi = load_iris(return_X_y=True, as_frame=True)
    Xd, yd = load_diabetes(return_X_y=True, as_frame=True)
    Xb, yb = load_breast_cancer(return_X_y=True, as_frame=True)
    Xb = Xb.iloc[:, :8]
    if name == "tree_clf":
        return gw.DecisionTreeClassifier(max_depth=3, random_state=0).fit(Xi, yi), Xi, yi
    if name == "tree_reg":
        return gw.DecisionTreeRegressor(max_depth=3, random_state=0).fit(Xd, yd), Xd, yd
    if name == "forest_clf":
        return gw.RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(Xi, yi), Xi, yi
    if name == "forest_reg":
        return gw.RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0).fit(Xd, yd), Xd, yd
    if name == "maple_reg":
        return gw.MapleRegressor(n_estimators=10, random_state=0).fit(Xd, yd), Xd, yd
    if name == "maple_clf":
        return gw.MapleClassifier(n_estimators=10, random_state=0).fit(Xb, yb), Xb, yb
    if name == "rules":
        return gw.RuleListClassifier(max_rules=4).fit(Xb, yb), Xb, yb
    raise KeyError(name)


CASES = ["tree_clf", "tree_reg", "forest_clf", "forest_reg", "maple_reg", "maple_clf", "rules"]


@pytest.mark.parametrize("name", CASES)
def test_local_explanation_matches_native_and_renders(name):
    model, X, y = _case(name)
    rows = X.iloc[:5]
    e = model.explain_local(rows, y.iloc[:5])
    native = model.explain(rows)
    contrib = native.values
    if native.estimand == "local_slope":  # coefficients become additive contributions
        xs = rows.to_numpy(dtype=float)
        contrib = contrib * (xs if contrib.ndim == 2 else xs[:, :, None])
    for i in range(len(rows)):
        d = e.data(i)
        assert d["names"] == list(X.columns)
        scores = np.asarray(d["scores"])
        # the bars plus the base value add up to the prediction shown
        np.testing.assert_allclose(
            scores.sum() + d["extra"]["scores"][0], d["perf"]["predicted_score"], atol=1e-8
        )
        if contrib.ndim == 3:
            proba = model.predict_proba(rows.iloc[[i]])[0]
            c = 1 if len(proba) == 2 else int(np.argmax(proba))
            np.testing.assert_allclose(scores, contrib[i, :, c])
            if native.estimand != "local_slope":
                # MAPLE's local linear model is not clipped to [0, 1] the way its
                # predict_proba is; the bars show the local model, checked above
                np.testing.assert_allclose(d["perf"]["predicted_score"], proba[c], atol=1e-8)
        else:
            np.testing.assert_allclose(scores, contrib[i])
            np.testing.assert_allclose(
                d["perf"]["predicted_score"], model.predict(rows.iloc[[i]])[0], atol=1e-8
            )
    assert isinstance(e.visualize(0), plotly.graph_objs.Figure)


@pytest.mark.parametrize("name", CASES)
def test_global_explanation_renders(name):
    model, X, _ = _case(name)
    g = model.explain_global()
    assert g.data()["names"] == list(X.columns)
    scores = np.asarray(g.data()["scores"])
    assert scores.shape == (X.shape[1],) and np.all(scores >= 0)
    np.testing.assert_allclose(scores.sum(), 1.0)
    if hasattr(model, "feature_importances_"):
        np.testing.assert_allclose(scores, model.feature_importances_ / model.feature_importances_.sum())
    assert isinstance(g.visualize(), plotly.graph_objs.Figure)


def test_rule_list_global_importance_is_support_of_tested_features():
    model, X, _ = _case("rules")
    scores, what = global_importances(model)
    assert what == "rule support"
    tested = {j for r in model.rules_ for j in r.get("features", [])}
    assert set(np.flatnonzero(scores)) == tested


def test_plot_methods_return_figures():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    tree, Xi, _ = _case("tree_clf")
    fig = tree.plot()
    assert isinstance(fig, Figure)
    rules, Xb, _ = _case("rules")
    fig = rules.plot()
    assert isinstance(fig, Figure)
    maple, Xd, _ = _case("maple_reg")
    assert isinstance(maple.plot(Xd.iloc[0]), Figure)
