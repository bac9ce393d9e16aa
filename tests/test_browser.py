"""The reader's view in a real browser: Debian's Chromium, driven headless by Playwright, on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from briefings.dataset import load_dataset
from briefings.display import format_date
from briefings.relations import relate
from briefings.routes import ENTITY_FOLDERS
from briefings.views import pages_of
from briefings.vocabulary import Status
from conftest import CHROMIUM, ROOT, SEED_SLUG, briefings_latest_first, loopback_server, page, type_search

AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(os.environ.get("BRIEFINGS_SCREENSHOTS", ROOT / "artifacts" / "screenshots"))
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
SCHEMES = {"light": "default", "dark": "slate"}  # prefers-color-scheme -> Material's palette


NAMES = ["home", "overview", "section", "dispute", "entity", "archive", "search"]  # a reader's tour


def tour_of(site: Path) -> dict[str, str]:
    """The pages of the tour, derived from the data and the built site (never from the bundled set as it is)."""
    latest_first = briefings_latest_first()
    rel = relate(load_dataset(ROOT / "data", ROOT))
    with_quotes = next(b for b in latest_first if b.quotes)
    kind, ident = max(rel.entities, key=lambda key: len(rel.entities[key].briefings))
    dispute = next(
        f"{url}#{box['id']}"
        for b in latest_first
        for link in pages_of(b)
        for url in [f"briefings/{b.slug}/" + ("" if link.key == "overview" else f"{link.file[:-3]}/")]
        for box in page(site, url).select("article section.bf-dispute[id]")
    )
    return {
        "home": "",
        "overview": f"briefings/{latest_first[0].slug}/",
        "section": f"briefings/{with_quotes.slug}/quotes/",
        "dispute": dispute,
        "entity": f"entities/{ENTITY_FOLDERS[kind]}/{ident}/",
        "archive": "archive/",
        "search": "",  # the home page with search results open (see search_for)
    }


SEARCH_QUERY = "Kupol"
STRIKE = f"briefings/{SEED_SLUG}/strike/"
# Contrast of a text element against the background it is drawn on (alpha blended), WCAG formula.
CONTRAST_JS = """(el) => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const v = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
  let bg = [255, 255, 255, 1];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor); if (c && c[3] > 0) { bg = c; break; } }
  const fg = parse(getComputedStyle(el).color);
  const mix = [0, 1, 2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
  const lin = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = c => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const [hi, lo] = [lum(mix), lum(bg)].sort((x, y) => y - x);
  return {ratio: (hi + 0.05) / (lo + 0.05), weight: Number(getComputedStyle(el).fontWeight)};
}"""

if os.environ.get("BRIEFINGS_SKIP_BROWSER") == "1":  # an explicit opt-out, never a silent skip
    pytest.skip("browser tests disabled by BRIEFINGS_SKIP_BROWSER=1", allow_module_level=True)


@pytest.fixture(scope="module")
def tour(built_site: Path) -> dict[str, str]:
    return tour_of(built_site)


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
    """Open a site page at a viewport in a palette; returns (page, urls requested while loading).

    The palette follows prefers-color-scheme (a new context has no stored choice); the page is
    returned once Material has applied it and no transition is running.
    """
    contexts = []

    def open_(rel: str, viewport: str = "desktop", scheme: str = "light", idle: bool = False):
        width, height = VIEWPORTS[viewport]
        context = browser.new_context(
            viewport={"width": width, "height": height}, color_scheme=scheme, service_workers="block"
        )
        contexts.append(context)
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        # idle: until no request for 500 ms, for a test that looks at every request the page made; the others
        # wait for the load event and then for what they read (the palette, no transition running).
        page.goto(server + rel, wait_until="networkidle" if idle else "load")
        page.wait_for_function(f"document.body.dataset.mdColorScheme === '{SCHEMES[scheme]}'")
        page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
        return page, requested

    yield open_
    for context in contexts:
        context.close()


def search_for(page, query: str) -> list[dict[str, str]]:
    """Type a query as a reader does; the results Material shows before the list is scrolled (title, text, href)."""
    toggle = page.locator("label.md-header__button[for='__search']")  # the search icon on a phone
    page.click("label.md-header__button[for='__search']" if toggle.is_visible() else "input.md-search__input")
    type_search(page, query)
    # Nothing may still fade in when a test reads their colours.
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
    return page.eval_on_selector_all(
        ".md-search-result__item",
        """items => items.map(li => ({
            title: li.querySelector('h1').textContent.trim(),
            text: li.textContent,
            href: li.querySelector('a').href}))""",
    )


def open_target(open_page, tour, name: str, viewport: str = "desktop", scheme: str = "light", idle: bool = False):
    """Open a page of the tour; `search` opens the home page and searches."""
    page, requested = open_page(tour[name], viewport, scheme, idle)
    if name == "search":
        search_for(page, SEARCH_QUERY)
    return page, requested


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["desktop", "phone", "dark"])
@pytest.mark.parametrize("name", NAMES)
def test_screenshots_no_overflow_no_third_parties(open_page, tour, name, mode):
    """Screenshots of the reader's tour in artifacts/screenshots/ (look at them), desktop, phone and dark."""
    viewport, scheme = ("desktop", "dark") if mode == "dark" else (mode, "light")
    page, requested = open_target(open_page, tour, name, viewport, scheme, idle=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{mode}.png"), full_page=name != "search")
    if name == "dispute":  # the dispute itself, as a reader finds it from "Disputed: see every side"
        page.locator(f"#{tour[name].split('#')[1]}").screenshot(path=str(SHOTS / f"{name}-{mode}-box.png"))
    outside = sorted({u for u in requested if urlsplit(u).hostname != "127.0.0.1"})
    assert outside == [], "requests left the machine"
    if viewport == "phone":
        # Search results are an overlay: their list must fit (Material's overlay circle is drawn off-screen).
        box = ".md-search__scrollwrap" if name == "search" else "html"
        overflow = page.eval_on_selector(box, "e => e.scrollWidth - e.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px on a phone"


@pytest.mark.slow
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", NAMES)
def test_axe_finds_no_serious_or_critical_violations(open_page, tour, name, scheme):
    assert AXE.exists(), f"{AXE} is missing: npm ci --prefix tests/browser (scripts/test.sh does)"
    page, _ = open_target(open_page, tour, name, scheme=scheme)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


@pytest.mark.slow
@pytest.mark.parametrize("scheme", SCHEMES)
def test_titles_and_quotes_read_as_strongly_as_body_text(open_page, tour, scheme):
    """Not Material's light grey at weight 300: at least 7:1 (AA with room), titles bold, in both palettes."""
    for name, selector in (
        ("overview", "article h1"),
        ("section", "article h1"),
        ("section", "figure.bf-quote blockquote p"),
    ):
        page, _ = open_page(tour[name], scheme=scheme)
        for handle in page.query_selector_all(selector):
            got = handle.evaluate(CONTRAST_JS)
            assert got["ratio"] >= 7, (name, selector, got)
            if selector.endswith("h1"):
                assert got["weight"] >= 600, (name, selector, got)


@pytest.mark.slow
def test_search_finds_kupol_and_links_to_the_strike_page(open_page):
    page, _ = open_page("")
    hrefs = [r["href"] for r in search_for(page, SEARCH_QUERY)]
    assert any(f"/briefings/{SEED_SLUG}/strike/" in h for h in hrefs), hrefs


@pytest.mark.slow
def test_search_results_tell_briefings_apart_and_skip_badge_explanations(open_page):
    """Two strike pages were both titled "The strike"; snippets carried the badges' tooltips."""
    page, _ = open_page("")
    results = search_for(page, SEARCH_QUERY)
    titles = {b.slug: b.title for b in briefings_latest_first()}
    on_briefings = [r for r in results if "/briefings/" in r["href"]]
    assert len(on_briefings) > 1
    for r in on_briefings:
        slug = urlsplit(r["href"]).path.split("/")[2]
        assert r["title"] == titles[slug] or r["title"].endswith(f" · {titles[slug]}"), r
    assert len({r["title"] for r in on_briefings}) == len(on_briefings)
    explanations = [status.meaning for status in Status]
    assert [r["href"] for r in on_briefings if any(x in r["text"] for x in explanations)] == []


@pytest.mark.slow
def test_search_finds_kellogg(open_page):
    page, _ = open_page("")
    hrefs = [r["href"] for r in search_for(page, "Kellogg")]
    assert any(SEED_SLUG in h for h in hrefs)


# --------------------------------------------------------------------------- print

PRINT_HIDDEN = [
    ".md-header",
    ".md-sidebar--primary",
    ".md-sidebar--secondary",
    ".md-footer",
    ".md-search",
    ".md-top",
    ".bf-sections",
    ".bf-pager",
    ".bf-pager--briefings",
    "#sec-contents",
    "#sec-contents + ul",
]


def displayed(page, selector: str) -> bool:
    """Whether an element matching selector exists and is rendered (display is not none up its tree)."""
    return page.evaluate(
        """s => { const el = document.querySelector(s); if (!el) return false;
                  for (let e = el; e; e = e.parentElement) if (getComputedStyle(e).display === 'none') return false;
                  return true; }""",
        selector,
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NAMES if n != "search"])
def test_print_shows_only_the_report(open_page, tour, name):
    """Paper gets the report: no header, sidebars, nav lists, search, footer or pagers; a PDF of it."""
    page, _ = open_page(tour[name])
    page.emulate_media(media="print")
    shown = [s for s in PRINT_HIDDEN if displayed(page, s)]
    assert shown == []
    assert displayed(page, "article h1")
    if name == "overview":
        assert page.is_visible("#sec-takeaways") and page.is_visible(".bf-claim")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SHOTS / f"{name}-print.pdf"), format="A4")


@pytest.mark.slow
def test_printed_page_says_where_and_when_it_was_printed(open_page, tour):
    latest = briefings_latest_first()[0]
    page, _ = open_page(tour["overview"])
    line = page.locator("article .bf-print-line")
    assert not line.is_visible()  # on screen the address bar says it
    page.emulate_media(media="print")
    assert line.is_visible()
    year, month, day = page.evaluate(
        "(() => { const d = new Date(); return [d.getFullYear(), d.getMonth() + 1, d.getDate()]; })()"
    )
    today = format_date(dt.date(year, month, day))
    url = f"https://briefings.example.org/{tour['overview']}"
    assert line.inner_text() == f"Printed on {today} from {url} · briefing updated {format_date(latest.updated)}"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["overview", "dispute"])
def test_print_keeps_headings_with_their_text_and_figures_small(open_page, tour, name):
    """No heading left alone at the foot of a page, no forced page break, no figure taller than a third of A4."""
    page, _ = open_page(tour[name])
    page.emulate_media(media="print")
    breaks = page.evaluate(
        """() => [...document.querySelectorAll('article *')].map(e => {
             const s = getComputedStyle(e);
             return [e.tagName, s.breakBefore, s.breakAfter]; })"""
    )
    forced = [b for b in breaks if {b[1], b[2]} & {"page", "always", "left", "right", "recto", "verso"}]
    assert forced == []
    headings = [b for b in breaks if b[0] in ("H1", "H2", "H3", "H4")]
    assert headings and all(after == "avoid" for _, _, after in headings), headings
    third_of_a4 = 297 / 25.4 * 96 / 3  # CSS px
    for box in page.locator("article figure svg, article img").all():
        assert box.bounding_box()["height"] <= third_of_a4


@pytest.mark.slow
def test_print_is_dark_on_white_even_in_the_dark_palette(open_page):
    """A reader in dark mode prints dark ink on white paper: text, badges and the map's land and sea."""
    page, _ = open_page(STRIKE, scheme="dark")  # it has a map (test_key_figures_are_text_and_map_is_inline)
    page.emulate_media(media="print")
    for selector in ("article h1", "article p", ".bf-badge__label", "figure.bf-map figcaption"):
        got = page.eval_on_selector(selector, "el => getComputedStyle(el).color")
        assert max(_channels(got)) <= 110, (selector, got)  # dark ink
    for selector in (".bf-map__sea", ".bf-map__land"):
        got = page.eval_on_selector(selector, "el => getComputedStyle(el).fill")
        assert min(_channels(got)) >= 200, (selector, got)  # pale, as on paper maps


def _channels(css_color: str) -> list[float]:
    """The red, green and blue of a computed CSS colour such as rgb(1, 2, 3) or rgba(1, 2, 3, 0.5)."""
    return [float(c) for c in css_color[css_color.index("(") + 1 : -1].replace(",", " ").split()[:3]]


@pytest.mark.slow
def test_print_shows_every_outside_address_once(open_page, tour):
    """After each outside link its address, unless the link text is the address already."""
    page, _ = open_page(tour["section"].replace("quotes/", "sources/"))
    page.emulate_media(media="print")
    links = page.eval_on_selector_all(
        "article a[href^='http']",
        "els => els.map(a => [a.textContent.trim(), a.getAttribute('href'), getComputedStyle(a, '::after').content])",
    )
    assert links
    for text, href, after in links:
        printed = text + (after.strip('"') if after not in ("none", "normal") else "")
        assert printed.count(href) == 1, (text, href, after)


@pytest.mark.slow
def test_badge_explains_itself_on_keyboard_focus(open_page):
    page, _ = open_page(STRIKE)
    badge = page.locator("#killed .bf-badge")
    explain = badge.locator(".bf-badge__explain")
    assert explain.bounding_box()["width"] <= 1  # visually hidden until asked for
    badge.focus()
    box = explain.bounding_box()
    assert box["width"] > 50 and "not independently checked" in explain.inner_text()


@pytest.mark.slow
def test_key_figures_are_text_and_map_is_inline(open_page):
    page, requested = open_page(STRIKE, idle=True)
    assert page.inner_text("#killed .bf-figure__value") == "3"
    svg = page.locator("figure.bf-map > svg")
    assert svg.count() == 1 and "Izhevsk" in page.inner_text("figure.bf-map")
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requested)


MAP_TEXT = """() => {
  const svg = document.querySelector('figure.bf-map > svg');
  const frame = svg.getBoundingClientRect();
  const scale = svg.getScreenCTM().a;  // CSS px per SVG unit
  return {
    texts: [...svg.querySelectorAll('text')].map(t => {
      const r = t.getBoundingClientRect();
      return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
              box: [r.left - frame.left, r.top - frame.top, r.right - frame.left, r.bottom - frame.top]};
    }),
    legend: [...document.querySelectorAll('figure.bf-map li')].map(li => parseFloat(getComputedStyle(li).fontSize)),
    size: [frame.width, frame.height],
  };
}"""


@pytest.mark.slow
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_map_text_is_readable_and_does_not_collide(open_page, viewport):
    # On a 390 px phone the 720-unit map is drawn about 358 px wide; its text must still be
    # 12 CSS px or more, stay inside the map, and no two texts may overlap.
    mapped = []
    for b in briefings_latest_first():
        for name, rel in (("overview", ""), ("strike", "strike/")):
            if b.strike is None:
                continue
            page, _ = open_page(f"briefings/{b.slug}/{rel}", viewport)
            if page.locator("figure.bf-map").count() == 0:
                continue
            mapped.append(b.slug)
            found = page.evaluate(MAP_TEXT)
            width, height = found["size"]
            for t in found["texts"]:
                assert t["px"] >= 12, f"{b.slug} {name}: {t['text']!r} is {t['px']:.1f} px on {viewport}"
                x0, y0, x1, y1 = t["box"]
                assert x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height, f"{t['text']!r} leaves the map"
            for i, a in enumerate(found["texts"]):
                for c in found["texts"][i + 1 :]:
                    p, q = a["box"], c["box"]
                    apart = min(p[2], q[2]) <= max(p[0], q[0]) or min(p[3], q[3]) <= max(p[1], q[1])
                    assert apart, f"{b.slug} {name} on {viewport}: {a['text']!r} overlaps {c['text']!r}"
            assert min(found["legend"]) >= 12
            page.add_style_tag(content=".md-header { display: none !important; }")
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.locator("figure.bf-map").screenshot(path=str(SHOTS / f"map-{b.slug}-{name}-{viewport}.png"))
    assert mapped, "no bundled briefing has a map"


def test_chromium_is_debians():
    # The browser must come from the system package, never from a tool's own download.
    assert shutil.which("chromium") or Path(CHROMIUM).exists()


@pytest.mark.slow
def test_grade_explains_itself_to_the_keyboard(open_page):
    """Tab reaches a grade such as F3 (no mouse), and focus shows what the letter and the digit mean."""
    page, _ = open_page(STRIKE)
    grade = page.locator("#killed .bf-grade")
    explain = grade.locator(".bf-grade__explain")
    assert explain.bounding_box()["width"] <= 1  # visually hidden until asked for
    for _ in range(400):  # a bounded walk through the page's focus order
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#killed .bf-grade') !== null"):
            break
    else:
        pytest.fail("Tab never reached the grade of #killed")
    box = explain.bounding_box()
    assert box["width"] > 50 and "source" in explain.inner_text() and "information" in explain.inner_text()


@pytest.mark.slow
def test_under_a_sub_path_search_finds_a_page_that_loads_with_all_its_assets(browser, subpath_site):
    """The site served at http://127.0.0.1:PORT/briefings/: search, follow a result, nothing fails to load."""
    base, _ = subpath_site
    context = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    failed: list[str] = []
    context.on("requestfailed", lambda request: failed.append(f"{request.url} ({request.failure})"))
    context.on("response", lambda r: failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)
    try:
        page = context.new_page()
        page.goto(base, wait_until="networkidle")
        results = search_for(page, SEARCH_QUERY)
        target = next(r for r in results if f"/briefings/briefings/{SEED_SLUG}/strike/" in r["href"])
        assert target["href"].startswith(base)
        with page.expect_navigation(wait_until="networkidle") as navigation:
            page.click(f".md-search-result__item a[href='{target['href']}']")
        assert navigation.value.status == 200
        assert urlsplit(page.url).path.startswith(f"/briefings/briefings/{SEED_SLUG}/strike/")
        assert page.locator("article h1").inner_text().strip()
        # Styled: Material's stylesheet applied (its header is fixed-height, not an unstyled block).
        assert page.eval_on_selector(".md-header", "e => getComputedStyle(e).position") in ("sticky", "fixed")
        # A missing page gets the site's 404, styled, under the sub-path too.
        response = page.goto(base + "no-such-page/", wait_until="networkidle")
        assert response.status == 404 and page.locator("article h1").inner_text() == "Page not found"
        assert page.eval_on_selector(".md-header", "e => getComputedStyle(e).position") in ("sticky", "fixed")
        assert [f for f in failed if "/no-such-page/" not in f] == []  # the 404 asked for, nothing else
    finally:
        context.close()
