"""Scores of one attribution vector against the truth, and their bootstrap aggregation.

Every function takes plain arrays for one instance (``a`` the explainer's attribution, ``t``
the truth, both shape (d,)) and returns a float, NaN when the metric is undefined there. The
caller tells apart a metric the *truth* leaves undefined (a ranking of an all-zero truth:
not applicable, counted apart) from one the *explainer* leaves undefined (a rank correlation
of an all-zero attribution: counted and scored as the metric's worst value, :data:`WORST`),
so that an explainer cannot score well by saying nothing.

The top-k agreement family follows OpenXAI (Agarwal et al. 2022): feature agreement (FA),
sign agreement (SA), rank agreement (RA) and pairwise rank agreement (PRA), over the truth's
top k features by absolute value, restricted to the truth's non-zero support (k' = min(k,
number of non-zero truth values)). Ties are never broken by feature index: a score is its
expectation over the orders of the attribution's tied features, and any of the truth's tied
features is a right answer, so an exact copy of the truth scores 1 and an all-zero
attribution scores what a random guess scores.
"""

import numpy as np
from scipy.stats import rankdata

#: Metrics the audit knows, in report order.
METRICS = (
    "estimation_error",
    "estimand_gap",
    "rank_corr",
    "topk_agreement",
    "sign_agreement",
    "rank_agreement",
    "pairwise_rank_agreement",
    "dummy_mass",
    "completeness_gap",
    "neighbourhood_fidelity",
    "recall_at_k",
    "seed_spread",
    "seconds",
    "model_calls",
)

#: Accepted in ``metrics=`` and ``AuditReport.score`` for the metric of the same meaning.
ALIASES = {"error": "estimation_error"}

#: Metrics where smaller is better (the others: larger is better, except cost metrics).
LOWER_IS_BETTER = {
    "estimation_error", "estimand_gap", "dummy_mass", "completeness_gap",
    "neighbourhood_fidelity", "seed_spread", "seconds", "model_calls",
}

#: The value an undefined metric is scored as (its worst).
WORST = {
    "rank_corr": -1.0,
    "topk_agreement": 0.0,
    "sign_agreement": 0.0,
    "rank_agreement": 0.0,
    "pairwise_rank_agreement": 0.0,
    "dummy_mass": 1.0,
    "recall_at_k": 0.0,
}

#: ``error``'s floor, relative to the truth's typical norm over the audited rows.
FLOOR = 0.1

_TINY = 1e-12


def error(a, t, floor=0.0):
    """``||a - t|| / max(||t||, floor)`` (0 is perfect).

    ``floor`` (scale-relative, see :func:`floor_of`) keeps a row whose truth is nearly zero
    from dividing by almost nothing. NaN only when the truth and the floor are both zero and
    ``a`` is not.
    """
    denom = max(float(np.linalg.norm(t)), float(floor))
    num = float(np.linalg.norm(np.asarray(a, dtype=np.float64) - t))
    if denom <= _TINY:
        return 0.0 if num <= _TINY else np.nan
    return num / denom


def floor_of(T, fallback):
    """The floor of :func:`error` for a truth T (n, d) or (d,): :data:`FLOOR` times the root
    mean square of its rows' norms, or ``fallback`` when the truth is zero on every row."""
    T = np.atleast_2d(np.asarray(T, dtype=np.float64))
    rms = float(np.sqrt(np.mean(np.sum(T**2, axis=1))))
    return FLOOR * rms if rms > _TINY else float(fallback)


def snap(v, rel=1e-9):
    """Zero out entries below ``rel`` times the largest: round-off is not a ranking signal.

    An exact method returns 1e-17 where the truth is 0; without this, ties among unused
    features would be broken by round-off noise in the rank and sign metrics.
    """
    v = np.asarray(v, dtype=np.float64)
    m = np.abs(v).max() if v.size else 0.0
    return np.where(np.abs(v) <= rel * m, 0.0, v)


def rank_corr(a, t):
    """Spearman correlation over features (ties share their mean rank). NaN if either vector
    is constant."""
    a, t = snap(a), snap(t)
    if np.ptp(a) <= _TINY or np.ptp(t) <= _TINY:
        return np.nan
    return float(np.corrcoef(rankdata(a), rankdata(t))[0, 1])


def support_k(t, k):
    """k' = min(k, number of non-zero truth values): the top-k metrics' k for this truth."""
    return min(int(k), int(np.count_nonzero(snap(t))))


def _top(v, k):
    """The top k of |v|: the features strictly above the k-th value (sure to be in), the
    features tied at it, and how many of those tied get in."""
    av = np.abs(v)
    kth = np.sort(av)[::-1][k - 1]
    above = av > kth
    tied = av == kth
    return above, tied, k - int(above.sum())


def _capped_overlap(a, k, group, cap):
    """E[min(|A & group|, cap)], A the top k of |a| with its ties in uniformly random order."""
    from scipy.stats import hypergeom

    sure, tied, r = _top(a, k)
    c = int((sure & group).sum())
    n_tied, hits = int(tied.sum()), int((tied & group).sum())
    if r <= 0 or hits == 0:
        return float(min(c, cap))
    h = np.arange(0, min(hits, r) + 1)
    p = hypergeom.pmf(h, n_tied, hits, r)
    return float(np.sum(p * np.minimum(c + h, cap)))


def _matches(a, t, k, among=None):
    """Expected number of the explainer's top k that the truth's top k admits.

    The truth's top k holds its features strictly above its k-th value and r of those tied
    at it, any r of them (the truth does not order them): an explainer picking any of the
    tied ones is right, up to r of them.
    """
    above, tied, r = _top(t, k)
    if among is not None:
        above, tied = above & among, tied & among
    return _capped_overlap(a, k, above, int(above.sum())) + _capped_overlap(a, k, tied, r)


def _positions(v, k):
    """(d, k): P(feature j at rank position p) for p < k, ties in uniformly random order, and
    (d, k): whether feature j's tie group spans position p."""
    av = np.abs(v)
    order = np.argsort(-av, kind="stable")
    sorted_v = av[order]
    P = np.zeros((av.size, k))
    G = np.zeros((av.size, k), dtype=bool)
    start = 0
    while start < min(k, av.size):
        end = start
        while end < av.size and sorted_v[end] == sorted_v[start]:
            end += 1
        group = order[start:end]
        cols = np.arange(start, min(end, k))
        P[np.ix_(group, cols)] = 1.0 / len(group)
        G[np.ix_(group, cols)] = True
        start = end
    return P, G


def topk_agreement(a, t, k):
    """OpenXAI FA: expected share of the truth's top-k' features also in the explainer's top
    k' (ties in random order; any of the truth's tied features counts). NaN when the truth is
    all zero."""
    a, t = snap(a), snap(t)
    kk = support_k(t, k)
    if kk == 0:
        return np.nan
    return _matches(a, t, kk) / kk


def sign_agreement(a, t, k):
    """OpenXAI SA: as :func:`topk_agreement`, counting only features of the same sign (so
    only where the truth is non-zero). NaN when the truth is all zero."""
    a, t = snap(a), snap(t)
    kk = support_k(t, k)
    if kk == 0:
        return np.nan
    same = (np.sign(a) == np.sign(t)) & (t != 0)
    return _matches(a, t, kk, among=same) / kk


def rank_agreement(a, t, k):
    """OpenXAI RA: expected share of the k' rank positions where the explainer's feature is
    one the truth puts there (any of a tie group spanning that position). NaN when the truth
    is all zero."""
    a, t = snap(a), snap(t)
    kk = support_k(t, k)
    if kk == 0:
        return np.nan
    P, _ = _positions(a, kk)
    _, G = _positions(t, kk)
    return float((P * G).sum() / kk)


def pairwise_rank_agreement(a, t, k):
    """OpenXAI PRA: among pairs of the truth's top-k' features that the truth orders strictly,
    the share ordered alike by |a| (a tie in |a| counts one half). NaN when there is no such
    pair."""
    a, t = snap(a), snap(t)
    kk = support_k(t, k)
    if kk == 0:
        return np.nan
    above, tied, _ = _top(t, kk)
    feats = np.flatnonzero(above | tied)
    agree = total = 0
    for p in feats:
        for q in feats:
            if abs(t[p]) <= abs(t[q]):
                continue
            total += 1
            agree += 1.0 if abs(a[p]) > abs(a[q]) else 0.5 if abs(a[p]) == abs(a[q]) else 0.0
    if total == 0:
        return np.nan
    return float(agree / total)


def dummy_mass(a, dummy):
    """Share of absolute attribution on features the model never uses.

    NaN for an all-zero attribution: it points nowhere, so it cannot be credited with
    avoiding the unused features (scored as the worst, 1).
    """
    tot = np.abs(a).sum()
    if tot <= _TINY:
        return np.nan
    return float(np.abs(a[dummy]).sum() / tot)


def completeness_gap(a, fx, reference, floor=0.0):
    """``|sum(a) - (f(x) - reference)| / max(|f(x) - reference|, floor)``."""
    gap = fx - reference
    denom = max(abs(gap), float(floor))
    if denom <= 1e-12:
        return 0.0 if abs(np.sum(a) - gap) <= 1e-12 else np.nan
    return float(abs(np.sum(a) - gap) / denom)


def recall_at_k(a, relevant):
    """Expected share of the planted relevant features in the explainer's top |relevant|
    (ties in random order)."""
    relevant = np.asarray(relevant, dtype=np.int64)
    k = len(relevant)
    if k == 0:
        return np.nan
    group = np.zeros(np.size(a), dtype=bool)
    group[relevant] = True
    return _capped_overlap(snap(a), k, group, k) / k


def truth_leaves_undefined(metric, t, k):
    """Whether the truth itself gives ``metric`` no meaning on this row (not the
    explainer's fault): a ranking of an all-zero or constant truth."""
    t = snap(t)
    if metric == "rank_corr":
        return np.ptp(t) <= _TINY
    if metric in ("topk_agreement", "sign_agreement", "rank_agreement"):
        return support_k(t, k) == 0
    if metric == "pairwise_rank_agreement":
        return np.isnan(pairwise_rank_agreement(t, t, k))
    return False


def neighbourhood_fidelity(predict_fn, x, slope, intercept, scale, sigmas, n_points, rng):
    """Error of a local linear model against f at ``x + sigma * scale * N(0, I)``.

    Returns one value per sigma: the root mean squared difference between the local model and
    f over ``n_points`` perturbations, as in MAPLE's and ExpO's neighbourhood fidelity.
    """
    d = x.shape[0]
    out = []
    for s in sigmas:
        Z = x + s * scale * rng.standard_normal((n_points, d))
        f = predict_fn(Z)
        g = intercept + Z @ slope
        out.append(float(np.sqrt(np.mean((f - g) ** 2))))
    return out


def seed_spread(runs, floor=0.0):
    """Spread over re-runs: mean distance to the runs' mean, relative to max(its norm,
    floor).

    ``runs`` has shape (n_runs, d).
    """
    runs = np.asarray(runs, dtype=np.float64)
    m = runs.mean(axis=0)
    nm = max(float(np.linalg.norm(m)), float(floor))
    dist = np.linalg.norm(runs - m, axis=1).mean()
    if nm <= _TINY:
        return 0.0 if dist <= _TINY else np.nan
    return float(dist / nm)


def bootstrap_ci(values, n_boot=500, level=0.95, random_state=0):
    """Mean of ``values`` with a percentile bootstrap confidence interval.

    NaNs are dropped here: the audit replaces an undefined value by the metric's worst
    before, and counts the rows the truth leaves undefined apart. An infinite value (an
    error on a row where the explainer failed) is kept: the mean is then infinite, never a
    flattering mean of the other rows.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return np.nan, np.nan, np.nan
    mean = float(v.mean())
    if v.size == 1:
        return mean, mean, mean
    if np.isinf(v).any():
        # a quantile of infinite means is undefined in numpy; the interval is what is known
        finite = v[np.isfinite(v)]
        return mean, (float(finite.min()) if finite.size else mean), mean
    rng = np.random.default_rng(random_state)
    idx = rng.integers(0, v.size, size=(n_boot, v.size))
    boots = v[idx].mean(axis=1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return mean, float(lo), float(hi)
