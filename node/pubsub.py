"""Local publish/subscribe registry: channels and patterns to subscribed clients.

Owns who listens to what and message delivery to local clients, in RESP2
arrays or RESP3 push messages. Must not know sockets (clients carry a `send`
callback) or replication.
"""

from __future__ import annotations

from node.client import Client
from node.glob import compile_pattern
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
        receivers = 0
        for client in list(self.channels.get(channel, ())):
            client.send(client.encode(Push([b"message", channel, message])))
            receivers += 1
        for pattern, clients in list(self.patterns.items()):
            if compile_pattern(pattern)(channel) is None:
                continue
            for client in list(clients):
                client.send(client.encode(Push([b"pmessage", pattern, channel, message])))
                receivers += 1
        return receivers
