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
from node.blocking import Blocking
from node.client import Client
from node.clock import Clock, SystemClock
from node.config import Config
from node.crdt.base import TypedObserved
from node.crdt.strings import StrValue
from node.effects import DelKey, EffectSink, Flush, MemorySink, Op, Publish, Record, apply_record
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
        self.clock = clock or SystemClock(self.config["clock-skew-ms"])
        self.region: str = self.config["region-id"]
        self.hlc = HLC(self.clock)
        self.keyspace = Keyspace(self.region)
        self.keyspace.on_expired = self._expire
        # Until the binlog is wired in, records go nowhere: they must not pile up.
        self.sink: EffectSink = sink or MemorySink(keep=0)
        # Set while this region's log may lack records of its own that peers hold
        # (node/runmark.py): nothing may then make a record of this origin, which
        # would take one of their seqs (the dispatcher refuses what would; expiry
        # waits). The replicator clears it.
        self.own_records_missing = False
        self.clients: dict[int, Client] = {}
        self.pubsub = PubSub()
        self.blocking = Blocking()
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
        # Called with each local op before it applies (a running snapshot saves the
        # key's state first); a path applying peers' records must call it too.
        self.before_write: Callable[[Op], None] | None = None
        # Makes a key current before anything reads it for a command or a write
        # (None: every key): a full sync merging key by key merges it first.
        self.prepare: Callable[[bytes | None], None] | None = None
        # Up to which keyspace mark removable metadata may go, given the newest
        # mark and the applied vector it stands for; None: a node without peers,
        # where nothing unseen can arrive. The replicator tracks causal stability.
        self.stable_mark: Callable[[int, dict[str, int]], int] | None = None
        # INFO crdt's fields about links to peers; the replicator provides them.
        self.replication_status: Callable[[], list[tuple[str, object]]] = list
        # Whether PUBLISH goes into records (for peers' subscribers); the replicator sets it.
        self.replicate_publish = False

    # -- clients ------------------------------------------------------------------

    def connect(self, client: Client) -> None:
        client.authenticated = not self.acl.needs_auth()
        self.clients[client.id] = client
        self.stats.connections_received += 1

    def disconnect(self, client: Client) -> None:
        client.closed = True
        self.clients.pop(client.id, None)
        self.pubsub.drop(client)
        self.blocking.drop(client)
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

    @property
    def seq(self) -> int:
        """This region's last record: its own, or one of its own a peer sent back
        (a tail this region lost, or records a full sync merged in)."""
        return self.keyspace.applied.get(self.region, 0)

    def next_stamp(self) -> int:
        """The stamp the next `write` will carry (allocated on the first op of a record)."""
        if not self._ops:
            self._stamp = self.hlc.now()
        stamp = self._stamp + len(self._ops)
        self.hlc.observe(stamp)
        return stamp

    def write(self, op: Op) -> None:
        if self.prepare is not None:
            self.prepare(getattr(op, "key", None))
        stamp = self.next_stamp()
        touched = self._watched_by(op) if self.watchers else ()
        if self.before_write is not None:
            self.before_write(op)
        op.apply(self.keyspace, self.region, stamp)
        self._ops.append(op)
        self.dirty += 1
        for key in touched:
            self.touch_key(key)
        if self.blocking.queues:
            self._signal_blocked(op)

    def publish(self, channel: bytes, message: bytes) -> int:
        """PUBLISH: deliver to this region's subscribers now and, when regions
        replicate, carry the message in this command's record to the others."""
        if self.replicate_publish:
            self.next_stamp()  # op i of a record has stamp + i: a Publish takes its slot
            self._ops.append(Publish(channel, message))
        return self.pubsub.publish(channel, message)

    def commit(self) -> None:
        if not self._ops:
            return
        ops = tuple(self._ops)
        self._ops = []
        ks = self.keyspace
        applied = ks.applied
        seq = applied.get(self.region, 0) + 1
        ks.note_applied(self.region, self._stamp + len(ops) - 1)
        ks.note_seq(self.region, seq)
        deps = (
            tuple((o, s) for o, s in applied.items() if o != self.region)
            if len(applied) > 1
            else ()
        )
        self.sink.append(Record(self.region, seq, self._stamp, ops, deps))

    def apply_remote(self, record: Record) -> None:
        """Apply a peer's record whose causal dependencies are met (the replicator's
        applier checks), then hand it to the sink unchanged: durable and relayable."""
        if record.seq <= self.keyspace.applied.get(record.origin, 0):
            return
        ops = record.ops
        messages = [op for op in ops if type(op) is Publish]
        if messages:  # not data: no key watched, saved or waited on
            ops = tuple(op for op in ops if type(op) is not Publish)
        touched = [k for op in ops for k in self._watched_by(op)] if self.watchers else ()
        if self.prepare is not None:  # the applier waits out a full sync; never half-merged keys
            for op in ops:
                self.prepare(getattr(op, "key", None))
        if self.before_write is not None:
            for op in ops:
                self.before_write(op)
        apply_record(self.keyspace, record)
        self.hlc.observe(record.stamp + len(record.ops) - 1)
        self.dirty += len(ops)
        for key in touched:
            self.touch_key(key)
        self.sink.append(record)
        if self.blocking.queues:
            for op in ops:
                self._signal_blocked(op)
            self.blocking.serve_ready(self)
        for message in messages:
            self.pubsub.publish(message.channel, message.message)

    def _signal_blocked(self, op: Op) -> None:
        """Clients blocked on the key `op` wrote are served once the command (or the
        peer's record) is done, as Redis serves them after the command that pushed."""
        key = getattr(op, "key", None)
        if key is not None:
            self.blocking.signal(key)

    def delete(self, key: bytes) -> bool:
        """Observed-remove delete of one key; False when it did not exist."""
        value = self.lookup(key)
        if value is None:
            return False
        self._write_delete(key)
        return True

    def _write_delete(self, key: bytes) -> None:
        if self.prepare is not None:
            self.prepare(key)  # an expiry's delete reads the key's counters first
        self.write(DelKey(key, self.observed_vv(), typed=self._observations(key)))

    def flush(self) -> None:
        """Observed-remove of every key, carrying the counters this region saw."""
        if self.prepare is not None:
            self.prepare(None)
        ks = self.keyspace
        # Sorted, so the record is the same whatever order the keys were created or
        # merged in (a set's order depends on both, and on the hash seed).
        keys = sorted({*ks.data, *ks.others})
        typed = tuple((key, seen) for key in keys if (seen := self._observations(key)))
        self.write(Flush(self.observed_vv(), typed=typed))

    def _observations(self, key: bytes) -> TypedObserved:
        """The counters a delete of `key` observes, per type: of the shown value and
        of any value a type conflict hides, which the delete removes too."""
        out = []
        for value, _ in self.keyspace.values_of(key):
            observed, members = value.observed(), value.members_observed()
            if observed or members:
                out.append((value.TYPE, observed, members))
        return tuple(out)

    def collect_garbage(self) -> int:
        """Drop a batch of the tombstones that no future write can need (each cron tick)."""
        if self.prepare is not None:
            return 0  # a full sync is merging key by key: its vectors moved before its keys
        ks = self.keyspace
        if self.stable_mark is None:
            return ks.collect()
        return ks.collect(self.stable_mark(ks.close_mark(), ks.applied))

    def observed_vv(self) -> tuple[tuple[str, int], ...]:
        """What a remove issued now has seen: everything applied, and this op's own past."""
        vv = dict(self.keyspace.vv)
        vv[self.region] = self.next_stamp()
        return tuple(sorted(vv.items()))  # not in the order this region met the others

    def _expire(self, key: bytes) -> None:
        # While own records may be missing the key only reads as gone, as on a Redis
        # replica: its delete is written once this region may write again.
        if key in self.keyspace.data and not self.own_records_missing:
            self._write_delete(key)

    # -- WATCH ------------------------------------------------------------------------

    def watch(self, client: Client, key: bytes) -> None:
        if key in client.watched:
            return
        # Redis 7.0 remembers a key that was logically expired (still stored,
        # TTL passed) when watched: its later deletion is no change for EXEC.
        at = self.keyspace.expires.get(key)
        client.watched[key] = at is not None and at <= self.now_ms
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

    def end_transaction(self, client: Client) -> None:
        """Leave MULTI state and forget WATCHes (Redis's discardTransaction)."""
        client.multi = None
        client.multi_error = False
        self.unwatch(client)

    def watched_key_expired(self, client: Client) -> bool:
        """A key alive when watched has passed its TTL but is still stored (EXEC fails)."""
        expires = self.keyspace.expires
        for key, expired_when_watched in client.watched.items():
            at = expires.get(key)
            if not expired_when_watched and at is not None and at <= self.now_ms:
                return True
        return False

    def touch_key(self, key: bytes) -> None:
        """Called after `key` changed: its watchers' transactions will fail."""
        gone = key not in self.keyspace.data
        for client in self.watchers.get(key, ()):
            if gone and client.watched.get(key):
                # The already-expired key was deleted: logically no change.
                client.watched[key] = False
                continue
            client.dirty_cas = True

    def _watched_by(self, op: Op) -> list[bytes]:
        """The watched keys `op` changes; computed before it applies."""
        key = getattr(op, "key", None)
        if key is not None:
            return [key] if key in self.watchers else []
        # A flush changes only the watched keys that existed (Redis 7.0).
        return [k for k in self.watchers if k in self.keyspace.data]

    # -- configuration -------------------------------------------------------------

    def _config_changed(self, name: str, value: object) -> None:
        if name == "requirepass":
            self.acl.set_requirepass(str(value))
        elif name == "clock-skew-ms" and isinstance(self.clock, SystemClock):
            self.clock.skew_ms = int(str(value))
