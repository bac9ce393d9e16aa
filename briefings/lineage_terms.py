"""How a claim relates to a claim of an earlier briefing: vocabulary only, defined once. Imports nothing of ours."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Relation(StrEnum):
    """What a claim does to the claim of an earlier briefing it names."""

    restates = "restates"
    confirms = "confirms"
    revises = "revises"
    contradicts = "contradicts"


class RelationInfo(NamedTuple):
    """How a relation reads on a page."""

    past: str  # "revised", in a history: "revised on 18 November 2024"
    meaning: str  # when an editor gives it


RELATION_INFO: dict[Relation, RelationInfo] = {
    Relation.restates: RelationInfo(
        "restated", "says again what the earlier claim said, with nothing new (a later report recalling it)"
    ),
    Relation.confirms: RelationInfo(
        "confirmed", "a source independent of the earlier claim's now confirms it (its status says how far)"
    ),
    Relation.revises: RelationInfo(
        "revised", "replaces it with a newer account or figure of the same thing (a toll that rose)"
    ),
    Relation.contradicts: RelationInfo(
        "contradicted", "says otherwise about the same thing; usually also a dispute, with each side"
    ),
}
