"""Per-connection client state.

Owns what Redis keeps in its `client` struct that commands read or change:
identity, protocol version, authentication, transaction and pub/sub state,
and the two callbacks the I/O adapter installs to push bytes and to close.
Must not know sockets or event loops (the adapter supplies the callbacks).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from node.reply import encode_resp2, encode_resp3

if TYPE_CHECKING:
    from node.commands.spec import CommandSpec

_ids = itertools.count(1)


def _noop_send(data: bytes) -> None:
    return None


def _noop_close() -> None:
    return None


class Client:
    def __init__(self, addr: str = "127.0.0.1:0", laddr: str = "127.0.0.1:0", fd: int = -1) -> None:
        self.id = next(_ids)
        self.addr = addr
        self.laddr = laddr
        self.fd = fd
        self.name = b""
        self.lib_name = b""
        self.lib_ver = b""
        self.created = time.monotonic()
        self.last_interaction = self.created
        self.last_command = b"NULL"
        self.resp = 2
        self.encode: Callable[[Any], bytes] = encode_resp2
        self.user = "default"
        self.authenticated = False
        self.db = 0
        # MULTI state: queued commands, or None outside a transaction.
        self.multi: list[tuple[CommandSpec, list[bytes]]] | None = None
        self.multi_error = False
        # WATCHed keys -> whether the key was already logically expired when watched.
        self.watched: dict[bytes, bool] = {}
        self.dirty_cas = False
        self.channels: set[bytes] = set()
        self.patterns: set[bytes] = set()
        self.close_after_reply = False
        self.closed = False
        self.tls = False
        # Installed by the I/O adapter.
        self.send: Callable[[bytes], None] = _noop_send
        self.close: Callable[[], None] = _noop_close
        self.output_pending: Callable[[], int] = lambda: 0
        self.query_pending: Callable[[], int] = lambda: 0

    def set_protocol(self, version: int) -> None:
        self.resp = version
        self.encode = encode_resp3 if version == 3 else encode_resp2

    @property
    def subscriptions(self) -> int:
        return len(self.channels) + len(self.patterns)

    @property
    def in_pubsub_context(self) -> bool:
        """RESP2 clients with subscriptions may only run the pub/sub commands."""
        return self.resp == 2 and bool(self.channels or self.patterns)

    def flags(self) -> str:
        """CLIENT LIST's flags=, letters in Redis's order."""
        out = ""
        if self.channels or self.patterns:
            out += "P"
        if self.multi is not None:
            out += "x"
        if self.dirty_cas:
            out += "d"
        if self.close_after_reply:
            out += "c"
        return out or "N"
