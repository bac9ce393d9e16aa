"""The MkDocs side of the pipeline: generated pages become virtual files.

One `BriefingsPlugin` instance per process (made by the hook file, which MkDocs loads
once and keeps between the rebuilds of `mkdocs serve`) owns everything a build needs
between events: the generated pages, the site's files, the theme's own scripts, the
last good generation. Pages are made by `pipeline.generate`, the same function
`python build.py` uses, and handed over with `File.generated`, so nothing is ever
written into `docs/` (writing there during `mkdocs serve` would trigger endless rebuilds).
"""

from __future__ import annotations

import html
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page as MkPage

from . import engine
from .bytecode import keep_compiled
from .environment import for_theme
from .errors import DataError, Problem, RenderError, escape_log_output, indented, printable
from .feeds import SiteInfo, site_url_problem
from .files import UnsafeFilesError, display_path
from .links import ParseKeeper, parse_page
from .markup import ThemeScripts, data_documents, trace, url_path
from .passthrough import anchor_ids, with_passthrough
from .pipeline import LATEST_BRIEFING, THIS_BRIEFING, Generated, Project, error_pages, generate, nav_context
from .publish import MARKER


def _project(config: MkDocsConfig) -> Project:
    """The project, with the folders mkdocs.yml names (docs_dir, theme custom_dir)."""
    config_file = Path(config.config_file_path).absolute()  # not resolved: a link in its place is refused
    project = Project.at(config_file.parent)
    custom_dir = config.theme.custom_dir
    return replace(
        project,
        config_file=config_file,
        docs_dir=Path(config.docs_dir).resolve(),
        overrides_dir=Path(custom_dir).resolve() if custom_dir else None,
    )


def site_info(config: MkDocsConfig) -> SiteInfo:
    """Site-wide settings the generated outputs need, from mkdocs.yml."""
    if not config.site_url:
        raise PluginError("mkdocs.yml must set site_url: feeds and canonical URLs need absolute addresses")
    problem = site_url_problem(config.site_url)
    if problem:
        raise PluginError(f"site_url (mkdocs.yml, $BRIEFINGS_SITE_URL or --site-url): {problem}")
    if not config.use_directory_urls:
        raise PluginError("mkdocs.yml must keep use_directory_urls: true (generated links assume it)")
    url = config.site_url if config.site_url.endswith("/") else config.site_url + "/"
    return SiteInfo(url, config.site_name, config.site_author or config.site_name, config.site_description or "")


class BriefingsPlugin:
    """The MkDocs events of one process's builds, and the state they share.

    A preview (`mkdocs serve` or `build.py serve`) keeps serving when data is wrong: it
    shows the problems on every page instead of failing; `serving` says which applies.
    """

    def __init__(self) -> None:
        self.serving = False
        self.generated: Generated | None = None  # this build's pages
        self.last_good: Generated | None = None  # the last generation without errors (previews)
        self.files: Files | None = None
        self.theme_scripts: ThemeScripts | None = None  # learnt from the theme's 404 page
        self.prepared: Generated | None = None  # pages rendered before the build (`build.py build`)
        self.packed: dict[str, bytes] = {}  # src_uri -> a converted page's HTML, compressed until it is written
        self.flagged: set[str] = set()  # pages a preview served with findings (withheld, raw syntax): never cached
        # A build with the cache keeps what its own scan parsed of each page, so the link check need
        # not parse that page again (set by pipeline.page_cache; `links.ParseKeeper`).
        self.keep_parse: ParseKeeper | None = None
        # The navigation's part in page keys, for the generation it was worked out from (page_context).
        self._nav_context: tuple[Generated, tuple[frozenset[str], str]] | None = None

    @property
    def current(self) -> Generated:
        """This build's generated pages (set by on_config, which MkDocs runs first)."""
        assert self.generated is not None, "on_config has not run"
        return self.generated

    def on_startup(self, command: str, dirty: bool) -> None:
        """Remember whether this process serves a preview (then data errors become error pages)."""
        self.serving = command == "serve"
        escape_log_output(engine.logger())  # file names in MkDocs' own messages

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Load, validate and render; set the small explicit navigation."""
        try:
            generated = self.prepared or generate(_project(config), site_info(config))
            self.prepared = None  # used by one build only
            self.last_good = generated
        except UnsafeFilesError as exc:
            # Never build, not even error pages in a preview: MkDocs would copy a linked file.
            raise PluginError("unsafe files in the project:\n" + indented(exc.format())) from None
        except Exception as exc:
            if not isinstance(exc, (DataError, RenderError)):
                if not self.serving:
                    raise  # the CLI reports it as an internal error (a bug, not an editor's mistake)
                exc = RenderError([Problem("(generator)", None, None, "", f"{type(exc).__name__}: {exc}")])
            what = "invalid briefing data" if isinstance(exc, DataError) else "a page could not be rendered"
            if not self.serving:
                # PluginError is logged by MkDocs as a one-line error, without traceback.
                raise PluginError(f"{what}:\n{indented(exc.format())}") from None
            # In a preview, keep serving: every page shows the problems until the file is fixed.
            print(f"\n{what} (the preview shows this until it is fixed):\n{exc.format()}\n", file=sys.stderr)
            generated = error_pages(exc, self.last_good, _project(config))
        if not self.serving:
            self.last_good = None  # only a preview shows error pages over the last good pages
        self.generated = generated
        self.theme_scripts = None  # learnt again from this build's 404 page
        self.packed = {}  # none left by a build that failed
        if config.nav is None:
            config.nav = generated.nav
        # The templates' HTML blocks, stored as they are (passthrough.py); the list is MkDocs' own, read once.
        config.markdown_extensions = with_passthrough(config.markdown_extensions)
        return config

    def resume(self, generated: Generated, files: Files, theme_scripts: ThemeScripts | None) -> None:
        """Take up a kept build again with new pages (the fast preview's update).

        The instance belongs to the hook file, one per process: another build of the same
        project in between (a test's reference build) may have replaced its state.
        """
        self.serving = True
        self.generated = generated
        self.files = files
        self.theme_scripts = theme_scripts

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Add every generated page as a virtual file, after making sure no file in docs/ would take its place.

        A build fails on a clash; a preview shows the problem on every page (as for data
        errors) and leaves the clashing docs/ files out until they are renamed.
        """
        generated = self.current
        virtual = [File.generated(config, page.src_uri, content=page.content) for page in generated.pages]
        project = _project(config)
        clashes = output_clashes(files, virtual, config, project.root)
        if clashes:
            problems = [problem for problem, _ in clashes]
            message = "files in docs/ clash with the site's own output:\n" + indented(
                "\n".join(p.format() for p in problems)
            )
            if not self.serving:
                raise PluginError(message)
            print(f"\n{message}\n(the preview shows this until they are renamed)\n", file=sys.stderr)
            for _, file in clashes:
                files.remove(file)
            summary = "Rename or remove the file in docs/ named above (generated pages must not be in docs/) and save."
            self.generated = error_pages(RenderError(problems), generated, project, CLASH_HEADING, summary)
            virtual = [File.generated(config, page.src_uri, content=page.content) for page in self.current.pages]
        for file in virtual:
            files.append(file)
        if not self.serving:
            # The files hold the pages' content now; a build never renders again (a preview's next
            # rendering reuses unchanged pages), so the list of pages is not kept twice.
            self.generated = replace(self.current, pages=[])
        return files

    def cacheable(self, src_uri: str) -> bool:
        """Whether the page as written may go into the build cache: not if a preview withheld it (or saw raw syntax)."""
        return src_uri not in self.flagged

    def page_context(self, src_uri: str) -> str:
        """What the theme prints on a page besides its own Markdown, title and metadata, as one string (its cache key):
        the briefing it belongs to and that briefing's pages (its sidebar, see on_page_context); on a page in the
        nav, the whole nav, which the site key leaves the latest briefing's group out of (`pipeline.nav_context`;
        its footer's previous and next come from it too). Other pages do not print that group (on_page_context)."""
        generated = self.current
        in_nav, whole = self._nav_parts()
        slug = generated.slug_of.get(src_uri)
        sections = generated.sections.get(slug) if slug is not None else None
        return json.dumps([slug, sections, whole if src_uri in in_nav else None], ensure_ascii=False)

    def _nav_parts(self) -> tuple[frozenset[str], str]:
        """`pipeline.nav_context` of this build's pages, worked out once per generation."""
        generated = self.current
        if self._nav_context is None or self._nav_context[0] is not generated:
            self._nav_context = (generated, nav_context(generated))
        return self._nav_context[1]

    @event_priority(-100)  # after the search plugin wrote its index
    def on_post_build(self, config: MkDocsConfig) -> None:
        """After a build (not a preview's), keep nothing of it: the next stages read the written site."""
        if not self.serving:
            self.generated = self.files = self.theme_scripts = self.keep_parse = None
            self.packed = {}

    def on_nav(self, nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
        """Keep the site's files: a briefing page's sidebar lists that briefing's pages (see on_page_context)."""
        self.files = files
        return nav

    def on_env(self, env: Environment, config: MkDocsConfig, files: Files) -> Environment:
        """Keep the theme's compiled templates between processes (`bytecode`): a second of every build."""
        return keep_compiled(env)

    def on_page_markdown(self, markdown: str, page: MkPage, config: MkDocsConfig, files: Files) -> str:
        """Give generated pages a full <title> (Material reads page.meta.title), e.g. `Quotes · Headline`.

        Everything handed to the theme passes `for_theme` here, the one boundary between data
        and theme templates (which MkDocs renders without autoescape).
        """
        generated = self.current
        if generated.date is not None:
            page.update_date = generated.date  # the sitemap's lastmod: from the data, never the clock
        title = generated.titles.get(page.file.src_uri)
        if title:
            page.meta["title"] = for_theme(title)
        slug = generated.slug_of.get(page.file.src_uri)
        if slug is not None:
            # The sidebar names a briefing's pages by section ("The strike"), as the nav of the
            # latest briefing does; <title>, header and search keep the full title (meta title).
            page.title = dict((uri, name) for name, uri in generated.sections[slug])[page.file.src_uri]
        meta = generated.meta.get(page.file.src_uri)
        if meta:
            page.meta["briefing_meta"] = for_theme(meta)  # read by overrides/main.html (JSON-LD, OpenGraph)
        if page.file.src_uri.endswith("/strike.md"):
            # Readers searching for a target or place want the page that describes the strike.
            page.meta["search"] = {"boost": 2}
        return markdown

    @event_priority(-100)  # last: every plugin has seen the Markdown and the HTML
    def on_page_content(self, html: str, page: MkPage, config: MkDocsConfig, files: Files) -> str:
        """In a build, let go of a generated page's Markdown once converted and pack its HTML until it is written.

        MkDocs converts every page before it writes any: held as text, the pages' HTML is
        most of a large build's memory. A preview keeps both (it rebuilds single pages).
        """
        # MkDocs learns a page's anchors from its Markdown and raw HTML before the HTML blocks are
        # stored (passthrough.py); the ids in those blocks are known here, before any link is checked.
        if page.present_anchor_ids is not None:
            page.present_anchor_ids |= anchor_ids(html)
        if self.serving:
            return html
        engine.release_markdown(page)
        packed, html = engine.pack_html(html)
        self.packed[page.file.src_uri] = packed
        return html

    @event_priority(100)  # before the search plugin, which indexes the page's HTML in this event
    def on_page_context(
        self, context: dict[str, Any], page: MkPage, config: MkDocsConfig, nav: Navigation
    ) -> dict[str, Any]:
        """Expose the briefing a page belongs to and give its sidebar that briefing (a page outside the nav that
        is no briefing's, the nav without the latest briefing); unpack its HTML in a build."""
        engine.unpack_html(page, self.packed.pop(page.file.src_uri, None))
        generated = self.current
        slug = generated.slug_of.get(page.file.src_uri)
        context["briefing_slug"] = slug
        if slug is not None and self.files is not None:
            context["nav"] = briefing_navigation(nav, generated.sections[slug], self.files)
        elif page.file.src_uri not in self._nav_parts()[0]:
            context["nav"] = listing_navigation(nav)
        return context

    def on_post_template(self, output_content: str, template_name: str, config: MkDocsConfig) -> str:
        """Learn the theme's own scripts from its 404 page, which holds no data text."""
        if template_name == "404.html":
            base = url_path(config.site_url or "/")  # the theme writes root-absolute URLs here when site_url is set
            self.theme_scripts = ThemeScripts.from_page(output_content, base_path=base)
        return output_content

    def on_post_page(self, output: str, page: MkPage, config: MkDocsConfig) -> str:
        """Scan the whole written page (head included); never let an unsafe one through.

        A build fails, naming the data file, line and field the markup came from; a preview
        serves a page that says so instead, and the next save that fixes it brings it back.
        """
        # The search plugin indexed the page in its page_context event, which runs after ours.
        slug = self.current.slug_of.get(page.file.src_uri)
        if slug is not None:
            title_search_entry(config, page.url, self.current.titles[page.file.src_uri])
        if not self.serving:
            engine.release_html(page)  # written next, already indexed: a build needs it no more
        scanned = parse_page(output, page.file.dest_uri, self.theme_scripts)
        if self.keep_parse is not None and not self.serving:
            self.keep_parse(page.file.dest_uri, output, scanned, self.theme_scripts)
        found = scanned.unsafe
        if scanned.raw or found:
            self.flagged.add(page.file.src_uri)
        else:
            self.flagged.discard(page.file.src_uri)
        if scanned.raw:
            # Only a template (or Markdown that was never converted) writes syntax a reader sees
            # as characters: a build fails; a preview shows the page and says so in the terminal.
            lines = [printable(f"{page.file.dest_uri}:{r.line}: {r.found}: {r.reason}") for r in scanned.raw]
            message = "Markdown or template syntax shown to readers as text:\n" + indented("\n".join(lines))
            if not self.serving:
                raise PluginError(message)
            print(f"\n{message}\n", file=sys.stderr)
        if not found:
            return output
        project = _project(config)
        documents = data_documents(project.data_dir, project.root)
        lines = []
        for item in found:
            origins = [p.format() for p in trace(item, documents)]
            lines.append(printable(f"{page.file.dest_uri}: {item.found}: {item.reason}"))
            lines += [f"  from {origin}" for origin in origins or ["no data file (a template or theme file?)"]]
        message = "unsafe markup in a page:\n" + indented("\n".join(lines))
        if not self.serving:
            raise PluginError(message)
        print(f"\n{message}\n(the preview withholds this page until it is fixed)\n", file=sys.stderr)
        return withheld_page(project, page.file.dest_uri, lines)

    @staticmethod
    def of(plugins: Iterable[Any]) -> BriefingsPlugin:
        """The instance among a config's plugins (the hook module's `plugin`)."""
        for candidate in plugins:
            found = getattr(candidate, "plugin", candidate)
            if isinstance(found, BriefingsPlugin):
                return found
        raise LookupError("mkdocs.yml does not load briefings/mkdocs_hook.py (hooks:)")


CLASH_HEADING = "A file in docs/ clashes with the site's own output"


def output_clashes(files: Files, virtual: list[File], config: MkDocsConfig, root: Path) -> list[tuple[Problem, File]]:
    """Every file from docs/ whose output path is also written by something else, with the problem to report.

    Compared by destination, not by source name: `docs/archive/2025/index.md` and the
    generated `archive/2025.md` are different sources of the same `archive/2025/index.html`.
    Besides generated pages and files (feeds, JSON API, schemas), the theme writes its
    static templates (404.html, sitemap.xml) and files, MkDocs `sitemap.xml.gz`, the search
    plugin its index, and the publish step its marker.
    """
    docs_dir = os.path.abspath(config.docs_dir)
    docs = [
        f
        for f in files
        if f.generated_by is None and os.path.abspath(f.src_dir or "") == docs_dir and f.inclusion.is_in_serve()
    ]
    taken: dict[str, str] = {}
    for template in config.theme.static_templates:
        taken[template] = f"the theme's {template}"
        if template == "sitemap.xml":
            taken["sitemap.xml.gz"] = "the compressed sitemap MkDocs writes"
    if any(name.split("/")[-1] == "search" for name in config.plugins):
        taken["search/search_index.json"] = "the search index"
    taken[MARKER] = "the marker of a site this tool built"
    for file in virtual:
        kind = "page" if file.src_uri.endswith(".md") else "file"
        taken[file.dest_uri] = f"the generated {kind} {file.src_uri}"
    # A docs/ file also hides a theme file of the same name (MkDocs then copies only the docs/ one).
    if any(os.path.isfile(os.path.join(d, f.src_uri)) for f in docs for d in config.theme.dirs):
        theme_files = Files([])
        theme_files.add_files_from_theme(config.theme.get_env(), config)
        for file in theme_files:
            taken.setdefault(file.dest_uri, f"the theme's {file.src_uri}")
    clashes = []
    for file in docs:
        shown = display_path(Path(file.abs_src_path or file.src_uri), root)
        other = taken.get(file.dest_uri)
        if other is None:
            taken[file.dest_uri] = shown
            continue
        message = f"clashes with {other}: both would be published as {file.dest_uri}"
        expected = "a file name no generated page or build output uses; generated pages are never in docs/"
        clashes.append((Problem(shown, None, None, "", message, expected), file))
    return clashes


def title_search_entry(config: MkDocsConfig, url: str, title: str) -> None:
    """Title a briefing page's search entry as its <title> is: "The strike · <briefing title>".

    The search plugin titles a page's entry with its first heading ("The strike"), which every
    briefing's strike page shares; readers could not tell the results apart. The index holds
    HTML, so the title is escaped (the plugin escapes heading text the same way).
    """
    engine.retitle_search_entry(config, url, html.escape(title, quote=False))


def briefing_navigation(nav: Navigation, sections: tuple[tuple[str, str], ...], files: Files) -> Navigation:
    """The site nav with the latest briefing's group replaced by the pages of the briefing being read.

    Its size stays that of the site nav: one briefing's pages, never the archive.
    """
    pages = [files.get_file_from_path(uri).page for _, uri in sections]  # type: ignore[union-attr]
    this = Section(THIS_BRIEFING, pages)  # type: ignore[arg-type]  # every section file has a page by now
    this.active = True  # expanded, marked as the reader's place
    items = [this if isinstance(item, Section) and item.title == LATEST_BRIEFING else item for item in nav.items]
    if this not in items:
        items.insert(1, this)
    return Navigation(items, nav.pages)


def listing_navigation(nav: Navigation) -> Navigation:
    """The site nav without the latest briefing's group: the sidebar of a page outside the nav that is
    no briefing's (an entity, tag, archive year or timeline year page), so that a new latest briefing
    is no change of the thousands of such pages (the home page and the archive lead to it)."""
    items = [i for i in nav.items if not (isinstance(i, Section) and i.title == LATEST_BRIEFING)]
    return Navigation(items, nav.pages)


def withheld_page(project: Project, page: str, lines: list[str]) -> str:
    """The HTML a preview serves instead of an unsafe page (every line escaped)."""
    from .environment import make_environment

    env = make_environment(project.templates_dir)
    return env.get_template("withheld.html.j2").render(page=page, lines=lines)
