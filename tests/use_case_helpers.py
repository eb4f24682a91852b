"""Helpers of the use-case tests: a scored audit state and its use-case context."""

import time

import numpy as np


def audited(model, X, background=None, explainers=(), random_state=0, protected=None):
    """``(state, ctx)`` of an audit of ``model`` on ``X`` (the explainers run, no scoring)."""
    from glassworks.comparator.runner import (AuditState, compute_audit_truth, resolve_audit,
                                              run_explainers)
    from glassworks.comparator.use_cases import make_context

    st = AuditState(model, t_start=time.perf_counter())
    resolve_audit(st, X, background, list(explainers), ["estimation_error"], random_state,
                  n_reruns=0, estimands=["interventional_shap"])
    compute_audit_truth(st)
    run_explainers(st)
    return st, make_context(st, protected)


def zero_attr(predict_fn, X, background):
    return np.zeros_like(X)


def input_attr(predict_fn, X, background):
    """Ignores the model: returns the input itself."""
    return np.array(X, dtype=np.float64)


def fixed_attr(predict_fn, X, background):
    """Ignores the model and the row: one fixed vector."""
    return np.tile(np.arange(1.0, X.shape[1] + 1.0), (len(X), 1))


def noise_attr(predict_fn, X, background):
    """Noise (numpy's global generator, which the audit seeds per row)."""
    return np.random.standard_normal(X.shape)


def by_explainer(rows):
    return {r["explainer"]: r for r in rows}
