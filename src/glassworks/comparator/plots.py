"""Plots of an audit: the scorecard as a heat map and attribution-vs-truth scatter panels."""

import numpy as np

_CARD = ("estimation_error", "estimand_gap", "rank_corr", "topk_agreement", "sign_agreement",
         "dummy_mass", "completeness_gap", "recall_at_k", "seed_spread")
_LOWER = {"estimation_error", "estimand_gap", "dummy_mass", "completeness_gap", "seed_spread"}


def plot_report(report, max_explainers=8):
    """Figure: scorecard (top) and one attribution-vs-truth panel per local explainer."""
    # a bare Figure (no pyplot): no GUI backend needed, nothing left open in pyplot's state
    from matplotlib.figure import Figure

    card = report.scorecard(_CARD)
    local = [n for n, (e, _, scope) in report.explainers.items()
             if scope == "local" and n in report.attributions and e in report.truth]
    local = local[:max_explainers]
    n_panels = max(len(local), 1)
    ncols = min(4, n_panels)
    nrows = 1 + int(np.ceil(n_panels / ncols))
    fig = Figure(figsize=(3.6 * max(ncols, 3), 2.8 + 3.0 * (nrows - 1)))
    gs = fig.add_gridspec(nrows, max(ncols, 1), height_ratios=[1.2] + [1] * (nrows - 1))
    ax = fig.add_subplot(gs[0, :])
    if len(card):
        vals = card.to_numpy(dtype=float)
        # colour by goodness: 1 good, 0 bad, whatever the metric's direction
        good = np.empty_like(vals)
        for j, m in enumerate(card.columns):
            v = vals[:, j]
            good[:, j] = 1 - np.clip(v, 0, 1) if m in _LOWER else np.clip(v, 0, 1)
        ax.imshow(np.where(np.isfinite(good), good, np.nan), cmap="RdYlGn", vmin=0, vmax=1,
                  aspect="auto")
        ax.set_xticks(range(len(card.columns)))
        ax.set_xticklabels([{"estimation_error": "estimation error",
                             "estimand_gap": "estimand gap"}.get(c, c) for c in card.columns],
                           rotation=20, ha="right", fontsize=8)
        ax.set_yticks(range(len(card.index)))
        ax.set_yticklabels([f"{e} [{est}]" for e, est in card.index], fontsize=8)
        for r in range(vals.shape[0]):
            for c in range(vals.shape[1]):
                if np.isfinite(vals[r, c]):
                    ax.text(c, r, f"{vals[r, c]:.2f}", ha="center", va="center", fontsize=7)
        ax.set_title(f"Scorecard: {report.family}", fontsize=10)
    else:
        ax.text(0.5, 0.5, "no scores", ha="center")
        ax.set_axis_off()
    for p, name in enumerate(local):
        a = fig.add_subplot(gs[1 + p // ncols, p % ncols])
        est = report.explainers[name][0]
        t = report.truth[est]
        v = report.attributions[name]
        a.scatter(t.ravel(), v.ravel(), s=6, alpha=0.6)
        lo = np.nanmin([t.min(), v.min()])
        hi = np.nanmax([t.max(), v.max()])
        a.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--")
        a.set_title(f"{name}", fontsize=9)
        a.set_xlabel(f"truth ({est})", fontsize=8)
        a.set_ylabel("attribution", fontsize=8)
        a.tick_params(labelsize=7)
    fig.tight_layout()
    return fig
