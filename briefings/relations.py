"""Relations across briefings: entity mentions, tags, merged timeline, disputes, date order, lineage, changes.

Pure functions of the validated Dataset; the render stage turns them into pages.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

from .changes import Changes, section_items, what_changed
from .dataset import Dataset, items_in
from .integrity import anchored, walk_refs
from .lineage import LineageIndex, lineage_index
from .model import Attributed, Briefing, Claim, Dispute, EntityRecord, Event, Figure, Source, Speaker
from .traverse import walk_models
from .vocabulary import ENTITY_KINDS, Section

_KINDS = {k.kind for k in ENTITY_KINDS}


@dataclass(frozen=True)
class Mention:
    """A claim, figure, quote or statement of a briefing that is about an entity, or that it is the source of."""

    briefing: Briefing
    page: str  # file of the briefing page that shows it: index.md for takeaways, else the section's
    anchor: str | None  # its id on that page, if it has one
    text: str
    said: bool  # True: the entity is its source, not (only) its subject


@dataclass
class EntityPage:
    """Everything an entity's page lists."""

    kind: str
    record: EntityRecord
    briefings: list[Briefing] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)

    # briefing slug -> where its mentions start in `mentions`, and those mentions
    _by_briefing: dict[str, tuple[int, tuple[Mention, ...]]] = field(default_factory=dict, repr=False, compare=False)

    def add(self, briefing: Briefing, mentions: tuple[Mention, ...]) -> None:
        """A briefing that references the record, with what it says about it or that it says (page order)."""
        self.briefings.append(briefing)
        if mentions:
            self._by_briefing[briefing.slug] = (len(self.mentions), mentions)
            self.mentions += mentions

    def mentions_in(self, slugs: frozenset[str]) -> list[Mention]:
        """The mentions by the briefings with these slugs, in the order of `mentions`.

        A lookup per briefing shown: a record's page shows some of its briefings, and scanning
        every mention for each of its pages would grow with the square of the archive.
        """
        found = sorted(self._by_briefing[slug] for slug in slugs if slug in self._by_briefing)
        return [m for _, mentions in found for m in mentions]


@dataclass(frozen=True)
class TimelineEntry:
    """An event of some briefing, for the merged timeline."""

    briefing: Briefing
    event: Event


@dataclass(frozen=True)
class DisputeSideView:
    """One side of a dispute, resolved to its briefing and its claims or figures (with their sections)."""

    briefing: Briefing
    party: str | None
    items: tuple[Claim | Figure, ...]
    sections: tuple[Section, ...]


def _refs(briefing: Briefing) -> set[tuple[str, str]]:
    """(kind, id) of every entity the briefing references by id."""
    return {(kind, ident) for _, kind, ident in walk_refs(briefing, ()) if kind in _KINDS}


def _items(briefing: Briefing) -> list[tuple[Section, Any]]:
    """Every anchored claim, figure, quote, statement and development with its section."""
    items = []
    for loc, _ident, section in anchored(briefing):
        node: Any = briefing
        for part in loc[:-1]:
            node = node[part] if isinstance(part, int) else getattr(node, part)
        items.append((section, node))
    return items


def _attributed(briefing: Briefing) -> Iterator[tuple[str, Attributed]]:
    """Every claim, figure, quote and statement with the file of the page showing it (ids or not)."""
    parts = [("index.md", briefing.takeaways)]
    parts += [(f"{section.value}.md", getattr(briefing, section.name)) for section in briefing.sections]
    for page_file, part in parts:
        for _, item in walk_models(part, (), Attributed):
            if not isinstance(item, Event):
                yield page_file, item


def _about(item: Attributed) -> set[tuple[str, str]]:
    """The entities an item names in its `about` field."""
    about = item.__dict__.get("about")  # plain dict: not every anchored item is attributed
    if about is None:
        return set()
    return {(k.kind, ident) for k in ENTITY_KINDS for ident in getattr(about, k.plural)}


def _label(item: Attributed) -> str:
    for name in ("text", "label", "title"):
        value = item.__dict__.get(name)
        if value:
            return str(value)
    return str(item.__dict__.get("id", ""))


def _cited_entities(briefing: Briefing, item: Attributed) -> set[tuple[str, str]]:
    """People and organisations who say an item: its speaker, and the authors of the sources it cites."""
    by_id = {s.id: s for s in briefing.sources}
    out = set()
    speakers: list[Source | Speaker] = [by_id[sid] for sid in item.sources]
    if item.speaker is not None:
        speakers.append(item.speaker)
    for who in speakers:
        if who.person:
            out.add(("person", who.person))
        if who.organisation:
            out.add(("organisation", who.organisation))
    return out


def _mentions(briefing: Briefing) -> dict[tuple[str, str], tuple[Mention, ...]]:
    """(kind, id) of every entity the briefing's items are about or said by -> those items, in page order.

    An item is about an entity when its `about` names it or one of its sources is that person
    or organisation; text is never matched against names.
    """
    mentioned: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for page_file, item in _attributed(briefing):
        about, cited = _about(item), _cited_entities(briefing, item)
        for key in sorted(about | cited):
            said = key in cited and key not in about
            ident = item.__dict__.get("id")
            mentioned[key].append(Mention(briefing, page_file, ident, _label(item), said))
    return {key: tuple(found) for key, found in mentioned.items()}


@dataclass
class Relations:
    """All cross-briefing relations of a dataset."""

    entities: dict[tuple[str, str], EntityPage]
    tags: dict[str, list[Briefing]]
    timeline: list[TimelineEntry]
    disputes_of: dict[str, list[Dispute]]
    disputed_items: dict[tuple[str, str], list[str]]  # (slug, anchor) -> ids of the disputes it is a side of
    sides: dict[str, list[DisputeSideView]]
    by_date: list[Briefing]  # oldest first
    lineage: LineageIndex = field(default_factory=LineageIndex)
    changes: dict[str, Changes] = field(default_factory=dict)  # slug -> what changed since its previous briefing

    def neighbours(self, slug: str) -> tuple[Briefing | None, Briefing | None]:
        """The briefings published just before and just after this one."""
        i = self._position[slug]
        return (self.by_date[i - 1] if i else None, self.by_date[i + 1] if i + 1 < len(self.by_date) else None)

    @cached_property
    def _position(self) -> dict[str, int]:
        """Each briefing's place in by_date (a lookup per page, not a scan of the archive)."""
        return {b.slug: i for i, b in enumerate(self.by_date)}

    def years(self) -> dict[int, dict[int, list[Briefing]]]:
        """Briefings by year and month, latest first."""
        out: dict[int, dict[int, list[Briefing]]] = defaultdict(lambda: defaultdict(list))
        for b in reversed(self.by_date):
            out[b.published.year][b.published.month].append(b)
        return {y: dict(m) for y, m in out.items()}

    def timeline_years(self) -> dict[int, list[TimelineEntry]]:
        """Merged timeline entries grouped by the year they start in, latest year first."""
        out: dict[int, list[TimelineEntry]] = defaultdict(list)
        for entry in self.timeline:
            out[entry.event.when.bounds()[0].year].append(entry)
        return dict(sorted(out.items(), reverse=True))


def relate(dataset: Dataset) -> Relations:
    """Compute every relation the cross-briefing pages need."""
    records = {key: EntityPage(key[0], record) for key, record in dataset.entities.by_key.items()}
    by_date = sorted(dataset.briefings, key=lambda b: (b.published, b.slug))
    tags: dict[str, list[Briefing]] = defaultdict(list)
    timeline: list[TimelineEntry] = []
    derived = dataset.derived  # what is derived from one briefing alone, kept while the briefing is unchanged
    for briefing in reversed(by_date):
        referenced = derived.of("entity refs", (briefing,), partial(_refs, briefing))
        mentioned = derived.of("mentions", (briefing,), partial(_mentions, briefing))
        for key in referenced | mentioned.keys():
            page = records.get(key)
            if page is not None:
                page.add(briefing, mentioned.get(key, ()))
        for tag in briefing.tags:
            tags[tag].append(briefing)
        timeline += [TimelineEntry(briefing, event) for event in briefing.timeline]
    timeline.sort(key=lambda e: (e.event.when.bounds(), e.briefing.published, e.briefing.slug), reverse=True)

    slugs = {b.slug: b for b in dataset.briefings}
    disputes_of: dict[str, list[Dispute]] = defaultdict(list)
    disputed: dict[tuple[str, str], list[str]] = defaultdict(list)
    sides: dict[str, list[DisputeSideView]] = {}
    for dispute in dataset.disputes:
        views = []
        for side in dispute.sides:
            briefing = slugs[side.briefing]
            # Per briefing object, not per side: a briefing on many disputes' sides is walked once.
            items = derived.of("anchored items", (briefing,), partial(_items, briefing))
            by_id = {i.id: (s, i) for s, i in items}
            found = [by_id[ident] for ident in side.items]
            views.append(DisputeSideView(briefing, side.party, tuple(i for _, i in found), tuple(s for s, _ in found)))
            for ident in side.items:
                if dispute.id not in disputed[(briefing.slug, ident)]:
                    disputed[(briefing.slug, ident)].append(dispute.id)
            if dispute not in disputes_of[briefing.slug]:
                disputes_of[briefing.slug].append(dispute)
        sides[dispute.id] = views
    index = lineage_index(by_date, items_in(derived))
    disputes = list(dataset.disputes)
    changes = {
        b.slug: what_changed(
            b, by_date, disputes, index, slugs, derived.of("section items", (b,), partial(section_items, b))
        )
        for b in by_date
    }
    return Relations(
        records, dict(sorted(tags.items())), timeline, dict(disputes_of), dict(disputed), sides, by_date, index, changes
    )


def latest_date(dataset: Dataset) -> dt.date:
    """The newest publication or correction date: the site's own 'last updated'."""
    return max((b.updated for b in dataset.briefings), default=dt.date(1970, 1, 1))
