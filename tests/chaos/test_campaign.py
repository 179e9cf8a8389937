"""The short real-process campaign: 3 regions behind link proxies, clients in every
region, each real nemesis once (partitions, kill -9, SIGSTOP, clock skew, lossy
narrow links); after healing, digests are equal and no acknowledged write is lost.

`CHAOS_REAL=1` runs it (`make chaos` runs a longer one); `CHAOS_SEED=n` picks another seed (the failure report names the one that failed).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.chaos.campaign import run_campaign
from tests.chaos.checker import Verdict, check_state
from tests.chaos.cluster import REAL_NEMESES
from tests.chaos.history import History


@pytest.mark.skipif(
    os.environ.get("CHAOS_REAL") != "1",
    reason="CHAOS_REAL=1 runs it (about 40 s): kept out of the default suite until a run "
    "of many seeds shows the fix of its digest comparison (TTLs still expiring) holds",
)
def test_short_campaign_every_nemesis_once(tmp_path: Path) -> None:
    seed = int(os.environ.get("CHAOS_SEED", "1"))
    outcome = run_campaign(tmp_path, seed)
    assert not outcome.verdict.problems, (outcome.faults, outcome.verdict.report(outcome.history))
    assert set(outcome.kinds) == set(REAL_NEMESES)
    acked = {e.command for e in outcome.history.acked()}
    assert {"INCRBY", "SADD", "SREM", "HSET", "ZADD", "LPUSH", "LPOP", "SET"} <= acked
    # The faults were felt: some calls timed out or found a region down.
    assert any(e.status == "info" for e in outcome.history.events)


def test_without_records_a_clients_own_order_decides_what_was_observed() -> None:
    """The campaign's rule: an add is lost unless the same client removed it later;
    an unknown outcome (timeout) widens what is allowed."""
    history = History()
    for client, argv, status, result in [
        ("a", [b"SADD", b"S:a:0", b"x"], "ok", 1),
        ("a", [b"SADD", b"S:a:0", b"y"], "ok", 1),
        ("a", [b"SREM", b"S:a:0", b"y"], "ok", 1),
        ("a", [b"SADD", b"S:a:0", b"z"], "ok", 1),
        ("a", [b"SREM", b"S:a:0", b"z"], "info", None),
        ("a", [b"INCRBY", b"c:a:0", b"5"], "ok", 5),
        ("a", [b"INCRBY", b"c:a:0", b"7"], "info", None),
    ]:
        event = history.invoke(client, "eu", 0, argv)
        event.status, event.result = status, result
    final = {b"S:a:0": [b"y"], b"c:a:0": b"13"}
    verdict = Verdict(0)
    check_state(verdict, history, lambda argv: final[argv[1]])
    assert sorted(p.split(":")[0] for p in verdict.problems) == [
        "(b) S",
        "(b) S",
        "(b) counter c",
    ], verdict.problems
