import numpy as np
import pytest

from glassworks import Explanation


def _expl(k=None, n=4, d=3, seed=0):
    rng = np.random.default_rng(seed)
    shape = (n, d) if k is None else (n, d, k)
    base = rng.normal(size=n) if k is None else rng.normal(size=(n, k))
    return Explanation(
        values=rng.normal(size=shape),
        base_values=base,
        data=rng.normal(size=(n, d)),
        feature_names=[f"f{j}" for j in range(d)],
        method="test",
        estimand="path_shap",
        output_names=None if k is None else [f"c{i}" for i in range(k)],
    )


def test_to_frame_round_trips_values_2d():
    e = _expl()
    df = e.to_frame()
    assert list(df.columns) == ["sample", "feature", "value", "data", "base_value"]
    back = df.pivot(index="sample", columns="feature", values="value")[e.feature_names]
    np.testing.assert_array_equal(back.to_numpy(), e.values)
    np.testing.assert_array_equal(
        df.groupby("sample")["base_value"].first().to_numpy(), e.base_values
    )


def test_to_frame_round_trips_values_3d():
    e = _expl(k=2)
    df = e.to_frame()
    assert len(df) == 4 * 3 * 2
    for (s, f, o), v in df.set_index(["sample", "feature", "output"])["value"].items():
        assert v == e.values[s, e.feature_names.index(f), e.output_names.index(o)]
    for (s, o), v in df.groupby(["sample", "output"])["base_value"].first().items():
        assert v == e.base_values[s, e.output_names.index(o)]


def test_output_is_base_plus_sum():
    e = _expl(k=3)
    np.testing.assert_allclose(e.output(), e.base_values + e.values.sum(axis=1))


def test_row_selection_keeps_metadata():
    e = _expl()
    e.extra["weights"] = np.arange(4.0)
    sub = e[[1, 3]]
    np.testing.assert_array_equal(sub.values, e.values[[1, 3]])
    np.testing.assert_array_equal(sub.extra["weights"], [1.0, 3.0])
    assert sub.method == e.method and sub.estimand == e.estimand
    assert len(e[2]) == 1


def test_to_shap_matches():
    shap = pytest.importorskip("shap")
    e = _expl(k=2)
    s = e.to_shap()
    assert isinstance(s, shap.Explanation)
    np.testing.assert_array_equal(s.values, e.values)
    np.testing.assert_array_equal(s.base_values, e.base_values)
    assert list(s.feature_names) == e.feature_names


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(values=np.ones(3)), "2-D or 3-D"),
        (dict(feature_names=["a"]), "feature names"),
        (dict(base_values=np.zeros(5)), "base_values"),
        (dict(estimand="vibes"), "estimand"),
    ],
)
def test_bad_construction_is_a_clear_error(kwargs, match):
    args = dict(
        values=np.ones((2, 3)),
        base_values=np.zeros(2),
        data=np.zeros((2, 3)),
        feature_names=["a", "b", "c"],
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        Explanation(**args)
