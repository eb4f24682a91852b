"""Use case ``recourse``: does changing the top-attributed feature in the attributed direction
(within the data's range) flip the decision?

- Truth, per row: the smallest single-feature change that flips the decision, within the
  data's range of that feature. Trees, forests and rule lists (their equivalent tree) are
  piecewise constant along each feature, changing only at their thresholds: evaluating the
  model just below, at and just above every threshold (one ulp) and at the range's ends finds
  every reachable leaf, so the truth is exact (to one ulp). Other models: searched over the
  data's values of each feature (said in the truth; not exact).
- The explainer's suggestion: the feature whose attribution pushes hardest towards the
  current decision (``s * a_j`` largest, s = +1 when the explained output is the decided
  class, else -1; a slope read as ``slope * (x - mean)``), moved towards and past the
  background mean (undoing its push). No feature pushes towards the decision (e.g. a zero
  explanation): no suggestion, which never flips.
- Score: the share of the rows where a single-feature recourse exists on which the suggestion
  flips the decision (some value of that feature in that direction, in range), with a
  bootstrap interval. Right if at least ``RECOURSE_SUCCESS``.
"""

import numpy as np

from ._common import NotApplicable, ci
from ._truths import local_attributions, trees_of

QUESTION = "which single feature, moved which way, would change this decision?"
#: Share of the rows with a recourse on which the suggestion must flip the decision.
RECOURSE_SUCCESS = 0.8
#: Data values per feature searched for a model that is not tree-based.
MAX_GRID = 64


def candidates(data, thresholds=None):
    """Per feature, the values a single-feature change is tried at (within the data's
    range): around every threshold of a tree model, else the data's values."""
    data = np.asarray(data, dtype=np.float64)
    out = []
    for j in range(data.shape[1]):
        lo, hi = data[:, j].min(), data[:, j].max()
        if thresholds is not None:
            t = np.asarray(thresholds[j], dtype=np.float64)
            v = np.concatenate([np.nextafter(t, -np.inf), t, np.nextafter(t, np.inf), [lo, hi]])
        else:
            u = np.unique(data[:, j])
            v = u if len(u) <= MAX_GRID else np.quantile(u, np.linspace(0, 1, MAX_GRID))
        out.append(np.unique(v[(v >= lo) & (v <= hi)]))
    return out


def flip_table(decide, X, cands):
    """Per feature j: (n, k_j) bool, does x with x_j = cands[j][k] get another decision?"""
    X = np.asarray(X, dtype=np.float64)
    base = np.asarray(decide(X))
    out = []
    for j, v in enumerate(cands):
        Z = np.repeat(X, len(v), axis=0)
        Z[:, j] = np.tile(v, len(X))
        out.append(np.asarray(decide(Z)).reshape(len(X), len(v)) != base[:, None])
    return out


def smallest_changes(X, cands, flips):
    """(n, d): per row and feature, the smallest |v - x_j| that flips (inf if none)."""
    n, d = X.shape
    best = np.full((n, d), np.inf)
    for j in range(d):
        dist = np.abs(cands[j][None, :] - X[:, [j]])
        best[:, j] = np.where(flips[j], dist, np.inf).min(axis=1, initial=np.inf)
    return best


def suggestions(A, X, reference, push_sign):
    """(feature, direction) per row: -1 feature where the explanation suggests nothing."""
    support = np.asarray(A, dtype=np.float64) * push_sign[:, None]
    j = np.argmax(support, axis=1)
    ok = support[np.arange(len(X)), j] > 0
    direction = np.sign(reference[j] - X[np.arange(len(X)), j])
    ok &= direction != 0
    return np.where(ok, j, -1), direction


def recourse(X, reference, sd, cands, flips, attributions, push_sign, exact, random_state=0):
    """Rows of ``report.use_cases`` (see the module docstring)."""
    n, d = X.shape
    best = smallest_changes(X, cands, flips)
    scaled = best / sd
    feasible = np.isfinite(best).any(axis=1)
    how = "exact (every threshold of the trees)" if exact else "over the data's values"
    if not feasible.any():
        return [{"use_case": "recourse", "explainer": "-", "question": QUESTION,
                 "answer": "no row has a single-feature change (in range) that flips its "
                           f"decision ({how}): nothing to suggest", "truth": None,
                 "correct": None, "score": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                 "rule": ""}]
    truth_j = np.argmin(scaled, axis=1)
    truth = (f"a single-feature change flips the decision on {feasible.mean():.0%} of rows "
             f"({how}; median smallest change {np.median(scaled.min(axis=1)[feasible]):.2f} "
             "sd)")
    rule = (f"suggestion: the feature pushing most towards the decision, moved past the "
            f"background mean; score: share of rows with a recourse on which it flips; right "
            f"if >= {RECOURSE_SUCCESS:.0%}")
    rows = []
    for name, A in attributions.items():
        j, direction = suggestions(A, X, reference, push_sign)
        hit = np.zeros(n, dtype=bool)
        for i in np.flatnonzero(j >= 0):
            v = cands[j[i]]
            hit[i] = np.any(flips[j[i]][i] & (np.sign(v - X[i, j[i]]) == direction[i]))
        m, lo, hi = ci(hit[feasible].astype(float), random_state)
        same = np.mean(j[feasible] == truth_j[feasible])
        ok = bool(m >= RECOURSE_SUCCESS)
        rows.append({"use_case": "recourse", "explainer": name, "question": QUESTION,
                     "answer": f"its suggestion flips {m:.0%} of those rows (the truth's "
                               f"nearest feature on {same:.0%})",
                     "truth": truth, "correct": ok, "score": m, "ci_low": lo, "ci_high": hi,
                     "rule": rule})
    return rows


def run(state, ctx):
    """The registry's entry point (see :mod:`glassworks.comparator.use_cases`)."""
    from ..ground_truth import tree_thresholds

    ctx.require_classifier("a decision that can flip")
    X = state.X
    data = np.vstack([state.background, X])
    trees, _ = trees_of(state)
    thr = (tree_thresholds(trees, X.shape[1], state.truth.input_dtype)
           if trees is not None else None)
    cands = candidates(data, thr)
    ctx.check_budget("recourse", len(X) * sum(len(c) for c in cands))
    flips = flip_table(ctx.decide, X, cands)
    classes = np.asarray(state.model.classes_)
    decided = np.searchsorted(classes, ctx.decide(X))
    push = np.where(decided == state.target.output_index, 1.0, -1.0)
    sd = data.std(axis=0)
    sd[sd == 0] = 1.0
    atts = local_attributions(state, ctx)
    if not atts:
        raise NotApplicable("not computed: needs a local explainer (a suggestion per row)")
    return recourse(X, state.baseline, sd, cands, flips, atts, push, trees is not None,
                    ctx.random_state)
