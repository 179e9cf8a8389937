"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

Owns queueing rules and EXEC: every write of a transaction becomes one effect
record, so a transaction replicates atomically. Must not know sockets.
"""
