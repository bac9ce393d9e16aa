"""Fuzz: random strings in every text field of the seed never add an element or attribute to a page."""

from __future__ import annotations

import os
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from test_hostile import HOSTILE_TEXT

from briefings.load import parse_yaml
from briefings.model import Briefing, _check_text
from briefings.pipeline import Project, mkdocs_build
from conftest import SEED, copy_project

NAME = "data/briefings/2025-07-01-izhevsk-kupol-strike.yaml"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
MARKUP = list("<>&\"'`*_{}[]()#+-.!|~^=:\\/$@%;\n\t 01aZ\u00a0\u2028é—")


def _is_text(meta: list[Any]) -> bool:
    return any(getattr(m, "func", None) is _check_text for m in meta)


def text_paths(model: type[BaseModel], data: dict[str, Any], prefix: tuple = ()) -> list[tuple]:
    """Paths (into the raw data) of every free-text value, found through the model."""
    paths: list[tuple] = []
    for name, info in model.model_fields.items():
        if name not in data:
            continue
        value = data[name]
        annotation = info.annotation
        target = annotation
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            target = next(a for a in typing.get_args(annotation) if a is not type(None))
        if _is_text(info.metadata) or _is_text(list(getattr(target, "__metadata__", ()))):
            paths.append((*prefix, name))
        elif typing.get_origin(target) is list:
            item = typing.get_args(target)[0]
            for i, element in enumerate(value):
                if isinstance(item, type) and issubclass(item, BaseModel):
                    paths += text_paths(item, element, (*prefix, name, i))
                elif _is_text(list(getattr(item, "__metadata__", ()))):
                    paths.append((*prefix, name, i))
        elif isinstance(target, type) and issubclass(target, BaseModel) and isinstance(value, dict):
            paths += text_paths(target, value, (*prefix, name))
    return paths


class _QuotingDumper(yaml.SafeDumper):
    """Double-quotes every string: PyYAML's dumper follows YAML 1.1 and would leave `1e100` bare,
    which our YAML 1.2 loader (correctly) reads as a number."""


_QuotingDumper.add_representer(str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style='"'))


def valid(text: str) -> bool:
    try:
        _check_text(text)
    except ValueError:
        return False
    return True


TEXT = st.one_of(
    st.text(alphabet=st.sampled_from(MARKUP), min_size=1, max_size=30),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")), min_size=1, max_size=20),
    st.sampled_from(HOSTILE_TEXT),
).filter(valid)


def signature(site: Path) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Element names and attribute names, in order, of every briefing page's content."""
    out = {}
    for path in sorted((site / "briefings").rglob("*.html")):
        art = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml").select_one("article")
        out[str(path.relative_to(site))] = [(t.name, tuple(sorted(t.attrs))) for t in art.find_all(True)]
    return out


def page_text(site: Path) -> str:
    texts = []
    for path in sorted((site / "briefings").rglob("*.html")):
        art = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml").select_one("article")
        texts.append(art.get_text(" "))
    return " ".join(" ".join(texts).split())


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory) -> tuple[Project, dict, list[tuple], dict]:
    root = copy_project(tmp_path_factory.mktemp("fuzz") / "project")
    doc, problems = parse_yaml(SEED, NAME)
    assert doc is not None and not problems
    paths = text_paths(Briefing, doc.data)
    project = Project.at(root)
    baseline = root / "baseline"
    mkdocs_build(project, baseline)
    return project, doc.data, paths, signature(baseline)


def test_fuzz_finds_the_text_fields(fuzz_project):
    _, _, paths, _ = fuzz_project
    assert ("title",) in paths and ("quotes", 0, "text") in paths
    assert ("diplomacy", "negotiations", 0, "parties", 1) in paths
    assert ("slug",) not in paths and ("sources", 0, "id") not in paths
    assert len(paths) > 100


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_random_text_never_becomes_markup(fuzz_project, data):
    project, seed, paths, baseline = fuzz_project
    import copy

    doc = copy.deepcopy(seed)
    drawn = []
    for path in paths:
        value = data.draw(TEXT)
        drawn.append(value)
        node = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    (project.root / NAME).write_text(yaml.dump(doc, Dumper=_QuotingDumper, allow_unicode=True, width=10_000))
    out = project.root / "out"
    mkdocs_build(project, out)
    assert signature(out) == baseline
    text = page_text(out)
    for value in drawn:
        assert " ".join(value.split()) in text
