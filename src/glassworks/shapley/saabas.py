"""Saabas path contributions: the change of the node value along the decision path.

Walking a sample from the root to its leaf, each split moves the node value from
``value[node]`` to ``value[child]``; that difference is credited to the split's feature.
The contributions add up to ``leaf value - root value`` exactly (a telescoping sum).
"""

import numpy as np
from numba import njit, prange

from .._parallel import with_serial_twin

from .treeshap import check_X, pack_trees, serial_if_small

__all__ = ["saabas", "saabas_values", "saabas_kernel"]


@with_serial_twin
@njit(cache=True, parallel=True, nogil=True)
def saabas_kernel(left, right, feature, threshold, missing, value, roots, X):
    """Path contributions of every row of X, summed over the packed trees.

    Returns
    -------
    phi : float64 ndarray (n_samples, n_features, n_outputs)
    """
    n, d = X.shape
    n_out = value.shape[1]
    phi = np.zeros((n, d, n_out))
    for i in prange(n):
        for t in range(roots.shape[0]):
            node = roots[t]
            while left[node] >= 0:
                j = feature[node]
                v = X[i, j]
                if np.isnan(v):
                    go_left = missing[node] != 0
                else:
                    go_left = v <= threshold[node]
                child = left[node] if go_left else right[node]
                for c in range(n_out):
                    phi[i, j, c] += value[child, c] - value[node, c]
                node = child
    return phi


def saabas_values(packed, X):
    """Saabas contributions (n, d, n_outputs) of a :class:`PackedTrees`."""
    with serial_if_small(X.shape[0] * packed.n_trees * (packed.max_depth + 1) * 50):
        return saabas_kernel(packed.left, packed.right, packed.feature, packed.threshold,
                             packed.missing, packed.value, packed.roots, X)


def saabas(trees, X, tree_weights=None):
    """Saabas path contributions of a tree or an ensemble, on plain arrays.

    Parameters
    ----------
    trees : Tree, list of Tree, or PackedTrees
    X : array-like of shape (n_samples, n_features)
    tree_weights : array-like of shape (n_trees,) or None
        Ensemble output is ``sum_t w_t * tree_t(x)``; default ``1 / n_trees``.

    Returns
    -------
    values : ndarray of shape (n_samples, n_features, n_outputs)
    base : ndarray of shape (n_outputs,)
        The weighted sum of the root values; ``base + values.sum(axis=1)`` is the output.
    """
    packed = pack_trees(trees, tree_weights)
    X = check_X(X, packed.n_features)
    values = saabas_values(packed, X)
    base = packed.value[packed.roots].sum(axis=0)
    return values, base
