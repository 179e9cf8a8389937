"""The list CRDT: a replicated growable array (RGA) of elements with unique ids.

Owns the state of one list key and its merge rules:
- every element has an id (stamp, region, n): the dot of the op that inserted
  it, plus its position among the op's values (one LPUSH of three values is
  one op);
- an insert names the element it goes after (or HEAD). Concurrent inserts at
  the same place are ordered by id, newest first, in every region alike: the
  new element is placed right after its anchor, past every element there with
  a larger id. Because a region stamps a write after everything it has seen
  (the HLC), an element's id is larger than its anchor's, so elements with a
  larger id that follow the anchor are exactly the concurrent (or later)
  inserts and their own successors, which is RGA's rule;
- a remove names the element ids it observed and turns them into tombstones
  (kept: later inserts may still name them as anchors); a delete of the whole
  key removes the elements its version vector covers, so a concurrent push
  survives;
- LSET writes an element's value as an LWW register; a removed element stays
  removed (its id was observed by the remove, so the set was too, or it is
  concurrent and loses).
The anchors need no storing: an element's anchor is the nearest element before
it with a smaller id (`anchors`), so two replicas' states join by rebuilding
the order of the union (`rga_order`).
Must not know commands, keys, clocks or I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar, Generic, TypeVar

from node.crdt.base import NO_DOT, Dot, MembersObserved, Observed, covered

# (stamp, region, n): ordered like a dot, then by position within the op.
ElemId = tuple[int, str, int]
HEAD: ElemId = (-1, "", 0)
T = TypeVar("T")


class Deck(Generic[T]):
    """A sequence with amortized O(1) push and pop at both ends and O(1) indexing:
    two Python lists back to back, the front one reversed."""

    __slots__ = ("back", "front")

    def __init__(self, items: Iterable[T] = ()) -> None:
        self.front: list[T] = []
        self.back: list[T] = list(items)

    def __len__(self) -> int:
        return len(self.front) + len(self.back)

    def __getitem__(self, i: int) -> T:
        if i < 0:
            i += len(self)
        nf = len(self.front)
        return self.front[nf - 1 - i] if i < nf else self.back[i - nf]

    def __iter__(self) -> Iterator[T]:
        yield from reversed(self.front)
        yield from self.back

    def reversed(self) -> Iterator[T]:
        yield from reversed(self.back)
        yield from self.front

    def slice(self, start: int, stop: int) -> list[T]:
        """Items [start, stop) (0 <= start, stop <= len)."""
        nf = len(self.front)
        out: list[T] = []
        if start < nf:
            out = self.front[nf - min(stop, nf) : nf - start][::-1]
        if stop > nf:
            out += self.back[max(start, nf) - nf : stop - nf]
        return out

    def append(self, item: T) -> None:
        self.back.append(item)

    def appendleft(self, item: T) -> None:
        self.front.append(item)

    def insert(self, i: int, item: T) -> None:
        nf = len(self.front)
        if i <= nf:
            self.front.insert(nf - i, item)
        else:
            self.back.insert(i - nf, item)

    def popleft(self) -> T:
        if not self.front:
            half = (len(self.back) + 1) // 2
            self.front = self.back[:half][::-1]
            self.back = self.back[half:]
        return self.front.pop()

    def pop(self) -> T:
        if not self.back:
            half = (len(self.front) + 1) // 2
            self.back = self.front[:half][::-1]
            self.front = self.front[half:]
        return self.back.pop()

    def index(self, item: T) -> int:
        nf = len(self.front)
        if item in self.front:
            return nf - 1 - self.front.index(item)
        return nf + self.back.index(item)

    def replace(self, items: list[T]) -> None:
        self.front = []
        self.back = items


class Elem:
    __slots__ = ("data", "live", "vdot")

    def __init__(self, data: bytes, vdot: Dot, live: bool = True) -> None:
        self.data = data
        self.vdot = vdot  # the write that set `data`: the insert, or the newest LSET
        self.live = live


class ListValue:
    """One list key: every element ever inserted (tombstones included) in
    order (`seq`), and the live ones' ids in order (`vis`), which index reads use."""

    __slots__ = ("elems", "seq", "vis")
    TYPE: ClassVar[bytes] = b"list"

    def __init__(self) -> None:
        self.elems: dict[ElemId, Elem] = {}
        self.seq: Deck[ElemId] = Deck()
        self.vis: Deck[ElemId] = Deck()

    @classmethod
    def restore(cls, order: list[ElemId], elems: dict[ElemId, Elem]) -> ListValue:
        """A list from every element's state and their order, removed ones included."""
        value = cls()
        value.elems = elems
        value.seq = Deck(order)
        value.vis = Deck([eid for eid in order if elems[eid].live])
        return value

    # -- merges ------------------------------------------------------------------

    def insert(
        self, after: ElemId, values: tuple[bytes, ...], chain: bool, stamp: int, region: str
    ) -> None:
        """Insert the op's values after `after`: each after the previous one when
        `chain` (RPUSH's order), else each right after `after` (LPUSH's order)."""
        anchor = after
        for n, data in enumerate(values):
            eid = (stamp, region, n)
            if eid not in self.elems:
                self._integrate(eid, anchor, Elem(data, (stamp, region)))
            if chain:
                anchor = eid
        # Idempotent: an id already present is skipped.

    def remove(self, ids: Iterable[ElemId]) -> int:
        """Tombstone the given elements; returns how many were live."""
        gone: set[ElemId] = set()
        for eid in ids:
            elem = self.elems.get(eid)
            if elem is not None and elem.live:
                elem.live = False
                gone.add(eid)
        vis = self.vis
        left = len(gone)
        while left and vis and vis[0] in gone:
            vis.popleft()
            left -= 1
        while left and vis and vis[-1] in gone:
            vis.pop()
            left -= 1
        if left:
            vis.replace([eid for eid in vis if eid not in gone])
        return len(gone)

    def set(self, eid: ElemId, data: bytes, stamp: int, region: str) -> None:
        """LWW write of an element's value. A removed element takes it too, though
        unseen: its state then ends the same whichever of the two came first."""
        elem = self.elems.get(eid)
        if elem is not None and (stamp, region) > elem.vdot:
            elem.data = data
            elem.vdot = (stamp, region)

    def mask(self, vv: dict[str, int], observed: Observed, members: MembersObserved = ()) -> None:
        """Observed-remove of the key: only elements the delete had seen go."""
        self.remove([eid for eid in self.vis if covered(eid[0], eid[1], vv)])

    def compact(self) -> int:
        """Drop every tombstone; returns how many. Safe only when no insert that
        names a removed element can still arrive (a node without peers)."""
        dropped = len(self.seq) - len(self.vis)
        if dropped:
            for eid in [eid for eid, elem in self.elems.items() if not elem.live]:
                del self.elems[eid]
            self.seq = Deck(self.vis)
        return dropped

    def _integrate(self, eid: ElemId, anchor: ElemId, elem: Elem) -> None:
        seq = self.seq
        size = len(seq)
        if anchor == HEAD:
            pos = 0
        elif size and seq[size - 1] == anchor:
            pos = size
        elif anchor in self.elems:
            pos = seq.index(anchor) + 1
        else:
            # The anchor was compacted away: only a node without peers compacts,
            # and its own inserts are the newest ids, so nothing can follow.
            pos = size
        while pos < size and seq[pos] > eid:
            pos += 1
        self.elems[eid] = elem
        self._place(seq, pos, eid)

    def _place(self, seq: Deck[ElemId], pos: int, eid: ElemId) -> None:
        """Put `eid` at `pos` of the full order, and at its place among the live ones."""
        vis = self.vis
        if pos == len(seq):
            seq.append(eid)
        elif pos == 0:
            seq.appendleft(eid)
        else:
            seq.insert(pos, eid)
        before = pos - 1
        while before >= 0 and not self.elems[seq[before]].live:
            before -= 1
        if before < 0:
            vis.appendleft(eid)
        elif vis and vis[-1] == seq[before]:
            vis.append(eid)
        else:
            vis.insert(vis.index(seq[before]) + 1, eid)

    # -- reads ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.vis)

    def data(self, eid: ElemId) -> bytes:
        return self.elems[eid].data

    def range(self, start: int, stop: int) -> list[bytes]:
        elems = self.elems
        return [elems[eid].data for eid in self.vis.slice(start, stop)]

    def ids(self, start: int, stop: int) -> list[ElemId]:
        return self.vis.slice(start, stop)

    def items(self, reverse: bool = False) -> Iterator[tuple[ElemId, bytes]]:
        elems = self.elems
        for eid in self.vis.reversed() if reverse else self.vis:
            yield eid, elems[eid].data

    def last_id(self) -> ElemId:
        """The anchor of an append: the last element, removed or not, or HEAD."""
        return self.seq[-1] if len(self.seq) else HEAD

    def before(self, eid: ElemId) -> ElemId:
        """The anchor that puts an insert right before `eid`."""
        pos = self.seq.index(eid)
        return self.seq[pos - 1] if pos else HEAD

    # -- the CrdtValue protocol ---------------------------------------------------

    def visible(self) -> bool:
        return bool(self.vis)

    def latest(self) -> Dot:
        return max((self.elems[eid].vdot for eid in self.vis), default=NO_DOT)

    def observed(self) -> Observed:
        return ()

    def members_observed(self) -> MembersObserved:
        return ()

    def encoding(self) -> bytes:
        # Redis 7.0 always answers quicklist for lists (listpack lists came in 7.2).
        return b"quicklist"


# -- reading the insert structure back from an order (the state join) -----------------


def anchors(order: Iterable[ElemId]) -> dict[ElemId, ElemId]:
    """Each element's anchor (the element it was inserted after), from the order alone.

    `_integrate` puts an element after its anchor past larger ids only, and the
    anchor's id is smaller: so the anchor is the nearest element before it with
    a smaller id, HEAD when there is none. A list that collected its tombstones
    answers the nearest one it still holds.
    """
    out: dict[ElemId, ElemId] = {}
    smaller: list[ElemId] = []  # ids increasing: the candidates for what comes next
    for eid in order:
        while smaller and smaller[-1] > eid:
            smaller.pop()
        out[eid] = smaller[-1] if smaller else HEAD
        smaller.append(eid)
    return out


def rga_order(anchored: dict[ElemId, ElemId]) -> list[ElemId]:
    """The order `_integrate` gives these elements, whatever order they arrived in:
    each right after its anchor, elements with the same anchor newest first,
    each followed by the elements inserted after it (a depth-first walk)."""
    after: dict[ElemId, list[ElemId]] = {}
    for eid, anchor in anchored.items():
        after.setdefault(anchor, []).append(eid)
    out: list[ElemId] = []
    todo = sorted(after.get(HEAD, ()))  # the newest last: popped first
    while todo:
        eid = todo.pop()
        out.append(eid)
        todo += sorted(after.get(eid, ()))
    return out
