"""Redis Enterprise Active-Active's documented timelines for strings, counters, deletes and expiry.

Each test replays one example table of the Active-Active docs (develop/_index,
data-types/strings, develop-for-aa "Expiration") with two or three regions:
a "— Sync —" row delivers each region's records to the others. The asserted
outcome is the documented one. The docs give no table for "DEL vs a
concurrent write" on a whole key; the sets page's observed-remove table is
its closest example, replayed here on a string key.
"""

from __future__ import annotations

from tests.node.crdt_harness import Region, sync_all
from tests.node.test_expiry_crdt import regions


def test_lww_timeline_later_write_wins() -> None:
    """develop/_index and data-types/strings: SET a (t1) || SET b (t2) -> b; then c, d."""
    r1, r2 = regions("r1", "r2")
    clock = r1.clock
    r1("SET", "text", "a")  # t1
    clock.now_ms += 1
    r2("SET", "text", "b")  # t2
    sync_all(r1, r2)  # t3
    assert r1("GET", "text") == r2("GET", "text") == b"b"
    clock.now_ms += 1
    r1("SET", "text", "c")  # t4
    sync_all(r1, r2)  # t5
    assert r2("GET", "text") == b"c"
    clock.now_ms += 1
    r2("SET", "text", "d")  # t6
    sync_all(r1, r2)
    assert r1("GET", "text") == r2("GET", "text") == b"d"


def test_lww_is_decided_by_causality_before_wall_clock() -> None:
    """A write made after seeing another wins even if its region's clock is behind."""
    r1 = Region("r1")
    r2 = Region("r2")
    r2.clock.now_ms = r1.clock.now_ms - 60_000  # r2's wall clock is a minute late
    r1("SET", "text", "a")
    sync_all(r1, r2)
    r2("SET", "text", "b")
    sync_all(r1, r2)
    assert r1("GET", "text") == r2("GET", "text") == b"b"


def test_counter_timeline_from_the_strings_page() -> None:
    """INCRBY 7 || INCRBY 3 -> 10; DECRBY 3 || INCRBY 6 -> 13."""
    r1, r2 = regions("r1", "r2")
    assert r1("INCRBY", "counter", "7") == 7  # t1
    assert r2("INCRBY", "counter", "3") == 3  # t2
    assert r1("GET", "counter") == b"7"  # t3
    assert r2("GET", "counter") == b"3"
    sync_all(r1, r2)  # t4
    assert r1("GET", "counter") == r2("GET", "counter") == b"10"  # t5
    r1("DECRBY", "counter", "3")  # t6
    r2("INCRBY", "counter", "6")  # t7
    sync_all(r1, r2)  # t8
    assert r1("GET", "counter") == r2("GET", "counter") == b"13"  # t9


def test_del_concurrent_with_a_write_observed_remove() -> None:
    """The observed-remove table (sets page) on a key: a delete removes only what
    it had seen; the write it had not seen survives in both regions."""
    r1, r2 = regions("r1", "r2")
    r1("SET", "key1", "a")
    sync_all(r1, r2)  # both see "a"
    r1("DEL", "key1")
    r2("SET", "key1", "b")  # concurrent with the DEL
    sync_all(r1, r2)
    assert r1("GET", "key1") == r2("GET", "key1") == b"b"
    # A DEL that had seen everything removes the key everywhere.
    r2("DEL", "key1")
    sync_all(r1, r2)
    assert r1("EXISTS", "key1") == r2("EXISTS", "key1") == 0


def test_expiration_example_longer_ttl_wins() -> None:
    """develop-for-aa "Expiration": EXPIRE key1 10 || EXPIRE key1 50 -> 50 wins."""
    c1, c2 = regions("c1", "c2")
    c1("SET", "key1", "v")
    sync_all(c1, c2)
    c1("EXPIRE", "key1", "10")
    c2("EXPIRE", "key1", "50")
    sync_all(c1, c2)
    assert c1("TTL", "key1") == c2("TTL", "key1") == 50


def test_expiration_example_persist_wins_over_both_expires() -> None:
    """... and PERSIST key1 on a third cluster wins over both."""
    c1, c2, c3 = regions("c1", "c2", "c3")
    c1("SET", "key1", "v", "EX", "1000")
    sync_all(c1, c2, c3)
    c1("EXPIRE", "key1", "10")
    c2("EXPIRE", "key1", "50")
    assert c3("PERSIST", "key1") == 1
    sync_all(c1, c2, c3)
    assert c1("TTL", "key1") == c2("TTL", "key1") == c3("TTL", "key1") == -1


def test_expired_key_is_deleted_everywhere() -> None:
    """The key expires at the winning time in every region, by an observed-remove DEL
    (each region expires it itself: see the deliberate difference in docs/semantics.md)."""
    c1, c2 = regions("c1", "c2")
    clock = c1.clock
    c1("SET", "key1", "v")
    sync_all(c1, c2)
    c1("EXPIRE", "key1", "10")
    c2("EXPIRE", "key1", "50")
    sync_all(c1, c2)
    clock.now_ms += 11_000
    assert c1("GET", "key1") == c2("GET", "key1") == b"v"  # 50 won: not yet expired
    clock.now_ms += 40_000
    assert c1("GET", "key1") is None
    sync_all(c1, c2)
    assert not c2.node.keyspace.data
