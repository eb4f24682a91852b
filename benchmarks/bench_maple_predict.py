"""Benchmark: where MAPLE's predict spends its time per point, and what that costs an audit.

An audit of a MAPLE model is slow because its explainers call the model thousands of times
per explained row (LIME 5000 calls per row per explainer; KernelSHAP about (2 d + 2048) x
background rows), and every call is a MAPLE prediction: the query's leaves in each of the
forest's trees, then a weighted ridge regression on the training rows that share them.
This script fits ``MapleRegressor`` on diabetes (442 x 10, the defaults: 200 trees,
min_samples_leaf=10) and, for batches of 1, 100 and 5000 query rows (the last the size of
one explainer's batch), times:

- the whole ``predict``, and its three steps: input validation, the leaf lookup
  (``_query_leaves``) and the local ridge solves (``local_ridge_kernel``);
- side by side in the same process: scikit-learn's ``RandomForestRegressor.predict`` of a
  forest of the same shape (the cost of the leaf lookup alone, for scale), and the original
  algorithm's per-point loop (``benchmarks/maple_original.py``) on the same forest, on a few
  points (it is slow).

Each timing is repeated; the median is reported, per query row, with the ratio to
glassworks' whole predict measured in the same run.

Usage::

    python benchmarks/bench_maple_predict.py [--repeats 5]
"""

import argparse
import os
import sys

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)

    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import RandomForestRegressor

    from glassworks import MapleRegressor
    from glassworks.maple._classes import _kernel_threads
    from glassworks.maple.neighbourhood import chunk_bounds
    from glassworks.maple.ridge import local_ridge_kernel

    sys.path.insert(0, os.path.dirname(__file__))
    from bench_audit import timed as _median_time  # median of the repeats
    from maple_original import OriginalMAPLE

    X, y = load_diabetes(return_X_y=True)
    m = MapleRegressor(random_state=0).fit(X, y)
    rng = np.random.default_rng(0)
    print(f"MAPLE predict per query row: diabetes {X.shape}, 200 trees, 2 cores, "
          f"load average {os.getloadavg()[0]:.2f}, median of {args.repeats}")
    m.predict(X[:5])  # compile / load the kernels outside the timings

    rf = RandomForestRegressor(n_estimators=200, min_samples_leaf=10, max_features=0.5,
                               random_state=0, n_jobs=1).fit(X, y)
    orig = OriginalMAPLE(random_state=0)
    orig.fit(X, y, X[:50], y[:50], fe=rf)

    header = (f"{'rows':>6} {'predict':>12} {'validate':>10} {'leaves':>10} {'ridge':>10} "
              f"{'sklearn RF':>12} {'original':>12}")
    print(header + "\n" + " " * 7 + "(us per row; ratios to glassworks' predict)")
    for n in (1, 100, 5000):
        Q = X[rng.integers(0, len(X), n)] + rng.normal(0, 0.01, (n, X.shape[1]))
        st = m._state_
        Xv = m._validate_X(Q, reset=False)
        leaves = m._query_leaves(Xv)
        Z = m._Zk_train

        t_all = _median_time(lambda: m.predict(Q), args.repeats)
        t_val = _median_time(lambda: m._validate_X(Q, reset=False), args.repeats)
        t_leaf = _median_time(lambda: m._query_leaves(Xv), args.repeats)
        def ridge():
            # with the thread count predict itself would use for this much work
            with _kernel_threads(m._solve_work(n, Z.shape[0], Z.shape[1])):
                local_ridge_kernel(leaves, st["leaf_ptr"], st["leaf_rows"], chunk_bounds(n),
                                   Z, m._Y_train, float(m.alpha))

        t_ridge = _median_time(ridge, args.repeats)
        t_rf = _median_time(lambda: rf.predict(Q), args.repeats)
        n_orig = min(n, 20)
        t_orig = _median_time(lambda: orig.predict(Q[:n_orig]), max(1, args.repeats // 2))

        def us(t, rows=n):
            return 1e6 * t / rows

        base = us(t_all)
        print(f"{n:>6} {base:>12.1f} {us(t_val):>7.1f} {us(t_val) / base:>2.0%} "
              f"{us(t_leaf):>7.1f} {us(t_leaf) / base:>2.0%} {us(t_ridge):>7.1f} "
              f"{us(t_ridge) / base:>2.0%} {us(t_rf):>8.1f} {us(t_rf) / base:>4.1f}x "
              f"{us(t_orig, n_orig):>9.0f} {us(t_orig, n_orig) / base:>5.0f}x")
    print("An audit row costs LIME 5000 calls per explainer, KernelSHAP about "
          "(2 d + 2048) x background: at the 5000-row batch cost above, per explained row, "
          "LIME alone is 5000 x that time.")


if __name__ == "__main__":
    main()
