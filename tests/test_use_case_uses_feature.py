"""uses_feature: a scaffold-like model that uses x0, x1 only off the data: the on-data truth
says unused, the interventional truth says used; an explainer is judged on the data."""

import numpy as np

from glassworks import DecisionTreeClassifier
from glassworks.comparator.use_cases import uses_feature as uf
from use_case_helpers import audited, by_explainer, zero_attr


class OffDataScaffold:
    """On the data (x1 within 0.2 of x0) decides by x2; off it, by x0."""

    classes_ = np.array([0, 1])
    n_features_in_ = 3

    def predict_proba(self, Z):
        Z = np.asarray(Z, dtype=np.float64)
        on = np.abs(Z[:, 1] - Z[:, 0]) <= 0.2
        p = np.where(on, Z[:, 2] > 0, Z[:, 0] > 0.5).astype(float)
        return np.column_stack([1 - p, p])

    def predict(self, Z):
        return np.argmax(self.predict_proba(Z), axis=1)


def on_data_oracle(predict_fn, X, background):
    return np.tile([0.0, 0.0, 1.0], (len(X), 1))


def test_off_data_use_is_not_use_on_the_data():
    rng = np.random.default_rng(0)
    x0 = rng.uniform(size=400)
    X = np.column_stack([x0, x0 + 0.01 * rng.standard_normal(400), rng.standard_normal(400)])
    st, ctx = audited(OffDataScaffold(), X[:150], X[150:],
                      [("on_data", on_data_oracle, "interventional_shap"),
                       ("zero", zero_attr, "interventional_shap")], random_state=0)
    r = by_explainer(uf.run(st, ctx))
    truth = r["on_data"]["truth"]
    assert truth.startswith("on the data: x2; interventional (hybrid points): x0, x1, x2")
    assert "used off the data only: x0, x1" in truth
    assert r["on_data"]["correct"] is True and r["on_data"]["score"] == 1.0
    # the exact interventional values see the hybrid points: they name x0 and x1 too
    ex = r["exact:interventional_shap"]
    assert ex["correct"] is False and ex["score"] < 0.9, ex["answer"]
    assert r["zero"]["correct"] is False and r["zero"]["score"] == 0.0
    for row in r.values():
        assert row["ci_low"] <= row["score"] <= row["ci_high"]


def test_tree_paths_beside_the_truth():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 4))
    y = ((X[:, 0] > 0) & (X[:, 2] > -0.5)).astype(int)
    model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    st, ctx = audited(model, X[:100], X[100:200], ["tree_shap"], random_state=0)
    r = by_explainer(uf.run(st, ctx))
    assert "on the decision paths: x0, x2" in r["tree_shap"]["truth"]
    assert r["tree_shap"]["truth"].startswith("on the data: x0, x2;")
    assert r["tree_shap"]["correct"] is True
