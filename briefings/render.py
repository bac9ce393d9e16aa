"""Jinja rendering: the escaping environment, display filters and the page plan.

Data text is untrusted. Every `{{ value }}` in a template passes through `finalize`,
which escapes it for Markdown *and* HTML at once by turning every character that
could start Markdown, HTML or an attribute list into a numeric character reference.
Only values marked trusted (Markup: macro output, validated ids and URLs) pass as
they are. Python prepares data; templates decide how it looks.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from . import routes
from .changes import Changes, changes_json, summary_lines
from .dataset import Dataset
from .errors import Problem, RenderError
from .feeds import FEED_SIZE, SiteInfo, atom_feed, briefing_json, index_json, json_feed, page_metadata, robots_txt
from .integrity import anchored, figures, walk_models
from .lineage import Node
from .locator import LocatorMap, Region, RingSpec, Spot, locator_map
from .model import Attributed, Briefing, Figure, When
from .paging import paginate
from .reference import json_schemas, records
from .relations import EntityPage, Relations, TimelineEntry, relate
from .routes import ENTITY_FOLDERS, PageLinks, anchor, home
from .scalars import ID_PATTERN, INDEX_PAGE
from .vocabulary import (
    CHANNEL_LABELS,
    CREDIBILITY_INFO,
    DISTANCE_UNIT,
    KM_PER_MILE,
    LIKELIHOOD_INFO,
    MEASURE_LABELS,
    QUALIFIER_WORDS,
    RELATION_INFO,
    RELIABILITY_INFO,
    SECTION_TITLES,
    SOURCE_KIND_LABELS,
    STATEMENT_STATUS_RULE,
    STATUS_DECISION_ORDER,
    STATUS_INFO,
    Channel,
    CombinedGrade,
    Credibility,
    Likelihood,
    Relation,
    Reliability,
    Section,
    SourceKind,
    Status,
    combined,
)

# Characters that can start Markdown, HTML, an attribute list, an entity or emoji
# syntax anywhere in a line. `-`, `.` and digits only matter at the start of a line,
# handled below, so ordinary prose keeps its hyphens and full stops.
_SPECIAL = set('\\`*_{}[]#|~^=<>&"')
_ENTITIES = {ord(ch): f"&#{ord(ch)};" for ch in _SPECIAL}
_LEADING = re.compile(r"^(\d+)([.)])|^([-.+])")
_ID_RE = re.compile(ID_PATTERN)
# Everything a Markdown parser or str.splitlines() could treat as a line break.
_BREAKS = re.compile(r"[ ]*[\r\n\t\f\v\x1c-\x1e\x85\u2028\u2029]+[ ]*")


def md_escape(value: object) -> str:
    """Escape any value so Markdown and HTML show it as literal text, on one line."""
    text = str(value)
    # A newline could end an HTML block or start a new Markdown block; HTML shows
    # any whitespace run as one space anyway, so the reader sees the same text.
    text = _BREAKS.sub(" ", text)
    out = text.translate(_ENTITIES)
    out = _LEADING.sub(lambda m: f"{m.group(1)}&#{ord(m.group(2))};" if m.group(1) else f"&#{ord(m.group(3))};", out)
    # Leading spaces would indent a code block; trailing ones would make a <br>.
    core = out.strip(" ")
    if core == out:
        return out
    start = out.index(core) if core else len(out)
    return "&#32;" * start + core + "&#32;" * (len(out) - start - len(core))


def for_theme(value: Any) -> Any:
    """Data bound for the theme (page head, header, OpenGraph, navigation), HTML-escaped once, here.

    MkDocs renders theme templates with autoescape off, so every string this returns is
    Markup holding the escaped text (every HTML, Markdown and template syntax character as
    a character reference, as `md_escape` writes the body): the theme prints it as it is,
    and `|e` leaves it alone.
    Lists, tuples and dicts are escaped item by item; Markup (e.g. script-safe JSON-LD) passes.
    """
    if hasattr(value, "__html__"):
        return value
    if isinstance(value, str):
        # Markdown and template syntax as character references too, as in the page body:
        # the raw-syntax scan (markup.RawSyntaxScan) then knows the header's text is data.
        return Markup(md_escape(value).replace("'", "&#39;"))
    if isinstance(value, dict):
        return {k: for_theme(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(for_theme(v) for v in value)
    return value


def _finalize(value: Any) -> Any:
    if hasattr(value, "__html__"):
        return value
    if value is None:
        raise ValueError("a template printed None; guard optional fields with {% if %}")
    return Markup(md_escape(value))


def _join(items: Iterable[Any], sep: str = "") -> Markup:
    return Markup(sep).join(_finalize(i) for i in items)


# --------------------------------------------------------------------------- display filters


def safe_url(value: str) -> Markup:
    """An http(s) URL, percent-encoded so it cannot break out of a Markdown link or attribute."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"refusing to link a non-http(s) URL: {value!r}")
    return Markup(quote(value, safe="/:?#&=;,+%@!$~.-_[]").replace("&", "&amp;"))


def number(value: float) -> str:
    """1000 -> 1,000; 2.5 -> 2.5."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,g}"


def figure_value(fig: Figure) -> str:
    """`over 1,000` : qualifier and number."""
    return " ".join(p for p in (QUALIFIER_WORDS[fig.qualifier], number(fig.value)) if p)


def unit_words(fig: Figure, words: tuple[str, str]) -> str:
    """The singular or plural of a figure's unit, as its value needs."""
    one, many = words
    return one if fig.value == 1 and fig.qualifier.value == "exact" else many


def significant_digits(value: float) -> int:
    """Significant digits of a number as the source gave it: 1,300 -> 2, 1,000 -> 1, 1,234 -> 4, 6.5 -> 2."""
    if float(value).is_integer():
        digits = str(int(abs(value))).rstrip("0")
    else:
        digits = repr(abs(value)).replace(".", "").lstrip("0")
    return max(1, len(digits))


def round_significant(value: float, digits: int) -> float:
    """value rounded to that many significant digits: 932.06 to 2 -> 930."""
    if value == 0:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def miles(fig: Figure) -> str:
    """Miles for a km figure: as the source printed them, else converted no more precisely than the km figure,
    with its qualifier ("about 1,500 km" -> "about 930 mi")."""
    if fig.mi_as_reported is not None:
        return f"{number(fig.mi_as_reported)} mi"
    mi = round_significant(fig.value / KM_PER_MILE, significant_digits(fig.value))
    if float(fig.value).is_integer():
        mi = float(round(mi))  # whole kilometres: no fractions of a mile either
    return " ".join(p for p in (QUALIFIER_WORDS[fig.qualifier], number(mi), "mi") if p)


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """`1 event`, `2 events`: a count with its noun in the number it needs."""
    return f"{number(n)} {singular if n == 1 else plural or singular + 's'}"


def format_date(value: dt.date | str) -> str:
    """30 June 2025, June 2025 or 2025, from a date or an ISO date part."""
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    bits = [int(b) for b in value.split("-")]
    if len(bits) == 3:
        return format_date(dt.date(*bits))
    if len(bits) == 2:
        return f"{dt.date(bits[0], bits[1], 1):%B %Y}"
    return str(bits[0])


def format_when(when: When) -> str:
    """An ISO date or range in words: `28–29 June 2025`."""
    parts = when.date.split("/")
    if len(parts) == 1:
        return format_date(parts[0])
    start, end = parts
    if len(start) == len(end) == 10 and start[:7] == end[:7]:
        return f"{int(start[8:])}–{format_date(end)}"
    return f"{format_date(start)} – {format_date(end)}"


# --------------------------------------------------------------------------- page plan


@dataclass(frozen=True)
class Page:
    """One generated file: where it goes (relative to docs), its content and what it depends on."""

    src_uri: str
    content: str
    title: str
    briefing: str | None = None  # slug of the briefing the page shows, if any
    meta: dict[str, Any] | None = None  # JSON-LD and OpenGraph values for the theme
    depends: frozenset[str] | None = None  # slugs whose data it shows; None: every briefing
    inputs: tuple[Any, ...] = ()  # what else it shows that an edit can change: its page number and count


@dataclass(frozen=True)
class SectionLink:
    """A page of a briefing, for its in-briefing navigation."""

    key: str
    title: str
    file: str


BRIEFING_PAGES: tuple[SectionLink, ...] = (
    SectionLink("overview", "Overview", f"{INDEX_PAGE}.md"),
    SectionLink(Section.strike.value, SECTION_TITLES[Section.strike], "strike.md"),
    SectionLink(Section.front_lines.value, SECTION_TITLES[Section.front_lines], "front-lines.md"),
    SectionLink(Section.diplomacy.value, SECTION_TITLES[Section.diplomacy], "diplomacy.md"),
    SectionLink(Section.quotes.value, SECTION_TITLES[Section.quotes], "quotes.md"),
    SectionLink("sources", "Sources", "sources.md"),
)
_TEMPLATE_FOR = {link.key: f"{link.key}.md.j2" for link in BRIEFING_PAGES}


def pages_of(briefing: Briefing) -> tuple[SectionLink, ...]:
    """The pages a briefing has: the overview, the sections it holds, the sources."""
    present = {s.value for s in briefing.sections}
    return tuple(link for link in BRIEFING_PAGES if link.key in ("overview", "sources") or link.key in present)


HISTORY_SHOWN = 6  # steps of a claim's history on its page: the first report and the latest ones
UPDATES_SHOWN = 5  # later restatements, revisions or contradictions listed under a claim: the latest ones


@dataclass(frozen=True)
class Shown:
    """Part of a list a page shows, and how many it leaves out."""

    items: list[Any]
    omitted: int
    after_first: bool = False  # the omitted ones lie between the first item and the rest

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass
class BriefingView:
    """What templates need about one briefing, prepared in Python."""

    briefing: Briefing
    entities: Any
    relations: Relations | None = None
    to: PageLinks = field(default_factory=lambda: PageLinks(home()))  # links from the page being rendered
    region: Region | None = None  # boundary data for the locator map
    sources: dict[str, Any] = field(init=False)
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

    def misspelled(self, speaker: Any) -> bool:
        """Whether a speaker's name as published is a misspelling the person record lists."""
        if speaker.person is None or speaker.as_published is None:
            return False
        return speaker.as_published in self.entity("person", speaker.person).misspellings

    @property
    def timeline(self) -> list[Any]:
        """Events in date order."""
        return sorted(self.briefing.timeline, key=lambda e: e.when.bounds())

    def entity(self, kind: str, ident: str) -> Any:
        """The shared record for an id."""
        records = {
            "person": self.entities.people,
            "place": self.entities.places,
            "facility": self.entities.facilities,
            "organisation": self.entities.organisations,
        }[kind]
        return next(r for r in records if r.id == ident)

    def target_name(self, target: Any) -> str:
        """How a target is named: its description, else its facility's or place's name."""
        if target.description:
            return str(target.description)
        kind, ident = ("facility", target.facility) if target.facility else ("place", target.place)
        return str(self.entity(kind, ident).name)

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

    def grade(self, item: Any) -> CombinedGrade:
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

    def history(self, item: Any) -> Shown:
        """The claim's earlier reports, oldest first, ending with the item itself, each with a link.

        A long history shows its first report and its latest steps (HISTORY_SHOWN in all),
        with how many lie between: a page's size must not grow with the archive.
        """
        if self.relations is None or getattr(item, "id", None) is None or not getattr(item, "lineage", None):
            return Shown([], 0)
        steps = [
            (step, self.node_link(step.node)) for step in self.relations.lineage.history(self.briefing.slug, item.id)
        ]
        if len(steps) <= HISTORY_SHOWN:
            return Shown(steps, 0)
        return Shown([steps[0], *steps[-(HISTORY_SHOWN - 1) :]], len(steps) - HISTORY_SHOWN, after_first=True)

    def updates(self, item: Any) -> Shown:
        """Later items that restate, confirm or revise this one, oldest first, with links; the latest few if many."""
        if self.relations is None or getattr(item, "id", None) is None:
            return Shown([], 0)
        steps = [
            (step, self.node_link(step.node)) for step in self.relations.lineage.updates(self.briefing.slug, item.id)
        ]
        return Shown(steps[-UPDATES_SHOWN:], max(0, len(steps) - UPDATES_SHOWN))

    def contradicts(self, item: Any) -> list[tuple[Node, str]]:
        """The earlier items this one contradicts, with links."""
        if self.relations is None or getattr(item, "id", None) is None:
            return []
        return [(n, self.node_link(n)) for n in self.relations.lineage.contradicts(self.briefing.slug, item.id)]

    def contradicted_by(self, item: Any) -> Shown:
        """The later items that contradict this one, with links; the latest few if many."""
        if self.relations is None or getattr(item, "id", None) is None:
            return Shown([], 0)
        found = [(n, self.node_link(n)) for n in self.relations.lineage.contradicted_by(self.briefing.slug, item.id)]
        return Shown(found[-UPDATES_SHOWN:], max(0, len(found) - UPDATES_SHOWN))

    def revision(self, fig: Figure) -> tuple[Figure, Any, str] | None:
        """For a figure that revises a figure: the earlier figure, its briefing and a link to it."""
        if self.relations is None:
            return None
        for relation, node in self.relations.lineage.earlier.get((self.briefing.slug, fig.id), []):
            if relation is Relation.revises and isinstance(node.item, Figure):
                return node.item, node.briefing, self.node_link(node)
        return None

    @property
    def changes(self) -> Changes | None:
        """What changed since the previous briefing."""
        return self.relations.changes.get(self.briefing.slug) if self.relations else None

    def dispute_href(self, dispute: Any) -> str:
        """Where a dispute is shown: in this briefing if it holds a side, else in its first side's briefing."""
        assert self.relations is not None
        sides = self.relations.sides[dispute.id]
        if any(s.briefing.slug == self.briefing.slug for s in sides):
            return self.dispute_link(dispute)
        first = sides[0]
        return self.to.briefing(first.briefing.slug, f"{first.sections[0].value}.md", f"dispute-{dispute.id}")

    def settlement(self, dispute: Any) -> tuple[Any, Any, str] | None:
        """The item that settles a dispute, its briefing and a link to it; None while it is open."""
        if self.relations is None or dispute.settled_by is None:
            return None
        node = self.relations.lineage.nodes[(dispute.settled_by.briefing, dispute.settled_by.claim)]
        return node.item, node.briefing, self.node_link(node)

    def dispute_link(self, dispute: Any) -> str:
        """Where this briefing shows a dispute: the page of its first side here."""
        side = next(s for s in self.relations.sides[dispute.id] if s.briefing.slug == self.briefing.slug)  # type: ignore[union-attr]
        return Markup(f"{side.sections[0].value}.md#dispute-{anchor(dispute.id)}")

    def disputes_in(self, section: str) -> list[Any]:
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
    def disputes(self) -> list[Any]:
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
        places = {p.id: p for p in self.entities.places}
        seen: set[str] = set()
        while place is not None and place not in seen and place in places:
            seen.add(place)
            if places[place].kind == "country":
                return str(places[place].name)
            place = places[place].within
        return None

    def _point(self, kind: str, ident: str) -> Spot | None:
        record = self.entity(kind, ident)
        coords = record.coordinates
        if coords is None and kind == "facility":
            coords = self.entity("place", record.place).coordinates
        where = self.country_of(record.place if kind == "facility" else ident)
        return None if coords is None else Spot(record.name, coords.lat, coords.lon, where)

    @property
    def strike_origin(self) -> list[str]:
        """The countries the strike is said to come from: those its `carried_out_by` claims are about."""
        strike = self.briefing.strike
        found: list[str] = []
        for claim in strike.carried_out_by if strike else []:
            about = claim.about
            refs = [*about.places, *(self.entity("facility", f).place for f in about.facilities)] if about else []
            found += [c for c in map(self.country_of, refs) if c and c not in found]
        return found

    @cached_property
    def locator(self) -> LocatorMap | None:
        """The strike's locator map: places and targets struck, the briefing's other places, distance rings,
        and the countries concerned."""
        strike = self.briefing.strike
        if self.region is None or strike is None:
            return None
        refs = [("place", p) for p in strike.places]
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
            centres = (
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
    items: tuple[Any, ...]


def make_environment(templates_dir: Path) -> Environment:
    """The Jinja environment: strict, Markdown-escaping, with display filters."""
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        undefined=StrictUndefined,
        autoescape=True,  # so macro output is Markup and is not escaped twice
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,
    )
    # Jinja's own escape and join only HTML-escape; make them escape for Markdown too.
    env.filters.update(
        e=_finalize,
        escape=_finalize,
        join=_join,
        anchor=anchor,
        url=safe_url,
        number=number,
        counted=counted,
        figure_value=figure_value,
        miles=miles,
        date=format_date,
        when=format_when,
        month=lambda m: dt.date(2000, m, 1).strftime("%B"),
        safe_path=safe_path,
    )
    env.globals.update(
        STATUS_INFO=STATUS_INFO,
        STATUS_DECISION_ORDER=STATUS_DECISION_ORDER,
        STATEMENT_STATUS_RULE=STATEMENT_STATUS_RULE,
        LIKELIHOOD_INFO=LIKELIHOOD_INFO,
        Likelihood=Likelihood,
        CHANNEL_LABELS=CHANNEL_LABELS,
        SOURCE_KIND_LABELS=SOURCE_KIND_LABELS,
        SECTION_TITLES=SECTION_TITLES,
        MEASURE_LABELS=MEASURE_LABELS,
        ENTITY_FOLDERS=ENTITY_FOLDERS,
        Status=Status,
        Channel=Channel,
        SourceKind=SourceKind,
        Section=Section,
        RELIABILITY_INFO=RELIABILITY_INFO,
        CREDIBILITY_INFO=CREDIBILITY_INFO,
        RELATION_INFO=RELATION_INFO,
        Reliability=Reliability,
        Credibility=Credibility,
        Relation=Relation,
    )
    return env


HOME_LISTING = 20  # earlier briefings listed on the home page; the archive has the rest
INDEX_LATEST = 10  # briefings (archive) and events (timeline) per year on an index page; the year page has all
# Page sizes of the paginated listings (see paging.py), so that no page grows with the archive.
BRIEFINGS_PER_PAGE = 20  # an entity's (with what they say of it), a tag's, an archive year's
EVENTS_PER_PAGE = 50  # a timeline year's
TAGS_PER_PAGE = 100  # the tags index
RECORDS_PER_PAGE = 100  # the listing of one kind of record
RECORDS_SHOWN = 50  # records of each kind on the entities index; the kind's listing has them all


def safe_path(value: str) -> Markup:
    """SVG path data made of commands and numbers only."""
    if not _PATH_RE.match(value):
        raise ValueError("refusing SVG path data with characters other than M, L, Z and numbers")
    return Markup(value)


_PATH_RE = re.compile(r"^[MLZ0-9. \-]*$")


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


def render_error(
    exc: Exception, templates_dir: Path, template: str, src_uri: str, data_file: str | None
) -> RenderError:
    """A RenderError naming the template line that failed, the page and the data file it showed."""
    where, line = f"templates/{template}", None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            path = Path(frame.filename)
            inside = path.is_relative_to(templates_dir)
            where = f"{templates_dir.name}/{path.relative_to(templates_dir).as_posix()}" if inside else path.name
            line = frame.lineno
    source = f" (data: {data_file})" if data_file else ""
    message = f"{type(exc).__name__}: {exc}{source}"
    return RenderError([Problem(where, line, None, f"rendering {src_uri}", message)])


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
    inputs: tuple[Any, ...] = ()


_EVERY = None  # the page depends on every briefing


def _slugs(briefings: Iterable[Briefing]) -> frozenset[str]:
    return frozenset(b.slug for b in briefings)


def _paged(
    first: str,
    template: str,
    title: str,
    items: list[Any],
    size: int,
    slugs: Callable[[list[Any]], frozenset[str] | None],
    context: Callable[[list[Any]], dict[str, Any]],
    newest_last: bool = True,
    **fixed: Any,
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


ENTITY_LABELS = (
    ("person", "People"),
    ("place", "Places"),
    ("facility", "Facilities"),
    ("organisation", "Organisations"),
)


def _entity_specs(rel: Relations) -> list[PageSpec]:
    """The entities index, the listing of each kind of record that the index cannot hold, and each record's pages.

    A record's pages are cut by briefing: each lists some of the briefings that mention it and what
    those say about it, or that it says.
    """
    by_kind: dict[str, list[EntityPage]] = {kind: [] for kind, _ in ENTITY_LABELS}
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
    for kind, label in ENTITY_LABELS:
        if len(by_kind[kind]) > RECORDS_SHOWN:
            specs += _paged(
                routes.records(kind),
                "records.md.j2",
                label,
                by_kind[kind],
                RECORDS_PER_PAGE,
                lambda chunk: _EVERY,
                lambda chunk: {"records": chunk},
                newest_last=False,
                kind=kind,
                label=label,
            )

    def context(entity: EntityPage, chunk: list[Briefing]) -> dict[str, Any]:
        shown = _slugs(chunk)
        mentions = [m for m in entity.mentions if m.briefing.slug in shown]
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


def _briefing_specs(
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
                _TEMPLATE_FOR[link.key],
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
        *(spec for b in dataset.briefings for spec in _briefing_specs(b, dataset, rel, site, region)),
        *_output_specs(dataset, rel, site),
    ]


def render_pages(
    dataset: Dataset,
    templates_dir: Path,
    site: SiteInfo,
    region: Region | None = None,
    previous: dict[str, Page] | None = None,
    changed: set[str] | None = None,
) -> list[Page]:
    """Every generated page and file of the site, in memory.

    With `previous` pages and the set of `changed` briefing slugs, a page that depended on the same
    briefings before and now, none of them changed, and whose page number and count are the same,
    is reused, not rendered.
    """

    def reusable(spec: PageSpec) -> Page | None:
        if previous is None or changed is None or spec.depends is None or spec.src_uri not in previous:
            return None
        old = previous[spec.src_uri]
        # Other briefings than before (a listing's page whose items shifted) show other data too.
        if old.depends != spec.depends or old.inputs != spec.inputs or spec.depends & changed:
            return None
        return old

    env = make_environment(templates_dir)
    # One lookup per template per build: auto_reload would stat the file on every get_template.
    template_named = lru_cache(maxsize=None)(env.get_template)
    rel = relate(dataset)
    pages: list[Page] = []
    for spec in page_plan(dataset, rel, site, region):
        old = reusable(spec)
        if old is not None:
            pages.append(old)
            continue
        if spec.text is not None:
            content = spec.text()
        else:
            assert spec.template is not None
            try:
                content = template_named(spec.template).render(to=PageLinks(spec.src_uri), rel=rel, **spec.context)
            except Exception as exc:  # a template bug or data it cannot show: say where, never a traceback
                raise render_error(exc, templates_dir, spec.template, spec.src_uri, spec.data_file) from exc
        meta = spec.meta() if spec.meta is not None else None
        pages.append(Page(spec.src_uri, content, spec.title, spec.briefing, meta, spec.depends, spec.inputs))
    return pages
