"""Path-dependent TreeSHAP (Lundberg et al. 2018/2020, Algorithm 2) as a Numba kernel.

The value function is the tree's own cover-weighted conditional expectation: a feature in the
coalition routes by the sample, a feature outside it splits the mass between both children in
proportion to their cover (``weighted_n_node_samples``). Algorithm 2 tracks, along the current
root-to-node path, the *unique* features met so far with their zero fraction (the cover share
when the feature is left out) and one fraction (1 when the sample follows this branch), and the
polynomial weights of all subset sizes (EXTEND). A feature met a second time is first removed
from the path (UNWIND) and re-added with the product of its fractions. At a leaf the
contribution of each path feature is the leaf value times the unwound weight sum.

The recursion is run as an explicit depth-first stack: one path buffer per tree level, so a
child copies its parent's path from the level above, which no deeper node ever overwrites.

Shallow trees explained on many rows go faster by leaf-pattern tables
(:mod:`glassworks.shapley._tables`); :func:`path_values` picks per tree.

This module also holds :func:`pack_trees`, which concatenates a list of :class:`Tree` into the
flat arrays every kernel of this package takes (one kernel call covers a whole forest).
"""

import numpy as np
from numba import njit, prange

from .._jit import internal
from .._parallel import with_serial_twin

from ._tables import add_table_values, tabulable, tree_table_stats

__all__ = [
    "pack_trees",
    "tree_shap_path",
    "path_values",
    "path_shap_kernel",
    "linear_path_shap_kernel",
    "path_base_kernel",
]


# -- packing ---------------------------------------------------------------------------------
class PackedTrees:
    """A list of trees as concatenated flat arrays with global node indices.

    Attributes
    ----------
    left, right : int64 (n_nodes_total,)
        Children as global node indices, ``-1`` at a leaf.
    feature : int64, threshold : float64, missing : uint8
        The split of each node (see :mod:`glassworks.tree._tree`).
    value : float64 (n_nodes_total, n_outputs)
        Node values already multiplied by their tree's weight, so the ensemble output is the
        plain sum over trees of the leaf values.
    cover : float64 (n_nodes_total,)
        ``weighted_n_node_samples``.
    roots : int64 (n_trees,)
        Global index of each tree's root.
    max_depth : int
        Largest tree depth.
    n_features, n_outputs : int
    """

    def __init__(self, trees, tree_weights=None):
        trees = _as_tree_list(trees)
        n_trees = len(trees)
        weights = _check_tree_weights(tree_weights, n_trees)
        n_outputs = trees[0].n_outputs
        n_features = trees[0].n_features
        for t in trees:
            if t.n_outputs != n_outputs:
                raise ValueError(
                    "All trees must have the same number of outputs; got "
                    f"{n_outputs} and {t.n_outputs}."
                )
            if t.n_features != n_features:
                raise ValueError(
                    "All trees must have the same number of features; got "
                    f"{n_features} and {t.n_features}."
                )
        sizes = np.array([t.node_count for t in trees], dtype=np.int64)
        offsets = np.zeros(n_trees + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        self.roots = offsets[:-1].copy()
        left, right = [], []
        for off, t in zip(self.roots, trees):
            left.append(np.where(t.children_left >= 0, t.children_left + off, -1))
            right.append(np.where(t.children_right >= 0, t.children_right + off, -1))
        self.left = np.ascontiguousarray(np.concatenate(left), dtype=np.int64)
        self.right = np.ascontiguousarray(np.concatenate(right), dtype=np.int64)
        self.feature = np.ascontiguousarray(
            np.concatenate([t.feature for t in trees]), dtype=np.int64
        )
        self.threshold = np.ascontiguousarray(
            np.concatenate([t.threshold for t in trees]), dtype=np.float64
        )
        self.missing = np.ascontiguousarray(
            np.concatenate([t.missing_go_to_left for t in trees]), dtype=np.uint8
        )
        self.value = np.ascontiguousarray(
            np.concatenate([t.value2d * w for t, w in zip(trees, weights)]), dtype=np.float64
        )
        self.cover = np.ascontiguousarray(
            np.concatenate([t.weighted_n_node_samples for t in trees]), dtype=np.float64
        )
        internal = self.left >= 0
        # cover share of each node in its parent's cover: the zero fraction of TreeSHAP
        self.ratio = np.ones(self.left.shape[0])
        parent_cover = np.repeat(self.cover[internal], 2)
        kids = np.stack([self.left[internal], self.right[internal]], axis=1).reshape(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.ratio[kids] = np.where(parent_cover > 0, self.cover[kids] / parent_cover, 0.0)
        if np.any(self.feature[internal] < 0) or np.any(self.feature[internal] >= n_features):
            raise ValueError("A split node tests a feature index outside [0, n_features).")
        if np.any(~np.isfinite(self.cover)) or np.any(self.cover < 0):
            raise ValueError("Node covers (weighted_n_node_samples) must be finite and >= 0.")
        self.depths = tree_depths_kernel(self.left, self.right, self.roots)
        self.max_depth = int(self.depths.max())
        self.ends = offsets[1:].copy()
        self.n_features = n_features
        self.n_outputs = n_outputs
        self.n_trees = n_trees
        self.tree_weights = weights

    def walk_args(self):
        return self.left, self.right, self.feature, self.threshold, self.missing


def pack_trees(trees, tree_weights=None):
    """Concatenate ``trees`` into one :class:`PackedTrees` (values scaled by ``tree_weights``).

    Parameters
    ----------
    trees : Tree or list of Tree
    tree_weights : array-like of shape (n_trees,) or None
        Weight of each tree in the ensemble output ``sum_t w_t * tree_t(x)``; default
        ``1 / n_trees`` each (a forest's average).

    Returns
    -------
    PackedTrees
    """
    if isinstance(trees, PackedTrees):
        return trees
    return PackedTrees(trees, tree_weights)


def _as_tree_list(trees):
    from ..tree._tree import Tree

    if isinstance(trees, Tree):
        trees = [trees]
    trees = list(trees)
    if not trees:
        raise ValueError("trees is empty: give at least one Tree.")
    for t in trees:
        if not isinstance(t, Tree):
            raise ValueError(
                f"trees must hold glassworks Tree objects, got {type(t).__name__}; wrap a "
                "scikit-learn tree with Tree.from_sklearn(model.tree_)."
            )
    return trees


def _check_tree_weights(tree_weights, n_trees):
    if tree_weights is None:
        return np.full(n_trees, 1.0 / n_trees)
    w = np.asarray(tree_weights, dtype=np.float64).reshape(-1)
    if w.shape[0] != n_trees:
        raise ValueError(f"tree_weights has {w.shape[0]} entries for {n_trees} trees.")
    if not np.all(np.isfinite(w)):
        raise ValueError("tree_weights must be finite.")
    return w.copy()


def check_X(X, n_features, name="X"):
    """A fresh-or-unchanged C-contiguous float64 2-D copy-safe view of ``X``, checked."""
    from .._validation import reject_non_numeric

    reject_non_numeric(X)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}.")
    if X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features, but the trees were grown on {n_features}."
        )
    return np.ascontiguousarray(X)


# -- kernel ----------------------------------------------------------------------------------
@internal
@njit(cache=True, nogil=True)
def _extend(pfeat, pzero, pone, pw, ud, zf, of, fi):
    pfeat[ud] = fi
    pzero[ud] = zf
    pone[ud] = of
    pw[ud] = 1.0 if ud == 0 else 0.0
    for i in range(ud - 1, -1, -1):
        pw[i + 1] += of * pw[i] * (i + 1) / (ud + 1)
        pw[i] = zf * pw[i] * (ud - i) / (ud + 1)


@internal
@njit(cache=True, nogil=True)
def _unwind(pfeat, pzero, pone, pw, ud, idx):
    one = pone[idx]
    zero = pzero[idx]
    nxt = pw[ud]
    for i in range(ud - 1, -1, -1):
        if one != 0.0:
            tmp = pw[i]
            pw[i] = nxt * (ud + 1) / ((i + 1) * one)
            nxt = tmp - pw[i] * zero * (ud - i) / (ud + 1)
        else:
            pw[i] = pw[i] * (ud + 1) / (zero * (ud - i))
    for i in range(idx, ud):
        pfeat[i] = pfeat[i + 1]
        pzero[i] = pzero[i + 1]
        pone[i] = pone[i + 1]


@internal
@njit(cache=True, nogil=True)
def _unwound_sum(pzero, pone, pw, ud, idx):
    one = pone[idx]
    zero = pzero[idx]
    total = 0.0
    if one != 0.0:
        nxt = pw[ud]
        for i in range(ud - 1, -1, -1):
            tmp = nxt * (ud + 1) / ((i + 1) * one)
            total += tmp
            nxt = pw[i] - tmp * zero * (ud - i) / (ud + 1)
    else:
        for i in range(ud - 1, -1, -1):
            total += pw[i] * (ud + 1) / (zero * (ud - i))
    return total


@internal
@njit(cache=True, nogil=True)
def _shap_one_tree(x, root, left, right, feature, threshold, missing, value, cover, phi,
                   pfeat, pzero, pone, pw, s_node, s_ud, s_zf, s_of, s_fi, s_lvl):
    n_out = value.shape[1]
    sp = 0
    s_node[0] = root
    s_ud[0] = 0
    s_zf[0] = 1.0
    s_of[0] = 1.0
    s_fi[0] = -1
    s_lvl[0] = 0
    sp = 1
    while sp > 0:
        sp -= 1
        node = s_node[sp]
        ud = s_ud[sp]
        lvl = s_lvl[sp]
        if lvl > 0:
            for j in range(ud):
                pfeat[lvl, j] = pfeat[lvl - 1, j]
                pzero[lvl, j] = pzero[lvl - 1, j]
                pone[lvl, j] = pone[lvl - 1, j]
                pw[lvl, j] = pw[lvl - 1, j]
        f_ = pfeat[lvl]
        z_ = pzero[lvl]
        o_ = pone[lvl]
        w_ = pw[lvl]
        _extend(f_, z_, o_, w_, ud, s_zf[sp], s_of[sp], s_fi[sp])
        if left[node] < 0:
            for i in range(1, ud + 1):
                s = _unwound_sum(z_, o_, w_, ud, i) * (o_[i] - z_[i])
                fi = f_[i]
                for c in range(n_out):
                    phi[fi, c] += s * value[node, c]
            continue
        split = feature[node]
        v = x[split]
        if np.isnan(v):
            go_left = missing[node] != 0
        else:
            go_left = v <= threshold[node]
        if go_left:
            hot = left[node]
            cold = right[node]
        else:
            hot = right[node]
            cold = left[node]
        cn = cover[node]
        if cn > 0.0:
            hz = cover[hot] / cn
            cz = cover[cold] / cn
        else:
            hz = 0.0
            cz = 0.0
        iz = 1.0
        io = 1.0
        k = 1
        while k <= ud:
            if f_[k] == split:
                break
            k += 1
        if k <= ud:
            iz = z_[k]
            io = o_[k]
            _unwind(f_, z_, o_, w_, ud, k)
            ud -= 1
        # a branch whose zero and one fractions are both 0 contributes nothing (and would
        # divide by zero when unwound): skip it.
        if cz * iz != 0.0:
            s_node[sp] = cold
            s_ud[sp] = ud + 1
            s_zf[sp] = cz * iz
            s_of[sp] = 0.0
            s_fi[sp] = split
            s_lvl[sp] = lvl + 1
            sp += 1
        if hz * iz != 0.0 or io != 0.0:
            s_node[sp] = hot
            s_ud[sp] = ud + 1
            s_zf[sp] = hz * iz
            s_of[sp] = io
            s_fi[sp] = split
            s_lvl[sp] = lvl + 1
            sp += 1


@with_serial_twin
@njit(cache=True, parallel=True, nogil=True)
def path_shap_kernel(left, right, feature, threshold, missing, value, cover, roots, max_depth, X):
    """Path-dependent TreeSHAP values of every row of X, summed over the packed trees.

    Parameters
    ----------
    left, right, feature, threshold, missing, value, cover, roots : ndarray
        A :class:`PackedTrees` (global node indices, values already weighted).
    max_depth : int
        Largest depth of the packed trees (sizes the path buffers).
    X : float64 ndarray (n_samples, n_features), C-contiguous; NaN follows ``missing``.

    Returns
    -------
    phi : float64 ndarray (n_samples, n_features, n_outputs)
    """
    n, d = X.shape
    n_out = value.shape[1]
    n_trees = roots.shape[0]
    L = max_depth + 2
    phi = np.zeros((n, d, n_out))
    for i in prange(n):
        pfeat = np.empty((L, L), dtype=np.int64)
        pzero = np.empty((L, L))
        pone = np.empty((L, L))
        pw = np.empty((L, L))
        S = 2 * L + 2
        s_node = np.empty(S, dtype=np.int64)
        s_ud = np.empty(S, dtype=np.int64)
        s_zf = np.empty(S)
        s_of = np.empty(S)
        s_fi = np.empty(S, dtype=np.int64)
        s_lvl = np.empty(S, dtype=np.int64)
        x = X[i]
        ph = phi[i]
        for t in range(n_trees):
            _shap_one_tree(x, roots[t], left, right, feature, threshold, missing, value, cover,
                           ph, pfeat, pzero, pone, pw, s_node, s_ud, s_zf, s_of, s_fi, s_lvl)
    return phi


# -- linear-time variant ---------------------------------------------------------------------
# For a leaf whose path holds the unique features P with merged one/zero fractions (o_j, z_j),
# the Shapley weight |S|!(m-1-|S|)!/m! is the Beta integral of t^|S| (1-t)^(m-1-|S|), so
#     phi_i = v (o_i - z_i) * int_0^1 prod_{j != i} (o_j t + z_j (1 - t)) dt,
# a polynomial of degree < min(max_depth, n_features), integrated exactly by Gauss-Legendre
# quadrature with ceil(min(max_depth, n_features) / 2) nodes (Yu et al. 2022, "Linear
# TreeShap"). G(t) = prod_j F_j(t) is carried down the tree at the quadrature nodes; the sums
# S(t) = sum_leaves v G(t) flow back up, and feature i is credited at each of its splits with
# the leaves below it; a deeper split on the same feature takes its leaves back (they use the
# merged fractions there). O(n_nodes * n_quadrature) per sample and tree, against
# O(n_leaves * depth^2) for Algorithm 2.
def gauss_legendre_01(max_depth, n_features):
    """Gauss-Legendre nodes and weights on [0, 1], exact for TreeSHAP's polynomials."""
    q = max(1, (min(max_depth, n_features) + 1) // 2)
    x, w = np.polynomial.legendre.leggauss(q)
    return np.ascontiguousarray((x + 1.0) / 2.0), np.ascontiguousarray(w / 2.0)


@internal
@njit(cache=True, nogil=True)
def _linear_one_tree(x, root, left, right, feature, threshold, missing, value, ratio, tq, wq,
                     phi, last, node_, stage, feat, O, Z, prev, G, F, WF, S):
    n_out = value.shape[1]
    nq = tq.shape[0]
    nqk = nq * n_out
    lvl = 0
    node_[0] = root
    stage[0] = 0
    for q in range(nq):
        G[0, q] = 1.0
    while lvl >= 0:
        node = node_[lvl]
        st = stage[lvl]
        if st == 0:
            if left[node] < 0:
                for q in range(nq):
                    g = G[lvl, q]
                    for c in range(n_out):
                        S[lvl, q * n_out + c] = g * value[node, c]
                st = 3
            else:
                for r in range(nqk):
                    S[lvl, r] = 0.0
                st = 1
        else:
            # the child in progress (stage 1: left, 2: right) returned: add its sums
            for r in range(nqk):
                S[lvl, r] += S[lvl + 1, r]
            st += 1
        if st <= 2:
            i = feature[node]
            v = x[i]
            if np.isnan(v):
                go_left = missing[node] != 0
            else:
                go_left = v <= threshold[node]
            pl = last[i]
            while st <= 2:
                child = left[node] if st == 1 else right[node]
                o = 1.0 if go_left == (st == 1) else 0.0
                z = ratio[child]
                if pl >= 0:
                    o *= O[pl]
                    z *= Z[pl]
                if o == 0.0 and z == 0.0:
                    # G vanishes in this subtree: its sums and credits are all zero
                    st += 1
                    continue
                nl = lvl + 1
                for q in range(nq):
                    f = z + (o - z) * tq[q]
                    F[nl, q] = f
                    WF[nl, q] = wq[q] / f
                if pl >= 0:
                    for q in range(nq):
                        G[nl, q] = G[lvl, q] * F[nl, q] / F[pl, q]
                else:
                    for q in range(nq):
                        G[nl, q] = G[lvl, q] * F[nl, q]
                O[nl] = o
                Z[nl] = z
                feat[nl] = i
                prev[nl] = pl
                last[i] = nl
                node_[nl] = child
                stage[nl] = 0
                stage[lvl] = st
                lvl = nl
                break
            if st <= 2:
                continue
        # the subtree is done: credit the split feature of the edge into it
        if lvl > 0:
            i = feat[lvl]
            coef = O[lvl] - Z[lvl]
            pl = prev[lvl]
            if pl >= 0:
                coef_p = O[pl] - Z[pl]
                for c in range(n_out):
                    acc = 0.0
                    acc_p = 0.0
                    for q in range(nq):
                        sv = S[lvl, q * n_out + c]
                        acc += WF[lvl, q] * sv
                        acc_p += WF[pl, q] * sv
                    phi[i, c] += coef * acc - coef_p * acc_p
            else:
                for c in range(n_out):
                    acc = 0.0
                    for q in range(nq):
                        acc += WF[lvl, q] * S[lvl, q * n_out + c]
                    phi[i, c] += coef * acc
            last[i] = pl
        lvl -= 1


@with_serial_twin
@njit(cache=True, parallel=True, nogil=True)
def linear_path_shap_kernel(left, right, feature, threshold, missing, value, ratio, roots,
                            max_depth, tq, wq, X):
    """Path-dependent TreeSHAP by quadrature (the same values as :func:`path_shap_kernel`).

    Parameters
    ----------
    ratio : float64 (n_nodes_total,)
        ``cover[node] / cover[parent]`` (0 when the parent's cover is 0).
    tq, wq : float64 arrays
        Gauss-Legendre nodes and weights on [0, 1] from :func:`gauss_legendre_01`.

    Returns
    -------
    phi : float64 ndarray (n_samples, n_features, n_outputs)
    """
    n, d = X.shape
    n_out = value.shape[1]
    nq = tq.shape[0]
    n_trees = roots.shape[0]
    L = max_depth + 2
    phi = np.zeros((n, d, n_out))
    for i in prange(n):
        last = np.full(d, -1, dtype=np.int64)
        node_ = np.empty(L, dtype=np.int64)
        stage = np.empty(L, dtype=np.int64)
        feat = np.empty(L, dtype=np.int64)
        O = np.empty(L)
        Z = np.empty(L)
        prev = np.empty(L, dtype=np.int64)
        G = np.empty((L, nq))
        F = np.empty((L, nq))
        WF = np.empty((L, nq))
        S = np.empty((L, nq * n_out))
        x = X[i]
        ph = phi[i]
        for t in range(n_trees):
            _linear_one_tree(x, roots[t], left, right, feature, threshold, missing, value,
                             ratio, tq, wq, ph, last, node_, stage, feat, O, Z, prev, G, F, WF,
                             S)
    return phi


@njit(cache=True, nogil=True)
def path_base_kernel(left, right, cover, value, roots):
    """v(empty set) of path TreeSHAP: sum over leaves of value times the product of the cover
    fractions along the path (``cover[leaf] / cover[root]`` when covers are additive)."""
    n_out = value.shape[1]
    base = np.zeros(n_out)
    stack = np.empty(2 * left.shape[0] + 1, dtype=np.int64)
    frac = np.empty(2 * left.shape[0] + 1)
    for t in range(roots.shape[0]):
        sp = 1
        stack[0] = roots[t]
        frac[0] = 1.0
        while sp > 0:
            sp -= 1
            node = stack[sp]
            f = frac[sp]
            if left[node] < 0:
                for c in range(n_out):
                    base[c] += f * value[node, c]
            elif f != 0.0 and cover[node] > 0.0:
                stack[sp] = left[node]
                frac[sp] = f * cover[left[node]] / cover[node]
                stack[sp + 1] = right[node]
                frac[sp + 1] = f * cover[right[node]] / cover[node]
                sp += 2
    return base


@njit(cache=True, nogil=True)
def tree_depths_kernel(left, right, roots):
    """Depth (longest root-to-leaf path, in splits) of each packed tree."""
    n_trees = roots.shape[0]
    out = np.zeros(n_trees, dtype=np.int64)
    stack = np.empty(left.shape[0] + 1, dtype=np.int64)
    depth = np.empty(left.shape[0] + 1, dtype=np.int64)
    for t in range(n_trees):
        sp = 1
        stack[0] = roots[t]
        depth[0] = 0
        best = 0
        while sp > 0:
            sp -= 1
            node = stack[sp]
            dd = depth[sp]
            if left[node] < 0:
                best = max(best, dd)
            else:
                stack[sp] = left[node]
                depth[sp] = dd + 1
                stack[sp + 1] = right[node]
                depth[sp + 1] = dd + 1
                sp += 2
        out[t] = best
    return out


_PATH_ALGORITHMS = ("auto", "table", "linear", "unwind")
#: Cost of the quadrature kernel per sample, node and quadrature point, in the unit of the
#: table model (one table read or node test); calibrated on depth-8 trees.
LINEAR_COST = 3.0
#: Estimated cost (same unit, ~2-3 ns each) below which the kernels run on one thread: about
#: 25 ms, where two threads save a few ms on an idle machine but can lose tens of ms to
#: parallel regions when the cores are oversubscribed.
PARALLEL_MIN_COST = 10_000_000


def path_values(packed, X, algorithm="auto"):
    """Path-dependent TreeSHAP values (n, d, n_outputs) of a :class:`PackedTrees`.

    ``"auto"`` (default): per tree, leaf-pattern tables (:mod:`glassworks.shapley._tables`)
    when the tree is shallow enough and that is estimated cheaper, else ``"linear"``;
    ``"table"``: tables for every tree that fits them; ``"linear"``: the quadrature form,
    O(n_nodes * depth / 2) per sample and tree; ``"unwind"``: Algorithm 2 with EXTEND/UNWIND,
    O(n_leaves * depth^2). All give the same values.
    """
    if algorithm not in _PATH_ALGORITHMS:
        raise ValueError(f"algorithm must be one of {_PATH_ALGORITHMS}, got {algorithm!r}.")
    n = X.shape[0]
    if n == 0:
        return np.zeros((0, packed.n_features, packed.n_outputs))
    args = (packed.left, packed.right, packed.feature, packed.threshold, packed.missing,
            packed.value)
    nodes = (packed.ends - packed.roots).astype(np.float64)
    nq = max(1, (min(packed.max_depth, packed.n_features) + 1) // 2)
    linear_cost = LINEAR_COST * n * nodes * (nq + 1)
    use_table = np.zeros(packed.n_trees, dtype=bool)
    cost = linear_cost
    if algorithm in ("auto", "table"):
        st = tree_table_stats(packed)
        table_cost = 2.0 * st["path_build"] + n * (nodes + st["sum_m"])
        use_table = tabulable(packed)
        if algorithm == "auto":
            use_table &= table_cost <= linear_cost
        cost = np.where(use_table, table_cost, linear_cost)
    with serial_if_small(float(cost.sum()), PARALLEL_MIN_COST):
        if algorithm == "unwind":
            return path_shap_kernel(*args, packed.cover, packed.roots, packed.max_depth, X)
        phi = np.zeros((n, packed.n_features, packed.n_outputs))
        table_trees = np.flatnonzero(use_table)
        if table_trees.size:
            add_table_values(packed, table_trees, X, None, phi)
        rest = packed.roots[~use_table]
        if rest.size:
            tq, wq = gauss_legendre_01(packed.max_depth, packed.n_features)
            phi += linear_path_shap_kernel(*args, packed.ratio, rest, packed.max_depth, tq, wq,
                                           X)
        return phi


class serial_if_small:
    """Run Numba's parallel kernels on one thread when the job is small.

    Starting a parallel region costs little on an idle machine but can cost tens of
    milliseconds when the cores are oversubscribed; a job of fewer than ``threshold``
    elementary steps is not worth it.
    """

    threshold = 2_000_000

    def __init__(self, work, threshold=None):
        self.work = work
        self.limit = self.threshold if threshold is None else threshold
        self.saved = None

    def __enter__(self):
        if self.work < self.limit:
            import numba

            self.saved = numba.get_num_threads()
            numba.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            import numba

            numba.set_num_threads(self.saved)
        return False


def tree_shap_path(trees, X, tree_weights=None, *, algorithm="auto"):
    """Path-dependent TreeSHAP of a tree or an ensemble, on plain arrays.

    Parameters
    ----------
    trees : Tree, list of Tree, or PackedTrees
    X : array-like of shape (n_samples, n_features)
        May hold NaN (routed by ``missing_go_to_left``).
    tree_weights : array-like of shape (n_trees,) or None
        Ensemble output is ``sum_t w_t * tree_t(x)``; default ``1 / n_trees``.
    algorithm : {"auto", "table", "linear", "unwind"}, default="auto"
        Leaf-pattern tables, the quadrature form or Lundberg's Algorithm 2 (the same values);
        ``"auto"`` picks tables or quadrature per tree by estimated cost.

    Returns
    -------
    values : ndarray of shape (n_samples, n_features, n_outputs)
    base : ndarray of shape (n_outputs,)
        The cover-weighted expectation; ``base + values.sum(axis=1)`` is the ensemble output.
    """
    packed = pack_trees(trees, tree_weights)
    X = check_X(X, packed.n_features)
    values = path_values(packed, X, algorithm)
    base = path_base_kernel(packed.left, packed.right, packed.cover, packed.value, packed.roots)
    return values, base
