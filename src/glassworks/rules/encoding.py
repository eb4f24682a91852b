"""Numba kernel: dictionary-encode a low-cardinality Arrow string column from its buffers.

pandas' default string columns are pyarrow ``large_string`` arrays. A categorical column of a
tabular data set (sex, age band, charge degree) has a handful of short distinct values, so an
integer key of each value's first bytes and a tiny table beat the general hash table of
``pyarrow.compute.dictionary_encode`` (about 2x on COMPAS's columns).
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, inline="always")
def _same(data, a, b, length):
    for t in range(length):
        if data[a + t] != data[b + t]:
            return False
    return True


@njit(cache=True, nogil=True)
def small_dictionary_kernel(offsets, words, data, validity, has_nulls, start, n, max_unique):
    """Codes (first-appearance order, -1 for null) of the ``n`` strings from position
    ``start`` of an Arrow string array (``offsets`` int64, ``data`` uint8 and the same bytes
    as ``words``, uint64 zero-padded by two words, ``validity`` the null bitmap as uint8,
    read only when ``has_nulls``).

    Each string's first 8 bytes (fewer: zero-masked) form an integer key, read from two
    aligned words without a byte loop; a 256-slot table maps (key, length) to its code, the
    bytes past the eighth compared only for longer strings. Returns ``(codes, starts,
    lengths, n_unique)``: unique ``u`` is ``data[starts[u]: starts[u] + lengths[u]]``;
    ``n_unique`` is -1 when the column has more than ``max_unique`` distinct values (the
    caller then uses a hash table)."""
    codes = np.empty(n, dtype=np.int64)
    starts = np.empty(max_unique, dtype=np.int64)
    lengths = np.empty(max_unique, dtype=np.int64)
    keys = np.empty(max_unique, dtype=np.uint64)
    table = np.full(256, -1, dtype=np.int64)
    nu = 0
    for i in range(n):
        p = start + i
        if has_nulls and ((validity[p >> 3] >> (p & 7)) & 1) == 0:
            codes[i] = -1
            continue
        a = offsets[p]
        length = offsets[p + 1] - a
        q = a >> 3
        sh = np.uint64((a & 7) * 8)
        key = words[q] >> sh
        if sh != 0:
            key |= words[q + 1] << (np.uint64(64) - sh)
        if length < 8:
            key &= (np.uint64(1) << np.uint64(8 * length)) - np.uint64(1)
        h = ((key ^ np.uint64(length)) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(56)
        u = table[h]
        if u >= 0 and keys[u] == key and lengths[u] == length and (
            length <= 8 or _same(data, starts[u], a, length)
        ):
            codes[i] = u
            continue
        found = -1
        for v in range(nu):
            if keys[v] == key and lengths[v] == length and (
                length <= 8 or _same(data, starts[v], a, length)
            ):
                found = v
                break
        if found < 0:
            if nu == max_unique:
                return codes, starts, lengths, -1
            starts[nu] = a
            lengths[nu] = length
            keys[nu] = key
            found = nu
            nu += 1
        if table[h] < 0:
            table[h] = found
        codes[i] = found
    return codes, starts, lengths, nu


@njit(cache=True, nogil=True)
def transpose_kernel(Z):
    """``Z.T`` as a C-contiguous copy, in blocks of 64 rows (each block of ``Z`` is read once
    while in cache; numpy's strided copy was several times slower on 80 000 x 20)."""
    n, d = Z.shape
    out = np.empty((d, n))
    for i0 in range(0, n, 64):
        i1 = min(i0 + 64, n)
        for j in range(d):
            for i in range(i0, i1):
                out[j, i] = Z[i, j]
    return out
