"""glassworks.spark against the same models run locally (Spark in local mode, one session).

Every Spark result is compared with the model's own in-process answer on the same rows: the
attribution columns to ``model.explain`` (1e-12), the prediction columns to ``model.predict`` /
``predict_proba``, ``map_instances`` to a plain list comprehension. Bad input must raise a
ValueError on the driver before any Spark job starts (checked with a job group).
"""

import numpy as np
import pandas as pd
import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (glassworks[spark])")

import glassworks  # noqa: E402
from glassworks import spark as gs  # noqa: E402

FEATURES = ["age", "income", "score", "visits"]
N = 240

# pyspark 4 warns about pandas 3 (its own conversions), not about anything glassworks does
pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]




@pytest.fixture(scope="session")
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, N).astype(np.int64),  # a bigint column in Spark
            "income": rng.lognormal(3.0, 0.5, N),
            "score": rng.normal(size=N),
            "visits": rng.poisson(3.0, N).astype(np.float64),
        }
    )
    y_reg = 0.05 * X["age"] + np.log(X["income"]) * X["score"] + rng.normal(0, 0.1, N)
    y_clf = np.where(y_reg > np.median(y_reg), "high", "low")
    y_clf[X["visits"].to_numpy() > 5] = "mid"
    return X, y_reg.to_numpy(), y_clf


@pytest.fixture(scope="session")
def models(data):
    X, y_reg, y_clf = data
    reg = glassworks.RandomForestRegressor(n_estimators=8, max_depth=5, random_state=0)
    clf = glassworks.RandomForestClassifier(n_estimators=8, max_depth=5, random_state=0)
    reg.fit(X, y_reg)
    clf.fit(X, y_clf)
    return {"regressor": reg, "classifier": clf}


@pytest.fixture(scope="session")
def sdf(spark, data):
    X = data[0]
    pdf = X.copy()
    # an id to join on and a string column that is not a feature: both must pass through
    pdf.insert(0, "id", np.arange(N, dtype=np.int64) * 7 + 3)
    pdf["tag"] = [f"row{i}" for i in range(N)]
    # shuffle the rows and spread them over 3 partitions so order is not trivially kept
    pdf = pdf.sample(frac=1.0, random_state=1).reset_index(drop=True)
    return spark.createDataFrame(pdf).repartition(3)


def _by_id(sdf_out):
    return sdf_out.toPandas().sort_values("id").reset_index(drop=True)


def _expected_columns(kind, model, prefix="shap_"):
    if kind == "regressor":
        return [f"{prefix}{f}" for f in FEATURES] + [f"{prefix}base_value"]
    classes = [str(c) for c in model.classes_]
    return [f"{prefix}{f}_{c}" for f in FEATURES for c in classes] + [
        f"{prefix}base_value_{c}" for c in classes
    ]


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
@pytest.mark.parametrize("with_background", [False, True])
def test_explain_matches_local(spark, data, models, sdf, kind, with_background):
    X = data[0]
    model = models[kind]
    background = X.iloc[::12] if with_background else None
    # local first: it also fills Numba's on-disk cache the Spark workers then load from
    local = model.explain(X, background=background)

    out = gs.explain(sdf, model, background=background)
    new_cols = _expected_columns(kind, model)
    assert out.columns == sdf.columns + new_cols
    got = _by_id(out)
    assert len(got) == N
    # row identity: every row keeps its own id, features and tag
    ids = (got["id"].to_numpy() - 3) // 7
    assert np.array_equal(ids, np.arange(N))
    assert np.array_equal(got["tag"].to_numpy(), np.array([f"row{i}" for i in ids]))
    for f in FEATURES:
        assert np.array_equal(got[f].to_numpy(), X[f].to_numpy())

    d = len(FEATURES)
    if kind == "regressor":
        k = 1
        values = local.values.reshape(N, d)
        base = local.base_values.reshape(N, 1)
    else:
        k = len(model.classes_)
        assert local.values.shape == (N, d, k)
        values = local.values.reshape(N, d * k)
        base = local.base_values.reshape(N, k)
    np.testing.assert_allclose(got[new_cols[: d * k]].to_numpy(), values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got[new_cols[d * k:]].to_numpy(), base, rtol=0, atol=1e-12)
    # the attributions explain the model's own output
    total = got[new_cols[d * k:]].to_numpy() + got[new_cols[: d * k]].to_numpy().reshape(
        N, d, k
    ).sum(axis=1)
    if kind == "regressor":
        np.testing.assert_allclose(total[:, 0], model.predict(X), atol=1e-9)
    else:
        np.testing.assert_allclose(total, model.predict_proba(X), atol=1e-9)


def test_explain_background_as_spark_dataframe_and_prefix(spark, data, models, sdf):
    X = data[0]
    model = models["classifier"]
    bg = X.iloc[5::20]
    local = model.explain(X, background=bg)
    bg_sdf = spark.createDataFrame(bg[FEATURES[::-1]])  # column order must not matter
    out = gs.explain(sdf, model, background=bg_sdf, prefix="phi_")
    cols = _expected_columns("classifier", model, prefix="phi_")
    assert out.columns == sdf.columns + cols
    got = _by_id(out)
    k = len(model.classes_)
    np.testing.assert_allclose(
        got[cols[: -k]].to_numpy(), local.values.reshape(N, -1), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_predict_matches_local(spark, data, models, sdf, kind):
    X = data[0]
    model = models[kind]
    pred = model.predict(X)  # local first (warms Numba's on-disk cache for the workers)
    out = gs.predict(sdf, model)
    if kind == "regressor":
        assert out.columns == sdf.columns + ["prediction"]
        assert dict(out.dtypes)["prediction"] == "double"
    else:
        probs = [f"probability_{c}" for c in model.classes_]
        assert out.columns == sdf.columns + ["prediction"] + probs
        assert dict(out.dtypes)["prediction"] == "string"
    got = _by_id(out)
    ids = (got["id"].to_numpy() - 3) // 7
    assert np.array_equal(ids, np.arange(N))
    if kind == "regressor":
        np.testing.assert_allclose(got["prediction"].to_numpy(), pred, rtol=0, atol=1e-12)
    else:
        assert np.array_equal(got["prediction"].to_numpy().astype(str), pred.astype(str))
        np.testing.assert_allclose(
            got[probs].to_numpy(), model.predict_proba(X), rtol=0, atol=1e-12
        )


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_trees_with_nulls_explain_then_predict(spark, data, sdf, kind):
    """Decision trees; Spark nulls reach the model as NaN; explain and predict chained."""
    from pyspark.sql import functions as F

    X, y_reg, y_clf = data
    if kind == "regressor":
        model = glassworks.DecisionTreeRegressor(max_depth=6, random_state=0).fit(X, y_reg)
    else:  # integer labels: a bigint prediction column
        labels = np.searchsorted(np.unique(y_clf), y_clf).astype(np.int64)
        model = glassworks.DecisionTreeClassifier(max_depth=6, random_state=0).fit(X, labels)
    ids = np.arange(N) * 7 + 3
    null = ids % 5 == 0
    X_nan = X.copy()
    X_nan.loc[null, "score"] = np.nan
    # local first: it also fills Numba's on-disk cache the Spark workers then load from
    local = model.explain(X_nan)
    local_pred = model.predict(X_nan)

    with_nulls = sdf.withColumn(
        "score", F.when(F.col("id") % 5 == 0, F.lit(None)).otherwise(F.col("score"))
    )
    out = gs.predict(gs.explain(with_nulls, model), model)
    got = _by_id(out)
    assert got["score"].isna().to_numpy().tolist() == null.tolist()
    k = 1 if kind == "regressor" else len(model.classes_)
    cols = _expected_columns(kind, model)[: len(FEATURES) * k]
    np.testing.assert_allclose(
        got[cols].to_numpy(), local.values.reshape(N, -1), rtol=0, atol=1e-12
    )
    if kind == "regressor":
        np.testing.assert_allclose(got["prediction"], local_pred, rtol=0, atol=1e-12)
    else:
        assert dict(out.dtypes)["prediction"] == "bigint"
        assert np.array_equal(got["prediction"].to_numpy(), local_pred)


def test_without_spark_context_the_model_travels_in_the_task(spark, data, models, sdf,
                                                            monkeypatch):
    """Spark Connect has no SparkContext (no broadcast): same results, model in the closure."""
    X = data[0]
    model = models["classifier"]
    monkeypatch.setattr(gs, "_spark_context", lambda session: None)
    got = _by_id(gs.predict(sdf, model))
    np.testing.assert_allclose(
        got[[f"probability_{c}" for c in model.classes_]].to_numpy(),
        model.predict_proba(X), rtol=0, atol=1e-12,
    )


def test_numeric_columns_by_default_for_unnamed_features(spark, data, sdf):
    X, y_reg, _ = data
    model = glassworks.RandomForestRegressor(n_estimators=4, max_depth=3, random_state=0)
    model.fit(X.to_numpy(), y_reg)
    assert not hasattr(model, "feature_names_in_")
    # id is numeric too: 5 numeric columns for a 4-feature model is refused, not guessed
    with pytest.raises(ValueError, match="features="):
        gs.predict(sdf, model)
    only = sdf.select(*FEATURES, "tag")  # tag (a string) is not counted
    got = gs.predict(only, model).toPandas()
    np.testing.assert_allclose(
        got["prediction"].to_numpy(), model.predict(got[FEATURES].to_numpy()), atol=1e-12
    )
    # explicit features work whatever the other columns are
    got = gs.explain(sdf, model, features=FEATURES).toPandas()
    local = model.explain(got[FEATURES].to_numpy())
    np.testing.assert_allclose(
        got[[f"shap_{f}" for f in FEATURES]].to_numpy(), local.values, rtol=0, atol=1e-12
    )


def _square_plus(offset):
    return lambda p: {"in": p, "out": np.asarray(p) ** 2 + offset}


def test_map_instances_equals_local_list(spark):
    rng = np.random.default_rng(3)
    payloads = [rng.normal(size=3) for _ in range(23)]
    func = _square_plus(rng.normal())  # a closure: needs cloudpickle
    expected = [func(p) for p in payloads]
    for got in (
        gs.map_instances(func, payloads, spark=spark),
        gs.map_instances(func, payloads, spark=spark, n_partitions=5),
        gs._map_via_dataframe(func, payloads, spark, 4),  # the Spark Connect path
    ):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert np.array_equal(g["in"], e["in"])
            np.testing.assert_array_equal(g["out"], e["out"])
    few = gs.map_instances(func, payloads[:3], n_partitions=100)  # more tasks than payloads
    assert [np.array_equal(g["out"], e["out"]) for g, e in zip(few, expected)] == [True] * 3
    assert gs.map_instances(func, [], spark=spark) == []
    with pytest.raises(ValueError, match="n_partitions"):
        gs.map_instances(func, payloads, spark=spark, n_partitions=0)
    with pytest.raises(ValueError, match="callable"):
        gs.map_instances(3, payloads, spark=spark)


def test_map_instances_runs_a_model(spark, data, models):
    """The auditor's use: each call explains one instance with a model shipped in func."""
    X = data[0]
    model = models["regressor"]

    def one(i):
        return model.explain(X.iloc[i : i + 1]).values[0]

    got = gs.map_instances(one, list(range(0, N, 9)), spark=spark)
    local = model.explain(X.iloc[::9]).values
    np.testing.assert_allclose(np.vstack(got), local, rtol=0, atol=1e-12)


def _no_job_started(spark, call):
    """Run ``call`` (which must raise) and assert Spark started no job meanwhile."""
    sc = spark.sparkContext
    group = f"gw-bad-input-{np.random.default_rng().integers(1 << 30)}"
    sc.setJobGroup(group, "bad input must fail on the driver")
    try:
        call()
    finally:
        jobs = list(sc.statusTracker().getJobIdsForGroup(group))
        sc.setLocalProperty("spark.jobGroup.id", None)
    assert jobs == [], f"Spark jobs {jobs} ran before the error"


def test_job_probe_sees_a_job(spark, sdf):
    """The probe below is not vacuous: an action inside it is caught."""
    with pytest.raises(AssertionError, match="ran before the error"):
        _no_job_started(spark, lambda: sdf.count())


@pytest.mark.parametrize("func", [gs.explain, gs.predict])
def test_bad_input_fails_on_the_driver(spark, data, models, sdf, func):
    X, y_reg, _ = data
    unfitted = glassworks.RandomForestRegressor()

    def raises(match, *args, **kwargs):
        def call():
            with pytest.raises(ValueError, match=match):
                func(*args, **kwargs)

        _no_job_started(spark, call)

    raises("not fitted", sdf, unfitted)
    raises("missing feature column", sdf.drop("score"), models["regressor"])
    as_string = sdf.withColumn("income", sdf["income"].cast("string"))
    raises(r"numeric.*income \(string\)", as_string, models["classifier"])
    raises("missing feature column", sdf, models["regressor"],
           features=["age", "income", "score", "nope"])
    raises("4", sdf, models["regressor"], features=["age", "income"])
    raises("order", sdf, models["regressor"], features=FEATURES[::-1])
    raises("pyspark.sql.DataFrame", X, models["regressor"])
    taken = sdf.withColumn("shap_age" if func is gs.explain else "prediction", sdf["age"])
    raises("already has column", taken, models["regressor"])


def test_bad_background_fails_on_the_driver(spark, data, models, sdf):
    X = data[0]

    def call():
        with pytest.raises(ValueError, match="background"):
            gs.explain(sdf, models["regressor"], background=X.to_numpy()[:, :3])

    _no_job_started(spark, call)


def _run_python(code, env, timeout=600):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=timeout)


def _env_without_worker_python():
    """This process's environment with no PYSPARK_PYTHON and without this interpreter's
    folder on PATH: ``python3`` on the PATH is then another Python (or none), as for a user
    who runs a virtual environment's Python without activating it."""
    import os
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "VIRTUAL_ENV")}
    here = os.path.dirname(sys.executable)
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep)
        if p and os.path.realpath(p) != os.path.realpath(here)
    ) or "/usr/bin:/bin"
    return env


def test_audit_with_no_session_starts_one_whose_workers_run_this_python():
    """No active session and no PYSPARK_PYTHON: glassworks starts a local session whose
    workers use the driver's interpreter (before, they ran python3 from the PATH and failed
    with "No module named 'glassworks'" or 'numpy')."""
    from conftest import _java_available

    if not _java_available():
        pytest.skip("Java not found")
    code = """
import sys, numpy as np, glassworks as gw
from pyspark.sql import SparkSession
assert SparkSession.getActiveSession() is None
sc = gw.make_scenario("proxy", n_samples=120, random_state=0)
model = gw.DecisionTreeRegressor(max_depth=3, random_state=0).fit(sc.X, sc.y)
rep = gw.audit(model, sc.X[:6], background=sc.X[:40], explainers=["kernel_shap"],
               engine="spark", random_state=0, n_reruns=0)
session = SparkSession.getActiveSession()
print("PYTHON", session.sparkContext.getConf().get("spark.pyspark.python"))
print("ROWS", len(rep.per_instance))
session.stop()
"""
    r = _run_python(code, _env_without_worker_python())
    assert r.returncode == 0, r.stdout + r.stderr[-4000:]
    import sys

    assert f"PYTHON {sys.executable}" in r.stdout
    assert "ROWS 0" not in r.stdout


def test_workers_without_glassworks_give_one_clear_error(tmp_path):
    """A user's session whose workers cannot import glassworks: one RuntimeError that says
    what to install where, raised on the driver before any work is shipped."""
    import os
    import sys

    from conftest import _java_available

    if not _java_available():
        pytest.skip("Java not found")
    # a worker Python that has pyspark but whose glassworks import fails
    shadow = tmp_path / "shadow" / "glassworks"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'glassworks'\", name='glassworks')\n")
    worker = tmp_path / "worker-python"
    worker.write_text(f"#!/bin/sh\nPYTHONPATH={shadow.parent}:$PYTHONPATH exec "
                      f"{sys.executable} \"$@\"\n")
    worker.chmod(0o755)
    code = f"""
import numpy as np
from pyspark.sql import SparkSession
import glassworks.spark as gs
spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
         .getOrCreate())
try:
    gs.map_instances(lambda p: p + 1, [1, 2, 3])
except RuntimeError as exc:
    print("MESSAGE", exc)
else:
    print("NO ERROR")
spark.stop()
"""
    env = dict(os.environ, PYSPARK_PYTHON=str(worker))  # the user's choice of worker Python
    r = _run_python(code, env)
    assert r.returncode == 0, r.stdout + r.stderr[-4000:]
    msg = r.stdout.split("MESSAGE", 1)[-1]
    assert "NO ERROR" not in r.stdout, r.stdout
    assert "No module named 'glassworks'" in msg
    assert str(worker) not in msg or "Python" in msg
    assert "pip install glassworks" in msg and "spark.pyspark.python" in msg
    assert f"Python {sys.version_info[0]}.{sys.version_info[1]}" in msg
    assert "Traceback" not in msg and len(msg) < 2000
