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
    if not (type(X) is np.ndarray and X.dtype == np.float64 and X.ndim == 2
            and X.shape[0] >= 1 and X.shape[1] >= 1
            and (X.flags.c_contiguous or not c_order)):
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.add.reduce(X, axis=None)))


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


def warn_at_caller(message, category=UserWarning):
    """``warnings.warn`` pointed at the user's line: the first frame outside glassworks
    (a fixed ``stacklevel`` is right for one call depth only, and the estimators reach the
    same check through different depths)."""
    import os
    import sys
    import warnings

    root = os.path.dirname(os.path.abspath(__file__)) + os.sep
    stacklevel, frame = 1, sys._getframe(0)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(root):
        stacklevel += 1
        frame = frame.f_back
    warnings.warn(message, category, stacklevel=stacklevel)


def _numbers_as_strings(column):
    """Whether a non-numeric column holds only numbers written as text (and missing values):
    such a column is numeric (``validate_data`` converts it; the fit warned about it)."""
    from .rules.mining import _all_numbers, _factorize

    try:
        _, uniques = _factorize(column)
    except (TypeError, ValueError):
        return False
    return len(uniques) > 0 and _all_numbers(uniques)


def reject_non_numeric(X):
    """Raise a clear error when X holds strings or objects that cannot become floats.

    ``validate_data`` would raise too, but with a numpy conversion message; this names the
    offending columns when X is a DataFrame.
    """
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        bad = [str(c) for j, (c, dt) in enumerate(zip(X.columns, X.dtypes))
               if not _is_numeric_dtype(dt) and not _numbers_as_strings(X.iloc[:, j])]
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


def warn_rounded_input(X, X64, feature, threshold):
    """Warn when a float16 / float32 input has values at which rounding decides a split.

    A tree compares ``x <= threshold`` in float64. A float32 copy of float64 data is other
    data: a value rounded to float32 can land on the other side of a threshold that lies
    within float32 rounding of it, and two training values that float32 cannot tell apart
    (ulp-level noise, common in standardised data) go the same way. Predictions on such an
    input are the model's predictions at the rounded values, exactly as on
    ``X.astype(np.float64)``; this only says which rows may differ from the original data's.

    Parameters
    ----------
    X : array-like
        The input as the user passed it (its dtype, or its DataFrame columns' dtypes, tell
        whether it was rounded).
    X64 : ndarray of shape (n_samples, n_features), float64
        ``X`` validated.
    feature, threshold : ndarray of shape (n_splits,)
        The feature and threshold of every split node of the model.
    """
    dtypes = _low_precision_columns(X, X64.shape[1])
    if dtypes is None or X64.shape[0] == 0 or len(feature) == 0:
        return
    feature = np.asarray(feature, dtype=np.int64)
    threshold = np.asarray(threshold, dtype=np.float64)
    flagged = np.zeros(X64.shape[0], dtype=bool)
    for f, dt in dtypes.items():
        t = threshold[(feature == f) & np.isfinite(threshold)]
        if t.size == 0:
            continue
        values = _rounding_neighbours(np.unique(t), dt)
        flagged |= np.isin(X64[:, f], values)
    k = int(flagged.sum())
    if k:
        import warnings

        name = ", ".join(sorted({np.dtype(dt).name for dt in dtypes.values()}))
        warnings.warn(
            f"X is {name}: {k} of {X64.shape[0]} rows have a value within {name} rounding "
            "of one of the model's split thresholds. If X was rounded from float64 data, "
            "those rows may fall on the other side of a split than the original values "
            "(predictions here are those of the rounded values, as for "
            "X.astype('float64')). Pass the float64 data to get its predictions.",
            UserWarning, stacklevel=_caller_level(),
        )


def _caller_level():
    """``stacklevel`` of a warning that points at the first frame outside glassworks."""
    import os
    import sys

    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _low_precision_columns(X, n_features):
    """{column index: float dtype} of the float16 / float32 columns of ``X``, or None."""
    low = (np.float16, np.float32)
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        cols = {i: dt.type for i, dt in enumerate(X.dtypes)
                if getattr(dt, "type", None) in low}
        return cols or None
    dt = getattr(X, "dtype", None)
    if dt is not None and getattr(dt, "type", None) in low:
        return {i: dt.type for i in range(n_features)}
    return None


def _rounding_neighbours(t, dt):
    """The values of dtype ``dt`` (as float64) whose rounding interval contains some of the
    float64 thresholds ``t``: the only values at which a rounded input can fall on the other
    side of a threshold than its original (the neighbours below and above each threshold,
    kept when the threshold lies within half a step of them, ties included).

    A threshold that ``dt`` represents exactly is left out: an input equal to it was either
    exact or rounded from a value within half a step of the threshold, which data split
    there (between training values) does not hold in practice, while an input that is
    exactly a threshold's value is common (e.g. a model fitted on float32 data)."""
    with np.errstate(over="ignore", invalid="ignore"):
        t = t[t.astype(dt).astype(np.float64) != t]
        near = t.astype(dt)
        down = np.where(near.astype(np.float64) > t, np.nextafter(near, dt(-np.inf)), near)
        up = np.where(down.astype(np.float64) < t, np.nextafter(down, dt(np.inf)), down)
        out = []
        for v in (down, up):
            v64 = v.astype(np.float64)
            lo = (np.nextafter(v, dt(-np.inf)).astype(np.float64) + v64) / 2
            hi = (np.nextafter(v, dt(np.inf)).astype(np.float64) + v64) / 2
            keep = np.isfinite(v64) & (lo <= t) & (t <= hi)
            out.append(v64[keep])
    return np.unique(np.concatenate(out))
