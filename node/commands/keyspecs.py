"""Key specs and command tips (Redis 7's COMMAND INFO fields 8 and 9) and key extraction from them.

Owns `keyspecs.json` (taken from the reference redis-server 7.0.15's COMMAND
output: tips and key specs of every Redis command), the spec a command
outside that file gets from its legacy (first, last, step) positions, and
Redis's getKeysUsingKeySpecs walk that COMMAND GETKEYS answers with.
Must not know handlers, clients or the keyspace.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from node.commands.spec import CommandSpec
from node.numbers import parse_int

KeySpec = dict[str, Any]


@cache
def _data() -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = json.loads(
        (Path(__file__).parent / "keyspecs.json").read_text()
    )
    return loaded


def tips(spec: CommandSpec) -> list[str]:
    found: list[str] = _data().get(spec.name, {}).get("tips", [])
    return found


def key_specs(spec: CommandSpec) -> list[KeySpec]:
    entry = _data().get(spec.name)
    if entry is not None:
        found: list[KeySpec] = entry.get("key_specs", [])
        return found
    return _legacy_spec(spec)


def _legacy_spec(spec: CommandSpec) -> list[KeySpec]:
    """A command Redis lacks: one index/range spec from its (first, last, step)."""
    if spec.first_key == 0:
        return []
    last = spec.last_key - spec.first_key if spec.last_key >= 0 else spec.last_key
    return [
        {
            "flags": ["RW", "access", "update"] if spec.is_write else ["RO", "access"],
            "begin_search": {"type": "index", "spec": {"index": spec.first_key}},
            "find_keys": {
                "type": "range",
                "spec": {"lastkey": last, "keystep": spec.step, "limit": 0},
            },
        }
    ]


def get_keys(spec: CommandSpec, argv: list[bytes]) -> list[int] | None:
    """Positions of the keys in argv (argv[0] is the command), None when the specs cannot tell."""
    positions: list[int] = []
    for ks in key_specs(spec):
        if "not_key" in ks["flags"]:
            continue
        found = _positions(ks, argv)
        if found is None:
            return None
        # Variadic commands are not arity-checked past the minimum; out-of-range keys are skipped.
        positions.extend(i for i in found if i < len(argv))
    return positions


def _positions(ks: KeySpec, argv: list[bytes]) -> range | None:
    """The argv positions one spec names (empty when its keyword is absent); None when invalid."""
    argc = len(argv)
    first = _begin(ks["begin_search"], argv)
    if first is None:
        return None
    if first == 0:
        return range(0)
    find = ks["find_keys"]
    fk = find["spec"]
    if find["type"] == "range":
        if fk["lastkey"] >= 0:
            last = first + fk["lastkey"]
        elif not fk["limit"]:
            last = argc + fk["lastkey"]
        else:
            last = first + ((argc - first) // fk["limit"] + fk["lastkey"])
        step = fk["keystep"]
    elif find["type"] == "keynum":
        index = first + fk["keynumidx"]
        numkeys = parse_int(argv[index]) if index < argc else None
        if numkeys is None or numkeys < 0:
            return None
        first += fk["firstkey"]
        last = first + numkeys - 1
        step = fk["keystep"]
    else:
        return None
    if last >= argc or last < first or first >= argc:
        return None
    return range(first, last + 1, step)


def _begin(begin: dict[str, Any], argv: list[bytes]) -> int | None:
    """Index of a spec's first key; 0 when its keyword is absent; None when unknown."""
    bs = begin["spec"]
    if begin["type"] == "index":
        index: int = bs["index"]
        return index
    if begin["type"] != "keyword":
        return None
    argc = len(argv)
    keyword = bs["keyword"].lower().encode()
    start = bs["startfrom"]
    # Like Redis, the search stops before the end it walks towards (a keyword needs a key after it).
    indexes = range(start, argc - 1) if start > 0 else range(argc + start, 1, -1)
    for i in indexes:
        if 1 <= i < argc and argv[i].lower() == keyword:
            return i + 1
    return 0
