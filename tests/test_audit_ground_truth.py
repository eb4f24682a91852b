"""Ground truth of each model family, checked against brute-force enumeration of coalitions."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassworks.comparator.ground_truth import compute_truth, supported_families
from glassworks.shapley import exact_baseline_shapley, exact_interventional_shapley


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    X[:, 3] = X[:, 0] + 0.3 * rng.normal(size=300)  # correlated
    y = 2 * X[:, 0] - X[:, 1] + (X[:, 2] > 0) + 0.1 * rng.normal(size=300)
    return X, y


def _enum(target, X, bg):
    out = np.empty(X.shape)
    for c, rows in target.groups():
        out[rows] = exact_interventional_shapley(target.fn(c), X[rows], bg)[0]
    return out


def test_linear_closed_form_matches_enumeration(data):
    X, y = data
    m = Lasso(alpha=0.05).fit(X, y)
    assert np.any(m.coef_ == 0)
    truth, target = compute_truth(m, X[:6], X[:40])
    assert np.allclose(truth.values["interventional_shap"], _enum(target, X[:6], X[:40]),
                       atol=1e-10)
    base = X[:40].mean(axis=0)
    assert np.allclose(truth.values["baseline_shap"],
                       exact_baseline_shapley(m.predict, X[:6], base)[0], atol=1e-10)
    assert np.array_equal(truth.dummy, m.coef_ == 0)
    assert np.allclose(truth.values["local_slope"], m.coef_)


def test_logistic_truth_is_in_log_odds(data):
    X, y = data
    yc = (y > 0).astype(int)
    m = LogisticRegression().fit(X, yc)
    truth, target = compute_truth(m, X[:5], X[:30])
    assert "log-odds" in target.description
    assert np.allclose(target.fn(0)(X[:5]), m.decision_function(X[:5]))
    assert np.allclose(truth.values["interventional_shap"], _enum(target, X[:5], X[:30]),
                       atol=1e-9)
    # multiclass: the logit of the predicted class, per row
    y3 = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    m3 = LogisticRegression(max_iter=500).fit(X, y3)
    truth, target = compute_truth(m3, X[:8], X[:30])
    assert np.array_equal(target.output_index, m3.predict(X[:8]))
    assert np.allclose(truth.values["interventional_shap"], _enum(target, X[:8], X[:30]),
                       atol=1e-9)


@pytest.mark.parametrize("make", [
    lambda: DecisionTreeRegressor(max_depth=4, random_state=0),
    lambda: RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0),
])
def test_tree_truth_matches_enumeration(data, make):
    X, y = data
    m = make().fit(X, y)
    truth, target = compute_truth(m, X[:6], X[:30])
    assert np.allclose(truth.values["interventional_shap"], _enum(target, X[:6], X[:30]),
                       atol=1e-9)
    used = np.zeros(5, bool)
    for est in getattr(m, "estimators_", [m]):
        used[est.tree_.feature[est.tree_.feature >= 0]] = True
    assert np.array_equal(truth.dummy, ~used)
    # Shapley values add up to the prediction minus the reference
    for est in ("interventional_shap", "path_shap", "baseline_shap", "path_contribution"):
        total = truth.values[est].sum(axis=1) + truth.expected[est]
        assert np.allclose(total, m.predict(X[:6]), atol=1e-9), est


def test_classifier_explains_positive_or_predicted_class(data):
    X, y = data
    m = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y > 0)
    truth, target = compute_truth(m, X[:6], X[:30])
    assert "positive class" in target.description
    assert np.allclose(target.fn(1)(X[:6]), m.predict_proba(X[:6])[:, 1])
    assert np.allclose(truth.values["interventional_shap"], _enum(target, X[:6], X[:30]),
                       atol=1e-9)
    y3 = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    m3 = RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0).fit(X, y3)
    truth, target = compute_truth(m3, X[:8], X[:30])
    assert np.array_equal(target.output_index, m3.predict(X[:8]))
    assert np.allclose(truth.values["interventional_shap"], _enum(target, X[:8], X[:30]),
                       atol=1e-9)


def test_single_tree_path_features(data):
    X, y = data
    m = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, y)
    truth, _ = compute_truth(m, X[:10], X[:30])
    paths = m.decision_path(X[:10])
    for i in range(10):
        nodes = paths.indices[paths.indptr[i]:paths.indptr[i + 1]]
        f = m.tree_.feature[nodes]
        expect = np.zeros(5)
        expect[f[f >= 0]] = 1
        assert np.array_equal(truth.values["path_features"][i], expect)


def test_ebm_additive_truth_matches_enumeration():
    from interpret.glassbox import ExplainableBoostingRegressor

    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(250, 4))
    y = X[:, 0] + X[:, 1] * X[:, 2] + 0.05 * rng.normal(size=250)
    m = ExplainableBoostingRegressor(interactions=[(1, 2)], outer_bags=1, max_rounds=200,
                                     random_state=0).fit(X, y)
    assert any(len(t) == 2 for t in m.term_features_)
    truth, target = compute_truth(m, X[:5], X[:20])
    assert np.allclose(truth.values["interventional_shap"], _enum(target, X[:5], X[:20]),
                       atol=1e-8)


def test_black_box_fallback_uses_enumeration(data):
    from sklearn.neighbors import KNeighborsRegressor

    X, y = data
    m = KNeighborsRegressor(n_neighbors=5).fit(X[:, :4], y)
    truth, target = compute_truth(m, X[:4, :4], X[:20, :4])
    assert truth.family.startswith("black box")
    assert np.allclose(truth.values["interventional_shap"],
                       exact_interventional_shapley(m.predict, X[:4, :4], X[:20, :4])[0])


def test_unsupported_model_and_too_many_features():
    class NoPredict:
        pass

    with pytest.raises(TypeError, match="Supported model families"):
        compute_truth(NoPredict(), np.zeros((2, 3)), np.zeros((2, 3)))
    assert any("linear" in f for f in supported_families())

    from sklearn.neighbors import KNeighborsRegressor

    # too many features to enumerate: the Shapley estimands say why, the others are computed
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 17))
    m = KNeighborsRegressor(n_neighbors=3).fit(X, X[:, 0])
    truth, _ = compute_truth(m, X[:2], X[:5])
    assert "too large" in truth.unavailable["interventional_shap"]
    assert "16 features" in truth.unavailable["baseline_shap"]
    assert truth.values["partial_dependence"].shape == (17,)
    with pytest.raises(ValueError, match="Unknown estimands"):
        compute_truth(m, X[:2], X[:5], estimands=["nope"])


def test_black_box_pipeline_fitted_on_a_frame_gets_frames():
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"])
    pipe = make_pipeline(ColumnTransformer([("s", StandardScaler(), ["a", "c"])]),
                         KNeighborsRegressor(n_neighbors=3)).fit(df, df["a"] * 2)
    truth, target = compute_truth(pipe, df.to_numpy()[:3], df.to_numpy()[:10])
    assert np.allclose(target.fn(0)(df.to_numpy()[:3]), pipe.predict(df.iloc[:3]))
    assert np.all(truth.values["interventional_shap"][:, 1] == 0)  # b is dropped
    assert truth.dummy is not None and truth.dummy[1] and not truth.dummy[0]
