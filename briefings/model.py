"""The data model: the single source of truth for the briefing data format.

Every field carries a description; the JSON Schema, the data-format reference page
and the "(expected ...)" part of error messages are all derived from these classes.
It imports only vocabulary of ours (grading, lineage_terms) and knows nothing of files, YAML or MkDocs.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Literal, NamedTuple, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .grading import Credibility, Reliability
from .lineage_terms import RELATION_INFO, Relation

# --------------------------------------------------------------------------- scalars

ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"
_ID_RE = re.compile(ID_PATTERN)
# Bidi overrides/isolates can make text read differently from what was written.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Invisible formatting characters (Unicode category Cf: zero-width space/joiner/non-joiner,
# word joiner, direction marks, soft hyphen, BOM, tag characters ...) make two strings that
# look the same compare different: a name or id could then hide a second record, dodge a
# mention search or a duplicate check. Ids and short text (names, titles, labels, one-line
# fields, URLs) refuse every one of them. Prose (Text) refuses them too, except ZERO WIDTH
# NON-JOINER and ZERO WIDTH JOINER between two letters of a script whose spelling needs
# them (Persian and Arabic, Syriac, N'Ko, Mongolian, the Indic scripts ...): there they
# change how a word is written, not what it hides. Emoji ZWJ sequences are refused; a
# briefing has no use for them.
_ZWNJ, _ZWJ = "\u200c", "\u200d"
_JOINING_SCRIPTS = frozenset(
    "ARABIC SYRIAC NKO MONGOLIAN DEVANAGARI BENGALI GURMUKHI GUJARATI ORIYA TAMIL TELUGU KANNADA "
    "MALAYALAM SINHALA MYANMAR KHMER TIBETAN".split()
)


_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


def _joining_letter(ch: str) -> bool:
    """A letter or mark of a script that uses ZWJ/ZWNJ in ordinary spelling."""
    if unicodedata.category(ch)[0] not in "LM":
        return False
    return unicodedata.name(ch, "").split(" ", 1)[0] in _JOINING_SCRIPTS


# Titles and names go into <title>, feed titles and one-line terminal output.
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _check_chars(value: str, prose: bool) -> None:
    bad = _ASCII_CONTROL.search(value)
    if bad:
        raise ValueError(f"contains the control or unassigned character U+{ord(bad.group()):04X}")
    if not prose:
        brk = _LINE_BREAK.search(value)
        if brk:
            raise ValueError(
                f"contains a line break (U+{ord(brk.group()):04X}): names, titles and other short text are one line"
            )
    if value.isascii():  # most text is ASCII; only other characters need a category lookup
        return
    for ch in sorted(set(value)):
        if ch in _BIDI:
            raise ValueError(f"contains the bidirectional control character U+{ord(ch):04X}")
        if ord(ch) > 127 and unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            raise ValueError(f"contains the control or unassigned character U+{ord(ch):04X}")
    for i, ch in enumerate(value):
        if ord(ch) < 0xAD or unicodedata.category(ch) != "Cf":
            continue
        if prose and ch in (_ZWNJ, _ZWJ) and 0 < i < len(value) - 1:
            if _joining_letter(value[i - 1]) and _joining_letter(value[i + 1]):
                continue
        rule = (
            "prose allows only a zero width joiner or non-joiner between letters of a script that needs it"
            if prose
            else "names, titles and other short text allow none"
        )
        raise ValueError(f"contains the invisible formatting character {_describe(ch)} at position {i + 1} ({rule})")


def _check_filled(value: str, prose: bool) -> str:
    if not value.strip():
        raise ValueError("text is empty")
    if value.lstrip().startswith("TODO"):
        raise ValueError("placeholder not filled in")
    _check_chars(value, prose)
    return value


def _check_text(value: str) -> str:
    """Prose: not empty, no placeholder, no control or invisible formatting characters."""
    return _check_filled(value, prose=True)


def _check_short_text(value: str) -> str:
    """Names, titles, labels: as prose, and no invisible formatting character at all."""
    return _check_filled(value, prose=False)


def _check_id(value: str) -> str:
    if not value.isascii():
        for i, ch in enumerate(value):
            if unicodedata.category(ch) == "Cf":
                raise ValueError(
                    f"{value!r} is not a valid id: it contains the invisible formatting character {_describe(ch)}"
                    f" at position {i + 1}"
                )
    if not _ID_RE.match(value) or "--" in value:
        raise ValueError(f"{value!r} is not a valid id")
    return value


def _check_url(value: str) -> str:
    _check_short_text(value)
    if any(ch.isspace() for ch in value):
        raise ValueError("URL contains whitespace")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"URL scheme {parts.scheme + ':' if parts.scheme else '(none)'} is not allowed")
    if not parts.hostname:
        raise ValueError("URL has no host")
    return value


Text = Annotated[str, Field(min_length=1, max_length=10_000), AfterValidator(_check_text)]
ShortText = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_check_short_text)]
Id = Annotated[
    str,
    Field(
        min_length=1,
        max_length=80,
        description="lower-case ASCII letters, digits and single hyphens, e.g. kupol-plant",
        json_schema_extra={"pattern": ID_PATTERN},
    ),
    AfterValidator(_check_id),
]
Url = Annotated[
    str,
    Field(max_length=2000, description="an absolute http:// or https:// URL"),
    AfterValidator(_check_url),
]

# --------------------------------------------------------------------------- page names

# Ids that become file names of generated pages (briefing slugs, tags, entity ids) must not
# take a name the page plan (briefings.render.render_pages) gives a page of its own in the
# same folder: `tags/index.md` is the tag list, `entities/<folder>/index.md` and
# `briefings/index/` are kept free for the same reason. The page plan builds those paths from
# INDEX_PAGE, so this set and the pages cannot drift apart.
INDEX_PAGE = "index"
RESERVED_IDS: frozenset[str] = frozenset({INDEX_PAGE})


def _check_not_reserved(value: str) -> str:
    if value in RESERVED_IDS:
        names = ", ".join(sorted(RESERVED_IDS))
        raise ValueError(f"{value!r} is reserved for a page the site generates (reserved names: {names})")
    return value


PageId = Annotated[Id, AfterValidator(_check_not_reserved)]

# Ids of claims, figures, quotes and other items become HTML ids on the briefing pages, next
# to the anchors those pages' templates write (`## Key takeaways { #sec-takeaways }`,
# `id="sec-map"`, `id="source-…"`): an item with such an id would put the id on the page
# twice, and links to either would reach the wrong element. tests/test_anchors.py reads the
# briefing-page templates and fails when one writes an anchor these prefixes do not cover.
PAGE_ANCHOR_PREFIXES: tuple[str, ...] = ("sec-", "source-", "dispute-", "map-")


def _check_not_page_anchor(value: str) -> str:
    if value.startswith(PAGE_ANCHOR_PREFIXES):
        names = ", ".join(f"{p}…" for p in PAGE_ANCHOR_PREFIXES)
        raise ValueError(f"{value!r} starts like an anchor the briefing pages use themselves (reserved: {names})")
    return value


AnchorId = Annotated[Id, AfterValidator(_check_not_page_anchor)]

# --------------------------------------------------------------------------- numbers

MAX_COUNT = 1_000_000_000  # counts stay below a billion: more is a typo or an attack
EARTH_CIRCUMFERENCE_KM = 40_075  # no distance on Earth is longer
EARTH_CIRCUMFERENCE_MI = 24_902


def _no_negative_zero(value: float) -> float:
    return value + 0.0  # -0.0 + 0.0 is 0.0: a page never shows "-0 km"


# Strict: YAML `true` is not the number 1. Ints are still accepted as numbers.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False), AfterValidator(_no_negative_zero)]


@dataclass(frozen=True)
class Ref:
    """Marks a field as a reference to an id of some kind; checked after parsing."""

    kind: Literal["source", "person", "place", "facility", "organisation", "unit"]


SourceRef = Annotated[Id, Ref("source")]
PersonRef = Annotated[Id, Ref("person")]
PlaceRef = Annotated[Id, Ref("place")]
FacilityRef = Annotated[Id, Ref("facility")]
OrganisationRef = Annotated[Id, Ref("organisation")]
UnitRef = Annotated[Id, Ref("unit")]

_DATE_PART = r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?"  # ASCII digits: \d also takes other scripts
DATE_SPEC_PATTERN = rf"^{_DATE_PART}(?:/{_DATE_PART})?$"


def _parse_part(text: str) -> tuple[dt.date, dt.date]:
    """First and last day covered by YYYY, YYYY-MM or YYYY-MM-DD."""
    bits = [int(b) for b in text.split("-")]
    if len(bits) == 3:
        day = dt.date(*bits)
        return day, day
    if len(bits) == 2:
        first = dt.date(bits[0], bits[1], 1)
        nxt = dt.date(bits[0] + (bits[1] == 12), bits[1] % 12 + 1, 1)
        return first, nxt - dt.timedelta(days=1)
    return dt.date(bits[0], 1, 1), dt.date(bits[0], 12, 31)


# Publication dates become feed, sitemap and gzip timestamps (SOURCE_DATE_EPOCH): gzip keeps
# seconds since 1970 in 32 bits, which end in February 2106, and before 1970 there are none.
# 2099 leaves headroom. Dates of events may go back further, but not into the future past it.
PUBLISHED_RANGE = (dt.date(1970, 1, 1), dt.date(2099, 12, 31))
EVENT_RANGE = (dt.date(1000, 1, 1), dt.date(2099, 12, 31))


def _outside(first: dt.date, last: dt.date, bounds: tuple[dt.date, dt.date], what: str) -> str | None:
    lo, hi = bounds
    if first < lo or last > hi:
        return f"is outside the range {what} can have ({lo.isoformat()} to {hi.isoformat()})"
    return None


def _year_as_text(value: Any) -> Any:
    """`date: 2024` reads as a number in YAML; a year-only date is meant."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _check_date_spec(value: str) -> str:
    if not re.match(DATE_SPEC_PATTERN, value):
        raise ValueError(f"{value!r} is not a date")
    try:
        spans = [_parse_part(p) for p in value.split("/")]
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a real date: {exc}") from None
    if len(spans) == 2 and spans[1][1] < spans[0][0]:
        raise ValueError(f"{value!r} ends before it starts")
    problem = _outside(spans[0][0], spans[-1][1], EVENT_RANGE, "a date")
    if problem:
        raise ValueError(f"{value!r} {problem}")
    return value


def _date_not_number(value: Any) -> Any:
    """A number is not a day (pydantic would read 0 as a Unix timestamp, 1970-01-01)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"{value!r} is not a day; write it as YYYY-MM-DD")
    return value


def _check_published(value: dt.date) -> dt.date:
    problem = _outside(value, value, PUBLISHED_RANGE, "a publication date")
    if problem:
        raise ValueError(f"{value.isoformat()} {problem}")
    return value


DateSpec = Annotated[
    str,
    BeforeValidator(_year_as_text),
    Field(
        description="ISO 8601 date: a day 2025-06-30, a month 2025-05, a year 2025, or a range 2025-06-28/2025-06-29"
        f"; from {EVENT_RANGE[0].year} to {EVENT_RANGE[1].year}",
        json_schema_extra={"pattern": DATE_SPEC_PATTERN},
    ),
    AfterValidator(_check_date_spec),
]
PublishedDate = Annotated[dt.date, BeforeValidator(_date_not_number), AfterValidator(_check_published)]

# --------------------------------------------------------------------------- enums


class Status(StrEnum):
    """The desk's verification status: how far a statement is established, not the verb its source used."""

    confirmed = "confirmed"
    verified = "verified"
    reported = "reported"
    claimed = "claimed"
    unconfirmed = "unconfirmed"
    denied = "denied"
    disputed = "disputed"


class StatusInfo(NamedTuple):
    """How a status is shown and when it applies: the one definition readers and editors share."""

    label: str  # the badge
    meaning: str  # one short sentence: what the badge tells a reader (its explanation on hover and focus)
    use: str  # when an editor gives it
    not_: str  # what it is not, with the status to give instead


STATUS_INFO: dict[Status, StatusInfo] = {
    Status.confirmed: StatusInfo(
        "Confirmed",
        "Confirmed by someone independent of the claimant.",
        "A party with no stake in the claim (an independent outlet, investigator or international body) says on the "
        "record that it checked the claim and it holds. Name that source in confirmed_by.",
        'The claimant\'s own word, whatever verb the source uses: a governor who "confirmed" his own casualty '
        'figures is reported; a ministry that "confirmed" its own operation is claimed.',
    ),
    Status.verified: StatusInfo(
        "Verified",
        "Footage or a document found authentic by an independent checker.",
        "A named checker independent of the publisher (an outlet's verification team, an imagery analyst) says it "
        "examined the material and found it authentic. Name that source in confirmed_by.",
        "Material a source calls authentic without saying who checked it: reported, with the source's words in "
        "the attribution.",
    ),
    Status.reported: StatusInfo(
        "Reported",
        "Reported by an outlet or an official; not independently checked.",
        "An outlet states it in its own voice or relays it; an official gives an account of what happened on the "
        "ground in their area (civilian casualties, damage, closures, evacuations); a quote or statement we read in "
        "an outlet's report. The attribution names the official or outlet it comes from.",
        "A side's assertion about the conflict (claimed); a report a source says it could not confirm (not "
        "independently confirmed).",
    ),
    Status.claimed: StatusInfo(
        "Claimed",
        "Asserted by a party to the events; not independently checked.",
        "A side of the conflict (its government, forces, security services or officials, named or not) asserts "
        "something about the conflict: who carried out an attack, what its own operation hit or destroyed, what "
        "it shot down or repelled, military losses on either side, or what the other side did, intends, proposed "
        "or refused.",
        "An outlet's own reporting, or an official's account of civilian casualties and damage (reported). A "
        "side's denial of what the other side says about it is that side's claim, never denied.",
    ),
    Status.unconfirmed: StatusInfo(
        "Not independently confirmed",
        "A source, or the desk, says it could not be confirmed.",
        'The source says so ("not independently confirmed", "could not verify"), or the desk looked for '
        "confirmation and found none; the attribution says who says so. It goes on the claim that could not be "
        "confirmed and takes precedence over reported and claimed.",
        'A sentence about the checking itself ("the outlet could not verify the claims"): that sentence is '
        "reported; the claims it concerns are not independently confirmed.",
    ),
    Status.denied: StatusInfo(
        "Denied",
        "Claimed by one party, denied by the party it concerns.",
        "A claim made by one party that the party it concerns has denied; the attribution names who claims it and "
        "who denies it.",
        'A party\'s own denial, or its own account of its losses ("damaged, not destroyed"): that is the '
        "party's claim (claimed), or a statement (reported).",
    ),
    Status.disputed: StatusInfo(
        "Disputed",
        "Sources contradict each other; each side is shown.",
        "A line that sums up a contradiction between sources, and the dispute itself. Values that can all be true "
        "(more than 1,300 km and about 1,500 km) are no dispute.",
        "A side of a dispute: it keeps its own status (reported, claimed ...) and links to the dispute.",
    ),
}

# The order in which an editor tests the statuses: the first that applies is the status.
STATUS_DECISION_ORDER: tuple[Status, ...] = (
    Status.verified,
    Status.confirmed,
    Status.denied,
    Status.disputed,
    Status.unconfirmed,
    Status.claimed,
    Status.reported,
)

# Statements and quotes: what the status of a saying covers.
STATEMENT_STATUS_RULE = (
    "For a quote or a statement the status covers the saying: that these words were said, usually reported by "
    "the outlet we read them in. What the words assert is the speaker's, shown by the speaker line. A claim that "
    'states a fact on someone\'s word ("Russia accepted neither, Umerov said") takes the status of the fact.'
)


class SourceKind(StrEnum):
    """What kind of source we read: an outlet's report, an official text, a post, footage."""

    official = "official"
    media = "media"
    social_post = "social-post"
    verified_footage = "verified-footage"
    government = "government"
    analysis = "analysis"


SOURCE_KIND_LABELS: dict[SourceKind, str] = {
    SourceKind.official: "Official",
    SourceKind.media: "Media",
    SourceKind.social_post: "Social media post",
    SourceKind.verified_footage: "Verified footage",
    SourceKind.government: "Government",
    SourceKind.analysis: "Analysis",
}


class Channel(StrEnum):
    """How a statement or quote was delivered."""

    statement = "statement"
    post_on_x = "post-on-x"
    post_on_telegram = "post-on-telegram"
    remarks_to_media = "remarks-to-media"
    speech = "speech"
    press_conference = "press-conference"
    interview = "interview"
    phone_call = "phone-call"
    social_media_post = "social-media-post"
    document = "document"


CHANNEL_LABELS: dict[Channel, str] = {
    Channel.statement: "Statement",
    Channel.post_on_x: "Post on X",
    Channel.post_on_telegram: "Post on Telegram",
    Channel.remarks_to_media: "Remarks to media",
    Channel.speech: "Speech",
    Channel.press_conference: "Press conference",
    Channel.interview: "Interview",
    Channel.phone_call: "Phone call",
    Channel.social_media_post: "Social media post",
    Channel.document: "Document",
}


class Qualifier(StrEnum):
    """How exact a figure is, as the source put it."""

    exact = "exact"
    about = "about"
    more_than = "more-than"
    at_least = "at-least"
    up_to = "up-to"


QUALIFIER_WORDS: dict[Qualifier, str] = {
    Qualifier.exact: "",
    Qualifier.about: "about",
    Qualifier.more_than: "over",
    Qualifier.at_least: "at least",
    Qualifier.up_to: "up to",
}


class Section(StrEnum):
    """The four sections every briefing has."""

    strike = "strike"
    front_lines = "front-lines"
    diplomacy = "diplomacy"
    quotes = "quotes"


SECTION_TITLES: dict[Section, str] = {
    Section.strike: "The strike",
    Section.front_lines: "Front lines",
    Section.diplomacy: "Diplomacy",
    Section.quotes: "Quotes",
}

KM_PER_MILE = 1.609344

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
    reported: bool = Field(
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


# Statuses that say someone independent of the claimant checked the claim.
CHECKED_STATUSES = frozenset({"confirmed", "verified"})


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
        checked = self.status.value in CHECKED_STATUSES
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


class Likelihood(StrEnum):
    """The UK intelligence probability yardstick (Professional Head of Intelligence Assessment)."""

    remote_chance = "remote-chance"
    highly_unlikely = "highly-unlikely"
    unlikely = "unlikely"
    realistic_possibility = "realistic-possibility"
    likely = "likely"
    highly_likely = "highly-likely"
    almost_certain = "almost-certain"


# term shown, probability range in per cent, words that express it in free text
LIKELIHOOD_INFO: dict[Likelihood, tuple[str, str, tuple[str, ...]]] = {
    Likelihood.remote_chance: ("Remote chance", "0–5%", ("remote chance",)),
    Likelihood.highly_unlikely: ("Highly unlikely", "10–20%", ("highly unlikely", "very unlikely")),
    Likelihood.unlikely: ("Unlikely", "25–35%", ("unlikely", "improbable")),
    Likelihood.realistic_possibility: ("Realistic possibility", "40–50%", ("realistic possibility",)),
    Likelihood.likely: ("Likely or probable", "55–75%", ("likely", "probable", "probably")),
    Likelihood.highly_likely: ("Highly likely", "80–90%", ("highly likely", "very likely")),
    Likelihood.almost_certain: ("Almost certain", "95–100%", ("almost certain", "almost certainly")),
}


class Lineage(Record):
    """How a claim or figure relates to one of an earlier briefing: it restates, confirms, revises or contradicts it."""

    relation: Relation = Field(
        description="what this item does to the earlier one: "
        + "; ".join(f"{r.value}: {RELATION_INFO[r].meaning}" for r in Relation)
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


# The one unit the code knows: distances are kept in kilometres and can be shown in miles.
# Every other unit (people, drones, aircraft ...) is a record in the entities file.
DISTANCE_UNIT = "km"


class Measure(StrEnum):
    """What a count of weapons or equipment says happened to them."""

    launched = "launched"
    intercepted = "intercepted"
    suppressed = "suppressed"
    hit = "hit"
    destroyed = "destroyed"
    damaged = "damaged"
    lost = "lost"
    used = "used"


MEASURE_LABELS: dict[Measure, str] = {
    Measure.launched: "Launched",
    Measure.intercepted: "Intercepted",
    Measure.suppressed: "Suppressed",
    Measure.hit: "Hit",
    Measure.destroyed: "Destroyed",
    Measure.damaged: "Damaged",
    Measure.lost: "Lost",
    Measure.used: "Used",
}


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
                f"{self.value:g} km is longer than any distance on Earth (at most {EARTH_CIRCUMFERENCE_KM:,} km)"
            )
        if self.mi_as_reported is not None:
            if self.unit != DISTANCE_UNIT:
                raise ValueError("mi_as_reported is only allowed when unit is km")
            computed = self.value / KM_PER_MILE
            if abs(self.mi_as_reported - computed) > max(2.0, computed * 0.02):
                raise ValueError(
                    f"mi_as_reported {self.mi_as_reported:g} does not match {self.value:g} km (= {computed:.0f} mi)"
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
    speaker: Speaker = Field(  # type: ignore[assignment]
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
    speaker: Speaker = Field(  # type: ignore[assignment]
        description="who said it: a person or organisation record, or a described speaker; the outlet we read it "
        "in goes in sources"
    )
    text: Text = Field(
        description="the exact words, verbatim, without surrounding quotation marks (the page adds them)"
    )
    fragment: bool = Field(False, description="true if only part of a sentence was quoted")
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


class Entities(Record):
    """Shared records that briefings reference by id."""

    people: list[Person] = Field(max_length=5000, default_factory=list, description="people")
    places: list[Place] = Field(max_length=5000, default_factory=list, description="places")
    facilities: list[Facility] = Field(max_length=5000, default_factory=list, description="facilities")
    organisations: list[Organisation] = Field(max_length=5000, default_factory=list, description="organisations")
    units: list[Unit] = Field(max_length=500, default_factory=list, description="units figures count in")

    def ids(self) -> dict[str, set[str]]:
        """Known ids per reference kind."""
        return {
            "person": {p.id for p in self.people},
            "place": {p.id for p in self.places},
            "facility": {f.id for f in self.facilities},
            "organisation": {o.id for o in self.organisations},
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

    require_grades: bool = Field(
        False,
        description="true once the desk grades its sources: check then warns about every source without a "
        "reliability grade and every claim, figure, quote, statement and event without a credibility grade",
    )


class Disputes(Record):
    """Disputed points across briefings."""

    disputes: list[Dispute] = Field(max_length=1000, default_factory=list, description="disputed points")


# --------------------------------------------------------------------------- cross-references

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class RefProblem:
    """A cross-reference that does not resolve, or an id used twice."""

    loc: Loc
    message: str
    expected: str


def walk_refs(obj: Any, loc: Loc) -> Iterator[tuple[Loc, str, str]]:
    """Yield (loc, kind, id) for every Ref-marked field under a model instance."""
    if isinstance(obj, BaseModel):
        for name, kind in ref_fields(type(obj)).items():
            value = getattr(obj, name)
            if kind is not None:
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        yield (*loc, name, i), kind, item
                elif value is not None:
                    yield (*loc, name), kind, value
            elif isinstance(value, (BaseModel, list)):
                yield from walk_refs(value, (*loc, name))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from walk_refs(item, (*loc, i))


@cache
def ref_fields(model: type[BaseModel]) -> dict[str, str | None]:
    """The reference kind of each field of a model, or None (cached: models do not change)."""
    out: dict[str, str | None] = {}
    for name, info in model.model_fields.items():
        kinds = [m.kind for m in info.metadata if isinstance(m, Ref)] + _ref_kinds_in(info.annotation)
        out[name] = kinds[0] if kinds else None
    return out


def _ref_kinds_in(annotation: Any) -> list[str]:
    """Ref kinds inside list[...] / X | None annotations."""
    found: list[str] = []
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, Ref):
            found.append(meta.kind)
    for arg in getattr(annotation, "__args__", ()):
        found += _ref_kinds_in(arg)
    return found


def _duplicates(items: list[tuple[Loc, str]], what: str) -> Iterator[RefProblem]:
    seen: dict[str, Loc] = {}
    for loc, ident in items:
        if ident in seen:
            first = ".".join(str(p) for p in seen[ident])
            yield RefProblem(loc, f"duplicate {what} {ident!r} (first used at {first})", f"a unique {what}")
        else:
            seen[ident] = loc


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _is_id(annotation: Any) -> bool:
    return any(getattr(m, "func", None) is _check_id for m in getattr(annotation, "__metadata__", ()))


@cache
def _id_list_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """Fields of a model that hold a list of ids (tags, places, source refs ...)."""
    out = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if getattr(annotation, "__origin__", None) is list and _is_id(get_args(annotation)[0]):
            out.append(name)
    return tuple(out)


def check_repeated_ids(obj: Any, loc: Loc = ()) -> list[RefProblem]:
    """An id listed twice in one list (tags: [a, a]) is a mistake: report the repeat where it is."""
    problems: list[RefProblem] = []
    if isinstance(obj, BaseModel):
        id_lists = _id_list_fields(type(obj))
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            if name in id_lists:
                first: dict[str, int] = {}
                for i, ident in enumerate(value):
                    if ident in first:
                        where = _dotted((*loc, name, first[ident]))
                        problems.append(
                            RefProblem((*loc, name, i), f"repeated id {ident!r} (first at {where})", "each id once")
                        )
                    else:
                        first[ident] = i
            elif isinstance(value, (BaseModel, list)):
                problems += check_repeated_ids(value, (*loc, name))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            if isinstance(item, (BaseModel, list)):
                problems += check_repeated_ids(item, (*loc, i))
    return problems


def anchored(briefing: Briefing) -> Iterator[tuple[Loc, str, Section]]:
    """Every (loc, anchor id, section) in a briefing: claims, figures, quotes, developments ..."""

    def walk(obj: Any, loc: Loc, section: Section | None) -> Iterator[tuple[Loc, str, Section]]:
        if isinstance(obj, Event):
            return
        if isinstance(obj, BaseModel):
            ident = obj.__dict__.get("id")  # plain dict: no pydantic __getattr__ on models without id
            if section is not None and isinstance(ident, str) and not isinstance(obj, Source):
                yield (*loc, "id"), ident, section
            for name in type(obj).model_fields:
                yield from walk(getattr(obj, name), (*loc, name), section)
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                yield from walk(item, (*loc, i), section)

    for name, section in (
        ("strike", Section.strike),
        ("front_lines", Section.front_lines),
        ("diplomacy", Section.diplomacy),
        ("quotes", Section.quotes),
    ):
        yield from walk(getattr(briefing, name), (name,), section)


def check_briefing_refs(briefing: Briefing, entities: Entities) -> list[RefProblem]:
    """Every reference in a briefing resolves; ids that become anchors are unique."""
    known = entities.ids()
    source_ids = [s.id for s in briefing.sources]
    known["source"] = set(source_ids)
    problems: list[RefProblem] = []
    for loc, kind, ident in walk_refs(briefing, ()):
        if ident not in known[kind]:
            where = "this briefing's sources" if kind == "source" else f"the {kind} records in the entities file"
            options = ", ".join(sorted(known[kind])) or "none defined"
            problems.append(RefProblem(loc, f"unknown {kind} id {ident!r}", f"an id from {where}: {options}"))
    problems += _duplicates([(("sources", i, "id"), s) for i, s in enumerate(source_ids)], "source id")
    anchors = list(anchored(briefing))
    problems += _duplicates([(loc, ident) for loc, ident, _ in anchors], "anchor id")
    by_section = {(section, ident) for _, ident, section in anchors}
    problems += _derived_figure_problems(briefing)
    if briefing.strike is not None:
        problems += [RefProblem(("strike", *loc), m, e) for loc, m, e in briefing.strike.figure_rules()]
    problems += _stated_figure_problems(briefing)
    for i, event in enumerate(briefing.timeline):
        if not briefing.has_section(event.section):
            present = ", ".join(s.value for s in briefing.sections)
            problems.append(
                RefProblem(
                    ("timeline", i, "section"),
                    f"this briefing has no {event.section.value} section",
                    f"a section the briefing has: {present}",
                )
            )
        elif event.anchor and (event.section, event.anchor) not in by_section:
            ids = sorted(ident for s, ident in by_section if s == event.section)
            problems.append(
                RefProblem(
                    ("timeline", i, "anchor"),
                    f"no claim, figure or quote with id {event.anchor!r} in section {event.section.value}",
                    "one of: " + ", ".join(ids),
                )
            )
    return problems


def figures(briefing: Briefing) -> Iterator[tuple[Loc, Figure]]:
    """Every figure of a briefing with its location."""

    def walk(obj: Any, loc: Loc) -> Iterator[tuple[Loc, Figure]]:
        if isinstance(obj, Figure):
            yield loc, obj
        if isinstance(obj, BaseModel):
            for name in type(obj).model_fields:
                yield from walk(getattr(obj, name), (*loc, name))
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                yield from walk(item, (*loc, i))

    yield from walk(briefing, ())


def walk_models(obj: Any, loc: Loc, kind: type[BaseModel]) -> Iterator[tuple[Loc, Any]]:
    """Every instance of a record type under obj, with its location."""
    if isinstance(obj, kind):
        yield loc, obj
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from walk_models(getattr(obj, name), (*loc, name), kind)
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from walk_models(item, (*loc, i), kind)


def _stated_figure_problems(briefing: Briefing) -> list[RefProblem]:
    """A claim's `figures` name figures of this briefing."""
    ids = sorted({f.id for _, f in figures(briefing)})
    problems = []
    for loc, claim in walk_models(briefing, (), Claim):
        for j, ident in enumerate(claim.figures):
            if ident not in ids:
                problems.append(
                    RefProblem(
                        (*loc, "figures", j),
                        f"no figure {ident!r} in this briefing",
                        "an id of a figure in this briefing: " + (", ".join(ids) or "none"),
                    )
                )
    return problems


def as_published_warnings(briefing: Briefing, entities: Entities) -> list[RefProblem]:
    """A name as published that the person record does not list: is it a variant or a misspelling?"""
    people = {p.id: p for p in entities.people}
    problems = []
    for loc, speaker in walk_models(briefing, (), Speaker):
        person = people.get(speaker.person) if speaker.person else None
        if person is None or speaker.as_published is None:
            continue
        if speaker.as_published not in (*person.variants, *person.misspellings):
            problems.append(
                RefProblem(
                    (*loc, "as_published"),
                    f"{speaker.as_published!r} is not a spelling the record of {person.name} lists, so the page "
                    "cannot say whether it is a misspelling",
                    f"a spelling in the variants or misspellings of person {person.id} (entities file), "
                    "or no as_published",
                )
            )
    return problems


def _derived_figure_problems(briefing: Briefing) -> list[RefProblem]:
    """A figure declared as the sum of others names figures of this briefing and equals their sum."""
    by_id = {f.id: f for _, f in figures(briefing)}
    problems = []
    for loc, figure in figures(briefing):
        if not figure.sum_of:
            continue
        unknown = [p for p in figure.sum_of if p not in by_id or p == figure.id]
        for j, part in enumerate(figure.sum_of):
            if part in unknown:
                others = ", ".join(sorted(i for i in by_id if i != figure.id))
                message = "a figure cannot be a part of itself" if part == figure.id else f"no figure {part!r}"
                problems.append(
                    RefProblem((*loc, "sum_of", j), message, f"an id of a figure in this briefing: {others}")
                )
        if unknown:
            continue
        parts = [by_id[p].value for p in figure.sum_of]
        if abs(sum(parts) - figure.value) > 1e-9 * max(1.0, figure.value):
            shown = " + ".join(f"{v:g}" for v in parts)
            problems.append(
                RefProblem(
                    (*loc, "value"),
                    f"{figure.value:g} is not the sum of its parts ({shown} = {sum(parts):g})",
                    "the sum of the figures in sum_of",
                )
            )
    return problems


def check_entity_refs(entities: Entities) -> list[RefProblem]:
    """Entity records reference each other correctly and ids are unique per kind."""
    known = entities.ids()
    problems: list[RefProblem] = []
    for loc, kind, ident in walk_refs(entities, ()):
        if ident not in known[kind]:
            problems.append(RefProblem(loc, f"unknown {kind} id {ident!r}", f"an id of a {kind} record"))
    for kind in ("people", "places", "facilities", "organisations", "units"):
        records = getattr(entities, kind)
        problems += _duplicates([((kind, i, "id"), r.id) for i, r in enumerate(records)], f"{kind} id")
    return problems


def check_disputes(disputes: Disputes, briefings: list[Briefing]) -> list[RefProblem]:
    """Every side of a dispute names an existing briefing and a claim or figure in it."""
    by_slug = {b.slug: b for b in briefings}
    problems: list[RefProblem] = []
    problems += _duplicates([(("disputes", i, "id"), d.id) for i, d in enumerate(disputes.disputes)], "dispute id")
    for i, dispute in enumerate(disputes.disputes):
        for j, side in enumerate(dispute.sides):
            loc: Loc = ("disputes", i, "sides", j)
            briefing = by_slug.get(side.briefing)
            if briefing is None:
                options = ", ".join(sorted(by_slug)) or "none"
                problems.append(
                    RefProblem((*loc, "briefing"), f"unknown briefing {side.briefing!r}", f"one of: {options}")
                )
                continue
            ids = {ident for _, ident, _ in anchored(briefing)}
            where = (
                [(*loc, "claim")] if side.claim is not None else [(*loc, "claims", k) for k in range(len(side.claims))]
            )
            for item_loc, ident in zip(where, side.items, strict=True):
                if ident not in ids:
                    problems.append(
                        RefProblem(item_loc, f"no claim or figure {ident!r} in {side.briefing}", "an anchor id")
                    )
    return problems


# How far "about" may stretch a number when asking whether two figures can both be true.
ABOUT_MARGIN = 0.1


def figure_range(figure: Figure) -> tuple[float, float]:
    """The values a figure allows, as its qualifier puts it: about 1,500 -> 1,350 to 1,650; over 1,300 -> above it."""
    v = figure.value
    return {
        Qualifier.exact: (v, v),
        Qualifier.about: (v * (1 - ABOUT_MARGIN), v * (1 + ABOUT_MARGIN)),
        Qualifier.more_than: (math.nextafter(v, math.inf), math.inf),
        Qualifier.at_least: (v, math.inf),
        Qualifier.up_to: (0.0, v),
    }[figure.qualifier]


def dispute_warnings(disputes: Disputes, briefings: list[Briefing]) -> list[RefProblem]:
    """Disputes whose sides are figures of one quantity that can all be true at once: no contradiction."""
    by_slug = {b.slug: b for b in briefings}
    warnings = []
    for i, dispute in enumerate(disputes.disputes):
        sides: list[Figure] = []
        for side in dispute.sides:
            briefing = by_slug.get(side.briefing)
            found = [f for _, f in figures(briefing)] if briefing else []
            sides += [f for f in found if f.id == side.claim]
        if len(sides) != len(dispute.sides) or len({(f.unit, f.measure) for f in sides}) != 1:
            continue  # a side that is a claim in words, or figures of different things: a reader judges
        low = max(figure_range(f)[0] for f in sides)
        high = min(figure_range(f)[1] for f in sides)
        if low <= high:
            values = "; ".join(
                " ".join(p for p in (QUALIFIER_WORDS[f.qualifier], f"{f.value:,g}", f.unit) if p) for f in sides
            )
            warnings.append(
                RefProblem(
                    ("disputes", i, "sides"),
                    f"the sides can all be true ({values}): no contradiction, so no dispute; keep each as a figure",
                    "sides that contradict each other",
                )
            )
    return warnings


def _likelihood_words() -> list[tuple[str, Likelihood]]:
    words = [(w, level) for level, (_, _, ws) in LIKELIHOOD_INFO.items() for w in ws]
    return sorted(words, key=lambda pair: -len(pair[0]))  # "highly unlikely" before "unlikely" before "likely"


def likelihood_terms(text: str) -> set[Likelihood]:
    """Yardstick levels that words in free text express."""
    found: set[Likelihood] = set()
    remaining = text.lower()
    for word, level in _likelihood_words():
        pattern = re.compile(rf"\b{re.escape(word)}\b")
        if pattern.search(remaining):
            found.add(level)
            remaining = pattern.sub(" ", remaining)
    return found


def likelihood_warnings(briefing: Briefing) -> list[RefProblem]:
    """Claims whose text uses a likelihood word that contradicts their likelihood field."""
    warnings = []

    def walk(obj: Any, loc: Loc) -> None:
        if isinstance(obj, Claim) and obj.likelihood is not None:
            other = likelihood_terms(obj.text) - {obj.likelihood}
            if other:
                words = ", ".join(LIKELIHOOD_INFO[o][0].lower() for o in sorted(other))
                term, rng, _ = LIKELIHOOD_INFO[obj.likelihood]
                warnings.append(
                    RefProblem(
                        (*loc, "text"),
                        f"text says {words} but likelihood is {obj.likelihood.value}",
                        f"wording that matches {term.lower()} ({rng})",
                    )
                )
        if isinstance(obj, BaseModel):
            for name in type(obj).model_fields:
                walk(getattr(obj, name), (*loc, name))
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                walk(item, (*loc, i))

    walk(briefing, ())
    return warnings


_NUMBER_WORDS: dict[str, int] = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen".split()
    )
} | {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# Dates and years are not figures: "1 June", "June 1, 2025", "2025".
_DATES = re.compile(
    rf"\b[0-9]{{1,2}}\s+(?:{_MONTHS})\b(?:\s+[0-9]{{4}})?|\b(?:{_MONTHS})\s+[0-9]{{1,2}}\b(?:,?\s+[0-9]{{4}})?"
    r"|\b(?:1[0-9]|20)[0-9]{2}\b",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"(?<![0-9.,])[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9])|(?<![0-9.,])[0-9]+(?:\.[0-9]+)?")
_WORD_NUMBER = re.compile(
    r"\b("
    + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    + r")(?:-("
    + "|".join(w for w in _NUMBER_WORDS if _NUMBER_WORDS[w] < 10)
    + r"))?\b",
    re.IGNORECASE,
)
# Words by which a headline says who says so.
ATTRIBUTION_WORDS = (
    "says", "say", "said", "claims", "claim", "claimed", "reports", "report", "reported", "reportedly",
    "according to", "alleges", "alleged", "allegedly", "purportedly", "told", "tells",
)  # fmt: skip
_ATTRIBUTION_WORD = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in ATTRIBUTION_WORDS) + r")\b", re.IGNORECASE)


def numbers_in(text: str) -> set[float]:
    """The numbers a text states, in digits ("1,300") or words ("three", "twenty-one"); dates and years excluded."""
    text = _DATES.sub(" ", text)
    found = {float(m.group().replace(",", "")) for m in _DIGITS.finditer(text)}
    for m in _WORD_NUMBER.finditer(text):
        found.add(float(_NUMBER_WORDS[m.group(1).lower()] + (_NUMBER_WORDS[m.group(2).lower()] if m.group(2) else 0)))
    return found


def headline_warnings(briefing: Briefing) -> list[RefProblem]:
    """A headline that states as fact a number the briefing only attributes (reported, claimed, unconfirmed ...)."""
    if _ATTRIBUTION_WORD.search(briefing.title):
        return []
    stated = numbers_in(briefing.title)
    if not stated:
        return []
    checked: set[float] = set()
    attributed: dict[float, tuple[Loc, Attributed]] = {}
    for loc, item in walk_models(briefing, (), Attributed):
        numbers = {item.value} if isinstance(item, Figure) else set()
        if isinstance(item, (Claim, Statement, Event)):
            numbers |= numbers_in(item.text)
        for number in numbers:
            if item.status.value in CHECKED_STATUSES:
                checked.add(number)
            else:
                attributed.setdefault(number, (loc, item))
    warnings = []
    for number in sorted(stated - checked):
        if number not in attributed:
            continue
        loc, item = attributed[number]
        hedge = f", {item.attribution}" if item.attribution else ""
        warnings.append(
            RefProblem(
                ("title",),
                f"the headline states {number:g} as fact, but the briefing only attributes it "
                f"({_dotted(loc)}: {item.status.value}{hedge})",
                "a headline that keeps the attribution: " + ", ".join(ATTRIBUTION_WORDS[:4]) + ", according to ...",
            )
        )
    return warnings


def url_host_warnings(briefing: Briefing) -> list[RefProblem]:
    """URLs whose host is a literal loopback, private, link-local or reserved address, localhost or a dotless name."""
    from .addresses import host_problem  # stdlib only; judges the host as written, never resolves it

    warnings = []

    def walk(obj: Any, loc: Loc) -> None:
        if isinstance(obj, BaseModel):
            for name in type(obj).model_fields:
                value = getattr(obj, name)
                if name == "url" and isinstance(value, str):
                    problem = host_problem(urlsplit(value).hostname or "")
                    if problem:
                        message = f"URL host {problem}, not a public site; the external link check will not fetch it"
                        warnings.append(RefProblem((*loc, name), message, "a public web address"))
                else:
                    walk(value, (*loc, name))
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                walk(item, (*loc, i))

    walk(briefing, ())
    return warnings


_QUOTE_PAIRS = {'"': '"', "“": "”", "„": "“", "‘": "’", "'": "'", "«": "»", "»": "«", "‹": "›", "「": "」"}


def _refs_to(obj: Any, kind: str) -> set[str]:
    return {ident for _, k, ident in walk_refs(obj, ()) if k == kind}


def editor_warnings(briefing: Briefing, entities: Entities) -> list[RefProblem]:
    """Things that do not block a build but are usually a slip: unused sources and places, quoted quotes."""
    warnings = []
    cited = {ident for loc, ident in _source_uses(briefing) if loc[0] != "sources"}
    for i, source in enumerate(briefing.sources):
        if source.id not in cited:
            warnings.append(
                RefProblem(
                    ("sources", i, "id"), f"no claim, figure or quote cites source {source.id!r}", "every source cited"
                )
            )
    used = set()
    for name in ("strike", "front_lines", "diplomacy", "quotes", "takeaways", "timeline"):
        used |= _refs_to(getattr(briefing, name), "place")
        for facility in _refs_to(getattr(briefing, name), "facility"):
            used |= {f.place for f in entities.facilities if f.id == facility}
    within = {p.id: p.within for p in entities.places}
    for place in list(used):  # a city's region and country are referred to through it
        while within.get(place) and within[place] not in used:
            place = within[place]  # type: ignore[assignment]
            used.add(place)
    for i, place in enumerate(briefing.places):
        if place not in used:
            warnings.append(
                RefProblem(
                    ("places", i),
                    f"place {place!r} is listed for the briefing but nothing in it refers to it",
                    "a place some claim, target or section refers to (about.places, places, place)",
                )
            )
    for i, quote in enumerate(briefing.quotes):
        text = quote.text.strip()
        if len(text) > 1 and _QUOTE_PAIRS.get(text[0]) == text[-1]:
            warnings.append(
                RefProblem(
                    ("quotes", i, "text"),
                    f"the quote is wrapped in its own quotation marks ({text[0]}…{text[-1]}); the page adds them",
                    "the exact words without surrounding quotation marks",
                )
            )
    warnings += unquoted_quote_warnings(briefing)
    warnings += as_published_warnings(briefing, entities)
    return warnings


_PROSE_FIELDS = ("text", "context", "note", "summary", "change")
_OPENING_MARKS = frozenset(_QUOTE_PAIRS)


def unquoted_quote_warnings(briefing: Briefing) -> list[RefProblem]:
    """Prose that repeats the verbatim words of a quote of the briefing without quotation marks."""
    phrases = []
    for quote in briefing.quotes:
        words = quote.text.strip().strip(".,;:!?…" + "".join(_QUOTE_PAIRS)).strip()
        if len(words.split()) >= 2:
            phrases.append((quote, words, re.compile(re.escape(words), re.IGNORECASE)))
    warnings = []

    def walk(obj: Any, loc: Loc) -> None:
        if isinstance(obj, BaseModel):
            for name in type(obj).model_fields:
                value = getattr(obj, name)
                if name in _PROSE_FIELDS and isinstance(value, str):
                    for quote, words, pattern in phrases:
                        if isinstance(obj, Quote) and obj.id == quote.id and name == "text":
                            continue
                        for m in pattern.finditer(value):
                            before = value[: m.start()].rstrip()
                            if not before or before[-1] not in _OPENING_MARKS:
                                warnings.append(
                                    RefProblem(
                                        (*loc, name),
                                        f"repeats the words of quote {quote.id} without quotation marks: {words!r}",
                                        "verbatim words in quotation marks, or a paraphrase",
                                    )
                                )
                                break
                else:
                    walk(value, (*loc, name))
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                walk(item, (*loc, i))

    walk(briefing, ())
    return warnings


def _source_uses(briefing: Briefing) -> Iterator[tuple[Loc, str]]:
    for loc, kind, ident in walk_refs(briefing, ()):
        if kind == "source":
            yield loc, ident


def copied_warnings(briefing: Briefing, base: Briefing) -> list[RefProblem]:
    """Places and targets of a briefing started with `new --from` that still equal the base briefing's."""
    warnings = []
    hint = f"values of this briefing (they are still those of {base.slug}); delete based_on when done"
    if briefing.places and briefing.places == base.places:
        warnings.append(RefProblem(("places",), f"places are the same as in {base.slug}", hint))
    if briefing.strike and base.strike:
        if briefing.strike.places and briefing.strike.places == base.strike.places:
            warnings.append(RefProblem(("strike", "places"), f"strike places are the same as in {base.slug}", hint))
        old = {(t.facility, t.place, t.description) for t in base.strike.targets}
        for i, target in enumerate(briefing.strike.targets):
            if (target.facility, target.place, target.description) in old:
                warnings.append(RefProblem(("strike", "targets", i), f"target is the same as one in {base.slug}", hint))
    return warnings
