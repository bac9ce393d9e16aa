"""The Admiralty code (NATO AJP-2.1): source reliability A-F and information credibility 1-6.

Vocabulary only, defined once: the model declares the fields with these values, the method
page lists the definitions, and a grade on a page explains itself with them. Imports nothing
of ours.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import NamedTuple


class Reliability(StrEnum):
    """How reliable a source is, judged from its record: A (completely reliable) to F (cannot be judged)."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class Credibility(IntEnum):
    """How credible an item of information is: 1 (confirmed by other sources) to 6 (cannot be judged)."""

    confirmed = 1
    probably_true = 2
    possibly_true = 3
    doubtful = 4
    improbable = 5
    cannot_be_judged = 6


class GradeInfo(NamedTuple):
    """How a grade is named and what it means (its explanation on hover and focus, and on the method page)."""

    label: str  # the Admiralty code's term
    meaning: str  # when the grade is given


RELIABILITY_INFO: dict[Reliability, GradeInfo] = {
    Reliability.A: GradeInfo(
        "Completely reliable",
        "No doubt of authenticity, trustworthiness or competency; a history of complete reliability.",
    ),
    Reliability.B: GradeInfo(
        "Usually reliable",
        "Minor doubt about authenticity, trustworthiness or competency; a history of valid information.",
    ),
    Reliability.C: GradeInfo(
        "Fairly reliable",
        "Doubt about authenticity, trustworthiness or competency; has provided valid information before.",
    ),
    Reliability.D: GradeInfo(
        "Not usually reliable",
        "Significant doubt about authenticity, trustworthiness or competency; valid information in the past.",
    ),
    Reliability.E: GradeInfo(
        "Unreliable", "Lacking in authenticity, trustworthiness and competency; a history of invalid information."
    ),
    Reliability.F: GradeInfo(
        "Reliability cannot be judged", "No basis exists for evaluating the reliability of the source."
    ),
}

CREDIBILITY_INFO: dict[Credibility, GradeInfo] = {
    Credibility.confirmed: GradeInfo(
        "Confirmed by other sources",
        "Confirmed by other independent sources; logical in itself; consistent with other information on the subject.",
    ),
    Credibility.probably_true: GradeInfo(
        "Probably true", "Not confirmed; logical in itself; consistent with other information on the subject."
    ),
    Credibility.possibly_true: GradeInfo(
        "Possibly true",
        "Not confirmed; reasonably logical in itself; agrees with some other information on the subject.",
    ),
    Credibility.doubtful: GradeInfo(
        "Doubtful", "Not confirmed; possible but not logical; no other information on the subject."
    ),
    Credibility.improbable: GradeInfo(
        "Improbable", "Not confirmed; not logical in itself; contradicted by other information on the subject."
    ),
    Credibility.cannot_be_judged: GradeInfo(
        "Truth cannot be judged", "No basis exists for evaluating the validity of the information."
    ),
}

# Reliability from best to worst, for choosing the grade a combined code shows (F is no judgement, so last).
RELIABILITY_ORDER: tuple[Reliability, ...] = tuple(Reliability)


class CombinedGrade(NamedTuple):
    """The compact code a page shows ("B2"): the cited sources' best reliability and the item's credibility."""

    reliability: Reliability | None
    credibility: Credibility | None

    @property
    def code(self) -> str:
        """ "B2", "B" or "2"; "" when neither part is graded."""
        return (self.reliability.value if self.reliability else "") + (
            str(int(self.credibility)) if self.credibility else ""
        )

    @property
    def meaning(self) -> str:
        """ "source usually reliable; information probably true", in words."""
        parts = []
        if self.reliability is not None:
            parts.append(f"source {RELIABILITY_INFO[self.reliability].label.lower()}")
        if self.credibility is not None:
            label = CREDIBILITY_INFO[self.credibility].label
            parts.append(("information " + label.lower()) if self.credibility < 6 else label.lower())
        return "; ".join(parts)


def combined(reliabilities: list[Reliability | None], credibility: Credibility | None) -> CombinedGrade:
    """The combined grade of an item citing sources of these reliabilities: the best graded one (the item rests
    on its most reliable source; the credibility digit already says how far it is corroborated)."""
    graded = [r for r in reliabilities if r is not None]
    best = min(graded, key=RELIABILITY_ORDER.index) if graded else None
    return CombinedGrade(best, credibility)
