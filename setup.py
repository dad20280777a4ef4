"""Compiles bot/grouping with mypyc when it can; everything else is pyproject.toml.

Error detection and grouping read every log event a check or `/errors` fetches, so their speed is the product's
(issue 15: at least half the naive regex's events/s). The same typed Python, compiled by mypyc, runs ~1.5× as
fast (`python -m bench lambda_grouping`). The sources stay the truth:

- without mypyc or a C compiler, or with BOLTWATCH_PURE_PYTHON=1, the package installs as plain Python (the
  extensions are optional: a failed compile is a warning, not a failed install);
- bot/grouping/__init__.py (never compiled) runs the sources instead whenever a compiled module is older than its
  source, so an edit is never shadowed by a stale build (`make` rebuilds them in place).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent
# Every module of the package but __init__.py, which chooses between the compiled modules and their sources.
COMPILED = sorted(
    str(p.relative_to(ROOT))
    for p in (ROOT / "bot" / "grouping").glob("*.py")
    if p.name not in ("__init__.py", "_compiled.py")
)


def _extensions() -> list:
    if os.environ.get("BOLTWATCH_PURE_PYTHON") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("boltwatch: mypyc is not installed; bot/grouping stays pure Python", file=sys.stderr)
        return []
    try:
        extensions = mypycify(COMPILED, opt_level="3", group_name="bot.grouping._native")
    except (Exception, SystemExit) as exc:  # mypy type errors end in SystemExit; the pure package still works
        print(f"boltwatch: mypyc could not compile bot/grouping ({exc!r}); it stays pure Python", file=sys.stderr)
        return []
    for extension in extensions:
        extension.optional = True  # no C compiler: a warning, and the sources run
    return extensions


setup(ext_modules=_extensions())
