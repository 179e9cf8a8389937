"""Mixed operations on a small shared key range, one key family per type.

Owns the choice of the next command of a client: SET/DEL/EXPIRE on strings,
INCRBY (and DEL) on counters, SADD/SREM, HSET/HDEL, ZADD/ZINCRBY, LPUSH/LPOP,
and the session probes the checker's rule (c) reads (a key only this client
writes; counters that only grow). Every written element and value is unique,
so the checker can tell which write a read shows. `shared=False` keeps every
remove on things this client wrote itself (the real-process campaign cannot
see causality, so it checks only what needs none). Knows no transport.
"""

from __future__ import annotations

import random
from collections.abc import Callable

KEYS = 3
Argv = list[bytes]

# The longest TTL the workload sets (shared keys only: the real-process
# campaign, `shared=False`, sets none).
MAX_TTL_S = 3


def b(*parts: object) -> Argv:
    return [str(p).encode() for p in parts]


class Workload:
    def __init__(self, client: str, rng: random.Random, *, shared: bool = True) -> None:
        self.client = client
        self.rng = rng
        self.shared = shared
        self.n = 0
        # Elements this client added (for removes that name something real).
        self.mine: dict[bytes, list[bytes]] = {}
        self._choices: list[tuple[float, Callable[[], Argv]]] = [
            (3, self._string),
            (3, self._counter),
            (3, self._set),
            (2, self._hash),
            (2, self._zset),
            (2, self._list),
            (2, self._session),
        ]

    def _key(self, family: str) -> str:
        if self.shared:
            return f"{family}{self.rng.randrange(KEYS)}"
        return f"{family}:{self.client}:{self.rng.randrange(KEYS)}"

    def _unique(self) -> str:
        self.n += 1
        return f"{self.client}.{self.n}"

    def _remember(self, key: str, element: str) -> None:
        self.mine.setdefault(key.encode(), []).append(element.encode())

    def _removable(self, key: str) -> bytes | None:
        pool = self.mine.get(key.encode())
        return self.rng.choice(pool) if pool else None

    def next(self) -> Argv:
        weights = [w for w, _ in self._choices]
        return self.rng.choices([f for _, f in self._choices], weights)[0]()

    def _string(self) -> Argv:
        key, r = self._key("s"), self.rng.random()
        if r < 0.7:
            return b("SET", key, self._unique())
        if r < 0.85 or not self.shared:
            return b("DEL", key) if self.shared else b("GET", key)
        return b("EXPIRE", key, self.rng.randint(1, MAX_TTL_S))

    def _counter(self) -> Argv:
        key = self._key("c")
        if self.shared and self.rng.random() < 0.05:
            return b("DEL", key)
        return b("INCRBY", key, self.rng.randint(-5, 9))

    def _set(self) -> Argv:
        key = self._key("S")
        member = self._removable(key)
        if member is not None and self.rng.random() < 0.3:
            return [b"SREM", key.encode(), member]
        if self.shared and self.rng.random() < 0.04:
            return b("DEL", key)
        element = self._unique()
        self._remember(key, element)
        return b("SADD", key, element)

    def _hash(self) -> Argv:
        key = self._key("H")
        field = f"f{self.rng.randrange(4)}"
        if self.rng.random() < 0.25:
            return b("HDEL", key, field)
        return b("HSET", key, field, self._unique())

    def _zset(self) -> Argv:
        key = self._key("Z")
        member = self._removable(key)
        if member is not None and self.rng.random() < 0.4:
            return [b"ZINCRBY", key.encode(), str(self.rng.randint(1, 5)).encode(), member]
        if self.shared and self.rng.random() < 0.04:
            return b("DEL", key)
        element = self._unique()
        self._remember(key, element)
        return b("ZADD", key, self.rng.randint(0, 100), element)

    def _list(self) -> Argv:
        key = self._key("L")
        if self.rng.random() < 0.3:
            return b("LPOP", key)
        if self.shared and self.rng.random() < 0.04:
            return b("DEL", key)
        return b("LPUSH", key, self._unique())

    def _session(self) -> Argv:
        """Rule (c): read-your-writes on a key only this client writes, monotonic reads
        on counters that only grow."""
        r = self.rng.random()
        own = f"rw:{self.client}"
        if r < 0.3:
            return b("SET", own, self._unique())
        if r < 0.55:
            return b("GET", own)
        key = f"m{self.rng.randrange(KEYS)}"
        if r < 0.75:
            return b("INCRBY", key, self.rng.randint(1, 5))
        return b("GET", key)
