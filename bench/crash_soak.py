"""Crash soak: many more SIGKILL/restart cycles than the test suite runs.

Same invariants as tests/integration/test_durability.py (it reuses its
writers and checks): under `appendfsync always` or `everysec` (a kill is not a
power cut: the OS keeps what was written), every acknowledged SET survives
every kill and the shared counter never loses an acknowledged INCR.
Run: .venv/bin/python bench/crash_soak.py [--cycles 200] [--minutes 10] [--seed 1]
[--appendfsync everysec]
Exits non-zero on the first violation, printing the cycle and seed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import free_port, start_geokv
from tests.integration.test_durability import Conn, Writer, check_survivors, kill


def soak(cycles: int, minutes: float, seed: int, writers: int, policy: str) -> int:
    rng = random.Random(seed)
    port = free_port()
    deadline = time.monotonic() + minutes * 60
    acked: list[tuple[bytes, bytes, float]] = []
    incrs = 0
    done = 0
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        for cycle in range(cycles):
            if time.monotonic() > deadline:
                break
            server = start_geokv(data, "--appendfsync", policy, port=port)
            threads = [Writer(port, f"s{cycle}w{n}") for n in range(writers)]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.01, 0.5))
            kill(server)
            in_flight = 0
            for thread in threads:
                thread.join(30)
                acked += thread.acked
                incrs += thread.incrs_acked
                in_flight += thread.incrs_in_flight
            server = start_geokv(data, "--appendfsync", policy, port=port)
            conn = Conn(port)
            try:
                check_survivors(conn, acked, 1e18)
                counter = int(conn.bulk(b"GET", b"counter") or b"0")
                if not incrs <= counter <= incrs + in_flight:
                    print(f"cycle {cycle} seed {seed}: counter {counter}, acknowledged {incrs}")
                    return 1
                incrs = counter
            finally:
                conn.close()
                server.stop()
            done += 1
    print(
        f"{done} kill/restart cycles, {len(acked)} acknowledged SETs and {incrs} INCRs, all present"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--appendfsync", choices=("always", "everysec"), default="always")
    args = parser.parse_args()
    return soak(args.cycles, args.minutes, args.seed, args.writers, args.appendfsync)


if __name__ == "__main__":
    sys.exit(main())
