"""The desk's vocabulary, each term defined once with its label and meaning.

Verification statuses, source kinds, channels, qualifiers, sections, measures, the probability
yardstick, the Admiralty grades and the lineage relations: the model declares fields with these
values, templates show their labels, the statuses and method pages list their definitions.
Imports nothing of ours.
"""

from __future__ import annotations

import inspect
from enum import IntEnum, StrEnum
from typing import NamedTuple, Self

# --------------------------------------------------------------------------- terms


def _fields(vocabulary: type) -> list[str]:
    """The names a vocabulary's members carry: the fields it annotates itself, in order (not `_value_`)."""
    return [name for name in inspect.get_annotations(vocabulary) if not name.startswith("_")]


def _define(member: Terms | NumberedTerms, term: tuple[object, ...]) -> None:
    """Give a member its term: the values written after its value, one per annotated field."""
    names = _fields(type(member))
    if len(term) != len(names):
        raise TypeError(f"{type(member).__name__} {member._value_!r}: after the value give {', '.join(names)}")
    for name, value in zip(names, term, strict=True):
        setattr(member, name, value)


class Terms(StrEnum):
    """A vocabulary whose members carry their own definition.

    A subclass annotates the fields its members carry (`label: str` ...) and writes each member
    once, as its value followed by those fields: `confirmed = "confirmed", "Confirmed", ...`.
    The value alone is what the data and the JSON Schema use; `Status("confirmed")` looks it up.
    """

    _value_: str

    def __new__(cls, value: str, *term: object) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        _define(member, term)
        return member


class NumberedTerms(IntEnum):
    """Terms (above) whose values are numbers."""

    _value_: int

    def __new__(cls, value: int, *term: object) -> Self:
        member = int.__new__(cls, value)
        member._value_ = value
        _define(member, term)
        return member


# --------------------------------------------------------------------------- vocabularies


class Status(Terms):
    """The desk's verification status: how far a statement is established, not the verb its source used."""

    label: str  # the badge
    meaning: str  # one short sentence: what the badge tells a reader (its explanation on hover and focus)
    use: str  # when an editor gives it
    not_: str  # what it is not, with the status to give instead

    confirmed = (
        "confirmed",
        "Confirmed",
        "Confirmed by someone independent of the claimant.",
        "A party with no stake in the claim (an independent outlet, investigator or international body) says on the "
        "record that it checked the claim and it holds. Name that source in confirmed_by.",
        'The claimant\'s own word, whatever verb the source uses: a governor who "confirmed" his own casualty '
        'figures is reported; a ministry that "confirmed" its own operation is claimed.',
    )
    verified = (
        "verified",
        "Verified",
        "Footage or a document found authentic by an independent checker.",
        "A named checker independent of the publisher (an outlet's verification team, an imagery analyst) says it "
        "examined the material and found it authentic. Name that source in confirmed_by.",
        "Material a source calls authentic without saying who checked it: reported, with the source's words in "
        "the attribution.",
    )
    reported = (
        "reported",
        "Reported",
        "Reported by an outlet or an official; not independently checked.",
        "An outlet states it in its own voice or relays it; an official gives an account of what happened on the "
        "ground in their area (civilian casualties, damage, closures, evacuations); a quote or statement we read in "
        "an outlet's report. The attribution names the official or outlet it comes from.",
        "A side's assertion about the conflict (claimed); a report a source says it could not confirm (not "
        "independently confirmed).",
    )
    claimed = (
        "claimed",
        "Claimed",
        "Asserted by a party to the events; not independently checked.",
        "A side of the conflict (its government, forces, security services or officials, named or not) asserts "
        "something about the conflict: who carried out an attack, what its own operation hit or destroyed, what "
        "it shot down or repelled, military losses on either side, or what the other side did, intends, proposed "
        "or refused.",
        "An outlet's own reporting, or an official's account of civilian casualties and damage (reported). A "
        "side's denial of what the other side says about it is that side's claim, never denied.",
    )
    unconfirmed = (
        "unconfirmed",
        "Not independently confirmed",
        "A source, or the desk, says it could not be confirmed.",
        'The source says so ("not independently confirmed", "could not verify"), or the desk looked for '
        "confirmation and found none; the attribution says who says so. It goes on the claim that could not be "
        "confirmed and takes precedence over reported and claimed.",
        'A sentence about the checking itself ("the outlet could not verify the claims"): that sentence is '
        "reported; the claims it concerns are not independently confirmed.",
    )
    denied = (
        "denied",
        "Denied",
        "Claimed by one party, denied by the party it concerns.",
        "A claim made by one party that the party it concerns has denied; the attribution names who claims it and "
        "who denies it.",
        'A party\'s own denial, or its own account of its losses ("damaged, not destroyed"): that is the '
        "party's claim (claimed), or a statement (reported).",
    )
    disputed = (
        "disputed",
        "Disputed",
        "Sources contradict each other; each side is shown.",
        "A line that sums up a contradiction between sources, and the dispute itself. Values that can all be true "
        "(more than 1,300 km and about 1,500 km) are no dispute.",
        "A side of a dispute: it keeps its own status (reported, claimed ...) and links to the dispute.",
    )

    @property
    def checked(self) -> bool:
        """Whether the status says someone independent of the claimant checked the claim (confirmed_by names them)."""
        return self in (Status.confirmed, Status.verified)


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


class SourceKind(Terms):
    """What kind of source we read: an outlet's report, an official text, a post, footage."""

    label: str

    official = "official", "Official"
    media = "media", "Media"
    social_post = "social-post", "Social media post"
    verified_footage = "verified-footage", "Verified footage"
    government = "government", "Government"
    analysis = "analysis", "Analysis"


class Channel(Terms):
    """How a statement or quote was delivered."""

    label: str

    statement = "statement", "Statement"
    post_on_x = "post-on-x", "Post on X"
    post_on_telegram = "post-on-telegram", "Post on Telegram"
    remarks_to_media = "remarks-to-media", "Remarks to media"
    speech = "speech", "Speech"
    press_conference = "press-conference", "Press conference"
    interview = "interview", "Interview"
    phone_call = "phone-call", "Phone call"
    social_media_post = "social-media-post", "Social media post"
    document = "document", "Document"


class Qualifier(Terms):
    """How exact a figure is, as the source put it."""

    word: str  # the words shown before the number ("" for an exact figure)

    exact = "exact", ""
    about = "about", "about"
    more_than = "more-than", "over"
    at_least = "at-least", "at least"
    up_to = "up-to", "up to"


class Section(Terms):
    """The four sections every briefing has."""

    label: str  # its page's title

    strike = "strike", "The strike"
    front_lines = "front-lines", "Front lines"
    diplomacy = "diplomacy", "Diplomacy"
    quotes = "quotes", "Quotes"


class EntityKind(NamedTuple):
    """A kind of shared record: the name references give it, the name of its list (in the entities
    file, in an item's `about`, and the folder of its pages), and its heading."""

    kind: str
    plural: str
    label: str


# Every kind of shared record, once, in the order the site lists them.
ENTITY_KINDS: tuple[EntityKind, ...] = (
    EntityKind("person", "people", "People"),
    EntityKind("place", "places", "Places"),
    EntityKind("facility", "facilities", "Facilities"),
    EntityKind("organisation", "organisations", "Organisations"),
)

KM_PER_MILE = 1.609344


# The one unit the code knows: distances are kept in kilometres and can be shown in miles.
# Every other unit (people, drones, aircraft ...) is a record in the entities file.
DISTANCE_UNIT = "km"


class Measure(Terms):
    """What a count of weapons or equipment says happened to them."""

    label: str

    launched = "launched", "Launched"
    intercepted = "intercepted", "Intercepted"
    suppressed = "suppressed", "Suppressed"
    hit = "hit", "Hit"
    destroyed = "destroyed", "Destroyed"
    damaged = "damaged", "Damaged"
    lost = "lost", "Lost"
    used = "used", "Used"


class Likelihood(Terms):
    """The UK intelligence probability yardstick (Professional Head of Intelligence Assessment)."""

    label: str  # the term shown
    range: str  # the probability it stands for, in per cent
    words: tuple[str, ...]  # the words that express it in free text

    remote_chance = "remote-chance", "Remote chance", "0–5%", ("remote chance",)
    highly_unlikely = "highly-unlikely", "Highly unlikely", "10–20%", ("highly unlikely", "very unlikely")
    unlikely = "unlikely", "Unlikely", "25–35%", ("unlikely", "improbable")
    realistic_possibility = "realistic-possibility", "Realistic possibility", "40–50%", ("realistic possibility",)
    likely = "likely", "Likely or probable", "55–75%", ("likely", "probable", "probably")
    highly_likely = "highly-likely", "Highly likely", "80–90%", ("highly likely", "very likely")
    almost_certain = "almost-certain", "Almost certain", "95–100%", ("almost certain", "almost certainly")


class Reliability(Terms):
    """How reliable a source is, judged from its record: A (completely reliable) to F (cannot be judged)."""

    label: str  # the Admiralty code's term
    meaning: str  # when the grade is given (its explanation on hover and focus, and on the method page)

    A = (
        "A",
        "Completely reliable",
        "No doubt of authenticity, trustworthiness or competency; a history of complete reliability.",
    )
    B = (
        "B",
        "Usually reliable",
        "Minor doubt about authenticity, trustworthiness or competency; a history of valid information.",
    )
    C = (
        "C",
        "Fairly reliable",
        "Doubt about authenticity, trustworthiness or competency; has provided valid information before.",
    )
    D = (
        "D",
        "Not usually reliable",
        "Significant doubt about authenticity, trustworthiness or competency; valid information in the past.",
    )
    E = (
        "E",
        "Unreliable",
        "Lacking in authenticity, trustworthiness and competency; a history of invalid information.",
    )
    F = "F", "Reliability cannot be judged", "No basis exists for evaluating the reliability of the source."


class Credibility(NumberedTerms):
    """How credible an item of information is: 1 (confirmed by other sources) to 6 (cannot be judged)."""

    label: str  # the Admiralty code's term
    meaning: str  # when the grade is given

    confirmed = (
        1,
        "Confirmed by other sources",
        "Confirmed by other independent sources; logical in itself; consistent with other information on the subject.",
    )
    probably_true = (
        2,
        "Probably true",
        "Not confirmed; logical in itself; consistent with other information on the subject.",
    )
    possibly_true = (
        3,
        "Possibly true",
        "Not confirmed; reasonably logical in itself; agrees with some other information on the subject.",
    )
    doubtful = 4, "Doubtful", "Not confirmed; possible but not logical; no other information on the subject."
    improbable = (
        5,
        "Improbable",
        "Not confirmed; not logical in itself; contradicted by other information on the subject.",
    )
    cannot_be_judged = 6, "Truth cannot be judged", "No basis exists for evaluating the validity of the information."


# Reliability from best to worst, for choosing the grade a combined code shows (F is no judgement, so last).
RELIABILITY_ORDER: tuple[Reliability, ...] = tuple(Reliability)


class CombinedGrade(NamedTuple):
    """The compact code a page shows ("B2"): the weakest cited source's reliability and the item's credibility."""

    reliability: Reliability | None
    credibility: Credibility | None
    source: str | None = None  # the name of the source the letter belongs to

    @property
    def code(self) -> str:
        """ "B2", "B" or "2"; "" when neither part is graded."""
        return (self.reliability.value if self.reliability else "") + (
            str(int(self.credibility)) if self.credibility else ""
        )

    @property
    def meaning(self) -> str:
        """ "source usually reliable; information probably true", in words."""
        parts = []
        if self.reliability is not None:
            label = self.reliability.label.lower()
            parts.append(f"source ({self.source}) {label}" if self.source else f"source {label}")
        if self.credibility is not None:
            label = self.credibility.label
            parts.append(("information " + label.lower()) if self.credibility < 6 else label.lower())
        return "; ".join(parts)


def combined(
    reliabilities: list[Reliability | None], credibility: Credibility | None, names: list[str] | None = None
) -> CombinedGrade:
    """The combined grade of an item citing sources of these reliabilities (names: the sources' names, in order).

    The letter is the weakest graded source's (F, cannot be judged, counts as weakest): a claim is
    never shown as better sourced than every source it rests on. The digit says how far it is
    corroborated.
    """
    graded = [(r, (names or [])[i] if names and i < len(names) else None) for i, r in enumerate(reliabilities) if r]
    if not graded:
        return CombinedGrade(None, credibility)
    weakest, name = max(graded, key=lambda pair: RELIABILITY_ORDER.index(pair[0]))
    return CombinedGrade(weakest, credibility, name)


class Relation(Terms):
    """What a claim does to the claim of an earlier briefing it names."""

    past: str  # how it reads in a history: "revised on 18 November 2024"
    meaning: str  # when an editor gives it

    restates = (
        "restates",
        "restated",
        "says again what the earlier claim said, with nothing new (a later report recalling it)",
    )
    confirms = (
        "confirms",
        "confirmed",
        "a source independent of the earlier claim's now confirms it (its status says how far)",
    )
    revises = "revises", "revised", "replaces it with a newer account or figure of the same thing (a toll that rose)"
    contradicts = (
        "contradicts",
        "contradicted",
        "says otherwise about the same thing; usually also a dispute, with each side",
    )
