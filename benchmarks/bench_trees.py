"""Decision trees: glassworks vs scikit-learn, side by side in one process.

For make_classification / make_regression with 20 features, n in {100k, 1M} (``--quick``:
100k only), max_depth 8 and unbounded, it times fit and predict (median of repeats) of

- glassworks.DecisionTree{Classifier,Regressor},
- sklearn.tree.DecisionTree{Classifier,Regressor},
- sklearn HistGradientBoosting{Classifier,Regressor} with max_iter=1 and learning_rate=1 (one
  histogram tree fitted to the gradients; its min_samples_leaf=20 default is kept,
  max_leaf_nodes=None, early stopping off),

and prints the test accuracy (classifier) or R2 (regressor) of each and every time's ratio to
scikit-learn's DecisionTree (">1" means faster than scikit-learn).

It also measures the first-call cost of glassworks' Numba kernels: a fresh process that
imports glassworks and fits (and predicts with) a small classifier and a small regressor, with
a cold Numba cache (a temporary NUMBA_CACHE_DIR) and then with the warm cache.

Usage::

    python benchmarks/bench_trees.py [--quick] [--repeats 3] [--skip-compile]
                                     [--task regression] [--n 1000000] [--skip-hgb]

It prints the machine's load average with every table: timings on a busy machine are only
comparable within one table (ratios), not across runs.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.tree import DecisionTreeClassifier as SkTreeClassifier
from sklearn.tree import DecisionTreeRegressor as SkTreeRegressor

from glassworks import DecisionTreeClassifier, DecisionTreeRegressor

N_FEATURES = 20
N_TEST = 100_000


def _data(task, n, seed=0):
    if task == "classification":
        X, y = make_classification(n_samples=n + N_TEST, n_features=N_FEATURES,
                                   n_informative=10, n_redundant=4, random_state=seed)
    else:
        X, y = make_regression(n_samples=n + N_TEST, n_features=N_FEATURES, n_informative=10,
                               noise=10.0, random_state=seed)
    return X[:n], y[:n], X[n:], y[n:]


def _models(task, depth, hgb=True):
    models = _all_models(task, depth)
    if not hgb:
        del models["hgb(max_iter=1)"]
    return models


def _all_models(task, depth):
    if task == "classification":
        return {
            "glassworks": lambda: DecisionTreeClassifier(max_depth=depth, random_state=0),
            "sklearn": lambda: SkTreeClassifier(max_depth=depth, random_state=0),
            "hgb(max_iter=1)": lambda: HistGradientBoostingClassifier(
                max_iter=1, learning_rate=1.0, max_depth=depth, max_leaf_nodes=None,
                early_stopping=False,
                random_state=0),
        }
    return {
        "glassworks": lambda: DecisionTreeRegressor(max_depth=depth, random_state=0),
        "sklearn": lambda: SkTreeRegressor(max_depth=depth, random_state=0),
        "hgb(max_iter=1)": lambda: HistGradientBoostingRegressor(
            max_iter=1, learning_rate=1.0, max_depth=depth, max_leaf_nodes=None,
            early_stopping=False, random_state=0),
    }


def _time(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def run_case(task, n, depth, repeats, hgb=True):
    X, y, Xt, yt = _data(task, n)
    rows = {}
    for name, make in _models(task, depth, hgb).items():
        fit_s, model = _time(lambda: make().fit(X, y), repeats)
        pred_s, _ = _time(lambda: model.predict(Xt), max(3, repeats))
        rows[name] = (fit_s, pred_s, model.score(Xt, yt))
    sk_fit, sk_pred, _ = rows["sklearn"]
    metric = "accuracy" if task == "classification" else "R2"
    print(f"\n{task}, n={n:,} x {N_FEATURES}, max_depth={depth}, fit repeats={repeats} "
          f"(predict on {N_TEST:,} rows, repeats={max(3, repeats)}); load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"  {'model':<16}{'fit s':>9}{'x sklearn':>11}{'predict s':>11}{'x sklearn':>11}"
          f"{metric:>10}")
    for name, (fit_s, pred_s, score) in rows.items():
        print(f"  {name:<16}{fit_s:>9.3f}{sk_fit / fit_s:>11.1f}{pred_s:>11.4f}"
              f"{sk_pred / pred_s:>11.2f}{score:>10.4f}")
    return rows


_COMPILE_SCRIPT = textwrap.dedent("""
    import time
    t0 = time.perf_counter()
    import numpy as np
    import glassworks
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 5)); X[::17, 2] = np.nan
    y = (X[:, 0] > 0).astype(int)
    clf = glassworks.DecisionTreeClassifier(max_depth=4).fit(X, y); clf.predict(X)
    reg = glassworks.DecisionTreeRegressor(max_leaf_nodes=8).fit(X, X[:, 1]); reg.predict(X)
    print(f"{time.perf_counter() - t0:.2f}")
""")


def compile_times():
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = []
        # the warm start is the median of three new processes: the first one after the cold
        # run still pays for reading the fresh cache files from disk
        for label, runs in (("cold cache", 1), ("warm cache", 3)):
            inner, walls = [], []
            for _ in range(runs):
                t0 = time.perf_counter()
                res = subprocess.run([sys.executable, "-c", _COMPILE_SCRIPT], env=env,
                                     capture_output=True, text=True, check=True)
                walls.append(time.perf_counter() - t0)
                inner.append(float(res.stdout.strip().splitlines()[-1]))
            out.append((label, float(np.median(inner)), float(np.median(walls))))
    print("\nfirst use in a fresh process (import glassworks + fit/predict a small classifier "
          "and regressor):")
    for label, inner, wall in out:
        print(f"  {label}: {inner:.2f} s in-process, {wall:.2f} s including interpreter start")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 100k only")
    ap.add_argument("--repeats", type=int, default=3, help="fit repeats at 100k (default 3)")
    ap.add_argument("--skip-compile", action="store_true", help="skip the compile-time runs")
    ap.add_argument("--task", choices=("classification", "regression"), default=None,
                    help="one task only (default: both)")
    ap.add_argument("--n", type=int, default=None, help="one size only (overrides --quick)")
    ap.add_argument("--skip-hgb", action="store_true",
                    help="skip HistGradientBoosting (slow when unbounded at 1M)")
    args = ap.parse_args(argv)
    print(f"glassworks trees vs scikit-learn; {os.cpu_count()} CPUs; medians of repeats; "
          "'x sklearn' = sklearn time / model time")
    if not args.skip_compile:
        compile_times()
    # warm every kernel once so that fit timings exclude compilation
    Xw, yw, _, _ = _data("classification", 2000)
    DecisionTreeClassifier(max_depth=3).fit(Xw, yw).predict(Xw)
    DecisionTreeRegressor(max_depth=3).fit(Xw, Xw[:, 0]).predict(Xw)
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    if args.n is not None:
        sizes = [args.n]
    tasks = ("classification", "regression") if args.task is None else (args.task,)
    for n in sizes:
        for task in tasks:
            for depth in (8, None):
                if n >= 1_000_000:
                    # sklearn needs ~40 s (depth 8) to minutes (unbounded) per fit at 1M
                    repeats = 3 if depth is not None else 1
                else:
                    repeats = args.repeats
                run_case(task, n, depth, repeats, hgb=not args.skip_hgb)


if __name__ == "__main__":
    main()
