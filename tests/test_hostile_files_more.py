"""More hostile files: the boundary data, the root configuration, output clashes and crafted names.

Like test_hostile_files.py, every case runs the command line on a scratch copy of the
project and asserts what a user reads: the exit code, the error line naming the file, the
pages served; `python build.py` as a subprocess for pipes, for what MkDocs logs and for one
case of each kind, main() in process otherwise. Nothing waits a fixed time: a command that
would hang fails by its timeout, a preview is polled until it answers.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from briefings.errors import PrintableFilter
from briefings.links import Broken
from conftest import (
    LINK,
    MKDOCS,
    ROOT,
    SECRET,
    assert_refused,
    briefings_latest_first,
    build_py,
    copy_project,
    error_lines,
    fetch_html,
    preview_server,
    run,
    wait_for,
)

REGION = "data/geo/region.json"
EXPECTED_REGION = "a JSON object with bbox, countries and source, as scripts/vendor_map.py writes it"
MAX_DEPTH = 8  # briefings.locator.MAX_DEPTH: the vendored structure needs 6 levels
FIFO = "is a named pipe (FIFO), not a regular file (expected a regular file)"


def bundled_region() -> dict:
    return json.loads((ROOT / REGION).read_text(encoding="utf-8"))


def write_region(project: Path, content: bytes | str | dict) -> None:
    path = project / REGION
    if isinstance(content, dict):
        content = json.dumps(content)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)


def with_changes(**changes: object) -> dict:
    region = bundled_region()
    region.update(changes)
    return region


def broken_point() -> dict:
    region = bundled_region()
    region["countries"][0]["rings"][0][3] = [200.0, "north"]
    return region


def broken_name() -> dict:
    region = bundled_region()
    region["countries"][1]["name"] = "Uzbekistan\n\n<script>alert(1)</script>"
    return region


# --------------------------------------------------------------------------- F2: data/geo/region.json


REGION_CASES = {
    "empty": (b"", f"{REGION}:1: (file): file is empty (expected {EXPECTED_REGION})"),
    "blank lines": (b"\n\n  \n", f"{REGION}:1: (file): file is empty (expected {EXPECTED_REGION})"),
    "deeply nested": (
        b"[" * 200_000,
        f"{REGION}:1:{MAX_DEPTH + 1}: (file): nesting deeper than {MAX_DEPTH} levels (expected {EXPECTED_REGION})",
    ),
    "deeply nested objects": (
        b'{"a":' * 50_000,
        f"{REGION}:1:{5 * MAX_DEPTH + 1}: (file): nesting deeper than {MAX_DEPTH} levels (expected {EXPECTED_REGION})",
    ),
    "huge integer": (
        '{"bbox": [' + "9" * 5_000 + ', 40, 66, 64], "countries": [], "source": "x"}',
        f"{REGION}: bbox[0]: 999999999999... (5000 characters) is not a finite number"
        " (expected a longitude from -180 to 180)",
    ),
    "bad UTF-8": (
        b'{"source": "Natural \xff Earth"}',
        f"{REGION}:1:21: (file): byte 0xff is not valid UTF-8 (expected UTF-8 text)",
    ),
    "syntax error": (
        b'{"bbox": [14, 40,\n  66, 64,],\n "countries": []}',
        f"{REGION}:2:10: (file): JSON syntax error: Expecting value (expected valid JSON)",
    ),
    "top-level list": (b"[]", f"{REGION}: (file): top level is a list of 0 items (expected {EXPECTED_REGION})"),
    "missing keys": ("{}", f"{REGION}: bbox: required field is missing (expected {EXPECTED_REGION})"),
    "unknown key": (
        with_changes(bbx=[1, 2, 3, 4]),
        f"{REGION}: bbx: unknown field 'bbx' (expected one of: source, licence, bbox, countries)",
    ),
    "bbox is text": (
        with_changes(bbox="14,40,66,64"),
        f"{REGION}: bbox: is text (expected a list of 4 numbers, [west, south, east, north] in degrees)",
    ),
    "bbox NaN": (
        '{"bbox": [NaN, 40, 66, 64], "countries": [], "source": "x"}',
        f"{REGION}: bbox[0]: NaN is not a finite number (expected a longitude from -180 to 180)",
    ),
    "bbox Infinity": (
        '{"bbox": [14, 40, 66, 1e999], "countries": [], "source": "x"}',
        f"{REGION}: bbox[3]: 1e999 is not a finite number (expected a latitude from -90 to 90)",
    ),
    "bbox out of range": (
        with_changes(bbox=[14, 40, 66, 95]),
        f"{REGION}: bbox[3]: 95 is out of range (expected a latitude from -90 to 90)",
    ),
    "bbox of zero width": (
        with_changes(bbox=[14, 40, 14, 64]),
        f"{REGION}: bbox: west 14, south 40, east 14, north 64 is not a view box"
        " (expected west < east and south < north, each at least 0.01 degrees apart)",
    ),
    "bbox upside down": (
        with_changes(bbox=[14, 64, 66, 40]),
        f"{REGION}: bbox: west 14, south 64, east 66, north 40 is not a view box"
        " (expected west < east and south < north, each at least 0.01 degrees apart)",
    ),
    "bbox a sliver": (
        with_changes(bbox=[14, -80, 14.5, 80]),
        f"{REGION}: bbox: the map would be 320 times as tall as it is wide"
        " (expected a view box from 0.1 to 10 times as tall as wide)",
    ),
    "countries not a list": (
        with_changes(countries={"name": "x"}),
        f"{REGION}: countries: is an object (expected a list of at most 1000 countries)",
    ),
    "point out of range": (
        broken_point(),
        f"{REGION}: countries[0].rings[0][3][0]: 200 is out of range (expected a longitude from -180 to 180)",
    ),
    "name with a blank line": (
        broken_name(),
        f"{REGION}: countries[1].name: has a control character or line break"
        " (Uzbekistan\\n\\n<script>alert(1)</script>) (expected one line of text, at most 200 characters)",
    ),
    "source is a number": (
        with_changes(source=1),
        f"{REGION}: source: is the number 1 (expected one line of text, at most 500 characters)",
    ),
    "duplicate key": (
        '{"bbox": [14, 40, 66, 64], "bbox": [0, 0, 1, 1], "countries": [], "source": "x"}',
        f"{REGION}: (file): duplicate key 'bbox' (expected each key once in an object)",
    ),
}


@pytest.mark.parametrize("case", REGION_CASES, ids=list(REGION_CASES))
def test_invalid_region_is_a_data_error(cli_project, tmp_path, case):
    content, first_line = REGION_CASES[case]
    write_region(cli_project, content)
    assert_refused(cli_project, tmp_path / "out", first_line, child=case == "syntax error")


def test_every_region_problem_is_listed_with_the_briefing_problems(cli_project, tmp_path):
    write_region(cli_project, '{"bbox": "x", "countries": 5, "source": 1}')
    (cli_project / "data" / "briefings" / "broken.yaml").write_text("title: [\n")
    result = build_py(cli_project, "check")
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "data/briefings/broken.yaml:2:1: (file): YAML syntax error: while parsing a flow node"
        " did not find expected node content (expected valid YAML)",
        f"{REGION}: bbox: is text (expected a list of 4 numbers, [west, south, east, north] in degrees)",
        f"{REGION}: countries: is the number 5 (expected a list of at most 1000 countries)",
        f"{REGION}: source: is the number 1 (expected one line of text, at most 500 characters)",
        "4 problems in 2 data files",
    ]


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_region_that_is_a_link_or_a_pipe_is_refused(cli_project, secret, tmp_path, kind):
    path = cli_project / REGION
    path.unlink()
    if kind == "symlink":
        path.symlink_to(secret)
        first_line = f"{REGION}: (file): is a symbolic link (to {str(secret)!r}); {LINK}"
    else:
        os.mkfifo(path)
        first_line = f"{REGION}: (file): {FIFO}"
    assert_refused(cli_project, tmp_path / "out", first_line, child=(kind == "fifo"))


def _load_region_in_a_subprocess(path: Path) -> subprocess.CompletedProcess[str]:
    """load_region itself, in a child with a timeout: a reader that blocks on a pipe fails, never hangs."""
    code = (
        "import sys; from pathlib import Path; from briefings.errors import DataError;"
        "from briefings.locator import load_region\n"
        "try:\n    load_region(Path(sys.argv[1]), 'region.json'); print('loaded')\n"
        "except DataError as exc:\n    print(exc.format())\n"
    )
    return subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_region_reader_itself_refuses_links_and_pipes(tmp_path):
    # The folder check runs first in a build; the reader does not rely on it.
    outside = tmp_path / "outside.json"
    shutil.copy2(ROOT / REGION, outside)
    (tmp_path / "link.json").symlink_to(outside)
    os.mkfifo(tmp_path / "pipe.json")
    assert _load_region_in_a_subprocess(tmp_path / "link.json").stdout.splitlines() == [
        f"region.json: (file): is a symbolic link (to {str(outside)!r}); {LINK}",
        "1 problem in 1 data file",
    ]
    assert _load_region_in_a_subprocess(tmp_path / "pipe.json").stdout.splitlines() == [
        f"region.json: (file): {FIFO}",
        "1 problem in 1 data file",
    ]
    assert _load_region_in_a_subprocess(outside).stdout.splitlines() == ["loaded"]


# --------------------------------------------------------------------------- F3: files at the project root


@pytest.mark.parametrize("name", ["mkdocs.yml", "lychee.toml"])
def test_root_config_that_is_a_pipe_is_refused_without_hanging(cli_project, tmp_path, name):
    (cli_project / name).unlink()
    os.mkfifo(cli_project / name)
    assert_refused(cli_project, tmp_path / "out", f"{name}: (file): {FIFO}", child=True)


@pytest.mark.parametrize("name", ["mkdocs.yml", "lychee.toml"])
def test_root_config_that_is_a_link_is_refused(cli_project, tmp_path, name):
    # A link to another project's configuration (or anything else outside) is not followed.
    other = tmp_path / "elsewhere" / name
    other.parent.mkdir()
    shutil.copy2(cli_project / name, other)
    (cli_project / name).unlink()
    (cli_project / name).symlink_to(other)
    assert_refused(cli_project, tmp_path / "out", f"{name}: (file): is a symbolic link (to {str(other)!r}); {LINK}")


@pytest.mark.slow
def test_check_links_refuses_a_lychee_config_pipe(cli_project, built_site, tmp_path):
    (cli_project / "lychee.toml").unlink()
    os.mkfifo(cli_project / "lychee.toml")
    result = build_py(cli_project, "check-links", str(built_site))
    assert result.returncode == 2, result.stderr
    assert error_lines(result.stderr) == [f"lychee.toml: (file): {FIFO}", "1 problem in 1 file"]


def test_mkdocs_build_refuses_a_linked_config(cli_project, tmp_path):
    other = tmp_path / "elsewhere" / "mkdocs.yml"
    other.parent.mkdir()
    shutil.copy2(cli_project / "mkdocs.yml", other)
    (cli_project / "mkdocs.yml").unlink()
    (cli_project / "mkdocs.yml").symlink_to(other)
    out = tmp_path / "mkdocs-out"
    result = run(cli_project, str(MKDOCS), "build", "-d", str(out))
    assert result.returncode == 1, result.stderr
    assert f"  mkdocs.yml: (file): is a symbolic link (to {str(other)!r}); {LINK}" in result.stderr.splitlines()
    assert not (out / "index.html").exists()


def test_inherited_config_that_is_a_pipe_is_refused(cli_project, tmp_path):
    config = cli_project / "mkdocs.yml"
    config.write_text("INHERIT: base.yml\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    os.mkfifo(cli_project / "base.yml")
    assert_refused(cli_project, tmp_path / "out", f"base.yml: (file): {FIFO}", child=True)


def test_schema_never_writes_through_a_linked_readme(cli_project, tmp_path):
    outside = tmp_path / "outside-readme.md"
    outside.write_text("# not this project's README\n")
    (cli_project / "README.md").symlink_to(outside)
    result = build_py(cli_project, "schema")
    assert result.returncode == 2, result.stdout + result.stderr
    assert error_lines(result.stderr)[0] == f"README.md: (file): is a symbolic link (to {str(outside)!r}); {LINK}"
    assert outside.read_text() == "# not this project's README\n"


def test_link_cache_is_never_read_or_written_through_a_link(tmp_path, secret):
    from briefings.external import check_external_online
    from briefings.links import LinkReport

    cache = tmp_path / ".cache" / "external-links-2.json"
    cache.parent.mkdir()
    cache.symlink_to(secret)
    check_external_online(LinkReport(), cache)
    assert secret.read_text() == f"TOKEN={SECRET}\n"  # the link was replaced, not written through
    assert not cache.is_symlink() and json.loads(cache.read_text()) == {}


@pytest.mark.slow
def test_link_cache_that_is_a_pipe_is_refused_without_hanging(cli_project, built_site):
    (cli_project / ".cache").mkdir(exist_ok=True)
    os.mkfifo(cli_project / ".cache" / "external-links-2.json")
    code = (
        "import sys; from pathlib import Path\n"
        "from briefings.external import check_external_online\n"
        "from briefings.links import LinkReport\n"
        "check_external_online(LinkReport(), Path(sys.argv[1])); print('done')\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", code, str(cli_project / ".cache" / "external-links-2.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.stdout == "done\n", child.stderr
    # The reader skipped the pipe and the writer renamed a new file over it; the command
    # refuses a pipe there before fetching anything.
    (cli_project / ".cache" / "external-links-2.json").unlink()
    os.mkfifo(cli_project / ".cache" / "external-links-2.json")
    result = build_py(cli_project, "check-links", str(built_site), "--external")
    assert result.returncode == 2, result.stderr
    assert error_lines(result.stderr)[0] == f".cache/external-links-2.json: (file): {FIFO}"


# --------------------------------------------------------------------------- F4: output clashes


def _archive_year() -> int:
    return briefings_latest_first()[0].published.year


def _theme_asset() -> str:
    import material

    folder = Path(material.__file__).parent / "templates"
    bundle = next((folder / "assets" / "javascripts").glob("bundle.*.min.js"))
    return bundle.relative_to(folder).as_posix()


SCHEMA = "briefing.schema.json"
EXPECTED_CLASH = "a file name no generated page or build output uses; generated pages are never in docs/"


def clash_cases() -> list[tuple[str, str, str]]:
    year = _archive_year()
    asset = _theme_asset()
    return [
        (f"archive/{year}/index.md", f"the generated page archive/{year}.md", f"archive/{year}/index.html"),
        (f"archive/{year}/index.html", f"the generated page archive/{year}.md", f"archive/{year}/index.html"),
        ("index.md", "the generated page index.md", "index.html"),
        ("index.html", "the generated page index.md", "index.html"),
        ("statuses/index.md", "the generated page statuses.md", "statuses/index.html"),
        ("404.html", "the theme's 404.html", "404.html"),
        ("sitemap.xml", "the theme's sitemap.xml", "sitemap.xml"),
        ("sitemap.xml.gz", "the compressed sitemap MkDocs writes", "sitemap.xml.gz"),
        ("search/search_index.json", "the search index", "search/search_index.json"),
        ("feed.xml", "the generated file feed.xml", "feed.xml"),
        ("feed.json", "the generated file feed.json", "feed.json"),
        ("api/briefings.json", "the generated file api/briefings.json", "api/briefings.json"),
        (f"schema/{SCHEMA}", f"the generated file schema/{SCHEMA}", f"schema/{SCHEMA}"),
        (asset, f"the theme's {asset}", asset),
        ("about/index.md", "docs/about.md", "about/index.html"),
    ]


@pytest.fixture(scope="module")
def clash_builds(
    tmp_path_factory: pytest.TempPathFactory, warm_cache: Path
) -> list[tuple[subprocess.CompletedProcess[str], Path]]:
    """`python build.py build` of two scratch projects that hold every clashing docs file between them.

    The build lists every clash it finds, and a docs file's clash is found whatever else is in docs/,
    so one build shows all of them; the cases are split in two so that no two of the planted files
    have the same output path themselves (docs/index.md and docs/index.html). Each output and exit code.
    """
    cases = clash_cases()
    dests = [dest for _, _, dest in cases]
    first = [i for i, dest in enumerate(dests) if dests.index(dest) == i]
    groups = [first, [i for i in range(len(cases)) if i not in first]]
    builds = []
    for number, group in enumerate(groups):
        project = copy_project(tmp_path_factory.mktemp(f"clash-{number}") / "project", warm_cache)
        shutil.copy2(ROOT / "build.py", project / "build.py")
        for i in group:
            path = project / "docs" / cases[i][0]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("# Poisoned\n\nPOISON-7c1e\n")
        out = project.parent / "out"
        builds.append((build_py(project, "build", "--site-dir", str(out)), out))
    return [builds[next(n for n, group in enumerate(groups) if i in group)] for i in range(len(cases))]


@pytest.mark.slow
@pytest.mark.parametrize("case", range(len(clash_cases())))
def test_docs_file_with_a_generated_output_path_is_refused(clash_builds, case):
    rel, other, dest = clash_cases()[case]
    result, out = clash_builds[case]
    assert result.returncode == 1, result.stdout + result.stderr
    line = f"  docs/{rel}: (file): clashes with {other}: both would be published as {dest} (expected {EXPECTED_CLASH})"
    assert line in result.stderr.splitlines(), result.stderr
    assert "error: MkDocs build failed:" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not out.exists()


@pytest.mark.slow
def test_mkdocs_build_refuses_a_clash_too(cli_project, tmp_path):
    year = _archive_year()
    (cli_project / "docs" / "archive" / str(year)).mkdir(parents=True)
    (cli_project / "docs" / "archive" / str(year) / "index.md").write_text("# Poisoned\n\nPOISON-7c1e\n")
    out = tmp_path / "mkdocs-out"
    result = run(cli_project, str(MKDOCS), "build", "-d", str(out), timeout=300)
    assert result.returncode == 1, result.stderr
    assert "files in docs/ clash with the site's own output:" in result.stderr
    line = (
        f"  docs/archive/{year}/index.md: (file): clashes with the generated page archive/{year}.md:"
        f" both would be published as archive/{year}/index.html (expected {EXPECTED_CLASH})"
    )
    assert line in result.stderr.splitlines()
    index = out / "search" / "search_index.json"
    assert not index.exists() or "POISON-7c1e" not in index.read_text()


@pytest.mark.slow
def test_preview_shows_a_clash_and_recovers_when_it_is_renamed(project):
    year = _archive_year()
    clash = project / "docs" / "archive" / str(year) / "index.md"
    clash.parent.mkdir(parents=True)
    clash.write_text("# Poisoned\n\nPOISON-7c1e\n")
    with preview_server(project, "build.py serve") as (base, log):
        home = fetch_html(base + "/")
        assert "A file in docs/ clashes with the site" in home
        assert f"docs/archive/{year}/index.md" in home
        assert "POISON-7c1e" not in fetch_html(base + f"/archive/{year}/")
        clash.rename(clash.with_name("notes.md"))
        wait_for(lambda: "clashes with" not in fetch_html(base + "/"), 60, "the preview to recover")
        assert f"Archive {year}" in fetch_html(base + f"/archive/{year}/")
    assert "files in docs/ clash with the site's own output:" in log.read_text(errors="replace")


# --------------------------------------------------------------------------- F6: crafted names in relayed output

FORGED = "ERROR fake: all checks passed"
CRAFTED = f"evil\n{FORGED}"


def forged_lines(*outputs: str) -> list[str]:
    return [line for text in outputs for line in text.splitlines() if line.lstrip().startswith("ERROR fake")]


@pytest.mark.slow
def test_mkdocs_warning_about_a_crafted_docs_name_is_escaped(cli_project, tmp_path):
    (cli_project / "docs" / f"{CRAFTED}.md").write_text("# Evil\n\n[broken](nowhere.md)\n")
    result = build_py(cli_project, "build", "--site-dir", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    assert forged_lines(result.stdout, result.stderr) == []
    escaped = f"Doc file 'evil\\n{FORGED}.md' contains a link 'nowhere.md', but the target is not found"
    assert any(line.startswith(escaped) for line in error_lines(result.stderr)), result.stderr
    assert f"  - evil\\n{FORGED}.md" in result.stderr.splitlines()  # MkDocs' own list layout is kept
    direct = run(cli_project, str(MKDOCS), "build", "-d", str(tmp_path / "mkdocs-out"), timeout=300)
    assert direct.returncode == 1
    assert forged_lines(direct.stdout, direct.stderr) == []
    assert escaped in direct.stderr


@pytest.mark.slow
def test_link_check_of_a_crafted_page_name_is_escaped(cli_project, built_site, tmp_path):
    (cli_project / "docs" / f"{CRAFTED}.html").write_text('<p><a href="missing.html">x</a></p>\n')
    result = build_py(cli_project, "build", "--site-dir", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    assert forged_lines(result.stdout, result.stderr) == []
    assert f"evil\\n{FORGED}.html -> missing.html: no such file" in result.stderr.splitlines()
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    (site / f"{CRAFTED}.html").write_text('<p><a href="missing%0AERROR fake.html">x</a></p>\n')
    checked = build_py(cli_project, "check-links", str(site))
    assert checked.returncode == 1, checked.stderr
    assert forged_lines(checked.stdout, checked.stderr) == []
    assert f"evil\\n{FORGED}.html -> missing%0AERROR fake.html: no such file" in checked.stderr.splitlines()


def test_printable_message_keeps_only_indented_line_breaks():
    from briefings.errors import printable_message
    from briefings.locator import REGION_MAX_DEPTH

    assert REGION_MAX_DEPTH == MAX_DEPTH
    message = "pages not in nav:\n  - a.md\n  - evil\nERROR fake.md\n\x1b[31mred"
    assert printable_message(message) == "pages not in nav:\n  - a.md\n  - evil\\nERROR fake.md\\n\\x1b[31mred"
    assert Broken("evil\nERROR x.html", "a\rb", "no such file").format() == "evil\\nERROR x.html -> a\\rb: no such file"
    record = logging.LogRecord("mkdocs", logging.WARNING, __file__, 1, "Doc file '%s' is odd", ("a\nERROR b",), None)
    PrintableFilter().filter(record)
    assert record.getMessage() == "Doc file 'a\\nERROR b' is odd"
