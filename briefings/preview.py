"""Fast preview: `python build.py serve`, rebuilding only the pages an edit changes.

`mkdocs serve` rebuilds every page on every save, which takes tens of seconds for a
large archive. This server runs the same MkDocs build once, keeps its state (config,
files, navigation, theme environment, search index) and, when a data file changes,
re-renders the Markdown of every page in memory (cheap), then converts and writes
only the pages whose Markdown changed, updating their search-index entries in place.
Anything structural (a template, a theme override, a hand-written page, mkdocs.yml,
a page added or removed, a different navigation) falls back to a full build. A test
builds the same edits with a plain `mkdocs build` and compares every file.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import engine, mkdocs_adapter
from .errors import indented
from .mkdocs_adapter import BriefingsPlugin
from .pipeline import Generated, Project, generate

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


@dataclass
class UpdateResult:
    """What one rebuild did."""

    full: bool
    pages: list[str] = field(default_factory=list)


class IncrementalSite:
    """A built site kept in memory so that data edits rebuild only what they change."""

    def __init__(self, project: Project, site_dir: Path) -> None:
        self.project = project
        self.site_dir = site_dir
        self.state: dict[str, Any] = {}
        self.structure = ""

    # ------------------------------------------------------------------ full build

    def full_build(self) -> UpdateResult:
        """The same steps as the engine's full build, keeping what they produce."""
        self.structure = _tree_hash([self.project.root / p for p in _STRUCTURE])
        config = engine.load_config(self.project.config_file, self.site_dir)
        plugin = BriefingsPlugin.of(config.plugins.values())
        plugin.on_startup("serve", False)  # data errors become error pages, never a crash
        kept = engine.build_keeping_state(config)
        self.state = {
            "kept": kept,
            "generated": plugin.current,
            "plugin": plugin,
            "theme_scripts": plugin.theme_scripts,
        }
        return UpdateResult(True, [f.src_uri for f in kept.doc_files])

    # ------------------------------------------------------------------ incremental

    def update(self) -> UpdateResult:
        """Rebuild after a change: only changed pages when only data changed, else everything."""
        if not self.state or _tree_hash([self.project.root / p for p in _STRUCTURE]) != self.structure:
            return self.full_build()
        kept: engine.KeptBuild = self.state["kept"]
        old: Generated = self.state["generated"]
        site = mkdocs_adapter.site_info(kept.config)
        try:
            new = generate(self.project, site, previous=old)
        except Exception:  # data errors: the full path renders the error pages and logs them
            return self.full_build()
        # A page changes when its Markdown, its title or its metadata (JSON-LD dates) change.
        old_pages = {p.src_uri: (p.content, p.title, p.meta) for p in old.pages}
        new_pages = {p.src_uri: (p.content, p.title, p.meta) for p in new.pages}
        if old_pages.keys() != new_pages.keys() or old.nav != new.nav:
            return self.full_build()
        changed = [uri for uri, page in new_pages.items() if page != old_pages[uri]]
        plugin: BriefingsPlugin = self.state["plugin"]
        plugin.resume(new, kept.files, self.state["theme_scripts"])  # read by the page events below
        rebuilt = [uri for uri in changed if kept.rebuild(uri, new_pages[uri][0])]
        if rebuilt:
            # The sitemap's lastmod comes from the data's latest date, which an edit may move.
            kept.finish(new.date)
        self.state["generated"] = new
        return UpdateResult(False, rebuilt)


def serve(project: Project, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Build once, then serve with live reload, rebuilding incrementally on every change.

    The temporary site is removed on every way out: Ctrl+C (SIGINT), SIGTERM, an error.
    """
    import shutil
    import signal
    import tempfile
    import threading

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # unwinds the build loop, so the finally below runs

    site_dir = Path(tempfile.mkdtemp(prefix="briefings-preview-"))
    main_thread = threading.current_thread() is threading.main_thread()
    # SIGINT as well as SIGTERM: a shell that starts this as a background job (no job control)
    # hands it SIGINT ignored, and Python then never raises KeyboardInterrupt; `kill -INT` must still stop it.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)} if main_thread else {}
    server = None
    try:
        site = IncrementalSite(project, site_dir)
        site.full_build()

        def builder() -> None:
            try:
                result = site.update()
            except Exception as exc:  # never wedge the server: say what failed; the next save rebuilds in full
                site.state = {}
                # Continuation lines indented: the log filter keeps only those line breaks.
                reason = indented(f"{type(exc).__name__}: {exc}")
                log.error(f"preview rebuild failed; save again after fixing it:\n{reason}")
                return
            what = "full rebuild" if result.full else f"{len(result.pages)} pages rebuilt"
            log.info(f"preview updated: {what}")

        server = engine.live_reload_server(builder, host, port, site_dir)
        for part in ("data", *_STRUCTURE):
            path = project.root / part
            if path.exists():
                server.watch(str(path))
        try:
            server.serve()
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
