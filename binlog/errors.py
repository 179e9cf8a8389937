"""Exceptions of the binlog: what callers (the node, the replicator, the CLI) catch.

Owns the error types only; must not know files, threads or records.
"""

from __future__ import annotations


class BinlogError(Exception):
    """Base of every error the binlog raises on purpose."""


class CorruptLog(BinlogError):
    """The log cannot be read past `offset` of `file` (not a torn tail we may drop)."""

    def __init__(self, file: str, offset: int, reason: str) -> None:
        super().__init__(f"{file}: corrupt at offset {offset}: {reason}")
        self.file = file
        self.offset = offset
        self.reason = reason


class WriteFailed(BinlogError):
    """The writer could not write or fsync; appends are refused until the disk recovers.

    The node maps this to a `-MISCONF`-style error reply.
    """


class HistoryCompacted(BinlogError):
    """The requested history was retired by compaction: the caller needs a full sync."""


class UnsupportedFormat(BinlogError):
    """A file was written by a newer (or foreign) format version."""
