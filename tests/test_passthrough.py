"""The templates' HTML blocks: stored as they are, the same HTML without the extension, links as MkDocs makes them.

Fast: the bundled site's pages are rendered (no MkDocs build) and converted with Python-Markdown.
"""

from __future__ import annotations

import posixpath
import re
from functools import cache

import markdown
import pytest
from bs4 import BeautifulSoup
from mkdocs.utils import get_relative_url

from briefings.feeds import SiteInfo
from briefings.passthrough import CLOSE, OPEN, Passthrough, anchor_ids, resolve_links, with_passthrough
from briefings.pipeline import Project, engine_config, generate
from conftest import ROOT


@cache
def extensions() -> tuple[list[object], dict[str, object]]:
    config = engine_config(Project.at(ROOT), ROOT / "unused-site")
    return list(config.markdown_extensions), dict(config.mdx_configs)


def convert(text: str, passthrough: bool = True) -> str:
    names, configs = extensions()
    used = with_passthrough(list(names)) if passthrough else names  # type: ignore[arg-type]
    return str(markdown.Markdown(extensions=used, extension_configs=configs).convert(text))


@cache
def pages() -> dict[str, str]:
    generated = generate(Project.at(ROOT), SiteInfo("https://briefings.example.org/", "S", "d"))
    return {p.src_uri: p.content for p in generated.pages if p.src_uri.endswith(".md")}


def test_a_block_is_stored_as_written() -> None:
    """Nothing inside a block is Markdown: the text stays as the template wrote it, unparsed."""
    source = f'## Heading {{ #h }}\n\n{OPEN}\n<div class="x">\n<p>a *b* [c](d.md)</p>\n</div>\n{CLOSE}\n\nafter *e*\n'
    html = convert(source)
    assert '<div class="x">\n<p>a *b* [c](d.md)</p>\n</div>' in html
    assert "<em>e</em>" in html  # Markdown outside a block is converted
    assert 'id="h"' in html  # and headings keep their anchors
    assert "bf-html" not in html


def test_empty_and_unclosed_blocks() -> None:
    assert convert(f"a\n\n{OPEN}\n\n{CLOSE}\n\nb\n") == "<p>a</p>\n<p>b</p>"  # not an empty paragraph
    # A block never closed is left to Python-Markdown's own HTML parser.
    assert convert(f"{OPEN}\n<div>*x*</div>\n") == convert(f"{OPEN}\n<div>*x*</div>\n", passthrough=False)


def test_the_extension_is_added_once() -> None:
    names, _ = extensions()
    once = with_passthrough(list(names))  # type: ignore[arg-type]
    assert sum(isinstance(e, Passthrough) for e in once) == 1
    assert with_passthrough(once) is once


def _structure(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    out = []
    for node in soup.descendants:
        if getattr(node, "name", None):
            out.append(f"<{node.name} {sorted((k, str(v)) for k, v in node.attrs.items())}>")
        elif type(node).__name__ == "NavigableString" and str(node).strip():
            out.append(" ".join(str(node).split()))
    return out


@pytest.mark.parametrize(
    "uri",
    [
        "index.md",
        "briefings/2025-10-16-operation-spiderweb/index.md",
        "briefings/2025-10-16-operation-spiderweb/strike.md",
        "briefings/2025-10-16-operation-spiderweb/diplomacy.md",
        "briefings/2025-07-01-izhevsk-kupol-strike/index.md",
        "entities/organisations/kremlin.md",
        "archive/2025.md",
        "timeline/index.md",
    ],
)
def test_same_html_without_the_extension(uri: str) -> None:
    """The blocks are plain raw HTML: stock Python-Markdown makes the same page from them, only slower."""
    text = pages()[uri]
    assert OPEN in text
    assert _structure(convert(text)) == _structure(convert(text, passthrough=False))


def test_section_lists_and_pagers_are_left_out_of_search() -> None:
    """data-search-exclude reaches the page: md_in_html dropped the bare attribute from the elements it parsed."""
    soup = BeautifulSoup(convert(pages()["briefings/2025-10-16-operation-spiderweb/strike.md"]), "html.parser")
    for css in ("nav.bf-sections", "nav.bf-pager", "nav.bf-pager--briefings", "p.bf-grade-legend"):
        found = soup.select(css)
        assert found, css
        assert all(el.has_attr("data-search-exclude") for el in found), css


PAGES = [
    "index.md",
    "about.md",
    "briefings/s/index.md",
    "briefings/s/strike.md",
    "tags/x.md",
    "tags/x/page-2.md",
    "entities/places/p.md",
    "entities/places/index.md",
    "archive/index.md",
]
TARGETS = [*PAGES, "briefings/t/sources.md", "feed.xml", "api/briefings.json", "schema/briefing.json"]


def _mkdocs_url(src: str) -> str:
    """File.url of MkDocs with directory URLs."""
    if not src.endswith(".md"):
        return src
    stem = src[: -len(".md")]
    if stem == "index":
        return "./"
    return stem[: -len("index")] if stem.endswith("/index") else stem + "/"


@pytest.mark.parametrize("page", PAGES)
def test_links_resolve_as_mkdocs_resolves_them(page: str) -> None:
    for target in TARGETS:
        rel = posixpath.relpath(target, posixpath.dirname(page) or ".")
        for fragment in ("", "#x"):
            got = resolve_links(f'<a href="{rel}{fragment}">', page)
            assert got == f'<a href="{get_relative_url(_mkdocs_url(target), _mkdocs_url(page))}{fragment}">', target


def test_other_links_are_left_alone() -> None:
    text = '<a href="https://example.org/x.md">a</a> <a href="#frag">b</a> <a href="/abs.md">c</a> [d](x.md)'
    text += ' <a href="../nowhere/#x">a folder URL as written</a> <a href="../">up</a>'
    assert resolve_links(text, "briefings/s/strike.md") == text


def test_anchor_ids() -> None:
    assert anchor_ids('<div id="a"><span class="x" id="b-c"></span></div><p data-id="no">') == {"a", "b-c"}
    html = convert(pages()["briefings/2025-10-16-operation-spiderweb/strike.md"])
    assert "sec-targets" in anchor_ids(html)
    assert set(re.findall(r'id="([^"]+)"', html)) == anchor_ids(html)
