"""Protected mode: without a password, only loopback peers may connect.

Only loopback traffic is possible here, so the accept path is driven with a
fake transport that reports a remote peer address.
"""

from __future__ import annotations

from typing import Any

import pytest

from node.config import Config
from node.core import Node
from node.server import RespProtocol, Server


class FakeTransport:
    def __init__(self, peer: tuple[str, int]) -> None:
        self.peer = peer
        self.written = b""
        self.closed = False

    def get_extra_info(self, name: str) -> Any:
        return {"peername": self.peer, "sockname": ("127.0.0.1", 6379)}.get(name)

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return 0


def accept(node: Node, host: str) -> FakeTransport:
    transport = FakeTransport((host, 40000))
    RespProtocol(Server(node), tls=False).connection_made(transport)  # type: ignore[arg-type]
    return transport


def node_with(*pairs: tuple[str, str]) -> Node:
    config = Config()
    config.set_many(pairs, at_start=True)
    return Node(config)


@pytest.mark.parametrize("host", ["10.1.2.3", "2001:db8::1", "192.168.0.7"])
def test_remote_peer_is_denied_without_a_password(host: str) -> None:
    node = node_with()
    transport = accept(node, host)
    assert transport.written.startswith(
        b"-DENIED Redis is running in protected mode because protected mode is enabled"
    )
    assert transport.written.endswith(b"accepting connections from the outside.\r\n")
    assert transport.closed
    assert node.clients == {}
    assert node.stats.rejected_connections == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "127.0.0.5"])
def test_loopback_peer_is_accepted(host: str) -> None:
    node = node_with()
    transport = accept(node, host)
    assert transport.written == b""
    assert not transport.closed
    assert len(node.clients) == 1


def test_remote_peer_is_accepted_with_requirepass() -> None:
    transport = accept(node_with(("requirepass", "pw")), "10.1.2.3")
    assert not transport.closed


def test_remote_peer_is_accepted_with_protected_mode_off() -> None:
    transport = accept(node_with(("protected-mode", "no")), "10.1.2.3")
    assert not transport.closed


def test_remote_peer_is_accepted_once_the_default_user_has_a_password() -> None:
    node = node_with()
    node.acl.setuser("default", [b">pw"])
    assert not accept(node, "10.1.2.3").closed
    node.acl.setuser("default", [b"nopass"])
    assert accept(node, "10.1.2.3").closed
