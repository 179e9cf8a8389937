"""A set of key names that never stops the event loop to grow.

Owns nothing but the sharding: one Python set of a million keys rehashes all
of them each time it grows (~30 ms at 300k keys, 39 ms to build), and a walk
over every key (a snapshot, a full sync's merge) adds keys one by one while
clients wait between slices. 256 sets each rehash a 256th of that.
Must not know what the keys are for.
"""

from __future__ import annotations

from collections.abc import Iterator

_SHARDS = 256  # a power of two
_RELEASE_NAMES = 4096


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

    def release(self) -> Iterator[None]:
        """Empty the set a shard at a time, pausing (yielding) after every few
        thousand names: a million dropped at once stop the caller ~20 ms."""
        freed = 0
        for shard in self._shards:
            freed += len(shard)
            shard.clear()
            if freed >= _RELEASE_NAMES:
                freed = 0
                yield
