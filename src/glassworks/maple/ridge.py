"""Batched weighted ridge regressions, one per query point, as Numba kernels.

For a query with neighbourhood weights ``w`` (see :mod:`.neighbourhood`) MAPLE fits

    min_{b, c}  sum_r w_r ||y_r - c - x_r b||^2 + alpha ||b||^2

(scikit-learn's ``Ridge(alpha).fit(X, y, sample_weight=w)``: the intercept is not penalised).
The estimators pass ``X`` standardised by the training rows' mean and standard deviation and
map the coefficients back, so that the penalty does not depend on the features' units.
With weighted means ``xbar``, ``ybar`` the solution is ``b = (Xc' W Xc + alpha I)^-1 Xc' W Yc``
and ``c = ybar - xbar b``. The Gram matrix is built only from the rows with non-zero weight,
and solved by a Cholesky factorisation ``L L'``.

Choosing how many features to keep needs no refit per count: features are put in rank order, so
the Gram matrix of the first ``k`` features is the leading ``k x k`` block of the full one, whose
Cholesky factor is the leading block of the full factor. With ``u = L^-1 (x - xbar)`` and
``z = L^-1 Xc' W Yc`` (both computed once, by forward substitution), the prediction with the
first ``k`` features is ``ybar + sum_{j<k} u_j z_j``: every count in O(d^2) after one O(d^3)
factorisation.
"""

import numpy as np
from numba import njit, prange

from .._jit import internal
from .neighbourhood import accumulate_weights


@internal
@njit(cache=True, nogil=True)
def _weighted_system(nt, touched, scratch, Xtr, Y, alpha, xbar, ybar, G, R, block, yblock):
    """Weighted means and the ridge normal equations of one neighbourhood, in place.

    ``G`` gets ``Xc' W Xc + alpha I`` and ``R`` gets ``Xc' W Yc`` (Xc, Yc centred by the
    weighted means). ``block``/``yblock`` are scratch of at least (nt, k) / (nt, m).
    """
    k = Xtr.shape[1]
    m = Y.shape[1]
    total = 0.0
    for j in range(k):
        xbar[j] = 0.0
    for o in range(m):
        ybar[o] = 0.0
    for a in range(nt):
        r = touched[a]
        w = scratch[r]
        total += w
        for j in range(k):
            xbar[j] += w * Xtr[r, j]
        for o in range(m):
            ybar[o] += w * Y[r, o]
    for j in range(k):
        xbar[j] /= total
    for o in range(m):
        ybar[o] /= total
    # rows scaled by sqrt(w) so that the Gram matrix is one matrix product (BLAS)
    for a in range(nt):
        r = touched[a]
        sw = np.sqrt(scratch[r])
        for j in range(k):
            block[a, j] = sw * (Xtr[r, j] - xbar[j])
        for o in range(m):
            yblock[a, o] = sw * (Y[r, o] - ybar[o])
    # BLAS gemm beats plain loops from one feature up (3-8x, measured); the callers pin BLAS
    # to one thread around these parallel kernels (``_classes._kernel_threads``), so each
    # Numba thread runs its own serial gemm
    B = block[:nt]
    G[:, :] = B.T @ B
    R[:, :] = B.T @ yblock[:nt]
    for j in range(k):
        G[j, j] += alpha


# reassociation lets LLVM vectorise the row dot products (NaN/inf semantics are kept)
@internal
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _cholesky_inplace(G, skip):
    """Lower Cholesky factor of G, written into G's lower triangle.

    A pivot that vanishes (a feature constant in the neighbourhood when ``alpha == 0``) drops
    that feature: ``skip[j]`` is set, its column becomes a unit vector and its coefficient 0.
    """
    k = G.shape[0]
    for j in range(k):
        d = G[j, j]
        for p in range(j):
            d -= G[j, p] * G[j, p]
        scale = G[j, j]
        if d <= 1e-12 * scale or d <= 0.0:
            skip[j] = True
            G[j, j] = 1.0
            for i in range(j + 1, k):
                G[i, j] = 0.0
            for p in range(j):
                G[j, p] = 0.0
            continue
        skip[j] = False
        ljj = np.sqrt(d)
        G[j, j] = ljj
        for i in range(j + 1, k):
            s = G[i, j]
            for p in range(j):
                s -= G[i, p] * G[j, p]
            G[i, j] = s / ljj


@internal
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _forward(L, skip, B):
    """Solve L Z = B in place (B of shape (k, m)); rows of skipped features are zeroed."""
    k = L.shape[0]
    for j in range(k):
        if skip[j]:
            for o in range(B.shape[1]):
                B[j, o] = 0.0
            continue
        for o in range(B.shape[1]):
            s = B[j, o]
            for p in range(j):
                s -= L[j, p] * B[p, o]
            B[j, o] = s / L[j, j]


@internal
@njit(cache=True, nogil=True)
def _backward(L, skip, B):
    """Solve L' X = B in place (B of shape (k, m))."""
    k = L.shape[0]
    for j in range(k - 1, -1, -1):
        if skip[j]:
            for o in range(B.shape[1]):
                B[j, o] = 0.0
            continue
        for o in range(B.shape[1]):
            s = B[j, o]
            for p in range(j + 1, k):
                s -= L[p, j] * B[p, o]
            B[j, o] = s / L[j, j]


@njit(cache=True, parallel=True, nogil=True)
def local_ridge_kernel(query_leaves, leaf_ptr, leaf_rows, bounds, Xtr, Y, alpha):
    """Coefficients (n_q, k, m) and intercepts (n_q, m) of every query's local ridge model.

    ``Xtr`` (n_train, k) holds only the kept features; ``Y`` is (n_train, m).
    """
    n_q = query_leaves.shape[0]
    n_train, k = Xtr.shape
    m = Y.shape[1]
    coef = np.zeros((n_q, k, m))
    intercept = np.zeros((n_q, m))
    for c in prange(bounds.shape[0] - 1):
        scratch = np.zeros(n_train)
        touched = np.empty(n_train, dtype=np.int64)
        block = np.empty((0, k))
        yblock = np.empty((0, m))
        xbar = np.empty(k)
        ybar = np.empty(m)
        G = np.empty((k, k))
        R = np.empty((k, m))
        skip = np.zeros(k, dtype=np.bool_)
        for q in range(bounds[c], bounds[c + 1]):
            nt = accumulate_weights(query_leaves[q], leaf_ptr, leaf_rows, scratch, touched)
            if nt > block.shape[0]:
                # grown on demand: a neighbourhood is usually far smaller than n_train
                size = min(n_train, 2 * nt)
                block = np.empty((size, block.shape[1]))
                yblock = np.empty((size, m))
            _weighted_system(nt, touched, scratch, Xtr, Y, alpha, xbar, ybar, G, R, block, yblock)
            _cholesky_inplace(G, skip)
            _forward(G, skip, R)
            _backward(G, skip, R)
            for o in range(m):
                s = ybar[o]
                for j in range(k):
                    coef[q, j, o] = R[j, o]
                    s -= xbar[j] * R[j, o]
                intercept[q, o] = s
            for j in range(nt):
                scratch[touched[j]] = 0.0
    return coef, intercept


@njit(cache=True, parallel=True, nogil=True)
def selection_sse_kernel(query_leaves, leaf_ptr, leaf_rows, bounds, Xtr, Y, Xq, Yq, alpha):
    """Squared error of every query's local prediction for every feature count.

    ``Xtr`` (n_train, d) and ``Xq`` (n_q, d) have their columns in rank order; the result
    ``sse[q, k - 1]`` is ``||Yq[q] - prediction with the first k features||^2`` (summed over
    the m outputs), shape (n_q, d).
    """
    n_q = query_leaves.shape[0]
    n_train, d = Xtr.shape
    m = Y.shape[1]
    sse = np.zeros((n_q, d))
    for c in prange(bounds.shape[0] - 1):
        scratch = np.zeros(n_train)
        touched = np.empty(n_train, dtype=np.int64)
        block = np.empty((0, d))
        yblock = np.empty((0, m))
        xbar = np.empty(d)
        ybar = np.empty(m)
        G = np.empty((d, d))
        R = np.empty((d, m))
        u = np.empty((d, 1))
        pred = np.empty(m)
        skip = np.zeros(d, dtype=np.bool_)
        for q in range(bounds[c], bounds[c + 1]):
            nt = accumulate_weights(query_leaves[q], leaf_ptr, leaf_rows, scratch, touched)
            if nt > block.shape[0]:
                # grown on demand: a neighbourhood is usually far smaller than n_train
                size = min(n_train, 2 * nt)
                block = np.empty((size, block.shape[1]))
                yblock = np.empty((size, m))
            _weighted_system(nt, touched, scratch, Xtr, Y, alpha, xbar, ybar, G, R, block, yblock)
            _cholesky_inplace(G, skip)
            _forward(G, skip, R)
            for j in range(d):
                u[j, 0] = Xq[q, j] - xbar[j]
            _forward(G, skip, u)
            for o in range(m):
                pred[o] = ybar[o]
            for j in range(d):
                s = 0.0
                for o in range(m):
                    pred[o] += u[j, 0] * R[j, o]
                    s += (Yq[q, o] - pred[o]) ** 2
                sse[q, j] = s
            for j in range(nt):
                scratch[touched[j]] = 0.0
    return sse
