"""Exact ground truth for the audit, one adapter per model family.

An adapter reads a fitted model and returns, for the rows being explained, the exact value of
every estimand it can compute (see :data:`glassworks.explanation.ESTIMANDS`): closed forms for
linear and additive models, tree kernels for trees, forests and rule lists, and, for any other
model with at most :data:`MAX_ENUMERATION_FEATURES` features, Shapley values by enumerating
every coalition.

Which output is explained (the same for the truth and for every explainer):

- a regressor: ``predict``;
- a linear or additive classifier (logistic regression, EBM): the decision function, i.e. the
  log-odds (binary) or the logit of the predicted class (multiclass), because that is the scale
  on which the model is linear or additive and its truth has a closed form;
- any other classifier: the probability of the positive class (binary) or, per row, of the
  class the model predicts for that row (multiclass).

A new family is one function: write ``truth(model, X, background, target, baseline,
estimands=None) -> Truth`` and
``register_family(name, matches, truth, make_target)``.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np

#: Largest number of features for which the fallback enumerates all 2**d coalitions.
MAX_ENUMERATION_FEATURES = 16


# --------------------------------------------------------------------------------------------
# what is explained
# --------------------------------------------------------------------------------------------
class Target:
    """The scalar output being explained, per row.

    Parameters
    ----------
    raw_fn : callable
        ``raw_fn(Z) -> ndarray (m,) or (m, k)``: the model's chosen output (predict, decision
        function or predict_proba).
    output_index : ndarray of shape (n,), int
        For a k-column output, the column explained for each audited row.
    description : str
        Plain-language statement of the choice, printed in the report.
    """

    def __init__(self, raw_fn, output_index, description, scale="output"):
        self.raw_fn = raw_fn
        self.output_index = np.asarray(output_index, dtype=np.int64)
        self.description = description
        self.scale = scale

    def fn(self, column):
        """A function ``Z -> ndarray (m,)`` for one output column."""
        raw_fn = self.raw_fn

        def predict(Z):
            with warnings.catch_warnings():
                # a model fitted on a DataFrame warns on every array; the columns are in order
                warnings.filterwarnings("ignore", message="X does not have valid feature names")
                out = np.asarray(raw_fn(np.asarray(Z, dtype=np.float64)), dtype=np.float64)
            if out.ndim == 2:
                out = out[:, column] if out.shape[1] > 1 else out[:, 0]
            return out

        return predict

    def groups(self):
        """``(column, row indices)`` for each output column used by some row."""
        for c in np.unique(self.output_index):
            yield int(c), np.flatnonzero(self.output_index == c)


def _classifier_target(model, X, *, use_decision=False):
    classes = getattr(model, "classes_", None)
    n_classes = 2 if classes is None else len(classes)
    if use_decision:
        raw = model.decision_function
        if n_classes <= 2:
            return Target(
                lambda Z: np.asarray(raw(Z), dtype=np.float64).reshape(len(Z), -1)[:, -1],
                np.zeros(len(X), dtype=np.int64),
                "decision function (log-odds of the positive class)",
                scale="log-odds",
            )
        pred = np.argmax(np.asarray(raw(X)), axis=1)
        return Target(
            raw, pred,
            "decision function (logit) of the class the model predicts for each row",
            scale="logit",
        )
    raw = model.predict_proba
    if n_classes <= 2:
        return Target(
            raw, np.ones(len(X), dtype=np.int64),
            f"probability of the positive class ({classes[-1] if classes is not None else 1})",
            scale="probability",
        )
    pred = np.argmax(np.asarray(raw(X)), axis=1)
    return Target(
        raw, pred, "probability of the class the model predicts for each row",
        scale="probability",
    )


def _is_classifier(model):
    from sklearn.base import is_classifier

    try:
        if is_classifier(model):
            return True
    except Exception:
        pass
    return hasattr(model, "predict_proba") and hasattr(model, "classes_")


class _Named:
    """A model fitted on a DataFrame, fed DataFrames again (a pipeline may select columns by
    name); the audit itself works on float arrays in the same column order."""

    def __init__(self, model):
        self._model = model
        self._names = list(model.feature_names_in_)

    def _frame(self, Z):
        import pandas as pd

        return pd.DataFrame(np.asarray(Z, dtype=np.float64), columns=self._names)

    def predict(self, Z):
        return self._model.predict(self._frame(Z))


class _NamedClassifier(_Named):
    def __init__(self, model):
        super().__init__(model)
        self.classes_ = model.classes_

    def predict_proba(self, Z):
        return self._model.predict_proba(self._frame(Z))


def _with_column_names(model):
    if getattr(model, "feature_names_in_", None) is None:
        return model
    if _is_classifier(model):
        return _NamedClassifier(model)
    return _Named(model)


def default_target(model, X):
    """Regressors: ``predict``; classifiers: probability of the positive / predicted class."""
    if _is_classifier(model):
        return _classifier_target(model, X)
    if not hasattr(model, "predict"):
        raise TypeError(f"{type(model).__name__} has no predict method.")
    return Target(model.predict, np.zeros(len(X), dtype=np.int64), "predict", scale="output")


# --------------------------------------------------------------------------------------------
# the truth
# --------------------------------------------------------------------------------------------
@dataclass
class Truth:
    """Exact values of the estimands an adapter can compute for the audited rows.

    Attributes
    ----------
    values : dict of str -> ndarray (n, d)
        One array per estimand (``path_features`` is 0/1).
    expected : dict of str -> ndarray (n,)
        What the Shapley-type attributions of that estimand add up from (E f over the
        background, the tree's cover-weighted mean, or f(baseline)).
    dummy : ndarray of shape (d,), bool, or None
        Features the model never uses (None when that cannot be known).
    family : str
    trees : list of Tree or None
        Trees (with weights) when the model is tree-based: tree explainers need them.
    notes : list of str
    """

    values: dict
    expected: dict
    dummy: object
    family: str
    trees: object = None
    tree_weights: object = None
    notes: list = field(default_factory=list)
    dummy_how: str = "read from the model"
    #: dtype the model casts inputs to before comparing with thresholds (scikit-learn: float32)
    input_dtype: object = np.float64


_REGISTRY = []


def register_family(name, matches, truth, make_target=None):
    """Register a model family.

    Parameters
    ----------
    name : str
        Shown in the report and in the "unsupported model" error.
    matches : callable
        ``matches(model) -> bool``.
    truth : callable
        ``truth(model, X, background, target, baseline, estimands=None) -> Truth``;
        ``estimands`` is the set of estimands the audit needs (None: all), a hint.
    make_target : callable or None
        ``make_target(model, X) -> Target``; :func:`default_target` when None.
    """
    _REGISTRY.append((name, matches, truth, make_target or default_target))


def supported_families():
    return [name for name, *_ in _REGISTRY] + [
        f"any model with predict/predict_proba and at most {MAX_ENUMERATION_FEATURES} "
        "features (exact Shapley values by enumeration)"
    ]


def resolve(model, X):
    """The family adapter for ``model``: ``(name, truth_fn, target)``."""
    for name, matches, truth, make_target in _REGISTRY:
        try:
            ok = matches(model)
        except Exception:
            ok = False
        if ok:
            return name, truth, make_target(model, X)
    if not (hasattr(model, "predict") or hasattr(model, "predict_proba")):
        raise TypeError(
            f"Cannot audit a {type(model).__name__}: it has no predict method. Supported "
            "model families: " + "; ".join(supported_families()) + "."
        )
    d = X.shape[1]
    if d > MAX_ENUMERATION_FEATURES:
        raise ValueError(
            f"No closed-form ground truth for a {type(model).__name__}, and with {d} features "
            f"enumerating all 2**{d} coalitions is too large (the limit is "
            f"{MAX_ENUMERATION_FEATURES} features). Supported model families with exact truth "
            "at any size: " + "; ".join(supported_families()[:-1]) + "."
        )
    return "black box (enumerated coalitions)", _enumeration_truth, default_target(
        _with_column_names(model), X)


def compute_truth(model, X, background, baseline=None, estimands=None):
    """Resolve the family and compute the truth; returns ``(Truth, Target)``.

    ``estimands`` (a collection of names, None for all) lets an adapter skip what no
    explainer of the audit estimates; adapters may compute more.
    """
    # C order: the Numba kernels are compiled for C-contiguous arrays; another layout would
    # cost a fresh compilation
    X = np.ascontiguousarray(X, dtype=np.float64)
    background = np.ascontiguousarray(background, dtype=np.float64)
    if baseline is None:
        baseline = background.mean(axis=0)
    name, truth_fn, target = resolve(model, X)
    wanted = None if estimands is None else set(estimands)
    truth = truth_fn(model, X, background, target, baseline, estimands=wanted)
    truth.family = truth.family or name
    return truth, target


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------
def _per_row(values_by_column, target, n, d):
    """Pick, for each row, the output column it explains from (n, d, k) or (n, d)."""
    v = np.asarray(values_by_column, dtype=np.float64)
    if v.ndim == 2:
        return v
    out = np.empty((n, d))
    for c, rows in target.groups():
        out[rows] = v[rows, :, c]
    return out


def _enumerate(target, X, background, baseline, estimands=None):
    from glassworks.shapley.brute_force import (
        exact_baseline_shapley,
        exact_interventional_shapley,
    )

    n, d = X.shape
    values, expected = {}, {}
    # interventional values are always computed: the global truth is built from them
    if estimands is None:
        estimands = ("interventional_shap", "baseline_shap")
    v = np.empty((n, d))
    e = np.empty(n)
    for c, rows in target.groups():
        fn = target.fn(c)
        v[rows] = _values_of(exact_interventional_shapley(fn, X[rows], background))
        e[rows] = fn(background).mean()
    values["interventional_shap"], expected["interventional_shap"] = v, e
    if "baseline_shap" in estimands:
        v = np.empty((n, d))
        e = np.empty(n)
        for c, rows in target.groups():
            fn = target.fn(c)
            v[rows] = _values_of(exact_baseline_shapley(fn, X[rows], baseline))
            e[rows] = fn(baseline[None, :])[0]
        values["baseline_shap"], expected["baseline_shap"] = v, e
    return values, expected


def _values_of(result):
    """Accept an ndarray, a ``(values, base)`` tuple or an Explanation-like object."""
    if hasattr(result, "values") and not isinstance(result, np.ndarray):
        return np.asarray(result.values, dtype=np.float64)
    if isinstance(result, tuple):
        return np.asarray(result[0], dtype=np.float64)
    return np.asarray(result, dtype=np.float64)


def empirical_dummies(fn, X, background, n_draws=3, random_state=0):
    """Features whose replacement by background values never changes ``fn`` on X."""
    rng = np.random.default_rng(random_state)
    n, d = X.shape
    base = fn(X)
    dummy = np.ones(d, dtype=bool)
    for j in range(d):
        Z = np.repeat(X, n_draws, axis=0)
        Z[:, j] = background[rng.integers(0, len(background), size=len(Z)), j]
        Z[:, j] = np.where(Z[:, j] == np.repeat(X[:, j], n_draws), Z[:, j] + 1.0, Z[:, j])
        dummy[j] = np.array_equal(fn(Z), np.repeat(base, n_draws))
    return dummy


def _enumeration_truth(model, X, background, target, baseline, estimands=None):
    values, expected = _enumerate(target, X, background, baseline, estimands)
    dummy = None
    notes = []
    if len(np.unique(target.output_index)) == 1:
        dummy = empirical_dummies(target.fn(int(target.output_index[0])), X, background)
        notes.append(
            "dummy features found empirically: replacing them by background values never "
            "changed the output on the audited rows"
        )
    t = Truth(values, expected, dummy, "black box (enumerated coalitions)", notes=notes,
              dummy_how="checked empirically")
    return t


# --------------------------------------------------------------------------------------------
# linear models (closed form)
# --------------------------------------------------------------------------------------------
def _sk_linear_matches(model):
    mod = type(model).__module__
    return mod.startswith("sklearn.linear_model") and hasattr(model, "coef_") and (
        hasattr(model, "intercept_")
    )


def _linear_target(model, X):
    if _is_classifier(model):
        return _classifier_target(model, X, use_decision=True)
    return Target(model.predict, np.zeros(len(X), dtype=np.int64), "predict", scale="output")


def _linear_truth(model, X, background, target, baseline, estimands=None):
    coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
    if coef.shape[0] > 1 and not _is_classifier(model):
        raise ValueError("Multi-output linear regression is not supported: audit one output.")
    intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
    n, d = X.shape
    if coef.shape[0] == 1:
        W = np.repeat(coef, n, axis=0)
        b = np.repeat(intercept[:1], n)
    else:
        W = coef[target.output_index]
        b = intercept[target.output_index]
    mu = background.mean(axis=0)
    values = {
        "interventional_shap": W * (X - mu),
        "baseline_shap": W * (X - baseline),
        "local_slope": W.copy(),
    }
    expected = {
        "interventional_shap": b + W @ mu,
        "baseline_shap": b + W @ baseline,
        "local_slope": b,
    }
    dummy = np.all(coef == 0, axis=0)
    return Truth(values, expected, dummy, "scikit-learn linear model (closed form)")


register_family(
    "scikit-learn linear and logistic models", _sk_linear_matches, _linear_truth, _linear_target
)


# --------------------------------------------------------------------------------------------
# trees, forests (tree kernels)
# --------------------------------------------------------------------------------------------
def _sk_tree_matches(model):
    from sklearn.tree import BaseDecisionTree

    return isinstance(model, BaseDecisionTree)


def _sk_forest_matches(model):
    from sklearn.ensemble._forest import BaseForest

    return isinstance(model, BaseForest)


def _as_gw_tree(t, n_features):
    from glassworks.tree._tree import Tree

    if isinstance(t, Tree):
        return t
    return Tree.from_sklearn(t, n_features=n_features)


def _trees_of(model):
    """The flat trees and their weights for a tree or forest (sklearn or glassworks)."""
    d = int(getattr(model, "n_features_in_", 0)) or None
    if hasattr(model, "estimators_"):
        trees = [_as_gw_tree(e.tree_, d) for e in model.estimators_]
        return trees, np.full(len(trees), 1.0 / len(trees))
    return [_as_gw_tree(model.tree_, d)], np.ones(1)


def _float32_roundtrip(A):
    # scikit-learn trees compare float32(x) <= threshold; do the same when reading them
    return np.asarray(A, dtype=np.float32).astype(np.float64)


def path_features(trees, X):
    """0/1 (n, d): the features tested on each row's decision path (any tree)."""
    n, d = X.shape
    out = np.zeros((n, d))
    for tree in trees:
        path = tree.decision_path(X).tocsr()
        for i in range(n):
            nodes = path.indices[path.indptr[i]:path.indptr[i + 1]]
            f = tree.feature[nodes]
            out[i, f[f >= 0]] = 1.0
    return out


def tree_truth_from_trees(trees, weights, X, background, target, baseline, *, family,
                          with_path_features=True, estimands=None):
    """Interventional / path / baseline Shapley values and Saabas for weighted trees."""
    from glassworks.shapley import saabas, tree_shap_interventional, tree_shap_path

    n, d = X.shape
    values, expected = {}, {}
    kernels = {
        "interventional_shap": lambda: tree_shap_interventional(
            trees, X, background, tree_weights=weights),
        "path_shap": lambda: tree_shap_path(trees, X, tree_weights=weights),
        # Shapley values against a single reference row are baseline Shapley values
        "baseline_shap": lambda: tree_shap_interventional(
            trees, X, np.ascontiguousarray(baseline[None, :]), tree_weights=weights),
        "path_contribution": lambda: saabas(trees, X, tree_weights=weights),
    }
    for est, kernel in kernels.items():
        # interventional values are always computed: the global truth is built from them
        if estimands is not None and est not in estimands and est != "interventional_shap":
            continue
        v, base = kernel()
        values[est] = _per_row(v, target, n, d)
        expected[est] = _pick_base(np.broadcast_to(np.atleast_1d(base), (n, np.size(base))),
                                   target)
    if with_path_features:
        values["path_features"] = path_features(trees, X)
    used = np.zeros(d, dtype=bool)
    for t in trees:
        f = t.feature[t.feature >= 0]
        used[f] = True
    return Truth(values, expected, ~used, family, trees=trees, tree_weights=weights)


def _pick_base(base, target):
    base = np.asarray(base, dtype=np.float64)
    if base.ndim == 1:
        return base
    n = base.shape[0]
    return base[np.arange(n), np.minimum(target.output_index, base.shape[1] - 1)]


def _tree_truth(model, X, background, target, baseline, estimands=None):
    trees, weights = _trees_of(model)
    sk = type(model).__module__.startswith("sklearn")
    if sk:
        X, background, baseline = (
            _float32_roundtrip(X), _float32_roundtrip(background), _float32_roundtrip(baseline)
        )
    family = ("scikit-learn " if sk else "glassworks ") + (
        "forest" if len(trees) > 1 else "decision tree"
    )
    truth = tree_truth_from_trees(
        trees, weights, X, background, target, baseline, family=family,
        with_path_features=len(trees) == 1, estimands=estimands,
    )
    if sk:
        truth.input_dtype = np.float32
    return truth


def _tree_target(model, X):
    if _is_classifier(model):
        return _classifier_target(model, X)
    n_out = getattr(model, "n_outputs_", 1)
    if n_out != 1:
        raise ValueError("Multi-output regression trees are not supported: audit one output.")
    return Target(model.predict, np.zeros(len(X), dtype=np.int64), "predict", scale="output")


register_family("scikit-learn decision trees", _sk_tree_matches, _tree_truth, _tree_target)
register_family("scikit-learn random forests and extra trees", _sk_forest_matches, _tree_truth,
                _tree_target)


def _gw_tree_matches(model):
    mod = type(model).__module__
    if not mod.startswith("glassworks.") or hasattr(model, "rules_tested"):
        return False
    from glassworks.tree._tree import Tree

    if isinstance(getattr(model, "tree_", None), Tree):
        return True
    est = getattr(model, "estimators_", None)
    return bool(est) and all(isinstance(getattr(e, "tree_", None), Tree) for e in est)


register_family("glassworks decision trees and random forests", _gw_tree_matches, _tree_truth,
                _tree_target)


# --------------------------------------------------------------------------------------------
# interpret's Explainable Boosting Machine (additive terms, closed form)
# --------------------------------------------------------------------------------------------
def _ebm_matches(model):
    return type(model).__module__.startswith("interpret.") and hasattr(model, "term_features_")


def _ebm_target(model, X):
    if _is_classifier(model):
        if len(model.classes_) > 2:
            raise ValueError(
                "Multiclass EBMs are not supported by the additive truth; audit a binary or "
                "regression EBM."
            )
        return Target(
            lambda Z: np.asarray(model.decision_function(Z), dtype=np.float64),
            np.zeros(len(X), dtype=np.int64),
            "decision function (log-odds of the positive class): the EBM is additive on it",
            scale="log-odds",
        )
    return Target(model.predict, np.zeros(len(X), dtype=np.int64), "predict", scale="output")


def _term_shapley(model, X, background):
    """Exact interventional Shapley values of an additive model with 1- and 2-feature terms.

    A term g(x_j) gives feature j the value g(x_j) - E_b g(b_j). A pair term g(x_j, x_k) is a
    two-player game: each player gets half of its own main effect from both orders.
    """
    n, d = X.shape
    m = len(background)
    terms = model.term_features_
    tx = np.asarray(model.eval_terms(X), dtype=np.float64)  # (n, T)
    tb = np.asarray(model.eval_terms(background), dtype=np.float64)  # (m, T)
    phi = np.zeros((n, d))
    for t, feats in enumerate(terms):
        if len(feats) == 1:
            phi[:, feats[0]] += tx[:, t] - tb[:, t].mean()
        elif len(feats) == 2:
            j, k = feats
            v_all = tx[:, t]
            v_none = tb[:, t].mean()
            # v({j}) = E_b g(x_j, b_k): rows of the background with x_j written in
            Z = np.repeat(background, n, axis=0)
            Z[:, j] = np.tile(X[:, j], m)
            v_j = np.asarray(model.eval_terms(Z), dtype=np.float64)[:, t].reshape(m, n).mean(0)
            Z = np.repeat(background, n, axis=0)
            Z[:, k] = np.tile(X[:, k], m)
            v_k = np.asarray(model.eval_terms(Z), dtype=np.float64)[:, t].reshape(m, n).mean(0)
            phi[:, j] += 0.5 * ((v_j - v_none) + (v_all - v_k))
            phi[:, k] += 0.5 * ((v_k - v_none) + (v_all - v_j))
        else:
            raise ValueError("EBM terms of more than two features are not supported.")
    return phi


def _ebm_truth(model, X, background, target, baseline, estimands=None):
    n, d = X.shape
    f = target.fn(0)
    values = {
        "interventional_shap": _term_shapley(model, X, background),
        "baseline_shap": _term_shapley(model, X, baseline[None, :]),
    }
    expected = {
        "interventional_shap": np.full(n, f(background).mean()),
        "baseline_shap": np.full(n, f(baseline[None, :])[0]),
    }
    used = np.zeros(d, dtype=bool)
    for feats, scores in zip(model.term_features_, model.term_scores_):
        if np.any(np.asarray(scores)[np.isfinite(scores)] != 0):
            used[list(feats)] = True
    return Truth(values, expected, ~used, "interpret ExplainableBoostingMachine (additive terms)")


register_family("interpret ExplainableBoostingMachine", _ebm_matches, _ebm_truth, _ebm_target)


# --------------------------------------------------------------------------------------------
# glassworks rule lists and MAPLE
# --------------------------------------------------------------------------------------------
def _rules_matches(model):
    return type(model).__module__.startswith("glassworks.rules") and hasattr(
        model, "rules_tested"
    )


def _rules_truth(model, X, background, target, baseline, estimands=None):
    n, d = X.shape
    values, expected = {}, {}
    from glassworks.tree._tree import Tree

    tree = getattr(model, "tree_", None)  # the rule list's equivalent flat tree
    tree = tree if isinstance(tree, Tree) else None
    notes = []
    if tree is not None:
        t = tree_truth_from_trees([tree], np.ones(1), X, background, target, baseline,
                                  family="glassworks rule list", with_path_features=False,
                                  estimands=estimands)
        values, expected = t.values, t.expected
        notes.append("Shapley values from the rule list's equivalent tree (tree kernels)")
    elif d <= MAX_ENUMERATION_FEATURES:
        values, expected = _enumerate(target, X, background, baseline, estimands)
        notes.append("Shapley values by enumerating coalitions")
    tested = np.asarray(model.rules_tested(X), dtype=np.float64)
    values["path_features"] = tested
    # a feature that no rule of the list tests is never used
    dummy = np.ones(d, dtype=bool)
    for rule in getattr(model, "rules_", []):
        dummy[np.asarray(rule.get("features", []), dtype=np.int64)] = False
    return Truth(values, expected, dummy, "glassworks rule list", notes=notes,
                 trees=None if tree is None else [tree],
                 tree_weights=None if tree is None else np.ones(1))


register_family("glassworks rule lists", _rules_matches, _rules_truth)


def _maple_matches(model):
    return type(model).__module__.startswith("glassworks.maple") and hasattr(model, "explain")


def _maple_truth(model, X, background, target, baseline, estimands=None):
    n, d = X.shape
    values, expected = {}, {}
    notes = []
    if d <= MAX_ENUMERATION_FEATURES:
        values, expected = _enumerate(target, X, background, baseline, estimands)
        notes.append("Shapley values by enumerating coalitions")
    if not _is_classifier(model):
        e = model.explain(X)
        values["local_slope"] = _per_row(e.values, target, n, d)
        expected["local_slope"] = _pick_base(e.base_values, target)
    dummy = None
    if len(np.unique(target.output_index)) == 1:
        dummy = empirical_dummies(target.fn(int(target.output_index[0])), X, background)
    return Truth(values, expected, dummy, "glassworks MAPLE", notes=notes,
                 dummy_how="checked empirically")


register_family("glassworks MAPLE", _maple_matches, _maple_truth)
