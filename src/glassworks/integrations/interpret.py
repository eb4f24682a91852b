"""interpret (InterpretML) explanation objects for glassworks models.

Every glassworks estimator inherits :class:`InterpretMixin`, which gives it interpret's
``explain_global()`` / ``explain_local(X, y=None)``. The objects returned are interpret's own
``FeatureValueExplanation``, so ``data()``, ``visualize()`` (Plotly, when installed) and
``interpret.show()`` work on them as on interpret's glass-box models.

The local scores are the model's native exact explanation (``model.explain(X)``): Shapley values
for trees, forests and rule lists, the local linear coefficients times the feature values for
MAPLE. For a classifier they explain the probability of the positive class (binary) or of the
predicted class (multiclass).
"""

import numpy as np
import pandas as pd

from ..explanation import slope_inputs


def _feature_names(model, d):
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return [f"feature_{j}" for j in range(d)]
    return [str(n) for n in names]


def _local_scores(model, expl, X):
    """(n, d) scores, (n,) base values and (n,) predicted scores of one output per row."""
    values, base = expl.values, expl.base_values
    if expl.estimand == "local_slope":
        # coefficients -> additive contributions, so that they sum (with the intercept) to
        # the prediction as interpret's bar charts read them
        Xa = slope_inputs(expl.data, (expl.extra or {}).get("categorical"))
        values = values * (Xa if values.ndim == 2 else Xa[:, :, None])
    if values.ndim == 2:
        return values, base, base + values.sum(axis=1), None
    k = values.shape[2]
    if k == 2:
        cols = np.ones(values.shape[0], dtype=np.int64)
    else:
        cols = np.argmax(model.predict_proba(X), axis=1)
    rows = np.arange(values.shape[0])
    scores = values[rows, :, cols]
    base = base[rows, cols]
    return scores, base, base + scores.sum(axis=1), cols


def _shown_values(Xa, categories):
    """Each row's feature values as interpret shows them: a categorical feature's category
    (from its code; "missing or unseen" for NaN), numbers as they are."""
    rows = [list(r) for r in Xa]
    if categories is None:
        return rows
    for j, cats in enumerate(categories):
        if cats is None:
            continue
        for r, code in zip(rows, Xa[:, j]):
            ok = np.isfinite(code) and 0 <= code < len(cats)
            r[j] = str(cats[int(code)]) if ok else "missing or unseen"
    return rows


def explain_local(model, X, y=None, name=None):
    """interpret's local explanation of ``model`` on the rows of ``X``.

    Parameters
    ----------
    model : fitted glassworks estimator
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), optional
        True labels or targets, shown next to the predictions.
    name : str, optional

    Returns
    -------
    interpret.api.templates.FeatureValueExplanation
    """
    from interpret.api.templates import FeatureValueExplanation

    expl = model.explain(X)
    Xa = np.asarray(expl.data, dtype=np.float64)
    scores, base, predicted_score, cols = _local_scores(model, expl, X)
    names = list(expl.feature_names)
    is_clf = cols is not None
    classes = getattr(model, "classes_", None)
    y = None if y is None else np.asarray(y)

    cats = getattr(model, "categories_", None)
    shown = _shown_values(Xa, cats)
    data_dicts = []
    for i in range(Xa.shape[0]):
        perf = {
            "is_classification": is_clf,
            "actual": np.nan if y is None else y[i],
            "predicted": classes[cols[i]] if is_clf else predicted_score[i],
            "actual_score": np.nan,
            "predicted_score": predicted_score[i],
        }
        if y is not None and not is_clf:
            perf["actual_score"] = float(y[i])
        data_dicts.append(
            {
                "type": "univariate",
                "names": names,
                "perf": perf,
                "scores": list(scores[i]),
                "values": shown[i],
                "extra": {"names": ["Base Value"], "scores": [base[i]], "values": [1]},
            }
        )
    internal = {
        "overall": None,
        "specific": data_dicts,
        "mli": [
            {
                "explanation_type": "local_feature_importance",
                "value": {"scores": scores.tolist(), "intercept": base.tolist(), "perf": [d["perf"] for d in data_dicts]},
            },
            {"explanation_type": "evaluation_dataset", "value": {"dataset_x": Xa, "dataset_y": y}},
        ],
    }
    selector = pd.DataFrame(
        {
            "Actual": [d["perf"]["actual"] for d in data_dicts],
            "Predicted": [d["perf"]["predicted"] for d in data_dicts],
        }
    )
    return FeatureValueExplanation(
        "local",
        internal,
        feature_names=names,
        feature_types=["continuous" if cats is None or cats[j] is None else "nominal"
                       for j in range(len(names))],
        name=name or f"{type(model).__name__} (local, {expl.method})",
        selector=selector,
    )


def global_importances(model):
    """One global importance score per feature, normalised to sum to 1, and what it is.

    - ``feature_importances_`` where the model has it (trees and forests: normalised total
      impurity decrease, as scikit-learn);
    - MAPLE: its DStump feature scores (``feature_scores_``), the ranking the paper uses to choose
      the local models' features;
    - a rule list: each rule's training support (the weight it captures) shared equally among
      the features its conditions test; the default rule tests nothing.
    """
    if hasattr(model, "feature_importances_"):
        scores, what = np.asarray(model.feature_importances_, dtype=np.float64), "impurity decrease"
    elif hasattr(model, "feature_scores_"):
        scores, what = np.asarray(model.feature_scores_, dtype=np.float64), "DStump score"
    elif hasattr(model, "rules_"):
        scores = np.zeros(model.n_features_in_)
        for rule in model.rules_:
            feats = sorted(set(rule.get("features", [])))
            for j in feats:
                scores[j] += float(rule["support"]) / len(feats)
        what = "rule support"
    else:
        raise ValueError(
            f"{type(model).__name__} has no global importance (feature_importances_, "
            "feature_scores_ or rules_) to explain globally."
        )
    total = scores.sum()
    return (scores / total if total > 0 else scores), what


def explain_global(model, name=None):
    """interpret's global explanation of ``model``: its global feature importances.

    See :func:`global_importances` for what the scores are for each model family.
    """
    from interpret.api.templates import FeatureValueExplanation

    importances, what = global_importances(model)
    names = _feature_names(model, importances.shape[0])
    internal = {
        "overall": {"names": names, "scores": list(importances)},
        "specific": None,
        "mli": [
            {
                "explanation_type": "global_feature_importance",
                "value": {"scores": list(importances)},
            }
        ],
    }
    selector = pd.DataFrame({"Name": names, "Type": "continuous", "Importance": importances})
    return FeatureValueExplanation(
        "global",
        internal,
        feature_names=names,
        feature_types=["continuous"] * len(names),
        name=name or f"{type(model).__name__} (global, {what})",
        selector=selector,
    )


class InterpretMixin:
    """Adds interpret's ``explain_local`` and ``explain_global`` to a glassworks estimator."""

    def explain_local(self, X, y=None, name=None):
        """interpret local explanation object; see :func:`glassworks.integrations.interpret.explain_local`."""
        return explain_local(self, X, y=y, name=name)

    def explain_global(self, name=None):
        """interpret global explanation object; see :func:`glassworks.integrations.interpret.explain_global`."""
        return explain_global(self, name=name)
