"""Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB.

Owns their replies (RESP2 arrays, RESP3 push messages); the registry lives
in node.pubsub. Must not know sockets.

PUBLISH reaches this node's subscribers only (docs/semantics.md). Sharded
pub/sub (SSUBSCRIBE, SPUBLISH, PUBSUB SHARD*) is not served.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from node import errors
from node.client import Client
from node.core import Node
from node.glob import match
from node.registry import command
from node.reply import CommandError, Push, Replies, Simple


@command("subscribe")
def subscribe(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _confirm_each(client, b"subscribe", argv[1:], node.pubsub.subscribe)


@command("psubscribe")
def psubscribe(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _confirm_each(client, b"psubscribe", argv[1:], node.pubsub.psubscribe)


@command("unsubscribe")
def unsubscribe(node: Node, client: Client, argv: list[bytes]) -> Any:
    names = argv[1:] or list(client.channels)
    return _confirm_each(client, b"unsubscribe", names, node.pubsub.unsubscribe)


@command("punsubscribe")
def punsubscribe(node: Node, client: Client, argv: list[bytes]) -> Any:
    names = argv[1:] or list(client.patterns)
    return _confirm_each(client, b"punsubscribe", names, node.pubsub.punsubscribe)


def _confirm_each(
    client: Client, kind: bytes, names: list[bytes], change: Callable[[Client, bytes], bool]
) -> Replies:
    """Change one subscription per name and confirm each with the client's new count.

    Confirmations are push messages: RESP3 sends them out of band, RESP2 as arrays.
    """
    if not names:
        # Leaving everything when subscribed to nothing: Redis confirms once, naming nothing.
        return Replies([Push([kind, None, client.subscriptions])])
    replies: list[Any] = []
    for name in names:
        change(client, name)
        replies.append(Push([kind, name, client.subscriptions]))
    return Replies(replies)


@command("publish")
def publish(node: Node, client: Client, argv: list[bytes]) -> Any:
    return node.publish(argv[1], argv[2])


# -- PUBSUB introspection -------------------------------------------------------------------

_PUBSUB_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "HELP",
    "    Prints this help.",
]


@command("pubsub|help")
def pubsub_help(node: Node, client: Client, argv: list[bytes]) -> Any:
    # Redis 7.0 also lists SHARDCHANNELS and SHARDNUMSUB, which geokv does not serve.
    return [Simple(line) for line in _PUBSUB_HELP]


@command("pubsub|channels")
def pubsub_channels(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.subcommand_syntax(argv[1], "pubsub"))
    pattern = argv[2] if len(argv) == 3 else b"*"
    return [channel for channel in node.pubsub.channels if match(pattern, channel)]


@command("pubsub|numsub")
def pubsub_numsub(node: Node, client: Client, argv: list[bytes]) -> Any:
    # A flat array in RESP3 too, as Redis 7.0 answers.
    out: list[Any] = []
    for channel in argv[2:]:
        out.append(channel)
        out.append(len(node.pubsub.channels.get(channel, ())))
    return out


@command("pubsub|numpat")
def pubsub_numpat(node: Node, client: Client, argv: list[bytes]) -> Any:
    return len(node.pubsub.patterns)
