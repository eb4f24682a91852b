"""Use case ``shortcut`` (spurious-correlation detection; Adebayo et al., ICLR 2022).

A family of models of the audited kind (a clone of it, else a glassworks tree) is trained on
the ``shortcut`` scenario, half with the planted watermark (it equals the label on 97% of the
rows) and half with the watermark drawn at random (no shortcut to learn).

- Truth, per model: does its decision on the real rows depend on the watermark? The share of
  its training rows whose decision changes when only the watermark flips, at least
  ``FLIP_RATE``. This stays on the data by the family's own structural generator: the
  watermark is the label flipped at random (3% of rows with the shortcut, 50% without), so
  both of its values have positive probability at every row. The plan (trained with the
  shortcut or not) is shown beside it; the truth is what the fitted model does.
- Score: each explainer's share of |attribution| on the watermark, as a detector of the truth
  over the family: its ROC AUC (0.5 is chance; a zero explanation scores 0.5 at best), with a
  bootstrap interval over models.
- Answer: "detects" if the AUC is at least ``DETECTION_AUC``.
"""

import numpy as np

from ._common import FLIP_RATE, shares

DETECTION_AUC = 0.8
#: Models in the family (half trained with the shortcut).
N_MODELS = 8
QUESTION = "is the model relying on a shortcut (the watermark)?"


def _family_member(model, with_shortcut, seed, n_samples=300, n_features=6):
    from sklearn.base import clone

    from ..scenarios import make_scenario

    s = make_scenario("shortcut", n_samples=n_samples, n_features=n_features, random_state=seed)
    X = s.X.copy()
    w = s.feature_names.index("watermark")
    if not with_shortcut:
        X[:, w] = np.random.default_rng(seed + 1).integers(0, 2, len(X))
    try:
        m = clone(model).fit(X, s.y)
    except Exception:
        from glassworks import DecisionTreeClassifier

        m = DecisionTreeClassifier(max_depth=4, random_state=seed).fit(X, s.y)
    return m, X, s.feature_names, w


def run(state, ctx):
    """The registry's entry point (see :mod:`glassworks.comparator.use_cases`)."""
    ctx.require_classifier("the shortcut family is a binary classification task")
    # each member's truth: the model on its 300 rows and on them with the watermark flipped
    ctx.check_budget("shortcut", N_MODELS * 300 * 2)
    return shortcut(state.model, ctx.local_explainers, ctx.explain_model,
                    random_state=ctx.random_state)


def _uses_watermark(model, X, w):
    """Share of the rows whose decision changes when only the watermark (0/1) flips."""
    Z = X.copy()
    Z[:, w] = 1.0 - Z[:, w]
    return float(np.mean(np.asarray(model.predict(Z)) != np.asarray(model.predict(X))))


def shortcut(model, explainers, explain_model, n_models=N_MODELS, n_rows=20, random_state=0):
    """Rows of ``report.use_cases`` (see the module docstring).

    ``explain_model(model, X, background, explainers, seed)`` returns ``(attributions,
    predict, exact)`` with ``exact`` the exact interventional Shapley values (n, d) or None.
    """
    from sklearn.metrics import roc_auc_score

    plan, truth, rates, scores = [], [], [], {}
    for k in range(n_models):
        with_sc = k % 2 == 0
        m, X, names, w = _family_member(model, with_sc, random_state + 17 * k)
        Xe, bg = X[:n_rows], X[n_rows:n_rows + 100]
        atts, _, exact = explain_model(m, Xe, bg, explainers, random_state + k)
        atts = dict(atts)
        if exact is not None:
            atts["exact:interventional_shap"] = exact
        rate = _uses_watermark(m, X, w)
        plan.append(with_sc)
        rates.append(rate)
        truth.append(rate >= FLIP_RATE)
        for name, A in atts.items():
            s = shares(A, w)
            scores.setdefault(name, []).append(float(np.nanmean(s)) if np.any(np.isfinite(s))
                                               else np.nan)
    truth, plan = np.array(truth), np.array(plan)
    truth_txt = (f"{truth.sum()} of {len(truth)} models use the watermark on the data "
                 f"(decision flips on {', '.join(f'{100 * r:.0f}%' for r in rates)} of rows; "
                 f"plan: {plan.sum()} trained with the shortcut"
                 + ("" if (truth == plan).all() else "; the fitted models differ from the plan")
                 + ")")
    rule = (f"truth per model: decision flips on >= {100 * FLIP_RATE:.0f}% of its training rows "
            f"when only the watermark flips (both values occur at every row under the "
            f"family's generator); score: ROC AUC over the family of the explainer's mean share "
            f"of |attribution| on the watermark; answer 'detects' if AUC >= {DETECTION_AUC}")
    out = []
    rng = np.random.default_rng(random_state)
    for name, v in scores.items():
        v = np.asarray(v, dtype=np.float64)
        if len(np.unique(truth)) < 2:
            auc = lo = hi = np.nan
            ans = "not computed: the family's truth has one class only"
            correct = None
        else:
            vv = np.where(np.isnan(v), -1.0, v)  # no answer ranks below any answer
            auc = float(roc_auc_score(truth, vv))
            boots = []
            for _ in range(500):
                idx = rng.integers(0, len(v), len(v))
                if len(np.unique(truth[idx])) == 2:
                    boots.append(roc_auc_score(truth[idx], vv[idx]))
            lo, hi = (np.quantile(boots, [0.025, 0.975]) if boots else (np.nan, np.nan))
            says = auc >= DETECTION_AUC
            ans = f"{'detects' if says else 'does not detect'} (AUC {auc:.2f})"
            correct = bool(says)
        out.append({"use_case": "shortcut", "explainer": name, "question": QUESTION,
                    "answer": ans, "truth": truth_txt, "correct": correct, "score": auc,
                    "ci_low": float(lo), "ci_high": float(hi), "rule": rule})
    return out
