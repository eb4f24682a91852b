"""Build the teaching notebooks from the Python source below, execute them, keep the outputs.

    python notebooks/_build.py            # all notebooks
    python notebooks/_build.py 03 05      # the ones whose file name starts with these

Each notebook is written with nbformat from the cells listed here, executed in place with
nbclient (in a kernel of the interpreter running this script, from the notebooks directory, so
relative paths are the same as for a reader), and saved with its outputs. The execution time
and the file size of each notebook are printed. Edit the cells here, not the .ipynb files.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

SETUP = """\
%matplotlib inline
import warnings
import numpy as np
import pandas as pd
import matplotlib
matplotlib.rcParams["figure.dpi"] = 70   # small figures keep the notebook small
pd.set_option("display.precision", 3)
pd.set_option("display.width", 120)
import glassworks as gw
from glassworks.plotting import plot_tree, plot_rules, plot_maple, plot_explanation"""


def md(text):
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text):
    return nbformat.v4.new_code_cell(text.strip("\n"))


# ---------------------------------------------------------------------------------------------
# 01 Glass-box models in ten minutes
# ---------------------------------------------------------------------------------------------
NB01 = [
    md("""
# Glass-box models in ten minutes

A *glass-box* model is one whose prediction you can read: the model **is** its explanation.
This notebook fits the three kinds glassworks offers on one data set and reads each of them:

1. a **decision tree** (CART): a few nested if/else tests;
2. a **rule list**: an ordered list of if / else-if rules, the first rule that matches decides;
3. **MAPLE**: a random forest that picks, for each point, the training rows that resemble it,
   and a linear model fitted on them; its prediction is that local linear model, which you
   can read.

Then we compare accuracy and fit time with scikit-learn. The data is scikit-learn's breast
cancer set (569 tumours, 30 measurements; class 0 = malignant, 1 = benign), bundled with
scikit-learn, so nothing is downloaded.
"""),
    code(SETUP + """
from sklearn.model_selection import train_test_split
from glassworks.datasets import load_dataset

X, y, task = load_dataset("breast_cancer")
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0)
print(X.shape, task, y.value_counts().to_dict())"""),
    md("""
## 1. A decision tree

Every glassworks estimator follows scikit-learn's conventions (`fit`, `predict`, `score`,
`get_params`, pandas in and feature names kept), so this is the usual two lines. A depth of 3
means at most three questions per prediction. `export_text` prints the tree in scikit-learn's
layout, with thresholds in the features' own units.
"""),
    code("""
tree = gw.DecisionTreeClassifier(max_depth=3, random_state=0).fit(X_train, y_train)
print(gw.export_text(tree))
print(f"test accuracy: {tree.score(X_test, y_test):.3f}")"""),
    md("""
The same tree drawn (`glassworks.plotting.plot_tree`): each box shows its test, the number
`n` of training samples that reach it and, at a leaf, the class probabilities. The left edge
is "yes".
"""),
    code("plot_tree(tree)"),
    md("""
A single prediction is explained by the path it takes (`explain_rules`), and by exact
Shapley values of the tree (`explain`, path-dependent TreeSHAP computed by glassworks' own
kernels). The path names the tests; the Shapley values split the move from the average
prediction to this one among the features. They can also credit a feature tested elsewhere
in the tree: with that feature "unknown", the tree's expectation averages over branches this
sample did not take (notebook 04 compares the kinds of Shapley values).
"""),
    code("""
print(tree.explain_rules(X_test.iloc[:1])[0])
print("predicted P(benign):", tree.predict_proba(X_test.iloc[:1])[0, 1].round(3))
plot_explanation(tree.explain(X_test.iloc[:1]), max_features=6)"""),
    md("""
Real tables have categories. A pandas `category` (or string) column is split natively: a test
sends a *set* of categories left, found exactly for two classes by sorting the categories by
their share of the positive class. Here a made-up table where the city matters through two of
its five values:
"""),
    code("""
rng = np.random.default_rng(0)
cities = rng.choice(["ams", "ber", "dub", "lis", "par"], 600)
income = rng.normal(size=600)
shop = pd.DataFrame({"city": pd.Categorical(cities), "income": income})
buys = (np.isin(cities, ["ber", "lis"]) ^ (income > 0.5)).astype(int)
cat_tree = gw.DecisionTreeClassifier(max_depth=2, random_state=0).fit(shop, buys)
print(gw.export_text(cat_tree))
print(cat_tree.explain_rules(shop.iloc[:1])[0])"""),
    md("""
## 2. A rule list

A rule list reads top to bottom: the first rule whose conditions hold gives the prediction.
It is fitted by minimising *misclassification rate + `lam` x number of rules*, so `lam` trades
accuracy for brevity. `algorithm="greedy"` grows the list rule by rule (fast);
`algorithm="optimal"` searches all lists and certifies the best one (notebook 05).
`print` shows each rule with how many training samples it captures and how often it is right.
"""),
    code("""
rules = gw.RuleListClassifier(algorithm="greedy", lam=0.01, max_card=2).fit(X_train, y_train)
print(rules)
print(f"\\ntest accuracy: {rules.score(X_test, y_test):.3f}")"""),
    code("plot_rules(rules)"),
    md("""
## 3. MAPLE

MAPLE's prediction at a point is a ridge regression fitted on the training rows that share
leaves with the point in a random forest (weighted by how often they do). For a classifier
the local model predicts the class probabilities. Its coefficients are the explanation: how
the predicted probability changes per unit of each feature, *around this point*. MAPLE also
keeps only the features that help on a validation split (`kept_features_`).
"""),
    code("""
maple = gw.MapleClassifier(n_estimators=100, random_state=0).fit(X_train, y_train)
print(f"test accuracy: {maple.score(X_test, y_test):.3f}")
print("features kept:", [X.columns[j] for j in maple.kept_features_])
e = maple.explain(X_test.iloc[[0]])          # values: (1, n_features, n_classes)
coef = pd.Series(e.values[0, :, 1], index=e.feature_names).iloc[maple.kept_features_]
print("intercept of P(benign):", round(e.base_values[0, 1], 3))
coef.sort_values(key=abs, ascending=False).head(8).to_frame("local slope of P(benign)")"""),
    md("""
The explanation is exact: the local model *is* the prediction
(`intercept + sum(slope * x)` equals `predict_local`). The slopes are per unit of each
feature, so a feature with a small range (the concave points are fractions) gets a large
slope. `plot_maple` shows the slopes next to the training rows that weigh most in this
point's neighbourhood: the examples behind it.
"""),
    code("""
x0 = X_test.iloc[[0]]
local = e.base_values[0] + (e.values[0] * x0.to_numpy().T).sum(axis=0)
print(np.allclose(local, maple.predict_local(x0)[0]))
plot_maple(maple, x0, k=8)"""),
    md("""
## 4. Compared with scikit-learn

Same data, same split. Each model is fitted once to warm up (the first call of a glassworks
model compiles its Numba kernels, or loads them from the on-disk cache), then fitted three
times; the median fit time is shown, with the ratio to the scikit-learn model beside it.
The peers: the same tree in scikit-learn, and for MAPLE scikit-learn's random forest with
MAPLE's forest settings (it is a black box; MAPLE adds the local models on top of a forest).
Timings on a shared machine are noisy; the ratios are what to read.
"""),
    code("""
import time
from sklearn.tree import DecisionTreeClassifier as SkTree
from sklearn.ensemble import RandomForestClassifier as SkForest

def median_fit_seconds(make, repeats=3):
    make().fit(X_train, y_train)                       # warm-up, untimed
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); model = make().fit(X_train, y_train)
        times.append(time.perf_counter() - t)
    return model, float(np.median(times))

pairs = [
    ("tree, depth 3", lambda: gw.DecisionTreeClassifier(max_depth=3, random_state=0),
                      lambda: SkTree(max_depth=3, random_state=0)),
    ("tree, full depth", lambda: gw.DecisionTreeClassifier(random_state=0),
                         lambda: SkTree(random_state=0)),
    ("MAPLE vs forest", lambda: gw.MapleClassifier(n_estimators=100, random_state=0),
                        lambda: SkForest(n_estimators=100, min_samples_leaf=10,
                                         max_features=0.5, random_state=0)),
]
rows = []
for name, ours, theirs in pairs:
    m1, t1 = median_fit_seconds(ours)
    m2, t2 = median_fit_seconds(theirs)
    rows.append({"model": name, "glassworks acc": m1.score(X_test, y_test),
                 "sklearn acc": m2.score(X_test, y_test), "glassworks fit s": t1,
                 "sklearn fit s": t2, "time ratio (gw / sk)": t1 / t2})
pd.DataFrame(rows).set_index("model")"""),
    md("""
(MAPLE's fit includes choosing how many features to keep on a validation split and refitting
its forest, so it is expected to cost more than the bare forest.)

## Conclusion

- A depth-3 tree and a two-rule list are read in seconds and score within about five points
  of the forest, which you cannot read; MAPLE matches or beats the forest's accuracy while
  every prediction comes with its own linear model.
- All three are scikit-learn estimators: they take DataFrames, keep the feature names, clone,
  cross-validate and fit in pipelines.
- Their explanations are exact (a path, a rule, a local model), not estimates: notebook 02
  shows what post-hoc explainers get wrong when they estimate them.
"""),
]

# ---------------------------------------------------------------------------------------------
# 02 Can I trust LIME and SHAP?
# ---------------------------------------------------------------------------------------------
NB02 = [
    md("""
# Can I trust LIME and SHAP?

Post-hoc explainers (LIME, KernelSHAP, integrated gradients, ...) *estimate* an explanation
of a black box by probing it. But they do not all estimate the same thing. Each one computes
its own quantity, its **estimand**: KernelSHAP the interventional Shapley values; LIME's
default mode the large-sample limit of its own weighted regression on quartile bins;
integrated gradients a path integral along the straight line from a baseline. People read
all of them as "how much each feature contributed", usually as Shapley values.

On a glass-box model every estimand can be computed **exactly**, so
`glassworks.audit(model, X, ...)` gives each explainer two numbers:

1. its **estimation error**: the explainer against the exact value of *its own* estimand
   (sampling noise, a coarse grid, finite differences): is the implementation right?
2. its **estimand gap**: that exact value against what users read it as (interventional
   Shapley values unless `read_as=` says otherwise): does it answer the question it is taken
   to answer?

A large error is a bug or a small budget; a large gap is a different question. We plant the
truth twice over: the data set is generated so that we know which features matter, and the
model is a tree whose used features we can read.
"""),
    code(SETUP + """
from glassworks.comparator import audit
from glassworks.comparator.scenarios import make_scenario
from glassworks.comparator.explainers import KernelShap, Lime
warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm without ipywidgets"""),
    md("""
## A planted scenario: a proxy feature

In the `proxy` scenario the target depends on `x0` and `x2` only; `x1` is a near copy of `x0`
(correlation about 0.99) that the target never uses, and the other features are noise.
A good explainer of the **model** should give `x1` nothing, even though it is strongly
related to the target in the data.
"""),
    code("""
s = make_scenario("proxy", n_samples=600, n_features=6, random_state=0)
print(s.description)
print(f"correlation of x0 and x1: {np.corrcoef(s.X[:, 0], s.X[:, 1])[0, 1]:.2f}")
pd.Series(s.roles, name="role").to_frame()"""),
    code("""
model = gw.DecisionTreeRegressor(max_depth=3, random_state=0).fit(s.X, s.y)
print(gw.export_text(model, feature_names=s.feature_names))
pd.Series(model.feature_importances_, index=s.feature_names, name="importance").round(3)"""),
    md("""
The tree splits on `x0` and `x2` only, so every feature other than those two is a *dummy*
of this model: its exact Shapley value is 0 for every row, whatever the explainer's
background.

## The audit

Six explainers on 8 rows, with a background of 50 rows, each with the estimand it computes in
brackets:
- `tree_shap` (shap's TreeExplainer, interventional) and `kernel_shap` (shap's
  KernelExplainer): interventional Shapley values;
- `lime`: LIME's default (features discretised into quartiles): `lime_tabular`;
- `lime_continuous`: LIME without discretisation, sampling around x: `lime_gaussian`, a local
  slope (read as an attribution by slope x (x - background mean));
- `integrated_gradients`: the path integral from the background mean (computed by model
  calls along the line, which works on a step function);
- `saabas`: the path contributions (treeinterpreter's method).

Columns: `est_error` (relative L2 distance to the explainer's own estimand), `gap` (the
estimand's distance from interventional Shapley values), then, also against the explainer's
own estimand, `rank_corr` (Spearman correlation), `topk` and `sign` (agreement on the top
features and their signs); `dummy` (share of the absolute attribution on unused features),
`recall@k` (how many of the planted features are in the explainer's top k), `spread` (change
between reruns with other seeds). Ties are never broken by feature index, and a metric an
explainer leaves undefined (an all-zero attribution has no rank correlation) is scored as the
worst, so saying nothing never scores well.
"""),
    code("""
explainers = ["tree_shap", "kernel_shap", "lime", "lime_continuous", "integrated_gradients",
              "saabas"]
report = audit(model, s.X[:8], background=s.X[:50], explainers=explainers,
               relevant_features=s.relevant, random_state=0, estimands="all")
print(report.to_text())"""),
    md("""
## Two numbers for LIME, integrated gradients and SHAP

The two numbers with their 95% bootstrap intervals over the rows:
"""),
    code("""
two = report.scores[report.scores["metric"].isin(["estimation_error", "estimand_gap"])
                    & report.scores["explainer"].isin(["kernel_shap", "lime",
                                                       "integrated_gradients"])]
two.pivot(index=["explainer", "estimand"], columns="metric",
          values=["value", "ci_low", "ci_high"]).round(3)"""),
    md("""
KernelSHAP estimates interventional Shapley values and is read as them: its estimation error
is 1.11e-15 (it enumerates all 2^6 = 64 coalitions) and its gap is 0 by definition.
Integrated gradients, computed by model calls along the straight line (the tree's jumps where
the line crosses a threshold), matches its exact estimand to 0 here, so its implementation is
right; but that estimand is 0.828 away from the Shapley values (95% interval 0.703 to 0.951
over the rows). Reading IG as Shapley values is an error of the reading, not of the method.

LIME's two numbers need the exact value of its large-sample limit (`lime_tabular`: what its
weights converge to as its sample count grows), which the audit computes exactly for trees,
forests and rule lists (notebook 06 derives it and shows lime converging to it). Where the
audit cannot compute an estimand exactly it says so, and scores the explainer only on the
metrics that need no truth (`dummy`, `recall@k`, `spread`). LIME's own verdicts:
"""),
    code("""
print("\\n".join(line for line in report.summary().splitlines()
                if line.startswith(("- lime ", "- lime_continuous ", "Note: lime"))))"""),
    code("print(report.summary())"),
    md("""
The scorecard as a heat map (green is good whatever the metric's direction) and each
explainer's attributions against the exact value of its own estimand (on the diagonal when
exact):
"""),
    code("report.plot(max_explainers=4)"),
    md("""
## The estimands themselves disagree

`report.estimand_distances` compares the exact estimands with each other on this model
(row estimand's relative L2 distance from the column estimand, averaged over the rows; slopes
read as slope x (x - background mean); global estimands as shares of importance). It depends
on the model only, not on any explainer's implementation: it is what "reading X as Y" costs.
"""),
    code("""
names = ["interventional_shap", "path_shap", "baseline_shap", "lime_tabular",
         "lime_gaussian", "integrated_gradients", "path_contribution"]
names = [n for n in names if n in report.estimand_distances.index]
report.estimand_distances.loc[names, names].round(2)"""),
    md("""
One row, side by side: the exact interventional Shapley values, the exact limit LIME
estimates and LIME's own weights (5000 samples), the exact integrated gradients and the
explainer's, and the Saabas path contributions.
"""),
    code("""
row = 0
cols = {"exact SHAP": report.truth["interventional_shap"][row],
        "kernel_shap": report.attributions["kernel_shap"][row]}
if "lime_tabular" in report.truth:
    cols["exact LIME limit"] = report.truth["lime_tabular"][row]
cols["lime (5000 samples)"] = report.attributions["lime"][row]
cols["exact IG"] = report.truth["integrated_gradients"][row]
cols["integrated_gradients"] = report.attributions["integrated_gradients"][row]
cols["saabas"] = report.attributions["saabas"][row]
print(f"the line from the background mean to row {row}: x0 from "
      f"{s.X[:50, 0].mean():.3f} to {s.X[row, 0]:.3f}, x2 from {s.X[:50, 2].mean():.3f} "
      f"to {s.X[row, 2]:.3f}")
pd.DataFrame(cols, index=s.feature_names).round(3)"""),
    md("""
On this row the exact Shapley values give `x0` -0.673 and `x2` -0.798. Integrated gradients
gives `x0` exactly 0.000 and all of the change, -1.467, to `x2`: on the straight line from the
background mean to this row `x0` goes from 0.141 to 0.274 and crosses neither of the tree's
`x0` thresholds (about -0.40 and 0.30), so the tree's output changes only where `x2` crosses 0 and
IG credits `x2` alone. LIME's weights give
`x0` +1.298, the opposite sign of its Shapley value; whether that is LIME's sampling or LIME's
own quantity is what its estimation error and estimand gap separate. Saabas's path
contributions (-0.360, -0.748) are 0.279 from the Shapley values on average over the rows.

## The sampling budget

Sampling explainers converge to *their own* estimand as the budget grows; the gap to what they
are read as does not move. On the `sparse` scenario (10 features, 3 relevant) we rerun the
audit with budgets from 25 to 2000 model evaluations per explanation. KernelSHAP solves a
weighted regression over coalitions of features; with 10 features there are 2^10 = 1024
coalitions, so from that budget on it enumerates them all and is exact. LIME fits a weighted
ridge model to `num_samples` perturbations.
"""),
    code("""
s2 = make_scenario("sparse", n_samples=600, n_features=10, k=3, random_state=1)
model2 = gw.DecisionTreeRegressor(random_state=0).fit(s2.X, s2.y)
metrics = ["estimation_error", "estimand_gap", "rank_corr", "dummy_mass", "recall_at_k",
           "seed_spread"]
rows = []
for budget in [25, 100, 400, 2000]:
    r = audit(model2, s2.X[:6], background=s2.X[:40],
              explainers=[KernelShap(nsamples=budget), Lime(num_samples=budget)],
              metrics=metrics, relevant_features=s2.relevant, random_state=0)
    card = r.scorecard(metrics).reset_index()
    card["budget"] = budget
    rows.append(card)
sweep = pd.concat(rows).set_index(["explainer", "budget"]).drop(columns="estimand")
sweep"""),
    code("""
from matplotlib.figure import Figure
fig = Figure(figsize=(9, 2.8))
axes = fig.subplots(1, 3)
for ax, metric in zip(axes, ["estimation_error", "estimand_gap", "seed_spread"]):
    for name, g in sweep.reset_index().groupby("explainer"):
        ax.plot(g["budget"], g[metric], marker="o", label=name)
    ax.set_xscale("log"); ax.set_xlabel("samples per explanation"); ax.set_title(metric)
axes[0].legend(fontsize=8)
fig.tight_layout()
fig"""),
    md("""
KernelSHAP's estimation error falls from 1.121e-02 at 25 samples to 1.366e-03 at 400 and is
1.829e-15 at 2000, where it enumerates every coalition; its gap stays 0 throughout. LIME gets
*stable* as the budget grows (its spread falls from 8.899e-01 to 1.224e-01), puts less mass on
unused features (0.565 to 0.160), finds all planted features from 400 samples on, and its
estimation error against its own large-sample limit falls from 8.199e-01 to 1.653e-01: more
samples fix that. Its gap stays 0.377 at every budget: more samples take LIME to its limit,
not to the Shapley values (notebook 06 shows why).

## Conclusion

- **Two numbers, two questions.** The estimation error asks whether an explainer computes its
  own quantity well; the estimand gap asks whether that quantity is what you take it for.
  KernelSHAP is right on both counts here. Integrated gradients is computed exactly (error 0)
  but is 0.828 away from Shapley values on this tree: on a step function it collects each
  jump where the straight line crosses a threshold, which is a different attribution, not a
  broken one. Saabas is exact for its own quantity and 0.279 away from Shapley values.
- **LIME** estimates the large-sample limit of its own weighted regression on quartile bins.
  A bigger budget makes it stable more than it makes it Shapley values; read its weights as
  the effect of being in x's quartile bin, not as Shapley values.
- **The estimands disagree with each other** on the same model (`report.estimand_distances`),
  whatever the implementation: choose the explainer whose estimand answers your question, then
  check its estimation error on a model like yours.
- Exact explanations of glass-box models (`tree_shap`, `saabas`, the models' own `explain`)
  cost nothing and have no error.
"""),
]

# ---------------------------------------------------------------------------------------------
# 03 MAPLE
# ---------------------------------------------------------------------------------------------
NB03 = [
    md("""
# MAPLE: local, example-based and global explanations, and their limits

MAPLE (Plumb, Molitor and Talwalkar, NeurIPS 2018) turns a random forest into a
*neighbourhood*: for a point `x`, a training row weighs more the more trees put it in the
same leaf as `x`. A ridge regression fitted on the training rows with those weights is
MAPLE's local model, and its value at `x` is MAPLE's prediction. One model gives three
kinds of explanation:

1. **local linear**: the coefficients of the local model (slopes in the features' units);
2. **example-based**: the training rows with the most weight, the evidence for the
   prediction;
3. **global**: where the neighbourhoods are cut short along a feature, the model's behaviour
   changes abruptly (a boundary).

We use a function whose truth we know:
`y = 3 [x0 > 0] + x1 + 0.5 x2^2 + noise`, with `x3` pure noise: a **step** in `x0`, a slope
in `x1`, a curve in `x2`.
"""),
    code(SETUP + """
from matplotlib.figure import Figure

rng = np.random.default_rng(0)
names = ["x0 (step)", "x1 (linear)", "x2 (curve)", "x3 (noise)"]
def truth(X):
    return 3.0 * (X[:, 0] > 0) + X[:, 1] + 0.5 * X[:, 2] ** 2
X = pd.DataFrame(rng.uniform(-2, 2, size=(1000, 4)), columns=names)
y = truth(X.to_numpy()) + 0.1 * rng.normal(size=len(X))
maple = gw.MapleRegressor(n_estimators=100, random_state=0).fit(X, y)
print("features kept:", [names[j] for j in maple.kept_features_])
print("validation RMSE with 1..4 features:", maple.validation_rmse_.round(3))"""),
    md("""
## 1. The local linear explanation

At `x = (0.8, 0.5, 1.0, 0)` the true function has slopes `(0, 1, x2 = 1.0, 0)` (away from the
step, `x0` does not change `y`). MAPLE's local coefficients add up to its prediction exactly:
`intercept + sum(coef * x) = predict(x)`. How close they are to the true slopes depends on
how wide the neighbourhood is.
"""),
    code("""
x = pd.DataFrame([[0.8, 0.5, 1.0, 0.0]], columns=names)
e = maple.explain(x)
print("prediction", maple.predict(x)[0].round(3), "= intercept + coef . x:",
      (e.base_values[0] + e.values[0] @ x.to_numpy()[0]).round(3),
      "  truth:", truth(x.to_numpy())[0])
pd.DataFrame({"MAPLE slope": e.values[0], "true slope": [0.0, 1.0, 1.0, 0.0]}, index=names)"""),
    md("""
The slopes have the right signs and order (`x3` was dropped, `x0` is small), but the ones of
`x1` and especially of the curve `x2` are shrunk: the local model is a *weighted average* over
a neighbourhood as wide as the forest's leaves, and across that width the slope of
`0.5 x2^2` runs from about -0.5 to 1.1. A local explanation is local at the forest's scale,
not at an infinitesimal one.

## 2. Example-based: the neighbours

`neighbors(x, k)` returns the training rows with the most weight. They are the examples the
local model stands on: here all of them have `x0 > 0`, on the same side of the step as `x`,
because the forest's splits on `x0` near 0 keep the two sides in different leaves (and their
`x2` values show how wide the neighbourhood is).
"""),
    code("""
idx, w = maple.neighbors(x, k=6)
nb = X.iloc[idx[0]].assign(y=y[idx[0]], weight=w[0] / len(maple.trees_))
nb.round(3)"""),
    code("plot_maple(maple, x, k=8)"),
    md("""
## 3. Global: the local distribution and the boundaries

Project each point's neighbourhood on `x0`: the weighted distribution of the training rows'
`x0` around it. Far from the step it spreads around the point; near the step it is cut at 0,
on the point's side (`local_distribution`). `find_boundaries` looks for the places where
the neighbourhoods of the points just below and just above a value hardly cross it.
"""),
    code("""
grid = pd.DataFrame(np.zeros((41, 4)), columns=names)
grid[names[0]] = np.linspace(-1.5, 1.5, 41)
ld = maple.local_distribution(grid, names[0], quantiles=(0.1, 0.5, 0.9))
fig = Figure(figsize=(5, 3))
ax = fig.add_subplot()
ax.fill_between(ld["value"], ld["quantiles"][:, 0], ld["quantiles"][:, 2], alpha=0.3,
                label="10-90% of the neighbourhood")
ax.plot(ld["value"], ld["quantiles"][:, 1], label="median of the neighbourhood")
ax.plot(ld["value"], ld["value"], "k--", lw=0.8, label="the point itself")
ax.axvline(0, color="r", lw=0.8)
ax.set_xlabel("x0 of the point"); ax.set_ylabel("x0 of its neighbours"); ax.legend(fontsize=7)
fig"""),
    code("""
with warnings.catch_warnings():
    # find_boundaries re-reads the training rows as a bare array: silence sklearn's
    # "X does not have valid feature names" notice about that internal call
    warnings.simplefilter("ignore", UserWarning)
    for name in names[:2]:
        found, _, _ = maple.find_boundaries(name, window=20, threshold=0.5)
        print(f"{name}: boundaries at {np.round(found, 3)}")"""),
    md("""
The step at `x0 = 0` is found; the smooth slope in `x1` has none.

## 4. The limit: a local linear model cannot follow a step

A local *linear* model says how the prediction changes for **small** moves. Away from the
step, the slope of `x0` is near 0, which is true locally and says nothing about the jump
of 3 just past it. Extrapolate the local model of a point at `x0 = -0.4` to `x0 = +0.4`:
it misses the step entirely. And a point right at the step gets a neighbourhood from both
sides, whose linear fit is a poor compromise (a large slope that holds nowhere).
"""),
    code("""
line = pd.DataFrame(np.zeros((61, 4)), columns=names)
line[names[0]] = np.linspace(-1.5, 1.5, 61)
ex = maple.explain(line)
fig = Figure(figsize=(8, 3))
a1, a2 = fig.subplots(1, 2)
a1.plot(line[names[0]], truth(line.to_numpy()), "k", lw=1, label="true function")
a1.plot(line[names[0]], maple.predict(line), label="MAPLE prediction")
for x0 in (-0.4, 0.4):
    p = line.iloc[[np.argmin(abs(line[names[0]] - x0))]]
    ep = maple.explain(p)
    t = np.linspace(-1.5, 1.5, 2)
    a1.plot(t, ep.base_values[0] + ep.values[0, 0] * t, "--",
            label=f"local model at x0 = {x0}")
a1.set_xlabel("x0 (other features at 0)"); a1.legend(fontsize=7)
a2.plot(line[names[0]], ex.values[:, 0])
a2.set_xlabel("x0"); a2.set_title("local slope of x0", fontsize=9)
fig.tight_layout()
fig"""),
    code("""
p, q = pd.DataFrame([[-0.4, 0, 0, 0]], columns=names), pd.DataFrame([[0.4, 0, 0, 0]], columns=names)
ep = maple.explain(p)
print("local model of x0 = -0.4, evaluated at x0 = +0.4:",
      round(ep.base_values[0] + ep.values[0] @ q.to_numpy()[0], 2))
print("MAPLE's prediction at x0 = +0.4:", round(maple.predict(q)[0], 2),
      "  truth:", truth(q.to_numpy())[0])"""),
    md("""
## Conclusion

- MAPLE's local coefficients are an exact account of its own prediction, and close to the
  true slopes where the function is smooth.
- The neighbours are real training rows: evidence you can inspect, and they respect the
  model's boundaries.
- The global view (`local_distribution`, `find_boundaries`) finds abrupt changes that no
  single local model can show.
- The limit: a slope describes small moves. Across a step, a local linear explanation says
  "this feature does not matter" a moment before it matters most. Read the slopes together
  with the boundaries.
"""),
]

# ---------------------------------------------------------------------------------------------
# 04 Which Shapley value?
# ---------------------------------------------------------------------------------------------
NB04 = [
    md("""
# Which Shapley value?

A Shapley value splits a prediction `f(x)` among the features by averaging each feature's
contribution over all orders of revealing them. What "revealing the features in S" means is
a choice: the value of a coalition `S` is some expectation of `f` when only `x_S` is known.
Three common choices:

| name | value of coalition S | in glassworks |
|---|---|---|
| **interventional** | `E_Z[f(x_S, Z_~S)]`, Z from a background set, drawn independently of `x_S` | `model.explain(X, background=bg)` (exact, whole background) |
| **path-dependent** | the tree's own estimate of `E[f \\| x_S]`: at a split on a feature outside S, follow both branches weighted by their training cover | `model.explain(X)` (TreeSHAP) |
| **observational** | `E[f(X) \\| X_S = x_S]` under the data distribution | estimated below by nearest neighbours |

With independent features the three agree. With **correlated** features they answer
different questions, and disagree.
"""),
    code(SETUP + """
from glassworks.shapley import exact_interventional_shapley
from glassworks.shapley.brute_force import shapley_from_coalition_values"""),
    md("""
## Correlated data, a model that ignores one of the pair

`income` and `spending` are correlated (0.9); `age` is independent. The target is
`2 income + age`: spending plays no part in it, and the tree we fit never splits on it.
"""),
    code("""
rng = np.random.default_rng(0)
n = 2000
income = rng.normal(size=n)
spending = 0.9 * income + np.sqrt(1 - 0.9**2) * rng.normal(size=n)
age = rng.normal(size=n)
names = ["income", "spending", "age"]
X = np.c_[income, spending, age]
y = 2 * income + age + 0.1 * rng.normal(size=n)
tree = gw.DecisionTreeRegressor(max_depth=6, min_samples_leaf=20, random_state=0).fit(X, y)
print("correlation(income, spending) =", np.corrcoef(income, spending)[0, 1].round(3))
pd.Series(tree.feature_importances_, index=names, name="importance").round(3)"""),
    md("""
Three people to explain: a typical high earner (both high), a typical low earner, and an
*unusual* one: high income, low spending, a combination the data rarely shows.
"""),
    code("""
people = np.array([[1.5, 1.4, 0.0], [-1.0, -0.8, 1.0], [1.5, -0.5, 0.0]])
labels = ["high/high", "low/low", "high income, low spending"]
background = X[rng.choice(n, 200, replace=False)]
interventional = tree.explain(people, background=background)
path = tree.explain(people)
print("prediction:", tree.predict(people).round(3))"""),
    md("""
The interventional values are exact (every coalition, the whole background): the
brute-force oracle that enumerates coalitions and averages over the background agrees to
machine precision.
"""),
    code("""
oracle, _ = exact_interventional_shapley(tree.predict, people, background)
print("max |kernel - oracle| =", np.abs(oracle - interventional.values).max())"""),
    md("""
## Observational values, estimated

`E[f(X) | X_S = x_S]` has no closed form for a tree on continuous data. We estimate it
empirically: for each coalition `S`, take the `k = 50` training rows nearest to `x` **in the
coordinates of S only** (standardised), and average the model's predictions over them. The
empty coalition gets the mean prediction, the full coalition `f(x)`. The 2^3 = 8 coalition
values go into the exact Shapley formula (`shapley_from_coalition_values`).

(Another estimator conditions on the tree's leaves: the rows that satisfy the same splits on
the features of S. Nearest neighbours work for any model.)
"""),
    code("""
def observational_shapley(f, X, x, k=50):
    d = X.shape[1]
    mu, sd = X.mean(axis=0), X.std(axis=0)
    Z, z = (X - mu) / sd, (x - mu) / sd
    fX = f(X)
    v = np.empty(2 ** d)
    for code in range(2 ** d):
        S = [j for j in range(d) if code >> j & 1]
        if not S:
            v[code] = fX.mean()
        else:
            dist = ((Z[:, S] - z[S]) ** 2).sum(axis=1)
            v[code] = fX[np.argpartition(dist, k)[:k]].mean()
    v[-1] = f(x[None, :])[0]
    return shapley_from_coalition_values(v, d)

observational = np.array([observational_shapley(tree.predict, X, p) for p in people])"""),
    code("""
table = pd.concat({
    "interventional": pd.DataFrame(interventional.values, index=labels, columns=names),
    "path-dependent": pd.DataFrame(path.values, index=labels, columns=names),
    "observational": pd.DataFrame(observational, index=labels, columns=names),
}, axis=1)
table.T.round(2)"""),
    code("""
from matplotlib.figure import Figure
fig = Figure(figsize=(9, 2.8))
axes = fig.subplots(1, 3, sharey=True)
width = 0.27
for ax, i in zip(axes, range(3)):
    for m, (name, vals) in enumerate([("interventional", interventional.values),
                                      ("path-dependent", path.values),
                                      ("observational", observational)]):
        ax.bar(np.arange(3) + (m - 1) * width, vals[i], width, label=name)
    ax.set_xticks(range(3)); ax.set_xticklabels(names, fontsize=8)
    ax.axhline(0, color="0.4", lw=0.6); ax.set_title(labels[i], fontsize=9)
axes[0].legend(fontsize=7)
fig.tight_layout()
fig"""),
    md("""
## Why they disagree

- **Interventional** values give `spending` exactly 0: the model never reads it, and
  replacing it by any background value changes nothing. They describe the **model**
  ("what does f do with its inputs?"). The price: to evaluate `f(x_S, Z_~S)` they feed the
  model combinations such as high income with low spending, which the data rarely contains.
- **Path-dependent** TreeSHAP also gives `spending` 0 (a feature the tree never splits on
  never gets credit), but its coalition values use the tree's cover, a rough conditional
  expectation, so its numbers differ from the interventional ones on the features the tree
  uses.
- **Observational** values credit `spending` heavily for the typical people: knowing
  someone's spending tells you about their income, hence about the prediction. They describe
  the **data** ("what does knowing x_j tell us about f(X)?"). For the unusual person, low
  spending *lowers* the expectation (low spenders usually earn little), so spending gets a
  negative value although the model ignores it.

Neither is wrong; they answer different questions. To debug a model (does it use a feature
it should not?), use interventional values. To ask what a feature reveals in the population,
observational ones. The auditor (notebook 02) scores each explainer against the estimand it
claims, so a tool that reports observational-looking values as interventional ones is caught.

## Conclusion

- The value of a coalition is a modelling choice; with correlated features it changes the
  answer, even its sign.
- glassworks computes interventional (any background, exact) and path-dependent values
  exactly for its trees and forests; observational values need an estimate of a conditional
  expectation, which we made explicit here (nearest neighbours in the coalition's
  coordinates).
"""),
]

# ---------------------------------------------------------------------------------------------
# 05 Rule lists on COMPAS
# ---------------------------------------------------------------------------------------------
NB05 = [
    md("""
# Optimal rule lists on COMPAS

A rule list is an ordered set of if / else-if rules. glassworks' `RuleListClassifier(
algorithm="optimal")` finds the list that minimises

    objective = misclassification rate + lam x (number of rules)

over all lists built from the mined antecedents (single conditions and conjunctions of two),
by branch and bound (CORELS: Angelino et al., JMLR 2018). When the search finishes, the list
is **certified**: no other list has a smaller objective. The certificate is three
attributes: `certified_`, `objective_` and `lower_bound_` (a proven lower bound on every
list's objective; equal to `objective_` when certified).

The data: ProPublica's COMPAS recidivism data as prepared for the CORELS benchmark, read from
`../../shared/data/compas` (relative to this notebook) when that folder is present. When it
is not, the notebook generates a small synthetic substitute with the same columns and a
planted rule list, so it always runs. The next cell says which one was used.
"""),
    code(SETUP + """
from pathlib import Path
from IPython.display import Markdown, display

target = "recidivate-within-two-years"
compas = Path("..") / ".." / "shared" / "data" / "compas"
if (compas / "compas_train.csv").exists():
    train = pd.read_csv(compas / "compas_train.csv")
    test = pd.read_csv(compas / "compas_test.csv")
    source = f"the COMPAS data from `{compas.as_posix()}` (CORELS's split)"
else:
    # synthetic stand-in: COMPAS's columns, labels from a planted rule list plus 25% noise
    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame({
        "sex": rng.choice(["Male", "Female"], n, p=[0.8, 0.2]),
        "age": rng.choice(["18-20", "21-22", "23-25", "26-45", ">45"], n,
                          p=[0.05, 0.1, 0.15, 0.5, 0.2]),
        "juvenile-crimes": rng.choice(["=0", ">0"], n, p=[0.85, 0.15]),
        "priors": rng.choice(["=0", "=1", "2-3", ">3"], n, p=[0.35, 0.2, 0.2, 0.25]),
        "current-charge-degree": rng.choice(["Felony", "Misdemeanor"], n, p=[0.65, 0.35]),
    })
    planted = ((df["sex"] == "Male") & (df["juvenile-crimes"] == ">0")) | (df["priors"] == ">3")
    df[target] = np.where(rng.uniform(size=n) < 0.25, ~planted, planted).astype(int)
    train, test = df.iloc[:2400].reset_index(drop=True), df.iloc[2400:].reset_index(drop=True)
    source = ("a **synthetic substitute** (the COMPAS folder was not found): COMPAS's columns, "
              "labels from the planted list *if sex = Male and juvenile-crimes > 0 then 1, "
              "else if priors > 3 then 1, else 0*, with 25% of the labels flipped")
X_train, y_train = train.drop(columns=target), train[target]
X_test, y_test = test.drop(columns=target), test[target]
display(Markdown(f"**Data used:** {source}; {len(X_train)} training and {len(X_test)} "
                 f"test rows."))
X_train.head()"""),
    md("""
The features are categorical (text); the rule list takes them as they are: each antecedent
is a condition `column == value` (or a conjunction of two). The label is re-arrest within two
years.

## The optimal list and its certificate

`lam = 0.015` is the value of CORELS's published COMPAS benchmark (its certified optimum has
objective 0.37797 on this training set).
"""),
    code("""
optimal = gw.RuleListClassifier(algorithm="optimal", lam=0.015, max_card=2).fit(X_train, y_train)
print(optimal)
print()
print("certified:", optimal.certified_)
print(f"objective:   {optimal.objective_:.5f}")
print(f"lower bound: {optimal.lower_bound_:.5f}")
stats = optimal.search_stats_
print("search:", {k: stats[k] for k in ("n_nodes", "n_expanded", "stopped_by")})"""),
    md("""
`objective_ == lower_bound_` with `certified_ = True`: the search explored (or proved it
could prune) every list over the mined antecedents. The bounds of the paper do the work:
a prefix whose lower bound already exceeds the best objective found is never extended, so
the search visits a few thousand prefixes instead of the astronomical number of lists.

A greedy list, for comparison, is fast but comes with no guarantee; its objective can only
be larger or equal:
"""),
    code("""
greedy = gw.RuleListClassifier(algorithm="greedy", lam=0.015, max_card=2).fit(X_train, y_train)
print(greedy)
print(f"\\ngreedy objective {greedy.objective_:.5f} >= optimal {optimal.objective_:.5f}:",
      greedy.objective_ >= optimal.objective_ - 1e-12)"""),
    code("plot_rules(optimal)"),
    md("""
## What the rules say about the data

Each rule is a statement about a group of people in the training data, with its support
(how many it captures) and confidence (how often the prediction is right among them). We
check them against the raw re-arrest rates of each group, and the list's accuracy against
the majority class and a scikit-learn tree on one-hot columns.
"""),
    code("""
decided_by = optimal.apply(X_train)          # index of the rule that decides each row
rates = pd.Series(y_train.to_numpy()).groupby(decided_by).agg(["size", "mean"])
rates.index = [r["text"] if not r["is_default"] else "(else)" for r in optimal.rules_]
rates.rename(columns={"size": "people", "mean": "re-arrest rate"})"""),
    code("""
from sklearn.tree import DecisionTreeClassifier as SkTree
onehot_train = pd.get_dummies(X_train)
onehot_test = pd.get_dummies(X_test).reindex(columns=onehot_train.columns, fill_value=0)
sk = SkTree(max_depth=3, random_state=0).fit(onehot_train, y_train)
pd.Series({
    "majority class": max(y_test.mean(), 1 - y_test.mean()),
    "optimal rule list": optimal.score(X_test, y_test),
    "greedy rule list": greedy.score(X_test, y_test),
    "sklearn tree, depth 3 (one-hot)": sk.score(onehot_test, y_test),
}, name="test accuracy").round(3).to_frame()"""),
    md("""
## The price of brevity: `lam`

A smaller `lam` allows longer lists. The search gets harder quickly; with a time budget
(`time_limit`) it stops early and says so: `certified_` is False and the gap between
`objective_` and `lower_bound_` bounds how far from optimal the list can be.
"""),
    code("""
rows = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)   # the budget warning, reported in the table
    for lam in [0.03, 0.015, 0.01, 0.005]:
        m = gw.RuleListClassifier(algorithm="optimal", lam=lam, time_limit=3).fit(X_train, y_train)
        rows.append({"lam": lam, "rules": len(m.rules_) - 1, "objective": m.objective_,
                     "lower bound": m.lower_bound_, "certified": m.certified_,
                     "train acc": m.score(X_train, y_train), "test acc": m.score(X_test, y_test)})
pd.DataFrame(rows).set_index("lam")"""),
    md("""
## Conclusion

- On COMPAS the optimal list is two rules long (*men with juvenile crimes, or anyone with
  more than three priors, are predicted to be re-arrested*), certified optimal for its
  objective, and as accurate on held-out data as a depth-3 tree that is harder to read.
- The certificate is checkable: `objective_ == lower_bound_` and `certified_`. When a budget
  stops the search, the gap is reported, never hidden.
- What the rules say is what the *data* says, summarised: re-arrest rates by group. That is
  not a causal claim, and a rule list trained on COMPAS inherits the biases of how arrests are
  recorded; the list's transparency is what lets you see and question it.
"""),
]

# ---------------------------------------------------------------------------------------------
# 06 What does LIME actually compute?
# ---------------------------------------------------------------------------------------------
NB06 = [
    md("""
# What does LIME actually compute?

LIME explains a prediction f(x) by sampling points around x, weighting them by their closeness
to x and fitting a weighted linear model; its weights are read as "how much each feature
contributed". Each run is random. But as the number of samples grows, the weights converge to
a fixed quantity: LIME's **large-sample limit**, the population version of its own weighted
fit. That limit, not a Shapley value, is what LIME estimates. On a glass-box model it can be
computed exactly, and glassworks does (`glassworks.comparator.estimands.lime`).

In the default mode (`discretize_continuous=True`) LIME replaces each feature by one bit: is the
sample in x's quartile bin? Samples are drawn feature by feature from the training data's
bins, and the kernel weighs a sample by `a ** (number of features outside x's bin)` with
`a = exp(-1 / (2 w^2))`, `w = 0.75 sqrt(d)`. Under these weights the features stay independent,
so the weighted fit decouples, and the limit of weight j is

`c_j = E_w[f | x_j's bin] - E_w[f | another bin]`,

each expectation over the tilted product distribution. For a tree that is a finite sum over its
leaves (boxes), computed exactly. This notebook shows, on a decision tree fitted to
scikit-learn's diabetes data:

1. the real `lime` package's weights, averaged over seeds, converging to that limit as the
   number of samples grows (the **estimation error** shrinks like one over the square root of
   the sample count);
2. the limit staying far from the interventional Shapley values and integrated gradients (the
   **estimand gap**): a different question, not an error that more samples would fix;
3. an artefact of the bins on a partition-based model: exact signs that disagree with the
   Shapley values;
4. on a linear model, a limit that is constant within each quartile bin, next to Shapley
   values and integrated gradients;
5. the same convergence for LIME's Gaussian mode (`discretize_continuous=False`), whose limit
   is a Gaussian-smoothed gradient.
"""),
    code(SETUP + """
from lime.lime_tabular import LimeTabularExplainer
from glassworks.comparator.ground_truth import compute_truth
from glassworks.datasets import load_dataset

X, y, task = load_dataset("diabetes")
names = list(X.columns)
Xa = X.to_numpy()
tree = gw.DecisionTreeRegressor(max_depth=4, random_state=0).fit(Xa, y)
background = Xa[:200]           # what LIME is given as its training data
rows = Xa[[300, 301, 302]]     # the predictions we explain
truth, _ = compute_truth(tree, rows, background,
                         estimands=["lime_tabular", "lime_gaussian", "interventional_shap",
                                    "integrated_gradients"])
limit = truth.values["lime_tabular"]
print("exact estimands computed:", sorted(truth.values))
print("tolerance (0 = exact, no sampling):", truth.tolerance.get("lime_tabular", 0.0))"""),
    md("""
## 1. LIME's weights converge to the limit

We run the real `lime` package as a user would (regression mode, `num_features=d`, so that
every feature is kept), with 24 seeds at each sample count, and compare the average of its
weights with the exact limit. The relative distance of one run from the limit is its
estimation error.
"""),
    code("""
def lime_weights(x, num_samples, seed, discretize=True):
    explainer = LimeTabularExplainer(background, mode="regression", random_state=seed,
                                     discretize_continuous=discretize,
                                     sample_around_instance=not discretize)
    exp = explainer.explain_instance(x, tree.predict, num_features=Xa.shape[1],
                                     num_samples=num_samples)
    w = np.zeros(Xa.shape[1])
    for j, v in exp.local_exp[1]:
        w[j] = v
    return w

def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)

x, lim = rows[0], limit[0]
table = []
for n in (500, 2000, 8000):
    runs = np.array([lime_weights(x, n, seed) for seed in range(24)])
    table.append({"num_samples": n,
                  "one run vs limit (median)": np.median([rel(r, lim) for r in runs]),
                  "mean of 24 runs vs limit": rel(runs.mean(axis=0), lim)})
table = pd.DataFrame(table)
print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
ratio = table.iloc[0, 1] / table.iloc[2, 1]
print(f"error at 500 samples / error at 8000: {ratio:.1f} (one over the square root: {np.sqrt(16):.1f})")"""),
    md("""
The error of a single run shrinks as the sample count grows, at about the rate one over its
square root predicts (the last line compares the two), and the average of 24 runs sits closer
still: LIME is a consistent estimator of its limit. Per feature, at 8,000 samples:
"""),
    code("""
per_feature = pd.DataFrame({"lime, mean of 24 runs": runs.mean(axis=0),
                            "LIME's exact limit": lim,
                            "interventional SHAP": truth.values["interventional_shap"][0],
                            "integrated gradients": truth.values["integrated_gradients"][0]},
                           index=names)
print(per_feature.to_string(float_format=lambda v: f"{v:8.2f}"))"""),
    md("""
## 2. The limit is not a Shapley value

More samples take LIME to its limit, not to the Shapley values. The distance between the two
exact quantities is the estimand gap. It is not LIME's error: they answer different questions
(how the output differs between x's quartile bin and the other bins under LIME's weighting,
against each feature's share of f(x) minus the average prediction).
"""),
    code("""
shap_exact = truth.values["interventional_shap"]
gaps = [rel(limit[i], shap_exact[i]) for i in range(len(rows))]
print("estimand gap per row (LIME's limit vs interventional SHAP):", np.round(gaps, 3))
print("estimation error of the 24-run mean at 8000 samples:", round(table.iloc[2, 2], 3))
top_lime = [names[j] for j in np.argsort(-np.abs(limit[0]))[:3]]
top_shap = [names[j] for j in np.argsort(-np.abs(shap_exact[0]))[:3]]
print("top 3 by LIME's limit:", top_lime, "  top 3 by SHAP:", top_shap)"""),
    md("""
## 3. An artefact of the bins: the sign can flip

On a partition-based model the limit compares x's quartile bin with the *other* bins, under
LIME's weighting, whatever the model's own thresholds are. When a tree's threshold cuts through
x's bin, or the other bins lie on both sides of x, the comparison can point the other way from
the feature's Shapley value. We count, over 100 rows, the features where both quantities are
material (more than 5% of the row's total) and their signs disagree; these are exact values,
not sampling noise.
"""),
    code("""
many = Xa[200:300]
t100, _ = compute_truth(tree, many, background,
                        estimands=["lime_tabular", "interventional_shap"])
L, S = t100.values["lime_tabular"], t100.values["interventional_shap"]
material = (np.abs(L) > 0.05 * np.abs(L).sum(1, keepdims=True)) & \
           (np.abs(S) > 0.05 * np.abs(S).sum(1, keepdims=True))
flips = material & (np.sign(L) != np.sign(S))
print(f"material (row, feature) pairs: {material.sum()}, of which the signs disagree: {flips.sum()}")
i, j = np.argwhere(flips)[0]
print(f"e.g. row {200 + i}, {names[j]} = {many[i, j]:.4f}: LIME's limit {L[i, j]:+.2f}, "
      f"interventional SHAP {S[i, j]:+.2f}")"""),
    md("""
## 4. A linear model: constant within a bin

On a linear model f(x) = w.x + b, the Shapley values and integrated gradients (from the
background mean) are both `w_j (x_j - mean_j)`. LIME's default-mode limit is `w_j` times the
difference between the mean of feature j inside x's bin and outside it, under LIME's sampling:
it depends on x only through its bin. Two rows in the same quartile bin of a feature get the
same weight for it, however far apart they are:
"""),
    code("""
from sklearn.linear_model import LinearRegression
lin = LinearRegression().fit(Xa, y)
j = names.index("bmi")
edges = np.percentile(background[:, j], [25, 50, 75])
top = Xa[Xa[:, j] > edges[2]]
pair = top[[np.argmin(top[:, j]), np.argmax(top[:, j])]]     # two rows in bmi's top bin
tl, _ = compute_truth(lin, pair, background,
                      estimands=["lime_tabular", "interventional_shap", "integrated_gradients"])
print(pd.DataFrame({"bmi": pair[:, j],
                    "LIME's limit": tl.values["lime_tabular"][:, j],
                    "interventional SHAP": tl.values["interventional_shap"][:, j],
                    "integrated gradients": tl.values["integrated_gradients"][:, j]}
                   ).to_string(index=False, float_format=lambda v: f"{v:9.3f}"))"""),
    md("""
## 5. The Gaussian mode

With `discretize_continuous=False, sample_around_instance=True`, LIME samples `x + s e` (s
the training standard deviation, e standard normal) and its limit is `E[e_j f(x + s e)] /
sigma^2` per standard deviation, with `sigma^2 = w^2 / (w^2 + 1)`: a Gaussian-smoothed
gradient (Stein's lemma), reported in the audit as a slope in the feature's own units. The
same convergence holds:
"""),
    code("""
sd = background.std(axis=0)
lim_g = truth.values["lime_gaussian"][0] * sd     # lime's weights are per standard deviation
for n in (500, 8000):
    runs_g = np.array([lime_weights(x, n, seed, discretize=False) for seed in range(24)])
    print(f"num_samples={n:5d}: one run vs limit (median) "
          f"{np.median([rel(r, lim_g) for r in runs_g]):.3f}, "
          f"mean of 24 runs vs limit {rel(runs_g.mean(axis=0), lim_g):.3f}")"""),
    md("""
## What this means for you

- LIME is not a noisy Shapley value. It estimates its own quantity, and estimates it
  consistently: `glassworks audit` scores it against that quantity (`est_error`).
- Whether that quantity is what you want is a separate question (`gap`): on this tree it is far
  from the Shapley values, and no sample count closes that distance.
- The limit depends on the background LIME is given (its quartiles and bin frequencies) and
  on the kernel width: change them and you change the question LIME answers.
"""),
]


NOTEBOOKS = {
    "01_glass_box_models.ipynb": NB01,
    "02_can_i_trust_lime_and_shap.ipynb": NB02,
    "03_maple.ipynb": NB03,
    "04_which_shapley_value.ipynb": NB04,
    "05_rule_lists_on_compas.ipynb": NB05,
    "06_what_does_lime_compute.ipynb": NB06,
}


def _use_cases_cells():
    sys.path.insert(0, str(HERE))
    from _use_cases_notebook import CELLS

    return CELLS


# notebook 07's cells live in their own module, which imports md/code from this one: read
# them when building (at import time the two modules would import each other half-made)
USE_CASES_NOTEBOOK = "07_which_explainer_answers_which_question.ipynb"


def kernel_for_this_python(directory):
    """Install a kernelspec running ``sys.executable`` under ``directory``; return its name.

    The notebooks must run in the interpreter that has glassworks installed, whatever kernel
    named "python3" the machine may have elsewhere.
    """
    name = "glassworks-build"
    spec = Path(directory) / "kernels" / name
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (glassworks)",
        "language": "python",
    }))
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(directory)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    )
    return name


def build(name, cells, kernel_name, timeout=300):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=timeout,
                            resources={"metadata": {"path": str(HERE)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = HERE / name
    nbformat.write(nb, path)
    return seconds, path.stat().st_size


def main(prefixes):
    names = list(NOTEBOOKS) + [USE_CASES_NOTEBOOK]
    chosen = {k: (NOTEBOOKS[k] if k in NOTEBOOKS else _use_cases_cells()) for k in names
              if not prefixes or any(k.startswith(p) for p in prefixes)}
    with tempfile.TemporaryDirectory() as tmp:
        kernel = kernel_for_this_python(tmp)
        for name, cells in chosen.items():
            seconds, size = build(name, cells, kernel)
            print(f"{name}: executed in {seconds:.1f} s, {size / 1024:.0f} KB", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
