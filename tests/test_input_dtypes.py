"""Every estimator and explain path gives the same numbers whatever the dtype and memory layout
of X, as long as the values are the same: float32, float16, int, bool, Fortran-ordered,
non-contiguous and read-only inputs against the same values as a C-ordered float64 matrix.

A float32 copy of float64 data is *other* data (its values are rounded): a tree that splits
between two training values that float32 cannot tell apart sends their rounded copies the same
way. That is what the warning tested at the end reports.
"""

import warnings

import numpy as np
import pytest

import glassworks as gw

rng = np.random.RandomState(0)
# values exact in float16 (multiples of 1/8 in [-4, 4]), so every cast below keeps them
X64 = np.round(rng.normal(size=(120, 4)) * 8) / 8
y_reg = X64[:, 0] + 2 * (X64[:, 1] > 0) + 0.1 * rng.normal(size=120)
y_clf = (X64[:, 0] + X64[:, 2] > 0).astype(int)

ESTIMATORS = {
    "tree_reg": lambda: gw.DecisionTreeRegressor(max_depth=4, random_state=0).fit(X64, y_reg),
    "tree_clf": lambda: gw.DecisionTreeClassifier(max_depth=4, random_state=0).fit(X64, y_clf),
    "forest_reg": lambda: gw.RandomForestRegressor(
        n_estimators=8, max_depth=4, random_state=0).fit(X64, y_reg),
    "forest_clf": lambda: gw.RandomForestClassifier(
        n_estimators=8, max_depth=4, random_state=0).fit(X64, y_clf),
    "rules": lambda: gw.RuleListClassifier(max_rules=4).fit(X64, y_clf),
    "maple_reg": lambda: gw.MapleRegressor(n_estimators=10, random_state=0).fit(X64, y_reg),
    "maple_clf": lambda: gw.MapleClassifier(n_estimators=10, random_state=0).fit(X64, y_clf),
}

_fitted = {}


def _model(name):
    if name not in _fitted:
        _fitted[name] = ESTIMATORS[name]()
    return _fitted[name]


def _read_only(X):
    X = X.copy()
    X.flags.writeable = False
    return X


VARIANTS = {
    "float32": lambda X: X.astype(np.float32),
    "float16": lambda X: X.astype(np.float16),
    "fortran": np.asfortranarray,
    "non_contiguous": lambda X: np.repeat(X, 2, axis=1)[:, ::2],
    "read_only": _read_only,
}


def _outputs(model, X):
    """Every output of ``model`` on X, by name."""
    out = {"predict": model.predict(X)}
    for name in ("predict_proba", "apply", "decision_path"):
        if hasattr(model, name):
            r = getattr(model, name)(X)
            out[name] = r.toarray() if hasattr(r, "toarray") else (
                r[0].toarray() if isinstance(r, tuple) else r)
    if isinstance(model, (gw.MapleRegressor, gw.MapleClassifier)):
        e = model.explain(X)
        out["explain"] = (e.values, e.base_values)
    else:
        for kw in ({"method": "shap"}, {"method": "path"},
                   {"method": "shap", "background": X64[:20]}):
            e = model.explain(X, **kw)
            out[f"explain_{kw['method']}_{'bg' if 'background' in kw else 'nobg'}"] = (
                e.values, e.base_values)
    return out


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_same_values_same_outputs(name, variant):
    model = _model(name)
    X = VARIANTS[variant](X64)
    assert np.array_equal(np.asarray(X, dtype=np.float64), X64)
    expected = _outputs(model, X64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no precision warning: the values are exact
        got = _outputs(model, X)
    for key, value in expected.items():
        if isinstance(value, tuple):
            for a, b in zip(value, got[key]):
                np.testing.assert_array_equal(a, b, err_msg=f"{name}.{key} on {variant}")
        else:
            np.testing.assert_array_equal(value, got[key], err_msg=f"{name}.{key} on {variant}")


@pytest.mark.parametrize("name", ["tree_reg", "forest_reg", "maple_reg"])
def test_int_and_bool_inputs(name):
    model = _model(name)
    Xi = np.round(X64).astype(np.int64)
    np.testing.assert_array_equal(model.predict(Xi), model.predict(Xi.astype(np.float64)))
    Xb = X64 > 0
    np.testing.assert_array_equal(model.predict(Xb), model.predict(Xb.astype(np.float64)))


def test_float32_copy_of_float64_data_warns_when_it_can_change_a_prediction():
    # two training values distinct in float64 but equal in float32, with different targets:
    # the tree splits between them, and their float32 copies cannot go both ways
    a = 0.1
    b = np.nextafter(a, 1.0)
    assert np.float32(a) == np.float32(b)
    X = np.array([[a], [b]] * 20)
    y = np.array([0.0, 1.0] * 20)
    for model in (gw.DecisionTreeRegressor(random_state=0).fit(X, y),
                  gw.RandomForestRegressor(n_estimators=3, bootstrap=False,
                                           random_state=0).fit(X, y)):
        assert model.predict(X).tolist() == y.tolist()
        X32 = X.astype(np.float32)
        with pytest.warns(UserWarning, match="float32"):
            p32 = model.predict(X32)
        # the rounded copies all go one way: half of them get the other target
        assert len(set(p32.tolist())) == 1
        import pandas as pd

        with pytest.warns(UserWarning, match="40 of 40 rows"):
            model.predict(pd.DataFrame(X32))
        # no warning on float64 input, nor on a float32 input far from every threshold
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.predict(X)
            model.predict(np.array([[0.5]], dtype=np.float32))


def test_float32_diabetes_forest_predicts_like_float64():
    # the repro: 55 rows changed when the forest's thresholds could sit on a
    # training value; they are now float32-safe (tree/thresholds.py), and a float32 input
    # is read as exactly its float64 value
    import warnings

    from sklearn.datasets import load_diabetes

    Xd, yd = load_diabetes(return_X_y=True)
    f = gw.RandomForestRegressor(n_estimators=20, max_depth=6, random_state=0).fit(Xd, yd)
    X32 = Xd.astype(np.float32)
    assert int((f.predict(X32.astype(np.float64)) != f.predict(Xd)).sum()) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        p32 = f.predict(X32)
    np.testing.assert_array_equal(p32, f.predict(X32.astype(np.float64)))
