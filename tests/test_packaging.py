"""Packaging: the two locks (every package pinned with its hashes) and the pre-commit hooks."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import ROOT

REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$")


def locked(name: str) -> dict[str, tuple[str, list[str]]]:
    """package -> (version, hashes) of a lock file; every requirement line must be an exact pin."""
    found: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = REQUIREMENT.match(line)
        if match:
            current = match.group(1).lower().replace("_", "-")
            found[current] = (match.group(2), [])
        else:
            assert current is not None and line.startswith("    --hash=sha256:"), f"{name}: {line!r}"
            found[current][1].append(line.split(":", 1)[1].rstrip(" \\"))
    return found


def pins(specs: list[str]) -> dict[str, str]:
    return {s.split("==")[0].lower().replace("_", "-"): s.split("==")[1] for s in specs}


def test_every_locked_package_has_hashes_and_the_dev_lock_agrees_with_the_runtime_lock():
    runtime, dev = locked("requirements.lock"), locked("requirements-dev.lock")
    for lock in (runtime, dev):
        assert lock and [name for name, (_, hashes) in lock.items() if not hashes] == []
        assert all(re.fullmatch("[0-9a-f]{64}", h) for _, hashes in lock.values() for h in hashes)
    assert {name: dev[name] for name in runtime} == runtime  # one version, one set of hashes
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert {n: v for n, v in pins(project["dependencies"]).items() if runtime[n][0] != v} == {}
    assert {n: v for n, v in pins(project["optional-dependencies"]["dev"]).items() if dev[n][0] != v} == {}
    assert {"pytest", "ruff", "mypy", "zizmor", "check-jsonschema"} <= dev.keys() - runtime.keys()


def test_bootstrap_installs_with_require_hashes_and_test_sh_adds_the_dev_lock():
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    assert "--require-hashes" in bootstrap
    assert 'BRIEFINGS_LOCKS="requirements.lock requirements-dev.lock"' in (ROOT / "scripts" / "test.sh").read_text()
    assert "BRIEFINGS_LOCKS" not in (ROOT / "scripts" / "build.sh").read_text()


def test_pre_commit_config_is_valid_and_runs_ruff_and_mypy():
    config = ROOT / ".pre-commit-config.yaml"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "pre-commit"), "validate-config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = config.read_text(encoding="utf-8")
    for entry in ("-m ruff check", "-m ruff format --check", "-m mypy briefings"):
        assert f"entry: .venv/bin/python {entry}" in text
