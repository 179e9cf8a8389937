"""A subscription that keeps failing retries with capped exponential backoff and
jitter; one that had connected retries soon again."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from replicator.subscriber import BACKOFF_CAP, BACKOFF_FIRST, Subscriber


def _delays(monkeypatch: pytest.MonkeyPatch, outcomes: list[str]) -> list[float]:
    """The sleeps between sessions whose outcomes are 'fail' or 'connected-then-fail'."""
    delays: list[float] = []
    sessions = iter(outcomes)
    sub = Subscriber(None, "peer", "127.0.0.1:1")  # type: ignore[arg-type]

    async def session() -> None:
        outcome = next(sessions, None)
        if outcome is None:
            raise asyncio.CancelledError
        if outcome == "connected-then-fail":  # what a Welcome does
            sub.stats.state = "connected"
            sub.stats.connects += 1
        raise ConnectionError(outcome)

    async def sleep(seconds: float, *_: Any) -> None:
        delays.append(seconds)

    monkeypatch.setattr(sub, "_session", session)
    monkeypatch.setattr(asyncio, "sleep", sleep)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(sub._run())
    return delays


def test_failures_back_off_exponentially_with_jitter_up_to_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    delays = _delays(monkeypatch, ["fail"] * 14)
    assert len(delays) == 14
    for n, delay in enumerate(delays):
        nominal = min(BACKOFF_FIRST * 2**n, BACKOFF_CAP)
        assert 0.5 * nominal <= delay <= 1.5 * nominal, (n, delay)
    assert max(delays) <= 1.5 * BACKOFF_CAP
    assert (
        len({round(d / min(BACKOFF_FIRST * 2**n, BACKOFF_CAP), 6) for n, d in enumerate(delays)})
        > 1
    )


def test_a_session_that_had_connected_retries_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    delays = _delays(monkeypatch, ["fail"] * 6 + ["connected-then-fail"])
    assert delays[-1] <= 1.5 * BACKOFF_FIRST
