"""Built-in data sets (bundled with scikit-learn: nothing is downloaded) and CSV loading.

The CSV loader turns the usual ways a file can be unusable (a missing target column,
non-numeric features, missing values) into one clear ``ValueError`` each.
"""

import numpy as np

#: name -> (scikit-learn loader, task)
DATASETS = {
    "diabetes": ("load_diabetes", "regression"),
    "breast_cancer": ("load_breast_cancer", "classification"),
    "wine": ("load_wine", "classification"),
    "iris": ("load_iris", "classification"),
}


def load_dataset(name):
    """One of scikit-learn's bundled data sets as ``(X DataFrame, y Series, task)``.

    Parameters
    ----------
    name : {"diabetes", "breast_cancer", "wine", "iris"}

    Examples
    --------
    >>> X, y, task = load_dataset("diabetes")
    >>> X.shape, task
    ((442, 10), 'regression')
    """
    import sklearn.datasets

    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(DATASETS)}.")
    loader, task = DATASETS[name]
    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    return bunch.data.copy(), bunch.target.copy(), task


def infer_task(y):
    """``"classification"`` for text, boolean or integer targets with at most 20 values."""
    import pandas as pd

    y = pd.Series(y)
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return "classification"
    values = y.dropna().unique()
    if pd.api.types.is_integer_dtype(y) and len(values) <= 20:
        return "classification"
    if len(values) <= 2:
        return "classification"
    return "regression"


def load_csv(path, target):
    """Read a CSV into ``(X DataFrame, y Series, task)`` with clear errors.

    Raises
    ------
    ValueError
        If the file cannot be read, the target column is missing, a feature column is not
        numeric, or features or target have missing values.
    """
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise ValueError(f"no such file: {path}") from None
    except Exception as exc:
        raise ValueError(f"could not read {path} as CSV: {exc}") from None
    if df.shape[0] == 0:
        raise ValueError(f"{path} has no data rows.")
    if target not in df.columns:
        cols = ", ".join(map(str, df.columns[:20])) + (" ..." if df.shape[1] > 20 else "")
        raise ValueError(f"target column {target!r} is not in {path} (columns: {cols}).")
    y = df[target]
    X = df.drop(columns=[target])
    if X.shape[1] == 0:
        raise ValueError(f"{path} has no feature columns besides the target {target!r}.")
    bad = [str(c) for c in X.columns if not (pd.api.types.is_numeric_dtype(X[c])
                                             or pd.api.types.is_bool_dtype(X[c]))]
    if bad:
        raise ValueError(
            "non-numeric feature columns the model cannot take: " + ", ".join(bad[:10])
            + (" ..." if len(bad) > 10 else "") + ". Encode them as numbers first."
        )
    X = X.astype(np.float64)
    if X.isna().any().any():
        cols = [str(c) for c in X.columns[X.isna().any()]]
        raise ValueError("missing values in feature columns: " + ", ".join(cols[:10]) + ".")
    if y.isna().any():
        raise ValueError(f"missing values in the target column {target!r}.")
    return X, y, infer_task(y)
