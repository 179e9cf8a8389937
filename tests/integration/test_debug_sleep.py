"""DEBUG SLEEP stops the whole server as Redis's does (same replies, checked against
redis-server), and a loop held that long leaves a warning in the log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from tests.conftest import start_geokv, start_redis
from tests.integration.compare import execute

ENABLED = ("--enable-debug-command", "yes")


def test_debug_sleep_answers_as_redis_does(tmp_path: Path) -> None:
    geokv, reference = start_geokv(tmp_path, *ENABLED), start_redis(tmp_path, *ENABLED)
    try:
        ours, theirs = redis.Redis(port=geokv.port), redis.Redis(port=reference.port)
        # strtod: a numeric prefix counts, anything else is 0; overflow does not sleep.
        for arg in ("0", "0.01", ".01x", "abc", "-1", "1e400"):
            assert execute(ours, "DEBUG", "SLEEP", arg) == execute(theirs, "DEBUG", "SLEEP", arg)
        for argv in (("DEBUG", "SLEEP"), ("DEBUG", "SLEEP", "1", "2")):
            with pytest.raises(redis.ResponseError) as mine:
                execute(ours, *argv)
            with pytest.raises(redis.ResponseError) as ref:
                execute(theirs, *argv)
            assert str(mine.value) == str(ref.value)
    finally:
        geokv.stop()
        reference.stop()


def test_a_loop_held_by_a_command_leaves_a_warning_in_the_log(tmp_path: Path) -> None:
    geokv = start_geokv(tmp_path, *ENABLED)
    try:
        client = redis.Redis(port=geokv.port)
        assert execute(client, "DEBUG", "SLEEP", "0.5") == b"OK"
        deadline = time.monotonic() + 10
        while "the event loop did not run for" not in geokv.output():
            assert time.monotonic() < deadline, geokv.output()[-2000:]
            time.sleep(0.05)
    finally:
        geokv.stop()
