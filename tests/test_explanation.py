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


def test_repr_shows_method_estimand_base_and_top_features_bounded():
    rng = np.random.default_rng(1)
    n, d = 1000, 400
    values = rng.normal(size=(n, d)) * 0.01
    values[0, 123] = 5.0  # the largest attribution of sample 0
    e = Explanation(values=values, base_values=np.full(n, 2.5), data=rng.normal(size=(n, d)),
                    feature_names=[f"feat{j}" for j in range(d)], method="tree_shap_path",
                    estimand="path_shap")
    text = repr(e)
    assert str(e) == text
    assert "tree_shap_path" in text and "path_shap" in text
    assert "1000 samples x 400 features" in text
    assert "base value: 2.5 (every sample)" in text
    # sample 0's block lists feat123 first, with its value and data
    block = text.split("sample 0:")[1].split("sample 1:")[0]
    first = block.splitlines()[2].split()
    assert first[0] == "feat123" and float(first[1]) == 5.0
    assert float(first[2]) == pytest.approx(e.data[0, 123], rel=1e-3)
    # base + sum of values = output, as printed
    assert f"= {float(e.output()[0]):.4g}" in block
    assert "... 395 more features" in block and "... 997 more samples" in text
    assert len(text.splitlines()) < 40 and len(text) < 3000


def test_repr_of_3d_and_local_slopes():
    e = _expl(k=7, n=2, d=3)
    text = repr(e)
    assert "x 7 outputs" in text and "[c0]" in text and "[c2]" in text and "[c3]" not in text
    assert "(outputs 4 to 7 not shown)" in text
    slopes = Explanation(values=np.array([[2.0, 0.0]]), base_values=np.array([1.0]),
                         data=np.array([[3.0, 4.0]]), feature_names=["a", "b"],
                         method="maple", estimand="local_slope")
    text = repr(slopes)
    assert "intercept 1, prediction 7" in text and "sum" not in text
