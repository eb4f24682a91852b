"""Shared fixtures: one local Spark session for every test file that needs it."""

import os
import shutil
import sys
import warnings

import pytest


def _java_available():
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return True
    return shutil.which("java") is not None


@pytest.fixture(scope="session")
def spark():
    if not _java_available():
        pytest.skip("Java not found (no java on PATH, no JAVA_HOME): Spark needs a JVM.")
    # Spark's Python workers run PYSPARK_PYTHON: make it this interpreter, whose environment
    # has glassworks and its dependencies.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = (
            SparkSession.builder.master("local[2]")
            .appName("glassworks-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            # small Arrow batches: several batches per task go through each worker
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", "50")
            .config("spark.driver.memory", "1g")
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
