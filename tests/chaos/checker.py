"""The checker: does the final state agree with every acknowledged operation?

Owns the rules of issue 7 over a `History` and a `read(argv)` of one region's
final state: (a) convergence (equal digests), (b) no lost acknowledged write,
per type (counters: the sum of the increments no delete had observed; sets,
hashes, zsets: an add survives unless a remove had observed it; lists: a pushed
element survives unless popped or observed by a delete; strings and hash
values: one of the writes no acknowledged write had observed), (c) read-your-
writes and monotonic reads within a client's session. An operation whose
outcome is unknown ("info": the connection died) may or may not have happened,
so it can only widen what is allowed. "Had observed" is `Event.before`: the
record's dependency vector where the run knows it, else the client's own order.
Knows nothing of how the run produced the history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from tests.chaos.history import Event, History

Read = Callable[[list[bytes]], Any]
MAX_UNKNOWN_SUMS = 12


@dataclass
class Verdict:
    seed: object
    problems: list[str] = field(default_factory=list)
    witnesses: list[Event] = field(default_factory=list)

    def fail(self, message: str, events: Iterable[Event]) -> None:
        self.problems.append(message)
        self.witnesses.extend(events)

    def report(self, history: History) -> str:
        head = f"seed {self.seed!r}: {len(self.problems)} problem(s)\n"
        return head + "\n".join(self.problems[:8]) + "\n" + history.excerpt(self.witnesses)


def _happened(events: list[Event]) -> list[Event]:
    """Acknowledged or unknown: what may have taken effect."""
    return [e for e in events if e.status in ("ok", "info")]


def _observed(add: Event, removes: list[Event]) -> bool:
    return any(add.before(r) for r in removes)


def _or_rule(
    verdict: Verdict, what: str, present: bool, adds: list[Event], removes: list[Event]
) -> None:
    """Observed-remove: present iff some add was seen by no remove."""
    acked_removes = [r for r in removes if r.status == "ok"]
    must = any(a.status == "ok" and not _observed(a, removes) for a in adds)
    may = any(not _observed(a, acked_removes) for a in _happened(adds))
    if present and not may:
        verdict.fail(f"{what} present but every add was observed by a remove", adds + removes)
    if not present and must:
        verdict.fail(f"{what} lost: an acknowledged add no remove had observed", adds + removes)


def _lww_rule(
    verdict: Verdict, what: str, value: object, writes: list[tuple[Event, object]]
) -> None:
    """The value is one of the writes that no acknowledged write had observed."""
    acked = [w for w, _ in writes if w.status == "ok"]
    allowed = {v for w, v in writes if w.status != "fail" and not any(w.before(o) for o in acked)}
    if not acked:
        allowed.add(None)
    if value not in allowed:
        verdict.fail(
            f"{what} = {value!r}, allowed {sorted(map(repr, allowed))}", [w for w, _ in writes]
        )


def _sum_rule(verdict: Verdict, what: str, total: int, events: list[Event]) -> None:
    deletes = [e for e in _happened(events) if e.command == "DEL"]
    incs = [e for e in _happened(events) if e.command == "INCRBY" and not _observed(e, deletes)]
    known = sum(int(e.argv[2]) for e in incs if e.status == "ok")
    unknown = [int(e.argv[2]) for e in incs if e.status == "info"]
    if deletes and any(e.status == "info" or not e.record for e in deletes):
        return  # a delete of unknown reach: any total of a suffix is possible
    if len(unknown) > MAX_UNKNOWN_SUMS:
        return
    sums = {sum(c) for n in range(len(unknown) + 1) for c in combinations(unknown, n)}
    if total - known not in sums:
        verdict.fail(f"{what} = {total}, acknowledged increments sum to {known}", events)


def check_convergence(verdict: Verdict, digests: Mapping[str, bytes | str]) -> None:
    if len(set(digests.values())) != 1:
        verdict.fail(f"(a) digests differ: {digests}", [])


def check_state(verdict: Verdict, history: History, read: Read) -> None:
    """Rule (b) on every key the history wrote."""
    by_key: dict[bytes, list[Event]] = defaultdict(list)
    for e in history.events:
        by_key[e.key].append(e)
    for key, events in sorted(by_key.items()):
        family = key[:1]
        name = key.decode()
        if family in b"cm" and not key.startswith(b"rw:"):
            _sum_rule(verdict, f"(b) counter {name}", int(read([b"GET", key]) or 0), events)
        elif family == b"S":
            _members(verdict, name, set(read([b"SMEMBERS", key])), events, b"SADD", b"SREM")
        elif family == b"Z":
            members = set(read([b"ZRANGE", key, b"0", b"-1"]))
            _members(verdict, name, members, events, b"ZADD", b"ZREM")
        elif family == b"H":
            _hash(verdict, name, _pairs(read([b"HGETALL", key])), events)
        elif family == b"L":
            _list(verdict, name, read([b"LRANGE", key, b"0", b"-1"]), events)
        else:  # s* and rw:*: registers
            _register(verdict, name, read([b"GET", key]), events)


def _pairs(reply: Any) -> dict[bytes, bytes]:
    if isinstance(reply, dict):
        return reply
    return dict(zip(reply[::2], reply[1::2], strict=True))


def _members(
    verdict: Verdict, name: str, present: set[bytes], events: list[Event], add: bytes, rem: bytes
) -> None:
    adds: dict[bytes, list[Event]] = defaultdict(list)
    removes: dict[bytes, list[Event]] = defaultdict(list)
    deletes = [e for e in events if e.command == "DEL" and e.result != 0]
    for e in events:
        cmd = e.argv[0].upper()
        if cmd in (add, b"ZINCRBY"):
            adds[e.argv[-1]].append(e)
        elif cmd == rem and e.result != 0:
            removes[e.argv[2]].append(e)
    for member in set(adds) | present:
        _or_rule(
            verdict, f"(b) {name} member {member!r}", member in present,
            adds[member], removes[member] + deletes,
        )  # fmt: skip


def _hash(verdict: Verdict, name: str, fields: dict[bytes, bytes], events: list[Event]) -> None:
    deletes = [e for e in events if e.command == "DEL" and e.result != 0]
    for f in {e.argv[2] for e in events if len(e.argv) > 2} | set(fields):
        sets = [e for e in events if e.command == "HSET" and e.argv[2] == f]
        dels = [e for e in events if e.command == "HDEL" and e.argv[2] == f and e.result != 0]
        what = f"(b) {name} field {f!r}"
        _or_rule(verdict, what, f in fields, sets, dels + deletes)
        if f in fields:
            survivors = [
                e for e in sets if not _observed(e, [r for r in dels + deletes if r.status == "ok"])
            ]
            _lww_rule(verdict, what, fields[f], [(e, e.argv[3]) for e in survivors])


def _list(verdict: Verdict, name: str, elements: list[bytes], events: list[Event]) -> None:
    present = set(elements)
    deletes = [e for e in _happened(events) if e.command == "DEL" and e.result != 0]
    popped = {e.result for e in events if e.command == "LPOP" and e.status == "ok"}
    unknown_pops = any(e.command == "LPOP" and e.status == "info" for e in events)
    for push in (e for e in events if e.command == "LPUSH"):
        element = push.argv[2]
        gone = element in popped or _observed(push, [d for d in deletes if d.status == "ok"])
        may_be_gone = gone or unknown_pops or _observed(push, deletes)
        what = f"(b) {name} element {element!r}"
        if element in present and (gone or push.status == "fail"):
            verdict.fail(f"{what} present but popped or deleted", events)
        if element not in present and push.status == "ok" and not may_be_gone:
            verdict.fail(f"{what} lost", events)


def _register(verdict: Verdict, name: str, value: bytes | None, events: list[Event]) -> None:
    writes: list[tuple[Event, object]] = []
    for e in events:
        if e.command == "SET":
            writes.append((e, e.argv[2]))
        elif e.command == "DEL" and e.result != 0:
            writes.append((e, None))
    if any(e.command == "EXPIRE" and e.status != "fail" for e in events):
        writes.append((Event(-1, "expiry", "", 0, (b"EXPIRE",), "info"), None))
    _lww_rule(verdict, f"(b) string {name}", value, writes)


def check_sessions(verdict: Verdict, history: History) -> None:
    """Rule (c): a client reads its own last write, and never a counter going back.

    A write whose outcome is unknown may take effect at any later moment (a
    paused server runs it when it resumes), so its value stays allowed."""
    last_own: dict[str, Event] = {}
    unknown: dict[str, list[Event]] = {}
    seen: dict[tuple[str, bytes], tuple[int, Event]] = {}
    for e in history.events:
        if not e.key.startswith((b"rw:", b"m")) or e.status == "fail":
            continue
        if e.command == "SET" and e.status == "ok":
            last_own[e.client] = e
        elif e.command == "SET":
            unknown.setdefault(e.client, []).append(e)
        elif e.command == "GET" and e.status == "ok" and e.key.startswith(b"rw:"):
            own = last_own.get(e.client)
            maybe = unknown.get(e.client, [])
            allowed = {own.argv[2] if own else None} | {m.argv[2] for m in maybe}
            if e.result not in allowed:
                witnesses = [e, *maybe] + ([own] if own else [])
                verdict.fail(f"(c) read-your-writes: {e.client} read {e.result!r}", witnesses)
        elif e.command == "GET" and e.status == "ok":
            now = int(e.result or 0)
            before = seen.get((e.client, e.key))
            if before is not None and now < before[0]:
                verdict.fail(
                    f"(c) monotonic reads: {e.client} read {now} after {before[0]}", [before[1], e]
                )
            seen[(e.client, e.key)] = (now, e)


def check(
    seed: object, history: History, read: Read, digests: Mapping[str, bytes | str]
) -> Verdict:
    verdict = Verdict(seed)
    check_convergence(verdict, digests)
    check_state(verdict, history, read)
    check_sessions(verdict, history)
    return verdict
