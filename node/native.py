"""The node's hot path compiled to C with mypyc (binlog/native.py's `CompiledGroup`).

Owns which of the node's modules are compiled: the path of a SET from the
socket to the binlog, and the snapshot codec (in process, a SET's
parse-dispatch-commit path costs about a third less). Importing it installs
the group's guard, so `node/__init__.py` imports it before anything else.
Must not know what the modules do. Never compiled itself.
"""

from __future__ import annotations

from binlog.native import CompiledGroup

# Left out: reply.py (subclasses bytes, which mypyc cannot compile), blocking.py
# (mypyc 2.4 crashes at import on its dataclass), memory.py (ctypes).
GROUP = CompiledGroup(
    "node",
    (
        "node.client",
        "node.clock",
        "node.codec",
        "node.commands.spec",
        "node.config",
        "node.core",
        "node.crdt.base",
        "node.crdt.expiry",
        "node.crdt.strings",
        "node.dispatch",
        "node.effects",
        "node.handlers.strings",
        "node.hlc",
        "node.keymap",
        "node.keyset",
        "node.keyspace",
        "node.persistence",
        "node.resp",
        "node.server",
        "node.session",
        "node.snapshot",
        "node.stats",
    ),
)
GROUP.install_guard()
