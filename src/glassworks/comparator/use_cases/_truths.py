"""Truths and statistics shared by ``randomization``, ``forward_simulation``, ``recourse`` and
``uses_feature``: per-row change indicators on and off the data, the trees of a model, a
row bootstrap for any statistic, the rank correlation of two explanations.

The per-row functions return arrays (not just a mean) so that a use case can bootstrap a
statistic that is not a mean (precision, recall, an R2) over the rows.
"""

import numpy as np

from ._common import FLIP_RATE

#: A regressor's output "changes" when it moves by more than this many standard deviations of
#: its output on the data (a classifier's when its decision changes).
OUTPUT_TOLERANCE = 0.05
#: Counterfactual draws per row and feature.
N_DRAWS = 3
#: Neighbours (in the other columns) whose value of x_j a row may take on the data.
N_NEIGHBOURS = 10
#: Bootstrap resamples of the rows for a statistic that is not a mean.
N_BOOT = 300

__all__ = ["OUTPUT_TOLERANCE", "N_DRAWS", "FLIP_RATE", "changed", "change_matrix",
           "conditional_resample",
           "marginal_resample", "trees_of", "bootstrap_stat", "abs_spearman", "as_local",
           "local_attributions"]


def changed(base, out, is_classifier, scale):
    """Per row: did the decision (classifier) or the output (regressor) change?"""
    if is_classifier:
        return np.asarray(out) != np.asarray(base)
    return np.abs(np.asarray(out, dtype=np.float64) - base) > OUTPUT_TOLERANCE * scale


def conditional_resample(X, data, j, rng, n_neighbours=N_NEIGHBOURS):
    """Each row of X with column j replaced by the value of one of its ``n_neighbours``
    nearest real rows (in the other columns, standardised) that has a *different* value of
    column j: x_j takes a value that real rows like this one take, the other columns stay.

    Returns (Z, ok): ok is False for rows with no such neighbour (left as is). (The
    protected-attribute truth uses whole matched real rows with a placebo instead,
    :func:`~._common.matched_counterfactual`; this one changes x_j alone, which the
    per-feature truths here need on continuous data, where no real row shares x_j.)
    """
    X = np.asarray(X, dtype=np.float64)
    data = np.asarray(data, dtype=np.float64)
    others = [k for k in range(X.shape[1]) if k != j]
    sd = data[:, others].std(axis=0)
    sd[sd == 0] = 1.0
    Z = X.copy()
    ok = np.zeros(len(X), dtype=bool)
    for i, x in enumerate(X):
        cand = np.flatnonzero(data[:, j] != x[j])
        if cand.size == 0:
            continue
        dist = (((data[cand][:, others] - x[others]) / sd) ** 2).sum(axis=1)
        near = cand[np.argsort(dist, kind="stable")[:n_neighbours]]
        Z[i, j] = data[rng.choice(near), j]
        ok[i] = True
    return Z, ok


def marginal_resample(X, data, j, rng):
    """Each row of X with column j replaced by the value of a random real row with a
    different value of it, whatever the other columns (interventional: hybrid points, which
    may lie off the data). Returns (Z, ok) as :func:`conditional_resample`."""
    X = np.asarray(X, dtype=np.float64)
    data = np.asarray(data, dtype=np.float64)
    Z = X.copy()
    ok = np.zeros(len(X), dtype=bool)
    col = data[:, j]
    for i, x in enumerate(X):
        cand = np.flatnonzero(col != x[j])
        if cand.size:
            Z[i, j] = col[rng.choice(cand)]
            ok[i] = True
    return Z, ok


def change_matrix(decide, predict, X, data, is_classifier, how="conditional",
                  n_draws=N_DRAWS, random_state=0):
    """(n, d): per row and feature, the share of draws in which changing only that feature
    changes the decision (classifier) or the output (regressor).

    ``how="conditional"``: the feature takes a value that real rows near this one take
    (on the data, :func:`conditional_resample`); ``"marginal"``: a value of any
    real row (:func:`marginal_resample`, interventional).
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    rng = np.random.default_rng(random_state)
    base = decide(X)
    scale = 1.0 if is_classifier else (float(np.std(predict(data))) or 1.0)
    resample = conditional_resample if how == "conditional" else marginal_resample
    out = np.zeros((n, d))
    for j in range(d):
        for _ in range(n_draws):
            Z, ok = resample(X, data, j, rng)
            out[:, j] += np.where(ok, changed(base, decide(Z), is_classifier, scale), False)
    return out / n_draws


def trees_of(state):
    """``(trees, weights)`` of a tree-based audited model (trees, forests, the rule list's
    equivalent tree), or ``(None, None)``."""
    truth = getattr(state, "truth", None)
    if truth is None or truth.trees is None:
        return None, None
    return list(truth.trees), np.asarray(truth.tree_weights, dtype=np.float64)


def bootstrap_stat(stat, n, n_boot=N_BOOT, level=0.95, random_state=0):
    """``stat(rows) -> float`` on all rows and its percentile bootstrap interval over rows
    (resamples where it is undefined, NaN, are dropped)."""
    value = float(stat(np.arange(n)))
    rng = np.random.default_rng(random_state)
    boots = np.array([stat(rng.integers(0, n, n)) for _ in range(n_boot)], dtype=np.float64)
    boots = boots[np.isfinite(boots)]
    if n <= 1 or boots.size == 0:
        return value, value, value
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return value, float(lo), float(hi)


def abs_spearman(A, B):
    """Per row, Spearman's rank correlation of |A| and |B| (ties ranked by their average).

    NaN where it is undefined (a constant row: e.g. an all-zero explanation)."""
    from scipy.stats import rankdata

    A = np.abs(np.atleast_2d(np.asarray(A, dtype=np.float64)))
    B = np.abs(np.atleast_2d(np.asarray(B, dtype=np.float64)))
    ra = rankdata(A, axis=1)
    rb = rankdata(B, axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    den = np.sqrt((ra ** 2).sum(axis=1) * (rb ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (ra * rb).sum(axis=1) / den
    return np.where(den > 1e-12, r, np.nan)


def as_local(A, n):
    """An explanation as (n, d): a local one as is, a global one (d,) repeated per row."""
    A = np.asarray(A, dtype=np.float64)
    return np.broadcast_to(A, (n, A.shape[-1])) if A.ndim == 1 else A


def local_attributions(state, ctx):
    """``{name: (n, d) attributions}`` of the local explainers (and the exact values), read
    as attributions: a slope (gradient) becomes ``slope * (x - background mean)``, its
    first-order attribution. Global explainers are left out (one value for all rows)."""
    from .. import estimands as E

    n = len(state.X)
    est = {e.name: e.estimand for e in (state.explainers or [])}
    out = {}
    for name, A in ctx.attributions.items():
        A = np.asarray(A, dtype=np.float64)
        if A.ndim != 2 or A.shape[0] != n:
            continue
        e = est.get(name, "interventional_shap" if name.startswith("exact:") else None)
        if e in E.REGISTRY and E.REGISTRY[e].unit == "slope":
            A = E.as_attribution(e, A, state.X, state.baseline)
        out[name] = A
    return out
