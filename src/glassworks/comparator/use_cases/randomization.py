"""Use case ``randomization`` (Adebayo et al., NeurIPS 2018, "Sanity checks for saliency
maps"): does the explanation change when the model is destroyed?

- Randomised models. Trees (trees, forests, the rule list's equivalent tree): a cascade from
  the output side, as Adebayo et al. randomise from the logits down: ``leaves`` (every leaf
  value redrawn: class probabilities from a flat Dirichlet, a regressor's values uniformly in
  the range of its leaves), then ``deep splits`` (also every split in the deeper half of the
  tree: a feature drawn uniformly, a threshold drawn among the data's values of it), then
  ``all splits``. Any model that can be refitted: the data randomisation test, a clone refit
  on the data with the model's own decisions permuted (the audit has no labels).
- Each explainer is re-run on the same rows of every randomised model *with the same seeds*
  as on the model (so a change is the model's doing, not the sampler's).
- Score: the mean over rows of Spearman's rank correlation of |attribution| between the
  model and the *fully* randomised models (``all splits`` and the label refit), with a
  bootstrap interval over rows; the cascade's curve is in the answer. An undefined
  correlation (a constant explanation, e.g. all zeros) counts as 1, unchanged.
- Answer: "changes" if the score is below ``MAX_SIMILARITY``. Truth: the same statistic for
  the exact interventional Shapley values of the randomised models; right if the answer
  agrees with it. The check is necessary, not sufficient: noise that depends on the model
  passes it.
"""

import copy

import numpy as np

from ._common import NotApplicable, ci
from ._truths import abs_spearman, as_local, trees_of

QUESTION = "does the explanation change when the model's parameters are randomised?"
#: Mean |attribution| rank correlation with the randomised models below which it "changes".
MAX_SIMILARITY = 0.5
#: Explained rows re-run on each randomised model.
N_ROWS = 20
FULL = ("all splits", "label refit")


class RandomizedTrees:
    """A model that is the mean of glassworks :class:`~glassworks.tree._tree.Tree` objects
    (the audit reads it as a glassworks forest)."""

    class _Est:
        def __init__(self, tree):
            self.tree_ = tree

    def __init__(self, trees, classes, n_features):
        self.estimators_ = [self._Est(t) for t in trees]
        self.n_features_in_ = n_features
        if classes is not None:
            self.classes_ = np.asarray(classes)

    def _mean(self, Z):
        Z = np.ascontiguousarray(Z, dtype=np.float64)
        return np.mean([e.tree_.predict(Z) for e in self.estimators_], axis=0)

    def predict(self, Z):
        v = self._mean(Z)
        if hasattr(self, "classes_"):
            return self.classes_[np.argmax(v, axis=1)]
        return v[:, 0]

    def __getattr__(self, name):
        if name == "predict_proba" and "classes_" in self.__dict__:
            return self._mean
        raise AttributeError(name)


def _fill_internal(tree, covers):
    cl, cr = tree.children_left, tree.children_right
    for node in range(tree.node_count - 1, -1, -1):  # parents precede their children
        if cl[node] >= 0:
            covers[node] = covers[cl[node]] + covers[cr[node]]
            tree.value[node] = (covers[cl[node]] * tree.value[cl[node]]
                                + covers[cr[node]] * tree.value[cr[node]]) / covers[node]
    tree.weighted_n_node_samples = covers


def randomize_tree(tree, stage, data, rng, is_clf):
    """A copy of ``tree`` randomised up to ``stage`` ("leaves", "deep splits", "all splits")."""
    t = copy.deepcopy(tree)
    leaf = t.children_left < 0
    if is_clf:
        t.value[leaf, 0, :] = rng.dirichlet(np.ones(t.n_outputs), size=leaf.sum())
    else:
        lv = t.value[leaf, 0, 0]
        t.value[leaf, 0, 0] = rng.uniform(lv.min(), lv.max(), size=leaf.sum())
    if stage != "leaves":
        depth = t.compute_node_depths()
        cut = 0 if stage == "all splits" else (int(depth.max()) + 1) // 2
        for node in np.flatnonzero(~leaf & (depth >= cut)):
            j = int(rng.integers(0, data.shape[1]))
            t.feature[node] = j
            t.threshold[node] = float(data[rng.integers(0, len(data)), j])
    # covers from the data (a redrawn split sends the rows elsewhere); never zero
    counts = np.asarray(t.decision_path(data).sum(axis=0), dtype=np.float64).ravel()
    _fill_internal(t, np.where(leaf, counts + 1e-6, 0.0))
    return t


def randomized_models(state, ctx, rng):
    """``[(stage, model)]``: the tree cascade and the label refit, where they apply."""
    from sklearn.base import clone

    data = np.vstack([state.background, state.X])
    out = []
    trees, _ = trees_of(state)
    classes = getattr(state.model, "classes_", None) if ctx.is_classifier else None
    if trees is not None:
        for stage in ("leaves", "deep splits", "all splits"):
            rt = [randomize_tree(t, stage, data, rng, ctx.is_classifier) for t in trees]
            out.append((stage, RandomizedTrees(rt, classes, data.shape[1])))
    try:
        y = np.asarray(ctx.decide(data))
        out.append(("label refit", clone(state.model).fit(data, rng.permutation(y))))
    except Exception:  # not an estimator that can be refitted: the tree cascade only
        pass
    return out


def randomization(original, randomized, rows_n, random_state=0):
    """Rows of ``report.use_cases``. ``original``: name -> (n, d) on the model;
    ``randomized``: [(stage, {name: (n, d)})]."""
    def sim(A, B):
        return abs_spearman(as_local(A, rows_n), as_local(B, rows_n))

    truth_key = "exact:interventional_shap"
    rule = (f"score: mean over rows of Spearman(|attr| on the model, |attr| on the fully "
            f"randomised models: {', '.join(FULL)}); 'changes' if < {MAX_SIMILARITY}; an "
            "undefined correlation (constant explanation) counts as 1; truth: the same for "
            "the exact interventional Shapley values")
    full = [(s, a) for s, a in randomized if s in FULL]
    truth, t_changes = None, None
    if truth_key in original and all(truth_key in a for _, a in full) and full:
        tv = np.nanmean([sim(original[truth_key], a[truth_key]) for _, a in full], axis=0)
        tm = ci(tv, random_state)
        t_changes = bool(tm[0] < MAX_SIMILARITY)
        truth = (f"the exact values {'change' if t_changes else 'barely change'}: similarity "
                 f"{tm[0]:.2f} [{tm[1]:.2f}, {tm[2]:.2f}]")
    rows = []
    for name, A in original.items():
        curve = []
        for stage, atts in randomized:
            if name in atts:
                s = np.where(np.isnan(sim(A, atts[name])), 1.0, sim(A, atts[name]))
                curve.append((stage, s))
        fs = [s for st, s in curve if st in FULL]
        if not fs:
            continue
        m, lo, hi = ci(np.mean(fs, axis=0), random_state)
        changes = bool(m < MAX_SIMILARITY)
        ans = (f"{'changes' if changes else 'barely changes'} (similarity {m:.2f}; cascade: "
               + ", ".join(f"{st} {np.mean(s):.2f}" for st, s in curve) + ")")
        rows.append({"use_case": "randomization", "explainer": name, "question": QUESTION,
                     "answer": ans, "truth": truth,
                     "correct": changes if t_changes is None else changes == t_changes,
                     "score": m, "ci_low": lo, "ci_high": hi, "rule": rule})
    return rows


def run(state, ctx):
    """The registry's entry point (see :mod:`glassworks.comparator.use_cases`)."""
    rng = np.random.default_rng(ctx.random_state)
    Xs = state.X[:N_ROWS]
    models = randomized_models(state, ctx, rng)
    if not models:
        raise NotApplicable("not computed: needs a tree-based model (parameter cascade) or "
                            "one that can be refitted (label randomisation)")
    ctx.check_budget("randomization", (len(models) + 1) * len(Xs) * len(state.background))
    explainers = list(state.explainers)
    seed = ctx.random_state
    orig, _, ex0 = ctx.explain_model(state.model, Xs, state.background, explainers, seed)
    orig = dict(orig)
    if ex0 is not None:
        orig["exact:interventional_shap"] = ex0
    randomized = []
    for stage, m in models:
        atts, _, ex = ctx.explain_model(m, Xs, state.background, explainers, seed)
        atts = dict(atts)
        if ex is not None:
            atts["exact:interventional_shap"] = ex
        randomized.append((stage, atts))
    return randomization(orig, randomized, len(Xs), ctx.random_state)
