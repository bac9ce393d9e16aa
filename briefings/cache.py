"""The build cache that lasts between processes: `.cache/build-2/` under the project, safe to delete.

What it holds, each entry under a key that covers every input that can change it (our own
code, a hash of every file of this package, is in every key):

- `models/`: a data file as validated (the model as JSON, validated again on read), keyed
  by its path and bytes: a new process does not parse the YAML of unchanged files. Kept only
  if validating the JSON gives back an equal model (`DataCache`);
- `checks/`: one briefing file's own problems and warnings (the reference checks and the
  wording lint, `DataCache`), keyed by its path and bytes, the shared records it is checked
  against and the desk's grading setting; the rules across files run on every build;
- `render/`: a page's Markdown and metadata as the page plan rendered them from the data
  (`RenderCache`: reused when the briefings it shows are unchanged, as in the fast preview);
- `pages/`: a page's final HTML as MkDocs wrote it and its search-index fragment, keyed by
  `PageCache.key`: the site key (below) plus the page's own inputs as MkDocs holds them after the
  plugins' Markdown event: its address, Markdown, title and metadata (JSON-LD, <title>, search
  boost) and the briefing sidebar the theme prints on it. A hit skips the Markdown conversion
  and the theme's template (engine.build).
- `links/`: what the link check's parse found in a page (its ids and links), keyed by the
  page's path, its HTML's hash and the theme's scripts the markup scan compares with; a page
  with any finding is never stored, so it is parsed (and reported) every time.
  One more `links/` entry is the record of the last clean link check (`recheck.Recheck`):
  per page, its HTML's hash, its ids' hash and the files and anchors its links need, so the
  next check looks only at changed pages and the pages linking to what changed.
- `sites/`: what a build published (`PageCache.remember`), keyed by the site folder's path:
  for each page, the key of its `pages/` entry and its file's identity (inode, size and
  modification time). The next build links a reused page's file from the published site into
  the new one (a hard link) instead of inflating and writing it again, if the file there is
  still that regular file, unchanged since (a file edited in place has another modification
  time, a replaced one another inode); anything else is written from the entry as before. So
  an unchanged page keeps its file, and a deploy that compares modification times (rsync)
  skips it. With it, the stamp of every input the site was built from (`pipeline.inputs_stamp`,
  when nothing changed while it was built) and every entry of the folder with its identity and
  change time (`site_tree`): a preview whose inputs have that stamp, of a folder still as the
  build left it, serves the folder at once while it gets ready (`published_as_built`).

The site key is everything that is the same for every page: our own code (a hash of the
package's files), the versions of MkDocs or ProperDocs, Material, Python-Markdown, pymdown,
Jinja and Python, mkdocs.yml (and a config it inherits, and the environment variables it
names with !ENV), the site address, every file under templates/, the theme's custom_dir
and docs/, and the navigation with the titles of its pages, but for the latest briefing's
group, which only the pages in the nav print (a briefing's own pages print that briefing's
pages there instead, other pages none): it is in the key of each page in the nav, with the
whole nav their footer's previous and next links come from (`pipeline.nav_context`). So a
template edit makes every page a miss (slow once, never stale), and a new latest briefing only
the pages in the nav and those whose Markdown changed. A page's HTML depends on no other
page's existence: the links in its own Markdown are in its key, and a link into a page since
removed is the link check's finding (it looks again at unchanged pages linking to a file that
is gone). The sitemap, 404 page, search index and non-page files are written on every build.

Safety: the folder and its files are untrusted like any input. Nothing executes on load:
entries are zlib-compressed JSON (and, apart from it, a zlib-compressed blob of bytes: a
page's HTML, Markdown or model JSON), each naming its own kind and key, read with a size bound
and checked on read; anything unreadable, truncated, corrupt or mismatched is a miss. Each
entry is sealed (HMAC-SHA256 of its kind, key and bytes) with a key kept outside the project
(`sealing.machine_key`): an entry that came with the project instead of from a build here, committed
with a change or planted, is a miss, so nobody without that key can forge a page. Every
folder is opened relative to the one above it without following a symbolic link, so a
`.cache` (or a folder in it) that is a link is not used at all and nothing is written through
it; files are written under a fresh name and renamed into place. A cache that cannot be
used is never an error: the build runs as if it were empty. After a successful build,
entries this build did not use are removed, so the folder holds about one site's worth.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import zlib
from collections.abc import Callable, Iterable
from functools import cache, partial
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from .sealing import digest, machine_key, open_dir, read_sealed, write_sealed

if TYPE_CHECKING:
    from mkdocs.structure.pages import Page

    from .errors import Problem
    from .plan import PageSpec
    from .render import Page as RenderedPage

FOLDER = ".cache"
NAME = "build-2"  # bump when the layout or an entry's meaning changes: old entries are then never read
HEADER = b"briefings-build-cache-2\n"
LENGTH = 8  # bytes of the length of an entry's compressed JSON, after the header
MAX_ENTRY = 64 * 1024 * 1024  # bytes of an entry, compressed and uncompressed
KINDS = ("models", "checks", "render", "pages", "links", "sites")
PACKAGES = (
    "mkdocs",
    "properdocs",
    "mkdocs-material",
    "markdown",
    "pymdown-extensions",
    "jinja2",
    "markupsafe",
    "pyyaml",
)
M = TypeVar("M", bound=BaseModel)


@cache
def code_fingerprint() -> str:
    """Our own code (every file of the package) and the versions of what renders and converts pages."""
    package = Path(__file__).resolve().parent
    parts: list[str | bytes] = [NAME, sys.version]
    for path in sorted(package.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        parts += [path.relative_to(package).as_posix(), path.read_bytes()]
    for name in PACKAGES:
        try:
            parts += [name, metadata.version(name)]
        except metadata.PackageNotFoundError:
            parts += [name, "-"]
    return digest(*parts)


def tree_fingerprint(root: Path, folders: Iterable[Path | None], changed: bool = False) -> str:
    """Names, kinds and contents of every entry under the folders (relative to root); links by name only.

    changed: each file's identity and change time too (`published_identity`): a write since shows.
    """
    parts: list[str | bytes] = []
    for folder in folders:
        if folder is None:
            continue
        parts.append(str(folder.relative_to(root)) if folder.is_relative_to(root) else str(folder))
        if not folder.is_dir() or folder.is_symlink():
            parts.append("absent or not a folder")
            continue
        for here, dirs, names in os.walk(folder):  # does not follow links
            dirs.sort()
            for name in sorted(dirs + names):
                path = Path(here, name)
                parts.append(path.relative_to(folder).as_posix())
                try:
                    info = path.lstat()
                except OSError:
                    parts.append("gone")
                    continue
                parts.append(str(stat.S_IFMT(info.st_mode)))
                if changed:
                    parts.append(repr(published_identity(info)))
                if stat.S_ISREG(info.st_mode):
                    parts.append(path.read_bytes())
    return digest(*parts)


def decode(raw: bytes, kind: str, key: str) -> dict[str, Any] | None:
    """An entry's bytes as a JSON object naming this kind and key; None if they are anything else.

    An entry is the header, the length of its compressed JSON, that JSON, and then (if the entry
    has one) its blob compressed on its own: read by `blob`, when it is needed, not here.
    """
    if not raw.startswith(HEADER) or len(raw) > MAX_ENTRY:
        return None
    start = len(HEADER) + LENGTH
    end = start + int.from_bytes(raw[len(HEADER) : start], "big")
    if len(raw) < end:
        return None
    text = _inflate(raw[start:end])
    if text is None:
        return None
    try:
        value = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(value, dict) or value.get("kind") != kind or value.get("key") != key:
        return None
    if end < len(raw) and raw[end : end + 1] != b"\x78":  # a zlib stream, inflated by `blob` when needed
        return None
    return value


def blob(raw: bytes) -> bytes | None:
    """The blob of an entry `decode` accepted (None if it has none)."""
    end = len(HEADER) + LENGTH + int.from_bytes(raw[len(HEADER) : len(HEADER) + LENGTH], "big")
    return _inflate(raw[end:]) if end < len(raw) else None


def _inflate(data: bytes) -> bytes | None:
    """One whole zlib stream of at most MAX_ENTRY bytes inflated, nothing after it; else None."""
    try:
        inflate = zlib.decompressobj()
        out = inflate.decompress(data, MAX_ENTRY)
    except zlib.error:
        return None
    if inflate.unconsumed_tail or not inflate.eof or inflate.unused_data:
        return None  # too large, truncated, or followed by something else
    return out


class BuildCache:
    """The cache folder of one project, opened for one build (or one preview); `close` when done.

    `hits` and `misses` count the entries of each kind found and not found, for the build's summary.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hits: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.misses: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.used: dict[str, set[str]] = {kind: set() for kind in KINDS}
        self._dirs: dict[str, int] = {}
        self.secret = machine_key()
        self.enabled = self.secret is not None and self._open()

    def _open(self) -> bool:
        top = open_dir(str(self.root), None, create=False)
        if top is None:
            return False
        opened = [top]
        try:
            cache_dir = open_dir(FOLDER, top, create=True)
            if cache_dir is None:
                return False
            opened.append(cache_dir)
            own = open_dir(NAME, cache_dir, create=True)
            if own is None:
                return False
            opened.append(own)
            for kind in KINDS:
                fd = open_dir(kind, own, create=True)
                if fd is None:
                    return False
                self._dirs[kind] = fd
            return True
        finally:
            for fd in opened:
                os.close(fd)
            if len(self._dirs) < len(KINDS):
                self.close()

    def close(self) -> None:
        """Let go of the folders (the cache is unusable afterwards)."""
        for fd in self._dirs.values():
            os.close(fd)
        self._dirs = {}
        self.enabled = False

    def __enter__(self) -> BuildCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        """The entry stored under key, checked; None (a miss) if absent, unreadable or not what was stored."""
        found = self.get_raw(kind, key)
        return found[0] if found is not None else None

    def get_raw(self, kind: str, key: str) -> tuple[dict[str, Any], bytes] | None:
        """The entry, checked, and its bytes as stored (compressed: `decode` gives the entry again)."""
        self.used[kind].add(key)
        raw = None
        if self.enabled:
            assert self.secret is not None  # enabled
            raw = read_sealed(self._dirs[kind], key, kind, self.secret, MAX_ENTRY)
        value = decode(raw, kind, key) if raw is not None else None
        if value is None:
            self.misses[kind] += 1
            return None
        self.hits[kind] += 1
        assert raw is not None
        return value, raw

    def keep(self, kind: str, key: str) -> None:
        """Have `prune` leave the entry under key, though this build did not read it (a later one may)."""
        self.used[kind].add(key)

    def put(self, kind: str, key: str, value: dict[str, Any], data: bytes | None = None) -> None:
        """Store value, and a blob of bytes (data) read only when needed, under key (a fresh file renamed
        into place); a failure to write is no error."""
        self.used[kind].add(key)
        if not self.enabled:
            return
        text = json.dumps({**value, "kind": kind, "key": key}, ensure_ascii=False, separators=(",", ":"))
        packed = zlib.compress(text.encode("utf-8", "surrogatepass"), 3)
        payload = HEADER + len(packed).to_bytes(LENGTH, "big") + packed
        if data is not None:
            # Stored apart from the JSON: a large text inside JSON costs escaping, and a lookup
            # that needs only the JSON would inflate it too.
            payload += zlib.compress(data, 3)
        assert self.secret is not None  # enabled
        write_sealed(self._dirs[kind], key, kind, self.secret, payload)

    def prune(self) -> None:
        """Remove every entry this build did not use (called after a successful build): one site's worth stays."""
        for kind, folder in self._dirs.items():
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            for name in names:
                if name not in self.used[kind]:
                    try:
                        os.unlink(name, dir_fd=folder)  # a link is removed, not followed
                    except OSError:  # a folder someone put there, or gone meanwhile
                        pass


def config_inputs(config_file: Path, inherited: list[Path]) -> list[str | bytes]:
    """mkdocs.yml (and the file it inherits) as bytes, and the environment variables they read with !ENV."""
    import re

    parts: list[str | bytes] = []
    for path in [config_file, *inherited]:
        try:
            raw = path.read_bytes() if path.is_file() and not path.is_symlink() else b"(none)"
        except OSError:
            raw = b"(unreadable)"
        parts += [path.name, raw]
        named = set(re.findall(rb"!ENV\s+['\"]?([A-Za-z_][A-Za-z0-9_]*)", raw))
        for listed in re.findall(rb"!ENV\s*\[([^\]]*)\]", raw):  # !ENV [NAME, OTHER, default]: every word
            named |= set(re.findall(rb"[A-Za-z_][A-Za-z0-9_]*", listed))
        for name in sorted(named):
            parts += [name, os.environ.get(name.decode(), "(unset)")]
    return parts


Identity = tuple[int, int, int]  # a file's inode, size and modification time (ns)


def identity(info: os.stat_result) -> Identity:
    """What tells one version of a file from another without reading it (the link check's record)."""
    return info.st_ino, info.st_size, info.st_mtime_ns


Published = tuple[int, int, int, int]  # identity and the change time (ns)


def published_identity(info: os.stat_result) -> Published:
    """identity and the inode's change time, which no one can set back (utime cannot, unlike the
    modification time): a published file edited or touched in place since is never linked."""
    return (*identity(info), info.st_ctime_ns)


class PageCache:
    """The `pages/` entries as engine.build asks for them (engine.PageStore): a page's output and search fragment.

    context(src_uri): what else the theme prints on that page beyond its own Markdown, title and
    metadata (the briefing it belongs to and that briefing's pages, listed in its sidebar).
    cacheable(src_uri): False for a page whose output is not the page's own (a preview serves a
    "Page withheld" page in place of unsafe markup; a build fails instead): it is never stored.
    published: the site folder a build replaces: a reused page whose file there is as the last
    build left it is linked from there (`sites/` in the module's docstring); None: always written.
    """

    def __init__(
        self,
        cache: BuildCache,
        site_key: str,
        context: Callable[[str], str],
        cacheable: Callable[[str], bool],
        published: Path | None = None,
    ) -> None:
        self.cache = cache
        self.site_key = site_key
        self.context = context
        self.cacheable = cacheable  # False for a page a preview withheld (its output is not the page's)
        self.keys: dict[str, str] = {}  # src_uri -> its key in this build
        self.dests: dict[str, str] = {}  # src_uri -> its file in the site, relative
        self.converted = 0  # pages converted and rendered (not found)
        self.published = published
        # dest_uri -> (key, file) as the last build published it
        self.files: dict[str, tuple[str, Published]] = {}
        self.linked: set[str] = set()  # dest_uri of the pages linked from the published site (by writer threads)
        if published is not None:
            self.files = _published_files(cache.get("sites", site_entry(published)))

    def key(self, page: Page) -> str:
        """Everything this page's output is made of, besides the site key: see the module's docstring."""
        src_uri = page.file.src_uri
        meta = json.dumps(page.meta, sort_keys=True, ensure_ascii=False, default=repr)
        title = page.title if isinstance(page.title, str) else repr(page.title)
        return digest(self.site_key, src_uri, page.url, page.markdown or "", title, meta, self.context(src_uri))

    def lookup(self, page: Page) -> tuple[Callable[[str], None], str] | None:
        """What writes the page's output to a path (when called) and its search fragment, if its key is unchanged.

        Until the page is written its entry stays compressed: a warm build of a large site
        would otherwise hold every page's HTML at once.
        """
        key = self.keys[page.file.src_uri] = self.key(page)
        dest = self.dests[page.file.src_uri] = page.file.dest_uri
        found = self.cache.get_raw("pages", key)
        if found is None or not found[0].get("html") or not isinstance(found[0].get("search"), str):
            self.converted += 1
            return None
        value, raw = found
        source = None
        published = self.files.get(dest)
        if self.published is not None and published is not None and published[0] == key:
            source = (os.path.join(self.published, dest), published[1])
        return partial(_write_page, raw, source, self.linked, dest), value["search"]

    def store(self, page: Page, output: bytes, fragment: str) -> None:
        """Keep a converted page's output and fragment under the key `lookup` computed for it."""
        key = self.keys.get(page.file.src_uri)
        if key is None or not self.cacheable(page.file.src_uri):
            return
        self.cache.put("pages", key, {"html": True, "search": fragment}, output)

    def remember(self, site: Path, inputs: str | None = None) -> None:
        """After the site is published there: each page's key and its file's identity, for the next build;
        with inputs (the stamp of what it was built from), every entry of the folder too (`published_as_built`)."""
        files = {}
        for src_uri, dest in self.dests.items():
            try:
                info = os.lstat(site / dest)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                files[dest] = [self.keys[src_uri], *published_identity(info)]
        value: dict[str, Any] = {"files": files}
        tree = site_tree(site) if inputs is not None else None
        if tree is not None:
            value |= {"inputs": inputs, "tree": tree}
        self.cache.put("sites", site_entry(site), value)


def site_tree(site: Path) -> dict[str, list[int]] | None:
    """Every entry under a site folder by relative path: a folder as [], a file as its published identity
    (so an edit, even one that puts the modification time back, shows); None if the folder or anything in
    it is a link or neither a file nor a folder, or cannot be read."""
    tree: dict[str, list[int]] = {}
    try:
        if not stat.S_ISDIR(os.lstat(site).st_mode):
            return None
        for here, dirs, names in os.walk(site, onerror=_raise):  # never follows a link
            rel = os.path.relpath(here, site)
            for name in dirs + names:
                path = os.path.join(here, name)
                info = os.lstat(path)
                key = name if rel == "." else f"{rel}/{name}"
                if stat.S_ISDIR(info.st_mode) and name in dirs:
                    tree[key] = []
                elif stat.S_ISREG(info.st_mode):
                    tree[key] = list(published_identity(info))
                else:
                    return None
    except OSError:
        return None
    return tree


def _raise(error: OSError) -> None:
    raise error


def published_as_built(cache: BuildCache, site: Path, inputs: str) -> bool:
    """Whether the site folder is exactly what the last build there published, built from inputs with
    this stamp: the same entries, every file the one the build left (identity and change time)."""
    value = cache.get("sites", site_entry(site))
    if value is None or value.get("inputs") != inputs or not isinstance(value.get("tree"), dict):
        return False
    return bool(value["tree"]) and site_tree(site) == value["tree"]


def site_entry(site: Path) -> str:
    """The `sites/` key of a site folder."""
    return digest("published site", os.fsencode(site.resolve()))


def _published_files(value: dict[str, Any] | None) -> dict[str, tuple[str, Published]]:
    """A `sites/` entry's files as stored, checked; empty if anything is not as written."""
    files = value.get("files") if value is not None else None
    if not isinstance(files, dict):
        return {}
    out = {}
    for dest, fields in files.items():
        if not (isinstance(fields, list) and len(fields) == 5 and isinstance(fields[0], str)):
            return {}
        if not all(type(n) is int and n >= 0 for n in fields[1:]):
            return {}
        out[dest] = (fields[0], (fields[1], fields[2], fields[3], fields[4]))
    return out


def _write_page(raw: bytes, source: tuple[str, Published] | None, linked: set[str], dest: str, path: str) -> None:
    """Put a reused page's output at path: linked from the published site if its file there is the one
    the last build left (then dest goes into linked), else inflated from the `pages/` entry (checked when
    it was read)."""
    if source is not None and _link_unchanged(source[0], source[1], path):
        linked.add(dest)
        return
    from mkdocs.utils import write_file

    html = blob(raw)
    assert html is not None, "an entry that decoded once decodes again"
    write_file(html, path)


def _link_unchanged(source: str, expected: Published, path: str) -> bool:
    """Hard-link source to path if it is a regular file with the expected identity; whether it was.

    The link itself is checked again (linking sets the change time, so without it): had source been
    replaced between the look and the link, the link is removed and the caller writes the page instead.
    """
    try:
        info = os.lstat(source)
        if not stat.S_ISREG(info.st_mode) or published_identity(info) != expected:
            return False
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.link(source, path, follow_symlinks=False)
    except OSError:  # another file system, no permission, a link limit: written instead
        return False
    linked = os.lstat(path)
    if stat.S_ISREG(linked.st_mode) and identity(linked) == expected[:3]:
        return True
    os.unlink(path)  # raises if it cannot: never write through a link to another file
    return False


def encode_meta(value: Any) -> Any:
    """A page's metadata as JSON, keeping what JSON would lose: Markup (trusted, printed as is) and tuples."""
    from markupsafe import Markup

    if isinstance(value, Markup):
        return {"markup": str(value)}
    if isinstance(value, str) or value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, tuple):
        return {"tuple": [encode_meta(v) for v in value]}
    if isinstance(value, list):
        return [encode_meta(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: encode_meta(v) for k, v in value.items()}}
    raise TypeError(f"cannot keep {type(value).__name__} in the cache")


def decode_meta(value: Any) -> Any:
    """What encode_meta wrote, back (ValueError if it is not what it writes)."""
    from markupsafe import Markup

    if isinstance(value, str) or value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, list):
        return [decode_meta(v) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        (tag, inner), *_ = value.items()
        if tag == "markup" and isinstance(inner, str):
            return Markup(inner)
        if tag == "tuple" and isinstance(inner, list):
            return tuple(decode_meta(v) for v in inner)
        if tag == "dict" and isinstance(inner, dict):
            return {k: decode_meta(v) for k, v in inner.items()}
    raise ValueError("not a kept value")


class RenderCache:
    """The `render/` entries: a page's Markdown (or file text) and metadata as the page plan rendered it.

    Keyed by the render key (our code, every file of templates/, the site settings, the shared
    records, disputes and desk settings, the locator's region) and the page's address; the entry
    also names the briefings the page shows (`depends`), each with the hash of its validated data
    and its file's name at the time, and its page number and count. It is
    reused only if all of these are the same now: the rule the fast preview reuses pages by
    (render.render_pages), across processes. A page that shows every briefing is never kept.
    """

    def __init__(self, cache: BuildCache, key: str, hashes: dict[str, str]) -> None:
        self.cache = cache
        self.key = key
        self.hashes = hashes  # slug -> hash of the briefing's validated data
        self.rendered = 0

    def find(self, spec: PageSpec) -> RenderedPage | None:
        """The page kept for this spec, if everything it was made of is unchanged."""
        from .render import Page as RenderedPage

        if spec.depends is None:
            return None
        entry = self.cache.get_raw("render", digest(self.key, spec.src_uri))
        if entry is None:
            return None
        found, raw = entry
        hashes = {slug: self.hashes.get(slug) for slug in sorted(spec.depends)}
        meta = found.get("meta")
        if found.get("hashes") != hashes or found.get("inputs") != list(spec.inputs):
            return None
        kept = blob(raw)
        try:
            content = kept.decode("utf-8", "surrogatepass") if kept is not None else None
        except UnicodeDecodeError:
            return None
        if content is None:
            return None
        try:
            decoded = decode_meta(meta)
        except (ValueError, RecursionError):
            return None
        if decoded is not None and not isinstance(decoded, dict):
            return None
        return RenderedPage(spec.src_uri, content, spec.title, spec.briefing, decoded, spec.depends, spec.inputs)

    def keep(self, page: RenderedPage) -> None:
        """Keep a rendered page for the next build (if it depends on some briefings, not all)."""
        self.rendered += 1
        if page.depends is None or any(slug not in self.hashes for slug in page.depends):
            return
        try:
            meta = encode_meta(page.meta)
        except TypeError:
            return
        hashes = {slug: self.hashes[slug] for slug in sorted(page.depends)}
        value = {"meta": meta, "hashes": hashes, "inputs": list(page.inputs)}
        self.cache.put("render", digest(self.key, page.src_uri), value, page.content.encode("utf-8", "surrogatepass"))


class DataCache:
    """The `models/` and `checks/` entries (dataset.DataStore): validated data files, and what one briefing
    file's own checks found."""

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        self._entities: tuple[object, str] | None = None  # the records last hashed, and their hash

    def key(self, display: str, digest_of_file: str, entities: object, require_grades: bool) -> str:
        """Our code, the file's path and bytes, the records (as validated) and the grading setting."""
        if self._entities is None or self._entities[0] is not entities:
            dump = getattr(entities, "model_dump_json", None)
            self._entities = (entities, dump() if callable(dump) else repr(entities))
        return digest(code_fingerprint(), display, digest_of_file, self._entities[1], str(require_grades))

    def find_model(self, display: str, digest_of_file: str, model: type[M]) -> M | None:
        """The file's model, validated again from the JSON kept for these bytes (None if absent or invalid)."""
        found = self.cache.get_raw("models", digest(code_fingerprint(), model.__name__, display, digest_of_file))
        text = blob(found[1]) if found is not None else None
        if text is None:
            return None
        try:
            return model.model_validate_json(text)
        except ValueError:  # pydantic's ValidationError is a ValueError
            return None

    def keep_model(self, display: str, digest_of_file: str, instance: BaseModel) -> None:
        """Keep a validated model as JSON, if validating that JSON gives the same model back (else never)."""
        text = instance.model_dump_json()
        try:
            if type(instance).model_validate_json(text) != instance:
                return
        except ValueError:
            return
        key = digest(code_fingerprint(), type(instance).__name__, display, digest_of_file)
        self.cache.put("models", key, {}, text.encode("utf-8"))

    def find(self, key: str) -> tuple[tuple[Problem, ...], tuple[Problem, ...]] | None:
        """The problems and warnings kept under key, each checked field by field."""
        found = self.cache.get("checks", key)
        if found is None:
            return None
        try:
            problems = tuple(_problem(p) for p in found["problems"])
            warnings = tuple(_problem(p) for p in found["warnings"])
        except (KeyError, TypeError, ValueError):
            return None
        return problems, warnings

    def keep(self, key: str, found: tuple[tuple[Problem, ...], tuple[Problem, ...]]) -> None:
        """Keep what the checks found."""
        problems, warnings = found
        fields = ("file", "line", "column", "field", "message", "expected", "severity")
        value = {
            "problems": [[getattr(p, f) for f in fields] for p in problems],
            "warnings": [[getattr(p, f) for f in fields] for p in warnings],
        }
        self.cache.put("checks", key, value)


def _problem(value: Any) -> Problem:
    """A kept Problem, its fields' types checked (ValueError otherwise)."""
    from .errors import Problem

    if not isinstance(value, list) or len(value) != 7:
        raise ValueError("not a problem")
    file, line, column, field, message, expected, severity = value
    texts = (file, field, message, expected, severity)
    if not all(isinstance(t, str) for t in texts) or severity not in ("error", "warning"):
        raise ValueError("not a problem")
    if not all(n is None or type(n) is int for n in (line, column)):
        raise ValueError("not a problem")
    return Problem(file, line, column, field, message, expected, severity)
