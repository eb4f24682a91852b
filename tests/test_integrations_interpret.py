"""interpret integration: glassworks models give interpret explanation objects that render."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris

import glassworks as gw
from glassworks.integrations.interpret import explain_global, explain_local

pytest.importorskip("interpret")
plotly = pytest.importorskip("plotly")


def _models():
    X, y = load_iris(return_X_y=True, as_frame=True)
    yield gw.DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y), X, y
    Xr, yr = load_diabetes(return_X_y=True, as_frame=True)
    yield gw.DecisionTreeRegressor(max_depth=3, random_state=0).fit(Xr, yr), Xr, yr


@pytest.mark.parametrize("case", range(2))
def test_local_explanation_matches_native_and_renders(case):
    model, X, y = list(_models())[case]
    rows = X.iloc[:6]
    e = explain_local(model, rows, y.iloc[:6])
    native = model.explain(rows)
    for i in range(len(rows)):
        d = e.data(i)
        assert d["names"] == list(X.columns)
        scores = np.asarray(d["scores"])
        # the bar chart's bars plus the base value add up to the prediction shown
        np.testing.assert_allclose(
            scores.sum() + d["extra"]["scores"][0], d["perf"]["predicted_score"]
        )
        if native.values.ndim == 3:
            c = int(np.argmax(model.predict_proba(rows.iloc[[i]])[0]))
            np.testing.assert_allclose(scores, native.values[i, :, c])
            assert d["perf"]["predicted"] == model.classes_[c]
        else:
            np.testing.assert_allclose(scores, native.values[i])
            np.testing.assert_allclose(d["perf"]["predicted_score"], model.predict(rows.iloc[[i]])[0])
    assert isinstance(e.visualize(0), plotly.graph_objs.Figure)


@pytest.mark.parametrize("case", range(2))
def test_global_explanation_is_feature_importances_and_renders(case):
    model, X, _ = list(_models())[case]
    g = explain_global(model)
    assert g.data()["names"] == list(X.columns)
    np.testing.assert_allclose(g.data()["scores"], model.feature_importances_)
    assert isinstance(g.visualize(), plotly.graph_objs.Figure)
