"""Conversions between binlog records, node records and the protocol's messages.

Owns the mapping of a record's fields onto `Record` messages (origin, seq,
HLC, deps, and the node's effect payload unchanged) and of version vectors
onto `VersionVector`. Must not know streams or connections.
"""

from __future__ import annotations

from collections.abc import Mapping

from binlog import Entry
from node.codec import decode_ops
from node.effects import Record
from replicator.proto import replication_pb2 as pb


def record_message(entry: Entry) -> pb.Record:
    r = entry.record
    return pb.Record(origin=r.origin, seq=r.seq, hlc=r.hlc, deps=r.deps, payload=r.payload)


def to_record(message: pb.Record) -> Record:
    """Raises node.codec.PayloadError when the payload does not decode."""
    return Record(
        message.origin,
        message.seq,
        message.hlc,
        decode_ops(message.payload),
        tuple(message.deps.items()),
        message.payload,  # logged as received: not encoded again
    )


def vv_message(vv: Mapping[str, int]) -> pb.VersionVector:
    return pb.VersionVector(seqs=vv)


def vv_dict(message: pb.VersionVector) -> dict[str, int]:
    return dict(message.seqs)


def render_vv(vv: Mapping[str, int]) -> str:
    """For a value inside an INFO field of key=value pairs: 'eu:12/us:7'."""
    return "/".join(f"{origin}:{vv[origin]}" for origin in sorted(vv)) or "-"
