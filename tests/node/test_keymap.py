"""KeyMap: a sharded map of key names that behaves as the dict it replaces."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from node.keymap import KeyMap

KEYS = st.binary(max_size=3)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), KEYS, st.integers()),
        st.tuples(st.just("pop"), KEYS),
        st.tuples(st.just("del-set"), KEYS, st.integers()),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(OPS, KEYS)
def test_every_operation_matches_a_dict(ops: list[tuple[object, ...]], probe: bytes) -> None:
    ours: KeyMap[int] = KeyMap()
    model: dict[bytes, int] = {}
    for op in ops:
        key = op[1]
        assert isinstance(key, bytes)
        if op[0] == "pop":
            assert ours.pop(key) == model.pop(key, None)
        else:
            value = op[2]
            assert isinstance(value, int)
            if op[0] == "del-set":
                ours.pop(key)
                model.pop(key, None)
            ours[key] = value
            model[key] = value
        assert len(ours) == len(model) and bool(ours) == bool(model)
    assert ours.get(probe) == model.get(probe)
    assert (probe in ours) == (probe in model)
    assert sorted(ours) == sorted(model)
    assert sorted(ours.items()) == sorted(model.items())
    assert sorted(ours.values()) == sorted(model.values())
    assert all(ours[key] == value for key, value in model.items())
    # nth walks the iteration order: every key once, by position.
    assert [ours.nth(i) for i in range(len(ours))] == list(ours)


def test_many_keys_spread_over_shards_and_come_back() -> None:
    ours: KeyMap[int] = KeyMap()
    for i in range(20_000):
        ours[b"key:%d" % i] = i
    assert len(ours) == 20_000
    assert sum(1 for shard in ours.shards() if shard) > 200  # spread, not one dict
    assert sorted(ours.values()) == list(range(20_000))
