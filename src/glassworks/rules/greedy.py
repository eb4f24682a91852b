"""Greedy rule lists by sequential covering.

Grow: each new rule starts from the single condition that scores best on the still-uncaptured
samples, then takes on more conditions (up to ``max_card``) while that improves its score; the
rule predicts the majority class of what it captures. Conjunctions are thus built on the fly
from the single conditions and never all materialised. Growing stops at ``max_rules``, when no
condition captures ``min_count`` weight, or when CORELS's lookahead bound shows that no longer
list can have a smaller objective. Prune: keep the prefix with the smallest objective (mistakes +
``lam`` per rule, the objective the optimal search minimises), so ``lam`` means the same for
both algorithms.

Three scores are tried and the list with the smallest objective is kept: 0, the Gini gain of
the split captured / uncaptured; 1, the rule's Laplace-corrected precision; 2, the Gini gain
counting the captured side's (final) errors twice instead of its impurity. They run in the
order 0, 2, 1, the later ones growing only while a longer list could still beat the best
objective so far, which cannot change the list kept.

With unit weights, ``x > t`` is counted as the rule so far minus ``x <= t`` (exact integers)
when the two bit vectors are complements, so only half the bit vectors of numeric data are
read per scan.

Growing, the lookahead bound and the pruning for one score are one compiled call,
:func:`_greedy_one` (on small data the per-step Python overhead of driving the kernels from
Python cost more than the counting itself); :func:`greedy_best` calls it for the three scores.
"""

import numpy as np
from numba import njit

from .._jit import internal
from .bitvec import ctz64, masked_count, popcount64

_CRITERIA = (0, 1, 2)


@internal
@njit(cache=True, nogil=True, inline="always")
def _score(cap, tot, k, criterion, parent):
    s = 0.0
    mx = 0.0
    sq_cap = 0.0
    sq_rest = 0.0
    for c in range(k):
        s += cap[c]
        mx = max(mx, cap[c])
        sq_cap += cap[c] * cap[c]
        r_c = tot[c] - cap[c]
        sq_rest += r_c * r_c
    r = tot.sum() - s
    if criterion == 1:
        return (mx + 1.0) / (s + k)
    child = s - sq_cap / s if criterion == 0 else 2.0 * (s - mx)
    if r > 0.0:
        child += r - sq_rest / r
    return parent - child


@internal
@njit(cache=True, nogil=True)
def _best_condition_binary(A, UY, C, skip, min_count, criterion, partner, needed, cnt):
    """:func:`best_condition_kernel` for two classes and unit weights: counts and scores in
    scalars (no per-candidate class loops or scratch arrays: a third of the call). The
    same score as :func:`_score`, operation for operation (the counts are integers)."""
    m, nw = A.shape
    t0 = np.uint64(0)
    t1 = np.uint64(0)
    tc0 = np.uint64(0)
    tc1 = np.uint64(0)
    for j in range(nw):
        t0 += popcount64(UY[0, j])
        t1 += popcount64(UY[1, j])
        tc0 += popcount64(UY[0, j] & C[j])
        tc1 += popcount64(UY[1, j] & C[j])
    tot0 = float(t0)
    tot1 = float(t1)
    tot_c0 = float(tc0)
    tot_c1 = float(tc1)
    n_tot = 0.0 + tot0 + tot1
    best = -1
    best_score = -np.inf
    if n_tot <= 0.0:
        return best, best_score
    parent = n_tot - (0.0 + tot0 * tot0 + tot1 * tot1) / n_tot
    for a in range(m):
        sk = skip[a]
        nd = needed[a]
        if sk and not nd:
            continue
        p = partner[a]
        if p >= 0:
            c0 = tot_c0 - cnt[p, 0]
            c1 = tot_c1 - cnt[p, 1]
        else:
            # one read of A[a] and C per word for both classes
            n0 = np.uint64(0)
            n1 = np.uint64(0)
            for j in range(nw):
                x = A[a, j] & C[j]
                n0 += popcount64(x & UY[0, j])
                n1 += popcount64(x & UY[1, j])
            c0 = float(n0)
            c1 = float(n1)
        if nd:
            cnt[a, 0] = c0
            cnt[a, 1] = c1
        if sk:
            continue
        s = 0.0 + c0 + c1
        if s < min_count or s <= 0.0:
            continue
        mx = max(0.0, max(c0, c1))
        if criterion == 1:
            sc = (mx + 1.0) / (s + 2.0)
        else:
            child = s - (0.0 + c0 * c0 + c1 * c1) / s if criterion == 0 else 2.0 * (s - mx)
            r = n_tot - s
            if r > 0.0:
                r0 = tot0 - c0
                r1 = tot1 - c1
                child += r - (0.0 + r0 * r0 + r1 * r1) / r
            sc = parent - child
        if sc > best_score:
            best_score = sc
            best = a
    return best, best_score


@internal
@njit(cache=True, nogil=True)
def best_condition_kernel(A, UY, C, w, unit, skip, min_count, criterion, partner, needed, cnt):
    """The condition ``a`` whose conjunction with the rule so far (bit vector ``C``) scores
    best on the uncaptured samples (class bit vectors ``UY``); (-1, -inf) if none captures
    ``min_count``.

    ``partner[a] = b >= 0`` (b < a) says row ``a`` is the complement of row ``b`` (``x > t``
    and ``x <= t`` of a column without missing values): with unit weights its counts are
    those of ``C`` minus those of ``b``, exact integers, so row ``a`` is never read (half the
    memory traffic on numeric data). ``needed[b]``: some row is the complement of ``b``, so
    ``b`` is counted even when skipped. ``cnt``: scratch (m, k)."""
    m, nw = A.shape
    k = UY.shape[0]
    if unit and k == 2:
        return _best_condition_binary(A, UY, C, skip, min_count, criterion, partner, needed,
                                      cnt)
    tot = np.zeros(k)
    totC = np.zeros(k)
    for c in range(k):
        tc = np.uint64(0)
        for j in range(nw):
            x = UY[c, j]
            if unit:
                tot[c] += float(popcount64(x))
                tc += popcount64(x & C[j])
            else:
                while x != 0:
                    tot[c] += w[j * 64 + np.int64(ctz64(x))]
                    x &= x - np.uint64(1)
        totC[c] = float(tc)
    n_tot = tot.sum()
    best = -1
    best_score = -np.inf
    if n_tot <= 0.0:
        return best, best_score
    parent = n_tot - (tot * tot).sum() / n_tot
    cap = np.zeros(k)
    for a in range(m):
        if skip[a] and not needed[a]:
            continue
        s = 0.0
        p = partner[a]
        if unit and p >= 0:
            for c in range(k):
                cap[c] = totC[c] - cnt[p, c]
                s += cap[c]
        elif unit:
            for c in range(k):
                cnt_c = np.uint64(0)
                for j in range(nw):
                    cnt_c += popcount64(A[a, j] & C[j] & UY[c, j])
                cap[c] = float(cnt_c)
                s += cap[c]
        else:
            for c in range(k):
                tc = 0.0
                for j in range(nw):
                    x = A[a, j] & C[j] & UY[c, j]
                    while x != 0:
                        tc += w[j * 64 + np.int64(ctz64(x))]
                        x &= x - np.uint64(1)
                cap[c] = tc
                s += tc
        if needed[a]:
            for c in range(k):
                cnt[a, c] = cap[c]
        if skip[a]:
            continue
        if s < min_count or s <= 0.0:
            continue
        sc = _score(cap, tot, k, criterion, parent)
        if sc > best_score:
            best_score = sc
            best = a
    return best, best_score


@internal
@njit(cache=True, nogil=True)
def _prefix_objectives(R, n_rules, Y, w, unit, lam, W):
    """Objective of every prefix (0 .. n_rules rules) of the list with captures ``R``."""
    k, nw = Y.shape
    UY = Y.copy()
    ones = np.full(nw, np.uint64(0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
    tot = np.zeros(k)
    for c in range(k):
        tot[c] = masked_count(UY[c], ones, w, unit)
    objs = np.empty(n_rules + 1)
    objs[0] = (tot.sum() - tot.max()) / W
    mistakes = 0.0
    cap = np.zeros(k)
    for K in range(n_rules):
        for c in range(k):
            cap[c] = masked_count(R[K], UY[c], w, unit)
        mistakes += cap.sum() - cap.max()
        for c in range(k):
            for j in range(nw):
                UY[c, j] &= ~R[K, j]
        for c in range(k):
            tot[c] = tot[c] - cap[c]
        objs[K + 1] = (mistakes + tot.sum() - tot.max()) / W + lam * (K + 1)
    return objs


@njit(cache=True, nogil=True)
def _greedy_one(A, Y, w, unit, lam, W, max_card, limit, min_count, criterion, partner, cutoff):
    """Grow and prune the list for one score; returns (rules padded with -1, objective).

    ``cutoff``: growing also stops once every longer list would have an objective of at
    least ``cutoff`` (then the returned objective may be that of a shorter list than
    without the cutoff, but is itself >= ``cutoff``)."""
    m, nw = A.shape
    k = Y.shape[0]
    UY = Y.copy()
    lam_w = lam * W
    ones = np.full(nw, np.uint64(0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
    rest = np.zeros(k)
    for c in range(k):
        rest[c] = masked_count(UY[c], ones, w, unit)
    mistakes = 0.0
    best = rest.sum() - rest.max()
    rules = np.full((16, max_card), -1, dtype=np.int64)
    R = np.zeros((16, nw), dtype=np.uint64)
    n_rules = 0
    skip = np.zeros(m, dtype=np.bool_)
    conj = np.empty(max_card, dtype=np.int64)
    C = np.empty(nw, dtype=np.uint64)
    cap = np.zeros(k)
    needed = np.zeros(m, dtype=np.bool_)
    for a in range(m):
        if partner[a] >= 0:
            needed[partner[a]] = True
    cnt = np.zeros((m, k))
    while limit < 0 or n_rules < limit:
        # CORELS's lookahead bound: a longer list costs at least the mistakes made so far plus
        # one more rule; once that cannot beat the best prefix, growing further is pointless
        bound = mistakes + lam_w * (n_rules + 1)
        if bound >= best or bound >= cutoff * W:
            break
        # element loops, not slice assignments: each slice setitem compiles Numba's generic
        # broadcasting machinery (half of this kernel's first compilation)
        for a in range(m):
            skip[a] = False
        # one call site of best_condition_kernel (LLVM inlines it at each site): the first
        # condition is the best conjunction with the all-ones vector
        for j in range(nw):
            C[j] = ones[j]
        nc = 0
        score = -np.inf
        while nc < max_card:
            a, s2 = best_condition_kernel(
                A, UY, C, w, unit, skip, min_count, criterion, partner, needed, cnt
            )
            if a < 0 or (nc > 0 and s2 <= score + 1e-12 * abs(score) + 1e-300):
                break
            conj[nc] = a
            nc += 1
            skip[a] = True
            for j in range(nw):
                C[j] &= A[a, j]
            score = s2
        if nc == 0:
            break
        s = 0.0
        for c in range(k):
            cap[c] = masked_count(C, UY[c], w, unit)
            s += cap[c]
        if cap.sum() <= 0:
            break
        if n_rules == rules.shape[0]:  # grow the buffers
            bigger = np.full((2 * n_rules, max_card), -1, dtype=np.int64)
            biggerR = np.zeros((2 * n_rules, nw), dtype=np.uint64)
            for i in range(n_rules):
                for j in range(max_card):
                    bigger[i, j] = rules[i, j]
                for j in range(nw):
                    biggerR[i, j] = R[i, j]
            rules = bigger
            R = biggerR
        # insertion sort of the few conditions (np.sort would compile a quicksort for int64)
        for i in range(nc):
            v = conj[i]
            j = i
            while j > 0 and rules[n_rules, j - 1] > v:
                rules[n_rules, j] = rules[n_rules, j - 1]
                j -= 1
            rules[n_rules, j] = v
        for j in range(nw):
            R[n_rules, j] = C[j]
        n_rules += 1
        for c in range(k):
            for j in range(nw):
                UY[c, j] &= ~C[j]
        mistakes += cap.sum() - cap.max()
        for c in range(k):
            rest[c] = rest[c] - cap[c]
        best = min(best, mistakes + rest.sum() - rest.max() + lam_w * n_rules)
    objs = _prefix_objectives(R, n_rules, Y, w, unit, lam, W)
    # the prefix with the smallest objective (ties: the shorter)
    keep = 0
    for r in range(1, n_rules + 1):
        if objs[r] + 1e-12 * r < objs[keep] + 1e-12 * keep:
            keep = r
    return rules[:keep].copy(), objs[keep]


def greedy_best(A, Y, w, unit, lam, W, max_card, limit, min_count, criterion, partner):
    """The greedy list for one score (``criterion`` >= 0) or, with ``criterion = -1``, for
    each of the three, keeping the smallest objective (ties within 1e-12: the first in the
    order 0, 1, 2). ``limit < 0`` means no limit on the number of rules. Returns rules as
    rows of indices into ``A``, padded with -1.

    Scores 2 and then 1 (the costliest: many small precise rules) stop growing once no
    longer list could win (objective below the best so far + 2e-12): a list cut short this
    way is one that would not have been kept, so the result is the same as growing each to
    its own end.

    Plain Python around three calls of the compiled :func:`_greedy_one` (a compiled wrapper
    re-optimised and re-generated the machine code of everything it calls: seconds of first
    compilation for microseconds of call overhead saved)."""
    if criterion >= 0:
        return _greedy_one(
            A, Y, w, unit, lam, W, max_card, limit, min_count, criterion, partner, np.inf
        )[0]
    r0, o0 = _greedy_one(A, Y, w, unit, lam, W, max_card, limit, min_count, 0, partner, np.inf)
    r2, o2 = _greedy_one(
        A, Y, w, unit, lam, W, max_card, limit, min_count, 2, partner, o0 + 2e-12
    )
    r1, o1 = _greedy_one(
        A, Y, w, unit, lam, W, max_card, limit, min_count, 1, partner, min(o0, o2) + 2e-12
    )
    best, best_obj = r0, o0
    if o1 < best_obj - 1e-12:
        best, best_obj = r1, o1
    if o2 < best_obj - 1e-12:
        best, best_obj = r2, o2
    return best


def greedy_rule_list(A, Y, w, unit, lam, *, max_card=1, max_rules=None, min_count=0.0,
                     criterion=None, partner=None, W=None):
    """Sequential covering over single conditions ``A``.

    Parameters
    ----------
    A : uint64 (m, n_words)
        Captures of the single conditions.
    Y : uint64 (k, n_words)
        Class bit vectors.
    w : float64 (n_samples,)
    unit : bool
    lam : float
        Penalty per rule as a fraction of the total weight.
    max_card : int
        Conditions per rule.
    max_rules : int or None
    min_count : float
        Minimum weight a rule must newly capture.
    criterion : int or None
        One of the scores (see the module docstring); None tries all and keeps the best list.
    partner : int64 (m,) or None
        ``partner[a] = b`` (b < a): row ``a`` of ``A`` is the complement of row ``b`` among all
        samples (-1: none); used with unit weights to count ``a`` without reading it.
    W : float or None
        ``w.sum()`` when the caller has it.

    Returns
    -------
    list of tuple of int
        The rules, each a tuple of indices into ``A``.
    """
    rules = greedy_best(
        np.ascontiguousarray(A, dtype=np.uint64), np.ascontiguousarray(Y, dtype=np.uint64),
        np.ascontiguousarray(w, dtype=np.float64), bool(unit), float(lam),
        float(w.sum()) if W is None else float(W),
        int(max_card), -1 if max_rules is None else int(max_rules), float(min_count),
        -1 if criterion is None else int(criterion),
        np.full(A.shape[0], -1, dtype=np.int64) if partner is None
        else np.ascontiguousarray(partner, dtype=np.int64),
    )
    return [tuple(int(a) for a in row if a >= 0) for row in rules.tolist()]
