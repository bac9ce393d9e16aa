"""Item ids and the anchors of the briefing pages share one HTML id space; neither may take the other's."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest
from jinja2 import meta
from pydantic import TypeAdapter, ValidationError

from briefings.links import check_site
from briefings.scalars import PAGE_ANCHOR_PREFIXES, AnchorId
from briefings.views import TEMPLATE_FOR
from conftest import ROOT

TEMPLATES = ROOT / "templates"
# `## Heading { #name }`, `{ #prefix-{{ ... }} }`, `id="name"` and `id="prefix-{{ ... }}"`.
ANCHOR = re.compile(r"\{ *#([^ }{]*)(\{\{)?|\bid=\"([^\"{]*)(\{\{)?")
HEADING = re.compile(r"^#{1,6} .*$", re.MULTILINE)


def briefing_templates() -> set[str]:
    """The templates of briefing pages and every template they import or include."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES))
    todo, seen = list(TEMPLATE_FOR.values()), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        source = (TEMPLATES / name).read_text(encoding="utf-8")
        todo += [n for n in meta.find_referenced_templates(env.parse(source)) if n]
    return seen


def page_anchors() -> list[tuple[str, str, bool]]:
    """(template, anchor or prefix, is a prefix) for every anchor a briefing-page template writes."""
    found = []
    for name in sorted(briefing_templates()):
        source = re.sub(r"\{#.*?#\}", "", (TEMPLATES / name).read_text(encoding="utf-8"), flags=re.DOTALL)
        for match in ANCHOR.finditer(source):
            text = match.group(1) if match.group(1) is not None else match.group(3)
            prefix = bool(match.group(2) or match.group(4))
            if prefix and not text:
                continue  # the item's own id: what the model checks
            found.append((name, text, prefix))
    return found


def test_the_walk_reaches_the_section_templates_and_their_macros():
    names = briefing_templates()
    assert {"overview.md.j2", "strike.md.j2", "macros.md.j2", "locator.svg.j2"} <= names


@pytest.mark.parametrize(("template", "anchor", "prefix"), page_anchors(), ids=lambda v: str(v))
def test_every_page_anchor_is_reserved_for_items(template, anchor, prefix):
    adapter = TypeAdapter(AnchorId)
    probe = f"{anchor}x" if prefix else anchor
    if re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", probe):
        with pytest.raises(ValidationError, match="starts like an anchor the briefing pages use"):
            adapter.validate_python(probe)
    if prefix:
        assert anchor.startswith(PAGE_ANCHOR_PREFIXES), f"{template}: prefix {anchor!r} is not in PAGE_ANCHOR_PREFIXES"


def test_every_heading_of_a_briefing_page_has_an_explicit_id():
    # A heading without one gets an id made from its text: `# {{ b.title }}` would give an id
    # that a claim id could equal.
    for name in briefing_templates():
        for heading in HEADING.findall((TEMPLATES / name).read_text(encoding="utf-8")):
            assert "{ #" in heading, f"{name}: {heading}"


def test_item_ids_that_do_not_look_like_page_anchors_are_accepted():
    adapter = TypeAdapter(AnchorId)
    assert adapter.validate_python("killed") == "killed"
    assert adapter.validate_python("record-air-attack") == "record-air-attack"


def test_the_link_check_reports_an_id_used_twice_on_a_page(tmp_path: Path):
    (tmp_path / "index.html").write_text(
        '<html><body><article class="md-content__inner">\n<h2 id="killed">Killed</h2>\n'
        '<div id="other">x</div>\n<div id="killed">3</div>\n<a href="#killed">link</a>\n</article></body></html>',
        encoding="utf-8",
    )
    report = check_site(tmp_path)
    assert [b.format() for b in report.broken] == [
        "index.html -> #killed: line 4: the id 'killed' is used twice on the page, so links to it reach only the first"
    ]
