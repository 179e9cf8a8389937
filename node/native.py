"""The node's hot path compiled to C with mypyc, and the guard that never runs it stale.

Owns the list of compiled modules, their build (`build`, run by `make native`:
compiles them in place and records the hash of every source it compiled) and
the import guard `node/__init__.py` installs. A compiled module
is the same typed source, so it behaves the same, only with less interpreter
per request (in process, a SET's parse-dispatch-commit path costs about a third
less). When any compiled source differs from what was built (an edit, a
checkout), or when GEOKV_NATIVE=0, the guard imports every one of them from
source: all or none, since compiled modules call each other directly.
Must not know what the modules do. Never compiled itself.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import shutil
import sys
import sysconfig
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

# The path of a SET from the socket to the binlog, and the snapshot codec.
# Left out: reply.py (subclasses bytes, which mypyc cannot compile), blocking.py
# (mypyc 2.4 crashes at import on its dataclass), memory.py (ctypes).
COMPILED = (
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
    "node.keyset",
    "node.keyspace",
    "node.persistence",
    "node.resp",
    "node.server",
    "node.session",
    "node.snapshot",
    "node.stats",
)
GROUP = "node._native"
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_RECORD = os.path.join(_ROOT, "node", "_native.json")


def source_path(module: str) -> str:
    return os.path.join(_ROOT, *module.split(".")) + ".py"


def _library() -> str:
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return os.path.join(_ROOT, *GROUP.split(".")) + "__mypyc" + suffix


def _digests(modules: Sequence[str]) -> dict[str, str]:
    digests = {}
    for module in modules:
        with open(source_path(module), "rb") as f:
            digests[module] = hashlib.sha256(f.read()).hexdigest()
    return digests


def _recorded() -> dict[str, str]:
    try:
        with open(_RECORD) as f:
            recorded = json.load(f)
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def stale() -> list[str]:
    """The compiled modules whose source changed since the build (all when unknown)."""
    recorded = _recorded()
    current = _digests(COMPILED)
    return [m for m in COMPILED if recorded.get(m) != current[m]]


def active() -> bool:
    """Whether this process runs the compiled modules (all or none of them)."""
    spec = importlib.util.find_spec(COMPILED[0])
    return spec is not None and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader)


class _FromSource:
    """Meta path finder: the compiled modules' names resolve to their .py files."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name not in COMPILED:
            return None
        return importlib.util.spec_from_file_location(name, source_path(name))


def _reason_to_run_source() -> str | None:
    if not os.path.exists(_library()):
        return None  # nothing compiled for this interpreter: plain imports are the sources
    if os.environ.get("GEOKV_NATIVE", "1") == "0":
        return "GEOKV_NATIVE=0"
    changed = stale()
    if not changed:
        return None
    return (
        "changed since `make native`: " + ", ".join(changed[:3]) + (" ..." if changed[3:] else "")
    )


_why_from_source: str | None = None


def install_guard() -> None:
    """Run compiled modules only when every one of them matches its source."""
    global _why_from_source
    _why_from_source = _reason_to_run_source()
    if _why_from_source is not None:
        sys.meta_path.insert(0, _FromSource())


def from_source_because() -> str | None:
    """Why this process runs the compiled modules built here from source (None: it
    does not, or none are built)."""
    return _why_from_source


def build() -> None:
    """Compile COMPILED in place unless the build is current (raises if compiling fails)."""
    if not stale() and os.path.exists(_library()):
        return
    compiler = sysconfig.get_config_var("CC") or "cc"
    if shutil.which(compiler.split()[0]) is None:
        print(f"node.native: no C compiler ({compiler}); geokv runs from source", file=sys.stderr)
        return
    from mypyc.build import mypycify  # only the build needs mypy
    from setuptools import Distribution

    digests = _digests(COMPILED)  # before compiling: an edit meanwhile shows up as stale
    os.chdir(_ROOT)  # mypy reads its options from pyproject.toml here
    paths = [os.path.relpath(source_path(m), _ROOT) for m in COMPILED]
    # A Distribution run by hand: setup() would also read pyproject.toml, which
    # describes the package, not this build (and older setuptools reject it).
    dist = Distribution(
        {
            "name": "geokv-native",
            "ext_modules": mypycify(paths, group_name=GROUP, target_dir="build/mypyc"),
            "script_args": ["-q", "build_ext", "--inplace", "--build-temp", "build/native"],
        }
    )
    dist.parse_command_line()
    dist.run_commands()
    with open(_RECORD, "w") as f:
        json.dump(digests, f, indent=1, sort_keys=True)
