"""Fuzz: random strings in every text field of the seed never add an element or attribute to a page.

Examples run through the generator and Python-Markdown with the site's extensions (fast);
one hostile example runs through the real MkDocs build to show that layer stands for it.

Each example is written as YAML, parsed and validated against the model like a data file,
and replaces the seed in the bundled dataset, validated once: the other files are not read
and checked again per example (the cross-file rules are the same for every example, and
tests of their own cover them).
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import lxml.etree
import lxml.html
import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefings.load import dump_yaml, parse_bytes, parse_yaml
from briefings.mkdocs_adapter import site_info
from briefings.model import Briefing
from briefings.passthrough import with_passthrough
from briefings.pipeline import Project, engine_config, load_data, mkdocs_build, render
from briefings.reference import text_field_paths
from briefings.render import briefing_pages
from briefings.scalars import _check_short_text
from briefings.validation import validate
from conftest import HOSTILE_TEXT, SEED, SEED_FILE, SEED_SLUG, copy_project

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
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


Signature = list[tuple[str, tuple[str, ...]]]


_HIDDEN = {"script", "style", "template"}  # elements whose text a reader never sees (nor BeautifulSoup's get_text)


def _texts(element: lxml.html.HtmlElement) -> Iterator[str]:
    """The text a reader sees under element, in order: no comments, scripts or styles."""
    if element.text and element.tag not in _HIDDEN:
        yield element.text
    for child in element:
        if isinstance(child.tag, str):  # comments and processing instructions have a function as tag
            yield from _texts(child)
        if child.tail:
            yield child.tail


def shape_of(html_text: str) -> tuple[Signature, str]:
    """Element names and attribute names, in order, of a fragment or a page's article; and its text.

    One parse for both, with lxml's HTML parser itself (what BeautifulSoup's "lxml" builder feeds
    on; the same signatures and text on 3,000 random fragments, five times faster): parsing
    was a third of an example's time.
    """
    try:
        root = lxml.html.document_fromstring(html_text)
    except lxml.etree.ParserError:  # nothing but whitespace
        return [], ""
    article = next(root.iter("article"), None)
    top = article if article is not None else root
    signature = [
        (element.tag, tuple(sorted(element.attrib)))
        for element in top.iterdescendants(lxml.etree.Element)
        if element.tag not in ("html", "body")
    ]
    return signature, " ".join(" ".join(_texts(top)).split())


def shapes_of(pages: dict[str, str]) -> tuple[dict[str, Signature], str]:
    """Each page's signature, and the text of all of them."""
    shapes = {uri: shape_of(html) for uri, html in pages.items()}
    return {uri: signature for uri, (signature, _) in shapes.items()}, " ".join(text for _, text in shapes.values())


class Converter:
    """The seed briefing's pages as MkDocs would convert them: rendered by the generator, then Markdown.

    The same templates, escaping and Markdown extensions (read from mkdocs.yml) as a build,
    without the theme: milliseconds per page, so hypothesis can try many examples.
    """

    def __init__(self, project: Project) -> None:
        config = engine_config(project, project.root / "unused-site")
        self.project = project
        extensions = with_passthrough(config.markdown_extensions)  # as a build has them
        self.markdown = markdown.Markdown(extensions=extensions, extension_configs=config.mdx_configs)
        self.site = site_info(config)
        dataset, self.region = load_data(project)
        self.baseline = render(project, dataset, self.region, self.site)

    def pages(self, seed_yaml: str | None = None) -> dict[str, str]:
        """The seed's pages, converted to HTML; seed_yaml: the seed's data file text instead of the seed's own.

        The text is parsed and validated as load_dataset does with a data file, then takes the seed's
        place in the dataset validated once at the start.
        """
        dataset = self.baseline.dataset
        if seed_yaml is not None:
            doc, problems = parse_bytes(seed_yaml.encode("utf-8"), SEED_FILE)
            assert doc is not None and not problems, [p.format() for p in problems]
            seed, problems = validate(doc, Briefing)
            assert seed is not None and not problems, [p.format() for p in problems]
            assert seed.slug == SEED_SLUG
            briefings = tuple(seed if b.slug == SEED_SLUG else b for b in dataset.briefings)
            dataset = dataclasses.replace(dataset, briefings=briefings)
        # The seed's own pages, as render_pages makes them (the fast preview's first round): the
        # other pages (listings, entities) are not checked here, so they are not rendered.
        env = self.baseline.environment[1]
        pages = briefing_pages(dataset, {SEED_SLUG}, self.project.templates_dir, self.site, self.region, env)
        out = {}
        for page in pages:
            if page.src_uri.endswith(".md"):
                self.markdown.reset()
                out[page.src_uri] = self.markdown.convert(page.content)
        return out


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory) -> tuple[Converter, dict, list[tuple], dict]:
    root = copy_project(tmp_path_factory.mktemp("fuzz") / "project")
    doc, problems = parse_yaml(SEED, SEED_FILE)
    assert doc is not None and not problems
    paths = text_field_paths(Briefing, doc.data)
    converter = Converter(Project.at(root))
    baseline, _ = shapes_of(converter.pages())
    return converter, doc.data, paths, baseline


def test_the_seeds_pages_alone_are_its_pages_in_the_whole_site(fuzz_project):
    """What the examples check (briefing_pages, the fast preview's first round) is what a build renders."""
    converter = fuzz_project[0]
    baseline = converter.baseline
    whole = {p.src_uri: p.content for p in baseline.pages if p.briefing == SEED_SLUG and p.src_uri.endswith(".md")}
    env = baseline.environment[1]
    project = converter.project
    alone = briefing_pages(baseline.dataset, {SEED_SLUG}, project.templates_dir, converter.site, converter.region, env)
    assert {p.src_uri: p.content for p in alone if p.src_uri.endswith(".md")} == whole
    assert any(uri.endswith("/strike.md") for uri in whole)


def test_fuzz_finds_the_text_fields(fuzz_project):
    _, _, paths, baseline = fuzz_project
    assert ("title",) in paths and ("quotes", 0, "text") in paths
    assert ("diplomacy", "negotiations", 0, "parties", 1) in paths
    assert ("slug",) not in paths and ("sources", 0, "id") not in paths
    assert len(paths) > 100
    assert len(baseline) >= 5 and all(len(sig) > 10 for sig in baseline.values())


def fuzzed(seed: dict, paths: list[tuple], draw) -> tuple[dict, list[str]]:
    """A copy of the seed with a drawn text in every text field, and the texts drawn."""
    doc = copy.deepcopy(seed)
    drawn = []
    for path in paths:
        value = draw(TEXT)
        drawn.append(value)
        node = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    return doc, drawn


# Two halves of the examples, each its own xdist work unit (conftest.work_unit): they run on both workers at once.
HALVES = [pytest.param(half, id=f"half-{half}") for half in (1, 2)]


@pytest.mark.parametrize("half", HALVES)
@settings(
    max_examples=(EXAMPLES + 1) // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_random_text_never_becomes_markup(fuzz_project, half, data):
    converter, seed, paths, baseline = fuzz_project
    doc, drawn = fuzzed(seed, paths, data.draw)
    signatures, text = shapes_of(converter.pages(dump_yaml(doc)))
    assert signatures == baseline
    for value in drawn:
        assert " ".join(value.split()) in text


@pytest.mark.slow
def test_a_fuzzed_briefing_builds_like_the_seed_through_mkdocs(fuzz_project, tmp_path):
    """The fast layer above stands for the real build: one hostile example through MkDocs and the theme."""
    converter, seed, paths, baseline = fuzz_project
    root = converter.project.root

    def built(out: Path) -> dict[str, str]:
        mkdocs_build(converter.project, out)
        return {
            uri: (out / uri.removesuffix(".md").removesuffix("index") / "index.html").read_text() for uri in baseline
        }

    (root / SEED_FILE).write_text(dump_yaml(seed))
    before = built(tmp_path / "seed")
    examples = iter(HOSTILE_TEXT * (len(paths) // len(HOSTILE_TEXT) + 1))
    doc, drawn = fuzzed(seed, paths, lambda strategy: next(examples))
    (root / SEED_FILE).write_text(dump_yaml(doc))
    after, text = shapes_of(built(tmp_path / "fuzzed"))
    assert after == shapes_of(before)[0]
    for value in set(drawn):
        assert " ".join(value.split()) in text
