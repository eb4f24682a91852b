"""Use case ``forward_simulation`` (Chen, Johnson, Topin, Plumb, Talwalkar, NeurIPS 2022,
"Use-case-grounded simulations for explanation evaluation"): does the explanation let a
simple learner predict what the model does, better than the input alone?

- The learner (a simulated user), documented: standardised inputs, then L2-regularised
  logistic regression (``C = LEARNER_C``) predicting the model's decision for a classifier,
  ridge regression (``alpha = LEARNER_ALPHA``) predicting the explained output for a regressor.
  It is trained on ``[x, e(x)]`` (the row and its explanation, a slope read as its
  attribution ``slope * (x - mean)``) and, for the baseline, on ``x`` alone.
- Held out: ``N_FOLDS``-fold cross-validation over the explained rows, the same folds for every
  explainer and for the baseline, so the per-row comparison is paired.
- Score: the held-out accuracy (classifier) or R2 (regressor) with the explanation, with a
  bootstrap interval over rows. Answer: the explanation "helps" if the gain over the baseline
  (paired, bootstrapped) has its lower bound above ``MIN_GAIN``.
- The exact interventional Shapley values are one of the candidates: they add up to the
  model's output minus its mean, which a linear learner can read, so they help wherever the
  model is not linear in x; an explanation carrying no information about the model (noise,
  zeros) cannot beat the baseline.
"""

import numpy as np

from ._common import NotApplicable, ci
from ._truths import bootstrap_stat, local_attributions

QUESTION = "can I predict what the model does from the explanation (better than from x alone)?"
#: Folds of the held-out evaluation.
N_FOLDS = 5
#: Fewest explained rows the use case needs (N_FOLDS folds with a few rows each).
MIN_ROWS = 30
#: The explanation helps if the lower bound of the gain's 95% interval exceeds this.
MIN_GAIN = 0.0
#: Inverse L2 strength of the logistic learner (classifiers).
LEARNER_C = 1.0
#: L2 strength of the ridge learner (regressors).
LEARNER_ALPHA = 1.0


def _folds(y, is_clf, random_state):
    from sklearn.model_selection import KFold, StratifiedKFold

    n = len(y)
    if is_clf and np.min(np.unique(y, return_counts=True)[1]) >= N_FOLDS:
        split = StratifiedKFold(N_FOLDS, shuffle=True, random_state=random_state).split(
            np.zeros(n), y)
    else:
        split = KFold(N_FOLDS, shuffle=True, random_state=random_state).split(np.zeros(n))
    return list(split)


def _learner(is_clf):
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if is_clf:
        return make_pipeline(StandardScaler(), LogisticRegression(C=LEARNER_C, max_iter=2000))
    return make_pipeline(StandardScaler(), Ridge(alpha=LEARNER_ALPHA))


def held_out_predictions(F, y, folds, is_clf):
    """Out-of-fold predictions of the learner trained on features F for target y."""
    pred = np.empty(len(y), dtype=object if is_clf else np.float64)
    for tr, te in folds:
        if is_clf and len(np.unique(y[tr])) < 2:
            pred[te] = y[tr][0]  # one decision in the training fold: the learner says it
            continue
        pred[te] = _learner(is_clf).fit(F[tr], y[tr]).predict(F[te])
    return pred


def simulate(X, y, explanations, is_clf, random_state=0):
    """Per-row held-out results of the baseline and of each explanation.

    Returns ``(base, per)``: for a classifier 0/1 correctness per row, for a regressor the
    squared error per row; ``per`` is a dict name -> that array.
    """
    X = np.asarray(X, dtype=np.float64)
    folds = _folds(y, is_clf, random_state)

    def result(F):
        p = held_out_predictions(F, y, folds, is_clf)
        if is_clf:
            return (p == y).astype(np.float64)
        return (p.astype(np.float64) - y) ** 2

    base = result(X)
    per = {}
    for name, A in explanations.items():
        A = np.nan_to_num(np.asarray(A, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        per[name] = result(np.hstack([X, A]))
    return base, per


def forward_simulation(X, y, explanations, is_clf, random_state=0):
    """Rows of ``report.use_cases`` (see the module docstring)."""
    y = np.asarray(y) if is_clf else np.asarray(y, dtype=np.float64)
    base, per = simulate(X, y, explanations, is_clf, random_state)
    n = len(y)
    if is_clf:
        metric = "accuracy"
        b = ci(base, random_state)

        def score(r):
            return ci(r, random_state)

        def gain(r):
            return ci(r - base, random_state)
    else:
        metric = "R2"
        var = float(np.var(y)) or 1.0

        def r2(se):
            return lambda idx: 1.0 - se[idx].mean() / (np.var(y[idx]) or var)

        b = bootstrap_stat(r2(base), n, random_state=random_state)

        def score(r):
            return bootstrap_stat(r2(r), n, random_state=random_state)

        def gain(r):
            return bootstrap_stat(lambda idx: r2(r)(idx) - r2(base)(idx), n,
                                  random_state=random_state)
    truth = f"baseline (x only): held-out {metric} {b[0]:.3f} [{b[1]:.3f}, {b[2]:.3f}]"
    exact = per.get("exact:interventional_shap")
    if exact is not None:
        e = score(exact)
        truth += f"; with the exact interventional Shapley values: {e[0]:.3f}"
    rule = ("learner: standardised [x, explanation] -> "
            + (f"logistic regression (C={LEARNER_C}) predicting the decision"
               if is_clf else f"ridge (alpha={LEARNER_ALPHA}) predicting the output")
            + f", {N_FOLDS}-fold held out (the same folds for all); 'helps' if the paired "
              f"gain over x alone has a 95% lower bound > {MIN_GAIN}")
    rows = []
    for name, r in per.items():
        m, lo, hi = score(r)
        g, glo, ghi = gain(r)
        helps = bool(glo > MIN_GAIN)
        ans = (f"{'helps' if helps else 'does not help'}: {metric} {m:.3f} vs {b[0]:.3f} "
               f"without (gain {g:+.3f} [{glo:+.3f}, {ghi:+.3f}])")
        rows.append({"use_case": "forward_simulation", "explainer": name, "question": QUESTION,
                     "answer": ans, "truth": truth, "correct": helps, "score": m,
                     "ci_low": lo, "ci_high": hi, "rule": rule})
    return rows


def run(state, ctx):
    """The registry's entry point (see :mod:`glassworks.comparator.use_cases`)."""
    n = len(state.X)
    if n < MIN_ROWS:
        raise NotApplicable(f"not computed: needs at least {MIN_ROWS} explained rows for "
                            f"{N_FOLDS}-fold held-out accuracy; got {n}")
    is_clf = ctx.is_classifier
    y = ctx.decide(state.X) if is_clf else ctx.predict(state.X)
    if is_clf and len(np.unique(y)) < 2:
        raise NotApplicable("not computed: the model makes the same decision on every "
                            "explained row (nothing to predict)")
    ctx.check_budget("forward_simulation", n)
    expl = local_attributions(state, ctx)
    rows = forward_simulation(state.X, y, expl, is_clf, ctx.random_state)
    for name, A in ctx.attributions.items():
        if name not in expl:
            rows.append({"use_case": "forward_simulation", "explainer": name,
                         "question": QUESTION, "answer": "not applicable: a global "
                         "explanation is the same for every row (it cannot tell rows apart)",
                         "truth": None, "correct": None, "score": np.nan, "ci_low": np.nan,
                         "ci_high": np.nan, "rule": ""})
    return rows
