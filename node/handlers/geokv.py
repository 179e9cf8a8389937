"""geokv's own commands (no Redis counterpart): GEOKV DIGEST.

Owns the digest of the keyspace's merged visible state: every visible key,
its type, its visible value and its expiry time, hashed in key order, so two
regions that applied the same records answer the same digest whatever order
they applied them in, and whenever each collected its tombstones (CRDT
metadata is never part of it). Must not know how records travel between
regions.
"""

from __future__ import annotations

import hashlib
from typing import Any

from node.client import Client
from node.core import Node
from node.crdt.hashes import HashValue
from node.crdt.lists import ListValue
from node.crdt.sets import SetValue
from node.crdt.strings import StrValue
from node.crdt.zsets import ZsetValue
from node.keyspace import Keyspace, Value
from node.registry import command


def visible_bytes(value: Value) -> bytes:
    """A canonical rendering of what a client sees of `value`.

    Only what reads show: removed list elements, for one, stay as anchors until
    tombstone collection drops them, at a different moment in each region.
    """
    if type(value) is StrValue:
        return value.get() or b""
    # Collections: their visible contents in a canonical order (their dicts keep
    # insertion order, which differs between regions that applied the same records).
    if type(value) is SetValue:
        return _parts(sorted(value.members))
    if type(value) is HashValue:
        fields = sorted((name, field.get() or b"") for name, field in value.fields.items())
        return _parts([part for pair in fields for part in pair])
    if type(value) is ZsetValue:
        return _parts(
            [part for score, name in value.items() for part in (name, repr(score).encode())]
        )
    if type(value) is ListValue:
        return _parts([data for _, data in value.items()])
    raise TypeError(f"GEOKV DIGEST cannot render a {type(value).__name__}")


def _parts(parts: list[bytes]) -> bytes:
    return b"".join(len(part).to_bytes(8, "little") + part for part in parts)


def keyspace_digest(ks: Keyspace, now_ms: int) -> str:
    """Hex SHA-256 of the visible keys (logically expired ones excluded)."""
    h = hashlib.sha256()
    for key in sorted(ks.data):
        if ks.is_expired(key, now_ms):
            continue
        value = ks.data[key]
        rendered = visible_bytes(value)
        expire_at = ks.expires.get(key, -1)
        for part in (key, value.TYPE, rendered, str(expire_at).encode()):
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
    return h.hexdigest()


@command("geokv|digest")
def geokv_digest(node: Node, client: Client, argv: list[bytes]) -> Any:
    return keyspace_digest(node.keyspace, node.now_ms).encode()
