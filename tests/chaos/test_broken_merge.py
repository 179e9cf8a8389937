"""A deliberately broken merge is caught: the issue's example, a counter whose
regions' contributions are joined by max instead of summed, switched on for this
test only. The checker must fail the run, naming the counter rule and the seed.
The broken run is a process of its own with the node's modules from source:
compiled code (node/native.py) calls its own methods directly, so a patched
method would be ignored there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


_BROKEN_RUN = """
import json
from node.crdt.strings import Counter
from tests.chaos.sim import Simulation
from tests.chaos.test_broken_merge import _max_instead_of_sum

Counter.delta = _max_instead_of_sum
sim = Simulation(5)
verdict = sim.run()
print(json.dumps([verdict.problems, verdict.report(sim.history)]))
"""


def test_a_counter_merged_by_max_is_caught() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _BROKEN_RUN],
        cwd=Path(__file__).parents[2],
        env={**os.environ, "GEOKV_NATIVE": "0"},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    problems, report = json.loads(out.stdout.splitlines()[-1])
    assert any(p.startswith("(b) counter") for p in problems), problems
    assert "seed 5" in report


def test_the_same_seed_passes_with_the_real_merge() -> None:
    # The failure above comes from the broken merge, not from the seed.
    assert not Simulation(5).run().problems
