"""HTML the templates write whole: links resolved in Python, and blocks Python-Markdown stores without parsing.

Templates write a page's headings in Markdown (the `toc` extension gives them their anchors
and the table of contents, MkDocs and the search index their sections) and everything else as
HTML, in blocks between two marker lines:

    <!--bf-html-->
    <div class="bf-claim" id="x">
    <p>... escaped data text ... <a href="../other.md#y">[1]</a></p>
    </div>
    <!--/bf-html-->

Inside a block, nothing is Markdown: data text is already escaped (`environment.md_escape`,
every character that could start HTML or Markdown is a character reference) and the template
wrote the tags, so the block is the page's HTML as it will be. `Passthrough`, the site's own
Python-Markdown extension, stores each block as it is (one dictionary entry, where Python-Markdown
would run its HTML parser over every tag and its inline patterns over every text), and
without the extension the same Markdown converts to the same HTML, only slower: a block is a
raw HTML block made of block-level elements, and the markers are HTML comments.

A block can only start with the marker line a template wrote: data text cannot hold `<`.

Links inside blocks are relative paths to Markdown sources like every link the templates
write (`routes.PageLinks`); MkDocs resolves links in Markdown, not in stored HTML, so
`resolve_links` turns each `href` of a page into the URL MkDocs would have made (directory
URLs: `x/y.md` is `x/y/`) when the page is rendered.
"""

from __future__ import annotations

import posixpath
import re

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

OPEN = "<!--bf-html-->"
CLOSE = "<!--/bf-html-->"


class _StoreBlocks(Preprocessor):  # type: ignore[misc]  # Python-Markdown ships no type hints
    """Replace every marked block with one placeholder line of Python-Markdown's HTML stash."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        block: list[str] | None = None
        for line in lines:
            if block is None:
                if line == OPEN:
                    block = []
                else:
                    out.append(line)
            elif line == CLOSE:
                html = "\n".join(block).strip()
                if html:  # an empty block is nothing (not an empty paragraph)
                    out += ["", self.md.htmlStash.store(html), ""]
                block = None
            else:
                block.append(line)
        if block is not None:  # never closed: leave it to Python-Markdown's own parser
            out += [OPEN, *block]
        return out


class Passthrough(Extension):  # type: ignore[misc]  # Python-Markdown ships no type hints
    """Store the templates' marked HTML blocks as they are (see the module's doc)."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        # After whitespace normalisation (30: it also removes the stash's marker characters from
        # the source, so no text can forge a placeholder), before the HTML block parser (20).
        md.preprocessors.register(_StoreBlocks(md), "bf_passthrough", 25)


def makeExtension(**kwargs: object) -> Passthrough:  # noqa: N802 (Python-Markdown's entry point)
    """`markdown_extensions: [briefings.passthrough]` in a config that can import the package."""
    return Passthrough(**kwargs)


# A relative link a template wrote: no scheme, not absolute, not only a fragment.
_HREF = re.compile(r'href="(?![A-Za-z][A-Za-z0-9+.-]*:|/|#)([^"#]+)(#[^"]*)?"')


def _url(path: str) -> str:
    """The URL MkDocs gives a file under docs/ (directory URLs): x.md -> x/, x/index.md -> x/, index.md -> ''."""
    if not path.endswith(".md"):
        return path
    stem = path.removesuffix(".md")
    if stem == "index":
        return ""
    return stem.removesuffix("index") if stem.endswith("/index") else stem + "/"


def resolve_links(content: str, src_uri: str) -> str:
    """Every relative `href` of a page's content, from a path to a source into the URL MkDocs would make."""
    folder = posixpath.dirname(src_uri)
    here = _url(src_uri) or "."  # the page's own URL is a folder

    def url(match: re.Match[str]) -> str:
        if match.group(1).endswith("/"):  # a folder: written as a URL, not a source path; MkDocs leaves it too
            return match.group(0)
        target = _url(posixpath.normpath(posixpath.join(folder, match.group(1))))
        rel = posixpath.relpath(target or ".", here)
        if target == "" or target.endswith("/"):
            rel = "./" if rel == "." else rel + "/"
        return f'href="{rel}{match.group(2) or ""}"'

    return _HREF.sub(url, content)


def with_passthrough(extensions: list[str | Extension]) -> list[str | Extension]:
    """The site's Markdown extensions (mkdocs.yml's list) with `Passthrough` added once, as a build has them."""
    if any(isinstance(e, Passthrough) for e in extensions):
        return extensions
    return [*extensions, Passthrough()]


_ID = re.compile(r'\sid="([^"]+)"')


def anchor_ids(html: str) -> set[str]:
    """The ids of a page's HTML (templates write them `id="x"`; data text cannot hold a quote)."""
    return set(_ID.findall(html))
