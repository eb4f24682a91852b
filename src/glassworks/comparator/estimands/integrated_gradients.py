"""Integrated gradients: the Aumann-Shapley path integral along the straight line.

``IG_j(x) = (x_j - b_j) * integral_0^1 df/dx_j(b + a (x - b)) da``, b the baseline (the
background mean). The values add up to ``f(x) - f(b)``.

Exact computations:

- linear models: ``w * (x - b)``;
- piecewise-constant models (trees, forests, rule lists through their equivalent tree, EBMs
  through their bins) and piecewise-affine ones (a MAPLE regressor): the *crossing walk*.
  Along ``z(a) = b + a (x - b)`` feature j crosses its threshold t at ``a = (t - b_j) / (x_j
  - b_j)``; between crossings the model is one affine piece (constant for a tree), whose
  slope contributes ``slope_j (x_j - b_j) da`` to feature j. At a crossing the model may
  jump; the jump is credited to the feature that crosses. When a set F of features crosses
  at the same point (e.g. binary features against a zero baseline), the line alone does not
  say who made the jump: tilting the direction slightly makes the features of F cross one
  after the other, and averaging the credit over the |F|! orders gives the Shapley value of
  the 2^|F| "corner" game ``v(S)`` = the model just past the crossing for the features of S
  and just before it for the others. That is the convention implemented (Aumann-Shapley
  values are defined for smooth games; this is their limit under a random small tilt).
  Crossings less than :data:`SIMULTANEOUS` apart in ``a`` count as simultaneous. It needs
  only each feature's thresholds and model calls, so it serves any model whose thresholds
  are known.
- any other model: a quadrature with a stated tolerance (a staircase walk through the
  coordinates on a grid of :data:`QUADRATURE_STEPS` segments, both coordinate orders
  averaged; the tolerance is its largest change against half as many segments).

A model that casts its inputs to float32 before comparing them with a threshold t (scikit-
learn's trees) changes where the float32 rounding of z_j passes t: the walk uses that point
(:func:`effective_thresholds`).
"""

import numpy as np

from .base import Estimand, NotExact, Value, linear_rows, per_column, register

#: Crossings closer than this along the line (in units of a) count as simultaneous.
SIMULTANEOUS = 1e-12

#: Largest set of simultaneous crossings whose corner game is enumerated (2**12 points).
MAX_SIMULTANEOUS = 12

#: Segments of the black-box quadrature (and half as many for its tolerance).
QUADRATURE_STEPS = 128

INTEGRATED_GRADIENTS = register(Estimand(
    "integrated_gradients",
    "the Aumann-Shapley path integral of the gradient along the straight line from the "
    "background mean to x (jumps credited to the feature that crosses)",
    "each feature's share of f(x) - f(background mean), collected along the straight line "
    "between them",
    unit="attribution", scope="local", additive=True,
    noun="integrated gradients",
))


def effective_thresholds(thresholds, input_dtype):
    """Where the output can change along a feature, in float64.

    For a model that rounds inputs to float32 before comparing ``float32(z) <= t``, the
    output changes where the rounding of z passes t: halfway between the largest float32 at
    or below t and the next float32.
    """
    t = np.unique(np.asarray(thresholds, dtype=np.float64))
    if np.dtype(input_dtype) != np.float32 or t.size == 0:
        return t
    u = t.astype(np.float32)
    u = np.where(u.astype(np.float64) > t, np.nextafter(u, np.float32(-np.inf)), u)
    up = np.nextafter(u, np.float32(np.inf))
    return np.unique((u.astype(np.float64) + up.astype(np.float64)) / 2.0)


# --------------------------------------------------------------------------------------------
# the crossing walk
# --------------------------------------------------------------------------------------------
def _plan_row(x, b, thresholds):
    """Boundaries of the segments of the line for one row, and who crosses at each.

    Returns ``bounds`` (K+1,) from 0 to 1, ``count`` (K+1,) the number of distinct features
    crossing at each boundary (0 at an end point nobody crosses at), ``first`` (K+1,) one of
    them (-1 if none) and ``groups``, {boundary: sorted features} where several cross.
    Crossings within :data:`SIMULTANEOUS` of the previous one join its boundary.
    """
    dx = x - b
    alphas, feats = [], []
    for j in np.flatnonzero(dx != 0):
        t = thresholds[j]
        if t.size == 0:
            continue
        a = (t - b[j]) / dx[j]
        keep = (a >= 0.0) & (a <= 1.0)
        alphas.append(a[keep])
        feats.append(np.full(int(keep.sum()), j, dtype=np.int64))
    a = np.concatenate(alphas) if alphas else np.empty(0)
    f = np.concatenate(feats) if feats else np.empty(0, dtype=np.int64)
    order = np.argsort(a, kind="stable")
    a, f = a[order], f[order]
    # a boundary at 0 always opens the line; each crossing far enough from the previous
    # one opens a new boundary
    new = np.diff(np.concatenate([[0.0], a])) > SIMULTANEOUS
    group = np.cumsum(new)  # boundary index of each crossing (0: at the start)
    n_bounds = int(group[-1]) + 1 if a.size else 1
    bounds = np.zeros(n_bounds)
    bounds[group[new]] = a[new]
    if n_bounds > 1 and 1.0 - bounds[-1] <= SIMULTANEOUS:
        bounds[-1] = 1.0
    else:
        bounds = np.append(bounds, 1.0)
    K1 = bounds.size
    count = np.zeros(K1, dtype=np.int64)
    first = np.full(K1, -1, dtype=np.int64)
    groups = {}
    if a.size:
        np.add.at(count, group, 1)
        first[group] = f  # any one of them
        for k in np.flatnonzero(count > 1):
            members = np.unique(f[group == k])
            if members.size > 1:
                groups[int(k)] = members
            count[k] = members.size
    return bounds, count, first, groups


def ig_crossing_walk(pieces, thresholds, X, baseline):
    """Exact integrated gradients of a model that is affine between known thresholds.

    Parameters
    ----------
    pieces : callable
        ``pieces(Z) -> (intercept (m,), slope (m, d))``: the affine piece the model uses at
        each point (slope 0 everywhere for a piecewise-constant model). Called once, on every
        point the walk needs.
    thresholds : list of d sorted arrays
        Per feature, every value at which the model's piece can change.
    X : ndarray (n, d)
    baseline : ndarray (d,)

    Returns
    -------
    ndarray (n, d)
        They add up to f(x) - f(baseline).

    Raises
    ------
    NotExact
        When more than :data:`MAX_SIMULTANEOUS` features cross at one point, or the model
        jumps where no threshold is (the thresholds given are incomplete).
    """
    from glassworks.shapley.brute_force import shapley_from_coalition_values

    n, d = X.shape
    b = np.asarray(baseline, dtype=np.float64)
    plans, queries = [], []
    n_q = 0

    def add(points):
        nonlocal n_q
        queries.append(points)
        n_q += len(points)
        return np.arange(n_q - len(points), n_q)

    for i in range(n):
        x = X[i]
        bounds, count, first, groups = _plan_row(x, b, thresholds)
        mids = 0.5 * (bounds[:-1] + bounds[1:])
        at = b + bounds[:, None] * (x - b)
        at[0], at[-1] = b, x  # the exact end points, not b + 1 * (x - b)
        zm = b + mids[:, None] * (x - b)
        # the piece on each side of boundary k: the end point itself, or a segment's middle
        q = add(np.concatenate([b[None, :], zm, x[None, :]]))
        left, right = q[:-1], q[1:]
        corners = []
        for k, F in groups.items():
            if F.size > MAX_SIMULTANEOUS:
                raise NotExact(
                    f"{F.size} features cross the line at the same point (at most "
                    f"{MAX_SIMULTANEOUS} are enumerated)"
                )
            before = b if k == 0 else zm[k - 1]
            after = x if k == len(bounds) - 1 else zm[k]
            member = ((np.arange(2 ** F.size)[:, None] >> np.arange(F.size)) & 1).astype(bool)
            pts = np.repeat(before[None, :], len(member), axis=0)
            pts[:, F] = np.where(member, after[F][None, :], before[F][None, :])
            corners.append((k, F, add(pts)))
        plans.append((bounds, count, first, at, left, right, corners))

    Z = np.concatenate(queries, axis=0)
    intercept, slope = pieces(Z)
    intercept = np.asarray(intercept, dtype=np.float64).reshape(-1)
    slope = np.asarray(slope, dtype=np.float64).reshape(len(Z), d)

    out = np.zeros((n, d))
    for i, (bounds, count, first, at, left, right, corners) in enumerate(plans):
        dx = X[i] - b
        # the smooth part: each segment's slope over its length (segments are left[1:])
        seg = left[1:]
        out[i] += (slope[seg] * np.diff(bounds)[:, None]).sum(axis=0) * dx
        # the jumps: both sides' pieces evaluated at the boundary itself
        v_left = intercept[left] + np.einsum("kd,kd->k", slope[left], at)
        v_right = intercept[right] + np.einsum("kd,kd->k", slope[right], at)
        jump = v_right - v_left
        stray = (count == 0) & (np.abs(jump) > 1e-9 * (1.0 + np.abs(v_left)))
        if stray.any():
            raise NotExact("the model changed where none of its listed thresholds lies")
        single = np.flatnonzero(count == 1)
        np.add.at(out[i], first[single], jump[single])
        for k, F, qc in corners:
            v = intercept[qc] + slope[qc] @ at[k]
            # the empty and the full corner are the two sides of the crossing
            v[0], v[-1] = v_left[k], v_right[k]
            out[i, F] += shapley_from_coalition_values(v, F.size)
    return out


# --------------------------------------------------------------------------------------------
# the quadrature for any other model
# --------------------------------------------------------------------------------------------
def staircase_ig(fn, X, baseline, n_steps, max_points=2**20):
    """Integrated gradients by a staircase walk on a grid of n_steps segments.

    In each segment the coordinates move one at a time from one grid point to the next, each
    change of f credited to the coordinate that moved; the forward and reverse coordinate
    orders are averaged. The values add up to f(x) - f(b) exactly, and converge to the
    Aumann-Shapley values as n_steps grows (also across jumps: a segment holding two
    crossings is the only one credited in the wrong order, and they thin out).
    """
    n, d = X.shape
    b = np.asarray(baseline, dtype=np.float64)
    grid = np.linspace(0.0, 1.0, n_steps + 1)
    out = np.zeros((n, d))
    chunk = max(1, max_points // (n_steps * (d + 1)))
    for lo in range(0, n, chunk):
        Xc = X[lo:lo + chunk]
        m = len(Xc)
        for order in (np.arange(d), np.arange(d)[::-1]):
            # stage s of a segment: its start with the first s coordinates of `order` moved
            # to the segment's end
            P0 = b + grid[:-1, None] * (Xc[:, None, :] - b)  # (m, S, d)
            P1 = b + grid[1:, None] * (Xc[:, None, :] - b)
            P1[:, -1] = Xc
            stages = np.repeat(P0[:, :, None, :], d + 1, axis=2)  # (m, S, d + 1, d)
            for s in range(1, d + 1):
                j = order[:s]
                stages[:, :, s, j] = P1[:, :, j]
            f = np.asarray(fn(stages.reshape(-1, d)), dtype=np.float64)
            delta = np.diff(f.reshape(m, n_steps, d + 1), axis=2).sum(axis=1)
            out[lo:lo + m, order] += 0.5 * delta
    return out


# --------------------------------------------------------------------------------------------
# the computations per kind of model
# --------------------------------------------------------------------------------------------
@INTEGRATED_GRADIENTS.exact("linear")
def _linear(view, X, background, baseline):
    W, b = linear_rows(view, view.target.output_index)
    return Value(W * (X - baseline), b + W @ baseline)


def _walk(view, X, baseline, make_pieces):
    n, d = X.shape

    def one(c, rows):
        v = ig_crossing_walk(make_pieces(c), view.thresholds, X[rows], baseline)
        return v, np.full(len(rows), view.fn(c)(baseline[None, :])[0])

    return Value(*per_column(view, n, d, one))


@INTEGRATED_GRADIENTS.exact("piecewise_constant")
def _piecewise_constant(view, X, background, baseline):
    d = X.shape[1]

    def make(c):
        fn = view.fn(c)
        return lambda Z: (fn(Z), np.zeros((len(Z), d)))

    return _walk(view, X, baseline, make)


@INTEGRATED_GRADIENTS.exact("piecewise_affine")
def _piecewise_affine(view, X, background, baseline):
    return _walk(view, X, baseline, lambda c: (lambda Z: view.pieces(Z, c)))


@INTEGRATED_GRADIENTS.exact("black_box")
def _quadrature(view, X, background, baseline):
    n, d = X.shape

    def one(c, rows):
        fn = view.fn(c)
        fine = staircase_ig(fn, X[rows], baseline, QUADRATURE_STEPS)
        coarse = staircase_ig(fn, X[rows], baseline, QUADRATURE_STEPS // 2)
        one.tol = max(one.tol, float(np.abs(fine - coarse).max(initial=0.0)))
        return fine, np.full(len(rows), fn(baseline[None, :])[0])

    one.tol = 0.0
    values, expected = per_column(view, n, d, one)
    return Value(values, expected, tolerance=one.tol, notes=[
        f"integrated_gradients by quadrature ({QUADRATURE_STEPS}-segment staircase walk; "
        f"tolerance {one.tol:.2g}, its largest change against {QUADRATURE_STEPS // 2} "
        "segments)"
    ])
