"""One client connection, sans-I/O: request bytes in, reply bytes out.

Owns the parser of a connection and the loop that dispatches each complete
command and encodes its reply in the client's protocol version. The I/O
adapter only moves bytes and honours `client.close_after_reply`. A blocking
command (BLPOP) parks the session: it reads no further command until the
blocking registry answers the client and calls `resume`.
Must not know sockets or event loops.
"""

from __future__ import annotations

from node.blocking import Block
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
        self.blocked = False

    def receive(self, data: bytes) -> bytes:
        """Feed bytes; returns every reply they produced, ready to send."""
        self.node.stats.net_input_bytes += len(data)
        result = self._run(data)
        self.node.stats.net_output_bytes += len(result)
        return result

    def resume(self) -> None:
        """The blocked command has been answered: run the commands that waited behind it."""
        self.blocked = False
        client = self.client
        out = self._run(b"")
        if out:
            client.send(out)
        if client.close_after_reply:
            client.close()

    def _run(self, data: bytes) -> bytes:
        client = self.client
        parser = self.parser
        node = self.node
        out: list[bytes] = []
        # What this client's own commands push to it (a PUBLISH to a channel it
        # listens to) keeps its place among its replies, as in Redis.
        send, client.send = client.send, out.append
        try:
            parser.feed(data)
            while not self.blocked and not client.close_after_reply and not client.closed:
                argv = parser.next()
                if argv is None:
                    break
                reply = dispatch(node, client, argv)
                if type(reply) is Block:
                    node.blocking.block(client, reply, self.resume)
                    self.blocked = True
                elif type(reply) is Replies:
                    out.extend(client.encode(item) for item in reply.items)
                elif reply is not NO_REPLY:
                    out.append(client.encode(reply))
                parser.auth_required = not client.authenticated
                if node.blocking.ready:
                    node.blocking.serve_ready(node)
        except QueryBufferExceeded:
            client.close_after_reply = True
        except ProtocolError as exc:
            node.stats.error("ERR")
            out.append(client.encode(Error("ERR " + str(exc))))
            client.close_after_reply = True
        finally:
            client.send = send
        return b"".join(out)
