"""Exact TreeSHAP: glassworks vs shap.TreeExplainer on the same trees, in one process.

Models (20 features, 100k rows, scikit-learn trees wrapped with ``Tree.from_sklearn``):
a depth-8 tree and an unbounded tree for regression and classification, and a 100-tree
random forest (depth 8). Explains 1000 rows, path-dependent and interventional (100
background rows). Each timing is repeated; the median is reported with the ratio
shap / glassworks (> 1 means glassworks is faster), and the two results' largest absolute
difference (shap accumulates partly in float32). shap's interventional runs in a forked child
because shap 0.51 segfaults there on deep trees (shap issue #3486). The first call's Numba
compile (or cache load) time is printed separately and excluded from the repeated timings.

Run: ``python benchmarks/bench_treeshap.py [--repeats 5] [--quick] [--only forest]``

On a machine whose cores are oversubscribed (load above the core count), GNU OpenMP's
spinning threads make every Numba parallel region slow; ``OMP_WAIT_POLICY=passive`` avoids
that. The header prints the load and the policy so that numbers can be read in context.
"""

import argparse
import os
import statistics
import time

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassworks.shapley import to_shap_model, tree_shap_interventional, tree_shap_path
from glassworks.tree._tree import Tree


def _median_time(fn, repeats, budget=60.0):
    """Median wall time of ``repeats`` calls (at least 2; fewer than asked once over budget)."""
    times = []
    out = None
    while len(times) < repeats and (len(times) < 2 or sum(times) < budget):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out, len(times)


def _shap_in_child(trees, weights, Xq, bg, repeats, conn):
    import shap

    t, sv, runs = _median_time(lambda: _shap_values(shap, trees, weights, Xq, bg), repeats)
    conn.send((t, sv, runs))
    conn.close()


def _shap_isolated(trees, weights, Xq, bg, repeats):
    """Time shap in a forked child: shap 0.51's interventional kernel segfaults on deep trees
    (shap issue #3486), which must not take the benchmark down with it."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_shap_in_child, args=(trees, weights, Xq, bg, repeats, child))
    proc.start()
    child.close()
    try:
        result = parent.recv()
    except EOFError:
        result = None
    proc.join()
    if result is None:
        return None, None, f"shap crashed (exit code {proc.exitcode})"
    return result[0], result[1], result[2]


def _shap_values(shap, trees, weights, Xq, bg):
    model = to_shap_model(trees, weights)  # a fresh dict: shap keeps what it is given
    if bg is None:
        ex = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    else:
        masker = shap.maskers.Independent(bg, max_samples=len(bg))
        ex = shap.TreeExplainer(model, data=masker, feature_perturbation="interventional")
    sv = np.asarray(ex.shap_values(Xq, check_additivity=False))
    return sv if sv.ndim == 3 else sv[:, :, None]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed runs per case (at least 2; fewer once a case passes 60 s)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--explain", type=int, default=1000)
    parser.add_argument("--background", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="skip the forest and unbounded trees")
    parser.add_argument("--only", default=None,
                        help="run only the cases whose model or mode contains this text")
    args = parser.parse_args()

    import numba
    import shap

    print(
        f"numba threads: {numba.get_num_threads()}  cpus: {os.cpu_count()}  "
        f"load average: {os.getloadavg()[0]:.1f}  shap {shap.__version__}  "
        f"repeats: {args.repeats}  OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}"
    )
    rng = np.random.default_rng(0)
    Xr, yr = make_regression(n_samples=args.rows, n_features=20, n_informative=10, noise=5.0,
                             random_state=0)
    Xc, yc = make_classification(n_samples=args.rows, n_features=20, n_informative=10,
                                 n_classes=2, random_state=0)
    cases = []
    for task, X, y, Tree_, Forest in (
        ("regression", Xr, yr, DecisionTreeRegressor, RandomForestRegressor),
        ("classification", Xc, yc, DecisionTreeClassifier, RandomForestClassifier),
    ):
        depths = (8,) if args.quick else (8, None)
        for depth in depths:
            m = Tree_(max_depth=depth, random_state=0).fit(X, y)
            cases.append((f"{task} tree depth={m.get_depth()} leaves={m.get_n_leaves()}",
                          [Tree.from_sklearn(m.tree_)], None, X))
        if not args.quick:
            f = Forest(n_estimators=100, max_depth=8, random_state=0, n_jobs=-1).fit(X, y)
            trees = [Tree.from_sklearn(e.tree_) for e in f.estimators_]
            cases.append((f"{task} forest 100 trees depth=8", trees, None, X))

    # compile (or load from the Numba cache) outside the timings
    small = cases[0][1]
    Xs = cases[0][3][:5]
    t0 = time.perf_counter()
    for algorithm in ("linear", "table"):  # "auto" picks either per tree
        tree_shap_path(small, Xs, algorithm=algorithm)
    t1 = time.perf_counter()
    for algorithm in ("traversal", "table"):
        tree_shap_interventional(small, Xs, Xs, algorithm=algorithm)
    t2 = time.perf_counter()
    print(f"first call (compile or cache load): path {t1 - t0:.2f} s, "
          f"interventional {t2 - t1:.2f} s")

    header = (f"{'model':<44} {'mode':<15} {'glassworks s':>12} {'shap s':>9} {'ratio':>7} "
              f"{'max|diff|':>10}  runs gw/shap")
    print(header)
    print("-" * len(header))
    for name, trees, weights, X in cases:
        idx = rng.choice(X.shape[0], args.explain + args.background, replace=False)
        Xq = np.ascontiguousarray(X[idx[: args.explain]])
        bg = np.ascontiguousarray(X[idx[args.explain:]])
        for mode in ("path", "interventional"):
            if args.only and args.only not in f"{name} {mode}":
                continue
            if mode == "path":
                gw = lambda: tree_shap_path(trees, Xq, weights)  # noqa: E731
                sh = lambda: _shap_values(shap, trees, weights, Xq, None)  # noqa: E731
            else:
                gw = lambda: tree_shap_interventional(trees, Xq, bg, weights)  # noqa: E731
                sh = lambda: _shap_values(shap, trees, weights, Xq, bg)  # noqa: E731
            t_gw, (values, _), runs_gw = _median_time(gw, args.repeats)
            if mode == "interventional":
                t_sh, sv, runs_sh = _shap_isolated(trees, weights, Xq, bg, args.repeats)
            else:
                t_sh, sv, runs_sh = _median_time(sh, args.repeats)
            if t_sh is None:
                print(f"{name:<44} {mode:<15} {t_gw:12.4f} {'-':>9} {'-':>7} {'-':>10}  "
                      f"runs {runs_gw}/-  {runs_sh}", flush=True)
                continue
            diff = np.abs(values - sv).max()
            print(f"{name:<44} {mode:<15} {t_gw:12.4f} {t_sh:9.4f} {t_sh / t_gw:6.1f}x "
                  f"{diff:10.2e}  runs {runs_gw}/{runs_sh}", flush=True)


if __name__ == "__main__":
    main()
