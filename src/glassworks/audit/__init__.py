"""The comparator: score post-hoc explainers against the exact ground truth of a model.

``audit(model, X, ...)`` returns an :class:`AuditReport`. Ground truth comes from
:mod:`glassworks.audit.ground_truth` (one adapter per model family), the explainers from
:mod:`glassworks.audit.explainers`, the metrics from :mod:`glassworks.audit.metrics` and the
planted-truth data sets from :mod:`glassworks.audit.scenarios`.
"""

from .report import AuditReport
from .runner import audit
from .scenarios import make_scenario

__all__ = ["audit", "AuditReport", "make_scenario"]
