"""Numba kernel: dictionary-encode a low-cardinality Arrow string column from its buffers.

pandas' default string columns are pyarrow ``large_string`` arrays. A categorical column of a
tabular data set (sex, age band, charge degree) has a handful of distinct values, so comparing
each value's bytes with the few seen so far (the previous row's value first) is several times
faster than the general hash table of ``pyarrow.compute.dictionary_encode``.
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
def small_dictionary_kernel(offsets, data, validity, has_nulls, start, n, max_unique):
    """Codes (first-appearance order, -1 for null) of the ``n`` strings from position
    ``start`` of an Arrow string array (``offsets`` int64, ``data`` uint8, ``validity`` the
    null bitmap as uint8, read only when ``has_nulls``).

    Returns ``(codes, starts, lengths, n_unique)``: unique ``u`` is the bytes
    ``data[starts[u]: starts[u] + lengths[u]]``; ``n_unique`` is -1 when the column has more
    than ``max_unique`` distinct values (the caller then uses a hash table)."""
    codes = np.empty(n, dtype=np.int64)
    starts = np.empty(max_unique, dtype=np.int64)
    lengths = np.empty(max_unique, dtype=np.int64)
    nu = 0
    last = -1
    for i in range(n):
        p = start + i
        if has_nulls and ((validity[p >> 3] >> (p & 7)) & 1) == 0:
            codes[i] = -1
            continue
        a = offsets[p]
        length = offsets[p + 1] - a
        found = -1
        if last >= 0 and lengths[last] == length and _same(data, starts[last], a, length):
            found = last
        else:
            for u in range(nu):
                if lengths[u] == length and _same(data, starts[u], a, length):
                    found = u
                    break
        if found < 0:
            if nu == max_unique:
                return codes, starts, lengths, -1
            starts[nu] = a
            lengths[nu] = length
            found = nu
            nu += 1
        codes[i] = found
        last = found
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
