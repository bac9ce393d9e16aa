"""A publication, not a page: archive, timeline, entities, disputes, feeds, exports, metadata, determinism."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from itertools import groupby
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from briefings.cli import main
from briefings.feeds import FEED_SIZE
from briefings.links import check_feeds
from briefings.model import Briefing
from conftest import SEED, SEED_SLUG, briefings_latest_first, content, last_updated, page, tree_digest

FIRST = "2024-11-17-kupol-first-strike"
SITE_URL = "https://briefings.example.org/"


def stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def text_of(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def built_path(site: Path, url: str) -> Path:
    assert url.startswith(SITE_URL), url
    rel = url[len(SITE_URL) :]
    path = site / rel
    return path / "index.html" if rel.endswith("/") or rel == "" else path


@pytest.mark.slow
def test_atom_feed_is_valid_and_links_resolve(built_site):
    raw = (built_site / "feed.xml").read_bytes()
    etree.fromstring(raw)  # well-formed XML
    feed = feedparser.parse(raw)
    assert feed.bozo == 0 and feed.version == "atom10"
    assert feed.feed.id == SITE_URL and feed.feed.author == "Situation reports desk"
    newest = briefings_latest_first()[:FEED_SIZE]
    assert feed.feed.updated == stamp(max(last_updated(b) for b in newest))
    assert [e.id for e in feed.entries] == [SITE_URL + f"briefings/{b.slug}/" for b in newest]
    assert [e.published for e in feed.entries] == [stamp(b.published) for b in newest]
    for entry in feed.entries:
        assert entry.link == entry.id and entry.updated and entry.published and entry.summary
        assert built_path(built_site, entry.link).is_file()
    self_link = next(link.href for link in feed.feed.links if link.rel == "self")
    assert built_path(built_site, self_link) == built_site / "feed.xml"


@pytest.mark.slow
def test_json_feed_is_valid_and_links_resolve(built_site):
    feed = json.loads((built_site / "feed.json").read_text())
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == SITE_URL + "feed.json"
    assert feed["title"] and feed["home_page_url"] == SITE_URL and feed["authors"][0]["name"]
    assert all(item["id"] and (item["content_text"] or item.get("content_html")) for item in feed["items"])
    for item in feed["items"]:
        assert built_path(built_site, item["url"]).is_file()
        assert built_path(built_site, item["attachments"][0]["url"]).is_file()
    newest = briefings_latest_first()[:FEED_SIZE]
    assert [item["url"] for item in feed["items"]] == [SITE_URL + f"briefings/{b.slug}/" for b in newest]
    assert [item["date_modified"] for item in feed["items"]] == [stamp(last_updated(b)) for b in newest]


@pytest.mark.slow
def test_feed_link_check_catches_a_broken_feed_link(built_site, tmp_path):
    import shutil

    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    count, broken = check_feeds(site)
    assert broken == [] and count > 10
    feed = json.loads((site / "feed.json").read_text())
    feed["items"][0]["url"] = SITE_URL + "briefings/no-such-briefing/"
    (site / "feed.json").write_text(json.dumps(feed))
    _, broken = check_feeds(site)
    assert [(b.page, b.link) for b in broken] == [("feed.json", SITE_URL + "briefings/no-such-briefing/")]


@pytest.mark.slow
def test_json_export_is_the_validated_model(built_site):
    exported = json.loads((built_site / "api" / "briefings" / f"{SEED_SLUG}.json").read_text())
    # The model's fields, plus what changed since the previous briefing (derived, so not a field of the format).
    changed = exported.pop("what_changed")
    assert set(changed) == {"previous", "updates", "disputes_opened", "disputes_settled", "new_items", "summary"}
    briefing = Briefing.model_validate(exported)
    assert briefing.slug == SEED_SLUG and exported["published"] == "2025-07-01"
    assert exported["strike"]["casualties"][0] == {
        "id": "killed",
        "label": "Killed",
        "value": 3.0,
        "unit": "people",
        "measure": None,
        "sum_of": [],
        "qualifier": "exact",
        "mi_as_reported": None,
        "note": None,
        "lineage": [],
        "sources": ["article"],
        "status": "reported",
        "attribution": "according to Russian officials",
        "speaker": None,
        "confirmed_by": [],
        "about": None,
        "credibility": 3,
    }
    index = json.loads((built_site / "api" / "briefings.json").read_text())
    assert [i["slug"] for i in index] == [b.slug for b in briefings_latest_first()]


@pytest.mark.slow
def test_jsonld_opengraph_and_canonical(built_site):
    soup = page(built_site, f"briefings/{SEED_SLUG}/strike")
    data = json.loads(soup.find("script", type="application/ld+json").string)
    assert data["@type"] == "NewsArticle"
    assert data["datePublished"] == data["dateModified"] == "2025-07-01"
    assert data["url"] == SITE_URL + f"briefings/{SEED_SLUG}/strike/"
    og = {m["property"]: m["content"] for m in soup.find_all("meta", property=True)}
    assert og["og:type"] == "article" and og["og:url"] == data["url"]
    assert og["article:published_time"] == "2025-07-01" and og["article:section"] == "The strike"
    assert soup.find("link", rel="canonical")["href"] == data["url"]


@pytest.mark.slow
def test_disputed_point_shown_on_both_briefings(built_site):
    for slug in (SEED_SLUG, FIRST):
        dispute = content(page(built_site, f"briefings/{slug}/strike")).find(id="dispute-november-2024-casualties")
        assert dispute is not None, slug
        sides = [text_of(s) for s in dispute.select(".bf-dispute__side")]
        assert len(sides) == 2
        assert any("The previous incident caused no injuries or deaths." in s for s in sides)
        assert any("Injured: 1 person" in s and "Alexander Brechalov" in s for s in sides)
        assert text_of(dispute.select_one(".bf-badge__label")) == "Disputed"


def pager(site: Path, slug: str) -> list[tuple[str, str]]:
    """The earlier/later links of a briefing's overview: (href, text)."""
    nav = content(page(site, f"briefings/{slug}")).select_one(".bf-pager--briefings")
    return [(a["href"], text_of(a)) for a in nav.select("a")] if nav else []


@pytest.mark.slow
def test_prev_next_between_briefings(built_site):
    oldest_first = briefings_latest_first()[::-1]
    assert {SEED_SLUG, FIRST} <= {b.slug for b in oldest_first}
    for i, b in enumerate(oldest_first):
        expected = []
        if i:
            earlier = oldest_first[i - 1]
            expected.append((f"../{earlier.slug}/", f"← Earlier: {earlier.title}"))
        if i + 1 < len(oldest_first):
            later = oldest_first[i + 1]
            expected.append((f"../{later.slug}/", f"Later: {later.title} →"))
        assert pager(built_site, b.slug) == expected, b.slug


@pytest.mark.slow
def test_archive_by_year_and_month(built_site):
    """Each year's page lists all its briefings by month (the index: test_find_your_way)."""
    by_year = [(y, list(items)) for y, items in groupby(briefings_latest_first(), key=lambda b: b.published.year)]
    for year, items in by_year:
        page_of_year = content(page(built_site, f"archive/{year}"))
        months = [m for m, _ in groupby(items, key=lambda b: b.published.month)]
        headings = [h.get_text().removesuffix("¶").strip() for h in page_of_year.select("h2")]
        assert headings == [calendar.month_name[m] for m in months], year
        for month in months:
            assert page_of_year.find(id=f"month-{month}") is not None, (year, month)
        listed = [a["href"] for a in page_of_year.select(".bf-listing__title a:not(.headerlink)")]
        assert listed == [f"../../briefings/{b.slug}/" for b in items], year
    assert FIRST in {b.slug for y, items in by_year if y == 2024 for b in items}


@pytest.mark.slow
def test_timeline_merges_events_and_links_back(built_site):
    art = content(page(built_site, "timeline/2024"))
    links = [a["href"] for a in art.select(".bf-event > p > a:first-of-type")]
    assert f"../../briefings/{FIRST}/strike/#kupol-hit" in links
    assert f"../../briefings/{SEED_SLUG}/strike/#previous-no-casualties" in links


def listed_briefings(art) -> list[tuple[str, str]]:
    """(slug, date) of the briefings an entity page lists, in page order."""
    return [
        (a["href"].rstrip("/").rsplit("/", 1)[1], a.find_next("time")["datetime"])
        for a in art.select("#briefings + ul > li > a")
    ]


@pytest.mark.slow
def test_entity_page_lists_briefings_and_claims(built_site):
    by_slug = {b.slug: b for b in briefings_latest_first()}
    art = content(page(built_site, "entities/people/alexander-brechalov"))
    # The article's "Aleksandr Bechalov" is a misspelling, never presented as a valid variant.
    assert "Also written" not in text_of(art)
    assert "Misspelled in sources as “Aleksandr Bechalov”." in text_of(art)
    listed = listed_briefings(art)
    # Both briefings that cite him, latest first like every listing; only briefings that exist, each once.
    assert {SEED_SLUG, FIRST} <= {slug for slug, _ in listed} <= set(by_slug)
    assert len(listed) == len(set(listed))
    assert [date for _, date in listed] == sorted((date for _, date in listed), reverse=True)
    assert [date for _, date in listed] == [by_slug[slug].published.isoformat() for slug, _ in listed]
    # He is the source of the claim about the critical condition, not its subject.
    claims = [a["href"] for a in art.select("#said + p + ul a")]
    assert f"../../../briefings/{SEED_SLUG}/strike/#critical" in claims
    kupol = listed_briefings(content(page(built_site, "entities/facilities/kupol-plant")))
    targeted = {
        b.slug for b in by_slug.values() if b.strike and "kupol-plant" in {t.facility for t in b.strike.targets}
    }
    assert {SEED_SLUG, FIRST} <= targeted <= {slug for slug, _ in kupol} <= set(by_slug)
    assert len(kupol) == len(set(kupol))
    izhevsk = content(page(built_site, "entities/places/izhevsk")).select_one(".bf-entity__kind")
    assert izhevsk.a["href"] == "../udmurtia/" and text_of(izhevsk.a) == "Udmurtia"


@pytest.mark.slow
def test_tag_pages(built_site):
    art = content(page(built_site, "tags/sanctions"))
    tagged = [b.title for b in briefings_latest_first() if "sanctions" in b.tags]
    assert next(b.title for b in briefings_latest_first() if b.slug == FIRST) in tagged
    assert [text_of(a) for a in art.select(".bf-listing__title a:not(.headerlink)")] == tagged


@pytest.mark.slow
@pytest.mark.cold_cache  # each build does all of its work
def test_two_builds_are_byte_identical(project, tmp_path):
    assert main(["--project", str(project), "build", "--site-dir", str(tmp_path / "a")]) == 0
    assert main(["--project", str(project), "build", "--site-dir", str(tmp_path / "b")]) == 0
    a, b = tree_digest(tmp_path / "a"), tree_digest(tmp_path / "b")
    assert a == b
    sitemap = (tmp_path / "a" / "sitemap.xml").read_text()
    newest = max(last_updated(b) for b in briefings_latest_first(project))
    assert f"<lastmod>{newest.isoformat()}</lastmod>" in sitemap


@pytest.mark.slow
def test_corrections_are_shown_and_move_the_modified_date(project):
    # A correction later than every date in the data, so it moves the site's own date too.
    fixed = max(last_updated(b) for b in briefings_latest_first(project)) + dt.timedelta(days=2)
    path = project / "data" / "briefings" / SEED.name
    path.write_text(SEED.read_text() + f"corrections:\n  - date: {fixed}\n    text: Corrected the spelling of Lviv.\n")
    assert main(["--project", str(project)]) == 0
    site = project / "site"
    art = content(page(site, f"briefings/{SEED_SLUG}"))
    correction = art.select_one(".bf-correction")
    assert text_of(correction) == f"{fixed.day} {fixed:%B %Y} : Corrected the spelling of Lviv."
    data = json.loads(page(site, f"briefings/{SEED_SLUG}").find("script", type="application/ld+json").string)
    assert data["dateModified"] == fixed.isoformat() and data["datePublished"] == "2025-07-01"
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    [entry] = [e for e in feed.entries if e.id == SITE_URL + f"briefings/{SEED_SLUG}/"]
    assert entry.updated == stamp(fixed) and entry.published == "2025-07-01T00:00:00Z"
    assert feed.feed.updated == stamp(fixed)
    others = [e.updated for e in feed.entries if e is not entry]
    assert others and all(u < stamp(fixed) for u in others)
