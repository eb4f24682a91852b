"""Use-case audits: can this explainer answer *my* debugging question on this model?

Each use case has a question in plain words, a truth computed from the model on the data (on
the manifold: counterfactuals that keep the row on the data, or a planted family's own
generator), a documented decision rule turning an explainer's output into an answer, and a
score with a confidence interval. :func:`run_use_cases` returns the tidy
``report.use_cases`` frame (columns :data:`COLUMNS`).

Adding a use case
-----------------
A use case is a module of this package with a function ``run(state, ctx) -> list of dict``,
registered with one line in :data:`REGISTRY` (name -> function). ``state`` is the scored
:class:`~glassworks.comparator.runner.AuditState` (``state.model``, ``state.X``,
``state.background``, ``state.feature_names``, ``state.attributions``, ``state.truth``, ...);
``ctx`` is a :class:`~._common.UseCaseContext` (``protected``, ``budget``,
``random_state``, ``is_classifier``, ``predict``, ``decide``, ``attributions`` with the exact
interventional Shapley values added, ``local_explainers``, ``explain_model(model, X,
background, explainers, seed)`` to re-run the explainers on another model,
``check_budget``, ``require_classifier``). Each returned dict has the keys :data:`COLUMNS`:
``use_case, explainer, question, answer, truth, correct, score, ci_low, ci_high, rule``
(``rule`` names the decision rule and its threshold). A use case that cannot run raises
:class:`~._common.NotApplicable` with a message (or returns :func:`~._common.message_row`
rows); any other exception is reported as ``failed: ...``. Either way the rest of the audit
goes on.

Implemented: ``protected_attribute`` (with the Slack et al. scaffold, :func:`make_scaffold`),
``shortcut``, ``randomization`` (model-parameter randomisation sanity checks),
``forward_simulation``, ``recourse`` and ``uses_feature``.
"""

import time

import numpy as np

from ._common import (COLUMNS, FLIP_RATE, MATERIAL_SHARE, MAX_TRUTH_ROWS,  # noqa: F401
                      NotApplicable, UseCaseContext, UseCaseInput, message_row)
from . import _common
from . import forward_simulation as _forward_simulation
from . import protected_attribute as _protected_attribute
from . import randomization as _randomization
from . import recourse as _recourse
from . import shortcut as _shortcut
from . import uses_feature as _uses_feature
from .protected_attribute import make_scaffold  # noqa: F401
from .shortcut import DETECTION_AUC  # noqa: F401

#: use case name -> ``run(state, ctx) -> list of row dicts`` (one line per use case).
REGISTRY = {
    "protected_attribute": _protected_attribute.run,
    "shortcut": _shortcut.run,
    "uses_feature": _uses_feature.run,
    "recourse": _recourse.run,
    "randomization": _randomization.run,
    "forward_simulation": _forward_simulation.run,
}

#: Use cases run by ``use_cases="all"``, in order.
USE_CASES = tuple(REGISTRY)


def _decision_fn(model, feature_names):
    """``Z -> model.predict(Z)``, with the column names the model was fitted with."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return lambda Z: np.asarray(model.predict(np.asarray(Z, dtype=np.float64)))
    import pandas as pd

    cols = list(names)
    return lambda Z: np.asarray(model.predict(pd.DataFrame(np.asarray(Z, dtype=np.float64),
                                                           columns=cols)))


def make_context(state, protected=None, budget=None, data=None):
    """The :class:`UseCaseContext` of a scored :class:`AuditState`."""
    from ..runner import _check_X

    if budget is None:
        budget = _common.MAX_TRUTH_ROWS
    target = state.target
    predict = target.fn(int(target.output_index[0]))
    model = state.model
    if data is None:
        data = np.unique(np.vstack([state.X, state.background]), axis=0)
    else:
        data, _ = _check_X(data, model)
        if data.shape[1] != state.X.shape[1]:
            raise NotApplicable(f"not computed: data has {data.shape[1]} columns, X has "
                                f"{state.X.shape[1]}")
    atts = dict(state.attributions)
    exact = state.truth.values.get("interventional_shap")
    if exact is not None:
        atts["exact:interventional_shap"] = exact
    return UseCaseContext(
        protected=[str(p) for p in (protected or [])], budget=int(budget),
        random_state=int(state.random_state or 0) % (2**31),
        is_classifier=hasattr(model, "predict_proba") and hasattr(model, "classes_"),
        predict=predict, decide=_decision_fn(model, state.feature_names),
        attributions=atts, local_explainers=[e.name for e in state.local], data=data,
        explainer_objects={e.name: e for e in state.local})


def run_use_cases(state, use_cases, protected=None, budget=None, data=None):
    """The ``report.use_cases`` DataFrame of an audited (scored) :class:`AuditState`.

    Parameters
    ----------
    state : AuditState
        After :func:`~glassworks.comparator.runner.score_explainers`.
    use_cases : "all" or list of str
        Names in :data:`REGISTRY`.
    protected : list of str, default=None
        Protected columns (``protected_attribute``).
    budget : int, default=None
        Model rows each use case's truth may evaluate; None: :data:`MAX_TRUTH_ROWS`.
    data : array-like (m, d), default=None
        Real rows for the on-manifold truths; None: X and the background.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`; ``df.attrs["seconds"]`` is the time spent.
    """
    import pandas as pd

    t0 = time.perf_counter()
    if isinstance(use_cases, str):
        use_cases = list(USE_CASES) if use_cases == "all" else [use_cases]
    rows = []
    try:
        ctx = make_context(state, protected, budget, data)
    except (NotApplicable, ValueError) as exc:
        df = pd.DataFrame([message_row(uc, str(exc)) for uc in use_cases], columns=COLUMNS)
        df.attrs["seconds"] = time.perf_counter() - t0
        return df
    for uc in use_cases:
        run = REGISTRY.get(uc)
        if run is None:
            rows.append(message_row(uc, f"unknown use case {uc!r}; known: "
                                        f"{', '.join(USE_CASES)}"))
            continue
        try:
            rows.extend(run(state, ctx))
        except NotApplicable as exc:
            rows.append(message_row(uc, str(exc)))
        except Exception as exc:  # a use case that fails is reported; the audit goes on
            rows.append(message_row(uc, f"failed: {type(exc).__name__}: {exc}"))
    df = pd.DataFrame(rows, columns=COLUMNS)
    df.attrs["seconds"] = time.perf_counter() - t0
    return df


def _mark(r):
    if r["correct"] is None or (isinstance(r["correct"], float) and np.isnan(r["correct"])):
        return ""
    return "right" if bool(r["correct"]) else "WRONG"


def use_cases_text(df):
    """The summary's section: your question -> which explainer answers it here."""
    if df is None or not len(df):
        return ""
    lines = ["Your question -> which explainer answers it here:"]
    for (uc, q), g in df.groupby(["use_case", "question"], sort=False):
        lines.append(f"- {uc}: {q}" if q else f"- {uc}")
        truth = g["truth"].dropna()
        if len(truth):
            lines.append(f"    truth (on the data): {truth.iloc[0]}")
        for _, r in g.iterrows():
            lines.append(f"    {r['explainer']:<28} {r['answer']}  {_mark(r)}".rstrip())
        rule = g["rule"].iloc[0]
        if rule:
            lines.append(f"    rule: {rule}")
    return "\n".join(lines)


def use_cases_html(df):
    """A self-contained HTML fragment: "your question -> which explainer answers it here",
    one table per question (truth, each explainer's answer, right or wrong, score and
    interval, the decision rule). Empty when no use case ran."""
    import html

    if df is None or not len(df):
        return ""
    esc = html.escape
    parts = ['<section class="use-cases"><h3>Your question &rarr; which explainer answers '
             "it here</h3>"]
    for (uc, q), g in df.groupby(["use_case", "question"], sort=False):
        parts.append(f"<h4>{esc(uc)}{': ' + esc(q) if q else ''}</h4>")
        truth = g["truth"].dropna()
        if len(truth):
            parts.append(f"<p><b>Truth (on the data):</b> {esc(str(truth.iloc[0]))}</p>")
        body = []
        for _, r in g.iterrows():
            mark = _mark(r)
            colour = {"right": "#1a7f37", "WRONG": "#cf222e"}.get(mark, "#555")
            score = ("-" if not np.isfinite(r["score"]) else
                     f"{r['score']:.3g} [{r['ci_low']:.3g}, {r['ci_high']:.3g}]")
            body.append(f"<tr><td>{esc(str(r['explainer']))}</td><td>{esc(str(r['answer']))}"
                        f'</td><td style="color:{colour};font-weight:bold">{mark}</td>'
                        f"<td>{esc(score)}</td></tr>")
        parts.append('<table style="border-collapse:collapse"><tr><th>explainer</th>'
                     "<th>answer</th><th>verdict</th><th>score [95% CI]</th></tr>"
                     + "".join(body) + "</table>")
        if g["rule"].iloc[0]:
            parts.append(f"<p><small>Rule: {esc(g['rule'].iloc[0])}</small></p>")
    parts.append("</section>")
    return "".join(parts)


#: Use cases whose ``score`` is already a verdict over a family of models (an AUC): the
#: method-selection table shows it; for the others it shows the share of right answers.
FAMILY_SCORED = {"shortcut"}


def method_selection(df):
    """use case x explainer -> score: for a use case judged per model (protected_attribute)
    the share of right answers over the models whose audits are in ``df``; for one scored
    over a family (:data:`FAMILY_SCORED`: shortcut's detection AUC) its score. Message rows
    are left out."""
    d = df[df["explainer"] != "-"].copy()
    d["value"] = np.where(d["use_case"].isin(FAMILY_SCORED), d["score"],
                          d["correct"].astype(float))
    return d.pivot_table(index="explainer", columns="use_case", values="value", aggfunc="mean")
