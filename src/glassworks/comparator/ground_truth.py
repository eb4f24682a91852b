"""Exact ground truth for the audit: which output is explained, and one adapter per family.

An adapter reads a fitted model and describes it as a
:class:`~glassworks.comparator.estimands.ModelView`: the kinds of exact computation it admits
(trees, linear, additive, piecewise constant or affine, black box), the parts they read
(trees, coefficients, thresholds, ...), and the features it never uses. Each estimand of
:mod:`glassworks.comparator.estimands` then computes its exact value from the view;
:func:`compute_truth` collects them in a :class:`Truth`, with the reason for each estimand
that cannot be computed exactly for this model.

Which output is explained (the same for the truth and for every explainer):

- a regressor: ``predict``;
- a linear or additive classifier (logistic regression, EBM): the decision function, i.e. the
  log-odds (binary) or the logit of the predicted class (multiclass), because that is the scale
  on which the model is linear or additive and its truth has a closed form;
- any other classifier: the probability of the positive class (binary) or, per row, of the
  class the model predicts for that row (multiclass).

Global estimands explain one column for all rows: the one most rows explain.

A new family is one function: write ``describe(model, X, background, target) -> ModelView``
and ``register_family(name, matches, describe, make_target)``.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np

from .estimands import REGISTRY, ModelView, NotExact
from .estimands.integrated_gradients import effective_thresholds
from .estimands.shapley import MAX_ENUMERATION_FEATURES

__all__ = ["Target", "Truth", "compute_truth", "resolve", "register_family",
           "supported_families", "default_target", "MAX_ENUMERATION_FEATURES"]


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
        if hasattr(model, "predict_proba"):
            return _classifier_target(model, X)
        # e.g. SVC(probability=False): no probabilities, but a decision function to explain
        if hasattr(model, "decision_function"):
            t = _classifier_target(model, X, use_decision=True)
            t.description += (f" ({type(model).__name__} has no predict_proba, e.g. fitted "
                              "without probability=True: its decision function is explained)")
            return t
        raise TypeError(
            f"{type(model).__name__} is a classifier with neither predict_proba nor "
            "decision_function: the audit explains a real-valued output (probabilities or "
            "scores), not class labels.")
    if not hasattr(model, "predict"):
        raise TypeError(f"{type(model).__name__} has no predict method.")
    return Target(model.predict, np.zeros(len(X), dtype=np.int64), "predict", scale="output")


# --------------------------------------------------------------------------------------------
# the truth
# --------------------------------------------------------------------------------------------
@dataclass
class Truth:
    """Exact values of the estimands that can be computed for the audited model.

    Attributes
    ----------
    values : dict of str -> ndarray
        One array per estimand: (n, d) for a local one (``path_features`` is 0/1), (d,) for a
        global one.
    expected : dict of str -> ndarray (n,)
        What the additive estimands add up from (E f over the background, the tree's
        cover-weighted mean, f(baseline)); a local linear model's intercept.
    dummy : ndarray of shape (d,), bool, or None
        Features the model never uses (None when that cannot be known).
    family : str
    trees : list of Tree or None
        Trees (with weights) when the model is tree-based: tree explainers need them.
    notes : list of str
    unavailable : dict of str -> str
        Estimands asked for that cannot be computed exactly for this model, and why.
    tolerance : dict of str -> float
        Estimands computed by a quadrature, with their stated absolute tolerance.
    seconds : dict of str -> float
        Time spent computing each estimand.
    global_column : int
        The output column the global estimands explain.
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
    unavailable: dict = field(default_factory=dict)
    tolerance: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    global_column: int = 0
    view: object = field(default=None, repr=False)


_REGISTRY = []


def register_family(name, matches, describe, make_target=None):
    """Register a model family.

    Parameters
    ----------
    name : str
        Shown in the report and in the "unsupported model" error.
    matches : callable
        ``matches(model) -> bool``.
    describe : callable
        ``describe(model, X, background, target) -> ModelView``.
    make_target : callable or None
        ``make_target(model, X) -> Target``; :func:`default_target` when None.
    """
    _REGISTRY.append((name, matches, describe, make_target or default_target))


def supported_families():
    return [name for name, *_ in _REGISTRY] + [
        "any model with predict/predict_proba (Shapley values by enumerating coalitions "
        f"when it has at most {MAX_ENUMERATION_FEATURES} features)"
    ]


def resolve(model, X):
    """The family adapter for ``model``: ``(name, describe, target)``."""
    for name, matches, describe, make_target in _REGISTRY:
        try:
            ok = matches(model)
        except Exception:
            ok = False
        if ok:
            return name, describe, make_target(model, X)
    if not (hasattr(model, "predict") or hasattr(model, "predict_proba")):
        raise TypeError(
            f"Cannot audit a {type(model).__name__}: it has no predict method. Supported "
            "model families: " + "; ".join(supported_families()) + "."
        )
    return "black box (model calls)", _describe_black_box, default_target(
        _with_column_names(model), X)


def compute_truth(model, X, background, baseline=None, estimands=None):
    """Resolve the family and compute the truth; returns ``(Truth, Target)``.

    Parameters
    ----------
    model : fitted estimator
    X : ndarray (n, d)
        The rows explained.
    background : ndarray (m, d)
    baseline : ndarray (d,), default=None
        The reference of baseline Shapley values, integrated gradients and gradient x input;
        None: the background mean.
    estimands : collection of str, default=None
        The estimands to compute; None: every estimand of
        :data:`glassworks.comparator.estimands.REGISTRY`. One that cannot be computed
        exactly for this model is listed in ``Truth.unavailable`` with the reason.
    """
    import time

    # C order: the Numba kernels are compiled for C-contiguous arrays; another layout would
    # cost a fresh compilation
    X = np.ascontiguousarray(X, dtype=np.float64)
    background = np.ascontiguousarray(background, dtype=np.float64)
    baseline = background.mean(axis=0) if baseline is None else np.asarray(
        baseline, dtype=np.float64).reshape(-1)
    name, describe, target = resolve(model, X)
    wanted = list(REGISTRY) if estimands is None else [e for e in REGISTRY if e in estimands]
    unknown = [] if estimands is None else sorted(set(estimands) - set(REGISTRY))
    if unknown:
        raise ValueError(f"Unknown estimands {unknown}; known: {', '.join(REGISTRY)}.")
    view = describe(model, X, background, target)
    if np.dtype(view.input_dtype) == np.float32:
        # scikit-learn trees compare float32(x) <= threshold; read the rows as they do
        X, background, baseline = (_float32_roundtrip(A) for A in (X, background, baseline))
    truth = Truth({}, {}, view.dummy, view.family or name, trees=view.trees,
                  tree_weights=view.tree_weights, notes=list(view.notes),
                  dummy_how=view.dummy_how, input_dtype=view.input_dtype,
                  global_column=view.global_column, view=view)
    for est in wanted:
        t0 = time.perf_counter()
        try:
            value = REGISTRY[est].compute(view, X, background, baseline)
        except NotExact as exc:
            truth.unavailable[est] = str(exc)
        else:
            view.cache[("value", est)] = value
            truth.values[est] = value.values
            if value.expected is not None:
                truth.expected[est] = np.asarray(value.expected, dtype=np.float64)
            if value.tolerance is not None:
                truth.tolerance[est] = float(value.tolerance)
            truth.notes.extend(f"{est}: {note}" for note in value.notes)
        truth.seconds[est] = time.perf_counter() - t0
    return truth, target


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------
def _float32_roundtrip(A):
    return np.asarray(A, dtype=np.float32).astype(np.float64)


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


def _empirical_dummy_of(view, X, background):
    """The black-box dummies (one output column only), with the note saying how."""
    target = view.target
    if len(np.unique(target.output_index)) == 1:
        view.dummy = empirical_dummies(target.fn(int(target.output_index[0])), X, background)
        view.dummy_how = "checked empirically"
        view.notes.append(
            "dummy features found empirically: replacing them by background values never "
            "changed the output on the audited rows"
        )
    return view


def _describe_black_box(model, X, background, target):
    view = ModelView("black box (model calls)", ("black_box",), target, model=model)
    return _empirical_dummy_of(view, X, background)


def tree_thresholds(trees, d, input_dtype=np.float64):
    """Per feature, the sorted thresholds at which some tree's output can change."""
    out = []
    for j in range(d):
        t = [tree.threshold[tree.feature == j] for tree in trees]
        out.append(effective_thresholds(np.concatenate(t) if t else [], input_dtype))
    return out


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


def _describe_linear(model, X, background, target):
    coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
    if coef.shape[0] > 1 and not _is_classifier(model):
        raise ValueError("Multi-output linear regression is not supported: audit one output.")
    intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
    return ModelView("scikit-learn linear model (closed form)", ("linear", "black_box"),
                     target, model=model, coef=coef, intercept=intercept[:coef.shape[0]],
                     dummy=np.all(coef == 0, axis=0))


register_family(
    "scikit-learn linear and logistic models", _sk_linear_matches, _describe_linear,
    _linear_target,
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


def describe_trees(trees, weights, target, d, *, family, model=None, single=True,
                   input_dtype=np.float64, leading=()):
    """The view of a model that is the weighted sum of ``trees``."""
    used = np.zeros(d, dtype=bool)
    for t in trees:
        used[t.feature[t.feature >= 0]] = True
    kinds = tuple(leading) + ("trees",) + (("single_tree",) if single and len(trees) == 1
                                           else ()) + ("piecewise_constant", "black_box")
    return ModelView(family, kinds, target, model=model, trees=trees, tree_weights=weights,
                     thresholds=tree_thresholds(trees, d, input_dtype), dummy=~used,
                     input_dtype=input_dtype)


def _describe_tree_model(model, X, background, target):
    trees, weights = _trees_of(model)
    sk = type(model).__module__.startswith("sklearn")
    family = ("scikit-learn " if sk else "glassworks ") + (
        "forest" if len(trees) > 1 else "decision tree"
    )
    return describe_trees(trees, weights, target, X.shape[1], family=family, model=model,
                          input_dtype=np.float32 if sk else np.float64)


def _tree_target(model, X):
    if _is_classifier(model):
        return _classifier_target(model, X)
    n_out = getattr(model, "n_outputs_", 1)
    if n_out != 1:
        raise ValueError("Multi-output regression trees are not supported: audit one output.")
    return Target(model.predict, np.zeros(len(X), dtype=np.int64), "predict", scale="output")


register_family("scikit-learn decision trees", _sk_tree_matches, _describe_tree_model,
                _tree_target)
register_family("scikit-learn random forests and extra trees", _sk_forest_matches,
                _describe_tree_model, _tree_target)


def _gw_tree_matches(model):
    mod = type(model).__module__
    if not mod.startswith("glassworks.") or hasattr(model, "rules_tested"):
        return False
    from glassworks.tree._tree import Tree

    if isinstance(getattr(model, "tree_", None), Tree):
        return True
    est = getattr(model, "estimators_", None)
    return bool(est) and all(isinstance(getattr(e, "tree_", None), Tree) for e in est)


register_family("glassworks decision trees and random forests", _gw_tree_matches,
                _describe_tree_model, _tree_target)


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


def _ebm_thresholds(model, d):
    """Per feature, every bin edge of every term (None if a feature is categorical)."""
    out = []
    for j in range(d):
        levels = model.bins_[j]
        if any(not isinstance(level, np.ndarray) for level in levels):
            return None  # categorical: the output changes at category values, not edges
        out.append(np.unique(np.concatenate([np.asarray(lv, dtype=np.float64)
                                             for lv in levels])))
    return out


def _describe_ebm(model, X, background, target):
    d = X.shape[1]
    used = np.zeros(d, dtype=bool)
    for feats, scores in zip(model.term_features_, model.term_scores_):
        if np.any(np.asarray(scores)[np.isfinite(scores)] != 0):
            used[list(feats)] = True
    thresholds = _ebm_thresholds(model, d)
    kinds = ("additive",) + (("piecewise_constant",) if thresholds is not None else ()) + (
        "black_box",)
    return ModelView("interpret ExplainableBoostingMachine (additive terms)", kinds, target,
                     model=model, thresholds=thresholds, dummy=~used)


register_family("interpret ExplainableBoostingMachine", _ebm_matches, _describe_ebm,
                _ebm_target)


# --------------------------------------------------------------------------------------------
# glassworks rule lists and MAPLE
# --------------------------------------------------------------------------------------------
def _rules_matches(model):
    return type(model).__module__.startswith("glassworks.rules") and hasattr(
        model, "rules_tested"
    )


def _describe_rules(model, X, background, target):
    from glassworks.tree._tree import Tree

    d = X.shape[1]
    # a feature that no rule of the list tests is never used
    dummy = np.ones(d, dtype=bool)
    for rule in getattr(model, "rules_", []):
        dummy[np.asarray(rule.get("features", []), dtype=np.int64)] = False
    tree = getattr(model, "tree_", None)  # the rule list's equivalent flat tree
    if isinstance(tree, Tree):
        view = describe_trees([tree], np.ones(1), target, d, family="glassworks rule list",
                              model=model, single=False, leading=("rule_list",))
        view.notes.append("exact values from the rule list's equivalent tree (tree kernels)")
    else:
        view = ModelView("glassworks rule list", ("rule_list", "black_box"), target,
                         model=model)
    view.dummy = dummy
    return view


register_family("glassworks rule lists", _rules_matches, _describe_rules)


def _maple_matches(model):
    return type(model).__module__.startswith("glassworks.maple") and hasattr(model, "explain")


def _describe_maple(model, X, background, target):
    if _is_classifier(model):
        # clipped and renormalised local models: not affine between the forest's thresholds
        view = ModelView("glassworks MAPLE", ("black_box",), target, model=model)
    else:
        def pieces(Z, column=0):
            e = model.explain(np.ascontiguousarray(Z, dtype=np.float64))
            return np.asarray(e.base_values, np.float64), np.asarray(e.values, np.float64)

        view = ModelView("glassworks MAPLE", ("piecewise_affine", "black_box"), target,
                         model=model, pieces=pieces,
                         thresholds=tree_thresholds(model.trees_, X.shape[1]))
    return _empirical_dummy_of(view, X, background)


register_family("glassworks MAPLE", _maple_matches, _describe_maple)
