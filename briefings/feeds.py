"""Machine-readable outputs: Atom and JSON Feed, JSON exports, JSON-LD and OpenGraph metadata.

XML is built with ElementTree and JSON with json.dumps: serialisers, never string
concatenation, so data text cannot break out of its element or string. Every date
comes from the data, so two builds of the same input are byte-identical.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from . import routes
from .model import Briefing

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50  # entries in each feed: the latest
API_INDEX_SIZE = 100  # briefings in api/briefings.json: the latest (each page and export is in the sitemap)


@dataclass(frozen=True)
class SiteInfo:
    """Site-wide settings from mkdocs.yml the outputs need."""

    url: str  # absolute, ending in /
    name: str
    author: str
    description: str = ""

    def page_url(self, src_uri: str) -> str:
        """Absolute URL of a generated page (directory URLs: x/index.md -> x/, x.md -> x/)."""
        if src_uri.endswith("index.md"):
            path = src_uri[: -len("index.md")]
        elif src_uri.endswith(".md"):
            path = src_uri[: -len(".md")] + "/"
        else:
            path = src_uri
        return self.url + path


def site_url_problem(url: str) -> str | None:
    """Why url cannot be the site's address (None if it can): absolute http(s), a host, no query or fragment.

    The message names what is expected, for an editor setting --site-url or mkdocs.yml's site_url.
    """
    from urllib.parse import urlsplit

    expected = "expected an absolute http:// or https:// address such as https://example.org/briefings/"
    if not url or any(ch.isspace() or not ch.isprintable() for ch in url):
        return f"{url!r} is not a web address; {expected}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return f"{url!r} is not a valid web address; {expected}"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an absolute http(s) address; {expected}"
    if parts.query or parts.fragment or "#" in url or "?" in url:
        return f"{url!r} has a query or fragment; {expected}"
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return f"{url!r} has a . or .. in its path; {expected}"
    if parts.username or parts.password:
        return f"{url!r} carries a user name or password; {expected}"
    # The theme prints the address unescaped (canonical link, 404 page): only characters that
    # cannot end an attribute or start markup, in a plain host and plain folder names.
    if not _NETLOC.fullmatch(parts.netloc):
        return f"{url!r} has a host other than letters, digits, dots and hyphens (and a port); {expected}"
    if not _PATH.fullmatch(parts.path):
        return (
            f"{url!r} has a path other than folder names of letters, digits, '.', '_', '~' and '-' "
            f"separated by single slashes; {expected}"
        )
    return None


# A host name (an internationalised one in its xn-- form), an IPv4 or bracketed IPv6 address, a port.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_NETLOC = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{{1,5}})?")
_PATH = re.compile(r"(?:/[A-Za-z0-9._~-]+)*/?")


def _timestamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _content(briefing: Briefing, changes: dict[str, list[str]]) -> str:
    """An entry's content as plain text: the summary, the takeaways and what changed since the previous briefing."""
    lines = [briefing.summary, *(f"- {t.text}" for t in briefing.takeaways)]
    if changes.get(briefing.slug):
        lines += ["", *changes[briefing.slug]]
    return "\n".join(lines)


def atom_feed(briefings: list[Briefing], site: SiteInfo, changes: dict[str, list[str]] | None = None) -> str:
    """An RFC 4287 Atom feed of the latest briefings; `changes`: what changed, as text lines, per slug."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = site.url
    ET.SubElement(feed, f"{{{ATOM}}}title").text = site.name
    if site.description:
        ET.SubElement(feed, f"{{{ATOM}}}subtitle").text = site.description
    updated = max((b.updated for b in briefings), default=dt.date(1970, 1, 1))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _timestamp(updated)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", type="application/atom+xml", href=site.url + routes.ATOM_FEED)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=site.url)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = site.author
    for b in briefings[:FEED_SIZE]:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = site.page_url(routes.briefing(b.slug))
        ET.SubElement(entry, f"{{{ATOM}}}id").text = url
        ET.SubElement(entry, f"{{{ATOM}}}title").text = b.title
        ET.SubElement(entry, f"{{{ATOM}}}published").text = _timestamp(b.published)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _timestamp(b.updated)
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=url)
        ET.SubElement(entry, f"{{{ATOM}}}summary", type="text").text = b.summary
        ET.SubElement(entry, f"{{{ATOM}}}content", type="text").text = _content(b, changes or {})
        for tag in b.tags:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=tag)
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


def json_feed(briefings: list[Briefing], site: SiteInfo, changes: dict[str, list[str]] | None = None) -> str:
    """A JSON Feed 1.1 of the latest briefings; `changes`: what changed, as text lines, per slug."""
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": site.name,
        "home_page_url": site.url,
        "feed_url": site.url + routes.JSON_FEED,
        "description": site.description,
        "authors": [{"name": site.author}],
        "language": "en",
        "items": [
            {
                "id": site.page_url(routes.briefing(b.slug)),
                "url": site.page_url(routes.briefing(b.slug)),
                "title": b.title,
                "summary": b.summary,
                "content_text": _content(b, changes or {}),
                "date_published": _timestamp(b.published),
                "date_modified": _timestamp(b.updated),
                "tags": list(b.tags),
                "attachments": [{"url": site.url + routes.briefing_api(b.slug), "mime_type": "application/json"}],
            }
            for b in briefings[:FEED_SIZE]
        ],
    }
    return json.dumps(feed, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def robots_txt(site: SiteInfo) -> str:
    """robots.txt: every page may be crawled; the sitemap by its absolute URL (which a crawler needs).

    Crawlers read it only at a host's root, so a site served under a sub-path is found through its
    sitemap some other way; the file is written anyway, and is right if the site moves to a root.
    """
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.url}{routes.SITEMAP}\n"


def briefing_json(briefing: Briefing, changes: dict[str, Any] | None = None) -> str:
    """The validated model of one briefing as JSON (not the raw YAML), with grades and lineage as the model has
    them, and `what_changed` since the previous briefing (derived: not a field of the data format)."""
    data = briefing.model_dump(mode="json")
    if changes is not None:
        data["what_changed"] = changes
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def index_json(briefings: list[Briefing], site: SiteInfo) -> str:
    """A list of the latest API_INDEX_SIZE briefings (latest first) with their page and export URLs."""
    return (
        json.dumps(
            [
                {
                    "slug": b.slug,
                    "title": b.title,
                    "published": b.published.isoformat(),
                    "updated": b.updated.isoformat(),
                    "url": site.page_url(routes.briefing(b.slug)),
                    "json": site.url + routes.briefing_api(b.slug),
                }
                for b in briefings[:API_INDEX_SIZE]
            ],
            indent=2,
            ensure_ascii=False,
            allow_nan=False,
        )
        + "\n"
    )


def _script_safe(data: Any) -> str:
    """JSON that cannot close a <script> element or open a comment, whatever the data holds."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    # Line and paragraph separators are valid JSON but ended JavaScript strings before ES2019.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def page_metadata(briefing: Briefing, site: SiteInfo, src_uri: str, section_title: str | None) -> dict[str, Any]:
    """JSON-LD NewsArticle and OpenGraph article:* values for one briefing page."""
    url = site.page_url(src_uri)
    headline = briefing.title if section_title is None else f"{section_title}: {briefing.title}"
    jsonld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline[:110],
        "description": briefing.summary,
        "datePublished": briefing.published.isoformat(),
        "dateModified": briefing.updated.isoformat(),
        "url": url,
        "mainEntityOfPage": url,
        "isPartOf": {"@type": "WebSite", "name": site.name, "url": site.url},
        "author": {"@type": "Organization", "name": site.author},
        "publisher": {"@type": "Organization", "name": site.author},
        "keywords": list(briefing.tags),
    }
    return {
        "jsonld": Markup(_script_safe(jsonld)),  # trusted: no <, > or & can remain in it
        "og": [
            ("og:type", "article"),
            ("og:title", headline),
            ("og:description", briefing.summary),
            ("og:url", url),
            ("og:site_name", site.name),
            ("article:published_time", briefing.published.isoformat()),
            ("article:modified_time", briefing.updated.isoformat()),
            *(("article:tag", t) for t in briefing.tags),
            *((("article:section", section_title),) if section_title else ()),
        ],
    }
