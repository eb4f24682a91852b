"""Native categorical features in trees and forests: the subset splits against a brute force
over all subsets and against scikit-learn's HistGradientBoosting (max_iter=1), missing and
unseen categories, display, exact explanations on categorical trees, persistence, bad input."""

import itertools
import pickle

import numpy as np
import pandas as pd
import pytest

import glassworks as gw
from glassworks.shapley.brute_force import (
    exact_interventional_shapley,
    shapley_from_coalition_values,
)

CITIES = np.array(["ams", "ber", "dub", "lis", "mad", "par", "rom", "vie"])


def _frame(n=600, k=8, seed=0, missing=0.05):
    rng = np.random.default_rng(seed)
    c = rng.choice(CITIES[:k], n)
    eff = dict(zip(CITIES, rng.normal(scale=2.0, size=len(CITIES))))
    x = rng.normal(size=n)
    y = np.array([eff[v] for v in c]) + 0.5 * x + 0.3 * rng.normal(size=n)
    df = pd.DataFrame({"city": pd.Categorical(c, categories=CITIES[:k]), "x": x})
    if missing:
        df.loc[rng.random(n) < missing, "city"] = np.nan
        y[df["city"].isna().to_numpy()] += 1.0
    return df, y


# -- the split search ------------------------------------------------------------------------
def _impurity(y, w, kind):
    if w.sum() == 0:
        return 0.0
    if kind == "reg":
        m = np.average(y, weights=w)
        return float(np.sum(w * (y - m) ** 2))
    p = np.array([w[y == c].sum() for c in (0, 1)]) / w.sum()
    return float(w.sum() * (1 - np.sum(p ** 2)))


@pytest.mark.parametrize("kind", ["reg", "clf"])
@pytest.mark.parametrize("missing", [0.0, 0.1])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_root_split_is_the_best_subset(kind, missing, seed):
    """The root split's weighted child impurity equals the minimum over every partition of
    the categories (and of NaN) into two non-empty sides."""
    df, y = _frame(n=300, k=7, seed=seed, missing=missing)
    if kind == "clf":
        y = (y > np.median(y)).astype(int)
        est = gw.DecisionTreeClassifier(max_depth=1)
    else:
        est = gw.DecisionTreeRegressor(max_depth=1)
    X = df[["city"]]
    est.fit(X, y)
    t = est.tree_
    assert t.has_categorical and t.node_count == 3
    codes = df["city"].cat.codes.to_numpy()  # -1: missing
    groups = sorted(set(codes.tolist()))
    w = np.ones(len(y))
    best = np.inf
    for r in range(1, len(groups)):
        for left in itertools.combinations(groups, r):
            go = np.isin(codes, left)
            imp = _impurity(y[go], w[go], kind) + _impurity(y[~go], w[~go], kind)
            best = min(best, imp)
    wn = t.weighted_n_node_samples
    ours = wn[1] * t.impurity[1] + wn[2] * t.impurity[2]
    if kind == "clf":
        ours = ours  # gini impurity times weight, as _impurity
    assert ours == pytest.approx(best, rel=1e-9, abs=1e-9)
    # the partition the tree makes is one of those optimal partitions and is applied as learnt
    leaves = est.apply(X)
    go = leaves == t.children_left[0]
    imp = _impurity(y[go], w[go], kind) + _impurity(y[~go], w[~go], kind)
    assert imp == pytest.approx(best, rel=1e-9, abs=1e-9)


def test_multiclass_split_beats_every_single_category():
    """Three classes: the heuristic (best prefix of each class's order) is at least as good
    as every one-category-versus-rest split (each is a prefix of some order)."""
    df, y = _frame(n=500, k=8, seed=3, missing=0.0)
    y3 = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    est = gw.DecisionTreeClassifier(max_depth=1).fit(df[["city"]], y3)
    t = est.tree_
    ours = t.weighted_n_node_samples[1] * t.impurity[1] + t.weighted_n_node_samples[2] * t.impurity[2]
    codes = df["city"].cat.codes.to_numpy()

    def gini(sel):
        p = np.bincount(y3[sel], minlength=3) / max(sel.sum(), 1)
        return sel.sum() * (1 - np.sum(p ** 2))

    for c in np.unique(codes):
        go = codes == c
        assert ours <= gini(go) + gini(~go) + 1e-9


# -- against HistGradientBoosting ------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_hist_gradient_boosting_one_iteration(seed):
    """One squared-error boosting iteration with learning_rate=1 and no regularisation is a
    regression tree plus the mean: same partition and predictions when the categories are
    well supported (HGB ignores categories of fewer than 10 rows and smooths the means it
    sorts by with 10 pseudo-rows; here every category has ~60 rows and distinct effects)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    df, y = _frame(n=800, k=8, seed=seed, missing=0.0)
    for leaves in (2, 4):
        hgb = HistGradientBoostingRegressor(
            max_iter=1, learning_rate=1.0, max_leaf_nodes=leaves, min_samples_leaf=20,
            l2_regularization=0.0, categorical_features="from_dtype", early_stopping=False,
        ).fit(df, y)
        ours = gw.DecisionTreeRegressor(max_leaf_nodes=leaves, min_samples_leaf=20).fit(df, y)
        # HGB sums float32 gradients: its leaf values agree to ~1e-8, its partition exactly
        p, q = ours.predict(df), hgb.predict(df)
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-6)
        _, a = np.unique(p, return_inverse=True)
        _, b = np.unique(np.round(q, 6), return_inverse=True)
        assert len(np.unique(p)) == leaves
        assert (np.unique(np.stack([a, b]), axis=1).shape[1]) == leaves


# -- missing and unseen categories -----------------------------------------------------------
def test_missing_and_unseen_go_the_missing_side():
    df, y = _frame(n=600, seed=4, missing=0.1)
    est = gw.DecisionTreeRegressor(max_depth=1).fit(df, y)
    t = est.tree_
    assert t.is_categorical_split()[0]
    side = t.children_left[0] if t.missing_go_to_left[0] else t.children_right[0]
    test = pd.DataFrame({"city": pd.Series(["zzz", None, "ams"], dtype=object),
                         "x": [0.0, 0.0, 0.0]})
    leaves = est.apply(test)
    assert leaves[0] == side and leaves[1] == side
    # a string column at predict is matched to the training categories by value
    same = pd.DataFrame({"city": df["city"].astype(object), "x": df["x"]})
    np.testing.assert_array_equal(est.predict(same), est.predict(df))


def test_string_and_object_columns_are_categorical_booleans_numeric():
    df, y = _frame(n=400, seed=5, missing=0.0)
    flag = np.random.default_rng(0).random(len(y)) < 0.5
    a = pd.DataFrame({"city": df["city"].astype(object), "x": df["x"], "flag": flag})
    b = pd.DataFrame({"city": df["city"].astype("string[pyarrow]"), "x": df["x"], "flag": flag})
    ea = gw.DecisionTreeRegressor(max_depth=3).fit(a, y)
    eb = gw.DecisionTreeRegressor(max_depth=3).fit(b, y)
    assert ea.is_categorical_.tolist() == [True, False, False]
    np.testing.assert_array_equal(ea.predict(a), eb.predict(b))
    ec = gw.DecisionTreeRegressor(max_depth=3).fit(df, y)
    assert ec.categories_[0] == list(CITIES)


def test_explicit_categorical_features_and_numeric_trees_unchanged():
    rng = np.random.default_rng(6)
    X = np.column_stack([rng.integers(0, 6, 300), rng.normal(size=300)]).astype(float)
    y = np.where(np.isin(X[:, 0], [1, 4]), 2.0, 0.0) + X[:, 1]
    by_index = gw.DecisionTreeRegressor(max_depth=2, categorical_features=[0]).fit(X, y)
    by_mask = gw.DecisionTreeRegressor(max_depth=2, categorical_features=[True, False]).fit(X, y)
    assert by_index.tree_.has_categorical
    np.testing.assert_array_equal(by_index.predict(X), by_mask.predict(X))
    # numeric data: the same tree whatever categorical_features says
    a = gw.DecisionTreeRegressor(max_depth=4).fit(X, y).tree_
    b = gw.DecisionTreeRegressor(max_depth=4, categorical_features=None).fit(X, y).tree_
    for k in ("children_left", "feature", "threshold", "value", "impurity"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    assert not a.has_categorical


# -- display ---------------------------------------------------------------------------------
def test_display_names_the_categories():
    df, y = _frame(n=600, seed=7, missing=0.0)
    est = gw.DecisionTreeRegressor(max_depth=2).fit(df, y)
    text = gw.export_text(est)
    assert "city in {" in text and "city not in {" in text
    rules = est.explain_rules(df.head(20))
    for rule, city in zip(rules, df["city"].head(20)):
        if "city in {" in rule:
            inside = rule.split("city in {")[1].split("}")[0].split(", ")
            assert city in inside


# -- explanations ----------------------------------------------------------------------------
def _path_shap_brute(tree, x, is_cat):
    """Path-dependent Shapley values of a tree with categorical splits, by enumeration."""
    d = tree.n_features
    L, R = tree.children_left, tree.children_right
    cover = tree.weighted_n_node_samples
    v = np.zeros(2 ** d)
    for mask in range(2 ** d):
        def rec(node):
            if L[node] == -1:
                return tree.value2d[node, 0]
            f = tree.feature[node]
            if mask >> f & 1:
                child = tree.apply(x[None, :].copy())  # the walk of the full row
                # route this node as the row does
                xv = x[f]
                if tree.is_categorical_split()[node]:
                    k = tree.categories_left(node)
                    if np.isnan(xv) or xv < 0 or xv != int(xv) or int(xv) >= tree.cat_bitset.shape[1] * 64:
                        left = bool(tree.missing_go_to_left[node])
                    else:
                        left = int(xv) in set(k.tolist())
                elif np.isnan(xv):
                    left = bool(tree.missing_go_to_left[node])
                else:
                    left = xv <= tree.threshold[node]
                del child
                return rec(L[node] if left else R[node])
            return (cover[L[node]] * rec(L[node]) + cover[R[node]] * rec(R[node])) / cover[node]
        v[mask] = rec(0)
    return shapley_from_coalition_values(v, d)


def test_tree_shap_on_a_categorical_tree_is_exact():
    df, y = _frame(n=400, seed=8, missing=0.08)
    df["c2"] = pd.Categorical(np.random.default_rng(1).choice(list("abcde"), len(y)))
    y = y + (df["c2"].isin(["a", "d"])).to_numpy() * 1.5
    est = gw.DecisionTreeRegressor(max_depth=5, min_samples_leaf=5).fit(df, y)
    assert est.tree_.has_categorical
    Xt = df.head(12).copy()
    Xt["city"] = Xt["city"].cat.add_categories(["zzz"])
    Xt.loc[Xt.index[0], "city"] = "zzz"  # unseen
    e = est.explain(Xt)
    np.testing.assert_allclose(e.values.sum(1) + e.base_values, est.predict(Xt), atol=1e-9)
    Z = est._validate_X_predict(Xt)
    for i in range(4):
        np.testing.assert_allclose(e.values[i], _path_shap_brute(est.tree_, Z[i], None),
                                   atol=1e-9)
    # interventional against the exact enumeration over the background
    bg = df.sample(30, random_state=0)
    ei = est.explain(Xt.head(4), background=bg)
    t = est.tree_
    truth = exact_interventional_shapley(lambda A: t.value2d[t.apply(A)][:, 0],
                                         Z[:4], est._validate_X_predict(bg))
    truth = truth[0] if isinstance(truth, tuple) else truth
    np.testing.assert_allclose(ei.values, truth, atol=1e-9)
    # Saabas: additive too
    es = est.explain(Xt, method="path")
    np.testing.assert_allclose(es.values.sum(1) + es.base_values, est.predict(Xt), atol=1e-9)


def test_forest_with_categories_predicts_and_explains():
    df, y = _frame(n=500, seed=9, missing=0.05)
    yc = (y > np.median(y)).astype(int)
    f = gw.RandomForestClassifier(n_estimators=15, max_depth=4, random_state=0).fit(df, yc)
    trees = f.trees_
    assert any(t.has_categorical for t in trees)
    Z = f._check_X(df)
    mean = np.mean([t.value2d[t.apply(Z)] for t in trees], axis=0)
    np.testing.assert_allclose(f.predict_proba(df), mean, atol=1e-12)
    e = f.explain(df.head(10))
    np.testing.assert_allclose(e.values.sum(1) + e.base_values, f.predict_proba(df.head(10)),
                               atol=1e-9)
    with pytest.raises(ValueError, match="to_threshold_model"):
        f.to_shap_model()
    # the same forest whatever n_jobs
    f2 = gw.RandomForestClassifier(n_estimators=15, max_depth=4, random_state=0,
                                   n_jobs=2).fit(df, yc)
    np.testing.assert_array_equal(f.predict_proba(df), f2.predict_proba(df))


def test_large_forest_path_matches_the_batched_one():
    """Above the batch size each tree is grown by grow_tree: the same trees."""
    from glassworks.forest import _classes as fc

    df, y = _frame(n=400, seed=10, missing=0.05)
    a = gw.RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(df, y)
    old = fc._BATCH_ROWS
    fc._BATCH_ROWS = 10
    try:
        b = gw.RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(df, y)
    finally:
        fc._BATCH_ROWS = old
    np.testing.assert_array_equal(a.predict(df), b.predict(df))


# -- the threshold equivalent: shap and the comparator --------------------------------------
@pytest.mark.parametrize("make", [
    lambda: gw.DecisionTreeRegressor(max_depth=5, min_samples_leaf=3),
    lambda: gw.RandomForestRegressor(n_estimators=8, max_depth=4, random_state=0),
])
def test_threshold_model_is_the_same_function_and_shap_reads_it(make):
    shap = pytest.importorskip("shap")
    df, y = _frame(n=400, seed=13, missing=0.05)
    est = make().fit(df, y)
    before = pickle.dumps(est)
    t = est.to_threshold_model()
    assert pickle.dumps(est) == before  # the model itself is not modified
    assert t.categories_ is None and not t.is_categorical_.any()
    Xt = df.head(40).copy()
    Xt["city"] = Xt["city"].cat.add_categories(["zzz"])
    Xt.loc[Xt.index[:3], "city"] = "zzz"  # unseen: where the split sends missing values
    Z = est.encode_categories(Xt)
    assert list(Z.columns) == ["city", "x"] and np.isnan(Z["city"].iloc[:3]).all()
    np.testing.assert_array_equal(t.predict(Z), est.predict(Xt))
    # shap's own TreeSHAP on the threshold model gives the native exact values
    ex = shap.TreeExplainer(t.to_shap_model())
    sv = ex.shap_values(Z, check_additivity=False)
    np.testing.assert_allclose(sv, est.explain(Xt).values, atol=1e-9)


def test_audit_of_a_categorical_model_runs_on_codes_with_exact_truths():
    from glassworks.comparator import audit

    rng = np.random.default_rng(3)
    n = 500
    city = rng.choice(CITIES[:5], n)
    x1 = rng.normal(size=n)
    y = (np.isin(city, ["ber", "lis"]) ^ (x1 > 0.3)).astype(int)
    X = pd.DataFrame({"city": pd.Categorical(city, categories=CITIES[:5]), "x1": x1,
                      "x2": rng.normal(size=n)})
    m = gw.DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    assert m.tree_.has_categorical
    r = audit(m, X.iloc[:15], background=X.iloc[100:200],
              explainers=["kernel_shap", "tree_shap_path"], random_state=0)
    assert any("categorical features (city)" in note for note in r.notes)
    # KernelSHAP on codes against the exact interventional values of the same function
    assert float(r.score("kernel_shap", "estimation_error")) < 1e-6
    assert float(r.score("tree_shap_path", "estimation_error")) < 1e-9
    # an unseen category has no code to audit: said, not silently dropped
    bad = X.iloc[:5].copy()
    bad["city"] = bad["city"].cat.add_categories(["zzz"])
    bad.loc[bad.index[0], "city"] = "zzz"
    with pytest.raises(ValueError, match="unseen category"):
        audit(m, bad, explainers=["kernel_shap"], random_state=0)


# -- persistence -----------------------------------------------------------------------------
def test_pickle_and_skops_round_trip(tmp_path):
    sio = pytest.importorskip("skops.io")
    from glassworks.persistence import TRUSTED_TYPES

    df, y = _frame(n=300, seed=11)
    for est in (gw.DecisionTreeRegressor(max_depth=3),
                gw.RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0),
                gw.MapleRegressor(n_estimators=5, random_state=0)):
        est.fit(df, y)
        p = est.predict(df)
        np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(df), p)
        path = tmp_path / "m.skops"
        sio.dump(est, path)
        loaded = sio.load(path, trusted=list(TRUSTED_TYPES))
        np.testing.assert_array_equal(loaded.predict(df), p)


# -- bad input -------------------------------------------------------------------------------
def test_bad_inputs_get_clear_errors():
    df, y = _frame(n=200, seed=12)
    with pytest.raises(ValueError, match="does not have|do not have|names columns"):
        gw.DecisionTreeRegressor(categorical_features=["town"]).fit(df, y)
    with pytest.raises(ValueError, match="outside"):
        gw.DecisionTreeRegressor(categorical_features=[5]).fit(df, y)
    with pytest.raises(ValueError, match="boolean mask"):
        gw.DecisionTreeRegressor(categorical_features=[True]).fit(df, y)
    obj = df.to_numpy(dtype=object)
    with pytest.raises(ValueError, match="numpy array"):
        gw.DecisionTreeRegressor().fit(obj, y)
    # ... which works when the column is named
    est = gw.DecisionTreeRegressor(max_depth=2, categorical_features=[0]).fit(
        np.where(pd.isna(obj), None, obj), y)
    assert est.tree_.has_categorical
    # more categories than bins: a warning says what happens to the rare ones
    rng = np.random.default_rng(0)
    wide = pd.DataFrame({"c": pd.Categorical(rng.integers(0, 40, 400).astype(str))})
    with pytest.warns(UserWarning, match="max_bins"):
        e = gw.DecisionTreeRegressor(max_bins=16).fit(wide, rng.normal(size=400))
    assert e.predict(wide).shape == (400,)
    # predict with a column missing
    fitted = gw.DecisionTreeRegressor(max_depth=2).fit(df, y)
    with pytest.raises(ValueError):
        fitted.predict(df[["x"]])


# -- MAPLE's forest ----------------------------------------------------------------------------
def _maple_frame(n=500, seed=14):
    rng = np.random.default_rng(seed)
    city = rng.choice(CITIES[:5], n)
    eff = dict(zip(CITIES[:5], [0.0, 3.0, -2.0, 1.0, 5.0]))
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = np.array([eff[c] for c in city]) + 2 * x1 - x2 + 0.1 * rng.normal(size=n)
    X = pd.DataFrame({"city": pd.Categorical(city, categories=CITIES[:5]), "x1": x1, "x2": x2})
    return X, y


def test_maple_splits_on_categories_and_models_them_as_indicators():
    X, y = _maple_frame()
    m = gw.MapleRegressor(n_estimators=30, random_state=0).fit(X, y)
    assert m.is_categorical_.tolist() == [True, False, False]
    assert 0 not in m.kept_features_.tolist()  # the numeric features the ranking keeps
    assert any(t.has_categorical for t in m.trees_)
    p = m.predict(X)
    # the category effect is additive here: the indicators recover it (R2 0.941 with the
    # categories in the neighbourhoods only, 0.999 with one-hot columns)
    assert 1 - np.mean((p - y) ** 2) / np.var(y) > 0.99
    e = m.explain(X.head(40))
    num = X.head(40)[["x1", "x2"]].to_numpy()
    np.testing.assert_allclose(e.base_values + e.values[:, 0] + (e.values[:, 1:] * num).sum(1),
                               p[:40], atol=1e-9)
    # the city's value is its effect against the most frequent city (the reference)
    eff = dict(zip(CITIES[:5], [0.0, 3.0, -2.0, 1.0, 5.0]))
    ref = X["city"].value_counts().idxmax()
    want = np.array([eff[c] - eff[ref] for c in X.head(40)["city"]])
    np.testing.assert_allclose(e.values[:, 0], want, atol=0.3)
    # the category names do not matter, only which rows share them (same order of levels)
    X2 = X.copy()
    X2["city"] = X2["city"].cat.rename_categories([c.upper() for c in CITIES[:5]])
    m2 = gw.MapleRegressor(n_estimators=30, random_state=0).fit(X2, y)
    np.testing.assert_array_equal(m2.predict(X2), p)
    # a missing and an unseen category go the same way (where the splits send missing values)
    Xt = X.head(2).copy()
    Xt["city"] = Xt["city"].cat.add_categories(["zzz"])
    Xt.loc[Xt.index[0], "city"] = "zzz"
    Xt.loc[Xt.index[1], "city"] = np.nan
    Xt.loc[Xt.index[1], ["x1", "x2"]] = Xt.loc[Xt.index[0], ["x1", "x2"]].to_numpy()
    pt = m.predict(Xt)
    assert np.isfinite(pt).all() and pt[0] == pt[1]
    clf = gw.MapleClassifier(n_estimators=20, random_state=0).fit(X, (y > 1).astype(int))
    assert np.mean(clf.predict(X) == (y > 1)) > 0.8


def test_maple_categorical_bad_inputs():
    X, y = _maple_frame(n=200)
    with pytest.raises(ValueError, match="glassworks' own forest"):
        gw.MapleRegressor(forest="gbrt", n_estimators=5).fit(X, y)
    with pytest.raises(ValueError, match="only 2 features are numeric"):
        gw.MapleRegressor(n_estimators=5, n_features_to_keep=3).fit(X, y)
    m = gw.MapleRegressor(n_estimators=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="categorical"):
        m.find_boundaries("city")
    bad = X.head(3).copy()
    bad.loc[bad.index[0], "x1"] = np.nan
    with pytest.raises(ValueError, match="numeric columns"):
        m.predict(bad)
    with pytest.raises(ValueError, match="non-numeric|Encode"):
        gw.MapleRegressor(n_estimators=5, categorical_features=None).fit(X, y)


def test_interpret_objects_show_categories():
    pytest.importorskip("interpret")
    df, y = _frame(n=300, seed=15, missing=0.1)
    for est in (gw.DecisionTreeRegressor(max_depth=3),
                gw.RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0),
                gw.MapleRegressor(n_estimators=5, random_state=0)):
        est.fit(df, y)
        rows = df.head(30)
        e = est.explain_local(rows)
        assert e.feature_types == ["nominal", "continuous"]
        for i in range(len(rows)):
            shown = e.data(i)["values"][0]
            city = rows["city"].iloc[i]
            assert shown == ("missing or unseen" if pd.isna(city) else city)
            assert np.isfinite(e.data(i)["scores"]).all()


@pytest.mark.parametrize("make", [
    lambda: gw.DecisionTreeRegressor(random_state=0),
    lambda: gw.RandomForestRegressor(n_estimators=3, random_state=0),
    lambda: gw.MapleRegressor(n_estimators=3, random_state=0),
])
def test_numbers_stored_as_strings_are_numeric_with_a_warning_at_the_callers_line(make):
    rng = np.random.default_rng(16)
    x = np.round(rng.normal(size=120), 2)
    df = pd.DataFrame({"a": x.astype(str), "b": rng.normal(size=120)})
    y = x + df["b"].to_numpy()
    with pytest.warns(UserWarning, match="numbers stored as strings") as rec:
        est = make().fit(df, y)
    assert all(r.filename == __file__ for r in rec if "stored as strings" in str(r.message))
    assert est.categories_ is None
    ref = make().fit(df.assign(a=x), y)
    np.testing.assert_array_equal(est.predict(df), ref.predict(df.assign(a=x)))


def test_maple_categorical_terms_add_up_in_every_display():
    """A categorical feature's value is its term: print(explanation) and interpret's local
    explanation add it as it is (not times the code), also after selecting rows."""
    pytest.importorskip("interpret")
    X, y = _maple_frame(n=300, seed=17)
    m = gw.MapleRegressor(n_estimators=10, random_state=0).fit(X, y)
    rows = X.head(5)
    e = m.explain(rows)
    p = m.predict(rows)
    assert np.any(e.values[:, 0] != 0)
    text = str(e[3:5])
    assert f"prediction {p[3]:.4g}" in text.replace("prediction -", "prediction -")
    loc = m.explain_local(rows)
    for i in range(5):
        assert loc.data(i)["perf"]["predicted_score"] == pytest.approx(p[i], abs=1e-9)


def test_threshold_equivalent_is_built_once_and_not_pickled():
    df, y = _frame(n=300, seed=18)
    est = gw.DecisionTreeRegressor(max_depth=4, random_state=0).fit(df, y)
    e = est.explain(df.head(10))
    k = np.array([len(c) if c is not None else 0 for c in est.categories_])
    first = est.tree_.threshold_equivalent(k)
    assert est.tree_.threshold_equivalent(k) is first  # kept, not rebuilt
    assert est.to_threshold_model().tree_ is first
    loaded = pickle.loads(pickle.dumps(est))
    assert "_threshold_equivalent" not in vars(loaded.tree_)
    np.testing.assert_array_equal(loaded.explain(df.head(10)).values, e.values)


def test_the_max_bins_warning_points_at_the_callers_line():
    rng = np.random.default_rng(19)
    df = pd.DataFrame({"c": pd.Categorical(rng.choice([f"k{i}" for i in range(40)], 200)),
                       "x": rng.normal(size=200)})
    for est in (gw.DecisionTreeRegressor(max_bins=16),
                gw.RandomForestRegressor(n_estimators=2, max_bins=16, random_state=0)):
        with pytest.warns(UserWarning, match="more categories than max_bins=16") as rec:
            est.fit(df, df["x"].to_numpy())
        assert [r.filename for r in rec if "max_bins" in str(r.message)] == [__file__]
