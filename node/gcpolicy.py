"""The cycle collector's policy in a server process.

Owns when CPython's cycle collector walks long-lived objects. A keyspace is
millions of long-lived objects without reference cycles, and a full
(generation 2) collection walks every one of them: 59 ms over 300k keys in one
process, pauses of 55-116 ms in regions under bench/replication.py, growing with
the keyspace and showing up as p99 latency of every client. After each full
collection the survivors are frozen (`gc.freeze`), so the next full collection
walks only what was promoted since: pauses follow the write rate, not the size
of the keyspace. The price: a cycle among frozen objects that becomes garbage
later (a connection open at a freeze and closed after it) stays allocated.
Full collections come when long-lived objects grow by a quarter, so such
freezes are few and what they keep is small next to the keyspace.
Must not know the keyspace, the server or the event loop.
"""

from __future__ import annotations

import gc


class FreezeSurvivors:
    def __init__(self) -> None:
        self._full = gc.get_stats()[2]["collections"]

    def tick(self) -> bool:
        """Freeze what survived a full collection that ran since the last tick."""
        full = gc.get_stats()[2]["collections"]
        if full == self._full:
            return False
        # Young garbage made since that collection is collected first, so that
        # the freeze keeps only what is alive.
        gc.collect(1)
        gc.freeze()
        self._full = gc.get_stats()[2]["collections"]
        return True
