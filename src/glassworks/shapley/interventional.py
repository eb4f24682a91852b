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
background's histogram (see "leaf-pattern tables" below) and a sample then costs one pass
over the nodes, independent of the background size. :func:`interventional_values` picks the
cheaper way per tree; both are exact and tested against each other and against enumeration.
"""

import numpy as np
from numba import njit, prange

from .treeshap import check_X, pack_trees, serial_if_small

__all__ = [
    "tree_shap_interventional",
    "interventional_values",
    "interventional_shap_kernel",
    "table_kernel",
    "ensemble_predict_kernel",
]


@njit(cache=True, nogil=True)
def _goes_left(v, thr, miss):
    if np.isnan(v):
        return miss != 0
    return v <= thr


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


# -- leaf-pattern tables (shallow trees) ------------------------------------------------------
# For one leaf with m unique path features, call the "fail mask" of a row the set of those
# features whose conditions on the path it violates. A hybrid (x_S, z_~S) reaches the leaf iff
# Fz and Fx are disjoint; then A = Fz (x passes, z fails) and B = Fx. So, for a fixed leaf, the
# background's contribution to x depends on x only through Fx: with K[U][s] the number of
# background rows whose fail mask is a subset of U = ~Fx with s elements (a ranked subset-sum
# transform of the fail-mask histogram), the per-unit-value Shapley values are
#     j in Fx:  -sum_s K[U][s] W(s, |Fx| - 1)
#     j in U:    sum_s (K[U][s] - K[U \ j][s]) W(s - 1, |Fx|)
# Tabulating all 2^m masks per leaf costs O(2^m m^2) once per tree, after which a sample costs
# one pass over the nodes and O(m) per leaf, whatever the background size.
@njit(cache=True, nogil=True)
def _tree_slots(left, right, feature, lo, hi):
    n = hi - lo
    parent = np.full(n, -1, dtype=np.int64)
    slot = np.full(n, -1, dtype=np.int64)
    m_above = np.zeros(n, dtype=np.int64)
    for k in range(n):
        node = lo + k
        if left[node] >= 0:
            if left[node] <= node or right[node] <= node:
                return parent, slot, m_above, False
            parent[left[node] - lo] = k
            parent[right[node] - lo] = k
    for k in range(n):
        p = parent[k]
        if p >= 0:
            # children inherit the parent's count, plus one when the parent's feature is new
            m_above[k] = m_above[p] + (1 if slot[p] == m_above[p] else 0)
        node = lo + k
        if left[node] >= 0:
            f = feature[node]
            s = m_above[k]
            a = p
            while a >= 0:
                if feature[lo + a] == f:
                    s = slot[a]
                    break
                a = parent[a]
            slot[k] = s
    return parent, slot, m_above, True


@njit(cache=True, nogil=True)
def _leaf_info(left, feature, lo, hi, parent, slot, m_above):
    n = hi - lo
    n_leaves = 0
    max_m = 0
    for k in range(n):
        if left[lo + k] < 0:
            n_leaves += 1
            max_m = max(max_m, m_above[k])
    leaf_k = np.empty(n_leaves, dtype=np.int64)
    leaf_m = np.empty(n_leaves, dtype=np.int64)
    leaf_feat = np.zeros((n_leaves, max(max_m, 1)), dtype=np.int64)
    li = 0
    for k in range(n):
        if left[lo + k] < 0:
            leaf_k[li] = k
            leaf_m[li] = m_above[k]
            a = parent[k]
            while a >= 0:
                leaf_feat[li, slot[a]] = feature[lo + a]
                a = parent[a]
            li += 1
    return leaf_k, leaf_m, leaf_feat


@njit(cache=True, nogil=True)
def _fail_masks(x, left, right, feature, threshold, missing, slot, lo, hi, fm):
    fm[0] = 0
    for k in range(hi - lo):
        node = lo + k
        if left[node] >= 0:
            bit = np.int64(1) << slot[node]
            if _goes_left(x[feature[node]], threshold[node], missing[node]):
                fm[left[node] - lo] = fm[k]
                fm[right[node] - lo] = fm[k] | bit
            else:
                fm[left[node] - lo] = fm[k] | bit
                fm[right[node] - lo] = fm[k]


@njit(cache=True, nogil=True)
def _weights_and_popcounts(max_m):
    # W[a, b] = a! b! / (a + b + 1)! = 1 / ((a + b + 1) C(a + b, a))
    M = max_m + 2
    W = np.zeros((M, M))
    for a in range(M):
        for b in range(M):
            cb = 1.0
            for i in range(1, a + 1):
                cb = cb * (b + i) / i
            W[a, b] = 1.0 / ((a + b + 1) * cb)
    popc = np.zeros(np.int64(1) << max_m, dtype=np.int64)
    for u in range(1, popc.shape[0]):
        popc[u] = popc[u >> 1] + (u & 1)
    return W, popc


@njit(cache=True, nogil=True)
def _leaf_table(hist, h0, m, W, popc, inv_bg, table, t0):
    """Fill one leaf's (2^m, m) table from its background fail-mask histogram."""
    size = np.int64(1) << m
    full = size - 1
    K = np.zeros((size, m + 1))
    for F in range(size):
        K[F, popc[F]] = hist[h0 + F]
    for j in range(m):
        bit = np.int64(1) << j
        for U in range(size):
            if U & bit:
                for s in range(m + 1):
                    K[U, s] += K[U ^ bit, s]
    for U in range(size):
        R = full ^ U
        r = m - popc[U]
        base = t0 + R * m
        b = 0.0
        if r >= 1:
            for s in range(m + 1):
                b += K[U, s] * W[s, r - 1]
            b *= -inv_bg
        for j in range(m):
            bit = np.int64(1) << j
            if R & bit:
                table[base + j] = b
            else:
                a = 0.0
                V = U ^ bit
                for s in range(1, m + 1):
                    a += (K[U, s] - K[V, s]) * W[s - 1, r]
                table[base + j] = a * inv_bg


@njit(cache=True, parallel=True, nogil=True)
def table_kernel(left, right, feature, threshold, missing, value, slot, tree_lo, tree_hi,
                 tree_leaf_off, leaf_node, leaf_m, leaf_feat, table_off, X, background, phi):
    """Add the exact interventional Shapley values of a group of trees to ``phi``.

    Parameters
    ----------
    slot : int64 (n_nodes_total,)
        Slot of each split's feature among its path's unique features (global node index).
    tree_lo, tree_hi : int64 (n_group,)
        Node range of each tree of the group; its leaves are
        ``tree_leaf_off[t] .. tree_leaf_off[t + 1] - 1`` of ``leaf_node`` (global index),
        ``leaf_m`` (unique features), ``leaf_feat`` (n_leaves, max_m: feature of each slot).
    table_off : int64 (n_leaves + 1,)
        Start of each leaf's (2^m, m) table in the flat table.
    X, background : float64, C-contiguous.
    phi : float64 (n_samples, n_features, n_outputs), accumulated into.
    """
    n = X.shape[0]
    n_bg = background.shape[0]
    n_group = tree_lo.shape[0]
    n_leaves = leaf_node.shape[0]
    n_out = value.shape[1]
    max_m = 0
    max_nodes = 0
    for li in range(n_leaves):
        max_m = max(max_m, leaf_m[li])
    for t in range(n_group):
        max_nodes = max(max_nodes, tree_hi[t] - tree_lo[t])
    W, popc = _weights_and_popcounts(max_m)
    hist_off = np.zeros(n_leaves + 1, dtype=np.int64)
    for li in range(n_leaves):
        hist_off[li + 1] = hist_off[li] + (np.int64(1) << leaf_m[li])
    hist = np.zeros(hist_off[n_leaves])
    table = np.empty(table_off[n_leaves])
    inv_bg = 1.0 / n_bg
    # one parallel region builds every tree's tables, one more applies them
    for t in prange(n_group):
        lo = tree_lo[t]
        hi = tree_hi[t]
        fm = np.empty(hi - lo, dtype=np.int64)
        for r in range(n_bg):
            _fail_masks(background[r], left, right, feature, threshold, missing, slot, lo, hi,
                        fm)
            for li in range(tree_leaf_off[t], tree_leaf_off[t + 1]):
                hist[hist_off[li] + fm[leaf_node[li] - lo]] += 1.0
        for li in range(tree_leaf_off[t], tree_leaf_off[t + 1]):
            _leaf_table(hist, hist_off[li], leaf_m[li], W, popc, inv_bg, table, table_off[li])
    # samples in blocks, leaves in the inner loop over a block: a leaf's table stays in cache
    block = 64
    n_blocks = (n + block - 1) // block
    for bi in prange(n_blocks):
        i0 = bi * block
        i1 = min(n, i0 + block)
        fm = np.empty(max_nodes, dtype=np.int64)
        masks = np.empty(i1 - i0, dtype=np.int64)
        for t in range(n_group):
            lo = tree_lo[t]
            hi = tree_hi[t]
            l0 = tree_leaf_off[t]
            l1 = tree_leaf_off[t + 1]
            mk = np.empty((i1 - i0, l1 - l0), dtype=np.int64)
            for i in range(i0, i1):
                _fail_masks(X[i], left, right, feature, threshold, missing, slot, lo, hi, fm)
                for li in range(l0, l1):
                    mk[i - i0, li - l0] = fm[leaf_node[li] - lo]
            for li in range(l0, l1):
                m = leaf_m[li]
                node = leaf_node[li]
                t0 = table_off[li]
                for i in range(i0, i1):
                    base = t0 + mk[i - i0, li - l0] * m
                    for j in range(m):
                        w = table[base + j]
                        if w != 0.0:
                            f = leaf_feat[li, j]
                            for c in range(n_out):
                                phi[i, f, c] += w * value[node, c]


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


#: Trees whose leaves have at most this many unique path features may be tabulated.
TABLE_MAX_M = 12
#: Largest total size (floats) of the tables built at once (128 MB).
TABLE_MAX_ENTRIES = 1 << 24
_ALGORITHMS = ("auto", "table", "traversal")


def interventional_values(packed, X, background, algorithm="auto"):
    """Exact interventional Shapley values (n, d, n_outputs) of a :class:`PackedTrees`.

    Each tree is explained either by leaf-pattern tables (cost independent of the background
    size once built; chosen for shallow trees when it is cheaper) or by the pairwise
    traversal; ``algorithm`` forces one ("table" still needs the tree to fit the table limits).
    Both give the same values. Tables are built for groups of trees of bounded total size,
    each group in one kernel call.
    """
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"algorithm must be one of {_ALGORITHMS}, got {algorithm!r}.")
    n, d = X.shape
    n_bg = background.shape[0]
    with serial_if_small(n * packed.left.shape[0] * (1 + min(n_bg, 8))):
        return _interventional_values(packed, X, background, algorithm)


def _interventional_values(packed, X, background, algorithm):
    n, d = X.shape
    n_bg = background.shape[0]
    phi = np.zeros((n, d, packed.n_outputs))
    args = (packed.left, packed.right, packed.feature, packed.threshold, packed.missing)
    slot = np.full(packed.left.shape[0], -1, dtype=np.int64)
    rest = []
    group = []  # (lo, hi, leaf_node, leaf_m, leaf_feat, sizes)
    group_entries = 0

    def flush():
        if not group:
            return
        lo = np.array([g[0] for g in group], dtype=np.int64)
        hi = np.array([g[1] for g in group], dtype=np.int64)
        leaf_off = np.zeros(len(group) + 1, dtype=np.int64)
        np.cumsum([len(g[2]) for g in group], out=leaf_off[1:])
        leaf_node = np.concatenate([g[2] for g in group])
        leaf_m = np.concatenate([g[3] for g in group])
        width = max(g[4].shape[1] for g in group)
        leaf_feat = np.zeros((len(leaf_node), width), dtype=np.int64)
        for g, l0 in zip(group, leaf_off[:-1]):
            leaf_feat[l0:l0 + len(g[2]), : g[4].shape[1]] = g[4]
        sizes = np.concatenate([g[5] for g in group])
        table_off = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=table_off[1:])
        table_kernel(*args, packed.value, slot, lo, hi, leaf_off, leaf_node, leaf_m, leaf_feat,
                     table_off, X, background, phi)
        group.clear()

    for t in range(packed.n_trees):
        lo, hi = int(packed.roots[t]), int(packed.ends[t])
        if algorithm != "traversal" and packed.depths[t] > 0:
            parent, tslot, m_above, ok = _tree_slots(packed.left, packed.right, packed.feature,
                                                     lo, hi)
            if ok:
                leaf_k, leaf_m, leaf_feat = _leaf_info(packed.left, packed.feature, lo, hi,
                                                       parent, tslot, m_above)
                if leaf_m.max() <= TABLE_MAX_M:
                    sizes = (np.int64(1) << leaf_m) * leaf_m
                    entries = int(sizes.sum())
                    # rough operation counts of the two ways (calibrated on depth-8 trees)
                    table_cost = 2.0 * float(np.sum(sizes * (leaf_m + 1))) + (n + n_bg) * (hi - lo)
                    traversal_cost = 6.0 * n * n_bg * (packed.depths[t] + 1)
                    if entries <= TABLE_MAX_ENTRIES and (
                        algorithm == "table" or table_cost <= traversal_cost
                    ):
                        if group_entries + entries > TABLE_MAX_ENTRIES:
                            flush()
                            group_entries = 0
                        slot[lo:hi] = tslot
                        group.append((lo, hi, leaf_k + lo, leaf_m, leaf_feat, sizes))
                        group_entries += entries
                        continue
        rest.append(lo)
    flush()
    if rest:
        phi += interventional_shap_kernel(*args, packed.value, np.array(rest, dtype=np.int64),
                                          packed.max_depth, X, background)
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
