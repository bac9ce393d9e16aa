"""The MkDocs side of the pipeline: generated pages become virtual files.

Only MkDocs event handlers live here. Pages are made by `pipeline.generate`, the
same function `python build.py` uses, and handed over with `File.generated`, so
nothing is ever written into `docs/` (writing there during `mkdocs serve` would
trigger endless rebuilds).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section

from .errors import DataError, Problem, RenderError, escape_log_output, indented, printable
from .feeds import SiteInfo, site_url_problem
from .files import UnsafeFilesError, display_path
from .links import parse_page
from .markup import ThemeScripts, data_documents, trace, url_path
from .pipeline import LATEST_BRIEFING, THIS_BRIEFING, Generated, Project, error_pages, generate
from .publish import MARKER
from .relations import latest_date
from .render import for_theme

_KEY = "_briefings_generated"
_SCAN = "_briefings_theme_scripts"
_FILES = "_briefings_files"

# Process state, kept here because MkDocs re-executes the hook file on every rebuild
# of `mkdocs serve` while this package module stays loaded.
_STATE: dict[str, Any] = {"command": "build", "last_good": None}


def on_startup(command: str, dirty: bool) -> None:
    """Remember whether this process serves a preview (then data errors become error pages)."""
    _STATE["command"] = command
    escape_log_output(logging.getLogger("mkdocs"))  # file names in MkDocs' own messages


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


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Load, validate and render; set the small explicit navigation."""
    try:
        generated = generate(_project(config), site_info(config))
        _STATE["last_good"] = generated
    except UnsafeFilesError as exc:
        # Never build, not even error pages in a preview: MkDocs would copy a linked file.
        raise PluginError("unsafe files in the project:\n" + indented(exc.format())) from None
    except Exception as exc:
        if not isinstance(exc, (DataError, RenderError)):
            if _STATE["command"] != "serve":
                raise  # the CLI reports it as an internal error (a bug, not an editor's mistake)
            exc = RenderError([Problem("(generator)", None, None, "", f"{type(exc).__name__}: {exc}")])
        what = "invalid briefing data" if isinstance(exc, DataError) else "a page could not be rendered"
        if _STATE["command"] != "serve":
            # PluginError is logged by MkDocs as a one-line error, without traceback.
            raise PluginError(f"{what}:\n{indented(exc.format())}") from None
        # In a preview, keep serving: every page shows the problems until the file is fixed.
        print(f"\n{what} (the preview shows this until it is fixed):\n{exc.format()}\n", file=sys.stderr)
        generated = error_pages(exc, _STATE["last_good"], _project(config))
    config[_KEY] = generated  # type: ignore[index]  # per-build state, not module state
    config[_SCAN] = None  # type: ignore[index]  # the theme's scripts, learnt from 404.html below
    set_build_date(generated)
    if config.nav is None:
        config.nav = generated.nav
    return config


def set_build_date(generated: Generated) -> None:
    """Dates come from the data, never the clock: MkDocs stamps the sitemap with this."""
    if not generated.dataset.briefings:
        return
    latest = latest_date(generated.dataset)
    stamp = dt.datetime(latest.year, latest.month, latest.day, tzinfo=dt.UTC).timestamp()
    os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp))


CLASH_HEADING = "A file in docs/ clashes with the site's own output"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add every generated page as a virtual file, after making sure no file in docs/ would take its place.

    A build fails on a clash; a preview shows the problem on every page (as for data
    errors) and leaves the clashing docs/ files out until they are renamed.
    """
    generated: Generated = config[_KEY]  # type: ignore[index]
    virtual = [File.generated(config, page.src_uri, content=page.content) for page in generated.pages]
    project = _project(config)
    clashes = output_clashes(files, virtual, config, project.root)
    if clashes:
        problems = [problem for problem, _ in clashes]
        message = "files in docs/ clash with the site's own output:\n" + indented(
            "\n".join(p.format() for p in problems)
        )
        if _STATE["command"] != "serve":
            raise PluginError(message)
        print(f"\n{message}\n(the preview shows this until they are renamed)\n", file=sys.stderr)
        for _, file in clashes:
            files.remove(file)
        summary = "Rename or remove the file in docs/ named above (generated pages must not be in docs/) and save."
        generated = error_pages(RenderError(problems), generated, project, CLASH_HEADING, summary)
        config[_KEY] = generated  # type: ignore[index]
        virtual = [File.generated(config, page.src_uri, content=page.content) for page in generated.pages]
    for file in virtual:
        files.append(file)
    return files


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


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    """Keep the site's files: a briefing page's sidebar lists that briefing's pages (see on_page_context)."""
    config[_FILES] = files  # type: ignore[index]
    return nav


def on_page_markdown(markdown: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    """Give generated pages a full <title> (Material reads page.meta.title), e.g. `Quotes · Headline`.

    Everything handed to the theme passes `for_theme` here, the one boundary between data
    and theme templates (which MkDocs renders without autoescape).
    """
    generated: Generated = config[_KEY]  # type: ignore[index]
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


@event_priority(-50)  # after the search plugin, which indexes the page in this event
def on_page_context(context: dict[str, Any], page: Any, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    """Expose the briefing a page belongs to; give its sidebar and search entry that briefing."""
    generated: Generated = config[_KEY]  # type: ignore[index]
    slug = generated.slug_of.get(page.file.src_uri)
    context["briefing_slug"] = slug
    if slug is not None:
        context["nav"] = briefing_navigation(nav, generated.sections[slug], config[_FILES])  # type: ignore[index]
        title_search_entry(config, page.url, generated.titles[page.file.src_uri])
    return context


def title_search_entry(config: MkDocsConfig, url: str, title: str) -> None:
    """Title a briefing page's search entry as its <title> is: "The strike · <briefing title>".

    The search plugin titles a page's entry with its first heading ("The strike"), which every
    briefing's strike page shares; readers could not tell the results apart. The index holds
    HTML, so the title is escaped (the plugin escapes heading text the same way).
    """
    plugin = config.plugins.get("material/search") or config.plugins.get("search")
    index = getattr(plugin, "search_index", None)
    for entry in reversed(getattr(index, "entries", [])):  # this page's entries were added last
        if entry["location"] == url:
            entry["title"] = html.escape(title, quote=False)
            return


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


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    """Learn the theme's own scripts from its 404 page, which holds no data text."""
    if template_name == "404.html":
        base = url_path(config.site_url or "/")  # the theme writes root-absolute URLs here when site_url is set
        config[_SCAN] = ThemeScripts.from_page(output_content, base_path=base)  # type: ignore[index]
    return output_content


def on_post_page(output: str, page: Any, config: MkDocsConfig) -> str:
    """Scan the whole written page (head included); never let an unsafe one through.

    A build fails, naming the data file, line and field the markup came from; a preview
    serves a page that says so instead, and the next save that fixes it brings it back.
    """
    scanned = parse_page(output, page.file.dest_uri, config.get(_SCAN))
    found = scanned.unsafe
    if scanned.raw:
        # Only a template (or Markdown that was never converted) writes syntax a reader sees
        # as characters: a build fails; a preview shows the page and says so in the terminal.
        lines = [printable(f"{page.file.dest_uri}:{r.line}: {r.found}: {r.reason}") for r in scanned.raw]
        message = "Markdown or template syntax shown to readers as text:\n" + indented("\n".join(lines))
        if _STATE["command"] != "serve":
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
    if _STATE["command"] != "serve":
        raise PluginError(message)
    print(f"\n{message}\n(the preview withholds this page until it is fixed)\n", file=sys.stderr)
    return withheld_page(project, page.file.dest_uri, lines)


def withheld_page(project: Project, page: str, lines: list[str]) -> str:
    """The HTML a preview serves instead of an unsafe page (every line escaped)."""
    from .render import make_environment

    env = make_environment(project.templates_dir)
    return env.get_template("withheld.html.j2").render(page=page, lines=lines)
