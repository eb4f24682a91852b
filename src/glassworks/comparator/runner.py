"""``audit``: run post-hoc explainers on a model and score them against the exact truth.

The audit is a sequence of steps, each a function of the :class:`AuditState` that fills in
its own part (a new step, e.g. a use-case check after scoring, is one more function):

1. :func:`resolve_audit`: the rows, the background, the explainers, the metrics, what each
   explainer is read as;
2. :func:`compute_audit_truth`: the exact value of every estimand needed (timed), and which
   explainers apply to the model;
3. :func:`run_explainers`: every explainer on every row (locally, in joblib processes or on
   Spark), with reruns for the stochastic ones;
4. :func:`score_explainers`: estimation error and estimand gap, the other metrics, and the
   estimand x estimand distance table (:mod:`glassworks.comparator.scoring`);
5. :func:`make_report`: the :class:`~glassworks.comparator.report.AuditReport`.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from . import estimands as E
from . import metrics as M
from .explainers import make_explainer, quiet_peers
from .ground_truth import MAX_ENUMERATION_FEATURES, compute_truth, resolve
from .scoring import SIGMAS, Scales, estimand_distances, score_global, score_local  # noqa: F401

MAX_DEFAULT_BACKGROUND = 100

#: What an explainer is read as unless ``read_as`` says otherwise.
DEFAULT_READ_AS = "interventional_shap"


#: Families whose truth comes with trees (tree explainers apply) or with local slopes.
TREE_FAMILIES = (
    "scikit-learn decision trees", "scikit-learn random forests and extra trees",
    "glassworks decision trees and random forests", "glassworks rule lists",
)
SLOPE_FAMILIES = ("scikit-learn linear and logistic models", "glassworks MAPLE")


def default_explainers(family, d):
    """The explainers an audit runs when none are named, for a model family."""
    names = ["lime", "lime_continuous", "kernel_shap", "permutation_shap"]
    if family == "glassworks rule lists":
        # shap's path-dependent explainer refuses the equivalent tree's empty branches
        # (nodes no training row reaches): "background does not cover all the leaves"
        names += ["tree_shap"]
    elif family in TREE_FAMILIES:
        names += ["tree_shap", "tree_shap_path"]
    elif family in SLOPE_FAMILIES:
        names += ["gradient", "integrated_gradients"]
    names += ["permutation_importance"]
    return names


# --------------------------------------------------------------------------------------------
# the audit's state, filled in step by step
# --------------------------------------------------------------------------------------------
@dataclass
class AuditState:
    """Everything an audit knows, step by step (each step fills in its own fields)."""

    model: object
    # resolve_audit
    X: np.ndarray = None
    feature_names: list = None
    background: np.ndarray = None
    baseline: np.ndarray = None
    family: str = None
    candidates: list = None
    metrics: list = None
    k: int = None
    relevant: np.ndarray = None
    read_as: dict = None
    estimands: object = None
    n_reruns: int = 2
    random_state: object = None
    rng: object = None
    notes: list = field(default_factory=list)
    t_start: float = 0.0
    # compute_audit_truth
    truth: object = None
    target: object = None
    truth_seconds: float = 0.0
    explainers: list = None
    skipped: dict = field(default_factory=dict)
    seeds: np.ndarray = None
    ctx: object = None
    # run_explainers
    attributions: dict = field(default_factory=dict)
    records: dict = field(default_factory=dict)
    global_runs: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    warmup: dict = field(default_factory=dict)
    # score_explainers
    rows: list = field(default_factory=list)
    distances: object = None

    @property
    def local(self):
        return [e for e in self.explainers if e.scope == "local"]

    @property
    def glob(self):
        return [e for e in self.explainers if e.scope == "global"]


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
    read_as=DEFAULT_READ_AS,
    estimands=None,
    progress=False,
    engine="local",
    spark=None,
    use_cases=None,
    protected=None,
    data=None,
    scenario=None,
):
    """Score post-hoc explainers against the exact truth of what each one computes.

    Each explainer is scored twice. Its **estimation error** compares it with the exact
    value of the quantity it estimates (its *estimand*: interventional, path-dependent or
    baseline Shapley values, LIME's large-sample limits, integrated gradients, the gradient,
    partial dependence, permutation importance, ...), computed exactly from the model: closed
    forms for linear and additive models, tree kernels and crossing walks for trees, forests
    and rule lists, model calls for the rest (see :mod:`glassworks.comparator.estimands`).
    Its **estimand gap** compares that quantity with what users read the explainer as
    (``read_as``, interventional Shapley values by default): how far the question it answers
    is from the one it is taken to answer.

    Parameters
    ----------
    model : fitted estimator
        A glassworks estimator, a scikit-learn linear/logistic model, decision tree or random
        forest, an interpret ExplainableBoostingMachine, or any model with ``predict`` (and
        ``predict_proba`` for a classifier); Shapley values of another model are enumerated
        when it has at most 16 features.
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
        Subset of :data:`glassworks.comparator.metrics.METRICS` (``"error"`` is accepted for
        ``"estimation_error"``); None means all.
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
        Extra runs with other seeds: of a local explainer on up to 5 rows (``seed_spread``),
        of a global one on the whole data (its confidence intervals bootstrap over the runs).
    read_as : str or dict, default="interventional_shap"
        The estimand users read the explainers' values as, for ``estimand_gap``: one name
        for all, or ``{explainer name: estimand}`` (the others: interventional_shap). A local
        estimand (a slope is read as ``slope * (x - background mean)``); a global explainer
        is compared with its global view (mean ``|values|`` over the rows, as shares).
    estimands : None, "all" or list of str, default=None
        Estimands to compute besides the explainers' own and ``read_as``: they join the
        estimand x estimand distance table (``report.estimand_distances``). "all": every
        estimand the model's family can compute.
    progress : bool, default=False
        Show a progress bar (tqdm, on stderr).
    engine : {"local", "spark"}, default="local"
        Where the explainers' per-instance work runs: in this process (or ``n_jobs`` joblib
        processes), or spread over the executors of a Spark session (needs pyspark; see
        :func:`glassworks.spark.map_instances`). The numbers are the same for the same
        ``random_state`` whatever the engine: per-instance seeds are drawn up front.
    spark : pyspark.sql.SparkSession, default=None
        The session for ``engine="spark"``; None means the active one.
    use_cases : list of str or "all", default=None
        Debugging questions to check each explainer on (``report.use_cases``; see
        :mod:`glassworks.comparator.use_cases`).
    protected : str or list of str, default=None
        Protected columns for the ``protected_attribute`` use case.
    data : array-like of shape (m, n_features), default=None
        Real rows (e.g. the training data) from which the use cases' on-manifold truths draw
        their counterfactuals; None: X and the background.
    scenario : Scenario, default=None
        The planted scenario the model was fitted on
        (:func:`glassworks.comparator.scenarios.make_scenario`): ``recall_at_k`` is then
        computed against the features the *fitted model* uses on the data (x_j redrawn from
        the scenario's own generator given the other features,
        :meth:`~glassworks.comparator.scenarios.Scenario.used_on_data`), not against the
        plan; the plan is shown beside it in the notes when they differ. Implies
        ``relevant_features`` (the plan) when that is None.

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
    >>> float(report.score("gradient", "estimation_error")) < 1e-4
    True
    >>> float(report.score("gradient", "estimand_gap")) < 1e-12  # slope x (x - mean) = SHAP
    True
    """
    if engine not in ("local", "spark"):
        raise ValueError(f"engine must be 'local' or 'spark', got {engine!r}.")
    state = AuditState(model, t_start=time.perf_counter())
    if getattr(model, "categories_", None) is not None:
        X, background, data = _on_category_codes(state, X, background, data)
    if scenario is not None:
        if relevant_features is None:
            relevant_features = scenario.relevant
        if not hasattr(X, "columns") and getattr(model, "feature_names_in_", None) is None:
            import pandas as pd

            X = pd.DataFrame(np.asarray(X), columns=scenario.feature_names)  # names the report
    resolve_audit(state, X, background, explainers, metrics, random_state,
                  relevant_features=relevant_features, k=k, n_reruns=n_reruns,
                  read_as=read_as, estimands=estimands)
    compute_audit_truth(state)
    plan = state.relevant
    if scenario is not None:
        _recall_against_use(state, scenario)
    run_explainers(state, n_jobs=n_jobs, progress=progress, engine=engine, spark=spark)
    score_explainers(state)
    state.relevant = plan  # the report shows the plan; the notes say what recall used
    uc = None
    if use_cases:
        from .use_cases import run_use_cases

        if isinstance(protected, str):
            protected = [protected]
        uc = run_use_cases(state, use_cases, protected=protected, data=data)
    report = make_report(state)
    report.use_cases = uc
    if uc is not None:
        report.timings["use_cases"] = uc.attrs["seconds"]
        report.timings["use_cases_share"] = uc.attrs["seconds"] / report.timings["total"]
    return report


def _on_category_codes(state, X, background, data):
    """Audit a model with categorical features on its category codes.

    Post-hoc explainers perturb numbers, and the exact truths read threshold splits: the
    audit runs on ``model.encode_categories(X)`` with ``model.to_threshold_model()``, the same
    function of the codes with each categorical split as threshold splits on them, so every
    truth stays exact. What an explainer does with a code (LIME's quartile bins, a gradient)
    is what it would do with any number, and is scored against what it computes on codes."""
    model = state.model
    fitted = getattr(model, "feature_names_in_", None)
    names = ([str(f) for f in fitted] if fitted is not None
             else [f"x{j}" for j in range(model.n_features_in_)])

    def codes(A, what):
        if A is None:
            return None
        A, _ = _columns_by_name(A, model, state.notes, what)
        Z = np.asarray(model.encode_categories(A), dtype=np.float64)
        bad = np.isnan(Z) & model.is_categorical_[None, :]
        if bad.any():
            cols = [names[j] for j in np.flatnonzero(bad.any(axis=0))]
            raise ValueError(
                f"{what} has {int(bad.any(axis=1).sum())} row(s) with a missing or unseen "
                f"category (in {', '.join(cols)}): the audit needs complete rows of known "
                "categories.")
        import pandas as pd

        return pd.DataFrame(Z, columns=names)

    out = codes(X, "X"), codes(background, "background"), codes(data, "data")
    state.model = model.to_threshold_model()
    cats = [names[j] for j in np.flatnonzero(model.is_categorical_)]
    state.notes.append(
        f"categorical features ({', '.join(cats)}): audited on their category codes (the "
        "position in the model's categories_) through the equivalent threshold model "
        "(model.to_threshold_model(), the same predictions); explainers perturb the codes")
    return out


def _recall_against_use(state, scenario):
    """Score recall against what the fitted model uses on the data, the plan beside it."""
    from .scenarios import USE_SHARE, USE_TOLERANCE

    if scenario.X.shape[1] != state.X.shape[1]:
        raise ValueError(f"scenario has {scenario.X.shape[1]} features, X has "
                         f"{state.X.shape[1]}.")
    predict = state.target.fn(int(state.target.output_index[0]))
    used, share = scenario.used_on_data(predict, random_state=int(state.random_state or 0))
    names = state.feature_names
    plan = [] if state.relevant is None else [int(j) for j in state.relevant]
    rule = (f"x_j redrawn from the scenario's generator given the other features changes the "
            f"output by > {USE_TOLERANCE:g} x its spread on >= {100 * USE_SHARE:.0f}% of the "
            "rows")
    if not used:
        state.notes.append(f"recall_at_k: against the plan; the fitted model uses no feature "
                           f"on the data by the rule ({rule})")
        return
    state.relevant = np.array(used, dtype=np.int64)
    shown = ", ".join(f"{names[j]} ({100 * share[j]:.0f}%)" for j in used)
    if sorted(used) == sorted(plan):
        state.notes.append(f"recall_at_k: against the features the fitted model uses on the "
                           f"data, {shown}, the same as the plan ({rule})")
    else:
        state.notes.append(f"recall_at_k: against the features the fitted model uses on the "
                           f"data, {shown}; the plan differs: "
                           f"{', '.join(names[j] for j in plan) or 'none'} ({rule})")


# --------------------------------------------------------------------------------------------
# 1. resolve
# --------------------------------------------------------------------------------------------
def resolve_audit(state, X, background, explainers, metrics, random_state, *,
                  relevant_features=None, k=None, n_reruns=2, read_as=DEFAULT_READ_AS,
                  estimands=None):
    """Check the input; choose the background, the explainers, the metrics, the readings."""
    model = state.model
    X, feature_names = _check_X(X, model, state.notes)
    n, d = X.shape
    rng = np.random.default_rng(random_state)
    notes = state.notes
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
        background, _ = _check_X(background, model, state.notes, "background")
        if background.shape[1] != d:
            raise ValueError(
                f"background has {background.shape[1]} features, X has {d}."
            )
        notes.append(f"background: {len(background)} rows given")

    wanted = list(M.METRICS) if metrics is None else [M.ALIASES.get(m, m) for m in metrics]
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

    family = resolve(model, X)[0]  # cheap; raises early for an unsupported model
    specs = default_explainers(family, d) if explainers is None else list(explainers)
    candidates, seen = [], set()
    for spec in specs:
        ex = make_explainer(spec)
        if ex.name in seen:
            raise ValueError(f"Explainer {ex.name!r} is listed twice.")
        seen.add(ex.name)
        candidates.append(ex)

    state.X, state.feature_names, state.background = X, feature_names, background
    state.baseline = background.mean(axis=0)
    state.family, state.candidates, state.metrics, state.k = family, candidates, wanted, k
    state.relevant, state.n_reruns, state.random_state, state.rng = (
        relevant, int(n_reruns), random_state, rng)
    state.read_as = _read_as(read_as, candidates)
    state.estimands = _estimands_to_compute(estimands, candidates, state.read_as)
    return state


def _check_reading(name):
    est = E.get(name)
    if est.scope != "local" or est.unit == "indicator":
        raise ValueError(
            f"read_as must be a local attribution or slope estimand, got {name!r} "
            f"({est.scope}, {est.unit})."
        )
    return name


def _read_as(read_as, candidates):
    names = [e.name for e in candidates]
    if isinstance(read_as, str):
        _check_reading(read_as)
        return {name: read_as for name in names}
    if isinstance(read_as, dict):
        stray = [k_ for k_ in read_as if k_ not in names]
        if stray:
            raise ValueError(f"read_as names explainers not in the audit: {stray}.")
        return {name: _check_reading(read_as.get(name, DEFAULT_READ_AS)) for name in names}
    raise TypeError(f"read_as must be an estimand name or a dict, got {read_as!r}.")


def _estimands_to_compute(extra, candidates, read_as):
    if isinstance(extra, str):
        if extra != "all":
            raise ValueError(f"estimands must be None, 'all' or a list, got {extra!r}.")
        return None
    wanted = {e.estimand for e in candidates} | set(read_as.values())
    for name in extra or ():
        E.get(name)  # a clear error for an unknown name
        wanted.add(name)
    return wanted & set(E.REGISTRY)


# --------------------------------------------------------------------------------------------
# 2. truth
# --------------------------------------------------------------------------------------------
def compute_audit_truth(state):
    """The exact estimands (timed apart), the explainers that apply, the per-row seeds."""
    X, d = state.X, state.X.shape[1]
    t0 = time.perf_counter()
    truth, target = compute_truth(state.model, X, state.background, state.baseline,
                                  estimands=state.estimands)
    state.truth_seconds = time.perf_counter() - t0
    state.truth, state.target = truth, target
    _check_model_outputs(target, X, state.background)
    notes = state.notes
    notes.extend(truth.notes)
    if truth.dummy is not None:
        unused = [state.feature_names[j] for j in np.flatnonzero(truth.dummy)]
        notes.append(
            f"features the model never uses ({truth.dummy_how}): "
            + (", ".join(unused) if unused else "none")
        )
    exps = []
    for ex in state.candidates:
        if ex.requires == "trees" and truth.trees is None:
            state.skipped[ex.name] = "needs a tree-based model"
            continue
        if ex.requires == "enumerable" and d > MAX_ENUMERATION_FEATURES:
            state.skipped[ex.name] = (
                f"enumerates 2**d coalitions; d = {d} > {MAX_ENUMERATION_FEATURES}")
            continue
        exps.append(ex)
    state.explainers = exps
    n_bg = len(state.background)
    for ex in exps:
        cap = getattr(ex, "max_background", None)
        if cap is not None and n_bg > cap:
            notes.append(
                f"{ex.name}: {ex.max_background_why.format(cap=cap, n=n_bg)}, so part of its "
                "estimation error here is that subsampling")
    for ex in exps:
        reason = truth.unavailable.get(ex.estimand)
        if reason is not None or ex.estimand not in E.REGISTRY:
            notes.append(
                f"{ex.name}: no exact value of {ex.estimand} for this model "
                f"({reason or 'not an estimand the audit computes'}); scored on the metrics "
                "that need none"
            )
    for name in sorted(set(state.read_as[e.name] for e in exps)):
        if name in truth.unavailable:
            notes.append(f"estimand gap not computed: {name} is not available for this model "
                         f"({truth.unavailable[name]})")
    for name, tol in truth.tolerance.items():
        notes.append(f"{name} computed by quadrature, to within {tol:.2g} (not exact)")
    state.seeds = state.rng.integers(0, 2**31 - 1, size=(len(exps), len(X),
                                                        1 + state.n_reruns))
    state.ctx = AuditContext(X, state.background, state.baseline, state.feature_names, target,
                             truth.trees, truth.tree_weights, truth.input_dtype)
    return state


# --------------------------------------------------------------------------------------------
# 3. run
# --------------------------------------------------------------------------------------------
def run_explainers(state, *, n_jobs=1, progress=False, engine="local", spark=None):
    """Every local explainer on every row, every global one on the whole data (with reruns)."""
    ctx, local, seeds = state.ctx, state.local, state.seeds
    rerun_rows = set(range(min(5, len(state.X))))
    if engine == "spark":
        records = _run_all_spark(ctx, local, seeds, rerun_rows, state.n_reruns, spark)
    else:
        records = _run_all(ctx, local, seeds, rerun_rows, state.n_reruns, n_jobs, progress)
    for e_idx, ex in enumerate(local):
        state.warmup[ex.name] = float(sum(r["warmup"] for r in records
                                          if r["e"] == e_idx and "warmup" in r))
        recs = sorted((r for r in records if r["e"] == e_idx and "warmup" not in r),
                      key=lambda r: r["i"])
        errs = [r["error"] for r in recs if "error" in r]
        if errs:
            state.failures[ex.name] = errs[0]
            continue
        A = np.array([r["values"] for r in recs])
        bad = ~np.all(np.isfinite(A), axis=1)
        if bad.all():
            state.failures[ex.name] = (f"returned NaN or inf attributions on every one of the "
                                       f"{len(A)} rows (the model's outputs are finite)")
            continue
        if bad.any():
            state.notes.append(
                f"{ex.name} returned NaN or inf attributions on {int(bad.sum())} of {len(A)} "
                "rows (the model's outputs are finite there): scored as failed, the worst "
                "value of every metric, on those rows")
        state.attributions[ex.name] = A
        state.records[ex.name] = recs
        state.seconds[ex.name] = float(sum(r["seconds"] for r in recs))
    target = state.target
    column = state.truth.global_column  # the column the global truth explains
    for g_idx, ex in enumerate(state.glob):
        e_idx = len(local) + g_idx
        ctx.column = column
        n_runs = 1 + state.n_reruns if ex.stochastic else 1
        runs = []
        try:
            for r in range(n_runs):
                counter = CountingFn(target.fn(column))
                t1 = time.perf_counter()
                with quiet_peers():
                    v = ex.explain_global(ctx, counter, seeds[e_idx, 0, r])
                runs.append({"values": np.asarray(v, dtype=np.float64).reshape(-1),
                             "seconds": time.perf_counter() - t1, "calls": counter.calls})
        except Exception as exc:
            state.failures[ex.name] = f"{type(exc).__name__}: {exc}"
            continue
        state.global_runs[ex.name] = runs
        state.attributions[ex.name] = runs[0]["values"]
        state.seconds[ex.name] = runs[0]["seconds"]
    return state


# --------------------------------------------------------------------------------------------
# 4. score
# --------------------------------------------------------------------------------------------
def score_explainers(state):
    """Per-row scores of every explainer, and the estimand x estimand distance table."""
    truth = state.truth
    scales = Scales(truth, state.target, state.background, state.X, state.baseline)
    local = state.local
    rows = state.rows
    for e_idx, ex in enumerate(local):
        if ex.name not in state.attributions:
            continue
        rows.extend(score_local(ex, state.attributions[ex.name], state.records[ex.name],
                                truth, state.target, state.ctx, state.metrics, state.k,
                                state.relevant, state.seeds[e_idx], scales,
                                state.read_as[ex.name]))
    for ex in state.glob:
        if ex.name not in state.global_runs:
            continue
        rows.extend(score_global(ex, state.global_runs[ex.name], truth, state.metrics,
                                 state.k, state.relevant, scales, state.read_as[ex.name]))
    state.distances = estimand_distances(truth, scales)
    return state


# --------------------------------------------------------------------------------------------
# 5. report
# --------------------------------------------------------------------------------------------
def make_report(state):
    """The :class:`AuditReport` of a scored audit."""
    from .report import AuditReport

    truth = state.truth
    total = time.perf_counter() - state.t_start
    timings = {
        "ground_truth": state.truth_seconds,
        "estimands": dict(truth.seconds),
        "explainers": state.seconds,
        "warmup": state.warmup,
        "total": total,
        "ground_truth_share": state.truth_seconds / total if total > 0 else np.nan,
    }
    return AuditReport.from_rows(
        state.rows,
        attributions=state.attributions,
        truth=truth,
        target=state.target,
        feature_names=state.feature_names,
        explainers={e.name: (e.estimand, e.note, e.scope) for e in state.explainers},
        failures=state.failures,
        skipped=state.skipped,
        timings=timings,
        notes=state.notes,
        random_state=state.random_state,
        relevant=state.relevant,
        X=state.X,
        read_as=state.read_as,
        distances=state.distances,
    )


# --------------------------------------------------------------------------------------------
# running explainers (local, joblib, Spark)
# --------------------------------------------------------------------------------------------
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




def _check_model_outputs(target, X, background):
    """The explained output must be finite on the audited rows and the background: the
    truth of every estimand is made of it, so a NaN there is the model's, not an explainer's."""
    for what, A in (("X", X), ("background", background)):
        bad = np.zeros(len(A), dtype=bool)
        for c in np.unique(target.output_index):
            with np.errstate(all="ignore"):
                out = np.asarray(target.fn(int(c))(A), dtype=np.float64).reshape(len(A), -1)
            bad |= ~np.all(np.isfinite(out), axis=1)
        if bad.any():
            raise ValueError(
                f"the model returned NaN or inf on {int(bad.sum())} of {len(A)} rows of "
                f"{what} (first: row {int(np.flatnonzero(bad)[0])}): the exact truth is made "
                "of the model's outputs, so the audit needs them finite.")


def _columns_by_name(X, model, notes=None, what="X"):
    """A DataFrame X's columns in the model's ``feature_names_in_`` order (refused when the
    names differ or repeat), with their names; ``(X, None)`` for an array."""
    names = None
    if hasattr(X, "columns"):
        names = [str(c) for c in X.columns]
        if len(set(names)) != len(names):
            dup = sorted({c for c in names if names.count(c) > 1})
            raise ValueError(f"X has duplicated column names: {dup}; each feature needs its "
                             "own name.")
        fitted = getattr(model, "feature_names_in_", None)
        if fitted is not None:
            fitted = [str(f) for f in fitted]
            if names != fitted:
                if sorted(names) != sorted(fitted):
                    raise ValueError(
                        f"X's columns {names} are not the model's features {fitted} (fitted "
                        "with feature_names_in_); pass the columns the model was fitted on.")
                # the model is called on arrays, so its own name check never sees this:
                # take the columns by name, or the attributions land on the wrong features
                X = X[fitted]
                if notes is not None:
                    notes.append(f"{what}: columns reordered by name to the model's order "
                                 f"({', '.join(fitted[:8])}{' ...' if len(fitted) > 8 else ''})")
                names = fitted
    return X, names


def _check_X(X, model, notes=None, what="X"):
    from glassworks._validation import reject_non_numeric

    X, names = _columns_by_name(X, model, notes, what)
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
                with quiet_peers():
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
                with quiet_peers():
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
                        with quiet_peers():
                            again = ex.explain(ctx, x, CountingFn(fn), seeds[e_idx, i, r])
                        runs.append(np.asarray(again.values, dtype=np.float64).reshape(-1))
                    rec["runs"] = np.array(runs)
            except Exception as exc:  # an explainer that fails is reported, not fatal
                rec["error"] = f"{type(exc).__name__}: {exc}"
            out.append(rec)
    return out




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


