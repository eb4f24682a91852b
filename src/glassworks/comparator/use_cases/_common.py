"""What every use case shares: the explanations to judge, on-manifold counterfactuals, CIs.

Truths about the model's behaviour on real data are computed on the data manifold: a column
is changed only to values that real rows with the same (or the nearest) other features take
(:func:`conditional_resample`), never on hybrid points alone, which an adversarial model can
detect (Slack et al., AIES 2020).
"""

from dataclasses import dataclass, field

import numpy as np

#: Decision changes on real rows above which the model "uses" a column (truth rule).
FLIP_RATE = 0.05
#: Share of an explainer's |attribution| mass on a column above which it says "used".
MATERIAL_SHARE = 0.10
#: Neighbours (in the other columns) whose values a real row may take in a counterfactual.
N_NEIGHBOURS = 10

COLUMNS = ["use_case", "explainer", "question", "answer", "truth", "correct", "score",
           "ci_low", "ci_high", "rule"]


#: Model rows a use case's truth may evaluate by default (beyond it: a message, not a result).
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
        Names of the audited local explainers (to re-run them on other models).
    """

    protected: list = field(default_factory=list)
    budget: int = MAX_TRUTH_ROWS
    random_state: int = 0
    is_classifier: bool = False
    predict: object = None
    decide: object = None
    attributions: dict = field(default_factory=dict)
    local_explainers: list = field(default_factory=list)

    def check_budget(self, use_case, n_model_rows):
        """Raise :class:`NotApplicable` if the truth needs more model rows than the budget."""
        if n_model_rows > self.budget:
            raise NotApplicable(f"not computed: its truth needs {int(n_model_rows)} model rows"
                                f" > the budget {int(self.budget)}")

    def require_classifier(self, why="a decision that can flip"):
        if not self.is_classifier:
            raise NotApplicable(f"not computed: needs a classifier ({why}); this model is a "
                                "regressor")

    @staticmethod
    def explain_model(model, X, background, explainers, seed):
        """Run the named explainers on another fitted model (no scoring).

        Returns ``(attributions, predict_fn, exact)``: a dict explainer -> (n, d) array,
        the explained output as ``Z -> (m,)``, and the exact interventional Shapley values
        (n, d) or None.
        """
        import time

        from ..runner import AuditState, compute_audit_truth, resolve_audit, run_explainers

        st = AuditState(model, t_start=time.perf_counter())
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
    decide: object           # Z -> (m,) the decision (class or output), for flip truths
    X: np.ndarray            # the real rows explained
    background: np.ndarray   # real rows (the data)
    feature_names: list
    attributions: dict       # explainer -> (n, d) local or (d,) global
    is_classifier: bool
    random_state: int = 0


def shares(A, j):
    """Per-row share of |attribution| mass on column j; NaN where the mass is zero.

    A zero explanation answers nothing (NaN), so an all-zero explainer cannot pass.
    """
    A = np.abs(np.atleast_2d(np.asarray(A, dtype=np.float64)))
    tot = A.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(tot > 0, A[:, j] / np.where(tot > 0, tot, 1.0), np.nan)
    return s


def conditional_resample(X, data, j, rng, n_neighbours=N_NEIGHBOURS):
    """Each row of X with column j replaced by the value of one of its nearest real rows
    (in the other columns, standardised) that has a *different* value of column j.

    The counterfactual stays on the data: column j takes a value that real rows like this
    one take. Returns (Z, ok): ok is False for rows with no such neighbour (left as is).
    """
    X = np.asarray(X, dtype=np.float64)
    data = np.asarray(data, dtype=np.float64)
    others = [k for k in range(X.shape[1]) if k != j]
    sd = data[:, others].std(axis=0)
    sd[sd == 0] = 1.0
    Z = X.copy()
    ok = np.zeros(len(X), dtype=bool)
    for i, x in enumerate(X):
        cand = np.flatnonzero(data[:, j] != x[j])
        if cand.size == 0:
            continue
        dist = (((data[cand][:, others] - x[others]) / sd) ** 2).sum(axis=1)
        near = cand[np.argsort(dist, kind="stable")[:n_neighbours]]
        Z[i, j] = data[rng.choice(near), j]
        ok[i] = True
    return Z, ok


def flip_rate(inp, j, n_draws=3):
    """Share of real rows whose decision changes when only column j changes on the data,
    with a bootstrap interval over rows."""
    rng = np.random.default_rng(inp.random_state)
    base = inp.decide(inp.X)
    changed = []
    for _ in range(n_draws):
        Z, ok = conditional_resample(inp.X, inp.background, j, rng)
        out = inp.decide(Z)
        if inp.is_classifier:
            ch = out != base
        else:
            scale = np.std(inp.predict(inp.background)) or 1.0
            ch = np.abs(out - base) > 0.05 * scale
        changed.append(np.where(ok, ch, False))
    per_row = np.mean(changed, axis=0)
    return ci(per_row, inp.random_state)


def ci(values, random_state=0):
    from ..metrics import bootstrap_ci

    return bootstrap_ci(values, random_state=int(random_state) % (2**31))
