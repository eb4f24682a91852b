"""Scores of one attribution vector against the truth, and their bootstrap aggregation.

Every function takes plain arrays for one instance (``a`` the explainer's attribution, ``t``
the truth, both shape (d,)) and returns a float (NaN when the metric is undefined there, e.g.
a rank correlation against a constant truth). The top-k agreement family follows OpenXAI
(Agarwal et al. 2022): feature agreement (FA), sign agreement (SA), rank agreement (RA) and
pairwise rank agreement (PRA), all over the truth's top k features by absolute value.
"""

import numpy as np
from scipy.stats import rankdata

#: Metrics the audit knows, in report order.
METRICS = (
    "error",
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

#: Metrics where smaller is better (the others: larger is better, except cost metrics).
LOWER_IS_BETTER = {
    "error", "dummy_mass", "completeness_gap", "neighbourhood_fidelity", "seed_spread",
    "seconds", "model_calls",
}

_TINY = 1e-12


def error(a, t):
    """``||a - t|| / ||t||`` (0 is perfect). NaN when the truth is all zero."""
    nt = np.linalg.norm(t)
    if nt <= _TINY:
        return 0.0 if np.linalg.norm(a) <= _TINY else np.nan
    return float(np.linalg.norm(a - t) / nt)


def snap(v, rel=1e-9):
    """Zero out entries below ``rel`` times the largest: round-off is not a ranking signal.

    An exact method returns 1e-17 where the truth is 0; without this, ties among unused
    features would be broken by round-off noise in the rank and sign metrics.
    """
    v = np.asarray(v, dtype=np.float64)
    m = np.abs(v).max() if v.size else 0.0
    return np.where(np.abs(v) <= rel * m, 0.0, v)


def rank_corr(a, t):
    """Spearman correlation over features. NaN if either vector is constant."""
    a, t = snap(a), snap(t)
    if np.ptp(a) <= _TINY or np.ptp(t) <= _TINY:
        return np.nan
    ra, rt = rankdata(a), rankdata(t)
    c = np.corrcoef(ra, rt)[0, 1]
    return float(c)


def _topk(v, k):
    # stable order: ties broken by feature index, so results do not depend on the platform
    return np.argsort(-np.abs(v), kind="stable")[:k]


def topk_agreement(a, t, k):
    """OpenXAI FA: share of the truth's top-k features also in the explainer's top k."""
    a, t = snap(a), snap(t)
    return len(set(_topk(a, k)) & set(_topk(t, k))) / k


def sign_agreement(a, t, k):
    """OpenXAI SA: share of top-k features in both top-k sets *and* of the same sign."""
    a, t = snap(a), snap(t)
    ta, tt = _topk(a, k), _topk(t, k)
    common = set(ta) & set(tt)
    return sum(np.sign(a[j]) == np.sign(t[j]) for j in common) / k


def rank_agreement(a, t, k):
    """OpenXAI RA: share of the k rank positions holding the same feature in both."""
    a, t = snap(a), snap(t)
    return float(np.mean(_topk(a, k) == _topk(t, k)))


def pairwise_rank_agreement(a, t, k):
    """OpenXAI PRA: share of pairs among the truth's top k ordered alike by |a| and |t|."""
    a, t = snap(a), snap(t)
    feats = _topk(t, k)
    if len(feats) < 2:
        return np.nan
    agree = total = 0
    for i in range(len(feats)):
        for j in range(i + 1, len(feats)):
            p, q = feats[i], feats[j]
            total += 1
            agree += (abs(a[p]) > abs(a[q])) == (abs(t[p]) > abs(t[q]))
    return agree / total


def dummy_mass(a, dummy):
    """Share of absolute attribution on features the model never uses.

    NaN for an all-zero attribution: it points nowhere, so it cannot be credited with
    avoiding the unused features.
    """
    tot = np.abs(a).sum()
    if tot <= _TINY:
        return np.nan
    return float(np.abs(a[dummy]).sum() / tot)


def completeness_gap(a, fx, reference):
    """``|sum(a) - (f(x) - reference)| / |f(x) - reference|``; NaN when f(x) == reference."""
    gap = fx - reference
    if abs(gap) <= 1e-9:
        return np.nan
    return float(abs(a.sum() - gap) / abs(gap))


def recall_at_k(a, relevant):
    """Share of the planted relevant features found in the explainer's top |relevant|."""
    relevant = np.asarray(relevant, dtype=np.int64)
    k = len(relevant)
    if k == 0:
        return np.nan
    return len(set(_topk(a, k)) & set(relevant.tolist())) / k


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


def seed_spread(runs):
    """Spread over re-runs: mean distance to the runs' mean, relative to its norm.

    ``runs`` has shape (n_runs, d).
    """
    runs = np.asarray(runs, dtype=np.float64)
    m = runs.mean(axis=0)
    nm = np.linalg.norm(m)
    dist = np.linalg.norm(runs - m, axis=1).mean()
    if nm <= _TINY:
        return 0.0 if dist <= _TINY else np.nan
    return float(dist / nm)


def bootstrap_ci(values, n_boot=500, level=0.95, random_state=0):
    """Mean of ``values`` with a percentile bootstrap confidence interval (NaNs dropped)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.nan, np.nan, np.nan
    mean = float(v.mean())
    if v.size == 1:
        return mean, mean, mean
    rng = np.random.default_rng(random_state)
    idx = rng.integers(0, v.size, size=(n_boot, v.size))
    boots = v[idx].mean(axis=1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return mean, float(lo), float(hi)
