"""Metrics of the audit: each checked on cases whose answer is known."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from glassworks.comparator import metrics as M

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, 6, elements=finite))
def test_perfect_attribution_scores_perfectly(t):
    if np.ptp(t) < 1e-6:
        return
    assert M.error(t.copy(), t) == pytest.approx(0.0, abs=1e-12)
    assert M.rank_corr(t.copy(), t) == pytest.approx(1.0)
    for k in (1, 3, 6):
        # ties in the truth: any of its tied features is right, so a copy scores 1
        assert M.topk_agreement(t, t, k) == pytest.approx(1.0)
        assert M.sign_agreement(t, t, k) == pytest.approx(1.0)
        assert M.rank_agreement(t, t, k) == pytest.approx(1.0)
        pra = M.pairwise_rank_agreement(t, t, k)
        assert np.isnan(pra) or pra == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, 6, elements=finite), arrays(np.float64, 6, elements=finite),
       st.permutations(range(6)), st.integers(1, 6))
def test_scores_do_not_depend_on_feature_order(a, t, perm, k):
    # ties are not broken by feature index: relabelling the features changes nothing
    p = np.asarray(perm)
    for fn in (M.topk_agreement, M.sign_agreement, M.rank_agreement,
               M.pairwise_rank_agreement):
        x, y = fn(a, t, k), fn(a[p], t[p], k)
        assert (np.isnan(x) and np.isnan(y)) or x == pytest.approx(y), fn.__name__
    x, y = M.recall_at_k(a, [0, 1]), M.recall_at_k(a[p], np.argsort(p)[[0, 1]])
    assert x == pytest.approx(y)


def test_all_zero_attribution_scores_no_better_than_chance():
    t = np.array([3.0, -2.0, 1.0, 0.0, 0.0, 0.0])
    z = np.zeros(6)
    # today's index tie-break gave an all-zero vector topk 1.0 here (features 0..2 first)
    assert M.topk_agreement(z, t, 3) == pytest.approx(0.5)  # 3 of 6 picked at random
    assert M.sign_agreement(z, t, 3) == 0.0  # sign(0) matches no non-zero truth
    assert M.rank_agreement(z, t, 3) == pytest.approx(1 / 6)
    assert M.pairwise_rank_agreement(z, t, 3) == 0.5
    assert M.recall_at_k(z, [0, 1, 2]) == pytest.approx(0.5)
    assert np.isnan(M.rank_corr(z, t)) and M.WORST["rank_corr"] == -1.0
    assert np.isnan(M.dummy_mass(z, t == 0)) and M.WORST["dummy_mass"] == 1.0


def test_truth_support_limits_k():
    # one non-zero truth value: k' = 1, whatever k
    t = np.array([0.0, 5.0, 0.0, 0.0])
    a = np.array([0.1, 4.0, 0.3, 0.2])
    assert M.topk_agreement(a, t, 3) == 1.0
    assert M.sign_agreement(-a, t, 3) == 0.0
    assert M.truth_leaves_undefined("topk_agreement", np.zeros(4), 3)
    assert M.truth_leaves_undefined("rank_corr", np.ones(4), 3)
    assert not M.truth_leaves_undefined("rank_corr", t, 3)


def test_error_is_relative_l2():
    t = np.array([3.0, 4.0])
    assert M.error(np.zeros(2), t) == pytest.approx(1.0)
    assert M.error(np.array([3.0, 0.0]), t) == pytest.approx(4.0 / 5.0)


def test_error_floor_is_scale_relative():
    # a truth of 1e-9 against 0.01 gave 1e7; on the scale of the other rows it is 0.1
    T = np.array([[1e-9, 0.0], [1.0, 0.0], [0.0, 1.0]])
    floor = M.floor_of(T, fallback=1.0)
    assert floor == pytest.approx(M.FLOOR * np.sqrt(2 / 3))
    assert M.error(np.array([0.01, 0.0]), T[0], floor) == pytest.approx(0.01 / floor)
    assert M.error(np.array([2.0, 0.0]), T[1], floor) == pytest.approx(1.0)  # floor unused
    assert M.floor_of(np.zeros((3, 2)), fallback=0.5) == 0.5
    assert M.completeness_gap(np.array([0.01]), fx=1.0, reference=1.0, floor=0.1) == (
        pytest.approx(0.1))


def test_rank_corr_reversed_is_minus_one():
    t = np.arange(5.0)
    assert M.rank_corr(-t, t) == pytest.approx(-1.0)
    assert np.isnan(M.rank_corr(np.ones(5), t))


def test_openxai_agreements_at_k():
    t = np.array([5.0, -4.0, 3.0, 0.1, 0.0])
    a = np.array([-5.0, 3.0, 4.0, 0.0, 0.2])
    # top-2 of t: {0, 1}; top-2 of a: {0, 2}
    assert M.topk_agreement(a, t, 2) == 0.5
    # feature 0 is in both but its sign differs
    assert M.sign_agreement(a, t, 2) == 0.0
    # positions: t -> [0, 1], a -> [0, 2]
    assert M.rank_agreement(a, t, 2) == 0.5
    # pairs among t's top 3 {0,1,2}: (0,1) agree, (0,2) agree, (1,2) disagree
    assert M.pairwise_rank_agreement(a, t, 3) == pytest.approx(2 / 3)


def test_roundoff_does_not_break_ties():
    t = np.array([2.0, 1.0, 0.0, 0.0])
    a = np.array([2.0, 1.0, 1e-17, -1e-17])
    assert M.rank_corr(a, t) == pytest.approx(1.0)
    assert M.sign_agreement(a, t, 4) == 1.0


def test_dummy_mass_and_completeness():
    dummy = np.array([False, True, True])
    assert M.dummy_mass(np.array([1.0, 1.0, 2.0]), dummy) == pytest.approx(0.75)
    assert M.dummy_mass(np.array([1.0, 0.0, 0.0]), dummy) == 0.0
    assert M.completeness_gap(np.array([1.0, 1.0]), fx=3.0, reference=1.0) == 0.0
    assert M.completeness_gap(np.array([1.0, 0.0]), fx=3.0, reference=1.0) == 0.5
    assert M.completeness_gap(np.array([0.0]), fx=1.0, reference=1.0) == 0.0
    assert np.isnan(M.completeness_gap(np.array([1.0]), fx=1.0, reference=1.0))


def test_recall_at_k():
    a = np.array([0.1, 5.0, 0.2, 3.0])
    assert M.recall_at_k(a, [1, 3]) == 1.0
    assert M.recall_at_k(a, [0, 1]) == 0.5


def test_neighbourhood_fidelity_zero_for_the_true_linear_model():
    w = np.array([1.0, -2.0])
    f = lambda Z: Z @ w + 0.5  # noqa: E731
    rng = np.random.default_rng(0)
    out = M.neighbourhood_fidelity(f, np.array([0.3, 0.1]), w, 0.5, np.ones(2), (0.1, 1.0),
                                   50, rng)
    assert np.allclose(out, 0.0, atol=1e-12)
    out = M.neighbourhood_fidelity(f, np.array([0.3, 0.1]), np.zeros(2), 0.5, np.ones(2),
                                   (0.1, 1.0), 200, rng)
    assert out[1] > out[0] > 0


def test_seed_spread_and_bootstrap():
    assert M.seed_spread(np.ones((3, 4))) == 0.0
    assert M.seed_spread(np.array([[1.0, 0.0], [0.0, 1.0]])) > 0.5
    mean, lo, hi = M.bootstrap_ci(np.arange(100.0), random_state=0)
    assert mean == pytest.approx(49.5)
    assert lo < mean < hi
    assert M.bootstrap_ci(np.arange(100.0), random_state=0) == (mean, lo, hi)
    assert all(np.isnan(M.bootstrap_ci([np.nan])))
