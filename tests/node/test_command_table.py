"""The command table and the handler registry agree: every command has a handler and vice versa."""

from __future__ import annotations

import node.dispatch  # noqa: F401  (importing it registers every handler)
from node.commands.keyspecs import get_keys, key_specs
from node.commands.spec import C, CommandSpec
from node.commands.table import TABLE, all_specs
from node.registry import HANDLERS


def _callable_specs() -> list[str]:
    """Leaf commands and subcommands, plus containers whose arity lets them run bare (COMMAND)."""
    return [
        spec.name
        for spec in all_specs()
        if not spec.subcommands or spec.arity == -1 or spec.arity == 1
    ]


def test_every_table_entry_has_a_handler() -> None:
    missing = sorted(set(_callable_specs()) - set(HANDLERS))
    assert missing == [], f"table entries without a handler: {missing}"


def test_every_handler_has_a_table_entry() -> None:
    orphans = sorted(set(HANDLERS) - {spec.name for spec in all_specs()})
    assert orphans == [], f"handlers the table does not know: {orphans}"


def test_containers_that_need_a_subcommand_fail_arity_when_bare() -> None:
    for spec in TABLE:
        if spec.subcommands and spec.name not in HANDLERS:
            assert not spec.arity_ok(1), spec.name


def test_key_positions_agree_with_key_specs() -> None:
    """A command with legacy key positions has a key spec, so COMMAND GETKEYS can answer."""
    for spec in all_specs():
        if spec.first_key:
            assert key_specs(spec), spec.name


def _spec(name: str, arity: int) -> CommandSpec:
    return C(name, arity, "write denyoom movablekeys", (1, 1, 1), "sortedset", "write slow")


def test_get_keys_follows_keynum_and_keyword_specs() -> None:
    zunionstore = _spec("zunionstore", -4)
    argv = [b"zunionstore", b"dest", b"2", b"a", b"b", b"WEIGHTS", b"1", b"2"]
    assert get_keys(zunionstore, argv) == [1, 3, 4]
    assert get_keys(zunionstore, [b"zunionstore", b"dest", b"x", b"a"]) is None
    georadius = _spec("georadius", -6)
    base = [b"georadius", b"k", b"0", b"0", b"1", b"km"]
    assert get_keys(georadius, base) == [1]
    assert get_keys(georadius, [*base, b"store", b"dst"]) == [1, 7]
    # Key names that derive from data ('unknown' specs) cannot be told from the arguments.
    assert get_keys(_spec("sort", -2), [b"sort", b"k"]) is None
