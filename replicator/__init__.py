"""geokv's replicator: region-to-region streaming of effect records over gRPC.

Owns the replication protocol (proto/replication.proto, stubs generated into
replicator/proto), the causal applier, the peer server that streams a node's
binlog to subscribers (relaying every origin's records), the subscribers
that pull from peers, and the `geokv server` entry point that runs them next
to the node. May import binlog, node and topology; nothing of geokv imports it.
"""
