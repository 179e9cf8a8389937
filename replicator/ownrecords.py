"""Getting this region's own records back from its peers before it writes again.

Owns the wait that starts when the node's log may lack records of its own
that peers hold (node/runmark.py; `Node.own_records_missing`): each peer's
Welcome says up to which seq it holds this region's records, and writes stay
refused (LOADING) until every peer has said so and those records are applied
(a seq written again would carry other contents, and every region holding the
old record would drop the new one as a duplicate). Peers away for good must
not keep a surviving region from writing: after `own-records-timeout` seconds
(CONFIG SET takes effect at once; 0: no wait) it writes anyway, saying in the
log which peers it did not hear from, and notes the resumption (node/runmark.py).
A peer heard later that holds this region's records of seqs written again
since a resumption, with stamps from before it, is a conflict: the two will
never agree on those seqs. It is reported loudly (log, INFO crdt
`own_records_conflicts`), not repaired. Must not know gRPC: subscribers
report what peers said.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from binlog.fs import FileSystem
from node.core import Node
from node.runmark import note_resumed, resumptions

log = logging.getLogger("geokv.replicator")


class OwnRecords:
    def __init__(self, node: Node, peers: Iterable[str], fs: FileSystem | None = None) -> None:
        self.node = node
        self.fs = fs
        self.waiting = set(peers)
        # The highest seq of this region's records a peer said it holds.
        self.held = 0
        self.resumed = resumptions(fs) if fs is not None else []
        # Per peer, the highest seq it holds of this region's records written again.
        self.conflicts: dict[str, int] = {}
        self._started = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Arm the timeout (from the node's config) and open at once if nothing is awaited."""
        self.node.config.on_change(self._config_changed)
        self._arm()
        self.check()

    def heard(self, peer: str, held: int, holds: int = 0, stamp: int = 0) -> None:
        """`peer` welcomed this region's subscription, holding its records up to `held`
        (its own up to seq `holds`, the newest stamped up to `stamp`)."""
        self.waiting.discard(peer)
        self.held = max(self.held, held)
        self._check_conflict(peer, holds, stamp)
        self.check()

    def _check_conflict(self, peer: str, holds: int, stamp: int) -> None:
        # Stamps of one region only grow: a record at a seq past a resumption that
        # is stamped before it was written before it, and lost here.
        for first, resumed_at in self.resumed:
            if holds >= first and stamp < resumed_at:
                if peer not in self.conflicts:
                    log.error(
                        "own records: %s holds this region's records up to seq %d written "
                        "before it resumed writing at seq %d: those seqs now carry other "
                        "contents here, and the two regions will not converge on them",
                        peer,
                        holds,
                        first,
                    )
                self.conflicts[peer] = holds
                return
        self.conflicts.pop(peer, None)

    def check(self) -> None:
        """Open writes once every peer was heard and its records of ours are applied."""
        node = self.node
        if node.own_records_missing and not self.waiting and node.seq >= self.held:
            self._open()
            log.info("own records: every peer heard, up to seq %d: writes open", node.seq)

    def waiting_for(self) -> list[str]:
        """The peers not heard yet while writes are held; none once they are open."""
        return sorted(self.waiting) if self.node.own_records_missing else []

    def status(self) -> list[tuple[str, object]]:
        """INFO crdt's fields about the wait."""
        conflicts = " ".join(f"{peer}:{seq}" for peer, seq in sorted(self.conflicts.items()))
        return [
            ("own_records_missing", int(self.node.own_records_missing)),
            ("own_records_waiting_for", " ".join(self.waiting_for())),
            ("own_records_conflicts", conflicts),
        ]

    def _open(self) -> None:
        self.node.own_records_missing = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _give_up(self) -> None:
        self._timer = None
        node = self.node
        if not node.own_records_missing:
            return
        log.warning(
            "own records: writes open after %s s without hearing from %s (held up to seq %d, "
            "have %d): a peer holding records of this region it lost will diverge from it",
            node.config["own-records-timeout"],
            ", ".join(sorted(self.waiting)) or "no peer",
            self.held,
            node.seq,
        )
        resumed = (node.seq + 1, node.hlc.now())
        if self.fs is not None:
            note_resumed(self.fs, *resumed)
        self.resumed.append(resumed)
        self._open()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.node.own_records_missing:
            return
        left = self._started + self.node.config["own-records-timeout"] - time.monotonic()
        self._timer = asyncio.get_running_loop().call_later(max(0.0, left), self._give_up)

    def _config_changed(self, name: str, value: object) -> None:
        if name == "own-records-timeout":
            self._arm()
