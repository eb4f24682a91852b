"""The prefix permutation map (CORELS's symmetry-aware map), as an open-addressing hash table.

Two prefixes made of the same antecedents in a different order capture the same samples, so
their extensions see the same data; only the prefix with the smaller objective lower bound
needs exploring (Angelino et al. 2018, Theorem 17, "permutation bound"). The key of a prefix is
its antecedent *set*; it is hashed order-free (XOR of one random 64-bit word per antecedent,
Zobrist hashing) and compared exactly by walking the stored node's ancestors in the prefix trie,
so a hash collision can never prune a prefix wrongly.

The table holds trie node ids (``-1`` = empty slot) and their hashes (to rehash on growth).
"""

import numpy as np
from numba import njit

from .._jit import internal


@internal
@njit(cache=True, nogil=True)
def same_set(node, depth, in_set, node_parent, node_ante, node_depth):
    """Whether the prefix ending at trie ``node`` is exactly the set flagged in ``in_set``
    (which has ``depth`` members)."""
    if node_depth[node] != depth:
        return False
    q = node
    while q > 0:
        if not in_set[node_ante[q]]:
            return False
        q = node_parent[q]
    return True


@internal
@njit(cache=True, nogil=True)
def find_slot(ht_node, ht_hash, h, depth, in_set, node_parent, node_ante, node_depth):
    """Slot holding the prefix set (hash ``h``), or the empty slot where it would go."""
    mask = ht_node.shape[0] - 1
    slot = np.int64(h & np.uint64(mask))
    while ht_node[slot] != -1:
        if ht_hash[slot] == h and same_set(
            ht_node[slot], depth, in_set, node_parent, node_ante, node_depth
        ):
            return slot
        slot = (slot + 1) & mask
    return slot


@internal
@njit(cache=True, nogil=True)
def grow(ht_node, ht_hash):
    """Twice as many slots, every entry rehashed."""
    size = ht_node.shape[0] * 2
    new_node = np.full(size, -1, dtype=np.int64)
    new_hash = np.zeros(size, dtype=np.uint64)
    mask = size - 1
    for s in range(ht_node.shape[0]):
        if ht_node[s] != -1:
            h = ht_hash[s]
            slot = np.int64(h & np.uint64(mask))
            while new_node[slot] != -1:
                slot = (slot + 1) & mask
            new_node[slot] = ht_node[s]
            new_hash[slot] = h
    return new_node, new_hash
