"""`geokv demo`: N regions on 127.0.0.1 with simulated WAN links, and a live status view.

Owns the demo's layout: one `geokv server` process per region (its own data
directory under a temporary one), a link proxy in front of each region's
replication port adding the one-way latency and jitter every subscription to
that region crosses, the topology created on every region, the status view
redrawn every second, and a clean stop on Ctrl+C (SIGINT) or SIGTERM.
Imports nothing else of geokv: the regions are separate processes.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from topology import render
from topology.client import AdminClient, Refused, Unreachable
from topology.linkproxy import LinkProxy
from topology.model import Cluster, Region

NAMES = ("eu", "us", "ap", "sa", "af", "me", "oc")
STARTUP_SECONDS = 30.0


@dataclass
class DemoRegion:
    id: str
    resp: int
    replication: int
    proxy: int
    data: Path
    proc: subprocess.Popen[bytes] | None = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def layout(n: int, base_port: int, root: Path) -> list[DemoRegion]:
    """Region i: RESP on base+i, replication on base+10000+i, its proxy on base+20000+i
    (free ports when base is 0)."""
    regions = []
    for i in range(n):
        rid = NAMES[i] if i < len(NAMES) else f"r{i + 1}"
        resp, replication, proxy = (
            (_free_port(), _free_port(), _free_port())
            if base_port == 0
            else (base_port + i, base_port + 10000 + i, base_port + 20000 + i)
        )
        regions.append(DemoRegion(rid, resp, replication, proxy, root / rid))
    return regions


def topology_of(regions: list[DemoRegion]) -> Cluster:
    # Peers replicate through the proxies; the CLI reaches admin services directly.
    return Cluster(
        "demo",
        tuple(
            Region(
                id=r.id,
                resp_address=f"127.0.0.1:{r.resp}",
                replication_address=f"127.0.0.1:{r.proxy}",
                admin_address=f"127.0.0.1:{r.replication}",
            )
            for r in regions
        ),
        name="geokv demo",
    )


class Demo:
    def __init__(self, opts: argparse.Namespace) -> None:
        self.opts = opts
        self.root = Path(tempfile.mkdtemp(prefix="geokv-demo-"))
        self.regions = layout(opts.regions, opts.base_port, self.root)
        self.cluster = topology_of(self.regions)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.proxies: list[LinkProxy] = []
        self.stopping = threading.Event()

    def _run(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)  # type: ignore[arg-type]

    def start(self) -> None:
        self.thread.start()
        latency, jitter = self.opts.latency / 1000, self.opts.jitter / 1000
        for r in self.regions:
            proxy = LinkProxy(r.proxy, r.replication, latency=latency, jitter=jitter)
            self._run(proxy.start())
            self.proxies.append(proxy)
        for r in self.regions:
            r.data.mkdir(parents=True)
            peers = " ".join(f"{p.id}=127.0.0.1:{p.proxy}" for p in self.regions if p is not r)
            argv = [sys.executable, "-m", "node", "server", "--port", str(r.resp),
                    "--dir", str(r.data), "--region-id", r.id, "--cluster-id", "demo",
                    "--replication-port", str(r.replication), "--peers", peers]  # fmt: skip
            with open(r.data / "server.log", "wb") as log:
                r.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self._create_topology()

    def _create_topology(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        pending = list(self.regions)
        while pending:
            r = pending[0]
            if r.proc is not None and r.proc.poll() is not None:
                raise RuntimeError(f"region {r.id} exited; see {r.data / 'server.log'}")
            try:
                AdminClient().put_topology(f"127.0.0.1:{r.replication}", self.cluster, r.id)
                pending.pop(0)
            except (Unreachable, Refused):
                if time.monotonic() > deadline or self.stopping.is_set():
                    raise RuntimeError(
                        f"region {r.id} did not start; see {r.data / 'server.log'}"
                    ) from None
                time.sleep(0.1)

    def banner(self) -> str:
        lines = [
            f"geokv demo: {len(self.regions)} regions, {self.opts.latency} ms one-way latency "
            f"(+ up to {self.opts.jitter} ms jitter) between them; data in {self.root}",
        ]
        for r in self.regions:
            lines.append(f"region {r.id} resp 127.0.0.1:{r.resp}   (redis-cli -p {r.resp})")
        lines.append(
            f"status: geokv topology status --node 127.0.0.1:{self.regions[0].replication}"
        )
        lines.append("Ctrl+C stops every region.")
        return "\n".join(lines)

    def watch(self) -> None:
        tty = sys.stdout.isatty()
        while not self.stopping.is_set():
            text = render.status_text(AdminClient().cluster_view(self.cluster))
            if tty:
                sys.stdout.write("\x1b[H\x1b[2J" + self.banner() + "\n\n")
            sys.stdout.write(text + "\n\n")
            sys.stdout.flush()
            self.stopping.wait(self.opts.interval)

    def stop(self) -> None:
        procs = [r.proc for r in self.regions if r.proc is not None and r.proc.poll() is None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for proxy in self.proxies:
            self._run(proxy.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.opts.keep:
            shutil.rmtree(self.root, ignore_errors=True)


def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="geokv demo", description=__doc__.split("\n")[0])
    parser.add_argument("--regions", type=int, default=3, help="how many regions (1-20)")
    parser.add_argument("--latency", type=float, default=50.0, help="one-way latency in ms")
    parser.add_argument("--jitter", type=float, default=0.0, help="extra random delay, ms")
    parser.add_argument("--base-port", type=int, default=6379,
                        help="region i's RESP port is BASE+i (0: any free ports)")  # fmt: skip
    parser.add_argument("--interval", type=float, default=1.0, help="status refresh, seconds")
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    opts = parser.parse_args(args)
    if not 1 <= opts.regions <= 20 or opts.latency < 0 or opts.jitter < 0:
        parser.error("--regions must be 1..20, --latency and --jitter >= 0")
    if opts.base_port and not 1024 <= opts.base_port <= 65535 - 20000 - opts.regions:
        parser.error(f"--base-port must be 0 or 1024..{65535 - 20000 - opts.regions}")
    demo = Demo(opts)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        demo.stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        demo.start()
        print(demo.banner(), flush=True)
        demo.watch()
    except (RuntimeError, OSError) as exc:
        print(f"geokv demo: {exc}", file=sys.stderr)
        code = 1
    finally:
        print("geokv demo: stopping every region...", flush=True)
        demo.stop()
    print("geokv demo: stopped.", flush=True)
    return code
