"""bot/grouping compiled by mypyc (setup.py): it runs when fresh, computes what the sources compute, and never shadows
an edited source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from bot.grouping import COMPILED

ROOT = Path(__file__).resolve().parents[2]
GROUPING = ROOT / "bot" / "grouping"
PURE = {**os.environ, "BOLTWATCH_PURE_PYTHON": "1"}
needs_a_build = pytest.mark.skipif(not COMPILED, reason="bot/grouping runs its sources here (no compiled build)")


def test_an_install_with_a_c_compiler_runs_the_compiled_modules() -> None:
    """`make install` compiles them; a build that silently fell back to Python would lose issue 15's speed."""
    if os.environ.get("BOLTWATCH_PURE_PYTHON") == "1" or not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler, or the sources were asked for")
    assert COMPILED, "bot/grouping runs its sources: run `make install` (setup.py compiles it with mypyc)"


@needs_a_build
def test_the_compiled_modules_give_every_signature_the_sources_give(tmp_path: Path) -> None:
    """Every signature of both of the bot's paths over a development corpus, byte for byte."""
    script = ROOT / "bench" / "grouping" / "signature_dump.py"
    outputs = {}
    for name, env in (("compiled", dict(os.environ)), ("sources", PURE)):
        out = tmp_path / f"{name}.tsv"
        command = [sys.executable, str(script), str(out), "--seeds", "3", "--events", "20000"]
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
        outputs[name] = out.read_text()
    assert outputs["compiled"].count("\n") > 1000  # a corpus with errors in it
    assert outputs["compiled"] == outputs["sources"]


def _copy_of_the_package(tmp_path: Path) -> Path:
    """bot/ with its grouping package, built modules included, mtimes kept."""
    (tmp_path / "bot").mkdir()
    shutil.copy2(ROOT / "bot" / "__init__.py", tmp_path / "bot" / "__init__.py")
    shutil.copytree(GROUPING, tmp_path / "bot" / "grouping", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _import_grouping(root: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    code = "import bot.grouping as g, bot.grouping.masking as m; print(g.COMPILED, m.__file__)"
    environment = {**(env or os.environ), "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=environment, capture_output=True, text=True, check=True, timeout=60
    )


@needs_a_build
def test_a_source_edited_after_the_build_runs_with_all_the_sources_and_says_so(tmp_path: Path) -> None:
    root = _copy_of_the_package(tmp_path)
    fresh = _import_grouping(root)
    assert fresh.stdout.startswith("True ") and fresh.stdout.strip().endswith(tuple(EXTENSION_SUFFIXES))
    assert "runs its sources" not in fresh.stderr

    grouping = root / "bot" / "grouping"
    [built] = [p for suffix in EXTENSION_SUFFIXES for p in grouping.glob("masking" + suffix)]
    edited = built.stat().st_mtime + 60
    os.utime(grouping / "masking.py", (edited, edited))  # an edit, a minute after the build
    stale = _import_grouping(root)
    assert stale.stdout.split() == ["False", str(root / "bot" / "grouping" / "masking.py")]
    assert "bot.grouping runs its sources, not its compiled modules: masking.py changed since the build" in stale.stderr


@needs_a_build
def test_boltwatch_pure_python_runs_the_sources_quietly(tmp_path: Path) -> None:
    result = _import_grouping(_copy_of_the_package(tmp_path), PURE)
    assert result.stdout.startswith("False ") and result.stdout.strip().endswith("masking.py")
    assert result.stderr == ""
