"""``audit``: run post-hoc explainers on a model and score them against the exact truth."""

import time

import numpy as np

from . import metrics as M
from .explainers import make_explainer
from .ground_truth import MAX_ENUMERATION_FEATURES, compute_truth, resolve

#: Shapley-type estimands: their attributions add up to f(x) minus a reference.
_ADDITIVE = ("interventional_shap", "path_shap", "baseline_shap", "path_contribution")

#: Widths of the neighbourhoods (in background standard deviations) for neighbourhood fidelity.
SIGMAS = (0.1, 0.5, 1.0)

MAX_DEFAULT_BACKGROUND = 100


class CountingFn:
    """Wraps a predict function to count its calls and the rows it evaluated."""

    def __init__(self, fn):
        self.fn = fn
        self.calls = 0
        self.rows = 0

    def __call__(self, Z):
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim == 1:
            Z = Z[None, :]
        self.calls += 1
        self.rows += Z.shape[0]
        return np.asarray(self.fn(Z), dtype=np.float64).reshape(-1)


class AuditContext:
    """What explainers may read: the data, the background, the trees (if any)."""

    def __init__(self, X, background, baseline, feature_names, target, trees, tree_weights,
                 input_dtype=np.float64):
        self.X = X
        self.background = background
        self.baseline = baseline
        self.feature_names = feature_names
        self.target = target
        self.trees = trees
        self.tree_weights = tree_weights
        self.input_dtype = input_dtype
        self.column = 0
        self.cache = {}

    def __getstate__(self):
        state = self.__dict__.copy()
        state["cache"] = {}  # fitted shap/MAPLE objects stay in the process that built them
        return state


def _check_X(X, model):
    from glassworks._validation import reject_non_numeric

    names = None
    if hasattr(X, "columns"):
        names = [str(c) for c in X.columns]
    reject_non_numeric(X)
    A = np.array(X, dtype=np.float64, order="C")  # a copy: the caller's data is never written
    if A.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {A.shape}.")
    if A.shape[0] == 0 or A.shape[1] == 0:
        raise ValueError(f"X is empty (shape {A.shape}): there is nothing to audit.")
    if not np.all(np.isfinite(A)):
        raise ValueError("X contains NaN or infinite values: the audit needs complete rows.")
    n_in = getattr(model, "n_features_in_", None)
    if n_in is not None and int(n_in) != A.shape[1]:
        raise ValueError(
            f"X has {A.shape[1]} features but the model was fitted on {int(n_in)}."
        )
    if names is None:
        fn = getattr(model, "feature_names_in_", None)
        names = [str(f) for f in fn] if fn is not None else [f"x{j}" for j in range(A.shape[1])]
    return A, names


#: Families whose truth comes with trees (tree explainers apply) or with local slopes.
TREE_FAMILIES = (
    "scikit-learn decision trees", "scikit-learn random forests and extra trees",
    "glassworks decision trees and random forests", "glassworks rule lists",
)
SLOPE_FAMILIES = ("scikit-learn linear and logistic models", "glassworks MAPLE")


def default_explainers(family, d):
    """The explainers an audit runs when none are named, for a model family."""
    names = ["lime", "lime_continuous", "kernel_shap", "permutation_shap"]
    if family in TREE_FAMILIES:
        names += ["tree_shap", "tree_shap_path"]
    elif family in SLOPE_FAMILIES:
        names += ["gradient", "integrated_gradients"]
    names += ["permutation_importance"]
    return names


def _run_chunk(ctx, explainers, rows, seeds, rerun_rows, n_reruns):
    """Run every local explainer on the given rows; returns one record per (explainer, row)."""
    out = []
    target = ctx.target
    # One untimed warm-up per explainer and process: first-call costs (shap's Numba
    # compilation, imports) are one-off setup, reported apart from the per-explanation time.
    for e_idx, ex in enumerate(explainers):
        key = ("warm", ex.name)
        if rows and key not in ctx.cache:
            i = rows[0]
            ctx.column = int(target.output_index[i])
            t0 = time.perf_counter()
            try:
                ex.explain(ctx, ctx.X[i], CountingFn(target.fn(ctx.column)), 0)
            except Exception:
                pass  # the timed run below records the failure
            ctx.cache[key] = True
            out.append({"e": e_idx, "i": -1, "warmup": time.perf_counter() - t0})
    for i in rows:
        x = ctx.X[i]
        c = int(target.output_index[i])
        ctx.column = c
        fn = target.fn(c)
        for e_idx, ex in enumerate(explainers):
            rec = {"e": e_idx, "i": int(i)}
            counter = CountingFn(fn)
            t0 = time.perf_counter()
            try:
                res = ex.explain(ctx, x, counter, seeds[e_idx, i, 0])
                rec["seconds"] = time.perf_counter() - t0
                rec["values"] = np.asarray(res.values, dtype=np.float64).reshape(-1)
                if rec["values"].shape[0] != x.shape[0]:
                    raise ValueError(
                        f"returned {rec['values'].shape[0]} attributions for {x.shape[0]} "
                        "features"
                    )
                rec["slope"], rec["intercept"] = res.slope, res.intercept
                rec["calls"], rec["rows"] = counter.calls, counter.rows
                if ex.stochastic and i in rerun_rows:
                    runs = [rec["values"]]
                    for r in range(1, n_reruns + 1):
                        again = ex.explain(ctx, x, CountingFn(fn), seeds[e_idx, i, r])
                        runs.append(np.asarray(again.values, dtype=np.float64).reshape(-1))
                    rec["runs"] = np.array(runs)
            except Exception as exc:  # an explainer that fails is reported, not fatal
                rec["error"] = f"{type(exc).__name__}: {exc}"
            out.append(rec)
    return out


def audit(
    model,
    X,
    background=None,
    explainers=None,
    metrics=None,
    random_state=None,
    n_jobs=1,
    *,
    relevant_features=None,
    k=None,
    n_reruns=2,
    progress=False,
    engine="local",
    spark=None,
):
    """Score post-hoc explainers against the exact ground truth of a fitted model.

    Each explainer is scored against the truth of the quantity it estimates (its estimand:
    interventional, path-dependent or baseline Shapley values, local slopes, Saabas path
    contributions, global importance), computed exactly from the model: closed forms for
    linear and additive models, tree kernels for trees, forests and rule lists, and exact
    enumeration of coalitions for any other model with at most 16 features.

    Parameters
    ----------
    model : fitted estimator
        A glassworks estimator, a scikit-learn linear/logistic model, decision tree or random
        forest, an interpret ExplainableBoostingMachine, or any model with ``predict`` (and
        ``predict_proba`` for a classifier) and at most 16 features.
    X : array-like of shape (n_samples, n_features)
        The rows to explain (numeric, no missing values). Never modified.
    background : array-like of shape (n_background, n_features), default=None
        The reference distribution of interventional Shapley values and of the explainers.
        None: X itself, or 100 rows of it drawn with ``random_state`` when X is larger (the
        report says so). The whole background is always used: never silently sub-sampled.
    explainers : list, default=None
        Names (``"lime"``, ``"lime_continuous"``, ``"kernel_shap"``, ``"permutation_shap"``,
        ``"exact_shap"``, ``"tree_shap"``, ``"tree_shap_path"``, ``"saabas"``,
        ``"gradient"``, ``"gradient_x_input"``, ``"integrated_gradients"``,
        ``"permutation_importance"``, ``"partial_dependence"``, ``"maple"``,
        ``"interpret_lime"``, ``"interpret_shap_kernel"``), explainer objects, or tuples
        ``(name, f, estimand)`` with ``f(predict_fn, X, background) -> (n, d)``. None: a
        default set chosen for the model.
    metrics : list of str, default=None
        Subset of :data:`glassworks.comparator.metrics.METRICS`; None means all.
    random_state : int or None
        Seeds every explainer run. Per-instance seeds are drawn up front, so results are
        the same whatever ``n_jobs``.
    n_jobs : int, default=1
        Processes over instances (joblib).
    relevant_features : list of int or str, default=None
        Planted relevant features (from a scenario): adds ``recall_at_k``, k = their number.
    k : int, default=None
        k of the top-k agreement metrics; None means min(5, n_features).
    n_reruns : int, default=2
        Extra runs with other seeds, on up to 5 rows, to measure ``seed_spread``.
    progress : bool, default=False
        Show a progress bar (tqdm, on stderr).
    engine : {"local", "spark"}, default="local"
        Where the explainers' per-instance work runs: in this process (or ``n_jobs`` joblib
        processes), or spread over the executors of a Spark session (needs pyspark; see
        :func:`glassworks.spark.map_instances`). The numbers are the same for the same
        ``random_state`` whatever the engine: per-instance seeds are drawn up front.
    spark : pyspark.sql.SparkSession, default=None
        The session for ``engine="spark"``; None means the active one.

    Returns
    -------
    AuditReport

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.linear_model import LinearRegression
    >>> from glassworks.comparator import audit
    >>> X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    >>> report = audit(LinearRegression().fit(X, y), X[:5], explainers=["gradient"],
    ...                random_state=0)
    >>> float(report.score("gradient", "error")) < 1e-4
    True
    """
    from .report import AuditReport

    t_start = time.perf_counter()
    if engine not in ("local", "spark"):
        raise ValueError(f"engine must be 'local' or 'spark', got {engine!r}.")
    X, feature_names = _check_X(X, model)
    n, d = X.shape
    rng = np.random.default_rng(random_state)
    notes = []
    if background is None:
        if n > MAX_DEFAULT_BACKGROUND:
            rows = np.sort(rng.choice(n, MAX_DEFAULT_BACKGROUND, replace=False))
            background = X[rows]
            notes.append(
                f"background: {MAX_DEFAULT_BACKGROUND} rows of X drawn at random (pass "
                "background= to choose it)"
            )
        else:
            background = X.copy()
            notes.append(f"background: all {n} rows of X")
    else:
        background, _ = _check_X(background, model)
        if background.shape[1] != d:
            raise ValueError(
                f"background has {background.shape[1]} features, X has {d}."
            )
        notes.append(f"background: {len(background)} rows given")
    baseline = background.mean(axis=0)

    wanted = list(M.METRICS) if metrics is None else list(metrics)
    unknown = [m for m in wanted if m not in M.METRICS]
    if unknown:
        raise ValueError(f"Unknown metrics {unknown}; known: {', '.join(M.METRICS)}.")
    k = min(5, d) if k is None else int(k)
    if not 1 <= k <= d:
        raise ValueError(f"k must be between 1 and {d}, got {k}.")
    relevant = None
    if relevant_features is not None:
        relevant = np.array(
            [feature_names.index(f) if isinstance(f, str) else int(f) for f in relevant_features],
            dtype=np.int64,
        )

    # ---- explainers ----
    family = resolve(model, X)[0]  # cheap; raises early for an unsupported model
    specs = default_explainers(family, d) if explainers is None else list(explainers)
    candidates, seen = [], set()
    for spec in specs:
        ex = make_explainer(spec)
        if ex.name in seen:
            raise ValueError(f"Explainer {ex.name!r} is listed twice.")
        seen.add(ex.name)
        candidates.append(ex)

    # ---- ground truth (timed separately) ----
    t0 = time.perf_counter()
    truth, target = compute_truth(model, X, background, baseline,
                                  estimands={e.estimand for e in candidates})
    global_truth = None
    for est in ("interventional_shap", "path_shap"):
        if est in truth.values:
            global_truth = np.abs(truth.values[est]).mean(axis=0)
            break
    truth_seconds = time.perf_counter() - t0
    notes.extend(truth.notes)
    if truth.dummy is not None:
        unused = [feature_names[j] for j in np.flatnonzero(truth.dummy)]
        notes.append(
            f"features the model never uses ({truth.dummy_how}): "
            + (", ".join(unused) if unused else "none")
        )

    exps, skipped = [], {}
    for ex in candidates:
        if ex.requires == "trees" and truth.trees is None:
            skipped[ex.name] = "needs a tree-based model"
            continue
        if ex.requires == "enumerable" and d > MAX_ENUMERATION_FEATURES:
            skipped[ex.name] = f"enumerates 2**d coalitions; d = {d} > {MAX_ENUMERATION_FEATURES}"
            continue
        exps.append(ex)
    local = [e for e in exps if e.scope == "local"]
    glob = [e for e in exps if e.scope == "global"]

    ctx = AuditContext(X, background, baseline, feature_names, target, truth.trees,
                       truth.tree_weights, truth.input_dtype)
    seeds = rng.integers(0, 2**31 - 1, size=(len(exps), n, 1 + n_reruns))
    rerun_rows = set(range(min(5, n)))

    if engine == "spark":
        records = _run_all_spark(ctx, local, seeds, rerun_rows, n_reruns, spark)
    else:
        records = _run_all(ctx, local, seeds, rerun_rows, n_reruns, n_jobs, progress)

    attributions, extras, failures = {}, {}, {}
    seconds_by = {}
    warmup = {}
    for e_idx, ex in enumerate(local):
        warmup[ex.name] = float(sum(r["warmup"] for r in records
                                    if r["e"] == e_idx and "warmup" in r))
        recs = sorted((r for r in records if r["e"] == e_idx and "warmup" not in r),
                      key=lambda r: r["i"])
        errs = [r["error"] for r in recs if "error" in r]
        if errs:
            failures[ex.name] = errs[0]
            continue
        attributions[ex.name] = np.array([r["values"] for r in recs])
        extras[ex.name] = recs
        seconds_by[ex.name] = float(sum(r["seconds"] for r in recs))

    global_results = {}
    for g_idx, ex in enumerate(glob):
        e_idx = len(local) + g_idx
        column = int(np.bincount(target.output_index).argmax())
        ctx.column = column
        counter = CountingFn(target.fn(column))
        t1 = time.perf_counter()
        try:
            v = np.asarray(ex.explain_global(ctx, counter, seeds[e_idx, 0, 0]), dtype=np.float64)
            sec = time.perf_counter() - t1
            runs = None
            if ex.stochastic and n_reruns:
                runs = [v] + [
                    np.asarray(ex.explain_global(ctx, CountingFn(target.fn(column)),
                                                 seeds[e_idx, 0, r]), dtype=np.float64)
                    for r in range(1, n_reruns + 1)
                ]
            global_results[ex.name] = (v, sec, counter, runs)
            seconds_by[ex.name] = sec
        except Exception as exc:
            failures[ex.name] = f"{type(exc).__name__}: {exc}"

    # ---- metrics ----
    rows = []
    for ex in local:
        if ex.name not in attributions:
            continue
        rows.extend(_score_local(ex, attributions[ex.name], extras[ex.name], truth, target, ctx,
                                 wanted, k, relevant, seeds[local.index(ex)]))
    for ex in glob:
        if ex.name not in global_results:
            continue
        rows.extend(_score_global(ex, global_results[ex.name], global_truth, truth, wanted, k,
                                  relevant))
    for ex in exps:
        if ex.estimand not in truth.values and ex.name in attributions and not (
            ex.scope == "global" and global_truth is not None
        ):
            notes.append(
                f"{ex.name}: no ground truth for {ex.estimand} on a {truth.family}; scored "
                "on the metrics that need none"
            )
    total_seconds = time.perf_counter() - t_start
    timings = {
        "ground_truth": truth_seconds,
        "explainers": seconds_by,
        "warmup": warmup,
        "total": total_seconds,
        "ground_truth_share": truth_seconds / total_seconds if total_seconds > 0 else np.nan,
    }
    return AuditReport.from_rows(
        rows,
        attributions={**attributions, **{k_: v[0] for k_, v in global_results.items()}},
        truth=truth,
        global_truth=global_truth,
        target=target,
        feature_names=feature_names,
        explainers={e.name: (e.estimand, e.note, e.scope) for e in exps},
        failures=failures,
        skipped=skipped,
        timings=timings,
        notes=notes,
        random_state=random_state,
        relevant=relevant,
        X=X,
    )


def _run_all(ctx, local, seeds, rerun_rows, n_reruns, n_jobs, progress):
    n = ctx.X.shape[0]
    if not local:
        return []
    bar = None
    if progress:
        try:
            import sys

            from tqdm.auto import tqdm

            bar = tqdm(total=n, desc="auditing", unit="row", file=sys.stderr, leave=False)
        except ImportError:  # pragma: no cover - tqdm is in the audit extra
            bar = None
    records = []
    if n_jobs is None or n_jobs == 1:
        for i in range(n):
            records.extend(_run_chunk(ctx, local, [i], seeds, rerun_rows, n_reruns))
            if bar is not None:
                bar.update(1)
    else:
        from joblib import Parallel, delayed, effective_n_jobs

        jobs = effective_n_jobs(n_jobs)
        n_chunks = min(n, 4 * jobs)
        chunks = [c.tolist() for c in np.array_split(np.arange(n), n_chunks) if len(c)]
        par = Parallel(n_jobs=n_jobs, return_as="generator")
        for chunk, res in zip(chunks, par(
            delayed(_run_chunk)(ctx, local, chunk, seeds, rerun_rows, n_reruns)
            for chunk in chunks
        )):
            records.extend(res)
            if bar is not None:
                bar.update(len(chunk))
    if bar is not None:
        bar.close()
    return records


class _ChunkRunner:
    """``_run_chunk`` bound to one audit, as a picklable callable of the rows alone."""

    def __init__(self, ctx, explainers, seeds, rerun_rows, n_reruns):
        self.args = (ctx, explainers, seeds, rerun_rows, n_reruns)

    def __call__(self, rows):
        ctx, explainers, seeds, rerun_rows, n_reruns = self.args
        return _run_chunk(ctx, explainers, rows, seeds, rerun_rows, n_reruns)


def _run_all_spark(ctx, local, seeds, rerun_rows, n_reruns, spark):
    """The per-instance work as Spark tasks: one task per chunk of rows, results in order."""
    if not local:
        return []
    from glassworks.spark import map_instances, _get_session, _spark_context, _conf_parallelism

    session = _get_session(spark)
    sc = _spark_context(session)
    parallelism = sc.defaultParallelism if sc is not None else _conf_parallelism(session)
    n = ctx.X.shape[0]
    n_chunks = min(n, 4 * max(1, int(parallelism)))
    chunks = [c.tolist() for c in np.array_split(np.arange(n), n_chunks) if len(c)]
    results = map_instances(
        _ChunkRunner(ctx, local, seeds, rerun_rows, n_reruns), chunks, spark=session,
        n_partitions=len(chunks),
    )
    return [rec for res in results for rec in res]


def _row(ex, i, metric, value):
    return {"explainer": ex.name, "estimand": ex.estimand, "instance": i, "metric": metric,
            "value": float(value)}


def _score_local(ex, A, recs, truth, target, ctx, wanted, k, relevant, seeds):
    rows = []
    T = truth.values.get(ex.estimand)
    expected = truth.expected.get(ex.estimand)
    dummy = truth.dummy
    need_fx = "completeness_gap" in wanted and ex.estimand in _ADDITIVE and T is not None
    fx = None
    if need_fx:
        fx = np.empty(len(A))
        for c, idx in target.groups():
            fx[idx] = target.fn(c)(ctx.X[idx])
    scale = ctx.background.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    for r, rec in zip(range(len(A)), recs):
        i = rec["i"]
        a = A[r]
        if T is not None:
            t = T[i]
            if "error" in wanted:
                rows.append(_row(ex, i, "error", M.error(a, t)))
            if "rank_corr" in wanted:
                rows.append(_row(ex, i, "rank_corr", M.rank_corr(a, t)))
            for name, fn in (("topk_agreement", M.topk_agreement),
                             ("sign_agreement", M.sign_agreement),
                             ("rank_agreement", M.rank_agreement),
                             ("pairwise_rank_agreement", M.pairwise_rank_agreement)):
                if name in wanted:
                    rows.append(_row(ex, i, name, fn(a, t, k)))
            if need_fx and expected is not None:
                rows.append(_row(ex, i, "completeness_gap",
                                 M.completeness_gap(a, fx[i], expected[i])))
        if "dummy_mass" in wanted and dummy is not None and np.any(dummy):
            rows.append(_row(ex, i, "dummy_mass", M.dummy_mass(a, dummy)))
        if "recall_at_k" in wanted and relevant is not None:
            rows.append(_row(ex, i, "recall_at_k", M.recall_at_k(a, relevant)))
        if "neighbourhood_fidelity" in wanted and rec.get("slope") is not None:
            c = int(target.output_index[i])
            rng = np.random.default_rng([int(seeds[i, 0]), 1])
            fids = M.neighbourhood_fidelity(
                target.fn(c), ctx.X[i], np.asarray(rec["slope"]), float(rec["intercept"]),
                scale, SIGMAS, 100, rng,
            )
            for s, v in zip(SIGMAS, fids):
                rows.append(_row(ex, i, f"neighbourhood_fidelity@{s:g}", v))
        if "seed_spread" in wanted and "runs" in rec:
            rows.append(_row(ex, i, "seed_spread", M.seed_spread(rec["runs"])))
        elif "seed_spread" in wanted and not ex.stochastic and r < 5:
            rows.append(_row(ex, i, "seed_spread", 0.0))
        if "seconds" in wanted:
            rows.append(_row(ex, i, "seconds", rec["seconds"]))
        if "model_calls" in wanted:
            rows.append(_row(ex, i, "model_calls", rec["calls"]))
    return rows


def _score_global(ex, result, global_truth, truth, wanted, k, relevant):
    v, sec, counter, runs = result
    rows = []
    i = -1
    if global_truth is not None:
        a = np.abs(v) / max(np.abs(v).sum(), 1e-300)
        t = global_truth / max(global_truth.sum(), 1e-300)
        if "error" in wanted:
            rows.append(_row(ex, i, "error", M.error(a, t)))
        if "rank_corr" in wanted:
            rows.append(_row(ex, i, "rank_corr", M.rank_corr(v, global_truth)))
        if "topk_agreement" in wanted:
            rows.append(_row(ex, i, "topk_agreement", M.topk_agreement(v, global_truth, k)))
        if "pairwise_rank_agreement" in wanted:
            rows.append(_row(ex, i, "pairwise_rank_agreement",
                             M.pairwise_rank_agreement(v, global_truth, k)))
    if "dummy_mass" in wanted and truth.dummy is not None and np.any(truth.dummy):
        rows.append(_row(ex, i, "dummy_mass", M.dummy_mass(np.abs(v), truth.dummy)))
    if "recall_at_k" in wanted and relevant is not None:
        rows.append(_row(ex, i, "recall_at_k", M.recall_at_k(np.abs(v), relevant)))
    if "seed_spread" in wanted:
        rows.append(_row(ex, i, "seed_spread", 0.0 if runs is None else M.seed_spread(runs)))
    if "seconds" in wanted:
        rows.append(_row(ex, i, "seconds", sec))
    if "model_calls" in wanted:
        rows.append(_row(ex, i, "model_calls", counter.calls))
    return rows
