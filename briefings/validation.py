"""Validate a parsed document against the model: every pydantic error as a Problem with file, line, column and field.

Error text comes from the model (field descriptions say what was expected); locations from the
Document the loader built.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import Problem
from .integrity import RefProblem
from .load import Document
from .scalars import Loc, dotted

M = TypeVar("M", bound=BaseModel)


def _field_description(model: type[BaseModel], loc: Loc) -> str:
    """The description of the field at loc, walking nested models and lists."""
    current: Any = model
    description = ""
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return description if part == loc[-1] and description else ""
        info = fields[part]
        description = info.description or ""
        current = _inner_model(info.annotation)
    return description


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _pydantic_problems(doc: Document, model: type[BaseModel], exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))  # drop union tags
        kind = err["type"]
        message = err["msg"]
        if kind == "missing":
            message = "required field is missing"
        elif kind == "extra_forbidden":
            message = f"unknown field {loc[-1]!r}"
        elif kind == "value_error":
            message = message.removeprefix("Value error, ")
        value = err.get("input")
        if kind not in ("missing", "extra_forbidden") and isinstance(value, (str, int, float)) and len(str(value)) < 60:
            message += f" (got {value!r})"
        if kind == "extra_forbidden":
            parent = _inner_model_at(model, loc[:-1])
            names = ", ".join(parent.model_fields) if parent else ""
            expected = f"one of: {names}" if names else ""
        else:
            description = _field_description(model, loc)
            expected = description
        line, col = doc.locate(loc, key=kind in ("missing", "extra_forbidden"))
        problems.append(Problem(doc.path, line, col, dotted(loc), message, expected))
    return problems


def _inner_model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return None
        current = _inner_model(fields[part].annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def located(doc: Document, refs: list[RefProblem]) -> list[Problem]:
    out = []
    for ref in refs:
        line, col = doc.locate(ref.loc)
        out.append(Problem(doc.path, line, col, dotted(ref.loc), ref.message, ref.expected))
    return out


def validate(doc: Document, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Validate a Document against a model; all problems, each with its line."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, _pydantic_problems(doc, model, exc)
