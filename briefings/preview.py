"""Fast preview: `python build.py serve`, rebuilding only the pages an edit changes.

`mkdocs serve` rebuilds every page on every save, which takes tens of seconds for a
large archive. This server runs the same MkDocs build once, keeps its state (config,
files, navigation, theme environment, the search index as one fragment per page) and,
when a data file changes, works in two rounds:

1. the pages of the briefings the save edited, rendered from the new data without planning
   the whole site, are converted and written; the browsers reload (what the editor sees);
2. every page is rendered in memory, reusing those whose briefings did not change, and the
   other pages whose Markdown, title or metadata changed (neighbours, listings, records,
   feeds) are converted and written; then the search index (a join of the fragments) and
   the sitemap (only if the data's latest date moved); the browsers reload again.

What was derived from unchanged files (their checks, claims, mentions) is kept between
rounds (dataset.Derived). Anything structural (a template, a theme override, a
hand-written page, mkdocs.yml, a page added or removed, a different navigation) falls
back to a full build. A test builds the same edits with a plain `mkdocs build` and
compares every file.
"""

from __future__ import annotations

import hashlib
import logging
import os
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import engine, mkdocs_adapter
from .cache import BuildCache, PageCache, published_as_built
from .dataset import Dataset
from .errors import indented
from .feeds import SiteInfo
from .locator import Region
from .mkdocs_adapter import BriefingsPlugin
from .pipeline import (
    Generated,
    Project,
    briefing_sections,
    changed_briefings,
    inputs_stamp,
    load_data,
    navigation,
    page_cache,
    prepare,
    render,
    render_cache,
)
from .render import briefing_pages

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.livereload import LiveReloadServer

log = logging.getLogger("briefings.preview")
_STRUCTURE = ("templates", "overrides", "docs", "mkdocs.yml")


def _tree_hash(paths: list[Path]) -> str:
    """A hash of every file under the given paths (names and contents)."""
    digest = hashlib.sha256()
    for root in paths:
        if root.is_symlink() or not root.is_dir():
            files = [root]
        else:  # os.walk does not follow links; links and special files count by name only
            files = sorted(Path(folder, name) for folder, dirs, names in os.walk(root) for name in dirs + names)
        for path in files:
            digest.update(str(path).encode(errors="surrogateescape"))
            if path.is_file() and not path.is_symlink():  # never open a pipe or a device
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _data_stamp(data_dir: Path) -> tuple[tuple[str, int, int, int], ...]:
    """Path, size, modification time and inode of every file under data_dir: another stamp means a save since.

    What the live-reload server's file watcher compares too: a save it notices changes the stamp.
    """
    found = []
    for folder, dirs, names in os.walk(data_dir):
        dirs.sort()
        for name in sorted(names):
            try:
                info = os.lstat(os.path.join(folder, name))
            except OSError:  # removed meanwhile: the stamp differs anyway
                continue
            found.append((os.path.join(folder, name), info.st_size, info.st_mtime_ns, info.st_ino))
    return tuple(found)


@dataclass
class UpdateResult:
    """What one rebuild did."""

    full: bool
    pages: list[str] = field(default_factory=list)
    more: bool = False  # only the edited briefings' pages were written: call update() again for the rest


READY = "preview ready: an edit now rebuilds only the pages it changes"  # logged once, when it is so
FIRST_ROUND_MAX = 3  # edited briefings whose pages a first round writes; more (a checkout) go in one round


class IncrementalSite:
    """A built site kept in memory so that data edits rebuild only what they change."""

    def __init__(self, project: Project, site_dir: Path, cache: bool = True) -> None:
        self.project = project
        self.site_dir = site_dir
        self.cache = cache  # use the build cache in .cache/ for full builds (briefings/cache.py)
        self.converted: int | None = None  # pages the last full build converted (None: without the cache)
        self.state: dict[str, Any] = {}
        self.structure = ""
        self.stamp: tuple[Any, ...] | None = None  # the data files as they were last read
        self.loaded: tuple[Dataset, Region | None] | None = None  # what was read from them
        # Pages a first round wrote since the last whole round (src_uri -> content, title, metadata).
        self.shown: dict[str, tuple[str, str, Any]] = {}
        # The data as `published` read it, for the next full build to build from, and the inputs' stamp then.
        self.preloaded: tuple[Dataset, Region | None] | None = None
        self.checked: str | None = None

    # ------------------------------------------------------------------ full build

    def full_build(self) -> UpdateResult:
        """The same steps as the engine's full build, keeping what they produce.

        With the build cache (the default), pages are rendered and written from it where their
        inputs are unchanged (a warm start takes seconds), and what is made is kept there.
        """
        self.structure = _tree_hash([self.project.root / p for p in _STRUCTURE])
        self.stamp, self.loaded, self.shown = None, None, {}
        config = engine.load_config(self.project.config_file, self.site_dir)
        plugin = BriefingsPlugin.of(config.plugins.values())
        plugin.on_startup("serve", False)  # data errors become error pages, never a crash
        with BuildCache(self.project.root) if self.cache else nullcontext() as cache:
            store = self._prepare(config, cache) if cache is not None else None
            kept = engine.build_keeping_state(config, store)
        self.converted = store.converted if store is not None else None
        self.state = {
            "kept": kept,
            "generated": plugin.current,
            "plugin": plugin,
            "theme_scripts": plugin.theme_scripts,
        }
        return UpdateResult(True, [f.src_uri for f in kept.doc_files])

    def _prepare(self, config: MkDocsConfig, cache: BuildCache) -> PageCache | None:
        """Render every page with the build cache and hand them to the build; None (no cache) on any problem,
        which the build then meets again and shows on every page as without the cache."""
        preloaded, self.preloaded = self.preloaded, None
        try:
            self.project.check_inputs()
            dataset, region = preloaded or load_data(self.project, cache)
            site = mkdocs_adapter.site_info(config)
            generated = render(
                self.project, dataset, region, site, store=render_cache(cache, self.project, dataset, region, site)
            )
            prepare(config, generated)
            return page_cache(cache, self.project, config, generated)
        except Exception:
            return None

    def published(self) -> Path | None:
        """The project's site folder if the last build published it from inputs as they are now and it is
        as that build left it (then it is what full_build writes: serve it meanwhile); else None.

        The data is read here, and the inputs looked at again after: the next full_build builds
        from what was read, so a save while it runs is an edit it shows after, as any other,
        never a change of what it builds from (which could make every page a miss).
        """
        if not self.cache:
            return None
        try:
            self.project.check_inputs()
            stamp = inputs_stamp(self.project)
            with BuildCache(self.project.root) as cache:
                if not (cache.enabled and published_as_built(cache, self.project.site_dir, stamp)):
                    return None
                loaded = load_data(self.project, cache)
            if inputs_stamp(self.project) != stamp:
                return None  # saved meanwhile: what was read may not be what the site was built from
        except Exception:  # whatever it is, full_build meets it again and says so
            return None
        self.preloaded, self.checked = loaded, stamp
        return self.project.site_dir

    def saved_since_check(self) -> bool:
        """Whether an input changed since `published` looked (a save the file watcher, started after it,
        may not have seen): then the server rebuilds once at the start."""
        return self.checked is not None and inputs_stamp(self.project) != self.checked

    # ------------------------------------------------------------------ incremental

    def update(self, first: bool = False) -> UpdateResult:
        """Rebuild after a change: only changed pages when only data changed, else everything.

        first: after a save, write only the pages of the briefings it edited (what the editor is
        looking at), rendered without planning the whole site, and return with `more` set; the
        next call (or this one, when that does not apply) writes every other changed page, then
        the search index and sitemap. Either way the site ends as a full build writes it.
        """
        if not self.state or _tree_hash([self.project.root / p for p in _STRUCTURE]) != self.structure:
            return self.full_build()
        kept: engine.KeptBuild = self.state["kept"]
        old: Generated = self.state["generated"]
        site = mkdocs_adapter.site_info(kept.config)
        stamp = _data_stamp(self.project.data_dir)  # before reading: a save while reading shows next time
        saved = stamp != self.stamp or self.loaded is None
        if saved:
            try:
                self.project.check_inputs()
                self.loaded = load_data(self.project)
            except Exception:  # data errors: the full path renders the error pages and logs them
                return self.full_build()
            self.stamp = stamp
        assert self.loaded is not None
        dataset, region = self.loaded
        if first and saved:
            result = self._first_round(kept, old, dataset, region, site)
            if result is not None:
                return result
        try:
            new = render(self.project, dataset, region, site, previous=old)
        except Exception:  # a page that cannot be rendered: the full path shows the problem on every page
            return self.full_build()
        # A page changes when its Markdown, its title or its metadata (JSON-LD dates) change.
        old_pages = {p.src_uri: (p.content, p.title, p.meta) for p in old.pages}
        new_pages = {p.src_uri: (p.content, p.title, p.meta) for p in new.pages}
        if old_pages.keys() != new_pages.keys() or old.nav != new.nav:
            return self.full_build()
        written = {**old_pages, **self.shown}
        changed = [uri for uri, page in new_pages.items() if page != written[uri]]
        plugin: BriefingsPlugin = self.state["plugin"]
        plugin.resume(new, kept.files, self.state["theme_scripts"])  # read by the page events below
        rebuilt = [uri for uri in changed if kept.rebuild(uri, new_pages[uri][0])]
        if rebuilt or self.shown:
            # The sitemap's lastmod comes from the data's latest date, which an edit may move.
            kept.finish(new.date)
        self.state["generated"] = new
        self.shown = {}
        return UpdateResult(False, rebuilt)

    def _first_round(
        self, kept: engine.KeptBuild, old: Generated, dataset: Dataset, region: Region | None, site: SiteInfo
    ) -> UpdateResult | None:
        """Write the pages of the briefings a save edited; None when that does not apply (do a whole round).

        It applies when shared records are unchanged, a few briefings were edited, none added or
        removed, and their pages and the navigation are the same as before.
        """
        edited = changed_briefings(old.dataset, dataset)
        slugs = {b.slug for b in dataset.briefings}
        if not edited or len(edited) > FIRST_ROUND_MAX or not edited <= slugs or navigation(dataset) != old.nav:
            return None
        if old.environment is None or old.environment[0] != self.project.templates_dir:
            return None
        try:
            pages = briefing_pages(dataset, edited, self.project.templates_dir, site, region, old.environment[1])
        except Exception:  # the whole round renders it again and shows the problem
            return None
        before = {p.src_uri: p for p in old.pages}
        if any(p.src_uri not in before for p in pages) or {p.src_uri for p in pages if p.briefing} != {
            p.src_uri for p in old.pages if p.briefing in edited
        }:
            return None  # a section added or removed: the whole round builds the site again
        current = replace(
            old,
            dataset=dataset,
            slug_of={**old.slug_of, **{p.src_uri: p.briefing for p in pages if p.briefing}},
            titles={**old.titles, **{p.src_uri: p.title for p in pages if p.src_uri.endswith(".md")}},
            meta={**old.meta, **{p.src_uri: p.meta for p in pages if p.meta}},
            sections=briefing_sections(dataset),
        )
        plugin: BriefingsPlugin = self.state["plugin"]
        plugin.resume(current, kept.files, self.state["theme_scripts"])  # read by the page events below
        rebuilt = []
        for page in pages:
            now = (page.content, page.title, page.meta)
            b = before[page.src_uri]
            if now != self.shown.get(page.src_uri, (b.content, b.title, b.meta)):
                if kept.rebuild(page.src_uri, page.content):
                    rebuilt.append(page.src_uri)
                self.shown[page.src_uri] = now
        return UpdateResult(False, rebuilt, more=True)


def serve(project: Project, host: str = "127.0.0.1", port: int = 8000, cache: bool = True) -> None:
    """Build once, then serve with live reload, rebuilding incrementally on every change.

    The temporary site is removed on every way out: Ctrl+C (SIGINT), SIGTERM, an error.
    """
    import shutil
    import signal
    import tempfile
    import threading

    server: LiveReloadServer | None = None

    def stop(signum: int, frame: Any) -> None:
        # The build loop also ends by itself, should the interrupt be lost on its way: once, on two busy
        # cores, a preview stopped while it got ready went on serving (tests/test_leftovers.py).
        if server is not None:
            engine.stop_soon(server)
        raise KeyboardInterrupt  # unwinds the build loop, so the finally below runs

    site_dir = Path(tempfile.mkdtemp(prefix="briefings-preview-"))
    main_thread = threading.current_thread() is threading.main_thread()
    # SIGINT as well as SIGTERM: a shell that starts this as a background job (no job control)
    # hands it SIGINT ignored, and Python then never raises KeyboardInterrupt; `kill -INT` must still stop it.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)} if main_thread else {}
    try:
        site = IncrementalSite(project, site_dir, cache)
        published = site.published()
        if published is None:
            site.full_build()

        def builder() -> bool:
            """One round of rebuilding; True when changed pages are left for the next round."""
            try:
                # The edited briefing's pages first: the browser reloads with them, then with the rest.
                result = site.update(first=True)
            except Exception as exc:  # never wedge the server: say what failed; the next save rebuilds in full
                site.state = {}
                # Continuation lines indented: the log filter keeps only those line breaks.
                reason = indented(f"{type(exc).__name__}: {exc}")
                log.error(f"preview rebuild failed; save again after fixing it:\n{reason}")
                return False
            what = "full rebuild" if result.full else f"{len(result.pages)} pages rebuilt"
            later = " (the edited briefing's; the other changed pages next)" if result.more else ""
            log.info(f"preview updated: {what}{later}")
            return result.more

        def get_ready() -> bool:
            """The preview's own full build, while the published site is served; True if a save since the check
            asks for a rebuild at once."""
            site.full_build()
            log.info(READY)
            return site.saved_since_check()

        server = engine.live_reload_server(builder, host, port, published or site_dir)
        for part in ("data", *_STRUCTURE):
            path = project.root / part
            if path.exists():
                server.watch(str(path))
        try:
            if published is None:
                log.info(READY)
                server.serve()
            else:
                # The last build made it from these very files: the same site full_build writes, at once.
                log.info(f"serving {published.name}/ as the last build published it while the preview gets ready")
                engine.serve_meanwhile(server, get_ready, site_dir)
        except KeyboardInterrupt:
            pass
    finally:
        try:
            if server is not None:
                server.shutdown()
        finally:
            shutil.rmtree(site_dir, ignore_errors=True)
            if main_thread:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
