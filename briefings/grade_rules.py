"""The desk's grading rule: once it opts in (desk.yaml: require_grades), every source and item carries a grade."""

from __future__ import annotations

from .integrity import RefProblem, walk_models
from .model import Attributed, Briefing


def grade_warnings(briefing: Briefing) -> list[RefProblem]:
    """Sources without a reliability grade and items without a credibility grade."""
    warnings = [
        RefProblem(
            ("sources", i, "reliability"),
            f"source {source.id!r} has no reliability grade",
            "reliability: {grade: A to F, reason: one line on why}",
        )
        for i, source in enumerate(briefing.sources)
        if source.reliability is None
    ]
    for loc, item in walk_models(briefing, (), Attributed):
        if item.credibility is None:
            warnings.append(
                RefProblem((*loc, "credibility"), "no credibility grade", "credibility: a whole number from 1 to 6")
            )
    return warnings
