"""A preview started on a project whose site/ the last build made from the same files serves it at once.

It serves that folder while it makes its own site (the same bytes), then serves its own and
rebuilds on edits as ever. Anything changed since that build (an input, a file of the site)
and it starts as before: nothing stale is ever served.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from briefings.cache import BuildCache, PageCache, published_as_built, site_tree
from briefings.pipeline import Project, engine_config, inputs_stamp, stamp_covers
from briefings.preview import READY, IncrementalSite
from briefings.publish import MARKER
from conftest import SEED_FILE, SEED_SLUG, fetch_html, preview_server, run_cli, tree_digest, wait_for

pytestmark = pytest.mark.cold_cache  # a preview's start depends on what the cache recorded of the last build

SERVED_BUILT = "as the last build published it"


def remembered(root: Path, site: Path, stamp: str) -> None:
    """Record site as a build published it, built from inputs with this stamp."""
    with BuildCache(root) as cache:
        assert cache.enabled
        PageCache(cache, "site key", lambda uri: "", lambda uri: True).remember(site, stamp)


def as_built(root: Path, site: Path, stamp: str = "stamp") -> bool:
    with BuildCache(root) as cache:
        return published_as_built(cache, site, stamp)


@pytest.fixture
def published(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "a" / "b").mkdir(parents=True)
    (site / "index.html").write_text("<p>home</p>")
    (site / "a" / "b" / "index.html").write_text("<p>page</p>")
    remembered(tmp_path, site, "stamp")
    return site


def test_a_site_as_the_build_left_it_is_served_as_built(published, tmp_path):
    assert as_built(tmp_path, published)
    assert not as_built(tmp_path, published, "another stamp")  # built from other inputs


def _edit_in_place_keeping_the_time(site: Path) -> None:
    page = site / "index.html"
    info = page.stat()
    page.write_text("<p>HOME</p>")  # the same size
    os.utime(page, ns=(info.st_atime_ns, info.st_mtime_ns))  # the change time still moves


CHANGES = {
    "a file edited in place, time put back": _edit_in_place_keeping_the_time,
    "a file added": lambda site: (site / "planted.html").write_text("x"),
    "a folder added": lambda site: (site / "new").mkdir(),
    "a file removed": lambda site: (site / "a" / "b" / "index.html").unlink(),
    "a file replaced by a link": lambda site: (
        (site / "index.html").unlink(),
        (site / "index.html").symlink_to(site / "a" / "b" / "index.html"),
    ),
    "a link added": lambda site: (site / "elsewhere").symlink_to("/etc"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_site_changed_since_the_build_is_not_served_as_built(published, tmp_path, change):
    tree = site_tree(published)
    CHANGES[change](published)
    assert site_tree(published) != tree
    assert not as_built(tmp_path, published)


def test_a_site_folder_that_is_a_link_is_not_served_as_built(published, tmp_path):
    link = tmp_path / "linked"
    link.symlink_to(published)
    remembered(tmp_path, link, "stamp")
    assert not as_built(tmp_path, link)


def test_the_inputs_stamp_moves_with_any_write_to_an_input(project):
    root = Project.at(project)
    before = inputs_stamp(root)
    assert inputs_stamp(root) == before
    assert inputs_stamp(root, "https://example.org/") != before  # another address
    data = project / SEED_FILE
    data.write_bytes(data.read_bytes())  # the same bytes, written again
    assert inputs_stamp(root) != before
    again = inputs_stamp(root)
    (project / "templates" / "new.md.j2").write_text("")
    assert inputs_stamp(root) != again


def without_reload_script(html: str) -> str:
    """A page as the live-reload server sends it, less the script it adds last before </body>."""
    head, end, tail = html.rpartition("</body>")
    assert head.endswith("</script>"), "no live-reload script"
    return head[: head.rindex("<script>")] + end + tail


@pytest.mark.slow
def test_a_preview_serves_the_published_site_at_once_and_nothing_stale(project, tmp_path):
    assert run_cli(project, "build").returncode == 0
    site = project / "site"
    published = tree_digest(site)
    # What the preview makes of the same files is that very site, so serving it meanwhile shows nothing else.
    preview = IncrementalSite(Project.at(project), tmp_path / "preview")
    assert preview.published() == site
    preview.full_build()
    assert tree_digest(tmp_path / "preview") == {k: v for k, v in published.items() if k != MARKER}

    page = f"/briefings/{SEED_SLUG}/strike/"
    with preview_server(project, "build.py serve") as (base, log):
        assert SERVED_BUILT in log.read_text()
        assert without_reload_script(fetch_html(base + page)) == (site / page[1:] / "index.html").read_text()
        # Saved while the preview gets ready (it builds from the data as it read it): shown once it is.
        data = project / SEED_FILE
        data.write_text(data.read_text().replace("Ten of the wounded", "Ten of those wounded"))
        wait_for(lambda: "Ten of those wounded" in fetch_html(base + f"/briefings/{SEED_SLUG}/"), 60, "the edit")
        assert READY in log.read_text()
        data.write_text(data.read_text().replace("Ten of those wounded", "Ten of the many wounded"))
        wait_for(lambda: "Ten of the many wounded" in fetch_html(base + f"/briefings/{SEED_SLUG}/"), 60, "an edit")
    assert tree_digest(site) == published  # the preview never writes there

    # The data changed since the build: the preview starts as before and shows the edit.
    with preview_server(project, "build.py serve") as (base, log):
        assert SERVED_BUILT not in log.read_text()
        assert "Ten of the many wounded" in fetch_html(base + f"/briefings/{SEED_SLUG}/")


def test_a_theme_folder_the_stamp_does_not_read_keeps_the_site_from_being_served_as_built(project, tmp_path):
    """A custom_dir (or docs_dir) that mkdocs.yml takes from a file it inherits, or that is a link, is not among the
    folders the stamp reads: a build then records no stamp, so no preview serves its site as built."""
    root = Project.at(project)
    assert stamp_covers(root, engine_config(root, tmp_path / "out"))
    (project / "overrides").rename(project / "theme")
    config = (project / "mkdocs.yml").read_text()
    assert "  custom_dir: overrides\n" in config
    config = config.replace("  custom_dir: overrides\n", "").replace("  - overrides\n", "  - theme\n")
    (project / "mkdocs.yml").write_text("INHERIT: base.yml\n" + config)
    (project / "base.yml").write_text("theme:\n  name: material\n  custom_dir: theme\n")
    assert not stamp_covers(root, engine_config(root, tmp_path / "out"))
    before = inputs_stamp(root)
    (project / "theme" / "main.html").write_text("{% extends 'base.html' %}\n")
    assert inputs_stamp(root) == before  # why it must not count: the stamp cannot see the edit
