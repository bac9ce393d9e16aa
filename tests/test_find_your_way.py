"""Finding one's way in a growing archive: sidebar, earlier/later briefings, indexes, counts, search, print line.

Every expectation comes from the data (conftest.briefings_latest_first), never from the bundled
set as it happens to be today.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import pytest

from briefings import plan
from briefings.cli import main
from briefings.display import format_date, format_when
from briefings.relations import relate
from briefings.views import pages_of
from briefings.vocabulary import Status
from conftest import SEED, SEED_SLUG, briefings_latest_first, content, page

SITE_URL = "https://briefings.example.org/"


def text_of(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def counted(n: int, noun: str) -> str:
    """What a reader expects to read: `1 event`, `2 events`."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def page_url(slug: str, file: str) -> str:
    """A briefing page's URL path: x/index.md -> briefings/x/, x/strike.md -> briefings/x/strike/."""
    return f"briefings/{slug}/" + ("" if file == "index.md" else file.removesuffix(".md") + "/")


def sidebar_groups(soup) -> dict[str, list[tuple[str, str]]]:
    """The primary sidebar's groups: title -> [(link text, href)] (the current page's href is "./")."""
    groups = {}
    for item in soup.select("nav.md-nav--primary > ul > li.md-nav__item--nested"):
        title = text_of(item.select_one(":scope > label.md-nav__link"))
        links = item.select(":scope > nav > ul > li > a.md-nav__link")
        groups[title] = [(text_of(a), a["href"]) for a in links]
    return groups


# --------------------------------------------------------------------------- sidebar


@pytest.mark.slow
def test_sidebar_lists_the_sections_of_the_briefing_being_read(built_site):
    """On every page of every briefing, the sidebar links that briefing's pages, never another's."""
    latest = briefings_latest_first()[0]
    for b in briefings_latest_first():
        links = pages_of(b)
        for current in links:
            soup = page(built_site, page_url(b.slug, current.file))
            groups = sidebar_groups(soup)
            assert "Latest briefing" not in groups, (b.slug, current.file)
            here = Path(page_url(b.slug, current.file))
            expected = [
                (link.title, "./" if link is current else _relative(Path(page_url(b.slug, link.file)), here))
                for link in links
            ]
            assert groups["This briefing"] == expected, (b.slug, current.file)
            active = soup.select("nav.md-nav--primary a.md-nav__link--active")
            assert [text_of(a) for a in active] == [current.title], (b.slug, current.file)
            # Constant size: one briefing's pages and the fixed groups (not counting the page's contents).
            own = soup.select("nav.md-nav--primary a.md-nav__link")
            assert len([a for a in own if not a.find_parent("nav", class_="md-nav--secondary")]) < 30
    # Elsewhere in the nav the sidebar offers the latest briefing.
    groups = sidebar_groups(page(built_site, "archive"))
    assert "This briefing" not in groups
    assert [href for _, href in groups["Latest briefing"]] == [
        _relative(Path(page_url(latest.slug, link.file)), Path("archive/")) for link in pages_of(latest)
    ]
    # A listing page outside the nav (entity, tag, archive year, timeline year) lists the ways to browse
    # and the method, never the latest briefing: a new briefing is no change of thousands of such pages.
    listings = [
        p.parent
        for kind in ("entities/*/*", "tags/*", "archive/*", "timeline/*")
        for p in built_site.glob(f"{kind}/index.html")
    ]
    assert {p.relative_to(built_site).parts[0] for p in listings} == {"entities", "tags", "archive", "timeline"}
    for folder in listings:
        groups = sidebar_groups(page(built_site, folder.relative_to(built_site).as_posix()))
        assert list(groups) == ["Browse", "How we work"], folder


def _relative(target: Path, here: Path) -> str:
    """The relative href MkDocs writes from directory URL `here` to directory URL `target`."""
    import posixpath

    return posixpath.relpath(target.as_posix(), here.as_posix()) + "/"


# --------------------------------------------------------------------------- earlier / later briefing


@pytest.mark.slow
def test_every_briefing_page_links_the_earlier_and_later_briefing(built_site):
    """Not only the overview: every section and the sources lead to the neighbouring briefings too."""
    oldest_first = briefings_latest_first()[::-1]
    assert len(oldest_first) > 1  # else there is nothing to link
    for i, b in enumerate(oldest_first):
        neighbours = []
        if i:
            neighbours.append((oldest_first[i - 1].slug, f"← Earlier: {oldest_first[i - 1].title}"))
        if i + 1 < len(oldest_first):
            neighbours.append((oldest_first[i + 1].slug, f"Later: {oldest_first[i + 1].title} →"))
        for link in pages_of(b):
            up = "../" if link.file == "index.md" else "../../"  # section pages are one folder deeper
            pager = content(page(built_site, page_url(b.slug, link.file))).select_one("nav.bf-pager--briefings")
            assert pager is not None, (b.slug, link.file)
            got = [(a["href"], text_of(a)) for a in pager.select("a")]
            assert got == [(f"{up}{slug}/", text) for slug, text in neighbours], (b.slug, link.file)


# --------------------------------------------------------------------------- indexes


def by_year(items, year_of):
    out: dict[int, list] = {}
    for item in items:
        out.setdefault(year_of(item), []).append(item)
    return dict(sorted(out.items(), reverse=True))


def check_archive_index(site: Path, latest: int, root: Path | None = None) -> None:
    years = by_year(briefings_latest_first(*([root] if root else [])), lambda b: b.published.year)
    art = content(page(site, "archive"))
    assert [text_of(h).removesuffix(" ¶") for h in art.select("h2")] == [str(y) for y in years]
    for year, items in years.items():
        heading = art.find(id=f"year-{year}")
        count = heading.find_next_sibling("p")
        shown = f", the latest {latest} below" if len(items) > latest else ""
        assert text_of(count) == f"{counted(len(items), 'briefing')}{shown} · All of {year}, by month", year
        assert count.a["href"] == f"{year}/"
        listed = heading.find_next_sibling("ul").select("li")
        want = [(b.title, f"../briefings/{b.slug}/", b.published.isoformat()) for b in items[:latest]]
        assert [(text_of(li.a), li.a["href"], li.time["datetime"]) for li in listed] == want, year
        assert [" ".join(li.get_text().split()) for li in listed] == [
            f"{b.title}, {format_date(b.published)}" for b in items[:latest]
        ]


def timeline_by_year(root: Path | None = None):
    from briefings.dataset import load_dataset
    from conftest import ROOT

    rel = relate(load_dataset((root or ROOT) / "data", root or ROOT))
    return rel.timeline_years()


def check_timeline_index(site: Path, latest: int, root: Path | None = None) -> None:
    years = timeline_by_year(root)
    art = content(page(site, "timeline"))
    assert [text_of(h).removesuffix(" ¶") for h in art.select("h2")] == [str(y) for y in years]
    for year, entries in years.items():
        heading = art.find(id=f"year-{year}")
        count = heading.find_next_sibling("p")
        shown = f", the latest {latest} below" if len(entries) > latest else ""
        assert text_of(count) == f"{counted(len(entries), 'event')}{shown} · All of {year}", year
        assert count.a["href"] == f"{year}/"
        events = []
        for sibling in count.find_next_siblings():
            if sibling.name == "h2":
                break
            if "bf-event" in sibling.get("class", []):
                events.append(sibling)
        want = []
        for entry in entries[:latest]:
            e, b = entry.event, entry.briefing
            href = f"../briefings/{b.slug}/{e.section.value}/" + (f"#{e.anchor}" if e.anchor else "")
            want.append((format_when(e.when), e.text, href, b.title))
        got = [
            (
                text_of(ev.time),
                text_of(ev.select_one("p > a")),
                ev.select_one("p > a")["href"],
                text_of(ev.select_one(".bf-event__briefing a")),
            )
            for ev in events
        ]
        assert got == want, year


@pytest.mark.slow
def test_archive_index_lists_each_years_latest_briefings(built_site):
    check_archive_index(built_site, getattr(plan, "INDEX_LATEST", 10))


@pytest.mark.slow
def test_timeline_index_lists_each_years_latest_events(built_site):
    check_timeline_index(built_site, getattr(plan, "INDEX_LATEST", 10))


@pytest.mark.slow
def test_indexes_stay_bounded_as_a_year_fills(project, tmp_path, monkeypatch):
    """A year with more briefings and events than an index shows: the latest few and a link to the year."""
    newest = briefings_latest_first(project)[0].published
    text = SEED.read_text(encoding="utf-8")
    for n in (1, 2):  # two more briefings in the newest briefing's year, its timeline events with them
        day = newest - dt.timedelta(days=n)
        if day.year != newest.year:
            day = newest
        copy = text.replace(f"\nslug: {SEED_SLUG}\n", f"\nslug: {day.isoformat()}-copy-{n}\n", 1)
        copy = copy.replace("\npublished: 2025-07-01\n", f"\npublished: {day.isoformat()}\n", 1)
        (project / "data" / "briefings" / f"copy-{n}.yaml").write_text(copy, encoding="utf-8")
    monkeypatch.setattr(plan, "INDEX_LATEST", 2, raising=False)
    site = tmp_path / "site"
    assert main(["--project", str(project), "build", "--site-dir", str(site)]) == 0
    in_year = [b for b in briefings_latest_first(project) if b.published.year == newest.year]
    assert len(in_year) > 2
    check_archive_index(site, 2, project)
    assert max(len(e) for e in timeline_by_year(project).values()) > 2
    check_timeline_index(site, 2, project)


# --------------------------------------------------------------------------- counts


def test_counted_agrees_in_number():
    from briefings.display import counted

    assert [counted(n, "event") for n in (0, 1, 2, 1000)] == ["0 events", "1 event", "2 events", "1,000 events"]
    assert counted(1, "person", "people") == "1 person" and counted(3, "person", "people") == "3 people"


COUNT_NOUNS = ("briefing", "event", "side", "claim", "source", "page")


@pytest.mark.slow
def test_no_page_says_one_of_a_plural(built_site):
    """'1 events', '1 briefings': a count of one never takes a plural noun, anywhere on the site."""
    bad = re.compile(r"(?<![\d,.])1 (?:" + "|".join(f"{n}s" for n in COUNT_NOUNS) + r")\b")
    found = []
    for path in sorted(built_site.rglob("*.html")):
        text = (
            text_of(content(page(built_site, path.relative_to(built_site).as_posix())))
            if path.name != "404.html"
            else ""
        )
        found += [f"{path.relative_to(built_site)}: {m.group(0)}" for m in bad.finditer(text)]
    assert found == []


# --------------------------------------------------------------------------- search


def search_entries(site: Path) -> list[dict]:
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


@pytest.mark.slow
def test_search_titles_name_the_briefing(built_site):
    """Each briefing page's search entry is titled as its <title>: `The strike · <briefing title>`."""
    entries = {e["location"]: e for e in search_entries(built_site)}
    titles = []
    for b in briefings_latest_first():
        for link in pages_of(b):
            want = b.title if link.file == "index.md" else f"{link.title} · {b.title}"
            title = entries[page_url(b.slug, link.file)]["title"]
            assert html.unescape(title) == want
            titles.append(title)
    assert len(titles) == len(set(titles))  # no two results look alike


@pytest.mark.slow
def test_search_text_holds_no_badge_explanations_or_navigation(built_site):
    explanations = [status.meaning for status in Status]
    entries = {e["location"]: e for e in search_entries(built_site)}
    for entry in search_entries(built_site):
        if not entry["location"].startswith("briefings/"):
            continue
        text = html.unescape(entry["text"])
        assert not [x for x in explanations if x in text], entry["location"]
        assert "Overview · " not in text and "← Earlier:" not in text and "Later: " not in text, entry["location"]
    # A section page's snippet starts with its own text, not the briefing title its result is titled with.
    for b in briefings_latest_first():
        for link in pages_of(b)[1:]:
            text = html.unescape(entries[page_url(b.slug, link.file)]["text"])
            assert not text.startswith(f"<p>{b.title}"), (b.slug, link.file)
    # The badges are still there for readers (and screen readers) on the page itself.
    b = briefings_latest_first()[0]
    explain = content(page(built_site, page_url(b.slug, "index.md"))).select(".bf-badge__explain")
    assert explain and all(text_of(x).removeprefix(": ") in explanations for x in explain)


# --------------------------------------------------------------------------- print line


@pytest.mark.slow
def test_printed_pages_say_where_they_come_from(built_site):
    """A print-only line: the page's address and, on briefing pages, when the briefing was last updated."""
    for b in briefings_latest_first():
        for link in pages_of(b):
            rel = page_url(b.slug, link.file)
            line = page(built_site, rel).select_one("article .bf-print-line")
            want = f"Printed from {SITE_URL}{rel} · briefing updated {format_date(b.updated)}"
            assert text_of(line) == want, rel
    for rel in ("", "archive/", "timeline/"):
        assert text_of(page(built_site, rel).select_one("article .bf-print-line")) == f"Printed from {SITE_URL}{rel}"
