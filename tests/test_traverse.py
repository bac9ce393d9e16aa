"""Walks over records (briefings/traverse.py) skip fields that cannot hold what they look for, and find the same.

The reference is the same walk with pruning turned off (every field of every model visited).
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from briefings import integrity, model, traverse
from briefings.dataset import load_dataset
from briefings.integrity import walk_refs
from briefings.traverse import descend, walk_models
from conftest import ROOT


def every_field(model_type: type[BaseModel], *_: object) -> tuple[str, ...]:
    """Pruning turned off: every field is descended into."""
    return tuple(model_type.model_fields)


KINDS = [model.Claim, model.Figure, model.Attributed, model.Speaker, model.Source, model.Event, model.Quote, BaseModel]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_a_pruned_walk_finds_what_visiting_every_field_finds(kind, monkeypatch):
    dataset = load_dataset(ROOT / "data", ROOT)
    pruned = [[(loc, id(item)) for loc, item in walk_models(b, (), kind)] for b in dataset.briefings]
    monkeypatch.setattr(traverse, "descend", every_field)
    visited = [[(loc, id(item)) for loc, item in walk_models(b, (), kind)] for b in dataset.briefings]
    assert pruned == visited
    assert sum(map(len, pruned)), kind  # the seed alone has every kind


def test_fields_of_plain_values_are_not_visited():
    fields = descend(model.Briefing, model.Claim)
    assert "slug" not in fields and "published" not in fields and "tags" not in fields
    assert "strike" in fields


def test_the_reference_walk_finds_every_reference_visiting_every_field_finds(monkeypatch):
    dataset = load_dataset(ROOT / "data", ROOT)
    records = (*dataset.briefings, dataset.entities)
    pruned = [list(walk_refs(record, ())) for record in records]
    monkeypatch.setattr(integrity, "reaching", every_field)
    assert pruned == [list(walk_refs(record, ())) for record in records]
    assert sum(map(len, pruned))
