"""The reader's view in a real browser: Debian's Chromium, driven headless by Playwright, on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import CHROMIUM, ROOT, SEED_SLUG, loopback_server

AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(os.environ.get("BRIEFINGS_SCREENSHOTS", ROOT / "artifacts" / "screenshots"))
PAGES = {
    "home": "",
    "overview": f"briefings/{SEED_SLUG}/",
    "quotes": f"briefings/{SEED_SLUG}/quotes/",
    "strike": f"briefings/{SEED_SLUG}/strike/",
}
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}

if os.environ.get("BRIEFINGS_SKIP_BROWSER") == "1":  # an explicit opt-out, never a silent skip
    pytest.skip("browser tests disabled by BRIEFINGS_SKIP_BROWSER=1", allow_module_level=True)


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    """The built site on a free loopback port, stopped after the module."""
    with loopback_server(functools.partial(_QuietHandler, directory=str(built_site))) as base:
        yield base + "/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def open_page(browser, server):
    """Open a site page at a viewport; returns (page, urls requested while loading)."""
    contexts = []

    def open_(rel: str, viewport: str = "desktop"):
        width, height = VIEWPORTS[viewport]
        context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
        contexts.append(context)
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(server + rel, wait_until="networkidle")
        return page, requested

    yield open_
    for context in contexts:
        context.close()


@pytest.mark.slow
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", ["home", "overview", "quotes"])
def test_screenshots_no_overflow_no_third_parties(open_page, name, viewport):
    page, requested = open_page(PAGES[name], viewport)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{viewport}.png"), full_page=True)
    outside = sorted({u for u in requested if urlsplit(u).hostname != "127.0.0.1"})
    assert outside == [], "requests left the machine"
    if viewport == "phone":
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px on a phone"


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_or_critical_violations(open_page, name):
    assert AXE.exists(), f"{AXE} is missing: npm ci --prefix tests/browser (scripts/test.sh does)"
    page, _ = open_page(PAGES[name])
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


@pytest.mark.slow
def test_search_finds_kupol_and_links_to_the_strike_page(open_page):
    page, _ = open_page("")
    page.click("input.md-search__input")
    page.keyboard.type("Kupol", delay=30)
    page.wait_for_selector(".md-search-result__item a", timeout=15_000)
    for _ in range(5):  # Material renders more results as the reader scrolls the list
        page.eval_on_selector(".md-search__scrollwrap", "e => e.scrollTop = e.scrollHeight")
        page.wait_for_timeout(200)
    hrefs = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.href)")
    assert any(f"/briefings/{SEED_SLUG}/strike/" in h for h in hrefs), hrefs


@pytest.mark.slow
def test_search_finds_kellogg(open_page):
    page, _ = open_page("")
    # Typed like a reader, as in the Kupol search: a fill() made before the search has loaded its
    # index was lost now and then, and the test failed on a slow machine.
    page.click("input.md-search__input")
    page.keyboard.type("Kellogg", delay=30)
    page.wait_for_selector(".md-search-result__item a", timeout=15_000)
    hrefs = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.href)")
    assert any(SEED_SLUG in h for h in hrefs)


@pytest.mark.slow
def test_print_hides_navigation_and_keeps_takeaways(open_page):
    page, _ = open_page(PAGES["overview"])
    page.emulate_media(media="print")
    hidden = page.evaluate(
        "['.md-header', '.md-sidebar--primary', '.bf-sections'].map("
        "s => getComputedStyle(document.querySelector(s)).display)"
    )
    assert hidden == ["none", "none", "none"]
    assert page.is_visible("#sec-takeaways") and page.is_visible(".bf-claim")
    page.pdf(path=str(SHOTS / "overview-print.pdf"), format="A4")


@pytest.mark.slow
def test_badge_explains_itself_on_keyboard_focus(open_page):
    page, _ = open_page(PAGES["strike"])
    badge = page.locator("#killed .bf-badge")
    explain = badge.locator(".bf-badge__explain")
    assert explain.bounding_box()["width"] <= 1  # visually hidden until asked for
    badge.focus()
    box = explain.bounding_box()
    assert box["width"] > 50 and "not independently checked" in explain.inner_text()


@pytest.mark.slow
def test_key_figures_are_text_and_map_is_inline(open_page):
    page, requested = open_page(PAGES["strike"])
    assert page.inner_text("#killed .bf-figure__value") == "3"
    svg = page.locator("figure.bf-map svg")
    assert svg.count() == 1 and "Izhevsk" in page.inner_text("figure.bf-map")
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requested)


def test_chromium_is_debians():
    # The browser must come from the system package, never from a tool's own download.
    assert shutil.which("chromium") or Path(CHROMIUM).exists()
