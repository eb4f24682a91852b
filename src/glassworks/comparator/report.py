"""``AuditReport``: the scores of an audit, a plain-language verdict, plots and an HTML page."""

import html
import io

import numpy as np

from . import estimands as E
from .metrics import ALIASES, METRICS, bootstrap_ci

#: Metrics shown in the terminal scorecard, in order.
SCORECARD = (
    "estimation_error", "estimand_gap", "rank_corr", "topk_agreement", "sign_agreement",
    "dummy_mass", "completeness_gap", "neighbourhood_fidelity@0.5", "recall_at_k",
    "seed_spread", "seconds", "model_calls",
)

#: Column headers of the terminal scorecard.
SHORT = {
    "estimation_error": "est_error", "estimand_gap": "gap", "rank_corr": "rank_corr",
    "topk_agreement": "topk", "sign_agreement": "sign", "dummy_mass": "dummy",
    "completeness_gap": "complete", "neighbourhood_fidelity@0.5": "nbhd@0.5",
    "recall_at_k": "recall@k", "seed_spread": "spread", "seconds": "sec/expl",
    "model_calls": "calls",
}

#: What each scorecard column measures (printed under the table, for the columns shown).
GLOSSARY = {
    "est_error": "distance of the explainer from the exact value of its own estimand "
                 "(relative L2, 0 = exact)",
    "gap": "distance of that estimand from what the explainer is read as",
    "rank_corr": "Spearman correlation of the features' order, explainer vs its estimand",
    "topk": "share of the estimand's top-k features that are in the explainer's top k",
    "sign": "as topk, counting only features given the estimand's sign",
    "dummy": "share of the attribution on features the model never uses (0 is right)",
    "complete": "|sum of attributions - (f(x) - reference)| relative to |f(x) - reference|",
    "nbhd@0.5": "RMSE, in output units, of the explainer's local linear model against the "
                "model at x plus noise of 0.5 background standard deviations per feature",
    "recall@k": "share of the planted relevant features in the explainer's top k",
    "spread": "distance between re-runs with other seeds, relative to their mean",
    "sec/expl": "seconds per explanation (after one untimed warm-up)",
    "calls": "calls of the model's predict per explanation (each a batch of rows)",
}

_SCORE_COLUMNS = ["explainer", "estimand", "metric", "value", "ci_low", "ci_high", "n",
                  "n_undefined", "n_not_applicable"]


class AuditReport:
    """The outcome of :func:`glassworks.audit`.

    Attributes
    ----------
    scores : pandas.DataFrame
        Tidy: one row per explainer and metric, columns ``explainer, estimand, metric, value,
        ci_low, ci_high, n, n_undefined, n_not_applicable``: value is the mean over instances
        (over reruns for a global explainer) with a 95% percentile bootstrap confidence
        interval; ``n`` values were averaged, ``n_undefined`` of them were undefined because
        of the explainer and scored as the metric's worst, ``n_not_applicable`` rows were
        left out because the truth gives the metric no meaning there (e.g. a ranking of an
        all-zero truth).
    per_instance : pandas.DataFrame
        Columns ``explainer, estimand, instance, run, metric, value, status`` (instance -1
        for a global explainer; run > 0 for its reruns; status ``ok``, ``undefined`` or
        ``not_applicable``).
    attributions : dict of str -> ndarray
        Each explainer's attributions, (n, d) for a local one, (d,) for a global one.
    truth : dict of str -> ndarray
        The exact value of each estimand computed for the model ((n, d) local, (d,) global).
    unavailable : dict of str -> str
        Estimands asked for that cannot be computed exactly for this model, and why.
    estimand_distances : pandas.DataFrame
        Estimand x estimand: the mean over rows of each row estimand's relative L2 distance
        from each column estimand (with the floor of ``estimation_error``; slopes read as
        ``slope * (x - background mean)``; global estimands as shares of importance).
    read_as : dict of str -> str
        What each explainer's values are read as (``estimand_gap`` is measured against it).
    dummy : ndarray of bool (d,) or None
        Features the model never uses.
    failures : dict of str -> str
        Explainers that raised, with their message.
    skipped : dict of str -> str
        Explainers that do not apply to this model, with the reason.
    timings : dict
        ``ground_truth`` (seconds computing the exact estimands), ``estimands`` (seconds per
        estimand), ``explainers`` (seconds per explainer, summed over its explanations),
        ``warmup`` (per explainer: one untimed first call per process, e.g. shap's Numba
        compilation), ``total``, ``ground_truth_share`` (ground_truth / total).
    notes : list of str
        The choices the audit made (output explained, background, ...).
    """

    def __init__(self, scores, per_instance, *, attributions, truth, dummy, family, target,
                 feature_names, explainers, failures, skipped, timings, notes,
                 global_truth=None, relevant=None, X=None, read_as=None, distances=None,
                 unavailable=None, tolerance=None):
        self.scores = scores
        self.per_instance = per_instance
        self.attributions = attributions
        self.truth = truth
        self.dummy = dummy
        self.family = family
        self.target = target
        self.feature_names = feature_names
        self.explainers = explainers
        self.failures = failures
        self.skipped = skipped
        self.timings = timings
        self.notes = notes
        self.global_truth = global_truth
        self.relevant = relevant
        self.X = X
        self.read_as = read_as or {}
        self.estimand_distances = distances
        self.unavailable = unavailable or {}
        self.tolerance = tolerance or {}
        self.use_cases = None  # set by audit(use_cases=...): see comparator.use_cases

    @classmethod
    def from_rows(cls, rows, *, attributions, truth, target, feature_names, explainers,
                  failures, skipped, timings, notes, random_state, relevant, X, read_as=None,
                  distances=None):
        import pandas as pd

        per = pd.DataFrame(rows, columns=["explainer", "estimand", "instance", "run",
                                          "metric", "value", "status"])
        order = {name: i for i, name in enumerate(explainers)}
        metric_order = {m: i for i, m in enumerate(METRICS)}
        out = []
        seed = int(random_state) % (2**31) if isinstance(random_state, (int, np.integer)) else 0
        for (name, est, metric), g in per.groupby(["explainer", "estimand", "metric"],
                                                  sort=False):
            used = g[g["status"] != "not_applicable"]["value"].to_numpy()
            mean, lo, hi = bootstrap_ci(used, random_state=seed)
            out.append({"explainer": name, "estimand": est, "metric": metric, "value": mean,
                        "ci_low": lo, "ci_high": hi, "n": int(np.isfinite(used).sum()),
                        "n_undefined": int(g["status"].isin(["undefined", "failed"]).sum()),
                        "n_not_applicable": int((g["status"] == "not_applicable").sum())})
        scores = pd.DataFrame(out, columns=_SCORE_COLUMNS)
        if len(scores):
            key = scores["explainer"].map(order).astype(float) * 100 + scores["metric"].map(
                lambda m: metric_order.get(m.split("@")[0], 50) + (0.1 if "@" in m else 0)
            )
            scores = scores.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(
                drop=True)
        global_truth = truth.values.get("global_importance")
        return cls(scores, per, attributions=attributions, truth=dict(truth.values),
                   dummy=truth.dummy, family=truth.family, target=target.description,
                   feature_names=feature_names, explainers=explainers, failures=failures,
                   skipped=skipped, timings=timings, notes=notes, global_truth=global_truth,
                   relevant=relevant, X=X, read_as=read_as, distances=distances,
                   unavailable=dict(truth.unavailable), tolerance=dict(truth.tolerance))

    # ---------------------------------------------------------------------------------------
    def score(self, explainer, metric):
        """The mean score of one explainer on one metric (NaN if absent). ``"error"`` is
        accepted for ``"estimation_error"``."""
        metric = ALIASES.get(metric, metric)
        s = self.scores
        hit = s[(s["explainer"] == explainer) & (s["metric"] == metric)]
        return float(hit["value"].iloc[0]) if len(hit) else float("nan")

    def _ci(self, explainer, metric):
        s = self.scores
        hit = s[(s["explainer"] == explainer) & (s["metric"] == metric)]
        if not len(hit):
            return float("nan"), float("nan")
        return float(hit["ci_low"].iloc[0]), float(hit["ci_high"].iloc[0])

    def scorecard(self, metrics=SCORECARD):
        """Wide table: one row per explainer, one column per metric (means)."""
        import pandas as pd

        if not len(self.scores):
            return pd.DataFrame()
        wide = self.scores.set_index(["explainer", "estimand", "metric"])["value"].unstack(
            "metric")
        cols = [m for m in metrics if m in wide.columns]
        wide = wide[cols]
        order = [e for e in self.explainers if e in wide.index.get_level_values(0)]
        wide = wide.reindex(order, level=0)
        return wide

    def _readings(self):
        """One line saying what the gap column measures against."""
        targets = sorted(set(self.read_as.values()))
        if not targets:
            return None
        if len(targets) == 1:
            return (f"gap: the distance of each explainer's own estimand from {targets[0]}, "
                    "what users read it as (est_error: the explainer against its own "
                    "estimand)")
        return "gap: each estimand's distance from what users read it as: " + ", ".join(
            f"{e} -> {r}" for e, r in self.read_as.items())

    def to_text(self, width=None):
        """The scorecard as a plain-text table, with failures and the main notes."""
        lines = [f"glassworks audit: {self.family}; output explained: {self.target}"]
        card = self.scorecard()
        if len(card):
            table = card.rename(columns=SHORT)
            table.index = [f"{e} [{est}]" for e, est in table.index]
            lines.append(table.to_string(float_format=lambda v: f"{v:.3g}", na_rep="-"))
            reading = self._readings()
            if reading:
                lines.append(reading)
            shown = [c for c in table.columns if c in GLOSSARY and c not in ("est_error", "gap")]
            if shown:
                w = max(len(c) for c in shown)
                lines.append("columns ('-': not defined for that explainer):")
                lines += [f"  {c:<{w}}  {GLOSSARY[c]}" for c in shown]
        undefined = self.scores[self.scores["n_undefined"] > 0] if len(self.scores) else []
        for _, r in (undefined.iterrows() if len(undefined) else []):
            lines.append(f"undefined, scored as worst: {r['explainer']} {r['metric']} on "
                         f"{r['n_undefined']} of {r['n'] } values")
        for est, why in self.unavailable.items():
            users = [n for n, (e, _, _) in self.explainers.items() if e == est]
            if users:
                lines.append(f"no exact {est} for this model ({why}): {', '.join(users)} "
                             "scored on the metrics that need no truth")
        dist = self.estimand_distances
        if dist is not None and len(dist) > 1:
            lines.append("distance between the exact estimands on this model (row from "
                         "column, relative L2; slopes read as slope x (x - background mean), "
                         "globals as shares):")
            lines.append(dist.to_string(float_format=lambda v: f"{v:.3g}"))
        for name, msg in self.failures.items():
            lines.append(f"FAILED {name}: {msg}")
        for name, why in self.skipped.items():
            lines.append(f"skipped {name}: {why}")
        t = self.timings
        lines.append(
            f"time: {t['total']:.2f} s in all, exact estimands {t['ground_truth']:.3f} s "
            f"({100 * t['ground_truth_share']:.2f}%)"
        )
        return "\n".join(lines)

    def __repr__(self):
        return self.to_text()

    # ---------------------------------------------------------------------------------------
    def summary(self, use_cases=True):
        """A plain-language verdict per explainer: how well it computes its own quantity,
        how far that quantity is from what it is read as, and what to trust it for; then,
        if the audit ran use cases, which explainer answers which question here."""
        lines = [
            f"Audit of a {self.family}. Output explained: {self.target}.",
        ]
        if self.relevant is not None:
            lines.append("Planted relevant features: "
                         + ", ".join(self.feature_names[j] for j in self.relevant) + ".")
        lines += [f"Note: {n}." for n in self.notes]
        read = sorted({E.REGISTRY[r].noun for r in self.read_as.values() if r in E.REGISTRY})
        lines.append(
            "Each explainer: its error against the exact value of what it estimates (relative; "
            "95% interval over the audited rows), how far that quantity is from what it is "
            f"read as ({', '.join(read) or 'interventional Shapley values'}), what to trust it "
            "for, then the scores behind that.")
        for name, (est, note, scope) in self.explainers.items():
            if name in self.failures:
                lines.append(f"- {name}: FAILED ({self.failures[name]}).")
                continue
            if name in self.skipped:
                lines.append(f"- {name}: not run ({self.skipped[name]}).")
                continue
            lines.append(f"- {name} (estimates {est}): " + self._verdict(name, est, scope))
        if use_cases and self.use_cases is not None:
            from .use_cases import use_cases_text

            lines.append(use_cases_text(self.use_cases))
        return "\n".join(lines)

    def _verdict(self, name, est, scope):
        s = lambda m: self.score(name, m)  # noqa: E731
        parts, trust, distrust = [], [], []
        estimand = E.REGISTRY.get(est)
        read = self.read_as.get(name, "interventional_shap")
        reading = E.REGISTRY[read]
        err, gap = s("estimation_error"), s("estimand_gap")
        head = ""
        truth = self.truth.get(est)
        if truth is not None and scope == "local" and not np.any(truth):
            head = (f"the exact value of {est} is 0 on every audited row (the model is flat "
                    "there): the method has nothing to say here, and any value it reports is "
                    "estimation error; ")
        if np.isfinite(err):
            lo, hi = self._ci(name, "estimation_error")
            runs = self.per_instance
            n_runs = int(((runs["explainer"] == name) & (runs["metric"] == "estimation_error"))
                         .sum())
            # "over the rows" is said once, above the verdicts
            over = ("" if scope == "local" else ", over its reruns" if n_runs > 1
                    else ", one deterministic run")
            head += f"error {err:.2f} [{lo:.2f}, {hi:.2f}{over}]"
            if est in self.tolerance:
                head += (f" (the truth itself is a Monte Carlo estimate, to within "
                         f"{self.tolerance[est]:.2g} in its own units)")
        elif est in self.unavailable:
            head += f"no exact {est} to score it against here ({self.unavailable[est]})"
        else:
            head += f"no exact {est} to score it against here"
        if np.isfinite(gap) and estimand is not None and est != read:
            if scope == "global":
                how, target_noun = " (as shares of importance)", f"the mean |{reading.noun}|"
            else:
                how, target_noun = "", reading.noun
            if estimand.unit == "slope":
                how = " (its slopes read as slope x (x - background mean))"
            if gap > 0.05:
                head += (f"; {gap:.2f} from {target_noun}{how}: read it as "
                         f"{estimand.reading}")
            else:
                head += f"; within {gap:.2f} of {target_noun}{how}: reading it so is right here"
        elif est == read and np.isfinite(err):
            head += f"; {reading.noun} are what it is read as"
        elif read in self.unavailable:
            head += f"; its distance from {reading.noun} is unknown ({read} is not available)"
        rho, dm = s("rank_corr"), s("dummy_mass")
        topk, sign = s("topk_agreement"), s("sign_agreement")
        if np.isfinite(err):
            if err < 0.05:
                trust.append(f"its values as {estimand.noun if estimand else est}")
            elif err > 0.5:
                distrust.append(f"its values as {estimand.noun if estimand else est}")
        if np.isfinite(rho):
            parts.append(f"rank correlation with its estimand {rho:.2f}")
            if rho > 0.9 and (not np.isfinite(topk) or topk >= 0.8):
                trust.append("its ranking of features")
            elif rho < 0.5:
                distrust.append("its ranking of features")
        if np.isfinite(sign) and scope == "local":
            if sign >= 0.9:
                trust.append("the direction (sign) of the top effects")
            elif sign < 0.6:
                distrust.append("the direction of the top effects")
        if np.isfinite(dm):
            parts.append(f"{100 * dm:.1f}% of its mass on features the model never uses")
            if dm < 1e-9:
                trust.append("telling used from unused features")
            elif dm > 0.05:
                distrust.append("telling used from unused features")
        rec = s("recall_at_k")
        if np.isfinite(rec):
            parts.append(f"recall of the planted features {rec:.2f}")
            if rec >= 0.99:
                trust.append("finding the features that matter")
            elif rec < 0.7:
                distrust.append("finding the features that matter")
        fid = s("neighbourhood_fidelity@0.5")
        if np.isfinite(fid):
            parts.append(f"local-model RMSE {fid:.3g} at 0.5 standard deviations")
        spread = s("seed_spread")
        if np.isfinite(spread) and spread > 0.05:
            distrust.append(f"a single run (seed spread {spread:.2f})")
        sc = self.scores
        undefined = sc[(sc["explainer"] == name) & (sc["n_undefined"] > 0)]
        if len(undefined):
            parts.append("undefined (scored as worst): " + ", ".join(
                f"{r['metric']} on {r['n_undefined']}" for _, r in undefined.iterrows()))
        # what to do with it first, the numbers behind it after
        out = head + ". "
        if trust:
            out += "Trust it for " + ", ".join(trust) + ". "
        if distrust:
            out += "Do not rely on " + ", ".join(distrust) + ". "
        if not trust and not distrust:
            out += "Mixed: check the scores before relying on it. "
        detail = "; ".join(parts)
        if parts:
            out += "(" + detail[0].upper() + detail[1:] + ".)"
        return out.strip()

    # ---------------------------------------------------------------------------------------
    def plot(self, max_explainers=8):
        """Scorecard and attribution-vs-truth panels; returns a matplotlib Figure."""
        from .plots import plot_report

        return plot_report(self, max_explainers=max_explainers)

    def to_html(self, path=None):
        """One self-contained HTML page (plots embedded as base64 PNG). Returns the HTML."""
        page = _page([("glassworks audit", self._html_body("r1"))])
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(page)
        return page

    def per_feature(self):
        """Each local explainer's mean attribution per feature beside the exact mean of its
        estimand, over the audited rows (one output column per row, as scored).

        Returns
        -------
        pandas.DataFrame
            One row per feature; columns ``<explainer>`` and ``<estimand> (exact)``.
        """
        import pandas as pd

        cols = {}
        for name, (est, _, scope) in self.explainers.items():
            A = self.attributions.get(name)
            if scope != "local" or A is None or np.ndim(A) != 2:
                continue
            T = self.truth.get(est)
            if T is not None and np.ndim(T) == 2 and f"{est} (exact)" not in cols:
                cols[f"{est} (exact)"] = np.asarray(T, dtype=np.float64).mean(axis=0)
            cols[name] = np.asarray(A, dtype=np.float64).mean(axis=0)
        return pd.DataFrame(cols, index=pd.Index(self.feature_names, name="feature"))

    def _html_body(self, anchor="r1"):
        import base64

        esc = html.escape
        fig = self.plot()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        card = self.scorecard()
        if len(card):
            card = card.rename(columns=SHORT)
            card.index = [f"{e} [{est}]" for e, est in card.index]
        card_html = card.to_html(float_format=lambda v: f"{v:.3g}", na_rep="-",
                                 classes="num") if len(card) else ""
        legend = "".join(f"<dt>{esc(c)}</dt><dd>{esc(GLOSSARY[c])}</dd>"
                         for c in card.columns if c in GLOSSARY) if len(card) else ""
        scores_html = self.scores.to_html(index=False, float_format=lambda v: f"{v:.4g}",
                                          na_rep="-", classes="num")
        lines = self.summary(use_cases=False).splitlines()
        intro = [ln for ln in lines if not ln.startswith("- ")]
        verdicts = "".join(_verdict_item(ln[2:]) for ln in lines if ln.startswith("- "))
        t = self.timings
        timing = (f"Total {t['total']:.2f} s; exact estimands {t['ground_truth']:.3f} s "
                  f"({100 * t['ground_truth_share']:.2f}%).")
        explainer_rows = "".join(
            f"<tr><td>{esc(n)}</td><td>{esc(e)}</td>"
            f"<td>{esc(self.read_as.get(n, ''))}</td><td>{esc(note)}</td></tr>"
            for n, (e, note, _) in self.explainers.items()
        )
        shown = [n for n in E.REGISTRY if n in self.truth or n in self.unavailable]
        estimand_rows = "".join(
            f"<tr><td>{esc(n)}</td><td>{esc(E.REGISTRY[n].description)}</td>"
            f"<td>{esc(_status(self, n))}</td></tr>" for n in shown
        )
        dist = self.estimand_distances
        dist_html = (dist.to_html(float_format=lambda v: f"{v:.3g}", classes="num")
                     if dist is not None and len(dist) > 1 else "")
        feat = self.per_feature()
        feat_html = (feat.to_html(float_format=lambda v: f"{v:.3g}", classes="num")
                     if feat.shape[1] else "")
        reading = self._readings() or ""
        from .use_cases import use_cases_html

        parts = [
            ("verdict", "Verdict", "<p>" + "<br>".join(esc(x) for x in intro) + "</p>"
             f'<ul class="verdicts">{verdicts}</ul>'),
            ("scorecard", "Scorecard (means over instances)",
             f'<div class="wide">{card_html}</div><p>{esc(reading)}</p><dl>{legend}</dl>'),
            ("features", "Per feature: explainers against the exact estimands",
             "<p>Mean over the audited rows of each explainer's attribution and of the exact "
             "value of what it estimates (a signed mean: large opposite values cancel; "
             f"<code>report.per_feature()</code>).</p><div class=\"wide\">{feat_html}</div>"),
            ("use-cases", "Use cases", use_cases_html(self.use_cases)),
            ("estimands", "Estimands on this model",
             '<div class="wide"><table><tr><th>estimand</th><th>definition</th>'
             f"<th>computed</th></tr>{estimand_rows}</table></div>"
             "<p>Distance between the exact estimands (row from column, relative L2; slopes "
             "read as slope x (x - background mean), globals as shares):</p>"
             f'<div class="wide">{dist_html}</div>'),
            ("plots", "Plots",
             f'<img alt="audit plots" src="data:image/png;base64,{png}">'),
            ("explainers", "Explainers",
             '<div class="wide"><table><tr><th>explainer</th><th>estimand</th><th>read as</th>'
             f"<th>configuration</th></tr>{explainer_rows}</table></div>"),
            ("scores", "All scores",
             f"<details><summary>{len(self.scores)} rows: every metric with its 95% bootstrap "
             f'interval (click to open)</summary><div class="wide">{scores_html}</div>'
             f"</details><p>{esc(timing)}</p>"),
        ]
        parts = [(k, title, body) for k, title, body in parts if body]
        toc = "".join(f'<li><a href="#{anchor}-{k}">{esc(title)}</a></li>'
                      for k, title, _ in parts)
        # the use cases' fragment brings its own heading
        body = "".join(f'<section id="{anchor}-{k}">'
                       + ("" if k == "use-cases" else f"<h3>{esc(title)}</h3>")
                       + f"{content}</section>" for k, title, content in parts)
        return (f"<p>Model family: <b>{esc(self.family)}</b>. Output explained: "
                f'{esc(self.target)}.</p><nav class="toc"><ul>{toc}</ul></nav>{body}')


def _verdict_item(line):
    """One verdict as a list item, its explainer's name in bold."""
    name, _, rest = line.partition(" ")
    return f"<li><b>{html.escape(name)}</b> {html.escape(rest)}</li>"


def _status(report, name):
    if name in report.unavailable:
        return "not exactly: " + report.unavailable[name]
    if name in report.tolerance:
        return (f"estimated (quadrature or Monte Carlo, see the notes), to within "
                f"{report.tolerance[name]:.2g}")
    return "exactly"


_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;max-width:1180px;
margin:0 auto;padding:1.5em}
h1{font-size:1.7em;margin:.2em 0}h2{border-bottom:2px solid #d0d7de;padding-bottom:.2em;
margin-top:2em}h3{margin-top:1.6em}
nav.toc{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.4em 1em;
font-size:14px}nav.toc ul{margin:.3em 0;padding-left:1.2em}
.wide{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}
td,th{border:1px solid #d0d7de;padding:3px 8px;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0}tr:nth-child(even) td{background:#fafbfc}
table.num td{text-align:right;font-variant-numeric:tabular-nums}
ul.verdicts li{margin:.4em 0}dl{font-size:13px;display:grid;grid-template-columns:max-content
1fr;gap:.1em 1em}dt{font-weight:600;font-family:monospace}dd{margin:0}
img{max-width:100%;height:auto}details summary{cursor:pointer;color:#0969da}
code{background:#f6f8fa;padding:0 .3em;border-radius:3px}
"""


def _page(sections):
    """The whole page: a table of contents of the sections, then each of them."""
    ids = [f"a{i}" for i in range(len(sections))]
    toc = "".join(f'<li><a href="#{i}">{html.escape(title)}</a></li>'
                  for i, (title, _) in zip(ids, sections))
    body = "".join(f'<h2 id="{i}">{html.escape(title)}</h2>{content}'
                   for i, (title, content) in zip(ids, sections))
    nav = f'<nav class="toc"><b>Contents</b><ul>{toc}</ul></nav>' if len(sections) > 1 else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>glassworks audit</title><style>{_CSS}</style></head>
<body><h1>glassworks audit</h1>{nav}{body}</body></html>"""


def write_html(reports, path):
    """Write several ``(title, AuditReport)`` pairs into one self-contained HTML page."""
    page = _page([(title, rep._html_body(f"r{i + 1}"))
                  for i, (title, rep) in enumerate(reports)])
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(page)
    return page
