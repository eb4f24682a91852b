"""The original MAPLE algorithm, written plainly: the speed baseline for glassworks' MAPLE.

A faithful re-implementation of the reference code of Plumb, Molitor and Talwalkar (NeurIPS 2018,
GDPlumb/MAPLE, ``Code/MAPLE.py``), kept as the authors wrote the algorithm:

- scikit-learn's ``RandomForestRegressor(n_estimators=200, min_samples_leaf=10,
  max_features=0.5)`` (or ``GradientBoostingRegressor`` with ``max_depth=None``);
- DStump scores: the impurity of each tree's root summed per root feature;
- for every feature count ``retain = 1..d`` and every validation point, the weights over all
  training rows recomputed with ``np.where`` per tree, then a ``Ridge(alpha=0.001)`` refit;
- prediction: the same, a Python loop over the points.

Nothing here is optimised on purpose; it is what the glassworks implementation is timed and
checked against (same forest => same predictions).
"""

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error


class OriginalMAPLE:
    """MAPLE as in the reference code (fit in the constructor's place: ``fit``)."""

    def __init__(self, fe_type="rf", n_estimators=200, max_features=0.5, min_samples_leaf=10,
                 regularization=0.001, random_state=None):
        self.fe_type = fe_type
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.regularization = regularization
        self.random_state = random_state

    def fit(self, X_train, MR_train, X_val, MR_val, fe=None):
        """``fe``: an already fitted forest to use instead of fitting one (for comparisons)."""
        self.X_train = X_train
        self.MR_train = MR_train
        num_features = X_train.shape[1]
        self.num_features = num_features
        self.num_train = X_train.shape[0]
        num_val = X_val.shape[0]

        if fe is None:
            if self.fe_type == "rf":
                fe = RandomForestRegressor(
                    n_estimators=self.n_estimators, min_samples_leaf=self.min_samples_leaf,
                    max_features=self.max_features, random_state=self.random_state)
            else:
                fe = GradientBoostingRegressor(
                    n_estimators=self.n_estimators, min_samples_leaf=self.min_samples_leaf,
                    max_features=self.max_features, max_depth=None,
                    random_state=self.random_state)
            fe.fit(X_train, MR_train)
        self.fe = fe
        self.trees = [e.tree_ for e in np.ravel(np.asarray(fe.estimators_, dtype=object))]
        self.n_trees = len(self.trees)
        self.train_leaf_ids = np.column_stack([t.apply(np.asarray(X_train, np.float32))
                                               for t in self.trees])
        val_leaf_ids_list = self._apply(X_val)

        scores = np.zeros(num_features)
        for t in self.trees:
            splits = t.feature
            if splits[0] != -2:
                scores[splits[0]] += t.impurity[0]
        self.feature_scores = scores
        mostImpFeats = np.argsort(-scores)

        retain_best = 0
        rmse_best = np.inf
        for retain in range(1, num_features + 1):
            X_train_p = np.delete(X_train, mostImpFeats[retain:], axis=1)
            X_val_p = np.delete(X_val, mostImpFeats[retain:], axis=1)
            lr_predictions = np.empty([num_val], dtype=float)
            for i in range(num_val):
                weights = self.training_point_weights(val_leaf_ids_list[i])
                lr_model = Ridge(alpha=self.regularization)
                lr_model.fit(X_train_p, MR_train, weights)
                lr_predictions[i] = lr_model.predict(X_val_p[i].reshape(1, -1))[0]
            rmse_curr = np.sqrt(mean_squared_error(lr_predictions, MR_val))
            if rmse_curr < rmse_best:
                rmse_best = rmse_curr
                retain_best = retain
        self.retain = retain_best
        self.X = np.delete(X_train, mostImpFeats[retain_best:], axis=1)
        return self

    def _apply(self, X):
        return np.column_stack([t.apply(np.asarray(X, np.float32)) for t in self.trees])

    def training_point_weights(self, instance_leaf_ids):
        weights = np.zeros(self.num_train)
        for i in range(self.n_trees):
            PNNs_Leaf_Node = np.where(self.train_leaf_ids[:, i] == instance_leaf_ids[i])
            weights[PNNs_Leaf_Node] += 1.0 / len(PNNs_Leaf_Node[0])
        return weights

    def explain(self, x):
        x = x.reshape(1, -1)
        mostImpFeats = np.argsort(-self.feature_scores)
        x_p = np.delete(x, mostImpFeats[self.retain:], axis=1)
        curr_leaf_ids = self._apply(x)[0]
        weights = self.training_point_weights(curr_leaf_ids)
        lr_model = Ridge(alpha=self.regularization)
        lr_model.fit(self.X, self.MR_train, weights)
        coefs = np.zeros(self.num_features + 1)
        coefs[0] = lr_model.intercept_
        coefs[np.sort(mostImpFeats[0:self.retain]) + 1] = lr_model.coef_
        prediction = lr_model.predict(x_p.reshape(1, -1))
        return {"weights": weights, "coefs": coefs, "pred": prediction}

    def predict(self, X):
        n = X.shape[0]
        pred = np.zeros(n)
        for i in range(n):
            pred[i] = self.explain(X[i, :])["pred"][0]
        return pred

    def predict_fe(self, X):
        return self.fe.predict(X)
