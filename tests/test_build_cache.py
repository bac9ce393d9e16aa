"""The build cache in .cache/: an incremental `build.py build` writes the same bytes as a clean one, edit after edit.

Each step builds the scratch project with the cache (into its site/) and without it (`--no-cache`,
into a folder of its own) and compares every file. The counts come from the build's JSON summary.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import pytest
from markupsafe import Markup

from briefings.cache import FOLDER, NAME, BuildCache, blob, decode_meta, encode_meta
from briefings.pipeline import Project, mkdocs_build
from briefings.preview import IncrementalSite
from conftest import PROJECT_PARTS, SECRET, SEED_FILE, copy_project, main_in_process, seed_copy, tree_digest

pytestmark = pytest.mark.cold_cache  # these tests count what a build converts, reuses and checks from nothing


def build(project: Path, *args: str) -> dict[str, object]:
    result = main_in_process(project, "--json", "build", *args)
    assert result.returncode == 0, result.stderr
    summary: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return summary


def cache_counts(summary: dict[str, object]) -> dict[str, int]:
    counts = summary["cache"]
    assert isinstance(counts, dict)
    return counts


def html_pages(digest: dict[str, str]) -> set[str]:
    return {path for path in digest if path.endswith(".html")}


class Clean:
    """Clean builds (no cache) of the project, each in a folder of its own, compared with its site/."""

    def __init__(self, project: Path, scratch: Path) -> None:
        self.project = project
        self.scratch = scratch
        self.builds = 0
        self.last: dict[str, str] = {}
        self.inputs: dict[str, str | bytes] = {}  # the project's inputs when the last clean build ran

    def assert_same(self, what: str) -> dict[str, str]:
        """The project's site/ (built with the cache) is byte for byte a clean build; returns the clean digest.

        A clean build of the same inputs as the last one is not run again: it writes the same bytes
        (test_publication.py builds twice and compares), so its digest stands."""
        inputs = {part: (self.project / part).read_bytes() for part in PROJECT_PARTS if (self.project / part).is_file()}
        for part in PROJECT_PARTS:
            if (self.project / part).is_dir():
                inputs |= {f"{part}/{path}": digest for path, digest in tree_digest(self.project / part).items()}
        if inputs != self.inputs or not self.last:
            self.builds += 1
            clean = self.scratch / f"clean-{self.builds}"
            assert build(self.project, "--no-cache", "--site-dir", str(clean))["cache"] is None
            self.last, self.inputs = tree_digest(clean), inputs
        ours, theirs = tree_digest(self.project / "site"), self.last
        assert sorted(ours) == sorted(theirs), what
        assert [path for path in ours if ours[path] != theirs[path]] == [], what
        return theirs


@pytest.mark.slow
def test_incremental_builds_match_clean_builds_over_a_sequence_of_edits(project, tmp_path):
    clean = Clean(project, tmp_path)
    first = cache_counts(build(project))
    assert first["pages_reused"] == 0
    before = clean.assert_same("a cold build")
    pages = len(html_pages(before))
    assert first["pages_converted"] == pages - 1  # every page but the theme's 404 page
    # The build's own markup scan parsed every page it converted; the link check parses only the 404 page.
    assert first["pages_parsed"] == 1 and first["pages_checked"] == pages, first

    again = cache_counts(build(project))  # nothing changed: nothing converted, rendered, parsed or checked
    assert again == {"pages_reused": pages - 1, "pages_converted": 0, "pages_parsed": 0, "pages_checked": 0}, again
    assert tree_digest(project / "site") == before

    briefings = project / "data" / "briefings"
    data = project / SEED_FILE
    entities = project / "data" / "entities.yaml"
    template = project / "templates" / "quotes.md.j2"
    added = briefings / "2025-07-02-cache-test.yaml"
    steps = [
        ("add a briefing", lambda: added.write_text(seed_copy(added.stem, dt.date(2025, 7, 2), "Cache test"))),
        ("edit a briefing", lambda: data.write_text(data.read_text().replace("Ten of the wounded", "Ten wounded"))),
        ("remove a briefing", added.unlink),
        ("edit an entity", lambda: entities.write_text(entities.read_text().replace("Keith Kellogg", "K. Kellogg"))),
        ("edit a template", lambda: template.write_text(template.read_text() + "\nEdited by the test.\n")),
    ]
    for what, edit in steps:
        previous = clean.last
        edit()
        counts = cache_counts(build(project))
        now = clean.assert_same(what)
        changed = {path for path in html_pages(now) if previous.get(path) != now[path]}
        assert changed, what  # each edit shows somewhere
        if what in ("add a briefing", "edit a briefing", "remove a briefing"):
            # Only pages whose HTML changed were converted; every other page came from the cache (a new
            # latest briefing changes the sidebar of the pages that list it, never a briefing's own pages).
            assert 0 < counts["pages_converted"] <= len(changed), (what, counts, len(changed))
        if what == "edit a briefing":
            assert counts["pages_reused"] >= len(html_pages(now)) - 1 - len(changed), (what, counts)
            assert counts["pages_parsed"] <= len(changed) + 1, (what, counts)  # + the 404 page, which lists the nav
            # The link check looks at the changed pages and the few that link into one whose ids changed.
            assert len(changed) <= counts["pages_checked"] <= len(changed) + 10, (what, counts, len(changed))
        if what == "edit a template":
            assert counts["pages_converted"] >= 1, (what, counts)
    assert not (project / FOLDER / NAME).is_symlink()


@pytest.mark.slow
def test_after_a_build_that_changed_nothing_an_edit_parses_only_its_pages(project):
    """The link check's kept parses outlive a build that read none of them (nothing changed): once that build's
    clean-up dropped them, and the next check parsed anew every page a changed one links into with a
    #fragment (80 s of a 120 s build at 1,000 briefings)."""
    build(project)
    assert cache_counts(build(project))["pages_parsed"] == 0  # nothing changed: nothing parsed
    before = tree_digest(project / "site")
    data = project / SEED_FILE
    data.write_text(data.read_text().replace("Ten of the wounded", "Ten wounded"))
    counts = cache_counts(build(project))
    now = tree_digest(project / "site")
    changed = {path for path in html_pages(now) if before.get(path) != now[path]}
    assert changed
    assert counts["pages_parsed"] <= len(changed) + 1, (counts, len(changed))  # + the 404 page


@pytest.mark.slow
def test_unchanged_pages_keep_their_files_unless_touched_since(project, tmp_path, secret):
    """A warm build links an unchanged page's file from the site it replaces (the same inode, so a deploy by
    modification time skips it), but only a file as the last build left it: one edited in place with its
    modification time put back, or replaced by a link, is written again from the cache."""
    clean = Clean(project, tmp_path)
    site = project / "site"
    build(project)
    pages = sorted(html_pages(tree_digest(site)) - {"404.html"})  # the 404 page is written on every build
    first = {page: (site / page).stat().st_ino for page in pages}
    assert cache_counts(build(project))["pages_reused"] == len(pages)
    assert {page: (site / page).stat().st_ino for page in pages} == first

    edited, replaced = site / pages[0], site / pages[1]
    info = edited.stat()
    text = edited.read_bytes()
    tampered = text.replace(b"</html>", b"<!--X--></html>")[: len(text)]
    assert tampered != text
    edited.write_bytes(tampered)
    os.utime(edited, ns=(info.st_atime_ns, info.st_mtime_ns))  # size and modification time as before
    replaced.unlink()
    replaced.symlink_to(secret)
    build(project)
    clean.assert_same("a page edited in place, another replaced by a link")
    now = {page: (site / page).stat().st_ino for page in pages}
    assert now[pages[0]] != first[pages[0]] and now[pages[1]] != first[pages[1]]
    assert not replaced.is_symlink() and SECRET not in replaced.read_text()
    assert {page: ino for page, ino in now.items() if page not in pages[:2]} == {
        page: ino for page, ino in first.items() if page not in pages[:2]
    }


def corrupt(folder: Path, secret: Path) -> int:
    """Damage every kept entry in a different way; returns how many there were."""
    entries = sorted(p for p in folder.rglob("*") if p.is_file())
    for i, path in enumerate(entries):
        raw = path.read_bytes()
        match i % 6:
            case 0:
                path.write_bytes(raw[: len(raw) // 2])  # truncated
            case 1:
                path.write_bytes(b"garbage" * 10)
            case 2:
                path.write_bytes(raw[:-1] + bytes([raw[-1] ^ 0xFF]))  # one byte flipped
            case 3:
                path.unlink()
                path.symlink_to(secret)  # a link to a file outside: never read
            case 4:
                other = entries[(i + 1) % len(entries)]
                if other.exists() and not other.is_symlink():
                    path.write_bytes(other.read_bytes())  # another key's entry under this name
            case _:
                path.write_bytes(b"")
    return len(entries)


@pytest.mark.slow
def test_a_damaged_or_hostile_cache_gives_the_same_site(project, tmp_path, secret):
    clean = Clean(project, tmp_path)
    build(project)
    own = project / FOLDER / NAME
    assert corrupt(own, secret) > 0
    build(project)
    site = clean.assert_same("every entry damaged")
    assert SECRET not in "".join((project / "site" / p).read_text(errors="replace") for p in site)
    assert secret.read_text() == f"TOKEN={SECRET}\n"

    # A .cache that is a link to a folder elsewhere is not used: nothing is read or written there.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.rename(project / FOLDER, tmp_path / "moved")
    (project / FOLDER).symlink_to(elsewhere, target_is_directory=True)
    counts = cache_counts(build(project))
    assert counts["pages_reused"] == 0
    assert list(elsewhere.iterdir()) == []
    clean.assert_same(".cache is a link")
    # Every other way the store refuses its folder (its own folder a link or a file, entries sealed on
    # another machine) makes it the same unusable store: the store's own tests below show each.

    # Deleted: the same site again, and the cache refilled.
    (project / FOLDER).unlink()
    assert cache_counts(build(project))["pages_reused"] == 0
    assert cache_counts(build(project))["pages_converted"] == 0
    clean.assert_same("the cache deleted")


@pytest.mark.slow
def test_a_preview_starts_from_the_cache_and_then_updates_as_ever(project, tmp_path):
    IncrementalSite(Project.at(project), tmp_path / "first").full_build()  # fills the cache
    site = IncrementalSite(Project.at(project), tmp_path / "second")
    site.full_build()
    assert site.converted == 0  # every page written from the cache
    reference = tmp_path / "reference"
    mkdocs_build(Project.at(project), reference)
    assert tree_digest(tmp_path / "second") == tree_digest(reference)
    # Pages written from the cache are converted again when an edit needs them.
    data = project / SEED_FILE
    data.write_text(data.read_text().replace("Ten of the wounded", "Ten wounded"))
    while site.update(first=True).more:
        pass
    again = tmp_path / "again"
    mkdocs_build(Project.at(project), again)
    assert tree_digest(tmp_path / "second") == tree_digest(again)


# --------------------------------------------------------------------------- the store itself (fast)


def test_entries_round_trip_and_anything_damaged_is_a_miss(tmp_path):
    with BuildCache(tmp_path) as cache:
        assert cache.enabled
        cache.put("pages", "k1", {"html": "<p>é</p>", "search": ""})
        assert cache.get("pages", "k1") == {"html": "<p>é</p>", "search": "", "kind": "pages", "key": "k1"}
        assert cache.get("links", "k1") is None  # another kind
        assert cache.get("pages", "k2") is None
        entry = tmp_path / FOLDER / NAME / "pages" / "k1"
        raw = entry.read_bytes()
        for damaged in (raw[:-3], raw + b"x", b"", raw.replace(b"briefings", b"briefingz", 1)):
            entry.write_bytes(damaged)
            assert cache.get("pages", "k1") is None
        (tmp_path / FOLDER / NAME / "pages" / "k3").write_bytes(raw)  # k1's entry under another key
        assert cache.get("pages", "k3") is None
        cache.used = {kind: set() for kind in cache.used}
        cache.prune()
    assert list((tmp_path / FOLDER / NAME / "pages").iterdir()) == []


def test_an_entry_keeps_its_blob_apart_and_a_damaged_one_is_a_miss(tmp_path):
    html = "<p>é</p>".encode() * 1000
    with BuildCache(tmp_path) as cache:
        cache.put("pages", "k", {"search": "s"}, html)
        found = cache.get_raw("pages", "k")
        assert found is not None and found[0]["search"] == "s" and "html" not in found[0]
        assert blob(found[1]) == html
        assert blob(cache.get_raw("pages", "k")[1]) == html  # read again, the same
        cache.put("pages", "none", {"search": "s"})
        assert blob(cache.get_raw("pages", "none")[1]) is None
        entry = tmp_path / FOLDER / NAME / "pages" / "k"
        raw = entry.read_bytes()
        for damaged in (raw[:-1], raw[:-200], raw + b"\x00", raw[:-5] + bytes(5 - 1) + b"\x01"):
            entry.write_bytes(damaged)
            assert cache.get_raw("pages", "k") is None


def test_an_entry_sealed_on_another_machine_is_a_miss(tmp_path, monkeypatch):
    """Entries that come with the project (committed, copied, planted) do not carry this machine's seal."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    with BuildCache(tmp_path) as cache:
        cache.put("pages", "k", {"html": "<script>planted</script>", "search": ""})
        assert cache.get("pages", "k") is not None
    assert (tmp_path / "elsewhere" / "briefings" / "build-key").stat().st_size == 32
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "here"))
    with BuildCache(tmp_path) as cache:
        assert cache.enabled
        assert cache.get("pages", "k") is None
        cache.put("pages", "k", {"html": "<p>ours</p>", "search": ""})
    with BuildCache(tmp_path) as cache:
        assert cache.get("pages", "k") == {"html": "<p>ours</p>", "search": "", "kind": "pages", "key": "k"}
    (tmp_path / "here" / "briefings" / "build-key").write_bytes(b"short")
    with BuildCache(tmp_path) as cache:
        assert not cache.enabled  # no usable key: no cache, never an unsealed one


def test_a_cache_folder_that_is_a_link_is_neither_read_nor_written(tmp_path, secret):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = tmp_path / "project"
    root.mkdir()
    (root / FOLDER).symlink_to(elsewhere, target_is_directory=True)
    with BuildCache(root) as cache:
        assert not cache.enabled
        cache.put("pages", "k", {"html": "x"})
        assert cache.get("pages", "k") is None
    assert list(elsewhere.iterdir()) == []
    (root / FOLDER).unlink()
    with BuildCache(root) as cache:
        entry = root / FOLDER / NAME / "pages" / "k"
        entry.symlink_to(secret)
        assert cache.get("pages", "k") is None  # never followed
        cache.put("pages", "k", {"html": "x"})  # replaces the link, never writes through it
    assert secret.read_text() == f"TOKEN={SECRET}\n" and not entry.is_symlink()


def test_a_cache_whose_own_folder_is_a_link_or_a_file_is_neither_read_nor_written(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with BuildCache(elsewhere) as cache:  # a usable cache, elsewhere, that a link could lead to
        assert cache.enabled
        cache.put("pages", "k", {"html": "x"})
    root = tmp_path / "project"
    (root / FOLDER).mkdir(parents=True)
    (root / FOLDER / NAME).symlink_to(elsewhere / FOLDER / NAME, target_is_directory=True)
    with BuildCache(root) as cache:
        assert not cache.enabled
        assert cache.get("pages", "k") is None
        cache.put("pages", "other", {"html": "y"})
    assert sorted(p.name for p in (elsewhere / FOLDER / NAME / "pages").iterdir()) == ["k"]
    (root / FOLDER / NAME).unlink()
    (root / FOLDER / NAME).write_text("not a folder")
    with BuildCache(root) as cache:
        assert not cache.enabled
        cache.put("pages", "k", {"html": "y"})
    assert (root / FOLDER / NAME).read_text() == "not a folder"


def test_page_metadata_keeps_markup_and_tuples():
    meta = {"jsonld": Markup("{}"), "og": [("og:type", "article")], "n": 1, "none": None}
    back = decode_meta(json.loads(json.dumps(encode_meta(meta))))
    assert back == meta and isinstance(back["jsonld"], Markup) and isinstance(back["og"][0], tuple)
    with pytest.raises(ValueError):
        decode_meta({"markup": 1})


def path_resolve(site: Path, page_rel: PurePosixPath, url: str, base_path: str) -> tuple[Path | None, str]:
    """The link check's resolver written with pathlib, the plain way: the reference for `_Resolver`."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if path.startswith("/"):
        if not path.startswith(base_path):
            return None, parts.fragment
        target = PurePosixPath(path[len(base_path) :])
    elif path:
        target = page_rel.parent / path
    else:
        target = page_rel
    normal = os.path.normpath(str(target))
    if normal.startswith(".."):
        return None, parts.fragment
    resolved = site / normal
    if path.endswith("/") or resolved.is_dir():
        resolved = resolved / "index.html"
    return resolved, unquote(parts.fragment)


def test_the_link_checks_string_resolver_finds_what_the_path_resolver_finds(tmp_path):
    from briefings.links import _Resolver

    site = tmp_path / "site"
    for folder in ("a/b", "c"):
        (site / folder).mkdir(parents=True)
    for name in ("index.html", "a/index.html", "a/b/index.html", "x.css", "c/page.html"):
        (site / name).write_text("x")
    urls = ["#f", "?q", "a/", "a", "a#f", "../a/", "../../..", "..", "/base/a/", "/base/", "/other/", "a/b", "x.css#y"]
    urls += ["./a/./b/", "a//b/", "%61/", "c/page.html#x", "c", "missing/", "../x.css", "/base/c/page.html", "."]
    resolver = _Resolver(site, "/base/")
    for page in ("index.html", "a/index.html", "a/b/index.html", "c/page.html"):
        for url in urls:
            target, fragment = path_resolve(site, PurePosixPath(page), url, "/base/")
            assert resolver(page, url) == (None if target is None else str(target), fragment), (page, url)


@pytest.mark.slow
def test_the_themes_templates_are_compiled_once_per_machine(project, tmp_path, monkeypatch):
    """The compiled theme templates a build kept (briefings/bytecode.py, set in the engine's env event)
    serve a build of another project: that one compiles only its own templates, and writes the same site."""
    import jinja2

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    compiled: list[str] = []
    real = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: str, name: str | None = None, filename: str | None = None):
        compiled.append(str(filename))
        return real(self, source, name, filename)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    theme = str(Path(jinja2.__file__).parents[1] / "material")
    build(project, "--no-cache")
    first = [f for f in compiled if f.startswith(theme)]
    assert len(first) >= 20  # base.html, main.html, partials/*.html, 404.html...

    other = copy_project(tmp_path / "other")
    compiled.clear()
    build(other, "--no-cache")
    again = {Path(f).relative_to(theme).as_posix() for f in compiled if f.startswith(theme)}
    # Only what Material's search plugin compiles in an environment of its own (for its language strings).
    assert again <= {"templates/partials/language.html", "templates/partials/languages/en.html"}
    assert [f for f in compiled if f.startswith(str(other / "templates"))] != []  # ours: a file of that project
    assert tree_digest(other / "site") == tree_digest(project / "site")
