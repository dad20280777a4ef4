"""Running a test on bot/grouping's sources when the compiled modules are installed (setup.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def assert_passes_on_the_sources(nodeid: str) -> None:
    """Runs one test in a child pytest with BOLTWATCH_PURE_PYTHON=1, where bot/grouping loads from its .py files."""
    env = {**os.environ, "BOLTWATCH_PURE_PYTHON": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", nodeid]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout, result.stdout[-2000:]  # not "skipped", not "deselected"
