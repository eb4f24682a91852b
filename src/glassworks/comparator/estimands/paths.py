"""What a tree's decision path says: Saabas path contributions and the features tested.

- ``path_contribution`` (Saabas, treeinterpreter): the change of the node value at each split
  on x's decision path, credited to the split's feature; they add up to f(x) minus the root's
  value. Exact for trees, forests and rule lists (their equivalent tree).
- ``path_features``: 0/1, the features tested on x's decision path (a single tree), or the
  features of the rules a rule list tried before the one that fired.
"""

import numpy as np

from .base import Estimand, Value, pick_base, pick_column, register

PATH_CONTRIBUTION = register(Estimand(
    "path_contribution",
    "Saabas: the change of the tree's node value at each split on x's decision path, "
    "credited to the split's feature",
    "how the prediction moved along x's own decision path, split by split",
    unit="attribution", scope="local", additive=True,
    noun="Saabas path contributions",
))

PATH_FEATURES = register(Estimand(
    "path_features",
    "1 for each feature tested on x's decision path (or by the rules tried), else 0",
    "which features the model looked at to decide x",
    unit="indicator", scope="local",
    noun="the features on the decision path",
))


@PATH_CONTRIBUTION.exact("trees")
def _saabas(view, X, background, baseline):
    from glassworks.shapley import saabas

    n, d = X.shape
    v, base = saabas(view.trees, X, tree_weights=view.tree_weights)
    return Value(pick_column(v, view.target, n, d), pick_base(base, view.target, n))


def tested_on_path(trees, X):
    """0/1 (n, d): the features tested on each row's decision path (in any of the trees)."""
    n, d = X.shape
    out = np.zeros((n, d))
    for tree in trees:
        path = tree.decision_path(X).tocsr()
        for i in range(n):
            nodes = path.indices[path.indptr[i]:path.indptr[i + 1]]
            f = tree.feature[nodes]
            out[i, f[f >= 0]] = 1.0
    return out


@PATH_FEATURES.exact("rule_list")
def _rules_tested(view, X, background, baseline):
    return Value(np.asarray(view.model.rules_tested(X), dtype=np.float64))


@PATH_FEATURES.exact("single_tree")
def _tree_path(view, X, background, baseline):
    return Value(tested_on_path(view.trees, X))
