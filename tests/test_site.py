"""The built bundled site, as a reader sees it (parsed HTML, one shared build)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from briefings.cli import main
from briefings.plan import HOME_LISTING
from conftest import SEED, SEED_SLUG, SEED_TITLE, briefings_latest_first, content, page

B = f"briefings/{SEED_SLUG}"


def text_of(node) -> str:
    return re.sub(r"\s+", " ", node.get_text(" ", strip=True))


def figure(site: Path, rel: str, figure_id: str) -> dict[str, str]:
    node = content(page(site, rel)).find(id=figure_id)
    assert node is not None, f"no figure {figure_id} on {rel}"
    return {
        part: text_of(node.select_one(f".bf-figure__{part}"))
        for part in ("label", "value", "unit", "alt")
        if node.select_one(f".bf-figure__{part}")
    } | {"badge": text_of(node.select_one(".bf-badge__label"))}


@pytest.mark.slow
def test_strike_page_shows_casualties(built_site):
    assert figure(built_site, f"{B}/strike", "killed") == {
        "label": "Killed",
        "value": "3",
        "unit": "people",
        "badge": "Reported",
    }
    assert figure(built_site, f"{B}/strike", "hospitalised")["value"] == "35"
    # The governor "confirmed" his own figure: a source's verb, not the desk's verification.
    critical = figure(built_site, f"{B}/strike", "critical")
    assert (critical["value"], critical["badge"]) == ("10", "Reported")


@pytest.mark.slow
def test_strike_page_shows_distances_with_miles(built_site):
    assert figure(built_site, f"{B}/strike", "distance-border") == {
        "label": "Izhevsk from the Ukrainian border",
        "value": "over 1,000",
        "unit": "km",
        "alt": "(620 mi)",
        "badge": "Reported",
    }
    flown = figure(built_site, f"{B}/strike", "distance-flown")
    assert (flown["value"], flown["alt"], flown["badge"]) == ("about 1,300", "(807 mi)", "Claimed")


def key_figures(art) -> list[tuple[str, str]]:
    """(label, text) of each row of a key-figures strip."""
    strip = art.select_one(".bf-keyfigures")
    if strip is None:
        return []
    return [(text_of(dt), text_of(dt.find_next_sibling("dd"))) for dt in strip.select("dt")]


@pytest.mark.slow
def test_overview_has_takeaways_and_key_figures(built_site):
    art = content(page(built_site, B))
    assert text_of(art.h1).removesuffix(" ¶") == SEED_TITLE
    takeaways = art.select("#sec-takeaways ~ .bf-claim")
    assert len(takeaways) >= 5
    # The takeaways state the toll, the drones, the 537 and the rounds; the strip adds only what they do not.
    assert [label for label, _ in key_figures(art)] == ["Izhevsk from the Ukrainian border"]
    assert key_figures(art)[0][1].startswith("over 1,000 km (620 mi) Reported")
    assert not art.select(".bf-figure")  # no cards on the overview
    assert text_of(art.select_one(".bf-keyfigures__asof")) == "As of 1 July 2025"


@pytest.mark.slow
def test_quotes_page_shows_five_quotes_with_speakers(built_site):
    art = content(page(built_site, f"{B}/quotes"))
    cards = art.select("figure.bf-quote")
    got = [(text_of(c.select_one(".bf-speaker")), text_of(c.blockquote)) for c in cards]
    assert got == [
        (
            "An unnamed Ukrainian official",
            "“Each such special operation reduces the enemy’s offensive potential, disrupts "
            "military production chains and demonstrates that even deep in Russia’s rear, "
            "there are no safe zones for its military infrastructure,”",
        ),
        ("Vladimir Putin , President", "“absolutely contradictory”"),
        (
            "Volodymyr Zelensky , President",
            "“Putin has already stolen practically half a year from diplomacy… on top of the entire "
            "duration of this war,”",
        ),
        (
            "Volodymyr Zelensky , President",
            "“Russia is not changing its plans and is not looking for a way out of this war. On the "
            "contrary, they are preparing for new operations, including on the territory of European countries.”",
        ),
        (
            "Keith Kellogg , U.S. envoy for Ukraine and Russia",
            "“continue to stall for time while it bombs civilian targets in Ukraine.”",
        ),
    ]
    kellogg = cards[4]
    assert (
        text_of(kellogg.select_one(".bf-quote__speaker"))
        == "Keith Kellogg , U.S. envoy for Ukraine and Russia — Post on X"
    )
    assert "partial quote" in text_of(kellogg.figcaption)
    # The speaker links to the person's page; the outlet we read it in is the numbered reference.
    assert kellogg.select_one(".bf-speaker a")["href"] == "../../../entities/people/keith-kellogg/"
    assert [text_of(a) for a in kellogg.select(".bf-refs a")] == ["[1]"]


@pytest.mark.slow
def test_unconfirmed_claim_shows_its_status(built_site):
    claim = content(page(built_site, f"{B}/front-lines")).find(id="village-taken")
    badge = claim.select_one(".bf-badge")
    assert text_of(badge.select_one(".bf-badge__label")) == "Not independently confirmed"
    assert text_of(badge.select_one(".bf-badge__explain")) == "A source, or the desk, says it could not be confirmed."
    assert badge["tabindex"] == "0"  # focusable, so keyboard users can read the explanation
    assert "reports emerging from Russian sources" in text_of(claim)


@pytest.mark.slow
def test_every_citation_lands_on_its_source_anchor(built_site):
    """Sources are numbered references, [1], each landing on the source with that number."""
    cited = 0
    by_slug = {b.slug: b for b in briefings_latest_first()}
    parsed: dict[str, BeautifulSoup] = {}  # each sources page parsed once, not once per citation
    for b in by_slug.values():
        for rel in ["", *(f"/{s.value}" for s in b.sections)]:
            here = (built_site / f"briefings/{b.slug}{rel}").resolve()
            art = content(page(built_site, f"briefings/{b.slug}{rel}"))
            assert "Source:" not in art.get_text()
            for link in art.select(".bf-refs a"):
                target, fragment = link["href"].split("#")
                assert target.endswith("sources/")
                sources_page = (here / target).resolve().relative_to(built_site)
                if str(sources_page) not in parsed:
                    parsed[str(sources_page)] = content(page(built_site, str(sources_page)))
                source = parsed[str(sources_page)].find(id=fragment)
                assert source is not None and "bf-source" in source["class"], link["href"]
                assert text_of(source.select_one(".bf-source__number")) == text_of(link)
                # A dispute side from another briefing cites that briefing's sources, by its numbers.
                cited_in = by_slug[sources_page.parts[1]]
                assert cited_in.sources[int(text_of(link).strip("[]")) - 1].id == fragment.removeprefix("source-")
                cited += 1
    assert cited > 40


@pytest.mark.slow
def test_timeline_keeps_phrase_and_absolute_date(built_site):
    events = content(page(built_site, B)).select(".bf-event")
    monday = [e for e in events if "Ustymenko" in text_of(e)]
    assert len(monday) == 1
    time = monday[0].find("time")
    assert time["datetime"] == "2025-06-30"
    assert text_of(monday[0]).startswith("30 June 2025 (“On Monday”)")
    assert monday[0].a["href"] == "front-lines/#ustymenko-honoured"


@pytest.mark.slow
def test_home_shows_latest_briefing_first_then_earlier(built_site):
    latest, *older = briefings_latest_first()
    art = content(page(built_site, ""))
    section = art.find(id="latest")
    assert text_of(section).removesuffix(" ¶") == f"Latest: {latest.title}"
    dateline = section.find_next(class_="bf-dateline")
    assert dateline.time["datetime"] == latest.published.isoformat()
    assert dateline.a["href"] == f"briefings/{latest.slug}/"
    # The key figures on the home page are those of the latest briefing's overview.
    shown = [label for label, _ in key_figures(art)]
    overview = [label for label, _ in key_figures(content(page(built_site, f"briefings/{latest.slug}")))]
    assert shown == overview
    listed = [a["href"] for a in art.select(".bf-listing__title a:not(.headerlink)")]
    assert listed == [f"briefings/{b.slug}/" for b in older[:HOME_LISTING]]
    dates = [t["datetime"] for t in art.select(".bf-listing time:first-of-type")]
    assert dates == [b.published.isoformat() for b in older[:HOME_LISTING]]
    assert all(d <= latest.published.isoformat() for d in dates)


@pytest.mark.slow
def test_home_shows_seed_figures_when_it_is_latest(project, tmp_path):
    """The seed's own figures on the home page, with the seed made the newest briefing in a scratch copy."""
    newest = max(b.published for b in briefings_latest_first(project))
    path = project / "data" / "briefings" / SEED.name
    path.write_text(SEED.read_text().replace("published: 2025-07-01", f"published: {newest + dt.timedelta(days=1)}", 1))
    assert briefings_latest_first(project)[0].slug == SEED_SLUG
    assert main(["--project", str(project), "build", "--site-dir", str(tmp_path / "site")]) == 0
    art = content(page(tmp_path / "site", ""))
    assert text_of(art.find(id="latest")).startswith(f"Latest: {SEED_TITLE}")
    takeaways = [text_of(c) for c in art.select("#latest-takeaways ~ .bf-claim")]
    assert takeaways[0].startswith("Three people were killed and 35 hospitalised")
    assert [label for label, _ in key_figures(art)] == ["Izhevsk from the Ukrainian border"]


@pytest.mark.slow
def test_page_titles_name_section_and_briefing(built_site):
    title = page(built_site, f"{B}/quotes").title.string
    assert title == f"Quotes · {SEED_TITLE} - Situation reports"


@pytest.mark.slow
def test_navigation_is_small_and_search_and_palette_exist(built_site):
    soup = page(built_site, f"{B}/strike")
    nav_links = soup.select("nav.md-nav--primary a.md-nav__link")
    assert len(nav_links) < 30  # constant: the nav never lists the archive
    assert soup.select_one("input.md-search__input") is not None
    assert len(soup.select("form[data-md-component=palette] input")) == 2
    index = (built_site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "Kupol" in index and "Kellogg" in index
