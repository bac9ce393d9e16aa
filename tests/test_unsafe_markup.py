"""The markup scan covers whole documents and runs in every way of building; render errors never wedge a preview.

A template that prints data unescaped (`|safe`) is the leak these tests plant: data may hold
`<script>` as text, and only a template mistake can turn it into markup. The scan must catch it
in `build.py build`, `mkdocs build`, `mkdocs serve` and `build.py serve`, and name the data
file, line and field it came from.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from briefings.markup import ThemeScripts, scan_html
from conftest import ROOT, SEED_FILE, SEED_SLUG, fetch_html, preview_server, wait_for
from conftest import run_cli as run

OVERVIEW = f"/briefings/{SEED_SLUG}/"
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def set_title(project: Path, title: str) -> None:
    path = project / SEED_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines[index] = f"title: {title}\n"
    path.write_text("".join(lines), encoding="utf-8")


def title_line(project: Path) -> int:
    lines = (project / SEED_FILE).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith("title:"))


def leak_title(project: Path, where: str = "overview.md.j2") -> None:
    """A template mistake: print the headline with |safe, so data markup becomes page markup."""
    template = project / "templates" / where
    template.write_text(template.read_text(encoding="utf-8") + "\n{{ b.title | safe }}\n", encoding="utf-8")


def leak_head(project: Path) -> None:
    """A theme override mistake: the raw headline in the page head (outside the article)."""
    main = project / "overrides" / "main.html"
    text = main.read_text(encoding="utf-8").replace(
        "{% block extrahead %}",
        "{% block extrahead %}{% if page and page.meta.title %}{{ page.meta.title | striptags }}{% endif %}",
    )
    main.write_text(text, encoding="utf-8")


HOSTILE_TITLE = "'Kupol <script>window.pwned = 1</script> hit'"


# --------------------------------------------------------------------------- the scan itself


THEME = ThemeScripts.from_page(
    '<html><head><script>__md_scope=new URL("/",location)</script><script src="/assets/app.js"></script>'
    '<script id="__config" type="application/json">{"base": "/"}</script></head><body></body></html>'
)


@pytest.mark.parametrize(
    "html, expected",
    [
        ('<head><script>__md_scope=new URL("../..",location)</script></head>', []),
        ('<head><script src="../../assets/app.js"></script></head>', []),
        ('<head><script type="application/ld+json">{"headline": "x"}</script></head>', []),
        ("<head><title>x</title><script>alert(1)</script></head>", ["inline script the theme does not write"]),
        ('<head><script src="https://evil.example/a.js"></script></head>', ["script the theme does not load"]),
        ('<head><script src="../../feed.json"></script></head>', ["script the theme does not load"]),
        ('<head><script type="module">__md_scope=1</script></head>', ["inline script the theme does not write"]),
        ('<head><meta http-equiv="refresh" content="0;url=https://evil.example/"></head>', ["http-equiv meta element"]),
        ('<head><link rel="stylesheet" href="//evil.example/x.css"></head>', ["stylesheet or preload from outside"]),
        ('<body><svg><a xlink:href="javascript:alert(1)">x</a></svg></body>', ["javascript: URL in xlink:href"]),
        ("<body><portal src=x></portal></body>", ["embedding element not allowed"]),
        ('<head><script type="application/json">alert(1)</script></head>', ["JSON script that is not JSON"]),
        # Comment endings a browser accepts and Python's parser did not: the markup after them is live.
        ("<body><!--><img src=x onerror=alert(1)><!-- c --></body>", ["event-handler attribute"]),
        ("<body><!---><img src=x onerror=alert(1)><!-- c --></body>", ["event-handler attribute"]),
        ("<body><!-- x --!><img src=x onerror=alert(1)><!-- y --></body>", ["event-handler attribute"]),
        ("<body><!-- <img src=x onerror=alert(1)> --></body>", []),
    ],
)
def test_scan_covers_the_whole_document(html, expected):
    found = scan_html(html, "a/b/index.html", THEME)
    assert len(found) == len(expected), found
    for item, reason in zip(found, expected, strict=True):
        assert item.reason.startswith(reason)


# --------------------------------------------------------------------------- builds


@pytest.mark.slow
def test_build_refuses_unsafe_markup_and_names_the_data_field(project, tmp_path):
    set_title(project, HOSTILE_TITLE)
    leak_title(project)
    out = tmp_path / "out"
    result = run(project, "build", "--site-dir", str(out))
    assert result.returncode == 1, result.stderr
    line = title_line(project)
    assert f"from {SEED_FILE}:{line}:8: title: this text reaches the page as unsafe markup" in result.stderr
    assert "inline script the theme does not write" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.slow
def test_build_refuses_unsafe_markup_in_the_head(project, tmp_path):
    set_title(project, HOSTILE_TITLE)
    leak_head(project)
    result = run(project, "build", "--site-dir", str(tmp_path / "out"))
    assert result.returncode == 1
    assert f"from {SEED_FILE}:{title_line(project)}:8: title:" in result.stderr


@pytest.mark.slow
def test_plain_mkdocs_build_runs_the_scan_too(project, tmp_path):
    set_title(project, HOSTILE_TITLE)
    leak_title(project)
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(out)],
        cwd=project,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert result.returncode == 1
    assert f"{SEED_FILE}:{title_line(project)}:8: title:" in result.stderr
    page = out / "briefings" / SEED_SLUG / "index.html"
    assert not page.exists() or "window.pwned" not in page.read_text()


@pytest.mark.slow
def test_render_error_names_template_line_page_and_data_file(project, tmp_path):
    template = project / "templates" / "strike.md.j2"
    # Only the seed's page fails, whichever briefing is rendered first.
    failing = f"\n{{% if b.slug == '{SEED_SLUG}' %}}{{{{ b.title | url }}}}{{% endif %}}\n"
    template.write_text(template.read_text(encoding="utf-8") + failing, encoding="utf-8")
    line = len(template.read_text(encoding="utf-8").splitlines())
    result = run(project, "build", "--site-dir", str(tmp_path / "out"))
    assert result.returncode == 1
    assert f"templates/strike.md.j2:{line}: rendering briefings/{SEED_SLUG}/strike.md: ValueError:" in result.stderr
    assert f"(data: {SEED_FILE})" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


# --------------------------------------------------------------------------- previews


def visible_text(html: str) -> str:
    return BeautifulSoup(html, "lxml").get_text(" ")


# The two recoveries below take three rebuilds each under a plain engine's `serve` (4 s each: our page cache
# serves `build.py` only), so each runs under ours and one plain engine, the two engines shared between them:
# the hook is the same code under both, and tests/test_engines.py shows a preview under each.
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["build.py serve", "mkdocs serve"])
def test_preview_withholds_an_unsafe_page_and_recovers(project, kind):
    leak_title(project)
    with preview_server(project, kind) as (base, log):
        assert "Page withheld" not in fetch_html(base + OVERVIEW)
        set_title(project, HOSTILE_TITLE)
        wait_for(lambda: "Page withheld" in fetch_html(base + OVERVIEW), 60, "the unsafe page to be withheld")
        html = fetch_html(base + OVERVIEW)
        assert "window.pwned" not in "".join(s.get_text() for s in BeautifulSoup(html, "lxml").find_all("script"))
        assert f"{SEED_FILE}:{title_line(project)}:8: title:" in visible_text(html)
        assert "Page withheld" not in fetch_html(base + f"/briefings/{SEED_SLUG}/quotes/")  # only unsafe pages
        set_title(project, "Kupol hit again")
        wait_for(lambda: "Kupol hit again" in visible_text(fetch_html(base + OVERVIEW)), 60, "the fixed page")
    assert "Traceback" not in log.read_text(errors="replace")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["build.py serve", "properdocs serve"])
def test_preview_survives_a_render_error_and_recovers(project, kind):
    template = project / "templates" / "strike.md.j2"
    # Data that this template cannot show: a headline with BOOM in it is not a URL.
    template.write_text(
        template.read_text(encoding="utf-8") + "\n{% if 'BOOM' in b.title %}{{ b.title | url }}{% endif %}\n",
        encoding="utf-8",
    )
    with preview_server(project, kind) as (base, log):
        set_title(project, "BOOM at Kupol")
        wait_for(lambda: "could not be rendered" in fetch_html(base + "/"), 60, "the error page")
        text = visible_text(fetch_html(base + f"/briefings/{SEED_SLUG}/strike/"))
        assert "templates/strike.md.j2" in text and "ValueError" in text and SEED_FILE in text
        set_title(project, "Quiet at Kupol")
        wait_for(lambda: "Quiet at Kupol" in visible_text(fetch_html(base + OVERVIEW)), 60, "recovery")
    output = log.read_text(errors="replace")
    assert "Traceback" not in output and "appear stuck" not in output


def test_json_ld_escapes_line_separators_and_keeps_the_text():
    # U+2028 and U+2029 are valid JSON but end a JavaScript string in older engines.
    from briefings.dataset import load_dataset
    from briefings.feeds import SiteInfo, page_metadata

    briefing = next(b for b in load_dataset(ROOT / "data").briefings if b.slug == SEED_SLUG)
    summary = "First line\u2028second line\u2029third </script> & more"
    briefing = briefing.model_copy(update={"summary": summary})
    site = SiteInfo(url="https://example.org/", name="Site", author="Desk")
    jsonld = str(page_metadata(briefing, site, f"briefings/{SEED_SLUG}/index.md", None)["jsonld"])
    assert "\u2028" not in jsonld and "\u2029" not in jsonld and "<" not in jsonld
    assert json.loads(jsonld)["description"] == summary
