"""Bridges from glassworks models to the libraries our users come from (interpret, shap)."""
