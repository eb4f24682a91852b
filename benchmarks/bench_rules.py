"""Rule lists: certified COMPAS optima, and accuracy / fit time against imodels and sklearn.

Usage::

    python benchmarks/bench_rules.py [--data ../shared/data] [--repeats 3] [--quick]

Part 1 (needs ``compas/compas_train.out``): the optimal search on CORELS's own 155 COMPAS
antecedents at lam = 0.015, 0.01 (certify) and 0.005 (within a time budget). Each run is a fresh
subprocess, so its peak RSS is its own. The C++ CORELS could not be built here (the PyPI
package ``corels`` 1.1.29 fails to build with numpy 2), so its times are the reference numbers
of a build on a machine like ours (1.4 s at 0.015, 29.5 s at 0.01, 50 MB), printed as such.

Part 2: greedy and optimal lists vs imodels' ``GreedyRuleListClassifier`` and a scikit-learn
tree with as many leaves as our greedy list has rules: test accuracy and fit time (median of
``--repeats`` timings, at least 15 on the small sets, each after one untimed warm-up call, all
in this process) on COMPAS (our models on the raw categorical CSV, the peers on the one-hot
CSV, so our time includes encoding the strings and theirs none; a second line also times
imodels from the same raw CSV, with the ``pd.get_dummies`` it needs), breast cancer and
make_classification(100k x 20).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

CORELS_REFERENCE = {0.015: (1.4, 0.37797), 0.01: (29.5, 0.36797)}
CORELS_MEMORY_MB = 50


def read_bits(path):
    names, rows = [], []
    with open(path) as fh:
        for line in fh:
            parts = line.split()
            names.append(parts[0])
            rows.append(np.array(parts[1:], dtype=np.uint8))
    return names, np.array(rows, dtype=bool).T


def compas_out(data):
    names, B = read_bits(data / "compas" / "compas_train.out")
    lnames, L = read_bits(data / "compas" / "compas_train.label")
    y = L[:, lnames.index("{recidivate-within-two-years:Yes}")].astype(int)
    return pd.DataFrame(B, columns=names), y


def one_compas_run(data, lam, time_limit, queue):
    """Child process: fit once (after a warm-up that compiles the kernels), print JSON."""
    from glassworks.rules import RuleListClassifier

    X, y = compas_out(data)
    RuleListClassifier(algorithm="optimal", lam=0.05, max_card=1, min_support=0.0).fit(X, y)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    clf = RuleListClassifier(
        algorithm="optimal", lam=lam, max_card=1, min_support=0.0, time_limit=time_limit,
        queue=queue,
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "time": elapsed, "objective": clf.objective_, "lower_bound": clf.lower_bound_,
        "certified": clf.certified_, "rules": [r["text"] for r in clf.rules_[:-1]],
        "peak_rss_mb": rss, "rss_before_fit_mb": rss0, **clf.search_stats_,
    }))


def part1(data, repeats, budget):
    print("=" * 100)
    print("Part 1: certifiably optimal lists on CORELS's 155 COMPAS antecedents (n = 6489)")
    print("=" * 100)
    if not (data / "compas" / "compas_train.out").exists():
        print(f"SKIPPED: {data / 'compas' / 'compas_train.out'} not found")
        return
    runs = [(0.015, None, repeats), (0.01, None, repeats), (0.005, budget, 1)]
    for lam, tl, reps in runs:
        results = []
        for _ in range(reps):
            out = subprocess.run(
                [sys.executable, __file__, "--one-compas", str(lam), "--data", str(data),
                 "--time-limit", str(tl if tl else 0)],
                capture_output=True, text=True, check=True,
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        t = statistics.median(r["time"] for r in results)
        r = results[0]
        print(f"lam={lam}: objective {r['objective']:.5f}  certified={r['certified']}  "
              f"lower bound {r['lower_bound']:.5f}  stopped_by={r['stopped_by']}")
        print(f"   rules: {r['rules']}")
        print(f"   glassworks fit: median {t:.2f} s over {reps} run(s) "
              "(" + ", ".join(f"{x['time']:.2f}" for x in results) + ")")
        print(f"   trie nodes {r['n_nodes']:,}  expansions {r['n_expanded']:,}  "
              f"prefixes evaluated {r['n_evaluated']:,}  max queue {r['max_queue_size']:,}  "
              f"pmap {r['pmap_size']:,}")
        print(f"   peak RSS {r['peak_rss_mb']:.0f} MB (process; {r['rss_before_fit_mb']:.0f} MB "
              f"before this fit)")
        if lam in CORELS_REFERENCE:
            ref_t, ref_obj = CORELS_REFERENCE[lam]
            print(f"   C++ CORELS reference (not run here): {ref_t} s, objective {ref_obj}, "
                  f"{CORELS_MEMORY_MB} MB -> glassworks is {ref_t / t:.1f}x the reference "
                  f"speed")


class Timing(float):
    """A median wall time (the float) that also carries the fastest of the repeats."""

    def __new__(cls, times):
        t = super().__new__(cls, statistics.median(times))
        t.min = min(times)
        return t


def _time(fn, repeats):
    """Median wall time of ``repeats`` calls, after one untimed call (every side warm: our
    kernels are compiled beforehand, and the peers' first call pays their own lazy set-up).

    On a loaded machine a fit of a few milliseconds is either not preempted or preempted
    for a whole scheduler tick (4 ms), so its median can be bimodal; the minimum (``.min``)
    is printed beside it as the unloaded cost, the median stays the headline."""
    out = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return Timing(times), out


def datasets(data, quick):
    from sklearn.datasets import load_breast_cancer, make_classification
    from sklearn.model_selection import train_test_split

    out = {}
    c = data / "compas"
    if (c / "compas_train.csv").exists():
        lab = "recidivate-within-two-years"
        tr, te = pd.read_csv(c / "compas_train.csv"), pd.read_csv(c / "compas_test.csv")
        trb, teb = pd.read_csv(c / "compas_train-binary.csv"), pd.read_csv(c / "compas_test-binary.csv")
        blab = trb.columns[-1]
        out["compas"] = dict(
            ours=(tr.drop(columns=lab), tr[lab].to_numpy(), te.drop(columns=lab), te[lab].to_numpy()),
            peer=(trb.drop(columns=blab).to_numpy(float), trb[blab].to_numpy(),
                  teb.drop(columns=blab).to_numpy(float), teb[blab].to_numpy()),
        )
    bc = load_breast_cancer()
    a, b, c_, d = train_test_split(bc.data, bc.target, test_size=0.25, random_state=0)
    split = (a, c_, b, d)
    out["breast_cancer"] = dict(ours=split, peer=split)
    n = 20_000 if quick else 100_000
    X, y = make_classification(n_samples=n, n_features=20, n_informative=6, random_state=0)
    a, b, c_, d = train_test_split(X, y, test_size=0.2, random_state=0)
    split = (a, c_, b, d)
    out[f"make_classification {n // 1000}k x 20"] = dict(ours=split, peer=split)
    return out


def part2(data, repeats, budget, quick):
    from imodels import GreedyRuleListClassifier
    from sklearn.tree import DecisionTreeClassifier

    from glassworks.rules import RuleListClassifier

    print("=" * 100)
    print("Part 2: accuracy and fit time (median of repeats) vs imodels and a sklearn tree")
    print("=" * 100)
    lam = 0.005
    # compile every kernel once, outside the timings
    Xw = np.random.RandomState(0).rand(200, 3)
    for alg in ("greedy", "optimal"):
        RuleListClassifier(algorithm=alg, lam=0.05).fit(Xw, (Xw[:, 0] > 0.5).astype(int))
    RuleListClassifier().fit(pd.DataFrame({"c": ["a", "b"] * 100, "x": Xw[:, 0]}), Xw[:, 1] > 0.5)
    for name, d in datasets(data, quick).items():
        Xtr, ytr, Xte, yte = d["ours"]
        Ptr, pytr, Pte, pyte = d["peer"]
        # a small fit takes milliseconds on a shared machine: many repeats for a stable median
        reps = repeats if len(ytr) >= 20_000 else max(repeats, 15)
        rows = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_g, g = _time(lambda: RuleListClassifier(lam=lam).fit(Xtr, ytr), reps)
            rows.append(("glassworks greedy", t_g, g.score(Xte, yte), len(g.rules_) - 1, ""))
            if Ptr is not Xtr:  # also on exactly the peers' (one-hot, numeric) input
                t_g1, g1 = _time(lambda: RuleListClassifier(lam=lam).fit(Ptr, pytr), reps)
                extra_row = ("glassworks greedy (peers' one-hot input)", t_g1,
                             g1.score(Pte, pyte), len(g1.rules_) - 1, "")
            else:
                extra_row = None
            opt_kw = dict(algorithm="optimal", lam=lam, time_limit=budget, max_card=2)
            if "make_classification" in name:
                opt_kw["max_card"] = 1  # 320 single conditions; pairs would be ~50k
            t_o, o = _time(lambda: RuleListClassifier(**opt_kw).fit(Xtr, ytr), 1)
            rows.append((f"glassworks optimal (max_card={opt_kw['max_card']}, {budget:g} s budget)",
                         t_o, o.score(Xte, yte), len(o.rules_) - 1,
                         f"certified={o.certified_} obj={o.objective_:.4f} lb={o.lower_bound_:.4f} "
                         f"stopped_by={o.search_stats_.get('stopped_by')}"))
            t_i, im = _time(lambda: GreedyRuleListClassifier(max_depth=5).fit(Ptr, pytr), reps)
            acc_i = float(np.mean(im.predict(Pte) == pyte))
            rows.append(("imodels GreedyRuleList (max_depth=5)", t_i, acc_i, None, ""))
            leaves = max(2, len(g.rules_))
            t_s, sk = _time(
                lambda: DecisionTreeClassifier(max_leaf_nodes=leaves, random_state=0).fit(Ptr, pytr),
                reps,
            )
            if Ptr is not Xtr:
                # the same raw input for both: imodels timed with the one-hot encoding it needs
                def encode_and_fit():
                    P = pd.get_dummies(Xtr).to_numpy(float)
                    return GreedyRuleListClassifier(max_depth=5).fit(P, ytr)

                t_i_raw, _ = _time(encode_and_fit, reps)
            else:
                t_i_raw = None
            rows.append((f"sklearn tree (max_leaf_nodes={leaves})", t_s, sk.score(Pte, pyte), None, ""))
        if extra_row is not None:
            rows.append(extra_row)
            print_extra = f"  greedy on the one-hot input vs imodels: accuracy " \
                f"{extra_row[2] - acc_i:+.4f}, fit {t_i / extra_row[1]:.1f}x faster"
        else:
            print_extra = None
        print(f"\n{name}: n_train={len(ytr)}, n_test={len(yte)}, lam={lam}, fit times median of "
              f"{reps} (optimal: 1); load average {os.getloadavg()[0]:.1f}")
        # milliseconds: a small fit takes a fraction of one
        print(f"  {'model':<52} {'fit (ms)':>10} {'min (ms)':>10} {'test acc':>9} {'rules':>6}")
        for label, t, acc, nr, note in rows:
            print(f"  {label:<52} {1e3 * t:>10.3f} {1e3 * t.min:>10.3f} {acc:>9.4f} "
                  f"{'' if nr is None else nr:>6} {note}")
        print(f"  greedy vs imodels: accuracy {rows[0][2] - acc_i:+.4f}, fit {t_i / t_g:.1f}x "
              f"faster (by the fastest repeats: {t_i.min / t_g.min:.1f}x);")
        print(f"  greedy vs sklearn tree: accuracy {rows[0][2] - rows[3][2]:+.4f}, fit "
              f"{rows[3][1] / t_g:.2f}x")
        if print_extra:
            print(print_extra)
        if t_i_raw is not None:
            print(f"  same raw CSV for both (imodels timed with pd.get_dummies + fit, "
                  f"{1e3 * t_i_raw:.3f} ms): greedy fit {t_i_raw / t_g:.1f}x faster (fastest "
                  f"repeats: {t_i_raw.min / t_g.min:.1f}x)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--budget", type=float, default=60.0, help="time_limit of budgeted searches")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--part", choices=["1", "2", "all"], default="all")
    ap.add_argument("--one-compas", type=float, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--time-limit", type=float, default=0.0, help=argparse.SUPPRESS)
    ap.add_argument("--queue", default="lower_bound")
    args = ap.parse_args()
    data = Path(args.data)
    if args.one_compas is not None:
        one_compas_run(data, args.one_compas, args.time_limit or None, args.queue)
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start "
          "(the machine is shared: absolute times vary with load, ratios less so)")
    if args.part in ("1", "all"):
        part1(data, args.repeats, args.budget)
    if args.part in ("2", "all"):
        part2(data, args.repeats, min(args.budget, 30.0), args.quick)


if __name__ == "__main__":
    main()
