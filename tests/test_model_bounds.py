"""Bounds of the data model, as an editor meets them: `python build.py check` on a scratch project.

Each row edits one data file of a copy of the bundled project and names the exact error line
(file:line:col: field: message (expected ...)) that `check` prints, with exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, SEED, SEED_FILE, SEED_SLUG, SEED_TITLE, main_in_process
from conftest import run_cli as run

SEED_TEXT = SEED.read_text(encoding="utf-8")
ENTITIES = "data/entities.yaml"
ENTITIES_TEXT = (ROOT / ENTITIES).read_text(encoding="utf-8")
TEXTS = {SEED_FILE: SEED_TEXT, ENTITIES: ENTITIES_TEXT}

CASUALTY = "strike.casualties[0].value"
CASUALTY_EXPECTED = "(expected the number, 0 or more and below 1,000,000,000; distances in kilometres, at most 40,075)"
PUBLISHED_EXPECTED = "(expected publication date, YYYY-MM-DD, 1970-01-01 to 2099-12-31)"
PUBLISHED_RANGE = "is outside the range a publication date can have (1970-01-01 to 2099-12-31)"
WHEN_EXPECTED = "(expected the absolute date or range, e.g. 2025-06-30; years 1000 to 2099)"
DATE_RANGE = "is outside the range a date can have (1000-01-01 to 2099-12-31)"
RESERVED = "is reserved for a page the site generates (reserved names: index)"
SHORT = "(names, titles and other short text allow none)"
# The seed's headline with a line separator after "Drone strike", as a YAML escape.
LSEP_TITLE_YAML = SEED_TITLE.replace("Drone strike ", "Drone strike\\u2028", 1)
PROSE = "(prose allows only a zero width joiner or non-joiner between letters of a script that needs it)"


def edit(project: Path, file: str, old: str, new: str) -> str:
    text = TEXTS[file]
    assert old in text, old
    text = text.replace(old, new, 1)
    (project / file).write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def check_fails_with(project: Path, file: str, old: str, new: str, needle: str, rest: str) -> None:
    """`check` exits 2 and its first error line is file:LINE:rest, LINE being the line holding needle."""
    text = edit(project, file, old, new)
    result = main_in_process(project, "check")  # the CLI's own main(): a child process would add only its start
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith(file)]
    assert errors[0] == f"{file}:{line_of(text, needle)}:{rest}", result.stderr


# (case, file, old text, new text, needle on the error's line, rest of the error line after "file:LINE:")
NUMBERS = [
    (
        "1e309",
        SEED_FILE,
        "value: 3\n",
        "value: 1e309\n",
        "value: 1e309",
        f"14: {CASUALTY}: Input should be a finite number (got inf) {CASUALTY_EXPECTED}",
    ),
    (
        "-1e309",
        SEED_FILE,
        "value: 3\n",
        "value: -1e309\n",
        "value: -1e309",
        f"14: {CASUALTY}: Input should be a finite number (got -inf) {CASUALTY_EXPECTED}",
    ),
    (
        "1e20",
        SEED_FILE,
        "value: 3\n",
        "value: 1e20\n",
        "value: 1e20",
        f"14: {CASUALTY}: Input should be less than 1000000000 (got 1e+20) {CASUALTY_EXPECTED}",
    ),
    (
        "billion",
        SEED_FILE,
        "value: 3\n",
        "value: 1000000000\n",
        "value: 1000000000",
        f"14: {CASUALTY}: Input should be less than 1000000000 (got 1000000000) {CASUALTY_EXPECTED}",
    ),
    (
        "distance-1e309",
        SEED_FILE,
        "value: 1000\n",
        "value: 1e309\n",
        "value: 1e309",
        f"14: strike.distances[0].value: Input should be a finite number (got inf) {CASUALTY_EXPECTED}",
    ),
    (
        "distance-past-earth",
        SEED_FILE,
        "value: 1000\n",
        "value: 40076\n",
        "- id: distance-border",
        "7: strike.distances[0]: 40,076 km is longer than any distance on Earth (at most 40,075 km)"
        " (expected distances, unit km)",
    ),
    (
        "miles-1e309",
        SEED_FILE,
        "mi_as_reported: 620",
        "mi_as_reported: 1e309",
        "mi_as_reported: 1e309",
        "23: strike.distances[0].mi_as_reported: Input should be a finite number (got inf) (expected for km figures:"
        " the miles the source printed, shown instead of a computed value)",
    ),
    (
        "latitude-1e309",
        ENTITIES,
        "{lat: 56.8498,",
        "{lat: 1e309,",
        "lat: 1e309",
        "24: places[3].coordinates.lat: Input should be a finite number (got inf)"
        " (expected latitude in degrees, -90 to 90)",
    ),
    (
        "longitude-200",
        ENTITIES,
        "lon: 53.2045}",
        "lon: 200}",
        "lon: 200",
        "38: places[3].coordinates.lon: Input should be less than or equal to 180 (got 200)"
        " (expected longitude in degrees, -180 to 180)",
    ),
]

DATES = [
    (
        "published-2106",
        SEED_FILE,
        "published: 2025-07-01\n",
        "published: 2106-01-01\n",
        "published:",
        f"12: published: 2106-01-01 {PUBLISHED_RANGE} (got '2106-01-01') {PUBLISHED_EXPECTED}",
    ),
    (
        "published-2100",
        SEED_FILE,
        "published: 2025-07-01\n",
        "published: 2100-01-01\n",
        "published:",
        f"12: published: 2100-01-01 {PUBLISHED_RANGE} (got '2100-01-01') {PUBLISHED_EXPECTED}",
    ),
    (
        "published-1969",
        SEED_FILE,
        "published: 2025-07-01\n",
        "published: 1969-12-31\n",
        "published:",
        f"12: published: 1969-12-31 {PUBLISHED_RANGE} (got '1969-12-31') {PUBLISHED_EXPECTED}",
    ),
    (
        "published-number",
        SEED_FILE,
        "published: 2025-07-01\n",
        "published: 0\n",
        "published:",
        f"12: published: 0 is not a day; write it as YYYY-MM-DD (got 0) {PUBLISHED_EXPECTED}",
    ),
    (
        "correction-2107",
        SEED_FILE,
        "published: 2025-07-01\n",
        "published: 2025-07-01\ncorrections:\n  - date: 2107-01-01\n    text: Fixed a figure.\n",
        "date: 2107-01-01",
        "11: corrections[0].date: 2107-01-01 is outside the range a publication date can have"
        " (1970-01-01 to 2099-12-31)"
        " (got '2107-01-01') (expected when the correction was made, YYYY-MM-DD, 1970-01-01 to 2099-12-31)",
    ),
    (
        "event-year-2106-unquoted",
        SEED_FILE,
        "{date: 2024-11, phrase: since November}",
        "{date: 2106, phrase: since}",
        "date: 2106",
        f"18: timeline[0].when.date: '2106' {DATE_RANGE} (got 2106) {WHEN_EXPECTED}",
    ),
    (
        "event-month-2100",
        SEED_FILE,
        "{date: 2024-11, phrase: since November}",
        "{date: 2100-01, phrase: since}",
        "date: 2100-01",
        f"18: timeline[0].when.date: '2100-01' {DATE_RANGE} (got '2100-01') {WHEN_EXPECTED}",
    ),
    (
        "event-range-end-2100",
        SEED_FILE,
        "{date: 2024-11, phrase: since November}",
        "{date: 2024-11/2100-01-01, phrase: since}",
        "date: 2024-11/2100",
        f"18: timeline[0].when.date: '2024-11/2100-01-01' {DATE_RANGE} (got '2024-11/2100-01-01') {WHEN_EXPECTED}",
    ),
    (
        "event-year-999",
        SEED_FILE,
        "{date: 2024-11, phrase: since November}",
        "{date: 0999-12-31, phrase: since}",
        "date: 0999",
        f"18: timeline[0].when.date: '0999-12-31' {DATE_RANGE} (got '0999-12-31') {WHEN_EXPECTED}",
    ),
]

RESERVED_IDS = [
    (
        "tag-index",
        SEED_FILE,
        "tags: [drone-strike,",
        "tags: [index,",
        "tags: [index",
        f"8: tags[0]: 'index' {RESERVED} (got 'index') (expected topic tags)",
    ),
    (
        "slug-index",
        SEED_FILE,
        f"slug: {SEED_SLUG}",
        "slug: index",
        "slug: index",
        f"7: slug: 'index' {RESERVED} (got 'index')"
        " (expected URL slug, unique across briefings, e.g. 2025-07-01-izhevsk-kupol-strike)",
    ),
    (
        "person-index",
        ENTITIES,
        "  - id: donald-trump\n",
        "  - id: index\n",
        "id: index",
        f"9: people[3].id: 'index' {RESERVED} (got 'index') (expected id briefings use)",
    ),
    (
        "place-index",
        ENTITIES,
        "  - id: russia\n",
        "  - id: index\n",
        "id: index",
        f"9: places[0].id: 'index' {RESERVED} (got 'index') (expected id briefings use)",
    ),
]

TAGS = "tags: [drone-strike, defence-industry, air-war, negotiations]"
LISTS = [
    (
        "repeated-tag",
        SEED_FILE,
        TAGS,
        "tags: [drone-strike, defence-industry, air-war, drone-strike]",
        TAGS[:5],
        "49: tags[3]: repeated id 'drone-strike' (first at tags[0]) (expected each id once)",
    ),
    (
        "repeated-place",
        SEED_FILE,
        "places: [izhevsk, udmurtia,",
        "places: [izhevsk, udmurtia, izhevsk,",
        "places: [izhevsk, udmurtia, izhevsk,",
        "29: places[2]: repeated id 'izhevsk' (first at places[0]) (expected each id once)",
    ),
    (
        "repeated-source-ref",
        SEED_FILE,
        "    sources: [article]\n",
        "    sources: [article, article]\n",
        "sources: [article, article]",
        "24: takeaways[0].sources[1]: repeated id 'article' (first at takeaways[0].sources[0]) (expected each id once)",
    ),
    (
        "13-tags",
        SEED_FILE,
        TAGS,
        "tags: [" + ", ".join(f"t{i}" for i in range(13)) + "]",
        TAGS[:5],
        "7: tags: List should have at most 12 items after validation, not 13 (expected topic tags)",
    ),
    (
        "1500-distinct-tags",
        SEED_FILE,
        TAGS,
        "tags: [" + ", ".join(f"t{i}" for i in range(1500)) + "]",
        TAGS[:5],
        "7: tags: List should have at most 12 items after validation, not 1500 (expected topic tags)",
    ),
    (
        "30000-repeated-tags",
        SEED_FILE,
        TAGS,
        "tags: [" + ", ".join(["air-war"] * 30000) + "]",
        TAGS[:5],
        "7: tags: list has more than 2000 items (expected at most 2000 items)",  # the loader's backstop
    ),
    (
        "21-source-refs",
        SEED_FILE,
        "    sources: [article]\n",
        "    sources: [" + ", ".join(["article"] * 21) + "]\n",
        "sources: [article, article",
        "14: takeaways[0].sources: List should have at most 20 items after validation, not 21"
        " (expected ids of the sources we read it in (outlets, documents, posts, from this briefing's sources"
        " list); not who said it: that is the speaker or the attribution)",
    ),
]

INVISIBLE = [
    (
        "zwsp-title",
        SEED_FILE,
        "title: Drone strike",
        "title: Drone\u200b strike",
        "title: Drone",
        "8: title: contains the invisible formatting character U+200B ZERO WIDTH SPACE at position 6 "
        + SHORT
        + " (expected headline)",  # a value of 60 characters or more is not echoed
    ),
    (
        "word-joiner-label",
        SEED_FILE,
        "label: Killed",
        "label: Kil\u2060led",
        "label: Kil",
        "14: strike.casualties[0].label: contains the invisible formatting character U+2060 WORD JOINER at position 4 "
        + SHORT
        + " (got 'Kil\\u2060led') (expected what the number is, e.g. \"Killed\" or"
        ' "Distance from the Ukrainian border")',
    ),
    (
        "soft-hyphen-source-name",
        SEED_FILE,
        "    name: News article of 2025-07-01\n",
        "    name: News\u00adarticle of 2025-07-01\n",
        "name: News",
        "11: sources[0].name: contains the invisible formatting character U+00AD SOFT HYPHEN at position 5 "
        + SHORT
        + " (got 'News\\xadarticle of 2025-07-01') (expected how the page names it, e.g. \"Kyiv Independent\")",
    ),
    (
        "zwnj-entity-name",
        ENTITIES,
        "    name: Vladimir Putin\n",
        "    name: Vladimir\u200cPutin\n",
        "name: Vladimir",
        "11: people[1].name: contains the invisible formatting character U+200C ZERO WIDTH NON-JOINER at position 9 "
        + SHORT
        + " (got 'Vladimir\\u200cPutin') (expected usual spelling of the name)",
    ),
    (
        "bom-entity-name",
        ENTITIES,
        "    name: Vladimir Putin\n",
        "    name: \ufeffVladimir Putin\n",
        "name: \ufeff",
        "11: people[1].name: contains the invisible formatting character U+FEFF ZERO WIDTH NO-BREAK SPACE"
        " at position 1 " + SHORT + " (got '\\ufeffVladimir Putin') (expected usual spelling of the name)",
    ),
    (
        "zwsp-tag",
        SEED_FILE,
        "tags: [drone-strike,",
        "tags: [drone\u200bstrike,",
        "tags: [drone",
        "8: tags[0]: 'drone\\u200bstrike' is not a valid id: it contains the invisible formatting character"
        " U+200B ZERO WIDTH SPACE at position 6 (got 'drone\\u200bstrike') (expected topic tags)",
    ),
    (
        "lrm-prose",
        SEED_FILE,
        "text: Ten of the wounded",
        "text: Ten\u200e of the wounded",
        "text: Ten",
        "11: takeaways[1].text: contains the invisible formatting character U+200E LEFT-TO-RIGHT MARK at position 4 "
        + PROSE
        + " (got 'Ten\\u200e of the wounded were in critical condition.') (expected the statement, in plain text)",
    ),
    (
        "arabic-letter-mark-prose",
        SEED_FILE,
        "text: Ten of the wounded",
        "text: Ten\u061c of the wounded",
        "text: Ten",
        "11: takeaways[1].text: contains the invisible formatting character U+061C ARABIC LETTER MARK at position 4 "
        + PROSE
        + " (got 'Ten\\u061c of the wounded were in critical condition.') (expected the statement, in plain text)",
    ),
    (
        "zwj-between-latin-prose",
        SEED_FILE,
        "text: Ten of the wounded",
        "text: Te\u200dn of the wounded",
        "text: Te",
        "11: takeaways[1].text: contains the invisible formatting character U+200D ZERO WIDTH JOINER at position 3 "
        + PROSE
        + " (got 'Te\\u200dn of the wounded were in critical condition.') (expected the statement, in plain text)",
    ),
]

# Found by a security review after the bounds above: each of these once passed `check`, gave an
# "internal error" or put an id twice on a page.
REVIEW = [
    (
        "integer-of-5000-digits",
        SEED_FILE,
        "value: 3\n",
        "value: " + "9" * 5000 + "\n",
        "value: 999",
        f"14: {CASUALTY}: a number written with 5,000 characters (expected a number)",
    ),
    (
        "boolean-as-number",
        SEED_FILE,
        "value: 3\n",
        "value: true\n",
        "value: true",
        f"14: {CASUALTY}: Input should be a valid number (got True) {CASUALTY_EXPECTED}",
    ),
    (
        "claim-id-of-a-page-anchor",
        SEED_FILE,
        "    - id: target-kupol\n",
        "    - id: sec-takeaways\n",
        "id: sec-takeaways",
        "15: strike.targets[0].claims[0].id: 'sec-takeaways' starts like an anchor the briefing pages use themselves"
        " (reserved: sec-…, source-…, dispute-…, map-…) (got 'sec-takeaways')"
        " (expected anchor id, unique in the briefing, so the timeline can link here)",
    ),
    (
        "figure-id-of-the-map",
        SEED_FILE,
        "    - id: killed\n",
        "    - id: map-title\n",
        "id: map-title",
        "11: strike.casualties[0].id: 'map-title' starts like an anchor the briefing pages use themselves"
        " (reserved: sec-…, source-…, dispute-…, map-…) (got 'map-title') (expected anchor id, unique in the briefing)",
    ),
    (
        "date-in-arabic-indic-digits",
        SEED_FILE,
        "{date: 2024-11, phrase: since November}",
        "{date: \u0662\u0660\u0662\u0664, phrase: since}",
        "phrase: since}",
        "18: timeline[0].when.date: '\u0662\u0660\u0662\u0664' is not a date (got '\u0662\u0660\u0662\u0664')"
        f" {WHEN_EXPECTED}",
    ),
    (
        "title-with-a-line-separator",
        SEED_FILE,
        f"title: {SEED_TITLE}",
        f'title: "{LSEP_TITLE_YAML}"',  # a YAML escape
        'title: "Drone',
        "8: title: contains a line break (U+2028): names, titles and other short text are one line (expected headline)",
    ),
]

CASES = NUMBERS + DATES + RESERVED_IDS + LISTS + INVISIBLE + REVIEW


@pytest.mark.slow
@pytest.mark.parametrize(("case", "file", "old", "new", "needle", "rest"), CASES, ids=[c[0] for c in CASES])
def test_check_reports_out_of_bounds_value(project, case, file, old, new, needle, rest):
    check_fails_with(project, file, old, new, needle, rest)


@pytest.mark.slow
def test_year_only_and_month_only_dates_build(project, tmp_path):
    # `date: 2024` is a number to YAML; it is the documented year-only date, quoted or not.
    text = SEED_TEXT.replace("{date: 2024-11, phrase: since November}", "{date: 2024, phrase: in 2024}", 1)
    text = text.replace("{date: 2025-05, phrase: since May}", '{date: "2023", phrase: in 2023}', 1)
    assert "date: 2025-06-30\n" in text
    text = text.replace("date: 2025-06-30\n", "date: 2025-06\n", 1)
    (project / SEED_FILE).write_text(text, encoding="utf-8")
    site = tmp_path / "out"
    result = run(project, "build", "--site-dir", str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    export = json.loads((site / "api" / "briefings" / f"{SEED_SLUG}.json").read_text(encoding="utf-8"))
    assert [e["when"]["date"] for e in export["timeline"][:2]] == ["2024", "2023"]
    assert "2025-06" in [d["when"]["date"] for d in export["front_lines"]["developments"] if d.get("when")]
    assert (site / "timeline" / "2024" / "index.html").exists()
    assert (site / "timeline" / "2023" / "index.html").exists()
    front = (site / "briefings" / SEED_SLUG / "front-lines" / "index.html").read_text(encoding="utf-8")
    assert "June 2025" in front


def test_negative_zero_is_zero():
    # `value: -0.0` is 0 or more, and a page must not show "-0 km".
    import math

    from briefings.model import Figure

    base = {"id": "gap", "label": "Gap", "unit": "km", "sources": ["s"], "status": "reported"}
    figure = Figure.model_validate({**base, "value": -0.0, "mi_as_reported": -0.0})
    assert math.copysign(1, figure.value) == 1 and math.copysign(1, figure.mi_as_reported or 0) == 1
