"""The Dockerfile and deploy/compose.yml, read as a container engine would (none runs on the test machines): the image
is built from tracked files that are exactly the wheel's packages, runs as an unprivileged user with `boltwatch` as
its entry point, and every command compose gives it is one the CLI accepts."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", "\n".join(line for line in DOCKERFILE.splitlines() if not line.startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in joined.splitlines() if line.strip()]


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for name, args in instructions():
        if name == "FROM":
            found.append([])
        if found:
            found[-1].append((name, args))
    return found


def test_the_build_stage_copies_exactly_the_wheels_packages_from_tracked_files() -> None:
    build, _runtime = stages()
    copied = [shlex.split(args)[0] for name, args in build if name == "COPY"]
    sources = {c for c in copied if c not in ("pyproject.toml", "README.md")}
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert {source.rstrip("/") + "*" for source in sources} == set(packages["include"])
    tracked = subprocess.run(["git", "ls-files", *copied], cwd=ROOT, capture_output=True, text=True, check=True)
    assert {line.split("/")[0] for line in tracked.stdout.splitlines()} == set(copied)


def test_the_runtime_stage_runs_boltwatch_as_an_unprivileged_user_without_the_sources() -> None:
    _build, runtime = stages()
    [user] = [args for name, args in runtime if name == "USER"]
    assert user.split(":")[0] not in ("0", "root")
    assert [args for name, args in runtime if name == "COPY"] == ["--from=build /opt/boltwatch /opt/boltwatch"]
    [entrypoint] = [args for name, args in runtime if name == "ENTRYPOINT"]
    assert entrypoint == '["boltwatch"]'
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["boltwatch"] == "bot.cli:main"
    [healthcheck] = [args for name, args in runtime if name == "HEALTHCHECK"]
    assert "/healthz" in healthcheck


def commands() -> list[list[str]]:
    """The default command of the image and each compose service's."""
    [cmd] = [args for name, args in stages()[1] if name == "CMD"]
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yml").read_text(encoding="utf-8"))
    services = [s for name, s in compose["services"].items() if name != "postgres"]
    return [yaml.safe_load(cmd)] + [s["command"] for s in services]


@pytest.mark.parametrize("argv", commands(), ids=lambda argv: " ".join(argv[:3]))
def test_every_command_the_image_is_given_is_one_the_cli_accepts(argv: list[str], tmp_path: Path) -> None:
    """Parsed by the CLI's own parser in a process, up to where it would start serving (`--help` after the command)."""
    program = (
        "import sys; from bot.cli import _parser; args = _parser().parse_args(sys.argv[1:]); "
        "print(args.command)"
    )
    done = subprocess.run([sys.executable, "-c", program, *argv], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == argv[0]
