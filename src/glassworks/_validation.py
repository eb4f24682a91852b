"""Input checks shared by every estimator and explainer.

scikit-learn's ``validate_data`` does the heavy lifting; these helpers add what it does not
say clearly enough for our users (non-numeric columns, inf next to allowed NaN, weights).
"""

import numbers

import numpy as np
from sklearn.utils.validation import _check_sample_weight


def check_sample_weight(sample_weight, X, *, allow_zero_sum=False):
    """Validate sample weights: finite, non-negative, one per row; a fresh float64 array.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        None means unit weights.
    X : ndarray of shape (n_samples, n_features)
        The validated input the weights go with.
    allow_zero_sum : bool, default=False
        Whether all-zero weights are acceptable.

    Returns
    -------
    ndarray of shape (n_samples,), dtype float64
    """
    if sample_weight is not None:
        sw = np.asarray(sample_weight)
        if sw.dtype.kind not in "biuf":
            raise ValueError(
                f"sample_weight must be numeric, got dtype {sw.dtype}."
            )
        if sw.dtype.kind == "f" and np.isnan(sw).any():
            raise ValueError("sample_weight contains NaN.")
    # _check_sample_weight copies, checks shape, finiteness and (with ensure_non_negative)
    # the sign, so the caller's array is never written.
    sw = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True, copy=True
    )
    if not allow_zero_sum and sw.sum() <= 0:
        raise ValueError("sample_weight sums to zero: there is nothing to fit.")
    return sw


def is_plain_matrix(X, *, c_order=False):
    """True when ``X`` is a numpy float64 matrix of at least one row and one column with no
    NaN or inf (C-ordered too, with ``c_order``): an input ``validate_data(dtype=np.float64,
    ensure_all_finite=True)`` returns as it is. Estimators skip its generic checks for such
    an input on small fits, where they cost a few percent; anything else still goes through
    it. (A sum that overflows to inf only sends a finite matrix the slow way.)"""
    return (type(X) is np.ndarray and X.dtype == np.float64 and X.ndim == 2
            and X.shape[0] >= 1 and X.shape[1] >= 1
            and (X.flags.c_contiguous or not c_order)
            and bool(np.isfinite(np.add.reduce(X, axis=None))))


def check_random_state_seed(random_state):
    """Draw a 64-bit integer seed from ``random_state`` for Numba kernels.

    Numba kernels cannot take a ``numpy.random.RandomState``; they take a plain integer seed and
    seed their own generator, so that results do not depend on the number of threads.
    """
    from sklearn.utils import check_random_state

    if isinstance(random_state, numbers.Integral):
        return int(random_state) & 0x7FFFFFFF
    rng = check_random_state(random_state)
    return int(rng.randint(0, 2**31 - 1))


def reject_non_numeric(X):
    """Raise a clear error when X holds strings or objects that cannot become floats.

    ``validate_data`` would raise too, but with a numpy conversion message; this names the
    offending columns when X is a DataFrame.
    """
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        bad = [str(c) for c, dt in zip(X.columns, X.dtypes) if not _is_numeric_dtype(dt)]
        if bad:
            raise ValueError(
                "X has non-numeric columns that this estimator cannot use: "
                + ", ".join(bad[:10])
                + (" ..." if len(bad) > 10 else "")
                + ". Encode them as numbers first (e.g. one-hot or ordinal encoding)."
            )
    else:
        arr = np.asarray(X) if not hasattr(X, "toarray") else None
        if arr is not None and arr.dtype.kind in "OUS":
            try:
                arr.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"X must be numeric; could not convert it to float: {exc}"
                ) from None


def _is_numeric_dtype(dtype):
    import pandas as pd

    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
