"""Text export of trees: export_text against scikit-learn's, decision_rules against the path."""

import functools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.tree import export_text as sk_export_text

from glassworks.tree._tree import TREE_LEAF, Tree
from glassworks.tree.export import decision_rules as _decision_rules
from glassworks.tree.export import export_text as _export_text

# against scikit-learn's output: its fixed two decimals (glassworks' own default writes
# thresholds with four significant digits, see test_one_threshold_format_in_every_display)
export_text = functools.partial(_export_text, decimals=2)
decision_rules = functools.partial(_decision_rules, decimals=2)


def _fit(seed, classifier, depth, n=200, d=4, nan_rate=0.0, weighted=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.choice([0.01, 1.0, 100.0], size=d)
    y = X[:, 0] / np.abs(X[:, 0]).max() + np.sin(X[:, 1]) + rng.normal(scale=0.3, size=n)
    if classifier:
        y = np.array(["low", "mid", "high"])[np.digitize(y, [-0.5, 0.5])]
    if nan_rate:
        X[rng.random(X.shape) < nan_rate] = np.nan
    w = rng.uniform(0.5, 2.0, size=n) if weighted else None
    Model = DecisionTreeClassifier if classifier else DecisionTreeRegressor
    return Model(max_depth=depth, random_state=seed).fit(X, y, sample_weight=w), X


class _Estimator:
    """What a glassworks estimator exposes: tree_ (a Tree), classes_, feature_names_in_."""

    def __init__(self, tree, classes=None, names=None):
        self.tree_ = tree
        if classes is not None:
            self.classes_ = np.asarray(classes)
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)


# -- export_text: differential against scikit-learn -------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    classifier=st.booleans(),
    depth=st.sampled_from([1, 3, 6, None]),
    max_depth=st.sampled_from([0, 1, 2, 10]),
    spacing=st.integers(1, 5),
    decimals=st.integers(0, 4),
    show_weights=st.booleans(),
    named=st.booleans(),
    weighted=st.booleans(),
)
def test_export_text_matches_sklearn(
    seed, classifier, depth, max_depth, spacing, decimals, show_weights, named, weighted
):
    model, _ = _fit(seed, classifier, depth, weighted=weighted)
    kw = dict(max_depth=max_depth, spacing=spacing, decimals=decimals, show_weights=show_weights)
    names = [f"x{i} (cm)" for i in range(4)] if named else None
    expected = sk_export_text(model, feature_names=names, **kw)
    tree = Tree.from_sklearn(model.tree_)
    if classifier:
        # a bare tree knows no class labels: give them
        got = export_text(tree, feature_names=names, class_names=model.classes_, **kw)
        got_est = export_text(_Estimator(tree, model.classes_), feature_names=names, **kw)
        assert got_est == expected
    else:
        got = export_text(tree, feature_names=names, **kw)
    assert got == expected
    # a scikit-learn estimator is accepted as is
    assert export_text(model, feature_names=names, **kw) == expected


def test_export_text_iris_class_names():
    iris = load_iris()
    model = DecisionTreeClassifier(random_state=0).fit(iris.data, iris.target)
    tree = Tree.from_sklearn(model.tree_)
    for max_depth in (2, 4, 10):
        expected = sk_export_text(
            model,
            feature_names=iris.feature_names,
            class_names=iris.target_names,
            max_depth=max_depth,
        )
        got = export_text(
            tree,
            feature_names=iris.feature_names,
            class_names=iris.target_names,
            max_depth=max_depth,
            decimals=2,  # scikit-learn's default
        )
        assert got == expected
    assert "truncated branch of depth" in export_text(tree, max_depth=2)


def test_export_text_uses_feature_names_in():
    model, _ = _fit(0, True, 3)
    tree = Tree.from_sklearn(model.tree_)
    names = ["a", "b", "c", "d"]
    est = _Estimator(tree, model.classes_, names)
    assert export_text(est, decimals=2) == sk_export_text(model, feature_names=names)
    # explicit names win over feature_names_in_
    other = ["p", "q", "r", "s"]
    assert export_text(est, feature_names=other, decimals=2) == sk_export_text(
        model, feature_names=other)


def test_export_text_unlimited_depth_on_a_deep_tree():
    # a chain-shaped tree deeper than the default recursion limit would allow when recursing
    n = 1500
    X = np.arange(n, dtype=float)[:, None]
    y = (np.arange(n) % 2).astype(float) * np.arange(n)
    model = DecisionTreeRegressor(max_depth=None, random_state=0).fit(X, y)
    tree = Tree.from_sklearn(model.tree_)
    text = export_text(tree, max_depth=None)
    assert text.count("value:") == tree.n_leaves
    assert text.count("<=") == text.count(">  ") == tree.node_count - tree.n_leaves


def test_single_leaf_tree():
    X = np.zeros((5, 2))
    model = DecisionTreeRegressor().fit(X, np.arange(5.0))
    tree = Tree.from_sklearn(model.tree_)
    assert export_text(tree) == sk_export_text(model) == "|--- value: [2.00]\n"
    assert decision_rules(tree, X[:1]) == ["always => 2.00 (n=5)"]


# -- export_text: missing values ---------------------------------------------------------------
def _nan_learned_sides(tree):
    internal = np.flatnonzero(tree.children_left != TREE_LEAF)
    n = tree.n_node_samples
    default = n[tree.children_left[internal]] > n[tree.children_right[internal]]
    learned = (tree.missing_go_to_left[internal] != 0) != default
    return internal[learned | np.isposinf(tree.threshold[internal])]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("classifier", [True, False])
def test_missing_marks(seed, classifier):
    model, _ = _fit(seed, classifier, 5, nan_rate=0.25)
    tree = Tree.from_sklearn(model.tree_)
    kw = {"class_names": model.classes_} if classifier else {}
    expected = sk_export_text(model, max_depth=20)
    plain = export_text(tree, show_missing=False, max_depth=20, **kw)
    assert plain == expected
    auto = export_text(tree, max_depth=20, **kw)
    every = export_text(tree, show_missing=True, max_depth=20, **kw)
    learned = _nan_learned_sides(tree)
    assert auto.count(" or missing") + auto.count(" is missing") == len(learned)
    n_splits = tree.node_count - tree.n_leaves
    assert every.count(" or missing") + every.count(" is missing") == n_splits
    # marks only add text: removing them gives scikit-learn's lines back
    for text in (auto, every):
        lines = text.splitlines()
        assert len(lines) == len(expected.splitlines())
        for ours, ref in zip(lines, expected.splitlines()):
            if ours.endswith(" or missing"):
                assert ours[: -len(" or missing")] == ref
            elif ours.endswith(" is missing"):
                assert ref.endswith(">  inf")
            elif ours.endswith(" is not missing"):
                assert ref.endswith("<= inf")
            else:
                assert ours == ref


def test_missing_mark_is_on_the_branch_nan_takes():
    # NaN in feature 0 means class 1, a minority: the learned NaN side is the small child
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] > 0.8).astype(int)
    nan_rows = rng.random(300) < 0.1
    X[nan_rows, 0] = np.nan
    y[nan_rows] = 1
    model = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    tree = Tree.from_sklearn(model.tree_)
    text = export_text(tree, class_names=["no", "yes"])
    assert model.tree_.missing_go_to_left[0] == 0  # NaN goes right, with the minority
    lines = text.splitlines()
    assert lines[2].startswith("|--- feature_0 >  0.8") and lines[2].endswith(" or missing")
    assert not lines[0].endswith("missing")
    # the text's claim agrees with the tree: a NaN row lands in the right leaf
    assert tree.apply(np.array([[np.nan, 0.0]]))[0] == tree.children_right[0]


def test_nan_only_split_is_shown_as_missing_test():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    y = (X[:, 1] > 0).astype(int)
    X[:80, 0] = np.nan  # more NaN rows than the default side would suggest
    y[:80] = 2
    model = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    assert np.isposinf(model.tree_.threshold[0])
    text = export_text(model)
    assert text.splitlines()[0] == "|--- feature_0 is not missing"
    assert text.splitlines()[2] == "|--- feature_0 is missing"
    assert decision_rules(model, X[:1])[0].startswith("feature_0 is missing => class 2")


# -- export_text: bad input --------------------------------------------------------------------
def test_export_text_errors():
    model, _ = _fit(0, True, 2)
    tree = Tree.from_sklearn(model.tree_)
    with pytest.raises(ValueError, match="feature_names must contain 4"):
        export_text(tree, feature_names=["a"])
    with pytest.raises(ValueError, match="class_names"):
        export_text(tree, class_names=["a", "b"])
    for kw in ({"max_depth": -1}, {"spacing": 0}, {"decimals": 1.5}, {"show_missing": "yes"},
               {"show_missing": 1}):
        with pytest.raises(ValueError):
            export_text(tree, **kw)
    with pytest.raises(TypeError):
        export_text(np.zeros(3))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        export_text(DecisionTreeClassifier())


# -- decision_rules ----------------------------------------------------------------------------
_NUM = r"(-?(?:\d+\.?\d*|inf))"
_PATTERNS = [
    (re.compile(rf"^{_NUM} < (.+) <= {_NUM}$"), "interval"),
    (re.compile(rf"^(.+) <= {_NUM}$"), "le"),
    (re.compile(rf"^(.+) > {_NUM}$"), "gt"),
    (re.compile(r"^(.+) is missing$"), "missing"),
    (re.compile(r"^(.+) is not missing$"), "present"),
]


def _parse_condition(text):
    for pattern, kind in _PATTERNS:
        m = pattern.match(text)
        if m:
            if kind == "interval":
                return m.group(2), kind, (float(m.group(1)), float(m.group(3)))
            if kind in ("le", "gt"):
                return m.group(1), kind, float(m.group(2))
            return m.group(1), kind, None
    raise AssertionError(f"unparseable condition {text!r}")


def _check_rules(tree, X, rules, names, classes, decimals):
    tol = 10.0**-decimals
    leaves = tree.apply(X)
    pred = tree.predict(X)
    paths = tree.decision_path(X)
    for i, rule in enumerate(rules):
        premise, outcome = rule.split(" => ")
        path_nodes = paths.indices[paths.indptr[i] : paths.indptr[i + 1]]
        tested = {names[f] for f in tree.feature[path_nodes] if f >= 0}
        seen = []
        if premise != "always":
            for cond in premise.split(" and "):
                name, kind, bound = _parse_condition(cond)
                x = X[i, names.index(name)]
                seen.append(name)
                if kind == "missing":
                    assert np.isnan(x)
                elif kind == "present":
                    assert not np.isnan(x)
                elif kind == "le":
                    assert x <= bound + tol
                elif kind == "gt":
                    assert x > bound - tol
                else:
                    assert bound[0] - tol < x <= bound[1] + tol
                    assert bound[0] < bound[1] + tol
        # each tested feature appears once: repeated tests were collapsed
        assert len(seen) == len(set(seen))
        assert set(seen) == tested
        leaf = leaves[i]
        if classes is not None:
            m = re.fullmatch(r"class (.+) \(p=([\d.]+), n=(\d+)\)", outcome)
            assert m, outcome
            assert m.group(1) == str(classes[np.argmax(pred[i])])
            assert float(m.group(2)) == pytest.approx(pred[i].max(), abs=tol)
        else:
            m = re.fullmatch(r"(-?[\d.]+) \(n=(\d+)\)", outcome)
            assert m, outcome
            assert float(m.group(1)) == pytest.approx(pred[i, 0], abs=tol)
        assert int(m.groups()[-1]) == tree.n_node_samples[leaf]


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    classifier=st.booleans(),
    depth=st.sampled_from([1, 4, 8, None]),
    nan_rate=st.sampled_from([0.0, 0.2]),
)
def test_decision_rules_agree_with_the_path(seed, classifier, depth, nan_rate):
    model, X = _fit(seed, classifier, depth, n=150, nan_rate=nan_rate)
    tree = Tree.from_sklearn(model.tree_)
    names = [f"x{i}" for i in range(4)]
    Xq = np.random.default_rng(seed + 1).normal(size=(40, 4)) * np.nanstd(X, axis=0)
    Xq[np.random.default_rng(seed).random(Xq.shape) < nan_rate] = np.nan
    Xq = np.vstack([X[:40], Xq])
    classes = model.classes_ if classifier else None
    rules = decision_rules(tree, Xq, feature_names=names, class_names=classes, decimals=8)
    assert len(rules) == len(Xq)
    _check_rules(tree, Xq, rules, names, classes, 8)


def test_interval_collapsing():
    # one feature, a staircase target: the tree splits x again and again
    X = np.linspace(0, 10, 101)[:, None]
    y = np.floor(X[:, 0])
    model = DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y)
    tree = Tree.from_sklearn(model.tree_)
    rules = decision_rules(tree, np.array([[3.3], [0.0], [10.0]]), feature_names=["x"])
    lo_hi = re.fullmatch(r"([\d.]+) < x <= ([\d.]+) => ([\d.]+) \(n=\d+\)", rules[0])
    assert lo_hi, rules[0]
    lo, hi = float(lo_hi.group(1)), float(lo_hi.group(2))
    assert lo < 3.3 <= hi
    # tightest: no training point strictly inside (lo, hi] falls in another leaf
    inside = X[(X[:, 0] > lo + 0.005) & (X[:, 0] <= hi - 0.005)]
    assert len(set(tree.apply(inside))) == 1
    assert re.fullmatch(r"x <= [\d.]+ => 0\.\d+ \(n=\d+\)", rules[1]), rules[1]
    assert re.fullmatch(r"x > [\d.]+ => [\d.]+ \(n=\d+\)", rules[2]), rules[2]
    assert rules[0].count(" x ") == 1


def test_decision_rules_iris():
    iris = load_iris()
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(iris.data, iris.target)
    est = _Estimator(Tree.from_sklearn(model.tree_), model.classes_, iris.feature_names)
    rules = decision_rules(est, iris.data[[0, 60, 149]], class_names=iris.target_names)
    assert rules[0] == "petal width (cm) <= 0.80 => class setosa (p=1.00, n=50)"
    assert rules[1].startswith("0.80 < petal width (cm) <= 1.75 and ")
    assert " => class versicolor " in rules[1]
    # class labels default to the estimator's classes_
    assert decision_rules(est, iris.data[:1])[0].endswith("=> class 0 (p=1.00, n=50)")
    # a pandas frame works as input
    import pandas as pd

    frame = pd.DataFrame(iris.data[:3], columns=iris.feature_names)
    assert decision_rules(est, frame) == decision_rules(est, iris.data[:3])


def test_decision_rules_missing_rows():
    model, X = _fit(3, True, 4, nan_rate=0.3)
    tree = Tree.from_sklearn(model.tree_)
    names = ["a", "b", "c", "d"]
    root_feature = names[tree.feature[0]]
    row = np.full((1, 4), np.nan)
    rule = decision_rules(tree, row, feature_names=names, class_names=model.classes_)[0]
    assert rule.startswith(f"{root_feature} is missing")
    for cond in rule.split(" => ")[0].split(" and "):
        assert cond.endswith(" is missing")
    # the leaf named is where NaN is routed
    leaf = tree.apply(row)[0]
    assert f"n={tree.n_node_samples[leaf]})" in rule


def test_decision_rules_errors():
    model, X = _fit(0, False, 3)
    tree = Tree.from_sklearn(model.tree_)
    with pytest.raises(ValueError, match="features"):
        decision_rules(tree, X[:, :2])
    with pytest.raises(ValueError, match="2-D"):
        decision_rules(tree, X[0])
    with pytest.raises(ValueError, match="numeric"):
        decision_rules(tree, np.array([["a", "b", "c", "d"]]))
    with pytest.raises(ValueError, match="feature_names"):
        decision_rules(tree, X, feature_names=["a"])
    X_copy = X.copy()
    decision_rules(tree, X)
    np.testing.assert_array_equal(X, X_copy)


def test_glassworks_estimator_export_and_rules():
    import pandas as pd

    import glassworks

    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.normal(size=(200, 3)), columns=["age", "income", "score"])
    frame.iloc[rng.random(200) < 0.2, 1] = np.nan
    y = np.where(frame["age"] + frame["score"].clip(-1, 1) > 0, "yes", "no").astype(object)
    y[frame["income"].isna().to_numpy() & (rng.random(200) < 0.8)] = "maybe"
    model = glassworks.DecisionTreeClassifier(max_depth=4, random_state=0).fit(frame, y)
    text = export_text(model)
    same = export_text(
        model.tree_, feature_names=list(frame.columns), class_names=model.classes_
    )
    assert text == same
    assert "income" in text and "class: maybe" in text
    # NaN in income was informative: some split learned a NaN side, and it is marked
    assert len(_nan_learned_sides(model.tree_)) > 0
    assert text.count(" or missing") + text.count(" is missing") == len(
        _nan_learned_sides(model.tree_)
    )
    X = frame.to_numpy()
    rules = decision_rules(model, X)
    _check_rules(model.tree_, X, rules, list(frame.columns), model.classes_, 2)


def test_one_threshold_format_in_every_display():
    """export_text, explain_rules, plot_tree and the rule list write a threshold the same way
    (four significant digits), not as scikit-learn's fixed two decimals ("-0.00")."""
    import re

    from sklearn.datasets import load_diabetes

    import glassworks as gw
    from glassworks._format import format_threshold
    from glassworks.plotting import plot_tree

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    m = gw.DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, y)
    t = m.tree_
    thr = format_threshold(t.threshold[0])
    # four significant digits: within 0.05% (two fixed decimals write it as -0.00)
    assert abs(float(thr) - t.threshold[0]) <= 5e-4 * abs(t.threshold[0])
    test = f"{X.columns[t.feature[0]]} <= {thr}"
    assert test in gw.export_text(m)
    assert any(test in r for r in m.explain_rules(X))
    fig = plot_tree(m)
    texts = [a.get_text() for ax in fig.axes for a in ax.texts]
    assert any(test in s for s in texts)
    rules = gw.RuleListClassifier(max_card=1).fit(X, (y > 140).astype(int))
    numbers = re.findall(r"(?:<=|>|<|>=) (-?[\d.]+)", str(rules))
    assert numbers
    assert all(format_threshold(float(v)) == v for v in numbers)
    # scikit-learn's fixed decimals on request
    assert f"<= {t.threshold[0]:.3f}" in gw.export_text(m, decimals=3)
