"""``AuditReport``: the scores of an audit, a plain-language verdict, plots and an HTML page."""

import html
import io

import numpy as np

from .metrics import METRICS, bootstrap_ci

#: Metrics shown in the terminal scorecard, in order.
SCORECARD = (
    "error", "rank_corr", "topk_agreement", "sign_agreement", "dummy_mass",
    "completeness_gap", "neighbourhood_fidelity@0.5", "recall_at_k", "seed_spread",
    "seconds", "model_calls",
)


class AuditReport:
    """The outcome of :func:`glassworks.audit`.

    Attributes
    ----------
    scores : pandas.DataFrame
        Tidy: one row per explainer and metric, columns ``explainer, estimand, metric, value,
        ci_low, ci_high`` (value is the mean over instances, with a 95% percentile bootstrap
        confidence interval).
    per_instance : pandas.DataFrame
        Columns ``explainer, estimand, instance, metric, value`` (instance -1 for a global
        explainer).
    attributions : dict of str -> ndarray
        Each explainer's attributions, (n, d) for a local one, (d,) for a global one.
    truth : dict of str -> ndarray (n, d)
        The exact value of each estimand the model's family gives.
    dummy : ndarray of bool (d,) or None
        Features the model never uses.
    failures : dict of str -> str
        Explainers that raised, with their message.
    skipped : dict of str -> str
        Explainers that do not apply to this model, with the reason.
    timings : dict
        ``ground_truth`` (seconds computing the truth), ``explainers`` (seconds per
        explainer, summed over its explanations), ``warmup`` (per explainer: one untimed
        first call per process, e.g. shap's Numba compilation), ``total``,
        ``ground_truth_share`` (ground_truth / total).
    notes : list of str
        The choices the audit made (output explained, background, ...).
    """

    def __init__(self, scores, per_instance, *, attributions, truth, dummy, family, target,
                 feature_names, explainers, failures, skipped, timings, notes,
                 global_truth=None, relevant=None, X=None):
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

    @classmethod
    def from_rows(cls, rows, *, attributions, truth, global_truth, target, feature_names,
                  explainers, failures, skipped, timings, notes, random_state, relevant, X):
        import pandas as pd

        per = pd.DataFrame(rows, columns=["explainer", "estimand", "instance", "metric",
                                          "value"])
        order = {name: i for i, name in enumerate(explainers)}
        metric_order = {m: i for i, m in enumerate(METRICS)}
        out = []
        seed = int(random_state) % (2**31) if isinstance(random_state, (int, np.integer)) else 0
        for (name, est, metric), g in per.groupby(["explainer", "estimand", "metric"],
                                                  sort=False):
            mean, lo, hi = bootstrap_ci(g["value"].to_numpy(), random_state=seed)
            out.append({"explainer": name, "estimand": est, "metric": metric, "value": mean,
                        "ci_low": lo, "ci_high": hi})
        scores = pd.DataFrame(out, columns=["explainer", "estimand", "metric", "value",
                                            "ci_low", "ci_high"])
        if len(scores):
            key = scores["explainer"].map(order).astype(float) * 100 + scores["metric"].map(
                lambda m: metric_order.get(m.split("@")[0], 50) + (0.1 if "@" in m else 0)
            )
            scores = scores.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(
                drop=True)
        return cls(scores, per, attributions=attributions, truth=dict(truth.values),
                   dummy=truth.dummy, family=truth.family, target=target.description,
                   feature_names=feature_names, explainers=explainers, failures=failures,
                   skipped=skipped, timings=timings, notes=notes, global_truth=global_truth,
                   relevant=relevant, X=X)

    # ---------------------------------------------------------------------------------------
    def score(self, explainer, metric):
        """The mean score of one explainer on one metric (NaN if absent)."""
        s = self.scores
        hit = s[(s["explainer"] == explainer) & (s["metric"] == metric)]
        return float(hit["value"].iloc[0]) if len(hit) else float("nan")

    def scorecard(self, metrics=SCORECARD):
        """Wide table: one row per explainer, one column per metric (means)."""
        import pandas as pd

        if not len(self.scores):
            return pd.DataFrame()
        wide = self.scores.pivot_table(index=["explainer", "estimand"], columns="metric",
                                       values="value", sort=False)
        cols = [m for m in metrics if m in wide.columns]
        wide = wide[cols]
        order = [e for e in self.explainers if e in wide.index.get_level_values(0)]
        wide = wide.reindex(order, level=0)
        return wide

    def to_text(self, width=None):
        """The scorecard as a plain-text table, with failures and the main notes."""
        lines = [f"glassworks audit: {self.family}; output explained: {self.target}"]
        card = self.scorecard()
        if len(card):
            short = {
                "error": "error", "rank_corr": "rank_corr", "topk_agreement": "topk",
                "sign_agreement": "sign", "dummy_mass": "dummy", "completeness_gap": "complete",
                "neighbourhood_fidelity@0.5": "nbhd@0.5", "recall_at_k": "recall@k",
                "seed_spread": "spread", "seconds": "sec/expl", "model_calls": "calls",
            }
            table = card.rename(columns=short)
            table.index = [f"{e} [{est}]" for e, est in table.index]
            lines.append(table.to_string(float_format=lambda v: f"{v:.3g}", na_rep="-"))
        for name, msg in self.failures.items():
            lines.append(f"FAILED {name}: {msg}")
        for name, why in self.skipped.items():
            lines.append(f"skipped {name}: {why}")
        t = self.timings
        lines.append(
            f"time: {t['total']:.2f} s in all, ground truth {t['ground_truth']:.3f} s "
            f"({100 * t['ground_truth_share']:.2f}%)"
        )
        return "\n".join(lines)

    def __repr__(self):
        return self.to_text()

    # ---------------------------------------------------------------------------------------
    def summary(self):
        """A plain-language verdict per explainer: what it can be trusted for here."""
        lines = [
            f"Audit of a {self.family}. Output explained: {self.target}.",
        ]
        if self.relevant is not None:
            lines.append("Planted relevant features: "
                         + ", ".join(self.feature_names[j] for j in self.relevant) + ".")
        lines += [f"Note: {n}." for n in self.notes]
        for name, (est, note, scope) in self.explainers.items():
            if name in self.failures:
                lines.append(f"- {name}: FAILED ({self.failures[name]}).")
                continue
            if name in self.skipped:
                lines.append(f"- {name}: not run ({self.skipped[name]}).")
                continue
            lines.append(f"- {name} (estimates {est}): " + self._verdict(name, est, scope))
        return "\n".join(lines)

    def _verdict(self, name, est, scope):
        s = lambda m: self.score(name, m)  # noqa: E731
        parts, trust, distrust = [], [], []
        err, rho, dm = s("error"), s("rank_corr"), s("dummy_mass")
        topk, sign = s("topk_agreement"), s("sign_agreement")
        if np.isfinite(err):
            parts.append(f"relative error {err:.2f}")
            if err < 0.05:
                trust.append("the attribution values")
            elif err > 0.5:
                distrust.append("the attribution values")
        else:
            parts.append(f"no exact truth for {est} on this model")
        if np.isfinite(rho):
            parts.append(f"rank correlation {rho:.2f}")
            if rho > 0.9 and (not np.isfinite(topk) or topk >= 0.8):
                trust.append("the ranking of features")
            elif rho < 0.5:
                distrust.append("the ranking of features")
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
        out = "; ".join(parts) + ". "
        if trust:
            out += "Trust it for " + ", ".join(trust) + ". "
        if distrust:
            out += "Do not rely on " + ", ".join(distrust) + "."
        if not trust and not distrust:
            out += "Mixed: check the scores before relying on it."
        return out.strip()

    # ---------------------------------------------------------------------------------------
    def plot(self, max_explainers=8):
        """Scorecard and attribution-vs-truth panels; returns a matplotlib Figure."""
        from .plots import plot_report

        return plot_report(self, max_explainers=max_explainers)

    def to_html(self, path=None):
        """One self-contained HTML page (plots embedded as base64 PNG). Returns the HTML."""
        page = _page([("glassworks audit", self._html_body())])
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(page)
        return page

    def _html_body(self):
        import base64

        fig = self.plot()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        card = self.scorecard()
        card_html = card.to_html(float_format=lambda v: f"{v:.3g}", na_rep="-") if len(card) else ""
        scores_html = self.scores.to_html(index=False, float_format=lambda v: f"{v:.4g}",
                                          na_rep="-")
        summary = "".join(f"<li>{html.escape(line[2:] if line.startswith('- ') else line)}</li>"
                          for line in self.summary().splitlines())
        t = self.timings
        timing = (f"Total {t['total']:.2f} s; ground truth {t['ground_truth']:.3f} s "
                  f"({100 * t['ground_truth_share']:.2f}%).")
        explainer_rows = "".join(
            f"<tr><td>{html.escape(n)}</td><td>{html.escape(e)}</td><td>{html.escape(note)}</td></tr>"
            for n, (e, note, _) in self.explainers.items()
        )
        return f"""<p>Model family: <b>{html.escape(self.family)}</b>. Output explained: {html.escape(self.target)}.</p>
<h3>Verdict</h3><ul>{summary}</ul>
<h3>Scorecard (means over instances)</h3>{card_html}
<h3>Plots</h3><img alt="audit plots" src="data:image/png;base64,{png}" style="max-width:100%">
<h3>Explainers</h3><table><tr><th>explainer</th><th>estimand</th><th>configuration</th></tr>{explainer_rows}</table>
<h3>All scores (95% bootstrap intervals)</h3>{scores_html}
<p>{html.escape(timing)}</p>"""


def _page(sections):
    body = "".join(f"<h2>{html.escape(title)}</h2>{content}" for title, content in sections)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>glassworks audit</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px}}
</style></head><body><h1>glassworks audit</h1>{body}</body></html>"""


def write_html(reports, path):
    """Write several ``(title, AuditReport)`` pairs into one self-contained HTML page."""
    page = _page([(title, rep._html_body()) for title, rep in reports])
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(page)
    return page
