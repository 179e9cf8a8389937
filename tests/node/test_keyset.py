"""KeySet: a sharded set of key names; add says whether the key was new."""

from __future__ import annotations

from node.keyset import KeySet


def test_add_reports_new_keys_once_and_membership_follows() -> None:
    keys = [b"k%d" % i for i in range(5000)] + [b"", b"\x00\xff"]
    found = KeySet()
    assert all(found.add(key) for key in keys)
    assert not any(found.add(key) for key in keys)
    assert all(key in found for key in keys)
    assert b"missing" not in found


def test_release_empties_the_set_pausing_between_shards() -> None:
    found = KeySet()
    keys = [b"k%d" % i for i in range(20_000)]
    for key in keys:
        found.add(key)
    pauses = sum(1 for _ in found.release())
    assert 3 <= pauses <= 5  # after every 4096 names or so, not per shard, not never
    assert not any(key in found for key in keys)
