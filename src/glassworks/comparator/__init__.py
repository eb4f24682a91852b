"""The comparator: score post-hoc explainers against the exact truth of what each computes.

``audit(model, X, ...)`` returns an :class:`AuditReport`. Each explainer (from
:mod:`glassworks.comparator.explainers`) names the quantity it estimates, its *estimand*;
:mod:`glassworks.comparator.estimands` defines every estimand and computes it exactly per kind
of model, from the view of the model that :mod:`glassworks.comparator.ground_truth` builds
(one adapter per model family). :mod:`glassworks.comparator.scoring` gives each explainer two
numbers, its estimation error (against its own estimand) and its estimand gap (that estimand
against what users read it as), with the metrics of :mod:`glassworks.comparator.metrics`;
:mod:`glassworks.comparator.runner` runs the steps; the planted-truth data sets are in
:mod:`glassworks.comparator.scenarios`.
"""

from .report import AuditReport
from .runner import audit
from .scenarios import make_scenario

__all__ = ["audit", "AuditReport", "make_scenario"]
