"""Explain, predict and audit on Apache Spark.

Three functions, all driven from the Spark driver:

- :func:`explain` adds one attribution column per feature (and per class) to a Spark
  DataFrame, computed by the model's own ``explain`` on each Arrow batch (``mapInPandas``).
- :func:`predict` adds a ``prediction`` column (and ``probability_<class>`` columns for a
  classifier) the same way.
- :func:`map_instances` runs any picklable ``func(payload)`` over a list of payloads on the
  executors and returns the results in order: the generic engine behind
  ``glassworks.audit(..., engine="spark")``.

Every check of the input (fitted model, feature columns present and numeric, output columns
free) runs on the driver against the DataFrame's schema, before any Spark job starts. The
model is broadcast once; each Python worker unpickles it once and reuses it for every batch of
every task it runs. Numba kernels are ``cache=True``: the first batch a worker sees loads (or,
with a cold cache, compiles) them, later batches reuse them. Spark already runs one task per
core, so each task asks Numba for a single thread.

Output columns of :func:`explain` (``prefix`` defaults to ``"<method>_"``, i.e. ``"shap_"``):

- regressor: ``shap_<feature>`` for each feature, then ``shap_base_value``;
- classifier: ``shap_<feature>_<class>`` for each feature and class (feature-major, classes in
  ``model.classes_`` order), then ``shap_base_value_<class>`` for each class.

For every row, ``base_value + sum of the feature columns`` is the model output the method
explains (for TreeSHAP, the prediction; per class, the class probability).
"""

import pickle
from collections import OrderedDict

import numpy as np

__all__ = ["explain", "predict", "map_instances"]

# Per Python worker: unpickled broadcast payloads (model, background) by key, so a reused
# worker unpickles the model once, not once per task. Bounded: a long-lived worker serving
# many explain() calls keeps only the most recent objects.
_WORKER_CACHE = OrderedDict()
_WORKER_CACHE_SIZE = 8


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def explain(df, model, method="shap", features=None, background=None, *, prefix=None):
    """Attributions of every row of a Spark DataFrame, as new columns of that DataFrame.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        Rows to explain. All its columns are kept, in order, and rows are neither dropped nor
        reordered within a partition.
    model : fitted glassworks estimator
        Anything with ``explain(X, method=..., background=...)`` returning a
        :class:`glassworks.Explanation` (values ``(n, d)`` for a regressor, ``(n, d, k)`` for
        a classifier).
    method : str, default="shap"
        Passed to ``model.explain``.
    features : list of str or None
        Columns fed to the model, in the order the model saw its features. Default: the
        model's ``feature_names_in_`` when it was fitted on a DataFrame, else every numeric
        column of ``df`` in order (their count must equal ``model.n_features_in_``).
    background : array-like, pandas DataFrame, Spark DataFrame or None
        Passed to ``model.explain`` (e.g. for interventional SHAP). A Spark DataFrame is
        collected to the driver (its ``features`` columns); it is broadcast with the model.
    prefix : str or None
        Prefix of the new columns; default ``method + "_"``.

    Returns
    -------
    pyspark.sql.DataFrame
        ``df``'s columns followed by the attribution columns and the base value column(s),
        all ``double`` (see the module docstring for the names). Lazy: nothing runs until an
        action.

    Raises
    ------
    ValueError
        Before any Spark job: the model is not fitted, a feature column is missing or not
        numeric, the feature count does not match the model, or an output column name is
        already taken.

    Examples
    --------
    >>> out = glassworks.spark.explain(sdf, model)  # doctest: +SKIP
    >>> out.select("id", "shap_age", "shap_base_value").show()  # doctest: +SKIP
    """
    _check_dataframe(df)
    _check_model(model, "explain")
    if not isinstance(method, str):
        raise ValueError(f"method must be a string, got {method!r}.")
    features = _resolve_features(df, model, features)
    outputs = _output_names(model)
    if prefix is None:
        prefix = f"{method}_"
    if not isinstance(prefix, str):
        raise ValueError(f"prefix must be a string, got {prefix!r}.")
    if outputs is None:
        value_cols = [f"{prefix}{f}" for f in features]
        base_cols = [f"{prefix}base_value"]
    else:
        value_cols = [f"{prefix}{f}_{c}" for f in features for c in outputs]
        base_cols = [f"{prefix}base_value_{c}" for c in outputs]
    new_cols = value_cols + base_cols
    _check_new_columns(df, new_cols, "prefix")
    if background is not None:
        background = _collect_background(background, features)

    from pyspark.sql.types import DoubleType, StructField, StructType

    schema = StructType(
        list(df.schema.fields) + [StructField(c, DoubleType(), False) for c in new_cols]
    )
    spark = df.sparkSession
    _check_workers(spark)
    model_ref = _broadcast(spark, model)
    background_ref = None if background is None else _broadcast(spark, background)
    run = _ExplainBatches(
        model_ref, background_ref, features, _model_feature_names(model), method,
        new_cols, None if outputs is None else len(outputs),
    )
    return df.mapInPandas(run, schema)


def predict(df, model, features=None, *, prediction_col="prediction",
            probability_prefix="probability_"):
    """Predictions of every row of a Spark DataFrame, as new columns of that DataFrame.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        Rows to predict; all its columns are kept.
    model : fitted estimator
        Anything with ``predict(X)`` (and, for the probability columns, ``predict_proba``).
    features : list of str or None
        As in :func:`explain`.
    prediction_col : str, default="prediction"
        Name of the prediction column: ``double`` for a regressor, the type of the class
        labels (``bigint``, ``double``, ``boolean`` or ``string``) for a classifier.
    probability_prefix : str, default ``"probability_"``
        For a classifier with ``predict_proba``: one ``double`` column
        ``<probability_prefix><class>`` per class, in ``model.classes_`` order.

    Returns
    -------
    pyspark.sql.DataFrame
        Lazy, like :func:`explain`.

    Raises
    ------
    ValueError
        Before any Spark job, as in :func:`explain`.
    """
    _check_dataframe(df)
    _check_model(model, "predict")
    features = _resolve_features(df, model, features)
    outputs = _output_names(model)

    from pyspark.sql.types import DoubleType, StructField, StructType

    if outputs is None:
        label_type, label_kind = DoubleType(), "f"
        prob_cols = []
    else:
        label_type, label_kind = _label_type(model.classes_)
        prob_cols = (
            [f"{probability_prefix}{c}" for c in outputs]
            if hasattr(model, "predict_proba") else []
        )
    new_cols = [prediction_col] + prob_cols
    _check_new_columns(df, new_cols, "prediction_col / probability_prefix")
    schema = StructType(
        list(df.schema.fields)
        + [StructField(prediction_col, label_type, False)]
        + [StructField(c, DoubleType(), False) for c in prob_cols]
    )
    _check_workers(df.sparkSession)
    run = _PredictBatches(
        _broadcast(df.sparkSession, model), features, _model_feature_names(model),
        prediction_col, label_kind, prob_cols,
    )
    return df.mapInPandas(run, schema)


def map_instances(func, payloads, *, spark=None, n_partitions=None):
    """Run ``func(payload)`` for every payload on the Spark executors; results in order.

    Equivalent to ``[func(p) for p in payloads]``, with the calls spread over Spark tasks.
    ``func`` and the payloads are serialised with cloudpickle (so lambdas and closures work),
    results are sent back with cloudpickle too. Anything large that every call shares (the
    model, the background data) is best captured in ``func``: it is shipped once per task
    (and broadcast by Spark when big), where a payload is shipped once per call.

    Parameters
    ----------
    func : callable
        ``func(payload) -> result``; must be picklable by cloudpickle, its result too.
    payloads : iterable
        One item per call.
    spark : pyspark.sql.SparkSession or None
        Default: the active session (``SparkSession.builder.getOrCreate()``).
    n_partitions : int or None
        Number of Spark tasks; default ``min(len(payloads), 4 * defaultParallelism)`` so
        that uneven calls still balance over the cores.

    Returns
    -------
    list
        ``[func(p) for p in payloads]``, computed on the executors.
    """
    if not callable(func):
        raise ValueError(f"func must be callable, got {type(func).__name__}.")
    payloads = list(payloads)
    if not payloads:
        return []
    spark = _get_session(spark)
    _check_workers(spark)
    sc = _spark_context(spark)
    if n_partitions is None:
        parallelism = sc.defaultParallelism if sc is not None else _conf_parallelism(spark)
        n_partitions = min(len(payloads), 4 * max(1, int(parallelism)))
    elif isinstance(n_partitions, bool) or not isinstance(n_partitions, (int, np.integer)) \
            or n_partitions < 1:
        raise ValueError(f"n_partitions must be a positive integer, got {n_partitions!r}.")
    n_partitions = int(min(n_partitions, len(payloads)))
    if sc is None:  # Spark Connect: no RDDs, go through a DataFrame of pickled blobs
        return _map_via_dataframe(func, payloads, spark, n_partitions)
    cp = _cloudpickle()
    blobs = [cp.dumps(p) for p in payloads]
    out = sc.parallelize(blobs, n_partitions).mapPartitions(_RunCalls(func)).collect()
    return [pickle.loads(b) for b in out]


# --------------------------------------------------------------------------------------------
# what runs on the executors (module-level classes: pickled by reference, no driver state)
# --------------------------------------------------------------------------------------------
class _ExplainBatches:
    def __init__(self, model_ref, background_ref, features, model_names, method, new_cols,
                 n_outputs):
        self.model_ref = model_ref
        self.background_ref = background_ref
        self.features = features
        self.model_names = model_names
        self.method = method
        self.new_cols = new_cols
        self.n_outputs = n_outputs

    def __call__(self, batches):
        import pandas as pd

        _one_numba_thread()
        model = _fetch(self.model_ref)
        background = None
        if self.background_ref is not None:
            background = _fetch(self.background_ref)
            if self.model_names is not None:  # named like X, so the model checks pass quietly
                background = pd.DataFrame(background, columns=self.model_names, copy=False)
        d = len(self.features)
        k = 1 if self.n_outputs is None else self.n_outputs
        for pdf in batches:
            n = len(pdf)
            if n == 0:
                block = np.empty((0, len(self.new_cols)))
            else:
                X = _feature_input(pdf, self.features, self.model_names)
                e = model.explain(X, method=self.method, background=background)
                values = np.asarray(e.values, dtype=np.float64)
                base = np.asarray(e.base_values, dtype=np.float64)
                if self.n_outputs is None and values.ndim == 3 and values.shape[2] == 1:
                    values = values[:, :, 0]
                expected = (n, d) if self.n_outputs is None else (n, d, k)
                if values.shape != expected:
                    raise ValueError(
                        f"{type(model).__name__}.explain returned values of shape "
                        f"{values.shape}; expected {expected}."
                    )
                if base.shape == (n, k):
                    pass
                elif k == 1 and base.shape == (n,):
                    base = base[:, None]
                elif base.shape in ((k,), ()):
                    base = np.broadcast_to(base.reshape(1, k), (n, k))
                else:
                    raise ValueError(
                        f"{type(model).__name__}.explain returned base_values of shape "
                        f"{base.shape}; expected {(n, k) if self.n_outputs else (n,)}."
                    )
                # (n, d, k) -> (n, d*k) is feature-major, the order of the column names
                block = np.hstack([values.reshape(n, d * k), base])
            out = pd.DataFrame(block, columns=self.new_cols, index=pdf.index)
            yield pd.concat([pdf, out], axis=1)


class _PredictBatches:
    def __init__(self, model_ref, features, model_names, prediction_col, label_kind,
                 prob_cols):
        self.model_ref = model_ref
        self.features = features
        self.model_names = model_names
        self.prediction_col = prediction_col
        self.label_kind = label_kind
        self.prob_cols = prob_cols

    def __call__(self, batches):
        import pandas as pd

        _one_numba_thread()
        model = _fetch(self.model_ref)
        for pdf in batches:
            n = len(pdf)
            cols = {}
            if n == 0:
                pred = np.empty(0)
                proba = np.empty((0, len(self.prob_cols)))
            else:
                X = _feature_input(pdf, self.features, self.model_names)
                pred = np.asarray(model.predict(X))
                if pred.ndim != 1 or pred.shape[0] != n:
                    raise ValueError(
                        f"{type(model).__name__}.predict returned shape {pred.shape}; "
                        f"expected ({n},)."
                    )
                proba = (np.asarray(model.predict_proba(X), dtype=np.float64)
                         if self.prob_cols else np.empty((n, 0)))
            cols[self.prediction_col] = _as_label_column(pred, self.label_kind)
            for j, c in enumerate(self.prob_cols):
                cols[c] = proba[:, j]
            yield pd.concat([pdf, pd.DataFrame(cols, index=pdf.index)], axis=1)


class _RunCalls:
    def __init__(self, func):
        self.func = func

    def __call__(self, blobs):
        _one_numba_thread()
        cp = _cloudpickle()
        for b in blobs:
            yield cp.dumps(self.func(pickle.loads(b)))


class _RunCallsFrame:
    def __init__(self, func):
        self.func = func

    def __call__(self, batches):
        import pandas as pd

        _one_numba_thread()
        cp = _cloudpickle()
        for pdf in batches:
            results = [cp.dumps(self.func(pickle.loads(b))) for b in pdf["payload"]]
            yield pd.DataFrame({"index": pdf["index"].to_numpy(), "result": results})


def _map_via_dataframe(func, payloads, spark, n_partitions):
    """:func:`map_instances` without RDDs (Spark Connect): a DataFrame of pickled blobs."""
    import pandas as pd

    cp = _cloudpickle()
    pdf = pd.DataFrame({
        "index": np.arange(len(payloads), dtype=np.int64),
        "payload": [cp.dumps(p) for p in payloads],
    })
    sdf = spark.createDataFrame(pdf, schema="index long, payload binary")
    rows = (
        sdf.repartition(n_partitions)
        .mapInPandas(_RunCallsFrame(func), "index long, result binary")
        .collect()
    )
    results = [None] * len(payloads)
    for row in rows:
        results[row["index"]] = pickle.loads(bytes(row["result"]))
    return results


class _Ref:
    """A pickled object shipped to the executors, unpickled once per Python worker.

    ``broadcast`` is a Spark broadcast of the pickled bytes (fetched once per executor); under
    Spark Connect, where there is no SparkContext, the bytes travel inside the task instead.
    ``key`` names the object in the worker's cache (broadcasts have no id on the worker side).
    """

    def __init__(self, key, broadcast=None, blob=None):
        self.key = key
        self.broadcast = broadcast
        self.blob = blob


def _broadcast(spark, obj):
    import uuid

    blob = _cloudpickle().dumps(obj)
    key = uuid.uuid4().hex
    sc = _spark_context(spark)
    if sc is None:
        return _Ref(key, blob=blob)
    return _Ref(key, broadcast=sc.broadcast(blob))


def _fetch(ref):
    if ref.key in _WORKER_CACHE:
        _WORKER_CACHE.move_to_end(ref.key)
        return _WORKER_CACHE[ref.key]
    blob = ref.blob if ref.broadcast is None else ref.broadcast.value
    obj = pickle.loads(blob)
    _WORKER_CACHE[ref.key] = obj
    while len(_WORKER_CACHE) > _WORKER_CACHE_SIZE:
        _WORKER_CACHE.popitem(last=False)
    return obj


def _one_numba_thread():
    # Spark runs one task per core already; Numba's own thread pool on top would oversubscribe.
    import numba

    numba.set_num_threads(1)


def _feature_input(pdf, features, model_names):
    import pandas as pd

    X = pdf[features].to_numpy(dtype=np.float64, na_value=np.nan)
    if model_names is not None:
        # a model fitted on a DataFrame checks the names it is given
        return pd.DataFrame(X, columns=model_names, copy=False)
    return X


def _as_label_column(pred, kind):
    if kind == "f":
        return pred.astype(np.float64)
    if kind == "i":
        return pred.astype(np.int64)
    if kind == "b":
        return pred.astype(bool)
    return np.array([str(p) for p in pred], dtype=object)


# --------------------------------------------------------------------------------------------
# driver-side checks
# --------------------------------------------------------------------------------------------
def _check_dataframe(df):
    try:
        from pyspark.sql import DataFrame
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "glassworks.spark needs pyspark and pyarrow: pip install 'glassworks[spark]'"
        ) from exc
    ok = isinstance(df, DataFrame)
    if not ok:
        try:  # Spark Connect has its own DataFrame class
            from pyspark.sql.connect.dataframe import DataFrame as ConnectDataFrame

            ok = isinstance(df, ConnectDataFrame)
        except ImportError:
            pass
    if not ok:
        raise ValueError(
            f"df must be a pyspark.sql.DataFrame, got {type(df).__name__}. For pandas or "
            "numpy data call model.explain / model.predict directly."
        )


def _check_model(model, method):
    if not callable(getattr(model, method, None)):
        raise ValueError(f"{type(model).__name__} has no {method}() method.")
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError:
        raise NotFittedError(
            f"This {type(model).__name__} is not fitted yet: call fit before "
            f"glassworks.spark.{'explain' if method == 'explain' else 'predict'}."
        ) from None
    except TypeError:  # not an estimator (no fit): nothing to check
        pass
    outputs = getattr(model, "n_outputs_", 1)
    if isinstance(outputs, (int, np.integer)) and outputs > 1:
        raise ValueError(
            f"glassworks.spark supports single-output models; this one has {outputs} outputs."
        )


def _model_feature_names(model):
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(f) for f in names]


def _is_numeric(data_type):
    from pyspark.sql.types import BooleanType, NumericType

    return isinstance(data_type, (NumericType, BooleanType))


def _resolve_features(df, model, features):
    """The feature columns, checked against the schema and the model (no job is started)."""
    schema = df.schema
    types = {f.name: f.dataType for f in schema.fields}
    n_in = getattr(model, "n_features_in_", None)
    model_names = _model_feature_names(model)
    if features is None:
        if model_names is not None:
            features = list(model_names)
        else:
            features = [f.name for f in schema.fields if _is_numeric(f.dataType)]
            if n_in is not None and len(features) != n_in:
                raise ValueError(
                    f"The model was fitted on {n_in} unnamed features but df has "
                    f"{len(features)} numeric columns ({', '.join(features[:10])}"
                    f"{' ...' if len(features) > 10 else ''}). Pass features=[...] to name "
                    "the columns the model uses, in the order it saw them."
                )
    else:
        if isinstance(features, str):
            features = [features]
        features = list(features)
        bad = [f for f in features if not isinstance(f, str)]
        if bad:
            raise ValueError(f"features must be column names (strings); got {bad[:5]!r}.")
        dup = sorted({f for f in features if features.count(f) > 1})
        if dup:
            raise ValueError(f"features lists these columns more than once: {dup}.")
        if n_in is not None and len(features) != n_in:
            raise ValueError(
                f"features has {len(features)} columns but the model was fitted on {n_in}."
            )
        if model_names is not None and set(features) == set(model_names) \
                and features != model_names:
            raise ValueError(
                "features names the model's columns in a different order than it was fitted "
                f"on; give them in the order {model_names}."
            )
    if not features:
        raise ValueError("No feature columns: df has no numeric column. Pass features=[...].")
    missing = [f for f in features if f not in types]
    if missing:
        raise ValueError(
            f"df is missing feature column(s) {missing[:10]} that the model needs; its columns "
            f"are {list(types)[:20]}."
        )
    wrong = [f"{f} ({types[f].simpleString()})" for f in features if not _is_numeric(types[f])]
    if wrong:
        raise ValueError(
            "Feature columns must be numeric (or boolean); these are not: "
            + ", ".join(wrong[:10])
            + ". Cast or encode them first."
        )
    return features


def _output_names(model):
    classes = getattr(model, "classes_", None)
    if classes is None:
        return None
    names = [str(c) for c in np.asarray(classes).ravel()]
    if len(set(names)) != len(names):
        raise ValueError(f"Class labels are not distinct as strings: {names}.")
    return names


def _label_type(classes):
    from pyspark.sql.types import BooleanType, DoubleType, LongType, StringType

    kind = np.asarray(classes).dtype.kind
    if kind in "iu":
        return LongType(), "i"
    if kind == "f":
        return DoubleType(), "f"
    if kind == "b":
        return BooleanType(), "b"
    return StringType(), "s"


def _check_new_columns(df, new_cols, knob):
    existing = set(df.columns)
    taken = [c for c in new_cols if c in existing]
    if taken:
        raise ValueError(
            f"df already has column(s) {taken[:10]} that the output would add; choose another "
            f"{knob} or drop them."
        )
    dup = sorted({c for c in new_cols if new_cols.count(c) > 1})
    if dup:
        raise ValueError(
            f"The output column names collide: {dup[:10]} (a feature name clashes with "
            "another feature, a class label or 'base_value')."
        )


def _collect_background(background, features):
    try:
        from pyspark.sql import DataFrame
    except ImportError:  # pragma: no cover
        DataFrame = ()
    if isinstance(background, DataFrame) or type(background).__module__.startswith(
        "pyspark.sql.connect"
    ):
        missing = [f for f in features if f not in background.columns]
        if missing:
            raise ValueError(f"background is missing feature column(s) {missing[:10]}.")
        background = background.select(*features).toPandas()
    if hasattr(background, "columns") and hasattr(background, "to_numpy"):
        cols = [str(c) for c in background.columns]
        if set(features) <= set(cols):
            background = background[features]
        background = background.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        background = np.asarray(background, dtype=np.float64)
    if background.ndim != 2 or background.shape[1] != len(features):
        raise ValueError(
            f"background must have {len(features)} feature columns; got shape "
            f"{background.shape}."
        )
    if background.shape[0] == 0:
        raise ValueError("background is empty: give at least one row.")
    return np.ascontiguousarray(background)


# --------------------------------------------------------------------------------------------
# sessions
# --------------------------------------------------------------------------------------------
def _get_session(spark):
    """``spark``, else the active session, else a local session started here whose Python
    workers run this interpreter (see :func:`_start_local_session`)."""
    if spark is not None:
        return spark
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    return active if active is not None else _start_local_session()


def _start_local_session():
    """``SparkSession.builder.getOrCreate()``, with ``spark.pyspark.python`` set to
    ``sys.executable`` when nothing chose the workers' Python and the master is local.

    Spark's Python workers otherwise run ``python3`` from the PATH, which is often not the
    environment that has glassworks (a virtual environment used without activating it, a
    notebook kernel): every task then failed with "No module named 'glassworks'". A choice
    the user made (``PYSPARK_PYTHON``, ``spark.pyspark.python`` from ``spark-submit`` or
    ``spark-defaults.conf``), an existing SparkContext, or a cluster master are left alone
    (there the driver's path may not exist on the executors, and :func:`_check_workers`
    reports what is missing): only an unset ``PYSPARK_PYTHON`` is set, in this process's
    environment, before the session starts.
    """
    import os
    import sys

    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if SparkContext._active_spark_context is None and not os.environ.get("PYSPARK_PYTHON"):
        conf = SparkConf()  # what spark-submit / spark-defaults.conf set, when they did
        master = conf.get("spark.master", None) or "local[*]"
        if master.startswith("local") and not conf.contains("spark.pyspark.python"):
            # PySpark reads the workers' Python from PYSPARK_PYTHON when the SparkContext
            # starts (the conf alone is read only by spark-submit); the conf records it
            os.environ["PYSPARK_PYTHON"] = sys.executable
            builder = builder.config("spark.pyspark.python", sys.executable)
    return builder.getOrCreate()


#: sessions (application ids) whose Python workers were checked by :func:`_check_workers`
_CHECKED = set()


def _check_workers(spark):
    """Once per Spark application: a tiny job that imports glassworks on the workers and
    returns its version and the worker's Python version; a failure becomes one RuntimeError
    that says what to install where, instead of an import error deep in a Spark trace."""
    import sys

    sc = _spark_context(spark)
    try:
        key = sc.applicationId if sc is not None else spark.conf.get("spark.app.id", None)
    except Exception:
        key = None
    key = key or id(spark)
    if key in _CHECKED:
        return
    from . import __version__

    driver = f"{sys.version_info[0]}.{sys.version_info[1]}"
    try:
        reports = _probe_workers(spark, sc)
    except Exception as exc:  # the job itself failed: the workers' Python could not start
        raise RuntimeError(_worker_message(driver, None, _last_line(exc))) from None
    for python, executable, version, error in reports:
        if error is not None or python != driver:
            raise RuntimeError(_worker_message(
                driver, (python, executable),
                error or f"the workers run Python {python}, the driver Python {driver}",
            ))
        if version != __version__:
            import warnings

            warnings.warn(
                f"Spark's Python workers have glassworks {version}, the driver {__version__}: "
                "install the same version on both (a model pickled by one may not load in "
                "the other).", UserWarning, stacklevel=3,
            )
            break
    _CHECKED.add(key)


def _probe_workers(spark, sc):
    """[(python "X.Y", executable, glassworks version or None, error or None)] from one
    small task per core. The probe is a closure defined here, so cloudpickle ships it by
    value: unpickling it needs no glassworks on the worker."""

    def probe(_):
        import sys

        import importlib

        version, error = None, None
        # glassworks imports its dependencies lazily: import what a worker will use
        for name in ("glassworks", "numpy", "scipy", "sklearn", "numba", "pandas", "pyarrow",
                     "glassworks.tree._classes"):
            try:
                importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - reported to the driver
                error = f"{type(exc).__name__}: {exc}"
                break
        if error is None:
            version = importlib.import_module("glassworks").__version__
        yield (f"{sys.version_info[0]}.{sys.version_info[1]}", sys.executable, version, error)

    if sc is not None:
        n = max(1, int(sc.defaultParallelism))
        return sc.parallelize(range(n), n).mapPartitions(probe).collect()

    def probe_frame(batches):  # Spark Connect: no RDDs
        import pandas as pd

        for _ in batches:
            rows = list(probe(None))
            yield pd.DataFrame(rows, columns=["python", "executable", "version", "error"])

    schema = "python string, executable string, version string, error string"
    rows = spark.range(1).mapInPandas(probe_frame, schema).collect()
    return [(r["python"], r["executable"], r["version"], r["error"]) for r in rows]


def _worker_message(driver, worker, detail):
    where = ("" if worker is None
             else f" (Python {worker[0]} at {worker[1]})")
    return (
        f"Spark's Python workers{where} cannot run glassworks: {detail}. Every executor needs "
        "glassworks and its dependencies (numpy, scipy, scikit-learn, numba, pandas, pyarrow) "
        f"in the Python that runs its workers, which must be Python {driver} like the "
        "driver. Install them there (pip install glassworks on every node; on Databricks a "
        "cluster library), or ship an environment: spark-submit --archives env.tar.gz#env "
        "--conf spark.pyspark.python=./env/bin/python. For a local session, set "
        "PYSPARK_PYTHON (or spark.pyspark.python) to a Python that has glassworks, e.g. "
        "sys.executable. See the Spark section of glassworks' README."
    )


def _last_line(exc):
    """The informative line of a Spark job failure (the worker's own error, not the JVM
    stack)."""
    text = str(exc)
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line and ("Error" in line or "error" in line) and not line.startswith("at "):
            return line[:500]
    return text.strip().splitlines()[0][:500] if text.strip() else type(exc).__name__


def _spark_context(spark):
    """The SparkContext, or None under Spark Connect (which has none)."""
    try:
        return spark.sparkContext
    except Exception:
        return None


def _conf_parallelism(spark):
    try:
        return int(spark.conf.get("spark.default.parallelism"))
    except Exception:
        return 2


def _cloudpickle():
    from pyspark import cloudpickle

    return cloudpickle
