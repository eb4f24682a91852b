"""RuleListClassifier: scikit-learn conformance, equivalent tree, explanations, bad input."""

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import check_estimator

from glassworks.rules._classes import RuleListClassifier
from glassworks.rules.equivalent_tree import rule_list_to_tree
from glassworks.rules.mining import EQ, GT, ISNAN, LE, antecedent_mask


def test_check_estimator():
    check_estimator(RuleListClassifier())


def test_check_estimator_optimal():
    check_estimator(RuleListClassifier(algorithm="optimal", lam=0.05, max_card=1, n_cuts=3))


def _mixed_frame(n, seed):
    rng = np.random.RandomState(seed)
    num = rng.randn(n)
    num[rng.rand(n) < 0.1] = np.nan
    cat = rng.choice(["red", "green", "blue", None], size=n, p=[0.4, 0.3, 0.2, 0.1])
    flag = rng.rand(n) < 0.5
    ints = rng.randint(0, 5, size=n).astype(float)
    X = pd.DataFrame({"num": num, "colour": cat, "flag": flag, "ints": ints})
    y = np.where(
        np.isnan(num), "missing",
        np.where((cat == "red") & flag, "red-flag", np.where(ints > 2, "high", "low")),
    )
    noise = rng.rand(n) < 0.1
    y[noise] = rng.choice(["missing", "red-flag", "high", "low"], size=noise.sum())
    return X, y


@pytest.mark.parametrize("algorithm", ["greedy", "optimal"])
def test_mixed_types_multiclass_string_labels(algorithm):
    X, y = _mixed_frame(500, 0)
    clf = RuleListClassifier(algorithm=algorithm, lam=0.01, max_card=2, max_nodes=200_000).fit(X, y)
    assert set(clf.classes_) == {"missing", "red-flag", "high", "low"}
    assert clf.score(X, y) > 0.8
    text = str(clf)
    assert "num is missing then missing" in text
    assert "colour == red" in text
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    # rules_ as data: supports add up to the training weight, predictions match the rules
    assert sum(r["support"] for r in clf.rules_) == pytest.approx(len(y))
    assert clf.rules_[-1]["is_default"]
    fired = clf.explain_rules(X)
    assert list(fired.columns) == ["rule", "text", "class"]
    np.testing.assert_array_equal(fired["class"].to_numpy(), clf.predict(X))
    if algorithm == "optimal":
        assert clf.certified_


@pytest.mark.parametrize("algorithm", ["greedy", "optimal"])
def test_equivalent_tree_equals_predict_proba(algorithm):
    X, y = _mixed_frame(400, 1)
    lam, card = (0.005, 3) if algorithm == "greedy" else (0.02, 2)
    clf = RuleListClassifier(algorithm=algorithm, lam=lam, max_card=card, n_cuts=5).fit(X, y)
    Xn, _ = _mixed_frame(300, 2)
    Xn.loc[:10, "colour"] = "purple"  # unseen category
    _, Z = clf._rule_index(Xn)
    np.testing.assert_allclose(clf.tree_.predict(Z), clf.predict_proba(Xn), atol=0, rtol=0)
    # covers add up: a node's cover is its children's sum, the root's the training weight
    t = clf.tree_
    internal = t.children_left >= 0
    np.testing.assert_allclose(
        t.weighted_n_node_samples[internal],
        t.weighted_n_node_samples[t.children_left[internal]]
        + t.weighted_n_node_samples[t.children_right[internal]],
    )
    assert t.weighted_n_node_samples[0] == pytest.approx(len(y))
    # and they are the training rows passing through each node
    _, Ztrain = clf._rule_index(X)
    through = np.asarray(t.decision_path(Ztrain).sum(axis=0)).ravel()
    np.testing.assert_array_equal(t.n_node_samples, through)


def test_rule_list_to_tree_random_lists():
    """Random lists of random conditions on data with NaN: the tree's leaf is the first rule
    that matches."""
    rng = np.random.RandomState(0)
    for _ in range(40):
        n, d = 200, 3
        Z = rng.randint(0, 4, size=(n, d)).astype(float)
        Z[rng.rand(n, d) < 0.15] = np.nan
        rules = []
        for _r in range(rng.randint(0, 6)):
            conds = []
            for _c in range(rng.randint(1, 4)):
                j = rng.randint(d)
                op = rng.choice([LE, GT, EQ, ISNAN])
                v = np.nan if op == ISNAN else (float(rng.randint(0, 4)) if op == EQ
                                                 else rng.randint(0, 4) + 0.5)
                conds.append((j, op, v))
            rules.append(tuple(conds))
        values = rng.rand(len(rules) + 1, 2)
        tree, _ = rule_list_to_tree(rules, values, d)
        expected = np.full(n, len(rules))
        open_ = np.ones(n, dtype=bool)
        for r, ante in enumerate(rules):
            hit = open_ & antecedent_mask(Z, ante)
            expected[hit] = r
            open_ &= ~hit
        np.testing.assert_array_equal(tree.predict(Z), values[expected])


@pytest.mark.parametrize("background", [False, True])
def test_explain_adds_up_to_predict_proba(background):
    X, y = _mixed_frame(300, 3)
    clf = RuleListClassifier(algorithm="optimal", lam=0.02).fit(X, y)
    assert clf.certified_
    bg = X.iloc[:50] if background else None
    e = clf.explain(X.iloc[:40], background=bg)
    assert e.values.shape == (40, 4, 4)
    np.testing.assert_allclose(e.output(), clf.predict_proba(X.iloc[:40]), atol=1e-10)
    assert e.feature_names == ["num", "colour", "flag", "ints"]
    # a feature no rule tests gets no attribution
    untested = ~clf.rules_tested(X.iloc[:1])[0] & ~np.any(
        [np.isin(np.arange(4), r["features"]) for r in clf.rules_], axis=0
    )
    assert np.all(e.values[:, untested, :] == 0)


def test_rules_tested():
    X, y = _mixed_frame(300, 4)
    clf = RuleListClassifier(algorithm="greedy", lam=0.005).fit(X, y)
    idx = clf.apply(X)
    tested = clf.rules_tested(X)
    for i in range(0, 300, 17):
        feats = set()
        for r in clf.rules_[: idx[i] + 1]:
            feats.update(r["features"])
        assert set(np.flatnonzero(tested[i])) == feats


def test_sample_weight_is_duplication():
    X, y = _mixed_frame(200, 5)
    w = np.random.RandomState(0).randint(0, 3, size=200)
    rep = np.repeat(np.arange(200), w)
    for algorithm in ("greedy", "optimal"):
        a = RuleListClassifier(algorithm=algorithm, lam=0.03).fit(X, y, sample_weight=w)
        b = RuleListClassifier(algorithm=algorithm, lam=0.03).fit(
            X.iloc[rep].reset_index(drop=True), y[rep]
        )
        assert str(a) == str(b)
        assert a.certified_ == b.certified_ == (algorithm == "optimal")
        assert a.objective_ == pytest.approx(b.objective_)


def test_constant_columns_give_default_rule_with_warning():
    X = np.ones((50, 3))
    y = np.array([0, 1] * 25)
    with pytest.warns(UserWarning, match="default rule alone"):
        clf = RuleListClassifier().fit(X, y)
    assert len(clf.rules_) == 1 and clf.rules_[0]["is_default"]
    assert clf.antecedents_ == []
    np.testing.assert_array_equal(clf.predict(X), np.zeros(50))
    # a constant column next to informative ones yields no antecedent of its own
    rng = np.random.RandomState(0)
    X2 = np.column_stack([np.full(100, 7.0), rng.rand(100)])
    clf2 = RuleListClassifier(max_card=1).fit(X2, (X2[:, 1] > 0.5).astype(int))
    assert not any(t.startswith("x0") for t in clf2.antecedents_)


def test_min_support_too_high_warns():
    rng = np.random.RandomState(0)
    X = rng.rand(100, 2)
    with pytest.warns(UserWarning, match="default rule alone"):
        clf = RuleListClassifier(min_support=0.99, max_card=2).fit(X, rng.randint(0, 2, 100))
    assert len(clf.rules_) == 1


def test_nan_becomes_is_missing_condition():
    rng = np.random.RandomState(0)
    X = rng.rand(200, 2)
    X[:60, 0] = np.nan
    y = np.isnan(X[:, 0]).astype(int)
    clf = RuleListClassifier(algorithm="optimal", lam=0.01, max_card=1).fit(X, y)
    assert clf.score(X, y) == 1.0
    assert "x0 is missing" in clf.antecedents_
    assert clf.rules_[0]["text"] == "x0 is missing"


def test_ready_made_boolean_frame():
    rng = np.random.RandomState(0)
    B = pd.DataFrame(rng.rand(200, 4) < 0.4, columns=["{a}", "{b}", "{c}", "{d}"])
    y = (B["{a}"] & ~B["{c}"]).astype(int)
    clf = RuleListClassifier(algorithm="optimal", max_card=1, min_support=0.0).fit(B, y)
    assert clf.antecedents_ == ["{a}", "{b}", "{c}", "{d}"]
    assert all(r["text"] in ("{a}", "{b}", "{c}", "{d}", "") for r in clf.rules_)


@pytest.mark.parametrize(
    "params",
    [
        {"algorithm": "cart"},
        {"lam": -1.0},
        {"max_card": 0},
        {"n_cuts": 0},
        {"min_support": 1.5},
        {"queue": "fifo"},
        {"time_limit": 0},
    ],
)
def test_bad_params(params):
    X = np.random.RandomState(0).rand(20, 2)
    with pytest.raises(ValueError):
        RuleListClassifier(**params).fit(X, np.arange(20) % 2)


def test_bad_input():
    X = np.random.RandomState(0).rand(20, 2)
    clf = RuleListClassifier().fit(X, np.arange(20) % 2)
    with pytest.raises(ValueError, match="features"):
        clf.predict(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="class"):
        RuleListClassifier().fit(X, np.zeros(20))
    Xi = X.copy()
    Xi[0, 0] = np.inf
    with pytest.raises(ValueError):
        RuleListClassifier().fit(Xi, np.arange(20) % 2)
    frame = pd.DataFrame({"a": ["u", "v"] * 10, "b": X[:, 0]})
    frame.loc[3, "b"] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        RuleListClassifier().fit(frame, np.arange(20) % 2)


def test_caller_data_untouched():
    X, y = _mixed_frame(100, 6)
    X0 = X.copy()
    w = np.ones(100)
    RuleListClassifier(algorithm="optimal", lam=0.05).fit(X, y, sample_weight=w)
    pd.testing.assert_frame_equal(X, X0)
    assert np.all(w == 1)


def test_interventional_explanation_is_exact_shapley_of_predict_proba():
    """Through the equivalent tree, the values equal a brute-force enumeration of every
    coalition over the same background, applied to predict_proba itself."""
    from glassworks.shapley import exact_interventional_shapley

    rng = np.random.RandomState(0)
    X = rng.randint(0, 5, size=(300, 4)).astype(float)
    X[rng.rand(300, 4) < 0.1] = np.nan
    y = ((X[:, 0] > 2) & (X[:, 1] < 3)).astype(int) + np.isnan(X[:, 2])
    clf = RuleListClassifier(algorithm="greedy", lam=0.005, max_card=2).fit(X, y)
    assert len(clf.rules_) >= 3
    e = clf.explain(X[:15], background=X[20:60])
    values, base = exact_interventional_shapley(clf.predict_proba, X[:15], X[20:60])
    np.testing.assert_allclose(e.values, values, atol=1e-10)
    np.testing.assert_allclose(e.base_values[0], base, atol=1e-10)


def _string_frame(n, seed):
    rng = np.random.RandomState(seed)
    pool = ["a", "Felony", "Misdemeanor", "", "é", "26-45", "abcdefgh", "abcdefgh1", "x" * 12]
    X = pd.DataFrame({
        "s1": pd.Series(rng.choice(pool, n), dtype="str"),
        "num": rng.randn(n).round(1),
        "s2": pd.Series(rng.choice(pool[:4] + [None], n), dtype="str"),
        "ints": rng.randint(-3, 4, n),
    })
    X.loc[rng.rand(n) < 0.1, "num"] = np.nan
    y = ((X["s1"].str.len() > 2) ^ (X["num"] > 0)).to_numpy().astype(int)
    y[rng.rand(n) < 0.1] ^= 1
    return X, y


@pytest.mark.parametrize("seed", range(6))
def test_frame_fast_encoding_matches_general_path(seed):
    """Numeric and pyarrow string columns are encoded straight from their buffers at fit;
    the same frame with object columns takes the general path: same encoding, same model."""
    X, y = _string_frame(300 + 50 * seed, seed)
    if seed % 2:
        X, y = X.iloc[7:], y[7:]  # Arrow arrays with an offset
    Xo = X.astype({"s1": object, "s2": object})
    kw = (dict(lam=0.002, max_card=2) if seed < 4
          else dict(algorithm="optimal", lam=0.02, max_card=1))
    fast = RuleListClassifier(**kw).fit(X, y)
    slow = RuleListClassifier(**kw).fit(Xo, y)
    assert fast._categories == slow._categories and fast._kinds == slow._kinds
    assert [r["text"] for r in fast.rules_] == [r["text"] for r in slow.rules_]
    np.testing.assert_array_equal(fast.predict_proba(X), slow.predict_proba(Xo))
    np.testing.assert_array_equal(fast.explain(X[:5]).data, slow.explain(Xo[:5]).data)
    assert list(fast.feature_names_in_) == list(X.columns) and fast.n_features_in_ == 4
    # predict on values unseen in training (and a missing one): both encode them alike
    Xn = X.iloc[:4].copy()
    Xn["s1"] = pd.Series(["zz-new", None, "a", "Felony"], index=Xn.index, dtype="str")
    np.testing.assert_array_equal(fast.predict_proba(Xn),
                                  slow.predict_proba(Xn.astype({"s1": object, "s2": object})))


def test_frame_with_many_strings_falls_back():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"id": pd.Series([f"v{i}" for i in rng.randint(0, 70, 1000)], dtype="str"),
                      "x": rng.rand(1000)})
    y = (X["x"] > 0.5).to_numpy().astype(int)
    y[X["id"].isin(["v3", "v10", "v77"]).to_numpy()] ^= 1
    clf = RuleListClassifier(lam=0.001).fit(X, y)
    assert clf._categories[0] == sorted(set(X["id"]))
    ref = RuleListClassifier(lam=0.001).fit(X.astype({"id": object}), y)
    assert [r["text"] for r in clf.rules_] == [r["text"] for r in ref.rules_]
    assert any("id ==" in r["text"] for r in clf.rules_)


def test_fit_validation_matches_validate_data():
    """The fast checks at fit set what validate_data sets (and leave it the errors)."""
    from sklearn.base import BaseEstimator
    from sklearn.utils.validation import validate_data

    rng = np.random.RandomState(0)
    y = np.arange(40) % 2
    inputs = [rng.rand(40, 3), pd.DataFrame(rng.rand(40, 2), columns=["a", "b"]),
              pd.DataFrame({"a": ["u", "v"] * 20, "b": rng.rand(40)}),
              pd.DataFrame({0: ["u", "v"] * 20, 1: rng.rand(40)})]
    clf = RuleListClassifier()
    for X in inputs + inputs[::-1]:  # refits: names set, then removed
        est = BaseEstimator()
        validate_data(est, X, skip_check_array=True, reset=True)
        clf.fit(X, y)
        assert clf.n_features_in_ == est.n_features_in_
        assert hasattr(clf, "feature_names_in_") == hasattr(est, "feature_names_in_")
        if hasattr(est, "feature_names_in_"):
            np.testing.assert_array_equal(clf.feature_names_in_, est.feature_names_in_)
            assert clf.feature_names_in_.dtype == object
    with pytest.raises(TypeError, match="string names"):
        RuleListClassifier().fit(pd.DataFrame({"a": ["u", "v"] * 20, 1: rng.rand(40)}), y)
    with pytest.raises(Exception, match="unique"):
        RuleListClassifier().fit(pd.DataFrame([["u", 1.0]] * 40, columns=["a", "a"]), y)
    for bad in (np.zeros((0, 3)), np.zeros((40, 0)), np.full((40, 2), np.inf)):
        with pytest.raises(ValueError):
            RuleListClassifier().fit(bad, y[: bad.shape[0]])
    with pytest.raises(ValueError, match="infinity"):
        RuleListClassifier().fit(pd.DataFrame({"a": ["u", "v"] * 20, "b": [np.inf] * 40}), y)
    X = rng.rand(40, 2)
    X[3, 1] = np.nan  # NaN allowed (missing)
    assert RuleListClassifier().fit(X, y).n_features_in_ == 2


def _numbers_frame(n=400, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.uniform(0, 100, size=n).round(2)
    y = (x > 60).astype(int)
    return x, y


def test_numbers_stored_as_strings_are_numeric_with_a_note():
    # a CSV column read as text: before, one category per value, so no antecedent reached
    # the support and the list degraded to the default rule
    import pandas as pd

    x, y = _numbers_frame()
    X_num = pd.DataFrame({"income": x})
    X_str = pd.DataFrame({"income": [f"{v:.2f}" for v in x]})
    X_str.loc[5, "income"] = None  # a missing value stays missing
    with pytest.warns(UserWarning, match="numbers stored as strings.*income"):
        m = RuleListClassifier().fit(X_str, y)
    ref = RuleListClassifier().fit(X_num.assign(income=X_num.income.where(X_str.income.notna())),
                                   y)
    assert len(m.rules_) > 1 and m.score(X_str, y) >= 0.9
    assert m.score(X_str, y) == ref.score(X_num, y)
    np.testing.assert_array_equal(m.predict(X_str), ref.predict(X_num.where(X_str.notna())))
    # the escape hatch: the category dtype keeps one category per value
    codes = pd.DataFrame({"zip": pd.Series(["02139", "10001", "94103", "02139"] * 50,
                                           dtype="category")})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RuleListClassifier().fit(codes, np.tile([1, 0, 0, 1], 50))
    # a value that is not a number at predict time is refused, not taken as a new category
    with pytest.raises(ValueError, match="numeric in training"):
        m.predict(pd.DataFrame({"income": ["12.5", "n/a"]}))


@pytest.mark.parametrize("kind", ["datetime", "datetime_tz", "timedelta", "period"])
def test_date_columns_are_refused_clearly(kind):
    import pandas as pd

    n = 100
    t = pd.Series(pd.date_range("2020-01-01", periods=n, freq="D"))
    col = {"datetime": t, "datetime_tz": t.dt.tz_localize("UTC"),
           "timedelta": t - t.iloc[0], "period": t.dt.to_period("M")}[kind]
    X = pd.DataFrame({"when": col, "x": np.arange(n) % 7})
    with pytest.raises(ValueError, match=r"date or time columns.*when.*dt\.year"):
        RuleListClassifier().fit(X, np.arange(n) % 2)
