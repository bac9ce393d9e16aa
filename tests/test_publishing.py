"""Publishing to a real host: any base path, and the files a public site needs (404, robots.txt, favicon, feeds).

The sub-path tests serve a build made with `--site-url http://127.0.0.1:PORT/briefings/` on a real
loopback server under /briefings/ (as GitHub Pages serves a project page) and follow every address
a reader, a feed reader or a crawler would.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from briefings.cli import main
from conftest import ROOT, fetch_html, page

SITE_URL = "https://briefings.example.org/"


def fetch(url: str) -> tuple[int, str, bytes]:
    """Status, content type and body of a GET (errors such as 404 included)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def addresses(soup: BeautifulSoup, page_url: str) -> list[tuple[str, str]]:
    """Every address a page gives a browser, a crawler or a feed reader: (what, absolute URL)."""
    found = []
    for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"), ("source", "src")):
        for el in soup.find_all(tag, attrs={attr: True}):
            found.append((f"<{tag} {attr}>", urljoin(page_url, el[attr])))
    for meta in soup.select("meta[property='og:url']"):
        found.append(("og:url", meta["content"]))
    for script in soup.select("script[type='application/ld+json']"):
        data = json.loads(script.string)
        found += [("JSON-LD url", data["url"]), ("JSON-LD mainEntityOfPage", data["mainEntityOfPage"])]
        found.append(("JSON-LD isPartOf", data["isPartOf"]["url"]))
    return found


@pytest.fixture(scope="module")
def crawl(subpath_site: tuple[str, Path]) -> dict[str, object]:
    """Every HTML page reachable from the home page of the sub-path site, parsed, and the status of
    every internal address any of them gives (fetched once each)."""
    base, _ = subpath_site
    host = urlsplit(base).netloc
    pages: dict[str, BeautifulSoup] = {}
    status: dict[str, int] = {}
    given: list[tuple[str, str, str]] = []  # (page, what, url)
    queue = [base]
    while queue:
        url = queue.pop()
        if url in pages:
            continue
        code, kind, body = fetch(url)
        status[url] = code
        if code != 200 or not kind.startswith("text/html"):
            continue
        soup = BeautifulSoup(body.decode("utf-8"), "lxml")
        pages[url] = soup
        for what, target in addresses(soup, url):
            target = urldefrag(target).url
            if urlsplit(target).netloc != host:
                continue
            given.append((url, what, target))
            if target not in status and target.endswith("/"):
                queue.append(target)
            elif target not in status:
                status[target] = fetch(target)[0]
    return {"pages": pages, "status": status, "given": given}


@pytest.mark.slow
def test_subpath_every_internal_address_resolves_under_the_sub_path(subpath_site, crawl):
    base, site = subpath_site
    prefix = urlsplit(base).path
    given = crawl["given"]
    outside = sorted({(p, w, u) for p, w, u in given if not urlsplit(u).path.startswith(prefix)})
    assert outside == [], "addresses that leave the sub-path"
    broken = sorted({(p, w, u, crawl["status"][u]) for p, w, u in given if crawl["status"][u] != 200})
    assert broken == []
    # The crawl reached every page of the build (none is only reachable at the wrong path).
    built = {base + p.relative_to(site).parent.as_posix() + "/" for p in site.rglob("index.html")}
    built = {u.replace(f"{base}./", base) for u in built}
    assert built - set(crawl["pages"]) == set()
    kinds = {w for _, w, _ in given}
    assert {"<link href>", "<script src>", "<a href>", "og:url", "JSON-LD url", "JSON-LD isPartOf"} <= kinds


@pytest.mark.slow
def test_subpath_canonical_feed_discovery_and_favicon_on_every_page(subpath_site, crawl):
    base, _ = subpath_site
    for url, soup in crawl["pages"].items():
        canonical = soup.select_one("link[rel='canonical']")
        assert canonical is not None and canonical["href"] == url, url
        feeds = {link["type"]: urljoin(url, link["href"]) for link in soup.select("link[rel='alternate'][type]")}
        assert feeds == {"application/atom+xml": base + "feed.xml", "application/feed+json": base + "feed.json"}, url
        icon = soup.select_one("link[rel='icon']")
        assert icon is not None and urljoin(url, icon["href"]) == base + "assets/favicon.svg", url


@pytest.mark.slow
def test_subpath_feeds_exports_sitemap_and_robots_point_under_the_sub_path(subpath_site):
    base, _ = subpath_site
    urls: list[str] = []
    feed = json.loads(fetch(base + "feed.json")[2])
    assert feed["home_page_url"] == base and feed["feed_url"] == base + "feed.json"
    urls += [item["url"] for item in feed["items"]] + [a["url"] for i in feed["items"] for a in i["attachments"]]
    urls += [u for b in json.loads(fetch(base + "api/briefings.json")[2]) for u in (b["url"], b["json"])]
    atom = ET.fromstring(fetch(base + "feed.xml")[2])
    urls += [link.get("href") for link in atom.iter("{http://www.w3.org/2005/Atom}link")]
    sitemap = ET.fromstring(fetch(base + "sitemap.xml")[2])
    locs = [loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs
    urls += locs
    robots = fetch(base + "robots.txt")[2].decode()
    sitemaps = [line.split(":", 1)[1].strip() for line in robots.splitlines() if line.startswith("Sitemap:")]
    assert sitemaps == [base + "sitemap.xml"]
    urls += sitemaps
    assert [u for u in urls if not u.startswith(base)] == []
    assert [(u, code) for u in sorted(set(urls)) if (code := fetch(u)[0]) != 200] == []


@pytest.mark.slow
def test_subpath_search_results_resolve_under_the_sub_path(subpath_site):
    """Material resolves the index's locations against the site's base: each must be a page there."""
    base, _ = subpath_site
    entries = json.loads(fetch(base + "search/search_index.json")[2])["docs"]
    assert entries
    pages = sorted({urljoin(base, urldefrag(e["location"]).url) for e in entries})
    assert [u for u in pages if not u.startswith(base)] == []
    assert [(u, code) for u in pages if (code := fetch(u)[0]) != 200] == []


@pytest.mark.slow
def test_subpath_missing_page_gets_the_styled_404_with_working_links(subpath_site):
    base, _ = subpath_site
    missing = base + "briefings/no-such-briefing/strike/"
    code, _, body = fetch(missing)
    assert code == 404
    soup = BeautifulSoup(body.decode("utf-8"), "lxml")
    assert soup.select_one("article h1").get_text() == "Page not found"
    links = {a.get_text(): urljoin(missing, a["href"]) for a in soup.select("article a[href]")}
    assert links == {"Latest briefings": base, "Archive": base + "archive/"}
    assets = [urljoin(missing, el.get("href") or el.get("src")) for el in soup.select("link[href], script[src]")]
    assert any(u.endswith(".css") for u in assets)
    assert [(u, code) for u in assets if (code := fetch(u)[0]) != 200] == []
    assert "Situation reports" in fetch_html(base)  # the home page itself is served


# --------------------------------------------------------------------------- the bundled site at its root


@pytest.mark.slow
def test_robots_txt_names_the_absolute_sitemap(built_site):
    robots = (built_site / "robots.txt").read_text(encoding="utf-8")
    assert robots.splitlines() == ["User-agent: *", "Allow: /", "", f"Sitemap: {SITE_URL}sitemap.xml"]
    assert not (ROOT / "docs" / "robots.txt").exists()  # generated at build, never a file in docs/


@pytest.mark.slow
def test_favicon_is_the_sites_own_svg_and_every_page_links_it(built_site):
    svg = (built_site / "assets" / "favicon.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and len(svg) < 2000
    ET.fromstring(svg)  # well-formed
    for path in sorted(built_site.rglob("*.html")):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
        icon = soup.select_one("link[rel='icon']")
        assert icon is not None, path
        if path.name == "404.html":
            assert icon["href"] == "/assets/favicon.svg"
        else:
            assert (path.parent / icon["href"]).resolve() == (built_site / "assets" / "favicon.svg").resolve(), path


@pytest.mark.slow
def test_feed_autodiscovery_on_every_page(built_site):
    for path in sorted(built_site.rglob("*.html")):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
        found = {link["type"]: link["href"] for link in soup.select("link[rel='alternate'][type]")}
        assert set(found) == {"application/atom+xml", "application/feed+json"}, path
        for href in found.values():
            target = Path("/" + href.lstrip("/")) if href.startswith("/") else None
            resolved = built_site / target.relative_to("/") if target else (path.parent / href).resolve()
            assert resolved.is_file(), (path, href)


@pytest.mark.slow
def test_404_page_is_styled_and_says_where_to_go(built_site):
    soup = page(built_site, "404.html")
    assert soup.select_one("article h1").get_text() == "Page not found"
    assert [a["href"] for a in soup.select("article a[href]")] == ["/", "/archive/"]
    assert soup.select("link[rel='stylesheet'][href^='/assets/stylesheets/main.']")
    assert soup.select_one("header.md-header") is not None  # the site's header, search included


@pytest.mark.slow
def test_site_url_option_changes_every_absolute_address(tmp_path):
    """The same input with two site URLs differs only where the site's address is written."""
    site = tmp_path / "site"
    url = "https://desk.example.net/reports/"
    assert main(["--project", str(ROOT), "build", "--site-dir", str(site), "--site-url", url, "--quiet"]) == 0
    assert json.loads((site / "feed.json").read_text(encoding="utf-8"))["home_page_url"] == url
    assert (site / "robots.txt").read_text(encoding="utf-8").endswith(f"Sitemap: {url}sitemap.xml\n")
    assert 'href="/reports/archive/"' in (site / "404.html").read_text(encoding="utf-8")
    leftovers = [p for p in site.rglob("*") if p.is_file() and SITE_URL.encode() in p.read_bytes()]
    assert leftovers == []
