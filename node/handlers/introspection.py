"""COMMAND and its subcommands: the command table as clients see it (COMMAND INFO, DOCS, LIST, ...).

Owns the Redis 7.0 shapes of those replies (the 10-element COMMAND INFO
entry, COMMAND DOCS maps), served from node.commands.table, its docs.json
and node.commands.keyspecs. Must not know sockets or how commands run.
"""

from __future__ import annotations

from typing import Any

from node.client import Client
from node.commands.keyspecs import get_keys, key_specs, tips
from node.commands.spec import CommandSpec
from node.commands.table import COMMANDS, TABLE, all_specs, docs
from node.core import Node
from node.errors import SYNTAX
from node.glob import match
from node.handlers.server import help_lines
from node.registry import command
from node.reply import CommandError, OrderedSet, Simple

# The order Redis lists command flags and ACL categories in (its bit order).
_FLAG_ORDER = [
    "write",
    "readonly",
    "denyoom",
    "module",
    "admin",
    "pubsub",
    "noscript",
    "blocking",
    "loading",
    "stale",
    "skip_monitor",
    "skip_slowlog",
    "asking",
    "fast",
    "no_auth",
    "may_replicate",
    "sentinel",
    "only_sentinel",
    "no_mandatory_keys",
    "protected",
    "module_getkeys",
    "module_no_cluster",
    "no_async_loading",
    "no_multi",
    "movablekeys",
    "allow_busy",
]
_ACL_ORDER = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
]
_DOC_ORDER = [
    "summary",
    "since",
    "group",
    "complexity",
    "module",
    "doc_flags",
    "deprecated_since",
    "replaced_by",
    "history",
    "arguments",
    "subcommands",
]
_ARG_ORDER = [
    "name",
    "type",
    "key_spec_index",
    "token",
    "summary",
    "since",
    "deprecated_since",
    "flags",
    "value",
    "arguments",
]
_SET_VALUED = frozenset({"flags", "doc_flags"})

_HELP = [
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "HELP",
    "    Prints this help.",
]


def find(name: bytes) -> CommandSpec | None:
    """A command or a 'container|sub' name, case-insensitive, like lookupCommandBySds."""
    text = name.decode("utf-8", "replace").lower()
    parent, _, sub = text.partition("|")
    spec = COMMANDS.get(parent)
    if spec is None or not sub:
        return spec
    return spec.subcommands.get(sub)


def _ordered(names: frozenset[str], order: list[str], prefix: str = "") -> OrderedSet:
    known = [n for n in order if n in names]
    extra = sorted(names.difference(order))
    return OrderedSet(Simple(prefix + n) for n in known + extra)


def _key_spec_reply(ks: dict[str, Any]) -> dict[bytes, Any]:
    out: dict[bytes, Any] = {}
    for field, value in ks.items():
        if field == "flags":
            out[b"flags"] = OrderedSet(Simple(f) for f in value)
        else:
            out[field.encode()] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    """JSON data as reply values: text as bulk strings, objects as maps."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, dict):
        return {k.encode(): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def info_entry(spec: CommandSpec) -> list[Any]:
    """COMMAND INFO's 10 fields for one command (subcommands nested)."""
    return [
        spec.name.encode(),
        spec.arity,
        _ordered(spec.flags, _FLAG_ORDER),
        spec.first_key,
        spec.last_key,
        spec.step,
        _ordered(spec.acl_categories, _ACL_ORDER, "@"),
        OrderedSet(t.encode() for t in tips(spec)),
        OrderedSet(_key_spec_reply(ks) for ks in key_specs(spec)),
        OrderedSet(info_entry(sub) for sub in spec.subcommands.values()),
    ]


def _doc_reply(doc: dict[str, Any], order: list[str]) -> dict[bytes, Any]:
    out: dict[bytes, Any] = {}
    for field in order:
        if field not in doc:
            continue
        value = doc[field]
        if field in _SET_VALUED:
            out[field.encode()] = OrderedSet(Simple(f) for f in value)
        elif field == "arguments":
            out[b"arguments"] = [_doc_reply(arg, _ARG_ORDER) for arg in value]
        elif field == "subcommands":
            out[b"subcommands"] = {
                name.encode(): _doc_reply(sub, _DOC_ORDER) for name, sub in value.items()
            }
        else:
            out[field.encode()] = _plain(value)
    return out


def doc_entry(spec: CommandSpec) -> dict[bytes, Any]:
    parent, _, sub = spec.name.partition("|")
    doc = docs().get(parent)
    if doc is not None and sub:
        doc = doc.get("subcommands", {}).get(spec.name)
    # A command without docs still tells its group, which redis-cli's help sorts by.
    return _doc_reply(doc if doc is not None else {"group": spec.group}, _DOC_ORDER)


@command("command")
def command_all(node: Node, client: Client, argv: list[bytes]) -> Any:
    return [info_entry(spec) for spec in TABLE]


@command("command|count")
def command_count(node: Node, client: Client, argv: list[bytes]) -> Any:
    return len(TABLE)


@command("command|info")
def command_info(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        return [info_entry(spec) for spec in TABLE]
    out: list[Any] = []
    for name in argv[2:]:
        spec = find(name)
        out.append(None if spec is None else info_entry(spec))
    return out


@command("command|docs")
def command_docs(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        return {spec.name.encode(): doc_entry(spec) for spec in TABLE}
    out: dict[bytes, Any] = {}
    for name in argv[2:]:
        spec = find(name)
        if spec is not None:
            out[spec.name.encode()] = doc_entry(spec)
    return out


@command("command|list")
def command_list(node: Node, client: Client, argv: list[bytes]) -> Any:
    specs = all_specs()
    if len(argv) == 2:
        return [spec.name.encode() for spec in specs]
    if len(argv) != 5 or argv[2].lower() != b"filterby":
        raise CommandError(SYNTAX)
    kind, arg = argv[3].lower(), argv[4]
    if kind == b"module":
        return []  # geokv has no modules
    if kind == b"aclcat":
        category = arg.decode("utf-8", "replace").lower()
        return [spec.name.encode() for spec in specs if category in spec.acl_categories]
    if kind == b"pattern":
        return [spec.name.encode() for spec in specs if match(arg, spec.name.encode(), True)]
    raise CommandError(SYNTAX)


@command("command|getkeys")
def command_getkeys(node: Node, client: Client, argv: list[bytes]) -> Any:
    target = argv[2:]
    spec = COMMANDS.get(target[0].decode("utf-8", "replace").lower())
    if spec is not None and spec.subcommands and len(target) >= 2:
        spec = spec.subcommands.get(target[1].decode("utf-8", "replace").lower())
    if spec is None:
        raise CommandError("ERR Invalid command specified")
    if not key_specs(spec):
        raise CommandError("ERR The command has no key arguments")
    if not spec.arity_ok(len(target)):
        raise CommandError("ERR Invalid number of arguments specified for command")
    positions = get_keys(spec, target)
    if not positions:
        if "no_mandatory_keys" in spec.flags:
            return []
        raise CommandError("ERR Invalid arguments specified for command")
    return [target[i] for i in positions]


@command("command|help")
def command_help(node: Node, client: Client, argv: list[bytes]) -> Any:
    return help_lines(_HELP)
