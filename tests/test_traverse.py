"""Walks over records (briefings/traverse.py) skip fields that cannot hold what they look for, and find the same."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from briefings import model
from briefings.dataset import load_dataset
from briefings.integrity import ref_fields, walk_refs
from briefings.traverse import descend, walk_models
from conftest import ROOT


def every_field(obj: object, loc: tuple[Any, ...], kind: type) -> Iterator[tuple[tuple[Any, ...], object]]:
    """The walk without pruning: every field of every model and every list item."""
    if isinstance(obj, kind):
        yield loc, obj
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from every_field(getattr(obj, name), (*loc, name), kind)
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from every_field(item, (*loc, i), kind)


KINDS = [model.Claim, model.Figure, model.Attributed, model.Speaker, model.Source, model.Event, model.Quote, BaseModel]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_a_pruned_walk_finds_what_visiting_every_field_finds(kind):
    dataset = load_dataset(ROOT / "data", ROOT)
    total = 0
    for briefing in dataset.briefings:
        found = [(loc, id(item)) for loc, item in walk_models(briefing, (), kind)]
        assert found == [(loc, id(item)) for loc, item in every_field(briefing, (), kind)]
        total += len(found)
    assert total, kind  # the seed alone has every kind


def test_fields_of_plain_values_are_not_visited():
    fields = descend(model.Briefing, model.Claim)
    assert "slug" not in fields and "published" not in fields and "tags" not in fields
    assert "strike" in fields


def every_ref(obj: object, loc: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str, str]]:
    """walk_refs without pruning: every field of every model visited."""
    if isinstance(obj, BaseModel):
        for name, kind in ref_fields(type(obj)).items():
            value = getattr(obj, name)
            if kind is not None:
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        yield (*loc, name, i), kind, item
                elif value is not None:
                    yield (*loc, name), kind, value
            else:
                yield from every_ref(value, (*loc, name))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from every_ref(item, (*loc, i))


def test_the_reference_walk_finds_every_reference_visiting_every_field_finds():
    dataset = load_dataset(ROOT / "data", ROOT)
    total = 0
    for record in (*dataset.briefings, dataset.entities):
        found = list(walk_refs(record, ()))
        assert found == list(every_ref(record, ()))
        total += len(found)
    assert total
