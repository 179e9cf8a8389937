"""A deliberately broken merge is caught: the issue's example, a counter whose
regions' contributions are joined by max instead of summed, switched on for this
test only. The checker must fail the run, naming the counter rule and the seed.
"""

from __future__ import annotations

import pytest

from node.crdt.base import Num
from node.crdt.strings import Counter
from tests.chaos.sim import Simulation


def _max_instead_of_sum(self: Counter) -> tuple[Num, bool]:
    live: list[Num] = []
    for region, (amount, stamp) in self.contrib.items():
        base = self.baseline.get(region)
        if base is None:
            live.append(amount)
        elif stamp > base[1]:
            live.append(amount - base[0])
    return (max(live), True) if live else (0, False)


def test_a_counter_merged_by_max_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Counter, "delta", _max_instead_of_sum)
    sim = Simulation(5)
    verdict = sim.run()
    assert any(p.startswith("(b) counter") for p in verdict.problems), verdict.problems
    assert "seed 5" in verdict.report(sim.history)


def test_the_same_seed_passes_with_the_real_merge() -> None:
    # The failure above comes from the broken merge, not from the seed.
    assert not Simulation(5).run().problems
