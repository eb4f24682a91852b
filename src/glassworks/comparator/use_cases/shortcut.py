"""Use case ``shortcut`` (spurious-correlation detection; Adebayo et al., ICLR 2022).

A family of models of the audited kind (a clone of it, else a glassworks tree) is trained on
the ``shortcut`` scenario, half with the planted watermark (it equals the label on 97% of the
rows) and half with the watermark drawn at random (no shortcut to learn).

- Truth, per model: does its decision on the real rows depend on the watermark (on-manifold
  flips, as in ``protected_attribute``)? The plan (trained with the shortcut or not) is shown
  beside it; the truth is what the fitted model does.
- Score: each explainer's share of |attribution| on the watermark, as a detector of the truth
  over the family: its ROC AUC (0.5 is chance; a zero explanation scores 0.5 at best), with a
  bootstrap interval over models.
- Answer: "detects" if the AUC is at least ``DETECTION_AUC``.
"""

import numpy as np

from ._common import FLIP_RATE, UseCaseInput, flip_rate, shares

DETECTION_AUC = 0.8
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
    return shortcut(state.model, ctx.local_explainers, ctx.explain_model,
                    random_state=ctx.random_state)


def shortcut(model, explainers, explain_model, n_models=6, n_rows=20, random_state=0):
    """Rows of ``report.use_cases`` (see the module docstring).

    ``explain_model(model, X, background, explainers, seed)`` returns ``(attributions,
    predict, exact)`` with ``exact`` the exact interventional Shapley values (n, d).
    """
    from sklearn.metrics import roc_auc_score

    rows_truth, scores = [], {}
    for k in range(n_models):
        with_sc = k % 2 == 0
        m, X, names, w = _family_member(model, with_sc, random_state + 17 * k)
        Xe, bg = X[:n_rows], X[n_rows:n_rows + 100]
        atts, predict, exact = explain_model(m, Xe, bg, explainers, random_state + k)
        atts = dict(atts)
        atts["exact:interventional_shap"] = exact
        decide = (lambda mm: (lambda Z: mm.predict(Z)))(m)
        inp = UseCaseInput(predict, decide, Xe, X, names, atts, True, random_state)
        rate = flip_rate(inp, w)[0]
        rows_truth.append((with_sc, bool(rate >= FLIP_RATE)))
        for name, A in atts.items():
            s = shares(A, w)
            scores.setdefault(name, []).append(float(np.nanmean(s)) if np.any(np.isfinite(s))
                                               else np.nan)
    truth = np.array([t for _, t in rows_truth])
    plan = np.array([p for p, _ in rows_truth])
    truth_txt = (f"{truth.sum()} of {len(truth)} models use the watermark on the data "
                 f"(plan: {plan.sum()} trained with it"
                 + ("" if (truth == plan).all() else "; the fitted models differ from the plan")
                 + ")")
    rule = (f"truth per model: decision flips on >= {100 * FLIP_RATE:.0f}% of real rows when "
            f"only the watermark changes on the data; score: ROC AUC of the share on the "
            f"watermark over the family; answer 'detects' if AUC >= {DETECTION_AUC}")
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
            for _ in range(300):
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
