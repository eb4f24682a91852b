"""`glassworks audit`'s bad inputs: one clear line and exit code 2, checked before the work."""

import numpy as np
import pandas as pd
import pytest

import glassworks
from glassworks.cli import main

FAST = ["--model", "tree", "--explainers", "tree_shap_path", "--n-explain", "3",
        "--no-progress"]


def _csv(tmp_path, df, name="d.csv", index=False):
    path = tmp_path / name
    df.to_csv(path, index=index)
    return str(path)


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"])
    X["y"] = 2 * X["a"] + X["b"]
    return X


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"glassworks {glassworks.__version__}"


def test_missing_out_folder_fails_before_the_audit(tmp_path, table, capsys, monkeypatch):
    import glassworks.comparator as comparator

    def boom(*a, **k):  # the audit must not start
        raise AssertionError("audit ran")

    monkeypatch.setattr(comparator, "audit", boom)
    path = _csv(tmp_path, table)
    code = main(["audit", "--data", path, "--target", "y", "--out",
                 str(tmp_path / "missing" / "r.html")] + FAST)
    err = capsys.readouterr().err
    assert code == 2 and "does not exist" in err and "missing" in err


@pytest.mark.parametrize("flag", ["--background", "--n-explain"])
def test_zero_counts_name_their_flag(tmp_path, table, capsys, flag):
    path = _csv(tmp_path, table)
    args = ["audit", "--data", path, "--target", "y", "--out", str(tmp_path / "r.html")] + FAST
    if flag in args:
        args[args.index(flag) + 1] = "0"
    else:
        args += [flag, "0"]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2 and f"{flag} must be at least 1" in err


def test_one_row_csv(tmp_path, table, capsys):
    path = _csv(tmp_path, table.iloc[:1])
    code = main(["audit", "--data", path, "--target", "y", "--out", str(tmp_path / "r.html")]
                + FAST)
    err = capsys.readouterr().err
    assert code == 2 and "1 data row" in err and "Unknown label" not in err


def test_index_column_is_dropped_with_a_note(tmp_path, table, capsys):
    path = _csv(tmp_path, table, index=True)
    assert pd.read_csv(path).columns[0].startswith("Unnamed")
    code = main(["audit", "--data", path, "--target", "y", "--out", str(tmp_path / "r.html")]
                + FAST)
    cap = capsys.readouterr()
    assert code == 0
    assert "saved index" in cap.err
    assert "Unnamed" not in cap.out


def test_integer_count_target_and_task(tmp_path, table, capsys):
    df = table.copy()
    df["y"] = np.clip(np.round(df["a"] * 2 + 3), 0, 8).astype(int)  # a count, 7+ values
    path = _csv(tmp_path, df)
    out = str(tmp_path / "r.html")
    assert main(["audit", "--data", path, "--target", "y", "--out", out] + FAST) == 0
    cap = capsys.readouterr()
    assert "treated as classification" in cap.err and "--task regression" in cap.err
    assert "output explained: probability of the class" in cap.out
    assert main(["audit", "--data", path, "--target", "y", "--task", "regression", "--out",
                 out] + FAST) == 0
    cap = capsys.readouterr()
    assert "treated as classification" not in cap.err
    assert "output explained: predict\n" in cap.out


def test_huge_values_do_not_flood_the_terminal(tmp_path, table, capsys):
    df = table.copy()
    df["a"] = df["a"] * 1e300
    df["y"] = df["b"]
    path = _csv(tmp_path, df)
    code = main(["audit", "--data", path, "--target", "y", "--out", str(tmp_path / "r.html"),
                 "--model", "linear", "--explainers", "kernel_shap,lime", "--n-explain", "3",
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code in (0, 2)
    assert err.count("RuntimeWarning") <= 1
    assert len(err.splitlines()) < 15
