"""Command line: ``glassworks audit``.

``glassworks audit`` with no argument runs the built-in demo: glass-box models fitted on a
data set bundled with scikit-learn (diabetes) and on a planted-truth scenario, the default
explainers audited against the exact truth, the scorecard printed, ``report.html`` written.

``glassworks audit --data file.csv --target col --model tree`` audits the explainers on a
model fitted to your data. Bad input (a missing target column, non-numeric features, a model
that is not available) gives one line on stderr and exit code 2.
"""

import argparse
import contextlib
import os
import sys
import time
import warnings

import numpy as np

MODELS = ("tree", "forest", "rules", "maple", "linear")


class UsageError(Exception):
    """A problem with the user's input: reported on one line, exit code 2."""


def _build_parser():
    from glassworks import __version__

    p = argparse.ArgumentParser(prog="glassworks", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"glassworks {__version__}")
    sub = p.add_subparsers(dest="command")
    a = sub.add_parser(
        "audit",
        help="score post-hoc explainers against exact ground truth",
        description="Score post-hoc explainers (LIME, SHAP, ...) against the exact ground "
        "truth of a glass-box model. Without --data, runs the built-in demo.",
    )
    a.add_argument("--data", help="CSV file with a header row")
    a.add_argument("--target", help="name of the target column in --data")
    a.add_argument("--model", default="tree", choices=MODELS,
                   help="glass-box model fitted to --data (default: tree)")
    a.add_argument("--task", default=None, choices=("classification", "regression"),
                   help="what the target is (default: guessed; an integer target with at "
                   "most 20 values is taken as classes, and the guess is said)")
    a.add_argument("--explainers", default=None,
                   help="comma-separated explainer names (default: chosen for the model)")
    a.add_argument("--n-explain", type=int, default=None,
                   help="number of rows to explain (default: 200 with --data, 25 in the demo)")
    a.add_argument("--background", type=int, default=100,
                   help="number of background rows (default: 100)")
    a.add_argument("--read-as", default="interventional_shap", dest="read_as",
                   help="the estimand users read the explainers as: each explainer's "
                   "estimand gap is its distance from it (default: interventional_shap)")
    a.add_argument("--out", default="report.html", help="HTML report path (default: report.html)")
    a.add_argument("--jobs", type=int, default=1, help="parallel processes over instances")
    a.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    a.add_argument("--no-progress", action="store_true", help="no progress bar")
    # use cases (glassworks.comparator.use_cases): which explainer answers which question
    a.add_argument("--use-cases", default=None, dest="use_cases",
                   help="comma-separated debugging questions to check the explainers on, or "
                   "'all' (protected_attribute, shortcut, ...); default: none with --data, "
                   "the COMPAS scaffold demo's in the demo")
    a.add_argument("--protected", action="append", default=None, metavar="COL",
                   help="protected column for the protected_attribute use case (repeatable)")
    _add_compile_parser(sub)
    return p


def _add_compile_parser(sub):
    from glassworks.warmup import FAMILIES

    c = sub.add_parser(
        "compile",
        help="compile every Numba kernel into the cache ahead of first use",
        description="Compile (or find in the cache) every Numba kernel the estimators use, "
        "one process per family at a time, and print where the cache is. Run it once per "
        "environment (image build, CI cache step, cluster start-up) with the NUMBA_CACHE_DIR "
        "the later processes will use.",
    )
    c.add_argument("--families", default=",".join(FAMILIES),
                   help=f"comma-separated subset of {', '.join(FAMILIES)} (default: all)")
    c.add_argument("--jobs", type=int, default=None,
                   help="processes at a time (default: one per core; 1: in this process)")


def run_compile(args, out=None):
    """``glassworks compile``: returns the exit code."""
    import time

    from glassworks.warmup import cache_location, compile_kernels

    families = [f.strip() for f in args.families.split(",") if f.strip()]
    print(f"Numba cache: {cache_location()}", file=out, flush=True)
    t0 = time.perf_counter()
    try:
        compile_kernels(families, jobs=args.jobs,
                        report=lambda fam, sec: print(f"  {fam:<7} {sec:7.1f} s", file=out,
                                                      flush=True))
    except ValueError as exc:
        print(f"glassworks compile: error: {exc}", file=sys.stderr)
        return 2
    print(f"compiled {len(families)} families in {time.perf_counter() - t0:.1f} s; "
          f"later processes with this NUMBA_CACHE_DIR load them from the cache", file=out)
    return 0


_CLASSES = {
    "tree": ("DecisionTreeClassifier", "DecisionTreeRegressor"),
    "forest": ("RandomForestClassifier", "RandomForestRegressor"),
    "rules": ("RuleListClassifier", None),
    "maple": ("MapleClassifier", "MapleRegressor"),
}


def _lookup(kind, task):
    """The glassworks class for a model kind, or the reason it is unavailable."""
    import glassworks

    name = _CLASSES[kind][0 if task == "classification" else 1]
    if name is None:
        return None, (f"--model {kind} needs a classification target (a rule list is a "
                      "classifier); this target looks like a regression target.")
    try:
        return getattr(glassworks, name), None
    except (ImportError, AttributeError) as exc:
        return None, (f"--model {kind}: glassworks.{name} is not available in this install "
                      f"yet ({type(exc).__name__}: {exc})")


def _glassworks_model(kind, task, seed, params=None):
    """A glass-box model for ``--model``, or a UsageError saying it is not available."""
    if kind == "linear":
        from sklearn.linear_model import LinearRegression, LogisticRegression

        return LogisticRegression(max_iter=2000) if task == "classification" else (
            LinearRegression())
    cls, why = _lookup(kind, task)
    if cls is None:
        available = ["linear"] + [k for k in _CLASSES if _lookup(k, task)[0] is not None]
        raise UsageError(f"{why}. Available now: {', '.join(available)}.")
    if params is None:
        params = {"tree": {"max_depth": 5}, "forest": {"n_estimators": 50, "max_depth": 6}}.get(
            kind, {})
    model = cls()
    valid = model.get_params()
    model.set_params(**{k: v for k, v in params.items() if k in valid})
    if "random_state" in valid:
        model.set_params(random_state=seed)
    return model


def _demo_model(kind, task, seed, params):
    """The demo prefers glassworks' models and falls back to scikit-learn's equivalents."""
    try:
        return _glassworks_model(kind, task, seed, params), "glassworks"
    except UsageError:
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        if kind == "tree":
            cls = DecisionTreeClassifier if task == "classification" else DecisionTreeRegressor
        else:
            cls = RandomForestClassifier if task == "classification" else RandomForestRegressor
        return cls(random_state=seed, **params), "scikit-learn"


def _explainer_list(text):
    if text is None:
        return None
    from glassworks.comparator.explainers import EXPLAINERS

    names = [s.strip() for s in text.split(",") if s.strip()]
    bad = [n for n in names if n not in EXPLAINERS]
    if bad:
        raise UsageError(f"unknown explainer(s) {', '.join(bad)}; known: "
                         + ", ".join(EXPLAINERS))
    return names


def _rows(n, n_explain, rng, flag="--n-explain"):
    if n_explain is not None and n_explain < 1:
        raise UsageError(f"{flag} must be at least 1, got {n_explain}.")
    if n_explain is None or n_explain >= n:
        return np.arange(n)
    return np.sort(rng.choice(n, n_explain, replace=False))


def _check_out(path):
    """Fail before the audit runs, not after, when the report cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"--out {path}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"--out {path}: the folder {folder} is not writable.")
    if os.path.isdir(path):
        raise UsageError(f"--out {path} is a folder; give a file name (e.g. report.html).")


# Warnings our own calls cause: the audit calls the model on arrays whose columns it has
# already put in the model's order by name, so scikit-learn's feature-name check is moot.
_OWN_WARNINGS = ("does not have valid feature names",)


def _audit_quietly(**kwargs):
    """Run the audit; numpy's overflow warnings from inside the explainers (values near
    1e300) and other repeated warnings are reported once each, at the end."""
    from glassworks.comparator import audit

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = audit(**kwargs)
    numeric, seen = 0, {}
    for w in caught:
        text = str(w.message)
        if any(t in text for t in _OWN_WARNINGS):
            continue
        if issubclass(w.category, RuntimeWarning) and ("overflow" in text or "invalid" in text):
            numeric += 1
            continue
        seen[(w.category.__name__, text)] = seen.get((w.category.__name__, text), 0) + 1
    for (cat, text), count in seen.items():
        times = f" ({count} times)" if count > 1 else ""
        print(f"warning: {cat}: {text}{times}", file=sys.stderr)
    if numeric:
        print(f"warning: {numeric} numpy overflow/invalid-value warnings inside the model or "
              "the explainers (values this large, near the float64 limit, lose precision); "
              "consider rescaling the features", file=sys.stderr)
    return report


#: An audit estimated to take longer than this (seconds) is announced before it starts.
ANNOUNCE_AFTER = 60.0

#: Model calls per explained row above which an audit may be slow: KernelSHAP alone makes
#: about (2 d + 2048) x background calls per row, LIME 5000 per explainer.
_CALLS_PER_ROW = 10_000


def _announce_duration(model, Xa, bg, args, err=None):
    """Say how long the audit will take when it will take minutes.

    A model whose predict is slow per point (MAPLE fits a ridge regression at every query
    point) makes the explainers, which call it thousands of times per row, take minutes. The
    cost of one predict call on the background is timed first (cheap); only when it could
    make the audit slow is one explained row audited, quietly, and its time (explainers and
    truth) scaled to all the rows; use cases are not included. Returns the estimate in
    seconds, or None when none was needed or the probe failed.
    """
    err = sys.stderr if err is None else err
    n = len(Xa)
    predict = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        predict(bg)  # the first call may load kernels or start threads: not a model's cost
        t0 = time.perf_counter()
        predict(bg)
        per_call = (time.perf_counter() - t0) / max(1, len(bg))
    if per_call * _CALLS_PER_ROW * n < ANNOUNCE_AFTER:
        return None
    t0 = time.perf_counter()
    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
            probe = _audit_quietly(model=model, X=Xa[:1], background=bg,
                                   explainers=_explainer_list(args.explainers),
                                   random_state=args.seed, n_jobs=args.jobs, n_reruns=0,
                                   progress=False)
    except Exception:  # the audit itself will say what is wrong, in its own words
        return None
    t = probe.timings
    global_ = sum(v for k, v in t["explainers"].items()
                  if probe.explainers.get(k, (None, None, "local"))[2] == "global")
    warmup = float(sum((t.get("warmup") or {}).values()))
    per_row = max(0.0, time.perf_counter() - t0 - global_ - warmup)
    # per row: the local explainers and the truth; the audit reruns the local explainers on
    # up to 5 rows twice and the global ones twice more (its default n_reruns=2)
    estimate = per_row * (n + 2 * min(5, n)) + 3 * global_ + warmup
    if estimate >= ANNOUNCE_AFTER:
        print(f"note: this audit will take about {max(1, round(estimate / 60))} min ({n} "
              f"rows at about {per_row:.1f} s each, measured on one: the explainers call the "
              f"model thousands of times per row and its predict takes "
              f"{1e6 * per_call:.0f} us a row); --n-explain sets the rows", file=err)
    return estimate


def _run_one(title, model, X, y, args, rng, n_explain, relevant=None, out=None,
             scenario=None):
    rows = _rows(len(X), n_explain, rng)
    bg_rows = _rows(len(X), args.background, rng, "--background")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have valid feature names.*")
        with np.errstate(over="ignore", invalid="ignore"):
            model.fit(X, y)
    Xa = X.iloc[rows] if hasattr(X, "iloc") else X[rows]
    bg = X.iloc[bg_rows] if hasattr(X, "iloc") else X[bg_rows]
    _announce_duration(model, Xa, bg, args)
    report = _audit_quietly(model=model, X=Xa, background=bg,
                            explainers=_explainer_list(args.explainers),
                            random_state=args.seed, n_jobs=args.jobs,
                            relevant_features=relevant, progress=not args.no_progress,
                            read_as=getattr(args, "read_as", "interventional_shap"),
                            scenario=scenario, **_use_case_kwargs(args, X))
    out = sys.stdout if out is None else out
    print(f"\n== {title} ==", file=out)
    print(report.to_text(), file=out)
    return report


def run_audit(args, out=None):
    from glassworks.comparator.report import write_html

    out = sys.stdout if out is None else out
    rng = np.random.default_rng(args.seed)
    reports = []
    _check_out(args.out)
    for flag, value in (("--background", args.background), ("--n-explain", args.n_explain),
                        ("--jobs", args.jobs)):
        if value is not None and value < 1:
            raise UsageError(f"{flag} must be at least 1, got {value}.")
    if args.data is None:
        if args.target is not None:
            raise UsageError("--target needs --data.")
        from glassworks.comparator.scenarios import make_scenario
        from glassworks.datasets import load_dataset

        n_explain = 25 if args.n_explain is None else args.n_explain
        X, y, task = load_dataset("diabetes")
        model, origin = _demo_model("tree", task, args.seed, {"max_depth": 5})
        reports.append((
            f"diabetes (scikit-learn), {origin} decision tree, depth 5",
            _run_one(f"demo 1/3: diabetes, {origin} decision tree", model, X, y, args, rng,
                     n_explain, out=out),
        ))
        s = make_scenario("proxy", n_samples=600, n_features=8, random_state=args.seed)
        # depth 3 is enough for the scenario's steps: pure leaves leave no room for noise splits
        model, origin = _demo_model("forest", s.task, args.seed,
                                    {"n_estimators": 30, "max_depth": 3})
        title = (f"planted scenario 'proxy' ({s.description}), {origin} random forest, depth 3")
        reports.append((title, _run_one(
            f"demo 2/3: planted scenario 'proxy', {origin} random forest", model, s.X, s.y,
            args, rng, n_explain, out=out, scenario=s)))  # recall against what it uses
    else:
        if args.target is None:
            raise UsageError("--data needs --target (the name of the target column).")
        from glassworks.datasets import load_csv

        notes = []
        try:
            X, y, task = load_csv(args.data, args.target, task=getattr(args, "task", None),
                                  notes=notes)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        model = _glassworks_model(args.model, task, args.seed)
        n_explain = 200 if args.n_explain is None else args.n_explain
        reports.append((f"{args.data}: {args.model} on {args.target}", _run_one(
            f"{args.data}: {args.model} model, target {args.target}", model, X, y, args, rng,
            n_explain, out=out)))
    if args.data is None:
        reports.extend(_use_case_demo(args, rng, out))
    write_html(reports, args.out)
    for title, rep in reports:
        print(f"\n-- verdict: {title} --", file=out)
        print(rep.summary(), file=out)
    print(f"\nreport written to {args.out}", file=out)
    return reports


# --------------------------------------------------------------------------------------------
# use cases: --use-cases, --protected, and the COMPAS scaffold demo
# --------------------------------------------------------------------------------------------
def _use_case_kwargs(args, X):
    """audit()'s use-case arguments from the command line (none unless --use-cases)."""
    names = getattr(args, "use_cases", None)
    if not names:
        if getattr(args, "protected", None):
            raise UsageError("--protected needs --use-cases protected_attribute (or all).")
        return {}
    return {"use_cases": _use_case_names(names), "protected": _protected(args) or None,
            "data": X}


def _use_case_names(text):
    from glassworks.comparator.use_cases import USE_CASES

    return list(USE_CASES) if text == "all" else [u.strip() for u in text.split(",")
                                                   if u.strip()]


def _protected(args):
    return [c.strip() for p in (args.protected or []) for c in p.split(",") if c.strip()]


def _use_case_demo(args, rng, out):
    """The demo's use cases: a Slack et al. scaffold on COMPAS (biased on sex, innocent
    ``unrelated`` off the data) and an honest control, audited for protected_attribute, and
    the shortcut family; skipped with a message when the COMPAS data are not found."""
    from glassworks.comparator.use_cases.protected_attribute import (
        compas_scaffold_models, find_compas, load_compas)

    path = find_compas()
    if path is None:
        print("\n== demo 3/3: COMPAS scaffold: skipped (compas/compas_train.csv not found in "
              "../shared/data or $GLASSWORKS_DATA) ==", file=out)
        return []
    names = (["protected_attribute", "shortcut"] if not args.use_cases else
             _use_case_names(args.use_cases))
    X, _ = load_compas(path, random_state=args.seed)
    n_explain = 20 if args.n_explain is None else args.n_explain
    rows = _rows(len(X), n_explain, rng)
    # 50 background rows: every query of the scaffold runs its detector, and the exact
    # Shapley values of this black box enumerate 2**8 coalitions over the background
    bg = X.iloc[_rows(len(X), min(args.background, 50), rng)]
    models = compas_scaffold_models(X, background=bg.to_numpy(), rows=X.iloc[rows].to_numpy(),
                                    random_state=args.seed)
    reports = []
    for k, (title, model) in enumerate(models.items()):
        # the shortcut family does not depend on the audited model: run it once
        uc = [u for u in names if k == 0 or u != "shortcut"]
        rep = _audit_quietly(model=model, X=X.iloc[rows], background=bg,
                             random_state=args.seed, n_jobs=args.jobs,
                             progress=not args.no_progress, use_cases=uc,
                             protected=_protected(args) or ["sex"], data=X)
        print(f"\n== demo 3/3: COMPAS, {title} ==", file=out)
        print(rep.to_text(), file=out)
        reports.append((f"COMPAS (CORELS's preparation), {title}: Slack et al. scaffold", rep))
    return reports


def main(argv=None):
    """Entry point of the ``glassworks`` console script."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "compile":
        return run_compile(args)
    if args.command != "audit":
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        run_audit(args)
    except UsageError as exc:
        print(f"glassworks audit: error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"glassworks audit: error: {exc}. Install the audit extra: "
              "pip install 'glassworks[audit]'", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"glassworks audit: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
