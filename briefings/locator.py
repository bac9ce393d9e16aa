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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import DataError, Problem, printable
from .files import read_regular_file

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
            self.problem(field, f"{value:g} is out of range", expected)
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
                f"west {west:g}, south {south:g}, east {east:g}, north {north:g} is not a view box",
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
    return f"the number {value:g}"


def parse_region(raw: bytes, display: str) -> tuple[Region | None, list[Problem]]:
    """region.json's bytes as a Region, or the problems that stopped it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Problem(display, line, col, "", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8", "UTF-8 text")]
    text = text.removeprefix("\ufeff")
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


@dataclass(frozen=True)
class MapPlace:
    """A labelled point."""

    name: str
    x: float
    y: float
    primary: bool


@dataclass(frozen=True)
class MapRing:
    """A distance ring around the place it is measured from."""

    label: str
    meaning: str
    d: str
    label_x: float
    label_y: float
    centre: str


@dataclass(frozen=True)
class LocatorMap:
    """Everything the SVG template draws."""

    width: int
    height: int
    outlines: tuple[tuple[str, str], ...]
    places: tuple[MapPlace, ...]
    rings: tuple[MapRing, ...]
    parallel: float
    source: str
    outside: tuple[str, ...] = ()  # places named in the briefing but beyond the map's edges


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
def _outlines(region: Region) -> tuple[tuple[str, str], ...]:
    """Projected country outlines: the same for every map of a region, so computed once."""
    project = _Projection(region.bbox)
    return tuple(
        (country, "".join(_path([project(x, y) for x, y in ring]) for ring in rings))
        for country, rings in region.countries
    )


def locator_map(
    region: Region,
    struck: list[tuple[str, float, float]],
    others: list[tuple[str, float, float]],
    rings: list[tuple[str, str, float, tuple[str, float, float]]],
) -> LocatorMap | None:
    """Project outlines, places struck and other places (name, lat, lon), and rings (label, meaning, km, centre).

    Places outside the region's view box are listed by name instead of drawn; with none of
    the places struck inside it, there is no map.
    """
    project = _Projection(region.bbox)
    inside = [p for p in struck if project.contains(p[2], p[1])]
    if not inside:
        return None
    outlines = _outlines(region)
    places = [MapPlace(n, *project(lon, lat), True) for n, lat, lon in inside]
    places += [
        MapPlace(n, *project(o_lon, o_lat), False) for n, o_lat, o_lon in others if project.contains(o_lon, o_lat)
    ]
    outside = tuple(n for n, lat, lon in [*struck, *others] if not project.contains(lon, lat))
    drawn = []
    for label, meaning, km, (centre, lat, lon) in rings:
        if not project.contains(lon, lat):
            continue
        points = [project(*destination(lat, lon, bearing, km)) for bearing in range(0, 360, 4)]
        lx, ly = project(*destination(lat, lon, 180, km))  # label due south of the centre
        drawn.append(MapRing(label, meaning, _path(points), lx, ly, centre))
    return LocatorMap(
        int(WIDTH),
        int(round(project.height)),
        outlines,
        tuple(places),
        tuple(drawn),
        round(project.parallel, 1),
        region.source,
        outside,
    )
