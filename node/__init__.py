"""geokv's regional node: the RESP server, its command table and its CRDT keyspace.

May import `binlog`; must not know the replicator or the topology.
"""

from node import native as _native

# Before any other module of the node is imported: a stale compiled one must not load.
_native.install_guard()
