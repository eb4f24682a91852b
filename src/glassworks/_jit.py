"""Kernels that only other kernels call: compiled without their Python entry.

Numba compiles, for every function it compiles, two wrappers besides the function itself: a
CPython wrapper (it unboxes each argument from a Python object and boxes the result: for the
grower's kernels, which take 20 to 40 arrays, a large piece of code) and a C-callable wrapper.
Each is lowered, optimised and turned into machine code with the function, and cached with it.
A kernel that is only ever called from another kernel never uses either: its callers link in
the function itself. :func:`internal` compiles such a kernel without them
(``no_cpython_wrapper``, ``no_cfunc_wrapper``). On the first fit, predict and explain of a
10k x 20 depth-8 tree in a new process with an empty cache, that took about a seventh off the
compile (``benchmarks/bench_coldstart.py``); the results are the same.

Nor does such a kernel need machine code of its own: Numba emits it for every library it
compiles, but a caller links in a copy of its callee's LLVM module and optimises and emits it
again as part of its own code, the copy that runs. An internal kernel's library
(:class:`_LinkOnlyLibrary`) stops after linking: the module passes and machine code run once,
for the Python-called kernel that includes it, instead of again at every level of a call chain.

Without its CPython wrapper a kernel cannot be called from Python: Numba would jump to a null
pointer and crash the process. An :func:`internal` kernel refuses such a call with a
``TypeError`` naming it instead; jitted callers do not go through that check.
"""

import weakref

import llvmlite.binding as ll
import llvmlite.ir as llvmir
from numba.core.codegen import JITCodeLibrary
from numba.core.compiler import Compiler
from numba.core.registry import CPUDispatcher

__all__ = ["InternalKernel", "internal"]

# the prefix of the global variable that holds a Numba function's environment
_ENV_PREFIX = "_ZN08NumbaEnv"
_NO_WRAPPERS = {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}


class _LinkOnlyLibrary(JITCodeLibrary):
    """The code library of an internal kernel: LLVM IR for its callers to link in; of its own
    machine code, only the global that holds the kernel's Numba environment.

    Numba finalises every library it compiles: links in its callees' modules, runs the
    module-level optimisation passes on the whole and emits machine code for it. A caller then
    links in a copy of the callee's module and optimises and emits it again as part of its own
    code, which is the only copy ever run. For a kernel that only kernels call, its own module
    passes and machine code were thus pure cost, paid again at every level of a call chain
    (the grower's kernels nest four deep). This library keeps the function passes Numba runs
    on each function as it is lowered, links in its callees, and stops there: the passes that
    matter run once, on the Python-called kernel's module that includes it.
    """

    # Numba's finalize links in the callees' modules, then calls these two
    def _optimize_final_module(self):
        pass

    def _finalize_final_module(self):
        self._finalize_dynamic_globals()
        self._verify_declare_only_symbols()
        self._emit_environments()
        self._finalized = True

    def _emit_environments(self):
        # What Numba does run of a kernel's own library: the kernel's environment global
        # (which Numba's set_env fills in after every compile and every load from the cache,
        # and which object-mode calls would read). Emitted as a module of its own, it is what
        # the JIT engine holds of this library, and the object code the cache saves with it.
        module = self._codegen._create_empty_module(self.name + ".env")
        for gv in self._final_module.global_variables:
            if gv.name.startswith(_ENV_PREFIX) and not gv.is_declaration:
                env = llvmir.GlobalVariable(module, llvmir.IntType(8).as_pointer(), gv.name)
                env.linkage = "common"
                env.initializer = llvmir.Constant(env.type.pointee, None)
        env_module = ll.parse_assembly(str(module))
        # (the name Numba's object-code hooks read: CPUCodeLibrary's private __library)
        env_module._CPUCodeLibrary__library = weakref.proxy(self)
        self._codegen._add_module(env_module)
        self._codegen._engine.finalize_object()


class _InternalCompiler(Compiler):
    """Numba's nopython pipeline, lowering into a :class:`_LinkOnlyLibrary`."""

    def compile_extra(self, func):
        library = _LinkOnlyLibrary(self.state.targetctx.codegen(), func.__qualname__)
        library.enable_object_caching()
        self.state.library = library
        return super().compile_extra(func)


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
    dispatcher._compiler.pipeline_class = _InternalCompiler
    dispatcher.__class__ = InternalKernel
    return dispatcher
