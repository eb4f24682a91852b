"""The audit end to end: oracle vs random explainers, failures, determinism, the report."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeRegressor

from glassworks.comparator import AuditReport, audit
from glassworks.comparator.explainers import KernelShap
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


def zero_attr(predict_fn, X, background):
    return np.zeros(X.shape)


def test_oracle_is_perfect_and_random_is_worst(tree_model):
    m, X = tree_model
    rep = audit(m, X[:6], background=X[:40],
                explainers=[("oracle", oracle, "interventional_shap"),
                            ("random", random_attr, "interventional_shap"),
                            KernelShap(nsamples=60)],
                random_state=0)
    assert isinstance(rep, AuditReport)
    assert rep.score("oracle", "estimation_error") == pytest.approx(0.0, abs=1e-10)
    assert rep.score("oracle", "error") == rep.score("oracle", "estimation_error")  # alias
    assert rep.score("oracle", "estimand_gap") == 0.0
    assert rep.score("oracle", "rank_corr") == pytest.approx(1.0)
    assert rep.score("oracle", "dummy_mass") == 0.0
    assert rep.score("oracle", "completeness_gap") == pytest.approx(0.0, abs=1e-10)
    for metric, worst in (("error", max), ("rank_corr", min), ("dummy_mass", max)):
        vals = {e: rep.score(e, metric) for e in ("oracle", "random", "kernel_shap")}
        assert worst(vals, key=vals.get) == "random", (metric, vals)
    assert list(rep.scores.columns) == ["explainer", "estimand", "metric", "value", "ci_low",
                                        "ci_high", "n", "n_undefined", "n_not_applicable"]
    s = rep.scores
    ok = s["ci_low"].notna()
    assert (s.loc[ok, "ci_low"] <= s.loc[ok, "value"] + 1e-12).all()
    assert (s.loc[ok, "value"] <= s.loc[ok, "ci_high"] + 1e-12).all()
    assert set(rep.per_instance["instance"]) == set(range(6))
    assert rep.score("oracle", "model_calls") >= 1


def _models_for_bad_explainers():
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import Lasso

    from glassworks import DecisionTreeRegressor as GwTree
    from glassworks.comparator.scenarios import make_scenario

    s = make_scenario("sparse", n_samples=400, n_features=6, k=3, random_state=0)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 6))
    y = X @ np.array([2.0, -1.0, 0.5, 0.0, 0.0, 0.0]) + 0.01 * rng.normal(size=300)
    return {
        "glassworks tree": (GwTree(max_depth=4, random_state=0).fit(s.X, s.y), s.X),
        "sklearn forest": (RandomForestRegressor(n_estimators=5, max_depth=4,
                                                 random_state=0).fit(s.X, s.y), s.X),
        "lasso": (Lasso(alpha=0.05).fit(X, y), X),
    }


@pytest.mark.parametrize("name", ["glassworks tree", "sklearn forest", "lasso"])
def test_all_zero_and_random_explainers_score_badly_on_every_metric(name):
    m, X = _models_for_bad_explainers()[name]
    rep = audit(m, X[:8], background=X[:40], relevant_features=[0, 1],
                explainers=[("oracle", oracle, "interventional_shap"),
                            ("zero", zero_attr, "interventional_shap"),
                            ("random", random_attr, "interventional_shap")],
                metrics=["estimation_error", "rank_corr", "topk_agreement", "sign_agreement",
                         "rank_agreement", "pairwise_rank_agreement", "dummy_mass",
                         "recall_at_k", "completeness_gap"],
                k=3, random_state=0)
    s = rep.score
    assert rep.dummy.any()
    for bad in ("zero", "random"):
        assert s(bad, "estimation_error") > 0.5, bad
        assert s(bad, "completeness_gap") > 0.5, bad
        assert s(bad, "rank_corr") < 0.3, bad
        assert s(bad, "dummy_mass") > 0.2, bad
        for metric in ("topk_agreement", "sign_agreement", "rank_agreement",
                       "pairwise_rank_agreement", "recall_at_k"):
            assert s(bad, metric) <= 0.75, (bad, metric)
            assert s(bad, metric) < s("oracle", metric) - 0.2, (bad, metric)
    # the zero explainer's undefined metrics are counted and scored as the worst
    sc = rep.scores.set_index(["explainer", "metric"])
    assert sc.loc[("zero", "rank_corr"), "n_undefined"] == 8
    assert s("zero", "rank_corr") == -1.0 and s("zero", "dummy_mass") == 1.0
    assert sc.loc[("oracle", "rank_corr"), "n_undefined"] == 0


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
                metrics=["error", "estimand_gap", "rank_corr", "seconds"], n_reruns=0)
    assert not rep.failures, rep.failures
    assert set(rep.explainers) == set(names)
    for exact in ("exact_shap", "tree_shap_path", "saabas", "interpret_shap_kernel",
                  "gradient", "gradient_x_input"):
        assert rep.score(exact, "estimation_error") < 1e-8, exact
    assert rep.score("tree_shap", "estimation_error") < 1e-6
    # the staircase walk crosses each jump of the tree where the exact walk does
    assert rep.score("integrated_gradients", "estimation_error") < 0.05
    for glob in ("permutation_importance", "partial_dependence"):
        assert rep.attributions[glob].shape == (6,)
        assert rep.explainers[glob][0] == glob  # scored against its own estimand
        assert 0 < rep.score(glob, "estimation_error") < 0.5
        assert np.isfinite(rep.score(glob, "estimand_gap"))
    # the gradient of a tree is 0: the verdict says the method has nothing to say here
    assert "nothing to say" in rep.summary()


def test_read_as_and_estimand_distances(tree_model):
    m, X = tree_model
    kw = dict(background=X[:30], explainers=["tree_shap", "integrated_gradients"],
              random_state=0, metrics=["estimation_error", "estimand_gap"])
    rep = audit(m, X[:5], **kw)
    assert rep.read_as == {"tree_shap": "interventional_shap",
                           "integrated_gradients": "interventional_shap"}
    D = rep.estimand_distances
    assert list(D.index) == list(D.columns) == ["interventional_shap", "integrated_gradients"]
    assert np.all(np.diag(D.to_numpy()) == 0)
    gap = rep.score("integrated_gradients", "estimand_gap")
    assert gap == pytest.approx(D.loc["integrated_gradients", "interventional_shap"])
    assert gap > 0.05  # IG and interventional SHAP differ on a tree
    other = audit(m, X[:5], read_as={"integrated_gradients": "baseline_shap"}, **kw)
    assert other.read_as["integrated_gradients"] == "baseline_shap"
    assert other.score("integrated_gradients", "estimand_gap") != gap
    assert other.score("tree_shap", "estimand_gap") == 0.0
    full = audit(m, X[:5], estimands="all", **kw)
    assert {"path_shap", "gradient", "partial_dependence"} <= set(full.estimand_distances.index)
    assert "path_features" not in full.estimand_distances.index  # 0/1, not an attribution
    with pytest.raises(ValueError, match="read_as"):
        audit(m, X[:2], read_as="path_features", explainers=["tree_shap"])
    with pytest.raises(ValueError, match="Unknown estimand"):
        audit(m, X[:2], read_as="nope", explainers=["tree_shap"])
    with pytest.raises(ValueError, match="not in the audit"):
        audit(m, X[:2], read_as={"lime": "baseline_shap"}, explainers=["tree_shap"])


def test_global_explainers_get_intervals_from_reruns_and_the_same_column():
    from glassworks import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 4))
    y = np.digitize(X[:, 0] + 0.5 * X[:, 1], [-0.5, 0.3])  # three classes
    m = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    rep = audit(m, X[:40], background=X[:40], random_state=0, n_reruns=4,
                explainers=["permutation_importance", "partial_dependence"])
    per = rep.per_instance
    pi = per[(per["explainer"] == "permutation_importance")
             & (per["metric"] == "estimation_error")]
    assert sorted(pi["run"]) == [0, 1, 2, 3, 4]
    sc = rep.scores.set_index(["explainer", "metric"])
    lo, hi = sc.loc[("permutation_importance", "estimation_error"), ["ci_low", "ci_high"]]
    assert lo < hi  # from the reruns, not a zero-width interval
    # global truth and explainers explain the same column: the most frequent predicted class
    column = int(np.bincount(m.predict(X[:40])).argmax())
    from glassworks.comparator.estimands.importance import pd_function

    fn = lambda Z: m.predict_proba(Z)[:, column]  # noqa: E731
    bg = X[:40]
    expect = np.array([np.std(pd_function(fn, bg, j, bg[:, j])) for j in range(4)])
    np.testing.assert_allclose(rep.truth["partial_dependence"], expect, atol=1e-12)
    assert rep.score("partial_dependence", "estimation_error") < 0.3


def test_audit_prints_nothing_from_the_peers(tree_model, capfd):
    m, X = tree_model
    # more than 100 background rows: shap logs "Using 120 background data samples could
    # cause slower run times" on every KernelExplainer
    bg = np.random.default_rng(0).uniform(-1, 1, size=(120, 6))
    capfd.readouterr()
    rep = audit(m, X[:2], background=bg, explainers=[KernelShap(nsamples=50), "lime"],
                metrics=["estimation_error"], random_state=0, n_reruns=0)
    out, err = capfd.readouterr()
    assert not rep.failures
    assert out == "" and err == "", (out, err)
    import logging

    assert not logging.getLogger("shap").disabled  # restored afterwards


def test_steps_are_functions_of_the_state(tree_model):
    from glassworks.comparator import runner

    m, X = tree_model
    state = runner.AuditState(m)
    runner.resolve_audit(state, X[:3], X[:20], ["tree_shap"], None, 0)
    assert state.truth is None
    runner.compute_audit_truth(state)
    assert "interventional_shap" in state.truth.values
    runner.run_explainers(state)
    assert state.attributions["tree_shap"].shape == (3, 6)
    runner.score_explainers(state)
    assert state.rows
    rep = runner.make_report(state)
    assert rep.score("tree_shap", "estimation_error") < 1e-6


def test_an_estimand_without_exact_value_is_reported_and_scored_without_truth():
    from sklearn.neighbors import KNeighborsRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 17))
    m = KNeighborsRegressor(n_neighbors=3).fit(X, X[:, 0])
    rep = audit(m, X[:2], background=X[:20], random_state=0, n_reruns=0,
                explainers=[KernelShap(nsamples=100), "partial_dependence"])
    assert not rep.failures
    assert "too large" in rep.unavailable["interventional_shap"]
    assert np.isnan(rep.score("kernel_shap", "estimation_error"))
    assert np.isfinite(rep.score("kernel_shap", "seconds"))
    assert rep.score("kernel_shap", "model_calls") >= 1
    # partial dependence is exact by model calls; its gap needs the unknown Shapley values
    assert rep.score("partial_dependence", "estimation_error") < 0.5
    assert np.isnan(rep.score("partial_dependence", "estimand_gap"))
    text = rep.to_text()
    assert "no exact interventional_shap for this model" in text
    assert "kernel_shap scored on the metrics that need no truth" in text
    assert "estimand gap not computed" in rep.summary()


def test_every_scorecard_column_is_explained_under_the_table():
    from sklearn.linear_model import LinearRegression

    from glassworks.comparator.report import GLOSSARY, SHORT

    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4))
    m = LinearRegression().fit(X, X[:, 0] - X[:, 1])
    rep = audit(m, X[:4], background=X[:30], random_state=0, n_reruns=2,
                explainers=["kernel_shap", "lime", "gradient"])
    text = rep.to_text()
    header = text.splitlines()[1].split()
    shown = [c for c in SHORT.values() if c in header]
    assert len(shown) >= 6
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("columns ("))
    legend = {line.split()[0] for line in lines[start + 1:] if line.startswith("  ")}
    for c in shown:
        assert c in GLOSSARY
        if c not in ("est_error", "gap"):  # those two have their own line
            assert c in legend, c


def test_verdicts_lead_with_their_numbers_and_say_the_common_part_once():
    import glassworks as gw

    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 4))
    m = gw.DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, X[:, 0] + X[:, 1] ** 2)
    rep = audit(m, X[:6], background=X[50:120], random_state=0,
                explainers=["kernel_shap", "lime", "tree_shap_path"])
    text = rep.summary()
    assert text.count("95% interval over the audited rows") == 1
    verdicts = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(verdicts) == 3
    for v in verdicts:
        body = v.split("): ", 1)[1]
        assert body.startswith("error "), v
        assert "computes its own quantity" not in body
        # what to do with it comes before the scores behind it
        assert body.index("Trust it for") < body.index("(Rank correlation")


def test_html_page_has_contents_glossary_per_feature_view_and_folds_long_tables(tmp_path):
    """The page's structure, parsed (no browser here: the machine has none to drive)."""
    from html.parser import HTMLParser

    import glassworks as gw
    from glassworks.comparator.report import GLOSSARY, write_html

    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 4))
    m = gw.DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, X[:, 0] + X[:, 1])
    rep = audit(m, pd.DataFrame(X[:5], columns=list("abcd")), background=X[50:110],
                random_state=0, explainers=["kernel_shap", "tree_shap_path"])
    page = write_html([("one", rep), ("two", rep)], tmp_path / "r.html")

    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids, self.hrefs, self.stack, self.tables, self.dts = [], [], [], [], []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if "id" in a:
                self.ids.append(a["id"])
            if tag == "a" and a.get("href", "").startswith("#"):
                self.hrefs.append(a["href"][1:])
            if tag == "table":
                self.tables.append([t for t, _ in self.stack])
            self.stack.append((tag, a.get("class", "")))

        def handle_endtag(self, tag):
            while self.stack and self.stack.pop()[0] != tag:
                pass

        def handle_data(self, data):
            if self.stack and self.stack[-1][0] == "dt":
                self.dts.append(data)

    p = P()
    p.feed(page)
    assert len(p.ids) == len(set(p.ids))  # two reports on one page: no clashing anchors
    assert p.hrefs and set(p.hrefs) <= set(p.ids)
    assert sum(h.startswith("r2-") for h in p.hrefs) >= 5
    # every scorecard column shown is explained on the page
    card = rep.scorecard()
    assert set(GLOSSARY) & set(p.dts)
    from glassworks.comparator.report import SHORT

    for c in card.columns:
        if SHORT[c] in GLOSSARY:
            assert SHORT[c] in p.dts
    # the long table of every score is folded away; the per-feature view names the features
    assert "<details><summary>" in page and "All scores" in page
    pf = rep.per_feature()
    assert list(pf.index) == list("abcd")
    assert {"kernel_shap", "interventional_shap (exact)", "tree_shap_path"} <= set(pf.columns)
    np.testing.assert_allclose(pf["kernel_shap"], pf["interventional_shap (exact)"], atol=1e-6)
    # wide tables scroll inside their box instead of overflowing the page
    assert all("div" in t for t in p.tables)


def test_shap_tree_explainer_subsampling_a_large_background_is_said():
    """shap keeps 100 rows of a larger background: tree_shap is exact for those rows only,
    and the audit says why its error is not round-off."""
    pytest.importorskip("shap")
    import glassworks as gw

    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 3))
    m = gw.DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, X[:, 0] * (X[:, 1] > 0))
    small = audit(m, X[:4], background=X[100:180], random_state=0, explainers=["tree_shap"])
    large = audit(m, X[:4], background=X[100:350], random_state=0, explainers=["tree_shap"])
    assert not any("keeps a random 100" in n for n in small.notes)
    assert any("keeps a random 100 of the 250 background rows" in n for n in large.notes)
    assert small.score("tree_shap", "estimation_error") < 1e-6
    assert large.score("tree_shap", "estimation_error") > 1e-3
