"""randomization: exact TreeSHAP changes with the randomised models; explainers that ignore
the model (the input itself, a fixed vector) or say nothing (zeros) fail."""

import numpy as np

from glassworks import DecisionTreeClassifier
from glassworks.comparator.use_cases import randomization as rz
from use_case_helpers import audited, by_explainer, fixed_attr, input_attr, zero_attr


def test_sanity_check_on_a_tree():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 6))
    y = ((X[:, 0] > 0) & (X[:, 2] > -0.5)).astype(int)
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    st, ctx = audited(model, X[:30], X[100:200],
                      ["tree_shap", ("input", input_attr, "interventional_shap"),
                       ("fixed", fixed_attr, "interventional_shap"),
                       ("zero", zero_attr, "interventional_shap")], random_state=0)
    r = by_explainer(rz.run(st, ctx))
    assert r["tree_shap"]["truth"].startswith("the exact values change")
    for name in ("tree_shap", "exact:interventional_shap"):
        assert r[name]["correct"] is True, r[name]["answer"]
        assert r[name]["score"] < rz.MAX_SIMILARITY
    for name in ("input", "fixed", "zero"):
        assert r[name]["correct"] is False, r[name]["answer"]
        assert r[name]["score"] == 1.0
    assert "leaves" in r["tree_shap"]["answer"] and "label refit" in r["tree_shap"]["answer"]
    for row in r.values():
        assert row["ci_low"] <= row["score"] <= row["ci_high"]


def test_randomised_tree_is_a_valid_tree():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 3))
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    t = rz.randomize_tree(model.tree_, "all splits", X, rng, True)
    leaf = t.children_left < 0
    assert np.allclose(t.value[:, 0, :].sum(axis=1), 1.0)
    assert (t.weighted_n_node_samples > 0).all()
    assert not np.array_equal(t.feature[~leaf], model.tree_.feature[~leaf]) or \
        not np.array_equal(t.threshold[~leaf], model.tree_.threshold[~leaf])
    assert model.tree_.value[leaf].sum() > 0  # the original is untouched
    m = rz.RandomizedTrees([t], model.classes_, 3)
    assert np.allclose(m.predict_proba(X).sum(axis=1), 1.0)
