"""Trees as text: the whole tree (:func:`export_text`) or one rule per row (:func:`decision_rules`).

Both read the flat :class:`~glassworks.tree._tree.Tree`, so they work on glassworks trees, on
scikit-learn trees (wrapped on the fly) and on any tree another part of glassworks builds.

Missing values
--------------
A split sends NaN to the side stored in ``missing_go_to_left``. A tree grown without NaN still
stores a side for it: the child that received more training samples (scikit-learn's convention,
which the glassworks grower follows). Only a split that saw NaN during training can learn a
different side, so by default (``show_missing="auto"``) :func:`export_text` marks the NaN branch
of a split exactly when it differs from that default, appending ``" or missing"`` to the line
of the branch that takes NaN. A split whose threshold is ``+inf`` separates the missing values
from all the others; it is shown as ``"x is not missing"`` / ``"x is missing"`` when marking.
On a tree grown without NaN nothing is marked and the text is the same as scikit-learn's
``export_text``.

Categorical splits
------------------
A split on a categorical feature reads ``city in {ber, dub}`` (left) and ``city not in {ber,
dub}`` (right), with the estimator's ``categories_`` as names (codes for a bare tree). The set
is every category that goes left, including those the node never saw in training (they take
the missing side). A long set is cut after :data:`MAX_SHOWN` names (``..., 12 more``). A rule
(:func:`decision_rules`) keeps, for each categorical feature, the categories its path allows.
"""

import numbers
from io import StringIO

import numpy as np

from .._format import format_threshold
from ._tree import TREE_LEAF, Tree

__all__ = ["export_text", "decision_rules", "category_set_text"]

#: categories shown in a set before "..., k more"
MAX_SHOWN = 10


def _categories_of(model_or_tree):
    return getattr(model_or_tree, "categories_", None)


def category_set_text(name, codes, categories, negate=False):
    """``"name in {a, b}"`` (``not in`` with ``negate``) for the category ``codes``."""
    codes = [int(c) for c in codes]
    labels = [str(categories[c]) if categories is not None and c < len(categories) else str(c)
              for c in codes]
    if len(labels) > MAX_SHOWN:
        labels = labels[:MAX_SHOWN] + [f"... {len(codes) - MAX_SHOWN} more"]
    return f"{name} {'not in' if negate else 'in'} {{{', '.join(labels)}}}"


def _n_categories(tree, categories, f):
    if categories is not None and categories[f] is not None:
        return len(categories[f])
    return None


def categorical_left_codes(tree, node, categories):
    """The codes a categorical split sends left, among the feature's categories."""
    f = int(tree.feature[node])
    return tree.categories_left(node, _n_categories(tree, categories, f))


def reaching_codes(tree, categories):
    """Per categorical split node, ``(left codes, right codes)`` among the categories that
    its ancestors' splits on the same feature let through (what the display shows: a
    category barred above cannot reach the node)."""
    out = {}
    if not tree.has_categorical:
        return out
    is_cat = tree.is_categorical_split()
    left, right = tree.children_left, tree.children_right
    stack = [(0, {})]
    while stack:
        node, allowed = stack.pop()
        if left[node] == TREE_LEAF:
            continue
        if not is_cat[node]:
            stack.append((int(right[node]), allowed))
            stack.append((int(left[node]), allowed))
            continue
        f = int(tree.feature[node])
        lc = categorical_left_codes(tree, node, categories)
        n_cat = _n_categories(tree, categories, f)
        if n_cat is None:
            n_cat = max(int(lc.max()) + 1 if lc.size else 1, *(len(a) for a in allowed.values()),
                        1)
        ok = allowed.get(f, np.ones(n_cat, dtype=bool))
        go = np.zeros(n_cat, dtype=bool)
        go[lc[lc < n_cat]] = True
        out[node] = (np.flatnonzero(ok & go), np.flatnonzero(ok & ~go))
        stack.append((int(right[node]), {**allowed, f: ok & ~go}))
        stack.append((int(left[node]), {**allowed, f: ok & go}))
    return out


# -- inputs ------------------------------------------------------------------------------------
def resolve_tree(model_or_tree):
    """(tree, is_classifier, classes or None, feature_names_in_ or None) of the argument.

    Accepts a glassworks ``Tree``, a fitted estimator with a ``tree_`` (glassworks or
    scikit-learn) or a fitted rule list (its equivalent tree). Shared by export and plotting.
    """
    if isinstance(model_or_tree, Tree):
        return model_or_tree, model_or_tree.n_outputs > 1, None, None
    inner = getattr(model_or_tree, "tree_", None)
    if inner is None:
        if hasattr(model_or_tree, "get_params"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                f"This {type(model_or_tree).__name__} instance is not fitted yet: call fit "
                "before reading its tree."
            )
        raise TypeError(
            "Expected a glassworks Tree or a fitted tree estimator (with a tree_ attribute), "
            f"got {type(model_or_tree).__name__}."
        )
    if not isinstance(inner, Tree):
        if hasattr(inner, "children_left") and hasattr(inner, "node_count"):
            inner = Tree.from_sklearn(inner)  # a scikit-learn tree_
        else:
            raise TypeError(f"tree_ must be a glassworks Tree, got {type(inner).__name__}.")
    from sklearn.base import is_classifier

    classes = getattr(model_or_tree, "classes_", None)
    try:
        classifier = is_classifier(model_or_tree)
    except (AttributeError, TypeError):  # not a scikit-learn estimator: no tags to read
        classifier = False
    classifier = classifier or classes is not None
    if classifier and inner.n_outputs == 1 and classes is not None and len(classes) > 1:
        raise ValueError(
            "A classifier's tree must store one probability per class; multi-output trees "
            "are not supported."
        )
    names_in = getattr(model_or_tree, "feature_names_in_", None)
    return inner, classifier, classes, names_in


def _check_int(value, name, low, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def _feature_names(tree, feature_names, names_in):
    if feature_names is None:
        feature_names = names_in
    if feature_names is None:
        return [f"feature_{i}" for i in range(tree.n_features)]
    names = list(np.asarray(feature_names, dtype=object).ravel())
    if len(names) != tree.n_features:
        raise ValueError(
            f"feature_names must contain {tree.n_features} elements, got {len(names)}."
        )
    return names


def _class_names(tree, class_names, classes):
    if class_names is None:
        class_names = classes
    if class_names is None:
        return np.arange(tree.n_outputs)
    names = np.asarray(class_names)
    if names.ndim != 1 or names.shape[0] != tree.n_outputs:
        raise ValueError(
            f"class_names must contain one name per class ({tree.n_outputs}), got "
            f"{names.shape[0] if names.ndim == 1 else names.shape}."
        )
    return names


def _missing_marks(tree, show_missing):
    """Per node: 0 no mark, 1 mark the left line, 2 mark the right line."""
    auto = isinstance(show_missing, str) and show_missing == "auto"
    if not auto and not isinstance(show_missing, (bool, np.bool_)):
        raise ValueError(f"show_missing must be 'auto', True or False, got {show_missing!r}.")
    marks = np.zeros(tree.node_count, dtype=np.int64)
    if not auto and not show_missing:
        return marks
    internal = np.flatnonzero(tree.children_left != TREE_LEAF)
    goes_left = tree.missing_go_to_left[internal] != 0
    if auto:
        n = tree.n_node_samples
        default_left = n[tree.children_left[internal]] > n[tree.children_right[internal]]
        learned = (goes_left != default_left) | np.isposinf(tree.threshold[internal])
        internal, goes_left = internal[learned], goes_left[learned]
    marks[internal] = np.where(goes_left, 1, 2)
    return marks


def _preorder(tree):
    order = []
    stack = [0]
    left, right = tree.children_left, tree.children_right
    while stack:
        node = stack.pop()
        order.append(node)
        if left[node] != TREE_LEAF:
            stack.append(int(right[node]))
            stack.append(int(left[node]))
    return order


def _subtree_depths(tree):
    """Number of levels below and including each node (1 at a leaf)."""
    height = np.ones(tree.node_count, dtype=np.int64)
    left, right = tree.children_left, tree.children_right
    for node in reversed(_preorder(tree)):
        if left[node] != TREE_LEAF:
            height[node] = 1 + max(height[left[node]], height[right[node]])
    return height


def _fmt(x, decimals):
    return "{1:.{0}f}".format(decimals, x)


# -- the whole tree ----------------------------------------------------------------------------
def export_text(
    model_or_tree,
    *,
    feature_names=None,
    class_names=None,
    max_depth=10,
    spacing=3,
    decimals=None,
    show_weights=False,
    show_missing="auto",
):
    """Text report of all the rules of a decision tree, in scikit-learn's layout.

    Parameters
    ----------
    model_or_tree : fitted tree estimator or Tree
        A glassworks ``DecisionTreeClassifier``/``DecisionTreeRegressor`` (anything with a
        ``tree_``; ``classes_`` and ``feature_names_in_`` are used when present), a fitted
        scikit-learn tree, or a bare :class:`~glassworks.tree._tree.Tree` (a classifier when
        it stores more than one value per node).
    feature_names : array-like of str, optional
        One name per feature. Defaults to ``feature_names_in_`` when the estimator has it,
        else ``"feature_0"``, ``"feature_1"``, ...
    class_names : array-like, optional
        One name per class, in the order of ``classes_``. Defaults to ``classes_``, or to the
        class indices for a bare tree.
    max_depth : int or None, default=10
        Only the first ``max_depth`` levels are shown; deeper branches are summarised as
        ``"truncated branch of depth d"``. None shows the whole tree.
    spacing : int, default=3
        Number of characters per level of indentation.
    decimals : int or None, default=None
        Digits after the decimal point for thresholds and values, as scikit-learn's
        ``export_text`` (whose default is 2). None: thresholds as every glassworks display
        writes them (:func:`glassworks._format.format_threshold`, four significant digits),
        values with 2 decimals.
    show_weights : bool, default=False
        For a classifier, also print the weighted number of training samples of each class
        at each leaf.
    show_missing : {"auto", True, False}, default="auto"
        Where to say which branch NaN takes (``" or missing"`` after that branch's test).
        ``"auto"``: only at splits that learned a NaN side other than the no-NaN default
        (see the module docstring), so a tree grown without NaN prints exactly as
        scikit-learn's ``export_text``. True: at every split. False: never.

    Returns
    -------
    str

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from glassworks.tree.export import export_text
    >>> iris = load_iris()
    >>> model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(iris.data, iris.target)
    >>> print(export_text(model, feature_names=iris.feature_names,
    ...                   class_names=iris.target_names))
    |--- petal width (cm) <= 0.8
    |   |--- class: setosa
    |--- petal width (cm) >  0.8
    |   |--- petal width (cm) <= 1.75
    |   |   |--- class: versicolor
    |   |--- petal width (cm) >  1.75
    |   |   |--- class: virginica
    <BLANKLINE>
    """
    tree, classifier, classes, names_in = resolve_tree(model_or_tree)
    max_depth = _check_int(max_depth, "max_depth", 0, allow_none=True)
    spacing = _check_int(spacing, "spacing", 1)
    thr_text, decimals = _number_formats(decimals)
    names = _feature_names(tree, feature_names, names_in)
    if classifier:
        cnames = _class_names(tree, class_names, classes)
    marks = _missing_marks(tree, show_missing)
    heights = None
    cats = _categories_of(model_or_tree)
    is_cat = tree.is_categorical_split()
    reach = reaching_codes(tree, cats)

    left, right = tree.children_left, tree.children_right
    value = tree.value2d
    report = StringIO()

    def leaf_line(node, indent):
        if classifier:
            val = ""
            if show_weights:
                w = tree.weighted_n_node_samples[node]
                val = "[" + ", ".join(_fmt(v * w, decimals) for v in value[node]) + "]"
            val += " class: " + str(cnames[int(np.argmax(value[node]))])
            return f"{indent}{val}\n" if not show_weights else f"{indent} weights: {val}\n"
        val = "[" + ", ".join(_fmt(v, decimals) for v in value[node]) + "]"
        return f"{indent} value: {val}\n"

    def split_lines(node, indent):
        name = names[tree.feature[node]]
        thr = tree.threshold[node]
        mark = marks[node]
        if is_cat[node]:
            f = int(tree.feature[node])
            lcodes, rcodes = reach[node]
            fc = None if cats is None else cats[f]
            # the shorter set of the two, as "in" on the left and "not in" on the right
            codes = lcodes if len(lcodes) <= len(rcodes) else rcodes
            neg = len(lcodes) > len(rcodes)
            lo = category_set_text(name, codes, fc, negate=neg) + (
                " or missing" if mark == 1 else "")
            hi = category_set_text(name, codes, fc, negate=not neg) + (
                " or missing" if mark == 2 else "")
            return f"{indent} {lo}\n", f"{indent} {hi}\n"
        if mark and np.isposinf(thr):
            return f"{indent} {name} is not missing\n", f"{indent} {name} is missing\n"
        t = thr_text(thr)
        lo = f"{indent} {name} <= {t}" + (" or missing" if mark == 1 else "") + "\n"
        hi = f"{indent} {name} >  {t}" + (" or missing" if mark == 2 else "") + "\n"
        return lo, hi

    # An explicit stack instead of recursion: with max_depth=None a tree may be deeper than
    # Python's recursion limit. Items are either a line to write or a (node, depth) to visit.
    stack = [(0, 1)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            report.write(item)
            continue
        node, depth = item
        indent = ("|" + " " * spacing) * depth
        indent = indent[:-spacing] + "-" * spacing
        if max_depth is None or depth <= max_depth + 1:
            if left[node] != TREE_LEAF:
                lo, hi = split_lines(node, indent)
                stack.append((int(right[node]), depth + 1))
                stack.append(hi)
                stack.append((int(left[node]), depth + 1))
                stack.append(lo)
            else:
                report.write(leaf_line(node, indent))
        else:
            if heights is None:
                heights = _subtree_depths(tree)
            if heights[node] == 1:
                report.write(leaf_line(node, indent))
            else:
                report.write(f"{indent} truncated branch of depth {heights[node]}\n")
    return report.getvalue()


# -- one rule per row --------------------------------------------------------------------------
def _as_float_matrix(X, n_features):
    if hasattr(X, "toarray"):
        raise ValueError("decision_rules needs a dense X; call X.toarray() first.")
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"X must be numeric; could not convert it to float: {exc}") from None
    if X.ndim == 1:
        raise ValueError(
            "X must be 2-D (n_samples, n_features); reshape a single row with X.reshape(1, -1)."
        )
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}.")
    if X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but the tree was grown on {n_features} features."
        )
    return np.ascontiguousarray(X)


def _number_formats(decimals):
    """``(how thresholds are written, decimals of the other numbers)``: ``decimals`` fixed
    digits for both, or (None) the shared threshold format and 2 decimals."""
    if decimals is None:
        return format_threshold, 2
    decimals = _check_int(decimals, "decimals", 0)
    return (lambda t: _fmt(t, decimals)), decimals


def _condition(name, lo, hi, missing, thr_text):
    if missing:
        return f"{name} is missing"
    has_lo = lo != -np.inf
    has_hi = hi != np.inf
    if has_lo and has_hi:
        return f"{thr_text(lo)} < {name} <= {thr_text(hi)}"
    if has_hi:
        return f"{name} <= {thr_text(hi)}"
    if has_lo:
        return f"{name} > {thr_text(lo)}"
    # only a "<= +inf" test: the split that separates the missing values from the rest
    return f"{name} is not missing"


def decision_rules(model_or_tree, X, *, feature_names=None, class_names=None, decimals=None):
    """Each row's decision path as one readable rule.

    Tests of the same feature along a path are collapsed into the tightest interval, listed in
    the order the path first tests each feature, e.g.
    ``"petal width (cm) > 0.80 and 4.95 < petal length (cm) <= 5.35 => class virginica
    (p=0.67, n=3)"``; a regression leaf reads ``"=> 12.30 (n=40)"``. ``p`` is the leaf's
    probability of the predicted class, ``n`` its number of training rows. A row whose value
    is NaN at a tested feature took that split's NaN branch: the rule says ``"x is missing"``.
    A tree that is a single leaf gives ``"always => ..."``.

    Parameters
    ----------
    model_or_tree : fitted tree estimator or Tree
        As for :func:`export_text`.
    X : array-like of shape (n_samples, n_features)
        Rows to explain (NaN allowed).
    feature_names : array-like of str, optional
        One name per feature; defaults as in :func:`export_text`.
    class_names : array-like, optional
        One name per class; defaults as in :func:`export_text`.
    decimals : int or None, default=None
        Digits after the decimal point for thresholds, probabilities and values. None:
        thresholds in the shared format (as :func:`export_text`), the rest with 2 decimals.

    Returns
    -------
    list of str
        One rule per row of X.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from glassworks.tree.export import decision_rules
    >>> iris = load_iris()
    >>> model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(iris.data, iris.target)
    >>> decision_rules(model, iris.data[:1], feature_names=iris.feature_names,
    ...                class_names=iris.target_names)
    ['petal width (cm) <= 0.8 => class setosa (p=1.00, n=50)']
    """
    tree, classifier, classes, names_in = resolve_tree(model_or_tree)
    thr_text, decimals = _number_formats(decimals)
    names = _feature_names(tree, feature_names, names_in)
    if classifier:
        cnames = _class_names(tree, class_names, classes)
    X = _as_float_matrix(X, tree.n_features)

    paths = tree.decision_path(X)
    depth = tree.compute_node_depths()
    cats = _categories_of(model_or_tree)
    is_cat = tree.is_categorical_split()
    allowed = {}
    left = tree.children_left
    feature, threshold = tree.feature, tree.threshold
    value = tree.value2d
    rules = []
    for i in range(X.shape[0]):
        nodes = paths.indices[paths.indptr[i] : paths.indptr[i + 1]]
        nodes = nodes[np.argsort(depth[nodes], kind="stable")]
        bounds = {}  # feature -> [lo, hi, missing]; dicts keep first-test order
        for node, nxt in zip(nodes[:-1], nodes[1:]):
            f = int(feature[node])
            b = bounds.setdefault(f, [-np.inf, np.inf, False])
            v = X[i, f]
            if is_cat[node]:
                n_cat = _n_categories(tree, cats, f)
                if node not in allowed:
                    allowed[node] = categorical_left_codes(tree, node, cats)
                left_codes = allowed[node]
                if n_cat is None:
                    n_cat = int(left_codes.max()) + 1 if left_codes.size else 1
                if len(b) == 3:
                    b.append(np.ones(n_cat, dtype=bool))
                go = np.zeros(n_cat, dtype=bool)
                go[left_codes[left_codes < n_cat]] = True
                b[3] &= go if nxt == left[node] else ~go
                if np.isnan(v) or v < 0 or v >= n_cat:
                    b[2] = True
                continue
            if np.isnan(v):
                b[2] = True
            elif nxt == left[node]:
                b[1] = min(b[1], threshold[node])
            else:
                b[0] = max(b[0], threshold[node])
        leaf = int(nodes[-1])
        conds = [
            (category_set_text(names[f], np.flatnonzero(b[3]),
                               None if cats is None else cats[f])
             if len(b) == 4 and not b[2] else
             f"{names[f]} is missing or unseen" if len(b) == 4 else
             _condition(names[f], b[0], b[1], b[2], thr_text))
            for f, b in bounds.items()
        ]
        premise = " and ".join(conds) if conds else "always"
        n = int(tree.n_node_samples[leaf])
        if classifier:
            k = int(np.argmax(value[leaf]))
            outcome = f"class {cnames[k]} (p={_fmt(value[leaf, k], decimals)}, n={n})"
        else:
            outcome = f"{_fmt(value[leaf, 0], decimals)} (n={n})"
        rules.append(f"{premise} => {outcome}")
    return rules

