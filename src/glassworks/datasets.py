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


def load_csv(path, target, task=None, notes=None):
    """Read a CSV into ``(X DataFrame, y Series, task)`` with clear errors.

    Parameters
    ----------
    path : str or path-like
    target : str
        The target column's name.
    task : {"classification", "regression"}, default=None
        None: guessed from the target (:func:`infer_task`); a guess from an integer target
        is said in ``notes``.
    notes : list, default=None
        Receives one sentence per thing done to the file that the user should know of (an
        index column dropped, the task guessed).

    Raises
    ------
    ValueError
        If the file cannot be read, has fewer than two data rows, the target column is
        missing, a feature column is not numeric, features or target have missing values, or
        ``task="regression"`` is asked of a non-numeric target.
    """
    import pandas as pd

    notes = [] if notes is None else notes
    if task not in (None, "classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}.")

    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise ValueError(f"no such file: {path}") from None
    except Exception as exc:
        raise ValueError(f"could not read {path} as CSV: {exc}") from None
    if df.shape[0] == 0:
        raise ValueError(f"{path} has no data rows.")
    if df.shape[0] < 2:
        raise ValueError(f"{path} has {df.shape[0]} data row: fitting and auditing a model "
                         "needs at least 2 (and many more to mean anything).")
    first = str(df.columns[0])
    if first.startswith("Unnamed: 0") and first != target:
        col = df.iloc[:, 0]
        # pandas' name for a header-less first column: a saved DataFrame index, when its
        # values are distinct integers; a feature it is not
        if pd.api.types.is_integer_dtype(col) and col.is_unique:
            df = df.drop(columns=df.columns[0])
            notes.append(f"the first column of {path} has no name and distinct integer "
                         "values (a saved index): dropped, not used as a feature")
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
    if task is None:
        task = infer_task(y)
        if (task == "classification" and pd.api.types.is_integer_dtype(y)
                and not pd.api.types.is_bool_dtype(y) and y.nunique() > 2):
            notes.append(f"target {target!r} has {y.nunique()} integer values: treated as "
                         "classification (for a count, pass --task regression)")
    elif task == "regression" and not pd.api.types.is_numeric_dtype(y):
        raise ValueError(f"task 'regression' needs a numeric target; {target!r} is not.")
    elif task == "regression" and pd.api.types.is_bool_dtype(y):
        y = y.astype(np.float64)
    return X, y, task
