"""The ``glassworks audit`` command line: demo, CSV input and one-line errors."""

import numpy as np
import pandas as pd
import pytest

from glassworks.cli import main


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(120, 4))
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    df["y"] = 2 * df["a"] - df["b"]
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return path


def test_demo_runs_prints_scorecard_and_writes_html(tmp_path, capsys):
    out = tmp_path / "report.html"
    rc = main(["audit", "--n-explain", "3", "--explainers", "tree_shap,tree_shap_path,gradient",
               "--out", str(out), "--no-progress", "--background", "30"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "demo 1/3" in text and "demo 2/3" in text and "demo 3/3" in text
    assert "tree_shap [interventional_shap]" in text
    assert "recall@k" in text  # the planted scenario is scored on recall
    page = out.read_text()
    assert page.count("data:image/png;base64,") in (2, 4)  # 4 with the COMPAS scaffold
    if "demo 3/3: COMPAS" in text:
        assert "Your question -> which explainer answers it here" in text
        assert "which explainer answers it here</h3>" in page


def test_csv_use_cases_and_protected(csv, tmp_path, capsys):
    import pandas as pd

    col = pd.read_csv(csv).columns[0]
    rc = main(["audit", "--data", str(csv), "--target", "y", "--model", "linear",
               "--explainers", "gradient", "--n-explain", "4", "--out",
               str(tmp_path / "r.html"), "--no-progress", "--use-cases",
               "protected_attribute", "--protected", col])
    assert rc == 0
    text = capsys.readouterr().out
    assert "protected_attribute" in text and "needs a classifier" in text  # y is numeric


def test_csv_with_linear_model(csv, tmp_path, capsys):
    out = tmp_path / "r.html"
    rc = main(["audit", "--data", str(csv), "--target", "y", "--model", "linear",
               "--explainers", "gradient,lime_continuous", "--n-explain", "4", "--out",
               str(out), "--no-progress", "--seed", "1"])
    assert rc == 0
    assert "gradient [gradient]" in capsys.readouterr().out
    assert out.exists()


@pytest.mark.parametrize("args, message", [
    (["--target", "nope"], "target column 'nope' is not in"),
    (["--target", "y", "--explainers", "bogus"], "unknown explainer"),
    (["--target", "y", "--model", "rules"], "needs a classification target"),
    (["--target", "y", "--read-as", "bogus"], "Unknown estimand 'bogus'"),
    ([], "--data needs --target"),
])
def test_bad_input_is_one_line_and_exit_2(csv, tmp_path, capsys, args, message):
    rc = main(["audit", "--data", str(csv), "--out", str(tmp_path / "r.html"),
               "--no-progress"] + args)
    assert rc == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_rule_list_default_explainers_do_not_fail(tmp_path, capsys):
    # shap's path-dependent explainer refuses the rule list's equivalent tree: not a default
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.uniform(-1, 1, size=(150, 3)), columns=["a", "b", "c"])
    df["y"] = (df["a"] + df["b"] > 0).astype(int)
    path = tmp_path / "clf.csv"
    df.to_csv(path, index=False)
    rc = main(["audit", "--data", str(path), "--target", "y", "--model", "rules",
               "--n-explain", "3", "--out", str(tmp_path / "r.html"), "--no-progress",
               "--read-as", "baseline_shap"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "FAILED" not in out
    assert "from baseline_shap" in out


def test_non_numeric_features_and_missing_file(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"colour": ["red", "blue"] * 10, "x": range(20), "y": range(20)}).to_csv(
        path, index=False)
    assert main(["audit", "--data", str(path), "--target", "y", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "non-numeric feature columns" in err and "colour" in err
    assert main(["audit", "--data", str(tmp_path / "none.csv"), "--target", "y"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_console_script_is_declared():
    from importlib.metadata import entry_points

    eps = entry_points(group="console_scripts")
    assert any(ep.name == "glassworks" and ep.value == "glassworks.cli:main" for ep in eps)


class _SlowRegressor:
    """A black box whose predict is slow per point (as MAPLE's is): the audit's explainers
    call it thousands of times per row."""

    def __init__(self, inner, seconds_per_row):
        self.inner, self.seconds_per_row = inner, seconds_per_row

    def predict(self, X):
        import time

        time.sleep(self.seconds_per_row * len(X))
        return self.inner.predict(X)


def test_a_slow_audit_is_announced_before_it_starts(monkeypatch):
    """A slow model gets an estimate before the audit (from one row, audited first); a fast
    one is not probed at all."""
    from types import SimpleNamespace

    from sklearn.linear_model import LinearRegression

    import glassworks.cli as cli

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(-1, 1, size=(60, 3)), columns=["a", "b", "c"])
    fast = LinearRegression().fit(X, 2 * X["a"])
    args = SimpleNamespace(explainers="lime,kernel_shap", seed=0, jobs=1)
    err = __import__("io").StringIO()
    probes = []
    real = cli._audit_quietly
    monkeypatch.setattr(cli, "_audit_quietly", lambda **kw: probes.append(1) or real(**kw))
    assert cli._announce_duration(fast, X.iloc[:10], X.iloc[:20], args, err=err) is None
    assert probes == [] and err.getvalue() == ""
    # a model 1e-5 s a row is 0.1 s per 10,000 calls: slow enough to be probed at a 0.5 s limit
    monkeypatch.setattr(cli, "ANNOUNCE_AFTER", 0.5)
    slow = _SlowRegressor(fast, 1e-5)
    est = cli._announce_duration(slow, X.iloc[:10], X.iloc[:20], args, err=err)
    assert probes == [1] and est is not None and est >= 0.5
    note = err.getvalue()
    assert note.startswith("note: this audit will take about") and "10 rows" in note
