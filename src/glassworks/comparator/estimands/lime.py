"""LIME's large-sample limits: what ``lime.lime_tabular.LimeTabularExplainer`` estimates.

LIME (``explain_instance(x, f, num_features=d, num_samples=N)``, regression mode) draws N
perturbed points, weights each by a kernel of its distance to x, and fits a ridge regression
of f on a representation of the points. Its weights are that fit's coefficients. As N -> inf
they converge to the coefficients of the *population* weighted least-squares fit, which this
module computes exactly (Garreau and von Luxburg, AISTATS 2020 "Explaining the explainer" and
JMLR 2022 "Looking deeper into tabular LIME", give it in closed form; the derivation here is
the same, written for the models the audit explains).

``lime_tabular``: the default mode (``discretize_continuous=True``, quartile discretiser)
    From the training data (the audit's background) lime takes, per feature j, the quartiles
    ``q = unique(percentile(col, [25, 50, 75]))`` (fewer than 3 when some coincide), the bins
    ``searchsorted(q, v)`` (bin b holds ``q[b-1] < v <= q[b]``), each bin's frequency p_jb,
    mean, standard deviation (plus 1e-11), and bounds ``[min, q...]`` / ``[q..., max]``. A
    sample draws each feature independently: a bin with the training frequencies, then a
    value from the normal with the bin's mean and sd truncated to its bounds (when the
    standardised bounds coincide, e.g. a first bin that holds only the minimum, lime returns
    the standardised bound ``(min - mean) / sd`` itself, about 0, not the minimum: reproduced
    here). The regression's features are the indicators ``z_j = 1{sample in x's bin}``; lime
    zeroes its scaler's mean and sets its scale to 1 for them, so the distance to x is
    ``sqrt(#{j: z_j = 0})`` and the kernel ``sqrt(exp(-d^2 / w^2))`` with w = 0.75 sqrt(d) is
    ``prod_j a^{1 - z_j}``, ``a = exp(-1 / (2 w^2))``. Under the weighted measure the
    features stay independent (bin weights ``p_jb`` tilted by a outside x's bin), so the
    weighted fit decouples: with ``p_j`` the frequency of x's bin,

    ``c_j = E_w[f | z_j = 1] - E_w[f | z_j = 0]``,

    each expectation over the tilted product distribution. For boxes this is a sum over boxes
    of products of one-dimensional bin probabilities; for a linear model, ``w_j`` times the
    difference of the truncated-normal means. The weights depend on x only through its bins.

``lime_gaussian``: ``discretize_continuous=False, sample_around_instance=True``
    Samples are ``x + s * e``, e ~ N(0, I), s the training standard deviation (scikit-learn's
    ``StandardScaler(with_mean=False)``: 1 for a constant column). The regression runs on the
    standardised features, the distance is ``|e|``, so the weighted measure is e ~ N(0,
    sigma^2 I) with ``sigma^2 = w^2 / (w^2 + 1)`` and the coefficient of feature j is
    ``E[e_j f(x + s e)] / sigma^2`` (a Gaussian-smoothed gradient, by Stein's lemma). The
    values returned are slopes in the features' own units (lime's coefficients divided by s,
    as the audit's ``lime_continuous`` reports them); for boxes a sum over boxes of products of
    one-dimensional Gaussian integrals, for a linear model its coefficients.

What the limit leaves out of LIME
---------------------------------
- Sampling noise: lime's weights scatter around the limit by O(N^-1/2).
- The ridge penalty (``Ridge(alpha=1)``): it is O(1) against a total kernel weight of O(N),
  a relative shrinkage of O(1/N).
- The unperturbed first sample (x itself, weight 1): an O(1/N) effect, except in one case
  the limit keeps: when x's bin holds none of the training rows (x above a last quartile that
  equals the maximum, or in an empty middle bin), ``z_j`` is 0 in every sample but the first,
  and that one row is all that determines ``c_j``: ridge gives ``c_j = r / (k + 1)`` for
  each of the k such features, r being f(x) minus the limit fit's prediction at z = 1. (A
  feature whose x-bin holds every training row has a constant ``z_j`` and weight 0.)
- Feature selection: the limit assumes ``num_features >= d`` (as the audit calls lime);
  then lime's ``feature_selection='auto'`` keeps every feature (forward selection for d <= 6,
  highest weights otherwise, both return all d), and only the final fit matters.
- Not covered: categorical features, other discretisers than ``quartile`` / ``decile``,
  ``training_data_stats``, sparse input, a custom kernel or distance, classification mode
  (the audit explains one output column in regression mode).

Black-box models are estimated by Monte Carlo, with a standard error per value
(:class:`LimeLimit`): in the default mode on one pool of LIME's own samples that every row
reweights by its kernel; in the Gaussian mode on each row's own weighted distribution.
"""

from typing import NamedTuple

import numpy as np
from scipy import special
from scipy.stats import truncnorm

from .boxes import Boxes

__all__ = ["LimeStats", "LimeLimit", "Linear", "lime_tabular", "lime_gaussian"]

#: Percentiles of lime's discretisers.
DISCRETIZERS = {
    "quartile": (25, 50, 75),
    "decile": (10, 20, 30, 40, 50, 60, 70, 80, 90),
}

#: lime adds this to every bin's standard deviation (lime.discretize.BaseDiscretizer).
LIME_STD_EPS = 0.00000000001

#: Elements (rows x boxes x depth) evaluated at once by the box computations.
CHUNK_ELEMENTS = 1 << 21

#: Default number of model calls per estimated value of the black-box fallback.
DEFAULT_BUDGET = 50_000


class LimeLimit(NamedTuple):
    """LIME's large-sample limit on n rows.

    Attributes
    ----------
    values : ndarray (n, d)
        ``lime_tabular``: lime's weights (output change for being in x's bin);
        ``lime_gaussian``: slopes in the features' own units.
    intercept : ndarray (n,)
        The limit of lime's intercept: in lime's binary space for ``lime_tabular``
        (lime's ``e.intercept[1]``); in feature units for ``lime_gaussian`` (the local linear
        model is ``intercept + values @ z``).
    stderr : ndarray (n, d) or None
        Standard error of each value when estimated by Monte Carlo (black box); None when
        exact up to round-off.
    """

    values: np.ndarray
    intercept: np.ndarray
    stderr: np.ndarray = None

    @property
    def tolerance(self):
        """Three times the largest standard error, or None when exact."""
        if self.stderr is None:
            return None
        return 3.0 * float(np.max(self.stderr)) if self.stderr.size else 0.0


class Linear(NamedTuple):
    """A linear function ``coef @ x + intercept``; coef (d,) or one row per explained row
    (n, d), intercept a scalar or (n,)."""

    coef: np.ndarray
    intercept: object = 0.0


# --------------------------------------------------------------------------------------------
# what lime computes from its training data
# --------------------------------------------------------------------------------------------
class LimeStats:
    """The statistics ``LimeTabularExplainer(background)`` computes, in both modes.

    Computed with the same numpy calls as lime (percentiles, ``searchsorted``, per-bin
    ``np.mean`` / ``np.std`` + 1e-11, bounds, frequencies; scikit-learn's
    ``StandardScaler(with_mean=False)`` for the Gaussian mode), once per background.

    Parameters
    ----------
    background : array-like (m, d)
        lime's ``training_data``: finite, at least one row.
    kernel_width : float, default=None
        lime's ``kernel_width``; None: ``0.75 * sqrt(d)``, lime's default.
    discretizer : {"quartile", "decile"}, default="quartile"

    Attributes
    ----------
    n_features, n_background : int
    kernel_width : float
    boundaries : list of ndarray
        Per feature, the distinct percentiles (lime's ``qts``).
    n_bins : ndarray (d,), int
    freq, mean, std, low, high : ndarray (d, B)
        Per feature and bin (B the most bins of any feature; padding bins have frequency 0):
        the training frequency and the truncated normal's mean, sd and bounds.
    point : ndarray (d, B), bool
        Bins lime samples as one value (its standardised bounds coincide), ``point_value``.
    scale : ndarray (d,)
        The Gaussian mode's per-feature scale (training sd, 1 for a constant column).
    a : float
        The kernel's factor per feature outside x's bin, ``exp(-1 / (2 w^2))``.
    sigma : float
        The Gaussian mode's weighted standard deviation of e, ``w / sqrt(w^2 + 1)``.
    """

    def __init__(self, background, kernel_width=None, discretizer="quartile"):
        from sklearn.preprocessing import StandardScaler

        bg = np.asarray(background, dtype=np.float64)
        if bg.ndim != 2 or bg.shape[0] < 1 or bg.shape[1] < 1:
            raise ValueError(f"background must be a non-empty 2-D array, got shape {bg.shape}.")
        if not np.all(np.isfinite(bg)):
            raise ValueError("background must be finite (no NaN or inf).")
        if discretizer not in DISCRETIZERS:
            raise ValueError(f"discretizer must be one of {sorted(DISCRETIZERS)}, "
                             f"got {discretizer!r}.")
        m, d = bg.shape
        self.n_background, self.n_features = m, d
        self.discretizer = discretizer
        w = np.sqrt(d) * 0.75 if kernel_width is None else float(kernel_width)
        if not (np.isfinite(w) and w > 0):
            raise ValueError(f"kernel_width must be positive and finite, got {kernel_width!r}.")
        self.kernel_width = w
        self.a = float(np.exp(-1.0 / (2.0 * w * w)))
        self.sigma = float(w / np.sqrt(w * w + 1.0))

        pct = list(DISCRETIZERS[discretizer])
        self.boundaries = [np.unique(np.array(np.percentile(bg[:, j], pct))) for j in range(d)]
        self.n_bins = np.array([q.shape[0] + 1 for q in self.boundaries], dtype=np.int64)
        B = int(self.n_bins.max())
        self.freq = np.zeros((d, B))
        self.mean = np.zeros((d, B))
        self.std = np.full((d, B), LIME_STD_EPS)
        self.low = np.zeros((d, B))
        self.high = np.zeros((d, B))
        self.point = np.ones((d, B), dtype=bool)
        self.point_value = np.zeros((d, B))
        for j, qts in enumerate(self.boundaries):
            col = bg[:, j]
            nb = qts.shape[0] + 1
            disc = np.searchsorted(qts, col)
            for b in range(nb):
                sel = col[disc == b]
                self.freq[j, b] = sel.shape[0] / m
                self.mean[j, b] = 0 if len(sel) == 0 else np.mean(sel)
                self.std[j, b] = (0 if len(sel) == 0 else np.std(sel)) + LIME_STD_EPS
            mins = np.array([np.min(col)] + qts.tolist())
            maxs = np.array(qts.tolist() + [np.max(col)])
            self.low[j, :nb], self.high[j, :nb] = mins, maxs
            # lime.discretize.BaseDiscretizer.get_undiscretize_values, to the bit
            minz = (mins - self.mean[j, :nb]) / self.std[j, :nb]
            maxz = (maxs - self.mean[j, :nb]) / self.std[j, :nb]
            self.point[j, :nb] = minz == maxz
            self.point_value[j, :nb] = np.where(minz == maxz, minz, 0.0)
        self._za = np.where(self.point, 0.0, (self.low - self.mean) / self.std)
        self._zb = np.where(self.point, 0.0, (self.high - self.mean) / self.std)
        # bins lime never samples (no training row) get a harmless point distribution
        empty = self.freq == 0
        self.point |= empty
        self.point_value[empty] = 0.0
        scaler = StandardScaler(with_mean=False).fit(bg)
        self.scale = np.asarray(scaler.scale_, dtype=np.float64).copy()

    def __repr__(self):
        return (f"LimeStats(n_background={self.n_background}, n_features={self.n_features}, "
                f"kernel_width={self.kernel_width:g}, bins={self.n_bins.tolist()})")

    def check_rows(self, X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n, {self.n_features}), got {X.shape}.")
        if not np.all(np.isfinite(X)):
            raise ValueError("X must be finite (no NaN or inf).")
        return X

    def bins(self, X):
        """lime's bin of each value of X (``searchsorted(q, v)``), shape (n, d)."""
        X = self.check_rows(X)
        return np.stack([np.searchsorted(q, X[:, j]) for j, q in enumerate(self.boundaries)],
                        axis=1).astype(np.int64)

    def bin_cdf(self, j, t):
        """``P(X_j <= t | bin b)`` for each value of t and each bin b of feature j: (len(t), B).

        Padding and empty bins (never sampled) get the CDF of a point at 0; they always come
        with frequency 0.
        """
        t = np.asarray(t, dtype=np.float64).reshape(-1, 1)
        out = (self.point_value[j] <= t).astype(np.float64)
        cont = ~self.point[j]
        if cont.any():
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                out[:, cont] = truncnorm.cdf(t, self._za[j, cont], self._zb[j, cont],
                                             loc=self.mean[j, cont], scale=self.std[j, cont])
            # scipy returns nan at t = +-inf for some parameters; the CDF is 0 / 1 there
            out[np.isneginf(t[:, 0])] = 0.0
            out[np.isposinf(t[:, 0])] = 1.0
        return out

    def bin_means(self):
        """The mean of lime's sampling distribution in each bin, (d, B)."""
        out = self.point_value.copy()
        cont = ~self.point
        if cont.any():
            out[cont] = truncnorm.mean(self._za[cont], self._zb[cont], loc=self.mean[cont],
                                       scale=self.std[cont])
        return out

    def sample_in_bins(self, j, bins, rng):
        """Values of feature j drawn by lime's rule in the given bins (exact distribution)."""
        bins = np.asarray(bins, dtype=np.int64)
        out = self.point_value[j, bins].copy()
        cont = ~self.point[j, bins]
        if cont.any():
            b = bins[cont]
            u = rng.random(b.shape[0])
            out[cont] = truncnorm.ppf(u, self._za[j, b], self._zb[j, b], loc=self.mean[j, b],
                                      scale=self.std[j, b])
        return out

    def tilted(self, patterns):
        """Per row pattern of x-bins (r, d): frequency of x's bin p (r, d) and the weighted
        probability q of being in it, ``p / (p + a (1 - p))``."""
        p = np.take_along_axis(self.freq, patterns.T, axis=1).T
        q = p / (p + self.a * (1.0 - p))
        return p, q


def _stats_for(background, stats, kernel_width):
    if stats is not None:
        if not isinstance(stats, LimeStats):
            raise TypeError("stats must be a LimeStats.")
        if kernel_width is not None and float(kernel_width) != stats.kernel_width:
            raise ValueError("kernel_width differs from the one stats were computed with.")
        if background is not None:
            bg = np.asarray(background)
            if bg.ndim != 2 or bg.shape != (stats.n_background, stats.n_features):
                raise ValueError("background does not match the one stats were computed from.")
        return stats
    if background is None:
        raise ValueError("pass the background (lime's training data) or its LimeStats.")
    return LimeStats(background, kernel_width=kernel_width)


def _kind(model, d):
    if isinstance(model, Boxes):
        if model.n_features != d:
            raise ValueError(f"the boxes have {model.n_features} features, the data {d}.")
        return "boxes"
    if isinstance(model, Linear) or (isinstance(model, tuple) and len(model) == 2
                                     and not callable(model[0])):
        return "linear"
    if callable(model):
        return "black_box"
    raise TypeError("model must be Boxes, Linear(coef, intercept) / a (coef, intercept) "
                    f"tuple, or a callable predict_fn; got {type(model).__name__}.")


def _linear_parts(model, n, d):
    coef, intercept = model
    W = np.asarray(coef, dtype=np.float64)
    if W.shape == (d,):
        W = np.broadcast_to(W, (n, d))
    elif W.shape != (n, d):
        raise ValueError(f"coef must have shape ({d},) or ({n}, {d}), got {W.shape}.")
    b = np.broadcast_to(np.asarray(intercept, dtype=np.float64).reshape(-1), (n,)) if (
        np.size(intercept) in (1, n)) else None
    if b is None:
        raise ValueError(f"intercept must be a scalar or have {n} entries.")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        raise ValueError("coef and intercept must be finite.")
    return W, b


def _call(predict_fn, Z):
    out = np.asarray(predict_fn(np.ascontiguousarray(Z, dtype=np.float64)), dtype=np.float64)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape != (Z.shape[0],):
        raise ValueError(f"predict_fn must map (m, d) to (m,); it returned shape {out.shape}.")
    return out


def _scatter_features(contrib, feature, d):
    """Sum ``contrib`` (r, M, L) into (r, d) by ``feature`` (M, L), padding (-1) dropped."""
    r = contrib.shape[0]
    f = np.where(feature >= 0, feature, d)
    idx = (np.arange(r)[:, None, None] * (d + 1) + f[None]).ravel()
    out = np.bincount(idx, weights=contrib.ravel(), minlength=r * (d + 1))
    return out.reshape(r, d + 1)[:, :d]


def _leave_one_out_products(T):
    """``prod_{l' != l} T[..., l']`` for every l (prefix times suffix: no division by 0)."""
    L = T.shape[-1]
    ones = np.ones(T.shape[:-1] + (1,))
    prefix = np.cumprod(np.concatenate([ones, T[..., :-1]], axis=-1), axis=-1)
    suffix = np.cumprod(np.concatenate([ones, T[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return prefix * suffix if L else T


# --------------------------------------------------------------------------------------------
# lime_tabular: the default (quartile) mode
# --------------------------------------------------------------------------------------------
def lime_tabular(model, X, background=None, *, stats=None, kernel_width=None,
                 budget=DEFAULT_BUDGET, random_state=0):
    """The large-sample limit of LIME's default weights (quartile discretiser).

    The limit of ``LimeTabularExplainer(background, mode="regression").explain_instance(x,
    f, num_features=d, num_samples=N).local_exp[1]`` as N -> inf (see the module docstring
    for the derivation and for the steps of LIME it leaves out).

    Parameters
    ----------
    model : Boxes, Linear, (coef, intercept) or callable
        The explained output: :class:`~glassworks.comparator.estimands.boxes.Boxes` (trees,
        forests, rule lists, EBMs: exact), a linear function (exact), or ``predict_fn``
        mapping (m, d) to (m,) (Monte Carlo with standard errors).
    X : array-like (n, d)
        The explained rows.
    background : array-like (m, d), default=None
        lime's training data; not needed when ``stats`` is given.
    stats : LimeStats, default=None
        The background's statistics, to reuse across calls.
    kernel_width : float, default=None
        lime's kernel width; None: ``0.75 sqrt(d)``.
    budget : int, default=50_000
        Black box only: model calls in all, on one pool of LIME's samples that every row
        reweights by its own kernel, plus one call per row.
    random_state : int or numpy Generator, default=0
        Black box only.

    Returns
    -------
    LimeLimit
        ``values`` (n, d), ``intercept`` (n,) (lime's, in its binary space) and ``stderr``
        (n, d) for a black box (None otherwise).
    """
    st = _stats_for(background, stats, kernel_width)
    X = st.check_rows(X)
    n, d = X.shape
    kind = _kind(model, d)
    patterns = st.bins(X)
    if kind == "linear":
        W, b0 = _linear_parts(model, n, d)
        values, intercept = _tabular_linear(st, patterns, W, b0)
        fx = np.einsum("ij,ij->i", W, X) + b0
        return LimeLimit(*_fix_empty_bins(st, patterns, values, intercept, fx))
    uniq, inverse = np.unique(patterns, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if kind == "boxes":
        values, intercept = _tabular_boxes(st, uniq, model)
        fx = model.predict(X)
        return LimeLimit(*_fix_empty_bins(st, patterns, values[inverse], intercept[inverse],
                                          fx))
    rng = np.random.default_rng(random_state)
    budget = _check_budget(budget)
    values, intercept, stderr, cov = _tabular_monte_carlo(st, uniq, model, budget, rng)
    fx = _call(model, X)
    v, b = _fix_empty_bins(st, patterns, values[inverse], intercept[inverse], fx)
    se = stderr[inverse].copy()
    # the empty-bin weights are r / (k + 1), r = f(x) - (fit at z = 1): its variance
    p, _ = st.tilted(patterns)
    J0 = p == 0
    k = J0.sum(axis=1)
    for i in np.flatnonzero(k):
        se[i, J0[i]] = np.sqrt(max(cov[inverse[i]], 0.0)) / (k[i] + 1)
    return LimeLimit(v, b, se)


def _check_budget(budget):
    budget = int(budget)
    if budget < 100:
        raise ValueError(f"budget must be at least 100 model calls, got {budget}.")
    return budget


def _fix_empty_bins(st, patterns, values, intercept, fx):
    """Features whose x-bin holds no training row: only lime's first sample (x itself,
    weight 1) sets their weight, against the ridge penalty (alpha = 1): ``r / (k + 1)``."""
    p, _ = st.tilted(patterns)
    J0 = p == 0
    values = np.where((p == 1) | J0, 0.0, values)
    if J0.any():
        k = J0.sum(axis=1)
        r = fx - intercept - values.sum(axis=1)
        values = np.where(J0, (r / (k + 1))[:, None], values)
    return values, intercept


def _tabular_linear(st, patterns, W, b0):
    mu = st.bin_means()  # (d, B)
    p, q = st.tilted(patterns)
    mu_in = np.take_along_axis(mu, patterns.T, axis=1).T
    M = (st.freq * mu).sum(axis=1)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where((p > 0) & (p < 1), W * (mu_in - M) / (1.0 - p), 0.0)
    tilted_mean = (p * mu_in + st.a * (M - p * mu_in)) / (p + st.a * (1.0 - p))
    Ew = np.einsum("ij,ij->i", W, tilted_mean) + b0
    return c, Ew - (c * q).sum(axis=1)


def _tabular_boxes(st, patterns, boxes):
    r_all, d = patterns.shape
    edges, edge_feature, lo_idx, hi_idx = boxes.edge_table()
    B = st.freq.shape[1]
    C = np.zeros((edges.shape[0], B))
    C[1] = 1.0
    for j in np.unique(edge_feature[edge_feature >= 0]):
        at = np.flatnonzero(edge_feature == j)
        C[at] = st.bin_cdf(j, edges[at])
    P = C[hi_idx] - C[lo_idx]  # (M, L, B): probability of the box's side, per bin
    f = boxes.feature
    fpad = np.where(f >= 0, f, 0)
    freq_ml = st.freq[fpad]  # (M, L, B)
    S = np.where(f >= 0, (freq_ml * P).sum(axis=2), 1.0)  # training-frequency mixture
    v = boxes.value
    M, L = f.shape
    values = np.zeros((r_all, d))
    intercept = np.zeros(r_all)
    step = max(1, CHUNK_ELEMENTS // max(1, M * L))
    a = st.a
    for s in range(0, r_all, step):
        pat = patterns[s:s + step]
        r = pat.shape[0]
        bx = np.where(f[None] >= 0, pat[:, fpad], 0)  # (r, M, L): x's bin, per box side
        A = np.take_along_axis(np.broadcast_to(P, (r, M, L, B)), bx[..., None], axis=3)[..., 0]
        p = np.take_along_axis(np.broadcast_to(freq_ml, (r, M, L, B)), bx[..., None],
                               axis=3)[..., 0]
        A = np.where(f[None] >= 0, A, 1.0)
        p = np.where(f[None] >= 0, p, 1.0)
        # E_w[. | z=1] - E_w[. | z=0] of the side's indicator: (A - S) / (1 - p)
        with np.errstate(invalid="ignore", divide="ignore"):
            D = np.where((p > 0) & (p < 1), (A - S[None]) / (1.0 - p), 0.0)
        T = (p * A + a * (S[None] - p * A)) / (p + a * (1.0 - p))
        contrib = v[None, :, None] * D * _leave_one_out_products(T)
        c = _scatter_features(contrib, f, d)
        Ew = boxes.offset + np.prod(T, axis=2) @ v
        _, q = st.tilted(pat)
        values[s:s + step] = c
        intercept[s:s + step] = Ew - (np.where((q > 0) & (q < 1), c, 0.0) * q).sum(axis=1)
    return values, intercept


def _tabular_monte_carlo(st, patterns, predict_fn, budget, rng):
    """Weighted OLS of f on the bin indicators, on one pool of samples shared by every row:
    the population fit is LIME's limit; HC0 standard errors.

    LIME's own sampling distribution (bins by background frequency, then a value inside the
    bin) does not depend on x; only its kernel does, and the kernel is
    ``a ** (number of features outside x's bin)``. So ``budget`` model calls in all, on one
    draw from that distribution, serve every row, each row reweighting the same pool (the
    weights are bounded by ``a ** -d``, so the pool loses little to the reweighting). Per-row
    draws from each row's tilted distribution, as this function once made, cost ``budget``
    calls per row for the same precision."""
    r_all, d = patterns.shape
    values = np.zeros((r_all, d))
    intercept = np.zeros(r_all)
    stderr = np.zeros((r_all, d))
    cov_ones = np.zeros(r_all)  # variance of the fit's prediction at z = 1
    K = budget
    bins = np.empty((K, d), dtype=np.int64)
    Xs = np.empty((K, d))
    for j in range(d):
        f = st.freq[j]
        bins[:, j] = rng.choice(f.shape[0], size=K, p=f / f.sum())
        Xs[:, j] = st.sample_in_bins(j, bins[:, j], rng)
    y = _call(predict_fn, Xs)
    p_all, _ = st.tilted(patterns)
    log_a = np.log(st.a)
    for i in range(r_all):
        Z = bins == patterns[i][None, :]
        out = d - Z.sum(axis=1)
        w = np.exp(log_a * (out - out.min()))
        vary = (p_all[i] > 0) & (p_all[i] < 1)
        D = np.column_stack([np.ones(K), Z[:, vary]])
        beta, se, V = _ols(D, y, w)
        values[i, vary] = beta[1:]
        stderr[i, vary] = se[1:]
        # the fit on the raw indicators: its constant is lime's intercept (the fit at z = 0)
        intercept[i] = beta[0]
        u = np.ones(D.shape[1])
        cov_ones[i] = u @ V @ u
    return values, intercept, stderr, cov_ones


def _ols(D, y, w=None):
    """(Weighted) least squares with HC0 (sandwich) covariance: coefficients, their se,
    covariance. The covariance does not depend on the weights' scale."""
    Dw = D if w is None else D * w[:, None]
    G = Dw.T @ D
    Ginv = np.linalg.pinv(G)
    beta = Ginv @ (Dw.T @ y)
    e = y - D @ beta
    meat = (Dw * (e * e)[:, None]).T @ Dw
    V = Ginv @ meat @ Ginv
    return beta, np.sqrt(np.maximum(np.diag(V), 0.0)), V


# --------------------------------------------------------------------------------------------
# lime_gaussian: discretize_continuous=False, sample_around_instance=True
# --------------------------------------------------------------------------------------------
def lime_gaussian(model, X, background=None, *, stats=None, kernel_width=None,
                  budget=DEFAULT_BUDGET, random_state=0):
    """The large-sample limit of LIME's slopes when it samples around x without bins.

    The limit of ``LimeTabularExplainer(background, mode="regression",
    discretize_continuous=False, sample_around_instance=True)``'s coefficients divided by
    its scaler's ``scale_`` (slopes in the features' units, as the audit's
    ``lime_continuous`` reports them), as num_samples -> inf: ``E[e_j f(x + s e)] /
    (sigma^2 s_j)`` with e ~ N(0, sigma^2 I) (see the module docstring).

    Parameters
    ----------
    model : Boxes, Linear, (coef, intercept) or callable
        As for :func:`lime_tabular`.
    X : array-like (n, d)
    background : array-like (m, d), default=None
    stats : LimeStats, default=None
    kernel_width : float, default=None
    budget : int, default=50_000
        Black box only: model calls per row (antithetic pairs x +- s e).
    random_state : int or numpy Generator, default=0

    Returns
    -------
    LimeLimit
        ``values``: slopes (n, d); ``intercept`` (n,): the limit fit's value at 0 in feature
        units (``f ~ intercept + values @ z`` near x); ``stderr`` for a black box.
    """
    st = _stats_for(background, stats, kernel_width)
    X = st.check_rows(X)
    n, d = X.shape
    kind = _kind(model, d)
    if kind == "linear":
        W, b0 = _linear_parts(model, n, d)
        # E_w[f] = f(x) (e has mean 0), so the intercept in feature units is b0
        return LimeLimit(np.array(W, dtype=np.float64), np.array(b0, dtype=np.float64))
    if kind == "boxes":
        return LimeLimit(*_gaussian_boxes(st, X, model))
    rng = np.random.default_rng(random_state)
    return LimeLimit(*_gaussian_monte_carlo(st, X, model, _check_budget(budget), rng))


def _gaussian_boxes(st, X, boxes):
    n, d = X.shape
    edges, edge_feature, lo_idx, hi_idx = boxes.edge_table()
    f = boxes.feature
    M, L = f.shape
    v = boxes.value
    sig = st.sigma
    finite = edge_feature >= 0
    ef = edge_feature[finite]
    scale = st.scale[ef] * sig
    values = np.zeros((n, d))
    Ew = np.zeros(n)
    step = max(1, CHUNK_ELEMENTS // max(1, M * L))
    for s in range(0, n, step):
        x = X[s:s + step]
        r = x.shape[0]
        z = np.empty((r, edges.shape[0]))
        z[:, 0], z[:, 1] = -np.inf, np.inf
        z[:, finite] = (edges[finite][None, :] - x[:, ef]) / scale[None, :]
        cdf, sf = special.ndtr(z), special.ndtr(-z)
        pdf = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
        zl, zh = z[:, lo_idx], z[:, hi_idx]  # (r, M, L)
        # the upper tail from the survival function: no cancellation of 1 - 1
        P = np.where(zl > 0, sf[:, lo_idx] - sf[:, hi_idx], cdf[:, hi_idx] - cdf[:, lo_idx])
        del zl, zh
        G = (pdf[:, lo_idx] - pdf[:, hi_idx]) / sig  # E[e 1{side}] / sigma^2, e in sd units
        contrib = v[None, :, None] * G * _leave_one_out_products(P)
        values[s:s + step] = _scatter_features(contrib, f, d) / st.scale[None, :]
        Ew[s:s + step] = boxes.offset + np.prod(P, axis=2) @ v
    return values, Ew - np.einsum("ij,ij->i", values, X)


def _gaussian_monte_carlo(st, X, predict_fn, budget, rng):
    """Antithetic pairs x +- s e, e ~ N(0, sigma^2 I): OLS of (f(+) - f(-)) / 2 on e (the
    population fit is LIME's limit), HC0 standard errors; intercept from (f(+) + f(-)) / 2."""
    n, d = X.shape
    K = max(1, budget // 2)
    values = np.zeros((n, d))
    stderr = np.zeros((n, d))
    intercept = np.zeros(n)
    for i in range(n):
        e = rng.standard_normal((K, d)) * st.sigma
        step = e * st.scale[None, :]
        y = _call(predict_fn, np.concatenate([X[i] + step, X[i] - step]))
        odd, even = 0.5 * (y[:K] - y[K:]), 0.5 * (y[:K] + y[K:])
        beta, se, _ = _ols(e, odd)
        values[i] = beta / st.scale
        stderr[i] = se / st.scale
        intercept[i] = even.mean() - values[i] @ X[i]
    return values, intercept, stderr
