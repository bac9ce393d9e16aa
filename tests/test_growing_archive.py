"""A growing archive: the real build of the bundled project plus generated briefings of other shapes.

The bundled data is copied into tmp_path and briefings built from the seed's YAML are added:
one newer than all, one between the oldest and the newest, and one with only what the model
requires, older than all. Expectations come from the data written here, never from the
bundled set as it happens to be today.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
import yaml

from briefings.feeds import FEED_SIZE
from conftest import ROOT, SEED, SEED_SLUG, briefings_latest_first, content, copy_project, page

SITE_URL = "https://briefings.example.org/"
SECTIONS = ("strike", "front-lines", "diplomacy", "quotes", "sources")


def seed_copy(slug: str, published: dt.date, title: str) -> str:
    """The seed's YAML text under another slug, date and headline."""
    text = SEED.read_text(encoding="utf-8")
    for old, new in (
        (f"\nslug: {SEED_SLUG}\n", f"\nslug: {slug}\n"),
        ("\npublished: 2025-07-01\n", f"\npublished: {published.isoformat()}\n"),
        ("\ntitle: Drone strike on the Kupol plant in Izhevsk kills three\n", f"\ntitle: {title}\n"),
    ):  # top-level keys only (sources have a published date too)
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def minimal(slug: str, published: dt.date, title: str) -> str:
    """The least the model accepts, taken from the seed: one source, place, takeaway and claim per
    required list; every optional field and list left out; diplomacy empty and no quotes."""
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    source = {k: seed["sources"][0][k] for k in ("id", "name", "kind")}

    def claim(c: dict) -> dict:
        return {"text": c["text"], "sources": [source["id"]], "status": c["status"]}

    development = seed["front_lines"]["developments"][0]
    doc = {
        "slug": slug,
        "title": title,
        "published": published.isoformat(),
        "summary": seed["summary"],
        "takeaways": [claim(seed["takeaways"][0])],
        "places": seed["places"][:1],
        "sources": [source],
        "strike": {
            "summary": seed["strike"]["summary"],
            "when": {"date": str(seed["strike"]["when"]["date"])},
            "place": seed["strike"]["place"],
            "facility": seed["strike"]["facility"],
            "target": [claim(seed["strike"]["target"][0])],
            "carried_out_by": [claim(seed["strike"]["carried_out_by"][0])],
        },
        "front_lines": {
            "developments": [
                {
                    "id": development["id"],
                    "title": development["title"],
                    "change": development["change"],
                    "claims": [claim(development["claims"][0])],
                }
            ]
        },
        "diplomacy": {},
        "quotes": [],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"  # JSON is YAML


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[tuple[dt.date, str, str]], str]:
    """A copy of the project with three generated briefings, built by `python build.py build --site-dir`."""
    root = copy_project(tmp_path_factory.mktemp("grown") / "project")
    bundled = briefings_latest_first(root)
    newest, oldest = bundled[0].published, bundled[-1].published
    assert newest - oldest > dt.timedelta(days=1), "the in-between briefing needs a gap"
    middle = oldest + (newest - oldest) / 2
    added = {
        "newer": (newest + dt.timedelta(days=30), seed_copy, "Newer than every bundled briefing"),
        "between": (middle, seed_copy, "Between the oldest and the newest"),
        "minimal": (oldest - dt.timedelta(days=30), minimal, "Only what the model requires"),
    }
    for name, (day, make, title) in added.items():
        slug = f"{day.isoformat()}-{name}-generated"
        (root / "data" / "briefings" / f"{slug}.yaml").write_text(make(slug, day, title), encoding="utf-8")
    site = root.parent / "site"
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--project", str(root), "build", "--site-dir", str(site)],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    expected = sorted(((b.published, b.slug, b.title) for b in bundled), reverse=True)
    expected += [(day, f"{day.isoformat()}-{name}-generated", title) for name, (day, _, title) in added.items()]
    expected.sort(reverse=True)
    return root, site, expected, result.stdout


def text_of(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def test_site_builds_and_its_link_check_passes(grown):
    _, site, expected, out = grown
    assert f"briefings {len(expected)} " in out
    assert " 0 broken" in out
    assert (site / ".briefings-site").exists()
    for _, slug, _ in expected:
        for section in ("", *SECTIONS):
            assert (site / "briefings" / slug / section / "index.html").is_file(), (slug, section)


def test_data_as_the_site_sees_it(grown):
    root, _, expected, _ = grown
    assert [(b.published, b.slug, b.title) for b in briefings_latest_first(root)] == expected
    least = next(b for b in briefings_latest_first(root) if b.slug.endswith("minimal-generated"))
    assert least.quotes == [] and least.timeline == [] and least.tags == []
    assert least.diplomacy.negotiations == [] and least.diplomacy.statements == [] and least.diplomacy.measures == []


def test_home_page_shows_the_newest_first(grown):
    _, site, expected, _ = grown
    (_, newest, title), *older = expected
    art = content(page(site, ""))
    assert text_of(art.find(id="latest")).removesuffix(" ¶") == f"Latest: {title}"
    assert art.select_one(".bf-dateline a")["href"] == f"briefings/{newest}/"
    listed = [a["href"] for a in art.select(".bf-listing__title a:not(.headerlink)")]
    assert listed == [f"briefings/{slug}/" for _, slug, _ in older]


def test_archive_lists_every_briefing(grown):
    _, site, expected, _ = grown
    years = sorted({day.year for day, _, _ in expected}, reverse=True)
    art = content(page(site, "archive"))
    assert [a["href"] for a in art.select("li > a")] == [f"{year}/" for year in years]
    listed = []
    for year in years:
        year_page = content(page(site, f"archive/{year}"))
        listed += [a["href"] for a in year_page.select(".bf-listing__title a:not(.headerlink)")]
    assert listed == [f"../../briefings/{slug}/" for _, slug, _ in expected]


def test_feeds_hold_every_briefing(grown):
    _, site, expected, _ = grown
    assert len(expected) <= FEED_SIZE
    urls = [SITE_URL + f"briefings/{slug}/" for _, slug, _ in expected]
    atom = feedparser.parse((site / "feed.xml").read_bytes())
    assert atom.bozo == 0 and atom.version == "atom10"
    assert [e.id for e in atom.entries] == urls
    assert [e.title for e in atom.entries] == [title for _, _, title in expected]
    assert [e.published for e in atom.entries] == [f"{day.isoformat()}T00:00:00Z" for day, _, _ in expected]
    items = json.loads((site / "feed.json").read_text(encoding="utf-8"))["items"]
    assert [item["url"] for item in items] == urls
    assert [item["title"] for item in items] == [title for _, _, title in expected]


def test_prev_next_follow_publication_order(grown):
    _, site, expected, _ = grown
    oldest_first = expected[::-1]
    for i, (_, slug, _) in enumerate(oldest_first):
        nav = content(page(site, f"briefings/{slug}")).select_one(".bf-pager--briefings")
        got = [(a["href"], text_of(a)) for a in nav.select("a")]
        want = []
        if i:
            _, earlier, title = oldest_first[i - 1]
            want.append((f"../{earlier}/", f"← Earlier: {title}"))
        if i + 1 < len(oldest_first):
            _, later, title = oldest_first[i + 1]
            want.append((f"../{later}/", f"Later: {title} →"))
        assert got == want, slug


def test_minimal_briefing_pages_show_what_it_has(grown):
    _, site, expected, _ = grown
    slug = next(s for _, s, _ in expected if s.endswith("minimal-generated"))
    overview = content(page(site, f"briefings/{slug}"))
    assert text_of(overview.h1).startswith("Only what the model requires")
    assert len(overview.select("#sec-takeaways ~ .bf-claim")) == 1
    quotes = content(page(site, f"briefings/{slug}/quotes"))
    assert "This briefing has no direct quotes." in text_of(quotes)
    sources = content(page(site, f"briefings/{slug}/sources"))
    assert len(sources.select(".bf-source")) == 1
