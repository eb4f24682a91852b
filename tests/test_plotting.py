"""Plots: each returns a Figure drawing what the model holds (one box per node, one table row
per rule, one bar per shown feature), on numpy and pandas input; glassworks Explanations go
through shap's own plots."""

import sys

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.tree import DecisionTreeClassifier as SkTree  # noqa: E402

import glassworks as gw  # noqa: E402
from glassworks.plotting import plot_explanation, plot_maple, plot_rules, plot_tree  # noqa: E402


def _node_boxes(fig):
    return [t for ax in fig.axes for t in ax.texts if (t.get_gid() or "").startswith("node-")]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    return pd.DataFrame(X, columns=[f"f{j}" for j in range(5)]), y


def test_import_does_not_import_matplotlib():
    import subprocess

    code = ("import sys, glassworks, glassworks.plotting; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_plot_tree_draws_every_node(iris, depth):
    X, y = iris
    clf = gw.DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X, y)
    fig = plot_tree(clf)
    assert isinstance(fig, Figure)
    boxes = _node_boxes(fig)
    assert len(boxes) == clf.tree_.node_count
    text = "\n".join(b.get_text() for b in boxes)
    # split tests are in the features' units and named from the DataFrame's columns
    for node in range(clf.tree_.node_count):
        f = clf.tree_.feature[node]
        if f >= 0:
            assert f"{X.columns[f]} <= {float(clf.tree_.threshold[node]):.4g}" in text
    # each leaf shows its n
    n_leaf_text = [b.get_text() for b in boxes
                   if "class" in b.get_text() and "<=" not in b.get_text()]
    assert len(n_leaf_text) == clf.tree_.n_leaves
    assert sum(int(t.rsplit("n = ", 1)[1]) for t in n_leaf_text) == len(X)


def test_plot_tree_truncates(iris):
    X, y = iris
    clf = gw.DecisionTreeClassifier(random_state=0).fit(X, y)
    depths = clf.tree_.compute_node_depths()
    fig = plot_tree(clf, max_depth=2)
    boxes = _node_boxes(fig)
    assert len(boxes) == int((depths <= 2).sum())
    cut = int(((depths == 2) & (clf.tree_.children_left != -1)).sum())
    assert sum("(...)" in b.get_text() for b in boxes) == cut > 0


def test_plot_tree_regressor_sklearn_and_bare_tree(regression):
    X, y = regression
    reg = gw.DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    fig = plot_tree(reg)
    boxes = _node_boxes(fig)
    assert len(boxes) == reg.tree_.node_count
    leaves = np.flatnonzero(reg.tree_.children_left == -1)
    texts = {int(b.get_gid()[5:]): b.get_text() for b in boxes}
    for leaf in leaves:
        assert f"value = {reg.tree_.value[leaf, 0, 0]:.3g}" in texts[leaf]
    # a scikit-learn tree and a bare Tree (default names x0..)
    sk = SkTree(max_depth=2, random_state=0).fit(X.to_numpy(), (y > 0).astype(int))
    assert len(_node_boxes(plot_tree(sk))) == sk.tree_.node_count
    assert "x" in _node_boxes(plot_tree(reg.tree_))[0].get_text()
    # into a given axes
    fig2 = Figure()
    ax = fig2.add_subplot()
    assert plot_tree(reg, ax=ax, max_depth=1) is fig2


def test_plot_tree_bad_input(iris):
    X, y = iris
    with pytest.raises(Exception, match="not fitted"):
        plot_tree(gw.DecisionTreeClassifier())
    with pytest.raises(TypeError):
        plot_tree(object())
    clf = gw.DecisionTreeClassifier(max_depth=2).fit(X, y)
    with pytest.raises(ValueError, match="feature names"):
        plot_tree(clf, feature_names=["a"])
    with pytest.raises(ValueError, match="max_depth"):
        plot_tree(clf, max_depth=-1)


def test_plot_rules_one_row_per_rule(iris):
    X, y = iris
    rl = gw.RuleListClassifier(lam=0.005).fit(X, y)
    fig = plot_rules(rl)
    assert isinstance(fig, Figure)
    (table,) = fig.axes[0].tables
    cells = table.get_celld()
    rows = {r for r, _ in cells}
    assert len(rows) == len(rl.rules_) + 1
    assert {c for _, c in cells} == set(range(5))
    for r, rule in enumerate(rl.rules_, start=1):
        assert cells[r, 2].get_text().get_text() == str(rule["class"])
        assert cells[r, 3].get_text().get_text() == f"{rule['support']:.6g}"
        if not rule["is_default"]:
            assert cells[r, 1].get_text().get_text().replace("\nand ", " and ") == rule["text"]
    assert cells[1, 0].get_text().get_text() == "if"
    assert cells[len(rl.rules_), 0].get_text().get_text() in ("else", "always")
    with pytest.raises(Exception, match="not fitted"):
        plot_rules(gw.RuleListClassifier())


def test_plot_maple_regressor_and_classifier(regression, iris):
    X, y = regression
    m = gw.MapleRegressor(n_estimators=20, random_state=0).fit(X, y)
    fig = plot_maple(m, X.iloc[3], k=7)
    a1, a2 = fig.axes
    # one bar per kept feature, heights equal to the local coefficients
    e = m.explain(X.iloc[[3]])
    kept = m.kept_features_
    heights = sorted(p.get_width() for p in a1.patches)
    assert np.allclose(heights, sorted(e.values[0, kept]))
    assert [t.get_text() for t in a1.get_yticklabels()][0] == X.columns[
        kept[np.argmax(np.abs(e.values[0, kept]))]]
    # the neighbours: the k heaviest rows, weights normalised by the number of trees
    idx, w = m.neighbors(X.iloc[[3]], k=7)
    assert len(a2.patches) == 7
    assert np.allclose(sorted(p.get_width() for p in a2.patches),
                       sorted(w[0] / len(m.trees_)))
    # numpy row works too
    assert isinstance(plot_maple(m, X.to_numpy()[3]), Figure)
    Xi, yi = iris
    mc = gw.MapleClassifier(n_estimators=20, random_state=0).fit(Xi, yi)
    fig = plot_maple(mc, Xi.iloc[[60]], k=3)
    assert "P(class" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="one point"):
        plot_maple(m, X.iloc[:2])


def test_plot_explanation_2d_and_3d(regression, iris):
    X, y = regression
    reg = gw.DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y)
    e = reg.explain(X.iloc[:4])
    fig = plot_explanation(e, index=2, max_features=3)
    (ax,) = fig.axes
    widths = [p.get_width() for p in ax.patches]
    assert len(widths) == 4  # 3 features + "2 other features"
    # the bars add up to output - base
    assert np.isclose(sum(widths), e.values[2].sum())
    assert np.isclose(max(abs(np.asarray(widths[:3]))), np.abs(e.values[2]).max())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "2 other features" in labels
    Xi, yi = iris
    clf = gw.DecisionTreeClassifier(max_depth=3, random_state=0).fit(Xi, yi)
    e3 = clf.explain(Xi.iloc[[0, 100]])
    fig = plot_explanation(e3, index=1)
    pred = clf.predict(Xi.iloc[[100]])[0]
    assert f"output {pred}" in fig.axes[0].get_title()
    widths = [p.get_width() for p in fig.axes[0].patches]
    c = list(clf.classes_).index(pred)
    assert np.isclose(sum(widths), e3.values[1, :, c].sum())
    fig = plot_explanation(e3, index=1, output=0)
    assert "output 0" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="index"):
        plot_explanation(e3, index=5)
    with pytest.raises(TypeError):
        plot_explanation(np.zeros((2, 2)))


def test_to_shap_with_shap_plots(regression, iris):
    shap = pytest.importorskip("shap")
    import matplotlib.pyplot as plt

    X, y = regression
    reg = gw.DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y)
    s = reg.explain(X.iloc[:30]).to_shap()
    assert s.values.shape == (30, 5)
    try:
        shap.plots.waterfall(s[0], show=False)
        assert plt.gcf().axes
        plt.close("all")
        shap.plots.beeswarm(s, show=False)
        plt.close("all")
        shap.plots.bar(s, show=False)
        plt.close("all")
        Xi, yi = iris
        clf = gw.DecisionTreeClassifier(max_depth=3, random_state=0).fit(Xi, yi)
        s3 = clf.explain(Xi.iloc[:40]).to_shap()
        one = s3[:, :, 1]  # one class's probability
        assert one.values.shape == (40, 4)
        shap.plots.waterfall(one[0], show=False)
        plt.close("all")
        shap.plots.beeswarm(one, show=False)
        plt.close("all")
        shap.plots.bar(one, show=False)
    finally:
        plt.close("all")
