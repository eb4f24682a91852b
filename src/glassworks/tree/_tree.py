"""``Tree``: a fitted tree as flat arrays, with scikit-learn's field names.

Every part of glassworks that reads a tree (prediction, TreeSHAP, export, the forest, MAPLE's
neighbourhoods, the rule list's equivalent tree, the auditor's ground truth) reads this one
structure. A scikit-learn ``tree_`` converts to it with :meth:`Tree.from_sklearn`.

Layout (``n_nodes`` nodes, node 0 is the root):

- ``children_left``, ``children_right`` : int64, ``-1`` at a leaf.
- ``feature`` : int64, the feature tested, ``-2`` at a leaf.
- ``threshold`` : float64, in the feature's own units; a sample goes left when
  ``x[feature] <= threshold``. ``-2.0`` at a leaf.
- ``missing_go_to_left`` : uint8, the side a missing value (NaN) takes at that split.
- ``value`` : float64 of shape (n_nodes, 1, n_outputs): class probabilities for a classifier,
  the mean target for a regressor (``n_outputs == 1``), as scikit-learn >= 1.4 stores them.
- ``n_node_samples`` : int64, training rows that reached the node.
- ``weighted_n_node_samples`` : float64, their total sample weight (the TreeSHAP "cover").
- ``impurity`` : float64.
- ``cat_split`` : int64 or None. A split on a categorical feature (whose values are integer
  category codes) sends a subset of the codes left: ``cat_split[node]`` is then the row of
  ``cat_bitset`` holding it (-1 at every other node) and ``threshold[node]`` is NaN. None when
  the tree has no categorical split.
- ``cat_bitset`` : uint64 of shape (n_categorical_splits, n_words), or None. Bit ``c % 64`` of
  word ``c // 64`` of a row is set when code ``c`` goes left. NaN, and a code the row does not
  cover (negative, not an integer, past its width), go to the ``missing_go_to_left`` side;
  so do the codes the node never saw in training (their bits say so).
"""

import numpy as np
import scipy.sparse as sp

from .predictor import apply_kernel, path_lengths_kernel, path_nodes_kernel

TREE_LEAF = -1
TREE_UNDEFINED = -2

_INT_FIELDS = ("children_left", "children_right", "feature", "n_node_samples")
_FLOAT_FIELDS = ("threshold", "weighted_n_node_samples", "impurity")


class Tree:
    """A fitted binary tree stored as flat arrays (see the module docstring for the layout).

    Parameters
    ----------
    children_left, children_right, feature, threshold, missing_go_to_left, value,
    n_node_samples, weighted_n_node_samples, impurity : ndarray
        The node arrays.
    n_features : int
        Number of input features the tree was grown on.
    cat_split, cat_bitset : ndarray or None, optional
        The categorical splits (see the module docstring); None when there are none.
    """

    def __init__(
        self,
        children_left,
        children_right,
        feature,
        threshold,
        missing_go_to_left,
        value,
        n_node_samples,
        weighted_n_node_samples,
        impurity,
        n_features,
        cat_split=None,
        cat_bitset=None,
    ):
        self.children_left = np.ascontiguousarray(children_left, dtype=np.int64)
        self.children_right = np.ascontiguousarray(children_right, dtype=np.int64)
        self.feature = np.ascontiguousarray(feature, dtype=np.int64)
        self.threshold = np.ascontiguousarray(threshold, dtype=np.float64)
        self.missing_go_to_left = np.ascontiguousarray(missing_go_to_left, dtype=np.uint8)
        value = np.asarray(value, dtype=np.float64)
        if value.ndim == 2:
            value = value[:, None, :]
        self.value = np.ascontiguousarray(value)
        self.n_node_samples = np.ascontiguousarray(n_node_samples, dtype=np.int64)
        self.weighted_n_node_samples = np.ascontiguousarray(
            weighted_n_node_samples, dtype=np.float64
        )
        self.impurity = np.ascontiguousarray(impurity, dtype=np.float64)
        self.n_features = int(n_features)
        n = self.children_left.shape[0]
        for name in _INT_FIELDS + _FLOAT_FIELDS + ("missing_go_to_left",):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"Tree field {name} must have shape ({n},).")
        if self.value.shape[0] != n:
            raise ValueError(f"Tree field value must have {n} rows.")
        if (cat_split is None) != (cat_bitset is None):
            raise ValueError("Give both cat_split and cat_bitset, or neither.")
        if cat_split is not None:
            cat_split = np.ascontiguousarray(cat_split, dtype=np.int64)
            cat_bitset = np.ascontiguousarray(cat_bitset, dtype=np.uint64)
            if cat_split.shape != (n,):
                raise ValueError(f"Tree field cat_split must have shape ({n},).")
            if cat_bitset.ndim != 2 or cat_bitset.shape[1] < 1:
                raise ValueError("Tree field cat_bitset must be 2-D with at least one word.")
            used = cat_split[cat_split >= 0]
            if used.size and used.max() >= cat_bitset.shape[0]:
                raise ValueError("cat_split points past the rows of cat_bitset.")
            if np.any((cat_split >= 0) & (self.children_left == TREE_LEAF)):
                raise ValueError("A leaf cannot have a categorical split.")
            if not used.size:
                cat_split = cat_bitset = None
        self.cat_split = cat_split
        self.cat_bitset = cat_bitset

    # -- sizes ---------------------------------------------------------------------------
    @property
    def node_count(self):
        return self.children_left.shape[0]

    @property
    def n_outputs(self):
        """Width of a node's value: number of classes, or 1 for a regressor."""
        return self.value.shape[2]

    @property
    def n_leaves(self):
        return int(np.count_nonzero(self.children_left == TREE_LEAF))

    @property
    def max_depth(self):
        return int(self.compute_node_depths().max())

    def compute_node_depths(self):
        """Depth of every node (the root has depth 0)."""
        depth = np.zeros(self.node_count, dtype=np.int64)
        # parents always precede their children in our layouts and in scikit-learn's
        for node in range(self.node_count):
            left = self.children_left[node]
            if left != TREE_LEAF:
                depth[left] = depth[node] + 1
                depth[self.children_right[node]] = depth[node] + 1
        return depth

    @property
    def value2d(self):
        """``value`` as (n_nodes, n_outputs): what the kernels take."""
        return self.value[:, 0, :]

    @property
    def has_categorical(self):
        """Whether some split of the tree is categorical."""
        return self.cat_split is not None

    def threshold_equivalent(self, n_categories):
        """This tree with each categorical split as threshold splits on the codes
        (:func:`~glassworks.tree.categorical_expansion.expand_categorical`), built once and
        kept: the expansion copies subtrees (a depth-8 tree on a 30-category feature grew
        from about 500 nodes to 30,000 in 60 ms), and every explanation reads it. The price
        is memory: for 100 such trees, 187 MB kept beside the trees' own 3.7 MB (against
        6.2 s of expansion on every ``explain`` call without it). Not pickled (rebuilt on
        demand)."""
        key = np.asarray(n_categories, dtype=np.int64).tobytes()
        cached = self.__dict__.get("_threshold_equivalent")
        if cached is None or cached[0] != key:
            from .categorical_expansion import expand_categorical

            cached = (key, expand_categorical(self, n_categories))
            self._threshold_equivalent = cached
        return cached[1]

    def is_categorical_split(self):
        """Bool per node: the node's split is categorical."""
        if self.cat_split is None:
            return np.zeros(self.node_count, dtype=bool)
        return self.cat_split >= 0

    def categories_left(self, node, n_categories=None):
        """The codes a categorical split at ``node`` sends left (ascending int64), among
        ``0 .. n_categories - 1`` (default: every code its bitset covers)."""
        k = -1 if self.cat_split is None else int(self.cat_split[node])
        if k < 0:
            raise ValueError(f"Node {node} has no categorical split.")
        bits = np.unpackbits(self.cat_bitset[k].astype("<u8").view(np.uint8),
                             bitorder="little").astype(bool)
        if n_categories is not None:
            bits = bits[: int(n_categories)]
        return np.flatnonzero(bits)

    # -- walking -------------------------------------------------------------------------
    def _walk_args(self):
        return (
            self.children_left,
            self.children_right,
            self.feature,
            self.threshold,
            self.missing_go_to_left,
            self.cat_split,
            self.cat_bitset,
        )

    def apply(self, X):
        """Leaf index of each row of X (float64, C-contiguous, validated by the caller)."""
        return apply_kernel(*self._walk_args(), _as_kernel_input(X))

    def predict(self, X):
        """Leaf values of each row, shape (n_samples, n_outputs)."""
        return self.value2d[self.apply(X)]

    def decision_path(self, X):
        """CSR indicator matrix (n_samples, n_nodes) of the nodes each row passes through."""
        X = _as_kernel_input(X)
        lengths = path_lengths_kernel(*self._walk_args(), X)
        indptr = np.zeros(X.shape[0] + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = path_nodes_kernel(*self._walk_args(), X, indptr)
        data = np.ones(indices.shape[0], dtype=np.int64)
        return sp.csr_matrix((data, indices, indptr), shape=(X.shape[0], self.node_count))

    # -- conversions ---------------------------------------------------------------------
    @classmethod
    def from_sklearn(cls, sk_tree, n_features=None):
        """Wrap a scikit-learn ``tree_`` (its arrays are copied, never shared)."""
        n = sk_tree.node_count
        missing = getattr(sk_tree, "missing_go_to_left", None)
        if missing is None:
            missing = np.zeros(n, dtype=np.uint8)
        value = np.array(sk_tree.value[:, 0, :], dtype=np.float64)
        # scikit-learn < 1.4 stored weighted class counts in classifier nodes; normalise so
        # a classifier's node value is always a probability vector.
        if value.shape[1] > 1:
            totals = value.sum(axis=1, keepdims=True)
            value = np.divide(value, totals, out=np.zeros_like(value), where=totals > 0)
        return cls(
            children_left=np.array(sk_tree.children_left[:n]),
            children_right=np.array(sk_tree.children_right[:n]),
            feature=np.array(sk_tree.feature[:n]),
            threshold=np.array(sk_tree.threshold[:n]),
            missing_go_to_left=np.array(missing[:n]),
            value=value,
            n_node_samples=np.array(sk_tree.n_node_samples[:n]),
            weighted_n_node_samples=np.array(sk_tree.weighted_n_node_samples[:n]),
            impurity=np.array(sk_tree.impurity[:n]),
            n_features=sk_tree.n_features if n_features is None else n_features,
        )

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_threshold_equivalent", None)  # derived: rebuilt on demand
        return state

    def __setstate__(self, state):
        state.setdefault("cat_split", None)
        state.setdefault("cat_bitset", None)
        self.__dict__.update(state)

    def __repr__(self):
        return f"Tree(node_count={self.node_count}, n_leaves={self.n_leaves}, n_outputs={self.n_outputs})"


def _as_kernel_input(X):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D array, got shape {X.shape}.")
    return np.ascontiguousarray(X)
