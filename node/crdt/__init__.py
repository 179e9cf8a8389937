"""CRDT values of the keyspace: pure state and merge rules, one module per type.

Must not know commands, clients, the clock or any I/O: every function here is
a deterministic function of its arguments, so merges can be property-tested
under every delivery order.
"""
