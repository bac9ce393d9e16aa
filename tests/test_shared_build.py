"""A cold build shares the pages to convert among cores (engine.build jobs): the same site, warnings and errors as one.

Each build is of a scratch Material project of its own, through briefings.engine with the real
build cache; a hook records which process wrote each page, so a test knows the helpers ran.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from briefings import engine
from briefings.cache import BuildCache, PageCache
from conftest import tree_digest

PAGES = 40

CONFIG = """\
site_name: Shared build
site_url: https://example.org/
theme:
  name: material
plugins:
  - search
hooks:
  - writers.py
strict: true
validation:
  anchors: warn
markdown_extensions:
  - toc:
      permalink: true
"""

# Which process wrote each page; a page named in broken.txt fails in its content event (a plugin's error).
HOOK = """\
import os

from mkdocs.exceptions import PluginError


def _here(config, name):
    return os.path.join(os.path.dirname(config.config_file_path), name)


def on_page_content(html, page, config, files):
    broken = _here(config, "broken.txt")
    if os.path.exists(broken) and page.file.src_uri in open(broken).read().split():
        raise PluginError(f"{page.file.src_uri} is broken on purpose")
    buggy = _here(config, "buggy.txt")  # a plugin's bug, not an error it means to report
    if os.path.exists(buggy) and page.file.src_uri in open(buggy).read().split():
        raise ValueError(f"{page.file.src_uri} met a bug")
    return html


def on_post_page(output, page, config):
    with open(_here(config, "writers.txt"), "a") as out:
        out.write(f"{page.file.src_uri} {os.getpid()}\\n")
    return output
"""


def make_project(root: Path, bad_links: bool = False) -> Path:
    """PAGES pages, each linking to an anchor of the next and to its own; bad_links: and to what is not there."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    for i in range(PAGES):
        after = (i + 1) % PAGES
        body = f"# Page {i}\n\nIntro.\n\n## Part {i}\n\n"
        body += f"See [the next part](p{after:02}.md#part-{after}), [this](#part-{i}).\n"
        if bad_links:
            body += f"\n[No anchor](p{after:02}.md#nowhere-{i}) and [no page](missing-{i}.md).\n"
        (docs / f"p{i:02}.md").write_text(body, encoding="utf-8")
    (root / "writers.py").write_text(HOOK, encoding="utf-8")
    (root / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
    return root


def shared_build(root: Path, site: Path, jobs: int) -> tuple[int, dict[str, int]]:
    """engine.build with the project's build cache on `jobs` cores: (pages reused, pid -> pages it wrote)."""
    (root / "writers.txt").unlink(missing_ok=True)
    with BuildCache(root) as cache:
        store = PageCache(cache, "site key", lambda uri: "", lambda uri: True)
        reused = engine.build(engine.load_config(root / "mkdocs.yml", site), store, jobs)
    writers: dict[str, int] = {}
    for line in (root / "writers.txt").read_text().splitlines() if (root / "writers.txt").exists() else []:
        pid = line.split()[1]
        writers[pid] = writers.get(pid, 0) + 1
    return reused, writers


def engine_build(root: Path, site: Path) -> None:
    """The engine's own `mkdocs build`, the reference."""
    from mkdocs.commands.build import build

    build(engine.load_config(root / "mkdocs.yml", site))


@pytest.fixture
def cold(tmp_path: Path):
    """A fresh copy of the project (an empty build cache) for each build."""
    count = iter(range(100))

    def fresh(bad_links: bool = False) -> Path:
        return make_project(tmp_path / f"project-{next(count)}", bad_links)

    return fresh


@pytest.mark.slow
def test_pages_converted_on_several_cores_are_the_engines_bytes(cold, tmp_path):
    reference = tmp_path / "reference"
    engine_build(cold(), reference)
    expected = tree_digest(reference)
    for jobs in (1, 2, 3):
        root = cold()
        reused, writers = shared_build(root, root / "site", jobs)
        assert reused == 0
        assert sorted(writers.values(), reverse=True)[0] < PAGES or jobs == 1, writers
        assert len(writers) == jobs, (jobs, writers)  # this process and jobs - 1 helpers wrote pages
        assert sum(writers.values()) == PAGES
        assert tree_digest(root / "site") == expected, jobs  # the search index and sitemap included
        # Warm: every page from the cache the helpers filled, nothing converted, the same bytes.
        reused, writers = shared_build(root, root / "again", jobs)
        assert (reused, writers) == (PAGES, {}), jobs
        assert tree_digest(root / "again") == expected, jobs


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings, in the order they were handled."""
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.slow
def test_warnings_from_pages_converted_in_helpers_count_as_on_one_core(cold, caplog):
    from mkdocs.exceptions import Abort

    results = []
    for jobs in (1, 2):
        root = cold(bad_links=True)
        caplog.clear()
        with pytest.raises(Abort) as aborted:
            shared_build(root, root / "site", jobs)
        results.append((str(aborted.value), warnings_of(caplog)))
    (serial_abort, serial), (shared_abort, shared) = results
    # Each page: a link to a missing page (found converting it) and to a missing anchor (the anchor check).
    assert serial_abort == shared_abort == f"Aborted with {2 * PAGES} warnings in strict mode!"
    assert shared == serial
    assert any("missing-1.md" in w for w in shared) and any("#nowhere-1" in w for w in shared)


@pytest.mark.slow
def test_an_error_in_a_helpers_page_fails_the_build_naming_the_page(cold, caplog):
    from mkdocs.exceptions import Abort

    for jobs in (1, 2):
        root = cold()
        # The second page to convert: a helper's with two cores (every second page is its share).
        (root / "broken.txt").write_text("p01.md\n")
        caplog.clear()
        with pytest.raises(Abort, match="Aborted with a BuildError!"):
            shared_build(root, root / "site", jobs)
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert "Error reading page 'p01.md':" in errors, (jobs, errors)
        assert "p01.md is broken on purpose" in errors, (jobs, errors)
        assert not (root / "site" / "p01" / "index.html").exists()


@pytest.mark.slow
def test_a_refused_fork_builds_on_one_core(cold, tmp_path, monkeypatch):
    reference = tmp_path / "reference"
    engine_build(cold(), reference)

    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")  # what fork says at a process limit

    monkeypatch.setattr(os, "fork", refuse)
    root = cold()
    reused, writers = shared_build(root, root / "site", 2)
    assert reused == 0 and list(writers.values()) == [PAGES]
    assert tree_digest(root / "site") == tree_digest(reference)


# (file, its text): pages that fail, and the bad links that make warnings, in both processes' shares
# (with two cores the pages to convert alternate: p00 this process's, p01 the helper's, ...).
FAILURES = {
    "an error in this process's share after warnings in the helper's": {
        "broken.txt": "p10.md\n",
        "docs/p03.md": "# Page 3\n\n[No page](missing-a.md)\n",
        "docs/p07.md": "# Page 7\n\n[No page](missing-b.md)\n",
    },
    "errors in both shares, the helper's first": {"broken.txt": "p05.md p12.md\n"},
    "errors in both shares, this process's first": {"broken.txt": "p04.md p09.md\n"},
    "a bug in a helper's page": {"buggy.txt": "p07.md\n", "docs/p03.md": "# Page 3\n\n[No page](missing-a.md)\n"},
    "a bug and an error in a helper's page and this one's": {"buggy.txt": "p11.md\n", "broken.txt": "p14.md\n"},
}


@pytest.mark.slow
@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
def test_a_failing_build_says_on_several_cores_what_it_says_on_one(cold, caplog, failure):
    """The same records, in the same order, up to the same first error, raised as the same exception."""
    said = []
    for jobs in (1, 2):
        root = cold()
        for name, text in FAILURES[failure].items():
            (root / name).write_text(text, encoding="utf-8")
        caplog.clear()
        with pytest.raises(Exception) as raised:
            shared_build(root, root / "site", jobs)
        records = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
        said.append((type(raised.value), str(raised.value), records))
    assert said[1] == said[0]
    assert said[0][2], "the build said why it failed"
