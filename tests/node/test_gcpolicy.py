"""The server's cycle-collector policy: young survivors frozen each second, the
whole heap walked only when the frozen part doubled, at most every ten minutes."""

from __future__ import annotations

import gc

from node.gcpolicy import GcPolicy


class FakeCollector:
    """In-memory twin of the `gc` calls the policy makes: objects are counts."""

    def __init__(self) -> None:
        self.threshold = (700, 10, 10)
        self.young = 0  # tracked objects not frozen
        self.frozen = 0
        self.garbage = 0  # of the young ones, how many a collection frees
        self.calls: list[str] = []

    def get_threshold(self) -> tuple[int, int, int]:
        return self.threshold

    def set_threshold(self, threshold0: int, threshold1: int = 10, threshold2: int = 10) -> None:
        self.threshold = (threshold0, threshold1, threshold2)

    def collect(self, generation: int = 2) -> int:
        self.calls.append(f"collect:{self.young}")
        freed, self.garbage = self.garbage, 0
        self.young -= freed
        return freed

    def freeze(self) -> None:
        self.frozen += self.young
        self.young = 0

    def unfreeze(self) -> None:
        self.calls.append("unfreeze")
        self.young += self.frozen
        self.frozen = 0

    def get_freeze_count(self) -> int:
        return self.frozen


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _started(loaded: int) -> tuple[FakeCollector, Clock, GcPolicy]:
    """A policy started over `loaded` objects (the keyspace recovery loaded)."""
    fake, clock = FakeCollector(), Clock()
    fake.young = loaded
    policy = GcPolicy(fake, clock, every=1.0)
    policy.start()
    return fake, clock, policy


def test_start_takes_full_collections_over_and_freezes_the_loaded_keyspace() -> None:
    fake, _, _ = _started(50_000)
    assert fake.threshold[:2] == (700, 10) and fake.threshold[2] >= 2**30
    assert (fake.frozen, fake.young) == (50_000, 0)


def test_each_second_only_what_is_not_frozen_is_walked() -> None:
    fake, clock, policy = _started(50_000)
    fake.calls.clear()
    fake.young, fake.garbage = 800, 300  # a second of writes, some of it cyclic garbage
    assert policy.tick() is None, "less than a second since the last walk"
    clock.now += 1.0
    assert policy.tick() == "young"
    assert fake.calls == ["collect:800"], "the 50k frozen objects were not walked"
    assert (fake.frozen, fake.young) == (50_500, 0)


def test_everything_is_walked_when_the_frozen_part_doubled_and_ten_minutes_passed() -> None:
    fake, clock, policy = _started(1000)
    for _ in range(599):  # the heap more than doubles within ten minutes: no full walk yet
        clock.now += 1.0
        fake.young = 10
        assert policy.tick() == "young"
    clock.now += 1.0
    fake.young, fake.garbage = 10, 200  # garbage kept by freezing shows up once unfrozen
    fake.calls.clear()
    assert policy.tick() == "all"
    assert fake.calls == ["unfreeze", f"collect:{1000 + 5990 + 10}"]
    assert fake.frozen == 1000 + 5990 + 10 - 200
    # Not doubled since: ten minutes later the heap is counted, and only young walked.
    clock.now += 600.0
    fake.calls.clear()
    assert policy.tick() == "young" and "unfreeze" not in fake.calls


def test_with_the_real_collector_young_cycles_are_freed_and_survivors_frozen() -> None:
    clock = Clock()
    before = gc.get_threshold()
    policy = GcPolicy(gc, clock, every=1.0)
    try:
        policy.start()
        kept = [[n] for n in range(1000)]
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        frozen = gc.get_freeze_count()
        collected = gc.get_stats()[2]["collected"]
        clock.now += 1.0
        assert policy.tick() == "young"
        assert gc.get_stats()[2]["collected"] > collected, "the cycle was collected"
        assert gc.get_freeze_count() >= frozen + len(kept)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
