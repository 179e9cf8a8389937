"""INFO's text: its sections, their fields and Redis's rules for choosing sections.

Owns the layout Redis 7.0 gives INFO ('# Section' headers, 'field:value'
lines, CRLF, a blank line between sections, fixed section order) and what
geokv reports in each field. Fields Redis has and geokv cannot report
honestly are left out rather than faked. Must not know sockets or replies.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Iterable
from itertools import islice

from binlog import native
from node import memory
from node.core import Node
from node.version import GEOKV_VERSION, REDIS_VERSION

Field = tuple[str, object]

# One id per process, like Redis's run_id: tells a restarted node from the old one.
RUN_ID = os.urandom(20).hex()
_AVG_TTL_SAMPLE = 1000


def human_bytes(n: int) -> str:
    """Redis's bytesToHuman: 919.23K, 6.44M, 0B."""
    if n < 1024:
        return f"{n}B"
    for unit, power in (("K", 1), ("M", 2), ("G", 3), ("T", 4), ("P", 5)):
        if n < 1024 ** (power + 1) or unit == "P":
            return f"{n / 1024**power:.2f}{unit}"
    raise AssertionError("unreachable")


def _server(node: Node) -> list[Field]:
    uptime = int(time.time() - node.started)
    uname = platform.uname()
    return [
        ("redis_version", REDIS_VERSION),
        ("geokv_version", GEOKV_VERSION),
        ("geokv_compiled", int(native.all_active())),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_mode", "standalone"),
        ("os", f"{uname.system} {uname.release} {uname.machine}"),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", RUN_ID),
        ("tcp_port", node.config["port"]),
        ("server_time_usec", time.time_ns() // 1000),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", node.config["hz"]),
        ("configured_hz", node.config["hz"]),
        ("executable", sys.executable),
        ("config_file", ""),
        ("io_threads_active", 0),
        ("region", node.region),
        ("cluster_id", node.config["cluster-id"]),
    ]


def _clients(node: Node) -> list[Field]:
    clients = node.clients.values()
    return [
        ("connected_clients", len(node.clients)),
        ("cluster_connections", 0),
        ("maxclients", node.config["maxclients"]),
        ("client_recent_max_input_buffer", max((c.query_pending() for c in clients), default=0)),
        ("client_recent_max_output_buffer", max((c.output_pending() for c in clients), default=0)),
        ("blocked_clients", len(node.blocking)),
        ("tracking_clients", 0),
        ("clients_in_timeout_table", 0),
    ]


def _memory(node: Node) -> list[Field]:
    used = memory.used_bytes()
    rss = memory.rss_bytes()
    limit: int = node.config["maxmemory"]
    system = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return [
        ("used_memory", used),
        ("used_memory_human", human_bytes(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", human_bytes(rss)),
        ("total_system_memory", system),
        ("total_system_memory_human", human_bytes(system)),
        ("maxmemory", limit),
        ("maxmemory_human", human_bytes(limit)),
        ("maxmemory_policy", node.config["maxmemory-policy"]),
        ("mem_fragmentation_ratio", f"{rss / used:.2f}" if used else "0.00"),
        ("mem_allocator", "libc"),
    ]


def _persistence(node: Node) -> list[Field]:
    # The binlog plays the AOF's part: its fields use the aof_* names, then geokv's binlog_*.
    status = node.sink.status() or {
        "aof_enabled": 0,
        "aof_rewrite_in_progress": 0,
        "aof_rewrite_scheduled": 0,
        "aof_last_write_status": "ok",
    }
    return [
        ("loading", 0),
        ("async_loading", 0),
        ("rdb_changes_since_last_save", node.dirty),
        ("rdb_bgsave_in_progress", 0),
        ("rdb_last_save_time", int(node.started)),
        ("rdb_last_bgsave_status", "ok"),
        *status.items(),
    ]


def _stats(node: Node) -> list[Field]:
    stats = node.stats
    ops, bytes_in, bytes_out = stats.rates()
    return [
        ("total_connections_received", stats.connections_received),
        ("total_commands_processed", stats.total_commands),
        ("instantaneous_ops_per_sec", int(ops)),
        ("total_net_input_bytes", stats.net_input_bytes),
        ("total_net_output_bytes", stats.net_output_bytes),
        ("instantaneous_input_kbps", f"{bytes_in / 1024:.2f}"),
        ("instantaneous_output_kbps", f"{bytes_out / 1024:.2f}"),
        ("rejected_connections", stats.rejected_connections),
        ("expired_keys", node.keyspace.expired_keys),
        ("evicted_keys", 0),
        ("keyspace_hits", stats.keyspace_hits),
        ("keyspace_misses", stats.keyspace_misses),
        ("pubsub_channels", len(node.pubsub.channels)),
        ("pubsub_patterns", len(node.pubsub.patterns)),
        ("total_error_replies", stats.total_error_replies),
    ]


def _replication(node: Node) -> list[Field]:
    # Regions replicate to each other as peers; toward Redis clients every node is a master.
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", RUN_ID),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", 1048576),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def _cpu(node: Node) -> list[Field]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    thread = resource.getrusage(resource.RUSAGE_THREAD)
    return [
        ("used_cpu_sys", f"{me.ru_stime:.6f}"),
        ("used_cpu_user", f"{me.ru_utime:.6f}"),
        ("used_cpu_sys_children", f"{children.ru_stime:.6f}"),
        ("used_cpu_user_children", f"{children.ru_utime:.6f}"),
        ("used_cpu_sys_main_thread", f"{thread.ru_stime:.6f}"),
        ("used_cpu_user_main_thread", f"{thread.ru_utime:.6f}"),
    ]


def _modules(node: Node) -> list[Field]:
    return []


def _commandstats(node: Node) -> list[Field]:
    return [
        (
            "cmdstat_" + name,
            f"calls={s.calls},usec={s.usec},usec_per_call={s.usec / s.calls if s.calls else 0:.2f},"
            f"rejected_calls={s.rejected},failed_calls={s.failed}",
        )
        for name, s in sorted(node.stats.commands.items())
        if s.calls or s.rejected or s.failed
    ]


def _errorstats(node: Node) -> list[Field]:
    return [(f"errorstat_{code}", f"count={n}") for code, n in sorted(node.stats.errors.items())]


def _cluster(node: Node) -> list[Field]:
    return [("cluster_enabled", 0)]


def _crdt(node: Node) -> list[Field]:
    # geokv's own section (not in Redis): what this region applied, and its links.
    applied = node.keyspace.applied
    return [
        ("region", node.region),
        ("cluster_id", node.config["cluster-id"]),
        ("applied_vv", ",".join(f"{o}={applied[o]}" for o in sorted(applied))),
        *node.replication_status(),
    ]


def _keyspace(node: Node) -> list[Field]:
    keys = len(node.keyspace.data)
    if not keys:
        return []
    expires = node.keyspace.expires
    return [("db0", f"keys={keys},expires={len(expires)},avg_ttl={_avg_ttl(node)}")]


def _avg_ttl(node: Node) -> int:
    """Mean remaining TTL in ms over a sample of volatile keys (Redis's is an estimate too)."""
    sample = list(islice(node.keyspace.expires.values(), _AVG_TTL_SAMPLE))
    if not sample:
        return 0
    now = node.clock.wall_ms()
    return sum(max(at - now, 0) for at in sample) // len(sample)


Section = Callable[[Node], list[Field]]

# Redis's order; the names a client may ask for (aliases share a function).
SECTIONS: tuple[tuple[str, str, Section], ...] = (
    ("server", "Server", _server),
    ("clients", "Clients", _clients),
    ("memory", "Memory", _memory),
    ("persistence", "Persistence", _persistence),
    ("stats", "Stats", _stats),
    ("replication", "Replication", _replication),
    ("cpu", "CPU", _cpu),
    ("modules", "Modules", _modules),
    ("commandstats", "Commandstats", _commandstats),
    ("errorstats", "Errorstats", _errorstats),
    ("cluster", "Cluster", _cluster),
    ("keyspace", "Keyspace", _keyspace),
    ("crdt", "CRDT", _crdt),
)
_DEFAULT = frozenset(
    [
        "server",
        "clients",
        "memory",
        "persistence",
        "stats",
        "replication",
        "cpu",
        "modules",
        "errorstats",
        "cluster",
        "keyspace",
    ]
)
_ALL = frozenset(name for name, _, _ in SECTIONS)


def chosen(requested: Iterable[bytes]) -> frozenset[str]:
    """The sections INFO's arguments name: none means default; unknown names add nothing."""
    names = {r.decode("utf-8", "replace").lower() for r in requested}
    if not names:
        return _DEFAULT
    out: set[str] = set()
    for name in names:
        if name in ("all", "everything"):
            out |= _ALL
        elif name == "default":
            out |= _DEFAULT
        elif name == "module_list":
            out.add("modules")
        elif name in _ALL:
            out.add(name)
    return frozenset(out)


def render(node: Node, requested: Iterable[bytes]) -> bytes:
    wanted = chosen(requested)
    blocks = []
    for name, title, fields in SECTIONS:
        if name in wanted:
            lines = [f"# {title}\r\n"] + [f"{k}:{v}\r\n" for k, v in fields(node)]
            blocks.append("".join(lines))
    return "\r\n".join(blocks).encode()
