"""The branch-and-bound priority queue: a binary min-heap in two flat arrays.

``key[i]`` is the priority (smaller comes out first), ``item[i]`` the trie node. The heap has
no resizing: the search preallocates it to its node budget (every node is pushed at most once).
"""

from numba import njit

from .._jit import internal


@internal
@njit(cache=True, nogil=True, inline="always")
def heap_push(key, item, size, k, v):
    """Insert (k, v) into a heap holding ``size`` entries; returns the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        # ties: the older entry (smaller node id) first, so the search is deterministic
        if key[parent] < k or (key[parent] == k and item[parent] <= v):
            break
        key[i] = key[parent]
        item[i] = item[parent]
        i = parent
    key[i] = k
    item[i] = v
    return size + 1


@internal
@njit(cache=True, nogil=True, inline="always")
def heap_pop(key, item, size):
    """Remove the smallest entry; returns (its item, the new size). ``size`` must be > 0."""
    top = item[0]
    size -= 1
    if size == 0:
        return top, 0
    k = key[size]
    v = item[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        right = left + 1
        if right < size and (
            key[right] < key[left] or (key[right] == key[left] and item[right] < item[left])
        ):
            child = right
        if k < key[child] or (k == key[child] and v <= item[child]):
            break
        key[i] = key[child]
        item[i] = item[child]
        i = child
    key[i] = k
    item[i] = v
    return top, size
