"""``parallel=True`` kernels with a serial twin, picked per call by the thread count.

A ``parallel=True`` kernel compiles several times slower than the same code with
``parallel=False`` (its parfor passes, the gufunc it lowers, the threading layer's glue): for
the path TreeSHAP table kernel, about 8 s against 2 s. Small jobs do not need the threads
(the callers already run them on one thread below a work threshold: waking the pool costs
more than it saves), so they should not pay that compile either. :func:`with_serial_twin`
wraps a parallel kernel so that a call made while Numba has one thread in the calling thread
(``numba.get_num_threads() == 1``: inside the callers' small-work contexts, or with
``NUMBA_NUM_THREADS=1``) runs a ``parallel=False`` copy of it, compiled and cached on its own,
and any other call runs the parallel kernel. Both run the same code (``prange`` is ``range``
in the copy), so the results are the same.

Only for kernels called from Python: a jitted caller would compile the parallel kernel anyway.
"""

import functools
import types

from numba import get_num_threads, njit

from ._jit import InternalKernel, internal

__all__ = ["serial_twin", "serial_variant", "with_serial_twin"]


def _copy(kernel, suffix, replace, **options):
    """``kernel``'s Python function as a new njit dispatcher named ``<name><suffix>`` whose
    globals have the names in ``replace`` bound to other objects, with ``kernel``'s options
    updated by ``options``; cached when ``kernel`` is.

    The new name matters: Numba's cache files are named after a function's qualified name
    and keyed by its bytecode and signature, not by its compile options or globals, so a copy
    under the same name would read (or overwrite) the original's cache entries.
    """
    f = kernel.py_func
    glob = f.__globals__
    if replace:
        glob = dict(glob)
        glob.update(replace)
    g = types.FunctionType(f.__code__, glob, f.__name__ + suffix, f.__defaults__,
                           f.__closure__)
    g.__qualname__ = f.__qualname__ + suffix
    g.__module__ = f.__module__
    g.__doc__ = f"Copy of :func:`{f.__name__}` ({suffix.strip('_')} variant)."
    opts = {k: v for k, v in kernel.targetoptions.items() if k != "nopython"}
    opts.update(options)
    # (``cache`` is not a target option: it is read off the kernel's cache object)
    cached = type(kernel._cache).__name__ != "NullCache"
    copy = njit(cache=cached, **opts)(g)
    # a copy of a kernel without a Python entry must refuse Python calls as the original does
    return internal(copy) if isinstance(kernel, InternalKernel) else copy


def serial_variant(kernel, replace, suffix="_serial"):
    """A copy of the njit dispatcher ``kernel`` calling other kernels: each global name in
    ``replace`` (e.g. ``{"build_histogram_parallel": build_histogram_serial}``) is bound to
    the given dispatcher in the copy.

    For a serial version of a jitted kernel that calls parallel ones: Numba compiles every
    call site of a kernel, taken or not, so the only way a caller's compile leaves out a
    parallel callee is a caller that does not name it.
    """
    return _copy(kernel, suffix, replace)


def serial_twin(kernel):
    """A ``parallel=False`` copy of the ``parallel=True`` dispatcher ``kernel``, named
    ``<name>_serial`` (why the name: :func:`_copy`)."""
    return _copy(kernel, "_serial", None, parallel=False)


class _Twins:
    """Callable: the serial twin when Numba has one thread here, else the parallel kernel."""

    def __init__(self, kernel):
        self.parallel = kernel
        self.serial = serial_twin(kernel)
        functools.update_wrapper(self, kernel.py_func)

    def __call__(self, *args):
        kernel = self.serial if get_num_threads() == 1 else self.parallel
        return kernel(*args)

    def __repr__(self):
        return f"<parallel kernel {self.__qualname__} with a serial twin>"


def with_serial_twin(kernel):
    """Decorator (outside ``@njit(parallel=True, ...)``): see the module docstring.

    The result has ``.parallel`` and ``.serial``, the two dispatchers.
    """
    return _Twins(kernel)
