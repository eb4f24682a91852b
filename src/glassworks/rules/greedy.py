"""Greedy rule lists by sequential covering.

Grow: each new rule starts from the single condition that scores best on the still-uncaptured
samples, then takes on more conditions (up to ``max_card``) while that improves its score; the
rule predicts the majority class of what it captures. Conjunctions are thus built on the fly
from the single conditions and never all materialised. Growing stops at ``max_rules``, when no
condition captures ``min_count`` weight, or when CORELS's lookahead bound shows that no longer
list can have a smaller objective. Prune: keep the prefix with the smallest objective (mistakes +
``lam`` per rule, the objective the optimal search minimises), so ``lam`` means the same for
both algorithms.

Three scores are tried and the list with the smallest objective is kept (each is a few
milliseconds): 0, the Gini gain of the split captured / uncaptured; 1, the rule's
Laplace-corrected precision; 2, the Gini gain counting the captured side's (final) errors
twice instead of its impurity.
"""

import numpy as np
from numba import njit

from .bitvec import capture_counts, ctz64, popcount64

_CRITERIA = (0, 1, 2)


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


@njit(cache=True, nogil=True)
def best_condition_kernel(A, UY, C, w, unit, skip, min_count, criterion):
    """The condition ``a`` whose conjunction with the rule so far (bit vector ``C``) scores
    best on the uncaptured samples (class bit vectors ``UY``); (-1, -inf) if none captures
    ``min_count``."""
    m, nw = A.shape
    k = UY.shape[0]
    tot = np.zeros(k)
    for c in range(k):
        for j in range(nw):
            x = UY[c, j]
            if unit:
                tot[c] += float(popcount64(x))
            else:
                while x != 0:
                    tot[c] += w[j * 64 + np.int64(ctz64(x))]
                    x &= x - np.uint64(1)
    n_tot = tot.sum()
    best = -1
    best_score = -np.inf
    if n_tot <= 0.0:
        return best, best_score
    parent = n_tot - (tot * tot).sum() / n_tot
    cap = np.zeros(k)
    for a in range(m):
        if skip[a]:
            continue
        s = 0.0
        for c in range(k):
            tc = 0.0
            if unit:
                cnt = np.uint64(0)
                for j in range(nw):
                    cnt += popcount64(A[a, j] & C[j] & UY[c, j])
                tc = float(cnt)
            else:
                for j in range(nw):
                    x = A[a, j] & C[j] & UY[c, j]
                    while x != 0:
                        tc += w[j * 64 + np.int64(ctz64(x))]
                        x &= x - np.uint64(1)
            cap[c] = tc
            s += tc
        if s < min_count or s <= 0.0:
            continue
        sc = _score(cap, tot, k, criterion, parent)
        if sc > best_score:
            best_score = sc
            best = a
    return best, best_score


def greedy_rule_list(A, Y, w, unit, lam, *, max_card=1, max_rules=None, min_count=0.0,
                     criterion=None):
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

    Returns
    -------
    list of tuple of int
        The rules, each a tuple of indices into ``A``.
    """
    if criterion is None:
        best, best_obj = [], np.inf
        for crit in _CRITERIA:
            rules = greedy_rule_list(
                A, Y, w, unit, lam, max_card=max_card, max_rules=max_rules,
                min_count=min_count, criterion=crit,
            )
            obj = prefix_objectives(conjunction_captures(A, rules), Y, w, unit, lam)[-1]
            if obj < best_obj - 1e-12:
                best, best_obj = rules, obj
        return best
    m, nw = A.shape
    limit = np.inf if max_rules is None else int(max_rules)
    UY = Y.copy()
    W = float(w.sum())
    lam_w = lam * W
    ones = np.full(nw, ~np.uint64(0), dtype=np.uint64)
    rest = capture_counts(UY, ones[None, :], w, bool(unit))[:, 0]
    mistakes = 0.0
    best = rest.sum() - rest.max()
    rules = []
    while len(rules) < limit:
        # CORELS's lookahead bound: a longer list costs at least the mistakes made so far plus
        # one more rule; once that cannot beat the best prefix, growing further is pointless
        if mistakes + lam_w * (len(rules) + 1) >= best:
            break
        skip = np.zeros(m, dtype=np.bool_)
        a, score = best_condition_kernel(A, UY, ones, w, bool(unit), skip, float(min_count),
                                         int(criterion))
        if a < 0:
            break
        conj = [int(a)]
        C = A[a].copy()
        skip[a] = True
        while len(conj) < max_card:
            a2, s2 = best_condition_kernel(A, UY, C, w, bool(unit), skip, float(min_count),
                                           int(criterion))
            if a2 < 0 or s2 <= score + 1e-12 * abs(score) + 1e-300:
                break
            conj.append(int(a2))
            skip[a2] = True
            C &= A[a2]
            score = s2
        cap = capture_counts(C[None, :], UY, w, bool(unit))[0]
        if cap.sum() <= 0:
            break
        rules.append(tuple(sorted(conj)))
        UY &= ~C[None, :]
        mistakes += cap.sum() - cap.max()
        rest = rest - cap
        best = min(best, mistakes + rest.sum() - rest.max() + lam_w * len(rules))
    objs = prefix_objectives(conjunction_captures(A, rules), Y, w, unit, lam)
    # the prefix with the smallest objective (ties: the shorter)
    keep = int(np.argmin(np.asarray(objs) + 1e-12 * np.arange(len(objs))))
    return rules[:keep]


def conjunction_captures(A, rules):
    """Bit vectors of the rules' conjunctions, shape (n_rules, n_words)."""
    out = np.empty((len(rules), A.shape[1]), dtype=np.uint64)
    for r, conj in enumerate(rules):
        v = A[conj[0]].copy()
        for a in conj[1:]:
            v &= A[a]
        out[r] = v
    return out


def prefix_objectives(R, Y, w, unit, lam):
    """Objective of every prefix (0 .. n_rules rules) of the list with captures ``R``."""
    W = float(w.sum())
    UY = Y.copy()
    ones = np.full((1, Y.shape[1]), ~np.uint64(0), dtype=np.uint64)
    tot = capture_counts(UY, ones, w, bool(unit))[:, 0]
    mistakes = 0.0
    objs = [(tot.sum() - tot.max()) / W]
    for K in range(R.shape[0]):
        cap = capture_counts(R[K : K + 1], UY, w, bool(unit))[0]
        mistakes += cap.sum() - cap.max()
        UY &= ~R[K][None, :]
        tot = tot - cap
        objs.append((mistakes + tot.sum() - tot.max()) / W + lam * (K + 1))
    return objs
