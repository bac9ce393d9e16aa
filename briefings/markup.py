"""The markup scan: what no page may contain, anywhere in the document, head included.

Data text is escaped before it reaches a page, so nothing here should ever fire; the
scan is the backstop that proves it on every page. It runs in the check stage over a
built site and, through `mkdocs_adapter.on_post_page`, on every page MkDocs writes,
so `mkdocs build`, `mkdocs serve` and `build.py serve` never show an unsafe page.

Scripts are the hard case: the theme writes its own. They are learnt from the theme's
404 page, which holds no data text: an executable script is allowed only if the 404
page has the same one (inline code equal up to its relative-path strings, or the same
site file as `src`). JSON scripts (`application/json`, `application/ld+json`) never run;
they are allowed when they hold valid JSON.

When the scan finds something, `trace` names the data file, line and field whose text
it came from, so an editor (or the developer whose template leaked) knows where to look.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import Problem

if TYPE_CHECKING:  # load (YAML, pydantic) is imported only where data files are traced
    from .load import Document

URL_ATTRS = frozenset({"href", "src", "cite", "action", "formaction", "poster", "data", "xlink:href", "srcset"})
FORBIDDEN_TAGS = frozenset({"iframe", "object", "embed", "base", "frame", "frameset", "applet", "portal"})
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
INERT_SCRIPT_TYPES = frozenset({"application/json", "application/ld+json"})
# Stylesheets and preloads fetch what they name; the theme links only its own files.
_FETCHING_RELS = frozenset({"stylesheet", "preload", "modulepreload", "prefetch", "import", "manifest"})
# The theme's inline scripts differ between pages only in the relative path to the site root.
_PATH_LITERAL = re.compile(r"""(["'])(?:\.{1,2}(?:/\.\.)*/?|/[^"'\s<>]*)\1""")
# Where data lands in a Material page; used only when no theme reference is known.
CONTENT_CLASS = "md-content__inner"


def _normal_script(code: str) -> str:
    return _PATH_LITERAL.sub('""', code.strip())


def _site_path(page: str, url: str, base_path: str = "/") -> str:
    """A script's src as a path inside the site, whatever page it was written on.

    base_path is the path the site is served under ("/briefings/" for a site_url of
    https://example.org/briefings/): the theme writes root-absolute URLs with it on 404.html.
    A root-absolute path outside it keeps its leading slash, so it matches no site file.
    """
    path = url.split("#")[0].split("?")[0]
    if path.startswith("/"):
        if not path.startswith(base_path):
            return path
        return posixpath.normpath(path[len(base_path) :] or ".")
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), path))


def _is_external(url: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//", url.strip()))


@dataclass(frozen=True)
class ThemeScripts:
    """The scripts the theme writes on every page, learnt from a page that holds no data."""

    inline: frozenset[str]
    sources: frozenset[str]
    base_path: str = "/"  # the path the site is served under (see _site_path)

    @classmethod
    def from_page(cls, html: str, page: str = "404.html", base_path: str = "/") -> ThemeScripts:
        """Read the theme's scripts from a data-free page such as 404.html."""
        scan = _Collector(page, base_path)
        scan.feed(as_browsers_read(html))
        scan.close()
        return cls(frozenset(scan.inline), frozenset(scan.sources), base_path)


class _Collector(HTMLParser):
    """Collects the executable scripts of a page (for ThemeScripts)."""

    def __init__(self, page: str, base_path: str = "/") -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.base_path = base_path
        self.inline: set[str] = set()
        self.sources: set[str] = set()
        self._code: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "script":
            return
        values = {k: v or "" for k, v in attrs}
        if values.get("type", "").lower() in INERT_SCRIPT_TYPES:
            return
        if "src" in values:
            self.sources.add(_site_path(self.page, values["src"], self.base_path))
        else:
            self._code = []

    def handle_data(self, data: str) -> None:
        if self._code is not None:
            self._code.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._code is not None:
            self.inline.add(_normal_script("".join(self._code)))
            self._code = None


@dataclass(frozen=True)
class Unsafe:
    """One construct no page may hold: what was found, why, and what its data text would contain."""

    found: str
    reason: str
    line: int
    needles: tuple[str, ...] = ()  # strings that all occur in the data text that produced it


@dataclass
class MarkupScan:
    """Feed it a page's tags (as an HTMLParser sees them); it lists every unsafe construct."""

    page: str
    theme: ThemeScripts | None = None
    unsafe: list[Unsafe] = field(default_factory=list)
    _stack: list[tuple[str, bool]] = field(default_factory=list)  # (tag, inside the article)
    _script: tuple[int, str, bool] | None = None  # line, type, inside the article: an open inline script
    _code: list[str] = field(default_factory=list)

    def _flag(self, found: str, reason: str, line: int, *needles: str) -> None:
        self.unsafe.append(Unsafe(found, reason, line, tuple(n for n in needles if n)))

    def starttag(self, tag: str, attrs: list[tuple[str, str | None]], line: int, void: bool = False) -> None:
        """One start tag with its attributes."""
        in_content = bool(self._stack) and self._stack[-1][1]
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self._flag(f"<{tag} {name}=...>", "event-handler attribute", line, name, value)
            if name in URL_ATTRS:
                urls = [u.strip().split(" ")[0] for u in value.split(",")] if name == "srcset" else [value]
                for url in urls:
                    squashed = "".join(url.split()).lower()
                    if squashed.startswith(BAD_SCHEMES):
                        self._flag(url, f"{squashed.split(':')[0]}: URL in {name}", line, url)
            if name == "class" and CONTENT_CLASS in value.split():
                in_content = True
        if tag in FORBIDDEN_TAGS:
            self._flag(f"<{tag}>", "embedding element not allowed", line, f"<{tag}")
        if tag == "meta" and "http-equiv" in values:
            self._flag(f"<meta http-equiv={values['http-equiv']}>", "http-equiv meta element", line, "http-equiv")
        if tag == "link" and _FETCHING_RELS & set(values.get("rel", "").lower().split()):
            if _is_external(values.get("href", "")):
                self._flag(values["href"], "stylesheet or preload from outside the site", line, values["href"])
        if tag == "script":
            self._start_script(values, line, in_content)
        if not void:
            self._stack.append((tag, in_content))

    def _start_script(self, values: dict[str, str], line: int, in_content: bool) -> None:
        kind = values.get("type", "").lower()
        if kind in INERT_SCRIPT_TYPES or "src" not in values:
            self._script, self._code = (line, kind, in_content), []
            return
        src = values["src"]
        if self.theme is None:
            if in_content:
                self._flag("<script>", "script inside page content", line, "<script", src)
        elif _is_external(src) or _site_path(self.page, src, self.theme.base_path) not in self.theme.sources:
            self._flag(f"<script src={src}>", "script the theme does not load", line, "<script", src)

    def data(self, text: str) -> None:
        """Text inside the current element."""
        if self._script is not None:
            self._code.append(text)

    def endtag(self, tag: str) -> None:
        """One end tag."""
        if tag == "script" and self._script is not None:
            self._end_script()
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def _end_script(self) -> None:
        assert self._script is not None
        line, kind, in_content = self._script
        code = "".join(self._code)
        self._script, self._code = None, []
        needle = code.strip()[:60]
        if kind in INERT_SCRIPT_TYPES:
            try:
                json.loads(code)
            except ValueError:
                self._flag(f'<script type="{kind}">', "JSON script that is not JSON", line, "<script", needle)
            return
        if self.theme is None:
            if in_content:
                self._flag("<script>", "script inside page content", line, "<script", needle)
        elif _normal_script(code) not in self.theme.inline:
            self._flag("<script>", "inline script the theme does not write", line, "<script", needle)


class _Parser(HTMLParser):
    """An HTMLParser that only runs a MarkupScan."""

    _VOID = frozenset({"img", "br", "hr", "meta", "link", "input", "source", "wbr", "area", "col", "embed", "param"})

    def __init__(self, scan: MarkupScan) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = scan

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scan.starttag(tag, attrs, self.getpos()[0], void=tag in self._VOID)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scan.starttag(tag, attrs, self.getpos()[0], void=True)

    def handle_data(self, data: str) -> None:
        self.scan.data(data)

    def handle_endtag(self, tag: str) -> None:
        self.scan.endtag(tag)


VOID_TAGS = _Parser._VOID


# Comment endings browsers accept and Python's HTMLParser does not: `<!-->` and `<!--->` are
# whole (empty) comments, `--!>` closes one. Left alone, the parser would read the markup after
# them as comment text while a browser renders it: the scan would be blind to it.
_ABRUPT_COMMENT = re.compile(r"<!--->|<!-->|--!>")


def as_browsers_read(html: str) -> str:
    """The document with every comment ending written as Python's parser reads it, where a browser would end it."""
    return _ABRUPT_COMMENT.sub(lambda m: "<!---->" if m.group(0).startswith("<!") else "-->", html)


def scan_html(html: str, page: str, theme: ThemeScripts | None) -> list[Unsafe]:
    """Every unsafe construct in one whole HTML document."""
    scan = MarkupScan(page, theme)
    parser = _Parser(scan)
    parser.feed(as_browsers_read(html))
    parser.close()
    return scan.unsafe


def theme_scripts(site: Path) -> ThemeScripts | None:
    """The theme's scripts as its 404 page (no data text) has them, if the site has one."""
    page = site / "404.html"
    if not page.is_file():
        return None
    return ThemeScripts.from_page(page.read_text(encoding="utf-8", errors="replace"), base_path=base_path_of(site))


def url_path(site_url: str) -> str:
    """The path part of a site URL, ending in /: "/briefings/" for https://example.org/briefings."""
    path = urlsplit(site_url).path or "/"
    return path if path.endswith("/") else path + "/"


def base_path_of(site: Path) -> str:
    """The path a built site is served under, from its feed.json (written from site_url); "/" if unknown.

    The theme writes root-absolute URLs on 404.html with it; checks of a built site need no other setting.
    """
    feed = site / "feed.json"
    try:
        home = json.loads(feed.read_text(encoding="utf-8")).get("home_page_url")
    except (OSError, ValueError, AttributeError):
        return "/"
    if not isinstance(home, str):
        return "/"
    path = url_path(home)
    segments = path.strip("/").split("/")
    # Only plain folder names: a crafted feed.json must not point a check outside the site.
    if path != "/" and any(seg in ("", ".", "..") or "\\" in seg or "%" in seg for seg in segments):
        return "/"
    return path


# --------------------------------------------------------------------------- tracing to data


def _strings(data: Any, loc: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(data, str):
        yield loc, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, (*loc, i))


def data_documents(data_dir: Path, root: Path) -> list[Document]:
    """Every data file that parses, as load.Document (for tracing; regular files only)."""
    from .files import display_path
    from .load import parse_yaml

    docs = []
    for path in sorted(data_dir.rglob("*.y*ml")):
        if path.is_symlink() or not path.is_file():
            continue
        doc, _ = parse_yaml(path, display_path(path, root))
        if doc is not None:
            docs.append(doc)
    return docs


def trace(unsafe: Unsafe, documents: list[Document]) -> list[Problem]:
    """The data fields whose text contains what the unsafe construct was made of."""
    from .scalars import dotted

    needles = [n.lower() for n in unsafe.needles if n]
    if not needles:
        return []
    found = []
    for doc in documents:
        for loc, text in _strings(doc.data):
            low = text.lower()
            if all(n in low for n in needles):
                line, col = doc.locate(loc)
                found.append(
                    Problem(
                        doc.path,
                        line,
                        col,
                        dotted(loc),
                        "this text reaches the page as unsafe markup",
                        "every template to print data escaped",
                    )
                )
    return found


# --------------------------------------------------------------------------- raw syntax in visible text

# Elements whose text the reader does not see as prose (or sees verbatim, as code).
_HIDDEN_TEXT = frozenset({"code", "pre", "kbd", "samp", "script", "style", "template", "textarea", "noscript", "svg"})
# Elements that do not end a block of text: their text runs on with their parent's.
_INLINE = frozenset(
    {"a", "abbr", "b", "bdi", "bdo", "cite", "data", "del", "dfn", "em", "i", "ins", "mark", "q", "s", "small"}
    | {"span", "strong", "sub", "sup", "time", "u", "var", "wbr", "img", "label"}
    | {"code", "kbd", "samp"}
)
# A character the page wrote as a character reference: data text, never syntax.
_ESCAPED = "\ufffc"

# Literal (unescaped) Markdown or template syntax; the first alternative that matches wins.
_RAW_SYNTAX = re.compile(
    r"""
      (?P<template>\{\{|\}\}|\{%|%\})
    | (?P<attr_list>\{:[^}\n]*\}|\{[ \t]*[#.][A-Za-z_][^}\n]*\})
    | (?P<template_comment>\{\#)
    | (?P<image>!\[[^\]\n]*\]\((?:[^()\n]|\([^()\n]*\))*\))
    | (?P<link>\[[^\]\n]*\]\((?:[^()\n]|\([^()\n]*\))*\))
    | (?P<reference_link>\[[^\]\n]+\]\[[^\]\n]*\])
    | (?P<heading>^[ \t]*\#{1,6}(?:[ \t]+\S|[^\s\#])[^\n]*)
    | (?P<strong>\*\*(?=\S)[^\n]*?(?<=\S)\*\*|__(?=\S)[^\n]*?(?<=\S)__)
    | (?P<emphasis>(?<![\w*])\*(?=[^\s*])[^*\n]*?(?<=[^\s*])\*(?![\w*]))
    | (?P<code>`[^`\n]+`)
    """,
    re.VERBOSE | re.MULTILINE,
)
_LIST_START = re.compile(r"\A\s*((?:[-*+]|\d{1,9}[.)])[ \t]+\S[^\n]*)")

RAW_REASONS = {
    "template": "raw template syntax in visible text",
    "template_comment": "raw template syntax in visible text",
    "attr_list": "raw Markdown attribute list in visible text",
    "image": "raw Markdown image in visible text",
    "link": "raw Markdown link in visible text",
    "reference_link": "raw Markdown reference link in visible text",
    "heading": "raw Markdown heading in visible text",
    "strong": "raw Markdown emphasis in visible text",
    "emphasis": "raw Markdown emphasis in visible text",
    "code": "raw Markdown code span in visible text",
    "list": "raw Markdown list marker in visible text",
}


@dataclass(frozen=True)
class RawSyntax:
    """Markdown or template syntax a reader would see as characters: what, why, and where."""

    found: str
    reason: str
    line: int


@dataclass
class RawSyntaxScan:
    """Feed it a page as an HTMLParser with convert_charrefs=False sees it; it lists raw syntax in visible text.

    Data text reaches a page with every syntax character written as a character
    reference (`&#42;`), so a literal `*`, `[`, `{` or `#` in a text node was written by
    a template, or by Markdown that was never converted. Text is scanned per block
    (paragraph, list item, heading, cell...), inline elements included, inside <body>
    only; code, pre, script, style and the like, and attribute values, are not text.
    """

    page: str
    found: list[RawSyntax] = field(default_factory=list)
    _stack: list[tuple[str, bool]] = field(default_factory=list)  # (tag, its text is hidden)
    _in_body: bool = False
    _text: list[str] = field(default_factory=list)  # the block's text, references as _ESCAPED
    _shown: list[str] = field(default_factory=list)  # the same, references decoded (for messages)
    _line: int = 0  # where the block's text starts

    def _hidden(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def starttag(self, tag: str, attrs: list[tuple[str, str | None]], line: int, void: bool = False) -> None:
        """One start tag."""
        if tag == "body":
            self._in_body = True
        if tag not in _INLINE:
            self._flush()
        elif tag in _HIDDEN_TEXT and not self._hidden():
            self._add(_ESCAPED, " ", line)  # code inside a sentence: neither text nor a boundary
        if tag == "br":
            self._add("\n", "\n", line)
        if not void:
            self._stack.append((tag, self._hidden() or tag in _HIDDEN_TEXT))

    def endtag(self, tag: str) -> None:
        """One end tag."""
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break
        if tag not in _INLINE or tag == "body":
            self._flush()
        if tag == "body":
            self._in_body = False

    def data(self, text: str, line: int) -> None:
        """Text as written in the source (character references not decoded)."""
        self._add(text, text, line)

    def reference(self, written: str, line: int) -> None:
        """A character reference such as `&#42;` or `&amp;`: escaped data, never syntax."""
        import html

        decoded = html.unescape(written)
        self._add(_ESCAPED * len(decoded), decoded, line)

    def close(self) -> None:
        """The end of the page."""
        self._flush()

    def _add(self, text: str, shown: str, line: int) -> None:
        if not self._in_body or self._hidden():
            return
        if not self._text:
            self._line = line
        self._text.append(text)
        self._shown.append(shown)

    def _flush(self) -> None:
        text, shown, line = "".join(self._text), "".join(self._shown), self._line
        self._text, self._shown = [], []
        if not text.strip():
            return
        hits = [(m.start(), m.end(), m.lastgroup or "") for m in _RAW_SYNTAX.finditer(text)]
        listed = _LIST_START.match(text)
        if listed:
            hits.append((listed.start(1), listed.end(1), "list"))
        for start, end, kind in sorted(hits):
            snippet = " ".join(shown[start:end].split())
            if len(snippet) > 100:
                snippet = snippet[:99] + "…"
            self.found.append(RawSyntax(snippet, RAW_REASONS[kind], line + text.count("\n", 0, start)))
