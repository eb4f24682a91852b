"""Kernels compiled without their Python entry (glassworks._jit.internal): jitted callers get
the same results, a Python call is refused with a clear error instead of crashing, and every
estimator still fits, predicts and explains with them (the rest of the suite)."""

import importlib
import os
import pkgutil
import subprocess
import sys

import numpy as np
import pytest
from numba import njit
from numba.core.registry import CPUDispatcher

import glassworks
from glassworks._jit import InternalKernel, internal
from glassworks._parallel import serial_variant


@internal
@njit(cache=True, nogil=True)
def _weighted_sum(a, k):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * (i + k)
    return s


@njit(cache=True, nogil=True)
def _caller(a):
    return _weighted_sum(a, 1) + _weighted_sum(a, 0.5)


def test_jitted_caller_gets_the_plain_python_result():
    a = np.random.default_rng(0).normal(size=17)
    expected = _weighted_sum.py_func(a, 1) + _weighted_sum.py_func(a, 0.5)
    assert _caller(a) == pytest.approx(expected, rel=1e-12)
    opts = _weighted_sum.targetoptions
    assert opts["no_cpython_wrapper"] and opts["no_cfunc_wrapper"] and opts["nogil"]
    assert type(_weighted_sum._cache).__name__ == "FunctionCache"


def test_python_call_is_refused_by_name():
    with pytest.raises(TypeError, match="_weighted_sum is a Numba kernel compiled without"):
        _weighted_sum(np.ones(3), 1)


def test_copies_of_an_internal_kernel_stay_internal():
    copy = serial_variant(_weighted_sum, {}, suffix="_copy")
    assert isinstance(copy, InternalKernel)
    assert copy.py_func.__qualname__.endswith("_weighted_sum_copy")
    with pytest.raises(TypeError, match="compiled without a Python entry"):
        copy(np.ones(3), 1)


def test_internal_refuses_what_it_cannot_compile():
    with pytest.raises(ValueError, match="parallel=True"):
        internal(njit(parallel=True)(lambda a: a.sum()))
    with pytest.raises(TypeError, match="njit dispatcher"):
        internal(lambda a: a)


def _package_kernels():
    for info in pkgutil.walk_packages(glassworks.__path__, "glassworks."):
        if info.name.endswith("spark"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and value.py_func.__module__ == info.name:
                yield value


def test_the_package_uses_internal_kernels_and_parallel_ones_keep_their_entry():
    kernels = list(_package_kernels())
    inner = [k for k in kernels if isinstance(k, InternalKernel)]
    # the grower's per-node searches are the bulk of a first fit's compile
    names = {k.py_func.__name__ for k in inner}
    assert {"_evaluate", "_evaluate_sorted", "_split_sorted", "best_cut_of_sorted"} <= names
    assert not [k for k in inner if k.targetoptions.get("parallel")]
    # every kernel the estimators call from Python has its wrapper
    from glassworks.forest._batch import _grow_kernel_serial
    from glassworks.tree.grower import _grow_one, _grow_one_serial
    for k in (_grow_one, _grow_one_serial, _grow_kernel_serial):
        assert not isinstance(k, InternalKernel)


# (not cached: compiled in every run, so the libraries checked below are this process's)
@internal
@njit(nogil=True)
def _ones(n):
    return np.ones(n)


@internal
@njit(nogil=True)
def _nested(a):
    # an internal kernel calling internal kernels: each level is linked, not emitted
    return _weighted_sum(a, 2) + _ones(a.shape[0]).sum()


@njit(nogil=True)
def _nested_caller(a):
    return _nested(a) - _weighted_sum(a, 0)


def test_internal_kernels_are_linked_into_their_callers_and_not_emitted():
    from glassworks._jit import _LinkOnlyLibrary

    a = np.random.default_rng(1).normal(size=9)
    expected = (_weighted_sum.py_func(a, 2) + a.shape[0]) - _weighted_sum.py_func(a, 0)
    assert _nested_caller(a) == pytest.approx(expected, rel=1e-12)
    checked = 0
    for kernel in (_nested, _weighted_sum, _ones):
        for cres in kernel.overloads.values():
            library = cres.library
            # a kernel compiled in this process: a link-only library (one loaded from the
            # cache is a plain library holding only the environment's object code)
            if isinstance(library, _LinkOnlyLibrary):
                # its machine code defines the environment's global, not the kernel
                code = library._get_compiled_object()
                assert cres.fndesc.env_name.encode() in code
                assert cres.fndesc.mangled_name.encode() not in code
                assert library.get_pointer_to_function(cres.fndesc.llvm_cpython_wrapper_name) == 0
                checked += 1
            # what callers link in defines the kernel itself
            linked = library._get_module_for_linking()
            assert not linked.get_function(cres.fndesc.mangled_name).is_declaration
    assert checked >= 2


_CACHED_MODULE = '''
import numpy as np
from numba import njit
from glassworks._jit import internal

@internal
@njit(cache=True)
def inner(a, i):
    return a[i] * 2.0

@internal
@njit(cache=True)
def alloc(n):
    return np.ones(n)

@njit(cache=True)
def first(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += inner(a, i)
    return s + alloc(a.shape[0]).sum()

@njit(cache=True)
def second(a, i):
    # a caller compiled in a later process, on the internal kernels loaded from the cache
    return inner(a, i) + alloc(i).sum()
'''

_RUN = '''
import sys
import numpy as np
import kern
a = np.arange(5.0)
which = sys.argv[1]
if which == "first":
    print(kern.first(a))
else:
    values = kern.second(a, 3), kern.first(a)
    hits = sum(kern.inner.stats.cache_hits.values()) + sum(kern.alloc.stats.cache_hits.values())
    misses = sum(kern.inner.stats.cache_misses.values()) + sum(kern.alloc.stats.cache_misses.values())
    print(*values, hits, misses)
'''


def test_internal_kernels_load_from_the_cache_into_new_callers(tmp_path):
    (tmp_path / "kern.py").write_text(_CACHED_MODULE)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    # a debugging NUMBA_DISABLE_JIT in the caller's shell would leave nothing to cache
    env.pop("NUMBA_DISABLE_JIT", None)

    def run(which):
        out = subprocess.run([sys.executable, "-c", _RUN, which], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout.split()

    assert float(run("first")[0]) == 2.0 * 10.0 + 5.0
    second, first, hits, misses = run("second")
    assert float(second) == 2.0 * 3.0 + 3.0 and float(first) == 25.0
    # the second process compiled neither internal kernel: it loaded both and linked them in
    assert (int(hits), int(misses)) == (2, 0)
