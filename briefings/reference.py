"""The data-format reference and JSON Schema, both derived from the model's field descriptions."""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from annotated_types import MaxLen
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .model import Briefing, Desk, Disputes, Entities
from .scalars import Ref, _check_date_spec, _check_id, _check_short_text, _check_text, _check_url


@dataclass(frozen=True)
class FieldDoc:
    """One row of the reference: a field of a record."""

    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class RecordDoc:
    """One record type of the data format with its fields."""

    name: str
    description: str
    fields: list[FieldDoc]


def _type_name(annotation: Any, found: list[type[BaseModel]]) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        refs = [m for m in annotation.__metadata__ if isinstance(m, Ref)]
        if refs:
            return f"id of a {refs[0].kind}"
        checks = {getattr(m, "func", None) for m in annotation.__metadata__}
        for check, name in ((_check_id, "id"), (_check_url, "URL"), (_check_date_spec, "date or date range")):
            if check in checks:
                return name
        limit = next((m.max_length for m in annotation.__metadata__ if isinstance(m, MaxLen)), None)
        inner = _type_name(args[0], found)
        if limit is not None and typing.get_origin(args[0]) is list:
            return f"{inner} (at most {limit})"
        return inner
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a, found) for a in args if a is not type(None))
    if origin is list:
        return f"list of {_type_name(args[0], found)}"
    if origin is typing.Literal:
        return "one of: " + ", ".join(str(a) for a in args)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of: " + ", ".join(str(m.value) for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.append(annotation)
        return annotation.__name__
    return {str: "text", int: "whole number", float: "number", bool: "true or false"}.get(
        annotation, getattr(annotation, "__name__", str(annotation))
    )


@lru_cache(maxsize=1)
def records() -> list[RecordDoc]:
    """Every record type reachable from a briefing file and the entities file, in reading order."""
    found: list[type[BaseModel]] = [Briefing, Entities, Disputes, Desk]
    docs: list[RecordDoc] = []
    i = 0
    while i < len(found):
        model = found[i]
        fields = []
        for name, info in model.model_fields.items():
            annotation: Any = info.annotation
            if info.metadata:
                annotation = typing.Annotated[(annotation, *info.metadata)]
            required = info.is_required()
            default = "" if required or info.default in (None, PydanticUndefined) else f" Default: {info.default!s}."
            if isinstance(info.default, Enum):
                default = f" Default: {info.default.value}."
            fields.append(FieldDoc(name, _type_name(annotation, found), required, (info.description or "") + default))
        docs.append(RecordDoc(model.__name__, (model.__doc__ or "").strip(), fields))
        i += 1
    return docs


def missing_descriptions() -> list[str]:
    """Fields without a description (a test keeps this empty)."""
    return [f"{r.name}.{f.name}" for r in records() for f in r.fields if not f.description.strip()]


@lru_cache(maxsize=1)
def json_schemas() -> dict[str, str]:
    """JSON Schema text per data file kind, for editors' autocompletion."""
    out = {}
    kinds = (
        ("briefing.schema.json", Briefing),
        ("entities.schema.json", Entities),
        ("disputes.schema.json", Disputes),
        ("desk.schema.json", Desk),
    )
    for filename, model in kinds:
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[filename] = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return out


def reference_markdown() -> str:
    """Plain Markdown tables of the data format (for the README; the site page uses a template)."""
    lines: list[str] = []
    for record in records():
        lines += [f"#### {record.name}", "", record.description, "", "| field | type | required | description |"]
        lines.append("| --- | --- | --- | --- |")
        for f in record.fields:
            cells = [f"`{f.name}`", f.type, "yes" if f.required else "no", f.description]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


README_START = "<!-- data-format:start (generated by `python build.py schema`; do not edit) -->"
README_END = "<!-- data-format:end -->"


def with_reference(readme: str) -> str:
    """README text with its data-format section replaced by the current reference."""
    start = readme.index(README_START) + len(README_START)
    end = readme.index(README_END)
    return readme[:start] + "\n" + reference_markdown() + readme[end:]


def _is_text(meta: list[Any]) -> bool:
    return any(getattr(m, "func", None) in (_check_text, _check_short_text) for m in meta)


def text_field_paths(
    model: type[BaseModel], data: dict[str, Any], prefix: tuple[str | int, ...] = ()
) -> list[tuple[str | int, ...]]:
    """Paths into raw data of every free-text value, found through the model (for fuzzing and benchmarks)."""
    paths: list[tuple[str | int, ...]] = []
    for name, info in model.model_fields.items():
        if name not in data:
            continue
        target = info.annotation
        if typing.get_origin(target) in (typing.Union, types.UnionType):
            target = next(a for a in typing.get_args(target) if a is not type(None))
        if _is_text(info.metadata) or _is_text(list(getattr(target, "__metadata__", ()))):
            paths.append((*prefix, name))
        elif typing.get_origin(target) is list:
            item = typing.get_args(target)[0]
            for i, element in enumerate(data[name]):
                if isinstance(item, type) and issubclass(item, BaseModel):
                    paths += text_field_paths(item, element, (*prefix, name, i))
                elif _is_text(list(getattr(item, "__metadata__", ()))):
                    paths.append((*prefix, name, i))
        elif isinstance(target, type) and issubclass(target, BaseModel) and isinstance(data[name], dict):
            paths += text_field_paths(target, data[name], (*prefix, name))
    return paths
