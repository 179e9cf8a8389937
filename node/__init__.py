"""geokv's regional node: the RESP server, its command table and its CRDT keyspace.

May import `binlog`; must not know the replicator or the topology.
"""

# First: installs the guard that keeps stale compiled modules from loading.
import node.native  # noqa: F401
