"""skops round trips of every estimator: only glassworks types to trust, the same outputs after
loading, in this process and in a new one."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

import glassworks as gw

sio = pytest.importorskip("skops.io")
from glassworks.persistence import TRUSTED_TYPES, dump, load  # noqa: E402

rng = np.random.RandomState(0)
N = 300
_X = rng.normal(size=(N, 4))
FRAME = pd.DataFrame(_X, columns=["age", "bmi", "bp", "s1"])
Y_REG = _X[:, 0] + 2 * (_X[:, 1] > 0) + 0.1 * rng.normal(size=N)
Y_CLF = np.where(_X[:, 0] + _X[:, 2] > 0, "yes", "no")
STRINGS = FRAME.assign(band=np.where(_X[:, 3] > 0.3, "high", np.where(_X[:, 3] < -0.3, "low",
                                                                     "mid")))


def _big_forest():
    # past the batched small-data path: each tree grown on its own, estimators_ kept
    from glassworks.forest._classes import _BATCH_ROWS

    r = np.random.RandomState(1)
    X = r.normal(size=(_BATCH_ROWS + 50, 2))
    return gw.RandomForestRegressor(n_estimators=2, max_depth=3, random_state=0).fit(
        X, X[:, 0]), X[:50]


def _cases():
    """name -> (fitted model, X to evaluate on)."""
    return {
        "tree_reg_numpy": (gw.DecisionTreeRegressor(max_depth=4, random_state=0)
                           .fit(_X, Y_REG), _X),
        "tree_clf_frame_pruned": (gw.DecisionTreeClassifier(ccp_alpha=0.01, random_state=0)
                                  .fit(FRAME, Y_CLF), FRAME),
        "forest_reg_frame": (gw.RandomForestRegressor(n_estimators=6, max_depth=4,
                                                      random_state=0).fit(FRAME, Y_REG), FRAME),
        "forest_clf_numpy": (gw.RandomForestClassifier(n_estimators=6, random_state=0)
                             .fit(_X, Y_CLF), _X),
        "forest_reg_big": _big_forest(),
        "rules_greedy_strings": (gw.RuleListClassifier().fit(STRINGS, Y_CLF), STRINGS),
        "rules_optimal_numpy": (gw.RuleListClassifier(algorithm="optimal", lam=0.02,
                                                      max_card=1).fit(_X, Y_CLF), _X),
        "maple_reg_frame": (gw.MapleRegressor(n_estimators=10, random_state=0)
                            .fit(FRAME, Y_REG), FRAME),
        "maple_clf_numpy": (gw.MapleClassifier(n_estimators=10, random_state=0)
                            .fit(_X, Y_CLF), _X),
    }


CASES = None


def _case(name):
    global CASES
    if CASES is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            CASES = _cases()
    return CASES[name]


def _outputs(model, X):
    """Everything a user reads from a model, as arrays."""
    X = X[:40] if not hasattr(X, "iloc") else X.iloc[:40]
    out = {"predict": np.asarray(model.predict(X))}
    for name in ("predict_proba", "apply"):
        if hasattr(model, name):
            out[name] = np.asarray(getattr(model, name)(X))
    if isinstance(model, (gw.MapleRegressor, gw.MapleClassifier)):
        e = model.explain(X)
        out["explain"], out["explain_base"] = e.values, e.base_values
        out["weights"] = model.weights(X).toarray()
    else:
        bg = X[:10] if not hasattr(X, "iloc") else X.iloc[:10]
        for tag, kw in (("path", {}), ("interventional", {"background": bg}),
                        ("saabas", {"method": "path"})):
            e = model.explain(X, **kw)
            out[f"explain_{tag}"], out[f"explain_{tag}_base"] = e.values, e.base_values
    return out


NAMES = sorted([
    "tree_reg_numpy", "tree_clf_frame_pruned", "forest_reg_frame", "forest_clf_numpy",
    "forest_reg_big", "rules_greedy_strings", "rules_optimal_numpy", "maple_reg_frame",
    "maple_clf_numpy",
])


@pytest.mark.parametrize("name", NAMES)
def test_round_trip_trusts_only_glassworks_types(name, tmp_path):
    model, X = _case(name)
    before = _outputs(model, X)  # builds the lazy state (the forest's estimators_, tables)
    if hasattr(model, "estimators_"):
        model.estimators_  # noqa: B018 - the lazily built list, present when dumping
    path = tmp_path / f"{name}.skops"
    dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted, "skops trusts no glassworks class by default"
    assert all(t.startswith("glassworks.") for t in untrusted), untrusted
    assert set(untrusted) <= set(TRUSTED_TYPES), set(untrusted) - set(TRUSTED_TYPES)
    # the documented one-liner, and the helper
    for loaded in (sio.load(path, trusted=list(TRUSTED_TYPES)), load(path)):
        assert type(loaded) is type(model)
        after = _outputs(loaded, X)
        assert after.keys() == before.keys()
        for key in before:
            np.testing.assert_array_equal(after[key], before[key], err_msg=f"{name}.{key}")
    if hasattr(model, "feature_names_in_"):
        np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)


def test_trusted_types_are_the_classes_they_name():
    import importlib

    for name in TRUSTED_TYPES:
        module, _, cls = name.rpartition(".")
        assert isinstance(getattr(importlib.import_module(module), cls), type), name


def test_load_refuses_a_type_outside_the_lists(tmp_path):
    class Sneaky:  # a class of this test module: not glassworks, not trusted
        pass

    model, _ = _case("tree_reg_numpy")
    path = tmp_path / "m.skops"
    sio.dump({"model": model, "payload": Sneaky()}, path)
    with pytest.raises(ValueError, match="test_persistence.Sneaky"):
        load(path)
    with open(path, "rb") as fh:
        with pytest.raises(ValueError, match="Sneaky"):
            load(fh)


def test_loading_in_a_new_process(tmp_path):
    """The parent saves each model and the bytes of its outputs; a fresh interpreter loads
    the models with the helper and compares its outputs byte for byte."""
    for name in NAMES:
        model, X = _case(name)
        dump(model, tmp_path / f"{name}.skops")
        np.savez(tmp_path / f"{name}.npz", **_outputs(model, X))
        if hasattr(X, "iloc"):
            X.to_pickle(tmp_path / f"{name}.X.pkl")  # our own test data, not a model
        else:
            np.save(tmp_path / f"{name}.X.npy", X)
    script = textwrap.dedent(f"""
        import sys, numpy as np, pandas as pd
        from pathlib import Path
        sys.path.insert(0, {str(tmp_path)!r})
        sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
        from test_persistence import _outputs
        from glassworks.persistence import load
        d = Path({str(tmp_path)!r})
        bad = []
        for name in {NAMES!r}:
            model = load(d / f"{{name}}.skops")
            X = (pd.read_pickle(d / f"{{name}}.X.pkl") if (d / f"{{name}}.X.pkl").exists()
                 else np.load(d / f"{{name}}.X.npy"))
            saved = np.load(d / f"{{name}}.npz")
            got = _outputs(model, X)
            for key in saved.files:
                if saved[key].tobytes() != np.asarray(got[key]).tobytes():
                    bad.append(f"{{name}}.{{key}}")
        print("mismatched:", bad)
        sys.exit(1 if bad else 0)
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    assert "mismatched: []" in r.stdout
