"""The audit's own bad inputs: each of these was a silent wrong answer or a crash before."""

import numpy as np
import pandas as pd
import pytest

import glassworks as gw
from glassworks.comparator import audit
from glassworks.comparator.explainers import BaseExplainer, LocalResult


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
    y = 3.0 * X["a"] + (X["c"] > 0) * 1.5
    tree = gw.DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    return X, tree


def test_reordered_columns_are_taken_by_name(fitted):
    X, tree = fitted
    ok = audit(tree, X.iloc[:8], background=X.iloc[:60], explainers=["tree_shap_path"],
               random_state=0)
    shuffled = X[["d", "c", "b", "a"]]
    r = audit(tree, shuffled.iloc[:8], background=shuffled.iloc[:60],
              explainers=["tree_shap_path"], random_state=0)
    assert r.feature_names == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(r.attributions["tree_shap_path"],
                                  ok.attributions["tree_shap_path"])
    # the attribution of 'a' (the model's main feature) is where 'a' is
    assert np.abs(r.attributions["tree_shap_path"][:, 0]).mean() > 0.5
    assert any("reordered by name" in n for n in r.notes)
    # the caller's frame is untouched
    assert list(shuffled.columns) == ["d", "c", "b", "a"]


def test_other_column_names_are_refused(fitted):
    X, tree = fitted
    other = X.rename(columns={"a": "alpha"})
    with pytest.raises(ValueError, match="not the model's features"):
        audit(tree, other.iloc[:5], background=X.iloc[:60], explainers=["tree_shap_path"])
    with pytest.raises(ValueError, match="not the model's features"):
        audit(tree, X.iloc[:5], background=other.iloc[:60], explainers=["tree_shap_path"])


def test_duplicated_column_names_get_our_message(fitted):
    X, tree = fitted
    dup = X.copy()
    dup.columns = ["a", "b", "a", "d"]
    with pytest.raises(ValueError, match="duplicated column names"):
        audit(tree, dup.iloc[:5], explainers=["tree_shap_path"])


class _NanOnSomeRows(BaseExplainer):
    """Exact path TreeSHAP, except NaN on the rows whose first feature is positive."""

    name = "sometimes_nan"
    estimand = "path_shap"

    def explain(self, ctx, x, predict_fn, seed):
        from glassworks.comparator.explainers import TreeShapPath

        v = TreeShapPath().explain(ctx, x, predict_fn, seed).values.copy()
        if x[0] > 0:
            v[:] = np.nan
        return LocalResult(v)


def test_nan_explainer_fails_where_it_returned_nan(fitted):
    X, tree = fitted
    Xa = X.iloc[:10]
    n_bad = int((Xa["a"] > 0).sum())
    assert 0 < n_bad < 10
    r = audit(tree, Xa, background=X.iloc[:60], explainers=[_NanOnSomeRows()],
              random_state=0)
    # correct on the other rows, failed on the NaN ones: never a perfect score
    assert r.score("sometimes_nan", "topk_agreement") == pytest.approx(1 - n_bad / 10)
    assert np.isinf(r.score("sometimes_nan", "estimation_error"))
    assert any(f"on {n_bad} of 10 rows" in n and "sometimes_nan" in n for n in r.notes)
    assert not any("no exact value" in n for n in r.notes)


class _AlwaysNan(BaseExplainer):
    name = "always_nan"
    estimand = "interventional_shap"

    def explain(self, ctx, x, predict_fn, seed):
        return LocalResult(np.full(len(x), np.nan))


def test_all_nan_explainer_is_a_failure(fitted):
    X, tree = fitted
    r = audit(tree, X.iloc[:6], background=X.iloc[:60],
              explainers=["tree_shap_path", _AlwaysNan()], random_state=0)
    assert "always_nan" in r.failures and "NaN" in r.failures["always_nan"]
    assert np.isnan(r.score("always_nan", "topk_agreement"))


class _NanModel:
    """A regressor that returns NaN where its first feature is above 1."""

    def __init__(self):
        from sklearn.linear_model import LinearRegression

        self.inner = LinearRegression()

    def fit(self, X, y):
        self.inner.fit(X, y)
        self.n_features_in_ = self.inner.n_features_in_
        self.coef_, self.intercept_ = self.inner.coef_, self.inner.intercept_
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=np.float64)
        out = self.inner.predict(X)
        return np.where(X[:, 0] > 1.0, np.nan, out)


def test_nan_model_is_named_as_the_culprit(fitted):
    X, _ = fitted
    Xn = X.to_numpy()
    model = _NanModel().fit(Xn, Xn[:, 0])
    with pytest.raises(ValueError, match=r"the model returned NaN or inf on \d+ of"):
        audit(model, Xn[:50], background=Xn[:60], explainers=["kernel_shap"])


def test_svc_without_probabilities_explains_its_decision_function():
    from sklearn.svm import SVC

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    svc = SVC().fit(X, y)
    r = audit(svc, X[:4], background=X[:30], explainers=["kernel_shap"], random_state=0)
    assert "decision function" in r.target and "no predict_proba" in r.target
    # KernelSHAP is additive on the explained output: decision_function(x) - its mean
    phi = r.attributions["kernel_shap"]
    dec = svc.decision_function(X[:4]) - svc.decision_function(X[:30]).mean()
    np.testing.assert_allclose(phi.sum(axis=1), dec, atol=1e-6)
