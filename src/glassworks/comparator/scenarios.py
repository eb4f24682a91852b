"""Planted-truth data sets for model debugging: which features matter is known by design.

Each generator returns a :class:`Scenario`: the data, the planted ``relevant`` features (what
a good explainer should point at, scored as ``recall_at_k`` with k = their number) and the
role of every feature. Targets are noiseless functions of the relevant features, so a model
fitted on them has no reason to use anything else: a correlated proxy stays unused, and the
model's own dummy features (read exactly from the fitted model) agree with the plan. The
regression targets are step functions, so that a tree fits them exactly with splits on the
relevant features alone and stops (pure leaves) before a noise feature can be picked.

- ``sparse``: only k of d features matter (one step each).
- ``shortcut``: a binary label that a spurious "watermark" feature reproduces on 97% of the
  training rows; the model learns the shortcut, so the shortcut is what matters to *it*.
- ``interaction``: y = 2 [x0 > 0 and x1 > 0] + [x2 > 0]: two features matter jointly.
- ``proxy``: y depends on x0 and x2; x1 is a near copy of x0 (correlation ~0.99) that the
  model never uses: an explainer that credits x1 is describing the data, not the model.
"""

from dataclasses import dataclass, field

import numpy as np

SCENARIOS = ("sparse", "shortcut", "interaction", "proxy")


#: A feature is "used on the data" if redrawing it changes the output by more than
#: USE_TOLERANCE x the output's spread on at least USE_SHARE of the rows.
USE_TOLERANCE = 0.01
USE_SHARE = 0.05


def _iid(j, X, rng):
    return rng.uniform(-1.0, 1.0, len(X))


def _rejection(accept, X, rng):
    """x_j ~ U(-1, 1) tilted by ``accept(candidate, rows) in [0, 1]`` (rejection sampling)."""
    out = np.empty(len(X))
    todo = np.arange(len(X))
    while todo.size:
        c = rng.uniform(-1.0, 1.0, todo.size)
        ok = rng.uniform(size=todo.size) < accept(c, todo)
        out[todo[ok]] = c[ok]
        todo = todo[~ok]
    return out


@dataclass
class Scenario:
    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: list
    relevant: list
    task: str
    description: str
    roles: dict = field(default_factory=dict)
    #: name -> ``(j, X, rng) -> column j redrawn from the generator given the other columns``
    conditional: object = None

    def redraw(self, j, X, rng):
        """Column j of X redrawn from the scenario's own generator given the other columns:
        a counterfactual that stays on the data (the joint law the rows come from)."""
        return self.conditional(j, np.asarray(X, dtype=np.float64), rng)

    def used_on_data(self, predict, X=None, n_draws=3, rel_tol=USE_TOLERANCE,
                     min_share=USE_SHARE, random_state=0):
        """The features the fitted model uses on the data, by the generator's counterfactuals.

        Feature j is used if on at least ``min_share`` of the rows the output changes by more
        than ``rel_tol`` times its spread on the rows when x_j alone is redrawn from its
        conditional law given the other features (:meth:`redraw`). Returns ``(used, share)``:
        the indices, and per feature the share of rows that change.
        """
        X = self.X if X is None else np.asarray(X, dtype=np.float64)
        rng = np.random.default_rng(random_state)
        base = np.asarray(predict(X), dtype=np.float64).reshape(-1)
        tol = rel_tol * (np.std(base) or 1.0)
        share = np.zeros(X.shape[1])
        for j in range(X.shape[1]):
            ch = []
            for _ in range(n_draws):
                Z = X.copy()
                Z[:, j] = self.redraw(j, X, rng)
                ch.append(np.abs(np.asarray(predict(Z), dtype=np.float64).reshape(-1) - base)
                          > tol)
            share[j] = float(np.mean(ch))
        return [int(j) for j in np.flatnonzero(share >= min_share)], share

    def frame(self):
        """X and y as one pandas DataFrame (target column ``"y"``)."""
        import pandas as pd

        df = pd.DataFrame(self.X, columns=self.feature_names)
        df["y"] = self.y
        return df


def make_scenario(name, n_samples=500, n_features=8, k=3, random_state=None):
    """Generate a planted-truth data set.

    Parameters
    ----------
    name : {"sparse", "shortcut", "interaction", "proxy"}
    n_samples : int, default=500
    n_features : int, default=8
        Total number of features (the unused ones are independent noise).
    k : int, default=3
        Number of relevant features in ``"sparse"`` (at most 3 shapes are used cyclically).
    random_state : int or None

    Returns
    -------
    Scenario

    Examples
    --------
    >>> s = make_scenario("proxy", n_samples=100, random_state=0)
    >>> s.relevant, s.roles["x1"]
    ([0, 2], 'proxy of x0, never used')
    """
    if name not in SCENARIOS:
        raise ValueError(f"Unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}.")
    if n_samples < 10:
        raise ValueError(f"n_samples must be at least 10, got {n_samples}.")
    rng = np.random.default_rng(random_state)
    minimum = {"sparse": k + 1, "shortcut": 4, "interaction": 4, "proxy": 4}[name]
    if n_features < minimum:
        raise ValueError(f"Scenario {name!r} needs n_features >= {minimum}, got {n_features}.")
    X = rng.uniform(-1.0, 1.0, size=(n_samples, n_features))
    names = [f"x{j}" for j in range(n_features)]
    roles = {n: "unused noise" for n in names}
    if name == "sparse":
        if not 1 <= k < n_features:
            raise ValueError(f"k must be in [1, {n_features - 1}], got {k}.")
        y = np.zeros(n_samples)
        for j in range(k):
            # steps at distinct places; integer heights keep a pure leaf's variance exactly 0
            # (otherwise round-off leaves it "impure" and a tree splits on noise)
            y += float(3 - j % 3) * (X[:, j] > -0.5 + j / k)
            roles[names[j]] = "relevant"
        return Scenario(name, X, y, names, list(range(k)), "regression",
                        f"y depends on x0..x{k - 1} only; the other features are noise", roles,
                        _iid)
    if name == "shortcut":
        signal = X[:, 0] + X[:, 1] + 0.5 * rng.standard_normal(n_samples)
        y = (signal > 0).astype(np.int64)
        flip = rng.uniform(size=n_samples) < 0.03
        shortcut = np.where(flip, 1 - y, y).astype(np.float64)
        s = n_features - 1
        X[:, s] = shortcut
        names[s] = "watermark"
        roles = {n: "unused noise" for n in names}
        roles["x0"] = roles["x1"] = "the real signal (noisy)"
        roles["watermark"] = "spurious shortcut: equals the label on 97% of rows"
        from scipy.stats import norm

        def cond(j, Z, rng, s=s):
            # y = [x0 + x1 + 0.5 e > 0]; watermark = y flipped with probability 0.03
            def p_w(x0, x1, w):
                p1 = norm.cdf((x0 + x1) / 0.5)
                pw1 = 0.97 * p1 + 0.03 * (1 - p1)
                return np.where(w == 1, pw1, 1 - pw1)
            if j == s:
                p1 = p_w(Z[:, 0], Z[:, 1], 1)
                return (rng.uniform(size=len(Z)) < p1).astype(np.float64)
            if j in (0, 1):
                k = 1 - j
                return _rejection(lambda c, t: p_w(c, Z[t, k], Z[t, s]) / 0.97, Z, rng)
            return _iid(j, Z, rng)

        return Scenario(name, X, y, names, [s], "classification",
                        "a binary label that a spurious watermark reproduces on 97% of rows; "
                        "the model relies on the watermark", roles, cond)
    if name == "interaction":
        y = 2.0 * ((X[:, 0] > 0) & (X[:, 1] > 0)) + 1.0 * (X[:, 2] > 0)
        roles["x0"] = roles["x1"] = "relevant through an interaction"
        roles["x2"] = "relevant (main effect)"
        return Scenario(name, X, y, names, [0, 1, 2], "regression",
                        "y = 2 [x0 > 0 and x1 > 0] + [x2 > 0]: x0 and x1 act jointly", roles,
                        _iid)
    # proxy
    X[:, 1] = X[:, 0] + 0.1 * rng.standard_normal(n_samples)
    y = 2.0 * (X[:, 0] > 0.3) + 1.0 * (X[:, 0] > -0.4) + 1.5 * (X[:, 2] > 0)
    roles["x0"] = "relevant"
    roles["x1"] = "proxy of x0, never used"
    roles["x2"] = "relevant"
    def cond(j, Z, rng):
        # x1 = x0 + 0.1 e: each of the pair given the other; the rest independent
        if j == 1:
            return Z[:, 0] + 0.1 * rng.standard_normal(len(Z))
        if j == 0:
            return _rejection(lambda c, t: np.exp(-0.5 * ((Z[t, 1] - c) / 0.1) ** 2), Z, rng)
        return _iid(j, Z, rng)

    return Scenario(name, X, y, names, [0, 2], "regression",
                    "y depends on x0 and x2; x1 is a near copy of x0 the model never uses",
                    roles, cond)
