"""Certifiably optimal rule lists: CORELS's branch and bound (Angelino et al., JMLR 2018).

Objective of a rule list ``d`` with ``K`` rules (the default rule not counted)::

    R(d) = (weighted misclassifications) / W  +  lam * K

The search explores rule *prefixes* (the ordered rules before the default rule) in a prefix
trie, best lower bound first, with every bound of the paper in :func:`_bnb_kernel`:

- **hierarchical objective lower bound** (Thm 1): ``b(p)`` = mistakes of the prefix's own rules
  + ``lam * W * K``; no extension of ``p`` beats ``b(p)``;
- **equivalent points bound** (Thm 20): samples with identical antecedent vectors but different
  labels cannot all be classified right, so the minority of each such group that is not yet
  captured adds to the lower bound;
- **one-step lookahead** (Lemma 2): a child is queued only if ``lb(child) + lam < R*`` (its
  extensions add at least one rule);
- **lower bounds on antecedent support and on accurate antecedent support** (Thms 10, 13): a rule
  that classifies right fewer than ``lam * W`` of the samples it newly captures can be removed
  with a strict gain, so no optimal list contains it (support >= accurate support);
- **prefix permutation map** (Cor. 16-17): among prefixes with the same antecedent set only the
  one with the smallest ``b`` is kept (:mod:`.pmap`).

Everything is in weight units (``W`` = total sample weight) and runs in one Numba kernel called
in chunks of expansions, so that the Python driver can enforce ``time_limit``.
"""

import time

import numpy as np
from numba import njit

from .bitvec import ctz64, popcount64
from .pmap import find_slot, grow
from .heap import heap_pop, heap_push

# istate slots
(_N_NODES, _HEAP_SIZE, _HT_COUNT, _BEST_PARENT, _BEST_ANTE, _N_EXPANDED, _N_EVALUATED,
 _MAX_QUEUE) = range(8)
_POLICIES = {"lower_bound": 0, "curiosity": 1}

STATUS_DONE, STATUS_STEPS, STATUS_NODES = 0, 1, 2


@njit(cache=True, nogil=True)
def _bnb_kernel(
    A, Y, minor, w, unit, lam_w, max_depth, policy,
    node_parent, node_ante, node_depth, node_b, node_lb, node_dead,
    heap_key, heap_item, ht_node, ht_hash, zobrist, istate, fstate, n_steps,
):
    m, nw = A.shape
    k = Y.shape[0]
    capacity = node_parent.shape[0]
    in_set = np.zeros(m, dtype=np.bool_)
    prefix = np.empty(max(m, 1), dtype=np.int64)
    U = np.empty(nw, dtype=np.uint64)
    idx = np.empty(nw, dtype=np.int64)
    UY = np.empty((k, nw), dtype=np.uint64)
    UM = np.empty(nw, dtype=np.uint64)
    u_counts = np.empty(k)
    cap = np.empty(k)
    Uc = np.empty(nw, dtype=np.uint64)
    steps = 0
    while True:
        if istate[_HEAP_SIZE] == 0:
            return ht_node, ht_hash, 0
        if steps >= n_steps:
            return ht_node, ht_hash, 1
        if istate[_N_NODES] + m > capacity:
            return ht_node, ht_hash, 2
        p, istate[_HEAP_SIZE] = heap_pop(heap_key, heap_item, istate[_HEAP_SIZE])
        r_star = fstate[0]
        # the incumbent may have improved since p was queued: re-apply the lookahead bound
        if node_dead[p] or node_lb[p] + lam_w >= r_star:
            continue
        steps += 1
        istate[_N_EXPANDED] += 1
        depth = node_depth[p]
        # the prefix, its antecedent set and order-free hash, walking up the trie
        h = np.uint64(0)
        q = p
        d = depth
        while q > 0:
            d -= 1
            prefix[d] = node_ante[q]
            in_set[node_ante[q]] = True
            h ^= zobrist[node_ante[q]]
            q = node_parent[q]
        # U = samples the prefix leaves uncaptured; work only on its non-zero words
        for j in range(nw):
            U[j] = ~np.uint64(0)
        for t in range(depth):
            a = prefix[t]
            for j in range(nw):
                U[j] &= ~A[a, j]
        n_idx = 0
        for j in range(nw):
            # Y's classes partition the valid bits, so this also clears the padding bits
            any_bits = np.uint64(0)
            for c in range(k):
                any_bits |= Y[c, j]
            U[j] &= any_bits
            if U[j] != 0:
                idx[n_idx] = j
                n_idx += 1
        for c in range(k):
            u_counts[c] = 0.0
        for t in range(n_idx):
            j = idx[t]
            Uc[t] = U[j]
            UM[t] = U[j] & minor[j]
            for c in range(k):
                UY[c, t] = U[j] & Y[c, j]
                if unit:
                    u_counts[c] += float(popcount64(UY[c, t]))
                else:
                    x = UY[c, t]
                    while x != 0:
                        u_counts[c] += w[j * 64 + np.int64(ctz64(x))]
                        x &= x - np.uint64(1)
        b_p = node_b[p]
        for a in range(m):
            if in_set[a]:
                continue
            istate[_N_EVALUATED] += 1
            s = 0.0
            mx = -1.0
            if unit and k == 2:
                # binary: one pass over the words counts the new captures and class 0 among
                # them (class 1 is the remainder), scalar accumulators
                cs = np.uint64(0)
                c0 = np.uint64(0)
                for t in range(n_idx):
                    x = A[a, idx[t]] & Uc[t]
                    cs += popcount64(x)
                    c0 += popcount64(x & UY[0, t])
                s = float(cs)
                # lower bound on antecedent support, before anything else
                if s < lam_w:
                    continue
                cap[0] = float(c0)
                cap[1] = s - cap[0]
                mx = max(cap[0], cap[1])
            elif unit:
                for c in range(k):
                    cnt = np.uint64(0)
                    for t in range(n_idx):
                        cnt += popcount64(A[a, idx[t]] & UY[c, t])
                    cap[c] = float(cnt)
                    s += cap[c]
                    if cap[c] > mx:
                        mx = cap[c]
            else:
                for c in range(k):
                    tot = 0.0
                    for t in range(n_idx):
                        x = A[a, idx[t]] & UY[c, t]
                        base = idx[t] * 64
                        while x != 0:
                            tot += w[base + np.int64(ctz64(x))]
                            x &= x - np.uint64(1)
                    cap[c] = tot
                    s += tot
                    if tot > mx:
                        mx = tot
            # lower bound on accurate antecedent support (implies the support bound)
            if mx < lam_w:
                continue
            b_child = b_p + (s - mx) + lam_w
            rest = 0.0
            rest_max = 0.0
            for c in range(k):
                r = u_counts[c] - cap[c]
                rest += r
                if r > rest_max:
                    rest_max = r
            obj = b_child + (rest - rest_max)
            if obj < fstate[0]:
                fstate[0] = obj
                istate[_BEST_PARENT] = p
                istate[_BEST_ANTE] = a
            if depth + 1 >= max_depth:
                continue
            # lookahead on b alone first: it spares the equivalent-points pass when it prunes
            if b_child + lam_w >= fstate[0]:
                continue
            # equivalent points bound on what the child leaves uncaptured
            eq = 0.0
            if unit:
                cnt = np.uint64(0)
                for t in range(n_idx):
                    cnt += popcount64(UM[t] & ~A[a, idx[t]])
                eq = float(cnt)
            else:
                for t in range(n_idx):
                    x = UM[t] & ~A[a, idx[t]]
                    base = idx[t] * 64
                    while x != 0:
                        eq += w[base + np.int64(ctz64(x))]
                        x &= x - np.uint64(1)
            lb_child = b_child + eq
            # hierarchical bound + one-step lookahead: children of this child cost >= lam more
            if lb_child + lam_w >= fstate[0]:
                continue
            # permutation map: keep only the best-ordered prefix of each antecedent set
            in_set[a] = True
            h_child = h ^ zobrist[a]
            slot = find_slot(
                ht_node, ht_hash, h_child, depth + 1, in_set, node_parent, node_ante, node_depth
            )
            in_set[a] = False
            old = ht_node[slot]
            if old != -1:
                if node_b[old] <= b_child:
                    continue
                node_dead[old] = 1
            new = istate[_N_NODES]
            istate[_N_NODES] += 1
            node_parent[new] = p
            node_ante[new] = a
            node_depth[new] = depth + 1
            node_b[new] = b_child
            node_lb[new] = lb_child
            node_dead[new] = 0
            ht_node[slot] = new
            ht_hash[slot] = h_child
            if old == -1:
                istate[_HT_COUNT] += 1
                if 2 * istate[_HT_COUNT] > ht_node.shape[0]:
                    ht_node, ht_hash = grow(ht_node, ht_hash)
            if policy == 1:
                captured = fstate[1] - rest
                prio = lb_child / max(captured, 1e-12)
            else:
                prio = lb_child
            istate[_HEAP_SIZE] = heap_push(heap_key, heap_item, istate[_HEAP_SIZE], prio, new)
            if istate[_HEAP_SIZE] > istate[_MAX_QUEUE]:
                istate[_MAX_QUEUE] = istate[_HEAP_SIZE]
        for t in range(depth):
            in_set[prefix[t]] = False


def equivalent_minority(A, y, w, n_classes):
    """Minority indicator for the equivalent points bound.

    Samples with the same antecedent vector are classified alike by every rule list; in each
    such group all samples outside the heaviest class are flagged, so the flagged weight of any
    union of groups is a lower bound on the mistakes any list makes on it.

    Parameters
    ----------
    A : uint64 (m, n_words)
        Antecedent captures.
    y : int (n_samples,)
    w : float64 (n_samples,)
    n_classes : int

    Returns
    -------
    bool (n_samples,)
    """
    from .bitvec import unpack_vector

    n = y.shape[0]
    group = np.zeros(n, dtype=np.int64)
    # 64 antecedents at a time: each sample's 64 bits as one uint64 code, then relabel
    for start in range(0, A.shape[0], 64):
        block = np.stack([unpack_vector(A[a], n) for a in range(start, min(start + 64, A.shape[0]))])
        bits = np.zeros((64, n), dtype=bool)
        bits[: block.shape[0]] = block
        code = np.packbits(bits, axis=0, bitorder="little").T.copy().view("<u8").ravel()
        pairs = np.stack([group.astype(np.uint64), code], axis=1)
        _, group = np.unique(pairs, axis=0, return_inverse=True)
        group = group.ravel().astype(np.int64)
    g = int(group.max()) + 1 if n else 0
    weight = np.zeros((g, n_classes))
    np.add.at(weight, (group, y), w)
    best = np.argmax(weight, axis=1)
    return y != best[group]


def bnb_search(
    A, Y, minor, w, unit, lam, *, max_depth=None, policy="lower_bound", max_nodes=5_000_000,
    time_limit=None, chunk=20000,
):
    """Run the branch and bound; returns a dict with the best prefix and the search statistics.

    Parameters
    ----------
    A : uint64 (m, n_words)
        Antecedent captures.
    Y : uint64 (k, n_words)
        Class membership bit vectors (they partition the samples).
    minor : uint64 (n_words,)
        Equivalent-points minority (see :func:`equivalent_minority`).
    w : float64 (n_samples,)
        Sample weights (ignored when ``unit``).
    unit : bool
        All weights are 1 (counts are popcounts).
    lam : float
        Penalty per rule, as a fraction of the total weight.
    """
    m, nw = A.shape
    k = Y.shape[0]
    W = float(w.sum())
    lam_w = float(lam) * W
    capacity = int(max_nodes)
    node_parent = np.empty(capacity, dtype=np.int32)
    node_ante = np.empty(capacity, dtype=np.int32)
    node_depth = np.empty(capacity, dtype=np.int32)
    node_b = np.empty(capacity, dtype=np.float64)
    node_lb = np.empty(capacity, dtype=np.float64)
    node_dead = np.empty(capacity, dtype=np.uint8)
    heap_key = np.empty(capacity, dtype=np.float64)
    heap_item = np.empty(capacity, dtype=np.int32)
    ht_node = np.full(1024, -1, dtype=np.int64)
    ht_hash = np.zeros(1024, dtype=np.uint64)
    zobrist = np.random.default_rng(12345).integers(
        0, np.iinfo(np.uint64).max, size=max(m, 1), dtype=np.uint64, endpoint=True
    )
    # root: the empty prefix (default rule alone)
    class_w = np.array([_weighted_count(Y[c], w, unit) for c in range(k)])
    minor_w = _weighted_count(minor, w, unit)
    r_star = float(class_w.sum() - class_w.max())
    node_parent[0] = -1
    node_ante[0] = -1
    node_depth[0] = 0
    node_b[0] = 0.0
    node_lb[0] = minor_w
    node_dead[0] = 0
    istate = np.zeros(8, dtype=np.int64)
    istate[_N_NODES] = 1
    istate[_BEST_PARENT] = -1
    istate[_BEST_ANTE] = -1
    fstate = np.array([r_star, W])
    if max_depth is None:
        max_depth = m
    max_depth = int(min(max_depth, m))
    if max_depth > 0 and minor_w + lam_w < r_star and m > 0:
        heap_key[0] = minor_w
        heap_item[0] = 0
        istate[_HEAP_SIZE] = 1
    start = time.perf_counter()
    status = STATUS_DONE
    stopped_by = None
    steps = 16  # the first chunk is short; later ones aim at ~0.1 s each (time_limit checks)
    while istate[_HEAP_SIZE] > 0:
        t_chunk = time.perf_counter()
        done_before = istate[_N_EXPANDED]
        ht_node, ht_hash, status = _bnb_kernel(
            A, Y, minor, w, bool(unit), lam_w, max_depth, _POLICIES[policy],
            node_parent, node_ante, node_depth, node_b, node_lb, node_dead,
            heap_key, heap_item, ht_node, ht_hash, zobrist, istate, fstate, int(steps),
        )
        per_step = (time.perf_counter() - t_chunk) / max(istate[_N_EXPANDED] - done_before, 1)
        steps = int(min(max(0.1 / max(per_step, 1e-9), 1), chunk))
        if status == STATUS_NODES:
            stopped_by = "max_nodes"
            break
        if time_limit is not None and time.perf_counter() - start >= time_limit:
            if istate[_HEAP_SIZE] > 0:
                stopped_by = "time_limit"
            break
    elapsed = time.perf_counter() - start
    r_star = float(fstate[0])
    size = int(istate[_HEAP_SIZE])
    if size > 0:
        queued = heap_item[:size]
        lb = min(r_star, float(node_lb[queued].min()) + lam_w)
    else:
        lb = r_star
    # the best prefix, from the trie
    prefix = []
    if istate[_BEST_PARENT] >= 0:
        prefix.append(int(istate[_BEST_ANTE]))
        q = int(istate[_BEST_PARENT])
        while q > 0:
            prefix.append(int(node_ante[q]))
            q = int(node_parent[q])
        prefix.reverse()
    return {
        "prefix": prefix,
        "objective": r_star / W,
        "lower_bound": lb / W,
        "certified": size == 0,
        "stopped_by": stopped_by,
        "n_nodes": int(istate[_N_NODES]),
        "queue_size": size,
        "max_queue_size": int(istate[_MAX_QUEUE]),
        "n_expanded": int(istate[_N_EXPANDED]),
        "n_evaluated": int(istate[_N_EVALUATED]),
        "pmap_size": int(istate[_HT_COUNT]),
        "time": elapsed,
    }


def _weighted_count(v, w, unit):
    from .bitvec import unpack_vector

    bits = unpack_vector(v, w.shape[0])
    return float(bits.sum()) if unit else float(w[bits].sum())
