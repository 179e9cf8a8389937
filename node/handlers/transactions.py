"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

Owns queueing rules and EXEC: every write of a transaction becomes one effect
record, so a transaction replicates atomically. Must not know sockets.

The dispatcher queues commands while `client.multi` is set and flags
`client.multi_error` when it refuses one; the node keeps WATCH bookkeeping
(`dirty_cas`, keys expired when watched) because every write touches it.
"""

from __future__ import annotations

from typing import Any

from node import errors
from node.acl import NOPERM_CHANNEL, NOPERM_KEY
from node.client import Client
from node.core import Node
from node.registry import command
from node.reply import NULL_ARRAY, OK, CommandError, Error, Push, Replies

# How EXEC words a queued command's ACL denial (Redis 7.0's execCommand).
_ACL_REASONS = {
    NOPERM_KEY: "no permission to touch the specified keys",
    NOPERM_CHANNEL: "no permission to access one of the channels used as arguments",
}


@command("multi")
def multi(node: Node, client: Client, argv: list[bytes]) -> Any:
    if client.multi is not None:
        raise CommandError(errors.MULTI_NESTED)
    client.multi = []
    client.multi_error = False
    return OK


@command("discard")
def discard(node: Node, client: Client, argv: list[bytes]) -> Any:
    if client.multi is None:
        raise CommandError(errors.DISCARD_WITHOUT_MULTI)
    node.end_transaction(client)
    return OK


@command("watch")
def watch(node: Node, client: Client, argv: list[bytes]) -> Any:
    if client.multi is not None:
        raise CommandError(errors.WATCH_IN_MULTI)
    for key in argv[1:]:
        node.watch(client, key)
    return OK


@command("unwatch")
def unwatch(node: Node, client: Client, argv: list[bytes]) -> Any:
    node.unwatch(client)
    return OK


@command("exec")
def exec_(node: Node, client: Client, argv: list[bytes]) -> Any:
    queued = client.multi
    if queued is None:
        raise CommandError(errors.EXEC_WITHOUT_MULTI)
    if client.multi_error:
        node.end_transaction(client)
        raise CommandError(errors.EXECABORT)
    if client.dirty_cas or node.watched_key_expired(client):
        node.end_transaction(client)
        return NULL_ARRAY
    # Imported here: the dispatcher imports every handler module at load time.
    from node.dispatch import acl_denial, call

    node.unwatch(client)
    replies: list[Any] = []
    try:
        # client.multi stays set while the commands run, as CLIENT_MULTI does in
        # Redis: the dispatcher then defers every commit, and the EXEC's own
        # call() commits all their ops as one record once it is cleared below.
        for spec, cmd in queued:
            # ACL rules may have changed since the command was queued.
            denied = acl_denial(node, client, spec, cmd)
            if denied is not None:
                reason = _ACL_REASONS.get(
                    denied, "no permission to execute the command or subcommand"
                )
                replies.append(Error(errors.acl_changed_in_multi(reason)))
                continue
            replies.append(_in_array(call(node, client, spec, cmd, tick=False)))
    finally:
        node.end_transaction(client)
    return replies


def _in_array(reply: Any) -> Any:
    """One command's slot in EXEC's array.

    Deliberate difference: Redis 7.0 writes every reply of a multi-reply command
    (SUBSCRIBE a b) into EXEC's array, whose length counts commands, so the
    reply is malformed; geokv nests that command's replies as one array element.
    """
    if type(reply) is not Replies:
        return reply
    return [item.items if type(item) is Push else item for item in reply.items]
