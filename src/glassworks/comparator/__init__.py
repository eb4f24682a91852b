"""The comparator: score post-hoc explainers against the exact ground truth of a model.

``audit(model, X, ...)`` returns an :class:`AuditReport`. Ground truth comes from
:mod:`glassworks.comparator.ground_truth` (one adapter per model family), the explainers from
:mod:`glassworks.comparator.explainers`, the metrics from :mod:`glassworks.comparator.metrics` and the
planted-truth data sets from :mod:`glassworks.comparator.scenarios`.
"""

from .report import AuditReport
from .runner import audit
from .scenarios import make_scenario

__all__ = ["audit", "AuditReport", "make_scenario"]
