"""Leaf-pattern tables: exact TreeSHAP of shallow trees at one pass over the nodes per sample.

Take a leaf whose root-to-leaf path tests ``m`` unique features, and call the *fail mask* of a
row the set of those features whose conditions on the path it violates. In both Shapley games
of this package, what a sample receives through that leaf depends on the sample only through
its fail mask ``R``:

- path-dependent TreeSHAP: the one fraction of feature j is ``o_j = [j not in R]`` and its
  zero fraction ``z_j`` (product of the cover shares of its splits on the path) is fixed, so
  ``phi_j = v (o_j - z_j) int_0^1 prod_{k != j} (z_k + (o_k - z_k) t) dt`` (the Beta-integral
  form of Linear TreeSHAP, Yu et al. 2022), a polynomial of degree m - 1 integrated exactly by
  Gauss-Legendre quadrature with ceil(m / 2) nodes;
- interventional TreeSHAP: the background enters only through the histogram of its own fail
  masks at that leaf (see :mod:`glassworks.shapley.interventional`).

So each leaf gets a table of its per-unit-value Shapley values for all 2^m fail masks, built
once per call (two sibling leaves share one value-weighted table, see :func:`leaf_patterns`);
a sample then costs one top-down pass over the splits (which yields every leaf's fail mask)
and m table reads per leaf or sibling pair, whatever the background size. Building a path
table costs O(2^m m ceil(m/2)) per leaf, so this pays for shallow trees (depth <= ~10)
explained on many rows; :func:`tree_table_stats` gives what the cost models need. Exact in
float64: tested against brute-force enumeration and against the other kernels.
"""

import numpy as np
from numba import njit, prange

from .._jit import internal
from .._parallel import with_serial_twin

__all__ = [
    "leaf_patterns",
    "leaf_table_kernel",
    "gauss_legendre_table",
    "tree_table_stats",
    "tabulable",
    "add_table_values",
    "TABLE_MAX_M",
    "TABLE_MAX_ENTRIES",
]

#: Trees whose leaves have at most this many unique path features may be tabulated.
TABLE_MAX_M = 12


@internal
@njit(cache=True, nogil=True)
def goes_left(v, thr, miss):
    if np.isnan(v):
        return miss != 0
    return v <= thr


@njit(cache=True, nogil=True)
def leaf_patterns(left, right, feature, ratio, roots, ends):
    """Unique path features of every leaf of every packed tree.

    Parameters
    ----------
    left, right, feature : int64 (n_nodes_total,)
        Packed trees (global node indices).
    ratio : float64 (n_nodes_total,)
        Cover share of each node in its parent's cover.
    roots, ends : int64 (n_trees,)
        Node range ``roots[t] .. ends[t] - 1`` of each tree.

    Returns
    -------
    slot : int64 (n_nodes_total,)
        At a split: the index of its feature among the unique features of its path (the
        first split on a feature opens a new slot; later splits on it reuse that slot).
    tree_ok : bool (n_trees,)
        False when a tree's children do not come after their parent (no table for it).
    tree_leaf_off : int64 (n_trees + 1,)
        The leaves of tree t are ``tree_leaf_off[t] .. tree_leaf_off[t + 1] - 1``.
    leaf_node, leaf_m : int64 (n_leaves,)
        Global node index and number of unique path features of each leaf.
    leaf_feat : int64 (n_leaves, width)
        Feature of each slot of the leaf's path.
    leaf_zero : float64 (n_leaves, width)
        Zero fraction of each slot: the product of the cover shares of its edges.
    tree_unit_off : int64 (n_trees + 1,)
        The table units of tree t are ``tree_unit_off[t] .. tree_unit_off[t + 1] - 1``.
    unit_a, unit_b, unit_bit : int64 (n_units,)
        A unit is one leaf ``unit_a`` (``unit_b = -1``) or two sibling leaves: then ``unit_a``
        is the right leaf, ``unit_b`` the left one and ``unit_bit`` the parent's slot. The
        pair's fail masks are (R, (R & ~bit) | lb << bit) with R the right leaf's and lb the
        left one's bit of that slot, so the pair needs one table of 2^(m+1) rows indexed by
        ``2 R + lb`` and one lookup.
    """
    n_nodes = left.shape[0]
    n_trees = roots.shape[0]
    slot = np.full(n_nodes, -1, dtype=np.int64)
    parent = np.full(n_nodes, -1, dtype=np.int64)
    m_above = np.zeros(n_nodes, dtype=np.int64)
    tree_ok = np.ones(n_trees, dtype=np.bool_)
    tree_leaf_off = np.zeros(n_trees + 1, dtype=np.int64)
    width = 1
    for t in range(n_trees):
        lo = roots[t]
        hi = ends[t]
        for node in range(lo, hi):
            if left[node] >= 0:
                if (left[node] <= node or right[node] <= node or left[node] >= hi
                        or right[node] >= hi):
                    tree_ok[t] = False
                    break
                parent[left[node]] = node
                parent[right[node]] = node
        count = 0
        if tree_ok[t]:
            # children come after their parent: one forward pass sees every parent first
            for node in range(lo, hi):
                p = parent[node]
                if p >= 0:
                    m_above[node] = m_above[p] + (1 if slot[p] == m_above[p] else 0)
                if left[node] >= 0:
                    f = feature[node]
                    s = m_above[node]
                    a = p
                    while a >= 0:
                        if feature[a] == f:
                            s = slot[a]
                            break
                        a = parent[a]
                    slot[node] = s
                else:
                    count += 1
                    width = max(width, m_above[node])
        tree_leaf_off[t + 1] = tree_leaf_off[t] + count
    n_leaves = tree_leaf_off[n_trees]
    leaf_node = np.empty(n_leaves, dtype=np.int64)
    leaf_m = np.empty(n_leaves, dtype=np.int64)
    leaf_feat = np.zeros((n_leaves, width), dtype=np.int64)
    leaf_zero = np.ones((n_leaves, width))
    for t in range(n_trees):
        if not tree_ok[t]:
            continue
        li = tree_leaf_off[t]
        for node in range(roots[t], ends[t]):
            if left[node] < 0:
                leaf_node[li] = node
                leaf_m[li] = m_above[node]
                k = node
                a = parent[node]
                while a >= 0:
                    s = slot[a]
                    leaf_feat[li, s] = feature[a]
                    leaf_zero[li, s] *= ratio[k]
                    k = a
                    a = parent[a]
                li += 1
    # sibling leaves under a split on a feature new to the path share one table
    leaf_of = np.full(n_nodes, -1, dtype=np.int64)
    for li in range(n_leaves):
        leaf_of[leaf_node[li]] = li
    tree_unit_off = np.zeros(n_trees + 1, dtype=np.int64)
    unit_a = np.empty(n_leaves, dtype=np.int64)
    unit_b = np.empty(n_leaves, dtype=np.int64)
    unit_bit = np.zeros(n_leaves, dtype=np.int64)
    u = 0
    for t in range(n_trees):
        if tree_ok[t]:
            for li in range(tree_leaf_off[t], tree_leaf_off[t + 1]):
                node = leaf_node[li]
                p = parent[node]
                if p >= 0 and left[left[p]] < 0 and left[right[p]] < 0:
                    if right[p] == node:
                        continue  # taken with its left sibling
                    unit_a[u] = leaf_of[right[p]]
                    unit_b[u] = li
                    unit_bit[u] = slot[p]
                else:
                    unit_a[u] = li
                    unit_b[u] = -1
                u += 1
        tree_unit_off[t + 1] = u
    return (slot, tree_ok, tree_leaf_off, leaf_node, leaf_m, leaf_feat, leaf_zero,
            tree_unit_off, unit_a[:u].copy(), unit_b[:u].copy(), unit_bit[:u].copy())


def gauss_legendre_table(max_m):
    """Gauss-Legendre nodes and weights on [0, 1]: row q holds the q-point rule (q >= 1)."""
    Q = max(1, (max_m + 1) // 2)
    tq = np.zeros((Q + 1, Q))
    wq = np.zeros((Q + 1, Q))
    for q in range(1, Q + 1):
        x, w = np.polynomial.legendre.leggauss(q)
        tq[q, :q] = (x + 1.0) / 2.0
        wq[q, :q] = w / 2.0
    return tq, wq


# -- one leaf's table --------------------------------------------------------------------------
@internal
@njit(cache=True, nogil=True)
def _path_leaf_table(m, z, gl_t, gl_w, table, t0):
    """Per-unit-value path-dependent Shapley values of one leaf for every fail mask."""
    nq = (m + 1) // 2
    size = np.int64(1) << m
    A = np.empty((m, nq))  # F_j(t_q) when the sample fails j: z_j (1 - t)
    B = np.empty((m, nq))  # F_j(t_q) when it passes j: z_j + (1 - z_j) t
    for j in range(m):
        zj = z[j]
        for q in range(nq):
            t = gl_t[nq, q]
            A[j, q] = zj * (1.0 - t)
            B[j, q] = zj + (1.0 - zj) * t
    # P[R, q] = prod_j F_j(t_q) for the fail mask R, built one feature at a time
    P = np.empty((size, nq))
    for q in range(nq):
        P[0, q] = 1.0
    cur = np.int64(1)
    for j in range(m):
        for R in range(cur):
            for q in range(nq):
                a = P[R, q]
                P[R + cur, q] = a * A[j, q]
                P[R, q] = a * B[j, q]
        cur *= 2
    # weights over F_j(t_q): phi_j = (o_j - z_j) sum_q w_q P[R, q] / F_j(t_q)
    iA = np.zeros((m, nq))
    iB = np.empty((m, nq))
    for j in range(m):
        for q in range(nq):
            w = gl_w[nq, q]
            if A[j, q] != 0.0:
                iA[j, q] = w / A[j, q]
            iB[j, q] = w / B[j, q]
    for R in range(size):
        base = t0 + R * m
        for j in range(m):
            s = 0.0
            if (R >> j) & 1:
                # a zero fraction of 0 makes the coefficient (and P) vanish
                for q in range(nq):
                    s += P[R, q] * iA[j, q]
                table[base + j] = -z[j] * s
            else:
                for q in range(nq):
                    s += P[R, q] * iB[j, q]
                table[base + j] = (1.0 - z[j]) * s


@internal
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


@internal
@njit(cache=True, nogil=True)
def _interventional_leaf_table(hist, h0, m, W, popc, inv_bg, table, t0):
    """Per-unit-value interventional Shapley values of one leaf for every fail mask, from the
    histogram of the background's fail masks at that leaf.

    A hybrid (x_S, z_~S) reaches the leaf iff the fail masks Fx and Fz are disjoint; then the
    leaf is a unanimity game on A = Fz (must come from x) and B = Fx (must come from z). With
    K[U][s] the number of background rows whose fail mask is a subset of U = ~Fx with s
    elements (a ranked subset-sum transform of the histogram):
        j in Fx:  -sum_s K[U][s] W(s, |Fx| - 1)
        j in U:    sum_s (K[U][s] - K[U \\ j][s]) W(s - 1, |Fx|)
    """
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


@internal
@njit(cache=True, nogil=True)
def _fail_masks(x, left, right, feature, threshold, missing, slot, internal, s0, s1, lo, fm):
    """Fail mask of x at every node of the tree rooted at ``lo`` (children after parents),
    ``fm[node - lo]``; its splits are ``internal[s0:s1]``, in node order."""
    fm[0] = 0
    for s in range(s0, s1):
        node = internal[s]
        k = node - lo
        v = x[feature[node]]
        # branch-free: the direction is a coin flip the predictor cannot learn
        g = np.int64(v <= threshold[node])
        if np.isnan(v):
            g = np.int64(missing[node] != 0)
        bit = np.int64(1) << slot[node]
        f = fm[k]
        fm[left[node] - lo] = f | (bit * (1 - g))
        fm[right[node] - lo] = f | (bit * g)


@internal
@njit(cache=True, nogil=True)
def _unit_table(table, t0, m, n_out, T, va, Tb, vb, bit):
    """Write a unit's value-weighted table: leaf a's entries at row R (lone leaf), or at rows
    2R + lb plus leaf b's entries for its mask ``(R & ~bit) | lb << bit`` (sibling pair)."""
    size = np.int64(1) << m
    pair = vb.shape[0] > 0
    hi = np.int64(1) << bit
    for key in range(2 * size if pair else size):
        R = key >> 1 if pair else key
        base = t0 + key * m * n_out
        ra = R * m
        rb = ((R & ~hi) | ((key & 1) << bit)) * m
        for j in range(m):
            ta = T[ra + j]
            for c in range(n_out):
                table[base + j * n_out + c] = ta * va[c]
            if pair:
                tb = Tb[rb + j]
                for c in range(n_out):
                    table[base + j * n_out + c] += tb * vb[c]


@with_serial_twin
@njit(cache=True, parallel=True, nogil=True)
def leaf_table_kernel(left, right, feature, threshold, missing, value, slot, internal,
                      int_lo, int_hi, tree_lo, tree_hi, tree_unit_off, unit_a, unit_b, unit_bit,
                      leaf_node, leaf_m, leaf_feat, leaf_zero, table_off, gl_t, gl_w, X,
                      background, interventional, n_threads, phi):
    """Add the exact TreeSHAP values of a group of trees to ``phi`` by leaf-pattern tables.

    Parameters
    ----------
    left, right, feature, threshold, missing, value : ndarray
        Packed trees (global node indices, values already weighted).
    slot : int64 (n_nodes_total,)
        From :func:`leaf_patterns`.
    internal, int_lo, int_hi : int64
        The splits of group tree t, in node order, are ``internal[int_lo[t]:int_hi[t]]``
        (global indices).
    tree_lo, tree_hi : int64 (n_group,)
        Node range of each tree of the group; its table units are
        ``tree_unit_off[t] .. tree_unit_off[t + 1] - 1`` of ``unit_a``, ``unit_b``,
        ``unit_bit`` (as from :func:`leaf_patterns`, indexing the leaf arrays ``leaf_node``,
        ``leaf_m``, ``leaf_feat``, ``leaf_zero``).
    table_off : int64 (n_units + 1,)
        Start of each unit's (2^m or 2^(m+1) for a pair, m, n_outputs) table.
    gl_t, gl_w : float64
        From :func:`gauss_legendre_table` (path-dependent only).
    X : float64 (n_samples, n_features), background : float64 (n_background, n_features)
        C-contiguous; the background is used only when ``interventional``.
    interventional : bool
        Interventional Shapley values over the whole background, else path-dependent.
    n_threads : int
        Threads the samples are shared between (sizes the sample blocks).
    phi : float64 (n_samples, n_features, n_outputs), accumulated into.
    """
    n = X.shape[0]
    n_bg = background.shape[0]
    n_group = tree_lo.shape[0]
    n_units = unit_a.shape[0]
    n_out = value.shape[1]
    max_m = 0
    max_nodes = 0
    for u in range(n_units):
        max_m = max(max_m, leaf_m[unit_a[u]])
    for t in range(n_group):
        max_nodes = max(max_nodes, tree_hi[t] - tree_lo[t])
    table = np.empty(table_off[n_units])
    no_value = np.empty(0)
    # (max_m - max_m, not 0: a literal would compile a second specialisation)
    W, popc = _weights_and_popcounts(max_m if interventional else max_m - max_m)
    hist_off = np.zeros(n_units + 1, dtype=np.int64)
    inv_bg = 1.0
    if interventional:
        # background fail-mask histograms: leaf a's, then leaf b's, for each unit
        for u in range(n_units):
            k = 2 if unit_b[u] >= 0 else 1
            hist_off[u + 1] = hist_off[u] + k * (np.int64(1) << leaf_m[unit_a[u]])
        inv_bg = 1.0 / n_bg
    hist = np.zeros(hist_off[n_units])
    if interventional:
        for t in prange(n_group):
            lo = tree_lo[t]
            hi = tree_hi[t]
            fm = np.empty(hi - lo, dtype=np.int64)
            for r in range(n_bg):
                _fail_masks(background[r], left, right, feature, threshold, missing, slot,
                            internal, int_lo[t], int_hi[t], lo, fm)
                for u in range(tree_unit_off[t], tree_unit_off[t + 1]):
                    hist[hist_off[u] + fm[leaf_node[unit_a[u]] - lo]] += 1.0
                    if unit_b[u] >= 0:
                        half = np.int64(1) << leaf_m[unit_a[u]]
                        hist[hist_off[u] + half + fm[leaf_node[unit_b[u]] - lo]] += 1.0
    for u in prange(n_units):
        a = unit_a[u]
        b = unit_b[u]
        m = leaf_m[a]
        if m == 0:
            continue
        size = np.int64(1) << m
        Ta = np.empty(size * m)
        Tb = np.empty(size * m if b >= 0 else 0)
        if interventional:
            _interventional_leaf_table(hist, hist_off[u], m, W, popc, inv_bg, Ta, 0)
            if b >= 0:
                _interventional_leaf_table(hist, hist_off[u] + size, m, W, popc, inv_bg, Tb, 0)
        else:
            _path_leaf_table(m, leaf_zero[a], gl_t, gl_w, Ta, 0)
            if b >= 0:
                _path_leaf_table(m, leaf_zero[b], gl_t, gl_w, Tb, 0)
        vb = value[leaf_node[b]] if b >= 0 else no_value
        _unit_table(table, table_off[u], m, n_out, Ta, value[leaf_node[a]], Tb, vb,
                    unit_bit[u])
    # samples in blocks, units in the inner loop over a block: a unit's table stays in cache
    # while the block's rows read it, so large blocks read each table fewer times (one block
    # per thread up to 1024 rows)
    block = max(64, min(1024, (n + n_threads - 1) // n_threads))
    n_blocks = (n + block - 1) // block
    mo = n_out
    for bi in prange(n_blocks):
        i0 = bi * block
        i1 = min(n, i0 + block)
        fm = np.empty(max_nodes, dtype=np.int64)
        for t in range(n_group):
            lo = tree_lo[t]
            hi = tree_hi[t]
            u0 = tree_unit_off[t]
            u1 = tree_unit_off[t + 1]
            mk = np.empty((u1 - u0, i1 - i0), dtype=np.int32)
            for i in range(i0, i1):
                _fail_masks(X[i], left, right, feature, threshold, missing, slot, internal,
                            int_lo[t], int_hi[t], lo, fm)
                for u in range(u0, u1):
                    key = fm[leaf_node[unit_a[u]] - lo]
                    b = unit_b[u]
                    if b >= 0:
                        key = 2 * key + ((fm[leaf_node[b] - lo] >> unit_bit[u]) & 1)
                    mk[u - u0, i - i0] = key
            for u in range(u0, u1):
                a = unit_a[u]
                m = leaf_m[a]
                t0 = table_off[u]
                for i in range(i0, i1):
                    base = t0 + mk[u - u0, i - i0] * m * mo
                    for j in range(m):
                        f = leaf_feat[a, j]
                        for c in range(mo):
                            phi[i, f, c] += table[base + j * mo + c]


#: Largest total size (floats) of the tables built at once (128 MB).
TABLE_MAX_ENTRIES = 1 << 24


def patterns(packed):
    """:func:`leaf_patterns` of a PackedTrees, computed once and kept on it."""
    pat = getattr(packed, "_patterns", None)
    if pat is None:
        pat = leaf_patterns(packed.left, packed.right, packed.feature, packed.ratio,
                            packed.roots, packed.ends)
        packed._patterns = pat
    return pat


def tree_table_stats(packed):
    """Per-tree figures for the cost models, computed once and kept on the PackedTrees.

    A dict of float arrays (n_trees,), sums over table units (see :func:`leaf_patterns`):
    ``max_m`` (largest m; above ``TABLE_MAX_M`` when the tree cannot be tabulated),
    ``entries`` (sum of 2^m m: the table size per output), ``path_build`` (sum over leaves of
    2^m m ceil(m/2)), ``interventional_build`` (sum over leaves of 2^m m (m+1)) and
    ``sum_m`` (table reads per sample).
    """
    stats = getattr(packed, "_table_stats", None)
    if stats is None:
        _, ok, _, _, leaf_m, _, _, off, unit_a, unit_b, _ = patterns(packed)
        n_trees = packed.n_trees
        stats = {key: np.zeros(n_trees) for key in
                 ("entries", "path_build", "interventional_build", "sum_m")}
        stats["max_m"] = np.full(n_trees, TABLE_MAX_M + 1, dtype=np.int64)
        has = np.diff(off) > 0
        if unit_a.shape[0]:
            starts = off[:-1][has]
            um = leaf_m[unit_a]
            lm = um.astype(np.float64)
            size = np.exp2(np.minimum(lm, 62)) * lm
            n_leaves = np.where(unit_b >= 0, 2.0, 1.0)  # a pair builds two leaf tables
            stats["max_m"][has] = np.maximum.reduceat(um, starts)
            stats["entries"][has] = np.add.reduceat(n_leaves * size, starts)
            stats["path_build"][has] = np.add.reduceat(
                n_leaves * size * np.maximum(1, (lm + 1) // 2), starts)
            stats["interventional_build"][has] = np.add.reduceat(n_leaves * size * (lm + 1),
                                                                 starts)
            stats["sum_m"][has] = np.add.reduceat(lm, starts)
        stats["max_m"][~ok] = TABLE_MAX_M + 1
        packed._table_stats = stats
    return stats


def tabulable(packed):
    """Which trees fit the tables: at most ``TABLE_MAX_M`` unique features on every path,
    at least one split, and a table of at most ``TABLE_MAX_ENTRIES`` floats."""
    st = tree_table_stats(packed)
    return ((st["max_m"] <= TABLE_MAX_M) & (packed.depths > 0)
            & (st["entries"] * packed.n_outputs <= TABLE_MAX_ENTRIES))


def add_table_values(packed, tree_idx, X, background, phi):
    """Add the table-computed TreeSHAP values of the trees ``tree_idx`` to ``phi``.

    Interventional over ``background`` when it is given, else path-dependent. The trees are
    taken in groups whose tables hold at most ``TABLE_MAX_ENTRIES`` floats, one kernel call
    per group.
    """
    import numba

    (slot, _, _, leaf_node, leaf_m, leaf_feat, leaf_zero, unit_off, unit_a, unit_b,
     unit_bit) = patterns(packed)
    st = tree_table_stats(packed)
    entries = st["entries"] * packed.n_outputs
    interventional = background is not None
    if background is None:
        background = np.zeros((0, X.shape[1]))
    gl_t, gl_w = gauss_legendre_table(int(st["max_m"][tree_idx].max()))
    internal = np.flatnonzero(packed.left >= 0)
    int_lo = np.searchsorted(internal, packed.roots)
    int_hi = np.searchsorted(internal, packed.ends)
    groups, cur, total = [], [], 0.0
    for t in tree_idx:
        if cur and total + entries[t] > TABLE_MAX_ENTRIES:
            groups.append(cur)
            cur, total = [], 0.0
        cur.append(t)
        total += entries[t]
    if cur:
        groups.append(cur)
    for g in groups:
        g = np.asarray(g, dtype=np.int64)
        units = np.concatenate([np.arange(unit_off[t], unit_off[t + 1]) for t in g])
        g_off = np.zeros(len(g) + 1, dtype=np.int64)
        np.cumsum(unit_off[g + 1] - unit_off[g], out=g_off[1:])
        ua = unit_a[units]
        um = leaf_m[ua]
        table_off = np.zeros(len(units) + 1, dtype=np.int64)
        rows = np.int64(1) << (um + (unit_b[units] >= 0))
        np.cumsum(rows * um * packed.n_outputs, out=table_off[1:])
        leaf_table_kernel(packed.left, packed.right, packed.feature, packed.threshold,
                          packed.missing, packed.value, slot, internal, int_lo[g], int_hi[g],
                          packed.roots[g], packed.ends[g],
                          g_off, ua, unit_b[units], unit_bit[units], leaf_node, leaf_m,
                          leaf_feat, leaf_zero, table_off, gl_t, gl_w, X, background,
                          interventional, numba.get_num_threads(), phi)
