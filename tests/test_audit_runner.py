"""The audit end to end: oracle vs random explainers, failures, determinism, the report."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeRegressor

from glassworks.comparator import AuditReport, audit
from glassworks.shapley import exact_interventional_shapley


@pytest.fixture(scope="module")
def tree_model():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 6))
    y = 3 * X[:, 0] + 2 * (X[:, 1] > 0) + X[:, 2] * X[:, 0]
    m = DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y)
    assert not np.isin(5, m.tree_.feature)  # feature 5 is a dummy
    return m, X


def oracle(predict_fn, X, background):
    return exact_interventional_shapley(predict_fn, X, background)[0]


def random_attr(predict_fn, X, background):
    return np.random.standard_normal(X.shape)


def test_oracle_is_perfect_and_random_is_worst(tree_model):
    m, X = tree_model
    rep = audit(m, X[:6], background=X[:40],
                explainers=[("oracle", oracle, "interventional_shap"),
                            ("random", random_attr, "interventional_shap"), "lime"],
                random_state=0)
    assert isinstance(rep, AuditReport)
    assert rep.score("oracle", "error") == pytest.approx(0.0, abs=1e-10)
    assert rep.score("oracle", "rank_corr") == pytest.approx(1.0)
    assert rep.score("oracle", "dummy_mass") == 0.0
    assert rep.score("oracle", "completeness_gap") == pytest.approx(0.0, abs=1e-10)
    for metric, worst in (("error", max), ("rank_corr", min), ("dummy_mass", max)):
        vals = {e: rep.score(e, metric) for e in ("oracle", "random", "lime")}
        assert worst(vals, key=vals.get) == "random", (metric, vals)
    assert list(rep.scores.columns) == ["explainer", "estimand", "metric", "value", "ci_low",
                                        "ci_high"]
    s = rep.scores
    ok = s["ci_low"].notna()
    assert (s.loc[ok, "ci_low"] <= s.loc[ok, "value"] + 1e-12).all()
    assert (s.loc[ok, "value"] <= s.loc[ok, "ci_high"] + 1e-12).all()
    assert set(rep.per_instance["instance"]) == set(range(6))
    assert rep.score("oracle", "model_calls") >= 1


def test_failing_explainer_is_recorded_and_audit_goes_on(tree_model):
    m, X = tree_model

    def broken(predict_fn, X, background):
        raise RuntimeError("boom")

    rep = audit(m, X[:3], background=X[:20],
                explainers=[("broken", broken, "interventional_shap"), "tree_shap"],
                random_state=0)
    assert "boom" in rep.failures["broken"]
    assert rep.score("tree_shap", "error") < 1e-6
    assert "FAILED" in rep.summary() and "boom" in rep.summary()


def test_tree_explainers_skipped_on_non_tree_models():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    m = LinearRegression().fit(X, X @ [1.0, 2.0, 0.0])
    rep = audit(m, X[:3], explainers=["tree_shap", "gradient"], random_state=0)
    assert "tree_shap" in rep.skipped
    assert rep.score("gradient", "error") < 1e-5


def test_same_numbers_whatever_n_jobs(tree_model):
    m, X = tree_model
    # cheap explainers only: each worker process pays its own imports
    ex = ["lime_continuous", "gradient", ("random", random_attr, "interventional_shap")]
    kw = dict(background=X[:30], explainers=ex, random_state=3,
              metrics=["error", "dummy_mass", "seed_spread"])
    a = audit(m, X[:6], n_jobs=1, **kw)
    b = audit(m, X[:6], n_jobs=2, **kw)
    for name in ("lime_continuous", "gradient", "random"):
        assert np.array_equal(a.attributions[name], b.attributions[name]), name
    pd.testing.assert_frame_equal(a.scores, b.scores)
    c = audit(m, X[:6], n_jobs=1, **{**kw, "random_state": 4})
    assert not np.array_equal(a.attributions["random"], c.attributions["random"])


def test_report_outputs(tree_model, tmp_path):
    from matplotlib.figure import Figure

    m, X = tree_model
    rep = audit(m, pd.DataFrame(X[:4], columns=list("abcdef")), background=X[:20],
                explainers=["tree_shap", "tree_shap_path", "permutation_importance"],
                random_state=0)
    assert rep.feature_names == list("abcdef")
    assert isinstance(rep.plot(), Figure)
    page = rep.to_html(tmp_path / "r.html")
    assert (tmp_path / "r.html").read_text() == page
    assert "data:image/png;base64," in page
    text = rep.summary()
    for name in ("tree_shap", "tree_shap_path", "permutation_importance"):
        assert name in text
    assert "path_shap" in text
    assert rep.timings["ground_truth"] > 0
    assert 0 < rep.timings["ground_truth_share"] < 1
    assert "tree_shap" in rep.to_text()


def test_bad_input(tree_model):
    m, X = tree_model
    with pytest.raises(ValueError, match="NaN"):
        audit(m, np.full((2, 6), np.nan))
    with pytest.raises(ValueError, match="features"):
        audit(m, X[:2, :4])
    with pytest.raises(ValueError, match="Unknown explainer"):
        audit(m, X[:2], explainers=["nope"])
    with pytest.raises(ValueError, match="Unknown metrics"):
        audit(m, X[:2], metrics=["nope"])
    with pytest.raises(ValueError, match="non-numeric"):
        audit(m, pd.DataFrame({c: ["a", "b"] for c in "abcdef"}))
    Xc = X[:3].copy()
    audit(m, Xc, explainers=["gradient"])
    assert np.array_equal(Xc, X[:3])  # never modified


def test_every_builtin_explainer_runs_and_exact_ones_are_exact(tree_model):
    from glassworks.comparator.explainers import EXPLAINERS

    m, X = tree_model
    names = [e for e in EXPLAINERS if e != "maple"]  # MAPLE: tests/test_audit_glassworks.py
    rep = audit(m, X[:2], background=X[:20], explainers=names, random_state=0,
                metrics=["error", "rank_corr", "seconds"], n_reruns=0)
    assert not rep.failures, rep.failures
    assert set(rep.explainers) == set(names)
    for exact in ("exact_shap", "tree_shap_path", "saabas", "interpret_shap_kernel"):
        assert rep.score(exact, "error") < 1e-8, exact
    assert rep.score("tree_shap", "error") < 1e-6
    for glob in ("permutation_importance", "partial_dependence"):
        assert rep.attributions[glob].shape == (6,)
        assert np.isfinite(rep.score(glob, "rank_corr"))
