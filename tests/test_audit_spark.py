"""audit(engine="spark") gives the same numbers as the local engine for the same seed."""


import numpy as np
import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (glassworks[spark])")

import glassworks as gw  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

TIMING = {"seconds", "model_calls"}




def _comparable(report):
    df = report.per_instance
    df = df[~df["metric"].isin(TIMING)]
    return df.sort_values(["explainer", "metric", "instance"]).reset_index(drop=True)


def test_spark_engine_matches_local(spark):
    sc = gw.make_scenario("proxy", n_samples=300, random_state=0)
    X, y = sc.X, sc.y
    model = gw.DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y)
    kwargs = dict(
        background=X[:40],
        explainers=["kernel_shap", "lime", "tree_shap"],
        random_state=3,
    )
    local = gw.audit(model, X[:7], **kwargs)
    remote = gw.audit(model, X[:7], engine="spark", spark=spark, **kwargs)
    a, b = _comparable(local), _comparable(remote)
    assert len(a) > 0 and list(a.columns) == list(b.columns)
    assert (a[["explainer", "metric", "instance"]] == b[["explainer", "metric", "instance"]]).all().all()
    np.testing.assert_allclose(a["value"].to_numpy(), b["value"].to_numpy(), rtol=1e-12, atol=1e-12)
    assert not remote.failures


def test_unknown_engine_is_a_clear_error():
    sc = gw.make_scenario("proxy", n_samples=50, random_state=0)
    X, y = sc.X, sc.y
    model = gw.DecisionTreeRegressor(max_depth=2).fit(X, y)
    with pytest.raises(ValueError, match="engine"):
        gw.audit(model, X[:2], explainers=["tree_shap"], engine="dask")
