"""MkDocs and ProperDocs build the same site, preview it the same way, and BRIEFINGS_ENGINE picks one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, SEED_FILE, SEED_SLUG, fetch_html, preview_server, wait_for

pytestmark = pytest.mark.cold_cache  # each engine's build does all of its work: the parity test compares them

GENERATOR = re.compile(rb'<meta name="generator" content="([^"]*)">')


def run(project: Path, command: list[str], engine: str | None = None) -> subprocess.CompletedProcess[str]:
    """A command in the project folder as a real subprocess, with BRIEFINGS_ENGINE set to engine (or unset)."""
    env = {k: v for k, v in os.environ.items() if k != "BRIEFINGS_ENGINE"}
    env["NO_MKDOCS_2_WARNING"] = "1"
    if engine is not None:
        env["BRIEFINGS_ENGINE"] = engine
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)


def build_py(*args: str) -> list[str]:
    """`python build.py ARGS`."""
    return [sys.executable, str(ROOT / "build.py"), *args]


def site_files(site: Path) -> tuple[dict[str, bytes], set[bytes]]:
    """Every file of a built site with the generator meta tag blanked, and the tags found."""
    files, generators = {}, set()
    for path in sorted(site.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            generators.update(GENERATOR.findall(data))
            files[path.relative_to(site).as_posix()] = GENERATOR.sub(b'<meta name="generator" content="">', data)
    return files, generators


def assert_same_site(mkdocs_site: Path, properdocs_site: Path) -> None:
    """Byte for byte the same files, but for the generator tag, which names each engine."""
    a, a_generators = site_files(mkdocs_site)
    b, b_generators = site_files(properdocs_site)
    assert any(name.endswith(".html") for name in a)
    assert sorted(a) == sorted(b)
    differ = [name for name in a if a[name] != b[name]]
    assert differ == [], f"{len(differ)} files differ beyond the generator tag, e.g. {differ[:5]}"
    # Each site was built by the engine it claims: otherwise this test compared MkDocs with itself.
    assert a_generators == {f"mkdocs-{version('mkdocs')}, mkdocs-material-{version('mkdocs-material')}".encode()}
    assert len(b_generators) == 1 and b"ProperDocs" in next(iter(b_generators)), b_generators


@pytest.mark.slow
def test_mkdocs_build_and_properdocs_build_write_the_same_site(project, tmp_path):
    mkdocs = run(project, [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(tmp_path / "mkdocs")])
    assert mkdocs.returncode == 0, mkdocs.stderr
    properdocs = run(
        project,
        [sys.executable, "-m", "properdocs", "build", "-q", "-f", "mkdocs.yml", "-d", str(tmp_path / "properdocs")],
    )
    assert properdocs.returncode == 0, properdocs.stderr
    assert_same_site(tmp_path / "mkdocs", tmp_path / "properdocs")


@pytest.mark.slow
def test_build_py_writes_the_same_site_with_either_engine(project, tmp_path):
    default = run(project, build_py("build", "--site-dir", str(tmp_path / "mkdocs")))
    assert default.returncode == 0, default.stderr
    properdocs = run(project, build_py("build", "--site-dir", str(tmp_path / "properdocs")), engine="properdocs")
    assert properdocs.returncode == 0, properdocs.stderr
    pages = [re.findall(r"^built (\d+) pages into ", r.stdout, re.M) for r in (default, properdocs)]
    assert pages[0] and pages[0] == pages[1]
    assert_same_site(tmp_path / "mkdocs", tmp_path / "properdocs")


@pytest.mark.slow
def test_a_failed_build_says_why_with_either_engine(project, tmp_path):
    # Strict mode: a docs/ page outside the nav with a broken link. ProperDocs logs as
    # "properdocs.*": build.py must still collect the reasons, not "Aborted with 2 warnings".
    (project / "docs" / "extra.md").write_text("[broken](nowhere.md)\n", encoding="utf-8")
    results = {
        engine: run(project, build_py("build", "--site-dir", str(tmp_path / engine)), engine=engine)
        for engine in ("mkdocs", "properdocs")
    }
    for engine, result in results.items():
        assert result.returncode == 1, (engine, result.stderr)
        assert "contains a link 'nowhere.md'" in result.stderr.split("error: MkDocs build failed:")[-1], engine
        assert "Traceback" not in result.stderr and "Aborted with" not in result.stderr, engine
        assert not (tmp_path / engine).exists(), engine
    assert results["mkdocs"].stderr == results["properdocs"].stderr


def test_an_unknown_engine_is_a_usage_error_naming_the_engines(project):
    result = run(project, build_py("build"), engine="sphinx")
    assert result.returncode == 3
    assert result.stderr.strip() == (
        "error: BRIEFINGS_ENGINE='sphinx' is not an engine; use one of: mkdocs, properdocs (default: mkdocs)"
    )
    assert not (project / "site").exists()


def test_properdocs_missing_says_how_to_install_it(project):
    # The process behaves as if ProperDocs were not installed (find_spec finds nothing).
    script = (
        "import sys; sys.modules['properdocs'] = None\n"
        "from briefings.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    result = run(project, [sys.executable, "-c", script, "--project", str(project), "build"], engine="properdocs")
    assert result.returncode == 3, result.stderr
    assert "BRIEFINGS_ENGINE=properdocs but ProperDocs is not installed" in result.stderr
    assert "-m pip install properdocs" in result.stderr and "Traceback" not in result.stderr
    assert not (project / "site").exists()


def test_the_engine_cannot_change_once_mkdocs_is_loaded():
    import mkdocs  # noqa: F401  (this test process has the real MkDocs loaded)

    from briefings import engine
    from briefings.errors import UsageError

    assert engine.select("mkdocs") == "mkdocs"
    with pytest.raises(UsageError, match="cannot switch to properdocs: mkdocs is already loaded"):
        engine.select("properdocs")


def fetch(url: str) -> str:
    """The text a reader sees on a served page."""
    return BeautifulSoup(fetch_html(url), "lxml").get_text(" ")


def generator(url: str) -> str:
    """The generator meta tag's content on a served page."""
    found = GENERATOR.findall(fetch_html(url).encode())
    return found[0].decode() if found else ""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "env"),
    [("properdocs serve", {}), ("build.py serve", {"BRIEFINGS_ENGINE": "properdocs"})],
    ids=["properdocs serve", "BRIEFINGS_ENGINE=properdocs build.py serve"],
)
def test_previews_under_properdocs_show_an_edit(project, kind, env):
    with preview_server(project, kind, env=env) as (base, log):
        url = f"{base}/briefings/{SEED_SLUG}/strike/"
        assert "ProperDocs" in generator(url)  # served by ProperDocs, through the hook
        assert "In critical condition" in fetch(url)
        data = project / SEED_FILE
        data.write_text(data.read_text().replace("label: In critical condition", "label: Critically injured"))
        wait_for(lambda: "Critically injured" in fetch(url), 60, "the data edit to be served")
        if kind == "build.py serve":  # the fast preview rebuilt only changed pages
            wait_for(lambda: "pages rebuilt" in log.read_text(errors="replace"), 30, "the rebuild to be logged")
    output = log.read_text(errors="replace")
    assert "Traceback" not in output
    assert not list((project / "docs").rglob("strike*")), "generated pages must never be written into docs/"
