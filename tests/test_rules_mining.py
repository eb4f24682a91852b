"""Bit-vector kernels and antecedent mining against plain numpy."""

import itertools

import numpy as np
import pandas as pd
import pytest

from glassworks.rules.bitvec import capture_counts, pack_columns, unpack_vector
from glassworks.rules.mining import (
    GT,
    LE,
    analyse_columns,
    antecedent_mask,
    encode,
    mine_antecedents,
)
from glassworks.rules.search import equivalent_minority


@pytest.mark.parametrize("n", [1, 63, 64, 65, 200])
def test_pack_and_counts(n):
    rng = np.random.RandomState(n)
    B = rng.rand(n, 5) < 0.4
    Yb = rng.rand(n, 3) < 0.5
    w = rng.uniform(0.1, 3, size=n)
    A = pack_columns(B)
    Y = pack_columns(Yb)
    for j in range(5):
        np.testing.assert_array_equal(unpack_vector(A[j], n), B[:, j])
    expected_unit = B.T.astype(float) @ Yb.astype(float)
    expected_w = B.T.astype(float) @ (Yb * w[:, None])
    np.testing.assert_allclose(capture_counts(A, Y, w, True), expected_unit)
    np.testing.assert_allclose(capture_counts(A, Y, w, False), expected_w)


def _frame(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.randn(n)
    x[rng.rand(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "k": rng.randint(0, 3, size=n).astype(float),
            "c": rng.choice(["a", "b", "c"], size=n),
            "const": np.full(n, 2.0),
            "b": rng.rand(n) < 0.3,
        }
    )


@pytest.mark.parametrize("max_card", [1, 2, 3])
def test_mined_antecedents_are_what_they_say(max_card):
    X = _frame(300, max_card)
    w = np.random.RandomState(0).uniform(0.5, 2, size=300)
    kinds, cats, ready = analyse_columns(X)
    assert kinds == ["num", "num", "cat", "num", "cat"]
    Z = encode(X, kinds, cats)
    ants, A, sup = mine_antecedents(
        Z, w, kinds, cats, n_cuts=4, max_card=max_card, min_support=0.05, ready_made=ready
    )
    assert len(ants) == A.shape[0] == sup.shape[0] > 0
    seen = set()
    for ante, row, s in zip(ants, A, sup):
        mask = antecedent_mask(Z, ante)
        np.testing.assert_array_equal(unpack_vector(row, 300), mask)
        assert s == pytest.approx(w[mask].sum() / w.sum())
        assert 0.05 <= s < 1.0
        assert 1 <= len(ante) <= max_card
        assert mask.tobytes() not in seen  # no two antecedents capture the same rows
        seen.add(mask.tobytes())
        assert all(c[0] != 3 for c in ante)  # the constant column offers nothing
    # at most n_cuts thresholds per numeric column
    cuts = {(c[0], c[2]) for a in ants for c in a if c[1] in (LE, GT)}
    for j in (0, 1):
        assert len({t for f, t in cuts if f == j}) <= 4
    # every single condition of the "x is missing" kind is there (10% NaN)
    assert any(a == ((0, 3, a[0][2]),) for a in ants if len(a) == 1 and a[0][1] == 3)


def test_pairs_are_complete():
    """Every pair of base conditions on different features with enough support is kept
    (possibly as an equal-capture duplicate of an earlier antecedent)."""
    X = _frame(200, 7)
    kinds, cats, ready = analyse_columns(X)
    Z = encode(X, kinds, cats)
    w = np.ones(200)
    base, _, _ = mine_antecedents(Z, w, kinds, cats, n_cuts=3, max_card=1, min_support=0.0,
                                  ready_made=ready)
    ants, A, _ = mine_antecedents(Z, w, kinds, cats, n_cuts=3, max_card=2, min_support=0.1,
                                  ready_made=ready)
    captured = {unpack_vector(r, 200).tobytes() for r in A}
    for (a,), (b,) in itertools.combinations(base, 2):
        if a[0] == b[0]:
            continue
        mask = antecedent_mask(Z, (a, b))
        if 0.1 <= mask.mean() < 1.0:
            assert mask.tobytes() in captured


def test_weighted_cuts_equal_repeated_rows():
    rng = np.random.RandomState(3)
    x = rng.rand(80, 1)
    w = rng.randint(1, 4, size=80).astype(float)
    kinds, cats = ["num"], [None]
    a, _, _ = mine_antecedents(x, w, kinds, cats, n_cuts=5, max_card=1, min_support=0.0,
                               ready_made=False)
    xr = np.repeat(x, w.astype(int), axis=0)
    b, _, _ = mine_antecedents(xr, np.ones(len(xr)), kinds, cats, n_cuts=5, max_card=1,
                               min_support=0.0, ready_made=False)
    assert a == b


def test_equivalent_minority_brute_force():
    rng = np.random.RandomState(0)
    n = 500
    B = rng.rand(n, 70) < 0.02  # 70 antecedents: two 64-wide blocks
    B[:, :3] = rng.rand(n, 3) < 0.5
    y = rng.randint(0, 3, size=n)
    w = rng.uniform(0.5, 1.5, size=n)
    minor = equivalent_minority(pack_columns(B), y, w, 3)
    groups = {}
    for i in range(n):
        groups.setdefault(B[i].tobytes(), []).append(i)
    expected_weight = 0.0
    for idx in groups.values():
        cw = np.bincount(y[idx], weights=w[idx], minlength=3)
        expected_weight += cw.sum() - cw.max()
        # within a group, the unflagged samples are all of one class
        assert len(set(y[[i for i in idx if not minor[i]]])) == 1
    assert w[minor].sum() == pytest.approx(expected_weight)


def test_unseen_and_missing_categories_encode():
    X = pd.DataFrame({"c": ["a", "b", None, "a"]})
    kinds, cats, _ = analyse_columns(X)
    Z = encode(pd.DataFrame({"c": ["b", "zzz", None, "a"]}), kinds, cats)
    np.testing.assert_array_equal(Z[[0, 1, 3], 0], [1.0, -1.0, 0.0])
    assert np.isnan(Z[2, 0])


def _reference_cuts(x, w, n_cuts):
    """The cut rule in plain numpy (full sort), the oracle of the Numba kernel."""
    ok = ~np.isnan(x) & (w > 0)
    x, w = x[ok], w[ok]
    u = np.unique(x)
    if u.size <= 1:
        return np.empty(0)
    if u.size - 1 <= n_cuts:
        return u[:-1] + (u[1:] - u[:-1]) / 2.0
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    total = cum[-1]
    levels = np.arange(1, n_cuts + 1) / (n_cuts + 1) * total - 1e-9 * total
    pos = np.clip(np.searchsorted(cum, levels, side="left"), 0, x.size - 1)
    vals = np.unique(x[order][pos])
    if vals[-1] == x.max():
        vals = np.unique(np.r_[vals[:-1], x[x < x.max()].max()])
    hi = np.array([x[x > v].min() for v in vals])
    return vals + (hi - vals) / 2.0


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [60, 500, 3000, 8193, 20_000])
def test_cut_kernel_matches_reference(seed, n):
    from glassworks.rules.cuts import column_cuts

    rng = np.random.RandomState(seed)
    cols = [
        rng.randn(n),
        rng.randint(0, 4, n).astype(float),
        rng.randint(0, 30, n).astype(float),
        np.r_[np.zeros(n - 3), [1.0, 2.0, 3.0]],  # heavy ties at the bottom
        np.r_[np.full(n - 5, 9.0), rng.rand(5)],  # heavy ties at the top
        np.full(n, 1.0),
        rng.standard_cauchy(n),  # heavy tails: quantiles in buckets far apart
        np.round(rng.randn(n), 2),  # many ties inside one bucket
        -rng.exponential(size=n) * 1e-3,  # negative, small magnitudes
        np.r_[rng.randn(n - 2), [-1.7e308, 1.7e308]],  # max - min overflows
        rng.randn(n) * 1e-310,  # subnormal
        np.exp(rng.randn(n) * 8),  # most values in the lowest value bucket
    ]
    Z = np.column_stack(cols)
    Z[rng.rand(n, Z.shape[1]) < 0.1] = np.nan
    w = rng.randint(0, 3, n).astype(float) if seed % 2 else np.ones(n)
    for n_cuts in (1, 3, 8, 300):  # 300: more wanted buckets than a uint8 slot could name
        cuts = column_cuts(Z, w, np.arange(Z.shape[1]), n_cuts)
        for j in range(Z.shape[1]):
            np.testing.assert_array_equal(cuts[j], _reference_cuts(Z[:, j], w, n_cuts))


@pytest.mark.parametrize("seed", range(40))
def test_string_factorize_matches_pandas(seed):
    """The Arrow-buffer dictionary kernel (and its hash-table fallback above 64 values) gives
    pandas' factorisation: nulls, empty and non-ASCII strings, sliced and chunked arrays."""
    from glassworks.rules.mining import _factorize

    rng = np.random.RandomState(seed)
    n = rng.randint(1, 300)
    # keys are the first 8 bytes: lengths 7-9 and strings alike in those 8 bytes included
    pool = ["a", "bb", "", "é", "ü€", "a ", "x" * 20, "abcdefg", "abcdefgh", "abcdefgh1",
            "abcdefgh2", "abcdefgh\x00", "a\x00"] + [f"v{i}" for i in range(rng.randint(1, 100))]
    col = [pool[i] for i in rng.randint(0, len(pool), n)]
    if seed % 3 == 0:
        for i in rng.randint(0, n, n // 5):
            col[i] = None
    s = pd.Series(col, dtype="str")
    if seed % 4 == 1 and n > 3:
        s = s.iloc[2:-1]  # an Arrow array with an offset
    if seed % 5 == 2:
        s = pd.concat([s, s.iloc[::-1]], ignore_index=True)
    codes, uniques = _factorize(s)
    ref_codes, ref_uniques = pd.factorize(s, use_na_sentinel=True)
    got = [uniques[c] if c >= 0 else None for c in codes]
    want = [ref_uniques[c] if c >= 0 else None for c in ref_codes]
    assert got == want
    assert sorted(uniques) == sorted(ref_uniques)


@pytest.mark.parametrize("seed", range(5))
def test_first_unique_rows_matches_numpy(seed):
    from glassworks.rules.bitvec import first_unique_rows

    rng = np.random.RandomState(seed)
    base = rng.rand(200, 10) < 0.5
    B = base[:, rng.randint(0, 10, 60)]  # many identical columns
    A = pack_columns(B)
    cand = np.sort(rng.choice(60, 45, replace=False)).astype(np.int64)
    keep = first_unique_rows(A, cand)
    rows = [A[c].tobytes() for c in cand]
    expected = [rows.index(r) == i for i, r in enumerate(rows)]
    np.testing.assert_array_equal(keep, expected)


@pytest.mark.parametrize("seed", range(30))
def test_greedy_complement_counting_gives_the_same_list(seed):
    """Counting ``x > t`` as (rule so far) minus ``x <= t`` changes no list: the greedy lists
    with and without the partners are equal on random problems (NaN columns have none)."""
    from glassworks.rules.bitvec import pack_labels
    from glassworks.rules.greedy import greedy_rule_list

    rng = np.random.RandomState(seed)
    n = rng.randint(50, 700)
    k = 2 + seed % 3
    Z = rng.randn(n, 4)
    Z[:, 1] = rng.randint(0, 5, n)
    if seed % 2:
        Z[rng.rand(n) < 0.1, 2] = np.nan
    y = (Z[:, 0] + np.nan_to_num(Z[:, 2]) + rng.randn(n) > 0).astype(np.int64) * (k - 1)
    y[rng.rand(n) < 0.2] = rng.randint(0, k)
    w = np.ones(n)
    ants, A, _ = mine_antecedents(Z, w, ["num"] * 4, [None] * 4, n_cuts=6, max_card=1,
                                  min_support=0.02, ready_made=False)
    partner = ants.complement_partners(A, n)
    assert (partner >= 0).any()
    for a in np.flatnonzero(partner >= 0):
        b = partner[a]
        assert ants[a][0][1] == GT and ants[b][0][1] == LE
        assert not (seed % 2 and ants[a][0][0] == 2)  # the column with NaN has no partners
        np.testing.assert_array_equal(unpack_vector(A[a], n), ~unpack_vector(A[b], n))
    Y = pack_labels(y, k)
    for max_card in (1, 2):
        plain = greedy_rule_list(A, Y, w, True, 0.005, max_card=max_card, min_count=0.02 * n)
        fast = greedy_rule_list(A, Y, w, True, 0.005, max_card=max_card, min_count=0.02 * n,
                                partner=partner)
        assert plain == fast


@pytest.mark.parametrize("seed", range(40))
def test_greedy_cutoff_keeps_the_list_of_full_runs(seed):
    """Scores 2 and 1 stop growing once they cannot win; the kept list is the one the three
    scores grown to their own ends would give (smallest objective, ties to the first)."""
    from glassworks.rules.bitvec import pack_labels
    from glassworks.rules.greedy import _greedy_one, greedy_best

    rng = np.random.RandomState(seed)
    n = rng.randint(40, 600)
    k = 2 + seed % 3
    Z = np.round(rng.randn(n, 5), 1)
    y = ((Z[:, 0] + Z[:, 1] * Z[:, 2] + rng.randn(n) * 0.7) > 0).astype(np.int64) * (k - 1)
    y[rng.rand(n) < 0.15] = rng.randint(0, k)
    w = np.ones(n) if seed % 2 else rng.randint(1, 4, n).astype(float)
    unit = bool(np.all(w == 1.0))
    ants, A, _ = mine_antecedents(Z, w, ["num"] * 5, [None] * 5, n_cuts=5, max_card=1,
                                  min_support=0.0, ready_made=False)
    Y = pack_labels(y, k)
    partner = ants.complement_partners(A, n) if unit else np.full(len(ants), -1)
    lam = [0.0, 0.002, 0.01, 0.03][seed % 4]
    W = float(w.sum())
    for max_card in (1, 2):
        full = [_greedy_one(A, Y, w, unit, lam, W, max_card, -1, 0.01 * W, c, partner, np.inf)
                for c in range(3)]
        best, best_obj = full[0]
        for rules, obj in full[1:]:
            if obj < best_obj - 1e-12:
                best, best_obj = rules, obj
        got = greedy_best(A, Y, w, unit, lam, W, max_card, -1, 0.01 * W, -1, partner)
        np.testing.assert_array_equal(got, best)


@pytest.mark.parametrize("seed", range(20))
def test_pack_conditions_matches_numpy(seed):
    """The grouped packing (a column read once; x > v after x <= v by complement) gives the
    bits of plain numpy comparisons, NaN satisfying only "is missing", nothing past n."""
    from glassworks.rules.bitvec import pack_conditions

    rng = np.random.RandomState(seed)
    n, d = rng.randint(1, 300), 4
    Zt = np.round(rng.randn(d, n), 1)
    Zt[rng.rand(d, n) < 0.15] = np.nan
    m = rng.randint(1, 30)
    f = np.sort(rng.randint(0, d, m)) if seed % 4 else rng.randint(0, d, m)
    o = rng.randint(0, 4, m)
    v = np.round(rng.randn(m), 1)
    for i in range(1, m):  # pairs as mined: x <= t then x > t
        if rng.rand() < 0.5 and f[i] == f[i - 1]:
            o[i - 1], o[i], v[i] = LE, GT, v[i - 1]
    P = pack_conditions(Zt, f.astype(np.int64), o.astype(np.int64), v)
    with np.errstate(invalid="ignore"):
        for r in range(m):
            x = Zt[f[r]]
            expected = [x <= v[r], x > v[r], x == v[r], np.isnan(x)][o[r]]
            np.testing.assert_array_equal(unpack_vector(P[r], n), expected)
            if n % 64:
                assert P[r, -1] >> np.uint64(n % 64) == 0


def test_string_ranks_unaligned_and_readonly_buffers():
    """The string kernel reads the data buffer's own words when it is 8-byte aligned and a
    copy otherwise: same ranks either way, and for int32 (string) offsets."""
    import pyarrow as pa

    from glassworks.rules.mining import _string_ranks

    vals = ["b", None, "abcdefghij", "a", "b", "abcdefghik", "", "a"] * 5
    for typ in (pa.large_string(), pa.string()):
        ref_arr = pa.array(vals, type=typ)
        validity, offsets, data = ref_arr.buffers()
        shifted = pa.py_buffer(b"\0" + data.to_pybytes())[1:]  # address not a multiple of 8
        assert shifted.address % 8 != 0
        arr = pa.Array.from_buffers(typ, len(vals), [validity, offsets, shifted],
                                    null_count=ref_arr.null_count)
        for a in (ref_arr, arr, arr.slice(3)):
            out = np.empty(len(a))
            uniques = _string_ranks(a, out)
            got = [None if np.isnan(r) else uniques[int(r)] for r in out]
            assert got == a.to_pylist()
            assert uniques == sorted(set(v for v in a.to_pylist() if v is not None))
