"""A subscriber's receiving path of one batch: frames checked, duplicates dropped,
records handed to the causal applier. Compiled (replicator/native.py): a
catch-up runs it for every record of a region's absence.

Owns `LinkStats` (what a link counts) and `receive`. Must not know streams or
connections: the subscriber feeds it each batch's frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from replicator.applier import Applier
from replicator.wire import records, to_record

# Records applied between two turns of the loop: a batch of a catch-up holds ~10k
# (~100 ms of applying), which clients of this region must not wait behind.
RECEIVE_SLICE = 1000


@dataclass(slots=True)
class LinkStats:
    state: str = "connecting"
    peer_vv: dict[str, int] = field(default_factory=dict)
    last_hlc: int = 0
    received: int = 0
    duplicates: int = 0
    partial_syncs: int = 0
    full_syncs: int = 0
    connects: int = 0
    last_error: str = ""
    last_message_at: float = 0.0


def receive(frames: bytes, applier: Applier, stats: LinkStats) -> Iterator[None]:
    """Hand a batch's records to the applier, duplicates dropped before their payload
    is decoded; pauses (yields) after every RECEIVE_SLICE records. BadFrames or
    PayloadError: the link goes down, retried later."""
    for n, (fields, frame) in enumerate(records(frames), 1):
        if n % RECEIVE_SLICE == 0:
            yield
        stats.received += 1
        if applier.is_duplicate(fields[0], fields[1]):
            stats.duplicates += 1
            continue
        applier.offer(to_record(fields, frame), len(frame))
        stats.last_hlc = fields[2]
