"""glassworks.spark on local[1] vs local[2]: does a second core pay?

Two workloads, each run on a fresh local Spark session per core count, warmed up once (Python
workers started, Numba kernels loaded), then timed ``--repeats`` times; medians and the
local[2] / local[1] speed-up are printed.

1. ``spark.explain`` of a glassworks random forest (a decision tree if the forest is not
   available) on ``--rows`` rows: rows per second. The job ends in Spark's ``noop`` sink, so the
   whole DataFrame is computed but nothing is collected to the driver. ``model.explain`` on
   the same rows in this process (all Numba threads) is timed too, as the reference.
2. An audit-like workload through ``spark.map_instances``: ``--instances`` KernelSHAP
   explanations (``shap.KernelExplainer`` on the model's ``predict``, ``--nsamples``
   coalitions, a small background), one call per instance. The same calls in a plain Python
   loop in this process are timed too, as the reference, with Numba's default threads and
   with one thread (what each Spark task uses).

Run: ``python benchmarks/bench_spark.py`` (needs pyspark, pyarrow, shap and Java 17+).
The goal for the audit workload is a local[2] / local[1] ratio of at least 1.7 on an
otherwise idle 2-core machine.
"""

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")


def make_model(n_rows, n_features, seed):
    import pandas as pd

    import glassworks

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, n_features)),
                     columns=[f"f{j}" for j in range(n_features)])
    y = (X["f0"] * X["f1"] + np.sin(3 * X["f2"]) + 0.5 * X["f3"] ** 2
         + rng.normal(0, 0.1, n_rows))
    try:
        model = glassworks.RandomForestRegressor(n_estimators=30, max_depth=8, random_state=0)
        kind = "RandomForestRegressor(n_estimators=30, max_depth=8)"
        model.fit(X.to_numpy(), y)
    except (ImportError, AttributeError, ModuleNotFoundError):
        model = glassworks.DecisionTreeRegressor(max_depth=10, random_state=0)
        kind = "DecisionTreeRegressor(max_depth=10)"
        model.fit(X.to_numpy(), y)
    # fitted on an array: KernelSHAP calls predict on arrays, and spark.explain takes every
    # numeric column of the DataFrame (all of them are features here)
    return model, kind, X


def start(master):
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(master)
        .appName(f"bench_spark {master}")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


class KernelShapCall:
    """One audit call: KernelSHAP of one instance (picklable; shipped once per task)."""

    def __init__(self, model, X, background, nsamples):
        self.model = model
        self.X = X
        self.background = background
        self.nsamples = nsamples

    def __call__(self, i):
        import shap

        # KernelSHAP samples coalitions with numpy's global generator: seed it per instance
        # so that every engine computes the very same numbers
        np.random.seed(i)
        explainer = shap.KernelExplainer(self.model.predict, self.background)
        return explainer.shap_values(self.X[i : i + 1], nsamples=self.nsamples, silent=True)[0]


def _numba_threads():
    import numba

    return numba.get_num_threads()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--instances", type=int, default=500)
    parser.add_argument("--nsamples", type=int, default=100)
    parser.add_argument("--background", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from glassworks import spark as gs

    model, kind, X = make_model(args.rows, args.features, seed=0)
    Xa = X.to_numpy()
    background = Xa[: args.background]
    call = KernelShapCall(model, Xa, background, args.nsamples)
    instances = list(range(args.instances))
    model.explain(Xa[:10])  # compile (or load) the kernels once on the driver
    call(0)

    print(f"model: glassworks.{kind}; {args.rows} rows x {args.features} features")
    print(f"audit: {args.instances} instances, KernelExplainer(predict, {args.background} "
          f"background rows), nsamples={args.nsamples}; {args.repeats} repeats, medians\n")

    local_explain = statistics.median(timed(lambda: model.explain(Xa), args.repeats))
    local_times = timed(lambda: [call(i) for i in instances], args.repeats)
    # Spark tasks run Numba on one thread; the same loop on one thread separates that effect
    # (many small parallel predict calls) from the effect of the second core
    import numba

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    local1_times = timed(lambda: [call(i) for i in instances], args.repeats)
    numba.set_num_threads(threads)
    reference = [call(i) for i in instances[:5]]

    results = {}
    for master in ("local[1]", "local[2]"):
        spark = start(master)
        sdf = spark.createDataFrame(X).cache()
        sdf.count()
        explained = gs.explain(sdf, model)
        noop = lambda: explained.write.format("noop").mode("overwrite").save()  # noqa: E731
        noop()  # warm-up: Python workers start, kernels load in each
        explain_times = timed(noop, args.repeats)

        got = gs.map_instances(call, instances[:5], spark=spark)  # warm-up and a check
        for g, r in zip(got, reference):
            np.testing.assert_allclose(g, r, rtol=1e-9, atol=1e-12)
        audit_times = timed(lambda: gs.map_instances(call, instances, spark=spark),
                            args.repeats)
        results[master] = (statistics.median(explain_times), statistics.median(audit_times))
        sdf.unpersist()
        spark.stop()

    local = statistics.median(local_times)
    (e1, a1), (e2, a2) = results["local[1]"], results["local[2]"]
    print(f"{'workload':<34}{'local[1]':>14}{'local[2]':>14}{'ratio 2/1':>11}")
    print(f"{'spark.explain rows/s':<34}{args.rows / e1:>14.0f}{args.rows / e2:>14.0f}"
          f"{e1 / e2:>10.2f}x")
    print(f"{'spark.explain seconds (median)':<34}{e1:>14.2f}{e2:>14.2f}")
    print(f"{'audit map_instances seconds':<34}{a1:>14.2f}{a2:>14.2f}{a1 / a2:>10.2f}x")
    print(f"{'audit instances/s':<34}{args.instances / a1:>14.1f}"
          f"{args.instances / a2:>14.1f}")
    print(f"\nmodel.explain on the whole array in this process (Numba threads: "
          f"{_numba_threads()}): {args.rows / local_explain:.0f} rows/s; "
          f"local[2] vs that: {local_explain / e2:.2f}x")
    print(f"same audit calls in a plain Python loop here: {local:.2f} s median "
          f"({args.instances / local:.1f} instances/s); local[2] vs loop: {local / a2:.2f}x")
    local1 = statistics.median(local1_times)
    print(f"same loop with numba.set_num_threads(1): {local1:.2f} s median "
          f"({args.instances / local1:.1f} instances/s); local[1] vs it: {local1 / a1:.2f}x, "
          f"local[2] vs it: {local1 / a2:.2f}x")
    print(f"goal audit ratio >= 1.7x: {'met' if a1 / a2 >= 1.7 else 'NOT met'} "
          f"({a1 / a2:.2f}x; load average now {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
