"""Use-case audits: can this explainer answer *my* debugging question on this model?

Each use case has a question in plain words, a truth computed from the model on the data (on
the manifold: counterfactuals that keep the row on the data, or a planted family's own
generator), a documented decision rule turning an explainer's output into an answer, and a
score with a confidence interval. :func:`run_use_cases` returns the tidy
``report.use_cases`` frame (columns :data:`COLUMNS`).

Implemented: ``protected_attribute`` (with the Slack et al. scaffold, :func:`make_scaffold`),
``shortcut``. A use case that cannot run on the model (a regressor where a decision is
needed, a protected column not in X, a truth beyond the budget) gives a row that says why;
the rest of the audit goes on.
"""

import time

import numpy as np

from ._common import COLUMNS, FLIP_RATE, MATERIAL_SHARE, UseCaseInput  # noqa: F401
from .protected_attribute import make_scaffold, protected_attribute  # noqa: F401
from .shortcut import DETECTION_AUC, shortcut  # noqa: F401

USE_CASES = ("protected_attribute", "shortcut")
#: Model rows a use case's truth may evaluate (beyond it: a message, not a result).
MAX_TRUTH_ROWS = 2_000_000


def _message(use_case, text):
    return {"use_case": use_case, "explainer": "-", "question": "", "answer": text,
            "truth": None, "correct": None, "score": np.nan, "ci_low": np.nan,
            "ci_high": np.nan, "rule": ""}


def explain_model(model, X, background, explainers, seed):
    """Run the audit's explainers on another model (no scoring): ``(attributions,
    predict_fn, exact interventional Shapley values)``."""
    from ..runner import (AuditState, compute_audit_truth, resolve_audit, run_explainers)

    st = AuditState(model, t_start=time.perf_counter())
    resolve_audit(st, X, background, explainers, ["estimation_error"], seed, n_reruns=0,
                  estimands=["interventional_shap"])
    compute_audit_truth(st)
    run_explainers(st)
    return st.attributions, st.target.fn(int(st.target.output_index[0])), \
        st.truth.values.get("interventional_shap")


def run_use_cases(state, use_cases, protected=None):
    """The ``report.use_cases`` DataFrame of an audited (scored) :class:`AuditState`."""
    import pandas as pd

    t0 = time.perf_counter()
    use_cases = list(USE_CASES) if use_cases == "all" else list(use_cases)
    rows = []
    target = state.target
    column = int(target.output_index[0])
    predict = target.fn(column)
    is_clf = hasattr(state.model, "predict_proba") and hasattr(state.model, "classes_")
    atts = dict(state.attributions)
    exact = state.truth.values.get("interventional_shap")
    if exact is not None:
        atts["exact:interventional_shap"] = exact
    names = [e.name for e in state.explainers if e.scope == "local"]
    for uc in use_cases:
        try:
            if uc == "protected_attribute":
                if not protected:
                    rows.append(_message(uc, "not computed: name the protected column(s) "
                                             "(protected=[...], --protected COL)"))
                    continue
                if not is_clf:
                    rows.append(_message(uc, "not computed: needs a classifier (a decision "
                                             "that can flip); this model is a regressor"))
                    continue
                need = 3 * len(state.X) * len(protected)
                if need > MAX_TRUTH_ROWS:
                    rows.append(_message(uc, f"not computed: its truth needs {need} model rows"
                                             f" > the budget {MAX_TRUTH_ROWS}"))
                    continue
                model = state.model
                decide = (lambda Z: np.asarray(model.predict(Z)))
                inp = UseCaseInput(predict, decide, state.X, state.background,
                                   state.feature_names, atts, True,
                                   int(state.random_state or 0))
                rows.extend(protected_attribute(inp, [str(p) for p in protected]))
            elif uc == "shortcut":
                if not is_clf:
                    rows.append(_message(uc, "not computed: needs a classifier; the shortcut "
                                             "family is a binary classification task"))
                    continue
                rows.extend(shortcut(state.model, names, explain_model,
                                     random_state=int(state.random_state or 0)))
            else:
                rows.append(_message(uc, f"unknown use case {uc!r}; known: "
                                         f"{', '.join(USE_CASES)}"))
        except Exception as exc:  # a use case that fails is reported; the audit goes on
            rows.append(_message(uc, f"failed: {type(exc).__name__}: {exc}"))
    df = pd.DataFrame(rows, columns=COLUMNS)
    df.attrs["seconds"] = time.perf_counter() - t0
    return df


def use_cases_text(df):
    """The summary's section: your question -> which explainer answers it here."""
    if df is None or not len(df):
        return ""
    lines = ["Your question -> which explainer answers it here:"]
    for (uc, q), g in df.groupby(["use_case", "question"], sort=False):
        lines.append(f"- {uc}: {q}")
        truth = g["truth"].dropna()
        if len(truth):
            lines.append(f"    truth (on the data): {truth.iloc[0]}")
        for _, r in g.iterrows():
            mark = {True: "right", False: "WRONG", None: ""}.get(r["correct"], "")
            lines.append(f"    {r['explainer']:<28} {r['answer']}  {mark}")
        rule = g["rule"].iloc[0]
        if rule:
            lines.append(f"    rule: {rule}")
    return "\n".join(lines)


def use_cases_html(df):
    import html

    if df is None or not len(df):
        return ""
    return ("<pre>" + html.escape(use_cases_text(df)) + "</pre>"
            + df.to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep="-"))


def method_selection(df):
    """use case x explainer -> score (the share of right answers for protected_attribute
    over the models given, the AUC for shortcut)."""
    d = df[df["explainer"] != "-"].copy()
    d["value"] = np.where(d["use_case"] == "shortcut", d["score"],
                          d["correct"].astype(float))
    return d.pivot_table(index="explainer", columns="use_case", values="value", aggfunc="mean")
