"""A set of key names that never stops the event loop to grow.

Owns nothing but the sharding: one Python set of a million keys rehashes all
of them each time it grows (~30 ms at 300k keys, 39 ms to build), and a walk
over every key (a snapshot, a full sync's merge) adds keys one by one while
clients wait between slices. 256 sets each rehash a 256th of that.
Must not know what the keys are for.
"""

from __future__ import annotations

_SHARDS = 256  # a power of two


class KeySet:
    __slots__ = ("_shards",)

    def __init__(self) -> None:
        self._shards: list[set[bytes]] = [set() for _ in range(_SHARDS)]

    def add(self, key: bytes) -> bool:
        """Add `key`; False when it was there already."""
        shard = self._shards[hash(key) & (_SHARDS - 1)]
        if key in shard:
            return False
        shard.add(key)
        return True

    def __contains__(self, key: bytes) -> bool:
        return key in self._shards[hash(key) & (_SHARDS - 1)]
