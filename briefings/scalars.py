"""Field types of the data model: checked text, ids, URLs, numbers and dates, each with its rule and description.

Imports nothing of ours; the model (model.py) declares its fields with these types.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field

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


_SPACE = re.compile(r"\s")  # the characters str.isspace accepts (re's \s on str patterns is the same set)

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
    formatting = False  # whether some character is an invisible formatting one (found by position below)
    for ch in sorted(set(value)):
        if ch in _BIDI:
            raise ValueError(f"contains the bidirectional control character U+{ord(ch):04X}")
        if ord(ch) > 127:
            category = unicodedata.category(ch)
            if category in ("Cc", "Cs", "Co", "Cn"):
                raise ValueError(f"contains the control or unassigned character U+{ord(ch):04X}")
            formatting = formatting or (category == "Cf" and ord(ch) >= 0xAD)
    if not formatting:  # each distinct character looked up once, not every position of a long text
        return
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
    if _SPACE.search(value):
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
# take a name the page plan (briefings.plan.page_plan) gives a page of its own in the
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


@lru_cache(maxsize=8192)  # a pure function of the text, called for every event on every rebuild (timeline order)
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

# A location in a data file: the field path from the document's root.
Loc = tuple[str | int, ...]


def dotted(loc: Loc) -> str:
    """A field path as editors write it: strike.casualties[0].value."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
