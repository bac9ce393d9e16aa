"""`build.py new`: a skeleton data file for a new briefing, optionally seeded from an existing one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .dataset import load_dataset
from .errors import UsageError
from .pipeline import Project
from .scalars import _ID_RE

PLACEHOLDER_SOURCE = [{"id": "source-1", "name": "TODO: the outlet or document you read", "kind": "media"}]


def _flow(value: object) -> str:
    """YAML flow style for simple lists and mappings (JSON is valid YAML 1.2)."""
    return json.dumps(value, ensure_ascii=False)


def new_briefing(project: Project, slug: str, source_slug: str | None = None, today: dt.date | None = None) -> Path:
    """Write data/briefings/SLUG.yaml; refuse to overwrite; return its path."""
    if not _ID_RE.match(slug) or "--" in slug:
        raise UsageError(f"{slug!r} is not a valid slug (lower-case letters, digits and single hyphens)")
    path = project.data_dir / "briefings" / f"{slug}.yaml"
    if path.exists():
        raise UsageError(f"{path.relative_to(project.root)} already exists; choose another slug")
    places, tags, sources = ["TODO-place-id"], [], PLACEHOLDER_SOURCE
    strike_places: list[str] = ["TODO-place-id"]
    target: dict[str, str] = {"facility": "TODO-facility-id"}
    if source_slug:
        dataset = load_dataset(project.data_dir, project.root)
        base = next((b for b in dataset.briefings if b.slug == source_slug), None)
        if base is None:
            raise UsageError(f"no briefing with slug {source_slug!r}")
        places, tags = list(base.places), list(base.tags)
        sources = [s.model_dump(mode="json", exclude_none=True) for s in base.sources]
        sources.insert(0, PLACEHOLDER_SOURCE[0])
        if base.strike:
            strike_places = list(base.strike.places)
            first = base.strike.targets[0] if base.strike.targets else None
            if first is not None:
                target = first.model_dump(mode="json", exclude_none=True, include={"facility", "place", "description"})
    env = Environment(
        loader=FileSystemLoader(str(project.templates_dir)),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML: values are written with JSON quoting below
    )
    text = env.get_template("new-briefing.yaml.j2").render(
        slug=slug,
        today=(today or dt.date.today()).isoformat(),  # the one place the clock is used: a new file's date
        places=_flow(places),
        tags=_flow(tags),
        sources="\n".join(f"  - {_flow(s)}" for s in sources),
        strike_places=_flow(strike_places),
        target="\n      ".join(f"{k}: {_flow(v)}" for k, v in target.items()),
        based_on=_flow(source_slug) if source_slug else "",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as f:  # "x": never overwrite, even in a race
        f.write(text)
    return path
