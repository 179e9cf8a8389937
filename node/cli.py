"""The `geokv` command line: subcommands found through entry points, and `geokv server`.

Owns argument handling of `geokv server` (a redis.conf-style file and
`--name value` flags) and the discovery of other packages' subcommands
(`geokv topology`, `geokv binlog`, ...), registered in the
`geokv.subcommands` entry-point group so this module imports none of them.
Must not know what other subcommands do.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from node.config import Config, ConfigError, InvalidValue, UnknownSetting

if TYPE_CHECKING:
    from node.server import Service

# Builds what runs next to the server from its configuration (the replicator's
# entry point passes one; node itself knows no service).
ServiceFactory = Callable[[Config], Sequence["Service"]]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    commands = {ep.name: ep for ep in entry_points(group="geokv.subcommands")}
    if not args or args[0] in ("-h", "--help", "help"):
        print("usage: geokv <command> [args...]\n\ncommands: " + ", ".join(sorted(commands)))
        return 0 if args else 2
    entry = commands.get(args[0])
    if entry is None:
        print(
            f"geokv: unknown command {args[0]!r} (commands: {', '.join(sorted(commands))})",
            file=sys.stderr,
        )
        return 2
    result: int = entry.load()(args[1:])
    return result


def parse_server_args(args: list[str]) -> Config:
    """`[CONFIG_FILE] [--name value ...]`: flags override the file, like redis-server."""
    config = Config()
    if args and not args[0].startswith("--"):
        config.load_file(Path(args[0]))
        args = args[1:]
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(args):
        name = args[i]
        if not name.startswith("--") or len(name) == 2:
            raise ConfigError(f"expected --name value, got {name!r}")
        values: list[str] = []
        i += 1
        while i < len(args) and not args[i].startswith("--"):
            values.append(args[i])
            i += 1
        pairs.append((name[2:], " ".join(values)))
    config.set_many(pairs, at_start=True)
    return config


def server_subcommand(args: list[str], services: ServiceFactory | None = None) -> int:
    try:
        config = parse_server_args(args)
    except UnknownSetting as exc:
        print(f"geokv: unknown setting '{exc.name}'", file=sys.stderr)
        return 2
    except InvalidValue as exc:
        print(f"geokv: invalid value for '{exc.name}': {exc.reason}", file=sys.stderr)
        return 2
    except (ConfigError, OSError) as exc:
        print(f"geokv: {exc}", file=sys.stderr)
        return 2
    if os.environ.get("PYTHONMALLOC") != "malloc":
        # All allocations through malloc, so used_memory (mallinfo2) counts Python
        # objects too; measured no slower than pymalloc for this workload.
        os.environ["PYTHONMALLOC"] = "malloc"
        os.execv(sys.executable, [sys.executable, "-m", "node", "server", *args])
    _setup_logging(config)
    from binlog import BinlogError, CorruptLog
    from node.core import Node
    from node.server import run

    try:
        run(Node(config), services(config) if services is not None else ())
    except CorruptLog as exc:
        directory = os.path.join(config["dir"], "binlog")
        print(
            f"geokv: cannot load the binlog: {directory}/{exc.file}: corrupt at offset "
            f"{exc.offset}: {exc.reason}. Check it with 'geokv binlog check {directory}'; "
            f"'geokv binlog check --fix {directory}' repairs what can be repaired "
            "(add --truncate-corrupt to drop the records after the damage).",
            file=sys.stderr,
        )
        return 1
    except (OSError, BinlogError) as exc:
        print(f"geokv: {exc}", file=sys.stderr)
        return 1
    return 0


def _setup_logging(config: Config) -> None:
    level = {"debug": logging.DEBUG, "verbose": logging.INFO, "notice": logging.INFO}.get(
        config["loglevel"], logging.WARNING
    )
    logfile = config["logfile"]
    logging.basicConfig(
        level=level,
        filename=logfile or None,
        format=f"%(process)d:{config['region-id']} %(asctime)s %(levelname)s %(message)s",
    )
