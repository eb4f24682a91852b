"""Use case ``protected_attribute``: does the model's decision on the real rows depend on a
protected column?

- Truth: the share of real rows whose decision changes when only the protected column changes
  to a value real rows like them take (:func:`~._common.conditional_resample`); the model uses
  it if that share is at least ``FLIP_RATE``.
- Answer of an explainer: "yes" if the mean share of its |attribution| mass on the column
  (over the rows) is at least ``MATERIAL_SHARE``. A zero explanation gives no share (NaN) and
  counts as a wrong answer.
- Score: that mean share, with a bootstrap interval over rows.

:func:`make_scaffold` builds the adversarial model of Slack et al. (AIES 2020, "Fooling LIME
and SHAP"): a detector tells real rows from the explainers' perturbations; on real rows the
scaffold answers as the biased model, off the data as the innocent one.
"""

import os

import numpy as np

from ._common import (FLIP_RATE, MATERIAL_SHARE, NotApplicable, UseCaseInput, ci, flip_rate,
                      shares)

QUESTION = "does the decision on the real rows depend on {col}?"


def _perturbations(X, rng, n):
    """Rows like the ones LIME and KernelSHAP evaluate: every column drawn independently
    from the data (LIME's sampling), and hybrids of a row and a background row under a
    random coalition (KernelSHAP's)."""
    X = np.asarray(X, dtype=np.float64)
    m, d = X.shape
    lime_like = np.column_stack([X[rng.integers(0, m, n), j] for j in range(d)])
    a, b = X[rng.integers(0, m, n)], X[rng.integers(0, m, n)]
    mask = rng.uniform(size=(n, d)) < rng.uniform(0.2, 0.8, size=(n, 1))
    hybrid = np.where(mask, a, b)
    gauss = X[rng.integers(0, m, n)] + rng.standard_normal((n, d)) * X.std(axis=0)
    return np.vstack([lime_like, hybrid, gauss])


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


def make_scaffold(biased, innocent, X, n_perturbations=None, random_state=0):
    """Wrap ``biased`` so that explainers see ``innocent`` (Slack et al., AIES 2020).

    Parameters
    ----------
    biased, innocent : fitted binary classifiers with ``predict_proba``
    X : array of shape (n, d)
        The real data.
    n_perturbations : int, default=None
        Perturbed rows of each kind (LIME-like, KernelSHAP-like, Gaussian); None: len(X).
    random_state : int

    Returns
    -------
    Scaffold
    """
    from sklearn.ensemble import RandomForestClassifier

    X = np.asarray(X, dtype=np.float64)
    rng = np.random.default_rng(random_state)
    P = _perturbations(X, rng, n_perturbations or len(X))
    # a perturbation that is exactly a real row is on the data: label it real
    real_set = {r.tobytes() for r in X}
    p_real = np.array([r.tobytes() in real_set for r in P])
    Z = np.vstack([X, P])
    lab = np.concatenate([np.ones(len(X)), p_real.astype(float)])
    det = RandomForestClassifier(n_estimators=50, min_samples_leaf=2, random_state=random_state,
                                 n_jobs=1).fit(Z, lab)
    return Scaffold(biased, innocent, det, X.shape[1])


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
        rate, rlo, rhi = flip_rate(inp, j)
        uses = bool(rate >= FLIP_RATE)
        truth = (f"{'yes' if uses else 'no'}: {100 * rate:.1f}% of real rows change decision "
                 f"[{100 * rlo:.1f}, {100 * rhi:.1f}]")
        rule = (f"truth: decision flips on >= {100 * FLIP_RATE:.0f}% of real rows when only "
                f"{col} changes on the data; answer: >= {100 * MATERIAL_SHARE:.0f}% of the "
                "explainer's |attribution| mass on it")
        for name, A in inp.attributions.items():
            s = shares(A, j)
            if np.all(np.isnan(s)):
                ans, correct, (m, lo, hi) = "no answer (zero explanation)", False, (np.nan,) * 3
            else:
                s = np.where(np.isnan(s), 0.0, s)  # a zero row puts nothing on the column
                m, lo, hi = ci(s, inp.random_state)
                says = bool(m >= MATERIAL_SHARE)
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
    ctx.check_budget("protected_attribute", 4 * len(state.X) * len(ctx.protected))
    inp = UseCaseInput(ctx.predict, ctx.decide, state.X, state.background,
                       list(state.feature_names), ctx.attributions, True, ctx.random_state)
    return protected_attribute(inp, ctx.protected)


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
    """COMPAS (CORELS's preparation) as ordinal codes, plus an ``unrelated`` 0/1 column
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
    X["unrelated"] = rng.integers(0, 2, len(X)).astype(float)
    return X, df["recidivate-within-two-years"].to_numpy()


def compas_scaffold_models(X, random_state=0):
    """The demo's two models on COMPAS: a scaffold biased on sex (innocent: ``unrelated``)
    and an honest control, the same scaffold around a rule on priors (no use of sex)."""
    names = list(X.columns)
    d = len(names)
    sex, unrel, priors = names.index("sex"), names.index("unrelated"), names.index("priors")
    innocent = ColumnRule(unrel, 0.5, d)
    scaffold = make_scaffold(ColumnRule(sex, 0.5, d), innocent, X, random_state=random_state)
    control = make_scaffold(ColumnRule(priors, 1.5, d), innocent, X, random_state=random_state)
    return {"scaffold (biased on sex)": scaffold, "control (uses priors, not sex)": control}
