"""Clients blocked on keys (BLPOP, BRPOP, BLMOVE): who waits for what, in which order.

Owns the per-key FIFO queues of blocked clients, the keys signalled ready
since they were last served, serving the waiters of a ready key (running the
pop a blocked command left for it, sending the reply, resuming the client's
session) and blocking timeouts. A handler that must wait returns a `Block`;
the session parks itself here and stops reading its client's commands.
Must not know list semantics (the `Block` carries how to serve), sockets or
event loops: replies leave through `client.send`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from node.reply import NULL_ARRAY, CommandError, Error

if TYPE_CHECKING:
    from node.client import Client
    from node.core import Node

# Runs the blocked command against a key that changed: its reply, or None when
# the key still has nothing for the client (empty, or of another type).
Serve = Callable[["Node", "Client", bytes], Any]


@dataclass(slots=True)
class Block:
    """A handler's answer meaning "wait": the keys (served in FIFO order per
    key), the monotonic deadline in seconds (None: forever), and how to serve."""

    keys: tuple[bytes, ...]
    deadline: float | None
    serve: Serve


@dataclass(slots=True, eq=False)
class Waiter:
    client: Client
    block: Block
    resume: Callable[[], None]


class Blocking:
    def __init__(self) -> None:
        self.queues: dict[bytes, deque[Waiter]] = {}
        self.waiters: dict[int, Waiter] = {}
        # Keys written since their waiters were last served, in signal order.
        self.ready: dict[bytes, None] = {}
        self._serving = False

    def __len__(self) -> int:
        return len(self.waiters)

    def is_blocked(self, client: Client) -> bool:
        return client.id in self.waiters

    def block(self, client: Client, block: Block, resume: Callable[[], None]) -> None:
        """Park `client`; `resume` continues its session once it has its reply."""
        waiter = Waiter(client, block, resume)
        self.waiters[client.id] = waiter
        for key in dict.fromkeys(block.keys):
            self.queues.setdefault(key, deque()).append(waiter)

    def signal(self, key: bytes) -> None:
        """`key` was written: its waiters are served at the next `serve_ready`."""
        if key in self.queues:
            self.ready[key] = None

    def drop(self, client: Client) -> None:
        """Forget a client (served, timed out, disconnected or killed)."""
        waiter = self.waiters.pop(client.id, None)
        if waiter is None:
            return
        for key in dict.fromkeys(waiter.block.keys):
            queue = self.queues[key]
            queue.remove(waiter)
            if not queue:
                del self.queues[key]
                self.ready.pop(key, None)

    def serve_ready(self, node: Node) -> None:
        """Serve the waiters of every ready key, oldest first, while the key has
        something for them. Writes a served command makes (BLMOVE's push) signal
        more keys, served in the same loop; a call made while serving returns."""
        if self._serving:
            return
        self._serving = True
        try:
            while self.ready:
                key = next(iter(self.ready))
                del self.ready[key]
                self._serve_key(node, key)
        finally:
            self._serving = False

    def _serve_key(self, node: Node, key: bytes) -> None:
        while key in self.queues:
            waiter = self.queues[key][0]
            node.tick()
            try:
                reply = waiter.block.serve(node, waiter.client, key)
            except CommandError as exc:
                reply = Error(exc.message)
            finally:
                node.commit()
            if reply is None:
                return
            self._finish(waiter, reply)

    def _finish(self, waiter: Waiter, reply: Any) -> None:
        client = waiter.client
        self.drop(client)
        client.send(client.encode(reply))
        waiter.resume()

    def expire(self, node: Node) -> int:
        """Answer every waiter whose timeout has passed with a null array; returns how many."""
        now = node.clock.monotonic()
        due = [
            w
            for w in self.waiters.values()
            if w.block.deadline is not None and w.block.deadline <= now
        ]
        for waiter in due:
            self._finish(waiter, NULL_ARRAY)
        self.serve_ready(node)
        return len(due)
