"""Where handler modules register the function that serves each command of the table.

Owns the name -> handler map and the decorator that fills it. The table says
what a command is; this says who runs it. Must not know the dispatcher.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from node.client import Client
    from node.core import Node

Handler = Callable[["Node", "Client", list[bytes]], Any]
HANDLERS: dict[str, Handler] = {}


def command(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler for table names ('get', 'config|get')."""

    def register(fn: Handler) -> Handler:
        for name in names:
            if name in HANDLERS:
                raise RuntimeError(f"two handlers for {name!r}")
            HANDLERS[name] = fn
        return fn

    return register
