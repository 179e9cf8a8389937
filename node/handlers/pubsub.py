"""Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB.

Owns their replies (RESP2 arrays, RESP3 push messages); the registry lives
in node.pubsub. Must not know sockets.
"""
