"""The registry's building blocks: :class:`Estimand`, :class:`ModelView`, :class:`Value`.

An :class:`Estimand` is one quantity an explainer can estimate: its name, a one-line
definition (shown in the report), how to read its values, its unit and scope, and, per kind
of model, a function that computes it exactly. A :class:`ModelView` is what the audit knows
about one fitted model (built by its family adapter in
:mod:`glassworks.comparator.ground_truth`): the kinds of exact computation it admits, in order
of preference, and the parts those computations read (trees, coefficients, thresholds, ...).

Kinds of model (``ModelView.kinds``), each a promise about what the view carries:

- ``"trees"``: ``trees`` and ``tree_weights`` (the output is their weighted sum);
- ``"single_tree"``: one tree (decision paths are defined);
- ``"rule_list"``: ``model.rules_tested`` is defined;
- ``"linear"``: ``coef`` (k, d) and ``intercept`` (k,): output column c is
  ``intercept[c] + coef[c] @ x``;
- ``"additive"``: an interpret EBM (``model.eval_terms``, one- and two-feature terms);
- ``"piecewise_constant"``: ``thresholds``: the output is constant between the values listed
  for each feature (a tree, a forest, a rule list's equivalent tree, an EBM's bins);
- ``"piecewise_affine"``: ``thresholds`` and ``pieces(Z, column) -> (intercept, slope)``: the
  output is affine between the thresholds (MAPLE: one local model per cell of its forest);
- ``"black_box"``: only model calls (``target.fn``).
"""

from dataclasses import dataclass, field

import numpy as np


class NotExact(Exception):
    """An estimand cannot be computed exactly for this model; the message says why."""


@dataclass
class Value:
    """An estimand's exact value on the audited rows.

    Attributes
    ----------
    values : ndarray of shape (n, d) (local) or (d,) (global)
    expected : ndarray of shape (n,) or None
        For an additive estimand, what the values add up from (``values.sum(1) + expected
        == f(x)``); for a local linear model, its intercept.
    tolerance : float or None
        None when exact up to round-off; else the stated absolute tolerance of a quadrature.
    notes : list of str
        What the report should say about this value (e.g. rows on a threshold).
    """

    values: np.ndarray
    expected: np.ndarray = None
    tolerance: float = None
    notes: list = field(default_factory=list)


#: Units of an estimand's values.
UNITS = ("attribution", "slope", "importance", "indicator")


@dataclass(eq=False)
class Estimand:
    """One quantity an explainer can estimate, with its exact computations.

    Parameters
    ----------
    name : str
        One of :data:`glassworks.explanation.ESTIMANDS`.
    description : str
        Its definition in one line (shown in the report).
    reading : str
        How to read its values, completing "read its values as ...".
    unit : {"attribution", "slope", "importance", "indicator"}
        ``attribution``: output units, one share per feature; ``slope``: output per unit of
        the feature (read as an attribution by ``slope * (x - background mean)``);
        ``importance``: one score per feature for the whole data set; ``indicator``: 0/1.
    scope : {"local", "global"}
    additive : bool
        Whether ``values.sum(axis=1) + expected == f(x)``.
    noun : str
        What to call it in a sentence ("Shapley values"); the name when None.
    """

    name: str
    description: str
    reading: str
    unit: str
    scope: str
    additive: bool = False
    noun: str = None
    _exact: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if self.noun is None:
            self.noun = self.name
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {self.unit!r}.")
        if self.scope not in ("local", "global"):
            raise ValueError(f"scope must be 'local' or 'global', got {self.scope!r}.")

    def exact(self, *kinds):
        """Decorator: register ``fn(view, X, background, baseline) -> Value`` for kinds."""

        def register(fn):
            for kind in kinds:
                self._exact[kind] = fn
            return fn

        return register

    @property
    def kinds(self):
        """The kinds of model this estimand has an exact computation for."""
        return tuple(self._exact)

    def compute(self, view, X, background, baseline):
        """The exact value on the rows X, by the first of the view's kinds it knows.

        Raises
        ------
        NotExact
            When no kind of the view has a computation, or the computation finds this model
            outside what it can do exactly (the message says why).
        """
        for kind in view.kinds:
            fn = self._exact.get(kind)
            if fn is not None:
                out = fn(view, X, background, baseline)
                return out if isinstance(out, Value) else Value(np.asarray(out, np.float64))
        raise NotExact(f"no exact computation for a {view.family}")


#: name -> Estimand, in the order of :data:`glassworks.explanation.ESTIMANDS`.
REGISTRY = {}


def register(estimand):
    """Add an estimand to :data:`REGISTRY` (its name must be a known estimand)."""
    from glassworks.explanation import ESTIMANDS

    if estimand.name not in ESTIMANDS:
        raise ValueError(f"{estimand.name!r} is not in glassworks.explanation.ESTIMANDS.")
    REGISTRY[estimand.name] = estimand
    return estimand


@dataclass(eq=False)
class ModelView:
    """What the exact computations may read about one fitted model (see the module doc)."""

    family: str
    kinds: tuple
    target: object
    model: object = None
    trees: list = None
    tree_weights: np.ndarray = None
    coef: np.ndarray = None
    intercept: np.ndarray = None
    thresholds: list = None
    pieces: object = None
    dummy: np.ndarray = None
    dummy_how: str = "read from the model"
    notes: list = field(default_factory=list)
    #: dtype the model casts inputs to before comparing them with thresholds
    input_dtype: object = np.float64
    cache: dict = field(default_factory=dict, repr=False)

    def fn(self, column):
        """The model's explained output ``Z -> (m,)`` for one output column (model calls)."""
        return self.target.fn(column)

    @property
    def global_column(self):
        """The one output column global estimands explain: the most frequent row column."""
        return int(np.bincount(self.target.output_index).argmax())

    def has(self, kind):
        return kind in self.kinds


def per_column(view, n, d, compute):
    """Stitch ``compute(column, rows) -> (values (r, d), expected (r,) or None)`` over the
    groups of rows that explain the same output column."""
    values = np.empty((n, d))
    expected = np.empty(n)
    has_expected = True
    for c, rows in view.target.groups():
        v, e = compute(c, rows)
        values[rows] = v
        if e is None:
            has_expected = False
        else:
            expected[rows] = e
    return values, (expected if has_expected else None)


def pick_column(values_by_column, target, n, d):
    """Pick, for each row, the output column it explains from (n, d, k) or (n, d)."""
    v = np.asarray(values_by_column, dtype=np.float64)
    if v.ndim == 2:
        return v
    out = np.empty((n, d))
    for c, rows in target.groups():
        out[rows] = v[rows, :, c]
    return out


def pick_base(base, target, n):
    """Per row, the base value of the output column it explains, from a scalar or (k,)."""
    base = np.atleast_1d(np.asarray(base, dtype=np.float64))
    return base[np.minimum(target.output_index[:n], base.shape[0] - 1)]


def linear_rows(view, columns):
    """Per row, the coefficient vector and intercept of the output column it explains."""
    coef = np.atleast_2d(view.coef)
    idx = np.minimum(np.asarray(columns, dtype=np.int64), coef.shape[0] - 1)
    return coef[idx], np.atleast_1d(view.intercept)[idx]


def for_one_column(view, column, n):
    """The same view with every one of the n rows explaining output ``column`` (global
    estimands explain one column for the whole data set). Caches are shared."""
    import copy

    t = view.target
    other = copy.copy(view)
    other.target = type(t)(t.raw_fn, np.full(n, int(column), dtype=np.int64), t.description,
                           scale=t.scale)
    return other
