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
from conftest import ROOT, SEED, briefings_latest_first, content, copy_project, page, seed_copy

SITE_URL = "https://briefings.example.org/"
SECTIONS = ("strike", "front-lines", "diplomacy", "quotes", "sources")


def _seed() -> dict:
    return yaml.safe_load(SEED.read_text(encoding="utf-8"))


def _base(slug: str, published: dt.date, title: str) -> tuple[dict, dict, dict]:
    """The top-level fields every briefing has, one source, and a claim maker citing it."""
    seed = _seed()
    source = {k: seed["sources"][0][k] for k in ("id", "name", "kind")}

    def claim(c: dict, **extra: object) -> dict:
        return {"text": c["text"], "sources": [source["id"]], "status": c["status"], **extra}

    doc = {
        "slug": slug,
        "title": title,
        "published": published.isoformat(),
        "summary": seed["summary"],
        # A takeaway has no id; it is still listed on the page of the place it is about.
        "takeaways": [claim(seed["takeaways"][0], about={"places": [seed["places"][0]]})],
        "sources": [source],
    }
    return doc, seed, {"claim": claim}


def several_targets(slug: str, published: dt.date, title: str) -> str:
    """A strike with no facility: several targets (places and a described one), several places, a mass attack."""
    doc, seed, make = _base(slug, published, title)
    claim = make["claim"]
    places = seed["places"][3:6]  # three places of the seed with coordinates: Kyiv, Lviv, Sumy region
    doc["places"] = places
    figure = {"sources": [doc["sources"][0]["id"]], "status": "claimed", "unit": "drones"}
    doc["strike"] = {
        "summary": seed["strike"]["summary"],
        "when": {"date": str(seed["strike"]["when"]["date"])},
        "places": places,
        "targets": [
            {"id": "target-one", "place": places[0], "claims": [claim(seed["takeaways"][0])]},
            {"id": "target-two", "place": places[1]},
            {"id": "target-three", "description": "Energy infrastructure in several regions"},
        ],
        "attack": [
            {**figure, "id": "launched", "label": "Launched", "value": 60, "measure": "launched"},
            {**figure, "id": "shot-down", "label": "Shot down", "value": 40, "measure": "intercepted"},
            {**figure, "id": "jammed", "label": "Jammed", "value": 15, "measure": "suppressed"},
            {
                **figure,
                "id": "stopped",
                "label": "Stopped",
                "value": 55,
                "measure": "intercepted",
                "sum_of": ["shot-down", "jammed"],
            },
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"  # JSON is YAML


def diplomacy_only(slug: str, published: dt.date, title: str) -> str:
    """Only a diplomacy section: no strike, front lines or quotes."""
    doc, seed, make = _base(slug, published, title)
    negotiation = seed["diplomacy"]["negotiations"][0]
    doc["diplomacy"] = {
        "negotiations": [
            {
                "id": negotiation["id"],
                "title": negotiation["title"],
                "parties": negotiation["parties"],
                "when": {"date": str(negotiation["when"]["date"])},
                "agreed": [make["claim"](negotiation["outcome"])],
                "figures": [
                    {
                        "id": "prisoners",
                        "label": "Prisoners to be exchanged",
                        "value": 500,
                        "unit": "people",
                        "sources": [doc["sources"][0]["id"]],
                        "status": "claimed",
                    }
                ],
            }
        ]
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# The pages each generated shape has: the overview ("") and sources always, sections as present.
SHAPES = {
    "newer": ("", *SECTIONS),
    "between": ("", "strike", "sources"),
    "minimal": ("", "diplomacy", "sources"),
}


@pytest.fixture(scope="module")
def grown(
    tmp_path_factory: pytest.TempPathFactory, warm_cache: Path
) -> tuple[Path, Path, list[tuple[dt.date, str, str]], str]:
    """A copy of the project with three generated briefings, built by `python build.py build --site-dir`."""
    root = copy_project(tmp_path_factory.mktemp("grown") / "project", warm_cache)
    bundled = briefings_latest_first(root)
    newest, oldest = bundled[0].published, bundled[-1].published
    assert newest - oldest > dt.timedelta(days=1), "the in-between briefing needs a gap"
    middle = oldest + (newest - oldest) / 2
    added = {
        "newer": (newest + dt.timedelta(days=30), seed_copy, "Newer than every bundled briefing"),
        "between": (middle, several_targets, "Between the oldest and the newest"),
        "minimal": (oldest - dt.timedelta(days=30), diplomacy_only, "Only a diplomacy section"),
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


@pytest.mark.slow
def test_site_builds_and_its_link_check_passes(grown):
    _, site, expected, out = grown
    assert f"briefings {len(expected)} " in out
    assert " 0 broken" in out
    assert (site / ".briefings-site").exists()
    for _, slug, _ in expected:
        shape = slug.rsplit("-", 2)[-2] if slug.endswith("-generated") else None
        briefing = next(b for b in briefings_latest_first(grown[0]) if b.slug == slug)
        present = SHAPES[shape] if shape else ("", *(s.value for s in briefing.sections), "sources")
        for section in ("", *SECTIONS):
            built = (site / "briefings" / slug / section / "index.html").is_file()
            assert built == (section in present), (slug, section)


@pytest.mark.slow
def test_data_as_the_site_sees_it(grown):
    root, _, expected, _ = grown
    assert [(b.published, b.slug, b.title) for b in briefings_latest_first(root)] == expected
    least = next(b for b in briefings_latest_first(root) if b.slug.endswith("minimal-generated"))
    assert least.strike is None and least.front_lines is None and least.quotes == []
    assert [s.value for s in least.sections] == ["diplomacy"]


@pytest.mark.slow
def test_home_page_shows_the_newest_first(grown):
    _, site, expected, _ = grown
    (_, newest, title), *older = expected
    art = content(page(site, ""))
    assert text_of(art.find(id="latest")).removesuffix(" ¶") == f"Latest: {title}"
    assert art.select_one(".bf-dateline a")["href"] == f"briefings/{newest}/"
    listed = [a["href"] for a in art.select(".bf-listing__title a:not(.headerlink)")]
    assert listed == [f"briefings/{slug}/" for _, slug, _ in older]


@pytest.mark.slow
def test_archive_lists_every_briefing(grown):
    _, site, expected, _ = grown
    years = sorted({day.year for day, _, _ in expected}, reverse=True)
    art = content(page(site, "archive"))
    assert [a["href"] for a in art.select(".bf-index-count > a")] == [f"{year}/" for year in years]
    listed = []
    for year in years:
        year_page = content(page(site, f"archive/{year}"))
        listed += [a["href"] for a in year_page.select(".bf-listing__title a:not(.headerlink)")]
    assert listed == [f"../../briefings/{slug}/" for _, slug, _ in expected]


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_diplomacy_only_briefing_links_only_the_pages_it_has(grown):
    _, site, expected, _ = grown
    slug = next(s for _, s, _ in expected if s.endswith("minimal-generated"))
    overview = content(page(site, f"briefings/{slug}"))
    assert text_of(overview.h1).startswith("Only a diplomacy section")
    assert len(overview.select("#sec-takeaways ~ .bf-claim")) == 1
    nav = [text_of(a) for a in overview.select(".bf-sections a, .bf-sections strong")]
    assert nav == ["Overview", "Diplomacy", "Sources"]
    assert overview.find(id="sec-places") is None  # it lists no places
    diplomacy = content(page(site, f"briefings/{slug}/diplomacy"))
    assert "Agreed" in text_of(diplomacy) and "Outcome" not in text_of(diplomacy)
    sources = content(page(site, f"briefings/{slug}/sources"))
    assert len(sources.select(".bf-source")) == 1


@pytest.mark.slow
def test_several_targets_and_a_derived_figure(grown):
    _, site, expected, _ = grown
    slug = next(s for _, s, _ in expected if s.endswith("between-generated"))
    strike = content(page(site, f"briefings/{slug}/strike"))
    assert [text_of(h).removesuffix(" ¶") for h in strike.select(".bf-target h3")] == [
        "Kyiv",
        "Lviv",
        "Energy infrastructure in several regions",
    ]
    assert text_of(strike.find(id="sec-targets")).startswith("Targets")
    stopped = strike.find(id="stopped")
    derived = text_of(stopped.select_one(".bf-figure__derived"))
    assert derived == "Derived: the sum of Shot down, 40 + Jammed, 15"
    assert [a["href"] for a in stopped.select(".bf-figure__derived a")] == ["./#shot-down", "./#jammed"]
    # Every place struck is on the map, none of them singled out as "the" target.
    labels = [t.get_text() for t in strike.select("#sec-map text.bf-map__label")]
    assert {"Kyiv", "Lviv"} <= set(labels)
    assert "Target" not in [text_of(dt) for dt in strike.select(".bf-facts dt")]


@pytest.mark.slow
def test_diplomacy_figures_are_shown_and_are_key_figures(grown):
    _, site, expected, _ = grown
    slug = next(s for _, s, _ in expected if s.endswith("minimal-generated"))
    diplomacy = content(page(site, f"briefings/{slug}/diplomacy"))
    figure = diplomacy.find(id="prisoners")
    assert text_of(figure.select_one(".bf-figure__value")) == "500"
    assert text_of(figure.select_one(".bf-figure__unit")) == "people"
    overview = content(page(site, f"briefings/{slug}"))
    assert [text_of(dt) for dt in overview.select(".bf-keyfigures__list dt")] == ["Prisoners to be exchanged"]


@pytest.mark.slow
def test_a_claim_without_an_id_is_listed_on_the_page_of_what_it_is_about(grown):
    root, site, expected, _ = grown
    slug = next(s for _, s, _ in expected if s.endswith("minimal-generated"))
    place = _seed()["places"][0]
    art = content(page(site, f"entities/places/{place}"))
    about = [(text_of(a), a["href"]) for a in art.select("#claims + p + ul a")]
    takeaway = _seed()["takeaways"][0]["text"]
    assert (takeaway, f"../../../briefings/{slug}/") in about


def test_a_figure_without_a_measure_is_named_at_its_own_line(project):
    path = project / "data" / "briefings" / "2030-01-01-no-measure.yaml"
    text = several_targets("2030-01-01-no-measure", dt.date(2030, 1, 1), "No measure")
    text = text.replace('"measure": "suppressed"', '"note": "no measure here"')
    path.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--project", str(project), "check"],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 2
    lines = text.splitlines()
    at = next(i for i, s in enumerate(lines) if '"id": "jammed"' in s)
    line = next(i for i in range(at, 0, -1) if lines[i].strip() == "{") + 1  # the figure's own "{" line
    name = "data/briefings/2030-01-01-no-measure.yaml"
    first = [e for e in result.stderr.splitlines() if e.startswith(name)][0]
    assert first.startswith(f"{name}:{line}:"), result.stderr
    assert first.endswith(
        "strike.attack[2].measure: a figure of attack needs a measure (expected one of launched, intercepted,"
        " suppressed, hit, destroyed, damaged, lost, used)"
    ), first
