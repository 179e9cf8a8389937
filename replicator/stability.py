"""Causal stability of keyspace marks: when a region's tombstones may be collected.

Owns the rule (argued in docs/replication.md, "Tombstones"): a mark stands for
the keys that changed before it and for this region's applied vector V at that
moment. It is stable once (1) every member region has acknowledged applying V,
and (2) this region has applied every record each member made before it
applied V, bounded by the member's own seq in the first acknowledgement that
covered V. Then every record still to arrive was made by a region that had
seen those changes. A member that is down never acknowledges: it holds
collection back until it returns or is removed from the topology. Pure: the
caller supplies acknowledgements; no gRPC, no clock, no keyspace.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Set
from dataclasses import dataclass

Vector = Mapping[str, int]


def covers(vv: Vector, other: Vector) -> bool:
    return all(vv.get(origin, 0) >= seq for origin, seq in other.items())


@dataclass(slots=True)
class _Mark:
    mark: int
    applied: dict[str, int]
    # Set once every member acknowledged `applied`: what this region must apply then.
    bound: dict[str, int] | None = None


class Stability:
    def __init__(self, region: str) -> None:
        self.region = region
        self.pending: deque[_Mark] = deque()
        self.stable = 0

    def advance(
        self,
        mark: int,
        applied: Vector,
        acked: Mapping[str, Vector],
        members: Set[str],
        retired: Set[str] = frozenset(),
    ) -> int:
        """The newest stable mark, after noting `mark` (this region's newest, with its
        `applied` vector) and the members' latest acknowledged vectors `acked`.

        `members`: the other regions of the cluster. `retired`: regions removed
        from it, which make no more records. An origin this region applied from
        that is neither may still send records unseen by anyone: nothing is stable.
        """
        if mark > (self.pending[-1].mark if self.pending else self.stable):
            self.pending.append(_Mark(mark, dict(applied)))
        if not set(applied) <= {self.region, *members, *retired}:
            return self.stable
        while self.pending and self._stable(self.pending[0], applied, acked, members):
            self.stable = self.pending.popleft().mark
        return self.stable

    @staticmethod
    def _stable(
        head: _Mark, applied: Vector, acked: Mapping[str, Vector], members: Set[str]
    ) -> bool:
        if head.bound is None:
            views = [acked.get(region) for region in members]
            if not all(view is not None and covers(view, head.applied) for view in views):
                return False
            # Each member's own seq then bounds what it made before applying the
            # mark; a retired region's records are bounded by what members held.
            bound: dict[str, int] = {}
            for view in views:
                assert view is not None
                for origin, seq in view.items():
                    bound[origin] = max(bound.get(origin, 0), seq)
            head.bound = bound
        return covers(applied, head.bound)
