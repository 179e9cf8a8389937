"""The server's cycle-collector policy: survivors of a full collection are frozen."""

from __future__ import annotations

import gc

from node.gcpolicy import FreezeSurvivors


def test_survivors_of_a_full_collection_are_frozen_once() -> None:
    policy = FreezeSurvivors()
    assert not policy.tick(), "no full collection ran since it was made"
    try:
        gc.unfreeze()
        kept = [[n] for n in range(1000)]  # tracked objects that survive
        gc.collect()
        assert policy.tick()
        assert gc.get_freeze_count() >= len(kept)
        assert not policy.tick(), "the same collection does not freeze twice"
    finally:
        gc.unfreeze()


def test_garbage_cycles_made_after_the_full_collection_are_not_frozen() -> None:
    policy = FreezeSurvivors()
    try:
        gc.unfreeze()
        gc.collect()
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        collected = gc.get_stats()[1]["collected"]
        assert policy.tick()
        assert gc.get_stats()[1]["collected"] > collected, "the young cycle was collected"
    finally:
        gc.unfreeze()
