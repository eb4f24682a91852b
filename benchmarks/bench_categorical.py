"""Benchmark: native categorical splits on high-cardinality columns, side by side.

A synthetic table (``--n`` training rows, as many test rows) with three categorical columns of
100, 300 and 1000 levels (Zipf-like frequencies: a few common levels, a long tail of rare
ones) and four numeric columns. The target adds an effect per level of each categorical
column (drawn once, normal) to a smooth function of the numeric ones, plus noise; the
classification target is its sign.

One tree of each learner, grown to the same depth (``--depth``) with at least 20 rows a leaf
(HGB's and LightGBM's default; set for glassworks), is fitted and scored on the test rows (R^2 for regression, accuracy for classification):

- ``glassworks``: ``DecisionTree*`` with native categorical splits (``categorical_features=
  "from_dtype"`` on the pandas ``category`` columns);
- ``glassworks one-hot``: the same trees on a one-hot encoding of the categorical columns
  (the encoding is done once, outside the timing: the fit alone is timed);
- ``HistGradientBoosting``: scikit-learn's, with ``max_iter=1``, ``learning_rate=1``,
  ``categorical_features="from_dtype"`` and no early stopping (one tree). It takes at most
  ``max_bins`` (255) categories per column: it refuses the 300- and 1000-level columns, and
  is then run without them (said in the output);
- ``LightGBM``: ``n_estimators=1``, ``learning_rate=1``, pandas ``category`` columns, the
  same depth and ``num_leaves = 2 ** depth`` (its default categorical regularisation left as
  is: ``min_data_per_group=100``, ``cat_smooth=10``).

glassworks keeps a bin of its own for each of the 254 most frequent levels of a column and
pools the rarer ones (see :mod:`glassworks.tree.binning`); LightGBM does much the same with
its ``max_cat_threshold`` / ``min_data_per_group``.

Each fit is repeated ``--repeats`` times; the median is reported with its ratio to glassworks'
native fit measured in the same run. Kernels are compiled before timing (one untimed fit).

Usage::

    python benchmarks/bench_categorical.py [--n 20000] [--depth 8] [--repeats 3]
"""

import argparse
import os
import re
import sys
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from bench_audit import timed  # noqa: E402

LEVELS = (100, 300, 1000)


def make_table(n, seed=0):
    """(X_train, X_test, y_reg_train, y_reg_test): 2 n rows split in half."""
    rng = np.random.default_rng(seed)
    m = 2 * n
    cols, effect = {}, np.zeros(m)
    for k in LEVELS:
        p = 1.0 / np.arange(1, k + 1) ** 1.1
        codes = rng.choice(k, size=m, p=p / p.sum())
        names = np.array([f"c{k}_{i}" for i in range(k)])
        cols[f"cat{k}"] = pd.Categorical(names[codes], categories=names)
        effect += rng.normal(size=k)[codes]
    num = rng.normal(size=(m, 4))
    for j in range(4):
        cols[f"num{j}"] = num[:, j]
    y = effect + np.sin(2 * num[:, 0]) + num[:, 1] * (num[:, 2] > 0) + 0.5 * rng.normal(size=m)
    X = pd.DataFrame(cols)
    return X.iloc[:n].reset_index(drop=True), X.iloc[n:].reset_index(drop=True), y[:n], y[n:]


def one_hot(train, test):
    """Dense one-hot of the categorical columns (levels from the training rows), numeric kept."""
    from sklearn.preprocessing import OneHotEncoder

    cats = [c for c in train.columns if isinstance(train[c].dtype, pd.CategoricalDtype)]
    nums = [c for c in train.columns if c not in cats]
    enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64)
    enc.fit(train[cats].astype(str))

    def tr(X):
        return np.hstack([enc.transform(X[cats].astype(str)), X[nums].to_numpy()])

    return tr(train), tr(test)


def learners(task, depth):
    import lightgbm
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    import glassworks as gw

    clf = task == "classification"
    tree = gw.DecisionTreeClassifier if clf else gw.DecisionTreeRegressor
    hgb = HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor
    lgb = lightgbm.LGBMClassifier if clf else lightgbm.LGBMRegressor
    return {
        # min_samples_leaf=20: HGB's and LightGBM's default (min_child_samples)
        "glassworks": (lambda: tree(max_depth=depth, min_samples_leaf=20, random_state=0),
                       "native"),
        "glassworks one-hot": (lambda: tree(max_depth=depth, min_samples_leaf=20,
                                            random_state=0, categorical_features=None),
                               "onehot"),
        "HistGradientBoosting": (lambda: hgb(max_iter=1, learning_rate=1.0, max_depth=depth,
                                             max_leaf_nodes=None, early_stopping=False,
                                             categorical_features="from_dtype",
                                             random_state=0), "native"),
        "LightGBM": (lambda: lgb(n_estimators=1, learning_rate=1.0, max_depth=depth,
                                 num_leaves=2 ** depth, verbose=-1, random_state=0,
                                 n_jobs=os.cpu_count()), "native"),
    }


def score(task, model, X, y):
    from sklearn.metrics import accuracy_score, r2_score

    p = model.predict(X)
    return accuracy_score(y, p) if task == "classification" else r2_score(y, p)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20_000)
    p.add_argument("--depth", type=int, default=8)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)

    Xtr, Xte, ytr, yte = make_table(args.n)
    Htr, Hte = one_hot(Xtr, Xte)
    print(f"table: {args.n} training rows, {args.n} test rows; categorical columns of "
          f"{', '.join(map(str, LEVELS))} levels ({', '.join(str(Xtr[f'cat{k}'].nunique()) for k in LEVELS)} "
          f"seen in training), 4 numeric; one-hot: {Htr.shape[1]} columns; trees of depth "
          f"{args.depth}; median of {args.repeats} fits\n")
    for task in ("regression", "classification"):
        y_tr = ytr if task == "regression" else (ytr > 0).astype(int)
        y_te = yte if task == "regression" else (yte > 0).astype(int)
        rows = []
        for name, (make, kind) in learners(task, args.depth).items():
            Xa, Xb = (Htr, Hte) if kind == "onehot" else (Xtr, Xte)
            dropped = []
            while True:
                try:
                    make().fit(Xa, y_tr)  # untimed: compiles kernels, warms caches
                    break
                except ValueError as e:
                    # HGB takes at most max_bins categories per column: run it without
                    # the columns it refuses, and say so
                    col = re.search(r"Categorical feature '(\w+)'.*cardinality <= (\d+)",
                                    str(e))
                    if name != "HistGradientBoosting" or col is None:
                        raise
                    dropped.append(col.group(1))
                    Xa, Xb = Xa.drop(columns=col.group(1)), Xb.drop(columns=col.group(1))
            note = (f"refuses > {col.group(2)} categories: fitted without "
                    f"{', '.join(dropped)}") if dropped else ""
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = timed(lambda: make().fit(Xa, y_tr), args.repeats)
                m = make().fit(Xa, y_tr)
                s = score(task, m, Xb, y_te)
            rows.append((name, t, s, note))
            if dropped:
                # glassworks on the columns HGB kept: the like-for-like comparison
                g = learners(task, args.depth)["glassworks"][0]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    g().fit(Xa, y_tr)
                    tg = timed(lambda: g().fit(Xa, y_tr), args.repeats)
                    sg = score(task, g().fit(Xa, y_tr), Xb, y_te)
                rows.append(("glassworks (HGB's cols)", tg, sg,
                             f"without {', '.join(dropped)}, as HGB"))
        base = rows[0][1]
        metric = "R^2" if task == "regression" else "accuracy"
        print(f"{task}: test {metric}, fit time (median) and its ratio to glassworks' native fit")
        print(f"  {'learner':<25}{metric:>9}{'fit s':>10}{'ratio':>8}")
        for name, t, s, note in rows:
            print(f"  {name:<25}{s:>9.4f}{t:>10.4f}{t / base:>7.2f}x  {note}")
        print()


if __name__ == "__main__":
    main()
