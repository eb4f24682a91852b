"""The post-hoc explainers the audit runs, each tagged with the estimand it estimates.

A local explainer explains one row at a time: ``explain(ctx, x, predict_fn, seed)`` returns a
:class:`LocalResult` (attributions of shape (d,), and for explainers that produce a local
linear model, its slope and intercept in the features' own units). A global explainer returns
one score per feature for the whole data set. ``predict_fn`` maps (m, d) to (m,): the one
output being explained, wrapped by the runner to count model calls.

Traps handled on purpose (see each class): shap's background masker sub-samples to 100 rows
unless told otherwise; KernelExplainer's ``l1_reg`` selects features unless passed explicitly;
shap mutates exported tree dictionaries, so each explainer gets its own copy; LIME explains
only 10 features unless ``num_features`` is given, and its continuous mode reports slopes per
training standard deviation, which are converted back to the features' units here. The
peers' own log messages and warnings are silenced while they run (:func:`quiet_peers`).
"""

import contextlib
import logging
import warnings
from dataclasses import dataclass

import numpy as np

from .estimands.gradients import fd_steps

#: Loggers of the peers, silenced while an explainer runs.
PEER_LOGGERS = ("shap", "lime", "interpret")


@contextlib.contextmanager
def quiet_peers():
    """Silence the peers' logging (e.g. shap's "Using 1000 background data samples could
    cause slower run times" once per row) and warnings, and restore them afterwards."""
    loggers = [logging.getLogger(name) for name in PEER_LOGGERS]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    try:
        for lg in loggers:
            lg.disabled = True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled


@dataclass
class LocalResult:
    """What a local explainer returns for one instance.

    Attributes
    ----------
    values : ndarray of shape (n_features,)
        The attribution of each feature.
    slope, intercept : ndarray of shape (n_features,) and float, or None
        For a surrogate-model explainer (LIME, MAPLE, gradients): the local linear model
        ``slope @ x + intercept``, from which the audit measures its neighbourhood fidelity
        (how well that model predicts the audited output near ``x``).
    """

    values: np.ndarray
    slope: np.ndarray = None
    intercept: float = None


class BaseExplainer:
    """An explainer the audit can run.

    Attributes
    ----------
    name : str
    estimand : str
        One of :data:`glassworks.explanation.ESTIMANDS`.
    scope : {"local", "global"}
    stochastic : bool
        Whether re-runs with other seeds can differ (``seed_spread`` is measured if so).
    requires : {None, "trees", "enumerable"}
        What the model must offer; an explainer whose requirement is unmet is skipped.
    note : str
        How the explainer was configured, for the report.
    """

    name = "base"
    estimand = "unknown"
    scope = "local"
    stochastic = False
    requires = None
    note = ""

    def explain(self, ctx, x, predict_fn, seed):  # pragma: no cover - interface
        """Explain one instance (explainers of ``scope="local"``).

        Parameters
        ----------
        ctx : glassworks.comparator.runner.AuditContext
            The audit's data, background, baseline, feature names and trees.
        x : ndarray of shape (n_features,)
            The instance.
        predict_fn : callable
            The audited output: ``predict_fn(X)`` gives one value per row of ``X``.
        seed : int
            Seed for the explainer's own sampling.

        Returns
        -------
        LocalResult
        """
        raise NotImplementedError

    def explain_global(self, ctx, predict_fn, seed):  # pragma: no cover - interface
        """Explain the model as a whole (explainers of ``scope="global"``).

        Parameters
        ----------
        ctx, predict_fn, seed
            As in :meth:`explain`.

        Returns
        -------
        ndarray of shape (n_features,)
            One importance per feature.
        """
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, estimand={self.estimand!r})"


def _seed_numpy(seed):
    # shap's Kernel and Permutation explainers draw from numpy's global generator
    np.random.seed(int(seed) % (2**32 - 1))


# -------------------------------------------------------------------------------------------
# shap
# -------------------------------------------------------------------------------------------
class KernelShap(BaseExplainer):
    name = "kernel_shap"
    estimand = "interventional_shap"
    stochastic = True

    def __init__(self, nsamples=1000, l1_reg=False):
        self.nsamples = nsamples
        self.l1_reg = l1_reg
        self.note = (
            f"shap.KernelExplainer, nsamples={nsamples}, l1_reg={l1_reg!r} (explicit: shap's "
            "default selects features), full background"
        )

    def explain(self, ctx, x, predict_fn, seed):
        import shap

        _seed_numpy(seed)
        ex = shap.KernelExplainer(predict_fn, ctx.background)
        v = ex.shap_values(x[None, :], nsamples=self.nsamples, l1_reg=self.l1_reg, silent=True)
        return LocalResult(np.asarray(v, dtype=np.float64).reshape(-1)[: x.shape[0]])


def _independent_masker(background):
    import shap

    # without max_samples shap silently keeps only 100 background rows
    return shap.maskers.Independent(background, max_samples=len(background))


class PermutationShap(BaseExplainer):
    name = "permutation_shap"
    estimand = "interventional_shap"
    stochastic = True

    def __init__(self, max_evals=None):
        self.max_evals = max_evals
        self.note = (
            "shap.PermutationExplainer, maskers.Independent with the full background, "
            f"max_evals={max_evals if max_evals is not None else '10*(2d+1)'}"
        )

    def explain(self, ctx, x, predict_fn, seed):
        import shap

        d = x.shape[0]
        max_evals = self.max_evals or 10 * (2 * d + 1)
        ex = shap.explainers.Permutation(
            predict_fn, _independent_masker(ctx.background), seed=int(seed) % (2**32 - 1)
        )
        out = ex(x[None, :], max_evals=max_evals, silent=True)
        return LocalResult(np.asarray(out.values, dtype=np.float64).reshape(-1)[:d])


class ExactShap(BaseExplainer):
    name = "exact_shap"
    estimand = "interventional_shap"
    requires = "enumerable"
    note = "shap.explainers.Exact, maskers.Independent with the full background"

    def explain(self, ctx, x, predict_fn, seed):
        import shap

        ex = shap.explainers.Exact(predict_fn, _independent_masker(ctx.background))
        out = ex(x[None, :], silent=True)
        return LocalResult(np.asarray(out.values, dtype=np.float64).reshape(-1)[: x.shape[0]])


def shap_tree_dict(trees, weights, column, input_dtype=np.float64):
    """The trees as shap's custom-tree dictionary, for one output column (a fresh copy).

    Built here rather than by :func:`glassworks.shapley.to_shap_model` because the audit
    needs one output column of a classifier and, for scikit-learn trees, shap must cast
    inputs to float32 as scikit-learn does before comparing them with the thresholds.
    """
    out = []
    for t, w in zip(trees, weights):
        left, right = t.children_left, t.children_right
        default = np.where(t.missing_go_to_left.astype(bool), left, right)
        out.append({
            "children_left": left.astype(np.int32).copy(),
            "children_right": right.astype(np.int32).copy(),
            "children_default": default.astype(np.int32),
            "features": t.feature.astype(np.int32).copy(),
            "thresholds": t.threshold.astype(np.float64).copy(),
            "values": (w * t.value2d[:, column]).reshape(-1, 1).astype(np.float64),
            "node_sample_weight": t.weighted_n_node_samples.astype(np.float64).copy(),
        })
    return {"trees": out, "base_offset": 0.0, "tree_output": "raw_value",
            "input_dtype": input_dtype, "internal_dtype": np.float64}


class _TreeShapBase(BaseExplainer):
    requires = "trees"
    approximate = False  # shap's approximate=True is Saabas

    def explain(self, ctx, x, predict_fn, seed):
        ex = self._explainer(ctx, ctx.column)
        v = ex.shap_values(x[None, :], approximate=self.approximate, check_additivity=False)
        return LocalResult(np.asarray(v, dtype=np.float64).reshape(-1)[: x.shape[0]])

    def _explainer(self, ctx, column):
        key = (self.name, column)
        ex = ctx.cache.get(key)
        if ex is None:
            import shap

            model = shap_tree_dict(ctx.trees, ctx.tree_weights, column, ctx.input_dtype)
            if self.perturbation == "interventional":
                ex = shap.TreeExplainer(model, data=ctx.background,
                                        feature_perturbation="interventional")
            else:
                ex = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
            ctx.cache[key] = ex
        return ex


class TreeShap(_TreeShapBase):
    name = "tree_shap"
    estimand = "interventional_shap"
    perturbation = "interventional"
    note = "shap.TreeExplainer(feature_perturbation='interventional') on a copy of the trees"
    # shap's Explainer wraps `data` in maskers.Independent(max_samples=100): a larger
    # background is silently subsampled, so its values are exact for 100 random rows of it
    # and the audit scores the rest as its estimation error (and says so)
    max_background = 100
    max_background_why = ("shap's TreeExplainer keeps a random {cap} of the {n} background "
                          "rows (its masker's max_samples)")


class TreeShapPath(_TreeShapBase):
    name = "tree_shap_path"
    estimand = "path_shap"
    perturbation = "tree_path_dependent"
    note = "shap.TreeExplainer(feature_perturbation='tree_path_dependent')"


class Saabas(_TreeShapBase):
    name = "saabas"
    estimand = "path_contribution"
    perturbation = "tree_path_dependent"
    note = "shap.TreeExplainer(...).shap_values(approximate=True): Saabas path contributions"
    approximate = True


# -------------------------------------------------------------------------------------------
# lime
# -------------------------------------------------------------------------------------------
class Lime(BaseExplainer):
    """LIME in its default mode: quartile-discretised features, samples from training bins.

    Its weights estimate their own large-sample limit (``lime_tabular``): effects of "being in
    x's bin", not Shapley values; the audit reports that limit's gap from what users read them
    as (interventional SHAP by default) apart from LIME's estimation error.
    """

    name = "lime"
    estimand = "lime_tabular"
    stochastic = True

    def __init__(self, num_samples=5000):
        self.num_samples = num_samples
        self.note = (
            f"lime.LimeTabularExplainer default (quartile discretiser), num_features=d, "
            f"num_samples={num_samples}, seeded"
        )

    def _lime(self, ctx, seed, **kw):
        from lime.lime_tabular import LimeTabularExplainer

        return LimeTabularExplainer(
            ctx.background, mode="regression", feature_names=list(ctx.feature_names),
            random_state=int(seed) % (2**32 - 1), verbose=False, **kw,
        )

    def explain(self, ctx, x, predict_fn, seed):
        ex = self._lime(ctx, seed)
        e = ex.explain_instance(x, predict_fn, num_features=x.shape[0],
                                num_samples=self.num_samples)
        v = np.zeros(x.shape[0])
        for j, w in e.local_exp[1]:
            v[j] = w
        return LocalResult(v)


class LimeContinuous(Lime):
    """LIME without discretisation, sampling around the instance: a local slope.

    LIME fits its ridge model on features standardised by the training standard deviation;
    the coefficients are divided by it here so that they are slopes in the features' units.
    """

    name = "lime_continuous"
    estimand = "lime_gaussian"

    def __init__(self, num_samples=5000):
        super().__init__(num_samples)
        self.note = (
            "lime.LimeTabularExplainer(discretize_continuous=False, sample_around_instance="
            f"True), num_features=d, num_samples={num_samples}, slopes in feature units"
        )

    def explain(self, ctx, x, predict_fn, seed):
        ex = self._lime(ctx, seed, discretize_continuous=False, sample_around_instance=True)
        e = ex.explain_instance(x, predict_fn, num_features=x.shape[0],
                                num_samples=self.num_samples)
        coef = np.zeros(x.shape[0])
        for j, w in e.local_exp[1]:
            coef[j] = w
        scale, mean = ex.scaler.scale_, ex.scaler.mean_
        slope = coef / scale
        intercept = float(e.intercept[1] - np.sum(coef * mean / scale))
        return LocalResult(slope, slope=slope, intercept=intercept)


# -------------------------------------------------------------------------------------------
# interpret's black-box wrappers
# -------------------------------------------------------------------------------------------
class InterpretLime(BaseExplainer):
    name = "interpret_lime"
    estimand = "lime_tabular"
    stochastic = True
    note = "interpret.blackbox.LimeTabular (wraps lime's default mode), num_features=d"

    def explain(self, ctx, x, predict_fn, seed):
        from interpret.blackbox import LimeTabular

        names = [f"f{j}" for j in range(x.shape[0])]
        ex = LimeTabular(predict_fn, ctx.background, feature_names=names,
                         random_state=int(seed) % (2**32 - 1))
        e = ex.explain_local(x[None, :], num_features=x.shape[0])
        return LocalResult(_interpret_scores(e, names))


class InterpretShapKernel(BaseExplainer):
    name = "interpret_shap_kernel"
    estimand = "interventional_shap"
    stochastic = True
    note = (
        "interpret.blackbox.ShapKernel: shap.KernelExplainer with shap's defaults, as an "
        "interpret user gets it (nsamples='auto', l1_reg selects at most 10 features)"
    )

    def explain(self, ctx, x, predict_fn, seed):
        from interpret.blackbox import ShapKernel

        _seed_numpy(seed)
        names = [f"f{j}" for j in range(x.shape[0])]
        ex = ShapKernel(predict_fn, ctx.background, feature_names=names)
        e = ex.explain_local(x[None, :], silent=True)
        return LocalResult(_interpret_scores(e, names))


def _interpret_scores(e, names):
    data = e.data(0)
    v = np.zeros(len(names))
    index = {n: j for j, n in enumerate(names)}
    for name, score in zip(data["names"], data["scores"]):
        if name in index:
            v[index[name]] = float(np.asarray(score).reshape(-1)[0])
    return v


# -------------------------------------------------------------------------------------------
# finite-difference gradients
# -------------------------------------------------------------------------------------------
def fd_gradient(predict_fn, points, step):
    """Central finite-difference gradients of predict_fn at each row of ``points`` (one call)."""
    m, d = points.shape
    Z = np.repeat(points, 2 * d, axis=0).reshape(m, 2 * d, d)
    for j in range(d):
        Z[:, 2 * j, j] += step[j]
        Z[:, 2 * j + 1, j] -= step[j]
    f = predict_fn(Z.reshape(m * 2 * d, d)).reshape(m, d, 2)
    return (f[:, :, 0] - f[:, :, 1]) / (2 * step)


def _steps(ctx):
    return fd_steps(ctx.background)


class Gradient(BaseExplainer):
    name = "gradient"
    estimand = "gradient"
    note = "central finite differences, step 1e-3 standard deviations"

    def explain(self, ctx, x, predict_fn, seed):
        g = fd_gradient(predict_fn, x[None, :], _steps(ctx))[0]
        fx = float(predict_fn(x[None, :])[0])
        return LocalResult(g, slope=g, intercept=fx - float(g @ x))


class GradientXInput(BaseExplainer):
    name = "gradient_x_input"
    estimand = "gradient_x_input"
    note = "finite-difference gradient times (x - reference), reference = background mean"

    def explain(self, ctx, x, predict_fn, seed):
        g = fd_gradient(predict_fn, x[None, :], _steps(ctx))[0]
        return LocalResult(g * (x - ctx.baseline))


class IntegratedGradients(BaseExplainer):
    """Integrated gradients by model calls along the line, which also works on step functions.

    The straight line from the reference (the background mean) to x is cut into ``n_steps``
    segments; in each, the coordinates move one at a time from the segment's start to its
    end, and each change of the output is credited to the coordinate that moved (the order of
    the coordinates alternates from one segment to the next). On a smooth model this is a
    Riemann sum of the gradient; across a jump of a step function it credits the jump to the
    feature that crossed, so it converges to the Aumann-Shapley value where finite-difference
    gradients (0 almost everywhere on a tree) would see nothing. Its values add up to f(x) -
    f(reference) exactly (its completeness gap, captum's ``convergence_delta``, is 0).
    """

    name = "integrated_gradients"
    estimand = "integrated_gradients"

    def __init__(self, n_steps=64):
        self.n_steps = int(n_steps)
        self.note = (
            f"{self.n_steps} segments on the straight line from the background mean, the "
            "coordinates moved one at a time in each (staircase; alternating order), "
            f"{self.n_steps} x d + 1 model calls in one batch"
        )

    def explain(self, ctx, x, predict_fn, seed):
        b = ctx.baseline
        d = x.shape[0]
        grid = np.linspace(0.0, 1.0, self.n_steps + 1)
        start = b + grid[:-1, None] * (x - b)
        end = b + grid[1:, None] * (x - b)
        end[-1] = x
        orders = np.empty((self.n_steps, d), dtype=np.int64)
        orders[0::2] = np.arange(d)
        orders[1::2] = np.arange(d)[::-1]
        # point s of segment k: its start with the first s coordinates of its order moved
        pts = np.repeat(start[:, None, :], d, axis=1)
        rows = np.arange(self.n_steps)[:, None]
        moved = np.zeros((self.n_steps, d), dtype=bool)
        for s in range(d):
            moved[rows[:, 0], orders[:, s]] = True
            pts[:, s] = np.where(moved, end, start)
        f = predict_fn(np.concatenate([b[None, :], pts.reshape(-1, d)]))
        delta = (f[1:] - f[:-1]).reshape(self.n_steps, d)
        values = np.zeros(d)
        np.add.at(values, orders.reshape(-1), delta.reshape(-1))
        return LocalResult(values)


# -------------------------------------------------------------------------------------------
# MAPLE as a black-box explainer
# -------------------------------------------------------------------------------------------
class _Forward:
    """A picklable function that calls whatever predict function is current."""

    def __init__(self):
        self.fn = None

    def __call__(self, Z):
        return self.fn(Z)


class Maple(BaseExplainer):
    name = "maple"
    estimand = "local_slope"
    note = (
        "glassworks.MapleExplainer(predict_fn).fit(background), fitted once per process: its "
        "fitting calls are setup (timings['warmup']), not counted per explanation"
    )

    def explain(self, ctx, x, predict_fn, seed):
        from glassworks.maple.explainer import MapleExplainer

        key = ("maple", ctx.column)
        entry = ctx.cache.get(key)
        if entry is None:
            fwd = _Forward()
            fwd.fn = predict_fn
            ex = MapleExplainer(fwd, random_state=0).fit(ctx.background)
            entry = ctx.cache[key] = (fwd, ex)
        fwd, ex = entry
        fwd.fn = predict_fn
        e = ex.explain(x[None, :])
        slope = np.asarray(e.values, dtype=np.float64).reshape(-1)[: x.shape[0]]
        intercept = float(np.asarray(e.base_values, dtype=np.float64).reshape(-1)[0])
        return LocalResult(slope, slope=slope, intercept=intercept)


# -------------------------------------------------------------------------------------------
# global explainers (scikit-learn)
# -------------------------------------------------------------------------------------------
def _predict_fn_estimator(predict_fn):
    from sklearn.base import BaseEstimator, RegressorMixin

    class _FnRegressor(RegressorMixin, BaseEstimator):
        def fit(self, X, y=None):
            return self

        def predict(self, X):
            return predict_fn(np.asarray(X, dtype=np.float64))

        def __sklearn_is_fitted__(self):
            return True

    return _FnRegressor()


class PermutationImportance(BaseExplainer):
    """Permutation importance of each feature for reproducing the model's own output."""

    name = "permutation_importance"
    estimand = "permutation_importance"
    scope = "global"
    stochastic = True

    def __init__(self, n_repeats=5):
        self.n_repeats = n_repeats
        self.note = (
            "sklearn.inspection.permutation_importance on the explained rows, the model's own "
            f"output as target (MSE), n_repeats={n_repeats}"
        )

    def explain_global(self, ctx, predict_fn, seed):
        from sklearn.inspection import permutation_importance

        est = _predict_fn_estimator(predict_fn)
        y = predict_fn(ctx.X)
        r = permutation_importance(
            est, ctx.X, y, scoring="neg_mean_squared_error", n_repeats=self.n_repeats,
            random_state=int(seed) % (2**32 - 1),
        )
        return np.asarray(r.importances_mean, dtype=np.float64)


class PartialDependence(BaseExplainer):
    """Spread (standard deviation) of each feature's partial-dependence curve."""

    name = "partial_dependence"
    estimand = "partial_dependence"
    scope = "global"

    def __init__(self, grid_resolution=20):
        self.grid_resolution = grid_resolution
        self.note = (
            "sklearn.inspection.partial_dependence (brute) over the background, importance = "
            f"std of the curve, grid_resolution={grid_resolution}"
        )

    def explain_global(self, ctx, predict_fn, seed):
        from sklearn.inspection import partial_dependence

        est = _predict_fn_estimator(predict_fn)
        d = ctx.X.shape[1]
        out = np.zeros(d)
        for j in range(d):
            r = partial_dependence(est, ctx.background, [j], kind="average", method="brute",
                                   grid_resolution=self.grid_resolution)
            out[j] = float(np.std(r["average"]))
        return out


# -------------------------------------------------------------------------------------------
# user callables
# -------------------------------------------------------------------------------------------
class UserExplainer(BaseExplainer):
    """A user callable ``f(predict_fn, X, background) -> (n, d)``, run one row at a time."""

    stochastic = True

    def __init__(self, name, fn, estimand):
        from glassworks.explanation import ESTIMANDS

        if estimand not in ESTIMANDS:
            raise ValueError(f"estimand must be one of {ESTIMANDS}, got {estimand!r}.")
        if not callable(fn):
            raise TypeError(f"explainer {name!r}: {fn!r} is not callable.")
        self.name = str(name)
        self.fn = fn
        self.estimand = estimand
        self.note = f"user callable {getattr(fn, '__name__', repr(fn))}"

    def explain(self, ctx, x, predict_fn, seed):
        _seed_numpy(seed)
        v = np.asarray(self.fn(predict_fn, x[None, :], ctx.background), dtype=np.float64)
        if v.size != x.shape[0]:
            raise ValueError(
                f"explainer {self.name!r} returned shape {v.shape}, expected (1, {x.shape[0]})."
            )
        return LocalResult(v.reshape(-1))


#: Name -> factory of the built-in explainers.
EXPLAINERS = {
    "kernel_shap": KernelShap,
    "permutation_shap": PermutationShap,
    "exact_shap": ExactShap,
    "tree_shap": TreeShap,
    "tree_shap_path": TreeShapPath,
    "saabas": Saabas,
    "lime": Lime,
    "lime_continuous": LimeContinuous,
    "interpret_lime": InterpretLime,
    "interpret_shap_kernel": InterpretShapKernel,
    "gradient": Gradient,
    "gradient_x_input": GradientXInput,
    "integrated_gradients": IntegratedGradients,
    "maple": Maple,
    "permutation_importance": PermutationImportance,
    "partial_dependence": PartialDependence,
}


def make_explainer(spec):
    """An explainer from a name, a ``(name, f, estimand)`` tuple or an explainer object."""
    if isinstance(spec, BaseExplainer):
        return spec
    if isinstance(spec, str):
        factory = EXPLAINERS.get(spec)
        if factory is None:
            raise ValueError(
                f"Unknown explainer {spec!r}. Known: {', '.join(EXPLAINERS)}; or pass a tuple "
                "(name, f, estimand) with f(predict_fn, X, background) -> (n, d)."
            )
        return factory()
    if isinstance(spec, tuple) and len(spec) == 3:
        return UserExplainer(*spec)
    raise TypeError(
        f"An explainer is a name, a (name, f, estimand) tuple or an explainer object; got "
        f"{spec!r}."
    )
