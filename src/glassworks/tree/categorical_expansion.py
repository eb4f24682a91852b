"""A tree with categorical splits as an equivalent tree of threshold splits on the codes.

The explanation kernels (TreeSHAP path-dependent and interventional, Saabas) and the
comparator's boxes read threshold splits only. :func:`expand_categorical` rewrites each
categorical split ``code in S`` as a small binary search over the runs of consecutive codes
that go the same way (a split at the midpoint between two runs), whose exits lead to copies
of the original left or right subtree. The result is a tree of threshold splits on the same
features that computes the same function of the codes (with missing and unseen codes as NaN,
:func:`codes_for_expansion`), and whose explanations are the original tree's, exactly:

- interventional Shapley values depend on the function alone;
- path-dependent TreeSHAP's value function averages over a split by its children's covers
  when the feature is left out: the exits towards the left subtree share its cover (equal
  parts), those towards the right its cover, every copy keeps its original's cover ratios,
  so the products of ratios along the chain (all on the same feature, which TreeSHAP
  multiplies) sum to the original ratio, and with the feature in, the row follows its code;
- Saabas contributions telescope along the chain (all on the feature): value(child) -
  value(node), as in the original.

A code that cannot reach a split (an ancestor on the same feature sent it elsewhere) may go
either way there; leaving those out merges runs, so a deep split on a few categories stays
small. The expansion duplicates subtrees, so it can grow large on splits of many categories
over deep trees: past ``max_nodes`` it raises a ValueError saying so.
"""

import numpy as np

from ._tree import TREE_LEAF, TREE_UNDEFINED, Tree

__all__ = ["expand_categorical", "codes_for_expansion", "MAX_EXPANDED_NODES"]

#: the largest expanded tree :func:`expand_categorical` builds by default
MAX_EXPANDED_NODES = 2_000_000


def codes_for_expansion(X, is_categorical, n_categories):
    """X (float64 codes) with every categorical code that is not a training category
    (negative: unseen; past the categories; not an integer) as NaN: where the expanded
    tree sends missing values, as the original tree sends them."""
    X = np.array(X, dtype=np.float64, copy=True)
    for f in np.flatnonzero(is_categorical):
        col = X[:, f]
        bad = ~((col >= 0) & (col < n_categories[f]) & (col == np.floor(col)))
        col[bad] = np.nan
    return X


def expand_categorical(tree, n_categories, max_nodes=MAX_EXPANDED_NODES):
    """The equivalent threshold tree of ``tree`` (see the module docstring).

    Parameters
    ----------
    tree : Tree
    n_categories : int array of shape (n_features,)
        Number of categories of each feature (0 for a numeric one).
    max_nodes : int

    Returns
    -------
    Tree
        ``tree`` itself when it has no categorical split.
    """
    if not tree.has_categorical:
        return tree
    is_cat = tree.is_categorical_split()
    L, R = tree.children_left, tree.children_right
    cover = tree.weighted_n_node_samples
    out = {k: [] for k in ("left", "right", "feature", "threshold", "missing", "value",
                           "n", "cover", "impurity")}
    val = tree.value

    def emit(node, scale, thr, feat, miss):
        out["left"].append(TREE_LEAF)
        out["right"].append(TREE_LEAF)
        out["feature"].append(feat)
        out["threshold"].append(thr)
        out["missing"].append(miss)
        out["value"].append(val[node])
        out["n"].append(tree.n_node_samples[node])
        out["cover"].append(cover[node] * scale)
        out["impurity"].append(tree.impurity[node])
        if len(out["left"]) > max_nodes:
            raise ValueError(
                f"Expanding the tree's categorical splits into threshold splits (which the "
                f"explanations read) needs more than {max_nodes} nodes: its splits send many "
                "categories each way over deep subtrees. Explain a shallower tree (max_depth), "
                "or one with fewer categories per feature.")
        return len(out["left"]) - 1

    # work items: (original node, cover scale, allowed codes per feature, parent id, is_left)
    stack = [(0, 1.0, {}, -1, False)]

    def link(parent, is_left, child):
        if parent >= 0:
            (out["left"] if is_left else out["right"])[parent] = child

    while stack:
        node, scale, allowed, parent, is_left = stack.pop()
        if L[node] == TREE_LEAF:
            link(parent, is_left, emit(node, scale, float(TREE_UNDEFINED), TREE_UNDEFINED, 0))
            continue
        f = int(tree.feature[node])
        ml = int(tree.missing_go_to_left[node])
        if not is_cat[node]:
            me = emit(node, scale, float(tree.threshold[node]), f, ml)
            link(parent, is_left, me)
            stack.append((int(R[node]), scale, allowed, me, False))
            stack.append((int(L[node]), scale, allowed, me, True))
            continue
        k = int(n_categories[f])
        go = np.zeros(k, dtype=bool)
        lc = tree.categories_left(node, k)
        go[lc] = True
        ok = allowed.get(f, np.ones(k, dtype=bool))
        left_allowed = {**allowed, f: ok & go}
        right_allowed = {**allowed, f: ok & ~go}
        codes = np.flatnonzero(ok)
        # runs of consecutive reachable codes going the same way
        runs = []  # [first, last, goes_left]
        for c in codes:
            g = bool(go[c])
            if runs and runs[-1][2] == g:
                runs[-1][1] = c
            else:
                runs.append([c, c, g])
        kids = {True: (int(L[node]), left_allowed), False: (int(R[node]), right_allowed)}
        n_exits = {True: sum(r[2] for r in runs), False: sum(not r[2] for r in runs)}
        if len(runs) <= 1:
            # every reachable code goes one way (NaN perhaps the other): a split that sends
            # all codes to that side keeps the node's cover ratios
            g = runs[0][2] if runs else bool(ml)
            me = emit(node, scale, np.inf if g else -np.inf, f, ml)
            link(parent, is_left, me)
            for side in (False, True):
                child, al = kids[side]
                stack.append((child, scale, al, me, side))
            continue
        # a balanced search over the runs; each exit gets an equal share of its side's cover
        share = {s: scale / n_exits[s] for s in (True, False)}

        def build(a, b, parent_id, as_left):
            """Chain nodes over runs a..b (inclusive) hung under parent_id."""
            if a == b:
                side = runs[a][2]
                child, al = kids[side]
                stack.append((child, share[side], al, parent_id, as_left))
                return
            m = (a + b) // 2
            thr = (runs[m][1] + runs[m + 1][0]) / 2.0
            sides_left = {r[2] for r in runs[a: m + 1]}
            nan_left = bool(ml) in sides_left
            me = emit(node, scale, thr, f, int(nan_left))
            # the chain node's cover: its exits' shares of the children's covers
            w = sum(cover[kids[r[2]][0]] * share[r[2]] for r in runs[a: b + 1])
            out["cover"][me] = w
            link(parent_id, as_left, me)
            build(m + 1, b, me, False)
            build(a, m, me, True)

        build(0, len(runs) - 1, parent, is_left)
        # the chain's root keeps the node's own cover (its exits' shares add up to it)
    return Tree(
        children_left=np.array(out["left"], dtype=np.int64),
        children_right=np.array(out["right"], dtype=np.int64),
        feature=np.array(out["feature"], dtype=np.int64),
        threshold=np.array(out["threshold"], dtype=np.float64),
        missing_go_to_left=np.array(out["missing"], dtype=np.uint8),
        value=np.array(out["value"]),
        n_node_samples=np.array(out["n"], dtype=np.int64),
        weighted_n_node_samples=np.array(out["cover"], dtype=np.float64),
        impurity=np.array(out["impurity"], dtype=np.float64),
        n_features=tree.n_features,
    )
