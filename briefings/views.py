"""What templates read about a briefing, prepared in Python: its pages, and a view of one briefing."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, Literal, NamedTuple, TypeVar

from markupsafe import Markup

from .changes import Changes
from .display import figure_value, unit_words
from .integrity import anchored, figures
from .lineage import Node, Step
from .locator import LocatorMap, Region, RingSpec, Spot, locator_map
from .model import (
    Attributed,
    Briefing,
    Claim,
    Dispute,
    Entities,
    EntityRecord,
    Event,
    Facility,
    Figure,
    Source,
    Speaker,
    Target,
)
from .relations import Relations
from .routes import PageLinks, anchor, home
from .scalars import INDEX_PAGE
from .traverse import walk_models
from .vocabulary import DISTANCE_UNIT, CombinedGrade, Relation, Section, combined


@dataclass(frozen=True)
class SectionLink:
    """A page of a briefing, for its in-briefing navigation."""

    key: str
    title: str
    file: str


BRIEFING_PAGES: tuple[SectionLink, ...] = (
    SectionLink("overview", "Overview", f"{INDEX_PAGE}.md"),
    *(SectionLink(s.value, s.label, f"{s.value}.md") for s in Section),
    SectionLink("sources", "Sources", "sources.md"),
)
TEMPLATE_FOR = {link.key: f"{link.key}.md.j2" for link in BRIEFING_PAGES}


def pages_of(briefing: Briefing) -> tuple[SectionLink, ...]:
    """The pages a briefing has: the overview, the sections it holds, the sources."""
    present = {s.value for s in briefing.sections}
    return tuple(link for link in BRIEFING_PAGES if link.key in ("overview", "sources") or link.key in present)


HISTORY_SHOWN = 6  # steps of a claim's history on its page: the first report and the latest ones
UPDATES_SHOWN = 5  # later restatements, revisions or contradictions listed under a claim: the latest ones


T = TypeVar("T")


@dataclass(frozen=True)
class Shown(Generic[T]):
    """Part of a list a page shows, and how many it leaves out."""

    items: list[T]
    omitted: int
    after_first: bool = False  # the omitted ones lie between the first item and the rest

    def __bool__(self) -> bool:
        return bool(self.items)


class Linked(NamedTuple):
    """An item of some briefing, with a link to it from the page being rendered."""

    item: Claim | Figure
    briefing: Briefing
    link: str


@dataclass
class BriefingView:
    """What templates need about one briefing, prepared in Python."""

    briefing: Briefing
    entities: Entities
    relations: Relations | None = None
    to: PageLinks = field(default_factory=lambda: PageLinks(home()))  # links from the page being rendered
    region: Region | None = None  # boundary data for the locator map
    sources: dict[str, Source] = field(init=False)
    source_numbers: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.sources = {s.id: s for s in self.briefing.sources}
        # References are numbered by the source's place in the briefing's list, as on its sources page.
        self.source_numbers = {s.id: i for i, s in enumerate(self.briefing.sources, 1)}

    @property
    def pages(self) -> tuple[SectionLink, ...]:
        """The pages of this briefing, in reading order."""
        return pages_of(self.briefing)

    @property
    def key_figures(self) -> list[Figure]:
        """The figures of the at-a-glance strip, each number once.

        The lead section's figures (the strike's toll, losses, distances, weapons and launches; the front
        lines' figures when there is no strike) and the negotiation rounds, less every figure a takeaway
        already states (Claim.figures): the takeaways carry those with their attribution, in prose.
        """
        b = self.briefing
        figures: list[Figure] = []
        if b.strike:
            s = b.strike
            figures += [*s.casualties, *s.losses, *s.distances, *s.weapons]
            figures += [f for f in s.attack if f.measure is not None and f.measure.value == "launched"]
        elif b.front_lines:
            figures += [f for d in b.front_lines.developments for f in d.figures]
        if b.diplomacy:
            figures += [f for n in b.diplomacy.negotiations for f in ([n.rounds] if n.rounds else []) + n.figures]
        stated = {ident for c in b.takeaways for ident in c.figures}
        return [f for f in figures if f.id not in stated]

    def in_order(self, source_ids: list[str]) -> list[str]:
        """Cited sources by their reference number: [1][6], never [6][1]."""
        return sorted(source_ids, key=self.source_numbers.__getitem__)

    def number(self, source_id: str) -> str:
        """The reference number of a source: its place in the briefing's list."""
        return str(self.source_numbers[source_id])

    def source_url(self, ids: list[str]) -> str | None:
        """The URL of the first cited source that has one (a quote's blockquote cite)."""
        return next((self.sources[i].url for i in ids if self.sources[i].url), None)

    def misspelled(self, speaker: Speaker) -> bool:
        """Whether a speaker's name as published is a misspelling the person record lists."""
        if speaker.person is None or speaker.as_published is None:
            return False
        return speaker.as_published in self.entities.record("person", speaker.person).misspellings

    @property
    def timeline(self) -> list[Event]:
        """Events in date order."""
        return sorted(self.briefing.timeline, key=lambda e: e.when.bounds())

    def entity(self, kind: str, ident: str) -> EntityRecord:
        """The shared record for an id."""
        return self.entities.record(kind, ident)

    def target_name(self, target: Target) -> str:
        """How a target is named: its description, else its facility's or place's name."""
        if target.description:
            return str(target.description)
        if target.facility:
            return str(self.entities.record("facility", target.facility).name)
        assert target.place is not None  # a target names a facility, a place or a description
        return str(self.entities.record("place", target.place).name)

    def unit(self, fig: Figure) -> str:
        """The unit word of a figure: "drone" or "drones"."""
        return unit_words(fig, self.entities.unit_words(fig.unit))

    def is_distance(self, fig: Figure) -> bool:
        """Whether a figure is a distance (shown with miles)."""
        return fig.unit == DISTANCE_UNIT

    @cached_property
    def _pages_of_items(self) -> dict[str, str]:
        """Anchor id -> the page (file name) holding it: walked once per view, not per link."""
        return {i: f"{section.value}.md" for _, i, section in anchored(self.briefing)}

    def section_of(self, ident: str) -> str:
        """The page (file name) holding the item with this anchor id."""
        return self._pages_of_items[ident]

    # The links below are built from validated ids only (each passed through anchor()).

    def parts(self, fig: Figure) -> list[tuple[Figure, str]]:
        """The figures a derived figure sums, each with a link to it."""
        by_id = {f.id: f for _, f in figures(self.briefing)}
        return [(by_id[p], Markup(f"{self.section_of(p)}#{anchor(p)}")) for p in fig.sum_of]

    def disputed(self, ident: str | None) -> list[str]:
        """Links to the disputes a claim or figure is a side of (on the page holding the item)."""
        if ident is None or self.relations is None:
            return []
        disputes = self.relations.disputed_items.get((self.briefing.slug, ident), [])
        return [self.to.briefing(self.briefing.slug, self.section_of(ident), f"dispute-{d}") for d in disputes]

    # Grades and lineage. Links are built from validated slugs and ids only.

    def grade(self, item: Attributed) -> CombinedGrade:
        """The compact grade of an item: its weakest cited source's reliability and its credibility ("C2")."""
        cited = [self.sources[i] for i in item.sources]
        grades = [s.reliability.grade if s.reliability else None for s in cited]
        return combined(grades, item.credibility, [s.name for s in cited])

    @cached_property
    def graded(self) -> bool:
        """Whether anything in this briefing carries a grade (the pages then show the legend)."""
        return any(s.reliability for s in self.briefing.sources) or any(
            self.grade(item).code for _, item in walk_models(self.briefing, (), Attributed)
        )

    def node_link(self, node: Node) -> str:
        """Link to a lineage item from this briefing's pages."""
        return self.to.briefing(node.briefing.slug, node.page, str(node.item.id))

    def history(self, item: Attributed) -> Shown[tuple[Step, str]]:
        """The claim's earlier reports, oldest first, ending with the item itself, each with a link.

        A long history shows its first report and its latest steps (HISTORY_SHOWN in all),
        with how many lie between: a page's size must not grow with the archive.
        """
        ident = _id_of(item)
        if self.relations is None or ident is None or not getattr(item, "lineage", None):
            return Shown([], 0)
        steps = [
            (step, self.node_link(step.node)) for step in self.relations.lineage.history(self.briefing.slug, ident)
        ]
        if len(steps) <= HISTORY_SHOWN:
            return Shown(steps, 0)
        return Shown([steps[0], *steps[-(HISTORY_SHOWN - 1) :]], len(steps) - HISTORY_SHOWN, after_first=True)

    def updates(self, item: Attributed) -> Shown[tuple[Step, str]]:
        """Later items that restate, confirm or revise this one, oldest first, with links; the latest few if many."""
        ident = _id_of(item)
        if self.relations is None or ident is None:
            return Shown([], 0)
        steps = [
            (step, self.node_link(step.node)) for step in self.relations.lineage.updates(self.briefing.slug, ident)
        ]
        return Shown(steps[-UPDATES_SHOWN:], max(0, len(steps) - UPDATES_SHOWN))

    def contradicts(self, item: Attributed) -> list[tuple[Node, str]]:
        """The earlier items this one contradicts, with links."""
        ident = _id_of(item)
        if self.relations is None or ident is None:
            return []
        return [(n, self.node_link(n)) for n in self.relations.lineage.contradicts(self.briefing.slug, ident)]

    def contradicted_by(self, item: Attributed) -> Shown[tuple[Node, str]]:
        """The later items that contradict this one, with links; the latest few if many."""
        ident = _id_of(item)
        if self.relations is None or ident is None:
            return Shown([], 0)
        found = [(n, self.node_link(n)) for n in self.relations.lineage.contradicted_by(self.briefing.slug, ident)]
        return Shown(found[-UPDATES_SHOWN:], max(0, len(found) - UPDATES_SHOWN))

    def revision(self, fig: Figure) -> Linked | None:
        """For a figure that revises a figure: the earlier figure, its briefing and a link to it."""
        if self.relations is None:
            return None
        for relation, node in self.relations.lineage.earlier.get((self.briefing.slug, fig.id), []):
            if relation is Relation.revises and isinstance(node.item, Figure):
                return Linked(node.item, node.briefing, self.node_link(node))
        return None

    @property
    def changes(self) -> Changes | None:
        """What changed since the previous briefing."""
        return self.relations.changes.get(self.briefing.slug) if self.relations else None

    def dispute_href(self, dispute: Dispute) -> str:
        """Where a dispute is shown: in this briefing if it holds a side, else in its first side's briefing."""
        assert self.relations is not None
        sides = self.relations.sides[dispute.id]
        if any(s.briefing.slug == self.briefing.slug for s in sides):
            return self.dispute_link(dispute)
        first = sides[0]
        return self.to.briefing(first.briefing.slug, f"{first.sections[0].value}.md", f"dispute-{dispute.id}")

    def settlement(self, dispute: Dispute) -> Linked | None:
        """The item that settles a dispute, its briefing and a link to it; None while it is open."""
        if self.relations is None or dispute.settled_by is None:
            return None
        node = self.relations.lineage.nodes[(dispute.settled_by.briefing, dispute.settled_by.claim)]
        return Linked(node.item, node.briefing, self.node_link(node))

    def dispute_link(self, dispute: Dispute) -> str:
        """Where this briefing shows a dispute: the page of its first side here."""
        side = next(s for s in self.relations.sides[dispute.id] if s.briefing.slug == self.briefing.slug)  # type: ignore[union-attr]
        return Markup(f"{side.sections[0].value}.md#dispute-{anchor(dispute.id)}")

    def disputes_in(self, section: str) -> list[tuple[Dispute, list[BriefingSide]]]:
        """Disputes with a side in this section of this briefing."""
        if self.relations is None:
            return []
        return [
            (d, sides)
            for d, sides in self.disputes
            if any(
                s.briefing.slug == self.briefing.slug and section in {x.value for x in s.sections}
                for s in self.relations.sides[d.id]
            )
        ]

    @property
    def disputes(self) -> list[tuple[Dispute, list[BriefingSide]]]:
        """Disputes this briefing holds a side of, each with its resolved sides."""
        if self.relations is None:
            return []
        out = []
        for dispute in self.relations.disputes_of.get(self.briefing.slug, []):
            sides = [
                BriefingSide(
                    BriefingView(side.briefing, self.entities, self.relations, self.to),
                    side.party,
                    side.items,
                )
                for side in self.relations.sides[dispute.id]
            ]
            out.append((dispute, sides))
        return out

    def country_of(self, place: str | None) -> str | None:
        """The name of the country a place lies in, following `within` up to a place of kind country."""
        places = self.entities.by_key
        seen: set[str] = set()
        while place is not None and place not in seen and ("place", place) in places:
            seen.add(place)
            record = self.entities.record("place", place)
            if record.kind == "country":
                return str(record.name)
            place = record.within
        return None

    def _point(self, kind: Literal["place", "facility"], ident: str) -> Spot | None:
        record = self.entities.record(kind, ident)
        coords = record.coordinates
        if coords is None and isinstance(record, Facility):
            coords = self.entities.record("place", record.place).coordinates
        where = self.country_of(record.place if isinstance(record, Facility) else ident)
        return None if coords is None else Spot(record.name, coords.lat, coords.lon, where)

    @property
    def strike_origin(self) -> list[str]:
        """The countries the strike is said to come from: those its `carried_out_by` claims are about."""
        strike = self.briefing.strike
        found: list[str] = []
        for claim in strike.carried_out_by if strike else []:
            about = claim.about
            refs = (
                [*about.places, *(self.entities.record("facility", f).place for f in about.facilities)] if about else []
            )
            found += [c for c in map(self.country_of, refs) if c and c not in found]
        return found

    @cached_property
    def locator(self) -> LocatorMap | None:
        """The strike's locator map: places and targets struck, the briefing's other places, distance rings,
        and the countries concerned."""
        strike = self.briefing.strike
        if self.region is None or strike is None:
            return None
        refs: list[tuple[Literal["place", "facility"], str]] = [("place", p) for p in strike.places]
        for t in strike.targets:
            refs += [("facility", t.facility)] if t.facility else []
            refs += [("place", t.place)] if t.place else []
        # One dot per position: a facility without coordinates of its own sits on its place's.
        at: dict[tuple[float, float], Spot] = {}
        for point in (self._point(k, i) for k, i in refs):
            if point is not None:
                at.setdefault((point.lat, point.lon), point)
        struck = list(at.values())
        if not struck:
            return None
        others = [p for p in (self._point("place", i) for i in self.briefing.places) if p and (p.lat, p.lon) not in at]
        rings = []
        for f in strike.distances:
            # A ring is drawn around what the distance is about, or around the one place struck.
            about = f.about
            centres: list[tuple[Literal["place", "facility"], str]] = (
                [("facility", i) for i in about.facilities] + [("place", i) for i in about.places] if about else []
            )
            centre = next((p for p in (self._point(k, i) for k, i in centres) if p), None)
            if centre is None and len(struck) == 1:
                centre = struck[0]
            if centre is not None:
                rings.append(RingSpec(f"{figure_value(f)} km", f.label, f.value, centre))
        return locator_map(self.region, struck, others, rings, self.strike_origin)

    @property
    def neighbours(self) -> tuple[Briefing | None, Briefing | None]:
        """Earlier and later briefings by publication date."""
        return self.relations.neighbours(self.briefing.slug) if self.relations else (None, None)


@dataclass(frozen=True)
class BriefingSide:
    """One side of a dispute as a template shows it: whose position, its items and a view to cite their sources."""

    view: BriefingView
    party: str | None
    items: tuple[Claim | Figure, ...]


def _id_of(item: Attributed) -> str | None:
    """The id of an item: figures, quotes and statements have one, a claim may, an event has none."""
    ident: str | None = getattr(item, "id", None)
    return ident
