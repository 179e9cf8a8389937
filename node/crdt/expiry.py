"""The expiry CRDT: one key's TTL as a register of concurrent expiry writes.

Owns the entries of one key's expiry and the rule that turns them into the
key's effective expiry:
- an expiry write (EXPIRE family, PERSIST, SET with EX/PX/..., a SET that
  cleared a TTL) is an entry `region -> (stamp, at)`; `at` is absolute ms, or
  PERSIST for "no expiry";
- a write removes the entries it had observed (`seen`: per region, the stamp
  of the entry the writer held), so a causally later write replaces an
  earlier one while concurrent writes are all kept; a region holds at most one
  entry, since its own later write had observed its earlier one;
- the effective expiry: none if any entry is PERSIST, else the latest time
  (the longer TTL wins);
- a delete removes the entries its version vector covers.
Must not know keys, values, commands, clocks or I/O.
"""

from __future__ import annotations

# Per region, the stamp of the expiry entry a writer had observed.
Seen = tuple[tuple[str, int], ...]
# (region, stamp, at): one entry, as snapshots store it.
Entry = tuple[str, int, int]
PERSIST = -1


class Expiry:
    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: dict[str, tuple[int, int]] = {}

    def write(self, at: int, stamp: int, region: str, seen: Seen) -> None:
        """Apply an expiry write: drop what it had seen, then add its entry."""
        if seen:
            self.mask(dict(seen))
        current = self.entries.get(region)
        if current is None or stamp > current[0]:
            self.entries[region] = (stamp, at)

    def mask(self, vv: dict[str, int]) -> None:
        """Observed remove: drop the entries a remover that had seen `vv` had seen."""
        for region in [r for r, (stamp, _) in self.entries.items() if stamp <= vv.get(r, -1)]:
            del self.entries[region]

    def at(self) -> int | None:
        """The effective expiry: None when a PERSIST entry is live or nothing is."""
        latest: int | None = None
        for _, at in self.entries.values():
            if at == PERSIST:
                return None
            if latest is None or at > latest:
                latest = at
        return latest

    def seen(self) -> Seen:
        """What a write issued now has observed: every entry held."""
        return tuple((region, stamp) for region, (stamp, _) in self.entries.items())

    def dump(self) -> tuple[Entry, ...]:
        return tuple(sorted((region, stamp, at) for region, (stamp, at) in self.entries.items()))

    @classmethod
    def from_entries(cls, entries: tuple[Entry, ...]) -> Expiry:
        register = cls()
        register.entries = {region: (stamp, at) for region, stamp, at in entries}
        return register
