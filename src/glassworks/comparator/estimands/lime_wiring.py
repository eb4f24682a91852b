"""``lime_tabular`` and ``lime_gaussian``: LIME's large-sample limits, as registry entries.

The limits themselves are computed in :mod:`.lime` (for piecewise-constant models through
their boxes, :mod:`.boxes`; for linear functions; and a stated-tolerance fallback for other
models). This module only gives them their definitions and points each kind of model at them.
"""

import numpy as np

from .base import Estimand, NotExact, Value, register

LIME_TABULAR = register(Estimand(
    "lime_tabular",
    "the large-sample limit (num_samples -> infinity) of lime.lime_tabular."
    "LimeTabularExplainer's default weights: quartile bins, samples drawn bin by bin from the "
    "background",
    "the effect on the output of each feature being in x's quartile bin rather than in "
    "another one",
    unit="attribution", scope="local",
    noun="LIME's large-sample limit",
))

LIME_GAUSSIAN = register(Estimand(
    "lime_gaussian",
    "the same large-sample limit for discretize_continuous=False, sample_around_instance="
    "True: the slopes of a kernel-weighted linear fit to f around x",
    "slopes of a smoothed linear fit to the model around x (Gaussian samples, one background "
    "standard deviation wide), per unit of each feature",
    unit="slope", scope="local",
    noun="LIME's large-sample limit (Gaussian mode)",
))


def _not_yet(view, X, background, baseline):
    raise NotExact("LIME's large-sample limit is not available in this build")


for _estimand in (LIME_TABULAR, LIME_GAUSSIAN):
    _estimand.exact("trees", "piecewise_constant", "linear", "black_box")(_not_yet)
