"""Global estimands: one score per feature for the whole data set.

They explain one output column for every row (the column most rows explain; for a regressor
or a binary classifier, the only one), so that a global explainer and its truth read the same
output.

- ``global_importance``: the mean over the audited rows of |interventional SHAP|.
- ``partial_dependence``: the partial-dependence function ``PD_j(v) = mean over background
  rows b of f(v, b_-j)`` (exact: model calls, or ``w_j v + const`` for a linear model), and,
  per feature, its spread (population standard deviation) over the background's own values
  of x_j. The explainer evaluates the same function on scikit-learn's grid (20 points between
  the 5th and 95th percentiles, or the unique values): the grid's coarseness and its uniform
  weighting show as its estimation error.
- ``permutation_importance``: the expectation, over a uniformly random permutation pi of the
  audited rows, of ``mean_i (f(x_i) - f(x_i with x_ij replaced by x_pi(i)j))**2``: the
  increase of the squared error against the model's own output, the loss the explainer uses.
  Since pi(i) is uniform over all rows, it is ``(1/n^2) sum_i sum_k (f(x_i) - f(x_i with x_ij
  <- x_kj))**2`` (model calls; ``2 w_j^2 var(x_j)`` for a linear model).
"""

import numpy as np

from .base import Estimand, Value, for_one_column, linear_rows, register
from .shapley import INTERVENTIONAL_SHAP

GLOBAL_IMPORTANCE = register(Estimand(
    "global_importance",
    "the mean over the audited rows of |interventional SHAP| (one score per feature)",
    "how much each feature moves the output on average, in output units",
    unit="importance", scope="global",
    noun="mean |Shapley values|",
))

PARTIAL_DEPENDENCE = register(Estimand(
    "partial_dependence",
    "per feature, the spread (standard deviation) of its exact partial-dependence function "
    "PD_j(v) = mean_b f(v, b_-j) over the background's values of x_j",
    "how much the model's average output moves as x_j alone varies over its values",
    unit="importance", scope="global",
    noun="partial-dependence spreads",
))

PERMUTATION_IMPORTANCE = register(Estimand(
    "permutation_importance",
    "per feature, the expected squared change of the output when x_j is replaced by "
    "another audited row's value (uniform permutation), in squared output units",
    "how much worse the model reproduces its own output when x_j is shuffled",
    unit="importance", scope="global",
    noun="expected permutation importances",
))

#: Rows per model call of the model-call computations (bounds their memory).
MAX_ROWS = 2**18


@GLOBAL_IMPORTANCE.exact("trees", "linear", "additive", "black_box")
def _mean_abs_shap(view, X, background, baseline):
    n = len(X)
    c = view.global_column
    cached = view.cache.get(("value", "interventional_shap"))
    if cached is not None and np.all(view.target.output_index == c):
        phi = cached.values
    else:
        phi = INTERVENTIONAL_SHAP.compute(for_one_column(view, c, n), X, background,
                                          baseline).values
    return Value(np.abs(phi).mean(axis=0))


def pd_function(fn, background, j, values):
    """``PD_j(v) = mean over background rows b of fn(v, b_-j)`` at each of ``values``."""
    background = np.asarray(background, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    m, d = background.shape
    out = np.empty(len(values))
    chunk = max(1, MAX_ROWS // m)
    for lo in range(0, len(values), chunk):
        v = values[lo:lo + chunk]
        Z = np.repeat(background[None, :, :], len(v), axis=0)
        Z[:, :, j] = v[:, None]
        out[lo:lo + len(v)] = np.asarray(fn(Z.reshape(-1, d)), np.float64).reshape(
            len(v), m).mean(axis=1)
    return out


def _weighted_std(values, weights):
    mean = np.average(values, weights=weights)
    return float(np.sqrt(np.average((values - mean) ** 2, weights=weights)))


@PARTIAL_DEPENDENCE.exact("linear")
def _pd_linear(view, X, background, baseline):
    w, _ = linear_rows(view, [view.global_column])
    return Value(np.abs(w[0]) * background.std(axis=0))


@PARTIAL_DEPENDENCE.exact("black_box")
def _pd_model_calls(view, X, background, baseline):
    fn = view.fn(view.global_column)
    d = background.shape[1]
    out = np.empty(d)
    for j in range(d):
        u, counts = np.unique(background[:, j], return_counts=True)
        out[j] = _weighted_std(pd_function(fn, background, j, u), counts)
    return Value(out)


@PERMUTATION_IMPORTANCE.exact("linear")
def _pi_linear(view, X, background, baseline):
    w, _ = linear_rows(view, [view.global_column])
    return Value(2.0 * w[0] ** 2 * X.var(axis=0))


@PERMUTATION_IMPORTANCE.exact("black_box")
def _pi_model_calls(view, X, background, baseline):
    fn = view.fn(view.global_column)
    n, d = X.shape
    fx = fn(X)
    out = np.empty(d)
    for j in range(d):
        u, counts = np.unique(X[:, j], return_counts=True)
        total = 0.0
        chunk = max(1, MAX_ROWS // n)
        for lo in range(0, len(u), chunk):
            v = u[lo:lo + chunk]
            Z = np.repeat(X[None, :, :], len(v), axis=0)
            Z[:, :, j] = v[:, None]
            f = np.asarray(fn(Z.reshape(-1, d)), np.float64).reshape(len(v), n)
            total += float(counts[lo:lo + len(v)] @ ((f - fx[None, :]) ** 2).sum(axis=1))
        out[j] = total / n**2
    return Value(out)
