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

from collections.abc import Sequence

import numpy as np

from .._format import format_threshold
from .bitvec import (
    and_conjunctions,
    complement_partners_kernel,
    first_unique_rows,
    pack_conditions,
    row_weights,
)
from .cuts import column_cuts_padded, column_summary_kernel, condition_arrays_kernel
from .encoding import string_codes_kernel, transpose_kernel

LE, GT, EQ, ISNAN = 0, 1, 2, 3
_OP_TEXT = {LE: "<=", GT: ">", EQ: "==", ISNAN: "is missing"}


# -- columns ---------------------------------------------------------------------------------

def warn_numbers_as_strings(columns):
    """The warning for columns of numbers stored as strings, read as numeric features."""
    from .._validation import warn_at_caller

    warn_at_caller(
        "Columns whose values are all numbers stored as strings are used as numeric "
        f"features: {', '.join(columns[:10])}{' ...' if len(columns) > 10 else ''}"
        ". Convert them with pd.to_numeric to silence this, or to the 'category' "
        "dtype to keep one category per value (e.g. codes such as zip codes).")


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


def _arrow_strings(arr):
    """The single-chunk pyarrow (large_)string array behind a pandas string array (pandas'
    default ``str`` columns), or None."""
    import pandas as pd

    if not (hasattr(arr, "__arrow_array__") and isinstance(arr.dtype, pd.StringDtype)):
        return None
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - string[pyarrow] implies pyarrow
        return None
    ca = arr.__arrow_array__()
    if isinstance(ca, pa.ChunkedArray) and (
        pa.types.is_string(ca.type) or pa.types.is_large_string(ca.type)
    ):
        return ca.chunk(0) if ca.num_chunks == 1 else ca.combine_chunks()
    return None


def _factorize(s):
    """``(codes, uniques)`` of a Series: codes index ``uniques`` (a list), -1 for missing.

    A pyarrow-backed string column (pandas' default ``str``) is dictionary-encoded from its
    Arrow buffers (:func:`_string_ranks`; pandas' factorize builds an Index of the uniques and
    copies the codes, about twice the cost), by pyarrow above 64 distinct values."""
    import pandas as pd

    ch = _arrow_strings(s.array)
    if ch is not None:
        ranks = np.empty(len(ch))
        uniques = _string_ranks(ch, ranks)
        if uniques is not None:
            codes = np.where(np.isnan(ranks), -1.0, ranks).astype(np.int64)
            return codes, uniques
        import pyarrow.compute as pc

        de = ch.dictionary_encode()
        idx = de.indices
        if idx.null_count:
            idx = pc.fill_null(idx, -1)
        return idx.to_numpy(zero_copy_only=False), de.dictionary.to_pylist()
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, list(uniques)


def _string_ranks(ch, out, max_unique=64):
    """Fill ``out`` (float64) with each string's rank among the sorted distinct values of
    the Arrow (large_)string array ``ch`` (NaN for null) and return those values (a sorted
    list), by :func:`.encoding.string_codes_kernel`; None when there are more than
    ``max_unique``."""
    import pyarrow as pa

    n = len(ch)
    validity, offsets, data = ch.buffers()[:3]
    off_type = np.int64 if pa.types.is_large_string(ch.type) else np.int32
    offsets = np.frombuffer(offsets, dtype=off_type)[ch.offset: ch.offset + n + 1]
    if off_type is np.int32:
        offsets = offsets.astype(np.int64)
    # read-only arrays: one compiled signature whatever the source (a pyarrow buffer can be
    # mutable or not)
    offsets.flags.writeable = False
    if data is not None and data.address % 8 == 0:  # Arrow aligns buffers: no copy
        data = np.frombuffer(data, dtype=np.uint8)
        data.flags.writeable = False
        words = data[: data.size - data.size % 8].view(np.uint64)
    else:
        data = np.frombuffer(data.to_pybytes() if data is not None else b"", dtype=np.uint8)
        words = np.frombuffer(data.tobytes()[: data.size - data.size % 8], dtype=np.uint64)
    has_nulls = ch.null_count > 0
    validity = np.frombuffer(validity if has_nulls else b"\0", dtype=np.uint8)
    validity.flags.writeable = False
    starts, lengths, nu = string_codes_kernel(
        offsets, words, data, validity, has_nulls, ch.offset, n, max_unique, out
    )
    if nu < 0:
        return None
    return [data[a: a + b].tobytes().decode("utf-8")
            for a, b in zip(starts.tolist(), lengths.tolist())]


def encode_frame_columns(X):
    """Fit-time fast path of :func:`analyse_columns` + :func:`encode` for a DataFrame whose
    columns are all numpy numeric (not boolean) or pyarrow strings with at most 64 distinct
    values (e.g. a CSV read by pandas): ``(Zt, kinds, categories)``, ``Zt`` the encoded
    matrix transposed (n_features, n_samples), C-contiguous, the same values :func:`encode`
    gives, and ``has_nan`` (bool per column: a missing value). None for any other frame
    (the caller then takes the general path).

    The column arrays are read once, without building a Series per column (that cost more
    than encoding a column)."""
    try:
        arrays = list(X._iter_column_arrays())
    except AttributeError:  # pragma: no cover - a pandas without it
        arrays = [s.array for _, s in X.items()]
    n = X.shape[0]
    d = len(arrays)
    Zt = np.empty((d, n))
    has_nan = np.zeros(d, dtype=np.bool_)
    kinds, categories = [], []
    for j, arr in enumerate(arrays):
        if isinstance(arr, np.ndarray):
            if arr.dtype.kind not in "iuf":
                return None
            Zt[j] = arr
            if arr.dtype.kind == "f":
                if np.isinf(Zt[j]).any():
                    raise ValueError(
                        f"Column {j} contains infinity; only NaN (missing) is allowed."
                    )
                has_nan[j] = np.isnan(Zt[j]).any()
            kinds.append("num")
            categories.append(None)
            continue
        ch = _arrow_strings(arr)
        if ch is None:
            return None
        uniques = _string_ranks(ch, Zt[j])
        if uniques is None or _all_numbers(uniques):
            return None  # numbers stored as strings: the general path decides
        has_nan[j] = ch.null_count > 0
        kinds.append("cat")
        categories.append(uniques)
    return Zt, kinds, categories, has_nan


def _codes_to_float(codes, uniques, categories):
    """The encoding (position in the training ``categories``, NaN for missing, -1 for a value
    unseen in training) of factorised ``codes`` into ``uniques``."""
    lookup = {v: i for i, v in enumerate(categories)}
    mapped = np.array([_lookup(lookup, u) for u in uniques] + [np.nan], dtype=np.float64)
    return mapped[codes]  # code -1 (missing) picks the trailing NaN


def analyse_columns(X, factorized=None):
    """Decide each column's kind from the training data.

    ``factorized``, a dict, receives ``{column: (codes, uniques)}`` of the categorical columns
    of a DataFrame and under ``"columns"`` its columns as Series, for :func:`encode` to reuse
    (hashing a string column once, not twice).

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
        dtypes = X.dtypes.tolist()
        cols = [s for _, s in X.items()]
        if factorized is not None:
            factorized["columns"] = cols
        _reject_dates(X.columns, dtypes)
        as_numbers = []
        for j, (s, dt) in enumerate(zip(cols, dtypes)):
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
                codes, uniques = _factorize(s)
                if _all_numbers(uniques):
                    # every non-missing value is a number written as text (a CSV column
                    # read as strings): thresholds on its values, not one category each
                    kinds.append("num")
                    categories.append(None)
                    as_numbers.append(str(X.columns[j]))
                    continue
                kinds.append("cat")
                if factorized is not None:
                    factorized[j] = (codes, uniques)
                # factorize leaves every kind of missing value out of ``uniques``
                categories.append(_sorted_values(uniques))
        if as_numbers:
            warn_numbers_as_strings(as_numbers)
        ready_made = len(kinds) > 0 and all(_is_bool_dtype(dt) for dt in dtypes)
        return kinds, categories, ready_made
    arr = np.asarray(X)
    if arr.dtype.kind in "mM":
        _reject_dates([f"x{j}" for j in range(arr.shape[1])], [arr.dtype] * arr.shape[1])
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


def _all_numbers(uniques):
    """True when every value is a string that parses as a number (``"1.5"``, ``"-2"``,
    ``"1e3"``; ``"nan"`` counts as missing) and at least one is not NaN."""
    some = False
    for v in uniques:
        if not isinstance(v, str):
            return False
        try:
            some |= not np.isnan(float(v))
        except ValueError:
            return False
    return some


def _reject_dates(names, dtypes):
    """A clear error for datetime, timedelta and period columns: neither one category per
    timestamp (what a string column becomes) nor raw nanoseconds (rules nobody can read)."""
    import pandas as pd

    bad = [f"{n} ({dt})" for n, dt in zip(names, dtypes)
           if pd.api.types.is_datetime64_any_dtype(dt) or pd.api.types.is_timedelta64_dtype(dt)
           or isinstance(dt, pd.PeriodDtype)]
    if bad:
        raise ValueError(
            "RuleListClassifier cannot use date or time columns as they are: "
            + ", ".join(bad[:10]) + (" ..." if len(bad) > 10 else "")
            + ". Derive the numbers the rules should test, e.g. X[col].dt.year, "
            "X[col].dt.dayofweek, or days since a date, (X[col] - t0).dt.days."
        )


def encode(X, kinds, categories, factorized=None):
    """Encode X (DataFrame or array) as float64 (n_samples, n_features); see module docstring.

    ``factorized``: the categorical columns' ``(codes, uniques)`` from :func:`analyse_columns`
    on this same X, reused instead of factorising again."""
    import pandas as pd

    n = X.shape[0]
    Z = np.empty((n, len(kinds)), dtype=np.float64)
    is_frame = isinstance(X, pd.DataFrame)
    if is_frame:
        cols = (factorized or {}).get("columns") or [s for _, s in X.items()]
    else:
        arr = np.asarray(X)
        cols = [arr[:, j] for j in range(arr.shape[1])]
    for j, kind in enumerate(kinds):
        col = cols[j]
        if kind == "num":
            if is_frame and _is_numeric_dtype(col.dtype):
                v = col.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                try:
                    v = np.asarray(
                        pd.to_numeric(pd.Series(col), errors="raise"), dtype=np.float64
                    )
                except (TypeError, ValueError) as exc:
                    raise ValueError(
                        f"Column {j} was numeric in training but holds non-numeric values: {exc}"
                    ) from None
            if np.isinf(v).any():
                raise ValueError(f"Column {j} contains infinity; only NaN (missing) is allowed.")
            Z[:, j] = v
        elif is_frame and _is_bool_dtype(col.dtype) and categories[j] == [False, True]:
            Z[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)  # False, True -> 0, 1
        elif (
            is_frame
            and isinstance(col.dtype, pd.CategoricalDtype)
            and list(col.dtype.categories) == categories[j]
        ):
            # the training categories in the same order: the codes are the encoding
            codes = col.cat.codes.to_numpy()
            Z[:, j] = np.where(codes < 0, np.nan, codes)
        else:
            # factorise (hashing), then map the few distinct values to category codes
            if factorized is not None and j in factorized:
                codes, uniques = factorized[j]
            else:
                codes, uniques = _factorize(col if is_frame else pd.Series(col))
            Z[:, j] = _codes_to_float(codes, uniques, categories[j])
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
    return f"{name} {_OP_TEXT[op]} {format_threshold(v)}"


def antecedent_text(antecedent, names, categories, ready_made=False):
    return " and ".join(condition_text(c, names, categories, ready_made) for c in antecedent)


def base_condition_arrays(Z, w, kinds, categories, n_cuts, ready_made, Zt=None, has_nan=None,
                          unit=None):
    """The single conditions each column offers (before the support filter), as arrays
    ``(feature, op, value)``: per column in order, a numeric column's cuts (``<=`` then
    ``>`` for each), a categorical column's present categories, then "is missing" when
    the column has missing values.

    ``has_nan``: which columns have missing values, when the caller knows it and every
    row has a positive weight and every category occurs (categories found in these very
    rows): the per-value summary pass is then skipped. ``unit``: whether every weight is 1,
    when the caller knows."""
    if Zt is None:
        Zt = transposed(Z)
    d = len(kinds)
    is_cat = np.array([kind != "num" for kind in kinds], dtype=np.bool_)
    n_cat = max([len(categories[j]) for j in range(d) if is_cat[j]], default=0)
    if has_nan is None:
        has_nan, present = column_summary_kernel(Zt, w, is_cat, n_cat)
    else:
        present = np.zeros((d, max(n_cat, 1)), dtype=np.bool_)
        for j in np.flatnonzero(is_cat).tolist():
            present[j, : len(categories[j])] = True
    num_cols = np.flatnonzero(~is_cat)
    if num_cols.size:
        cuts, counts = column_cuts_padded(
            None, w, None, int(n_cuts), Zt=Zt if num_cols.size == d else Zt[num_cols],
            unit=unit,
        )
    else:
        cuts, counts = np.zeros((0, 1)), np.zeros(0, dtype=np.int64)
    return condition_arrays_kernel(is_cat, cuts, counts, present, has_nan, bool(ready_made))


class Antecedents(Sequence):
    """The mined antecedents as a read-only sequence of tuples of conditions, built on
    access (a fit reads only the few its rules use; building thousands of tuples cost as
    much as the rest of a small fit).

    ``feature, op, value``: the base conditions; ``combos``: int64 (n, max_card), row ``i``
    the base conditions of antecedent ``i`` padded with -1."""

    def __init__(self, feature, op, value, combos):
        self._arrays = (feature, op, value)
        self._f = feature.tolist()
        self._o = op.tolist()
        self._v = value.tolist()
        self._combos = combos

    def __len__(self):
        return self._combos.shape[0]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[t] for t in range(*i.indices(len(self)))]
        return tuple((self._f[b], self._o[b], self._v[b]) for b in self._combos[i].tolist()
                     if b >= 0)

    def __eq__(self, other):
        return isinstance(other, Sequence) and list(self) == list(other)

    def complement_partners(self, captures, n):
        """``partner[a] = a - 1`` when antecedent ``a`` is the single condition ``x > t``,
        ``a - 1`` is ``x <= t`` (their order in the mined list) and their captures are
        complements over the ``n`` samples (the column has no missing value), else -1; see
        :func:`.greedy.greedy_rule_list`."""
        f, o, v = self._arrays
        return complement_partners_kernel(captures, self._combos, f, o, v, int(n))

    def __repr__(self):
        return repr(list(self))


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


def _compatible_pairs(feat, op, val):
    """Index pairs (i < j) of base conditions (arrays) that :func:`_compatible` accepts,
    vectorised."""
    i, j = np.triu_indices(feat.shape[0], k=1)
    ok = feat[i] != feat[j]
    same = ~ok
    le_gt = same & (op[i] == LE) & (op[j] == GT) & (val[j] < val[i])
    gt_le = same & (op[i] == GT) & (op[j] == LE) & (val[i] < val[j])
    ok |= le_gt | gt_le
    return np.stack([i[ok], j[ok]], axis=1).astype(np.int64)


def transposed(Z):
    """``Z.T`` C-contiguous (float64), by a blocked kernel when ``Z`` is a C-contiguous
    float64 matrix."""
    if Z.dtype == np.float64 and Z.flags.c_contiguous and Z.ndim == 2:
        return transpose_kernel(Z)
    return np.ascontiguousarray(Z.T, dtype=np.float64)


def mine_antecedents(Z, w, kinds, categories, *, n_cuts, max_card, min_support, ready_made,
                     Zt=None, has_nan=None, unit=None):
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
    if unit is None:
        unit = bool(np.all(w == 1.0))
    W = float(w.shape[0]) if unit else float(w.sum())
    if Zt is None:  # one transpose, for the cuts and the packing (the caller may have it)
        Zt = transposed(Z)
    feat, op, val = base_condition_arrays(Z, w, kinds, categories, n_cuts, ready_made, Zt=Zt,
                                          has_nan=has_nan, unit=unit)
    n = Z.shape[0]
    if feat.size == 0:
        empty = np.zeros((0, 1), dtype=np.int64)
        return (Antecedents(feat, op, val, empty),
                np.zeros((0, (n + 63) // 64), dtype=np.uint64), np.zeros(0))
    packed = pack_conditions(Zt, feat, op, val)
    base_support = row_weights(packed, w, unit) / W
    keep = (base_support >= min_support) & (base_support > 0)
    if int(max_card) == 1:
        # the single conditions: the general steps below without the levels (same result)
        base_idx = np.flatnonzero(keep)
        cand = np.flatnonzero(base_support[base_idx] < 1.0 - 1e-12)
        rows = base_idx[cand]
        final = cand[first_unique_rows(packed, rows)]
        rows = base_idx[final]
        return (
            Antecedents(feat[base_idx], op[base_idx], val[base_idx], final.reshape(-1, 1)),
            packed[rows],
            base_support[rows],
        )
    base_idx = np.flatnonzero(keep)
    feat, op, val = feat[base_idx], op[base_idx], val[base_idx]
    nb = base_idx.size
    base = None  # tuples, only for cardinality >= 3
    base_packed = np.ascontiguousarray(packed[keep])
    max_card = int(max_card)
    level = np.arange(nb, dtype=np.int64)[:, None]
    level_packed = base_packed
    all_combos = [level]
    all_packed = [base_packed]
    all_support = [base_support[keep]]
    for _card in range(2, max_card + 1):
        if _card == 2:
            pairs = _compatible_pairs(feat, op, val)
            new_level = pairs
        else:
            if base is None:
                base = list(zip(feat.tolist(), op.tolist(), val.tolist()))
            combos, new_cols = [], []
            for li, combo in enumerate(level.tolist()):
                conds = [base[i] for i in combo]
                for b in range(combo[-1] + 1, nb):
                    if _compatible(conds, base[b]):
                        combos.append(combo + [b])
                        new_cols.append((li, b))
            pairs = np.asarray(new_cols, dtype=np.int64).reshape(-1, 2)
            new_level = np.asarray(combos, dtype=np.int64).reshape(-1, _card)
        if new_level.shape[0] == 0:
            break
        kept_combos, kept_packed, kept_support = [], [], []
        for start in range(0, new_level.shape[0], 8192):
            sl = slice(start, start + 8192)
            packed = and_conjunctions(level_packed, base_packed, pairs[sl])
            sup = row_weights(packed, w, unit) / W
            ok = np.flatnonzero((sup >= min_support) & (sup > 0))
            kept_combos.append(new_level[sl][ok])
            kept_packed.append(packed[ok])
            kept_support.append(sup[ok])
        level = np.concatenate(kept_combos, axis=0)
        level_packed = np.concatenate(kept_packed, axis=0)
        all_combos.append(level)
        all_packed.append(level_packed)
        all_support.append(np.concatenate(kept_support))
        if level.shape[0] == 0:
            break
    width = all_combos[-1].shape[1]
    combos = np.full((sum(c.shape[0] for c in all_combos), width), -1, dtype=np.int64)
    start = 0
    for c in all_combos:
        combos[start: start + c.shape[0], : c.shape[1]] = c
        start += c.shape[0]
    captures = np.concatenate(all_packed, axis=0) if len(all_packed) > 1 else all_packed[0]
    support = np.concatenate(all_support)
    # drop duplicates (same rows captured; the first kept) and antecedents capturing every
    # (weighted) row
    cand = np.flatnonzero(support < 1.0 - 1e-12)
    keep_idx = cand[first_unique_rows(captures, cand.astype(np.int64))]
    return (
        Antecedents(feat, op, val, combos[keep_idx]),
        np.ascontiguousarray(captures[keep_idx]),
        support[keep_idx],
    )
