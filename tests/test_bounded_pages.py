"""Bounded pages: listings are paginated so that no page grows with the archive.

A scratch archive holds the bundled briefings and 20 copies of the seed (dated after the oldest
bundled briefing, which they refer to; each with one of five extra tags), built with small page
sizes so that every kind of listing has several pages. Expectations come from the data (relate())
and the page sizes set here, never from the bundled set as it happens to be today.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefings import plan
from briefings.cli import main
from briefings.dataset import load_dataset
from briefings.feeds import SiteInfo
from briefings.paging import paginate
from briefings.relations import Relations, relate
from briefings.render import render_pages
from briefings.routes import ENTITY_FOLDERS, paged
from conftest import copy_project, page, seed_copy

SIZES = {  # small page sizes, so that 20 briefings fill several pages of every kind of listing
    "BRIEFINGS_PER_PAGE": 3,
    "EVENTS_PER_PAGE": 5,
    "TAGS_PER_PAGE": 4,
    "RECORDS_SHOWN": 5,
    "RECORDS_PER_PAGE": 10,
}
COPIES = 20
# The site's own sizes, as imported (the module's builds set SIZES in their place).
SITE_SIZES = {name: getattr(plan, name) for name in ("HOME_LISTING", *SIZES)}
SITE = SiteInfo("https://briefings.example.org/", "Situation reports", "desk")


def text_of(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def add_copies(root: Path, copies: int, start: dt.date = dt.date(2024, 11, 18), step: int = 5) -> list[str]:
    """Seed copies, one every `step` days from `start`, each with an extra tag of five; their slugs."""
    slugs = []
    for i in range(copies):
        day = start + dt.timedelta(days=step * i)
        slug = f"{day.isoformat()}-copy-{i:03d}"
        text = seed_copy(slug, day, f"Copy {i} of the seed")
        text = re.sub(r"^tags: \[", f"tags: [batch-{i % 5}, ", text, count=1, flags=re.M)
        (root / "data" / "briefings" / f"{slug}.yaml").write_text(text, encoding="utf-8")
        slugs.append(slug)
    return slugs


@pytest.fixture(scope="module")
def small_pages() -> Iterator[None]:
    """The small page sizes, for the module's builds and renders."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in SIZES.items():
            mp.setattr(plan, name, value)
        yield


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, small_pages: None) -> tuple[Path, Path, Relations]:
    """The project with 20 more briefings, built (MkDocs strict, link check) with small page sizes."""
    root = copy_project(tmp_path_factory.mktemp("bounded") / "project")
    add_copies(root, COPIES)
    site = root.parent / "site"
    assert main(["--project", str(root), "build", "--site-dir", str(site)]) == 0  # the link check passed too
    return root, site, relate(load_dataset(root / "data", root))


def url_of(src_uri: str) -> str:
    """The directory URL MkDocs gives a page: x/index.md -> x/, x/y.md -> x/y/."""
    return posixpath.dirname(src_uri) + "/" if src_uri.endswith("/index.md") else src_uri.removesuffix(".md") + "/"


def follow(url: str, href: str) -> str:
    """The URL a relative href on page `url` leads to."""
    return posixpath.normpath(posixpath.join(url, href)) + "/"


def listing_pages(site: Path, first: str) -> list[tuple[str, object]]:
    """Every page of a listing, in page order, found by following its pager from the entry page (first: route)."""
    entry = url_of(first)
    soup = page(site, entry)
    pages = [(entry, soup)]
    for rel, add in (("prev", lambda item: pages.insert(0, item)), ("next", pages.append)):
        url, here = entry, soup
        while (link := here.select_one(f"nav.bf-pager--pages a[rel={rel}]")) is not None:
            url = follow(url, link["href"])
            here = page(site, url)
            add((url, here))
    return pages


def check_pager(pages: list[tuple[str, object]], entry: str, what: str) -> None:
    """Each page says where it is, links its neighbours both ways (rel prev/next) in a labelled nav."""
    count = len(pages)
    assert count > 1, f"{entry}: nothing to paginate; raise the copies or lower the page size"
    assert entry in [url for url, _ in pages]
    for number, (url, soup) in enumerate(pages, 1):
        nav = soup.select_one("article nav.bf-pager--pages")
        assert nav is not None and nav["aria-label"] == f"Pages of {what}", url
        where = text_of(nav.select_one(".bf-pager__where"))
        # A listing in time order (its entry page the last) never prints its count: a numbered page stays as it is.
        in_time_order = pages[-1][0] == entry
        expected = f"Page {number}" if in_time_order else f"Page {number} of {count}"
        assert where == expected + (" (latest)" if in_time_order and number == count else ""), (url, where)
        prev, nxt = nav.select_one("a[rel=prev]"), nav.select_one("a[rel=next]")
        assert (prev is None) == (number == 1) and (nxt is None) == (number == count), url
        if prev is not None:
            assert follow(url, prev["href"]) == pages[number - 2][0]
        if nxt is not None:
            assert follow(url, nxt["href"]) == pages[number][0]


def briefing_links(soup, selector: str, url: str) -> list[str]:
    """The briefing slugs a page's listing links to, in order."""
    return [follow(url, a["href"]).split("/")[1] for a in soup.select(selector)]


# --------------------------------------------------------------------------- unit


def test_pages_are_cut_from_the_oldest_item():
    """A new item lands on the entry page only; numbered pages keep their items and URLs."""
    items = list(range(23, 0, -1))  # latest first, as listings show them
    pages = list(paginate("tags/x.md", items, 10, newest_last=True))
    assert [(p.number, p.src_uri, chunk) for p, chunk in pages] == [
        (1, "tags/x/page-1.md", list(range(10, 0, -1))),
        (2, "tags/x/page-2.md", list(range(20, 10, -1))),
        (3, "tags/x.md", [23, 22, 21]),
    ]
    grown = list(paginate("tags/x.md", [24, *items], 10, newest_last=True))
    assert [(p.src_uri, chunk) for p, chunk in grown[:2]] == [(p.src_uri, chunk) for p, chunk in pages[:2]]
    ordered = list(paginate("tags/index.md", list("abcde"), 2, newest_last=False))
    assert [p.src_uri for p, _ in ordered] == ["tags/index.md", "tags/index/page-2.md", "tags/index/page-3.md"]
    assert [(p.src_uri, chunk) for p, chunk in paginate("tags/x.md", [], 10, newest_last=True)] == [("tags/x.md", [])]
    assert paged("entities/places/izhevsk.md", 2) == "entities/places/izhevsk/page-2.md"


# --------------------------------------------------------------------------- the built site


@pytest.mark.slow
def test_listing_pages_hold_at_most_a_page(archive):
    """Every page of every listing, and the indexes, hold at most their page size."""
    _, site, rel = archive
    per_page, events = SIZES["BRIEFINGS_PER_PAGE"], SIZES["EVENTS_PER_PAGE"]
    checked = 0
    for path in sorted(site.rglob("index.html")):
        url = path.parent.relative_to(site).as_posix() + "/"
        kind = url.split("/")[0]
        if kind not in ("archive", "timeline", "tags", "entities") or url.count("/") < 2:
            continue
        art = page(site, url)
        if kind in ("archive",) or (kind == "tags" and url.split("/")[1] != "index"):
            assert len(art.select("article .bf-listing")) <= per_page, url
        elif kind == "timeline":
            assert len(art.select("article .bf-event")) <= events, url
        elif kind == "tags":
            assert len(art.select("article.md-content__inner > ul > li")) <= SIZES["TAGS_PER_PAGE"], url
        elif url.split("/")[2] in ("", "index"):  # a kind's listing of records
            assert len(art.select("article.md-content__inner > ul > li")) <= SIZES["RECORDS_PER_PAGE"], url
        else:  # a record's page: a page of briefings and what those say of it
            briefings = art.find(id="briefings").find_next_sibling("ul")
            assert briefings is None or len(briefings.select("li")) <= per_page, url
        checked += 1
    assert checked > len(rel.entities)
    index = page(site, "entities/")
    for kind in ENTITY_FOLDERS:
        listed = index.find(id=kind).find_next_sibling("ul").select("li")
        assert len(listed) <= SIZES["RECORDS_SHOWN"]
    assert len(page(site, "tags/").select("article.md-content__inner > ul > li")) <= SIZES["TAGS_PER_PAGE"]


@pytest.mark.slow
def test_archive_years_reach_every_briefing_through_their_pages(archive):
    """The entry page keeps its URL and shows the latest; following the pager reaches each briefing once."""
    _, site, rel = archive
    for year, months in rel.years().items():
        want = [b.slug for items in months.values() for b in items]  # latest first
        pages = listing_pages(site, f"archive/{year}.md")
        if len(want) > SIZES["BRIEFINGS_PER_PAGE"]:
            check_pager(pages, f"archive/{year}/", f"the archive of {year}")
        assert pages[-1][0] == f"archive/{year}/"  # the entry page holds the latest briefings
        listed = [
            s
            for url, soup in reversed(pages)
            for s in briefing_links(soup, ".bf-listing__title a:not(.headerlink)", url)
        ]
        assert listed == want, year


@pytest.mark.slow
def test_tags_and_the_tags_index_reach_every_briefing_and_tag(archive):
    _, site, rel = archive
    index = listing_pages(site, "tags/index.md")
    check_pager(index, "tags/", "the tags")
    assert index[0][0] == "tags/"  # no time order: the entry page is the first
    listed = [text_of(li.a) for _, soup in index for li in soup.select("article.md-content__inner > ul > li")]
    assert listed == list(rel.tags)
    for tag, tagged in rel.tags.items():
        pages = listing_pages(site, f"tags/{tag}.md")
        if len(tagged) > SIZES["BRIEFINGS_PER_PAGE"]:
            check_pager(pages, f"tags/{tag}/", f"the briefings tagged {tag}")
        listed = [
            s
            for url, soup in reversed(pages)
            for s in briefing_links(soup, ".bf-listing__title a:not(.headerlink)", url)
        ]
        assert listed == [b.slug for b in tagged], tag


@pytest.mark.slow
def test_entity_pages_reach_every_briefing_and_claim(archive):
    """A record's pages list each briefing mentioning it once, with the claims of those briefings about it."""
    _, site, rel = archive
    paginated = 0
    for (kind, ident), entity in rel.entities.items():
        first = f"entities/{ENTITY_FOLDERS[kind]}/{ident}.md"
        pages = listing_pages(site, first)
        if len(entity.briefings) > SIZES["BRIEFINGS_PER_PAGE"]:
            check_pager(pages, url_of(first), f"the briefings about {entity.record.name}")
            paginated += 1
        listed, about = [], 0
        for url, soup in reversed(pages):
            ul = soup.find(id="briefings").find_next_sibling("ul")
            listed += [follow(url, a["href"]).split("/")[1] for a in (ul.select("li > a") if ul else [])]
            claims = soup.find(id="claims")
            about += len(claims.find_next_sibling("ul").select("li")) if claims else 0
        assert listed == [b.slug for b in entity.briefings], ident
        assert about == len([m for m in entity.mentions if not m.said]), ident
    assert paginated


@pytest.mark.slow
def test_timeline_years_reach_every_event(archive):
    _, site, rel = archive
    for year, entries in rel.timeline_years().items():
        pages = listing_pages(site, f"timeline/{year}.md")
        if len(entries) > SIZES["EVENTS_PER_PAGE"]:
            check_pager(pages, f"timeline/{year}/", f"the timeline of {year}")
        shown = [text_of(ev.select_one("p > a")) for _, soup in reversed(pages) for ev in soup.select(".bf-event")]
        assert shown == [e.event.text for e in entries], year


@pytest.mark.slow
def test_records_of_a_kind_beyond_the_index_are_listed_on_their_own_pages(archive):
    _, site, rel = archive
    index = page(site, "entities/")
    for kind, folder in ENTITY_FOLDERS.items():
        records = [e for (k, _), e in rel.entities.items() if k == kind]
        link = index.find(id=kind).find_next_sibling("p")
        if len(records) <= SIZES["RECORDS_SHOWN"]:
            continue
        assert text_of(link.a).startswith(f"All {len(records)} ")
        first = f"entities/{folder}/index.md"
        assert follow("entities/", link.a["href"]) == url_of(first)
        pages = listing_pages(site, first)
        if len(records) > SIZES["RECORDS_PER_PAGE"]:
            check_pager(pages, url_of(first), "the list of " + text_of(index.find(id=kind)).split()[0].lower())
        names = [text_of(li.a) for _, soup in pages for li in soup.select("article.md-content__inner > ul > li")]
        assert names == [str(e.record.name) for e in records], kind


# --------------------------------------------------------------------------- stability and reuse


def rendered(root: Path) -> dict[str, str]:
    """Every page's title and content, rendered in memory."""
    pages = render_pages(load_dataset(root / "data", root), root / "templates", SITE)
    return {p.src_uri: f"{p.title}\n{p.content}" for p in pages}


def test_numbered_pages_stay_put_as_the_archive_grows(tmp_path, small_pages):
    """Newer briefings change the entry pages; a numbered page stays as it was (but for its "Later" link, when the
    entry page filled and became the page after it): a page's worth of them, so every entry page fills.

    Listings in time order only: not the timeline's (in the order of the events, and a new briefing may tell
    of an old one), nor the tags index or a kind's records (alphabetical, with counts).
    """
    root = copy_project(tmp_path / "project")
    add_copies(root, 12)
    before = rendered(root)
    add_copies(root, SIZES["BRIEFINGS_PER_PAGE"], start=dt.date(2030, 1, 1))
    after = rendered(root)
    numbered = [
        uri for uri in before if "/page-" in uri and not re.match(r"timeline/|tags/index/|entities/\w+/index/", uri)
    ]
    assert numbered
    later = re.compile(r'<a href="[^"]*" rel="next">')
    for uri in numbered:
        assert later.sub("", after[uri]) == later.sub("", before[uri]), uri


def test_reused_pages_match_a_fresh_render_after_removing_an_old_briefing(tmp_path, small_pages):
    """Removing an old briefing shifts later pages' items: those pages are rendered again, never reused stale."""
    root = copy_project(tmp_path / "project")
    slugs = add_copies(root, 12)
    dataset = load_dataset(root / "data", root)
    first = render_pages(dataset, root / "templates", SITE)
    (root / "data" / "briefings" / f"{slugs[0]}.yaml").unlink()
    smaller = load_dataset(root / "data", root)
    previous = {p.src_uri: p for p in first}
    again = render_pages(smaller, root / "templates", SITE, previous=previous, changed={slugs[0]})
    fresh = render_pages(smaller, root / "templates", SITE)
    assert [dataclasses.replace(p) for p in again] == fresh
    assert any(p is previous.get(p.src_uri) for p in again)  # something was reused


def test_a_listing_page_holds_ten_briefings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the site's own page sizes: the home page shows the ten latest briefings (the latest in full and
    nine more), and a record's, a tag's and a year's pages ten each, so they are full from ten briefings on."""
    for name, value in SITE_SIZES.items():
        monkeypatch.setattr(plan, name, value)
    root = copy_project(tmp_path / "project")
    slugs = add_copies(root, 12, start=dt.date(2025, 1, 1), step=1)
    dataset = load_dataset(root / "data", root)
    rel = relate(dataset)
    pages = {p.src_uri: p.content for p in render_pages(dataset, root / "templates", SITE)}
    listed = re.findall(r'<article class="bf-listing"', pages["index.md"])
    assert len(listed) == 9 == plan.HOME_LISTING, "the latest briefing and nine more"
    assert plan.BRIEFINGS_PER_PAGE == 10

    def briefings_on(content: str) -> int:
        section = content.split("## Briefings", 1)[1].split("\n## ", 1)[0]
        return len(re.findall(r"<li><a href=\"[./]*briefings/", section))

    (kind, ident), entity = max(rel.entities.items(), key=lambda kv: len(kv[1].briefings))
    count = len(entity.briefings)
    assert count > 10
    first = f"entities/{ENTITY_FOLDERS[kind]}/{ident}.md"
    assert briefings_on(pages[paged(first, 1)]) == 10  # the oldest ten: a full page
    assert briefings_on(pages[first]) == count - 10  # the entry page has the rest
    year = pages["archive/2025.md"]
    assert year.count('<article class="bf-listing"') == len([s for s in slugs if s.startswith("2025")]) + 2 - 10
    assert pages[paged("archive/2025.md", 1)].count('<article class="bf-listing"') == 10
