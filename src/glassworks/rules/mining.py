"""Antecedent mining: raw columns -> conditions -> conjunctions, as packed bit vectors.

Every column is first *encoded* as float64 (``encode``): a numeric column as itself (NaN =
missing), a categorical column (pandas category, object/string, bool) as the index of its
category (NaN = missing, ``-1`` = a category unseen in training). Conditions act on the
encoding, so prediction, the equivalent tree and the explanations all read the same matrix:

- ``LE``: ``x <= t``  (missing -> false)
- ``GT``: ``x > t``   (missing -> false)
- ``EQ``: ``x == c``  (category code ``c``; missing / unseen -> false)
- ``ISNAN``: ``x is missing``

A condition is a tuple ``(feature, op, value)``; an antecedent is a tuple of conditions.
"""

import numpy as np

from .bitvec import and_conjunctions, capture_counts, pack_columns, pack_conditions

LE, GT, EQ, ISNAN = 0, 1, 2, 3
_OP_TEXT = {LE: "<=", GT: ">", EQ: "==", ISNAN: "is missing"}


# -- columns ---------------------------------------------------------------------------------
def _is_bool_dtype(dtype):
    import pandas as pd

    return pd.api.types.is_bool_dtype(dtype)


def _is_numeric_dtype(dtype):
    import pandas as pd

    return pd.api.types.is_numeric_dtype(dtype) and not _is_bool_dtype(dtype)


def _isna_scalar(v):
    import pandas as pd

    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _lookup(lookup, value):
    try:
        return lookup.get(value, -1)
    except TypeError:  # unhashable: cannot be a training category
        return -1


def _sorted_categories(values):
    import pandas as pd

    values = values if isinstance(values, pd.Series) else pd.Series(values)
    return _sorted_values([v for v in values.dropna().unique() if not _isna_scalar(v)])


def _sorted_values(uniq):
    try:
        return list(sorted(uniq))
    except TypeError:  # mixed types: a stable order all the same
        return list(sorted(uniq, key=lambda v: (type(v).__name__, str(v))))


def analyse_columns(X, factorized=None):
    """Decide each column's kind from the training data.

    ``factorized``, a dict, receives ``{column: (codes, uniques)}`` of the categorical columns
    of a DataFrame, for :func:`encode` to reuse (hashing a string column once, not twice).

    Returns
    -------
    kinds : list of str
        ``"num"`` or ``"cat"`` per column.
    categories : list
        For a categorical column the list of its categories (codes are positions), else None.
    ready_made : bool
        Every column is boolean: X is a ready-made antecedent matrix (each column one
        antecedent, named by the column).
    """
    import pandas as pd

    kinds, categories = [], []
    if isinstance(X, pd.DataFrame):
        for col in X.columns:
            s = X[col]
            dt = s.dtype
            if _is_bool_dtype(dt):
                kinds.append("cat")
                categories.append([False, True])
            elif isinstance(dt, pd.CategoricalDtype):
                kinds.append("cat")
                categories.append(list(dt.categories))
            elif _is_numeric_dtype(dt):
                kinds.append("num")
                categories.append(None)
            else:
                kinds.append("cat")
                codes, uniques = pd.factorize(s, use_na_sentinel=True)
                if factorized is not None:
                    factorized[len(kinds) - 1] = (codes, uniques)
                # factorize leaves every kind of missing value out of ``uniques``
                categories.append(_sorted_values(list(uniques)))
        ready_made = len(kinds) > 0 and all(_is_bool_dtype(dt) for dt in X.dtypes)
        return kinds, categories, ready_made
    arr = np.asarray(X)
    if arr.dtype.kind == "b":
        d = arr.shape[1]
        return ["cat"] * d, [[False, True] for _ in range(d)], True
    if arr.dtype.kind in "iuf":
        return ["num"] * arr.shape[1], [None] * arr.shape[1], False
    for j in range(arr.shape[1]):
        try:
            arr[:, j].astype(np.float64)
            kinds.append("num")
            categories.append(None)
        except (TypeError, ValueError):
            kinds.append("cat")
            categories.append(_sorted_categories(arr[:, j]))
    return kinds, categories, False


def encode(X, kinds, categories, factorized=None):
    """Encode X (DataFrame or array) as float64 (n_samples, n_features); see module docstring.

    ``factorized``: the categorical columns' ``(codes, uniques)`` from :func:`analyse_columns`
    on this same X, reused instead of factorising again."""
    import pandas as pd

    n = X.shape[0]
    Z = np.empty((n, len(kinds)), dtype=np.float64)
    is_frame = isinstance(X, pd.DataFrame)
    arr = None if is_frame else np.asarray(X)
    for j, kind in enumerate(kinds):
        col = X.iloc[:, j] if is_frame else arr[:, j]
        if kind == "num":
            try:
                v = np.asarray(pd.to_numeric(pd.Series(col), errors="raise"), dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"Column {j} was numeric in training but holds non-numeric values: {exc}"
                ) from None
            if np.isinf(v).any():
                raise ValueError(f"Column {j} contains infinity; only NaN (missing) is allowed.")
            Z[:, j] = v
        else:
            # factorise (hashing), then map the few distinct values to category codes
            if factorized is not None and j in factorized:
                codes, uniques = factorized[j]
            else:
                codes, uniques = pd.factorize(pd.Series(col), use_na_sentinel=True)
            lookup = {v: i for i, v in enumerate(categories[j])}
            mapped = np.array(
                [_lookup(lookup, u) for u in uniques] + [np.nan], dtype=np.float64
            )
            # code -1 (missing) picks the trailing NaN
            Z[:, j] = mapped[codes]
    return Z


# -- conditions -----------------------------------------------------------------------------
def condition_mask(Z, cond):
    """Boolean vector: which rows of the encoded matrix satisfy the condition."""
    j, op, v = cond
    x = Z[:, j]
    with np.errstate(invalid="ignore"):
        if op == LE:
            return x <= v
        if op == GT:
            return x > v
        if op == EQ:
            return x == v
        return np.isnan(x)


def antecedent_mask(Z, antecedent):
    mask = np.ones(Z.shape[0], dtype=bool)
    for cond in antecedent:
        mask &= condition_mask(Z, cond)
    return mask


def condition_text(cond, names, categories, ready_made=False):
    j, op, v = cond
    name = names[j]
    if op == ISNAN:
        return f"{name} is missing"
    if op == EQ:
        value = categories[j][int(v)]
        if isinstance(value, (bool, np.bool_)):
            if ready_made:
                return name if value else f"not {name}"
            return f"{name}" if value else f"not {name}"
        return f"{name} == {value}"
    return f"{name} {_OP_TEXT[op]} {float(v):.6g}"


def antecedent_text(antecedent, names, categories, ready_made=False):
    return " and ".join(condition_text(c, names, categories, ready_made) for c in antecedent)


def base_conditions(Z, w, kinds, categories, n_cuts, ready_made, Zt=None):
    """The single conditions each column offers (before the support filter)."""
    from .cuts import column_cuts

    conds = []
    num_cols = np.array([j for j, kind in enumerate(kinds) if kind == "num"], dtype=np.int64)
    cuts = {}
    if num_cols.size:
        cuts = dict(zip(num_cols.tolist(), column_cuts(Z, w, num_cols, int(n_cuts), Zt=Zt)))
    valid = w > 0
    Zv = Z[valid] if not valid.all() else Z
    nan_cols = np.isnan(Zv).any(axis=0).tolist()
    for j, kind in enumerate(kinds):
        has_nan = nan_cols[j]
        if kind == "num":
            for t in cuts[j].tolist():
                conds.append((j, LE, t))
                conds.append((j, GT, t))
        else:
            x = Zv[:, j]
            present = np.unique(x[~np.isnan(x)]).astype(np.int64)
            if ready_made:
                present = present[present == 1]  # a column is one antecedent: "col is true"
            elif present.size + has_nan <= 1:
                present = present[:0]
            for c in present.tolist():
                conds.append((j, EQ, float(c)))
        if has_nan and not ready_made:
            conds.append((j, ISNAN, np.nan))
    return conds


def _compatible(antecedent, cond):
    """A conjunction holds at most one condition per feature, except a numeric interval
    (one ``<=`` and one ``>``): anything else is contradictory or redundant."""
    for c in antecedent:
        if c[0] == cond[0]:
            if {c[1], cond[1]} != {LE, GT}:
                return False
            # x <= a and x > b is an interval only when b < a
            le = c[2] if c[1] == LE else cond[2]
            gt = c[2] if c[1] == GT else cond[2]
            if gt >= le:
                return False
    return True


def _compatible_pairs(base):
    """Index pairs (i < j) of base conditions that :func:`_compatible` accepts, vectorised."""
    feat = np.array([c[0] for c in base], dtype=np.int64)
    op = np.array([c[1] for c in base], dtype=np.int64)
    val = np.array([c[2] for c in base], dtype=np.float64)
    i, j = np.triu_indices(len(base), k=1)
    ok = feat[i] != feat[j]
    same = ~ok
    le_gt = same & (op[i] == LE) & (op[j] == GT) & (val[j] < val[i])
    gt_le = same & (op[i] == GT) & (op[j] == LE) & (val[i] < val[j])
    ok |= le_gt | gt_le
    return np.stack([i[ok], j[ok]], axis=1).astype(np.int64)


def mine_antecedents(Z, w, kinds, categories, *, n_cuts, max_card, min_support, ready_made):
    """Mine antecedents (conjunctions of up to ``max_card`` conditions).

    Kept: support (weighted fraction of the rows captured) at least ``min_support``, above
    zero, below one (an antecedent that captures everything is the default rule); among
    antecedents capturing exactly the same rows, the first (fewest conditions) only.

    Returns
    -------
    antecedents : list of tuple
        Each a tuple of conditions.
    captures : uint64 (n_antecedents, n_words)
    support : float64 (n_antecedents,)
        Weighted fraction captured.
    """
    W = float(w.sum())
    Zt = np.ascontiguousarray(Z.T)  # one transpose, for the cuts and the packing
    base = base_conditions(Z, w, kinds, categories, n_cuts, ready_made, Zt=Zt)
    if not base:
        return [], np.zeros((0, (Z.shape[0] + 63) // 64), dtype=np.uint64), np.zeros(0)
    n = Z.shape[0]
    unit = bool(np.all(w == 1.0))
    valid = pack_columns(np.ones((n, 1), dtype=bool))
    packed = pack_conditions(
        Zt,
        np.array([c[0] for c in base], dtype=np.int64),
        np.array([c[1] for c in base], dtype=np.int64),
        np.array([c[2] for c in base], dtype=np.float64),
    )
    base_support = capture_counts(packed, valid, w, unit)[:, 0] / W
    keep = (base_support >= min_support) & (base_support > 0)
    base = [c for c, kp in zip(base, keep) if kp]
    base_packed = np.ascontiguousarray(packed[keep])
    level = [(i,) for i in range(len(base))]
    level_packed = base_packed
    all_ante = [(c,) for c in base]
    all_packed = [base_packed]
    all_support = [base_support[keep]]
    for _card in range(2, int(max_card) + 1):
        if _card == 2:
            pairs = _compatible_pairs(base)
            new_level = [(int(i), int(j)) for i, j in pairs]
        else:
            new_level, new_cols = [], []
            for li, combo in enumerate(level):
                conds = [base[i] for i in combo]
                for b in range(combo[-1] + 1, len(base)):
                    if _compatible(conds, base[b]):
                        new_level.append(combo + (b,))
                        new_cols.append((li, b))
            pairs = np.asarray(new_cols, dtype=np.int64).reshape(-1, 2)
        if not new_level:
            break
        kept_combos, kept_packed, kept_support = [], [], []
        for start in range(0, len(new_level), 8192):
            sl = slice(start, start + 8192)
            packed = and_conjunctions(level_packed, base_packed, pairs[sl])
            sup = capture_counts(packed, valid, w, unit)[:, 0] / W
            ok = np.flatnonzero((sup >= min_support) & (sup > 0))
            kept_combos.extend(new_level[start + i] for i in ok)
            kept_packed.append(packed[ok])
            kept_support.append(sup[ok])
        level = kept_combos
        level_packed = np.concatenate(kept_packed, axis=0)
        all_ante.extend(tuple(base[i] for i in combo) for combo in level)
        all_packed.append(level_packed)
        all_support.append(np.concatenate(kept_support))
        if not level:
            break
    captures = np.concatenate(all_packed, axis=0)
    support = np.concatenate(all_support)
    # drop duplicates (same rows captured; the first kept) and antecedents capturing every
    # (weighted) row
    cand = np.flatnonzero(support < 1.0 - 1e-12)
    if cand.size:
        rows = np.ascontiguousarray(captures[cand]).view(
            np.dtype((np.void, captures.dtype.itemsize * captures.shape[1]))
        ).ravel()
        _, first = np.unique(rows, return_index=True)
        keep_idx = cand[np.sort(first)]
    else:
        keep_idx = cand.astype(np.int64)
    return (
        [all_ante[i] for i in keep_idx],
        np.ascontiguousarray(captures[keep_idx]),
        support[keep_idx],
    )
