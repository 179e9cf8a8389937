"""Whether this region's log may lack records of its own that its peers hold.

Owns the run marker: a file in the binlog's directory, written when the node
starts and removed when it stops cleanly, holding the machine's boot id.
Under `appendfsync everysec` or `no` a record reaches peers once it is in the
page cache, before its fsync. A process crash keeps the page cache, so the
log has every record peers got; an OS crash or a power loss does not. So the
log may lack records peers hold when it is empty (a first start, or a lost
disk) or when the last run did not stop cleanly and the machine has booted
since. Writing then would reuse those records' seqs with other contents, and
every peer would drop the new records as duplicates: regions silently apart.
When such a region writes anyway (its peers unheard for `own-records-timeout`),
the resumption is noted (`RESUMED`: the first seq it then wrote and a stamp
below every stamp it wrote from there, above every one it wrote before), so a
peer that turns up holding the old records of those seqs can be told apart.
Must not know the record format, the keyspace or the replicator.
"""

from __future__ import annotations

from binlog.fs import FileSystem

MARKER = "RUNNING"
RESUMED = "RESUMED"
_BOOT_ID = "/proc/sys/kernel/random/boot_id"


def boot_id() -> str:
    """This boot of the machine ("" where the kernel does not say)."""
    try:
        with open(_BOOT_ID, encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return ""


def own_records_doubt(fs: FileSystem, empty: bool, boot: str) -> str | None:
    """Why the log may lack records of this region that peers hold, or None."""
    if empty:
        return "the log is empty (a first start, or a lost disk)"
    try:
        previous = fs.read(MARKER).decode("ascii", "replace").strip()
    except FileNotFoundError:
        return None  # the last run stopped cleanly, after its final fsync
    if not boot or previous != boot:
        return "the last run did not stop cleanly and the machine has restarted since"
    return None


def mark_running(fs: FileSystem, boot: str) -> None:
    """Durable before any record of this run can reach a peer."""
    tmp = MARKER + ".tmp"
    f = fs.open_append(tmp)
    try:
        f.truncate(0)
        f.write(boot.encode("ascii", "replace") + b"\n")
        f.fsync()
    finally:
        f.close()
    fs.rename(tmp, MARKER)
    fs.fsync_dir()


def note_resumed(fs: FileSystem, seq: int, stamp: int) -> None:
    """Durable before the first record written after a resumption."""
    f = fs.open_append(RESUMED)
    try:
        f.write(b"%d %d\n" % (seq, stamp))
        f.fsync()
    finally:
        f.close()
    fs.fsync_dir()


def resumptions(fs: FileSystem) -> list[tuple[int, int]]:
    """Every (first seq, stamp) noted, oldest first; a torn last line is skipped."""
    try:
        text = fs.read(RESUMED).decode("ascii", "replace")
    except FileNotFoundError:
        return []
    noted = []
    for line in text.split("\n")[:-1]:  # not the piece after the last newline
        parts = line.split()
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            noted.append((int(parts[0]), int(parts[1])))
    return noted


def mark_stopped(fs: FileSystem) -> None:
    """After the log's last fsync: the next start needs nothing from peers."""
    try:
        fs.remove(MARKER)
    except FileNotFoundError:
        return
    fs.fsync_dir()
