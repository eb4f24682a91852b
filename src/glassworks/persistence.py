"""Saving and loading fitted models with skops, which runs no code from the file on load.

``pickle.load`` (and ``joblib.load``) can run arbitrary code stored in the file, so a model
file from someone else is a program you run. ``skops.io`` stores the same objects as a zip of
JSON and numpy arrays; loading re-creates each object with ``cls.__new__(cls)`` and sets its
state (``__setstate__``, here scikit-learn's ``BaseEstimator.__setstate__`` or a plain
``__dict__`` update): no constructor, no ``__reduce__`` and nothing else from the file runs,
and a type it does not know is refused unless the caller trusts it by name.

skops trusts builtins, numpy and scikit-learn's estimators by default. A glassworks model adds
the glassworks classes of :data:`TRUSTED_TYPES` and nothing else: its state is plain numpy
arrays, lists, dicts and these classes (no Numba objects, functions or other modules).
Trust them in one line::

    import skops.io as sio
    from glassworks.persistence import TRUSTED_TYPES

    sio.dump(model, "model.skops")
    model = sio.load("model.skops", trusted=TRUSTED_TYPES)

or with :func:`load`, which also refuses any type outside that list and ``trusted``.

A MAPLE model built on a scikit-learn forest (``forest="gbrt"`` or an ensemble passed in)
holds ``sklearn.tree._tree.Tree`` objects, which skops lists as untrusted for scikit-learn's
own forests too; pass ``trusted=["sklearn.tree._tree.Tree"]`` for those.
:class:`~glassworks.MapleExplainer` keeps the user's prediction function, which no safe format
can store; save its ``models_`` instead.
"""

#: every glassworks class a saved glassworks model can contain
TRUSTED_TYPES = (
    "glassworks.tree._classes.DecisionTreeClassifier",
    "glassworks.tree._classes.DecisionTreeRegressor",
    "glassworks.tree._tree.Tree",
    "glassworks.forest._classes.RandomForestClassifier",
    "glassworks.forest._classes.RandomForestRegressor",
    "glassworks.forest._classes.ForestTree",
    "glassworks.rules._classes.RuleListClassifier",
    "glassworks.rules.mining.Antecedents",
    "glassworks.maple._classes.MapleRegressor",
    "glassworks.maple._classes.MapleClassifier",
)


def _skops():
    try:
        import skops.io as sio
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Saving models safely needs skops: pip install 'glassworks[persist]'"
        ) from exc
    return sio


def dump(model, file):
    """Save ``model`` to ``file`` (a path or a writable binary file) in skops' format.

    Parameters
    ----------
    model : estimator
        Any fitted glassworks estimator (or a scikit-learn pipeline holding one).
    file : str, path-like or file object
        Conventionally ending in ``.skops``.
    """
    _skops().dump(model, file)


def load(file, *, trusted=()):
    """Load a model saved by :func:`dump` (or ``skops.io.dump``), trusting only builtins,
    numpy, scikit-learn, the glassworks classes of :data:`TRUSTED_TYPES` and ``trusted``.

    Parameters
    ----------
    file : str, path-like or file object
    trusted : sequence of str, default=()
        Further type names to trust (e.g. ``"sklearn.tree._tree.Tree"`` for a MAPLE model on
        a scikit-learn forest).

    Returns
    -------
    object
        The model.

    Raises
    ------
    ValueError
        When the file holds a type outside those lists; nothing has been loaded then.
    """
    sio = _skops()
    if hasattr(file, "read"):
        data = file.read()
        untrusted = sio.get_untrusted_types(data=data)
    else:
        data = None
        untrusted = sio.get_untrusted_types(file=file)
    unknown = sorted(set(untrusted) - set(TRUSTED_TYPES) - set(trusted))
    if unknown:
        raise ValueError(
            "The file holds types that are neither glassworks', scikit-learn's, numpy's nor "
            f"builtins: {unknown}. Inspect them; pass trusted=[...] to load anyway."
        )
    if data is not None:
        return sio.loads(data, trusted=untrusted)
    return sio.load(file, trusted=untrusted)
