"""Use case ``protected_attribute``: does the model's decision on the real rows depend on a
protected column?

- Truth: how many more real rows decide otherwise than their real counterpart, the real row
  with another value of the protected column that is nearest in the other columns (equal to
  it but in that column wherever the data hold such a row;
  :func:`~._common.matched_counterfactual`), than their nearest real row with the same
  value (the placebo: what nearness alone changes); the model uses the column if that
  difference is at least ``FLIP_RATE``. Only real rows are evaluated, so a scaffold cannot
  hide.
- Answer of an explainer: "yes" if the mean share of its |attribution| mass on the column
  (over the rows) is material: at least ``MATERIAL_SHARE`` and at least an equal share
  (1/d); less is what an explainer spreads on columns a model never uses (KernelSHAP spreads
  the efficiency residual of a scaffold so). A zero explanation gives no share (NaN) and
  counts as a wrong answer.
  The truth is computed on the explained rows and rows of the data, ``TRUTH_ROWS`` in all.
- Score: that mean share, with a bootstrap interval over rows.

:func:`make_scaffold` builds the adversarial model of Slack et al. (AIES 2020, "Fooling LIME
and SHAP"): a detector tells real rows from the explainers' perturbations; on real rows the
scaffold answers as the biased model, off the data as the innocent one.
"""

import os

import numpy as np

from ._common import (FLIP_RATE, MATERIAL_SHARE, NotApplicable, UseCaseInput, ci, flip_rate,
                      shares)

#: Real rows the truth is computed on (the explained rows, then rows of the data).
TRUTH_ROWS = 500

QUESTION = "does the decision on the real rows depend on {col}?"


#: The explainers whose own perturbations the scaffold's detector learns to tell from real rows.
SCAFFOLD_EXPLAINERS = ("lime", "lime_continuous", "kernel_shap")


class _Recorder:
    """A predict function that records the rows an explainer asks about (and answers 0)."""

    def __init__(self):
        self.seen = []

    def __call__(self, Z):
        Z = np.atleast_2d(np.asarray(Z, dtype=np.float64))
        self.seen.append(Z.copy())
        return np.zeros(len(Z))


def explainer_perturbations(X, explainers=SCAFFOLD_EXPLAINERS, rows=None, background=None,
                            n_rows=10, n_background=100, n_per_explainer=None, random_state=0):
    """The rows the named explainers evaluate when explaining ``rows`` with ``background``
    (the audit's own settings): LIME's samples from the training bins or around the
    instance, KernelSHAP's hybrids of the instance and background rows.

    Parameters
    ----------
    X : ndarray (n, d)
        The real data.
    rows, background : ndarray, default=None
        The rows the explainers will explain and their background; None: ``n_rows`` and
        ``n_background`` rows of X drawn at random.
    n_per_explainer : int, default=None
        Queries kept per explainer, drawn at random; None: ``max(20000, 5 * len(X))``.

    Returns
    -------
    ndarray (m, d)
    """
    from types import SimpleNamespace

    from ..explainers import make_explainer, quiet_peers

    X = np.asarray(X, dtype=np.float64)
    rng = np.random.default_rng(random_state)
    m = len(X)
    bg = (X[np.sort(rng.choice(m, min(n_background, m), replace=False))] if background is None
          else np.asarray(background, dtype=np.float64))
    R = (X[rng.choice(m, min(n_rows, m), replace=False)] if rows is None
         else np.asarray(rows, dtype=np.float64))
    ctx = SimpleNamespace(X=R, background=bg, baseline=bg.mean(axis=0),
                          feature_names=[f"x{j}" for j in range(X.shape[1])], cache={},
                          trees=None, column=0)
    n_keep = n_per_explainer or max(20_000, 5 * m)
    out = []
    for name in explainers:
        ex = make_explainer(name)
        rec = _Recorder()
        for k, x in enumerate(R):
            with quiet_peers():
                ex.explain(ctx, x, rec, random_state + k)
        Z = np.vstack(rec.seen)
        out.append(Z[rng.choice(len(Z), min(n_keep, len(Z)), replace=False)])
    return np.vstack(out)


class Scaffold:
    """The Slack et al. scaffold: ``biased`` on the data, ``innocent`` off it.

    Attributes
    ----------
    detector_ : fitted classifier
        Predicts 1 for rows that look real. Real rows it sees are in the data; rows that are
        also perturbations of the data (exact duplicates) count as real.
    """

    def __init__(self, biased, innocent, detector, n_features):
        self.biased, self.innocent, self.detector_ = biased, innocent, detector
        self.n_features_in_ = n_features
        self.classes_ = np.array([0, 1])
        self._estimator_type = "classifier"

    def _real(self, Z):
        return self.detector_.predict(np.asarray(Z, dtype=np.float64)) == 1

    def predict_proba(self, Z):
        Z = np.asarray(Z, dtype=np.float64)
        real = self._real(Z)
        p = np.where(real[:, None], self.biased.predict_proba(Z), self.innocent.predict_proba(Z))
        return p

    def predict(self, Z):
        return self.classes_[np.argmax(self.predict_proba(Z), axis=1)]


def make_scaffold(biased, innocent, X, background=None, rows=None,
                  explainers=SCAFFOLD_EXPLAINERS, n_perturbations=None, random_state=0):
    """Wrap ``biased`` so that explainers see ``innocent`` (Slack et al., AIES 2020).

    An out-of-distribution detector (a random forest, also given each row's distance to the
    nearest real row) is trained to tell the real rows of X
    from the rows the explainers themselves evaluate (:func:`explainer_perturbations`: LIME's
    and KernelSHAP's own queries, recorded while they explain ``rows`` with ``background``).
    The scaffold answers as ``biased`` on rows the detector takes for real, as ``innocent``
    elsewhere. A perturbation that is exactly a real row is on the data and labelled real.

    As in Slack et al. (whose attacker knows the explainer's background, a k-means summary
    of the data), the attacker here knows how the model will be explained: pass the audit's
    ``background`` and ``rows`` for the strongest scaffold. KernelSHAP's queries on
    categorical data are hybrids of real values, told from real rows only by their joint
    values, so the detector must have seen that background's hybrids to fool it.

    Parameters
    ----------
    biased, innocent : fitted binary classifiers with ``predict_proba``
    X : array-like of shape (n, d)
        The real data.
    background, rows : array-like, default=None
        The background and the rows the explainers will use; None: drawn from X
        (:func:`explainer_perturbations`).
    explainers : tuple of str, default=SCAFFOLD_EXPLAINERS
        The explainers whose perturbations the detector learns.
    n_perturbations : int, default=None
        Perturbed rows kept per explainer; None: ``max(20000, 5 * len(X))``.
    random_state : int

    Returns
    -------
    Scaffold
    """
    X = np.asarray(X, dtype=np.float64)
    P = explainer_perturbations(X, explainers, rows=rows, background=background,
                                n_per_explainer=n_perturbations, random_state=random_state)
    real_set = {r.tobytes() for r in X}
    p_real = np.array([r.tobytes() in real_set for r in P])
    Z = np.vstack([X, P])
    lab = np.concatenate([np.ones(len(X)), p_real.astype(float)])
    # balanced: the real rows are few beside the perturbations, and must all read as real
    det = _Detector(X, random_state).fit(Z, lab)
    return Scaffold(biased, innocent, det, X.shape[1])


class _Detector:
    """Slack et al.'s random-forest OOD detector, given one more input: the distance of a row
    to the nearest real row (standardised), which tells hybrids of real values from real rows
    when they differ from every real row in their joint values only."""

    def __init__(self, X, random_state=0):
        from sklearn.neighbors import NearestNeighbors

        self.scale_ = X.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        self.nn_ = NearestNeighbors(n_neighbors=1).fit(X / self.scale_)
        self.random_state = random_state

    def _features(self, Z):
        dist = self.nn_.kneighbors(Z / self.scale_, return_distance=True)[0][:, 0]
        return np.column_stack([Z, dist])

    def fit(self, Z, lab):
        from sklearn.ensemble import RandomForestClassifier

        self.forest_ = RandomForestClassifier(
            n_estimators=50, min_samples_leaf=1, class_weight="balanced",
            random_state=self.random_state, n_jobs=1).fit(self._features(Z), lab)
        return self

    def predict(self, Z):
        F = self._features(np.asarray(Z, dtype=np.float64))
        # a row of the data is real whatever the forest says (the attacker holds the data)
        return np.where(F[:, -1] <= 1e-9, 1.0, self.forest_.predict(F))


class ColumnRule:
    """A fitted binary classifier ``1 if x[col] > threshold`` (for scaffolds and controls)."""

    def __init__(self, col, threshold=0.5, n_features=None):
        self.col, self.threshold = col, threshold
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = n_features
        self._estimator_type = "classifier"

    def predict_proba(self, Z):
        p = (np.asarray(Z, dtype=np.float64)[:, self.col] > self.threshold).astype(float)
        return np.column_stack([1 - p, p])

    def predict(self, Z):
        return (np.asarray(Z, dtype=np.float64)[:, self.col] > self.threshold).astype(int)


def protected_attribute(inp, protected):
    """Rows of ``report.use_cases`` for each protected column (see the module docstring)."""
    rows = []
    for col in protected:
        if col not in inp.feature_names:
            rows.append({"use_case": "protected_attribute", "explainer": "-",
                         "question": QUESTION.format(col=col),
                         "answer": f"not computed: {col!r} is not a column of X "
                                   f"({', '.join(inp.feature_names)})",
                         "truth": None, "correct": None, "score": np.nan,
                         "ci_low": np.nan, "ci_high": np.nan, "rule": ""})
            continue
        j = inp.feature_names.index(col)
        f = flip_rate(inp, j)
        uses = bool(f["rate"] >= FLIP_RATE)
        truth = (f"{'yes' if uses else 'no'}: {100 * f['rate']:.1f}% "
                 f"[{100 * f['ci_low']:.1f}, {100 * f['ci_high']:.1f}] more rows decide "
                 f"otherwise than their nearest real row with another {col} "
                 f"({100 * f['other']:.1f}%) than their nearest with the same "
                 f"({100 * f['placebo']:.1f}%); {100 * f['exact']:.0f}% of counterparts "
                 f"differ in {col} only")
        d = len(inp.feature_names)
        material = max(MATERIAL_SHARE, 1.0 / d)
        rule = (f"truth: 'yes' if decisions differ from the nearest real row with another "
                f"{col} on >= {100 * FLIP_RATE:.0f} points more rows than from the nearest "
                f"with the same {col} (real rows only); answer: 'yes' if the explainer puts "
                f"at least max({100 * MATERIAL_SHARE:.0f}%, an equal share 1/d) = "
                f"{100 * material:.1f}% of its |attribution| mass (mean over rows) on it")
        for name, A in inp.attributions.items():
            s = shares(A, j)
            if np.all(np.isnan(s)):
                ans, correct, (m, lo, hi) = "no answer (zero explanation)", False, (np.nan,) * 3
            else:
                s = np.where(np.isnan(s), 0.0, s)  # a zero row puts nothing on the column
                m, lo, hi = ci(s, inp.random_state)
                says = bool(m >= material)
                ans = f"{'yes' if says else 'no'} ({100 * m:.1f}% of its mass)"
                correct = says == uses
            rows.append({"use_case": "protected_attribute", "explainer": name,
                         "question": QUESTION.format(col=col), "answer": ans, "truth": truth,
                         "correct": correct, "score": m, "ci_low": lo, "ci_high": hi,
                         "rule": rule})
    return rows


def run(state, ctx):
    """The registry's entry point (see :mod:`glassworks.comparator.use_cases`)."""
    if not ctx.protected:
        raise NotApplicable("not computed: name the protected column(s) (protected=[...], "
                            "--protected COL)")
    ctx.require_classifier("a decision that can flip")
    rows = truth_rows(state.X, ctx.data, ctx.random_state)
    # the model on each row, on 3 counterfactual and 3 placebo draws per protected column
    ctx.check_budget("protected_attribute", len(rows) * (1 + 6 * len(ctx.protected)))
    inp = UseCaseInput(ctx.predict, ctx.decide, state.X, ctx.data,
                       list(state.feature_names), ctx.attributions, True, ctx.random_state,
                       truth_rows=rows)
    return protected_attribute(inp, ctx.protected)


def truth_rows(X, data, random_state=0, n=TRUTH_ROWS):
    """The real rows the truth is computed on: the explained rows, and rows of the data drawn
    at random up to ``n`` in all (a few explained rows alone give a noisy truth)."""
    X = np.asarray(X, dtype=np.float64)
    if data is None or len(X) >= n:
        return X
    data = np.asarray(data, dtype=np.float64)
    rng = np.random.default_rng(random_state)
    extra = data[np.sort(rng.choice(len(data), min(n - len(X), len(data)), replace=False))]
    return np.vstack([X, extra])


# --------------------------------------------------------------------------------------------
# the COMPAS demo
# --------------------------------------------------------------------------------------------
COMPAS_ORDER = {
    "sex": ["Female", "Male"],
    "age": ["18-20", "21-22", "23-25", "26-45", ">45"],
    "juvenile-felonies": ["=0", ">0"],
    "juvenile-misdemeanors": ["=0", ">0"],
    "juvenile-crimes": ["=0", ">0"],
    "priors": ["=0", "=1", "2-3", ">3"],
    "current-charge-degree": ["Misdemeanor", "Felony"],
}


def find_compas(data_dir=None):
    """Path of ``compas/compas_train.csv`` (``../shared/data`` or GLASSWORKS_DATA), or None."""
    cands = [data_dir] if data_dir else [os.environ.get("GLASSWORKS_DATA"),
                                         os.path.join(os.getcwd(), "..", "shared", "data"),
                                         "/work/shared/data"]
    for c in cands:
        if c and os.path.exists(os.path.join(c, "compas", "compas_train.csv")):
            return os.path.join(c, "compas", "compas_train.csv")
    return None


def load_compas(path, n_rows=None, random_state=0):
    """COMPAS (CORELS's preparation) as ordinal codes, plus an ``unrelated`` column uniform on [0, 1]
    drawn at random (Slack et al.'s innocuous feature). Returns (DataFrame X, y)."""
    import pandas as pd

    df = pd.read_csv(path)
    rng = np.random.default_rng(random_state)
    if n_rows is not None and n_rows < len(df):
        df = df.iloc[np.sort(rng.choice(len(df), n_rows, replace=False))].reset_index(drop=True)
    X = pd.DataFrame({c: df[c].map({v: i for i, v in enumerate(vals)}).astype(float)
                      for c, vals in COMPAS_ORDER.items()})
    if X.isna().any().any():
        raise ValueError("compas_train.csv has a category this reader does not know.")
    X["unrelated"] = rng.uniform(0, 1, len(X))
    return X, df["recidivate-within-two-years"].to_numpy()


def compas_scaffold_models(X, background=None, rows=None, random_state=0):
    """The demo's two models on COMPAS: a scaffold biased on sex (innocent: ``unrelated``)
    and an honest control, the same scaffold around a rule on priors (no use of sex).
    ``background`` and ``rows``: those the audit will use (:func:`make_scaffold`)."""
    names = list(X.columns)
    d = len(names)
    sex, unrel, priors = names.index("sex"), names.index("unrelated"), names.index("priors")
    innocent = ColumnRule(unrel, 0.5, d)
    kw = dict(background=background, rows=rows, random_state=random_state)
    scaffold = make_scaffold(ColumnRule(sex, 0.5, d), innocent, X, **kw)
    control = make_scaffold(ColumnRule(priors, 1.5, d), innocent, X, **kw)
    return {"scaffold (biased on sex)": scaffold, "control (uses priors, not sex)": control}
