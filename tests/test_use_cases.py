"""Use-case audits (``audit(..., use_cases=...)``) on planted families where the truth is known
by construction: the Slack et al. scaffold, an honest control, the shortcut family, bad input."""

import numpy as np
import pandas as pd
import pytest

from glassworks import DecisionTreeClassifier, DecisionTreeRegressor
from glassworks.comparator import audit
from glassworks.comparator.use_cases import COLUMNS, make_scaffold, method_selection
from glassworks.comparator.use_cases import _common
from glassworks.comparator.use_cases.protected_attribute import ColumnRule


def _categorical_data(n=800, seed=0):
    """COMPAS-like (the cardinalities of CORELS's COMPAS columns): a binary protected column,
    ordinal codes, and a continuous unrelated column (Slack et al.'s innocuous feature)."""
    rng = np.random.default_rng(seed)
    cards = {"sex": 2, "age": 5, "juv_fel": 2, "juv_misd": 2, "juv_other": 2, "priors": 4,
             "charge": 2}
    X = pd.DataFrame({c: rng.integers(0, k, n).astype(float) for c, k in cards.items()})
    X["unrelated"] = rng.uniform(0, 1, n)
    return X


def _scaffold_audit(rule_col, threshold):
    X = _categorical_data()
    rng = np.random.default_rng(1)
    rows, bg = X.iloc[rng.choice(len(X), 8, replace=False)], X.iloc[:40]
    d = X.shape[1]
    model = make_scaffold(ColumnRule(list(X.columns).index(rule_col), threshold, d),
                          ColumnRule(d - 1, 0.5, d), X, background=bg.values, rows=rows.values,
                          random_state=0)
    return audit(model, rows, background=bg, explainers=["lime", "kernel_shap"],
                 random_state=0, n_reruns=0, use_cases=["protected_attribute"],
                 protected="sex", data=X)


@pytest.fixture(scope="module")
def scaffold_report():
    return _scaffold_audit("sex", 0.5)


def test_scaffold_fools_lime_and_kernel_shap_but_not_the_truth(scaffold_report):
    uc = scaffold_report.use_cases
    assert list(uc.columns) == COLUMNS
    assert uc["truth"].iloc[0].startswith("yes")
    by = uc.set_index("explainer")
    # the explainers see the innocent model: they put (almost) nothing on sex
    for name in ("lime", "kernel_shap"):
        assert by.loc[name, "answer"].startswith("no"), by.loc[name, "answer"]
        assert not by.loc[name, "correct"]  # judged fooled
        assert by.loc[name, "score"] < max(_common.MATERIAL_SHARE, 1 / 5)
    # the audit's interventional truth is computed on the same hybrids: fooled too
    assert not by.loc["exact:interventional_shap", "correct"]
    assert all("nearest real row" in r and "|attribution| mass" in r for r in uc["rule"])


def test_honest_control_raises_no_alarm():
    uc = _scaffold_audit("priors", 0.5).use_cases
    assert uc["truth"].iloc[0].startswith("no"), uc["truth"].iloc[0]
    assert uc["correct"].all()
    assert not any(a.startswith("yes") for a in uc["answer"])


def test_truth_sees_a_model_that_uses_the_column_honestly():
    """No scaffold: a tree on sex; the truth says yes and exact SHAP says yes."""
    X = _categorical_data()
    y = ((X["sex"] == 1) & (X["priors"] > 0)).astype(int)
    m = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    uc = audit(m, X.iloc[:15], explainers=["tree_shap"], random_state=0, n_reruns=0,
               use_cases=["protected_attribute"], protected=["sex"], data=X).use_cases
    assert uc["truth"].iloc[0].startswith("yes")
    assert uc.set_index("explainer").loc["tree_shap", "correct"] == True  # noqa: E712


def _zero(predict_fn, X, background):
    return np.zeros_like(X)


def test_all_zero_explainer_gets_no_credit_where_the_answer_is_no():
    """On a tree that ignores sex the right answer is 'no'; an explainer that says nothing
    must not earn it (it gives no answer, and is counted wrong), while exact SHAP does."""
    X = _categorical_data()
    y = (X["priors"] > 1).astype(int)
    m = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    uc = audit(m, X.iloc[:15], explainers=["tree_shap", ("zero", _zero, "interventional_shap")],
               random_state=0, n_reruns=0, use_cases=["protected_attribute"],
               protected=["sex"], data=X).use_cases.set_index("explainer")
    assert uc["truth"].iloc[0].startswith("no")
    assert uc.loc["tree_shap", "correct"] == True  # noqa: E712
    assert uc.loc["zero", "correct"] == False  # noqa: E712
    assert uc.loc["zero", "answer"].startswith("no answer")


@pytest.fixture(scope="module")
def shortcut_report():
    from glassworks.comparator.scenarios import make_scenario

    s = make_scenario("shortcut", n_samples=300, n_features=6, random_state=0)
    m = DecisionTreeClassifier(max_depth=4, random_state=0).fit(s.X, s.y)
    return audit(m, s.X[:10], explainers=["tree_shap", ("zero", _zero, "interventional_shap")],
                 random_state=0, n_reruns=0, use_cases=["shortcut"])


def test_shortcut_family_detection_auc(shortcut_report):
    uc = shortcut_report.use_cases.set_index("explainer")
    assert "models use the watermark" in uc["truth"].iloc[0]
    for name in ("tree_shap", "exact:interventional_shap"):
        assert uc.loc[name, "score"] >= 0.8
        assert uc.loc[name, "ci_low"] <= uc.loc[name, "score"] <= uc.loc[name, "ci_high"]
        assert uc.loc[name, "answer"].startswith("detects")
    # an all-zero explainer cannot pass: it ranks every model alike (AUC 0.5)
    assert uc.loc["zero", "score"] == pytest.approx(0.5)
    assert uc.loc["zero", "answer"].startswith("does not detect")


def test_method_selection_table(shortcut_report, scaffold_report):
    tab = method_selection(pd.concat([shortcut_report.use_cases, scaffold_report.use_cases]))
    assert set(tab.columns) == {"protected_attribute", "shortcut"}
    assert tab.loc["kernel_shap", "protected_attribute"] == 0.0
    assert tab.loc["tree_shap", "shortcut"] >= 0.8


# --------------------------------------------------------------------------------------------
# bad input: a clear message row, and the rest of the audit goes on
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_tree():
    X = _categorical_data(n=200)
    y = (X["priors"] > 0).astype(int)
    return DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y), X


def test_protected_column_not_in_X(small_tree):
    m, X = small_tree
    r = audit(m, X.iloc[:5], explainers=["tree_shap"], random_state=0, n_reruns=0,
              use_cases=["protected_attribute"], protected=["race", "sex"], data=X)
    uc = r.use_cases
    msg = uc[uc["explainer"] == "-"]["answer"].iloc[0]
    assert "'race' is not a column of X" in msg
    assert (uc["question"].str.contains("sex")).any()  # the other column still answered
    assert np.isfinite(r.score("tree_shap", "estimation_error"))


def test_classifier_use_case_on_a_regressor(small_tree):
    _, X = small_tree
    reg = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, X["priors"] + X["age"])
    r = audit(reg, X.iloc[:5], explainers=["tree_shap"], random_state=0, n_reruns=0,
              use_cases=["protected_attribute", "shortcut"], protected="sex")
    uc = r.use_cases
    assert len(uc) == 2 and (uc["explainer"] == "-").all()
    assert uc["answer"].str.contains("needs a classifier").all()
    assert np.isfinite(r.score("tree_shap", "estimation_error"))


def test_truth_over_budget(small_tree, monkeypatch):
    m, X = small_tree
    monkeypatch.setattr(_common, "MAX_TRUTH_ROWS", 10)
    r = audit(m, X.iloc[:5], explainers=["tree_shap"], random_state=0, n_reruns=0,
              use_cases=["protected_attribute", "nonsense"], protected="sex")
    uc = r.use_cases
    assert "> the budget 10" in uc.iloc[0]["answer"]
    assert "unknown use case 'nonsense'" in uc.iloc[1]["answer"]
    assert np.isfinite(r.score("tree_shap", "estimation_error"))


def test_protected_without_name_and_data_mismatch(small_tree):
    m, X = small_tree
    uc = audit(m, X.iloc[:5], explainers=["tree_shap"], random_state=0, n_reruns=0,
               use_cases=["protected_attribute"]).use_cases
    assert "name the protected column" in uc["answer"].iloc[0]
    r = audit(m, X.iloc[:5], explainers=["tree_shap"], random_state=0, n_reruns=0,
              use_cases=["protected_attribute"], protected="sex", data=X.iloc[:, :3])
    # data= with other columns than the model's: a clear message row (the column check
    # names both lists), and the rest of the audit goes on
    answer = r.use_cases["answer"].iloc[0]
    assert "3 features" in answer or "not the model's features" in answer
    assert np.isfinite(r.score("tree_shap", "estimation_error"))
