"""The GitHub Actions workflow: valid against GitHub's workflow schema, and zizmor (offline) finds nothing.

Both tools come from the development lock (PyPI wheels) and run beside this Python. Each check
is also run on a broken copy, to show it fails when the workflow is wrong.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "site.yml"
ZIZMOR_CONFIG = ROOT / ".github" / "zizmor.yml"
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")


def zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    """zizmor offline with the repository's config, at its strictest persona (informational findings too)."""
    cmd = [str(BIN / "zizmor"), "--offline", "--config", str(ZIZMOR_CONFIG), "--persona", "pedantic", str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def schema_check(path: Path) -> subprocess.CompletedProcess[str]:
    cmd = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / ".github" / "workflows" / WORKFLOW.name
    path.parent.mkdir(parents=True)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_workflow_matches_githubs_schema():
    result = schema_check(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_zizmor_finds_nothing():
    result = zizmor(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_every_action_is_pinned_to_a_commit_with_its_tag():
    uses = [line for line in WORKFLOW.read_text(encoding="utf-8").splitlines() if "uses:" in line]
    assert uses and [line for line in uses if not PINNED.match(line)] == []
    actions = {PINNED.match(line).group(1) for line in uses}  # type: ignore[union-attr]
    assert {"actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"} <= actions


def test_pull_requests_run_the_readme_test_command_and_main_deploys_the_checked_site():
    text = WORKFLOW.read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in readme and "run: bash scripts/test.sh" in text
    build = text[text.index("  build:") : text.index("  deploy:")]
    assert "run: bash scripts/build.sh" in build and "build.py check-links site" in build
    assert build.index("check-links") < build.index("upload-pages-artifact")
    assert "BRIEFINGS_SITE_URL: ${{ steps.pages.outputs.base_url }}/" in build


@pytest.mark.parametrize(
    ("old", "new", "audit"),
    [
        ("deploy-pages@d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e # v4.0.5", "deploy-pages@v4", "unpinned-uses"),
        ("persist-credentials: false", "fetch-depth: 1", "artipacked"),  # the default persists
        ("permissions: {}\n", "", "excessive-permissions"),
        ("run: bash scripts/build.sh", "run: bash scripts/build.sh ${{ github.head_ref }}", "template-injection"),
    ],
    ids=["unpinned", "credentials", "permissions", "injection"],
)
def test_zizmor_fails_a_weakened_workflow(tmp_path, old, new, audit):
    result = zizmor(broken_copy(tmp_path, old, new))
    assert result.returncode != 0
    assert audit in result.stdout


def test_schema_check_fails_a_malformed_workflow(tmp_path):
    result = schema_check(broken_copy(tmp_path, "    runs-on: ubuntu-24.04\n", "    runs-on: [\n"))
    assert result.returncode != 0
    result = schema_check(broken_copy(tmp_path / "b", "    timeout-minutes: 20\n", "    timeout-minutes: soon\n"))
    assert result.returncode != 0
