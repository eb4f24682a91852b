"""What every use case shares: the explanations to judge, on-manifold counterfactuals, CIs.

Truths about the model's behaviour on real data are computed on the data manifold: a column
is changed by moving to the real row that differs from it in that column and is nearest in the
others (:func:`matched_counterfactual`), never by evaluating hybrid points, which an
adversarial model can detect (Slack et al., AIES 2020).
"""

from dataclasses import dataclass, field

import numpy as np

#: Decision changes on real rows above which the model "uses" a column (truth rule).
FLIP_RATE = 0.05
#: Share of an explainer's |attribution| mass on a column above which it says "used".
MATERIAL_SHARE = 0.10

COLUMNS = ["use_case", "explainer", "question", "answer", "truth", "correct", "score",
           "ci_low", "ci_high", "rule"]


#: Model rows a use case's truth may evaluate by default (beyond it: a message, not a result).
#: Read at call time by :func:`~glassworks.comparator.use_cases.run_use_cases`.
MAX_TRUTH_ROWS = 2_000_000


class NotApplicable(Exception):
    """Raised by a use case's ``run`` when it cannot run on this model or input (a
    regressor where a decision is needed, a column not in X, a truth over the budget). The
    dispatcher turns the message into one row of ``report.use_cases``; the audit goes on."""


@dataclass
class UseCaseContext:
    """What a use case's ``run(state, ctx)`` reads besides the audit's state.

    Attributes
    ----------
    protected : list of str
        Protected columns (``protected=`` of :func:`glassworks.audit`, ``--protected``).
    budget : int
        Model rows the use case's truth may evaluate; over it, raise :class:`NotApplicable`
        (use :meth:`check_budget`).
    random_state : int
    is_classifier : bool
        The audited model has ``predict_proba`` and ``classes_`` (a decision can flip).
    predict : callable
        ``Z (m, d) -> (m,)``: the explained output (the one the attributions explain).
    decide : callable
        ``Z -> (m,)``: the model's decision (``model.predict``).
    attributions : dict of str -> ndarray
        Every explainer's output on ``state.X`` ((n, d) local, (d,) global), plus the exact
        interventional Shapley values under ``"exact:interventional_shap"`` when available.
    local_explainers : list of str
        Names of the audited local explainers (to re-run them on other models with
        :meth:`explain_model`, which maps each name back to the audited explainer object, so
        user explainers re-run too).
    data : ndarray (m, d)
        Real rows, the data manifold on-manifold truths draw counterfactuals from
        (``data=`` of :func:`glassworks.audit`; default: X and the background).
    """

    protected: list = field(default_factory=list)
    budget: int = MAX_TRUTH_ROWS
    random_state: int = 0
    is_classifier: bool = False
    predict: object = None
    decide: object = None
    attributions: dict = field(default_factory=dict)
    local_explainers: list = field(default_factory=list)
    data: np.ndarray = None
    explainer_objects: dict = field(default_factory=dict)

    def check_budget(self, use_case, n_model_rows):
        """Raise :class:`NotApplicable` if the truth needs more model rows than the budget."""
        if n_model_rows > self.budget:
            raise NotApplicable(f"not computed: its truth needs {int(n_model_rows)} model rows"
                                f" > the budget {int(self.budget)}")

    def require_classifier(self, why="a decision that can flip"):
        if not self.is_classifier:
            raise NotApplicable(f"not computed: needs a classifier ({why}); this model is a "
                                "regressor")

    def explain_model(self, model, X, background, explainers, seed):
        """Run the named explainers on another fitted model (no scoring).

        Returns ``(attributions, predict_fn, exact)``: a dict explainer -> (n, d) array,
        the explained output as ``Z -> (m,)``, and the exact interventional Shapley values
        (n, d) or None.
        """
        import time

        from ..runner import AuditState, compute_audit_truth, resolve_audit, run_explainers

        st = AuditState(model, t_start=time.perf_counter())
        explainers = [self.explainer_objects.get(e, e) if isinstance(e, str) else e
                      for e in explainers]
        resolve_audit(st, X, background, explainers, ["estimation_error"], seed, n_reruns=0,
                      estimands=["interventional_shap"])
        compute_audit_truth(st)
        run_explainers(st)
        return (st.attributions, st.target.fn(int(st.target.output_index[0])),
                st.truth.values.get("interventional_shap"))


def message_row(use_case, text, question=""):
    """A row of ``report.use_cases`` that says why a use case gave no result."""
    return {"use_case": use_case, "explainer": "-", "question": question, "answer": text,
            "truth": None, "correct": None, "score": np.nan, "ci_low": np.nan,
            "ci_high": np.nan, "rule": ""}


@dataclass
class UseCaseInput:
    """What a use case reads: the model's output on real rows and the explanations."""

    predict: object          # Z (m, d) -> (m,) the explained output
    decide: object           # Z -> (m,) the decision (class), for flip truths
    X: np.ndarray            # the real rows explained
    background: np.ndarray   # real rows (the data manifold: counterfactuals are drawn here)
    feature_names: list
    attributions: dict       # explainer -> (n, d) local or (d,) global
    is_classifier: bool
    random_state: int = 0
    truth_rows: np.ndarray = None  # real rows the truth is computed on (None: X)


def shares(A, j):
    """Per-row share of |attribution| mass on column j; NaN where the mass is zero.

    A zero explanation answers nothing (NaN), so an all-zero explainer cannot pass.
    """
    A = np.abs(np.atleast_2d(np.asarray(A, dtype=np.float64)))
    tot = A.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(tot > 0, A[:, j] / np.where(tot > 0, tot, 1.0), np.nan)
    return s


#: Weight of one changed column in the matching distance (lexicographic: count, then distance).
LEX = 1e6


def matched_counterfactual(X, data, j, rng, same=False):
    """For each row x of X, the real row of ``data`` that changes the fewest other columns
    and, among those, is nearest to x in them (standardised) that has a *different* value of column j (``same=True``: the *same* value,
    the placebo); among equally near rows, one at random. Rows equal to x are never chosen.

    Where the data hold a row equal to x except in column j, that row is chosen: only column
    j changes and the counterfactual is itself a real row. Elsewhere the other columns change
    as little as the data allow. Either way the model is asked only about real rows, which an
    adversarial model cannot tell from the data (Slack et al., AIES 2020): a hybrid point
    (x with x_j overwritten) is not used.

    Returns
    -------
    Xc : ndarray (n, d)
        The counterfactual rows (x itself where there is none).
    ok : ndarray of bool (n,)
        A counterfactual was found.
    exact : ndarray of bool (n,)
        It equals x in the other columns.
    """
    X = np.asarray(X, dtype=np.float64)
    data = np.asarray(data, dtype=np.float64)
    others = np.array([k for k in range(X.shape[1]) if k != j], dtype=np.int64)
    sd = data[:, others].std(axis=0)
    sd[sd == 0] = 1.0
    D = data[:, others] / sd
    Xc = X.copy()
    ok = np.zeros(len(X), dtype=bool)
    exact = np.zeros(len(X), dtype=bool)
    for i, x in enumerate(X):
        # fewest other columns changed first, then nearest: a continuous column must not
        # outweigh keeping a categorical one equal
        dist = ((D - x[others] / sd) ** 2).sum(axis=1)
        dist = dist + LEX * (data[:, others] != x[others]).sum(axis=1)
        keep = (data[:, j] == x[j]) if same else (data[:, j] != x[j])
        if same:
            keep &= dist > 1e-12  # a duplicate of x tells nothing
        cand = np.flatnonzero(keep)
        if cand.size == 0:
            continue
        dc = dist[cand]
        best = cand[np.flatnonzero(dc <= dc.min() + 1e-12)]
        Xc[i] = data[rng.choice(best)]
        ok[i] = True
        exact[i] = bool(dc.min() <= 1e-12)
    return Xc, ok, exact


def flip_rate(inp, j, n_draws=3):
    """How much more often a real row's (``inp.truth_rows``, else ``inp.X``) decision differs from that of its nearest real row
    with another value of column j than from that of its nearest real row with the same value
    (the placebo: what nearness alone changes), with a bootstrap interval over rows.

    Returns a dict: ``rate`` (the difference), ``ci_low``, ``ci_high``, ``other`` and
    ``placebo`` (the two shares), ``exact`` (share of rows whose counterpart equals them in
    the other columns).
    """
    rng = np.random.default_rng(inp.random_state)
    X = inp.X if inp.truth_rows is None else inp.truth_rows
    base = np.asarray(inp.decide(X))
    other, placebo, exact_all = [], [], []
    for _ in range(n_draws):
        Z, ok, exact = matched_counterfactual(X, inp.background, j, rng)
        other.append(ok & (np.asarray(inp.decide(Z)) != base))
        exact_all.append(exact)
        Zp, okp, _ = matched_counterfactual(X, inp.background, j, rng, same=True)
        placebo.append(okp & (np.asarray(inp.decide(Zp)) != base))
    o, p = np.mean(other, axis=0), np.mean(placebo, axis=0)
    rate, lo, hi = ci(o - p, inp.random_state)
    return {"rate": rate, "ci_low": lo, "ci_high": hi, "other": float(o.mean()),
            "placebo": float(p.mean()), "exact": float(np.mean(exact_all))}


def ci(values, random_state=0):
    from ..metrics import bootstrap_ci

    return bootstrap_ci(values, random_state=int(random_state) % (2**31))
