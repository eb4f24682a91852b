"""Greedy rule lists by sequential covering.

Grow: repeatedly add the antecedent whose split of the still-uncaptured samples (captured by
the new rule / left for later) most reduces the weighted Gini impurity, the rule predicting the
majority class of what it captures; stop at ``max_rules``, when nothing improves, or when no
antecedent captures ``min_count`` weight. Prune: keep the prefix length that minimises the same
objective the optimal search minimises (mistakes + ``lam`` per rule), so ``lam`` means the same
thing for both algorithms.
"""

import numpy as np
from numba import njit

from .bitvec import capture_counts, masked_count

# 0: Gini gain of the split captured / uncaptured; 1: Laplace-corrected precision of the rule;
# 3: Gini gain counting the captured side's (final) errors twice instead of its impurity
_CRITERIA = (0, 1, 3)


@njit(cache=True, nogil=True)
def best_split_kernel(A, UY, w, unit, used, min_count, criterion):
    """Index of the antecedent with the largest Gini gain on the uncaptured samples (-1 if
    none gains), and its gain."""
    m = A.shape[0]
    k = UY.shape[0]
    tot = np.zeros(k)
    for c in range(k):
        tot[c] = masked_count(UY[c], UY[c], w, unit)
    n_tot = tot.sum()
    if n_tot <= 0.0:
        return -1, 0.0
    sq = 0.0
    for c in range(k):
        sq += tot[c] * tot[c]
    parent = n_tot - sq / n_tot
    best = -1
    best_gain = 1e-12 * n_tot
    cap = np.zeros(k)
    for a in range(m):
        if used[a]:
            continue
        s = 0.0
        for c in range(k):
            cap[c] = masked_count(A[a], UY[c], w, unit)
            s += cap[c]
        if s < min_count or s <= 0.0:
            continue
        r = n_tot - s
        sq_cap = 0.0
        sq_rest = 0.0
        for c in range(k):
            sq_cap += cap[c] * cap[c]
            sq_rest += (tot[c] - cap[c]) * (tot[c] - cap[c])
        if criterion == 0:
            child = s - sq_cap / s
            if r > 0.0:
                child += r - sq_rest / r
            gain = parent - child
        elif criterion == 1:
            mx = 0.0
            for c in range(k):
                mx = max(mx, cap[c])
            gain = (mx + 1.0) / (s + k) - 0.5 * (k - 1.0) / k
        elif criterion == 3 or criterion == 4:
            mx = 0.0
            for c in range(k):
                mx = max(mx, cap[c])
            child = (2.0 if criterion == 3 else 1.0) * (s - mx)
            if r > 0.0:
                child += r - sq_rest / r
            gain = parent - child
        else:
            mx = 0.0
            rmx = 0.0
            tmx = 0.0
            for c in range(k):
                mx = max(mx, cap[c])
                rmx = max(rmx, tot[c] - cap[c])
                tmx = max(tmx, tot[c])
            gain = (n_tot - tmx) - ((s - mx) + (r - rmx))
        if gain > best_gain:
            best_gain = gain
            best = a
    return best, best_gain


def greedy_rule_list(A, Y, w, unit, lam, *, max_rules=None, min_count=0.0, criterion=None):
    """Sequential covering; returns the chosen antecedent indices (in order).

    Parameters
    ----------
    A : uint64 (m, n_words)
    Y : uint64 (k, n_words)
    w : float64 (n_samples,)
    unit : bool
    lam : float
        Penalty per rule as a fraction of the total weight (used to prune the grown list).
    max_rules : int or None
    min_count : float
        Minimum weight a rule must newly capture.
    """
    if criterion is None:
        # several greedy lists, the one with the smallest objective wins
        best, best_obj = None, np.inf
        for crit in _CRITERIA:
            chosen = greedy_rule_list(
                A, Y, w, unit, lam, max_rules=max_rules, min_count=min_count, criterion=crit
            )
            obj = list_objective(A, Y, w, unit, lam, chosen)
            if obj < best_obj - 1e-12:
                best, best_obj = chosen, obj
        return best
    m = A.shape[0]
    limit = m if max_rules is None else min(int(max_rules), m)
    UY = Y.copy()
    used = np.zeros(m, dtype=np.bool_)
    chosen = []
    W = float(w.sum())
    lam_w = lam * W
    ones = UY[:1] | ~UY[:1]
    rest = capture_counts(UY, ones, w, bool(unit))[:, 0]
    mistakes = 0.0
    best = rest.sum() - rest.max()
    while len(chosen) < limit:
        # CORELS's lookahead bound: a longer list costs at least the mistakes made so far
        # plus one more rule; once that cannot beat the best prefix, growing is pointless
        if mistakes + lam_w * (len(chosen) + 1) >= best:
            break
        a, _ = best_split_kernel(A, UY, w, bool(unit), used, float(min_count), int(criterion))
        if a < 0:
            break
        cap = capture_counts(A[a : a + 1], UY, w, bool(unit))[0]
        chosen.append(int(a))
        used[a] = True
        UY &= ~A[a][None, :]
        mistakes += cap.sum() - cap.max()
        rest = rest - cap
        best = min(best, mistakes + rest.sum() - rest.max() + lam_w * len(chosen))
    return prune_to_objective(A, Y, w, unit, lam, chosen)


def list_objective(A, Y, w, unit, lam, chosen):
    """Objective (weighted error rate + lam per rule) of the list ``chosen``."""
    return _prefix_objectives(A, Y, w, unit, lam, chosen)[-1]


def prune_to_objective(A, Y, w, unit, lam, chosen):
    """The prefix of ``chosen`` with the smallest objective (ties: the shorter)."""
    objs = _prefix_objectives(A, Y, w, unit, lam, chosen)
    best_len = int(np.argmin(np.asarray(objs) + 1e-12 * np.arange(len(objs))))
    return chosen[:best_len]


def _prefix_objectives(A, Y, w, unit, lam, chosen):
    W = float(w.sum())
    UY = Y.copy()
    mistakes = 0.0
    tot = capture_counts(UY, UY[:1] | ~UY[:1], w, bool(unit))[:, 0]
    objs = [(tot.sum() - tot.max()) / W]
    for K, a in enumerate(chosen, start=1):
        cap = capture_counts(A[a : a + 1], UY, w, bool(unit))[0]
        mistakes += cap.sum() - cap.max()
        UY &= ~A[a][None, :]
        rest = tot - cap
        tot = rest
        objs.append((mistakes + rest.sum() - rest.max()) / W + lam * K)
    return objs
