"""The node's state and its single write path.

Owns the keyspace, the HLC, the effect sink, the connected clients, pub/sub,
WATCH bookkeeping, statistics and ACLs, and `write`/`commit`: a handler that
changes data calls `write(op)` for each effect op (applied at once, so later
reads in the same command or transaction see it) and the dispatcher calls
`commit()` once per command or EXEC, turning the ops into one effect record.
Must not know sockets or event loops.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from node.acl import Acl
from node.client import Client
from node.clock import Clock, SystemClock
from node.config import Config
from node.crdt.strings import StrValue
from node.effects import DelKey, EffectSink, MemorySink, Op, Record
from node.errors import WRONGTYPE
from node.hlc import HLC
from node.keyspace import Keyspace, Value
from node.pubsub import PubSub
from node.reply import CommandError
from node.stats import SlowLog, Stats


class Node:
    def __init__(
        self,
        config: Config | None = None,
        clock: Clock | None = None,
        sink: EffectSink | None = None,
    ) -> None:
        self.config = config or Config()
        self.clock = clock or SystemClock()
        self.region: str = self.config["region-id"]
        self.hlc = HLC(self.clock)
        self.keyspace = Keyspace(self.region)
        self.keyspace.on_expired = self._expire
        self.sink: EffectSink = sink or MemorySink()
        self.seq = 0
        self.clients: dict[int, Client] = {}
        self.pubsub = PubSub()
        self.watchers: dict[bytes, set[Client]] = {}
        self.stats = Stats()
        self.slowlog = SlowLog()
        self.acl = Acl()
        self.acl.set_requirepass(self.config["requirepass"])
        self.config.on_change(self._config_changed)
        self.started = time.time()
        self.now_ms = self.clock.wall_ms()
        self.dirty = 0
        # Set by the server: asks the process to shut down (SHUTDOWN, signals).
        self.request_shutdown: Callable[[], None] = lambda: None
        self._ops: list[Op] = []
        self._stamp = 0

    # -- clients ------------------------------------------------------------------

    def connect(self, client: Client) -> None:
        client.authenticated = not self.acl.needs_auth()
        self.clients[client.id] = client
        self.stats.connections_received += 1

    def disconnect(self, client: Client) -> None:
        client.closed = True
        self.clients.pop(client.id, None)
        self.pubsub.drop(client)
        self.unwatch(client)

    def authenticate(self, client: Client, username: str, password: bytes) -> bool:
        if not self.acl.authenticate(username, password):
            return False
        client.user = username
        client.authenticated = True
        return True

    # -- reads ----------------------------------------------------------------------

    def tick(self) -> None:
        """Refresh the per-command time: one command sees one instant, as in Redis."""
        self.now_ms = self.clock.wall_ms()

    def lookup(self, key: bytes) -> Value | None:
        return self.keyspace.lookup(key, self.now_ms)

    def read(self, key: bytes) -> Value | None:
        """A lookup that counts keyspace hits and misses."""
        value = self.keyspace.lookup(key, self.now_ms)
        if value is None:
            self.stats.keyspace_misses += 1
        else:
            self.stats.keyspace_hits += 1
        return value

    def read_str(self, key: bytes) -> StrValue | None:
        value = self.read(key)
        if value is not None and type(value) is not StrValue:
            raise CommandError(WRONGTYPE)
        return value

    # -- the write path ---------------------------------------------------------

    def next_stamp(self) -> int:
        """The stamp the next `write` will carry (allocated on the first op of a record)."""
        if not self._ops:
            self._stamp = self.hlc.now()
        stamp = self._stamp + len(self._ops)
        self.hlc.observe(stamp)
        return stamp

    def write(self, op: Op) -> None:
        stamp = self.next_stamp()
        op.apply(self.keyspace, self.region, stamp)
        self._ops.append(op)
        self.dirty += 1
        if self.watchers:
            self._touch(op)

    def commit(self) -> None:
        if not self._ops:
            return
        ops = tuple(self._ops)
        self._ops = []
        self.seq += 1
        self.keyspace.note_applied(self.region, self._stamp + len(ops) - 1)
        self.sink.append(Record(self.region, self.seq, self._stamp, ops))

    def delete(self, key: bytes) -> bool:
        """Observed-remove delete of one key; False when it did not exist."""
        value = self.lookup(key)
        if value is None:
            return False
        self.write(DelKey(key, self.observed_vv(), value.observed()))
        return True

    def observed_vv(self) -> tuple[tuple[str, int], ...]:
        """What a remove issued now has seen: everything applied, and this op's own past."""
        vv = dict(self.keyspace.vv)
        vv[self.region] = self.next_stamp()
        return tuple(vv.items())

    def _expire(self, key: bytes) -> None:
        value = self.keyspace.data.get(key)
        if value is None:
            return
        self.write(DelKey(key, self.observed_vv(), value.observed()))

    # -- WATCH ------------------------------------------------------------------------

    def watch(self, client: Client, key: bytes) -> None:
        if key not in client.watched:
            client.watched.add(key)
            self.watchers.setdefault(key, set()).add(client)

    def unwatch(self, client: Client) -> None:
        for key in client.watched:
            clients = self.watchers.get(key)
            if clients is not None:
                clients.discard(client)
                if not clients:
                    del self.watchers[key]
        client.watched.clear()
        client.dirty_cas = False

    def touch_key(self, key: bytes) -> None:
        for client in self.watchers.get(key, ()):
            client.dirty_cas = True

    def _touch(self, op: Op) -> None:
        key = getattr(op, "key", None)
        if key is not None:
            self.touch_key(key)
        else:
            for clients in self.watchers.values():
                for client in clients:
                    client.dirty_cas = True

    # -- configuration -------------------------------------------------------------

    def _config_changed(self, name: str, value: object) -> None:
        if name == "requirepass":
            self.acl.set_requirepass(str(value))
