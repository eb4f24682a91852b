"""Slopes: the gradient, gradient x input, and a model's own local linear model.

- ``gradient``: df/dx at x. Linear models: the coefficients. Piecewise-constant models (trees,
  forests, rule lists, EBMs): 0 almost everywhere; a row within the finite-difference step of
  a threshold is reported (a finite difference there sees the jump, the gradient is still 0).
  Piecewise-affine models (a MAPLE regressor: its local model is fixed inside a cell of its
  forest's partition): the local model's slope.
- ``gradient_x_input``: the gradient times ``x - r``, r the background mean (the reference the
  explainer uses).
- ``local_slope``: the coefficients of the model's own local linear model (a linear model's
  coefficients; MAPLE's local ridge model at x).
"""

import numpy as np

from .base import Estimand, Value, linear_rows, per_column, register

#: The finite-difference step of the gradient explainers, in background standard deviations.
FD_STEP_SD = 1e-3

GRADIENT = register(Estimand(
    "gradient",
    "the gradient of f at x (0 almost everywhere on a tree, a forest or a rule list)",
    "how fast the output changes per unit of each feature, for an infinitesimal move from x",
    unit="slope", scope="local",
    noun="gradients",
))

GRADIENT_X_INPUT = register(Estimand(
    "gradient_x_input",
    "the gradient of f at x times (x - background mean)",
    "a first-order (tangent-line) extrapolation of the output's change from the background "
    "mean to x",
    unit="attribution", scope="local",
    noun="gradient x input",
))

LOCAL_SLOPE = register(Estimand(
    "local_slope",
    "the coefficients of the model's own local linear model at x (a linear model's "
    "coefficients; MAPLE's local ridge model)",
    "slopes per unit of each feature of the linear model the model itself uses around x",
    unit="slope", scope="local",
    noun="the model's local slopes",
))


def fd_steps(background):
    """Per feature, the finite-difference step: FD_STEP_SD background standard deviations."""
    sd = np.asarray(background, dtype=np.float64).std(axis=0)
    return FD_STEP_SD * np.where(sd > 0, sd, 1.0)


def rows_near_thresholds(thresholds, X, steps):
    """Per row: whether some feature lies within its step of one of its thresholds, and
    whether it lies exactly on one."""
    n, d = X.shape
    near = np.zeros(n, dtype=bool)
    on = np.zeros(n, dtype=bool)
    for j in range(d):
        t = np.asarray(thresholds[j], dtype=np.float64)
        if t.size == 0:
            continue
        pos = np.clip(np.searchsorted(t, X[:, j]), 1, t.size) - 1
        dist = np.minimum(np.abs(X[:, j] - t[pos]),
                          np.abs(X[:, j] - t[np.minimum(pos + 1, t.size - 1)]))
        near |= dist <= steps[j]
        on |= dist == 0
    return near, on


def _threshold_notes(view, X, background):
    near, on = rows_near_thresholds(view.thresholds, X, fd_steps(background))
    notes = []
    if near.any():
        notes.append(
            f"{int(near.sum())} of {len(X)} rows lie within the finite-difference step "
            f"({FD_STEP_SD:g} background standard deviations) of a threshold of the model: "
            "a finite difference there sees the jump"
            + (f"; {int(on.sum())} lie exactly on one, where the gradient is undefined "
               "(0 is reported)" if on.any() else "")
        )
    return notes


def _pieces(view, X, column, rows):
    key = ("pieces", column)
    if key not in view.cache:
        view.cache[key] = {}
    store = view.cache[key]
    rows_key = rows.tobytes()
    if rows_key not in store:
        store[rows_key] = view.pieces(X[rows], column)
    return store[rows_key]


@GRADIENT.exact("linear")
@LOCAL_SLOPE.exact("linear")
def _linear_slope(view, X, background, baseline):
    W, b = linear_rows(view, view.target.output_index)
    return Value(W.copy(), b.copy())


@GRADIENT.exact("piecewise_constant")
def _flat(view, X, background, baseline):
    return Value(np.zeros(X.shape), notes=_threshold_notes(view, X, background))


@GRADIENT.exact("piecewise_affine")
@LOCAL_SLOPE.exact("piecewise_affine")
def _affine_slope(view, X, background, baseline):
    n, d = X.shape

    def one(c, rows):
        intercept, slope = _pieces(view, X, c, rows)
        return slope, intercept

    values, expected = per_column(view, n, d, one)
    return Value(values, expected, notes=_threshold_notes(view, X, background))


@GRADIENT_X_INPUT.exact("linear", "piecewise_constant", "piecewise_affine")
def _gradient_x_input(view, X, background, baseline):
    g = GRADIENT.compute(view, X, background, baseline)
    return Value(g.values * (X - baseline), notes=g.notes)
