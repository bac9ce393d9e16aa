"""Locator maps drawn at build time: projected outlines, places and distance rings, no tiles.

Projection: equirectangular (plate carrée) with a standard parallel at the middle
latitude of the view, x = R·(λ − λ₀)·cos φ₁, y = R·(φ₀ − φ) (Snyder, *Map Projections:
A Working Manual*, USGS Professional Paper 1395, 1987, pp. 90-91). Distances are drawn
as rings of points at the stated distance on a sphere of radius 6,371 km (the
"destination point" formula of spherical trigonometry), then projected the same way.
This module only computes coordinates; templates/locator.svg.j2 draws them. It also
reads and checks the boundary data (data/geo/region.json) they are drawn from.
"""

from __future__ import annotations

import json
import math
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .display import number
from .errors import DataError, Problem, printable
from .files import decode_utf8, read_regular_file
from .vocabulary import KM_PER_MILE

EARTH_RADIUS_KM = 6371.0
WIDTH = 720.0


@dataclass(frozen=True)
class Region:
    """Country outlines (lon, lat rings) and the view box they were cut for."""

    bbox: tuple[float, float, float, float]
    countries: tuple[tuple[str, tuple[tuple[tuple[float, float], ...], ...]], ...]
    source: str


# --------------------------------------------------------------------------- the vendored boundary data
#
# data/geo/region.json is a data file like any other: it may be replaced by a pull request,
# so it is read with the safe reader (regular file, no link, bounded size), parsed with
# bounded nesting and numbers, and checked field by field. Every fault is a Problem naming
# the file (and, for JSON syntax, line and column), reported like a briefing's (exit 2).

REGION_MAX_BYTES = 2 * 1024 * 1024  # the vendored file is ~25 KB
REGION_MAX_DEPTH = 8  # {"countries": [{"rings": [[[lon, lat]]]}]} needs 6
REGION_MAX_COUNTRIES = 1_000
REGION_MAX_RINGS = 1_000  # per country
REGION_MAX_POINTS = 200_000  # in all rings together
REGION_MAX_PROBLEMS = 20  # a file of 100,000 bad points is reported by its first few
MIN_EXTENT = 0.01  # degrees (about 1 km): a smaller view box has nothing to show
MAX_ASPECT = 10.0  # the projected map at most 10 times as tall as wide, or as wide as tall
REGION_FIELDS = {"source": True, "licence": False, "bbox": True, "countries": True}  # name -> required
COUNTRY_FIELDS = {"name": True, "rings": True}
REGION_EXPECTED = "a JSON object with bbox, countries and source, as scripts/vendor_map.py writes it"


@dataclass(frozen=True)
class _NotFinite:
    """A JSON number too large for a float, or NaN/Infinity (which JSON does not allow)."""

    text: str

    def shown(self) -> str:
        text = self.text
        return text if len(text) <= 24 else f"{text[:12]}... ({len(text)} characters)"


def _number(text: str) -> float | _NotFinite:
    # float() has no digit limit (int() stops at 4,300 digits); a huge value becomes inf.
    value = float(text)
    return value if math.isfinite(value) else _NotFinite(text)


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


def _too_deep(text: str, limit: int) -> int | None:
    """Offset of the first bracket nested deeper than limit (outside strings), or None.

    json.loads recurses once per level and fails with RecursionError on deep input;
    this scan bounds the depth before parsing.
    """
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return match.start()
        elif token in "]}":
            depth -= 1
    return None


def _line_col(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


class _RegionCheck:
    """Checks parsed region.json field by field, collecting Problems (at most REGION_MAX_PROBLEMS)."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.problems: list[Problem] = []
        self.points = 0

    def problem(self, field: str, message: str, expected: str = "") -> None:
        if len(self.problems) < REGION_MAX_PROBLEMS:
            self.problems.append(Problem(self.display, None, None, field, message, expected))

    def fields(self, data: dict[str, Any], known: dict[str, bool], where: str, expected: str) -> bool:
        """Unknown and missing keys; True if every required one is there."""
        ok = True
        for key in data:
            if key not in known:
                shown = key if len(key) <= 60 else key[:60] + "..."
                self.problem(f"{where}{shown}", f"unknown field {shown!r}", f"one of: {', '.join(known)}")
        for key, required in known.items():
            if required and key not in data:
                self.problem(f"{where}{key}", "required field is missing", expected)
                ok = False
        return ok

    def text(self, value: Any, field: str, limit: int) -> str | None:
        expected = f"one line of text, at most {limit} characters"
        if not isinstance(value, str):
            self.problem(field, f"is {_kind(value)}", expected)
        elif not value.strip():
            self.problem(field, "is empty", expected)
        elif len(value) > limit:
            self.problem(field, f"is {len(value)} characters long", expected)
        elif printable(value) != value:
            self.problem(field, f"has a control character or line break ({printable(value)[:60]})", expected)
        else:
            return value
        return None

    def number(self, value: Any, field: str, low: float, high: float, expected: str) -> float | None:
        if isinstance(value, _NotFinite):
            self.problem(field, f"{value.shown()} is not a finite number", expected)
            return None
        if isinstance(value, bool) or not isinstance(value, float):
            self.problem(field, f"is {_kind(value)}", expected)
            return None
        if not low <= value <= high:
            self.problem(field, f"{number(value)} is out of range", expected)
            return None
        return value

    def point(self, value: Any, field: str) -> tuple[float, float] | None:
        if not isinstance(value, list) or len(value) != 2:
            self.problem(field, f"is {_kind(value)}", "a [longitude, latitude] pair of numbers")
            return None
        lon = self.number(value[0], f"{field}[0]", -180, 180, "a longitude from -180 to 180")
        lat = self.number(value[1], f"{field}[1]", -90, 90, "a latitude from -90 to 90")
        return (lon, lat) if lon is not None and lat is not None else None

    def bbox(self, value: Any) -> tuple[float, float, float, float] | None:
        expected = "[west, south, east, north] in degrees"
        if not isinstance(value, list) or len(value) != 4:
            self.problem("bbox", f"is {_kind(value)}", f"a list of 4 numbers, {expected}")
            return None
        ranges = [("longitude", 180), ("latitude", 90)] * 2
        numbers = [
            self.number(v, f"bbox[{i}]", -limit, limit, f"a {what} from -{limit} to {limit}")
            for i, (v, (what, limit)) in enumerate(zip(value, ranges, strict=True))
        ]
        if any(n is None for n in numbers):
            return None
        west, south, east, north = (float(n) for n in numbers if n is not None)
        if east - west < MIN_EXTENT or north - south < MIN_EXTENT:
            self.problem(
                "bbox",
                f"west {number(west)}, south {number(south)}, east {number(east)}, north {number(north)} "
                "is not a view box",
                f"west < east and south < north, each at least {MIN_EXTENT} degrees apart",
            )
            return None
        aspect = (north - south) / ((east - west) * math.cos(math.radians((south + north) / 2)))
        if not 1 / MAX_ASPECT <= aspect <= MAX_ASPECT:
            self.problem(
                "bbox",
                f"the map would be {aspect:.3g} times as tall as it is wide",
                f"a view box from {1 / MAX_ASPECT:g} to {MAX_ASPECT:g} times as tall as wide",
            )
            return None
        return west, south, east, north

    def country(self, value: Any, field: str) -> tuple[str, tuple[tuple[tuple[float, float], ...], ...]] | None:
        if not isinstance(value, dict):
            self.problem(field, f"is {_kind(value)}", "an object with name and rings")
            return None
        if not self.fields(value, COUNTRY_FIELDS, f"{field}.", "an object with name and rings"):
            return None
        name = self.text(value["name"], f"{field}.name", 200)
        rings = value["rings"]
        if not isinstance(rings, list) or not 1 <= len(rings) <= REGION_MAX_RINGS:
            self.problem(f"{field}.rings", f"is {_kind(rings)}", f"a list of 1 to {REGION_MAX_RINGS} rings")
            return None
        checked = []
        for r, ring in enumerate(rings):
            where = f"{field}.rings[{r}]"
            if not isinstance(ring, list) or len(ring) < 3:
                self.problem(where, f"is {_kind(ring)}", "a list of at least 3 [longitude, latitude] points")
                continue
            self.points += len(ring)
            if self.points > REGION_MAX_POINTS:
                self.problem(where, f"more than {REGION_MAX_POINTS} points in all", "a simplified outline")
                return None
            points = [self.point(p, f"{where}[{i}]") for i, p in enumerate(ring)]
            checked.append(tuple(p for p in points if p is not None))
        return (name, tuple(checked)) if name is not None else None

    def region(self, data: Any) -> Region | None:
        if not isinstance(data, dict):
            self.problem("", f"top level is {_kind(data)}", REGION_EXPECTED)
            return None
        if not self.fields(data, REGION_FIELDS, "", REGION_EXPECTED):
            return None
        source = self.text(data["source"], "source", 500)
        if "licence" in data:
            self.text(data["licence"], "licence", 1000)
        bbox = self.bbox(data["bbox"])
        countries = data["countries"]
        if not isinstance(countries, list) or len(countries) > REGION_MAX_COUNTRIES:
            self.problem("countries", f"is {_kind(countries)}", f"a list of at most {REGION_MAX_COUNTRIES} countries")
            return None
        checked = [self.country(c, f"countries[{i}]") for i, c in enumerate(countries)]
        if self.problems or bbox is None or source is None:
            return None
        return Region(bbox, tuple(c for c in checked if c is not None), source)


def _kind(value: Any) -> str:
    """How a problem names a JSON value it did not expect."""
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if value is None:
        return "null"
    if isinstance(value, _NotFinite):
        return f"{value.shown()}, not a finite number"
    return f"the number {number(value)}"


def parse_region(raw: bytes, display: str) -> tuple[Region | None, list[Problem]]:
    """region.json's bytes as a Region, or the problems that stopped it."""
    text, problems = decode_utf8(raw, display)
    if text is None:
        return None, problems
    if not text.strip():
        return None, [Problem(display, 1, None, "", "file is empty", REGION_EXPECTED)]
    deep = _too_deep(text, REGION_MAX_DEPTH)
    if deep is not None:
        line, col = _line_col(text, deep)
        message = f"nesting deeper than {REGION_MAX_DEPTH} levels"
        return None, [Problem(display, line, col, "", message, REGION_EXPECTED)]
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                duplicates.append(key)
            out[key] = value
        return out

    try:
        data = json.loads(
            text, parse_int=_number, parse_float=_number, parse_constant=_NotFinite, object_pairs_hook=pairs
        )
    except json.JSONDecodeError as exc:
        return None, [Problem(display, exc.lineno, exc.colno, "", f"JSON syntax error: {exc.msg}", "valid JSON")]
    except (ValueError, RecursionError) as exc:  # pragma: no cover - bounded above; kept as a last guard
        return None, [Problem(display, None, None, "", f"JSON error: {exc}", "valid JSON")]
    if duplicates:
        shown = ", ".join(repr(k) for k in sorted(set(duplicates))[:5])
        return None, [Problem(display, None, None, "", f"duplicate key {shown}", "each key once in an object")]
    check = _RegionCheck(display)
    region = check.region(data)
    return (region, []) if region is not None and not check.problems else (None, check.problems)


@lru_cache(maxsize=4)
def _parse_region_cached(raw: bytes, display: str) -> tuple[Region | None, tuple[Problem, ...]]:
    region, problems = parse_region(raw, display)
    return region, tuple(problems)


def load_region(path: Path, display: str | None = None) -> Region | None:
    """The vendored boundary data, or None if the project ships none; DataError if it is unsafe or invalid.

    display: how errors name the file (default: the path as given).
    """
    shown = display or path.as_posix()
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    raw, problems = read_regular_file(path, shown, REGION_MAX_BYTES)
    if raw is None:
        raise DataError(problems)
    # Unchanged bytes give the very same Region, so the projected outlines stay cached.
    region, found = _parse_region_cached(raw, shown)
    if region is None:
        raise DataError(list(found))
    return region


# --------------------------------------------------------------------------- what a map shows
#
# Text on the map is laid out here, in SVG units, for the largest size the stylesheet gives
# it (LABEL_SIZE, on a phone, where the map is scaled down the most); on wider screens the
# same positions hold smaller text. Widths are estimated from the number of characters, so
# the layout is deterministic and needs no font: builds stay byte-identical.

LABEL_SIZE = 27.0  # SVG units: map text at its largest (docs/assets/briefings.css, the map block)
CHAR_EM = 0.62  # average advance of a bold sans-serif character, in em
CAPS_EM = 0.82  # upper-case country names, letter-spaced, in em
ASCENT, DESCENT = 0.78, 0.24  # text extent above and below the baseline, in em
CLEAR = 3.0  # SVG units kept free around every label and inside the map's edges
GRID = 10.0  # SVG units between the points a country's name may be centred on
DOT_RADIUS = {True: 7, False: 5}  # places struck, other places
SCALE_SHARE = 0.2  # a scale bar at most this share of the map's width
SCALE_STEPS = (1.0, 2.0, 2.5, 5.0)  # bar lengths: these times a power of ten
OFF_MAP = 1e9  # the cost of a label cut by the map's edge: worse than any overlap

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass(frozen=True)
class Spot:
    """A place to mark: its name, position, and the country the data puts it in (if any)."""

    name: str
    lat: float
    lon: float
    country: str | None = None


@dataclass(frozen=True)
class RingSpec:
    """A distance to draw as a ring: its words ("over 1,000 km"), what it measures, km, and its centre."""

    label: str
    meaning: str
    km: float
    centre: Spot


@dataclass(frozen=True)
class Label:
    """A text placed on the map: anchor point, text-anchor, and baseline shift in em."""

    text: str
    x: float
    y: float
    anchor: str
    dy: str


@dataclass(frozen=True)
class MapPlace:
    """A marked place: struck (primary) or named in the briefing, with its label."""

    name: str
    x: float
    y: float
    primary: bool
    label: Label
    r: int


@dataclass(frozen=True)
class MapRing:
    """A distance ring around the place it is measured from."""

    label: str
    meaning: str
    d: str
    centre: str
    beyond: str  # "" when the centre is on the map, else the edge it lies beyond: "north", "north-east" ...
    text: Label


@dataclass(frozen=True)
class MapCountry:
    """A country the map names: where the strike is said to come from, the one struck, or one holding a place."""

    name: str  # as the briefing's data names it (the boundary data's name for a country found by position)
    outline: str  # its name in the boundary data
    role: str  # origin, struck or named
    label: Label


@dataclass(frozen=True)
class Beyond:
    """A place named in the briefing that lies beyond the map's edges."""

    name: str
    direction: str  # north, south-east ...
    struck: bool


@dataclass(frozen=True)
class ScaleBar:
    """Two bars, km and miles, true to scale along the standard parallel, on a light box."""

    km: float
    km_length: float
    mi: float
    mi_length: float
    box: Box
    km_d: str
    mi_d: str
    km_text: Label
    mi_text: Label


@dataclass(frozen=True)
class LocatorMap:
    """Everything the SVG template draws."""

    width: int
    height: int
    outlines: tuple[tuple[str, str, str], ...]  # name, path, role ("origin", "struck" or "")
    places: tuple[MapPlace, ...]
    rings: tuple[MapRing, ...]
    parallel: float
    source: str
    outside: tuple[Beyond, ...] = ()  # places named in the briefing but beyond the map's edges
    countries: tuple[MapCountry, ...] = ()
    scale: ScaleBar | None = None

    @property
    def struck(self) -> list[str]:
        return [p.name for p in self.places if p.primary]

    @property
    def named(self) -> list[str]:
        return [p.name for p in self.places if not p.primary]

    def in_role(self, role: str) -> list[str]:
        """Names of the countries with this role: origin, struck or named."""
        return [c.name for c in self.countries if c.role == role]

    @property
    def shaded(self) -> str:
        """The role of the shaded countries: origin, or struck when the data does not say where the strike came from."""
        return next((role for _, _, role in self.outlines if role), "")

    def beyond(self, struck: bool) -> list[Beyond]:
        return [b for b in self.outside if b.struck == struck]

    @property
    def parallel_text(self) -> str:
        return f"{abs(self.parallel):.1f}°{'N' if self.parallel >= 0 else 'S'}"


class _Projection:
    def __init__(self, bbox: tuple[float, float, float, float]) -> None:
        self.lon0, self.lat0, self.lon1, self.lat1 = bbox
        self.parallel = (self.lat0 + self.lat1) / 2
        self.k = WIDTH / ((self.lon1 - self.lon0) * math.cos(math.radians(self.parallel)))
        self.height = (self.lat1 - self.lat0) * self.k

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x = (lon - self.lon0) * math.cos(math.radians(self.parallel)) * self.k
        return round(x, 1), round((self.lat1 - lat) * self.k, 1)

    def contains(self, lon: float, lat: float) -> bool:
        return self.lon0 <= lon <= self.lon1 and self.lat0 <= lat <= self.lat1

    @property
    def units_per_km(self) -> float:
        """SVG units per km along the standard parallel (and along every meridian): the true scale.

        One degree of longitude is R·cos φ₁·π/180 km on the standard parallel and
        cos φ₁·k units on the map, so the ratio is k·180/(π·R) whatever the parallel.
        """
        return self.k * 180 / (math.pi * EARTH_RADIUS_KM)

    def beyond(self, lon: float, lat: float) -> str:
        """The edge a point outside the view lies beyond: north, south-east ..."""
        ns = "north" if lat > self.lat1 else "south" if lat < self.lat0 else ""
        ew = "east" if lon > self.lon1 else "west" if lon < self.lon0 else ""
        return "-".join(w for w in (ns, ew) if w)


def destination(lat: float, lon: float, bearing: float, km: float) -> tuple[float, float]:
    """(lon, lat) reached from (lat, lon) after km along an initial bearing, on a sphere."""
    phi1, lam1, theta = math.radians(lat), math.radians(lon), math.radians(bearing)
    delta = km / EARTH_RADIUS_KM
    phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta))
    lam2 = lam1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1), math.cos(delta) - math.sin(phi1) * math.sin(phi2)
    )
    return math.degrees(lam2), math.degrees(phi2)


def _path(points: list[tuple[float, float]], closed: bool = True) -> str:
    """SVG path data: numbers only, never text from data."""
    head, *rest = points
    return f"M{head[0]} {head[1]}" + "".join(f"L{x} {y}" for x, y in rest) + ("Z" if closed else "")


@lru_cache(maxsize=8)
def _projected(region: Region) -> tuple[tuple[str, tuple[tuple[tuple[float, float], ...], ...]], ...]:
    """Country outlines in SVG units: the same for every map of a region, so computed once."""
    project = _Projection(region.bbox)
    return tuple(
        (country, tuple(tuple(project(x, y) for x, y in ring) for ring in rings)) for country, rings in region.countries
    )


@lru_cache(maxsize=8)
def _outlines(region: Region) -> tuple[tuple[str, str], ...]:
    """Projected country outlines as SVG path data."""
    return tuple((country, "".join(_path(list(ring)) for ring in rings)) for country, rings in _projected(region))


# --------------------------------------------------------------------------- scale bar


def nice_length(limit: float) -> float:
    """The longest 1, 2, 2.5 or 5 times a power of ten that is at most limit (limit > 0)."""
    power = 10.0 ** math.floor(math.log10(limit))
    return max(step * p for p in (power / 10, power) for step in SCALE_STEPS if step * p <= limit)


def scale_lengths(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """(km, its length in SVG units, mi, its length): round distances true at the standard parallel."""
    per_km = _Projection(bbox).units_per_km
    limit_km = SCALE_SHARE * WIDTH / per_km
    km = nice_length(limit_km)
    mi = nice_length(limit_km / KM_PER_MILE)
    return km, round(km * per_km, 1), mi, round(mi * KM_PER_MILE * per_km, 1)


# --------------------------------------------------------------------------- countries


def _words(name: str) -> tuple[str, ...]:
    """A name as comparable words: no accents, case folded, "&" as "and", no leading "the"."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().replace("&", " and ")
    words = tuple(re.findall(r"\w+\.?", text))
    return words[1:] if words[:1] == ("the",) else words


# Names Natural Earth spells otherwise than the briefings may (normalised words, both sides).
COUNTRY_ALIASES = {
    "turkiye": "turkey",
    "czech republic": "czechia",
    "north macedonia": "macedonia",
    "russian federation": "russia",
    "republic of moldova": "moldova",
    "republic of belarus": "belarus",
    "united kingdom of great britain and northern ireland": "united kingdom",
    "united states of america": "united states",
}


def match_country(name: str, outlines: Sequence[str]) -> str | None:
    """The outline named like this country: equal words, an alias, or Natural Earth's abbreviations ("Herz.")."""
    plain = " ".join(w.rstrip(".") for w in _words(name))
    wanted = COUNTRY_ALIASES.get(plain, plain).split()
    for outline in outlines:
        if [w.rstrip(".") for w in _words(outline)] == wanted:
            return outline
    for outline in outlines:
        words = _words(outline)
        if len(words) == len(wanted) and all(
            w == v or (w.endswith(".") and v.startswith(w[:-1])) for w, v in zip(words, wanted, strict=True)
        ):
            return outline
    return None


def _crossings(rings: Sequence[Sequence[tuple[float, float]]], y: float) -> list[float]:
    """Sorted x where the horizontal line at y crosses the rings' edges."""
    xs = []
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
            if (y1 > y) != (y2 > y):
                xs.append(x1 + (y - y1) * (x2 - x1) / (y2 - y1))
    return sorted(xs)


def _inside(rings: Sequence[Sequence[tuple[float, float]]], x: float, y: float) -> bool:
    """Even-odd rule: a point is inside when a ray from it crosses the rings an odd number of times."""
    return sum(1 for c in _crossings(rings, y) if c > x) % 2 == 1


def country_at(region: Region, lon: float, lat: float) -> str | None:
    """The outline a position lies in (the first, if outlines overlap), or None (at sea, or off the data)."""
    return next((name for name, rings in region.countries if _inside(rings, lon, lat)), None)


@lru_cache(maxsize=64)
def _interior(region: Region, outline: str) -> tuple[frozenset[tuple[int, int]], tuple[tuple[int, int], ...]]:
    """Grid cells (column, row) whose centres lie in the country and on the map, and the same ordered
    from the middle of the country's visible part outwards (ties: top to bottom, left to right)."""
    rings = next(rings for name, rings in _projected(region) if name == outline)
    project = _Projection(region.bbox)
    cols, rows = int(WIDTH // GRID), int(project.height // GRID)
    cells = []
    for j in range(rows):
        xs = _crossings(rings, (j + 0.5) * GRID)
        for i in range(cols):
            x = (i + 0.5) * GRID
            if sum(1 for c in xs if c > x) % 2 == 1:
                cells.append((i, j))
    if not cells:
        return frozenset(), ()
    mi = sum(i for i, _ in cells) / len(cells)
    mj = sum(j for _, j in cells) / len(cells)
    ordered = sorted(cells, key=lambda c: ((c[0] - mi) ** 2 + (c[1] - mj) ** 2, c[1], c[0]))
    return frozenset(cells), tuple(ordered)


# --------------------------------------------------------------------------- label layout


def text_box(text: str, x: float, y: float, anchor: str, dy: float, em: float = CHAR_EM) -> Box:
    """The box a label takes at LABEL_SIZE: anchored at (x, y), its baseline dy em lower."""
    width = len(text) * em * LABEL_SIZE
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    base = y + dy * LABEL_SIZE
    return left, base - ASCENT * LABEL_SIZE, left + width, base + DESCENT * LABEL_SIZE


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0]) + CLEAR
    h = min(a[3], b[3]) - max(a[1], b[1]) + CLEAR
    return w * h if w > 0 and h > 0 else 0.0


class _Layout:
    """Boxes taken so far on a map of width × height; a new label goes where it overlaps nothing."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.taken: list[Box] = []

    def on_map(self, box: Box) -> bool:
        return box[0] >= CLEAR and box[1] >= CLEAR and box[2] <= self.width - CLEAR and box[3] <= self.height - CLEAR

    def cost(self, box: Box) -> float:
        """How badly a box reads: 0 when free; area overlapping others; far worse when off the map."""
        off = 0.0 if self.on_map(box) else OFF_MAP
        return off + sum(_overlap(box, t) for t in self.taken)

    def place(self, text: str, candidates: list[tuple[float, float, str, float]], em: float = CHAR_EM) -> Label:
        """The first candidate (x, y, anchor, dy) that is free, else the one overlapping least; taken."""
        boxes = [text_box(text, x, y, a, dy, em) for x, y, a, dy in candidates]
        costs = [self.cost(b) for b in boxes]
        best = costs.index(min(costs))  # the first free one, or the least bad (first on ties)
        self.taken.append(boxes[best])
        x, y, anchor, dy = candidates[best]
        return Label(text, round(x, 1), round(y, 1), anchor, f"{dy:g}em")


def _around(x: float, y: float, r: float) -> list[tuple[float, float, str, float]]:
    """Places for a dot's label: right, left, above, below, then the diagonals."""
    g = r + 4
    d = g * 0.7
    return [
        (x + g, y, "start", 0.32),
        (x - g, y, "end", 0.32),
        (x, y - g, "middle", -0.3),
        (x, y + g, "middle", 0.85),
        (x + d, y - d, "start", -0.3),
        (x + d, y + d, "start", 0.85),
        (x - d, y - d, "end", -0.3),
        (x - d, y + d, "end", 0.85),
    ]


RING_BEARINGS = (180, 0, 90, 270, 135, 225, 45, 315, *range(10, 360, 10))


def _scale_bar(project: _Projection, layout: _Layout) -> ScaleBar:
    """The scale bar in the first corner (bottom left, bottom right, top left, top right) it fits free."""
    km, km_len, mi, mi_len = scale_lengths((project.lon0, project.lat0, project.lon1, project.lat1))
    km_word, mi_word = f"{number(km)} km", f"{number(mi)} mi"
    row = LABEL_SIZE * 1.15
    pad = 8.0
    text_w = max(len(km_word), len(mi_word)) * CHAR_EM * LABEL_SIZE
    w = pad + max(km_len, mi_len) + 8 + text_w + pad
    h = pad + 2 * row + pad / 2
    m = CLEAR + 2
    corners = [
        (m, layout.height - m - h),
        (layout.width - m - w, layout.height - m - h),
        (m, m),
        (layout.width - m - w, m),
    ]
    boxes = [(x, y, x + w, y + h) for x, y in corners]
    costs = [layout.cost(b) for b in boxes]
    x, y, _, _ = box = boxes[costs.index(min(costs))]
    layout.taken.append(box)

    def bar(length: float, at: float) -> str:
        x0, x1 = round(x + pad, 1), round(x + pad + length, 1)
        up, down = round(at - 5, 1), round(at + 5, 1)
        return f"M{x0} {at}L{x1} {at}M{x0} {up}L{x0} {down}M{x1} {up}L{x1} {down}"

    y_km, y_mi = round(y + pad + row / 2, 1), round(y + pad + row * 1.5, 1)
    return ScaleBar(
        km,
        km_len,
        mi,
        mi_len,
        tuple(round(v, 1) for v in box),  # type: ignore[arg-type]
        bar(km_len, y_km),
        bar(mi_len, y_mi),
        Label(km_word, round(x + pad + km_len + 8, 1), y_km, "start", "0.32em"),
        Label(mi_word, round(x + pad + mi_len + 8, 1), y_mi, "start", "0.32em"),
    )


def _country_label(region: Region, outline: str, text: str, layout: _Layout) -> Label | None:
    """A country's name at the middle of its visible part, or the nearest place where it fits free."""
    cells, ordered = _interior(region, outline)
    if not ordered:
        return None
    candidates = [((i + 0.5) * GRID, (j + 0.5) * GRID) for i, j in ordered]
    free = None
    for x, y in candidates:
        box = text_box(text, x, y, "middle", 0.32, CAPS_EM)
        if layout.cost(box) > 0:
            continue
        free = free or (x, y)
        i0, i1 = math.ceil(box[0] / GRID - 0.5), math.floor(box[2] / GRID - 0.5)
        j0, j1 = math.ceil(box[1] / GRID - 0.5), math.floor(box[3] / GRID - 0.5)
        if all((i, j) in cells for i in range(i0, i1 + 1) for j in range(j0, j1 + 1)):
            free = (x, y)  # free and wholly inside the country
            break
    x, y = free or candidates[0]
    return layout.place(text, [(x, y, "middle", 0.32)], CAPS_EM)


# --------------------------------------------------------------------------- the map


def _rings_on_map(
    project: _Projection, rings: Sequence[RingSpec], marked: list[tuple[Spot, bool]], width: int, height: int
) -> list[tuple[RingSpec, str]]:
    """The rings with something on the map, and their paths; their centres on the map join `marked`."""
    drawn = []
    for spec in rings:
        lat, lon = spec.centre.lat, spec.centre.lon
        points = [project(*destination(lat, lon, bearing, spec.km)) for bearing in range(0, 360, 4)]
        if not any(0 <= x <= width and 0 <= y <= height for x, y in points):
            continue  # nothing of it on the map
        drawn.append((spec, _path(points)))
        at = {(s.lat, s.lon) for s, _ in marked}
        if project.contains(lon, lat) and (lat, lon) not in at:
            marked.append((spec.centre, False))  # a ring's centre is a place the briefing names
    return drawn


def _map_countries(
    region: Region, struck: Sequence[Spot], marked: Sequence[Spot], origin: Sequence[str], layout: _Layout
) -> list[MapCountry]:
    """The countries concerned, origin first, then struck, then those holding a marked place; labelled."""
    names = [name for name, _ in region.countries]

    def outline_of(spot: Spot) -> tuple[str, str] | None:
        found = match_country(spot.country, names) if spot.country else None
        if found:
            return found, spot.country  # type: ignore[return-value]
        found = country_at(region, spot.lon, spot.lat)
        return (found, found) if found else None

    roles: dict[str, tuple[str, str]] = {}  # outline -> (role, name), first role wins
    for s in struck:
        found = outline_of(s)
        if found:
            roles.setdefault(found[0], ("struck", found[1]))
    for name in origin:
        found_name = match_country(name, names)
        if found_name:
            roles.setdefault(found_name, ("origin", name))
    for spot in marked:
        found = outline_of(spot)
        if found:
            roles.setdefault(found[0], ("named", found[1]))
    order = {"origin": 0, "struck": 1, "named": 2}
    countries = []
    for outline, (role, name) in sorted(roles.items(), key=lambda kv: (order[kv[1][0]], names.index(kv[0]))):
        label = _country_label(region, outline, name.upper(), layout)
        if label is not None:  # a country with nothing on the map is neither shaded nor named
            countries.append(MapCountry(name, outline, role, label))
    return countries


def locator_map(
    region: Region,
    struck: Sequence[Spot],
    others: Sequence[Spot],
    rings: Sequence[RingSpec],
    origin: Sequence[str] = (),
) -> LocatorMap | None:
    """Project outlines, places struck and other places, and rings; name the countries concerned.

    origin: the countries the strike is said to come from (names as the data gives them).
    The countries of the places struck are shaded and named, those of origin shaded
    otherwise and named, and every other country holding a marked place is named.
    Places outside the region's view box are listed with the edge they lie beyond; with
    none of the places struck inside it, there is no map.
    """
    project = _Projection(region.bbox)
    width, height = int(WIDTH), int(round(project.height))
    shown = [s for s in struck if project.contains(s.lon, s.lat)]
    if not shown:
        return None
    marked = [(s, True) for s in shown] + [(o, False) for o in others if project.contains(o.lon, o.lat)]
    outside = tuple(
        Beyond(s.name, project.beyond(s.lon, s.lat), s in struck)
        for s in [*struck, *others]
        if not project.contains(s.lon, s.lat)
    )
    drawn = _rings_on_map(project, rings, marked, width, height)
    layout = _Layout(width, height)
    dots = []
    for spot, primary in marked:
        x, y = project(spot.lon, spot.lat)
        r = DOT_RADIUS[primary]
        dots.append((spot, primary, x, y, r))
        layout.taken.append((x - r, y - r, x + r, y + r))
    scale = _scale_bar(project, layout)
    places = tuple(
        MapPlace(spot.name, x, y, primary, layout.place(spot.name, _around(x, y, r)), r)
        for spot, primary, x, y, r in dots
    )
    map_rings = []
    for spec, d in drawn:
        lat, lon = spec.centre.lat, spec.centre.lon
        spots = [project(*destination(lat, lon, b, spec.km)) for b in RING_BEARINGS]
        candidates = [(x, y, "middle", 0.32) for x, y in spots if 0 <= x <= width and 0 <= y <= height]
        text = layout.place(spec.label, candidates)
        beyond = "" if project.contains(lon, lat) else project.beyond(lon, lat)
        map_rings.append(MapRing(spec.label, spec.meaning, d, spec.centre.name, beyond, text))

    countries = _map_countries(region, struck, [spot for spot, _ in marked], origin, layout)
    # The country of origin is shaded; the countries struck are shaded only when the data
    # does not say where the strike came from (they are named either way).
    shade = "origin" if any(c.role == "origin" for c in countries) else "struck"
    shaded = {c.outline: c.role for c in countries if c.role == shade}
    return LocatorMap(
        width,
        height,
        tuple((name, d, shaded.get(name, "")) for name, d in _outlines(region)),
        places,
        tuple(map_rings),
        round(project.parallel, 1),
        region.source,
        outside,
        tuple(countries),
        scale,
    )
