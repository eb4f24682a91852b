"""Scoring: each explainer against its own estimand, and its estimand against a reading.

Two numbers per explainer, kept apart:

- **estimation error** (``estimation_error``): the explainer against the exact value of the
  quantity it computes (its estimand): sampling noise, finite differences, float32, a coarse
  grid. The rank, sign and top-k metrics and the completeness gap are also taken against the
  estimand.
- **estimand gap** (``estimand_gap``): that exact value against the quantity a user reads the
  explainer as (``read_as``, interventional Shapley values by default). It is a property of
  the model and of the two definitions, not of the explainer's implementation. A slope (LIME's
  Gaussian mode, the gradient, a local linear model) is read as an attribution by ``slope *
  (x - background mean)`` (exact for a linear model); a global estimand is compared as shares
  of importance (each feature's share of the total), a local one in its global view by the
  mean |attribution| over the rows.

Undefined metrics: a row where the truth gives a metric no meaning (a ranking of an all-zero
truth) is *not applicable* and counted apart; a row where the explainer leaves it undefined
(an all-zero attribution has no rank correlation, puts no mass anywhere) is counted and scored
as the metric's worst value (:data:`glassworks.comparator.metrics.WORST`).
"""

import numpy as np

from . import estimands as E
from . import metrics as M

#: Widths of the neighbourhoods (in background standard deviations) for neighbourhood fidelity.
SIGMAS = (0.1, 0.5, 1.0)

#: Metrics computed against the explainer's own estimand, for every row.
_RANKING = ("rank_corr", "topk_agreement", "sign_agreement", "rank_agreement",
            "pairwise_rank_agreement")
_GLOBAL_RANKING = ("rank_corr", "topk_agreement", "pairwise_rank_agreement")


def _row(ex, i, metric, value, run=0, status="ok"):
    return {"explainer": ex.name, "estimand": ex.estimand, "instance": int(i), "run": int(run),
            "metric": metric, "value": float(value), "status": status}


def _defined(ex, i, metric, value, t, k, run=0):
    """A row for a metric the truth or the explainer may leave undefined."""
    if t is not None and M.truth_leaves_undefined(metric, t, k):
        return _row(ex, i, metric, np.nan, run, "not_applicable")
    if not np.isfinite(value):
        return _row(ex, i, metric, M.WORST[metric], run, "undefined")
    return _row(ex, i, metric, value, run)


# --------------------------------------------------------------------------------------------
# scales
# --------------------------------------------------------------------------------------------
class Scales:
    """The floors of the relative errors, per estimand, from the model's own scale.

    ``output`` is the spread (standard deviation) of the explained output over the
    background; a truth that is zero on every row is compared on that scale (in its unit:
    output units for attributions and spreads, per background standard deviation for slopes,
    squared for permutation importance).
    """

    def __init__(self, truth, target, background, X, baseline):
        self.X = X
        self.baseline = baseline
        sd = []
        for c in np.unique(np.append(target.output_index, truth.global_column)):
            sd.append(float(np.std(target.fn(int(c))(background))))
        self.output = float(np.mean(sd)) if sd else 0.0
        bg_sd = background.std(axis=0)
        self._slope_scale = self.output / max(float(np.sqrt(np.mean(bg_sd**2))), 1e-300)
        self.truth = truth
        self._own, self._attr = {}, {}

    def _fallback(self, name, view="own"):
        est = E.REGISTRY[name]
        if view == "own" and est.unit == "slope":
            return M.FLOOR * self._slope_scale
        if name == "permutation_importance" and view == "own":
            return M.FLOOR * self.output**2
        return M.FLOOR * max(self.output, 1e-12)

    def own(self, name):
        """Floor of ``error`` in the estimand's own unit."""
        if name not in self._own:
            self._own[name] = M.floor_of(self.truth.values[name], self._fallback(name))
        return self._own[name]

    def attribution(self, name):
        """Floor of ``error`` for the estimand read as attributions."""
        if name not in self._attr:
            A = E.as_attribution(name, self.truth.values[name], self.X, self.baseline)
            self._attr[name] = M.floor_of(A, self._fallback(name, "attribution"))
        return self._attr[name]


# --------------------------------------------------------------------------------------------
# estimand against estimand
# --------------------------------------------------------------------------------------------
def estimand_distance(a, b, truth, scales):
    """Distance of estimand ``a`` from ``b`` (relative to b), per row for two local ones.

    Returns an array (n,) when both are local (attributions, row by row), else a one-element
    array (shares of importance).
    """
    X, r = scales.X, scales.baseline
    ea, eb = E.REGISTRY[a], E.REGISTRY[b]
    if ea.scope == "local" and eb.scope == "local":
        A = E.as_attribution(a, truth.values[a], X, r)
        B = E.as_attribution(b, truth.values[b], X, r)
        floor = scales.attribution(b)
        return np.array([M.error(A[i], B[i], floor) for i in range(len(A))])
    sa = E.global_view(a, truth.values[a], X, r)
    sb = E.global_view(b, truth.values[b], X, r)
    return np.array([M.error(sa, sb, 1e-12)])


def comparable_estimands(truth):
    """The computed estimands an attribution can be compared with (not the 0/1 indicator)."""
    return [name for name in E.REGISTRY
            if name in truth.values and E.REGISTRY[name].unit != "indicator"]


def estimand_distances(truth, scales):
    """The estimand x estimand table: mean over rows of each row estimand's distance from
    each column estimand (relative L2 with the floor of ``error``; globals as shares)."""
    import pandas as pd

    names = comparable_estimands(truth)
    D = np.full((len(names), len(names)), np.nan)
    for p, a in enumerate(names):
        for q, b in enumerate(names):
            D[p, q] = 0.0 if a == b else float(np.mean(estimand_distance(a, b, truth, scales)))
    return pd.DataFrame(D, index=pd.Index(names, name="estimand"),
                        columns=pd.Index(names, name="distance from"))


def gap_rows(ex, read_as, truth, scales, instances):
    """The ``estimand_gap`` rows of one explainer (none if either estimand is unknown)."""
    own = ex.estimand
    if own not in truth.values or read_as not in truth.values:
        return []
    if E.REGISTRY[own].unit == "indicator":
        return []
    dist = (np.zeros(len(instances) if E.REGISTRY[own].scope == "local" else 1)
            if own == read_as else estimand_distance(own, read_as, truth, scales))
    if dist.size == 1 and E.REGISTRY[own].scope == "global":
        return [_row(ex, -1, "estimand_gap", dist[0])]
    return [_row(ex, i, "estimand_gap", dist[i]) for i in instances]


# --------------------------------------------------------------------------------------------
# explainers
# --------------------------------------------------------------------------------------------
def score_local(ex, A, recs, truth, target, ctx, wanted, k, relevant, seeds, scales, read_as):
    """Per-row scores of a local explainer (A: its attributions, (n, d))."""
    rows = []
    est = ex.estimand
    T = truth.values.get(est)
    expected = truth.expected.get(est)
    dummy = truth.dummy
    instances = [rec["i"] for rec in recs]
    additive = est in E.REGISTRY and E.REGISTRY[est].additive
    need_fx = "completeness_gap" in wanted and additive and T is not None and (
        expected is not None)
    fx = None
    if need_fx:
        fx = np.empty(len(ctx.X))
        for c, idx in target.groups():
            fx[idx] = target.fn(c)(ctx.X[idx])
        floor_c = M.FLOOR * float(np.sqrt(np.mean((fx - expected) ** 2)))
        if floor_c <= 1e-12:
            floor_c = M.FLOOR * max(scales.output, 1e-12)
    scale = ctx.background.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    floor = scales.own(est) if T is not None else 0.0
    for r, rec in enumerate(recs):
        i = rec["i"]
        a = A[r]
        if not np.all(np.isfinite(a)):
            # the explainer returned NaN or inf here: it failed on this row, and scores the
            # worst value of every metric (a NaN must never pass as a perfect ranking)
            rows.extend(_failed_rows(ex, i, wanted, T is not None, need_fx, dummy, relevant))
            continue
        if T is not None:
            t = T[i]
            if "estimation_error" in wanted:
                rows.append(_row(ex, i, "estimation_error", M.error(a, t, floor)))
            for name in _RANKING:
                if name in wanted:
                    value = M.rank_corr(a, t) if name == "rank_corr" else getattr(M, name)(
                        a, t, k)
                    rows.append(_defined(ex, i, name, value, t, k))
            if need_fx:
                rows.append(_row(ex, i, "completeness_gap",
                                 M.completeness_gap(a, fx[i], expected[i], floor_c)))
        if "dummy_mass" in wanted and dummy is not None and np.any(dummy):
            rows.append(_defined(ex, i, "dummy_mass", M.dummy_mass(a, dummy), None, k))
        if "recall_at_k" in wanted and relevant is not None:
            rows.append(_row(ex, i, "recall_at_k", M.recall_at_k(a, relevant)))
        if "neighbourhood_fidelity" in wanted and rec.get("slope") is not None:
            c = int(target.output_index[i])
            rng = np.random.default_rng([int(seeds[i, 0]), 1])
            fids = M.neighbourhood_fidelity(
                target.fn(c), ctx.X[i], np.asarray(rec["slope"]), float(rec["intercept"]),
                scale, SIGMAS, 100, rng,
            )
            for s, v in zip(SIGMAS, fids):
                rows.append(_row(ex, i, f"neighbourhood_fidelity@{s:g}", v))
        if "seed_spread" in wanted and "runs" in rec:
            rows.append(_row(ex, i, "seed_spread", M.seed_spread(rec["runs"], floor)))
        elif "seed_spread" in wanted and not ex.stochastic and r < 5:
            rows.append(_row(ex, i, "seed_spread", 0.0))
        if "seconds" in wanted:
            rows.append(_row(ex, i, "seconds", rec["seconds"]))
        if "model_calls" in wanted:
            rows.append(_row(ex, i, "model_calls", rec["calls"]))
    if "estimand_gap" in wanted:
        rows.extend(gap_rows(ex, read_as, truth, scales, instances))
    return rows


def _failed_rows(ex, i, wanted, has_truth, need_fx, dummy, relevant):
    names = []
    if has_truth:
        names += [m for m in ("estimation_error",) + _RANKING if m in wanted]
        if need_fx:
            names.append("completeness_gap")
    if "dummy_mass" in wanted and dummy is not None and np.any(dummy):
        names.append("dummy_mass")
    if "recall_at_k" in wanted and relevant is not None:
        names.append("recall_at_k")
    return [_row(ex, i, m, M.WORST.get(m, np.inf), 0, "failed") for m in names]


def score_global(ex, runs, truth, wanted, k, relevant, scales, read_as):
    """Scores of a global explainer: one row per run (the confidence intervals come from the
    reruns), against its own estimand for the same output column."""
    rows = []
    T = truth.values.get(ex.estimand)
    floor = scales.own(ex.estimand) if T is not None else 0.0
    values = [np.asarray(run["values"], dtype=np.float64) for run in runs]
    for r, (run, v) in enumerate(zip(runs, values)):
        if T is not None:
            if "estimation_error" in wanted:
                rows.append(_row(ex, -1, "estimation_error", M.error(v, T, floor), r))
            for name in _GLOBAL_RANKING:
                if name in wanted:
                    value = M.rank_corr(v, T) if name == "rank_corr" else getattr(M, name)(
                        v, T, k)
                    rows.append(_defined(ex, -1, name, value, T, k, r))
        if "dummy_mass" in wanted and truth.dummy is not None and np.any(truth.dummy):
            rows.append(_defined(ex, -1, "dummy_mass", M.dummy_mass(np.abs(v), truth.dummy),
                                 None, k, r))
        if "recall_at_k" in wanted and relevant is not None:
            rows.append(_row(ex, -1, "recall_at_k", M.recall_at_k(np.abs(v), relevant), r))
        if "seconds" in wanted:
            rows.append(_row(ex, -1, "seconds", run["seconds"], r))
        if "model_calls" in wanted:
            rows.append(_row(ex, -1, "model_calls", run["calls"], r))
    if "seed_spread" in wanted:
        spread = M.seed_spread(np.array(values), floor) if len(values) > 1 else 0.0
        rows.append(_row(ex, -1, "seed_spread", spread))
    if "estimand_gap" in wanted:
        rows.extend(gap_rows(ex, read_as, truth, scales, [-1]))
    return rows
