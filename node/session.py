"""One client connection, sans-I/O: request bytes in, reply bytes out.

Owns the parser of a connection and the loop that dispatches each complete
command and encodes its reply in the client's protocol version. The I/O
adapter only moves bytes and honours `client.close_after_reply`.
Must not know sockets or event loops.
"""

from __future__ import annotations

from node.client import Client
from node.core import Node
from node.dispatch import dispatch
from node.reply import NO_REPLY, Error, Replies
from node.resp import ProtocolError, QueryBufferExceeded, RequestParser


class Session:
    def __init__(self, node: Node, client: Client) -> None:
        self.node = node
        self.client = client
        self.parser = RequestParser(
            node.config["proto-max-bulk-len"], node.config["client-query-buffer-limit"]
        )
        self.parser.auth_required = not client.authenticated
        client.query_pending = self.parser.buffered

    def receive(self, data: bytes) -> bytes:
        """Feed bytes; returns every reply they produced, ready to send."""
        client = self.client
        parser = self.parser
        node = self.node
        node.stats.net_input_bytes += len(data)
        out: list[bytes] = []
        # What this client's own commands push to it (a PUBLISH to a channel it
        # listens to) keeps its place among its replies, as in Redis.
        send, client.send = client.send, out.append
        try:
            parser.feed(data)
            while not client.close_after_reply and not client.closed:
                argv = parser.next()
                if argv is None:
                    break
                reply = dispatch(node, client, argv)
                if reply is NO_REPLY:
                    continue
                if type(reply) is Replies:
                    out.extend(client.encode(item) for item in reply.items)
                else:
                    out.append(client.encode(reply))
                parser.auth_required = not client.authenticated
        except QueryBufferExceeded:
            client.close_after_reply = True
        except ProtocolError as exc:
            node.stats.error("ERR")
            out.append(client.encode(Error("ERR " + str(exc))))
            client.close_after_reply = True
        finally:
            client.send = send
        result = b"".join(out)
        node.stats.net_output_bytes += len(result)
        return result
