"""Exact interventional TreeSHAP (Lundberg et al. 2020, Nature MI, "independent" TreeSHAP).

For one sample x and one background row z the game is ``v(S) = f(x_S, z_~S)``. In a tree,
the hybrid row reaches leaf ``l`` exactly when every feature in ``A_l`` (features whose split
on the path x passes and z fails) is in S and every feature in ``B_l`` (z passes, x fails) is
not; features where x and z agree do not matter. Each leaf is thus a signed unanimity game,
whose Shapley values are ``v_l (|A|-1)! |B|! / (|A|+|B|)!`` for a feature of A and
``-v_l |A|! (|B|-1)! / (|A|+|B|)!`` for a feature of B.

The traversal follows x and z together; where they disagree on a feature not yet decided it
branches twice (feature taken from x, feature taken from z), and a feature already decided
keeps its side. Sums of the leaf terms flow back up the (explicit) stack, so a pair costs
O(nodes it reaches), each feature credited once at its branching node. Averaging over the
whole background gives the exact interventional Shapley values with respect to that set.

Shallow trees (at most ``TABLE_MAX_M`` unique features on any path) can instead be
tabulated: per leaf, the background's contribution to a sample depends only on which of the
leaf's path features the sample fails, so all 2^m cases are computed once per tree from the
background's histogram (see :mod:`glassworks.shapley._tables`, shared with path-dependent
TreeSHAP) and a sample then costs one pass over the nodes, independent of the background
size. :func:`interventional_values` picks the cheaper way per tree; both are exact and tested
against each other and against enumeration.
"""

import numpy as np
from numba import njit, prange

from .._jit import internal
from .._parallel import with_serial_twin

from ._tables import add_table_values, tabulable, tree_table_stats
from ._tables import goes_left as _goes_left
from .treeshap import PARALLEL_MIN_COST, check_X, pack_trees, serial_if_small

__all__ = [
    "tree_shap_interventional",
    "interventional_values",
    "interventional_shap_kernel",
    "ensemble_predict_kernel",
]


@internal
@njit(cache=True, nogil=True)
def _pair(x, z, root, left, right, feature, threshold, missing, value, W, phi,
          state, f_node, f_stage, f_feat, f_alt, SA, SB):
    """Add the Shapley values of the game f(x_S, z_~S) of one tree to phi (d, n_out)."""
    n_out = value.shape[1]
    a = 0
    b = 0
    lvl = 0
    f_node[0] = root
    f_stage[0] = 0
    while lvl >= 0:
        st = f_stage[lvl]
        if st == 0:
            node = f_node[lvl]
            # follow x and z while they agree or the feature is already decided
            while left[node] >= 0:
                j = feature[node]
                thr = threshold[node]
                mis = missing[node]
                xl = _goes_left(x[j], thr, mis)
                zl = _goes_left(z[j], thr, mis)
                if xl == zl:
                    node = left[node] if xl else right[node]
                elif state[j] == 1:
                    node = left[node] if xl else right[node]
                elif state[j] == 2:
                    node = left[node] if zl else right[node]
                else:
                    break
            if left[node] < 0:
                if a > 0:
                    wa = W[a - 1, b]
                    for c in range(n_out):
                        SA[lvl, c] = wa * value[node, c]
                else:
                    for c in range(n_out):
                        SA[lvl, c] = 0.0
                if b > 0:
                    wb = W[a, b - 1]
                    for c in range(n_out):
                        SB[lvl, c] = -wb * value[node, c]
                else:
                    for c in range(n_out):
                        SB[lvl, c] = 0.0
                lvl -= 1
                continue
            # branch: first with the feature taken from x
            j = feature[node]
            xl = _goes_left(x[j], threshold[node], missing[node])
            f_feat[lvl] = j
            if xl:
                f_alt[lvl] = right[node]
                nxt = left[node]
            else:
                f_alt[lvl] = left[node]
                nxt = right[node]
            state[j] = 1
            a += 1
            f_stage[lvl] = 1
            lvl += 1
            f_node[lvl] = nxt
            f_stage[lvl] = 0
        elif st == 1:
            j = f_feat[lvl]
            for c in range(n_out):
                phi[j, c] += SA[lvl + 1, c]
                SA[lvl, c] = SA[lvl + 1, c]
                SB[lvl, c] = SB[lvl + 1, c]
            state[j] = 2
            a -= 1
            b += 1
            f_stage[lvl] = 2
            nxt = f_alt[lvl]
            lvl += 1
            f_node[lvl] = nxt
            f_stage[lvl] = 0
        else:
            j = f_feat[lvl]
            for c in range(n_out):
                phi[j, c] += SB[lvl + 1, c]
                SA[lvl, c] += SA[lvl + 1, c]
                SB[lvl, c] += SB[lvl + 1, c]
            state[j] = 0
            b -= 1
            lvl -= 1


@with_serial_twin
@njit(cache=True, parallel=True, nogil=True)
def interventional_shap_kernel(left, right, feature, threshold, missing, value, roots,
                               max_depth, X, background):
    """Exact interventional TreeSHAP of every row of X against the whole background.

    Parameters
    ----------
    left, right, feature, threshold, missing, value, roots : ndarray
        A :class:`~glassworks.shapley.treeshap.PackedTrees` (values already weighted).
    max_depth : int
    X : float64 (n_samples, n_features), background : float64 (n_background, n_features)
        C-contiguous; NaN follows ``missing``.

    Returns
    -------
    phi : float64 ndarray (n_samples, n_features, n_outputs)
        Mean over background rows of the pairwise Shapley values.
    """
    n, d = X.shape
    m = background.shape[0]
    n_out = value.shape[1]
    n_trees = roots.shape[0]
    L = max_depth + 2
    W = np.zeros((L, L))
    # W[a, b] = a! b! / (a+b+1)!, built by recurrences to stay in float64 without factorials
    for a in range(L):
        for b in range(L):
            w = 1.0 / (a + b + 1)
            # divide by the binomial C(a+b, a) computed incrementally
            cb = 1.0
            for i in range(1, a + 1):
                cb = cb * (b + i) / i
            W[a, b] = w / cb
    phi = np.zeros((n, d, n_out))
    inv = 1.0 / m
    for i in prange(n):
        state = np.zeros(d, dtype=np.int8)
        f_node = np.empty(L, dtype=np.int64)
        f_stage = np.empty(L, dtype=np.int64)
        f_feat = np.empty(L, dtype=np.int64)
        f_alt = np.empty(L, dtype=np.int64)
        SA = np.empty((L, n_out))
        SB = np.empty((L, n_out))
        acc = np.zeros((d, n_out))
        x = X[i]
        for r in range(m):
            z = background[r]
            for t in range(n_trees):
                _pair(x, z, roots[t], left, right, feature, threshold, missing, value, W,
                      acc, state, f_node, f_stage, f_feat, f_alt, SA, SB)
        for j in range(d):
            for c in range(n_out):
                phi[i, j, c] = acc[j, c] * inv
    return phi


@njit(cache=True, nogil=True)
def ensemble_predict_kernel(left, right, feature, threshold, missing, value, roots, X):
    """Sum over packed trees of the (weighted) leaf values: (n_samples, n_outputs).

    Serial: it runs on background sets, small next to the Shapley computation.
    """
    n = X.shape[0]
    n_out = value.shape[1]
    out = np.zeros((n, n_out))
    for i in range(n):
        for t in range(roots.shape[0]):
            node = roots[t]
            while left[node] >= 0:
                if _goes_left(X[i, feature[node]], threshold[node], missing[node]):
                    node = left[node]
                else:
                    node = right[node]
            for c in range(n_out):
                out[i, c] += value[node, c]
    return out


#: Per-(sample, background row, tree) cost of the pairwise traversal relative to the table
#: model's unit (calibrated on depth-8 trees).
TRAVERSAL_COST = 6.0
_ALGORITHMS = ("auto", "table", "traversal")


def interventional_values(packed, X, background, algorithm="auto"):
    """Exact interventional Shapley values (n, d, n_outputs) of a :class:`PackedTrees`.

    Each tree is explained either by leaf-pattern tables (cost independent of the background
    size once built; chosen for shallow trees when it is cheaper) or by the pairwise
    traversal; ``algorithm`` forces one ("table" still needs the tree to fit the table limits).
    Both give the same values.
    """
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"algorithm must be one of {_ALGORITHMS}, got {algorithm!r}.")
    n, d = X.shape
    n_bg = background.shape[0]
    phi = np.zeros((n, d, packed.n_outputs))
    if n == 0:
        return phi
    nodes = (packed.ends - packed.roots).astype(np.float64)
    traversal_cost = TRAVERSAL_COST * n * n_bg * (packed.depths + 1)
    if algorithm == "traversal":
        use_table = np.zeros(packed.n_trees, dtype=bool)
        cost = traversal_cost
    else:
        st = tree_table_stats(packed)
        table_cost = 2.0 * st["interventional_build"] + (n + n_bg) * nodes + n * st["sum_m"]
        use_table = tabulable(packed)
        if algorithm == "auto":
            use_table &= table_cost <= traversal_cost
        cost = np.where(use_table, table_cost, traversal_cost)
    with serial_if_small(float(cost.sum()), PARALLEL_MIN_COST):
        table_trees = np.flatnonzero(use_table)
        if table_trees.size:
            add_table_values(packed, table_trees, X, background, phi)
        rest = packed.roots[~use_table]
        if rest.size:
            phi += interventional_shap_kernel(
                packed.left, packed.right, packed.feature, packed.threshold, packed.missing,
                packed.value, rest, packed.max_depth, X, background)
    return phi


def check_background(background, n_features):
    """Validate a background set: 2-D, the trees' feature count, at least one row."""
    if background is None:
        raise ValueError("background is required for interventional Shapley values.")
    bg = check_X(background, n_features, name="background")
    if bg.shape[0] == 0:
        raise ValueError("background is empty: give at least one row.")
    return bg


def tree_shap_interventional(trees, X, background, tree_weights=None, *, algorithm="auto"):
    """Exact interventional TreeSHAP of a tree or an ensemble against a background set.

    Every background row is used (no subsampling): the result is the Shapley value of
    ``v(S) = mean_z f(x_S, z_~S)`` over the rows z of ``background``.

    Parameters
    ----------
    trees : Tree, list of Tree, or PackedTrees
    X : array-like of shape (n_samples, n_features)
    background : array-like of shape (n_background, n_features)
    tree_weights : array-like of shape (n_trees,) or None
        Ensemble output is ``sum_t w_t * tree_t(x)``; default ``1 / n_trees``.
    algorithm : {"auto", "table", "traversal"}, default="auto"
        How each tree is computed (same values either way): leaf-pattern tables, the
        pairwise traversal, or whichever is estimated cheaper.

    Returns
    -------
    values : ndarray of shape (n_samples, n_features, n_outputs)
    base : ndarray of shape (n_outputs,)
        Mean model output over the background; ``base + values.sum(axis=1)`` is the output.
    """
    packed = pack_trees(trees, tree_weights)
    X = check_X(X, packed.n_features)
    bg = check_background(background, packed.n_features)
    values = interventional_values(packed, X, bg, algorithm)
    base = ensemble_predict_kernel(
        packed.left, packed.right, packed.feature, packed.threshold, packed.missing,
        packed.value, packed.roots, bg,
    ).mean(axis=0)
    return values, base
