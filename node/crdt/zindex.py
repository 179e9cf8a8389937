"""The ordered index of a sorted set's visible members.

Owns the (score, member) order Redis's skiplist gives, with rank lookups and
score or lex range bounds found by binary search, so a range query costs
O(log n + m). Must not know CRDT metadata, commands or replies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sortedcontainers import SortedList


@dataclass(frozen=True, slots=True)
class ScoreBound:
    value: float
    exclusive: bool = False


@dataclass(frozen=True, slots=True)
class LexBound:
    """A member bound; `value is None` is '-' (when a minimum) or '+' (when a maximum)."""

    value: bytes | None
    exclusive: bool = False


class ZIndex:
    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items = SortedList()

    def __len__(self) -> int:
        return len(self._items)

    def add(self, score: float, member: bytes) -> None:
        self._items.add((score, member))

    def remove(self, score: float, member: bytes) -> None:
        self._items.remove((score, member))

    def rank(self, score: float, member: bytes) -> int:
        return int(self._items.index((score, member)))

    def at(self, position: int) -> tuple[float, bytes]:
        item: tuple[float, bytes] = self._items[position]
        return item

    def slice(self, start: int, stop: int, reverse: bool = False) -> Iterator[tuple[float, bytes]]:
        """Items at positions [start, stop), last first when `reverse`."""
        items: Iterator[tuple[float, bytes]] = self._items.islice(start, stop, reverse=reverse)
        return items

    def __iter__(self) -> Iterator[tuple[float, bytes]]:
        return iter(self._items)

    def score_span(self, lo: ScoreBound, hi: ScoreBound) -> tuple[int, int]:
        """The positions [start, stop) of the members whose score lies between the bounds."""
        start = self._first_above(lo.value) if lo.exclusive else self._first_at_least(lo.value)
        stop = self._first_at_least(hi.value) if hi.exclusive else self._first_above(hi.value)
        return start, max(start, stop)

    def lex_span(self, lo: LexBound, hi: LexBound) -> tuple[int, int]:
        """Positions [start, stop) of the members between the bounds, comparing members only:
        like Redis, this assumes all scores are equal (else the result is unspecified)."""
        n = len(self._items)
        start = 0 if lo.value is None else self._bisect(_after(lo), n)
        stop = n if hi.value is None else self._bisect(_after_max(hi), n)
        return start, max(start, stop)

    def _first_at_least(self, score: float) -> int:
        return int(self._items.bisect_left((score, b"")))

    def _first_above(self, score: float) -> int:
        if score == math.inf:
            return len(self._items)
        return self._first_at_least(_above(score))

    def _bisect(self, past: Callable[[bytes], bool], n: int) -> int:
        """The first position whose member satisfies `past` (monotonic along the index)."""
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            if past(self._items[mid][1]):
                hi = mid
            else:
                lo = mid + 1
        return lo


def _above(score: float) -> float:
    """The smallest double greater than `score`: turns an exclusive bound inclusive."""
    return math.inf if score == math.inf else math.nextafter(score, math.inf)


def _after(lo: LexBound) -> Callable[[bytes], bool]:
    """Whether a member is inside a minimum bound."""
    value = lo.value
    assert value is not None
    return (lambda m: m > value) if lo.exclusive else (lambda m: m >= value)


def _after_max(hi: LexBound) -> Callable[[bytes], bool]:
    """Whether a member is past a maximum bound."""
    value = hi.value
    assert value is not None
    return (lambda m: m >= value) if hi.exclusive else (lambda m: m > value)
