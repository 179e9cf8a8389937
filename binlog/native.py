"""Groups of modules compiled to C with mypyc, and the guard that never runs one stale.

Owns `CompiledGroup`: a package's modules compiled in place (`build`, run by
`make native`, records the hash of every source it compiled), and the import
guard that makes the package load all of them from source when any of those
sources changed since the build (an edit, a checkout) or when GEOKV_NATIVE=0:
all or none, since the compiled modules of a group call each other directly.
A compiled module is the same typed source, so it behaves the same, with less
interpreter per call. It lives here, in the lowest layer, so every package can
use it; importing this module installs the guard of binlog's own group (the
append path of every write: frame encoding and the writer). Must not know what
the modules do. Never compiled itself.
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

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_GROUPS: list[CompiledGroup] = []


class CompiledGroup:
    def __init__(self, package: str, modules: tuple[str, ...]) -> None:
        self.package = package
        self.modules = modules
        self.name = f"{package}._native"
        self.record = os.path.join(_ROOT, package, "_native.json")
        self._why_from_source: str | None = None
        _GROUPS.append(self)

    def source_path(self, module: str) -> str:
        return os.path.join(_ROOT, *module.split(".")) + ".py"

    def library(self) -> str:
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        return os.path.join(_ROOT, *self.name.split(".")) + "__mypyc" + suffix

    def digests(self) -> dict[str, str]:
        digests = {}
        for module in self.modules:
            with open(self.source_path(module), "rb") as f:
                digests[module] = hashlib.sha256(f.read()).hexdigest()
        return digests

    def stale(self) -> list[str]:
        """The modules whose source changed since the build (all when unknown)."""
        try:
            with open(self.record) as f:
                recorded = json.load(f)
        except (OSError, ValueError):
            recorded = None
        if not isinstance(recorded, dict) or set(recorded) != set(self.modules):
            return list(self.modules)  # built as another group: its modules call each other
        current = self.digests()
        return [m for m in self.modules if recorded.get(m) != current[m]]

    def active(self) -> bool:
        """Whether this process runs the group compiled."""
        spec = importlib.util.find_spec(self.modules[0])
        return spec is not None and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader)

    def install_guard(self) -> None:
        """Before the package imports any of the modules: compiled only if all are current."""
        self._why_from_source = self._reason_to_run_source()
        if self._why_from_source is not None:
            sys.meta_path.insert(0, _FromSource(self))

    def from_source_because(self) -> str | None:
        """Why this process runs the group's compiled modules from source (None: it
        does not, or none are built)."""
        return self._why_from_source

    def _reason_to_run_source(self) -> str | None:
        if not os.path.exists(self.library()):
            return None  # nothing compiled for this interpreter: plain imports are the sources
        if os.environ.get("GEOKV_NATIVE", "1") == "0":
            return "GEOKV_NATIVE=0"
        changed = self.stale()
        if not changed:
            return None
        more = " ..." if changed[3:] else ""
        return "changed since `make native`: " + ", ".join(changed[:3]) + more

    def build(self) -> None:
        """Compile the group in place unless the build is current (raises if compiling fails)."""
        if not self.stale() and os.path.exists(self.library()):
            return
        missing = _missing_toolchain()
        if missing is not None:
            print(f"{self.name}: {missing}; geokv runs from source", file=sys.stderr)
            return
        from mypyc.build import mypycify  # only the build needs mypy
        from setuptools import Distribution

        digests = self.digests()  # before compiling: an edit meanwhile shows up as stale
        os.chdir(_ROOT)  # mypy reads its options from pyproject.toml here
        paths = [os.path.relpath(self.source_path(m), _ROOT) for m in self.modules]
        # A Distribution run by hand: setup() would also read pyproject.toml, which
        # describes the package, not this build (and older setuptools reject it).
        build_dir = f"build/{self.package}"
        dist = Distribution(
            {
                "name": f"geokv-{self.package}-native",
                "ext_modules": mypycify(paths, group_name=self.name, target_dir=build_dir),
                "script_args": ["-q", "build_ext", "--inplace", "--build-temp", build_dir],
            }
        )
        dist.parse_command_line()
        dist.run_commands()
        with open(self.record, "w") as f:
            json.dump(digests, f, indent=1, sort_keys=True)


def _missing_toolchain() -> str | None:
    """What a machine lacks to compile (then geokv runs from source), or None."""
    compiler = sysconfig.get_config_var("CC") or "cc"
    if shutil.which(compiler.split()[0]) is None:
        return f"no C compiler ({compiler})"
    header = os.path.join(sysconfig.get_paths()["include"], "Python.h")
    if not os.path.exists(header):
        return f"no Python headers ({header})"
    return None


def groups() -> list[CompiledGroup]:
    """Every group this process has imported (binlog's first)."""
    return list(_GROUPS)


def all_active() -> bool:
    """Whether this process runs every group it imported compiled."""
    return all(group.active() for group in _GROUPS)


class _FromSource:
    """Meta path finder: a group's module names resolve to their .py files."""

    def __init__(self, group: CompiledGroup) -> None:
        self.group = group

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name not in self.group.modules:
            return None
        return importlib.util.spec_from_file_location(name, self.group.source_path(name))


GROUP = CompiledGroup(
    "binlog", ("binlog.format", "binlog.segfile", "binlog.worker", "binlog.writer")
)
GROUP.install_guard()
