"""The desk's grading rule: once it opts in (desk.yaml: require_grades), every source and item carries a grade."""

from __future__ import annotations

from .integrity import RefProblem
from .model import Attributed, Briefing
from .traverse import walk_models


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


def summary_grade_warnings(briefing: Briefing) -> list[RefProblem]:
    """Takeaways and timeline events graded as more credible than the items they restate.

    A takeaway states figures (`figures:`), a timeline event tells an item (`anchor:`); the summary
    cannot be truer than what it summarises, so its digit must be the same or higher (1 is the most
    credible, 6 cannot be judged).
    """
    graded = {
        str(ident): item.credibility
        for _, item in walk_models(briefing, (), Attributed)
        if (ident := item.__dict__.get("id")) is not None
    }
    warnings = []
    restating: list[tuple[tuple[str | int, ...], Attributed, list[str]]] = [
        (("takeaways", i), t, list(t.figures)) for i, t in enumerate(briefing.takeaways)
    ]
    restating += [(("timeline", i), e, [e.anchor]) for i, e in enumerate(briefing.timeline) if e.anchor]
    for loc, item, ids in restating:
        digits = {ident: graded[ident] for ident in ids if graded.get(ident) is not None}
        if item.credibility is None or not digits:
            continue
        weakest, digit = max(digits.items(), key=lambda pair: int(pair[1] or 0))
        if digit is not None and int(item.credibility) < int(digit):
            warnings.append(
                RefProblem(
                    (*loc, "credibility"),
                    f"credibility {int(item.credibility)} is better than the {int(digit)} of {weakest!r}, "
                    "which it restates",
                    f"a digit of {int(digit)} or higher (a summary is never truer than what it summarises)",
                )
            )
    return warnings
