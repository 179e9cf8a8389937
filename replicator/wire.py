"""Conversions between binlog frames, node records and the protocol's messages.

Owns what goes into a `Batch` (the binlog frames a subscriber lacks, cut out
of what the log holds without decoding them), how a subscriber turns a
batch's frames back into node records (checksums verified, each payload
decoded once and kept for its own log), and the mapping of version vectors
onto `VersionVector`. Must not know streams or connections.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from binlog.format import HEADER_SIZE, BadFrame, Fields, check_frame, decode_fields
from binlog.reader import Frames
from node.codec import decode_ops
from node.effects import Record
from replicator.proto import replication_pb2 as pb


class BadFrames(ValueError):
    """A batch's frames do not check or decode (the link goes down and is retried)."""


@dataclass(slots=True)
class Selection:
    """What of a read goes to one subscriber: the frames joined, how many."""

    frames: bytes
    records: int
    skipped: int  # not sent: their origin reaches the subscriber directly


def wanted_to(origin: str, seq: int, direct: frozenset[str], own: tuple[str, int]) -> int:
    """The highest of `origin`'s records up to `seq` this link carries: none (0) of
    an origin the subscriber gets directly, and of its own records (`own`: its
    region and the highest seq of its own it may lack, a tail it lost) only those
    it may lack: it wrote every later one itself."""
    if origin in direct:
        return 0
    region, lacks_to = own
    return min(seq, lacks_to) if origin == region else seq


def select(
    frames: Frames,
    acked: Mapping[str, int],
    direct: frozenset[str],
    skipped_to: dict[str, int],
    own: tuple[str, int] = ("", 0),
) -> Selection:
    """The frames of records the subscriber has not applied (as far as it said)
    and does not get from their origin directly, as runs of the log's bytes.
    `skipped_to` (per direct origin, the highest seq counted as skipped) keeps a
    record from being counted twice. `own`: see `wanted_to`."""
    data = frames.data
    runs: list[bytes] = []
    records = skipped = 0
    start = end = 0  # the run of wanted frames being extended: data[start:end]
    for (origin, seq), after in zip(frames.keys, frames.ends, strict=True):
        if seq > acked.get(origin, 0) and wanted_to(origin, seq, direct, own) == seq:
            records += 1
        else:
            if origin in direct and seq > acked.get(origin, 0) and seq > skipped_to.get(origin, 0):
                skipped += 1
                skipped_to[origin] = seq
            if end > start:
                runs.append(data[start:end])
            start = after
        end = after
    if start == 0:
        return Selection(data, records, skipped)  # the common case: all of it, no copy
    if end > start:
        runs.append(data[start:end])
    return Selection(b"".join(runs), records, skipped)


def records(frames: bytes) -> Iterator[tuple[Fields, bytes]]:
    """(origin, seq, hlc, deps, payload) of each frame, with the frame; BadFrames
    at the first frame that does not check."""
    pos = 0
    while pos < len(frames):
        end = check_frame(frames, pos)
        if isinstance(end, BadFrame):
            raise BadFrames(f"frame at byte {pos} of a batch: {end.reason}")
        try:
            yield decode_fields(frames, pos + HEADER_SIZE, end), frames[pos:end]
        except ValueError as exc:
            raise BadFrames(f"frame at byte {pos} of a batch: {exc}") from None
        pos = end


def to_record(fields: Fields, frame: bytes) -> Record:
    """Raises node.codec.PayloadError when the payload does not decode."""
    origin, seq, hlc, deps, payload = fields
    # The frame is kept: the node logs it as received, not encoded again.
    return Record(origin, seq, hlc, decode_ops(payload), deps, frame)


def vv_message(vv: Mapping[str, int]) -> pb.VersionVector:
    return pb.VersionVector(seqs=vv)


def vv_dict(message: pb.VersionVector) -> dict[str, int]:
    return dict(message.seqs)


def render_vv(vv: Mapping[str, int]) -> str:
    """For a value inside an INFO field of key=value pairs: 'eu:12/us:7'."""
    return "/".join(f"{origin}:{vv[origin]}" for origin in sorted(vv)) or "-"
