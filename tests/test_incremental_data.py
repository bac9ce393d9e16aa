"""A rebuild that keeps what the one before derived (the fast preview) gets the data and relations of a fresh load."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from briefings.dataset import Derived, ParsedFiles, load_dataset
from briefings.errors import DataError
from briefings.relations import relate
from conftest import ROOT, SEED_FILE


def problems_of(project: Path, parsed: ParsedFiles) -> list[str]:
    with pytest.raises(DataError) as info:
        load_dataset(project / "data", project, parsed)
    return [p.format() for p in info.value.problems]


def test_an_unchanged_files_problems_are_listed_on_every_load(project):
    parsed = ParsedFiles()
    data = project / SEED_FILE
    text = data.read_text()
    data.write_text(text.replace("about: {people: [vladimir-putin]}", "about: {people: [nobody-at-all]}", 1))
    line = next(i for i, t in enumerate(data.read_text().splitlines(), 1) if "nobody-at-all" in t)
    first = problems_of(project, parsed)
    assert any(p.startswith(f"{SEED_FILE}:{line}:") and "nobody-at-all" in p for p in first), first
    assert problems_of(project, parsed) == first  # the file's checks come from the cache: the same list
    # The record added to the shared file: the unchanged briefing is checked again against it.
    entities = project / "data" / "entities.yaml"
    entities.write_text(
        entities.read_text().replace(
            "people:\n", "people:\n  - id: nobody-at-all\n    name: Nobody\n    role: Nobody at all\n", 1
        )
    )
    dataset = load_dataset(project / "data", project, parsed)
    assert SEED_FILE in dataset.files.values()


def test_a_reload_gives_the_same_dataset_warnings_and_relations_as_a_fresh_load(project):
    parsed = ParsedFiles()
    first = load_dataset(project / "data", project, parsed)
    again = load_dataset(project / "data", project, parsed)
    assert again.briefings[0] is first.briefings[0]  # unchanged files come back as the same objects
    fresh = load_dataset(project / "data", project, ParsedFiles())
    assert again == fresh and again.warnings == fresh.warnings
    assert relate(again) == relate(fresh)


def test_a_records_mentions_by_some_briefings_keep_the_order_of_all_its_mentions():
    rel = relate(load_dataset(ROOT / "data", ROOT))
    for entity in rel.entities.values():
        slugs = [b.slug for b in entity.briefings]
        for size in range(len(slugs) + 1):
            for shown in itertools.combinations(slugs, size):
                expected = [m for m in entity.mentions if m.briefing.slug in shown]
                assert entity.mentions_in(frozenset(shown)) == expected


def test_derived_values_are_computed_once_per_object_and_bounded():
    derived = Derived(size=2)
    calls: list[int] = []
    a, b, c = object(), object(), object()

    def compute(n: int) -> int:
        calls.append(n)
        return n

    assert derived.of("kind", (a,), lambda: compute(1)) == 1
    assert derived.of("kind", (a,), lambda: compute(2)) == 1  # kept: the same object
    assert derived.of("other kind", (a,), lambda: compute(3)) == 3
    assert derived.of("kind", (b,), lambda: compute(4)) == 4  # a third entry: the least recently used goes
    assert derived.of("kind", (a,), lambda: compute(5)) == 5
    assert derived.of("kind", (c,), lambda: compute(6)) == 6
    assert calls == [1, 3, 4, 5, 6]
