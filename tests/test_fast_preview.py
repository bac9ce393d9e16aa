"""The fast preview (`build.py serve`) serves exactly what `mkdocs build` produces, edit after edit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from briefings.pipeline import Project, mkdocs_build
from briefings.preview import IncrementalSite
from briefings.views import pages_of
from conftest import SEED, SEED_FILE, SEED_SLUG, briefings_latest_first, free_port, served_text, tree_digest, wait_for

pytestmark = pytest.mark.cold_cache  # these tests count the pages a preview converts


def assert_same_as_full_build(project: Path, incremental: Path, scratch: Path) -> None:
    scratch.mkdir(exist_ok=True)
    reference = scratch / f"reference-{len(list(scratch.iterdir()))}"
    mkdocs_build(Project.at(project), reference)
    a, b = tree_digest(incremental), tree_digest(reference)
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []


EDITS = [
    ("a figure's label", lambda t: t.replace("label: Izhevsk from the Ukrainian border", "label: From the border")),
    ("a takeaway's text", lambda t: t.replace("Ten of the wounded were", "Ten of those wounded were")),
    ("a correction (moves dates)", lambda t: t + "corrections:\n  - date: 2025-07-02\n    text: Fixed a label.\n"),
    ("the title", lambda t: t.replace("kills three", "kills 3")),
]


@pytest.mark.slow
def test_incremental_rebuilds_match_full_builds(project, tmp_path):
    site_dir = tmp_path / "preview"
    site = IncrementalSite(Project.at(project), site_dir)
    site.full_build()
    assert_same_as_full_build(project, site_dir, tmp_path / "ref")
    data = project / SEED_FILE
    oldest_first = briefings_latest_first(project)[::-1]
    i = [b.slug for b in oldest_first].index(SEED_SLUG)
    neighbours = [b for b in oldest_first[max(i - 1, 0) : i + 2] if b.slug != SEED_SLUG]
    neighbour_pages = [f"briefings/{b.slug}/{link.file}" for b in neighbours for link in pages_of(b)]
    own_pages = {
        f"briefings/{SEED_SLUG}/{link.file}" for b in oldest_first if b.slug == SEED_SLUG for link in pages_of(b)
    }
    for what, edit in EDITS:
        data.write_text(edit(data.read_text()))
        # As the server runs it: the edited briefing's own pages first, the other changed pages next.
        first = site.update(first=True)
        assert not first.full and first.more, what
        assert f"briefings/{SEED_SLUG}/index.md" in first.pages and set(first.pages) <= own_pages, what
        rest = site.update()
        assert not rest.full and not rest.more, what
        assert not set(first.pages) & set(rest.pages), what  # each page converted once
        pages = first.pages + rest.pages
        if what == "the title":  # every page of a neighbouring briefing names it ("Later: <title> →")
            assert neighbour_pages and set(neighbour_pages) <= set(rest.pages), what
            assert "index.md" in rest.pages and "archive/index.md" in rest.pages, what
            assert "statuses.md" not in pages and "reference.md" not in pages, what
        else:
            assert "briefings/2024-11-17-kupol-first-strike/quotes.md" not in pages, what
        assert_same_as_full_build(project, site_dir, tmp_path / "ref")
    # A second save before the rest of the first is written: both end up as a full build writes them.
    data.write_text(data.read_text().replace("kills 3", "kills three"))
    assert site.update(first=True).more
    data.write_text(data.read_text().replace("Ten of those wounded were", "Ten of the wounded were"))
    assert site.update(first=True).more
    assert not site.update().more
    assert_same_as_full_build(project, site_dir, tmp_path / "ref")
    assert site.update().pages == []  # nothing changed since


@pytest.mark.slow
def test_entity_edits_and_briefings_added_or_removed_match_full_builds(project, tmp_path):
    site_dir = tmp_path / "preview"
    site = IncrementalSite(Project.at(project), site_dir)
    site.full_build()
    entities = project / "data" / "entities.yaml"
    # A record's name shows on its page and on every briefing page that mentions it: one round, every page.
    entities.write_text(entities.read_text().replace("name: Keith Kellogg", "name: Keith Kellogg Jr."))
    result = site.update(first=True)
    assert not result.full and not result.more
    assert "entities/people/keith-kellogg.md" in result.pages and f"briefings/{SEED_SLUG}/quotes.md" in result.pages
    assert_same_as_full_build(project, site_dir, tmp_path / "ref")
    # A briefing added, then removed: other pages exist, so the site is built again in full.
    added = project / "data" / "briefings" / "2025-07-02-copy.yaml"
    added.write_text(
        (project / SEED_FILE)
        .read_text()
        .replace(f"slug: {SEED_SLUG}", "slug: 2025-07-02-copy", 1)
        .replace("published: 2025-07-01", "published: 2025-07-02", 1)
    )
    assert site.update(first=True).full
    assert (site_dir / "briefings" / "2025-07-02-copy" / "index.html").is_file()
    assert_same_as_full_build(project, site_dir, tmp_path / "ref")
    added.unlink()
    assert site.update(first=True).full
    assert_same_as_full_build(project, site_dir, tmp_path / "ref")


@pytest.mark.slow
def test_template_edit_rebuilds_everything(project, tmp_path):
    site = IncrementalSite(Project.at(project), tmp_path / "preview")
    site.full_build()
    template = project / "templates" / "quotes.md.j2"
    template.write_text(template.read_text() + "\nEdited by the test.\n")
    assert site.update().full
    assert site.update().pages == []  # nothing changed since


@pytest.mark.slow
def test_serve_command_shows_an_edit(project):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve().parents[1] / "build.py"),
            "serve",
            "--dev-addr",
            f"127.0.0.1:{port}",
        ],
        cwd=project,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/briefings/{SEED_SLUG}/strike/"
    try:
        wait_for(lambda: "In critical condition" in served_text(url), 60, "the first build")
        data = project / SEED_FILE
        data.write_text(SEED.read_text().replace("label: In critical condition", "label: Critically injured"))
        wait_for(lambda: "Critically injured" in served_text(url), 30, "the edit")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    output = proc.stdout.read().decode()
    assert "pages rebuilt" in output and "Traceback" not in output


def test_generate_reuses_pages_an_edit_cannot_affect(project):
    from briefings.feeds import SiteInfo
    from briefings.pipeline import generate

    site = SiteInfo("https://briefings.example.org/", "Situation reports", "desk")
    first = generate(Project.at(project), site)
    data = project / SEED_FILE
    data.write_text(data.read_text().replace("label: In critical condition", "label: Critically injured"))
    second = generate(Project.at(project), site, previous=first)
    before = {p.src_uri: p for p in first.pages}
    reused = {p.src_uri for p in second.pages if p is before[p.src_uri]}
    # The 2024 briefing's own pages depend on this one (neighbour, shared dispute); these do not:
    assert {"archive/2024.md", "entities/places/belgorod-region.md", "statuses.md"} <= reused
    assert f"briefings/{SEED_SLUG}/strike.md" not in reused and "index.md" not in reused
    fresh = {p.src_uri: p.content for p in generate(Project.at(project), site).pages}
    assert {p.src_uri: p.content for p in second.pages} == fresh
