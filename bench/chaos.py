"""The long chaos campaign: many simulated seeds, then real processes under nemeses.

Runs the deterministic simulation (tests/chaos/sim.py) over `--sim-seeds`
seeds with 3 and 5 regions, then a real-process campaign
(tests/chaos/campaign.py: 3 regions behind link proxies, clients in every
region) for about `--minutes`, cycling through every nemesis. Prints each
failure's seed and history excerpt and exits 1 if any; writes the results
into docs/RELIABILITY.md between this script's markers. Every process it
starts is stopped whatever happens.

    .venv/bin/python bench/chaos.py [--minutes M] [--sim-seeds N] [--seed S] [--no-doc]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import ROOT  # bench/common.py (puts the repo on sys.path)

from tests.chaos.campaign import run_campaign
from tests.chaos.sim import Simulation

DOC = ROOT / "docs" / "RELIABILITY.md"
BEGIN, END = "<!-- bench/chaos.py begin -->", "<!-- bench/chaos.py end -->"


def simulate(seeds: range, regions: int, duration_ms: int) -> tuple[list[str], list[str]]:
    """One results row, and the failure reports."""
    started = time.monotonic()
    failures: list[str] = []
    events = acked = 0
    kinds: Counter[str] = Counter()
    for seed in seeds:
        sim = Simulation(seed, regions=regions, duration_ms=duration_ms)
        verdict = sim.run()
        events += len(sim.history.events)
        acked += len(sim.history.acked())
        kinds.update(sim.nemeses_run)
        if verdict.problems:
            failures.append(verdict.report(sim.history))
    row = (
        f"| simulation, {regions} regions, {duration_ms / 1000:g} s simulated each "
        f"| seeds {seeds.start}..{seeds.stop - 1} | {events} ({acked} acknowledged) "
        f"| {', '.join(f'{k} x{n}' for k, n in sorted(kinds.items()))} "
        f"| {len(seeds) - len(failures)}/{len(seeds)} seeds pass "
        f"| {time.monotonic() - started:.0f} s |"
    )
    return [row], failures


def real(seed: int, minutes: float, fault_s: float, quiet_s: float) -> tuple[list[str], list[str]]:
    rounds = max(1, int(minutes * 60 / (fault_s + quiet_s)))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="geokv-chaos-") as tmp:
        outcome = run_campaign(Path(tmp), seed, rounds=rounds, fault_s=fault_s, quiet_s=quiet_s)
    statuses = Counter(e.status for e in outcome.history.events)
    kinds = Counter(outcome.kinds)
    verdict = outcome.verdict
    row = (
        f"| real processes, 3 regions, {rounds} faults of {fault_s:g} s + {quiet_s:g} s quiet "
        f"| seed {seed} | {len(outcome.history.events)} ({statuses['ok']} acknowledged, "
        f"{statuses['info']} unknown, {statuses['fail']} refused) "
        f"| {', '.join(f'{k} x{n}' for k, n in sorted(kinds.items()))} "
        f"| {'pass' if not verdict.problems else 'FAIL'}, converged {outcome.converge_s:.1f} s "
        f"after healing | {time.monotonic() - started:.0f} s |"
    )
    failures = [verdict.report(outcome.history)] if verdict.problems else []
    return [row], failures


def write_doc(rows: list[str], args: argparse.Namespace) -> None:
    block = "\n".join(
        [
            BEGIN,
            f"Run on {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
            f"{platform.machine()}: `bench/chaos.py --minutes {args.minutes:g} "
            f"--sim-seeds {args.sim_seeds} --seed {args.seed}`.",
            "",
            "| campaign | seeds | operations | nemeses injected | result | wall time |",
            "|---|---|---|---|---|---|",
            *rows,
            END,
        ]
    )
    text = DOC.read_text()
    head, rest = text.split(BEGIN, 1)
    DOC.write_text(head + block + rest.split(END, 1)[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="real campaign length")
    parser.add_argument("--fault-seconds", type=float, default=4.0)
    parser.add_argument("--quiet-seconds", type=float, default=2.0)
    parser.add_argument("--sim-seeds", type=int, default=500)
    parser.add_argument("--sim-duration-ms", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    rows: list[str] = []
    failures: list[str] = []
    for regions in (3, 5):
        seeds = range(args.seed, args.seed + args.sim_seeds)
        r, f = simulate(seeds, regions, args.sim_duration_ms)
        print(r[0], flush=True)
        rows += r
        failures += f
    if args.minutes > 0:
        r, f = real(args.seed, args.minutes, args.fault_seconds, args.quiet_seconds)
        print(r[0], flush=True)
        rows += r
        failures += f
    for report in failures:
        print(report, file=sys.stderr)
    if not args.no_doc:
        write_doc(rows, args)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
