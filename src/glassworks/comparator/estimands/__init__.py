"""Estimands: the exact quantities the audit's explainers estimate, one module each.

Each estimand has a one-line definition and, per model family, its exact computation. An
explainer points at the estimand it estimates by name.
"""
