"""Kernels that only other kernels call: compiled without their Python entry.

Numba compiles, for every function it compiles, two wrappers besides the function itself: a
CPython wrapper (it unboxes each argument from a Python object and boxes the result: for the
grower's kernels, which take 20 to 40 arrays, a large piece of code) and a C-callable wrapper.
Each is lowered, optimised and turned into machine code with the function, and cached with it.
A kernel that is only ever called from another kernel never uses either: its callers link in
the function itself. :func:`internal` compiles such a kernel without them
(``no_cpython_wrapper``, ``no_cfunc_wrapper``). On the first fit, predict and explain of a
10k x 20 depth-8 tree in a new process with an empty cache, that took about a seventh off the
compile (``benchmarks/bench_coldstart.py``); the compiled code of the kernels is the same.

Without its CPython wrapper a kernel cannot be called from Python: Numba would jump to a null
pointer and crash the process. An :func:`internal` kernel refuses such a call with a
``TypeError`` naming it instead; jitted callers do not go through that check.
"""

from numba.core.registry import CPUDispatcher

__all__ = ["InternalKernel", "internal"]

_NO_WRAPPERS = {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}


class InternalKernel(CPUDispatcher):
    """An njit dispatcher compiled without its CPython and C wrappers (see the module
    docstring): callable from jitted code only."""

    def __call__(self, *args, **kwargs):
        f = self.py_func
        raise TypeError(
            f"{f.__module__}.{f.__qualname__} is a Numba kernel compiled without a Python "
            "entry point (glassworks._jit.internal): only other kernels can call it. Call "
            "the kernel or estimator method that uses it, or its py_func to run it as plain "
            "Python.")


def internal(dispatcher):
    """Decorator, above ``@njit(...)``: the same kernel, compiled without its Python entry.

    Parameters
    ----------
    dispatcher : numba.core.registry.CPUDispatcher
        An ``njit`` dispatcher (not ``parallel=True``: its parfor gufunc is called through a
        wrapper of its own, so that case is not supported here).

    Returns
    -------
    InternalKernel
        ``dispatcher`` itself, not yet compiled, its options given ``no_cpython_wrapper`` and
        ``no_cfunc_wrapper``.
    """
    if isinstance(dispatcher, InternalKernel):
        return dispatcher
    if not isinstance(dispatcher, CPUDispatcher):
        raise TypeError(f"internal() takes an njit dispatcher, not {type(dispatcher).__name__}")
    if dispatcher.targetoptions.get("parallel"):
        raise ValueError(f"{dispatcher.py_func.__qualname__} is parallel=True: internal() "
                         "does not support parfor kernels")
    if dispatcher.overloads:
        raise ValueError(f"{dispatcher.py_func.__qualname__} is compiled already: internal() "
                         "must decorate it before its first call")
    # in place: a second dispatcher (and its cache locator) per kernel cost import time; the
    # options dict is the one the dispatcher's compiler reads
    dispatcher.targetoptions.update(_NO_WRAPPERS)
    dispatcher.__class__ = InternalKernel
    return dispatcher
