#!/usr/bin/env python3
"""Cut the region the locator maps need out of Natural Earth (via the npm package world-atlas).

Run once when the region changes; the output is committed, so builds never fetch anything:

    npm install --no-save world-atlas@2.0.2
    python scripts/vendor_map.py node_modules/world-atlas/countries-110m.json data/geo/region.json

TopoJSON arcs are delta-encoded and quantised; this decodes them, keeps the countries
whose outline enters the bounding box, clamps far-away points to a margin around it
(they are off the map anyway) and rounds to 0.01 degree (about 1 km).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BBOX = (14.0, 40.0, 66.0, 64.0)  # lon_min, lat_min, lon_max, lat_max: Eastern Europe to the Urals
MARGIN = 4.0


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list, indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        points.extend(arc if not points else arc[1:])
    return points


def inside(points: list[tuple[float, float]]) -> bool:
    return any(BBOX[0] <= x <= BBOX[2] and BBOX[1] <= y <= BBOX[3] for x, y in points)


def clamp(points: list[tuple[float, float]]) -> list[list[float]]:
    lo_x, lo_y, hi_x, hi_y = BBOX[0] - MARGIN, BBOX[1] - MARGIN, BBOX[2] + MARGIN, BBOX[3] + MARGIN
    out: list[list[float]] = []
    for x, y in points:
        p = [round(min(max(x, lo_x), hi_x), 2), round(min(max(y, lo_y), hi_y), 2)]
        if not out or out[-1] != p:
            out.append(p)
    return out


def main(argv: list[str] | None = None) -> int:
    """Read world-atlas TopoJSON, write the clipped region as JSON."""
    source, target = (argv if argv is not None else sys.argv[1:])[:2]
    topo = json.loads(Path(source).read_text())
    arcs = decode_arcs(topo)
    countries = []
    for geometry in topo["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs", [])
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        rings = [clamp(ring(arcs, r)) for polygon in polygons for r in polygon[:1] if inside(ring(arcs, r))]
        if rings:
            countries.append({"name": geometry["properties"]["name"], "rings": rings})
    out = {
        "source": "Natural Earth 1:110m admin 0 countries, via the npm package world-atlas 2.0.2 (countries-110m.json)",
        "licence": "Natural Earth: public domain. world-atlas: ISC licence, Copyright 2013-2019 Michael Bostock.",
        "bbox": BBOX,
        "countries": countries,
    }
    Path(target).write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {target}: {len(countries)} countries, {sum(len(r) for c in countries for r in c['rings'])} points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
