"""Where every generated page lives: its source path under docs/ and its URL, known in this one place.

The render stage names pages with these functions; templates link with `PageLinks` (the
`to` object they receive), never by joining path parts by hand. Links are relative paths
to Markdown sources, which MkDocs resolves and turns into URLs (directory URLs: x.md -> x/);
in the templates' HTML blocks, which MkDocs does not read, `passthrough.resolve_links` does
the same when the page is rendered.
Slugs, ids and tags are checked safe ids (`anchor`) before they become part of a path.
"""

from __future__ import annotations

import re

from markupsafe import Markup

from .scalars import ID_PATTERN, INDEX_PAGE
from .vocabulary import ENTITY_KINDS

_ID_RE = re.compile(ID_PATTERN)
# A record kind and the folder its pages are in.
ENTITY_FOLDERS = {k.kind: k.plural for k in ENTITY_KINDS}


def anchor(value: str) -> Markup:
    """A validated id, safe to print as an HTML id, a URL fragment or a path part."""
    if not _ID_RE.match(value):
        raise ValueError(f"not a safe id: {value!r}")
    return Markup(value)


def home() -> str:
    """The home page."""
    return f"{INDEX_PAGE}.md"


def page(name: str) -> str:
    """A fixed page of the site: about, statuses, reference."""
    return f"{anchor(name)}.md"


def listing(kind: str, part: str | int | None = None) -> str:
    """An index (archive, timeline, tags, entities) or one of its pages: a year, a tag."""
    if kind not in ("archive", "timeline", "tags", "entities"):
        raise ValueError(f"no listing {kind!r}")
    return f"{kind}/{INDEX_PAGE if part is None else anchor(str(part))}.md"


def entity(kind: str, ident: str) -> str:
    """The page of a person, place, facility or organisation record."""
    return f"entities/{ENTITY_FOLDERS[kind]}/{anchor(ident)}.md"


def records(kind: str) -> str:
    """The listing of every record of one kind (entities/places/index.md; `index` is a reserved id)."""
    return f"entities/{ENTITY_FOLDERS[kind]}/{INDEX_PAGE}.md"


def paged(first: str, number: int | None) -> str:
    """Page `number` of a paginated listing whose entry page is `first`: x.md -> x/page-N.md; None: the entry.

    The pages sit in a folder named after the entry page (x/), where no record, tag or year can
    clash with them: ids hold no slash, and `index` (x = .../index) is reserved.
    """
    if number is None:
        return first
    if number < 1 or not first.endswith(".md"):
        raise ValueError(f"no page {number!r} of {first!r}")
    return f"{first.removesuffix('.md')}/page-{int(number)}.md"


def briefing_dir(slug: str) -> str:
    """The folder of a briefing's pages."""
    return f"briefings/{anchor(slug)}"


def briefing(slug: str, file: str = f"{INDEX_PAGE}.md") -> str:
    """A page of a briefing: its overview (index.md) or a section's file (strike.md ...)."""
    return f"{briefing_dir(slug)}/{file}"


def briefing_api(slug: str) -> str:
    """A briefing's JSON export."""
    return f"api/briefings/{anchor(slug)}.json"


API_INDEX = "api/briefings.json"
ATOM_FEED = "feed.xml"
JSON_FEED = "feed.json"
SITEMAP = "sitemap.xml"  # written by MkDocs


def schema(name: str) -> str:
    """A JSON Schema of the data format."""
    return f"schema/{name}"


class PageLinks:
    """Links from one page to any other, as relative paths that MkDocs resolves ({{ to.briefing(slug) }})."""

    def __init__(self, src_uri: str) -> None:
        self.root = "../" * src_uri.count("/")  # from the page's folder to docs/

    def to(self, target: str, fragment: str | None = None) -> Markup:
        """The link to a target path (one of this module's), with an optional #fragment (a safe id)."""
        return Markup(self.root + target + (f"#{anchor(fragment)}" if fragment else ""))

    def home(self) -> Markup:
        """The home page."""
        return self.to(home())

    def page(self, name: str, fragment: str | None = None) -> Markup:
        """A fixed page: about, statuses, reference."""
        return self.to(page(name), fragment)

    def listing(self, kind: str, part: str | int | None = None) -> Markup:
        """An index page or one of its pages (a year, a tag)."""
        return self.to(listing(kind, part))

    def entity(self, kind: str, ident: str) -> Markup:
        """A record's page."""
        return self.to(entity(kind, ident))

    def records(self, kind: str) -> Markup:
        """The listing of every record of one kind."""
        return self.to(records(kind))

    def briefing(self, slug: str, file: str = f"{INDEX_PAGE}.md", fragment: str | None = None) -> Markup:
        """A briefing's overview, or one of its pages, optionally at an anchor."""
        return self.to(briefing(slug, file), fragment)

    def schema(self, name: str) -> Markup:
        """A JSON Schema file."""
        return self.to(schema(name))

    def feed(self, kind: str) -> Markup:
        """The Atom (atom) or JSON (json) feed."""
        return self.to({"atom": ATOM_FEED, "json": JSON_FEED}[kind])
