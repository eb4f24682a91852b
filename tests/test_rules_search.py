"""The optimal rule-list search against an exhaustive enumeration, and CORELS's COMPAS optimum."""

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glassworks.rules._classes import RuleListClassifier

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "compas"


def brute_force_objective(B, y, w, lam, k):
    """Smallest objective over every ordered list of distinct antecedents (columns of B)."""
    n, m = B.shape
    W = w.sum()
    onehot = np.eye(k)[y] * w[:, None]

    def default_mistakes(mask):
        counts = onehot[mask].sum(axis=0)
        return counts.sum() - counts.max()

    everything = np.ones(n, dtype=bool)
    best = default_mistakes(everything) / W
    # a list of K rules costs at least lam * K, so longer lists cannot win
    max_len = min(m, int(np.floor(best / lam)) if lam > 0 else m)
    for length in range(1, max_len + 1):
        for perm in itertools.permutations(range(m), length):
            remaining = everything.copy()
            mistakes = 0.0
            for a in perm:
                cap = remaining & B[:, a]
                counts = onehot[cap].sum(axis=0)
                mistakes += counts.sum() - counts.max()
                remaining &= ~cap
            obj = (mistakes + default_mistakes(remaining)) / W + lam * length
            best = min(best, obj)
    return best


def _problem(seed, n, m, k, weights):
    rng = np.random.RandomState(seed)
    B = rng.rand(n, m) < rng.uniform(0.15, 0.6, size=m)
    # labels that depend on the antecedents, plus noise, so that short lists matter
    score = B @ rng.randn(m)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, k + 1)[1:-1]))
    flip = rng.rand(n) < 0.15
    y[flip] = rng.randint(0, k, size=flip.sum())
    if weights == "unit":
        w = np.ones(n)
    elif weights == "int":
        w = rng.randint(1, 4, size=n).astype(float)
    else:
        w = rng.uniform(0.2, 2.0, size=n)
    return B, y, w


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("weights", ["unit", "int", "float"])
@pytest.mark.parametrize("seed", range(4))
def test_optimal_matches_exhaustive_enumeration(seed, weights, k):
    B, y, w = _problem(seed + 10 * k, n=60, m=6, k=k, weights=weights)
    lam = [0.02, 0.05, 0.1, 0.01][seed]
    X = pd.DataFrame(B, columns=[f"a{j}" for j in range(B.shape[1])])
    clf = RuleListClassifier(algorithm="optimal", lam=lam, max_card=1, min_support=0.0)
    clf.fit(X, y, sample_weight=None if weights == "unit" else w)
    truth = brute_force_objective(B, y, w, lam, k)
    assert clf.certified_
    assert clf.objective_ == pytest.approx(truth, abs=1e-12)
    assert clf.lower_bound_ == pytest.approx(truth, abs=1e-12)
    # the list itself achieves the objective it reports
    pred = clf.predict(X)
    err = np.sum(w * (pred != y)) / w.sum()
    assert err + lam * (len(clf.rules_) - 1) == pytest.approx(truth, abs=1e-12)


@pytest.mark.parametrize("queue", ["lower_bound", "curiosity"])
def test_queue_policies_agree(queue):
    B, y, _ = _problem(3, n=80, m=7, k=3, weights="unit")
    X = pd.DataFrame(B, columns=[f"a{j}" for j in range(B.shape[1])])
    clf = RuleListClassifier(
        algorithm="optimal", lam=0.02, max_card=1, min_support=0.0, queue=queue
    ).fit(X, y)
    assert clf.certified_
    assert clf.objective_ == pytest.approx(brute_force_objective(B, y, np.ones(80), 0.02, 3))


def test_greedy_never_beats_the_certified_optimum():
    rng = np.random.RandomState(5)
    X = rng.rand(400, 4)
    y = ((X[:, 0] > 0.6) ^ (X[:, 1] < 0.3)).astype(int) + (X[:, 2] > 0.8)
    for lam in (0.005, 0.02):
        opt = RuleListClassifier(algorithm="optimal", lam=lam, max_card=1, n_cuts=4).fit(X, y)
        gre = RuleListClassifier(algorithm="greedy", lam=lam, max_card=1, n_cuts=4).fit(X, y)
        assert opt.certified_
        assert opt.objective_ <= gre.objective_ + 1e-12


def test_budget_stops_search_and_says_so():
    B, y, _ = _problem(1, n=300, m=14, k=2, weights="unit")
    X = pd.DataFrame(B, columns=[f"a{j}" for j in range(B.shape[1])])
    full = RuleListClassifier(algorithm="optimal", lam=0.001, max_card=1, min_support=0.0)
    full.fit(X, y)
    cut = RuleListClassifier(
        algorithm="optimal", lam=0.001, max_card=1, min_support=0.0, max_nodes=30
    )
    with pytest.warns(UserWarning, match="max_nodes"):
        cut.fit(X, y)
    assert full.certified_ and not cut.certified_
    assert cut.search_stats_["stopped_by"] == "max_nodes"
    # the proven lower bound brackets the true optimum, the best list found is above it
    assert cut.lower_bound_ <= full.objective_ + 1e-12
    assert cut.objective_ >= full.objective_ - 1e-12
    timed = RuleListClassifier(
        algorithm="optimal", lam=0.001, max_card=1, min_support=0.0, time_limit=1e-6
    )
    with pytest.warns(UserWarning, match="time_limit"):
        timed.fit(X, y)
    assert not timed.certified_ and timed.search_stats_["stopped_by"] == "time_limit"
    assert timed.lower_bound_ <= full.objective_ + 1e-12 <= timed.objective_ + 2e-12


def _read_bits(path):
    names, rows = [], []
    with open(path) as fh:
        for line in fh:
            parts = line.split()
            names.append(parts[0])
            rows.append(np.array(parts[1:], dtype=np.uint8))
    return names, np.array(rows, dtype=bool).T


def test_compas_corels_optimum():
    if not (DATA / "compas_train.out").exists():
        pytest.skip(f"COMPAS reference data not found at {DATA}")
    names, B = _read_bits(DATA / "compas_train.out")
    label_names, L = _read_bits(DATA / "compas_train.label")
    y = L[:, label_names.index("{recidivate-within-two-years:Yes}")].astype(int)
    X = pd.DataFrame(B, columns=names)
    clf = RuleListClassifier(algorithm="optimal", lam=0.015, max_card=1, min_support=0.0)
    clf.fit(X, y)
    assert clf.certified_
    assert clf.objective_ == pytest.approx(0.37797, abs=5e-6)
    assert [r["text"] for r in clf.rules_] == [
        "{sex:Male,juvenile-crimes:>0}",
        "{priors:>3}",
        "",
    ]
    assert [r["class"] for r in clf.rules_] == [1, 1, 0]
    assert "if {sex:Male,juvenile-crimes:>0} then 1" in str(clf)
