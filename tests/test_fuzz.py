"""Fuzz: random strings in every text field of the seed never add an element or attribute to a page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hostile import HOSTILE_TEXT

from briefings.load import dump_yaml, parse_yaml
from briefings.model import Briefing, _check_short_text
from briefings.pipeline import Project, mkdocs_build
from briefings.reference import text_field_paths
from conftest import SEED, copy_project

NAME = "data/briefings/2025-07-01-izhevsk-kupol-strike.yaml"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
MARKUP = list("<>&\"'`*_{}[]()#+-.!|~^=:\\/$@%;\n\t 01aZ\u00a0\u2028é—")


def valid(text: str) -> bool:
    try:
        _check_short_text(text)  # the same text goes into names and titles too
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
    paths = text_field_paths(Briefing, doc.data)
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
    (project.root / NAME).write_text(dump_yaml(doc))
    out = project.root / "out"
    mkdocs_build(project, out)
    assert signature(out) == baseline
    text = page_text(out)
    for value in drawn:
        assert " ".join(value.split()) in text
