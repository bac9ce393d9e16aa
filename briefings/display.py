"""How numbers, units, counts and dates read: plain text, for the templates and the feeds alike.

Pure functions of values; no escaping (the environment escapes what templates print).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import TYPE_CHECKING

from .vocabulary import KM_PER_MILE

if TYPE_CHECKING:  # the model's own messages print numbers with number() below
    from .model import Figure, When


def number(value: float) -> str:
    """1000 -> 1,000; 2.5 -> 2.5; 1234567.25 -> 1,234,567.25: every digit the data has, never an exponent."""
    if float(value).is_integer():
        return f"{int(value):,}"
    # repr is the shortest text that reads back as the same float; format g would round to 6 digits.
    return f"{Decimal(repr(float(value))):,f}"


def figure_value(fig: Figure) -> str:
    """`over 1,000` : qualifier and number."""
    return " ".join(p for p in (fig.qualifier.word, number(fig.value)) if p)


def unit_words(fig: Figure, words: tuple[str, str]) -> str:
    """The singular or plural of a figure's unit, as its value needs."""
    one, many = words
    return one if fig.value == 1 and fig.qualifier.value == "exact" else many


def figure_text(fig: Figure, words: tuple[str, str]) -> str:
    """`over 1,000 drones`: qualifier, number and unit word, as plain text."""
    return " ".join(p for p in (figure_value(fig), unit_words(fig, words)) if p)


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
    return " ".join(p for p in (fig.qualifier.word, number(mi), "mi") if p)


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


def month_name(month: int) -> str:
    """1 -> January."""
    return dt.date(2000, month, 1).strftime("%B")
