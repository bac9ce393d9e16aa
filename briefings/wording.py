"""The wording lint: warnings about how a briefing's text reads (hedges, headlines, quotes, copied text, hosts).

Warnings never stop a build; `python build.py check` lists them with file, line and field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from . import display
from .integrity import RefProblem, as_published_warnings, walk_refs
from .model import Attributed, Briefing, Claim, Entities, Event, Figure, Quote, Statement
from .scalars import Loc, dotted
from .traverse import walk_models
from .vocabulary import Likelihood


def _likelihood_words() -> list[tuple[str, Likelihood]]:
    words = [(w, level) for level in Likelihood for w in level.words]
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

    for loc, claim in walk_models(briefing, (), Claim):
        if claim.likelihood is None:
            continue
        other = likelihood_terms(claim.text) - {claim.likelihood}
        if other:
            words = ", ".join(o.label.lower() for o in sorted(other))
            warnings.append(
                RefProblem(
                    (*loc, "text"),
                    f"text says {words} but likelihood is {claim.likelihood.value}",
                    f"wording that matches {claim.likelihood.label.lower()} ({claim.likelihood.range})",
                )
            )
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
            if item.status.checked:
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
                f"the headline states {display.number(number)} as fact, but the briefing only attributes it "
                f"({dotted(loc)}: {item.status.value}{hedge})",
                "a headline that keeps the attribution: " + ", ".join(ATTRIBUTION_WORDS[:4]) + ", according to ...",
            )
        )
    return warnings


def url_host_warnings(briefing: Briefing) -> list[RefProblem]:
    """URLs whose host is a literal loopback, private, link-local or reserved address, localhost or a dotless name."""
    from .addresses import host_problem  # stdlib only; judges the host as written, never resolves it

    warnings = []
    for loc, record in walk_models(briefing, (), BaseModel):
        value = record.__dict__.get("url")
        problem = host_problem(urlsplit(value).hostname or "") if isinstance(value, str) else None
        if problem:
            message = f"URL host {problem}, not a public site; the external link check will not fetch it"
            warnings.append(RefProblem((*loc, "url"), message, "a public web address"))
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
