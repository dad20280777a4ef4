"""What ships: the product's wheel carries no sandbox, and the CLI says how to get the sandbox when it is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # From a copy of the tracked files: setuptools builds in `build/` beside the sources, and a stale one from an
    # older layout would put its files in the wheel.
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for name in tracked.splitlines():
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("boltwatch-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_files(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_wheel_carries_no_sandbox_files(wheel_files: list[str]) -> None:
    assert not [name for name in wheel_files if name.startswith("sandbox/") or "/sandbox/" in name]


def test_the_wheel_carries_the_bot_handlers_scheduler_and_the_migrations(wheel_files: list[str]) -> None:
    tops = {name.split("/")[0] for name in wheel_files if not name.startswith("boltwatch-")}
    assert tops == {"bot", "handlers", "scheduler"}
    assert "bot/store/migrations/versions/0001_initial_schema.py" in wheel_files
    assert "bot/store/migrations/env.py" in wheel_files


def test_the_wheel_carries_bot_grouping_compiled_beside_its_sources(wheel_files: list[str]) -> None:
    """setup.py compiles bot/grouping with mypyc where a C compiler is; the sources ship too (they run when stale)."""
    assert {"bot/grouping/__init__.py", "bot/grouping/_compiled.py", "bot/grouping/masking.py"} <= set(wheel_files)
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler: the wheel is pure Python")
    modules = {name.split("/")[-1].split(".")[0] for name in wheel_files if name.startswith("bot/grouping/")}
    built_modules = {
        name.split("/")[-1].split(".")[0]
        for name in wheel_files
        if name.startswith("bot/grouping/") and name.endswith(tuple(EXTENSION_SUFFIXES))
    }
    assert built_modules == (modules - {"__init__", "_compiled"}) | {"_native__mypyc"}


def test_an_installed_wheel_runs_bot_grouping_compiled(wheel: Path, tmp_path: Path) -> None:
    """pip writes each module's source just after its compiled module, which is not an edit (grouping/_compiled.py)."""
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler: the wheel is pure Python")
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(tmp_path), str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=300)
    code = "import bot.grouping as g; print(g.COMPILED)"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("BOLTWATCH_PURE_PYTHON", None)
    ran = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert (ran.stdout.strip(), ran.stderr) == ("True", "")


def test_sandbox_without_the_extra_says_how_to_install_it_in_one_line() -> None:
    # A finder that knows no `sandbox`, first on the path: the import fails as where boltwatch-sandbox is not installed.
    program = """
import sys

class NoSandbox:
    def find_spec(self, name, path=None, target=None):
        if name == "sandbox":
            raise ModuleNotFoundError("No module named 'sandbox'", name="sandbox")
        return None

sys.meta_path.insert(0, NoSandbox())
from bot.cli import main
sys.exit(main(["sandbox"]))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, cwd="/")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == ["boltwatch sandbox needs the sandbox extra: pip install 'boltwatch[sandbox]'"]
