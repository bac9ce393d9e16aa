"""The data model: the single source of truth for the briefing data format.

Every field carries a description; the JSON Schema, the data-format reference page
and the "(expected ...)" part of error messages are all derived from these classes.
Field types live in scalars.py, the vocabulary in vocabulary.py, the rules across
records in integrity.py and the wording lint in wording.py. It knows nothing of files, YAML or MkDocs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Annotated, Any, Literal, Self, overload

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, model_validator

from .display import number
from .scalars import (
    EARTH_CIRCUMFERENCE_KM,
    EARTH_CIRCUMFERENCE_MI,
    MAX_COUNT,
    AnchorId,
    DateSpec,
    FacilityRef,
    Id,
    Loc,
    Number,
    OrganisationRef,
    PageId,
    PersonRef,
    PlaceRef,
    PublishedDate,
    ShortText,
    SourceRef,
    Text,
    UnitRef,
    Url,
    _parse_part,
)
from .vocabulary import (
    DISTANCE_UNIT,
    ENTITY_KINDS,
    KM_PER_MILE,
    Channel,
    Credibility,
    Likelihood,
    Measure,
    Qualifier,
    Relation,
    Reliability,
    Section,
    SourceKind,
    Status,
)

# --------------------------------------------------------------------------- records


class Record(BaseModel):
    """Base: unknown fields are errors (a typo must fail, not vanish)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class When(Record):
    """A date as an absolute ISO value plus the phrase the source used for it."""

    date: DateSpec = Field(description="the absolute date or range, e.g. 2025-06-30; years 1000 to 2099")
    phrase: ShortText | None = Field(
        None, description='the words the source used for it, e.g. "On Monday"; omit if it gave the date itself'
    )
    reported: StrictBool = Field(
        False,
        description="true when the source gives no date for the event itself and this is the date it was reported "
        '(the source\'s publication date); the page shows "Reported 1 July 2025", never a date the source did not give',
    )

    def bounds(self) -> tuple[dt.date, dt.date]:
        """First and last day covered."""
        parts = [_parse_part(p) for p in self.date.split("/")]
        return parts[0][0], parts[-1][1]


class Mentions(Record):
    """The records a claim is about, beyond who says it: entity pages list claims by these."""

    people: list[PersonRef] = Field(max_length=20, default_factory=list, description="ids of people")
    places: list[PlaceRef] = Field(max_length=20, default_factory=list, description="ids of places")
    facilities: list[FacilityRef] = Field(max_length=20, default_factory=list, description="ids of facilities")
    organisations: list[OrganisationRef] = Field(
        max_length=20, default_factory=list, description="ids of organisations"
    )


class Speaker(Record):
    """Who said something, according to the source: a person or organisation record, or a described speaker."""

    person: PersonRef | None = Field(None, description="id of the person record, if the speaker is a named person")
    organisation: OrganisationRef | None = Field(
        None, description="id of the organisation record, if the speaker is or speaks for one"
    )
    name: ShortText | None = Field(
        None,
        description='the speaker as the source describes them when there is no record, e.g. "An unnamed Ukrainian '
        'official" or "Russian officials"; not with person (a person\'s name comes from the record)',
    )
    role: ShortText | None = Field(None, description="the speaker's role as the source gave it")
    as_published: ShortText | None = Field(
        None,
        description="the person's name as the source spelled it, when that differs from the record's name; list it "
        "in the record's variants or misspellings (check warns otherwise). The page shows it in quotation marks, "
        "a misspelling marked [sic], with the record's name linked",
    )

    @model_validator(mode="after")
    def _named(self) -> Speaker:
        if self.person is None and self.organisation is None and self.name is None:
            raise ValueError("a speaker needs a person, an organisation or a name")
        if self.person is not None and self.name is not None:
            raise ValueError(
                "name is for a speaker without a person record; a person's name comes from the record "
                "(as_published keeps the source's spelling)"
            )
        if self.as_published is not None and self.person is None:
            raise ValueError("as_published needs the person record it is a spelling of")
        return self


def _grade_number(value: Any) -> Any:
    """A credibility grade is written as a whole number: YAML `true` or "2" is not one."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a credibility grade; write a whole number from 1 to 6")
    return value


CredibilityGrade = Annotated[Credibility, BeforeValidator(_grade_number)]


class Attributed(Record):
    """Anything factual: where we read it, who says it and how far the desk holds it established."""

    sources: list[SourceRef] = Field(
        min_length=1,
        max_length=20,
        description="ids of the sources we read it in (outlets, documents, posts, from this briefing's sources "
        "list); not who said it: that is the speaker or the attribution",
    )
    status: Status = Field(
        description="the desk's verification status, not the verb the source used (a governor who "
        '"confirmed" his own figures is reported): ' + ", ".join(s.value for s in Status) + "; see the statuses page"
    )
    attribution: ShortText | None = Field(
        None,
        description='the hedge as the source worded it, e.g. "according to Russian officials"; with a speaker, '
        'what follows "according to <speaker>", e.g. "in a post on Telegram"',
    )
    speaker: Speaker | None = Field(
        None,
        description="who says it, according to the source, when it names a person or organisation: the page says "
        '"according to <speaker>" and the record\'s page lists the item',
    )
    confirmed_by: list[SourceRef] = Field(
        default_factory=list,
        max_length=20,
        description="for status confirmed or verified only, and then required: ids of the sources, independent of "
        "the claimant, that confirmed or verified it (also listed in sources)",
    )
    about: Mentions | None = Field(None, description="the people, places, facilities and organisations it is about")
    credibility: CredibilityGrade | None = Field(
        None,
        description="the desk's Admiralty-code credibility grade of the information, 1 to 6: 1 confirmed by other "
        "sources, 2 probably true, 3 possibly true, 4 doubtful, 5 improbable, 6 truth cannot be judged; shown with "
        "the reliability of its sources as a code such as B2 (see the statuses page)",
    )

    @model_validator(mode="after")
    def _checked_by_someone_else(self) -> Attributed:
        checked = self.status.checked
        if checked and not self.confirmed_by:
            verb = "confirmed" if self.status is Status.confirmed else "verified"
            raise ValueError(
                f"status {self.status.value} needs confirmed_by: the sources, independent of the claimant, that "
                f"{verb} it. A claimant's own word is reported or claimed, whatever verb the source uses"
            )
        if not checked and self.confirmed_by:
            raise ValueError(f"confirmed_by is only for status confirmed or verified (status is {self.status.value})")
        missing = [ident for ident in self.confirmed_by if ident not in self.sources]
        if missing:
            raise ValueError(
                f"confirmed_by names sources the item does not cite: {', '.join(missing)}; list them in sources too"
            )
        return self


class Lineage(Record):
    """How a claim or figure relates to one of an earlier briefing: it restates, confirms, revises or contradicts it."""

    relation: Relation = Field(
        description="what this item does to the earlier one: " + "; ".join(f"{r.value}: {r.meaning}" for r in Relation)
    )
    briefing: Id = Field(description="slug of the earlier briefing, published before this one")
    claim: Id = Field(description="id of the claim or figure in that briefing")


def _lineage_field() -> Any:
    return Field(
        default_factory=list,
        max_length=10,
        description="the claims or figures of earlier briefings this one restates, confirms, revises or contradicts; "
        "the page shows the item's history and the earlier item links forward to it. Needs an id",
    )


class Claim(Attributed):
    """One factual statement with its attribution and verification status."""

    id: AnchorId | None = Field(None, description="anchor id, unique in the briefing, so the timeline can link here")
    text: Text = Field(description="the statement, in plain text")
    likelihood: Likelihood | None = Field(
        None,
        description="for assessments: the probability yardstick term (remote-chance, highly-unlikely, unlikely, "
        "realistic-possibility, likely, highly-likely, almost-certain)",
    )
    figures: list[AnchorId] = Field(
        default_factory=list,
        max_length=20,
        description="ids of the figures whose numbers the text states; a takeaway that states a figure keeps it "
        "out of the overview's key figures, so each number is shown once",
    )
    lineage: list[Lineage] = _lineage_field()

    @model_validator(mode="after")
    def _lineage_needs_id(self) -> Claim:
        if self.lineage and self.id is None:
            raise ValueError("a claim with lineage needs an id: the earlier claim links forward to it")
        return self


class Figure(Attributed):
    """A number with its unit, how exact it is, and who gives it."""

    id: AnchorId = Field(description="anchor id, unique in the briefing")
    label: ShortText = Field(description='what the number is, e.g. "Killed" or "Distance from the Ukrainian border"')
    value: Number = Field(
        ge=0,
        lt=MAX_COUNT,
        allow_inf_nan=False,
        description=f"the number, 0 or more and below {MAX_COUNT:,}; distances in kilometres, "
        f"at most {EARTH_CIRCUMFERENCE_KM:,}",
    )
    unit: UnitRef = Field(
        description=f"id of the unit: {DISTANCE_UNIT} (built in, for distances) or a unit from the entities file"
    )
    measure: Measure | None = Field(
        None, description="for weapons and equipment: " + ", ".join(m.value for m in Measure)
    )
    sum_of: list[AnchorId] = Field(
        default_factory=list,
        max_length=20,
        description="ids of other figures of this briefing whose sum this one is; value must equal that sum, "
        "and the page shows the figure as derived, with its parts",
    )
    qualifier: Qualifier = Field(Qualifier.exact, description="exact, about, more-than, at-least or up-to")
    mi_as_reported: Number | None = Field(
        None,
        ge=0,
        le=EARTH_CIRCUMFERENCE_MI,
        allow_inf_nan=False,
        description="for km figures: the miles the source printed, shown instead of a computed value",
    )
    note: Text | None = Field(None, description="context shown under the figure")
    lineage: list[Lineage] = _lineage_field()

    @model_validator(mode="after")
    def _miles_match(self) -> Figure:
        if self.unit == DISTANCE_UNIT and self.value > EARTH_CIRCUMFERENCE_KM:
            raise ValueError(
                f"{number(self.value)} km is longer than any distance on Earth (at most {EARTH_CIRCUMFERENCE_KM:,} km)"
            )
        if self.mi_as_reported is not None:
            if self.unit != DISTANCE_UNIT:
                raise ValueError("mi_as_reported is only allowed when unit is km")
            computed = self.value / KM_PER_MILE
            if abs(self.mi_as_reported - computed) > max(2.0, computed * 0.02):
                raise ValueError(
                    f"mi_as_reported {number(self.mi_as_reported)} does not match {number(self.value)} km "
                    f"(= {computed:.0f} mi)"
                )
        return self


class SourceGrade(Record):
    """The desk's reliability grade of a source (Admiralty code, A to F) and why."""

    grade: Reliability = Field(
        description="A completely reliable, B usually reliable, C fairly reliable, D not usually reliable, "
        "E unreliable, F reliability cannot be judged"
    )
    reason: ShortText = Field(
        description='one line on why, e.g. "unnamed official speaking to media" or "republished copy of a wire story"'
    )


class Source(Record):
    """What we read: an outlet's report, an official text, a post, footage. Not who spoke: that is a speaker."""

    id: Id = Field(
        description="id that items cite, unique in the briefing; its anchor is source-<id> and the pages number "
        "it by its place in the list ([1], [2] ...)"
    )
    name: ShortText = Field(description='how the page names it, e.g. "Kyiv Independent"')
    kind: SourceKind = Field(description="kind: " + ", ".join(k.value for k in SourceKind))
    person: PersonRef | None = Field(
        None, description="id of the person record, if the source is a text of theirs we read (their own post)"
    )
    organisation: OrganisationRef | None = Field(
        None, description="id of the organisation record, if the source is its own publication"
    )
    url: Url | None = Field(None, description="link to the published source")
    published: DateSpec | None = Field(None, description="when the source published it; years 1000 to 2099")
    note: Text | None = Field(None, description="how the source reached us, e.g. a republished copy of a wire report")
    reliability: SourceGrade | None = Field(
        None,
        description="the desk's Admiralty-code reliability grade of the source, A to F, with its reason; check warns "
        "about sources without one when the desk file sets require_grades",
    )


class EarlierStrike(Record):
    """A previous attack on the same target."""

    when: When = Field(description="when it happened")
    claims: list[Claim] = Field(max_length=20, min_length=1, description="what is said about it")
    briefing: Id | None = Field(None, description="slug of the briefing that covers it, if there is one")


class Target(Record):
    """One thing struck: a facility, a place, or a target described in words."""

    id: AnchorId = Field(description="anchor id, unique in the briefing")
    facility: FacilityRef | None = Field(None, description="id of the facility, if there is a record for it")
    place: PlaceRef | None = Field(
        None, description="id of the place, if the target is a place or no facility is named"
    )
    description: ShortText | None = Field(
        None, description='the target in words when no record fits, e.g. "energy infrastructure in six regions"'
    )
    attribution: ShortText | None = Field(
        None, description='the hedge on what was struck, as the source worded it, e.g. "reportedly"; shown with it'
    )
    claims: list[Claim] = Field(
        max_length=30, default_factory=list, description="claims about the target and why it matters"
    )

    @model_validator(mode="after")
    def _named_somehow(self) -> Target:
        if self.facility is None and self.place is None and self.description is None:
            raise ValueError("a target needs a facility, a place or a description")
        return self


class Strike(Record):
    """A strike or attack in either direction: who, what was struck, where, with what, and the toll."""

    summary: Text = Field(description="one paragraph on the strike")
    when: When = Field(description="when the strike happened")
    places: list[PlaceRef] = Field(
        max_length=30, default_factory=list, description="ids of the places struck or attacked from; mapped"
    )
    targets: list[Target] = Field(max_length=30, default_factory=list, description="what was struck, if known")
    carried_out_by: list[Claim] = Field(
        max_length=20, default_factory=list, description="who is said to have carried it out"
    )
    weapons: list[Figure] = Field(max_length=30, default_factory=list, description="what was used, as counted figures")
    attack: list[Figure] = Field(
        max_length=60,
        default_factory=list,
        description="a mass attack counted by weapon type: each figure has a measure (launched, intercepted ...)",
    )
    losses: list[Figure] = Field(
        max_length=30, default_factory=list, description="equipment hit, destroyed, damaged or lost, with a measure"
    )
    distances: list[Figure] = Field(max_length=20, default_factory=list, description="distances, unit km")
    casualties: list[Figure] = Field(
        max_length=30, default_factory=list, description="killed, hospitalised, critical ..."
    )
    casualty_claims: list[Claim] = Field(
        max_length=30, default_factory=list, description="other statements about casualties"
    )
    evidence: list[Claim] = Field(max_length=30, default_factory=list, description="footage and other evidence")
    disruptions: list[Claim] = Field(max_length=30, default_factory=list, description="effects such as halted flights")
    details: list[Claim] = Field(
        max_length=40, default_factory=list, description="other facts: preparation, delivery, reactions ..."
    )
    earlier_strikes: list[EarlierStrike] = Field(
        max_length=30, default_factory=list, description="previous strikes on the target"
    )

    def figure_rules(self) -> Iterator[tuple[Loc, str, str]]:
        """(location, problem, expected) for figures in the wrong unit or without a measure, at the figure's field."""
        for i, f in enumerate(self.distances):
            if f.unit != DISTANCE_UNIT:
                yield ("distances", i, "unit"), f"a distance must be in {DISTANCE_UNIT}, not {f.unit}", DISTANCE_UNIT
        for name in ("attack", "losses"):
            for i, f in enumerate(getattr(self, name)):
                if f.measure is None:
                    yield (
                        (name, i, "measure"),
                        f"a figure of {name} needs a measure",
                        "one of " + ", ".join(m.value for m in Measure),
                    )


class Development(Record):
    """One front-line development: where, which direction, what changed."""

    id: AnchorId = Field(description="anchor id, unique in the briefing")
    title: ShortText = Field(description="short heading")
    places: list[PlaceRef] = Field(max_length=20, default_factory=list, description="ids of the places concerned")
    direction: ShortText | None = Field(None, description="the axis or direction, e.g. Sumy")
    change: ShortText = Field(description='what changed, e.g. "Offensive appears to have slowed"')
    when: When | None = Field(None, description="when, if the source says")
    claims: list[Claim] = Field(max_length=20, min_length=1, description="the statements behind it")
    figures: list[Figure] = Field(max_length=20, default_factory=list, description="numbers involved")


class FrontLines(Record):
    """Front-line and air-war developments."""

    summary: Text | None = Field(None, description="one paragraph overview")
    developments: list[Development] = Field(
        max_length=30, min_length=1, description="developments, most important first"
    )


class Negotiation(Record):
    """Negotiation rounds between parties, with their outcome."""

    id: AnchorId = Field(description="anchor id, unique in the briefing")
    title: ShortText = Field(description="short heading")
    parties: list[ShortText] = Field(max_length=10, min_length=2, description="the negotiating parties")
    place: PlaceRef | None = Field(None, description="id of the place where they met")
    participants: list[Claim] = Field(
        max_length=20, default_factory=list, description="who met: delegations, their heads, hosts and mediators"
    )
    urged_by: PersonRef | None = Field(None, description="id of the person who pressed for the talks")
    when: When = Field(description="when the rounds took place")
    rounds: Figure | None = Field(None, description="how many rounds, as a figure")
    figures: list[Figure] = Field(
        max_length=20, default_factory=list, description="numbers involved, e.g. prisoners to be exchanged"
    )
    outcome: Claim | None = Field(None, description="what came of them, in one statement")
    agreed: list[Claim] = Field(max_length=20, default_factory=list, description="what was agreed")
    refused: list[Claim] = Field(
        max_length=20, default_factory=list, description="what was proposed and refused or left open"
    )
    details: list[Claim] = Field(max_length=30, default_factory=list, description="other facts about the talks")

    @model_validator(mode="after")
    def _has_result(self) -> Negotiation:
        if self.outcome is None and not self.agreed and not self.refused:
            raise ValueError("a negotiation needs an outcome, something agreed or something refused")
        return self


class Statement(Attributed):
    """A public statement by a party, summarised."""

    id: AnchorId = Field(description="anchor id, unique in the briefing")
    speaker: Speaker = Field(
        description="who made the statement: a person or organisation record, or a described speaker; the outlet "
        "we read it in goes in sources"
    )
    when: When | None = Field(None, description="when, if the source says")
    channel: Channel | None = Field(
        None, description="how it was delivered (post on X, press conference ...), if the source says"
    )
    text: Text = Field(description="what was said, summarised; words kept verbatim go in quotation marks")


class Diplomacy(Record):
    """Negotiations, statements and measures such as sanctions."""

    summary: Text | None = Field(None, description="one paragraph overview")
    negotiations: list[Negotiation] = Field(max_length=20, default_factory=list, description="negotiation rounds")
    statements: list[Statement] = Field(max_length=50, default_factory=list, description="statements by the parties")
    measures: list[Claim] = Field(max_length=30, default_factory=list, description="sanctions and other measures")


class Quote(Attributed):
    """Words quoted exactly as published."""

    id: AnchorId = Field(description="anchor id, unique in the briefing")
    speaker: Speaker = Field(
        description="who said it: a person or organisation record, or a described speaker; the outlet we read it "
        "in goes in sources"
    )
    text: Text = Field(
        description="the exact words, verbatim, without surrounding quotation marks (the page adds them)"
    )
    fragment: StrictBool = Field(False, description="true if only part of a sentence was quoted")
    when: When | None = Field(None, description="when it was said, if the source says")
    channel: Channel | None = Field(None, description="how it was said (post on X, interview ...), if the source says")
    context: Text = Field(description="what it was said about")


class Event(Attributed):
    """A dated event on the timeline, linking to the section that tells it."""

    when: When = Field(description="when it happened")
    text: ShortText = Field(description="what happened, one line")
    section: Section = Field(description="the section that covers it")
    anchor: Id | None = Field(None, description="id of the claim, figure, quote or development it refers to")


class Correction(Record):
    """A change made after publication."""

    date: PublishedDate = Field(description="when the correction was made, YYYY-MM-DD, 1970-01-01 to 2099-12-31")
    text: Text = Field(description="what was changed and why")


class Briefing(Record):
    """One situation report: metadata, sources, the four sections and a timeline."""

    slug: PageId = Field(description="URL slug, unique across briefings, e.g. 2025-07-01-izhevsk-kupol-strike")
    based_on: Id | None = Field(
        None,
        description="slug of the briefing this one was started from (written by `new --from`); check warns "
        "about places and targets still equal to that briefing's. Delete it when done",
    )
    title: ShortText = Field(description="headline")
    published: PublishedDate = Field(description="publication date, YYYY-MM-DD, 1970-01-01 to 2099-12-31")
    summary: Text = Field(description="one-paragraph summary")
    takeaways: list[Claim] = Field(max_length=30, min_length=1, description="key takeaways, most important first")
    places: list[PlaceRef] = Field(
        max_length=40, default_factory=list, description="ids of places the briefing concerns"
    )
    tags: list[PageId] = Field(default_factory=list, max_length=12, description="topic tags")
    sources: list[Source] = Field(max_length=100, min_length=1, description="every source cited")
    strike: Strike | None = Field(None, description="the strike section; omit when the briefing has no strike")
    front_lines: FrontLines | None = Field(None, description="the front-lines section, if any")
    diplomacy: Diplomacy | None = Field(None, description="the diplomacy section, if any")
    quotes: list[Quote] = Field(max_length=50, default_factory=list, description="the quotes section, if any")
    timeline: list[Event] = Field(max_length=100, default_factory=list, description="dated events, any order")
    corrections: list[Correction] = Field(
        max_length=50, default_factory=list, description="corrections log, oldest first"
    )

    @property
    def updated(self) -> dt.date:
        """Date of the last correction, else the publication date."""
        return max([self.published, *(c.date for c in self.corrections)])

    def has_section(self, section: Section) -> bool:
        """Whether the briefing holds this section (and so has a page for it)."""
        value = getattr(self, section.name)
        return bool(value) if isinstance(value, list) else value is not None

    @property
    def sections(self) -> list[Section]:
        """The sections this briefing holds, in page order."""
        return [s for s in Section if self.has_section(s)]

    @model_validator(mode="after")
    def _some_section(self) -> Briefing:
        if not self.sections:
            raise ValueError("a briefing needs at least one section: strike, front_lines, diplomacy or quotes")
        return self

    @model_validator(mode="after")
    def _corrections_after_publication(self) -> Briefing:
        early = [c.date.isoformat() for c in self.corrections if c.date < self.published]
        if early:
            raise ValueError(f"corrections dated before publication: {', '.join(early)}")
        return self


class Coordinates(Record):
    """A WGS84 position."""

    lat: Number = Field(ge=-90, le=90, allow_inf_nan=False, description="latitude in degrees, -90 to 90")
    lon: Number = Field(ge=-180, le=180, allow_inf_nan=False, description="longitude in degrees, -180 to 180")


class Person(Record):
    """A person named in briefings."""

    id: PageId = Field(description="id briefings use")
    name: ShortText = Field(description="usual spelling of the name")
    variants: list[ShortText] = Field(
        max_length=20,
        default_factory=list,
        description="other correct spellings found in sources (transliterations, pseudonyms); never a misspelling",
    )
    misspellings: list[ShortText] = Field(
        max_length=20,
        default_factory=list,
        description="wrong spellings of the name found in sources; the page lists them as misspellings, and a "
        "speaker's as_published that is one of them is marked [sic]",
    )
    role: ShortText = Field(description="role, as of the latest briefing")


class Place(Record):
    """A city, region, country or site."""

    id: PageId = Field(description="id briefings use")
    name: ShortText = Field(description="name")
    kind: Literal["city", "town", "village", "district", "region", "country", "airport", "sea", "site"] = Field(
        description="city, town, village, district, region, country, airport, sea or site"
    )
    within: PlaceRef | None = Field(None, description="id of the enclosing place")
    coordinates: Coordinates | None = Field(None, description="position, for the locator map")


class Facility(Record):
    """A plant, base or other site that can be a target."""

    id: PageId = Field(description="id briefings use")
    name: ShortText = Field(description="name")
    variants: list[ShortText] = Field(max_length=20, default_factory=list, description="other names")
    place: PlaceRef = Field(description="id of the place it is in")
    coordinates: Coordinates | None = Field(None, description="position, for the locator map")


class Organisation(Record):
    """An agency, service or other body."""

    id: PageId = Field(description="id briefings use")
    name: ShortText = Field(description="name")
    variants: list[ShortText] = Field(max_length=20, default_factory=list, description="other names or abbreviations")


class Unit(Record):
    """A unit figures count in, e.g. drones or aircraft; km is built in."""

    id: Id = Field(description=f"id figures use, e.g. aircraft; not {DISTANCE_UNIT}, which is built in")
    singular: ShortText = Field(description='the word for one, e.g. "aircraft", "glide bomb"')
    plural: ShortText = Field(description='the word for several, e.g. "aircraft", "glide bombs"')

    @model_validator(mode="after")
    def _not_built_in(self) -> Unit:
        if self.id == DISTANCE_UNIT:
            raise ValueError(f"unit {DISTANCE_UNIT} is built in and cannot be redefined")
        return self


EntityRecord = Person | Place | Facility | Organisation
_PLURAL = {k.kind: k.plural for k in ENTITY_KINDS}


class Entities(Record):
    """Shared records that briefings reference by id."""

    people: list[Person] = Field(max_length=5000, default_factory=list, description="people")
    places: list[Place] = Field(max_length=5000, default_factory=list, description="places")
    facilities: list[Facility] = Field(max_length=5000, default_factory=list, description="facilities")
    organisations: list[Organisation] = Field(max_length=5000, default_factory=list, description="organisations")
    units: list[Unit] = Field(max_length=500, default_factory=list, description="units figures count in")

    def records(self, kind: str) -> list[EntityRecord]:
        """The records of one kind (see vocabulary.ENTITY_KINDS), in file order."""
        return list(getattr(self, _PLURAL[kind]))

    @cached_property
    def by_key(self) -> dict[tuple[str, str], EntityRecord]:
        """(kind, id) -> record, for every kind: built once, on the first lookup."""
        return {(k.kind, r.id): r for k in ENTITY_KINDS for r in self.records(k.kind)}

    @overload
    def record(self, kind: Literal["person"], ident: str) -> Person: ...
    @overload
    def record(self, kind: Literal["place"], ident: str) -> Place: ...
    @overload
    def record(self, kind: Literal["facility"], ident: str) -> Facility: ...
    @overload
    def record(self, kind: Literal["organisation"], ident: str) -> Organisation: ...
    @overload
    def record(self, kind: str, ident: str) -> EntityRecord: ...
    def record(self, kind: str, ident: str) -> EntityRecord:
        """The record of a kind with an id (validated data references only ids that exist)."""
        return self.by_key[(kind, ident)]

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy whose lookups follow its own records, not the original's."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("by_key", None)
        return copied

    def ids(self) -> dict[str, set[str]]:
        """Known ids per reference kind."""
        return {
            **{k.kind: {r.id for r in self.records(k.kind)} for k in ENTITY_KINDS},
            "unit": {u.id for u in self.units} | {DISTANCE_UNIT},
        }

    def unit_words(self, unit: str) -> tuple[str, str]:
        """Singular and plural of a unit id."""
        if unit == DISTANCE_UNIT:
            return DISTANCE_UNIT, DISTANCE_UNIT
        record = next(u for u in self.units if u.id == unit)
        return record.singular, record.plural


class DisputeSide(Record):
    """One side of a disputed point: a party's position, made of one or more claims or figures of a briefing."""

    party: ShortText | None = Field(None, description='whose position it is, e.g. "Russia" or "Satellite imagery"')
    briefing: Id = Field(description="slug of the briefing holding the claims")
    claim: Id | None = Field(None, description="id of the claim (or figure) in that briefing, for a side of one item")
    claims: list[Id] = Field(
        default_factory=list, max_length=10, description="ids of the claims or figures, for a side of several items"
    )

    @model_validator(mode="after")
    def _one_form(self) -> DisputeSide:
        if (self.claim is None) == (not self.claims):
            raise ValueError("give either claim (one id) or claims (a list of ids)")
        return self

    @property
    def items(self) -> list[str]:
        """The ids of the claims or figures that make up this side."""
        return [self.claim] if self.claim is not None else list(self.claims)


class DisputeSettlement(Record):
    """The claim or figure of a later briefing that settles a disputed point."""

    briefing: Id = Field(description="slug of the briefing holding it, published after every side's briefing")
    claim: Id = Field(description="id of the claim or figure in that briefing")


class Dispute(Record):
    """A point on which sources disagree, shown on every briefing that holds a side."""

    id: Id = Field(description="id, unique among disputes; its anchor is dispute-<id>")
    topic: ShortText = Field(description='the question in dispute, e.g. "Was anyone hurt in the November 2024 strike?"')
    sides: list[DisputeSide] = Field(
        max_length=10, min_length=2, description="the claims that disagree, each with its sources"
    )
    settled_by: DisputeSettlement | None = Field(
        None,
        description="the claim or figure, of a briefing published after every side's, that settles the point; "
        "the dispute is then shown as settled, and that briefing lists it under what changed",
    )


class Desk(Record):
    """The desk's settings for its data (data/desk.yaml, optional)."""

    require_grades: StrictBool = Field(
        False,
        description="true once the desk grades its sources: check then warns about every source without a "
        "reliability grade and every claim, figure, quote, statement and event without a credibility grade",
    )


class Disputes(Record):
    """Disputed points across briefings."""

    disputes: list[Dispute] = Field(max_length=1000, default_factory=list, description="disputed points")
