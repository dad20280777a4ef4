"""Whether bot/grouping runs its compiled modules or their sources; imported first by the package, never compiled.

The compiled modules (setup.py) must not run when a source changed since they were built, or when
BOLTWATCH_PURE_PYTHON=1: then every module of the package loads from its .py file, all together, since compiled
modules call each other directly.
"""

import logging
import os
import sys
from importlib.abc import MetaPathFinder
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec
from importlib.util import spec_from_file_location
from pathlib import Path

_HERE = Path(__file__).parent
_NEVER_COMPILED = ("__init__.py", "_compiled.py")
# A wheel's install writes each module's source a moment after its compiled module (the wheel lists "masking.cpython-…"
# before "masking.py"): a source counts as edited only when it is newer than its own compiled module by more than this.
_SAME_INSTALL = 2.0


def _stale_build() -> str | None:
    """Why the compiled modules must not run ("" for no build at all), or None when they may."""
    if os.environ.get("BOLTWATCH_PURE_PYTHON") == "1":
        return "BOLTWATCH_PURE_PYTHON=1"
    built = {p.name.split(".", 1)[0]: p.stat().st_mtime for s in EXTENSION_SUFFIXES for p in _HERE.glob("*" + s)}
    if not built:
        return ""
    changed = sorted(
        p.name
        for p in _HERE.glob("*.py")
        if p.name not in _NEVER_COMPILED and p.stat().st_mtime > built.get(p.stem, 0.0) + _SAME_INSTALL
    )
    return f"{', '.join(changed)} changed since the build" if changed else None


class _Sources(MetaPathFinder):
    """Finds this package's modules as their .py files, ahead of the compiled ones beside them."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        source = _HERE / f"{name}.py"
        return spec_from_file_location(fullname, source) if package == __package__ and source.is_file() else None


_why_sources = _stale_build()
if _why_sources is not None:
    sys.meta_path.insert(0, _Sources())
    if _why_sources not in ("", "BOLTWATCH_PURE_PYTHON=1"):
        logging.getLogger(__name__).warning(
            "bot.grouping runs its sources, not its compiled modules: %s (make install rebuilds them)", _why_sources
        )


def running_compiled() -> bool:
    """Whether the compiled modules run (the package's modules are loaded: call it after importing them)."""
    masking = sys.modules.get(__package__ + ".masking")
    return masking is not None and not str(getattr(masking, "__file__", "")).endswith(".py")
