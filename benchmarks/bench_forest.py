"""Benchmark: glassworks' random forest against scikit-learn's, and its TreeSHAP against shap's.

1. Fit + predict, regression and classification, 100k x 20, 100 trees, the same parameters and
   the same ``n_jobs`` for both; held-out R^2 / accuracy printed next to the times.
2. Ensemble TreeSHAP: ``forest.explain`` against ``shap.TreeExplainer`` on the *same* trees
   (``forest.to_shap_model()``), path-dependent and interventional; the largest difference of the
   values is printed.

Each timing is repeated (``--repeats``), the median reported with the ratio to the peer.

Usage::

    python benchmarks/bench_forest.py [--n 100000] [--d 20] [--trees 100] [--n-jobs 2]
        [--repeats 3] [--shap-rows 1000] [--regression-only | --classification-only]
        [--no-shap]
"""

import argparse
import copy
import os
import time

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier as SkRFC
from sklearn.ensemble import RandomForestRegressor as SkRFR

from glassworks import RandomForestClassifier, RandomForestRegressor


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def bench_fit(task, n, d, trees, n_jobs, repeats, seed=0, fit=True):
    if task == "regression":
        X, y = make_regression(n_samples=n + n // 5, n_features=d, n_informative=d // 2,
                               noise=10.0, random_state=seed)
        ours_cls, ref_cls, metric = RandomForestRegressor, SkRFR, "R^2"
    else:
        X, y = make_classification(n_samples=n + n // 5, n_features=d, n_informative=d // 2,
                                   random_state=seed)
        ours_cls, ref_cls, metric = RandomForestClassifier, SkRFC, "accuracy"
    X = X.astype(np.float64)
    Xtr, ytr, Xte, yte = X[:n], y[:n], X[n:], y[n:]
    if not fit:
        return Xtr, ytr, Xte
    params = dict(n_estimators=trees, n_jobs=n_jobs, random_state=seed)
    # warm-up: Numba compiles (or loads its cache) once per process; not what is compared
    ours_cls(n_estimators=2, random_state=0).fit(Xtr[:500], ytr[:500]).predict(Xte[:10])

    t_ours, ours = timed(lambda: ours_cls(**params).fit(Xtr, ytr), repeats)
    t_ref, ref = timed(lambda: ref_cls(**params).fit(Xtr, ytr), repeats)
    p_ours, s_ours = timed(lambda: ours.score(Xte, yte), max(repeats, 5))
    p_ref, s_ref = timed(lambda: ref.score(Xte, yte), max(repeats, 5))
    print(f"{task:<15}{'fit':<9}{t_ours:10.2f}{t_ref:10.2f}{t_ref / t_ours:9.1f}x"
          f"   {metric} {s_ours:.4f} vs {s_ref:.4f}")
    print(f"{task:<15}{'predict':<9}{p_ours:10.3f}{p_ref:10.3f}{p_ref / p_ours:9.1f}x"
          f"   (score = predict + metric, median of {max(repeats, 5)})")
    return Xtr, ytr, Xte


def bench_shap(Xtr, ytr, Xte, trees, depth, rows, n_background, repeats):
    import shap

    f = RandomForestRegressor(n_estimators=trees, max_depth=depth, random_state=0,
                              n_jobs=2).fit(Xtr, ytr)
    X = Xte[:rows]
    bg = Xtr[:n_background]
    # warm-up on the timed calls themselves: the kernel (leaf tables, quadrature or traversal)
    # is chosen by the job's size, so a few rows would warm up a different one
    f.explain(X)
    f.explain(X, background=bg)
    model = f.to_shap_model()

    t_ours, ours = timed(lambda: f.explain(X), repeats)
    t_ref, ref = timed(lambda: shap.TreeExplainer(copy.deepcopy(model)).shap_values(X), repeats)
    diff = np.max(np.abs(ours.values - ref))
    print(f"{'path TreeSHAP':<24}{t_ours:10.3f}{t_ref:10.3f}{t_ref / t_ours:9.1f}x"
          f"   max |diff| {diff:.1e}")

    t_ours, ours = timed(lambda: f.explain(X, background=bg), repeats)
    t_ref, ref = timed(
        lambda: shap.TreeExplainer(copy.deepcopy(model), data=bg,
                                   feature_perturbation="interventional").shap_values(X),
        repeats,
    )
    diff = np.max(np.abs(ours.values - ref))
    print(f"{'interventional TreeSHAP':<24}{t_ours:10.3f}{t_ref:10.3f}{t_ref / t_ours:9.1f}x"
          f"   max |diff| {diff:.1e}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--d", type=int, default=20)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--shap-rows", type=int, default=1000)
    ap.add_argument("--shap-depth", type=int, default=8)
    ap.add_argument("--shap-background", type=int, default=100)
    ap.add_argument("--regression-only", action="store_true",
                    help="skip the classification fit (it takes as long again)")
    ap.add_argument("--classification-only", action="store_true",
                    help="skip the regression fit")
    ap.add_argument("--no-shap", action="store_true", help="skip the TreeSHAP comparison")
    ap.add_argument("--shap-only", action="store_true", help="only the TreeSHAP comparison")
    args = ap.parse_args(argv)

    print(f"== Random forest, {args.n} x {args.d}, {args.trees} trees, n_jobs={args.n_jobs}, "
          f"median of {args.repeats} ==")
    print(f"{'task':<15}{'':<9}{'glassworks':>10}{'sklearn':>10}{'speed-up':>10}")
    data = None
    for task in ("regression", "classification"):
        if (args.regression_only or args.shap_only) and task == "classification":
            continue
        if args.classification_only and task == "regression":
            continue
        out = bench_fit(task, args.n, args.d, args.trees, args.n_jobs, args.repeats,
                        fit=not args.shap_only)
        if task == "regression":
            data = out
    if args.no_shap:
        print(f"load average {os.getloadavg()}")
        return
    Xtr, ytr, Xte = data
    print(f"\n== Ensemble TreeSHAP, {args.trees} trees of depth <= {args.shap_depth}, "
          f"{args.shap_rows} rows, background {args.shap_background}; shap on the same trees "
          f"(to_shap_model), median of {args.repeats} ==")
    print(f"{'':<24}{'glassworks':>10}{'shap':>10}{'speed-up':>10}")
    bench_shap(Xtr, ytr, Xte, args.trees, args.shap_depth, args.shap_rows,
               args.shap_background, args.repeats)


if __name__ == "__main__":
    main()
