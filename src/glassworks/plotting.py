"""Plots of the glass-box models and of their explanations.

Every function returns a :class:`matplotlib.figure.Figure`. matplotlib is imported inside the
functions, never when glassworks is imported. Without ``ax`` the figure is a bare ``Figure``
(not registered with pyplot): nothing is left open in pyplot's state, no GUI backend is
needed, and in a notebook it shows when it is the value of a cell (or through ``display``).
The auditor's report has its own plot (:meth:`glassworks.AuditReport.plot`).

- :func:`plot_tree`: a decision tree as boxes and edges.
- :func:`plot_rules`: a rule list as an if / else-if table.
- :func:`plot_maple`: one MAPLE explanation: local coefficients and the heaviest neighbours.
- :func:`plot_explanation`: one row of an :class:`~glassworks.Explanation` as bars.
"""

import numbers

import numpy as np

from ._format import format_threshold

__all__ = ["plot_tree", "plot_rules", "plot_maple", "plot_explanation"]

# one colour per class (tab10), and the diverging pair used for signed bars
_POS, _NEG = "#d62728", "#1f77b4"


def _new_axes(ax, figsize, ncols=1):
    from matplotlib.figure import Figure

    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize)
    if ncols == 1:
        return fig, fig.add_subplot(1, 1, 1)
    return fig, fig.subplots(1, ncols)


def _fmt(v, digits=3):
    v = float(v)
    if v == 0 or not np.isfinite(v):
        return f"{v:g}"
    return f"{v:.{digits}g}"


# -- plot_tree ------------------------------------------------------------------------------
def _resolve_tree(model_or_tree):
    """(Tree, is_classifier, class labels or None, feature names or None)."""
    from .tree.export import resolve_tree

    return resolve_tree(model_or_tree)


def _tree_layout(tree, max_depth):
    """Shown nodes with (x, depth): leaves of the shown tree at consecutive x, parents centred."""
    left, right = tree.children_left, tree.children_right
    pos, shown, truncated = {}, [], set()
    next_x = [0.0]

    def place(node, depth):
        shown.append(node)
        is_leaf = left[node] == -1
        if not is_leaf and max_depth is not None and depth >= max_depth:
            truncated.add(node)
            is_leaf = True
        if is_leaf:
            pos[node] = (next_x[0], depth)
            next_x[0] += 1.0
            return
        place(left[node], depth + 1)
        place(right[node], depth + 1)
        pos[node] = (0.5 * (pos[left[node]][0] + pos[right[node]][0]), depth)

    # recursion depth is the tree depth (a few hundred at most for a real tree); an explicit
    # stack would only make the in-order placement harder to read
    import sys

    limit = sys.getrecursionlimit()
    need = tree.max_depth + 50
    if need > limit:
        sys.setrecursionlimit(need)
    try:
        place(0, 0)
    finally:
        sys.setrecursionlimit(limit)
    return shown, pos, truncated, next_x[0]


def plot_tree(model_or_tree, *, feature_names=None, class_names=None, max_depth=None,
              ax=None, fontsize=None):
    """Draw a decision tree: one box per node, split tests in the features' own units.

    An internal node shows its test (``feature <= threshold``; the left edge is "yes"), the
    number of training samples ``n`` and, for a classifier, the majority class; a leaf shows
    its prediction (class probabilities for a classifier, the mean target for a regressor).
    Boxes are coloured by the majority class (shade = its probability) or by the predicted
    value. Nodes below ``max_depth`` are not drawn; a node cut there is drawn with ``(...)``.

    Parameters
    ----------
    model_or_tree : fitted tree estimator or Tree
        A glassworks ``DecisionTreeClassifier``/``DecisionTreeRegressor``, a
        ``RuleListClassifier`` (its equivalent tree), a fitted scikit-learn tree, or a bare
        :class:`~glassworks.tree._tree.Tree`. A rule list fitted on categorical (text)
        columns tests its internal codes of those columns in its equivalent tree: draw it
        with :func:`plot_rules` instead.
    feature_names : list of str, optional
        Defaults to the estimator's ``feature_names_in_``, else ``x0, x1, ...``.
    class_names : list of str, optional
        Defaults to ``classes_``, else the class indices.
    max_depth : int or None, default=None
        Deepest level drawn (the root is level 0). Trees deeper than 4 are hard to read;
        pass ``max_depth=3`` or ``4`` for them.
    ax : matplotlib Axes, optional
        Draw into it (its figure is returned); otherwise a new figure sized to the tree.
    fontsize : float, optional
        Text size of the boxes; chosen from the number of leaves drawn when None.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from glassworks import DecisionTreeClassifier
    >>> from glassworks.plotting import plot_tree
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> fig = plot_tree(DecisionTreeClassifier(max_depth=2).fit(X, y))
    """
    tree, classifier, classes, names_in = _resolve_tree(model_or_tree)
    if max_depth is not None and (not isinstance(max_depth, numbers.Integral) or max_depth < 0):
        raise ValueError(f"max_depth must be None or an integer >= 0, got {max_depth!r}.")
    d = tree.n_features
    if feature_names is None:
        feature_names = (
            [str(n) for n in names_in] if names_in is not None else [f"x{j}" for j in range(d)]
        )
    feature_names = [str(n) for n in feature_names]
    if len(feature_names) != d:
        raise ValueError(f"{len(feature_names)} feature names for a tree on {d} features.")
    k = tree.n_outputs
    if classifier:
        if class_names is None:
            class_names = [str(c) for c in classes] if classes is not None else [
                str(c) for c in range(k)
            ]
        class_names = [str(c) for c in class_names]
        if len(class_names) != k:
            raise ValueError(f"{len(class_names)} class names for a tree with {k} classes.")

    shown, pos, truncated, width = _tree_layout(tree, max_depth)
    depth_shown = max(p[1] for p in pos.values())
    n_cols = max(width, 1.0)
    if fontsize is None:
        fontsize = float(np.clip(11.0 - 0.5 * n_cols, 5.0, 9.0))

    from matplotlib import colormaps

    value = tree.value2d
    if classifier:
        palette = colormaps["tab10"]
    else:
        vmin, vmax = float(value[:, 0].min()), float(value[:, 0].max())
        span = vmax - vmin if vmax > vmin else 1.0
        cmap = colormaps["Oranges"]

    def colour(node):
        if classifier:
            c = int(np.argmax(value[node]))
            p = float(value[node, c])
            # shade from white (chance) to the class colour (pure)
            a = (p - 1.0 / k) / (1.0 - 1.0 / k) if k > 1 else 1.0
            rgb = np.asarray(palette(c % 10)[:3])
            return tuple(1.0 - 0.75 * max(a, 0.0) * (1.0 - rgb))
        return cmap(0.1 + 0.6 * (value[node, 0] - vmin) / span)

    def label(node):
        n = int(tree.n_node_samples[node])
        internal = tree.children_left[node] != -1
        if classifier:
            c = int(np.argmax(value[node]))
            if internal and node not in truncated:
                tail = f"n = {n}, class {class_names[c]}"
            elif k <= 3:
                probs = ", ".join(f"{class_names[j]}: {value[node, j]:.2f}" for j in range(k))
                tail = f"class {class_names[c]}\n{probs}\nn = {n}"
            else:
                tail = f"class {class_names[c]} ({value[node, c]:.2f})\nn = {n}"
        else:
            tail = f"value = {_fmt(value[node, 0])}\nn = {n}"
        if node in truncated:
            return f"(...)\n{tail}"
        if internal:
            f = feature_names[tree.feature[node]]
            if tree.cat_split is not None and tree.cat_split[node] >= 0:
                from .tree.export import category_set_text

                cats = getattr(model_or_tree, "categories_", None)
                fc = None if cats is None else cats[tree.feature[node]]
                codes = reach[node][0]
                return f"{category_set_text(f, codes, fc)}\n{tail}"
            return f"{f} <= {format_threshold(tree.threshold[node])}\n{tail}"
        return tail

    from .tree.export import reaching_codes

    reach = reaching_codes(tree, getattr(model_or_tree, "categories_", None))
    labels = {node: label(node) for node in shown}
    # a column as wide as the longest line of text (about 0.6 em per character), so that
    # neighbouring leaves do not overlap
    longest = max(len(line) for text in labels.values() for line in text.split("\n"))
    col = max(1.6, 0.0085 * fontsize * longest + 0.25)
    fig, ax = _new_axes(
        ax, figsize=(min(max(col * n_cols, 4.0), 20.0), min(1.4 * (depth_shown + 1) + 0.4, 10.0))
    )
    y_of = lambda depth: -float(depth)  # noqa: E731 - root on top
    for node in shown:
        x, depth = pos[node]
        if tree.children_left[node] != -1 and node not in truncated:
            for child, text in ((tree.children_left[node], "yes"),
                                (tree.children_right[node], "no")):
                cx, cd = pos[child]
                ax.plot([x, cx], [y_of(depth), y_of(cd)], color="0.5", lw=0.8, zorder=1)
                if node == 0:
                    ax.text(0.5 * (x + cx), 0.5 * (y_of(depth) + y_of(cd)), text,
                            fontsize=fontsize * 0.9, ha="center", va="center", color="0.3",
                            zorder=2, gid="edge-label",
                            bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none"))
    for node in shown:
        x, depth = pos[node]
        ax.text(
            x, y_of(depth), labels[node], ha="center", va="center", fontsize=fontsize,
            zorder=3, gid=f"node-{node}",
            bbox=dict(boxstyle="round,pad=0.3", fc=colour(node), ec="0.35", lw=0.8),
        )
    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(-depth_shown - 0.6, 0.6)
    ax.set_axis_off()
    return fig


# -- plot_rules -----------------------------------------------------------------------------
def plot_rules(rule_list_model, ax=None):
    """A fitted rule list as a table: one row per rule, in the order they are tried.

    Columns: the keyword (``if``, ``else if``, ``else``), the conditions, the predicted
    class, the support (training weight the rule captures) and the confidence (share of it
    of the predicted class). The header is row 0, so the table has ``len(rules_) + 1`` rows.

    Parameters
    ----------
    rule_list_model : fitted RuleListClassifier
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    rules = getattr(rule_list_model, "rules_", None)
    if rules is None:
        if hasattr(rule_list_model, "get_params"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                f"This {type(rule_list_model).__name__} instance is not fitted yet: call fit "
                "before plotting it."
            )
        raise TypeError(
            f"plot_rules expects a fitted RuleListClassifier, got {type(rule_list_model).__name__}."
        )
    rows = []
    for r, rule in enumerate(rules):
        if rule["is_default"]:
            kw, cond = ("else" if r > 0 else "always"), "(everything else)"
        else:
            kw, cond = ("if" if r == 0 else "else if"), rule["text"].replace(" and ", "\nand ")
        conf = rule["confidence"]
        rows.append([kw, cond, str(rule["class"]), f"{rule['support']:.6g}",
                     "-" if conf != conf else f"{conf:.0%}"])
    header = ["", "conditions", "prediction", "support", "confidence"]
    lines = [1 + row[1].count("\n") for row in rows]
    fig, ax = _new_axes(ax, figsize=(7.5, 0.45 + 0.32 * (sum(lines) + 1)))
    ax.set_axis_off()
    widths = [0.1, 0.5, 0.14, 0.12, 0.14]
    table = ax.table(cellText=rows, colLabels=header, colWidths=widths, loc="upper center",
                     cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    unit = 1.0 / (sum(lines) + 1)
    palette = ["#fde0dd", "#deebf7", "#e5f5e0", "#fff7bc", "#efedf5"]
    classes = [str(c) for c in getattr(rule_list_model, "classes_", [])]
    for (r, c), cell in table.get_celld().items():
        cell.set_height(unit * (1 if r == 0 else lines[r - 1]))
        cell.set_edgecolor("0.7")
        if r == 0:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("0.92")
        elif c == 2 and rows[r - 1][2] in classes:
            cell.set_facecolor(palette[classes.index(rows[r - 1][2]) % len(palette)])
    return fig


# -- plot_maple -----------------------------------------------------------------------------
def _one_row(model, x):
    import pandas as pd

    if isinstance(x, pd.Series):
        x = x.to_frame().T
    if isinstance(x, pd.DataFrame):
        if x.shape[0] != 1:
            raise ValueError(f"plot_maple explains one point; got {x.shape[0]} rows.")
        return x
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[0] != 1:
        raise ValueError(f"plot_maple explains one point; got an array of shape {x.shape}.")
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return pd.DataFrame(x, columns=names)
    return x


def _pick_output(values, base, output_names):
    """Column of a 3-D explanation to show: the positive class, else the largest output."""
    k = values.shape[-1]
    if k == 2:
        return 1
    return int(np.argmax(base + values.sum(axis=0)))


def plot_maple(maple_model, x, *, k=10, max_features=15):
    """One MAPLE explanation: the local linear model at ``x`` and its heaviest neighbours.

    Left: the local ridge coefficients (slopes in the features' units; features MAPLE did
    not keep have none), largest first. For a classifier, the local model of the positive
    class (binary) or of the predicted class. Right: the ``k`` training rows with the most
    weight in ``x``'s neighbourhood, the examples the local model is fitted on. A row's
    weight is the average over the forest's trees of ``1 / size of x's leaf`` when it shares
    that leaf with ``x`` (0 otherwise), so all the weights sum to 1.

    Parameters
    ----------
    maple_model : fitted MapleRegressor or MapleClassifier
    x : array-like of shape (n_features,) or (1, n_features)
        The point (a pandas row keeps the feature names).
    k : int, default=10
        Neighbours shown.
    max_features : int, default=15
        Coefficients shown (largest in absolute value).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not hasattr(maple_model, "kept_features_"):
        raise TypeError(
            f"plot_maple expects a fitted MapleRegressor or MapleClassifier, got "
            f"{type(maple_model).__name__}."
        )
    if not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}.")
    row = _one_row(maple_model, x)
    e = maple_model.explain(row)
    values, base = e.values[0], e.base_values[0]
    out_label = ""
    if values.ndim == 2:
        c = 1 if values.shape[1] == 2 else int(np.argmax(maple_model.predict_local(row)[0]))
        values, base = values[:, c], base[c]
        out_label = f" of P(class {e.output_names[c]})"
    kept = np.asarray(maple_model.kept_features_)
    order = kept[np.argsort(-np.abs(values[kept]), kind="stable")][:max_features]
    names = [e.feature_names[j] for j in order]
    idx, w = maple_model.neighbors(row, k=k)
    idx, w = idx[0], w[0]
    keep = idx >= 0
    idx, w = idx[keep], w[keep]

    fig, (a1, a2) = _new_axes(None, figsize=(9.0, 0.35 * max(len(order), len(idx), 4) + 1.2),
                              ncols=2)
    vals = values[order]
    a1.barh(range(len(order))[::-1], vals, color=[_POS if v > 0 else _NEG for v in vals])
    a1.set_yticks(range(len(order))[::-1])
    a1.set_yticklabels(names, fontsize=8)
    a1.axvline(0, color="0.4", lw=0.8)
    a1.set_title(f"local slopes{out_label}\nintercept {_fmt(base)}", fontsize=9)
    a1.tick_params(axis="x", labelsize=8)

    y_train = getattr(maple_model, "_Y_train", None)
    labels = []
    for r in idx:
        if y_train is not None and y_train.shape[1] == 1:
            labels.append(f"row {r} (y = {_fmt(y_train[r, 0])})")
        elif y_train is not None:
            labels.append(f"row {r} (class {maple_model.classes_[int(np.argmax(y_train[r]))]})")
        else:
            labels.append(f"row {r}")
    n_trees = max(len(getattr(maple_model, "trees_", [])), 1)
    a2.barh(range(len(idx))[::-1], w / n_trees, color="0.55")
    a2.set_yticks(range(len(idx))[::-1])
    a2.set_yticklabels(labels, fontsize=8)
    a2.set_title(f"{len(idx)} heaviest neighbours\n(share of the neighbourhood's weight)",
                 fontsize=9)
    a2.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    return fig


# -- plot_explanation -----------------------------------------------------------------------
def plot_explanation(explanation, index=0, max_features=15, output=None, ax=None):
    """One row of an :class:`~glassworks.Explanation` as horizontal bars, largest first.

    Each bar is labelled with the feature and its value in the row. Features beyond
    ``max_features`` are summed into one "other" bar, so the bars still add up to the
    explained output minus the base value (for Shapley values).

    Parameters
    ----------
    explanation : Explanation
        2-D values, or 3-D (one column per output): the positive class when there are two
        outputs, otherwise the output with the largest value (the predicted class), unless
        ``output`` is given.
    index : int, default=0
        Row to show.
    max_features : int, default=15
    output : int or str, optional
        Output (class) to show for 3-D values: position or name.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .explanation import Explanation

    if not isinstance(explanation, Explanation):
        raise TypeError(
            f"plot_explanation expects a glassworks Explanation, got {type(explanation).__name__}."
        )
    n = len(explanation)
    if not isinstance(index, numbers.Integral) or not -n <= index < n:
        raise ValueError(f"index must be an integer in [0, {n}), got {index!r}.")
    if not isinstance(max_features, numbers.Integral) or max_features < 1:
        raise ValueError(f"max_features must be an integer >= 1, got {max_features!r}.")
    values = explanation.values[index]
    base = explanation.base_values[index]
    out_label = ""
    if values.ndim == 2:
        if output is None:
            c = _pick_output(values, base, explanation.output_names)
        elif isinstance(output, numbers.Integral):
            c = int(output)
        elif str(output) in explanation.output_names:
            c = explanation.output_names.index(str(output))
        else:
            raise ValueError(f"Unknown output {output!r}; outputs: {explanation.output_names}.")
        values, base = values[:, c], base[c]
        out_label = f", output {explanation.output_names[c]}"
    base = float(np.ravel(base)[0]) if np.ndim(base) else float(base)
    d = values.shape[0]
    order = np.argsort(-np.abs(values), kind="stable")
    top = order[:max_features]
    data = explanation.data[index] if explanation.data.size == n * d else None
    labels = []
    for j in top:
        name = explanation.feature_names[j]
        if data is not None:
            v = data[j]
            try:
                name = f"{name} = {_fmt(v)}"
            except (TypeError, ValueError):
                name = f"{name} = {v}"
        labels.append(name)
    vals = list(values[top])
    if d > max_features:
        vals.append(float(values[order[max_features:]].sum()))
        labels.append(f"{d - max_features} other features")
    vals = np.asarray(vals)
    fig, ax = _new_axes(ax, figsize=(6.0, 0.32 * len(vals) + 1.1))
    pos = np.arange(len(vals))[::-1]
    ax.barh(pos, vals, color=[_POS if v > 0 else _NEG for v in vals])
    ax.set_yticks(pos)
    ax.set_yticklabels(labels, fontsize=8)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.tick_params(axis="x", labelsize=8)
    if explanation.estimand == "local_slope":
        what = f"intercept {_fmt(base)}"
    else:
        what = f"base {_fmt(base)} -> output {_fmt(base + values.sum())}"
    ax.set_title(f"{explanation.method} [{explanation.estimand}]{out_label}\n{what}", fontsize=9)
    fig.tight_layout()
    return fig
