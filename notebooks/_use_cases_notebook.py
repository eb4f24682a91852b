"""Cells of the notebook "Debugging a model with explanations: which explainer answers which
question?" (use cases of the comparator, issue 14). Built by ``notebooks/_build.py``."""

from _build import code, md  # one way to make a cell, for every notebook

SETUP = """\
%matplotlib inline
import warnings
import numpy as np
import pandas as pd
pd.set_option("display.precision", 3)
pd.set_option("display.width", 140)
pd.set_option("display.max_colwidth", 90)
from IPython.display import Markdown, display
from glassworks.comparator import audit"""


CELLS = [
    md("""
# Debugging a model with explanations: which explainer answers which question?

Model debugging is the use of explanations that users actually need, and an evaluation of an
explainer only means something for a given *question*. This notebook asks two questions about
models whose answer we know, and checks which explainers get it right:

1. **protected_attribute**: does the model's decision on the real rows depend on a protected
   column (here `sex`)? The truth is computed *on the data*: each real row is compared with the
   nearest real row that has the other sex, against a placebo (the nearest real row with the
   same sex); only real rows are ever given to the model. An explainer answers "yes" when it
   puts a material share of its |attribution| on the column.
2. **shortcut**: is the model relying on a spurious shortcut (a watermark that copies the
   label)? A family of models is trained with and without the shortcut; each explainer's share
   on the watermark is scored as a detector of which models really use it (ROC AUC).

The model of question 1 is a **scaffold** (Slack et al., AIES 2020, "Fooling LIME and SHAP"): it
decides by `sex` on real rows, and by an innocuous random column on the points LIME and
KernelSHAP make up, which an out-of-distribution detector trained on those explainers' own
queries tells apart. Beside it, an honest **control** decides by `priors` and never by `sex`.
"""),
    code(SETUP + """
from pathlib import Path
from glassworks.comparator.use_cases.protected_attribute import (
    compas_scaffold_models, find_compas, load_compas)

path = find_compas(str(Path("..") / ".." / "shared" / "data")) or find_compas()
rng = np.random.default_rng(0)
if path is not None:
    X, y = load_compas(path, n_rows=1500, random_state=0)
    source = f"1500 rows of COMPAS (CORELS's preparation) from `{path}`"
else:  # a synthetic stand-in with COMPAS's columns and cardinalities, so the notebook runs
    cards = {"sex": 2, "age": 5, "juvenile-felonies": 2, "juvenile-misdemeanors": 2,
             "juvenile-crimes": 2, "priors": 4, "current-charge-degree": 2}
    X = pd.DataFrame({c: rng.integers(0, k, 1500).astype(float) for c, k in cards.items()})
    X["unrelated"] = rng.uniform(0, 1, len(X))
    source = "a synthetic stand-in for COMPAS (the data folder was not found)"
rows = X.iloc[np.sort(rng.choice(len(X), 8, replace=False))]
background = X.iloc[np.sort(rng.choice(len(X), 30, replace=False))]
models = compas_scaffold_models(X, background=background.to_numpy(), rows=rows.to_numpy())
display(Markdown(f"Data: {source}; columns {', '.join(X.columns)}. "
                 f"{len(rows)} rows explained, {len(background)} background rows."))
"""),
    md("""
## Question 1: does the decision depend on `sex`?

The audit runs LIME, KernelSHAP and permutation SHAP on each model (and computes the exact
interventional Shapley values, `exact:interventional_shap`, from the model itself), then the
use case. `data=X` gives the real rows the truth draws its counterparts from.
"""),
    code("""
explainers = ["lime", "kernel_shap", "permutation_shap"]
reports = {}
for name, model in models.items():
    reports[name] = audit(model, rows, background=background, explainers=explainers,
                          random_state=0, n_reruns=0, use_cases=["protected_attribute"],
                          protected="sex", data=X)
cols = ["explainer", "answer", "correct", "score", "ci_low", "ci_high"]
for name, rep in reports.items():
    uc = rep.use_cases
    display(Markdown(f"**{name}**. Truth (on the data): {uc['truth'].iloc[0]}"))
    display(uc[cols])
print("rule:", reports[next(iter(reports))].use_cases["rule"].iloc[0])
"""),
    code("""
sc = reports["scaffold (biased on sex)"].use_cases.set_index("explainer")
ct = reports["control (uses priors, not sex)"].use_cases.set_index("explainer")
fooled = [e for e in sc.index if not sc.loc[e, "correct"]]
alarms = [e for e in ct.index if str(ct.loc[e, "answer"]).startswith("yes")]
display(Markdown(
    f"On the scaffold the truth says **{sc['truth'].iloc[0].split(':')[0]}**, and "
    f"{len(fooled)} of {len(sc)} explainers are fooled ({', '.join(fooled) or 'none'}): their "
    f"share on sex is at most {100 * sc['score'].max():.1f}%. The exact interventional Shapley "
    f"values are fooled too: they are computed on the same hybrid points, off the data. "
    f"On the control the truth says **{ct['truth'].iloc[0].split(':')[0]}** and "
    f"{len(alarms)} explainers raise an alarm ({', '.join(alarms) or 'none'})."))
"""),
    md("""
Only a truth computed on the data sees the scaffold: the scores of the explainers against
their own estimands (in `rep.scores`) say nothing about it, since an explainer can compute its
own quantity exactly and still answer the user's question wrongly.

## Question 2: is the model relying on a shortcut?

A glass-box tree is fitted on the planted `shortcut` scenario; the use case trains a family
of such trees (the next cell prints how many), half of them on data where the watermark
copies the label and half on data where it is random, and asks which trees use it on the data (flipping the
watermark changes the decision; both values occur at every row under the generator).
"""),
    code("""
import glassworks as gw
from glassworks.comparator.scenarios import make_scenario

s = make_scenario("shortcut", n_samples=300, n_features=6, random_state=0)
tree = gw.DecisionTreeClassifier(max_depth=4, random_state=0).fit(s.X, s.y)
sc_rep = audit(tree, s.X[:10], explainers=["lime", "kernel_shap", "tree_shap"],
               random_state=0, n_reruns=0, use_cases=["shortcut"])
uc2 = sc_rep.use_cases
print("scenario:", s.description)
print("truth:", uc2["truth"].iloc[0])
display(uc2[cols])
"""),
    md("""
## Which explainer should I use for my question?

The method-selection table: for `protected_attribute`, the share of the two models (scaffold
and control) on which the explainer answered right; for `shortcut`, its detection AUC over
the family.
"""),
    code("""
from glassworks.comparator.use_cases import method_selection

table = method_selection(pd.concat([rep.use_cases for rep in reports.values()] + [uc2]))
table
"""),
    md("""
## Planted scenarios: recall against what the fitted model uses

A planted scenario has a *plan* (the features the data-generating process uses), but the
fitted model may use others. With `scenario=`, `recall_at_k` is scored against the features
the fitted model uses on the data (each feature redrawn from the scenario's own generator
given the others), and the notes show the plan beside it.
"""),
    code("""
s8 = make_scenario("shortcut", n_samples=500, random_state=0)
t8 = gw.DecisionTreeClassifier(max_depth=5, random_state=0).fit(s8.X, s8.y)
r8 = audit(t8, s8.X[:10], background=s8.X[:50], explainers=["tree_shap"],
           metrics=["recall_at_k"], random_state=0, scenario=s8)
print([n for n in r8.notes if n.startswith("recall_at_k")][0])
print("tree_shap recall@k against the model's use:", round(r8.score("tree_shap", "recall_at_k"), 3))
"""),
]
