"""The brute-force oracles on models whose Shapley values have a closed form."""

import numpy as np
import pytest

from glassworks.shapley import exact_baseline_shapley, exact_interventional_shapley
from glassworks.shapley.brute_force import shapley_from_coalition_values


def test_linear_model_closed_form():
    rng = np.random.default_rng(0)
    d = 6
    coef = rng.normal(size=d)
    X, bg = rng.normal(size=(8, d)), rng.normal(size=(40, d))
    values, base = exact_interventional_shapley(lambda A: A @ coef + 3.0, X, bg)
    np.testing.assert_allclose(values, coef * (X - bg.mean(axis=0)), atol=1e-12)
    assert np.isclose(base, bg.mean(axis=0) @ coef + 3.0)


def test_multi_output_and_batching_do_not_change_the_result():
    rng = np.random.default_rng(1)
    d = 5
    W = rng.normal(size=(d, 3))

    def f(A):  # interactions make every coalition matter
        return np.tanh(A @ W) * A[:, :1]

    X, bg = rng.normal(size=(4, d)), rng.normal(size=(7, d))
    v1, b1 = exact_interventional_shapley(f, X, bg)
    v2, b2 = exact_interventional_shapley(f, X, bg, max_rows=5)  # one coalition a batch
    assert v1.shape == (4, d, 3) and b1.shape == (3,)
    np.testing.assert_allclose(v1, v2, atol=1e-14)
    np.testing.assert_allclose(b1 + v1.sum(axis=1), f(X), atol=1e-12)  # efficiency


def test_baseline_shapley_of_a_product():
    # f = x0 * x1 with baseline 0: the interaction is split equally
    X = np.array([[2.0, 3.0, 7.0]])
    values, base = exact_baseline_shapley(lambda A: A[:, 0] * A[:, 1], X, np.zeros(3))
    np.testing.assert_allclose(values, [[3.0, 3.0, 0.0]], atol=1e-12)
    assert base == 0.0


def test_shapley_axioms_from_coalition_values():
    # a symmetric game: v(S) = |S|^2 -> every player gets d (efficiency d^2 / d)
    d = 4
    v = np.array([bin(c).count("1") ** 2 for c in range(2**d)], dtype=float)
    np.testing.assert_allclose(shapley_from_coalition_values(v, d), np.full(d, d))


def test_errors():
    f = lambda A: A.sum(axis=1)  # noqa: E731
    with pytest.raises(ValueError, match="at most d = 16"):
        exact_interventional_shapley(f, np.zeros((1, 17)), np.zeros((1, 17)))
    with pytest.raises(ValueError, match="background has 2 features"):
        exact_interventional_shapley(f, np.zeros((1, 3)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="empty"):
        exact_interventional_shapley(f, np.zeros((1, 3)), np.zeros((0, 3)))
    with pytest.raises(ValueError, match="one point"):
        exact_baseline_shapley(f, np.zeros((1, 3)), np.zeros((2, 3)))
