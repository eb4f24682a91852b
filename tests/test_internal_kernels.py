"""Kernels compiled without their Python entry (glassworks._jit.internal): jitted callers get
the same results, a Python call is refused with a clear error instead of crashing, and every
estimator still fits, predicts and explains with them (the rest of the suite)."""

import importlib
import pkgutil

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
