"""The deterministic simulation: many seeds pass, a seed replays exactly, and the
checker does find lost writes, wrong values and session anomalies when they happen.

`CHAOS_SEEDS=first:last` runs other seeds; a failure names its seed, which replays
with `CHAOS_SEEDS=<seed>:<seed+1>`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from replicator.applier import Applier
from tests.chaos.checker import Verdict, check, check_sessions
from tests.chaos.history import History
from tests.chaos.sim import NEMESES, Simulation


def _seeds() -> range:
    first, last = os.environ.get("CHAOS_SEEDS", "0:50").split(":")
    return range(int(first), int(last))


def test_many_seeds_converge_and_lose_no_acknowledged_write() -> None:
    covered: set[str] = set()
    for seed in _seeds():
        sim = Simulation(seed)
        verdict = sim.run()
        assert not verdict.problems, verdict.report(sim.history)
        assert sim.history.acked(), seed
        covered.update(sim.nemeses_run)
    assert covered == set(NEMESES)


def test_a_seed_replays_exactly() -> None:
    runs = []
    for _ in range(2):
        sim = Simulation(7)
        sim.run()
        runs.append([str(e) for e in sim.history.events])
    assert runs[0] == runs[1]


def test_broken_causal_delivery_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """An applier that ignores dependencies loses writes: the checker must say so."""
    monkeypatch.setattr(Applier, "ready", lambda self, record: True)
    sim = Simulation(3)
    verdict = sim.run()
    assert any(p.startswith("(a)") for p in verdict.problems)
    assert any(p.startswith("(b)") for p in verdict.problems)
    assert "seed 3" in verdict.report(sim.history)


def _corrupted(key_prefix: bytes, change: Callable[[Any], Any]) -> Verdict:
    """A clean run judged against a final state where one family's reads are altered."""
    sim = Simulation(11)
    sim.run_until(sim.duration_ms)
    sim.heal()
    for _ in range(100):
        sim.run_until(sim.now + 200)
        if sim.converged():
            break
    region = next(iter(sim.regions.values()))
    clean = sim.read_from(region)

    def read(argv: list[bytes]) -> Any:
        reply = clean(argv)
        return change(reply) if argv[1].startswith(key_prefix) else reply

    return check(11, sim.history, read, {"eu": "x", "us": "x"})


@pytest.mark.parametrize(
    ("prefix", "change", "rule"),
    [
        (b"c", lambda v: str(int(v or 0) + 1).encode(), "(b) counter"),
        (b"m", lambda v: str(int(v or 0) - 1).encode(), "(b) counter"),
        (b"S", lambda v: list(v)[1:], "lost"),
        (b"S", lambda v: [*v, b"ghost"], "present but"),
        (b"L", lambda v: [*v[1:]], "lost"),
        (b"s", lambda v: b"never-written", "(b) string"),
        (b"rw:", lambda v: None, "(b) string"),
        (b"H", lambda v: [], "lost"),
        (b"Z", lambda v: list(v)[1:], "lost"),
    ],
)
def test_the_checker_sees_a_wrong_final_state(
    prefix: bytes, change: Callable[[Any], Any], rule: str
) -> None:
    verdict = _corrupted(prefix, change)
    assert any(rule in p for p in verdict.problems), verdict.problems


def test_the_checker_sees_session_anomalies() -> None:
    history = History()
    for argv, result in [
        ([b"SET", b"rw:a", b"1"], "OK"),
        ([b"GET", b"rw:a"], None),
        ([b"GET", b"m0"], b"5"),
        ([b"GET", b"m0"], b"4"),
    ]:
        event = history.invoke("a", "eu", 0, argv)
        event.status, event.result = "ok", result
    verdict = Verdict(0)
    check_sessions(verdict, history)
    assert [p.split(":")[0] for p in verdict.problems] == [
        "(c) read-your-writes",
        "(c) monotonic reads",
    ]
