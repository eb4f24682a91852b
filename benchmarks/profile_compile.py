"""Where a workload's Numba time goes: compile seconds per kernel and type specialisation.

Runs workloads of ``bench_coldstart.py`` (glassworks' side of each figure) one after the other
in this process, with a Numba cache folder that is new and empty unless ``--cache-dir`` names a
filled one, and records:

- each compilation (Numba's ``numba:compile`` event) with its time *inclusive* of the kernels
  it made compile in turn (callees are compiled while their caller is typed) and its *self*
  time (minus those), per dispatcher and signature; a ``parallel=True`` kernel's self time
  includes its parfor gufunc, compiled during its lowering;
- the compiler passes' self time (``numba:run_pass``) and the LLVM steps' (function passes on
  a kernel's own IR; module passes and machine code for the kernel *with every callee linked
  in*, as each Numba library links its callees' modules: a kernel deep in a call tree is
  optimised and emitted again inside every caller that is compiled), in total and per kernel;
- the cache: each ``load_overload`` (index lookup, unpickling, rebuilding the code) and
  ``save_overload``, per dispatcher;
- per workload and phase (the ``mark`` calls of the workload): wall time, the compile, load and
  save seconds in it, and the rest (the work itself, imports, Python).

It then prints the kernels with more than one specialisation whose signatures differ only in
array layout or writeability, literal versus plain values or integer width, i.e. likely
accidental duplicates; and, with ``--serial-variants``, for every ``parallel=True`` kernel the
workload compiled, the time to compile a copy of it (``cache=False``) with ``parallel=True``
and with ``parallel=False`` for each of its signatures, its callees already compiled.

Usage::

    python benchmarks/profile_compile.py [tree forest rules maple audit ...] [--top 40]
        [--cache-dir DIR] [--serial-variants] [--sigs] [--cprofile 30]

Times are of this process under whatever load the machine has (printed); the CPU time of the
process is printed next to each phase's wall time.
"""

import argparse
import contextlib
import io
import os
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _cpu():
    t = os.times()
    return t.user + t.system


class Recorder:
    """A stack of nested timed frames (compile, pass, load, save) per thread; each frame's
    self time goes to the innermost compile (or load/save) that encloses it."""

    def __init__(self):
        self.local = threading.local()
        self.compile_incl = defaultdict(float)   # (disp, sig) -> inclusive s (outermost only)
        self.compile_self = defaultdict(float)   # (disp, sig) -> self s
        self.pass_self = defaultdict(float)      # pass name -> self s
        self.pass_by_kernel = defaultdict(float)  # (disp, pass) -> self s
        self.load = defaultdict(float)           # disp -> s
        self.load_hits = defaultdict(int)
        self.load_misses = defaultdict(int)
        self.save = defaultdict(float)
        self.saves = defaultdict(int)
        self.dispatchers = {}                    # name -> dispatcher
        self.sigs = defaultdict(list)            # name -> compiled signatures, in order
        self.roots = defaultdict(float)          # (disp, sig) compiled from Python -> incl s
        self.parents = defaultdict(set)          # disp -> the kernels whose compile made it
        self.callers = defaultdict(set)          # (disp, sig) -> the kernel that compiled it
        self.llvm_self = defaultdict(float)      # LLVM step -> self s
        self.llvm_by_kernel = defaultdict(float)  # disp -> LLVM self s (its own compiles)
        self.totals = defaultdict(float)         # kind -> self s (compile, load, save)

    def stack(self):
        s = getattr(self.local, "stack", None)
        if s is None:
            s = self.local.stack = []
        return s

    def push(self, kind, key):
        self.stack().append([kind, key, time.perf_counter(), 0.0])

    def pop(self):
        st = self.stack()
        kind, key, t0, child = st.pop()
        dur = time.perf_counter() - t0
        own = dur - child
        if st:
            st[-1][3] += dur
        if kind in ("pass", "llvm"):
            # a pass or an LLVM step belongs to the innermost compile, load or save around it
            owner = next((f for f in reversed(st) if f[0] in ("compile", "load", "save")), None)
            table = self.pass_self if kind == "pass" else self.llvm_self
            table[key] += own
            if owner is not None:
                okind, okey = owner[0], owner[1]
                name = okey[0] if okind == "compile" else okey
                if kind == "pass":
                    self.pass_by_kernel[(name, key)] += own
                elif okind == "compile":
                    self.llvm_by_kernel[name] += own
                {"compile": self.compile_self, "load": self.load,
                 "save": self.save}[okind][okey] += own
                self.totals[okind] += own
            else:
                self.totals[kind] += own
            return dur
        if kind == "compile":
            self.compile_self[key] += own
            if not any(f[0] == "compile" and f[1] == key for f in st):
                self.compile_incl[key] += dur
            callers = [f[1][0] for f in st if f[0] == "compile"]
            if not callers:
                self.roots[key] += dur
            self.callers[key].add(callers[-1] if callers else "(Python)")
            # Numba's own functions are charged to the nearest kernel that is not Numba's
            own_callers = [c for c in callers if not c.startswith("numba.")]
            if key[0].startswith("numba.") and own_callers:
                self.parents[key[0]].add(own_callers[-1])
        elif kind == "load":
            self.load[key] += own
        elif kind == "save":
            self.save[key] += own
        self.totals[kind] += own
        return dur

    def snapshot(self):
        return dict(compile=self.totals["compile"] + self.totals["pass"] + self.totals["llvm"],
                    load=self.totals["load"], save=self.totals["save"],
                    n_compiled=sum(len(v) for v in self.sigs.values()),
                    n_loaded=sum(self.load_hits.values()))


def disp_name(d):
    f = getattr(d, "py_func", None)
    if f is None:
        return repr(d)
    mod = f.__module__.replace("glassworks.", "")
    return f"{mod}.{f.__qualname__}"


def install(rec):
    from numba.core import caching, codegen, event

    class CompileListener(event.Listener):
        def on_start(self, ev):
            d = ev.data["dispatcher"]
            name = disp_name(d)
            rec.dispatchers[name] = d
            sig = tuple(ev.data["args"])
            rec.sigs[name].append(sig)
            rec.push("compile", (name, sig))

        def on_end(self, ev):
            rec.pop()

    class PassListener(event.Listener):
        def on_start(self, ev):
            rec.push("pass", ev.data["name"].split(" [")[0])

        def on_end(self, ev):
            rec.pop()

    event.register("numba:compile", CompileListener())
    event.register("numba:run_pass", PassListener())

    load0, save0 = caching.Cache.load_overload, caching.Cache.save_overload

    def load_overload(self, sig, target_context):
        name = disp_name(self)
        rec.push("load", name)
        try:
            out = load0(self, sig, target_context)
        finally:
            rec.pop()
        if out is None:
            rec.load_misses[name] += 1
        else:
            rec.load_hits[name] += 1
        return out

    def save_overload(self, sig, data):
        name = disp_name(self)
        rec.push("save", name)
        try:
            return save0(self, sig, data)
        finally:
            rec.pop()
            rec.saves[name] += 1

    def timed(cls, meth, step):
        orig = getattr(cls, meth)

        def wrapper(self, *a, **k):
            rec.push("llvm", step)
            try:
                return orig(self, *a, **k)
            finally:
                rec.pop()

        setattr(cls, meth, wrapper)

    # the LLVM side of a compile: each library links in its callees' modules (as linkonce_odr)
    # and optimises and emits machine code for all of it
    lib = codegen.CPUCodeLibrary
    timed(lib, "_optimize_functions", "function passes (own IR)")
    timed(lib, "_optimize_final_module", "module passes (linked module)")
    timed(lib, "_finalize_final_module", "machine code (MCJIT)")
    timed(lib, "_get_module_for_linking", "module for linking (clone)")
    timed(lib, "serialize_using_object_code", "serialise for the cache")

    caching.Cache.load_overload = load_overload
    caching.Cache.save_overload = save_overload
    # a Cache is not its dispatcher: name it after its function
    caching.Cache.py_func = property(lambda self: self._py_func)


def norm_type(t):
    """A type with the differences that are usually accidental removed."""
    from numba.core import types

    if isinstance(t, types.Literal):
        t = t.literal_type
    if isinstance(t, types.Array):
        return f"array({norm_type(t.dtype)}, {t.ndim}d)"
    if isinstance(t, types.Integer):
        return "int"
    if isinstance(t, types.BaseTuple):
        return "(" + ", ".join(norm_type(x) for x in t) + ")"
    if isinstance(t, types.Optional):
        return f"optional({norm_type(t.type)})"
    return str(t)


def duplicates(rec):
    out = []
    for name, sigs in rec.sigs.items():
        uniq = list(dict.fromkeys(sigs))
        groups = defaultdict(list)
        for s in uniq:
            groups[tuple(norm_type(t) for t in s)].append(s)
        for key, members in groups.items():
            if len(members) < 2:
                continue
            diffs = []
            for i in range(len(members[0])):
                vals = [str(m[i]) for m in members]
                if len(set(vals)) > 1:
                    diffs.append(f"arg {i}: " + " | ".join(
                        f"{v} (from {', '.join(sorted(rec.callers[(name, m)]))})"
                        for v, m in zip(vals, members)))
            cost = sum(rec.compile_self[(name, s)] for s in members)
            extra = cost - min(rec.compile_self[(name, s)] for s in members)
            out.append((extra, name, len(members), diffs))
    return sorted(out, reverse=True)


def is_parallel(d):
    return bool(getattr(d, "targetoptions", {}).get("parallel"))


def report(rec, top, show_sigs):
    rows = defaultdict(lambda: [0, 0.0, 0.0, 0.0, 0.0, 0])
    for (name, sig), s in rec.compile_self.items():
        rows[name][1] += s
    for (name, sig), s in rec.compile_incl.items():
        rows[name][2] += s
    for name, sigs in rec.sigs.items():
        rows[name][0] = len(set(sigs))
    for name, s in rec.load.items():
        rows[name][3] += s
        rows[name][5] = rec.load_hits[name]
    for name, s in rec.save.items():
        rows[name][4] += s
    total_self = sum(r[1] for r in rows.values())
    print(f"\n-- per kernel (sorted by self compile s; total self {total_self:.2f} s; "
          f"'P' = parallel=True) --")
    print(f"{'kernel':<58} {'P':1} {'sigs':>4} {'self s':>7} {'share':>6} {'llvm s':>7} "
          f"{'incl s':>7} {'loads':>5} {'load s':>7} {'save s':>7}")
    for name, (n, s, inc, ld, sv, hits) in sorted(rows.items(), key=lambda kv: -kv[1][1])[:top]:
        d = rec.dispatchers.get(name)
        p = "P" if d is not None and is_parallel(d) else ""
        share = s / total_self if total_self else 0.0
        llvm = rec.llvm_by_kernel.get(name, 0.0)
        print(f"{name[:58]:<58} {p:1} {n:>4} {s:7.2f} {share:6.1%} {llvm:7.2f} {inc:7.2f} {hits:>5} "
              f"{ld:7.3f} {sv:7.3f}")
    rest = sorted(rows.items(), key=lambda kv: -kv[1][1])[top:]
    if rest:
        print(f"... {len(rest)} more, {sum(r[1] for _, r in rest):.2f} s self in all")
    n_sig = sum(r[0] for r in rows.values())
    n_par = sum(1 for name in rows if rec.dispatchers.get(name) is not None
                and is_parallel(rec.dispatchers[name]))
    par_s = sum(r[1] for name, r in rows.items() if rec.dispatchers.get(name) is not None
                and is_parallel(rec.dispatchers[name]))
    print(f"{len(rows)} kernels, {n_sig} specialisations compiled; {n_par} parallel kernels: "
          f"{par_s:.2f} s self ({par_s / total_self if total_self else 0:.1%})")

    print("\n-- entry points (compiled from Python; inclusive s, callees compiled for it "
          "included) --")
    for (name, sig), t in sorted(rec.roots.items(), key=lambda kv: -kv[1]):
        print(f"{name[:70]:<70} {t:7.2f}")

    print("\n-- Numba's own functions (not glassworks'), by the kernels that needed them --")
    lib = defaultdict(float)
    for name, r in rows.items():
        if name.startswith("numba."):
            for parent in rec.parents.get(name, ()) or {"(from Python)"}:
                lib[(parent, name)] += r[1] / max(len(rec.parents.get(name, ())), 1)
    for (parent, name), t in sorted(lib.items(), key=lambda kv: -kv[1])[:20]:
        print(f"{parent[:40]:<40} -> {name[:60]:<60} {t:6.2f}")
    print(f"all of Numba's own functions: {sum(lib.values()):.2f} s self")

    print("\n-- LLVM steps (self s, all kernels; 'machine code' of a load is the loading) --")
    tot = sum(rec.llvm_self.values())
    for name, s in sorted(rec.llvm_self.items(), key=lambda kv: -kv[1]):
        print(f"{name:<50} {s:7.2f} {s / tot if tot else 0:6.1%}")

    print("\n-- Numba compiler passes (self s, all kernels; LLVM steps excluded) --")
    tot = sum(rec.pass_self.values())
    for name, s in sorted(rec.pass_self.items(), key=lambda kv: -kv[1])[:15]:
        print(f"{name:<50} {s:7.2f} {s / tot if tot else 0:6.1%}")

    dups = duplicates(rec)
    print("\n-- likely accidental duplicate specialisations (same types up to layout, "
          "writeability, literal, int width) --")
    if not dups:
        print("none")
    for extra, name, n, diffs in dups:
        print(f"{name}: {n} specialisations, {extra:.2f} s beyond the cheapest; "
              + "; ".join(diffs))

    if show_sigs:
        print("\n-- signatures --")
        for name, sigs in sorted(rec.sigs.items()):
            for s in dict.fromkeys(sigs):
                print(f"{name} {rec.compile_self[(name, s)]:7.2f} s: "
                      f"({', '.join(str(t) for t in s)})")


def serial_variants(rec):
    from numba import njit

    print("\n-- parallel=True kernels: compile time of a copy, parallel vs serial "
          "(cache=False, callees already compiled) --")
    print(f"{'kernel':<50} {'sig':>3} {'parallel s':>10} {'serial s':>9} {'saved s':>8}")
    tp = ts = 0.0
    for name, d in sorted(rec.dispatchers.items()):
        if not is_parallel(d):
            continue
        opts = {k: v for k, v in d.targetoptions.items()
                if k not in ("cache", "parallel", "nopython")}
        for i, sig in enumerate(dict.fromkeys(rec.sigs[name])):
            res = []
            for par in (True, False):
                copy = njit(cache=False, parallel=par, **opts)(d.py_func)
                t0 = time.perf_counter()
                copy.compile(sig)
                res.append(time.perf_counter() - t0)
            tp += res[0]
            ts += res[1]
            print(f"{name[:50]:<50} {i:>3} {res[0]:10.2f} {res[1]:9.2f} {res[0] - res[1]:8.2f}")
    print(f"{'all':<50} {'':>3} {tp:10.2f} {ts:9.2f} {tp - ts:8.2f}")


def fingerprint(*objs):
    """sha256 of every array and number reachable from ``objs`` (attributes, lists, dicts):
    two runs with the same fingerprint fitted bit-for-bit the same models and outputs."""
    import hashlib

    import numpy as np

    h = hashlib.sha256()
    seen = set()

    def walk(o, depth=0):
        if depth > 8 or id(o) in seen:
            return
        seen.add(id(o))
        if isinstance(o, np.ndarray):
            if o.dtype != object:
                h.update(f"{o.dtype}{o.shape}".encode())
                h.update(np.ascontiguousarray(o).tobytes())
            else:
                for x in o.ravel():
                    walk(x, depth + 1)
        elif isinstance(o, (bool, int, float, str, bytes, np.generic)) or o is None:
            h.update(repr(o).encode())
        elif isinstance(o, dict):
            for k in sorted(o, key=repr):
                h.update(repr(k).encode())
                walk(o[k], depth + 1)
        elif isinstance(o, (list, tuple)):
            for x in o:
                walk(x, depth + 1)
        elif hasattr(o, "__dict__") and type(o).__module__.startswith(("glassworks", "sklearn")):
            walk({k: v for k, v in vars(o).items() if not k.startswith("__")}, depth + 1)

    for o in objs:
        walk(o)
    return h.hexdigest()[:16]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workloads", nargs="*", default=["tree"],
                   help="figures of bench_coldstart.py, run in this order (default: tree)")
    p.add_argument("--cache-dir", default=None,
                   help="NUMBA_CACHE_DIR (default: a new empty temporary folder)")
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--sigs", action="store_true", help="print every signature")
    p.add_argument("--serial-variants", action="store_true")
    p.add_argument("--fingerprint", action="store_true",
                   help="print a hash of each workload's fitted model, predictions and "
                        "explanations (the same hash: bit-for-bit the same results)")
    p.add_argument("--cprofile", type=int, default=0, metavar="N",
                   help="also print the N functions of most cumulative time (cProfile)")
    args = p.parse_args(argv)

    if "numba" in sys.modules:
        raise SystemExit("numba was imported before NUMBA_CACHE_DIR could be set")
    tmp = None
    if args.cache_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="gw-profile-")
        args.cache_dir = tmp.name
    os.environ["NUMBA_CACHE_DIR"] = str(args.cache_dir)
    filled = any(Path(args.cache_dir).rglob("*.nbi"))
    print(f"NUMBA_CACHE_DIR={args.cache_dir} ({'filled' if filled else 'empty'}); "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    from bench_coldstart import FIGURES

    t_imp = time.perf_counter()
    c_imp = _cpu()
    import numba  # noqa: F401  (timed here: the workloads then see it imported)

    rec = Recorder()
    install(rec)
    print(f"import numba + recorder: {time.perf_counter() - t_imp:.2f} s wall, "
          f"{_cpu() - c_imp:.2f} s cpu")

    phases = []
    prints = []

    def run(name):
        last = [time.perf_counter(), _cpu(), rec.snapshot()]

        def mark(phase):
            now, cpu, snap = time.perf_counter(), _cpu(), rec.snapshot()
            d = {k: snap[k] - last[2][k] for k in snap}
            phases.append((name, phase, now - last[0], cpu - last[1], d))
            last[:] = [now, cpu, snap]

        out_dir = tempfile.mkdtemp(prefix="gw-profile-out-")
        g = {"mark": mark, "BENCH_DIR": str(Path(__file__).resolve().parent),
             "OUT_HTML": os.path.join(out_dir, "report.html"), "__name__": "__workload__"}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(FIGURES[name]["ours"], f"<{name}>", "exec"), g)
        if args.fingerprint and "m" in g:
            expl = g.get("expl")
            prints.append((name, fingerprint(g["m"]), fingerprint(g.get("pred")),
                           fingerprint(getattr(expl, "values", expl))))

    prof = None
    if args.cprofile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t_all = time.perf_counter()
    for name in args.workloads:
        run(name)
    t_all = time.perf_counter() - t_all
    if prof is not None:
        prof.disable()

    print("\n-- per workload and phase (s; compile = compile + passes self, the rest is the "
          "work itself, imports and Python) --")
    print(f"{'workload':<8} {'phase':<18} {'wall':>7} {'cpu':>7} {'compile':>8} {'n comp':>6} "
          f"{'load':>7} {'n load':>6} {'save':>6} {'rest':>7}")
    for name, phase, wall, cpu, d in phases:
        rest = wall - d["compile"] - d["load"] - d["save"]
        print(f"{name:<8} {phase:<18} {wall:7.2f} {cpu:7.2f} {d['compile']:8.2f} "
              f"{d['n_compiled']:>6} {d['load']:7.3f} {d['n_loaded']:>6} {d['save']:6.2f} "
              f"{rest:7.2f}")
    s = rec.snapshot()
    print(f"{'all':<27} {t_all:7.2f} {'':>7} {s['compile']:8.2f} {s['n_compiled']:>6} "
          f"{s['load']:7.3f} {s['n_loaded']:>6} {s['save']:6.2f}")
    if prints:
        print("\n-- fingerprints (sha256 of the fitted model / predictions / explanations) --")
        for name, fm, fp, fe in prints:
            print(f"{name:<8} model {fm}  predict {fp}  explain {fe}")
    report(rec, args.top, args.sigs)
    if args.serial_variants:
        serial_variants(rec)
    if prof is not None:
        import pstats

        print(f"\n-- cProfile: top {args.cprofile} by cumulative time --")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.cprofile)
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
