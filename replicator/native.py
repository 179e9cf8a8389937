"""The replicator's receiving path compiled to C with mypyc (binlog/native.py's
`CompiledGroup`).

Owns which of the replicator's modules are compiled: a batch's frames to
applied records (a catch-up's cost per record, with the node's apply).
Importing it installs the group's guard, so `replicator/__init__.py` imports
it before anything else. Must not know what the modules do. Never compiled
itself.
"""

from __future__ import annotations

from binlog.native import CompiledGroup

GROUP = CompiledGroup("replicator", ("replicator.applier", "replicator.receive", "replicator.wire"))
GROUP.install_guard()
