"""``lime_tabular`` and ``lime_gaussian``: LIME's large-sample limits, as registry entries.

The limits themselves are computed in :mod:`.lime`; this module gives them their definitions
and points each kind of model at the right computation:

- ``trees`` (trees, forests, a rule list's equivalent tree) and ``additive`` (an EBM without
  categorical features): exact, through the model's boxes (:mod:`.boxes`);
- ``linear``: exact (closed form);
- ``black_box`` (MAPLE, other models, and any tree or EBM whose boxes do not reproduce its
  output): **not exact**: a Monte Carlo estimate of the same limit on LIME's own weighted
  distribution (:data:`MONTE_CARLO_BUDGET`: model calls in all for the default mode, whose
  rows share one pool of LIME's samples; per row in the Gaussian mode), reported with a
  tolerance of three standard errors and a note saying so.

lime reads its training data (the audit's background) once per explainer; the statistics it
computes are computed once per audit here (:class:`~.lime.LimeStats`) and shared by both
estimands.
"""

import numpy as np

from .base import Estimand, Value, linear_rows, per_column, register
from .boxes import Boxes
from .lime import Linear, LimeStats, lime_gaussian, lime_tabular

#: Model calls of the black-box Monte Carlo: in all for ``lime_tabular`` (one pool shared by
#: the rows), per row for ``lime_gaussian`` (its samples are centred on x). Chosen so that the
#: limits cost a few percent of the audit of a black box (each explained row costs LIME 5000
#: calls per explainer and KernelSHAP far more): ``benchmarks/bench_audit.py``; the
#: tolerance they are reported with says what that buys.
MONTE_CARLO_BUDGET = {"lime_tabular": 20_000, "lime_gaussian": 1_500}

LIME_TABULAR = register(Estimand(
    "lime_tabular",
    "the large-sample limit (num_samples -> infinity) of lime.lime_tabular."
    "LimeTabularExplainer's default weights: quartile bins, samples drawn bin by bin from the "
    "background",
    "the effect on the output of each feature being in x's quartile bin rather than in "
    "another one",
    unit="attribution", scope="local",
    noun="LIME's large-sample limit",
))

LIME_GAUSSIAN = register(Estimand(
    "lime_gaussian",
    "the same large-sample limit for discretize_continuous=False, sample_around_instance="
    "True: the slopes of a kernel-weighted linear fit to f around x",
    "slopes of a smoothed linear fit to the model around x (Gaussian samples, one background "
    "standard deviation wide), per unit of each feature",
    unit="slope", scope="local",
    noun="LIME's large-sample limit (Gaussian mode)",
))

_LIMITS = {"lime_tabular": lime_tabular, "lime_gaussian": lime_gaussian}


def _stats(view, background):
    """lime's statistics of the background, once per view (both estimands share them)."""
    hit = view.cache.get("lime_stats")
    if hit is not None and hit[0] is background:
        return hit[1]
    st = LimeStats(background)
    view.cache["lime_stats"] = (background, st)
    return st


def _boxes(view, column, X):
    """The model's boxes for one output column, or None when they do not reproduce the
    model's output on X (then the black-box estimate is used)."""
    key = ("lime_boxes", column)
    if key not in view.cache:
        try:
            if view.has("trees"):
                boxes = Boxes.from_trees(view.trees, view.tree_weights, column=column,
                                         input_dtype=view.input_dtype)
            else:
                boxes = Boxes.from_ebm(view.model, column=column if np.ndim(
                    view.model.intercept_) and np.size(view.model.intercept_) > 1 else None)
        except ValueError:
            boxes = None
        if boxes is not None:
            want = view.fn(column)(X)
            got = boxes.predict(X)
            if not np.allclose(got, want, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(want).max())):
                boxes = None
        view.cache[key] = boxes
    return view.cache[key]


def _monte_carlo(name, view, X, st):
    n, d = X.shape
    stderr = np.zeros((n, d))

    def one(c, rows):
        out = _LIMITS[name](view.fn(c), X[rows], stats=st, budget=MONTE_CARLO_BUDGET[name],
                            random_state=c)
        stderr[rows] = out.stderr
        return out.values, out.intercept

    values, intercept = per_column(view, n, d, one)
    tol = 3.0 * float(stderr.max()) if stderr.size else 0.0
    return Value(values, intercept, tolerance=tol, notes=[
        f"not exact: Monte Carlo on LIME's weighted sampling distribution "
        f"({MONTE_CARLO_BUDGET[name]} model calls "
        f"{'in all' if name == 'lime_tabular' else 'per row'}), to within {tol:.2g} "
        "(three standard errors)"])


def _compute(name):
    def by_boxes(view, X, background, baseline):
        st = _stats(view, background)
        n, d = X.shape
        if any(_boxes(view, c, X[rows]) is None for c, rows in view.target.groups()):
            return _monte_carlo(name, view, X, st)

        def one(c, rows):
            out = _LIMITS[name](_boxes(view, c, X[rows]), X[rows], stats=st)
            return out.values, out.intercept

        return Value(*per_column(view, n, d, one))

    def linear(view, X, background, baseline):
        st = _stats(view, background)
        W, b = linear_rows(view, view.target.output_index[:len(X)])
        out = _LIMITS[name](Linear(W, b), X, stats=st)
        return Value(out.values, out.intercept)

    def black_box(view, X, background, baseline):
        return _monte_carlo(name, view, X, _stats(view, background))

    return by_boxes, linear, black_box


for _estimand in (LIME_TABULAR, LIME_GAUSSIAN):
    _by_boxes, _linear, _black_box = _compute(_estimand.name)
    _estimand.exact("trees", "additive")(_by_boxes)
    _estimand.exact("linear")(_linear)
    _estimand.exact("black_box")(_black_box)
