"""Walking validated records: every instance of a record type under a model, with its location.

A walk descends only into the fields whose declared type can hold what it looks for (worked out
once per model and kind from the annotations), so a briefing's thousands of strings, dates and
numbers are not visited one by one: walks are run over every briefing on every build.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache, partial
from typing import Any, TypeVar

from pydantic import BaseModel

from .scalars import Loc

M = TypeVar("M", bound=BaseModel)

# Values of these types are leaves: a walk neither yields them nor looks inside them.
_LEAVES = (str, bytes, int, float, bool, Decimal, dt.date, dt.time, dt.timedelta, enum.Enum, type(None))


def walk_models(obj: object, loc: Loc, kind: type[M]) -> Iterator[tuple[Loc, M]]:
    """Every instance of a record type under obj (itself included), with its location, in field order."""
    if isinstance(obj, kind):
        yield loc, obj
    if isinstance(obj, BaseModel):
        for name in descend(type(obj), kind):
            yield from walk_models(getattr(obj, name), (*loc, name), kind)
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from walk_models(item, (*loc, i), kind)


@cache
def descend(model: type[BaseModel], kind: type[BaseModel]) -> tuple[str, ...]:
    """The fields of a model whose values can hold an instance of kind, in declaration order."""
    return reaching(model, partial(_related, kind))


@cache
def reaching(model: type[BaseModel], match: Callable[[type[BaseModel]], bool]) -> tuple[str, ...]:
    """The fields of a model whose values can be or hold (through models and lists) a model that matches."""
    return tuple(name for name, info in model.model_fields.items() if _may_hold(info.annotation, match, (model,)))


def _related(kind: type[BaseModel], model: type[BaseModel]) -> bool:
    """Whether an instance declared as model can be a kind instance (a subclass either way)."""
    return issubclass(model, kind) or issubclass(kind, model)


def _may_hold(annotation: Any, match: Callable[[type[BaseModel]], bool], seen: tuple[type, ...]) -> bool:
    """Whether a value of this declared type can be, or contain (through models and lists), a matching model.

    Anything this cannot read (Any, a type variable, a forward reference) counts as yes:
    a walk may visit too much, never too little.
    """
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _may_hold(typing.get_args(annotation)[0], match, seen)
    if origin is typing.Union or origin is types.UnionType:
        return any(_may_hold(arg, match, seen) for arg in typing.get_args(annotation))
    if origin is typing.Literal:
        return False
    if origin is list:
        args = typing.get_args(annotation)
        return not args or _may_hold(args[0], match, seen)
    if origin is not None:
        # A walk looks inside models and lists only (not dicts, tuples or sets), like this one.
        return False
    if not isinstance(annotation, type):
        return True
    if issubclass(annotation, BaseModel):
        if match(annotation):
            return True
        if annotation in seen:
            return False
        inner = (*seen, annotation)
        return any(_may_hold(info.annotation, match, inner) for info in annotation.model_fields.values())
    if annotation is list:
        return True
    return not issubclass(annotation, _LEAVES) and annotation is not dict
