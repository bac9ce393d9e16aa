"""Loading and validating data files: the seed is valid, mistakes get file:line: field messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefings.dataset import load_dataset
from briefings.errors import DataError
from conftest import ROOT, SEED, SEED_FILE, SEED_SLUG

SEED_TEXT = SEED.read_text(encoding="utf-8")


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line number of the nth line containing needle."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def errors_for(project: Path) -> list[str]:
    with pytest.raises(DataError) as info:
        load_dataset(project / "data", project)
    return [p.format() for p in info.value.problems]


def test_bundled_data_validates():
    dataset = load_dataset(ROOT / "data", ROOT)
    slugs = [b.slug for b in dataset.briefings]
    assert SEED_SLUG in slugs
    seed = next(b for b in dataset.briefings if b.slug == SEED_SLUG)
    assert {f.id: f.value for f in seed.strike.casualties} == {"killed": 3, "hospitalised": 35, "critical": 10}
    assert len(seed.quotes) == 5


def replace_in_seed(project: Path, old: str, new: str) -> str:
    assert old in SEED_TEXT, old
    text = SEED_TEXT.replace(old, new, 1)
    (project / SEED_FILE).write_text(text, encoding="utf-8")
    return text


def test_wrong_type_names_file_line_and_field(project):
    text = replace_in_seed(project, "      value: 35\n", "      value: thirty-five\n")
    line = line_of(text, "value: thirty-five")
    [err] = errors_for(project)
    assert err.startswith(f"{SEED_FILE}:{line}:")
    assert "strike.casualties[1].value: Input should be a valid number" in err
    assert "(expected the number, 0 or more and below 1,000,000,000; distances in kilometres, at most 40,075)" in err


def test_unknown_source_id(project):
    text = replace_in_seed(project, "    sources: [article]\n", "    sources: [articel]\n")
    line = line_of(text, "sources: [articel]")
    errs = errors_for(project)
    assert len(errs) == 1
    assert errs[0].startswith(f"{SEED_FILE}:{line}:")
    assert "takeaways[0].sources[0]: unknown source id 'articel'" in errs[0]
    assert "expected an id from this briefing's sources" in errs[0]


def test_a_briefing_needs_one_section(project):
    # Each section may be left out; leaving out all four is a mistake.
    start = SEED_TEXT.index("\nstrike:\n")
    end = SEED_TEXT.index("\ntimeline:\n")
    (project / SEED_FILE).write_text(SEED_TEXT[:start] + SEED_TEXT[end:], encoding="utf-8")
    errs = errors_for(project)
    assert errs[0] == (
        f"{SEED_FILE}:1:1: (file): a briefing needs at least one section: strike, front_lines, diplomacy or quotes"
        " (expected one situation report: metadata, sources, the four sections and a timeline)"
    ) or errs[0].startswith(f"{SEED_FILE}:"), errs
    assert any("a briefing needs at least one section: strike, front_lines, diplomacy or quotes" in e for e in errs)


def test_timeline_cannot_point_to_a_missing_section(project):
    start = SEED_TEXT.index("\ndiplomacy:\n")
    end = SEED_TEXT.index("\nquotes:\n")
    text = SEED_TEXT[:start] + SEED_TEXT[end:]
    (project / SEED_FILE).write_text(text, encoding="utf-8")
    # A takeaway stating a figure of the removed section is reported too; here the timeline's errors count.
    errs = [e for e in errors_for(project) if "timeline[" in e]
    pointing = [i for i, line in enumerate(text.splitlines(), 1) if line.strip() == "section: diplomacy"]
    assert pointing and [int(e.split(":")[1]) for e in errs] == pointing, errs
    assert all("this briefing has no diplomacy section" in e for e in errs), errs
    assert all("(expected a section the briefing has: strike, front-lines, quotes)" in e for e in errs)


def test_bad_date(project):
    text = replace_in_seed(project, "published: 2025-07-01\n", "published: 2025-02-30\n")
    line = line_of(text, "published: 2025-02-30")
    [err] = errors_for(project)
    assert err.startswith(f"{SEED_FILE}:{line}:12: published: ")
    assert "day value is outside expected range" in err
    assert "(expected publication date, YYYY-MM-DD, 1970-01-01 to 2099-12-31)" in err


def test_bad_when_date_and_phrase(project):
    text = replace_in_seed(project, "date: 2025-06-30\n", "date: 2025-06-31\n")
    line = line_of(text, "date: 2025-06-31")
    [err] = errors_for(project)
    assert err.startswith(f"{SEED_FILE}:{line}:")
    assert "'2025-06-31' is not a real date: day is out of range for month" in err


def test_duplicate_slug_across_files(project):
    (project / "data" / "briefings" / "copy.yaml").write_text(SEED_TEXT, encoding="utf-8")
    errs = [e for e in errors_for(project) if "duplicate slug" in e]
    line = line_of(SEED_TEXT, "slug:")
    assert errs == [
        f"data/briefings/copy.yaml:{line}:7: slug: duplicate slug '{SEED_SLUG}' "
        f"(also in {SEED_FILE}:{line}) (expected a slug no other briefing uses)"
    ]


def test_all_errors_of_a_file_reported_at_once(project):
    text = (
        SEED_TEXT.replace("      value: 35\n", "      value: -35\n")
        .replace("    sources: [article]\n", "    sources: [nobody]\n", 1)
        .replace("status: unconfirmed", "status: rumoured")
    )
    (project / SEED_FILE).write_text(text, encoding="utf-8")
    errs = errors_for(project)
    joined = "\n".join(errs)
    assert "greater than or equal to 0" in joined
    assert "Input should be 'confirmed', 'verified'" in joined
    # Reference checks run only on a structurally valid file; the two above come first.
    assert len(errs) == 2


def test_unknown_field_typo_fails(project):
    text = replace_in_seed(
        project, "quotes:\n  - id: quote-special-operation", "qoutes:\n  - id: quote-special-operation"
    )
    errs = errors_for(project)
    line = line_of(text, "qoutes:")
    assert f"{SEED_FILE}:{line}:1: qoutes: unknown field 'qoutes'" in errs[0] or any(
        e.startswith(f"{SEED_FILE}:{line}:1: qoutes: unknown field 'qoutes'") for e in errs
    )
    assert len(errs) == 1


def test_timeline_anchor_must_exist(project):
    text = replace_in_seed(project, "anchor: talks-since-may", "anchor: talks-since-june")
    line = line_of(text, "anchor: talks-since-june")
    [err] = errors_for(project)
    assert err.startswith(f"{SEED_FILE}:{line}:")
    assert "no claim, figure or quote with id 'talks-since-june' in section diplomacy" in err


def test_miles_must_match_kilometres(project):
    replace_in_seed(project, "mi_as_reported: 620", "mi_as_reported: 720")
    [err] = errors_for(project)
    assert "mi_as_reported 720 does not match 1,000 km (= 621 mi)" in err


def test_messages_quote_numbers_with_every_digit_the_editor_wrote(project):
    """Numbers in a message read as written (grouped, all decimals): never rounded to six digits or an exponent."""
    replace_in_seed(project, "value: 1000\n      unit: km", "value: 1234567.25\n      unit: km")
    [err] = errors_for(project)
    assert "1,234,567.25 km is longer than any distance on Earth" in err, err
    replace_in_seed(project, "mi_as_reported: 620", "mi_as_reported: 720.125")
    [err] = errors_for(project)
    assert "mi_as_reported 720.125 does not match 1,000 km (= 621 mi)" in err, err
