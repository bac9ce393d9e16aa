"""The locator map: projection, scale bar, countries named and shaded, label layout, legend.

Unit tests drive briefings.locator with the vendored boundary data and made-up places;
the built-site tests read the map on the overview and the strike page of every bundled
briefing that has one, and derive what it must show from the data, never from how many
briefings there are.
"""

from __future__ import annotations

import math
import re
from itertools import combinations

import pytest
from bs4 import BeautifulSoup

from briefings.dataset import load_dataset
from briefings.environment import make_environment
from briefings.locator import (
    EARTH_RADIUS_KM,
    LABEL_SIZE,
    WIDTH,
    LocatorMap,
    RingSpec,
    Spot,
    _Projection,
    country_at,
    load_region,
    locator_map,
    match_country,
    nice_length,
    scale_lengths,
    text_box,
)
from conftest import ROOT, briefings_latest_first, page

REGION = load_region(ROOT / "data" / "geo" / "region.json")
assert REGION is not None
OUTLINES = [name for name, _ in REGION.countries]
KM_PER_MILE = 1.609344

IZHEVSK = Spot("Izhevsk", 56.8498, 53.2045, "Russia")
KYIV = Spot("Kyiv", 50.4501, 30.5234, "Ukraine")
LVIV = Spot("Lviv", 49.8397, 24.0297, "Ukraine")
MOSCOW = Spot("Moscow", 55.75, 37.62, "Russia")


def svg_units_along_parallel(bbox: tuple[float, float, float, float], km: float) -> float:
    """How many SVG units km along the standard parallel takes, from two projected points.

    Computed from the projection's formula (Snyder 1987, pp. 90-91) with its own numbers,
    not from the code under test: x = R·(λ − λ₀)·cos φ₁ scaled so the map is WIDTH wide.
    """
    west, south, east, north = bbox
    phi1 = math.radians((south + north) / 2)
    units_per_radian = WIDTH / (math.radians(east - west) * math.cos(phi1))  # x per radian of R·Δλ·cos φ₁ / R

    def x(lon: float) -> float:
        return math.radians(lon - west) * math.cos(phi1) * units_per_radian

    dlon = math.degrees(km / (EARTH_RADIUS_KM * math.cos(phi1)))  # the arc of the parallel that is km long
    return x(west + 1 + dlon) - x(west + 1)


# --------------------------------------------------------------------------- scale bar


@pytest.mark.parametrize(
    "bbox",
    [REGION.bbox, (-10.0, 35.0, 30.0, 60.0), (100.0, -45.0, 160.0, -10.0), (20.0, 44.0, 41.0, 53.0)],
    ids=["bundled", "western-europe", "australia", "ukraine"],
)
def test_scale_bar_is_true_along_the_standard_parallel(bbox):
    km, km_len, mi, mi_len = scale_lengths(bbox)
    assert km_len == pytest.approx(svg_units_along_parallel(bbox, km), rel=0.01)
    assert mi_len == pytest.approx(svg_units_along_parallel(bbox, mi * KM_PER_MILE), rel=0.01)
    # The map's own projection agrees: points km apart on the parallel are km_len apart.
    project = _Projection(bbox)
    lat = project.parallel
    dlon = math.degrees(km / (EARTH_RADIUS_KM * math.cos(math.radians(lat))))
    a, b = project(bbox[0] + 1, lat), project(bbox[0] + 1 + dlon, lat)
    assert b[0] - a[0] == pytest.approx(km_len, rel=0.01) and a[1] == b[1]
    # A round length, at most a fifth of the map and not under a twelfth.
    for value, length in ((km, km_len), (mi, mi_len)):
        assert value / 10 ** math.floor(math.log10(value)) in (1, 2, 2.5, 5)
        assert WIDTH / 12 <= length <= WIDTH / 5


def test_scale_bar_on_the_bundled_map_is_500_km():
    # 500 km along 52°N is 500 / (6371 · cos 52° · π/180) = 7.30° of longitude; the map
    # shows 52° of longitude in 720 units, so 101.1 units.
    km, km_len, mi, mi_len = scale_lengths(REGION.bbox)
    assert (km, mi) == (500, 250)
    assert km_len == pytest.approx(720 * 7.303 / 52, rel=0.01)


@pytest.mark.parametrize(
    ("limit", "nice"), [(711.0, 500.0), (180.0, 100.0), (260.0, 250.0), (1.0, 1.0), (0.3, 0.25), (19_999.0, 10_000.0)]
)
def test_nice_length_is_the_longest_round_value_within_the_limit(limit, nice):
    assert nice_length(limit) == nice


# --------------------------------------------------------------------------- countries


@pytest.mark.parametrize(
    ("name", "outline"),
    [
        ("Ukraine", "Ukraine"),
        ("UKRAINE", "Ukraine"),
        ("Türkiye", "Turkey"),
        ("Turkiye", "Turkey"),
        ("Bosnia and Herzegovina", "Bosnia and Herz."),
        ("Bosnia & Herzegovina", "Bosnia and Herz."),
        ("the Czech Republic", "Czechia"),
        ("North Macedonia", "Macedonia"),
        ("Russian Federation", "Russia"),
        ("Narnia", None),
        ("Bosnia", None),
        ("Herz", None),
    ],
)
def test_country_names_match_the_boundary_data(name, outline):
    assert match_country(name, OUTLINES) == outline


def test_country_at_a_position():
    assert country_at(REGION, IZHEVSK.lon, IZHEVSK.lat) == "Russia"
    assert country_at(REGION, KYIV.lon, KYIV.lat) == "Ukraine"
    assert country_at(REGION, 34.0, 43.0) is None  # the Black Sea


def roles(m: LocatorMap) -> dict[str, str]:
    return {c.name: c.role for c in m.countries}


def shaded(m: LocatorMap) -> dict[str, str]:
    return {name: role for name, _, role in m.outlines if role}


def test_origin_is_shaded_and_named_and_the_country_struck_named():
    m = locator_map(REGION, [IZHEVSK], [KYIV, LVIV], [], origin=["Ukraine"])
    assert m is not None
    assert roles(m) == {"Ukraine": "origin", "Russia": "struck"}
    assert shaded(m) == {"Ukraine": "origin"}
    assert [c.label.text for c in m.countries] == ["UKRAINE", "RUSSIA"]
    assert m.shaded == "origin"


def test_without_an_origin_the_countries_struck_are_shaded_and_every_country_holding_a_place_named():
    m = locator_map(REGION, [IZHEVSK], [KYIV, Spot("Vilnius", 54.69, 25.28, "Lithuania")], [])
    assert m is not None
    assert roles(m) == {"Russia": "struck", "Ukraine": "named", "Lithuania": "named"}
    assert shaded(m) == {"Russia": "struck"}
    assert m.shaded == "struck"


def test_countries_are_found_by_position_when_the_data_does_not_say():
    unplaced = Spot("Somewhere in Udmurtia", 57.0, 53.0, None)
    unknown = Spot("Kharkiv", 49.99, 36.23, "Atlantis")  # not in the boundary data: found by position
    m = locator_map(REGION, [unplaced], [unknown], [])
    assert m is not None
    assert roles(m) == {"Russia": "struck", "Ukraine": "named"}


def test_the_data_name_of_a_country_is_shown_not_the_boundary_datas():
    m = locator_map(REGION, [MOSCOW], [], [], origin=["Türkiye"])
    assert m is not None
    origin = next(c for c in m.countries if c.role == "origin")
    assert (origin.name, origin.outline, origin.label.text) == ("Türkiye", "Turkey", "TÜRKIYE")
    assert shaded(m) == {"Turkey": "origin"}


def test_a_country_both_struck_and_origin_is_the_country_struck():
    m = locator_map(REGION, [MOSCOW], [], [], origin=["Russia", "Narnia"])
    assert m is not None
    assert roles(m) == {"Russia": "struck"} and shaded(m) == {"Russia": "struck"}


# --------------------------------------------------------------------------- places, rings, layout


def test_places_beyond_the_edges_say_which_edge():
    north = Spot("Olenya air base", 68.15, 33.46, "Russia")
    east = Spot("Belaya air base", 52.92, 103.57, "Russia")
    south_west = Spot("Somewhere", 30.0, 5.0, None)
    m = locator_map(REGION, [MOSCOW, north, east], [south_west], [])
    assert m is not None
    assert [(b.name, b.direction, b.struck) for b in m.outside] == [
        ("Olenya air base", "north", True),
        ("Belaya air base", "east", True),
        ("Somewhere", "south-west", False),
    ]
    assert m.struck == ["Moscow"]
    assert locator_map(REGION, [north, east], [MOSCOW], []) is None  # nothing struck on the map: no map


def test_a_rings_centre_is_marked_and_a_ring_centred_off_the_map_is_drawn_when_it_crosses_it():
    olenya = Spot("Olenya air base", 68.15, 33.46, "Russia")
    far = Spot("Ukrainka air base", 51.17, 128.45, "Russia")
    rings = [
        RingSpec("over 1,300 km", "From the border", 1300, KYIV),
        RingSpec("about 1,700 km", "Olenya from the border", 1700, olenya),
        RingSpec("about 100 km", "Nothing of it on the map", 100, far),
    ]
    m = locator_map(REGION, [IZHEVSK], [], rings)
    assert m is not None
    assert m.named == ["Kyiv"]  # the centre of a ring is a place the briefing names
    assert [(r.label, r.centre, r.beyond) for r in m.rings] == [
        ("over 1,300 km", "Kyiv", ""),
        ("about 1,700 km", "Olenya air base", "north"),
    ]


def label_boxes(m: LocatorMap) -> list[tuple[str, tuple[float, float, float, float]]]:
    from briefings.locator import CAPS_EM

    boxes = [(p.name, text_box(p.name, p.label.x, p.label.y, p.label.anchor, float(p.label.dy[:-2]))) for p in m.places]
    boxes += [(r.label, text_box(r.label, r.text.x, r.text.y, r.text.anchor, float(r.text.dy[:-2]))) for r in m.rings]
    boxes += [
        (c.label.text, text_box(c.label.text, c.label.x, c.label.y, c.label.anchor, float(c.label.dy[:-2]), CAPS_EM))
        for c in m.countries
    ]
    assert m.scale is not None
    boxes.append(("scale bar", m.scale.box))
    return boxes


def test_labels_stay_on_the_map_and_do_not_overlap_at_the_largest_text_size():
    towns = [
        Spot("Saint Petersburg", 59.94, 30.31, "Russia"),
        Spot("Kazan", 55.79, 49.12, "Russia"),
        Spot("Voronezh", 51.67, 39.18, "Russia"),
        Spot("Volgograd", 48.71, 44.51, "Russia"),
    ]
    rings = [RingSpec("about 500 km", "Moscow from the border", 500, MOSCOW)]
    m = locator_map(REGION, [MOSCOW, *towns], [KYIV, LVIV], rings, origin=["Ukraine"])
    assert m is not None
    boxes = label_boxes(m)
    assert len(boxes) == 5 + 2 + 1 + 2 + 1
    for text, (x0, y0, x1, y1) in boxes:
        assert 0 <= x0 and x1 <= m.width and 0 <= y0 and y1 <= m.height, text
    for (a, p), (b, q) in combinations(boxes, 2):
        assert min(p[2], q[2]) <= max(p[0], q[0]) or min(p[3], q[3]) <= max(p[1], q[1]), f"{a!r} overlaps {b!r}"


def test_layout_is_deterministic():
    args = (REGION, [IZHEVSK], [KYIV, LVIV], [RingSpec("over 1,000 km", "x", 1000, IZHEVSK)])
    assert locator_map(*args, origin=["Ukraine"]) == locator_map(*args, origin=["Ukraine"])


# --------------------------------------------------------------------------- the template


def render(m: LocatorMap) -> BeautifulSoup:
    html = make_environment(ROOT / "templates").get_template("locator.svg.j2").render(map=m)
    assert "\n\n" not in html.strip(), "a blank line would end the raw HTML block"
    return BeautifulSoup(html, "lxml")


def words(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


RING_WORD = re.compile(r"\brings?\b", re.IGNORECASE)


def test_no_word_of_rings_when_there_are_none():
    m = locator_map(REGION, [IZHEVSK], [KYIV], [], origin=["Ukraine"])
    assert m is not None and m.rings == ()
    soup = render(m)
    assert not RING_WORD.search(soup.get_text(" ")), soup.get_text(" ")
    assert soup.select(".bf-map__ring, .bf-map__ring-label, .bf-map__key--ring") == []


def test_title_desc_and_legend_say_what_the_map_shows():
    rings = [RingSpec("over 1,000 km", "Izhevsk from the Ukrainian border", 1000, IZHEVSK)]
    beyond = Spot("Olenya air base", 68.15, 33.46, "Russia")
    m = locator_map(REGION, [IZHEVSK, beyond], [KYIV], rings, origin=["Ukraine"])
    assert m is not None
    soup = render(m)
    assert words(soup.find(id="map-title")) == "Locator map of the place struck: Izhevsk"
    assert words(soup.find(id="map-desc")) == (
        "Place struck, large red dots: Izhevsk. Other place named in the briefing, small dark dots: Kyiv."
        " Shaded amber and named: Ukraine, said to have carried out the strike."
        " Named: Russia, the country struck."
        " Dashed ring, over 1,000 km around Izhevsk: Izhevsk from the Ukrainian border."
        " Struck, beyond the map's edges: Olenya air base (north)."
        " Scale bars: 500 km and 250 mi, true along 52.0°N."
    )
    assert [words(li) for li in soup.select("ul.bf-map__legend li")] == [
        "Place struck: Izhevsk",
        "Other place named in the briefing: Kyiv",
        "Ukraine: said to have carried out the strike",
        "Russia: country struck",
        "over 1,000 km around Izhevsk: Izhevsk from the Ukrainian border",
        "Struck, beyond the map's edges: Olenya air base (north)",
    ]
    assert [words(t) for t in soup.select("text.bf-map__scale-label")] == ["500 km", "250 mi"]
    svg = soup.select_one("figure > svg")
    assert svg["aria-labelledby"] == "map-title map-desc" and svg["role"] == "img"
    assert all(s["aria-hidden"] == "true" for s in soup.select("ul.bf-map__legend svg"))


# --------------------------------------------------------------------------- the built site

DATASET = load_dataset(ROOT / "data", ROOT)
PLACES = {p.id: p for p in DATASET.entities.places}
FACILITIES = {f.id: f for f in DATASET.entities.facilities}


def country_of(place: str | None) -> str | None:
    seen = set()
    while place in PLACES and place not in seen:
        seen.add(place)
        if PLACES[place].kind == "country":
            return PLACES[place].name
        place = PLACES[place].within
    return None


def spot(kind: str, ident: str) -> tuple[str, float, float, str | None] | None:
    if kind == "facility":
        record = FACILITIES[ident]
        coords = record.coordinates or PLACES[record.place].coordinates
        where = country_of(record.place)
    else:
        record = PLACES[ident]
        coords, where = record.coordinates, country_of(ident)
    return None if coords is None else (record.name, coords.lat, coords.lon, where)


def struck_spots(b) -> list[tuple[str, float, float, str | None]]:
    refs = [("place", p) for p in b.strike.places]
    refs += [("facility", t.facility) for t in b.strike.targets if t.facility]
    refs += [("place", t.place) for t in b.strike.targets if t.place]
    out: dict[tuple[float, float], tuple[str, float, float, str | None]] = {}
    for found in filter(None, (spot(k, i) for k, i in refs)):
        out.setdefault(found[1:3], found)
    return list(out.values())


def on_map(lat: float, lon: float) -> bool:
    west, south, east, north = REGION.bbox
    return west <= lon <= east and south <= lat <= north


def origin_of(b) -> list[str]:
    found: list[str] = []
    for claim in b.strike.carried_out_by:
        if claim.about:
            refs = [*claim.about.places, *(FACILITIES[f].place for f in claim.about.facilities)]
            found += [c for c in map(country_of, refs) if c and c not in found]
    return found


MAPPED = [
    b for b in briefings_latest_first() if b.strike and any(on_map(lat, lon) for _, lat, lon, _ in struck_spots(b))
]


def test_some_bundled_briefing_has_a_map():
    assert MAPPED, "no bundled briefing strikes a place on the map: these tests would check nothing"


def map_on(site, rel: str) -> tuple[BeautifulSoup, BeautifulSoup]:
    soup = page(site, rel)
    figures = soup.select("figure.bf-map")
    assert len(figures) == 1, f"{rel}: {len(figures)} maps"
    return soup, figures[0]


@pytest.mark.slow
@pytest.mark.parametrize("where", ["", "strike/"], ids=["overview", "strike"])
@pytest.mark.parametrize("b", MAPPED, ids=lambda b: b.slug)
def test_the_built_map_shows_and_explains_what_the_data_says(built_site, b, where):
    soup, fig = map_on(built_site, f"briefings/{b.slug}/{where}")
    ids = [t["id"] for t in soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), "an id twice on the page"
    assert {"sec-map", "map-title", "map-desc"} <= set(ids)
    svg = fig.select_one("svg")
    legend = {li["class"][1].removeprefix("bf-map__key--"): words(li) for li in fig.select("li.bf-map__key")}
    desc, title = words(fig.find(id="map-desc")), words(fig.find(id="map-title"))

    # Places struck: a large dot and a label each on the map, the others listed by edge.
    spots = struck_spots(b)
    inside = [s for s in spots if on_map(s[1], s[2])]
    assert sorted(words(t) for t in svg.select("text.bf-map__label--primary")) == sorted(s[0] for s in inside)
    assert len(svg.select("circle.bf-map__place--primary")) == len(inside)
    for name, *_ in inside:
        assert name in legend["struck"] and name in desc and name in title
    for name, *_ in (s for s in spots if not on_map(s[1], s[2])):
        assert name in legend["beyond"] and name in desc
    # Every marked place is explained: struck, or named in the briefing.
    for label in svg.select("text.bf-map__label"):
        assert words(label) in legend["struck" if "bf-map__label--primary" in label["class"] else "named"]

    # Countries: the origin shaded and named; the country struck named; every country holding a place named.
    countries = {words(t) for t in svg.select("text.bf-map__country")}
    outlines = {o.casefold() for o in OUTLINES}
    struck_countries = [c for _, _, _, c in spots if c]
    origin = [c for c in origin_of(b) if c not in struck_countries and c.casefold() in outlines]
    for c in origin:
        assert c.upper() in countries and c in legend["origin"] and c in desc
    shaded = {words(p.title): p["class"][1] for p in svg.select("path.bf-map__land") if len(p["class"]) > 1}
    if origin:
        assert shaded == dict.fromkeys(origin, "bf-map__land--origin")
    else:
        assert shaded == dict.fromkeys(
            (c for c in struck_countries if c.casefold() in outlines), "bf-map__land--struck"
        )
    for c in struck_countries:
        if c.casefold() in outlines:
            assert c.upper() in countries and c in legend["hit"]
    named_places = [spot("place", p) for p in b.places]
    for name, _, _, c in [*inside, *(s for s in named_places if s and on_map(s[1], s[2]))]:
        if c and c.casefold() in outlines:
            assert c.upper() in countries, f"{c}, holding {name}, is not named"

    # Scale bar: true at the standard parallel.
    for text, path in zip(svg.select("text.bf-map__scale-label"), svg.select("path.bf-map__scale-bar"), strict=True):
        value, unit = words(text).split()
        km = float(value.replace(",", "")) * (KM_PER_MILE if unit == "mi" else 1)
        x0, _, x1 = (float(n) for n in re.findall(r"-?[\d.]+", path["d"])[:3])
        assert x1 - x0 == pytest.approx(svg_units_along_parallel(REGION.bbox, km), rel=0.01)
        assert words(text) in desc

    # Rings: each on the map is in the legend with what it measures; no word of rings without them.
    rings = svg.select("path.bf-map__ring")
    ring_items = fig.select("li.bf-map__key--ring")
    assert len(ring_items) == len(rings) == len(svg.select("text.bf-map__ring-label"))
    labels = [f.label for f in b.strike.distances]
    for item in ring_items:
        assert any(words(item).endswith(f": {label}") for label in labels), words(item)
        assert words(item).split(": ", 1)[1] in desc
    if not rings:
        assert not RING_WORD.search(fig.get_text(" "))

    # The overview shows the very same figure as the strike page.
    if where == "":
        assert str(fig) == str(map_on(built_site, f"briefings/{b.slug}/strike/")[1])


def test_text_sizes_in_the_stylesheet_stay_within_the_layout():
    css = (ROOT / "docs" / "assets" / "briefings.css").read_text(encoding="utf-8")
    block = css[css.index("/* ==================================================================== map") :]
    block = block[: block.index("end map */")]
    clamp = re.search(r"--bf-map-text: clamp\((\d+)px, calc\(([\d.]+)px - ([\d.]+)vw\), (\d+)px\)", block)
    assert clamp is not None
    low, a, b, high = (float(v) for v in clamp.groups())
    assert high == LABEL_SIZE  # never larger than the labels were laid out for
    for viewport in range(360, 601, 10):  # phones: the map is the page width less 16 px margins
        size = min(max(low, a - b * viewport / 100), high)
        rendered = size * (viewport - 32) / WIDTH
        assert rendered >= 12, f"map text {rendered:.1f} px at {viewport} px"
