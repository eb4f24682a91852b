"""forward_simulation: on a planted XOR family (a linear learner cannot read the decision off
x; the exact Shapley values add up to it) exact SHAP must help and noise must not."""

import re

import numpy as np
import pytest

from glassworks import DecisionTreeClassifier, DecisionTreeRegressor
from glassworks.comparator.use_cases import NotApplicable
from glassworks.comparator.use_cases import forward_simulation as fs
from use_case_helpers import audited, by_explainer, noise_attr, zero_attr


def _xor(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int)
    return X, y


@pytest.fixture(scope="module")
def xor_rows():
    X, y = _xor(600, 0)
    # deep enough to be the XOR itself (a greedy depth-3 tree is not)
    model = DecisionTreeClassifier(max_depth=5, min_samples_leaf=5, random_state=0).fit(X, y)
    st, ctx = audited(model, X[:200], X[200:300],
                      ["tree_shap", ("noise", noise_attr, "interventional_shap"),
                       ("zero", zero_attr, "interventional_shap")], random_state=0)
    return by_explainer(fs.run(st, ctx))


def test_exact_shap_helps_noise_and_zero_do_not(xor_rows):
    r = xor_rows
    for name in ("exact:interventional_shap", "tree_shap"):
        assert r[name]["correct"] is True, r[name]["answer"]
        assert r[name]["score"] > 0.9
    for name in ("noise", "zero"):
        assert r[name]["correct"] is False, r[name]["answer"]
        assert r[name]["score"] < 0.75
    # the baseline (x only) is near chance on XOR: the gain is real
    assert re.match(r"baseline \(x only\): held-out accuracy 0\.[456]", r["zero"]["truth"])
    for row in r.values():
        assert row["ci_low"] <= row["score"] <= row["ci_high"]
        assert "logistic regression" in row["rule"] and "lower bound" in row["rule"]


def test_no_gain_where_x_alone_suffices():
    """A logistic model: its exact Shapley values are affine in x, so they carry nothing x
    does not (the rule cannot call every explanation helpful)."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.standard_normal(300) > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    st, ctx = audited(model, X[:150], X[150:250], [], random_state=0)
    r = by_explainer(fs.run(st, ctx))
    assert r["exact:interventional_shap"]["correct"] is False, r["exact:interventional_shap"]
    assert r["exact:interventional_shap"]["score"] > 0.9


def test_regressor_r2():
    X, _ = _xor(400, 2)
    y = np.where((X[:, 0] > 0) ^ (X[:, 1] > 0), 1.0, -1.0)
    model = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, y)
    st, ctx = audited(model, X[:150], X[150:250],
                      ["tree_shap", ("noise", noise_attr, "interventional_shap")])
    r = by_explainer(fs.run(st, ctx))
    assert r["tree_shap"]["correct"] is True and r["tree_shap"]["score"] > 0.9
    assert r["noise"]["correct"] is False
    assert "R2" in r["noise"]["answer"] and "ridge" in r["noise"]["rule"]


def test_too_few_rows_is_a_message():
    X, y = _xor(200, 3)
    model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    st, ctx = audited(model, X[:10], X[100:150], ["tree_shap"])
    with pytest.raises(NotApplicable, match="at least 30"):
        fs.run(st, ctx)
