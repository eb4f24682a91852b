"""Regenerate the README gallery (docs/images/*.png) from the same examples as the notebooks.

    python notebooks/_gallery.py

Each image is a small PNG (< 100 KB). The rule-list image uses COMPAS when
../shared/data/compas exists (relative to the repository), else it is skipped.
"""

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
DPI = 80


def save(fig, name):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.0f} KB")


def main():
    import glassworks as gw
    from glassworks.comparator import audit
    from glassworks.comparator.scenarios import make_scenario
    from glassworks.datasets import load_dataset
    from glassworks.plotting import plot_maple, plot_rules, plot_tree

    # a depth-3 tree on iris
    X, y, _ = load_dataset("iris")
    tree = gw.DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    save(plot_tree(tree), "tree.png")

    # the certified optimal rule list on COMPAS
    compas = ROOT.parent / "shared" / "data" / "compas" / "compas_train.csv"
    if compas.exists():
        df = pd.read_csv(compas)
        yc = df.pop("recidivate-within-two-years")
        rules = gw.RuleListClassifier(algorithm="optimal", lam=0.015).fit(df, yc)
        save(plot_rules(rules), "rules.png")
    else:
        print(f"{compas} not found: rules.png not regenerated")

    # one MAPLE explanation: local slopes and the heaviest neighbours
    rng = np.random.default_rng(0)
    names = ["x0 (step)", "x1 (linear)", "x2 (curve)", "x3 (noise)"]
    Xm = pd.DataFrame(rng.uniform(-2, 2, size=(1000, 4)), columns=names)
    Xa = Xm.to_numpy()
    ym = 3.0 * (Xa[:, 0] > 0) + Xa[:, 1] + 0.5 * Xa[:, 2] ** 2 + 0.1 * rng.normal(size=1000)
    maple = gw.MapleRegressor(n_estimators=100, random_state=0).fit(Xm, ym)
    save(plot_maple(maple, pd.DataFrame([[0.8, 0.5, 1.0, 0.0]], columns=names), k=8),
         "maple.png")

    # the auditor on the proxy scenario
    s = make_scenario("proxy", n_samples=600, n_features=6, random_state=0)
    model = gw.DecisionTreeRegressor(max_depth=3, random_state=0).fit(s.X, s.y)
    report = audit(model, s.X[:10], background=s.X[:50],
                   explainers=["tree_shap", "kernel_shap", "lime", "lime_continuous", "saabas"],
                   relevant_features=s.relevant, random_state=0)
    save(report.plot(max_explainers=4), "audit.png")

    # interventional vs path-dependent vs observational Shapley values (notebook 04)
    from matplotlib.figure import Figure

    from glassworks.shapley.brute_force import shapley_from_coalition_values

    rng = np.random.default_rng(0)
    n = 2000
    income = rng.normal(size=n)
    spending = 0.9 * income + np.sqrt(1 - 0.81) * rng.normal(size=n)
    age = rng.normal(size=n)
    Xs = np.c_[income, spending, age]
    ys = 2 * income + age + 0.1 * rng.normal(size=n)
    t = gw.DecisionTreeRegressor(max_depth=6, min_samples_leaf=20, random_state=0).fit(Xs, ys)
    people = np.array([[1.5, 1.4, 0.0], [1.5, -0.5, 0.0]])
    bg = Xs[rng.choice(n, 200, replace=False)]
    inter = t.explain(people, background=bg).values
    path = t.explain(people).values
    mu, sd = Xs.mean(axis=0), Xs.std(axis=0)
    fX = t.predict(Xs)
    obs = []
    for p in people:
        v = np.empty(8)
        for code in range(8):
            S = [j for j in range(3) if code >> j & 1]
            if not S:
                v[code] = fX.mean()
            else:
                dist = ((((Xs - mu) / sd)[:, S] - ((p - mu) / sd)[S]) ** 2).sum(axis=1)
                v[code] = fX[np.argpartition(dist, 50)[:50]].mean()
        v[-1] = t.predict(p[None, :])[0]
        obs.append(shapley_from_coalition_values(v, 3))
    fig = Figure(figsize=(7, 2.6))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, i, title in zip(axes, range(2), ["income 1.5, spending 1.4",
                                             "income 1.5, spending -0.5 (unusual)"]):
        for m, (name, vals) in enumerate([("interventional", inter), ("path-dependent", path),
                                          ("observational", np.asarray(obs))]):
            ax.bar(np.arange(3) + (m - 1) * 0.27, vals[i], 0.27, label=name)
        ax.set_xticks(range(3))
        ax.set_xticklabels(["income", "spending\n(unused)", "age"], fontsize=8)
        ax.axhline(0, color="0.4", lw=0.6)
        ax.set_title(title, fontsize=9)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    save(fig, "shapley.png")


if __name__ == "__main__":
    main()
