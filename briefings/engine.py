"""The build engine, MkDocs or ProperDocs, and every use of its internals.

ProperDocs, the continuation of MkDocs 1.x, answers every `mkdocs.*` import once
`properdocs.replacement` is imported, so Material, the hook and the adapter run unchanged
under either engine. `python build.py` picks one with BRIEFINGS_ENGINE (`select`, called
before anything imports mkdocs); `mkdocs ...` and `properdocs ...` have picked already.

What reaches into the engine's build loop (the fast preview's single-page rebuilds) and
into the search plugin's index is here and nowhere else; tests/test_engine_contract.py
fails loudly when an upgrade of either engine or of Material changes what it relies on.
Nothing here imports mkdocs at module level: importing this module must not pick MkDocs.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import zlib
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from .errors import UsageError
from .forked import Forked, ForkedError
from .forked import captured as forked_captured
from .forked import replay as forked_replay
from .forked import shares as forked_shares

if TYPE_CHECKING:
    import jinja2
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.livereload import LiveReloadServer
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.nav import Navigation
    from mkdocs.structure.pages import Page

VARIABLE = "BRIEFINGS_ENGINE"
ENGINES = ("mkdocs", "properdocs")  # the first is the default


def requested() -> str:
    """The engine BRIEFINGS_ENGINE names (default mkdocs); a UsageError naming the allowed values otherwise."""
    value = os.environ.get(VARIABLE, "").strip()
    if not value:
        return ENGINES[0]
    if value.lower() not in ENGINES:
        allowed = ", ".join(ENGINES)
        raise UsageError(f"{VARIABLE}={value!r} is not an engine; use one of: {allowed} (default: {ENGINES[0]})")
    return value.lower()


def active() -> str:
    """The engine this process's `mkdocs` imports resolve to (MkDocs until ProperDocs is selected)."""
    loaded = sys.modules.get("mkdocs")
    return "properdocs" if loaded is not None and loaded.__name__ == "properdocs" else "mkdocs"


def select(name: str | None = None) -> str:
    """Make this process build with `name` (default: `requested()`); returns it.

    Must run before anything imports mkdocs: a module that imported the real MkDocs would
    keep it while later imports got ProperDocs.
    """
    name = name or requested()
    if name == active():
        return name
    if name == "properdocs" and importlib.util.find_spec("properdocs") is None:
        raise UsageError(
            f"{VARIABLE}=properdocs but ProperDocs is not installed: run `{sys.executable} -m pip install properdocs`"
            f" (the development lock pins its version), or unset {VARIABLE} to build with MkDocs"
        )
    if "mkdocs" in sys.modules:  # a caller's bug (the CLI selects first), said plainly
        raise UsageError(f"cannot switch to {name}: {active()} is already loaded in this process")
    import properdocs.replacement  # noqa: F401  (aliases every mkdocs.* import to properdocs.*)

    # As the properdocs CLI does: plugins (Material) log as "mkdocs.*"; make that ProperDocs'
    # logger's child so strict mode counts their warnings and build errors are collected.
    logging.getLogger("mkdocs").parent = logging.getLogger("properdocs")
    return name


def logger() -> logging.Logger:
    """The engine's top logger: every message of a build (under ProperDocs, `mkdocs.*` ones too)."""
    return logging.getLogger(active())


# --------------------------------------------------------------------------- the search index


def search_entries(config: MkDocsConfig) -> list[dict[str, Any]] | None:
    """The search plugin's index entries (dicts with `location`, `title`, `text`), None without the plugin."""
    index = getattr(_search_plugin(config), "search_index", None)
    entries = getattr(index, "entries", None)
    return entries if isinstance(entries, list) else None


def _search_plugin(config: MkDocsConfig) -> Any:
    return config.plugins.get("material/search") or config.plugins.get("search")


def retitle_search_entry(config: MkDocsConfig, url: str, title: str) -> None:
    """Give the page at url the search title `title` (already escaped: the index holds HTML)."""
    for entry in reversed(search_entries(config) or []):  # this page's entries were added last
        if entry["location"] == url:
            entry["title"] = title
            return


def release_markdown(page: Page) -> None:
    """Let go of a converted generated page's Markdown (its file's content and the page's copy).

    An empty string, not None: the page's title reads None from a page without Markdown, and
    from an empty one what it read before (the title found while converting, else the file name).
    Files read from docs/ hold no content (their text is read from disk again if needed).
    """
    if page.file.generated_by is not None and page.content is not None:
        page.file.content_string = ""
        page.markdown = ""


def pack_html(html: str) -> tuple[bytes, str]:
    """A converted page's HTML compressed, and what the page holds meanwhile (`unpack_html` puts it back).

    An empty string, not None: a page without HTML would read its title from its Markdown.
    """
    return zlib.compress(html.encode("utf-8", "surrogatepass"), 1), ""


def unpack_html(page: Page, packed: bytes | None) -> None:
    """Give the page its HTML again (before the search plugin indexes it and the theme renders it)."""
    if packed is not None:
        page.content = zlib.decompress(packed).decode("utf-8", "surrogatepass")


def release_html(page: Page) -> None:
    """Let go of a built generated page's HTML once the theme rendered it (the search plugin indexed it already).

    Only where the Markdown went too (`release_markdown`): a page without HTML reads its title
    from its Markdown, and from an empty one what it read before.
    """
    if page.file.generated_by is not None and page.markdown == "":
        page.content = None


def _dumps(value: Any) -> str:
    """JSON as Material's search plugin writes its index (generate_search_index)."""
    return json.dumps(value, separators=(",", ":"), default=str)


class KeptSearchIndex:
    """The search index of a kept build, one serialised fragment per page in build order.

    A rebuilt page's entries replace its fragment, and writing the index joins the fragments:
    the same bytes as Material's search plugin writes after a full build (a contract test
    compares them), without serialising every page again on every edit.
    """

    def __init__(self, plugin: Any, fragments: dict[str, str]) -> None:
        self.plugin = plugin
        self.fragments = fragments  # page url -> its entries as JSON, without brackets ("" for none)
        index = plugin.search_index
        entries, index.entries = index.entries, []
        try:  # the plugin's own header (its config: language, separator, pipeline, fields)
            empty = index.generate_search_index(None)
        finally:
            index.entries = entries
        assert isinstance(empty, str) and empty.endswith('"docs":[]}'), "the index no longer ends with its docs"
        self.head: str = empty[: -len("]}")]
        self.tail = "]}"

    @staticmethod
    def of(config: MkDocsConfig) -> KeptSearchIndex | None:
        """The kept index if the search plugin is Material's (or shaped like it), else None."""
        plugin = _search_plugin(config)
        index = getattr(plugin, "search_index", None)
        if not getattr(getattr(plugin, "config", None), "enabled", True):
            return None  # the plugin writes no index at all
        if not isinstance(getattr(index, "entries", None), list) or not callable(
            getattr(index, "generate_search_index", None)
        ):
            return None
        return KeptSearchIndex(plugin, {})

    def take(self, url: str, start: int) -> None:
        """Make the entries the plugin added from `start` on this page's, and remove them from the plugin's list."""
        entries = self.plugin.search_index.entries
        self.fragments[url] = ",".join(_dumps(e) for e in entries[start:])
        del entries[start:]

    def text(self) -> str:
        """The whole index, as the plugin would write it."""
        return self.head + ",".join(f for f in self.fragments.values() if f) + self.tail

    def write(self, config: MkDocsConfig) -> None:
        """Write the index where the plugin writes it."""
        from mkdocs.utils import write_file

        write_file(self.text().encode("utf-8"), os.path.join(config.site_dir, "search", "search_index.json"))


# --------------------------------------------------------------------------- the build loop, kept


def load_config(config_file: Path, site_dir: Path) -> MkDocsConfig:
    """mkdocs.yml as the engine reads it, building into site_dir."""
    from mkdocs.config import load_config as load

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    return load(config_file=str(config_file), site_dir=str(site_dir))


@dataclass
class KeptBuild:
    """A full build's state (files, navigation, theme environment), kept to rebuild single pages."""

    config: MkDocsConfig
    files: Files
    nav: Navigation
    env: jinja2.Environment
    doc_files: Sequence[File]
    search: KeptSearchIndex | None = None  # None: no Material search; the plugin writes its index
    sitemap_date: str | None = None  # the lastmod of every page in the sitemap last written

    def rebuild(self, uri: str, content: str) -> bool:
        """Write the generated file at uri again with new content; True if it is a page (converted, indexed).

        A page's search entries take the place of its old ones, so the index reads as a full build's.
        """
        from mkdocs.commands.build import _build_page, _populate_page

        file = self.files.get_file_from_path(uri)
        assert file is not None, f"{uri} is not among the kept build's files"
        file.content_string = content
        if not file.is_documentation_page():
            file.copy_file()
            return False
        page = file.page
        assert page is not None, f"{uri} has no page in the kept build"
        entries = search_entries(self.config)
        start = len(entries) if entries is not None else 0
        _populate_page(page, self.config, self.files)
        _build_page(page, self.config, self.doc_files, self.nav, self.env)
        if self.search is not None:
            self.search.take(page.url, start)
        return True

    def finish(self, update_date: str | None) -> None:
        """After rebuilt pages: the sitemap if the pages' lastmod (update_date, else today) moved, the search index."""
        from mkdocs.commands.build import _build_theme_template
        from mkdocs.utils import get_build_date

        date = update_date or get_build_date()
        for doc in self.doc_files:
            assert doc.page is not None
            doc.page.update_date = date
        if date != self.sitemap_date:  # every page has the same lastmod; nothing else in the sitemap can change
            _build_theme_template("sitemap.xml", self.env, self.files, self.config, self.nav)
            self.sitemap_date = date
        self.post_build()

    def post_build(self) -> None:
        """The plugins' post_build events; the search index written from its kept fragments."""
        if self.search is None:
            self.config.plugins.on_post_build(config=self.config)
            return
        KeptBuild.post_build_of(self.config, self.search)

    @staticmethod
    def post_build_of(config: MkDocsConfig, search: KeptSearchIndex) -> None:
        """Every plugin's post_build event but the search plugin's; the index written from the fragments instead."""
        for method in config.plugins.events["post_build"]:
            if getattr(method, "__self__", None) is not search.plugin:
                method(config=config)
        search.write(config)


class PageStore(Protocol):
    """Where `build` finds a page's written HTML and search fragment from an earlier build (see cache.PageCache)."""

    def lookup(self, page: Page) -> tuple[Callable[[str], None], str] | None:
        """If the page's inputs are unchanged: what writes its output to a path (when called), and its search
        fragment; called after the Markdown events."""

    def store(self, page: Page, output: bytes, fragment: str) -> None:
        """Keep what a converted page wrote and indexed, for the next build."""


def build(config: MkDocsConfig, store: PageStore | None = None, jobs: int = 1) -> int:
    """The engine's `build` (mkdocs.commands.build.build, not serving, not dirty), step by step; with `store`,
    a page whose inputs are unchanged is written from it instead of converted and rendered again.

    Every page is still read and goes through the plugins' Markdown event (which sets its title
    and metadata: the sidebar and the cache key read them), so what other pages print of it is
    the same; only its own conversion, theme rendering and post-page events are skipped. Its
    search entries come from the store too, so the index is written from per-page fragments
    (KeptSearchIndex: the same bytes as the plugin's). Without Material's search plugin
    nothing is reused. Returns the number of pages reused. A contract test compares the site
    with the engine's own build, byte for byte, and fails when the engine's build changes.

    jobs: with a store, the pages it lacks are converted and written on this many cores, a share
    each (`_write_pages_shared`): the same bytes as on one.
    """
    from mkdocs.commands.build import _build_extra_template, _build_theme_template
    from mkdocs.exceptions import Abort, BuildError
    from mkdocs.structure.files import InclusionLevel
    from mkdocs.utils import CountHandler

    top = logger()
    warning_counter = CountHandler()
    warning_counter.setLevel(logging.WARNING)
    if config.strict:
        top.addHandler(warning_counter)
    try:
        started = _start(config, store, search_always=False, keep_markdown=False, defer=jobs > 1)
        config, files, nav, env, search = started.config, started.files, started.nav, started.env, started.search
        count = len(started.reused)
        env = config.plugins.on_env(env, config=config, files=files)
        files.copy_static_files(inclusion=InclusionLevel.is_included)
        for template in config.theme.static_templates:
            _build_theme_template(template, env, files, config, nav)
        for template in config.extra_templates:
            _build_extra_template(template, files, config, nav)
        doc_files = files.documentation_pages(inclusion=InclusionLevel.is_included)
        _write_pages_shared(started, env, doc_files, jobs)
        log_level = config.validation.links.anchors
        for file in doc_files:
            assert file.page is not None
            file.page.validate_anchor_links(files=files, log_level=log_level)
        if search is None:
            config.plugins.on_post_build(config=config)
        else:
            KeptBuild.post_build_of(config, search)
        if counts := warning_counter.get_counts():
            message = ", ".join(f"{v} {k.lower()}s" for k, v in counts)
            raise Abort(f"Aborted with {message} in strict mode!")
        return count
    except Exception as e:
        config.plugins.on_build_error(error=e)
        if isinstance(e, BuildError):
            top.error(str(e))
            raise Abort("Aborted with a BuildError!") from None
        raise
    finally:
        top.removeHandler(warning_counter)


@dataclass
class _Started:
    """What the first steps of a build made: up to every page read and through its Markdown events."""

    config: MkDocsConfig
    files: Files
    nav: Navigation
    env: jinja2.Environment
    search: KeptSearchIndex | None
    store: PageStore | None
    reused: dict[str, tuple[Callable[[str], None], str]]  # src_uri -> what the store had (output, search fragment)
    pending: list[File] = field(default_factory=list)  # pages the store lacked, left unconverted (`defer`)
    # A pending generated page's Markdown, compressed until it is converted (`_convert_pending`).
    packed: dict[str, bytes] = field(default_factory=dict)
    where: _Where = field(default_factory=lambda: _Where())  # the page being built, for log records


CONVERT, WRITE = 0, 1  # a page's two rounds: converted, then written (one process logs all of one, then the other)


@dataclass
class _Where:
    """Which round of which page (its place among the documentation pages) a process is at.

    Each log record and error of a build shared among cores is marked with it, so that they are
    replayed in the order, and cut at the error, that one process would have met them.
    """

    now: tuple[int, int] = (-1, -1)


def _start(
    config: MkDocsConfig, store: PageStore | None, search_always: bool, keep_markdown: bool, defer: bool = False
) -> _Started:
    """The engine's build from on_config to every page populated (asking `store` for each), as its build does.

    search_always: take over the search index even without a store (a preview updates it page by page).
    keep_markdown: keep a reused generated page's Markdown (a preview compares it on the next edit).
    defer: with a store, leave the pages it lacks unconverted (`pending`), to be shared among cores.
    """
    from mkdocs.structure.files import InclusionLevel, get_files, set_exclusions
    from mkdocs.structure.nav import get_navigation
    from mkdocs.structure.pages import Page
    from mkdocs.utils import clean_directory

    config = config.plugins.on_config(config)
    config.plugins.on_pre_build(config=config)
    clean_directory(config.site_dir)
    files = get_files(config)
    env = config.theme.get_env()
    files.add_files_from_theme(env, config)
    files = config.plugins.on_files(files, config=config)
    set_exclusions(files, config)
    nav = get_navigation(files, config)
    nav = config.plugins.on_nav(nav, config=config, files=files)
    search = KeptSearchIndex.of(config) if store is not None or search_always else None
    if search is None:
        store = None  # no fragments to reuse the search entries with
    reused: dict[str, tuple[Callable[[str], None], str]] = {}
    pending: list[File] = []
    packed: dict[str, bytes] = {}
    convert = not defer or store is None
    for file in files.documentation_pages(inclusion=InclusionLevel.is_included):
        if file.page is None and file.inclusion.is_not_in_nav():
            Page(None, file, config)
        assert file.page is not None
        found = _populate_page(file.page, config, files, store, convert)
        if found is None and not convert:
            pending.append(file)
            if file.generated_by is not None:
                # Held compressed until converted: with every page pending, the Markdown of the whole
                # site would otherwise be held at once (converting page by page lets go of it as it goes).
                assert file.page.markdown is not None
                packed[file.src_uri] = zlib.compress(file.page.markdown.encode("utf-8", "surrogatepass"), 1)
                file.content_string = ""
                file.page.markdown = ""
        if found is not None:
            reused[file.src_uri] = found
            if not keep_markdown and file.generated_by is not None:
                file.content_string = ""  # its title is in its metadata: the Markdown is not needed
                file.page.markdown = ""
    return _Started(config, files, nav, env, search, store, reused, pending, packed)


def _write_pages(
    started: _Started, env: jinja2.Environment, doc_files: Sequence[File], only: Collection[str] | None = None
) -> None:
    """Write every page (or those whose src_uri is in `only`): reused ones from the store, the rest by the engine.

    A converted page's search entries are taken from the index as its fragment, and with a store
    its output and fragment are kept for the next build.
    """
    from mkdocs.commands.build import _build_page

    config, search, store = started.config, started.search, started.store
    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="briefings-write") as writers:
        written = []
        for index, file in enumerate(doc_files):
            if only is not None and file.src_uri not in only:
                continue
            started.where.now = (WRITE, index)
            page = file.page
            assert page is not None
            kept = started.reused.pop(file.src_uri, None)
            if kept is not None:
                assert search is not None
                written.append(writers.submit(kept[0], file.abs_dest_path))
                search.fragments[page.url] = kept[1]
                continue
            start = len(search.plugin.search_index.entries) if search is not None else 0
            _build_page(page, config, doc_files, started.nav, env, excluded=file.inclusion.is_excluded())
            if search is not None:
                search.take(page.url, start)
                if store is not None and os.path.isfile(file.abs_dest_path):  # an empty output is not written
                    with open(file.abs_dest_path, "rb") as output:
                        store.store(page, output.read(), search.fragments[page.url])
        for done in written:
            done.result()  # a page that could not be written fails the build, as on one thread


WRITERS = 2  # threads writing reused pages: linking, inflating and writing release the GIL


MIN_SHARE = 8  # pages to convert per core, at least, before a helper is worth forking


def _write_pages_shared(started: _Started, env: jinja2.Environment, doc_files: Sequence[File], jobs: int) -> None:
    """`_write_pages`, with the pages left unconverted (`pending`) shared among `jobs` cores.

    Each forked helper converts and writes its share (every `jobs`-th pending page) and stores
    it, as this process does with the rest; what this process needs of a helper's pages comes
    back: their search fragments (placed in build order) and anchors (the engine's anchor check
    runs over every page here). A page converted in a helper reads the other pages' titles
    unconverted, as a page converted beside reused ones does in a warm build.

    What every process logs while it builds its share is held, each record marked with its
    page and round (`_Where`), and then handled in the order one process would have logged it;
    on an error, up to the first error one process would have met. If that error was a helper's,
    this process builds that page itself, so the error is raised here as one process raises it.
    """
    from mkdocs.exceptions import BuildError

    files, search = started.files, started.search
    pending, where = started.pending, started.where
    shares = [[pending[i] for i in share] for share in forked_shares(len(pending), jobs, MIN_SHARE)]
    if len(shares) > 1:
        assert search is not None  # deferring needs a store, and a store the search fragments
        for file in doc_files:  # each page's place in the index, in build order, whoever writes it
            assert file.page is not None
            search.fragments.setdefault(file.page.url, "")
    position = {file.src_uri: i for i, file in enumerate(doc_files)}  # a page's place, for log records
    forked: list[Forked] = []
    try:
        for share in shares[1:]:
            work = partial(_write_share, started, env, doc_files, position, share)
            forked.append(Forked(work, (BuildError,), lambda: where.now, replay=False))
    except OSError:  # no process to fork (a limit reached): this one converts every page
        for helper in forked:
            helper.stop()
        forked, shares = [], [pending]
    theirs = {file.src_uri for share in shares[1:] for file in share}
    failed: tuple[tuple[int, int], int, BaseException] | None = None  # (where, 0: this process, error)
    try:
        with forked_captured(lambda: where.now) if forked else nullcontext() as capture:
            try:
                for file in shares[0]:
                    where.now = (CONVERT, position[file.src_uri])
                    _convert_pending(started, file)
                _write_pages(started, env, doc_files, {f.src_uri for f in doc_files if f.src_uri not in theirs})
            except Exception as e:
                if not forked:
                    raise
                failed = (where.now, 0, e)
        results: list[dict[str, Any] | None] = []
        for number, helper in enumerate(forked, 1):
            try:
                results.append(helper.result())
            except ForkedError as e:
                results.append(None)
                at = e.where if isinstance(e.where, tuple) else (WRITE + 1, 0)  # outside any page: last
                failed = min(failed, (at, number, e), key=lambda f: f[0]) if failed else (at, number, e)
    finally:
        for helper in forked:
            helper.stop()
    if capture is not None:
        own = {id(record) for record in capture.records}
        records = [*capture.records, *(record for helper in forked for record in helper.records)]
        records.sort(key=_at)
        if failed is not None:
            limit, mine = failed[0], failed[1] == 0
            records = [r for r in records if _at(r) < limit or (mine and _at(r) == limit and id(r) in own)]
        forked_replay(records)
    if failed is not None:
        _fail_as_one_process(started, env, doc_files, failed)
    for uri in theirs:
        started.packed.pop(uri, None)  # kept until now in case this process had to build it
    for share, result in zip(shares[1:], results, strict=True):
        assert result is not None
        for file in share:
            page = file.page
            assert page is not None and search is not None
            search.fragments[page.url] = result["fragments"][page.url]
            anchors = result["anchors"].get(file.src_uri)
            page.present_anchor_ids = set(anchors) if anchors is not None else None
            links = result["links"].get(file.src_uri)
            page.links_to_anchors = None if links is None else _files_of(files, links)


def _at(record: logging.LogRecord) -> tuple[int, int]:
    """Where a captured record was logged (before any page: first)."""
    where = getattr(record, "where", None)
    return where if isinstance(where, tuple) else (-1, -1)


def _fail_as_one_process(
    started: _Started,
    env: jinja2.Environment,
    doc_files: Sequence[File],
    failed: tuple[tuple[int, int], int, BaseException],
) -> NoReturn:
    """Raise the first error a shared build met: this process's own, or a helper's page built here again."""
    from mkdocs.exceptions import BuildError

    (phase, index), number, error = failed
    if number == 0:
        raise error
    file = doc_files[index] if 0 <= index < len(doc_files) else None
    if file is not None and file in started.pending:
        if phase == CONVERT:
            _convert_pending(started, file)
        else:
            with forked_captured():  # its conversion was logged by the helper already
                _convert_pending(started, file)
            _write_pages(started, env, doc_files, {file.src_uri})
    # Only if the page built here after all (or the helper failed outside any page): its own words.
    assert isinstance(error, ForkedError)
    raise (BuildError(str(error)) if error.expected else RuntimeError(f"a helper process failed: {error}")) from None


def _files_of(files: Files, links: dict[str, dict[str, str]]) -> dict[File, dict[str, str]]:
    """A page's links to anchors keyed by file again (a helper sends them keyed by src_uri)."""
    found = {}
    for uri, anchors in links.items():
        file = files.get_file_from_path(uri)
        assert file is not None, f"a helper linked to {uri}, which is not among the files"
        found[file] = anchors
    return found


def _write_share(
    started: _Started, env: jinja2.Environment, doc_files: Sequence[File], position: dict[str, int], share: list[File]
) -> list[dict[str, Any]]:
    """In a forked helper: convert and write these pages; their search fragments and anchors for the parent.
    position: each page's place among doc_files (what its log records are marked with)."""
    mine = {file.src_uri for file in share}
    started.packed = {uri: packed for uri, packed in started.packed.items() if uri in mine}
    for file in share:
        started.where.now = (CONVERT, position[file.src_uri])
        _convert_pending(started, file)
    _write_pages(started, env, doc_files, mine)
    assert started.search is not None
    fragments, anchors, links = {}, {}, {}
    for file in share:
        page = file.page
        assert page is not None
        fragments[page.url] = started.search.fragments.get(page.url, "")
        if page.present_anchor_ids is not None:
            anchors[file.src_uri] = sorted(page.present_anchor_ids)
        if page.links_to_anchors is not None:
            links[file.src_uri] = {to.src_uri: dict(v) for to, v in page.links_to_anchors.items()}
    return [{"fragments": fragments, "anchors": anchors, "links": links}]


def _populate_page(
    page: Page, config: MkDocsConfig, files: Files, store: PageStore | None, convert: bool = True
) -> tuple[Callable[[str], None], str] | None:
    """mkdocs.commands.build._populate_page, asking `store` after the Markdown events: what it found, if anything.

    convert: False leaves a page the store lacks unconverted (`_convert_pending` later, maybe in a helper).
    """
    with _reading(page, config):
        page = config.plugins.on_pre_page(page, config=config, files=files)
        page.read_source(config)
        assert page.markdown is not None
        page.markdown = config.plugins.on_page_markdown(page.markdown, page=page, config=config, files=files)
        found = store.lookup(page) if store is not None else None
        if found is None and convert:
            _render(page, config, files)
        return found


def _convert_pending(started: _Started, file: File) -> None:
    """The rest of `_populate_page` for a page it left unconverted (its Markdown unpacked first)."""
    page = file.page
    assert page is not None
    packed = started.packed.pop(file.src_uri, None)
    if packed is not None:
        page.markdown = zlib.decompress(packed).decode("utf-8", "surrogatepass")
    with _reading(page, started.config):
        _render(page, started.config, started.files)


def _render(page: Page, config: MkDocsConfig, files: Files) -> None:
    page.render(config, files)
    assert page.content is not None
    page.content = config.plugins.on_page_content(page.content, page=page, config=config, files=files)


@contextmanager
def _reading(page: Page, config: MkDocsConfig) -> Iterator[None]:
    """The page being read, as plugins see it (config._current_page); an error names it, as the engine's does."""
    from mkdocs.exceptions import BuildError

    config._current_page = page
    try:
        yield
    except Exception as e:
        message = f"Error reading page '{page.file.src_uri}':"
        if not isinstance(e, BuildError):
            message += f" {e}"
        logger().error(message)
        raise
    finally:
        config._current_page = None


def build_keeping_state(config: MkDocsConfig, store: PageStore | None = None) -> KeptBuild:
    """The same steps as the engine's `build` (mkdocs.commands.build.build) from on_config on, keeping their state.

    store: as for `build`, pages whose inputs are unchanged are written from it (a preview's warm start).
    """
    from mkdocs.commands.build import _build_theme_template
    from mkdocs.structure.files import InclusionLevel

    started = _start(config, store, search_always=True, keep_markdown=True)
    config, files, nav, search = started.config, started.files, started.nav, started.search
    env = config.plugins.on_env(started.env, config=config, files=files)
    files.copy_static_files(inclusion=InclusionLevel.is_included)
    for template in config.theme.static_templates:
        _build_theme_template(template, env, files, config, nav)
    doc_files = files.documentation_pages(inclusion=InclusionLevel.is_included)
    _write_pages(started, env, doc_files)
    kept = KeptBuild(config, files, nav, env, doc_files, search)
    kept.sitemap_date = next((f.page.update_date for f in doc_files if f.page is not None), None)
    kept.post_build()
    return kept


def live_reload_server(builder: Callable[[], bool], host: str, port: int, root: Path) -> LiveReloadServer:
    """The engine's live-reload server: serves root, runs builder when a watched path changes.

    builder returns True when it left work for another round: the server reloads the browsers
    with what it wrote, then runs it again at once, as if a watched file had changed.
    """
    from mkdocs.livereload import LiveReloadServer

    class Server(LiveReloadServer):
        def again(self) -> None:
            """Run the builder once more, as a file change does (the watcher's callback, minus the event)."""
            with self._rebuild_cond:
                self._want_rebuild = True
                self._rebuild_cond.notify_all()

    def build() -> None:
        if builder():
            server.again()

    server = Server(builder=build, host=host, port=port, root=str(root))
    return server


def stop_soon(server: LiveReloadServer) -> None:
    """Make the server's build loop end at its next wake-up (every quarter second), its serve() then return.

    For a stop signal's handler, which runs on the loop's thread, maybe while it holds the loop's lock:
    so no lock is taken, only the flag the loop's wait reads (set by the server's own shutdown too).
    """
    server._shutdown = True


def serve_meanwhile(server: LiveReloadServer, prepare: Callable[[], bool], root: Path) -> None:
    """The server's `serve` with a first step: serve what its root holds and watch, run prepare, then
    serve root and rebuild on changes (a change seen meanwhile, or prepare returning True, rebuilds once
    prepare is done).

    The same steps as LiveReloadServer.serve (the engine contract test holds them to it), with
    prepare on this thread, so that an interrupt stops it as it stops the build loop.
    """
    server.server_bind()
    server.server_activate()
    if server._watched_paths:
        server.observer.start()
    logger().info(f"Serving on {server.url}")
    server.serve_thread.start()
    again = prepare()
    server.root = os.path.abspath(root)  # read afresh by every request
    if again:
        with server._rebuild_cond:  # as the file watcher's callback does
            server._want_rebuild = True
            server._rebuild_cond.notify_all()
    server._build_loop()
