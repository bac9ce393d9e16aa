"""Canaries for the raw-syntax scan: Markdown or template syntax a reader would see as characters.

Data text reaches a page with its syntax characters written as character references
(`&#42;`), so only characters written literally in a text node are reported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from briefings.cli import main
from briefings.links import check_site
from conftest import PREVIEWS, ROOT, briefings_latest_first, fetch_html, page, preview_server, wait_for

CLEAN = """<!doctype html><html><head><title>[x](y) **head** {{ t }}</title><style>a{{}}</style></head>
<body><header><span class="md-ellipsis">Title &#91;a&#93;&#40;b&#41; &#42;x&#42;</span></header>
<article class="md-content__inner"><h1 id="top">Clean</h1>
<p>Data &#42;x&#42; and &#91;a&#93;&#40;b&#41; and &#91;a&#93;&#91;b&#93; and &#123;&#123; x &#125;&#125;.</p>
<p>&#35; not a heading, &#95;&#95;x&#95;&#95;, &#42;&#42;y&#42;&#42;, &#96;code&#96;,
&#123;: .cls &#125;, &#123;% x %&#125;</p>
<p>&#45; not a list</p><p>1&#46; not a list either</p><p>&#42; nor this</p>
<p>Code: <code>[a](b) **x** {{ y }} `z`</code> and <kbd>*k*</kbd></p>
<pre>## heading
- item
{% raw %}</pre>
<p title="[a](b) **x** {{ y }}"><a href="https://example.org/ok" data-x="*y*">real link</a>
5 * 3 * 2 = 30, e-mail_address, a - b, #hashtag mid-line, {braces}, 100% sure, C# and F#</p>
<ul><li>a list item</li></ul>
</article>
<script>var a = "[x](y)"; if (a) { b("{{ c }}"); }</script></body></html>
"""

RAW = """<!doctype html><html><head><title>raw</title></head>
<body><header><span class="md-ellipsis">[Home](../index.md)</span></header>
<article class="md-content__inner"><h1 id="raw">Raw</h1>
<p>See [the briefing](../briefing/index.md) now.</p>
<p>A map: ![map](map.png)</p>
<p>As [reported][1] earlier.</p>
<p>A **strong** word and a __strong__ one.</p>
<p>&#42;data&#42; and an *emphasised* word.</p>
<p>Run `make` now.</p>
<div class="x">
## Heading text
</div>
<p>- first item</p>
<p>* starred item</p>
<p>1. numbered item</p>
<h2 id="t">Title {: .cls }</h2>
<h2 id="o">Other { #other }</h2>
<p>Hello {{ name }}!</p>
<p>{% if x %}shown</p>
<p>{# note</p>
<p>In <span>[a <em>b</em>](c.md)</span></p>
</article></body></html>
"""

P = "raw/index.html"
FOUND = [
    (P, "[Home](../index.md)", "raw Markdown link in visible text"),
    (P, "[the briefing](../briefing/index.md)", "raw Markdown link in visible text"),
    (P, "![map](map.png)", "raw Markdown image in visible text"),
    (P, "[reported][1]", "raw Markdown reference link in visible text"),
    (P, "**strong**", "raw Markdown emphasis in visible text"),
    (P, "__strong__", "raw Markdown emphasis in visible text"),
    (P, "*emphasised*", "raw Markdown emphasis in visible text"),
    (P, "`make`", "raw Markdown code span in visible text"),
    (P, "## Heading text", "raw Markdown heading in visible text"),
    (P, "- first item", "raw Markdown list marker in visible text"),
    (P, "* starred item", "raw Markdown list marker in visible text"),
    (P, "1. numbered item", "raw Markdown list marker in visible text"),
    (P, "{: .cls }", "raw Markdown attribute list in visible text"),
    (P, "{ #other }", "raw Markdown attribute list in visible text"),
    (P, "{{", "raw template syntax in visible text"),
    (P, "}}", "raw template syntax in visible text"),
    (P, "{%", "raw template syntax in visible text"),
    (P, "%}", "raw template syntax in visible text"),
    (P, "{#", "raw template syntax in visible text"),
    (P, "[a b](c.md)", "raw Markdown link in visible text"),
]


def make_site(root: Path, with_raw: bool = True) -> Path:
    site = root / "site"
    site.mkdir(parents=True)
    (site / "index.html").write_text(CLEAN, encoding="utf-8")
    if with_raw:
        (site / "raw").mkdir()
        (site / "raw" / "index.html").write_text(RAW, encoding="utf-8")
    return site


def triples(site: Path) -> list[tuple[str, str, str]]:
    return sorted((b.page, b.link, b.reason) for b in check_site(site).broken)


def test_clean_page_has_no_false_positives(tmp_path):
    report = check_site(make_site(tmp_path, with_raw=False))
    assert report.broken == [] and report.raw == []


def test_each_planted_kind_is_reported_exactly(tmp_path):
    assert triples(make_site(tmp_path)) == sorted(FOUND)


def test_findings_carry_the_line_of_the_text(tmp_path):
    report = check_site(make_site(tmp_path))
    lines = {item.found: item.line for _, item in report.raw}
    assert lines["[the briefing](../briefing/index.md)"] == 4
    assert lines["## Heading text"] == 11


def test_check_links_command_reports_raw_syntax(tmp_path, capsys):
    site = make_site(tmp_path)
    assert main(["--project", str(ROOT), "check-links", str(site)]) == 1
    err = capsys.readouterr().err
    assert "raw/index.html -> [the briefing](../briefing/index.md): raw Markdown link in visible text" in err
    assert f"{len(FOUND)} broken" in err.splitlines()[-1]


# --------------------------------------------------------------------------- the bundled site


def resolve(site: Path, rel: str, href: str) -> Path:
    """The built file a relative href on page rel (a folder URL such as entities/places/x/) opens."""
    target = (site / rel / href).resolve()
    return target / "index.html" if target.is_dir() else target


@pytest.mark.slow
def test_bundled_site_has_no_raw_syntax(built_site):
    assert check_site(built_site).raw == []


@pytest.mark.slow
def test_home_dateline_links_to_the_latest_briefing(built_site):
    dateline = page(built_site, "").select_one("p.bf-dateline")
    assert "](" not in dateline.get_text() and "[" not in dateline.get_text()
    link = dateline.find("a")
    assert link is not None and link.get_text(strip=True) == "Read the briefing"
    target = resolve(built_site, "", link["href"])
    latest = briefings_latest_first()[0].slug  # whichever is newest in the bundled data
    assert target == (built_site / "briefings" / latest / "index.html").resolve()


@pytest.mark.slow
def test_place_page_links_to_the_place_it_is_in(built_site):
    rel = "entities/places/izhevsk/"
    kind = page(built_site, rel).select_one("p.bf-entity__kind")
    assert kind.get_text(" ", strip=True).startswith("city in Udmurtia")
    assert "](" not in kind.get_text()
    link = kind.find("a")
    assert link is not None and link.get_text(strip=True) == "Udmurtia"
    target = resolve(built_site, rel, link["href"])
    assert target == (built_site / "entities" / "places" / "udmurtia" / "index.html").resolve()
    heading = BeautifulSoup(target.read_text(encoding="utf-8"), "lxml").select_one("article h1")
    assert heading.get_text(strip=True).startswith("Udmurtia")


RAW_LINE = '\nSee {{ "{{" }} not rendered }} here.\n'  # a template slip: literal braces a reader sees


def plant_raw_syntax(project: Path) -> None:
    template = project / "templates" / "sources.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + RAW_LINE, encoding="utf-8")


@pytest.mark.slow
def test_plain_mkdocs_build_fails_on_raw_syntax(project, tmp_path):
    plant_raw_syntax(project)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(tmp_path / "out")],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode != 0
    assert "Markdown or template syntax shown to readers as text" in result.stderr
    assert "/sources/index.html:" in result.stderr and "{{" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("kind", PREVIEWS)
def test_previews_show_the_page_and_name_the_raw_syntax(project, kind):
    plant_raw_syntax(project)
    with preview_server(project, kind) as (base, log):
        latest = briefings_latest_first(project)[0].slug
        html = fetch_html(f"{base}/briefings/{latest}/sources/")
        assert "not rendered" in html and "Page withheld" not in html
        wait_for(lambda: "Markdown or template syntax shown to readers" in log.read_text(errors="replace"), 60, "log")
