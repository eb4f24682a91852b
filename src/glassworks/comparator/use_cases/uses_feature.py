"""Use case ``uses_feature``: which features does the model rely on for these rows?

- Truth (on the data): feature j is used if changing only x_j to a value real rows like this
  one take (:func:`~._truths.conditional_resample`) changes the decision (classifier) or the
  output (regressor, by more than ``OUTPUT_TOLERANCE`` of its sd) on at least ``FLIP_RATE`` of
  the rows.
- Beside it, two truths off the data: *interventional* (the same rule, x_j replaced by the
  value of any real row: hybrid points, as interventional Shapley values see the model) and
  *path* (trees: x_j is tested on the decision path of at least ``FLIP_RATE`` of the rows).
  Where they disagree with the on-data truth is said (a scaffold uses a feature only off the
  data: interventional says used, on the data says not).
- Answer of an explainer: the features with at least ``USE_SHARE`` of its mean |attribution|
  mass over the rows. A zero explanation names no feature.
- Score: F1 of its set against the on-data truth, with precision and recall in the answer,
  each with a bootstrap interval over rows (truth and answer recomputed on each resample).
  Right if the sets are equal.
"""

import numpy as np

from ._common import FLIP_RATE
from ._truths import N_BOOT, change_matrix, trees_of

QUESTION = "which features does the model rely on for these rows (on the data)?"
#: Share of an explainer's mean |attribution| mass above which it says a feature is used.
USE_SHARE = 0.05


def _shares(A):
    A = np.abs(np.atleast_2d(np.asarray(A, dtype=np.float64)))
    tot = A.sum(axis=1, keepdims=True)
    return np.where(tot > 0, A / np.where(tot > 0, tot, 1.0), 0.0), tot[:, 0] > 0


def _prf(says, truth):
    tp = np.sum(says & truth)
    prec = tp / says.sum() if says.sum() else 0.0  # naming nothing is the worst precision
    rec = tp / truth.sum() if truth.sum() else float(not says.any())
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return prec, rec, f1


def uses_feature(on_data, interventional, path, attributions, feature_names, random_state=0):
    """Rows of ``report.use_cases``.

    ``on_data``, ``interventional``: (n, d) per-row change shares; ``path``: (n, d) 0/1 or
    None; ``attributions``: name -> (n, d) local or (d,) global.
    """
    n, d = on_data.shape
    names = np.asarray(feature_names)
    t_data = on_data.mean(axis=0) >= FLIP_RATE
    t_int = interventional.mean(axis=0) >= FLIP_RATE

    def listed(mask):
        return ", ".join(names[mask]) if mask.any() else "none"

    truth = f"on the data: {listed(t_data)}; interventional (hybrid points): {listed(t_int)}"
    if (t_int != t_data).any():
        truth += (f" (disagree on {listed(t_int != t_data)}: used off the data only: "
                  f"{listed(t_int & ~t_data)})")
    if path is not None:
        t_path = path.mean(axis=0) >= FLIP_RATE
        truth += f"; on the decision paths: {listed(t_path)}"
        if (t_path != t_data).any():
            truth += f" (disagree on {listed(t_path != t_data)})"
    rule = (f"truth: changing only x_j to values real rows like it take changes the decision "
            f"(or the output) on >= {100 * FLIP_RATE:.0f}% of rows; answer: features with >= "
            f"{100 * USE_SHARE:.0f}% of the explainer's mean |attribution| mass; score: F1 "
            "against the on-data truth")
    rng = np.random.default_rng(random_state)
    boot = [rng.integers(0, n, n) for _ in range(N_BOOT)]
    rows = []
    for name, A in attributions.items():
        A = np.asarray(A, dtype=np.float64)
        local = A.ndim == 2 and A.shape[0] == n
        S, nonzero = _shares(A)
        if not nonzero.any():
            rows.append({"use_case": "uses_feature", "explainer": name, "question": QUESTION,
                         "answer": "no answer (zero explanation)", "truth": truth,
                         "correct": False, "score": 0.0, "ci_low": 0.0, "ci_high": 0.0,
                         "rule": rule})
            continue

        def stat(idx):
            says = (S[idx] if local else S).mean(axis=0) >= USE_SHARE
            return _prf(says, on_data[idx].mean(axis=0) >= FLIP_RATE)

        says = S.mean(axis=0) >= USE_SHARE
        p, r, f = _prf(says, t_data)
        b = np.array([stat(idx) for idx in boot])
        lo, hi = np.quantile(b, [0.025, 0.975], axis=0)
        ans = (f"used: {listed(says)} (precision {p:.2f} [{lo[0]:.2f}, {hi[0]:.2f}], recall "
               f"{r:.2f} [{lo[1]:.2f}, {hi[1]:.2f}])")
        rows.append({"use_case": "uses_feature", "explainer": name, "question": QUESTION,
                     "answer": ans, "truth": truth, "correct": bool((says == t_data).all()),
                     "score": float(f), "ci_low": float(lo[2]), "ci_high": float(hi[2]),
                     "rule": rule})
    return rows


def run(state, ctx):
    """The registry's entry point (see :mod:`glassworks.comparator.use_cases`)."""
    from ..estimands.paths import tested_on_path

    X, bg = state.X, state.background
    n, d = X.shape
    ctx.check_budget("uses_feature", 2 * 3 * n * d + n)
    kw = dict(is_classifier=ctx.is_classifier, random_state=ctx.random_state)
    on_data = change_matrix(ctx.decide, ctx.predict, X, bg, how="conditional", **kw)
    inter = change_matrix(ctx.decide, ctx.predict, X, bg, how="marginal", **kw)
    trees, _ = trees_of(state)
    path = tested_on_path(trees, np.ascontiguousarray(X)) if trees is not None else None
    return uses_feature(on_data, inter, path, ctx.attributions, list(state.feature_names),
                        ctx.random_state)
