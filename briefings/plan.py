"""The page plan: which pages the site has, each a declarative spec of its template, data and dependencies.

No page grows with the archive: listings are cut into pages of a fixed size (see paging.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from . import routes
from .changes import Changes, changes_json, summary_lines
from .dataset import Dataset
from .display import format_date
from .feeds import FEED_SIZE, SiteInfo, atom_feed, briefing_json, index_json, json_feed, page_metadata, robots_txt
from .locator import Region
from .model import Briefing
from .paging import paginate
from .reference import json_schemas, records
from .relations import EntityPage, Relations, TimelineEntry
from .routes import PageLinks
from .views import TEMPLATE_FOR, BriefingView, pages_of
from .vocabulary import ENTITY_KINDS

# Ten briefings to a listing page: a headline, its date and summary each (with what it says of the
# record on an entity's page), about four phone screens; a listing is full from its tenth briefing on,
# so its pages are the same size at ten briefings as at thousands.
HOME_LISTING = 9  # earlier briefings on the home page, below the latest: the ten latest; the archive has the rest
INDEX_LATEST = 10  # briefings (archive) and events (timeline) per year on an index page; the year page has all
# Page sizes of the paginated listings (see paging.py), so that no page grows with the archive.
BRIEFINGS_PER_PAGE = 10  # an entity's (with what they say of it), a tag's, an archive year's
EVENTS_PER_PAGE = 50  # a timeline year's
TAGS_PER_PAGE = 100  # the tags index
RECORDS_PER_PAGE = 100  # the listing of one kind of record
RECORDS_SHOWN = 50  # records of each kind on the entities index; the kind's listing has them all


def _change_slugs(changes: Changes) -> set[str]:
    """Briefings whose data a briefing's "what changed" shows: its previous one, the items it updates, the sides
    of the disputes it opens or settles."""
    slugs = {u.earlier.briefing.slug for u in changes.updates}
    slugs |= {
        s.briefing for d in (*changes.disputes_opened, *(d for d, _ in changes.disputes_settled)) for s in d.sides
    }
    return slugs | ({changes.previous.slug} if changes.previous else set())


def briefing_meta(briefing: Briefing, site: SiteInfo, src_uri: str, section: str | None) -> dict[str, Any]:
    """What the theme shows of a briefing page beyond its body: JSON-LD and OpenGraph, and the
    last-updated date for the printed page's "Printed from ... · briefing updated ..." line."""
    return {**page_metadata(briefing, site, src_uri, section), "updated": format_date(briefing.updated)}


@dataclass(frozen=True)
class PageSpec:
    """One page of the plan: where it goes, how it is made, and what it depends on.

    A page is made by a template with `context` (and the data file named in errors), or, for
    files that are not Markdown (JSON, feeds), by `text()`; `meta()` gives the theme its metadata.
    Both are called only when the page is not reused.
    """

    src_uri: str
    title: str
    depends: frozenset[str] | None  # slugs whose data it shows; None: every briefing
    template: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    text: Callable[[], str] | None = None
    briefing: str | None = None
    meta: Callable[[], dict[str, Any]] | None = None
    data_file: str | None = None
    inputs: tuple[int, ...] = ()  # what else it shows that an edit can change: its page number and count


_EVERY = None  # the page depends on every briefing


def _slugs(briefings: Iterable[Briefing]) -> frozenset[str]:
    return frozenset(b.slug for b in briefings)


T = TypeVar("T")


def _paged(
    first: str,
    template: str,
    title: str,
    items: list[T],
    size: int,
    slugs: Callable[[list[T]], frozenset[str] | None],
    context: Callable[[list[T]], dict[str, Any]],
    newest_last: bool = True,
    **fixed: object,
) -> list[PageSpec]:
    """The pages of one paginated listing, its entry page first: `context` of each page's items, and `fixed`."""
    specs = [
        PageSpec(
            paging.src_uri,
            paging.title(title),
            slugs(chunk),
            template,
            {"title": paging.title(title), "paging": paging, **fixed, **context(chunk)},
            inputs=(paging.number, paging.count),
        )
        for paging, chunk in paginate(first, items, size, newest_last)
    ]
    return sorted(specs, key=lambda s: s.src_uri != first)  # stable: the others keep their order


def _fixed_specs(dataset: Dataset, rel: Relations, site: SiteInfo) -> list[PageSpec]:
    """The home page, the statuses and the data format reference."""
    briefings = list(dataset.briefings)
    latest = BriefingView(briefings[0], dataset.entities, rel, PageLinks(routes.home())) if briefings else None
    home_context = {"latest": latest, "earlier": briefings[1 : HOME_LISTING + 1], "total": len(briefings)}
    return [
        PageSpec(routes.home(), site.name, _EVERY, "home.md.j2", {"title": site.name, **home_context}),
        PageSpec(
            routes.page("statuses"),
            "Verification statuses",
            frozenset(),
            "statuses.md.j2",
            {"title": "Verification statuses"},
        ),
        PageSpec(
            routes.page("reference"),
            "Data format reference",
            frozenset(),
            "reference.md.j2",
            {"title": "Data format reference", "records": records()},
        ),
    ]


def _archive_specs(rel: Relations) -> list[PageSpec]:
    """The archive index and each year's pages, by month."""
    years = rel.years()
    by_year = {year: [b for items in months.values() for b in items] for year, months in years.items()}
    specs = [
        PageSpec(
            routes.listing("archive"),
            "Archive",
            _EVERY,
            "archive.md.j2",
            {"title": "Archive", "years": by_year, "latest": INDEX_LATEST},
        )
    ]

    def months_of(chunk: list[Briefing]) -> dict[str, Any]:
        months: dict[int, list[Briefing]] = {}
        for b in chunk:
            months.setdefault(b.published.month, []).append(b)
        return {"months": months}

    for year, items in by_year.items():
        specs += _paged(
            routes.listing("archive", year),
            "archive-year.md.j2",
            f"Archive {year}",
            items,
            BRIEFINGS_PER_PAGE,
            _slugs,
            months_of,
            year=year,
        )
    return specs


def _timeline_specs(rel: Relations) -> list[PageSpec]:
    """The timeline index and each year's pages."""
    timeline_years = rel.timeline_years()
    specs = [
        PageSpec(
            routes.listing("timeline"),
            "Timeline",
            _EVERY,
            "timeline.md.j2",
            {"title": "Timeline", "years": timeline_years, "latest": INDEX_LATEST},
        )
    ]

    def slugs(chunk: list[TimelineEntry]) -> frozenset[str]:
        return frozenset(e.briefing.slug for e in chunk)

    for year, entries in timeline_years.items():
        specs += _paged(
            routes.listing("timeline", year),
            "timeline-year.md.j2",
            f"Timeline {year}",
            entries,
            EVENTS_PER_PAGE,
            slugs,
            lambda chunk: {"entries": chunk},
            year=year,
        )
    return specs


def _tag_specs(rel: Relations) -> list[PageSpec]:
    """The tags index, alphabetical, and each tag's pages."""
    tags = list(rel.tags.items())
    specs = _paged(
        routes.listing("tags"),
        "tags.md.j2",
        "Tags",
        tags,
        TAGS_PER_PAGE,
        lambda chunk: _EVERY,
        lambda chunk: {"tags": chunk},
        newest_last=False,
    )
    for tag, tagged in tags:
        specs += _paged(
            routes.listing("tags", tag),
            "tag.md.j2",
            f"Tag: {tag}",
            tagged,
            BRIEFINGS_PER_PAGE,
            _slugs,
            lambda chunk: {"briefings": chunk},
            tag=tag,
        )
    return specs


def _entity_specs(rel: Relations) -> list[PageSpec]:
    """The entities index, the listing of each kind of record that the index cannot hold, and each record's pages.

    A record's pages are cut by briefing: each lists some of the briefings that mention it and what
    those say about it, or that it says.
    """
    by_kind: dict[str, list[EntityPage]] = {k.kind: [] for k in ENTITY_KINDS}
    for (kind, _), entity in rel.entities.items():
        by_kind[kind].append(entity)
    title = "People, places and facilities"
    specs = [
        PageSpec(
            routes.listing("entities"),
            title,
            _EVERY,
            "entities.md.j2",
            {"title": title, "by_kind": by_kind, "shown": RECORDS_SHOWN},
        )
    ]
    for k in ENTITY_KINDS:
        if len(by_kind[k.kind]) > RECORDS_SHOWN:
            specs += _paged(
                routes.records(k.kind),
                "records.md.j2",
                k.label,
                by_kind[k.kind],
                RECORDS_PER_PAGE,
                lambda chunk: _EVERY,
                lambda chunk: {"records": chunk},
                newest_last=False,
                kind=k.kind,
                label=k.label,
            )

    def context(entity: EntityPage, chunk: list[Briefing]) -> dict[str, Any]:
        shown = _slugs(chunk)
        mentions = entity.mentions_in(shown)
        return {
            "entity": entity,
            "briefings": chunk,
            "about": [m for m in mentions if not m.said],
            "said": [m for m in mentions if m.said],
        }

    for (kind, ident), entity in rel.entities.items():
        specs += _paged(
            routes.entity(kind, ident),
            "entity.md.j2",
            entity.record.name,
            entity.briefings,
            BRIEFINGS_PER_PAGE,
            _slugs,
            partial(context, entity),
        )
    return specs


def briefing_specs(
    briefing: Briefing, dataset: Dataset, rel: Relations, site: SiteInfo, region: Region | None
) -> list[PageSpec]:
    """A briefing's pages (overview, sections, sources) and its JSON export."""
    view = BriefingView(briefing, dataset.entities, rel, PageLinks(routes.briefing(briefing.slug)), region=region)
    depends = frozenset(
        {
            briefing.slug,
            *(s.briefing.slug for d in rel.disputes_of.get(briefing.slug, []) for s in rel.sides[d.id]),
            *(b.slug for b in view.neighbours if b),
            *rel.lineage.linked_slugs(briefing.slug),
            *_change_slugs(rel.changes[briefing.slug]),
            *(d.settled_by.briefing for d in rel.disputes_of.get(briefing.slug, []) if d.settled_by),
        }
    )
    links = pages_of(briefing)
    specs = []
    for i, link in enumerate(links):
        src_uri = routes.briefing(briefing.slug, link.file)
        section = None if link.key == "overview" else link.title
        specs.append(
            PageSpec(
                src_uri,
                briefing.title if section is None else f"{section} · {briefing.title}",
                depends,
                TEMPLATE_FOR[link.key],
                {
                    "b": briefing,
                    "view": view,
                    "current": link,
                    "previous": links[i - 1] if i else None,
                    "next": links[i + 1] if i + 1 < len(links) else None,
                },
                briefing=briefing.slug,
                meta=partial(briefing_meta, briefing, site, src_uri, section),
                data_file=dataset.files.get(briefing.slug),
            )
        )

    def export() -> str:
        return briefing_json(briefing, changes_json(rel.changes[briefing.slug], dataset.entities))

    specs.append(PageSpec(routes.briefing_api(briefing.slug), briefing.slug, depends, text=export))
    return specs


def _output_specs(dataset: Dataset, rel: Relations, site: SiteInfo) -> list[PageSpec]:
    """The JSON index, the feeds, robots.txt and the JSON Schemas."""
    briefings = list(dataset.briefings)

    def summaries() -> dict[str, list[str]]:
        return {b.slug: summary_lines(rel.changes[b.slug], dataset.entities) for b in briefings[:FEED_SIZE]}

    return [
        PageSpec(routes.API_INDEX, "index", _EVERY, text=lambda: index_json(briefings, site)),
        PageSpec(routes.ATOM_FEED, "Atom feed", _EVERY, text=lambda: atom_feed(briefings, site, summaries())),
        PageSpec(routes.JSON_FEED, "JSON Feed", _EVERY, text=lambda: json_feed(briefings, site, summaries())),
        PageSpec("robots.txt", "robots.txt", frozenset(), text=lambda: robots_txt(site)),
        *(
            PageSpec(routes.schema(name), name, frozenset(), text=partial(str, text))
            for name, text in json_schemas().items()
        ),
    ]


def page_plan(dataset: Dataset, rel: Relations, site: SiteInfo, region: Region | None = None) -> list[PageSpec]:
    """Every page of the site, in the order they are written."""
    return [
        *_fixed_specs(dataset, rel, site),
        *_archive_specs(rel),
        *_timeline_specs(rel),
        *_tag_specs(rel),
        *_entity_specs(rel),
        *(spec for b in dataset.briefings for spec in briefing_specs(b, dataset, rel, site, region)),
        *_output_specs(dataset, rel, site),
    ]
