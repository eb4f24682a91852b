"""How a split's threshold is written, the same in every display.

``export_text``, ``explain_rules`` / ``decision_rules``, ``plot_tree`` and the rule list's
conditions all print thresholds with :func:`format_threshold`: four significant digits (all
the integer digits of a larger number), in positional notation, trailing zeros dropped. A
fixed number of decimals (scikit-learn's ``export_text`` default of 2) writes the diabetes
data's standardised thresholds as ``-0.00`` and ``0.01``; six significant digits make a rule
list hard to read. ``export_text(decimals=k)`` keeps scikit-learn's fixed-decimals output.
"""

import math

import numpy as np

__all__ = ["format_threshold", "SIGNIFICANT_DIGITS"]

#: significant digits of a threshold in every display
SIGNIFICANT_DIGITS = 4


def format_threshold(value):
    """A threshold as every display writes it.

    Parameters
    ----------
    value : float

    Returns
    -------
    str

    Examples
    --------
    >>> format_threshold(-0.0114001), format_threshold(2.5), format_threshold(12345.5)
    ('-0.0114', '2.5', '12346')
    """
    v = float(value)
    if not math.isfinite(v):
        return str(v)
    if v == 0.0:
        return "0"
    digits = max(SIGNIFICANT_DIGITS, int(math.floor(math.log10(abs(v)))) + 1)
    return np.format_float_positional(v, precision=digits, unique=False, fractional=False,
                                      trim="-")
