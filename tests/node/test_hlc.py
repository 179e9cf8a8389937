"""The hybrid logical clock never goes backwards and always moves past what it has seen."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from node.clock import ManualClock
from node.hlc import HLC, LOGICAL_BITS, physical_ms


def test_stamps_follow_the_wall_clock() -> None:
    clock = ManualClock(1_000)
    hlc = HLC(clock)
    assert hlc.now() == 1_000 << LOGICAL_BITS
    clock.advance(5)
    assert physical_ms(hlc.now()) == 1_005


def test_same_millisecond_uses_the_logical_counter() -> None:
    hlc = HLC(ManualClock(1_000))
    first, second = hlc.now(), hlc.now()
    assert second == first + 1
    assert physical_ms(second) == 1_000


def test_wall_clock_going_backwards_does_not_reorder() -> None:
    clock = ManualClock(10_000)
    hlc = HLC(clock)
    before = hlc.now()
    clock.now_ms -= 5_000  # NTP step, VM migration...
    assert hlc.now() > before


def test_observed_remote_stamps_are_exceeded() -> None:
    hlc = HLC(ManualClock(1_000))
    remote = (9_000 << LOGICAL_BITS) + 3  # a peer whose clock runs 8 s ahead
    hlc.observe(remote)
    assert hlc.now() > remote


def test_reserve_hands_out_consecutive_stamps() -> None:
    hlc = HLC(ManualClock(1_000))
    start = hlc.now(reserve=5)
    assert hlc.now() == start + 5


def test_restart_from_a_saved_stamp_never_goes_back() -> None:
    clock = ManualClock(50_000)
    saved = HLC(clock).now()
    clock.now_ms = 40_000  # restarted on a machine whose clock is behind
    assert HLC(clock, last=saved).now() > saved


@given(st.lists(st.tuples(st.integers(-10_000, 10_000), st.integers(0, 1 << 50)), max_size=200))
def test_monotonic_under_any_clock_and_remote_stamps(steps: list[tuple[int, int]]) -> None:
    clock = ManualClock(1_000_000)
    hlc = HLC(clock)
    last = -1
    for jump, remote in steps:
        clock.now_ms = max(0, clock.now_ms + jump)
        hlc.observe(remote)
        stamp = hlc.now()
        assert stamp > last
        assert stamp > remote
        last = stamp
