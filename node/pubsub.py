"""Local publish/subscribe registry: channels and patterns to subscribed clients.

Owns who listens to what and message delivery to local clients, in RESP2
arrays or RESP3 push messages. Must not know sockets (clients carry a `send`
callback) or replication.
"""

from __future__ import annotations

from node.client import Client
from node.glob import match
from node.reply import Push


class PubSub:
    def __init__(self) -> None:
        self.channels: dict[bytes, dict[Client, None]] = {}
        self.patterns: dict[bytes, dict[Client, None]] = {}

    def subscribe(self, client: Client, channel: bytes) -> bool:
        if channel in client.channels:
            return False
        client.channels.add(channel)
        self.channels.setdefault(channel, {})[client] = None
        return True

    def unsubscribe(self, client: Client, channel: bytes) -> bool:
        if channel not in client.channels:
            return False
        client.channels.discard(channel)
        listeners = self.channels.get(channel)
        if listeners is not None:
            listeners.pop(client, None)
            if not listeners:
                del self.channels[channel]
        return True

    def psubscribe(self, client: Client, pattern: bytes) -> bool:
        if pattern in client.patterns:
            return False
        client.patterns.add(pattern)
        self.patterns.setdefault(pattern, {})[client] = None
        return True

    def punsubscribe(self, client: Client, pattern: bytes) -> bool:
        if pattern not in client.patterns:
            return False
        client.patterns.discard(pattern)
        listeners = self.patterns.get(pattern)
        if listeners is not None:
            listeners.pop(client, None)
            if not listeners:
                del self.patterns[pattern]
        return True

    def drop(self, client: Client) -> None:
        for channel in list(client.channels):
            self.unsubscribe(client, channel)
        for pattern in list(client.patterns):
            self.punsubscribe(client, pattern)

    def publish(self, channel: bytes, message: bytes) -> int:
        """Deliver to channel subscribers, then pattern subscribers; returns deliveries.

        A client subscribed to the channel and to matching patterns gets (and
        counts) one message for each, as in Redis.
        """
        receivers = 0
        listeners = self.channels.get(channel)
        if listeners:
            receivers += _deliver(list(listeners), Push([b"message", channel, message]))
        for pattern, clients in list(self.patterns.items()):
            if match(pattern, channel):
                receivers += _deliver(list(clients), Push([b"pmessage", pattern, channel, message]))
        return receivers


def _deliver(clients: list[Client], push: Push) -> int:
    """Send one message to each client, encoding it once per protocol version."""
    encoded: dict[int, bytes] = {}
    for client in clients:
        data = encoded.get(client.resp)
        if data is None:
            data = encoded[client.resp] = client.encode(push)
        client.send(data)
    return len(clients)
