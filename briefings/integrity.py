"""Integrity rules across records: every reference resolves, ids are unique, figures add up, disputes are real.

Pure functions of validated records; load.py reports what they find with file, line and field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel

from . import display
from .model import Briefing, Claim, Disputes, Entities, Event, Figure, Source, Speaker
from .scalars import Loc, Ref, _check_id, dotted
from .traverse import reaching, walk_models
from .vocabulary import ENTITY_KINDS, Qualifier, Section

# --------------------------------------------------------------------------- cross-references


@dataclass(frozen=True)
class RefProblem:
    """A cross-reference that does not resolve, or an id used twice."""

    loc: Loc
    message: str
    expected: str


def walk_refs(obj: object, loc: Loc) -> Iterator[tuple[Loc, str, str]]:
    """Yield (loc, kind, id) for every Ref-marked field under a model instance."""
    if isinstance(obj, BaseModel):
        inside = reaching(type(obj), has_refs)
        for name, kind in ref_fields(type(obj)).items():
            if kind is None and name not in inside:
                continue  # no reference can be under this field (its declared type holds none)
            value = getattr(obj, name)
            if kind is not None:
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        yield (*loc, name, i), kind, item
                elif value is not None:
                    yield (*loc, name), kind, value
            elif isinstance(value, (BaseModel, list)):
                yield from walk_refs(value, (*loc, name))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from walk_refs(item, (*loc, i))


@cache
def ref_fields(model: type[BaseModel]) -> dict[str, str | None]:
    """The reference kind of each field of a model, or None (cached: models do not change)."""
    out: dict[str, str | None] = {}
    for name, info in model.model_fields.items():
        kinds = [m.kind for m in info.metadata if isinstance(m, Ref)] + _ref_kinds_in(info.annotation)
        out[name] = kinds[0] if kinds else None
    return out


def has_refs(model: type[BaseModel]) -> bool:
    """Whether a model has a reference field of its own."""
    return any(kind is not None for kind in ref_fields(model).values())


def _ref_kinds_in(annotation: Any) -> list[str]:
    """Ref kinds inside list[...] / X | None annotations."""
    found: list[str] = []
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, Ref):
            found.append(meta.kind)
    for arg in getattr(annotation, "__args__", ()):
        found += _ref_kinds_in(arg)
    return found


def _duplicates(items: list[tuple[Loc, str]], what: str) -> Iterator[RefProblem]:
    seen: dict[str, Loc] = {}
    for loc, ident in items:
        if ident in seen:
            first = ".".join(str(p) for p in seen[ident])
            yield RefProblem(loc, f"duplicate {what} {ident!r} (first used at {first})", f"a unique {what}")
        else:
            seen[ident] = loc


def _is_id(annotation: Any) -> bool:
    return any(getattr(m, "func", None) is _check_id for m in getattr(annotation, "__metadata__", ()))


@cache
def _id_list_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """Fields of a model that hold a list of ids (tags, places, source refs ...)."""
    out = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if getattr(annotation, "__origin__", None) is list and _is_id(get_args(annotation)[0]):
            out.append(name)
    return tuple(out)


def check_repeated_ids(obj: object, loc: Loc = ()) -> list[RefProblem]:
    """An id listed twice in one list (tags: [a, a]) is a mistake: report the repeat where it is."""
    problems: list[RefProblem] = []
    if isinstance(obj, BaseModel):
        id_lists = _id_list_fields(type(obj))
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            if name in id_lists:
                first: dict[str, int] = {}
                for i, ident in enumerate(value):
                    if ident in first:
                        where = dotted((*loc, name, first[ident]))
                        problems.append(
                            RefProblem((*loc, name, i), f"repeated id {ident!r} (first at {where})", "each id once")
                        )
                    else:
                        first[ident] = i
            elif isinstance(value, (BaseModel, list)):
                problems += check_repeated_ids(value, (*loc, name))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            if isinstance(item, (BaseModel, list)):
                problems += check_repeated_ids(item, (*loc, i))
    return problems


def anchored(briefing: Briefing) -> Iterator[tuple[Loc, str, Section]]:
    """Every (loc, anchor id, section) in a briefing: claims, figures, quotes, developments ..."""

    def walk(obj: Any, loc: Loc, section: Section | None) -> Iterator[tuple[Loc, str, Section]]:
        if isinstance(obj, Event):
            return
        if isinstance(obj, BaseModel):
            ident = obj.__dict__.get("id")  # plain dict: no pydantic __getattr__ on models without id
            if section is not None and isinstance(ident, str) and not isinstance(obj, Source):
                yield (*loc, "id"), ident, section
            for name in type(obj).model_fields:
                yield from walk(getattr(obj, name), (*loc, name), section)
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                yield from walk(item, (*loc, i), section)

    for name, section in (
        ("strike", Section.strike),
        ("front_lines", Section.front_lines),
        ("diplomacy", Section.diplomacy),
        ("quotes", Section.quotes),
    ):
        yield from walk(getattr(briefing, name), (name,), section)


def check_briefing_refs(briefing: Briefing, entities: Entities) -> list[RefProblem]:
    """Every reference in a briefing resolves; ids that become anchors are unique."""
    known = entities.ids()
    source_ids = [s.id for s in briefing.sources]
    known["source"] = set(source_ids)
    problems: list[RefProblem] = []
    for loc, kind, ident in walk_refs(briefing, ()):
        if ident not in known[kind]:
            where = "this briefing's sources" if kind == "source" else f"the {kind} records in the entities file"
            options = ", ".join(sorted(known[kind])) or "none defined"
            problems.append(RefProblem(loc, f"unknown {kind} id {ident!r}", f"an id from {where}: {options}"))
    problems += _duplicates([(("sources", i, "id"), s) for i, s in enumerate(source_ids)], "source id")
    anchors = list(anchored(briefing))
    problems += _duplicates([(loc, ident) for loc, ident, _ in anchors], "anchor id")
    by_section = {(section, ident) for _, ident, section in anchors}
    problems += _derived_figure_problems(briefing)
    if briefing.strike is not None:
        problems += [RefProblem(("strike", *loc), m, e) for loc, m, e in briefing.strike.figure_rules()]
    problems += _stated_figure_problems(briefing)
    for i, event in enumerate(briefing.timeline):
        if not briefing.has_section(event.section):
            present = ", ".join(s.value for s in briefing.sections)
            problems.append(
                RefProblem(
                    ("timeline", i, "section"),
                    f"this briefing has no {event.section.value} section",
                    f"a section the briefing has: {present}",
                )
            )
        elif event.anchor and (event.section, event.anchor) not in by_section:
            ids = sorted(ident for s, ident in by_section if s == event.section)
            problems.append(
                RefProblem(
                    ("timeline", i, "anchor"),
                    f"no claim, figure or quote with id {event.anchor!r} in section {event.section.value}",
                    "one of: " + ", ".join(ids),
                )
            )
    return problems


def figures(briefing: Briefing) -> Iterator[tuple[Loc, Figure]]:
    """Every figure of a briefing with its location."""
    return walk_models(briefing, (), Figure)


def _stated_figure_problems(briefing: Briefing) -> list[RefProblem]:
    """A claim's `figures` name figures of this briefing."""
    ids = sorted({f.id for _, f in figures(briefing)})
    problems = []
    for loc, claim in walk_models(briefing, (), Claim):
        for j, ident in enumerate(claim.figures):
            if ident not in ids:
                problems.append(
                    RefProblem(
                        (*loc, "figures", j),
                        f"no figure {ident!r} in this briefing",
                        "an id of a figure in this briefing: " + (", ".join(ids) or "none"),
                    )
                )
    return problems


def as_published_warnings(briefing: Briefing, entities: Entities) -> list[RefProblem]:
    """A name as published that the person record does not list: is it a variant or a misspelling?"""
    people = {p.id: p for p in entities.people}
    problems = []
    for loc, speaker in walk_models(briefing, (), Speaker):
        person = people.get(speaker.person) if speaker.person else None
        if person is None or speaker.as_published is None:
            continue
        if speaker.as_published not in (*person.variants, *person.misspellings):
            problems.append(
                RefProblem(
                    (*loc, "as_published"),
                    f"{speaker.as_published!r} is not a spelling the record of {person.name} lists, so the page "
                    "cannot say whether it is a misspelling",
                    f"a spelling in the variants or misspellings of person {person.id} (entities file), "
                    "or no as_published",
                )
            )
    return problems


def _derived_figure_problems(briefing: Briefing) -> list[RefProblem]:
    """A figure declared as the sum of others names figures of this briefing and equals their sum."""
    by_id = {f.id: f for _, f in figures(briefing)}
    problems = []
    for loc, figure in figures(briefing):
        if not figure.sum_of:
            continue
        unknown = [p for p in figure.sum_of if p not in by_id or p == figure.id]
        for j, part in enumerate(figure.sum_of):
            if part in unknown:
                others = ", ".join(sorted(i for i in by_id if i != figure.id))
                message = "a figure cannot be a part of itself" if part == figure.id else f"no figure {part!r}"
                problems.append(
                    RefProblem((*loc, "sum_of", j), message, f"an id of a figure in this briefing: {others}")
                )
        if unknown:
            continue
        parts = [by_id[p].value for p in figure.sum_of]
        if abs(sum(parts) - figure.value) > 1e-9 * max(1.0, figure.value):
            shown = " + ".join(display.number(v) for v in parts) + f" = {display.number(sum(parts))}"
            problems.append(
                RefProblem(
                    (*loc, "value"),
                    f"{display.number(figure.value)} is not the sum of its parts ({shown})",
                    "the sum of the figures in sum_of",
                )
            )
    return problems


def check_entity_refs(entities: Entities) -> list[RefProblem]:
    """Entity records reference each other correctly and ids are unique per kind."""
    known = entities.ids()
    problems: list[RefProblem] = []
    for loc, kind, ident in walk_refs(entities, ()):
        if ident not in known[kind]:
            problems.append(RefProblem(loc, f"unknown {kind} id {ident!r}", f"an id of a {kind} record"))
    for kind in (*(k.plural for k in ENTITY_KINDS), "units"):
        records = getattr(entities, kind)
        problems += _duplicates([((kind, i, "id"), r.id) for i, r in enumerate(records)], f"{kind} id")
    return problems


def check_disputes(disputes: Disputes, briefings: list[Briefing]) -> list[RefProblem]:
    """Every side of a dispute names an existing briefing and a claim or figure in it."""
    by_slug = {b.slug: b for b in briefings}
    # A briefing's anchor ids, found once for all the sides naming it: walking it again for each side
    # was two thirds of loading the bundled data (63 sides, three briefings).
    anchor_ids: dict[str, set[str]] = {}
    problems: list[RefProblem] = []
    problems += _duplicates([(("disputes", i, "id"), d.id) for i, d in enumerate(disputes.disputes)], "dispute id")
    for i, dispute in enumerate(disputes.disputes):
        for j, side in enumerate(dispute.sides):
            loc: Loc = ("disputes", i, "sides", j)
            briefing = by_slug.get(side.briefing)
            if briefing is None:
                options = ", ".join(sorted(by_slug)) or "none"
                problems.append(
                    RefProblem((*loc, "briefing"), f"unknown briefing {side.briefing!r}", f"one of: {options}")
                )
                continue
            if briefing.slug not in anchor_ids:
                anchor_ids[briefing.slug] = {ident for _, ident, _ in anchored(briefing)}
            ids = anchor_ids[briefing.slug]
            where = (
                [(*loc, "claim")] if side.claim is not None else [(*loc, "claims", k) for k in range(len(side.claims))]
            )
            for item_loc, ident in zip(where, side.items, strict=True):
                if ident not in ids:
                    problems.append(
                        RefProblem(item_loc, f"no claim or figure {ident!r} in {side.briefing}", "an anchor id")
                    )
    return problems


# How far "about" may stretch a number when asking whether two figures can both be true.
ABOUT_MARGIN = 0.1


def figure_range(figure: Figure) -> tuple[float, float]:
    """The values a figure allows, as its qualifier puts it: about 1,500 -> 1,350 to 1,650; over 1,300 -> above it."""
    v = figure.value
    return {
        Qualifier.exact: (v, v),
        Qualifier.about: (v * (1 - ABOUT_MARGIN), v * (1 + ABOUT_MARGIN)),
        Qualifier.more_than: (math.nextafter(v, math.inf), math.inf),
        Qualifier.at_least: (v, math.inf),
        Qualifier.up_to: (0.0, v),
    }[figure.qualifier]


def dispute_warnings(disputes: Disputes, briefings: list[Briefing]) -> list[RefProblem]:
    """Disputes whose sides are figures of one quantity that can all be true at once: no contradiction."""
    by_slug = {b.slug: b for b in briefings}
    warnings = []
    for i, dispute in enumerate(disputes.disputes):
        sides: list[Figure] = []
        for side in dispute.sides:
            briefing = by_slug.get(side.briefing)
            found = [f for _, f in figures(briefing)] if briefing else []
            sides += [f for f in found if f.id == side.claim]
        if len(sides) != len(dispute.sides) or len({(f.unit, f.measure) for f in sides}) != 1:
            continue  # a side that is a claim in words, or figures of different things: a reader judges
        low = max(figure_range(f)[0] for f in sides)
        high = min(figure_range(f)[1] for f in sides)
        if low <= high:
            values = "; ".join(" ".join(p for p in (display.figure_value(f), f.unit) if p) for f in sides)
            warnings.append(
                RefProblem(
                    ("disputes", i, "sides"),
                    f"the sides can all be true ({values}): no contradiction, so no dispute; keep each as a figure",
                    "sides that contradict each other",
                )
            )
    return warnings


def duplicate_slugs(briefings: list[Briefing], site: Callable[[int], str]) -> dict[int, list[RefProblem]]:
    """For each briefing (by position) whose slug an earlier one already has: the problem at its slug.

    site(i): where the i-th briefing's slug is written (file:line), to name the first one in the message
    (asked only for a duplicate: finding a line may parse its file again).
    """
    first: dict[str, int] = {}
    out: dict[int, list[RefProblem]] = {}
    for i, briefing in enumerate(briefings):
        if briefing.slug in first:
            message = f"duplicate slug {briefing.slug!r} (also in {site(first[briefing.slug])})"
            out[i] = [RefProblem(("slug",), message, "a slug no other briefing uses")]
        else:
            first[briefing.slug] = i
    return out


def earlier_strike_problems(briefings: list[Briefing]) -> dict[str, list[RefProblem]]:
    """Earlier strikes that name a briefing the archive does not hold, by the slug of the briefing naming it."""
    slugs = {b.slug for b in briefings}
    out: dict[str, list[RefProblem]] = {}
    for briefing in briefings:
        for i, earlier in enumerate(briefing.strike.earlier_strikes if briefing.strike else []):
            if earlier.briefing and earlier.briefing not in slugs:
                out.setdefault(briefing.slug, []).append(
                    RefProblem(
                        ("strike", "earlier_strikes", i, "briefing"),
                        f"unknown briefing {earlier.briefing!r}",
                        "the slug of another briefing",
                    )
                )
    return out
