"""Locator maps drawn at build time: projected outlines, places and distance rings, no tiles.

Projection: equirectangular (plate carrée) with a standard parallel at the middle
latitude of the view, x = R·(λ − λ₀)·cos φ₁, y = R·(φ₀ − φ) (Snyder, *Map Projections:
A Working Manual*, USGS Professional Paper 1395, 1987, pp. 90-91). Distances are drawn
as rings of points at the stated distance on a sphere of radius 6,371 km (the
"destination point" formula of spherical trigonometry), then projected the same way.
This module only computes coordinates; templates/locator.svg.j2 draws them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

EARTH_RADIUS_KM = 6371.0
WIDTH = 720.0


@dataclass(frozen=True)
class Region:
    """Country outlines (lon, lat rings) and the view box they were cut for."""

    bbox: tuple[float, float, float, float]
    countries: tuple[tuple[str, tuple[tuple[tuple[float, float], ...], ...]], ...]
    source: str


@lru_cache(maxsize=4)
def _load_region(path: str, mtime: float) -> Region:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    countries = tuple(
        (c["name"], tuple(tuple((float(x), float(y)) for x, y in ring) for ring in c["rings"]))
        for c in data["countries"]
    )
    return Region(tuple(data["bbox"]), countries, data["source"])


def load_region(path: Path) -> Region | None:
    """The vendored boundary data, or None if the project ships none."""
    return _load_region(str(path), path.stat().st_mtime) if path.exists() else None


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
