"""Shapley values of three games: interventional, baseline and path-dependent.

- ``interventional_shap``: ``v(S) = mean over background rows b of f(x_S, b_~S)``.
- ``baseline_shap``: the same game with a single reference row (the background mean).
- ``path_shap``: a tree's own game, ``v(S)`` = the tree's cover-weighted expectation of f given
  x_S (path-dependent TreeSHAP).

Exact computations: glassworks' tree kernels (trees, forests, rule lists through their
equivalent tree), closed forms for linear models (``w * (x - reference)``) and additive models
(an EBM's one- and two-feature terms), and, for any other model with at most
:data:`MAX_ENUMERATION_FEATURES` features, every coalition enumerated by model calls.
"""

import numpy as np

from .base import Estimand, NotExact, Value, linear_rows, per_column, pick_base, pick_column, register

#: Largest number of features for which the black-box fallback enumerates all 2**d coalitions.
MAX_ENUMERATION_FEATURES = 16

INTERVENTIONAL_SHAP = register(Estimand(
    "interventional_shap",
    "Shapley values of the game v(S) = E_b f(x_S, b_~S), b drawn from the background "
    "(interventional SHAP)",
    "each feature's share of f(x) - E f(background) (Shapley values)",
    unit="attribution", scope="local", additive=True,
    noun="interventional Shapley values",
))

BASELINE_SHAP = register(Estimand(
    "baseline_shap",
    "Shapley values of the game v(S) = f(x_S, r_~S) for one reference row r (the background "
    "mean)",
    "each feature's share of f(x) - f(background mean)",
    unit="attribution", scope="local", additive=True,
    noun="baseline Shapley values",
))

PATH_SHAP = register(Estimand(
    "path_shap",
    "Shapley values of the tree's cover-weighted expectation of f given x_S (path-dependent "
    "TreeSHAP)",
    "each feature's share of f(x) minus the tree's mean leaf value, with the training "
    "data's cover standing in for the unknown features",
    unit="attribution", scope="local", additive=True,
    noun="path-dependent Shapley values",
))


# --------------------------------------------------------------------------------------------
# trees (glassworks' kernels)
# --------------------------------------------------------------------------------------------
def tree_kernel(view, which, X, background, baseline):
    """The raw kernel output ``(values (n, d, k), base (k,))``, cached on the view."""
    from glassworks.shapley import tree_shap_interventional, tree_shap_path

    key = ("tree_kernel", which)
    if key not in view.cache:
        if which == "interventional":
            out = tree_shap_interventional(view.trees, X, background,
                                           tree_weights=view.tree_weights)
        elif which == "baseline":
            # Shapley values against a single reference row are baseline Shapley values
            out = tree_shap_interventional(view.trees, X,
                                           np.ascontiguousarray(baseline[None, :]),
                                           tree_weights=view.tree_weights)
        else:
            out = tree_shap_path(view.trees, X, tree_weights=view.tree_weights)
        view.cache[key] = out
    return view.cache[key]


def _from_tree_kernel(which):
    def compute(view, X, background, baseline):
        n, d = X.shape
        v, base = tree_kernel(view, which, X, background, baseline)
        return Value(pick_column(v, view.target, n, d), pick_base(base, view.target, n))

    return compute


INTERVENTIONAL_SHAP.exact("trees")(_from_tree_kernel("interventional"))
BASELINE_SHAP.exact("trees")(_from_tree_kernel("baseline"))
PATH_SHAP.exact("trees")(_from_tree_kernel("path"))


# --------------------------------------------------------------------------------------------
# linear models: w * (x - reference)
# --------------------------------------------------------------------------------------------
@INTERVENTIONAL_SHAP.exact("linear")
def _linear_interventional(view, X, background, baseline):
    return _linear(view, X, background.mean(axis=0))


@BASELINE_SHAP.exact("linear")
def _linear_baseline(view, X, background, baseline):
    return _linear(view, X, baseline)


def _linear(view, X, reference):
    W, b = linear_rows(view, view.target.output_index)
    return Value(W * (X - reference), b + W @ reference)


# --------------------------------------------------------------------------------------------
# additive models (interpret's EBM)
# --------------------------------------------------------------------------------------------
def term_shapley(model, X, background):
    """Exact interventional Shapley values of an additive model with 1- and 2-feature terms.

    A term g(x_j) gives feature j the value g(x_j) - E_b g(b_j). A pair term g(x_j, x_k) is a
    two-player game: each player gets half of its own main effect from both orders.
    """
    n, d = X.shape
    m = len(background)
    terms = model.term_features_
    tx = np.asarray(model.eval_terms(X), dtype=np.float64)  # (n, T)
    tb = np.asarray(model.eval_terms(background), dtype=np.float64)  # (m, T)
    phi = np.zeros((n, d))
    for t, feats in enumerate(terms):
        if len(feats) == 1:
            phi[:, feats[0]] += tx[:, t] - tb[:, t].mean()
        elif len(feats) == 2:
            j, k = feats
            v_all = tx[:, t]
            v_none = tb[:, t].mean()
            # v({j}) = E_b g(x_j, b_k): rows of the background with x_j written in
            Z = np.repeat(background, n, axis=0)
            Z[:, j] = np.tile(X[:, j], m)
            v_j = np.asarray(model.eval_terms(Z), dtype=np.float64)[:, t].reshape(m, n).mean(0)
            Z = np.repeat(background, n, axis=0)
            Z[:, k] = np.tile(X[:, k], m)
            v_k = np.asarray(model.eval_terms(Z), dtype=np.float64)[:, t].reshape(m, n).mean(0)
            phi[:, j] += 0.5 * ((v_j - v_none) + (v_all - v_k))
            phi[:, k] += 0.5 * ((v_k - v_none) + (v_all - v_j))
        else:
            raise NotExact("EBM terms of more than two features are not supported")
    return phi


@INTERVENTIONAL_SHAP.exact("additive")
def _additive_interventional(view, X, background, baseline):
    f = view.fn(0)
    return Value(term_shapley(view.model, X, background),
                 np.full(len(X), f(background).mean()))


@BASELINE_SHAP.exact("additive")
def _additive_baseline(view, X, background, baseline):
    f = view.fn(0)
    ref = baseline[None, :]
    return Value(term_shapley(view.model, X, ref), np.full(len(X), f(ref)[0]))


# --------------------------------------------------------------------------------------------
# any model with few features: every coalition, by model calls
# --------------------------------------------------------------------------------------------
def _enumerated(view, X, reference_rows):
    from glassworks.shapley.brute_force import exact_interventional_shapley

    n, d = X.shape
    if d > MAX_ENUMERATION_FEATURES:
        raise NotExact(
            f"enumerating all 2**{d} coalitions is too large (at most "
            f"{MAX_ENUMERATION_FEATURES} features)"
        )

    def one(c, rows):
        fn = view.fn(c)
        v, base = exact_interventional_shapley(fn, X[rows], reference_rows)
        return np.asarray(v, dtype=np.float64), np.full(len(rows), float(base))

    return Value(*per_column(view, n, d, one))


@INTERVENTIONAL_SHAP.exact("black_box")
def _enumerated_interventional(view, X, background, baseline):
    return _enumerated(view, X, background)


@BASELINE_SHAP.exact("black_box")
def _enumerated_baseline(view, X, background, baseline):
    return _enumerated(view, X, baseline[None, :])
