"""Exact Shapley values by enumerating all 2^d coalitions: the ground-truth oracles.

They assume nothing about the model (a ``predict_fn`` on arrays) and are exponential in the
number of features, so they stop at ``MAX_FEATURES = 16``. They are the reference the tree
kernels are tested against and the auditor's ground truth for any small model.

Shapley values from a value function ``v`` over all coalitions (bit masks)::

    phi_i = sum_{S not containing i} |S|! (d - |S| - 1)! / d! * (v(S + i) - v(S))
"""

from math import factorial

import numpy as np

__all__ = [
    "MAX_FEATURES",
    "exact_interventional_shapley",
    "exact_baseline_shapley",
    "tree_path_shapley_brute",
    "shapley_from_coalition_values",
]

#: Largest feature count the enumeration accepts (2^16 coalitions).
MAX_FEATURES = 16


def _check_d(d):
    if d < 1:
        raise ValueError("X has no features.")
    if d > MAX_FEATURES:
        raise ValueError(
            f"Brute-force Shapley enumerates all 2^d coalitions and supports at most "
            f"d = {MAX_FEATURES} features; got d = {d}."
        )


def _masks(d):
    """Coalition masks (2^d, d) as booleans and their sizes."""
    codes = np.arange(2**d, dtype=np.int64)
    member = ((codes[:, None] >> np.arange(d)) & 1).astype(bool)
    return member, member.sum(axis=1)


def shapley_from_coalition_values(v, d):
    """Shapley values from the values ``v`` of all 2^d coalitions.

    Parameters
    ----------
    v : ndarray of shape (2**d,) or (2**d, k)
        ``v[code]`` is the value of the coalition whose bit ``i`` says whether feature ``i``
        is in it.
    d : int

    Returns
    -------
    ndarray of shape (d,) or (d, k)
    """
    codes = np.arange(2**d, dtype=np.int64)
    sizes = np.array([bin(c).count("1") for c in range(2**d)], dtype=np.int64)
    weights = np.array(
        [factorial(s) * factorial(d - s - 1) / factorial(d) if s < d else 0.0 for s in range(d + 1)]
    )
    phi = np.zeros((d,) + v.shape[1:])
    for i in range(d):
        bit = 1 << i
        without = codes[(codes & bit) == 0]
        w = weights[sizes[without]]
        diff = v[without | bit] - v[without]
        phi[i] = np.tensordot(w, diff, axes=(0, 0))
    return phi


def _predict(predict_fn, rows):
    out = np.asarray(predict_fn(rows), dtype=np.float64)
    if out.shape[0] != rows.shape[0]:
        raise ValueError(
            f"predict_fn returned {out.shape[0]} rows for {rows.shape[0]} inputs."
        )
    return out


def exact_interventional_shapley(predict_fn, X, background, *, max_rows=2**18):
    """Exact interventional Shapley values by enumerating every coalition.

    ``v(S) = mean over background rows z of f(x_S, z_~S)``, with every background row used.

    Parameters
    ----------
    predict_fn : callable
        Maps a float64 array (m, d) to outputs (m,) or (m, k).
    X : array-like of shape (n_samples, d)
    background : array-like of shape (n_background, d)
    max_rows : int, default=2**18
        Largest number of hybrid rows built (and passed to ``predict_fn``) at once; the
        coalitions are processed in batches to bound memory.

    Returns
    -------
    values : ndarray of shape (n_samples, d) or (n_samples, d, k)
        Following the shape of ``predict_fn``'s output.
    base : float or ndarray of shape (k,)
        ``v(empty set)``, the mean output over the background.

    Raises
    ------
    ValueError
        If d > 16, the background is empty or its feature count differs from X's.

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda A: A @ np.array([1.0, 2.0])
    >>> vals, base = exact_interventional_shapley(f, np.array([[1.0, 1.0]]),
    ...                                           np.array([[0.0, 0.0], [2.0, 0.0]]))
    >>> vals.round(6).tolist(), float(base)
    ([[0.0, 2.0]], 1.0)
    """
    X = np.asarray(X, dtype=np.float64)
    bg = np.asarray(background, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}.")
    if bg.ndim != 2:
        raise ValueError(f"background must be 2-D, got shape {bg.shape}.")
    n, d = X.shape
    _check_d(d)
    if bg.shape[1] != d:
        raise ValueError(f"background has {bg.shape[1]} features, X has {d}.")
    m = bg.shape[0]
    if m == 0:
        raise ValueError("background is empty: give at least one row.")
    member, _ = _masks(d)
    n_coal = member.shape[0]
    batch = max(1, int(max_rows) // m)
    base_out = _predict(predict_fn, bg.copy()).mean(axis=0)
    values = None
    for i in range(n):
        v = None
        for start in range(0, n_coal, batch):
            mk = member[start:start + batch]  # (b, d)
            # hybrid rows: x where the feature is in the coalition, z elsewhere
            rows = np.where(mk[:, None, :], X[i][None, None, :], bg[None, :, :])
            out = _predict(predict_fn, rows.reshape(-1, d))
            out = out.reshape((mk.shape[0], m) + out.shape[1:]).mean(axis=1)
            if v is None:
                v = np.empty((n_coal,) + out.shape[1:])
            v[start:start + mk.shape[0]] = out
        phi = shapley_from_coalition_values(v, d)
        if values is None:
            values = np.empty((n,) + phi.shape)
        values[i] = phi
    if values is None:
        values = np.zeros((0, d) + np.shape(base_out))
    base = float(base_out) if np.ndim(base_out) == 0 else base_out
    return values, base


def exact_baseline_shapley(predict_fn, X, baseline, *, max_rows=2**18):
    """Exact baseline Shapley values: ``v(S) = f(x_S, b_~S)`` for one reference point b.

    Parameters
    ----------
    predict_fn : callable
        Maps a float64 array (m, d) to outputs (m,) or (m, k).
    X : array-like of shape (n_samples, d)
    baseline : array-like of shape (d,) or (1, d)

    Returns
    -------
    values : ndarray of shape (n_samples, d) or (n_samples, d, k)
    base : float or ndarray of shape (k,)
        ``f(baseline)``.
    """
    b = np.asarray(baseline, dtype=np.float64)
    if b.ndim == 1:
        b = b[None, :]
    if b.ndim != 2 or b.shape[0] != 1:
        raise ValueError(f"baseline must be one point of shape (d,), got shape {b.shape}.")
    return exact_interventional_shapley(predict_fn, X, b, max_rows=max_rows)


def _tree_expectations(tree, x, member):
    """v(S) for every coalition: Lundberg's EXPVALUE (Algorithm 1), vectorised over S.

    Returns an array (2^d, n_outputs).
    """
    left = tree.children_left
    right = tree.children_right
    cover = tree.weighted_n_node_samples
    value = tree.value2d

    def rec(node):
        if left[node] < 0:
            return np.broadcast_to(value[node], (member.shape[0], value.shape[1]))
        j = tree.feature[node]
        xv = x[j]
        if np.isnan(xv):
            go_left = bool(tree.missing_go_to_left[node])
        else:
            go_left = xv <= tree.threshold[node]
        vl = rec(left[node])
        vr = rec(right[node])
        cn = cover[node]
        fl = cover[left[node]] / cn if cn > 0 else 0.0
        fr = cover[right[node]] / cn if cn > 0 else 0.0
        known = vl if go_left else vr
        return np.where(member[:, j][:, None], known, fl * vl + fr * vr)

    return rec(0)


def tree_path_shapley_brute(tree, X):
    """Path-dependent (cover-weighted) Shapley values of one tree by enumeration.

    ``v(S)`` is the tree's conditional expectation given the features in S: a feature in S
    routes by the sample (NaN by ``missing_go_to_left``), any other feature splits the mass
    between both children in proportion to their cover. This is the oracle for path-dependent
    TreeSHAP.

    Parameters
    ----------
    tree : glassworks.tree.Tree
    X : array-like of shape (n_samples, d), d <= 16

    Returns
    -------
    values : ndarray of shape (n_samples, d, n_outputs)
    base : ndarray of shape (n_outputs,)
        ``v(empty set)``.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}.")
    n, d = X.shape
    _check_d(d)
    if d != tree.n_features:
        raise ValueError(f"X has {d} features, but the tree was grown on {tree.n_features}.")
    member, _ = _masks(d)
    values = np.zeros((n, d, tree.n_outputs))
    base = None
    for i in range(n):
        v = _tree_expectations(tree, X[i], member)
        values[i] = shapley_from_coalition_values(np.ascontiguousarray(v), d)
        base = v[0].copy()
    if base is None:
        base = _tree_expectations(tree, np.zeros(d), member)[0].copy()
    return values, base
