"""Bit-vector kernels: a set of training samples as packed ``uint64`` words.

A rule's captures, a class's members and the "not yet captured" set of a prefix are all bit
vectors of ``n_words = ceil(n_samples / 64)`` words; sample ``i`` is bit ``i % 64`` of word
``i // 64``. Counting a set is a popcount per word (one CPU instruction through LLVM's
``ctpop``); a weighted count walks the set bits with ``cttz``.
"""

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from .._jit import internal


@intrinsic
def popcount64(typingctx, x):
    """Number of set bits of a uint64 (LLVM ``ctpop``)."""
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


@intrinsic
def ctz64(typingctx, x):
    """Index of the lowest set bit of a non-zero uint64 (LLVM ``cttz``)."""
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        from llvmlite import ir

        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 0))

    return sig, codegen


def n_words(n_samples):
    return (int(n_samples) + 63) // 64


def pack_columns(B):
    """Pack a boolean matrix (n_samples, m) into bit vectors, shape (m, n_words), uint64."""
    B = np.asarray(B, dtype=bool)
    n, m = B.shape
    nw = n_words(n)
    padded = np.zeros((m, nw * 64), dtype=bool)
    padded[:, :n] = B.T
    # little-endian bit order inside each byte and byte order inside each word
    packed = np.packbits(padded.reshape(m, nw * 8, 8), axis=2, bitorder="little")
    return np.ascontiguousarray(packed.reshape(m, nw * 8).view("<u8").astype(np.uint64))


def pack_vector(b):
    """Pack one boolean vector (n_samples,) into a bit vector (n_words,)."""
    return pack_columns(np.asarray(b, dtype=bool)[:, None])[0]


def unpack_vector(v, n_samples):
    """Inverse of :func:`pack_vector`."""
    v = np.ascontiguousarray(v, dtype="<u8")
    bits = np.unpackbits(v.view(np.uint8), bitorder="little")
    return bits[:n_samples].astype(bool)


@internal
@njit(cache=True, nogil=True, inline="always")
def masked_count(a, b, w, unit):
    """Size of ``a & b``: a popcount when ``unit`` (unit weights), else the weight sum."""
    total = 0.0
    if unit:
        c = np.uint64(0)
        for j in range(a.shape[0]):
            c += popcount64(a[j] & b[j])
        total = float(c)
    else:
        for j in range(a.shape[0]):
            x = a[j] & b[j]
            base = j * 64
            while x != 0:
                t = ctz64(x)
                total += w[base + np.int64(t)]
                x &= x - np.uint64(1)
    return total


@njit(cache=True, nogil=True)
def capture_counts(captures, labels, w, unit):
    """Per antecedent and class, the weight of the samples it captures.

    Parameters
    ----------
    captures : uint64 (m, n_words)
    labels : uint64 (k, n_words)
        One bit vector per class.
    w : float64 (n_samples,)
    unit : bool

    Returns
    -------
    float64 (m, k)
    """
    m = captures.shape[0]
    k = labels.shape[0]
    out = np.zeros((m, k))
    for a in range(m):
        for c in range(k):
            out[a, c] = masked_count(captures[a], labels[c], w, unit)
    return out


@njit(cache=True, nogil=True)
def and_conjunctions(left, right, pairs):
    """Bit vectors of the conjunctions ``left[i] & right[j]`` for each row (i, j) of pairs."""
    p = pairs.shape[0]
    nw = left.shape[1]
    out = np.empty((p, nw), dtype=np.uint64)
    for r in range(p):
        i = pairs[r, 0]
        j = pairs[r, 1]
        for t in range(nw):
            out[r, t] = left[i, t] & right[j, t]
    return out


@njit(cache=True, nogil=True)
def pack_conditions(Zt, feature, op, value):
    """Bit vectors of single conditions on the encoded matrix, shape (m, n_words).

    ``Zt`` is the encoded matrix transposed, (n_features, n_samples), so that a condition
    reads one contiguous column. ``op``: 0 ``x <= v``, 1 ``x > v``, 2 ``x == v``, 3 ``x is
    NaN`` (NaN satisfies only 3).

    Consecutive conditions on the same feature are packed together, 64 samples at a time,
    so that each column is read from memory once (not once per condition); ``x > v`` right
    after ``x <= v`` (the order of the mined cuts) is the complement of its bits among the
    non-missing samples, without comparing again.
    """
    n = Zt.shape[1]
    m = feature.shape[0]
    nw = (n + 63) // 64
    out = np.zeros((m, nw), dtype=np.uint64)
    g0 = 0
    while g0 < m:
        g1 = g0 + 1
        while g1 < m and feature[g1] == feature[g0]:
            g1 += 1
        col = Zt[feature[g0]]
        for t in range(nw):
            base = t * 64
            stop = min(64, n - base)
            full = ~np.uint64(0) if stop == 64 else (np.uint64(1) << np.uint64(stop)) - np.uint64(1)
            nan_word = np.uint64(0)
            nan_done = False
            for r in range(g0, g1):
                o = op[r]
                v = value[r]
                if (o == 1 and r > g0 and op[r - 1] == 0 and value[r - 1] == v):
                    if not nan_done:
                        for b in range(stop):
                            nan_word |= np.uint64(np.isnan(col[base + b])) << np.uint64(b)
                        nan_done = True
                    out[r, t] = ~(out[r - 1, t] | nan_word) & full
                    continue
                word = np.uint64(0)
                if o == 0:
                    for b in range(stop):  # branchless: the outcome is data-dependent
                        word |= np.uint64(col[base + b] <= v) << np.uint64(b)
                elif o == 1:
                    for b in range(stop):  # branchless: the outcome is data-dependent
                        word |= np.uint64(col[base + b] > v) << np.uint64(b)
                elif o == 2:
                    for b in range(stop):  # branchless: the outcome is data-dependent
                        word |= np.uint64(col[base + b] == v) << np.uint64(b)
                else:
                    for b in range(stop):  # branchless: the outcome is data-dependent
                        word |= np.uint64(np.isnan(col[base + b])) << np.uint64(b)
                out[r, t] = word
        g0 = g1
    return out


@njit(cache=True, nogil=True)
def rule_list_counts(A, rules, Y, w, unit):
    """Class weights each rule of a list captures, the default rule last, shape (r + 1, k).

    ``rules``: int64 (r, c), rule ``i`` the conjunction of the rows ``rules[i]`` of ``A``
    (-1 = padding); it captures what it satisfies among the samples no earlier rule captured.
    """
    r, mc = rules.shape
    k, nw = Y.shape
    out = np.zeros((r + 1, k))
    U = np.empty(nw, dtype=np.uint64)
    for j in range(nw):
        U[j] = ~np.uint64(0)
    C = np.empty(nw, dtype=np.uint64)
    for i in range(r):
        for j in range(nw):
            C[j] = U[j]
        for t in range(mc):
            a = rules[i, t]
            if a >= 0:
                for j in range(nw):
                    C[j] &= A[a, j]
        for c in range(k):
            out[i, c] = masked_count(C, Y[c], w, unit)
        for j in range(nw):
            U[j] &= ~C[j]
    for c in range(k):
        out[r, c] = masked_count(U, Y[c], w, unit)
    return out


@njit(cache=True, nogil=True)
def pack_labels(y, k):
    """Class bit vectors (k, n_words) of integer labels ``y`` in ``0 .. k-1``."""
    n = y.shape[0]
    out = np.zeros((k, (n + 63) // 64), dtype=np.uint64)
    for i in range(n):
        out[y[i], i >> 6] |= np.uint64(1) << np.uint64(i & 63)
    return out


@njit(cache=True, nogil=True)
def row_weights(A, w, unit):
    """Weight of the samples each row of ``A`` captures, (m,)."""
    m = A.shape[0]
    out = np.empty(m)
    for a in range(m):
        out[a] = masked_count(A[a], A[a], w, unit)
    return out


@njit(cache=True, nogil=True)
def first_unique_rows_kernel(A, cand):
    """Among the rows ``cand`` of ``A``, True for the first of each set of identical rows:
    rows hashed into an open-addressing table (linear probing), compared word by word only
    on equal hashes. Identical rows share a probe path on which the first one was inserted,
    so a later copy meets it before any empty slot."""
    m = cand.shape[0]
    nw = A.shape[1]
    bits = 1
    while (1 << bits) < 2 * m:
        bits += 1
    size = 1 << bits
    slots = np.full(size, -1, dtype=np.int64)
    hashes = np.empty(m, dtype=np.uint64)
    keep = np.ones(m, dtype=np.bool_)
    for i in range(m):
        row = cand[i]
        s1 = np.uint64(0)
        s2 = np.uint64(0)
        for j in range(nw):
            s1 += A[row, j] * (np.uint64(2 * j + 1) * np.uint64(0x9E3779B97F4A7C15))
            s2 ^= A[row, j] + np.uint64(j)
        h = s1 ^ (s2 * np.uint64(0xC2B2AE3D27D4EB4F))
        hashes[i] = h
        s = np.int64((h * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - bits))
        while True:
            t = slots[s]
            if t < 0:
                slots[s] = i
                break
            if hashes[t] == h:
                other = cand[t]
                same = True
                for j in range(nw):
                    if A[row, j] != A[other, j]:
                        same = False
                        break
                if same:
                    keep[i] = False
                    break
            s = (s + 1) & (size - 1)
    return keep


def first_unique_rows(A, cand):
    """Among the rows ``cand`` of ``A``, True for the first of each set of identical rows
    (:func:`first_unique_rows_kernel`)."""
    return first_unique_rows_kernel(A, np.ascontiguousarray(cand, dtype=np.int64))


@njit(cache=True, nogil=True)
def complement_partners_kernel(A, combos, feature, op, value, n):
    """``partner[a] = a - 1`` when row ``a`` of ``A`` is the single condition ``x > t``
    (op 1 of ``combos[a, 0]``), row ``a - 1`` is ``x <= t`` (op 0, same feature and value)
    and the two are complements over the ``n`` samples, else -1."""
    m, mc = combos.shape
    nw = A.shape[1]
    partner = np.full(m, -1, dtype=np.int64)
    full = ~np.uint64(0)
    tail = n - (nw - 1) * 64
    last = full if tail == 64 else (np.uint64(1) << np.uint64(tail)) - np.uint64(1)
    for a in range(1, m):
        if mc > 1 and (combos[a, 1] >= 0 or combos[a - 1, 1] >= 0):
            continue
        x = combos[a, 0]
        y = combos[a - 1, 0]
        if not (op[x] == 1 and op[y] == 0 and feature[x] == feature[y]
                and value[x] == value[y]):
            continue
        ok = True
        for j in range(nw):
            mask = last if j == nw - 1 else full
            if (A[a, j] & A[a - 1, j]) != 0 or (A[a, j] | A[a - 1, j]) != mask:
                ok = False
                break
        if ok:
            partner[a] = a - 1
    return partner


@njit(cache=True, nogil=True)
def leaf_values_kernel(counts, prior, proba, cls, s, conf, rule_class):
    """Per rule (rows of ``counts``, the class weights it captures), into the given arrays:
    total ``s``, class ``cls`` (the majority, the prior's for an empty rule), confidence
    ``conf``, the smoothed frequencies ``proba`` = ``(counts + prior) / (s + 1)`` (the raw
    ones when smoothing would change the class, the prior for an empty rule) and their
    argmax ``rule_class``; returns the summed mistakes. The numpy steps of
    ``RuleListClassifier._build`` operation for operation, for integer counts (unit
    weights: any summation order is exact). Outputs passed in: returning a tuple of arrays
    doubled the compilation."""
    n_r, k = counts.shape
    p_cls = 0
    for c in range(1, k):
        if prior[c] > prior[p_cls]:
            p_cls = c
    mistakes = 0.0
    for r in range(n_r):
        t = 0.0
        for c in range(k):
            t += counts[r, c]
        s[r] = t
        if t > 0:
            b = 0
            for c in range(1, k):
                if counts[r, c] > counts[r, b]:
                    b = c
            cls[r] = b
            right = counts[r, b]
            for c in range(k):
                proba[r, c] = (counts[r, c] + prior[c]) / (t + 1.0)
            pb = 0
            for c in range(1, k):
                if proba[r, c] > proba[r, pb]:
                    pb = c
            if pb != b:  # smoothing must not change the predicted class
                for c in range(k):
                    proba[r, c] = counts[r, c] / t
            conf[r] = right / t
            mistakes += t - right
        else:
            cls[r] = p_cls
            for c in range(k):
                proba[r, c] = prior[c]
            conf[r] = np.nan
            mistakes += 0.0
        pb = 0
        for c in range(1, k):
            if proba[r, c] > proba[r, pb]:
                pb = c
        rule_class[r] = pb
    return mistakes
