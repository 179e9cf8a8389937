"""The hash commands' table declarations (values from Redis 7.0's COMMAND INFO).

Owns only these declarations; handlers live in node/handlers. Must not know handlers.
"""

from __future__ import annotations

from node.commands.spec import CommandSpec

COMMANDS: tuple[CommandSpec, ...] = ()
