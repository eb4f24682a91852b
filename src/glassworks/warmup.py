"""Compile every Numba kernel ahead of first use (``glassworks compile``).

The kernels are compiled with ``cache=True``: the first process that calls one compiles it and
writes the machine code to Numba's cache, and every later process loads it from there. This
module runs each estimator's fit, predict and explanations once on small made-up data, with the
argument types a user's data takes (float64 features, with and without NaN; binary, multi-class
and regression targets; the forest's batched small-data path and its per-tree path), so that the
cache holds every kernel before a user, a CI job or a Spark executor needs it.

The families are independent, so they run in separate processes (``jobs`` of them at a time);
each writes its kernels to the same cache folder (Numba writes each entry to a temporary file
and renames it, so concurrent writers are safe). The cache folder is ``NUMBA_CACHE_DIR`` when it
is set, otherwise a ``__pycache__`` folder next to the installed package's sources (or, when
that is not writable, Numba's per-user cache folder): see :func:`cache_location`.
"""

import os
import time

#: every family, in the order they are compiled (longest first, so parallel processes finish
#: together)
FAMILIES = ("tree", "forest", "categorical", "maple", "rules", "audit")


def cache_location():
    """Where Numba writes (and looks for) this install's compiled kernels.

    Returns
    -------
    str
        ``NUMBA_CACHE_DIR`` when it is set. Otherwise Numba keeps each module's kernels in a
        ``__pycache__`` folder next to its source when that is writable (the folder returned is
        the one of the package's root; the subpackages have their own), else in its per-user
        cache folder (``~/.cache/numba/...`` on Linux).
    """
    from numba.core import caching, config

    if config.CACHE_DIR:
        return os.path.abspath(config.CACHE_DIR)
    src = os.path.abspath(__file__)
    for locator in (caching.InTreeCacheLocator, caching.UserWideCacheLocator):
        loc = locator.from_function(cache_location, src)
        if loc is not None:
            return loc.get_cache_path()
    return os.path.join(os.path.dirname(src), "__pycache__")


def _data(n, d, seed, nan=False):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if nan:
        X[rng.random(size=n) < 0.1, 0] = np.nan
    score = X[:, 1] + 0.5 * np.nan_to_num(X[:, 0])
    return X, score


def _warm_tree():
    import numpy as np

    from glassworks import DecisionTreeClassifier, DecisionTreeRegressor

    for nan in (False, True):
        X, s = _data(300, 4, 0, nan)
        targets = (
            (DecisionTreeClassifier, (s > 0).astype(np.int64)),
            (DecisionTreeClassifier, np.digitize(s, [-0.5, 0.5])),
            (DecisionTreeRegressor, s),
        )
        for cls, y in targets:
            m = cls(max_depth=4, random_state=0).fit(X, y)
            m.predict(X)
            if hasattr(m, "predict_proba"):
                m.predict_proba(X)
            m.explain(X[:5])
            m.explain(X[:5], method="path")
            m.explain(X[:5], background=X[:10])


def _warm_forest():
    import numpy as np

    from glassworks import RandomForestClassifier, RandomForestRegressor
    from glassworks.forest import _classes

    # the batched path (small data) and the per-tree path (above its size limit)
    for n, d, trees in ((300, 4, 4), (_classes._BATCH_ROWS + 1, 2, 2)):
        X, s = _data(n, d, 1)
        for cls, y in ((RandomForestClassifier, (s > 0).astype(np.int64)),
                       (RandomForestClassifier, np.digitize(s, [-0.5, 0.5])),
                       (RandomForestRegressor, s)):
            m = cls(n_estimators=trees, max_depth=3, random_state=0).fit(X, y)
            m.predict(X[:50])
            m.explain(X[:5])
            m.explain(X[:5], method="path")
            m.explain(X[:5], background=X[:10])


def _warm_categorical():
    """Trees, forests (both paths) and MAPLE on a DataFrame with a category column: Numba
    compiles the categorical searches and walks as their own specialisations (a numeric fit
    never compiles them), so they are a family of their own."""
    import numpy as np
    import pandas as pd

    from glassworks import (
        DecisionTreeClassifier, DecisionTreeRegressor, MapleRegressor, RandomForestClassifier,
        RandomForestRegressor,
    )
    from glassworks.forest import _classes

    for n in (300, _classes._BATCH_ROWS + 1):
        X, s = _data(n, 3, 4, nan=True)
        df = pd.DataFrame(X, columns=["a", "b", "c"])
        rng = np.random.default_rng(4)
        df["city"] = pd.Categorical(rng.choice(list("pqrstu"), n))
        df.loc[rng.random(n) < 0.05, "city"] = np.nan
        s = s + df["city"].isin(["p", "q"]).to_numpy()
        targets = ((s > 0).astype(np.int64), np.digitize(s, [-0.5, 0.5]), s)
        for y, (tree, forest) in zip(targets, ((DecisionTreeClassifier, RandomForestClassifier),
                                                (DecisionTreeClassifier, RandomForestClassifier),
                                                (DecisionTreeRegressor, RandomForestRegressor))):
            models = [forest(n_estimators=2, max_depth=3, random_state=0).fit(df, y)]
            if n == 300:
                models.append(tree(max_depth=4, random_state=0).fit(df, y))
            for m in models:
                m.predict(df.head(50))
                m.explain(df.head(5))
                m.explain(df.head(5), method="path")
                m.explain(df.head(5), background=df.head(10))
    X, s = _data(200, 3, 5)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["city"] = pd.Categorical(np.random.default_rng(5).choice(list("pqrs"), 200))
    MapleRegressor(n_estimators=5, random_state=0).fit(df, s).predict(df.head(20))


def _warm_rules():
    import numpy as np

    from glassworks import RuleListClassifier

    X, s = _data(300, 4, 2)
    for y in ((s > 0).astype(np.int64), np.digitize(s, [-0.5, 0.5])):
        m = RuleListClassifier().fit(X, y)
        m.predict(X)
        m.explain(X[:5])


def _warm_maple():
    import numpy as np

    from glassworks import MapleClassifier, MapleRegressor

    X, s = _data(200, 4, 3)
    for cls, y in ((MapleRegressor, s), (MapleClassifier, (s > 0).astype(np.int64))):
        m = cls(n_estimators=5, random_state=0).fit(X, y)
        m.predict(X[:20])
        m.explain(X[:5])


def _warm_audit():
    from glassworks import cli

    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"glassworks-warmup-{os.getpid()}.html")
    try:
        cli.main(["audit", "--no-progress", "--n-explain", "2", "--out", out])
    finally:
        if os.path.exists(out):
            os.remove(out)


_WARM = {"tree": _warm_tree, "forest": _warm_forest, "categorical": _warm_categorical,
         "rules": _warm_rules,
         "maple": _warm_maple, "audit": _warm_audit}


def _run(family):
    import contextlib
    import io

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        _WARM[family]()
    return family, time.perf_counter() - t0


def compile_kernels(families=None, jobs=None, report=None):
    """Compile (or load from the cache) every kernel the given estimator families use.

    Parameters
    ----------
    families : sequence of str or None
        Some of :data:`FAMILIES` (``"tree"``, ``"forest"``, ``"maple"``, ``"rules"``,
        ``"audit"``); None for all.
    jobs : int or None
        Processes run at a time; None for one per core (at most one per family). With 1, the
        families run one after the other in this process.
    report : callable or None
        Called with ``(family, seconds)`` as each family finishes.

    Returns
    -------
    dict
        Seconds per family (its process's wall time for fit, predict and explain).
    """
    families = list(FAMILIES if families is None else families)
    unknown = [f for f in families if f not in _WARM]
    if unknown:
        raise ValueError(f"unknown families {unknown}; known: {', '.join(FAMILIES)}")
    if jobs is None:
        jobs = os.cpu_count() or 1
    jobs = max(1, min(int(jobs), len(families)))
    times = {}
    if jobs == 1:
        for f in families:
            name, sec = _run(f)
            times[name] = sec
            if report is not None:
                report(name, sec)
        return times
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn: a fresh interpreter per worker (no forked Numba or thread state)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = [pool.submit(_run, f) for f in families]
        for fut in as_completed(futures):
            name, sec = fut.result()
            times[name] = sec
            if report is not None:
                report(name, sec)
    return times
