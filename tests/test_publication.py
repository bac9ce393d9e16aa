"""A publication, not a page: archive, timeline, entities, disputes, feeds, exports, metadata, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
from lxml import etree

from briefings.cli import main
from briefings.links import check_feeds
from briefings.model import Briefing
from conftest import SEED, SEED_SLUG, content, page, tree_digest

FIRST = "2024-11-17-kupol-first-strike"
SITE_URL = "https://briefings.example.org/"


def text_of(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def built_path(site: Path, url: str) -> Path:
    assert url.startswith(SITE_URL), url
    rel = url[len(SITE_URL) :]
    path = site / rel
    return path / "index.html" if rel.endswith("/") or rel == "" else path


def test_atom_feed_is_valid_and_links_resolve(built_site):
    raw = (built_site / "feed.xml").read_bytes()
    etree.fromstring(raw)  # well-formed XML
    feed = feedparser.parse(raw)
    assert feed.bozo == 0 and feed.version == "atom10"
    assert feed.feed.id == SITE_URL and feed.feed.author == "Situation reports desk"
    assert feed.feed.updated == "2025-07-01T00:00:00Z"
    assert [e.id for e in feed.entries] == [SITE_URL + f"briefings/{SEED_SLUG}/", SITE_URL + f"briefings/{FIRST}/"]
    for entry in feed.entries:
        assert entry.link == entry.id and entry.updated and entry.published and entry.summary
        assert built_path(built_site, entry.link).is_file()
    self_link = next(link.href for link in feed.feed.links if link.rel == "self")
    assert built_path(built_site, self_link) == built_site / "feed.xml"


def test_json_feed_is_valid_and_links_resolve(built_site):
    feed = json.loads((built_site / "feed.json").read_text())
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == SITE_URL + "feed.json"
    assert feed["title"] and feed["home_page_url"] == SITE_URL and feed["authors"][0]["name"]
    assert all(item["id"] and (item["content_text"] or item.get("content_html")) for item in feed["items"])
    for item in feed["items"]:
        assert built_path(built_site, item["url"]).is_file()
        assert built_path(built_site, item["attachments"][0]["url"]).is_file()
    assert feed["items"][0]["date_modified"] == "2025-07-01T00:00:00Z"


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


def test_json_export_is_the_validated_model(built_site):
    exported = json.loads((built_site / "api" / "briefings" / f"{SEED_SLUG}.json").read_text())
    briefing = Briefing.model_validate(exported)
    assert briefing.slug == SEED_SLUG and exported["published"] == "2025-07-01"
    assert exported["strike"]["casualties"][0] == {
        "id": "killed",
        "label": "Killed",
        "value": 3.0,
        "unit": "people",
        "qualifier": "exact",
        "mi_as_reported": None,
        "note": None,
        "sources": ["russian-officials"],
        "status": "reported",
        "attribution": "according to Russian officials",
    }
    index = json.loads((built_site / "api" / "briefings.json").read_text())
    assert [i["slug"] for i in index] == [SEED_SLUG, FIRST]


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


def test_disputed_point_shown_on_both_briefings(built_site):
    for slug in (SEED_SLUG, FIRST):
        dispute = content(page(built_site, f"briefings/{slug}/strike")).find(id="dispute-november-2024-casualties")
        assert dispute is not None, slug
        sides = [text_of(s) for s in dispute.select(".bf-dispute__side")]
        assert len(sides) == 2
        assert any("The previous incident caused no injuries or deaths." in s for s in sides)
        assert any("Injured: 1 person" in s and "Alexander Brechalov" in s for s in sides)
        assert text_of(dispute.select_one(".bf-badge__label")) == "Disputed"


def test_prev_next_between_briefings(built_site):
    newer = content(page(built_site, f"briefings/{SEED_SLUG}")).select_one(".bf-pager--briefings a")
    assert newer["href"] == f"../{FIRST}/" and "Earlier" in text_of(newer)
    older = content(page(built_site, f"briefings/{FIRST}")).select_one(".bf-pager--briefings a")
    assert older["href"] == f"../{SEED_SLUG}/" and "Later" in text_of(older)


def test_archive_by_year_and_month(built_site):
    art = content(page(built_site, "archive"))
    assert [" ".join(li.get_text().split()) for li in art.select("li")] == ["2025: July (1)", "2024: November (1)"]
    year = content(page(built_site, "archive/2024"))
    assert year.find(id="month-11") is not None
    assert year.select_one(".bf-listing a")["href"] == f"../../briefings/{FIRST}/"


def test_timeline_merges_events_and_links_back(built_site):
    art = content(page(built_site, "timeline/2024"))
    links = [a["href"] for a in art.select(".bf-event > p > a:first-of-type")]
    assert f"../../briefings/{FIRST}/strike/#kupol-hit" in links
    assert f"../../briefings/{SEED_SLUG}/strike/#previous-no-casualties" in links


def test_entity_page_lists_briefings_and_claims(built_site):
    art = content(page(built_site, "entities/people/alexander-brechalov"))
    assert "Also written: Aleksandr Bechalov." in text_of(art)
    titles = [text_of(a) for a in art.select("#briefings ~ ul a")][:2]
    assert titles == [
        "Drone strike on the Kupol plant in Izhevsk kills three",
        "First drone strike on the Kupol plant in Izhevsk",
    ]
    claims = [a["href"] for a in art.select("#claims ~ ul a")]
    assert f"../../../briefings/{SEED_SLUG}/strike/#critical" in claims
    kupol = content(page(built_site, "entities/facilities/kupol-plant"))
    assert len(kupol.select("#briefings + ul > li")) == 2


def test_tag_pages(built_site):
    art = content(page(built_site, "tags/sanctions"))
    assert [text_of(a) for a in art.select(".bf-listing__title a:not(.headerlink)")] == [
        "First drone strike on the Kupol plant in Izhevsk"
    ]


def test_two_builds_are_byte_identical(project, tmp_path):
    assert main(["--project", str(project), "build", "--site-dir", str(tmp_path / "a")]) == 0
    assert main(["--project", str(project), "build", "--site-dir", str(tmp_path / "b")]) == 0
    a, b = tree_digest(tmp_path / "a"), tree_digest(tmp_path / "b")
    assert a == b
    sitemap = (tmp_path / "a" / "sitemap.xml").read_text()
    assert "<lastmod>2025-07-01</lastmod>" in sitemap


def test_corrections_are_shown_and_move_the_modified_date(project):
    path = project / "data" / "briefings" / SEED.name
    path.write_text(
        SEED.read_text() + "corrections:\n  - date: 2025-07-03\n    text: Corrected the spelling of Lviv.\n"
    )
    assert main(["--project", str(project)]) == 0
    site = project / "site"
    art = content(page(site, f"briefings/{SEED_SLUG}"))
    correction = art.select_one(".bf-correction")
    assert text_of(correction) == "3 July 2025 : Corrected the spelling of Lviv."
    data = json.loads(page(site, f"briefings/{SEED_SLUG}").find("script", type="application/ld+json").string)
    assert data["dateModified"] == "2025-07-03" and data["datePublished"] == "2025-07-01"
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert feed.entries[0].updated == "2025-07-03T00:00:00Z" and feed.feed.updated == "2025-07-03T00:00:00Z"
