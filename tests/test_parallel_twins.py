"""Serial twins of parallel kernels (glassworks._parallel): the same results, picked by the
thread count, cached apart from the parallel kernel."""

import numba
import numpy as np
import pytest
from numba import njit, prange

from glassworks._parallel import serial_twin, with_serial_twin


@with_serial_twin
@njit(cache=True, parallel=True, nogil=True)
def _row_sums(X):
    out = np.empty(X.shape[0])
    for i in prange(X.shape[0]):
        s = 0.0
        for j in range(X.shape[1]):
            s += X[i, j] * (j + 1)
        out[i] = s
    return out


def test_twin_is_a_serial_cached_copy_under_its_own_name():
    par, ser = _row_sums.parallel, _row_sums.serial
    assert par.targetoptions["parallel"] is True
    assert not ser.targetoptions.get("parallel", False)
    assert ser.py_func.__qualname__ == par.py_func.__qualname__ + "_serial"
    assert type(ser._cache).__name__ == "FunctionCache"
    # the cache index files are named after the qualified name: the two cannot collide
    assert ser._cache._cache_file._index_name != par._cache._cache_file._index_name
    # the twin of a kernel without cache=True is not cached either
    plain = njit(parallel=True)(_row_sums.parallel.py_func)
    assert type(serial_twin(plain)._cache).__name__ == "NullCache"


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two Numba threads")
def test_one_thread_runs_the_twin_with_the_same_result():
    X = np.random.default_rng(0).normal(size=(50, 3))
    before_par = len(_row_sums.parallel.signatures)
    prev = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        one = _row_sums(X)
    finally:
        numba.set_num_threads(prev)
    assert len(_row_sums.serial.signatures) == 1
    assert len(_row_sums.parallel.signatures) == before_par
    two = _row_sums(X)
    assert len(_row_sums.parallel.signatures) == 1
    np.testing.assert_array_equal(one, two)
    np.testing.assert_allclose(one, X @ np.arange(1.0, 4.0), rtol=1e-12, atol=1e-12)
