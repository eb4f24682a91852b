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

    # -- walking -------------------------------------------------------------------------
    def _walk_args(self):
        return (
            self.children_left,
            self.children_right,
            self.feature,
            self.threshold,
            self.missing_go_to_left,
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
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        return f"Tree(node_count={self.node_count}, n_leaves={self.n_leaves}, n_outputs={self.n_outputs})"


def _as_kernel_input(X):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D array, got shape {X.shape}.")
    return np.ascontiguousarray(X)
