"""The shape of a command table entry and the constructor the declarations use.

Owns `CommandSpec` (name, arity, flags, legacy key positions, group, ACL
categories, subcommands) and `C`, the compact constructor of the declaration
modules. Must not know handlers, clients or the keyspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    arity: int
    flags: frozenset[str]
    first_key: int
    last_key: int
    step: int
    group: str
    acl_categories: frozenset[str]
    subcommands: dict[str, CommandSpec] = field(default_factory=dict)
    is_write: bool = False
    is_denyoom: bool = False

    def arity_ok(self, argc: int) -> bool:
        return argc == self.arity if self.arity > 0 else argc >= -self.arity

    def key_indexes(self, argc: int) -> range:
        if self.first_key == 0:
            return range(0)
        last = self.last_key if self.last_key >= 0 else argc + self.last_key
        return range(self.first_key, min(last, argc - 1) + 1, self.step)


def C(
    name: str,
    arity: int,
    flags: str,
    keys: tuple[int, int, int],
    group: str,
    acl: str,
    subs: tuple[CommandSpec, ...] = (),
) -> CommandSpec:
    flag_set = frozenset(flags.split())
    return CommandSpec(
        name=name,
        arity=arity,
        flags=flag_set,
        first_key=keys[0],
        last_key=keys[1],
        step=keys[2],
        group=group,
        acl_categories=frozenset(acl.split()),
        subcommands={s.name.split("|")[1]: s for s in subs},
        is_write="write" in flag_set,
        is_denyoom="denyoom" in flag_set,
    )
