"""String commands refuse a key of another type with Redis's WRONGTYPE error.

Only strings exist so far, so a stand-in value of another type is placed in the
keyspace directly; the commands must reject it and leave it untouched.
"""

from __future__ import annotations

import pytest

from node.client import Client
from node.core import Node
from node.dispatch import dispatch
from node.errors import WRONGTYPE
from node.reply import Error


class OtherType:
    """Shaped like a CRDT value of a type that is not a string."""

    TYPE = b"set"

    def get(self) -> bytes:
        return b"not a string"

    def observed(self) -> tuple[()]:
        return ()


@pytest.fixture
def node_and_client() -> tuple[Node, Client]:
    node = Node()
    client = Client()
    node.connect(client)
    node.keyspace.data[b"other"] = OtherType()  # type: ignore[assignment]
    return node, client


@pytest.mark.parametrize(
    "argv",
    [
        ["GET", "other"],
        ["GETSET", "other", "v"],
        ["GETDEL", "other"],
        ["GETEX", "other", "PERSIST"],
        ["SET", "other", "v", "GET"],
        ["APPEND", "other", "x"],
        ["STRLEN", "other"],
        ["GETRANGE", "other", "0", "-1"],
        ["SETRANGE", "other", "0", "x"],
        ["INCR", "other"],
        ["INCRBY", "other", "2"],
        ["DECR", "other"],
        ["DECRBY", "other", "2"],
        ["INCRBYFLOAT", "other", "1.5"],
        ["SETBIT", "other", "1", "1"],
        ["GETBIT", "other", "1"],
        ["BITCOUNT", "other"],
        ["BITPOS", "other", "1"],
        ["BITOP", "AND", "dest", "other"],
    ],
)
def test_string_commands_refuse_other_types(
    node_and_client: tuple[Node, Client], argv: list[str]
) -> None:
    node, client = node_and_client
    reply = dispatch(node, client, [a.encode() for a in argv])
    assert reply == Error(WRONGTYPE)
    assert isinstance(node.keyspace.data[b"other"], OtherType)


def test_mget_answers_nil_for_other_types(node_and_client: tuple[Node, Client]) -> None:
    node, client = node_and_client
    dispatch(node, client, [b"SET", b"s", b"v"])
    assert dispatch(node, client, [b"MGET", b"s", b"other", b"missing"]) == [b"v", None, None]


def test_type_reports_the_other_type(node_and_client: tuple[Node, Client]) -> None:
    node, client = node_and_client
    assert dispatch(node, client, [b"TYPE", b"other"]) == "set"
