"""The dispatcher: one command in, one reply out, every check done once here.

Owns the order of checks Redis's processCommand applies (lookup, arity,
authentication, transaction rules, ACL, OOM, pub/sub context), MULTI
queueing, timing for commandstats and the slow log, and committing the
command's effect ops as one record. Must not know sockets or encodings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from node import errors, handlers  # noqa: F401  (importing registers every handler)
from node.client import Client
from node.commands.keyspecs import get_keys, key_specs
from node.commands.spec import CommandSpec
from node.commands.table import COMMANDS
from node.core import Node
from node.memory import over_maxmemory
from node.registry import HANDLERS, Handler
from node.reply import QUEUED, CommandError, Error

# Commands a RESP2 client may send while subscribed.
_PUBSUB_ALLOWED = frozenset(
    {"subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ping", "quit", "reset"}
)
# Commands that run immediately even inside MULTI.
_TXN_CONTROL = frozenset({"exec", "discard", "multi", "watch", "quit", "reset"})
_OOM_EXEMPT_IN_MULTI = frozenset({"exec", "discard", "quit", "reset"})

# Lookup by the exact bytes clients send (usually upper case), then lower case.
_LOOKUP: dict[bytes, CommandSpec] = {}
for _spec in COMMANDS.values():
    _LOOKUP[_spec.name.encode()] = _spec
    _LOOKUP[_spec.name.upper().encode()] = _spec
_BOUND: dict[str, Handler] = dict(HANDLERS)
log = logging.getLogger("geokv")


def resolve(argv: list[bytes]) -> CommandSpec | str:
    """The table entry for a command line, or the error reply for an unknown (sub)command."""
    name = argv[0]
    spec = _LOOKUP.get(name) or COMMANDS.get(name.lower().decode("utf-8", "replace"))
    if spec is None:
        return errors.unknown_command(name, argv[1:])
    # A container called bare is checked against its own arity: CONFIG fails it, COMMAND runs.
    if spec.subcommands and len(argv) >= 2:
        sub = spec.subcommands.get(argv[1].lower().decode("utf-8", "replace"))
        if sub is None:
            return errors.unknown_subcommand(argv[1], spec.name)
        spec = sub
    return spec


def dispatch(node: Node, client: Client, argv: list[bytes]) -> Any:
    node.stats.total_commands += 1
    spec = resolve(argv)
    if type(spec) is str:
        client.last_command = b"NULL"
        return _reject(node, client, None, spec, argv[0])
    assert isinstance(spec, CommandSpec)
    client.last_command = spec.name.encode()
    # A known command with the wrong arity counts as a rejected call of it (commandstats).
    if not spec.arity_ok(len(argv)):
        return _reject(node, client, spec, errors.wrong_arity(spec.name))
    # Like Redis's authRequired: a later `nopass` for default frees waiting clients too.
    if not client.authenticated and "no_auth" not in spec.flags and node.acl.needs_auth():
        return _reject(node, client, spec, errors.NOAUTH)
    in_multi = client.multi is not None
    if in_multi and "no_multi" in spec.flags:
        return _reject(node, client, spec, errors.NOT_IN_TXN)
    denied = acl_denial(node, client, spec, argv)
    if denied is not None:
        return _reject(node, client, spec, denied)
    if _refused_when_oom(client, spec) and over_maxmemory(node):
        return _reject(node, client, spec, errors.OOM)
    if _refused_when_disk_fails(client, spec):
        failure = node.sink.write_error()
        if failure is not None:
            return _reject(node, client, spec, errors.misconf_aof(failure))
    if node.own_records_missing and _makes_records(node, client, spec):
        return _reject(node, client, spec, errors.LOADING)
    if client.in_pubsub_context and spec.name not in _PUBSUB_ALLOWED:
        return _reject(node, client, spec, errors.pubsub_context(spec.name))
    if in_multi and spec.name not in _TXN_CONTROL:
        assert client.multi is not None
        client.multi.append((spec, argv))
        return QUEUED
    return call(node, client, spec, argv)


def call(
    node: Node, client: Client, spec: CommandSpec, argv: list[bytes], tick: bool = True
) -> Any:
    """Run a checked command: time it, count it, commit what it wrote.

    EXEC runs its commands with tick=False: as in Redis, a transaction sees one instant.
    """
    if tick:
        node.tick()
    if node.prepare is not None:
        _prepare_keys(node.prepare, spec, argv)
    start = time.perf_counter()
    stat = node.stats.command(spec.name)
    try:
        reply = _BOUND[spec.name](node, client, argv)
    except CommandError as exc:
        reply = Error(exc.message)
        stat.failed += 1
        node.stats.error(exc.message)
    except Exception:
        # A bug must cost one reply, not the connection or the process; what
        # the command wrote so far was applied and is committed below, so the
        # records still describe the keyspace exactly.
        log.exception("command %r failed", spec.name)
        reply = Error("ERR internal error in '%s', see the server log" % spec.name)
        stat.failed += 1
        node.stats.error("ERR")
    finally:
        if client.multi is None:
            node.commit()
    usec = int((time.perf_counter() - start) * 1_000_000)
    stat.calls += 1
    stat.usec += usec
    threshold = node.config["slowlog-log-slower-than"]
    if 0 <= threshold <= usec and "skip_slowlog" not in spec.flags:
        node.slowlog.record(usec, argv, client.addr, client.name, node.config["slowlog-max-len"])
    return reply


def _prepare_keys(
    prepare: Callable[[bytes | None], None], spec: CommandSpec, argv: list[bytes]
) -> None:
    """Make current every key the command names, reads included; a write that
    names none (FLUSHALL) or whose keys the specs cannot tell: every key."""
    if not key_specs(spec):
        if "write" in spec.flags:
            prepare(None)
        return
    positions = get_keys(spec, argv)
    if positions is None:
        prepare(None)
        return
    for i in positions:
        prepare(argv[i])


def acl_denial(node: Node, client: Client, spec: CommandSpec, argv: list[bytes]) -> str | None:
    """The NOPERM reply when the client's user may not run this, else None."""
    if client.user == "default" and node.acl.users["default"].unrestricted:
        return None
    return node.acl.check(client.user, spec, argv)


def _refused_when_oom(client: Client, spec: CommandSpec) -> bool:
    """Redis 7.0 also refuses to grow a MULTI queue, and an EXEC whose queue holds a denyoom command."""
    if client.multi is None:
        return spec.is_denyoom
    if spec.name == "exec":
        return any(queued.is_denyoom for queued, _ in client.multi)
    return spec.name not in _OOM_EXEMPT_IN_MULTI


def _refused_when_disk_fails(client: Client, spec: CommandSpec) -> bool:
    """Redis 7.0 refuses writes, an EXEC of queued writes, and PING while the AOF fails."""
    return spec.name == "ping" or _writes(client, spec)


def _writes(client: Client, spec: CommandSpec) -> bool:
    """A write, or an EXEC with a write queued."""
    if spec.is_write:
        return True
    return (
        spec.name == "exec"
        and client.multi is not None
        and any(q.is_write for q, _ in client.multi)
    )


def _makes_records(node: Node, client: Client, spec: CommandSpec) -> bool:
    """Whether the command may make a record of this region: writes and, when
    peers get messages, PUBLISH."""
    return _writes(client, spec) or (node.replicate_publish and spec.name == "publish")


def _reject(
    node: Node, client: Client, spec: CommandSpec | None, message: str, name: bytes = b""
) -> Error:
    is_exec = spec.name == "exec" if spec is not None else name.lower() == b"exec"
    if is_exec:
        # A refused EXEC discards the transaction and says why (execCommandAbort).
        node.end_transaction(client)
        message = errors.exec_abort(message)
    elif client.multi is not None:
        client.multi_error = True
    if spec is not None:
        node.stats.command(spec.name).rejected += 1
    node.stats.error(message)
    return Error(message)
