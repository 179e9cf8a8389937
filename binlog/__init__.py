"""geokv's binlog: the durable, segmented effect log (Redis AOF + Tair-style history).

Owns persistence of opaque effect payloads with typed headers (origin, seq,
HLC, causal deps) and the history the replicator streams from. Imports
nothing else of geokv. See docs/binlog.md for the format and the guarantees.
"""

from __future__ import annotations

# First: installs the guard that keeps stale compiled modules from loading.
import binlog.native  # noqa: F401

# isort: split
from binlog.errors import BinlogError, CorruptLog, HistoryCompacted, UnsupportedFormat, WriteFailed
from binlog.format import LogRecord, encode_frame, encode_record
from binlog.fs import FileSystem, RealFS
from binlog.memfs import MemoryFS
from binlog.reader import Cursor, read_from, read_since, start_for_vv, tail
from binlog.recovery import Entry, Recovery, recover
from binlog.segments import Retention
from binlog.snapshot import Snapshot
from binlog.writer import Binlog, Options, Policy, View

__all__ = [
    "Binlog",
    "BinlogError",
    "CorruptLog",
    "Cursor",
    "Entry",
    "FileSystem",
    "HistoryCompacted",
    "LogRecord",
    "MemoryFS",
    "Options",
    "Policy",
    "RealFS",
    "Recovery",
    "Retention",
    "Snapshot",
    "UnsupportedFormat",
    "View",
    "WriteFailed",
    "encode_frame",
    "encode_record",
    "read_from",
    "read_since",
    "recover",
    "start_for_vv",
    "tail",
]
