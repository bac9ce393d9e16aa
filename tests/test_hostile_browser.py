"""Hostile text in every text field, in a real browser: no script runs, no element or attribute appears.

Every free-text field of the seed briefing, of every entity record (people, places, facilities,
organisations) and of the disputes file holds markup aimed at each place data lands: the page
head (`<title>`, OpenGraph, JSON-LD), the theme header, the body, SVG labels and the search
index. Each payload carries its own number, so any that runs or becomes an element is named.
Checked on the built site and on both preview servers, in Debian's Chromium.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from briefings.load import dump_yaml, parse_yaml
from briefings.model import Briefing, Disputes, Entities
from briefings.reference import text_field_paths
from conftest import PREVIEWS, ROOT, SEED_SLUG, copy_project, loopback_server, preview_server, type_search

if os.environ.get("BRIEFINGS_SKIP_BROWSER") == "1":  # an explicit opt-out, never a silent skip
    pytest.skip("browser tests disabled by BRIEFINGS_SKIP_BROWSER=1", allow_module_level=True)

FILES = {
    "data/briefings/2025-07-01-izhevsk-kupol-strike.yaml": Briefing,
    "data/entities.yaml": Entities,
    "data/disputes.yaml": Disputes,
}
# Aimed at every context: element text, attribute values (both quotes), <title>, <script> and
# JSON strings, Markdown, attribute lists, Jinja and entities.
TEMPLATES = [
    "</title><script>pwn({n})</script><img src=x onerror=pwn({n})> p{n}",
    '"><svg onload=pwn({n})><b id=inj{n}>p{n}</b>',
    "'><iframe srcdoc=x></iframe><a href=javascript:pwn({n})>p{n}</a>",
    "</script><script>pwn({n})</script>{{{{ 7*7 }}}} [x](javascript:pwn({n})){{: onclick=pwn({n}) }} p{n}",
    "&lt;script&gt;pwn({n})&lt;/script&gt; <style>*{{}}</style><meta http-equiv=refresh content=0> p{n}",
]
PAGES = [
    "",
    f"briefings/{SEED_SLUG}/",
    f"briefings/{SEED_SLUG}/strike/",
    f"briefings/{SEED_SLUG}/front-lines/",
    f"briefings/{SEED_SLUG}/diplomacy/",
    f"briefings/{SEED_SLUG}/quotes/",
    f"briefings/{SEED_SLUG}/sources/",
    "entities/people/alexander-brechalov/",
    "entities/places/izhevsk/",
    "entities/facilities/kupol-plant/",
    "entities/organisations/sbu/",
    "entities/",
    "tags/",
    "archive/",
    "timeline/",
]
PREVIEW_PAGES = [PAGES[1], PAGES[2], PAGES[8]]
# Runs in the page before its own scripts: records any payload that executes.
PROBE = "window.__pwned = []; window.pwn = (n) => window.__pwned.push(n);"
# Data text may appear in attribute values (an aria-label, a meta content) as text; what must never
# appear is an element or attribute it made.
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.getAttributeNames()) {
      const value = el.getAttribute(attr) || '';
      if (attr.startsWith('on')) found.push(`${el.tagName} ${attr}=${value}`);
      if (attr === 'id' && /^inj\\d+$/.test(value)) found.push(`${el.tagName} id=${value}`);
      if (['href', 'src', 'srcdoc'].includes(attr) && /^\\s*javascript:|^x$/i.test(value))
        found.push(`${el.tagName} ${attr}=${value}`);
    }
    if (el.tagName === 'META' && el.hasAttribute('http-equiv')) found.push('META http-equiv');
    if (['SCRIPT', 'STYLE'].includes(el.tagName) && /pwn\\(|\\*\\{\\}/.test(el.textContent)
        && el.type !== 'application/ld+json') found.push(`${el.tagName}: ${el.textContent.slice(0, 60)}`);
    if (['B', 'IFRAME', 'IMG', 'A', 'SVG'].includes(el.tagName.toUpperCase())
        && /^p\\d+$/.test(el.textContent.trim())) found.push(`${el.tagName} element from data`);
  }
  return found;
}"""


def hostile_project(root: Path, cache: Path | None = None) -> tuple[Path, int]:
    """A copy of the project with a numbered payload in every text field; returns it and the count."""
    copy_project(root, cache)
    n = 0
    for name, model in FILES.items():
        doc, problems = parse_yaml(root / name, name)
        assert doc is not None and not problems
        data: Any = doc.data
        for path in text_field_paths(model, data):
            node = data
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = TEMPLATES[n % len(TEMPLATES)].format(n=n)
            n += 1
        (root / name).write_text(dump_yaml(data), encoding="utf-8")
    return root, n


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, warm_cache: Path) -> tuple[Path, Path, int]:
    """The hostile project and its site, built by `build.py build` (which must pass its own scan)."""
    root, count = hostile_project(tmp_path_factory.mktemp("hostile") / "project", warm_cache)
    site = root.parent / "site"
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--project", str(root), "build", "--site-dir", str(site)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return root, site, count


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def check_pages(browser: Any) -> Iterator[Any]:
    """Open pages under a base URL with the probe installed; assert nothing ran or appeared."""
    context = browser.new_context(service_workers="block")
    context.add_init_script(PROBE)
    dialogs: list[str] = []

    def check(base: str, pages: list[str]) -> dict[str, str]:
        titles = {}
        for rel in pages:
            page = context.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(base + rel, wait_until="load")  # a preview keeps a live-reload request open
            assert page.evaluate("window.__pwned") == [], f"payload ran on {rel}"
            assert page.evaluate(INJECTED) == [], f"markup from data on {rel}"
            titles[rel] = page.title()
            page.close()
        assert dialogs == []
        return titles

    yield check
    context.close()


@pytest.mark.slow
def test_payloads_fill_every_text_field(hostile):
    _, _, count = hostile
    assert count > 150  # the seed, every entity kind and the disputes file


@pytest.mark.slow
def test_built_site_runs_no_payload_and_shows_them_as_text(hostile, check_pages):
    _, site, _ = hostile
    with loopback_server(functools.partial(_Quiet, directory=str(site))) as base:
        titles = check_pages(base + "/", PAGES)
    # The head shows the headline as the literal text the editor wrote.
    assert titles[f"briefings/{SEED_SLUG}/"].startswith("</title><script>pwn(")
    assert "onerror=pwn(" in titles[PAGES[8]] or "<" in titles[PAGES[8]]


# A scroll to the top, then (after the browser has handled it) to the end: one more "reached the end".
SCROLL_AWAY_AND_TO_THE_END = """async e => {
    e.scrollTop = 0;
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    e.scrollTop = e.scrollHeight;
}"""


@pytest.mark.slow
def test_search_results_show_payloads_as_text(hostile, browser):
    _, site, _ = hostile
    context = browser.new_context(service_workers="block")
    context.add_init_script(PROBE)
    with loopback_server(functools.partial(_Quiet, directory=str(site))) as base:
        page = context.new_page()
        page.goto(base + "/", wait_until="networkidle")
        page.click("input.md-search__input")
        type_search(page, "onerror")  # the search splits words on spaces and hyphens only
        # Material renders ten results, then a few more each time the reader scrolls to the end of the
        # list: scroll away from the end and back until it shows as many as it counts ("N matching
        # documents"), waiting each time for more to appear.
        total = int(page.inner_text(".md-search-result__meta").split()[0])
        while (shown := page.locator(".md-search-result__item").count()) < total:
            page.eval_on_selector(".md-search__scrollwrap", SCROLL_AWAY_AND_TO_THE_END)
            page.wait_for_function(
                "n => document.querySelectorAll('.md-search-result__item').length > n", arg=shown, timeout=15_000
            )
        assert page.evaluate("window.__pwned") == []
        assert page.evaluate(INJECTED) == []
        assert "<script>pwn(" in page.inner_text(".md-search-result")  # shown as the text it is
    context.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", PREVIEWS)
def test_previews_run_no_payload(hostile, tmp_path, kind, check_pages, warm_cache):
    root, _, _ = hostile
    project = copy_project(tmp_path / "project", warm_cache)
    for name in FILES:
        (project / name).write_bytes((root / name).read_bytes())
    with preview_server(project, kind, ready="Latest") as (base, log):
        check_pages(base + "/", PREVIEW_PAGES)
    assert "unsafe markup" not in log.read_text(errors="replace")
