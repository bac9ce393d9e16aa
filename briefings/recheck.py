"""Which pages a link check must look at again: the record of the last clean check, kept in the build cache.

A page's verdict depends on its own HTML (its links and what the markup and raw-syntax scans
find in it) and, for each internal link, on whether the target file exists and, for a link with
a #fragment into a page, on that page's ids. So after a check that found nothing, the record
keeps, for every page, a hash of its HTML and of its ids, the files its links need and the pages
whose ids they need. The next check parses and resolves again only the pages whose HTML is new
or changed, and the unchanged pages that link to a file that is gone or into a page whose ids
changed; every other page is counted from the record. lychee, the second opinion, is given the
same pages. Without a usable record (the first build, other code, other theme scripts, a site
served under another path) every page is checked, as without the cache.

The record is one cache entry (kind `links`, sealed like every entry) under a key made of our
code, the theme's scripts, the base path, lychee's version and lychee.toml, rewritten after
every clean check.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .files import read_regular_file
from .links import _Page, cached_parse, html_pages
from .markup import base_path_of, theme_scripts

if TYPE_CHECKING:
    from .cache import BuildCache

MAX_PAGE = 64 * 1024 * 1024  # bytes of one page read for its hash (the parse reports a larger one)


@dataclass(frozen=True)
class PageRecord:
    """What the last clean check learnt about one page."""

    html: str  # sha256 of the page's bytes
    ids: str  # sha256 of its sorted ids
    checked: int  # internal links counted on it
    exists: tuple[str, ...]  # site-relative files its links need (each existed)
    anchors: tuple[str, ...]  # site-relative pages whose ids its #fragment links need
    external: tuple[str, ...]  # its external URLs, each as often as it links to it


def ids_digest(ids: set[str]) -> str:
    """A hash of a page's set of ids."""
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8", "surrogatepass")).hexdigest()


class Recheck:
    """The pages one check must parse and resolve (`todo`, parsed in `parsed`), and the record it leaves."""

    def __init__(
        self, site: Path, cache: BuildCache, workers: int | None = None, inputs: tuple[str | bytes, ...] = ()
    ) -> None:
        """inputs: whatever else the verdicts depend on (lychee's configuration and version), for the record's key."""
        from .cache import code_fingerprint, digest

        self.site = site = site.resolve()
        self.cache = cache
        self.workers = workers
        base = base_path_of(site)
        self.base_path = base if base.endswith("/") else base + "/"
        self.theme = theme = theme_scripts(site)
        scripts = (
            "none" if theme is None else json.dumps([sorted(theme.inline), sorted(theme.sources), theme.base_path])
        )
        self.parse_key = digest(code_fingerprint(), scripts)
        self.key = digest(code_fingerprint(), "site-check", scripts, self.base_path, *inputs)
        self.paths = list(html_pages(site))
        self.html: dict[Path, str] = {}  # a page's hash; absent if it cannot be read (the parse reports why)
        for path in self.paths:
            raw, _ = read_regular_file(path, path.name, max_bytes=MAX_PAGE)
            if raw is not None:
                self.html[path] = hashlib.sha256(raw).hexdigest()
        self.old = _records(cache.get("links", self.key))
        self.new: dict[str, PageRecord] = {}
        self.parse_count = 0  # pages parsed, not found in the cache
        self.todo, self.parsed = self._plan()

    def rel(self, path: Path) -> str:
        """A page's path relative to the site."""
        return path.relative_to(self.site).as_posix()

    def parse(self, paths: list[Path]) -> dict[Path, _Page]:
        """The parse of each page: from the cache for HTML parsed before without findings, else parsed now."""
        found, parsed = cached_parse(paths, self.site, self.theme, self.workers, self.cache, self.html, self.parse_key)
        self.parse_count += parsed
        return found

    def ids_of(self, path: Path) -> set[str]:
        """The ids of a page that is not checked again (a link into it is)."""
        if path not in self.parsed:
            self.parsed.update(self.parse([path]))
        return self.parsed[path].ids

    def _plan(self) -> tuple[list[Path], dict[Path, _Page]]:
        """The pages to check again and their parses: every page without a record."""
        old = self.old
        if old is None:
            return self.paths, self.parse(self.paths)
        changed = [p for p in self.paths if p not in self.html or old.get(self.rel(p), _NONE).html != self.html[p]]
        parsed = self.parse(changed)
        files = _files(self.site)
        gone = {rel for rel, record in old.items() for rel in (rel, *record.exists) if rel not in files}
        reanchored = {
            self.rel(p) for p, page in parsed.items() if old.get(self.rel(p), _NONE).ids != ids_digest(page.ids)
        }
        again = set(changed)
        if gone or reanchored:
            for path in self.paths:
                record = old.get(self.rel(path))
                if path not in again and record is not None:
                    if not gone.isdisjoint(record.exists) or not reanchored.isdisjoint(record.anchors):
                        again.add(path)
        todo = [p for p in self.paths if p in again]
        parsed.update(self.parse([p for p in todo if p not in parsed]))
        return todo, parsed

    def lychee_inputs(self) -> list[Path] | None:
        """What lychee is given: the pages checked again, or None for the whole site (every page is)."""
        return None if len(self.todo) == len(self.paths) else self.todo

    def kept(self) -> list[tuple[str, PageRecord]]:
        """The pages not checked again, with what the last check counted on them."""
        if self.old is None:
            return []
        todo = set(self.todo)
        return [(self.rel(p), self.old[self.rel(p)]) for p in self.paths if p not in todo]

    def note(
        self, path: Path, page: _Page, checked: int, exists: set[str], anchors: set[str], external: list[str]
    ) -> None:
        """What checking one page found (it had no finding, or the record is never written)."""
        if path in self.html:
            record = PageRecord(
                self.html[path],
                ids_digest(page.ids),
                checked,
                tuple(sorted(exists)),
                tuple(sorted(anchors)),
                tuple(external),
            )
            self.new[self.rel(path)] = record

    def save(self) -> None:
        """Write the record of this check (call only when it found nothing)."""
        records = dict(self.kept())
        records.update(self.new)
        if len(records) != len(self.paths):
            return  # a page that could not be read: no record, the next check does everything
        names = sorted({rel for r in records.values() for rel in (*r.exists, *r.anchors)})
        index = {name: i for i, name in enumerate(names)}
        pages = {
            rel: [
                r.html,
                r.ids,
                r.checked,
                [index[x] for x in r.exists],
                [index[x] for x in r.anchors],
                list(r.external),
            ]
            for rel, r in sorted(records.items())
        }
        self.cache.put("links", self.key, {"names": names, "pages": pages})


_NONE = PageRecord("", "", 0, (), (), ())


def _files(site: Path) -> set[str]:
    """Every file of the site, relative to it (links not followed: the check treats them as files too)."""
    out: set[str] = set()
    for folder, _dirs, names in os.walk(site):
        prefix = os.path.relpath(folder, site)
        out.update(name if prefix == "." else f"{prefix}/{name}".replace(os.sep, "/") for name in names)
    return out


def _records(value: dict[str, Any] | None) -> dict[str, PageRecord] | None:
    """The record as stored, checked field by field; None if anything is not as written."""
    if value is None:
        return None
    names, pages = value.get("names"), value.get("pages")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not isinstance(pages, dict):
        return None
    out: dict[str, PageRecord] = {}
    for rel, fields in pages.items():
        if not (isinstance(fields, list) and len(fields) == 6):
            return None
        html, ids, checked, exists, anchors, external = fields
        if not (isinstance(html, str) and isinstance(ids, str) and type(checked) is int):
            return None
        lists = (exists, anchors)
        if not all(isinstance(x, list) and all(type(i) is int and 0 <= i < len(names) for i in x) for x in lists):
            return None
        if not (isinstance(external, list) and all(isinstance(u, str) for u in external)):
            return None
        out[rel] = PageRecord(
            html, ids, checked, tuple(names[i] for i in exists), tuple(names[i] for i in anchors), tuple(external)
        )
    return out
