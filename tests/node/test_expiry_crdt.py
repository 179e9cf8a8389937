"""The expiry CRDT: concurrent TTL writes in several regions converge on the documented rule.

Rule (docs/semantics.md, "Expiry"): the longer TTL wins; PERSIST (and a write
that cleared a TTL it saw) wins over any concurrent EXPIRE; a causally later
expiry write replaces what it saw; an expired key is removed by an
observed-remove delete, so data written concurrently elsewhere survives.
Every scenario is checked in every delivery order, on fresh observers and on
the regions themselves. Also: the op and snapshot formats that carry it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from node.codec import decode_ops, encode_ops
from node.crdt.expiry import PERSIST, Expiry
from node.effects import NO_TTL, Record, SetExpire, SetStr
from node.keyspace import Keyspace
from node.snapshot import encode_keyspace, load
from tests.node.crdt_harness import Region, replay

T0 = 1_700_000_000_000


def interleavings(streams: list[list[Record]]) -> Iterator[list[Record]]:
    """Every delivery order of independent streams that keeps each stream's order."""
    live = [s for s in streams if s]
    if not live:
        yield []
        return
    for i, stream in enumerate(live):
        rest = [*live[:i], stream[1:], *live[i + 1 :]]
        for tail in interleavings(rest):
            yield [stream[0], *tail]


def expiry_state(ks: Keyspace) -> tuple[object, ...]:
    shown = sorted((key, value.TYPE) for key, value in ks.data.items())
    registers = sorted((key, register.dump()) for key, register in ks.expiry.items())
    return shown, sorted(ks.expires.items()), registers


def converge(base: list[Record], *streams: list[Record]) -> Keyspace:
    """Apply base then every interleaving of the streams (each twice: duplicates
    change nothing); assert one state; return one of the keyspaces."""
    states = set()
    ks = Keyspace("observer")
    for order in interleavings(list(streams)):
        ks = replay([*base, *order, *order])
        states.add(repr(expiry_state(ks)))
    assert len(states) == 1, states
    return ks


def regions(*names: str) -> list[Region]:
    clock = None
    out = []
    for name in names:
        region = Region(name, clock)
        clock = region.clock  # one wall clock: times are comparable
        out.append(region)
    return out


def seed(first: Region, others: list[Region], *argv: str) -> list[Record]:
    """Run a command in `first` and deliver it everywhere (a common past)."""
    before = len(first.log)
    first(*argv)
    for other in others:
        other.sync_from(first)
    return first.log[before:]


def own(region: Region, since: int) -> list[Record]:
    return [r for r in region.log[since:] if r.origin == region.name]


# -- the register on its own -------------------------------------------------------------------


def test_register_rule_persist_beats_times_and_longest_time_wins() -> None:
    register = Expiry()
    register.write(T0 + 10_000, 5, "eu", ())
    register.write(T0 + 50_000, 6, "us", ())
    assert register.at() == T0 + 50_000
    register.write(PERSIST, 7, "ap", ())
    assert register.at() is None
    # A write that saw all three replaces them all, even a shorter TTL.
    register.write(T0 + 1_000, 9, "eu", register.seen())
    assert register.entries == {"eu": (9, T0 + 1_000)}
    register.mask({"eu": 9})
    assert register.at() is None and not register.entries


# -- concurrent expiry writes, two and three regions ----------------------------------------------


def test_concurrent_expires_keep_the_longer_ttl_in_every_order() -> None:
    eu, us = regions("eu", "us")
    base = seed(eu, [us], "SET", "k", "v")
    eu("EXPIRE", "k", "10")
    us("EXPIRE", "k", "50")
    ks = converge(base, own(eu, 1), own(us, 0))
    assert ks.expires == {b"k": T0 + 50_000}
    eu.sync_from(us)
    us.sync_from(eu)
    assert eu("TTL", "k") == us("TTL", "k") == 50


def test_persist_wins_over_concurrent_expires_in_three_regions() -> None:
    eu, us, ap = regions("eu", "us", "ap")
    base = seed(eu, [us, ap], "SET", "k", "v", "EX", "100")
    eu("EXPIRE", "k", "10")
    us("EXPIRE", "k", "500")
    assert ap("PERSIST", "k") == 1
    ks = converge(base, own(eu, 1), own(us, 0), own(ap, 0))
    assert ks.expires == {}
    assert b"k" in ks.data
    for region in (eu, us, ap):
        for other in (eu, us, ap):
            if other is not region:
                region.sync_from(other)
    assert eu("TTL", "k") == us("TTL", "k") == ap("TTL", "k") == -1


def test_an_expire_that_saw_the_persist_replaces_it() -> None:
    eu, us = regions("eu", "us")
    seed(eu, [us], "SET", "k", "v", "EX", "100")
    us("PERSIST", "k")
    eu.sync_from(us)
    eu("EXPIRE", "k", "20")
    us.sync_from(eu)
    assert eu("TTL", "k") == us("TTL", "k") == 20


def test_set_that_cleared_a_ttl_counts_as_persist_against_a_concurrent_expire() -> None:
    eu, us = regions("eu", "us")
    base = seed(eu, [us], "SET", "k", "v", "EX", "100")
    eu("SET", "k", "new")  # clears the TTL eu saw
    us("EXPIRE", "k", "300")
    ks = converge(base, own(eu, 1), own(us, 0))
    assert ks.expires == {}
    assert ks.data[b"k"].get() == b"new"  # type: ignore[attr-defined]


def test_keepttl_writes_leave_the_register_alone() -> None:
    eu, us = regions("eu", "us")
    base = seed(eu, [us], "SET", "k", "v", "EX", "100")
    eu("APPEND", "k", "x")
    eu("SET", "k", "w", "KEEPTTL")
    us("EXPIRE", "k", "300")
    ks = converge(base, own(eu, 1), own(us, 0))
    # eu's writes added no PERSIST entry: us's EXPIRE (which replaced the one it saw) holds.
    assert ks.expires == {b"k": T0 + 300_000}
    assert ks.expiry[b"k"].dump() == (("us", own(us, 0)[0].stamp, T0 + 300_000),)


def test_set_with_ttl_concurrent_with_expire_keeps_the_longer() -> None:
    eu, us = regions("eu", "us")
    base = seed(eu, [us], "SET", "k", "v")
    eu("SET", "k", "x", "PX", "700")
    us("PEXPIRE", "k", "400")
    ks = converge(base, own(eu, 1), own(us, 0))
    assert ks.expires == {b"k": T0 + 700}


def test_a_plain_set_of_a_key_without_ttl_leaves_no_register() -> None:
    (eu,) = regions("eu")
    eu("SET", "k", "v")
    eu("SET", "k", "w")
    eu("GETSET", "k", "x")
    assert eu.node.keyspace.expiry == {}
    [op] = eu.log[-1].ops
    assert isinstance(op, SetStr) and op.seen == ()


def test_del_removes_the_entries_it_saw_but_not_a_concurrent_expire() -> None:
    eu, us = regions("eu", "us")
    base = seed(eu, [us], "SET", "k", "v", "EX", "100")
    eu("DEL", "k")
    us("EXPIRE", "k", "300")
    us("SET", "k", "again", "KEEPTTL")
    ks = converge(base, own(eu, 1), own(us, 0))
    # The SET in us survives the delete; so does the EXPIRE the delete did not see.
    assert ks.data[b"k"].get() == b"again"  # type: ignore[attr-defined]
    assert ks.expires == {b"k": T0 + 300_000}


def test_expire_of_a_key_deleted_here_still_counts_when_its_data_arrives() -> None:
    """Order independence of a register whose key is not shown: EXPIRE from us
    reaches eu after eu's DEL and before us's own later write."""
    eu, us, ap = regions("eu", "us", "ap")
    base = seed(eu, [us, ap], "SET", "k", "v")
    eu("DEL", "k")
    us("EXPIRE", "k", "300")
    ap("INCR", "other")  # an unrelated stream, to mix the orders
    us("APPEND", "k", "more")
    ks = converge(base, own(eu, 1), own(us, 0), own(ap, 0))
    assert ks.expires == {b"k": T0 + 300_000}


# -- expiry deletes are observed removes ------------------------------------------------------------


def test_expired_key_removal_spares_data_written_concurrently_in_another_region() -> None:
    eu, us = regions("eu", "us")
    clock = eu.clock
    seed(eu, [us], "SET", "k", "v")
    seed(eu, [us], "PEXPIRE", "k", "100")
    us("SET", "k", "fresh")  # clears the TTL us saw: written after the expiry was set
    since = len(eu.log)
    clock.now_ms += 200
    assert eu("GET", "k") is None  # eu expires k before hearing of us's write
    expired = own(eu, since)
    assert [type(op).__name__ for r in expired for op in r.ops] == ["DelKey"]
    eu.sync_from(us)
    us.sync_from(eu)
    assert eu("GET", "k") == us("GET", "k") == b"fresh"
    assert eu("TTL", "k") == us("TTL", "k") == -1


def test_expired_key_removal_removes_what_the_expiring_region_had() -> None:
    eu, us = regions("eu", "us")
    clock = eu.clock
    seed(eu, [us], "SET", "k", "v", "PX", "100")
    seed(us, [eu], "APPEND", "k", "w")  # keeps the TTL: expires with the key
    clock.now_ms += 200
    assert eu("EXISTS", "k") == 0
    us.sync_from(eu)
    assert not us.node.keyspace.data


# -- formats --------------------------------------------------------------------------------------


def test_ops_with_seen_use_their_own_tags_and_round_trip() -> None:
    ops = (
        SetExpire(b"k", T0, (("eu", 5), ("us", 9))),
        SetStr(b"k", b"v", NO_TTL, (), (("eu", 5),)),
        SetExpire(b"k", NO_TTL),
        SetStr(b"k", b"v"),
    )
    assert decode_ops(encode_ops(ops)) == ops
    # payload: version byte, op count, then the op's tag
    assert [encode_ops((op,))[2] for op in ops] == [50, 51, 4, 1]


def test_snapshot_keeps_every_register_including_one_without_a_value() -> None:
    eu, us = regions("eu", "us")
    seed(eu, [us], "SET", "k", "v", "EX", "100")
    seed(eu, [us], "SET", "gone", "v")
    eu("EXPIRE", "k", "10")
    us("EXPIRE", "k", "50")
    us("EXPIRE", "gone", "70")
    eu("DEL", "gone")
    eu.sync_from(us)
    ks = eu.node.keyspace
    assert b"gone" not in ks.data and ks.expiry[b"gone"].at() == T0 + 70_000
    restored = Keyspace("eu")
    load(restored, encode_keyspace(ks))
    assert expiry_state(restored) == expiry_state(ks)


# A version-1 snapshot (one effective time per shown key) as geokv wrote it before
# expiry registers: it must still load, its time an entry every later write has seen.
V1_SNAPSHOT = bytes.fromhex(
    "010102657588808080adf9e78b03030173010101017680808080adf9e78b0302657590eeabfef962"
    "016e010102010001026575000e82808080adf9e78b030001016400010084808080adf9e78b0302657501"
)


def test_version_1_snapshots_still_load() -> None:
    ks = Keyspace("eu")
    assert load(ks, V1_SNAPSHOT) == 3
    assert ks.expires == {b"s": 1_700_000_005_000}
    assert ks.expiry[b"s"].dump() == (("", -1, 1_700_000_005_000),)
    assert set(ks.data) == {b"s", b"n"}
    # Any later expiry write replaces the legacy entry.
    ks.merge_expire(SetExpire(b"s", T0 + 1, ks.expiry_seen(b"s")), "eu", 10)
    assert ks.expires == {b"s": T0 + 1}


def test_all_interleavings_helper_covers_every_order() -> None:
    a = [Record("a", 1, 1, ()), Record("a", 2, 2, ())]
    b = [Record("b", 1, 1, ())]
    orders = {tuple((r.origin, r.seq) for r in order) for order in interleavings([a, b])}
    assert len(orders) == 3
    assert all(o.index(("a", 1)) < o.index(("a", 2)) for o in orders)
    assert len(list(itertools.islice(interleavings([a, b, b]), 100))) > 3
