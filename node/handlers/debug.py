"""DEBUG, refused unless `enable-debug-command` allows it (as in Redis 7.0).

Owns its subcommands: SLEEP, Redis's (stops the whole server, as test suites
written for Redis expect), and BINLOG-FAULT, which exists for the
fault-injection campaign (tests/chaos): it makes this node's binlog disk
slow (every change stalls <ms>) or failing (every change fails with EIO,
so writes get MISCONF) and then healthy again, without stopping the
process. Must not know the binlog's format: it only flips the switches of
`node.faultdisk.FaultyDisk`.
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

from node import errors
from node.client import Client
from node.core import Node
from node.faultdisk import FaultyDisk
from node.handlers.server import help_lines
from node.numbers import parse_int
from node.registry import command
from node.reply import OK, CommandError

NOT_ALLOWED = (
    'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", '
    "you can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server."
)

_HELP = [
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "BINLOG-FAULT FAIL|OK|SLOW <ms>",
    "    Make the binlog's disk fail every write and fsync with EIO (FAIL), stall",
    "    each of them <ms> milliseconds (SLOW), or behave again (OK).",
    "HELP",
    "    Print this help.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
]
# strtod's reading of a number: its longest numeric prefix (Redis parses the
# SLEEP argument with strtod, so "0.5x" sleeps half a second and "x" not at all).
_STRTOD = re.compile(rb"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _allowed(node: Node, client: Client) -> bool:
    setting = node.config["enable-debug-command"]
    if setting == "local":
        # Imported here: node.server imports the handlers.
        from node.server import _is_loopback

        return _is_loopback(client.addr.rpartition(":")[0])
    return bool(setting == "yes")


@command("debug")
def debug(node: Node, client: Client, argv: list[bytes]) -> Any:
    if not _allowed(node, client):
        raise CommandError(NOT_ALLOWED)
    sub = argv[1].lower()
    if sub == b"help" and len(argv) == 2:
        return help_lines(_HELP)
    if sub == b"binlog-fault" and len(argv) in (3, 4):
        return _binlog_fault(node, argv)
    if sub == b"sleep" and len(argv) == 3:
        number = _STRTOD.match(argv[2])
        seconds = float(number.group()) if number else 0.0
        if 0 < seconds < math.inf:  # Redis's nanosleep refuses what overflows, too
            time.sleep(seconds)  # the whole server stops: that is what it is for
        return OK
    raise CommandError(errors.subcommand_syntax(argv[1], "debug"))


def _binlog_fault(node: Node, argv: list[bytes]) -> Any:
    disk = getattr(node.sink, "fs", None)
    if not isinstance(disk, FaultyDisk):
        raise CommandError("ERR the binlog is off (appendonly no)")
    mode = argv[2].lower()
    if mode in (b"fail", b"ok") and len(argv) == 3:
        disk.set_fault(failing=mode == b"fail")
        return OK
    if mode == b"slow" and len(argv) == 4:
        ms = parse_int(argv[3])
        if ms is None or ms < 0:
            raise CommandError(errors.NOT_INTEGER)
        disk.set_fault(failing=False, delay_s=ms / 1000)
        return OK
    raise CommandError(errors.subcommand_syntax(argv[1], "debug"))
