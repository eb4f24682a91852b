"""Numba options shared by the tree kernels.

``NO_NRT``: for kernels that allocate nothing. Numba's runtime (NRT) counts a reference, with an
atomic add, for every array argument a compiled function receives and for every view it takes;
in the per-node searches of a small tree those atomics were about a fifth of the growth time
(perf). ``_nrt=False`` compiles a function without them; it is a Numba option of long standing
but private, so it is used only where this Numba still accepts it (without it the kernels are
the same, only slower).
"""

try:
    from numba.core.options import DefaultOptions
except ImportError:  # pragma: no cover (a Numba that moved it)
    DefaultOptions = None

NO_NRT = {"_nrt": False} if hasattr(DefaultOptions, "_nrt") else {}
