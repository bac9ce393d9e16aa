"""Which pages a link check must look at again: the record of the last clean check, kept in the build cache.

A page's verdict depends on its own HTML (its links and what the markup and raw-syntax scans
find in it) and, for each internal link, on whether the target file exists and, for a link with
a #fragment into a page, on that page's ids. So after a check that found nothing, the record
keeps, for every page, a hash of its HTML and of its ids, the files its links need and the pages
whose ids they need. The next check parses and resolves again only the pages whose HTML is new
or changed, and the unchanged pages that link to a file that is gone or into a page whose ids
changed; every other page is counted from the record. lychee, the second opinion, is given the
same pages. The feeds and JSON files (`links.check_feeds`) are recorded the same way: a file
whose bytes and base URL are unchanged and whose targets are all still there is not read
again. Without a usable record (the first build, other code, other theme scripts, a site
served under another path) every page is checked, as without the cache.

The record is one cache entry (kind `links`, sealed like every entry) under a key made of our
code, the theme's scripts, the base path, lychee's version and lychee.toml, rewritten after
every clean check. A page the build linked unchanged from the site it replaced (cache.PageCache)
whose file is the very one the last check hashed (the same inode, size and modification time)
keeps that hash without being read again; every other page is read and hashed.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import Identity, identity
from .files import read_regular_file
from .links import _Page, cached_parse, parse_entry, parse_key, site_listing
from .markup import base_path_of, theme_scripts

if TYPE_CHECKING:
    from .cache import BuildCache

MAX_PAGE = 64 * 1024 * 1024  # bytes of one page read for its hash (the parse reports a larger one)


HASHERS = 2  # threads reading and hashing the site's pages


def _page_hash(site: Path, trusted: dict[str, PageRecord], rel: str) -> tuple[str, Identity] | None:
    """The sha256 of a page's bytes and the identity of its file; None if it cannot be read as a regular file.

    A page the build linked unchanged from the published site (trusted: with the last clean
    check's record of it) whose file is the very one that check hashed (the same inode, size and
    modification time) keeps that hash without being read again.
    """
    path = site / rel
    try:
        info = os.lstat(path)
    except OSError:
        info = None
    if info is not None and stat.S_ISREG(info.st_mode):
        record = trusted.get(rel)
        if record is not None and record.file == identity(info) and record.file != (0, 0, 0):
            return record.html, record.file
    raw, _ = read_regular_file(path, rel, max_bytes=MAX_PAGE)
    if raw is None or info is None:
        return None
    # The identity seen before reading: if the file changed meanwhile, the next check finds another one.
    return hashlib.sha256(raw).hexdigest(), identity(info)


@dataclass(frozen=True)
class PageRecord:
    """What the last clean check learnt about one page."""

    html: str  # sha256 of the page's bytes
    ids: str  # sha256 of its sorted ids
    checked: int  # internal links counted on it
    exists: tuple[str, ...]  # site-relative files its links need (each existed)
    anchors: tuple[str, ...]  # site-relative pages whose ids its #fragment links need
    external: tuple[str, ...]  # its external URLs, each as often as it links to it
    file: Identity = (0, 0, 0)  # the page file's inode, size and modification time when it was hashed


def ids_digest(ids: set[str]) -> str:
    """A hash of a page's set of ids."""
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8", "surrogatepass")).hexdigest()


class Recheck:
    """The pages one check must parse and resolve (`todo`, parsed in `parsed`), and the record it leaves."""

    def __init__(
        self,
        site: Path,
        cache: BuildCache,
        workers: int | None = None,
        inputs: tuple[str | bytes, ...] = (),
        linked: Collection[str] = (),
    ) -> None:
        """inputs: whatever else the verdicts depend on (lychee's configuration and version), for the record's key.
        linked: the pages (relative) the build linked, unchanged, from the site it replaces (cache.PageCache):
        one whose file is the one the last clean check hashed keeps that hash without being read again."""
        from .sealing import digest

        self.site = site = site.resolve()
        self.cache = cache
        self.workers = workers
        base = base_path_of(site)
        self.base_path = base if base.endswith("/") else base + "/"
        self.theme = theme = theme_scripts(site)
        self.parse_key = parse_key(theme)
        self.key = digest(self.parse_key, "site-check", self.base_path, *inputs)
        self.rels, self.files = site_listing(site)
        found = _records(cache.get("links", self.key))
        self.old: dict[str, PageRecord] | None = None  # None: no usable record, every page is checked
        self.old_feeds: dict[str, PageRecord] = {}
        self.old_base = ""
        if found is not None:
            self.old, self.old_feeds, self.old_base = found
        self.html: dict[str, str] = {}  # a page's hash; absent if it cannot be read (the parse reports why)
        self.identities: dict[str, Identity] = {}  # a page file's identity when it was hashed
        # Reading and hashing release the GIL: two threads read the site on two cores.
        trusted = {rel: record for rel, record in (self.old or {}).items() if rel in linked}
        hash_one = partial(_page_hash, site, trusted)
        with ThreadPoolExecutor(max_workers=HASHERS, thread_name_prefix="briefings-hash") as hashers:
            for rel, hashed in zip(self.rels, hashers.map(hash_one, self.rels), strict=True):
                if hashed is not None:
                    self.html[rel], self.identities[rel] = hashed
        # Every page's kept parse stays in the cache, read or not: after a check that parsed nothing (a build
        # that changed nothing) the cache's pruning would drop them all, and the next check would parse anew,
        # one by one, every page a changed page links into with a #fragment (80 s at 1,000 briefings).
        for rel, html in self.html.items():
            cache.keep("links", parse_entry(self.parse_key, rel, html))
        self.new: dict[str, PageRecord] = {}
        self.new_feeds: dict[str, PageRecord] = {}
        self.base = ""  # the feeds' base URL, as check_feeds read it
        self.gone: set[str] = set()  # files a recorded page or feed needs that are no longer there
        self.parse_count = 0  # pages parsed, not found in the cache
        todo, self.parsed = self._plan()
        self.todo_rels = set(todo)
        self.todo = [site / rel for rel in todo]

    def rel(self, path: Path) -> str:
        """A page's path relative to the site."""
        return path.relative_to(self.site).as_posix()

    def parse(self, rels: list[str]) -> dict[Path, _Page]:
        """The parse of each page: from the cache for HTML parsed before without findings, else parsed now."""
        paths = [self.site / rel for rel in rels]
        digests = {path: self.html[rel] for rel, path in zip(rels, paths, strict=True) if rel in self.html}
        found, parsed = cached_parse(paths, self.site, self.theme, self.workers, self.cache, digests, self.parse_key)
        self.parse_count += parsed
        return found

    def ids_of(self, path: Path) -> set[str]:
        """The ids of a page that is not checked again (a link into it is)."""
        if path not in self.parsed:
            self.parsed.update(self.parse([self.rel(path)]))
        return self.parsed[path].ids

    def _plan(self) -> tuple[list[str], dict[Path, _Page]]:
        """The pages to check again (relative) and their parses: every page without a record."""
        old, html = self.old, self.html
        if old is None:
            return self.rels, self.parse(self.rels)
        changed = [rel for rel in self.rels if rel not in html or old.get(rel, _NONE).html != html[rel]]
        parsed = self.parse(changed)
        recorded = (*old.items(), *self.old_feeds.items())
        self.gone = gone = {rel for rel, record in recorded for rel in (rel, *record.exists) if rel not in self.files}
        reanchored = {rel for rel in changed if old.get(rel, _NONE).ids != ids_digest(parsed[self.site / rel].ids)}
        again = set(changed)
        if gone or reanchored:
            for rel in self.rels:
                record = old.get(rel)
                if rel not in again and record is not None:
                    if not gone.isdisjoint(record.exists) or not reanchored.isdisjoint(record.anchors):
                        again.add(rel)
        todo = [rel for rel in self.rels if rel in again]
        parsed.update(self.parse([rel for rel in todo if rel not in changed]))
        return todo, parsed

    def lychee_inputs(self) -> list[Path] | None:
        """What lychee is given: the pages checked again, or None for the whole site (every page is)."""
        return None if len(self.todo) == len(self.rels) else self.todo

    def kept(self) -> list[tuple[str, PageRecord]]:
        """The pages not checked again, with what the last check counted on them."""
        if self.old is None:
            return []
        return [(rel, self.old[rel]) for rel in self.rels if rel not in self.todo_rels]

    def note(
        self, path: Path, page: _Page, checked: int, exists: set[str], anchors: set[str], external: list[str]
    ) -> None:
        """What checking one page found (it had no finding, or the record is never written)."""
        rel = self.rel(path)
        if rel in self.html:
            record = PageRecord(
                self.html[rel],
                ids_digest(page.ids),
                checked,
                tuple(sorted(exists)),
                tuple(sorted(anchors)),
                tuple(external),
                self.identities[rel],
            )
            self.new[rel] = record

    def feed_verdict(self, rel: str, html: str, base: str) -> PageRecord | None:
        """The last clean check's verdict on a feed file, if its bytes, base URL and the files it needs are as then."""
        self.base = base
        record = self.old_feeds.get(rel)
        if record is None or record.html != html or base != self.old_base or not self.gone.isdisjoint(record.exists):
            return None
        return record

    def note_feed(self, rel: str, record: PageRecord) -> None:
        """A feed file checked (or kept) without finding anything."""
        self.new_feeds[rel] = record

    def save(self) -> None:
        """Write the record of this check (call only when it found nothing)."""
        records = dict(self.kept())
        records.update(self.new)
        if len(records) != len(self.rels):
            return  # a page that could not be read: no record, the next check does everything
        every = (*records.values(), *self.new_feeds.values())
        names = sorted({rel for r in every for rel in (*r.exists, *r.anchors)})
        index = {name: i for i, name in enumerate(names)}

        def stored(r: PageRecord) -> list[Any]:
            exists, anchors = [index[x] for x in r.exists], [index[x] for x in r.anchors]
            return [r.html, r.ids, r.checked, exists, anchors, list(r.external), list(r.file)]

        pages = {rel: stored(r) for rel, r in sorted(records.items())}
        feeds = {rel: stored(r) for rel, r in sorted(self.new_feeds.items())}
        self.cache.put("links", self.key, {"names": names, "pages": pages, "feeds": feeds, "base": self.base})


_NONE = PageRecord("", "", 0, (), (), ())


def _records(value: dict[str, Any] | None) -> tuple[dict[str, PageRecord], dict[str, PageRecord], str] | None:
    """The record as stored (pages, feed files, the feeds' base URL), checked field by field; None if
    anything is not as written."""
    if value is None:
        return None
    names, base = value.get("names"), value.get("base")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not isinstance(base, str):
        return None
    pages, feeds = _section(value.get("pages"), names), _section(value.get("feeds"), names)
    return None if pages is None or feeds is None else (pages, feeds, base)


def _section(stored: object, names: list[str]) -> dict[str, PageRecord] | None:
    if not isinstance(stored, dict):
        return None
    out: dict[str, PageRecord] = {}
    for rel, fields in stored.items():
        if not (isinstance(fields, list) and len(fields) == 7):
            return None
        html, ids, checked, exists, anchors, external, file = fields
        if not (isinstance(file, list) and len(file) == 3 and all(type(n) is int and n >= 0 for n in file)):
            return None
        if not (isinstance(html, str) and isinstance(ids, str) and type(checked) is int):
            return None
        lists = (exists, anchors)
        if not all(isinstance(x, list) and all(type(i) is int and 0 <= i < len(names) for i in x) for x in lists):
            return None
        if not (isinstance(external, list) and all(isinstance(u, str) for u in external)):
            return None
        out[rel] = PageRecord(
            html,
            ids,
            checked,
            tuple(names[i] for i in exists),
            tuple(names[i] for i in anchors),
            tuple(external),
            (file[0], file[1], file[2]),
        )
    return out
