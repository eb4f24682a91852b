"""Numba kernel: dictionary-encode a low-cardinality Arrow string column from its buffers.

pandas' default string columns are pyarrow ``large_string`` arrays. A categorical column of a
tabular data set (sex, age band, charge degree) has a handful of short distinct values, so an
integer key of each value's first bytes and a tiny table beat the general hash table of
``pyarrow.compute.dictionary_encode`` (about 2x on COMPAS's columns). The kernel returns
each value's rank among the sorted distinct values, which is the category code the rule
learner uses, so a fit encodes a string column in one pass over its buffers.
"""

import numpy as np
from numba import njit

from .._jit import internal


@internal
@njit(cache=True, nogil=True, inline="always")
def _same(data, a, b, length):
    for t in range(length):
        if data[a + t] != data[b + t]:
            return False
    return True


@internal
@njit(cache=True, nogil=True, inline="always")
def _less(data, a, la, b, lb):
    """Bytes ``data[a: a + la]`` before ``data[b: b + lb]`` (UTF-8 byte order is code point
    order, Python's order of str)."""
    for t in range(min(la, lb)):
        x = data[a + t]
        y = data[b + t]
        if x != y:
            return x < y
    return la < lb


@njit(cache=True, nogil=True)
def string_codes_kernel(offsets, words, data, validity, has_nulls, start, n, max_unique, out):
    """Write to ``out`` (float64, n) the rank of each of the ``n`` strings from position
    ``start`` of an Arrow string array among its distinct values sorted (NaN for null):
    ``offsets`` int64 from that position on (``n + 1`` of them), ``data`` uint8 and
    ``words`` its whole 8-byte words (uint64, a view or a copy), ``validity`` the null
    bitmap as uint8, read only when ``has_nulls``.

    Each string's first 8 bytes (fewer: zero-masked) form an integer key, read from two
    aligned words without a byte loop (byte by byte only at the buffer's end); a 256-slot
    table maps (key, length) to its code (open addressing), the bytes past the eighth
    compared only for longer strings. The few distinct values are then sorted by their bytes
    and the codes replaced by their ranks. Returns ``(starts, lengths, n_unique)``: sorted
    unique ``u`` is ``data[starts[u]: starts[u] + lengths[u]]``; ``n_unique`` is -1 when the
    column has more than ``max_unique`` distinct values (``out`` is then unspecified and the
    caller uses a hash table)."""
    starts = np.empty(max_unique, dtype=np.int64)
    lengths = np.empty(max_unique, dtype=np.int64)
    keys = np.empty(max_unique, dtype=np.uint64)
    # open addressing (linear probing) over 256 slots: at most max_unique (<= 64) are used,
    # so a probe always ends at a match or an empty slot
    table = np.full(256, -1, dtype=np.int64)
    # -1: null; int8 (at most 64 distinct values, max_unique <= 127): less memory traffic
    codes = np.empty(n, dtype=np.int8)
    nw = words.shape[0]
    nu = 0
    too_many = False
    for i in range(n):
        if has_nulls:
            p = start + i
            if ((validity[p >> 3] >> (p & 7)) & 1) == 0:
                codes[i] = -1
                continue
        # offsets[i], not offsets[start + i]: the shifted index cost a fifth of the loop
        a = offsets[i]
        length = offsets[i + 1] - a
        q = a >> 3
        if q + 1 < nw:
            sh = np.uint64((a & 7) * 8)
            # the high part shifted in two steps: one shift by 64 - sh would be by 64 when
            # sh = 0 (undefined); in two it is zero
            key = (words[q] >> sh) | ((words[q + 1] << (np.uint64(63) - sh)) << np.uint64(1))
            if length < 8:
                key &= (np.uint64(1) << np.uint64(8 * length)) - np.uint64(1)
        else:  # the last bytes of the buffer: byte by byte (no read past its end)
            key = np.uint64(0)
            for t in range(min(length, 8)):
                key |= np.uint64(data[a + t]) << np.uint64(8 * t)
        h = ((key ^ np.uint64(length)) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(56)
        while True:
            u = table[h]
            if u < 0:
                if nu == max_unique:
                    too_many = True
                    break
                starts[nu] = a
                lengths[nu] = length
                keys[nu] = key
                table[h] = nu
                u = nu
                nu += 1
                break
            if keys[u] == key and lengths[u] == length and (
                length <= 8 or _same(data, starts[u], a, length)
            ):
                break
            h = (h + np.uint64(1)) & np.uint64(255)
        if too_many:
            break
        codes[i] = u
    if too_many:
        return starts, lengths, -1
    # sort the distinct values (insertion sort: a few), then codes -> ranks
    order = np.empty(nu, dtype=np.int64)
    for u in range(nu):
        j = u
        while j > 0 and _less(data, starts[u], lengths[u], starts[order[j - 1]],
                              lengths[order[j - 1]]):
            order[j] = order[j - 1]
            j -= 1
        order[j] = u
    rank = np.empty(nu + 1)  # the last: NaN for null (code -1)
    rank[nu] = np.nan
    s_starts = np.empty(nu, dtype=np.int64)
    s_lengths = np.empty(nu, dtype=np.int64)
    for r in range(nu):
        rank[order[r]] = r
        s_starts[r] = starts[order[r]]
        s_lengths[r] = lengths[order[r]]
    for i in range(n):
        out[i] = rank[codes[i]]  # -1 wraps to the NaN
    return s_starts, s_lengths, nu


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
