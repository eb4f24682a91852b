"""First use in a new process: cold (empty Numba cache) and warm (cache filled) start-up times.

Every figure is a new Python process (a subprocess of this script), timed from just before it
is started to its exit, interpreter start included:

- ``cold``: its ``NUMBA_CACHE_DIR`` is a new, empty folder, so every kernel it calls compiles;
- ``warm``: a second process on the folder the cold one just filled (loads from the cache).

Each repeat makes a new folder (cold, then warm on it); the median of ``--repeats`` (default
3) is printed with the range, the wall time next to the child's CPU time (user + sys, from
``getrusage(RUSAGE_CHILDREN)``: the parallel kernels' threads included) and the 1-minute load
average before and after each run: on a busy machine, read the CPU seconds and the ratios.
Inside each child the phases are timed too (``start``: interpreter start up to the child's
first line; ``import``; ``data``: making the data with numpy; ``fit``, ``predict``,
``explain``), and each figure is printed next to its peer, run the same way in the same run:

===========  ===========================================  =======================================
figure       glassworks                                    peer
===========  ===========================================  =======================================
import       ``import glassworks`` + the estimators        ``import sklearn`` + its estimators
tree         DecisionTreeClassifier(max_depth=8), 10k x   scikit-learn's tree fit + predict, then
             20: fit, predict, explain (path TreeSHAP,     shap's TreeExplainer (shap's import
             100 rows)                                     timed in the explain phase)
forest       RandomForestClassifier(100 trees, depth 8),  scikit-learn's forest + shap, the same
             10k x 20: fit, predict, explain (100 rows)
rules        RuleListClassifier (greedy), 10k x 20: fit,  imodels' GreedyRuleListClassifier
             predict, explain (100 rows)                   (max_depth=5) fit + predict
maple        MapleRegressor (200 trees), 500 x 8: fit,     benchmarks/maple_original.py (the
             predict (100 rows), explain (100 rows)        reference algorithm on scikit-learn's
                                                           forest and Ridge)
audit        ``glassworks audit --no-progress --out ..``   the same demo with scikit-learn's tree
             end to end (the README's first command)       and forest (the comparator's own
                                                           kernels and shap's still compile)
===========  ===========================================  =======================================

Goals (issue 16, on an idle 2-core machine): cold tree fit + predict + explain <= 15 s in all
(the same 15 s is printed as the bar for the forest, rule list and MAPLE, marked "assumed");
cold audit demo <= 45 s; a warm new process importing glassworks and fitting the 10k-row tree
<= 0.8 s (from the process's start to the end of its fit). Each is printed as "met" or
"missed by X s" (on the median wall time).

Usage::

    python benchmarks/bench_coldstart.py [--repeats 3] [--only tree,audit] [--no-peer]
        [--modes cold,warm] [--timeout 1200] [--cache-root DIR] [--keep] [--json out.json]
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent

# run first in every child: phase marks on the wall clock shared with this process
PRELUDE = """\
import time as _time
_T0 = _time.time()
_MARKS = [("start", _T0)]
def mark(name):
    _MARKS.append((name, _time.time()))
"""
EPILOGUE = """
import json as _json
print("@@MARKS " + _json.dumps(_MARKS), flush=True)
"""

# the data: numpy only, so that the peer's import is not timed in ours (and vice versa)
CLF_DATA = """\
rng = np.random.default_rng(0)
X = rng.standard_normal((10_000, 20))
y = (X[:, 0] + X[:, 1] * X[:, 2] - 0.5 * X[:, 3] + 0.5 * rng.standard_normal(10_000) > 0)
y = y.astype(np.int64)
"""
REG_DATA = """\
rng = np.random.default_rng(0)
X = rng.standard_normal((500, 8))
y = X[:, 0] + 2.0 * X[:, 1] * (X[:, 2] > 0) + 0.1 * rng.standard_normal(500)
"""
SHAP_PEER = """\
try:
    import shap
except ImportError:
    shap = None
if shap is not None:
    shap.TreeExplainer(m).shap_values(X[:100])
    mark("explain")
"""


def _first_use(module, cls, data, ctor, predict_rows="X", explain_rows="X[:100]"):
    """A new user's first script: import, data, fit, predict, explain (each marked)."""
    return (f"import numpy as np\nfrom {module} import {cls}\nmark(\"import\")\n" + data
            + f"mark(\"data\")\nm = {ctor}.fit(X, y)\nmark(\"fit\")\n"
            + f"pred = m.predict({predict_rows})\nmark(\"predict\")\n"
            + (f"expl = m.explain({explain_rows})\nmark(\"explain\")\n" if explain_rows else ""))


def _sklearn_peer(cls_path, ctor):
    module, cls = cls_path.rsplit(".", 1)
    return _first_use(module, cls, CLF_DATA, ctor, explain_rows=None) + SHAP_PEER


FIGURES = {
    "import": dict(
        title="import glassworks, then its estimators (no kernel runs)",
        goal=None,
        ours="""\
import glassworks
mark("import glassworks")
from glassworks import (DecisionTreeClassifier, RandomForestClassifier,
                        RuleListClassifier, MapleRegressor)
mark("import estimators")
""",
        peer_name="scikit-learn",
        peer="""\
import sklearn
mark("import sklearn")
from sklearn.tree import DecisionTreeClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import Ridge
mark("import estimators")
""",
    ),
    "tree": dict(
        title="DecisionTreeClassifier(max_depth=8) on 10k x 20: fit, predict, explain 100 rows",
        goal=("cold", "total", 15.0, "issue"),
        goal_warm=("warm", "fit_end", 0.8, "issue: new process importing + fitting"),
        ours=_first_use("glassworks", "DecisionTreeClassifier", CLF_DATA,
                        "DecisionTreeClassifier(max_depth=8, random_state=0)"),
        peer_name="scikit-learn (+ shap's TreeExplainer to explain)",
        peer=_sklearn_peer("sklearn.tree.DecisionTreeClassifier",
                           "DecisionTreeClassifier(max_depth=8, random_state=0)"),
    ),
    "forest": dict(
        title="RandomForestClassifier(100 trees, max_depth=8) on 10k x 20: fit, predict, "
              "explain 100 rows",
        goal=("cold", "total", 15.0, "assumed: the tree's bar"),
        ours=_first_use("glassworks", "RandomForestClassifier", CLF_DATA,
                        "RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0)"),
        peer_name="scikit-learn (+ shap's TreeExplainer to explain)",
        peer=_sklearn_peer("sklearn.ensemble.RandomForestClassifier",
                           "RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0)"),
    ),
    "rules": dict(
        title="RuleListClassifier() (greedy) on 10k x 20: fit, predict, explain 100 rows",
        goal=("cold", "total", 15.0, "assumed: the tree's bar"),
        ours=_first_use("glassworks", "RuleListClassifier", CLF_DATA, "RuleListClassifier()"),
        peer_name="imodels' GreedyRuleListClassifier(max_depth=5)",
        peer_needs="imodels",
        peer=_first_use("imodels", "GreedyRuleListClassifier", CLF_DATA,
                        "GreedyRuleListClassifier(max_depth=5)", explain_rows=None),
    ),
    "maple": dict(
        title="MapleRegressor() (200 trees) on 500 x 8: fit, predict 100 rows, explain 100 rows",
        goal=("cold", "total", 15.0, "assumed: the tree's bar"),
        ours=_first_use("glassworks", "MapleRegressor", REG_DATA,
                        "MapleRegressor(random_state=0)", predict_rows="X[:100]"),
        peer_name="the original MAPLE (benchmarks/maple_original.py: scikit-learn forest + Ridge)",
        peer="""\
import sys
sys.path.insert(0, BENCH_DIR)
import numpy as np
from maple_original import OriginalMAPLE
mark("import")
""" + REG_DATA + """\
n_tr = 500 - 167
mark("data")
m = OriginalMAPLE(random_state=0).fit(X[:n_tr], y[:n_tr], X[n_tr:], y[n_tr:])
mark("fit")
m.predict(X[:100])
mark("predict")
for i in range(100):
    m.explain(X[i])
mark("explain")
""",
    ),
    "audit": dict(
        title="glassworks audit --no-progress --out <tmp> (the demo, end to end)",
        goal=("cold", "total", 45.0, "issue"),
        ours="""\
import sys
from glassworks.cli import main
mark("import")
rc = main(["audit", "--no-progress", "--out", OUT_HTML])
mark("audit")
if rc:
    raise SystemExit(rc)
""",
        peer_name="the same demo on scikit-learn's tree and forest",
        peer="""\
import sys
import glassworks.cli as cli
from glassworks.cli import main
mark("import")
def _no_glassworks_model(*args, **kwargs):
    raise cli.UsageError("the peer run uses scikit-learn's models")
cli._glassworks_model = _no_glassworks_model
rc = main(["audit", "--no-progress", "--out", OUT_HTML])
mark("audit")
if rc:
    raise SystemExit(rc)
""",
    ),
}


def child_source(body, out_html):
    consts = f"BENCH_DIR = {str(BENCH_DIR)!r}\nOUT_HTML = {str(out_html)!r}\n"
    return PRELUDE + consts + textwrap.dedent(body) + EPILOGUE


def load1():
    return os.getloadavg()[0]


def run_child(source, cache_dir, timeout):
    """One new process. Returns a dict: wall, cpu, load before/after, phase marks, ok, error."""
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = str(cache_dir)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("NUMBA_DISABLE_JIT", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    la0 = load1()
    t0 = time.time()
    try:
        proc = subprocess.run([sys.executable, "-c", source], env=env, capture_output=True,
                              text=True, timeout=timeout)
        err = None if proc.returncode == 0 else (
            f"exit code {proc.returncode}: " + (proc.stderr.strip().splitlines() or [""])[-1])
        stdout = proc.stdout
    except subprocess.TimeoutExpired as exc:
        err = f"timed out after {timeout:.0f} s"
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
    wall = time.time() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    marks = None
    for line in stdout.splitlines():
        if line.startswith("@@MARKS "):
            marks = json.loads(line[len("@@MARKS "):])
    phases = {}
    fit_end = None
    if marks:
        prev = t0
        for name, t in marks:
            phases[name] = t - prev
            prev = t
            if name == "fit":
                fit_end = t - t0
        phases["exit"] = t0 + wall - prev
    return dict(wall=wall, cpu=cpu, load_before=la0, load_after=load1(), phases=phases,
                fit_end=fit_end, ok=err is None and marks is not None,
                error=err if err else (None if marks else "no phase marks printed"))


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(x, width=7):
    return f"{'-':>{width}}" if x is None else f"{x:{width}.2f}"


def summarise(runs):
    ok = [r for r in runs if r["ok"]]
    if not ok:
        return None
    names = list(ok[0]["phases"])
    return dict(
        n=len(ok), wall=median([r["wall"] for r in ok]), cpu=median([r["cpu"] for r in ok]),
        wall_lo=min(r["wall"] for r in ok), wall_hi=max(r["wall"] for r in ok),
        fit_end=median([r["fit_end"] for r in ok]),
        load_lo=min(min(r["load_before"], r["load_after"]) for r in ok),
        load_hi=max(max(r["load_before"], r["load_after"]) for r in ok),
        phases={k: median([r["phases"].get(k) for r in ok]) for k in names},
    )


def print_row(label, s, runs):
    if s is None:
        errs = "; ".join(sorted({r["error"] or "?" for r in runs}))
        print(f"  {label:<24} FAILED: {errs}")
        return
    phases = "  ".join(f"{k} {v:.2f}" for k, v in s["phases"].items() if v is not None)
    print(f"  {label:<24} {fmt(s['wall'])} {fmt(s['cpu'])}   {s['wall_lo']:6.2f}-"
          f"{s['wall_hi']:<6.2f} {s['load_lo']:5.2f}-{s['load_hi']:<5.2f} n={s['n']}  {phases}")
    for r in runs:
        if not r["ok"]:
            print(f"  {'':<24} (a run failed: {r['error']})")


def goal_line(goal, summ):
    mode, what, bar, origin = goal
    s = summ.get(("ours", mode))
    name = "process start to end of fit" if what == "fit_end" else "wall, in all"
    if s is None:
        return f"  goal ({origin}): {mode} {name} <= {bar:g} s: not measured"
    value = s["fit_end"] if what == "fit_end" else s["wall"]
    if value is None:
        return f"  goal ({origin}): {mode} {name} <= {bar:g} s: not measured"
    verdict = "met" if value <= bar else f"missed by {value - bar:.2f} s"
    return (f"  goal ({origin}): {mode} {name} <= {bar:g} s: {value:.2f} s -> {verdict} "
            f"(load {s['load_lo']:.2f}-{s['load_hi']:.2f})")


def run_figure(name, fig, args, root):
    print(f"\n== {name}: {fig['title']} ==")
    sides = [("ours", "glassworks", fig["ours"])]
    if not args.no_peer:
        need = fig.get("peer_needs")
        if need and find_spec(need) is None:
            print(f"  (peer {fig['peer_name']}: {need} is not installed, skipped)")
        else:
            sides.append(("peer", fig["peer_name"], fig["peer"]))
    runs = {(side, mode): [] for side, _, _ in sides for mode in args.modes}
    for rep in range(args.repeats):
        for side, _, body in sides:
            cache_dir = Path(tempfile.mkdtemp(prefix=f"{name}-{side}-", dir=root))
            source = child_source(body, cache_dir / "report.html")
            for mode in ("cold", "warm"):
                if mode == "warm" and "cold" not in args.modes and not any(cache_dir.iterdir()):
                    # a warm run needs a filled cache: fill it with an untimed run
                    run_child(source, cache_dir, args.timeout)
                if mode in args.modes:
                    r = run_child(source, cache_dir, args.timeout)
                    runs[(side, mode)].append(r)
                    state = "ok" if r["ok"] else f"FAILED ({r['error']})"
                    print(f"    [{rep + 1}/{args.repeats}] {side} {mode}: {r['wall']:.2f} s wall,"
                          f" {r['cpu']:.2f} s cpu, load {r['load_before']:.2f} -> "
                          f"{r['load_after']:.2f} {state}", flush=True)
            if not args.keep:
                shutil.rmtree(cache_dir, ignore_errors=True)
    print(f"  {'':<24} {'wall s':>7} {'cpu s':>7}   {'wall range':<13} {'load':<11} "
          "phases (median s)")
    summ = {}
    for side, label, _ in sides:
        for mode in args.modes:
            s = summarise(runs[(side, mode)])
            summ[(side, mode)] = s
            print_row(f"{'glassworks' if side == 'ours' else 'peer'} {mode}", s,
                      runs[(side, mode)])
    if len(sides) > 1:
        print(f"  peer: {fig['peer_name']}")
        for mode in args.modes:
            a, b = summ.get(("ours", mode)), summ.get(("peer", mode))
            if a and b:
                print(f"  {mode}: glassworks / peer = {a['wall'] / b['wall']:.2f}x wall, "
                      f"{a['cpu'] / b['cpu']:.2f}x cpu ({a['wall'] - b['wall']:+.2f} s wall)")
    for key in ("goal", "goal_warm"):
        goal = fig.get(key)
        if goal and goal[0] in args.modes:
            print(goal_line(goal, summ))
    return {f"{side}_{mode}": {"summary": s, "runs": runs[(side, mode)]}
            for (side, mode), s in summ.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="runs per figure and mode (median)")
    p.add_argument("--only", default=",".join(FIGURES),
                   help=f"comma-separated subset of {', '.join(FIGURES)}")
    p.add_argument("--modes", default="cold,warm", help="cold, warm or both")
    p.add_argument("--no-peer", action="store_true", help="skip the peer runs")
    p.add_argument("--timeout", type=float, default=1200.0, help="seconds per child process")
    p.add_argument("--cache-root", default=None,
                   help="where the fresh cache folders are made (default: a temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep the cache folders")
    p.add_argument("--json", default=None, help="also write every run to this JSON file")
    args = p.parse_args(argv)
    args.modes = [m for m in ("cold", "warm") if m in args.modes.split(",")]
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in FIGURES]
    if unknown or not args.modes or args.repeats < 1:
        p.error(f"unknown figure(s) {unknown}; known: {', '.join(FIGURES)}" if unknown
                else "--modes must name cold and/or warm, --repeats be at least 1")

    spec = find_spec("glassworks")
    versions = []
    for dist in ("numba", "llvmlite", "numpy", "scikit-learn", "shap", "imodels"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    print(f"glassworks from {spec.origin if spec else '(not found)'}")
    print(f"python {sys.version.split()[0]}; {', '.join(versions)}; {os.cpu_count()} cpus; "
          f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', '(default)')}")
    la = os.getloadavg()
    print(f"load average at start: {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}; repeats {args.repeats}; "
          f"modes {', '.join(args.modes)}")
    if args.cache_root:
        Path(args.cache_root).mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="gw-coldstart-", dir=args.cache_root))
    base = run_child(PRELUDE + "pass\n" + EPILOGUE, root, args.timeout)
    print(f"an empty python process: {base['wall']:.3f} s wall, {base['cpu']:.3f} s cpu")
    results = {}
    try:
        for name in names:
            results[name] = run_figure(name, FIGURES[name], args, root)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        la = os.getloadavg()
        print(f"\nload average at the end: {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
