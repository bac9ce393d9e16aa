"""Fast unit tests of pure functions: escaping (through Python-Markdown), dates, numbers, relations, change detection.

Milliseconds per example, so property tests can try hundreds of inputs; no site is built.
"""

from __future__ import annotations

import datetime as dt
import gc
import html
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from functools import cache

import markdown
import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from briefings import render as render_module
from briefings.dataset import Dataset, load_dataset
from briefings.display import format_date, format_when, miles, number
from briefings.environment import for_theme, make_environment, md_escape
from briefings.forked import Forked
from briefings.mkdocs_adapter import site_info
from briefings.model import When
from briefings.passthrough import with_passthrough
from briefings.pipeline import Project, changed_briefings, engine_config
from briefings.plan import PageSpec, page_plan
from briefings.publish import Removal
from briefings.relations import relate
from briefings.render import Page as RenderedPage
from briefings.render import fill_page, fill_shared
from briefings.vocabulary import Qualifier
from conftest import ROOT, wait_for

# Text as editors and attackers write it: every Markdown, HTML and template character, breaks, any script.
MARKUP = list("<>&\"'`*_{}[]()#+-.!|~^=:\\/$@%;\n\t 01aZ\u00a0\u2028é—")
TEXT = st.one_of(
    st.text(alphabet=st.sampled_from(MARKUP), min_size=1, max_size=40),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")), min_size=1, max_size=40),
).filter(lambda t: t.strip() != "")


@cache
def site_markdown() -> markdown.Markdown:
    """Python-Markdown with the extensions and settings mkdocs.yml gives the site."""
    config = engine_config(Project.at(ROOT), ROOT / "unused-site")
    extensions = with_passthrough(config.markdown_extensions)  # as a build has them
    return markdown.Markdown(extensions=extensions, extension_configs=config.mdx_configs)


def converted(source: str) -> BeautifulSoup:
    md = site_markdown()
    md.reset()
    return BeautifulSoup(md.convert(source), "html.parser")


def words(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_escaped_text_is_one_paragraph_of_exactly_that_text(text):
    soup = converted(md_escape(text))
    elements = soup.find_all(True)
    assert [e.name for e in elements] == ["p"] and not elements[0].attrs
    assert words(elements[0].get_text()) == words(text)


@settings(max_examples=300, deadline=None)
@given(before=TEXT, text=TEXT)
def test_escaped_text_stays_text_inside_markup_the_templates_write(before, text):
    """In a list item, a heading with an attribute list and a table cell: no element or attribute is added."""
    source = (
        f"- {md_escape(before)} {md_escape(text)}\n\n"
        f"## {md_escape(text)} {{ #sec-x }}\n\n"
        f"| a | b |\n|---|---|\n| {md_escape(text)} | x |\n"
    )
    soup = converted(source)
    assert [(e.name, sorted(e.attrs)) for e in soup.find_all(True)] == [
        ("ul", []),
        ("li", []),
        ("h2", ["id"]),
        ("a", ["class", "href", "title"]),
        ("table", []),
        ("thead", []),
        ("tr", []),
        ("th", []),
        ("th", []),
        ("tbody", []),
        ("tr", []),
        ("td", []),
        ("td", []),
    ]
    assert soup.h2["id"] == "sec-x"
    assert words(soup.li.get_text()) == words(f"{before} {text}")
    assert words(soup.td.get_text()) == words(text)


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_text_for_the_theme_is_escaped_once_and_reads_back_as_written(text):
    escaped = for_theme(text)
    assert "<" not in escaped and ">" not in escaped and '"' not in escaped and "'" not in escaped
    assert for_theme(escaped) is escaped  # already escaped: never twice
    assert words(html.unescape(str(escaped))) == words(text)


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        ("2025-06-30", "30 June 2025"),
        ("2025-06", "June 2025"),
        ("2025", "2025"),
        ("2025-06-28/2025-06-29", "28–29 June 2025"),
        ("2025-06-30/2025-07-01", "30 June 2025 – 1 July 2025"),
        ("2024-11/2025-02", "November 2024 – February 2025"),
    ],
)
def test_dates_read_as_a_reader_writes_them(when, shown):
    assert format_when(When(date=when)) == shown


def test_a_date_object_reads_like_its_iso_text():
    assert format_date(dt.date(2025, 7, 1)) == format_date("2025-07-01") == "1 July 2025"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1000, "1,000"),
        (2.5, "2.5"),
        (1234567, "1,234,567"),
        (0, "0"),
        (1234567.25, "1,234,567.25"),  # format g gave 1.23457e+06
        (1300.125, "1,300.125"),  # format g gave 1,300.12
        (0.0000001, "0.0000001"),
        (-3.5, "-3.5"),
    ],
)
def test_numbers_are_grouped_and_keep_their_decimals(value, shown):
    assert number(value) == shown


@cache
def bundled() -> Dataset:
    return load_dataset(ROOT / "data", ROOT)


@pytest.mark.parametrize(
    ("km", "qualifier", "as_reported", "shown"),
    [
        (1500, "about", None, "about 930 mi"),  # two significant digits, as the km figure has
        (4000, "more-than", None, "over 2,000 mi"),  # one: 2,485 would claim more precision
        (1234, "exact", None, "767 mi"),
        (1300, "about", 807, "807 mi"),  # as the source printed it
        (2.5, "exact", None, "1.6 mi"),
    ],
)
def test_miles_are_never_more_precise_than_the_kilometres(km, qualifier, as_reported, shown):
    template = next(f for b in bundled().briefings if b.strike for f in b.strike.distances)
    figure = template.model_copy(update={"value": km, "qualifier": Qualifier(qualifier), "mi_as_reported": as_reported})
    assert miles(figure) == shown


def test_unchanged_data_changes_no_briefing():
    data = bundled()
    assert changed_briefings(data, data) == set()


def test_an_edited_added_or_removed_briefing_is_the_only_change():
    data = bundled()
    first, *rest = data.briefings
    edited = replace(data, briefings=(first.model_copy(update={"title": first.title + " (updated)"}), *rest))
    assert changed_briefings(data, edited) == {first.slug}
    removed = replace(data, briefings=tuple(rest))
    assert changed_briefings(data, removed) == {first.slug}
    assert changed_briefings(removed, data) == {first.slug}


def test_an_entity_or_dispute_edit_may_change_every_page():
    data = bundled()
    people = data.entities.people
    renamed = people[0].model_copy(update={"name": people[0].name + " Jr."})
    edited = replace(data, entities=data.entities.model_copy(update={"people": [renamed, *people[1:]]}))
    assert changed_briefings(data, edited) is None


def test_every_mention_points_at_an_item_of_its_briefing_on_the_page_it_names():
    relations = relate(bundled())
    pages = {(b.slug, s.value.replace("_", "-")) for b in bundled().briefings for s in b.sections}
    assert any(page.mentions for page in relations.entities.values())
    for page in relations.entities.values():
        for mention in page.mentions:
            assert mention in [m for m in page.mentions if m.briefing in page.briefings]
            section = mention.page.removesuffix(".md")
            assert mention.page == "index.md" or (mention.briefing.slug, section) in pages


def test_briefings_by_date_and_their_neighbours():
    relations = relate(bundled())
    dates = [(b.published, b.slug) for b in relations.by_date]
    assert dates == sorted(dates)
    first, last = relations.by_date[0], relations.by_date[-1]
    assert relations.neighbours(first.slug)[0] is None and relations.neighbours(last.slug)[1] is None
    if len(relations.by_date) > 1:
        assert relations.neighbours(first.slug)[1] is relations.by_date[1]


def test_site_settings_come_from_mkdocs_yml():
    config = engine_config(Project.at(ROOT), ROOT / "unused-site")
    site = site_info(config)
    assert site.url.endswith("/") and site.url.startswith("https://")
    assert site.name == config.site_name


def test_the_readme_lists_exactly_the_characters_the_escaping_turns_into_references():
    """Documentation matches the code: the README's escaping list is environment._SPECIAL."""
    import re

    from briefings.environment import _SPECIAL

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"an entity \(``(.+?)``", readme, re.S)
    assert listed is not None, "README: the escaping list moved"
    assert set(listed.group(1).split()) == _SPECIAL
    for ch in _SPECIAL:
        assert md_escape(ch) == f"&#{ord(ch)};"


# --------------------------------------------------------------------------- filling pages on several cores


def bundled_specs() -> tuple[list[PageSpec], Callable[[PageSpec], RenderedPage]]:
    """The bundled site's page plan, and how render_pages fills one page of it."""
    dataset = bundled()
    site = site_info(engine_config(Project.at(ROOT), ROOT / "unused-site"))
    rel = relate(dataset)
    env = make_environment(ROOT / "templates")
    return page_plan(dataset, rel, site), lambda spec: fill_page(spec, env.get_template, rel, ROOT / "templates")


def test_pages_filled_on_two_cores_are_the_pages_one_core_fills():
    specs, fill = bundled_specs()
    assert len(specs) >= 2 * render_module.MIN_SHARE  # enough for a helper
    one, two = fill_shared(specs, 1, fill), fill_shared(specs, 2, fill)
    assert one == two  # content, title, briefing, metadata (Markup and tuples kept), dependencies
    assert [type(v) for p in two if p.meta for v in p.meta.values()] == [
        type(v) for p in one if p.meta for v in p.meta.values()
    ]


def test_filling_on_two_cores_fails_as_one_core_does_with_the_first_error():
    specs, fill = bundled_specs()
    broken = {specs[5].src_uri, specs[8].src_uri}  # one in this process's share and one in the helper's

    def failing(spec: PageSpec) -> RenderedPage:
        if spec.src_uri in broken:
            raise ValueError(f"cannot fill {spec.src_uri}")
        return fill(spec)

    with pytest.raises(ValueError) as serial:
        fill_shared(specs, 1, failing)
    with pytest.raises(ValueError) as shared:
        fill_shared(specs, 2, failing)
    assert str(shared.value) == str(serial.value) == f"cannot fill {specs[5].src_uri}"


def test_pages_are_filled_on_one_core_when_a_fork_is_refused(monkeypatch):
    specs, fill = bundled_specs()
    one = fill_shared(specs, 1, fill)

    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    assert fill_shared(specs, 2, fill) == one


def test_a_refused_fork_leaves_nothing_open_or_frozen(monkeypatch):
    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    before = sorted(os.listdir("/proc/self/fd"))
    for _ in range(3):
        with pytest.raises(BlockingIOError):
            Forked(lambda: [1])
    assert sorted(os.listdir("/proc/self/fd")) == before
    assert gc.get_freeze_count() == 0


def test_a_malformed_log_call_in_a_helper_is_reported_and_the_work_goes_on(capfd):
    def work() -> list[int]:
        logging.getLogger("briefings.test").warning("two values %s %s", "one")  # a bug in some plugin's call
        logging.getLogger("briefings.test").warning("after it")
        return [7]

    helper = Forked(work)
    assert helper.result() == 7
    assert "--- Logging error ---" in capfd.readouterr().err


def test_a_helper_ends_when_its_parent_is_killed(tmp_path):
    """A helper never outlives its parent (killed, or ended by SIGTERM without cleanup): it would go on
    writing into a build folder the next build removes."""
    pid_file = tmp_path / "helper.pid"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys, time; from briefings.forked import Forked\n"
            "def work():\n"
            f"    open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
            "    time.sleep(600)\n"
            "    return []\n"
            "helper = Forked(work)\n"
            "helper.result()\n",
        ],
        cwd=ROOT,
    )
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text() != "", 60, "the helper to start")
        helper = int(pid_file.read_text())
        parent.kill()
        parent.wait(timeout=60)
        wait_for(lambda: not _running(helper), 60, "the helper to end with its parent")
    finally:
        parent.kill()


def _running(pid: int) -> bool:
    """Whether pid is a process that has not ended (a zombie, ended and not yet reaped, counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_removing_the_previous_site_finishes_even_when_interrupted(tmp_path, monkeypatch):
    """Ctrl-C while the previous site is removed: the removal still finishes (no half-removed folder is
    left behind by the process ending), then the interrupt goes on."""
    old = tmp_path / ".site.previous-1"
    for i in range(200):
        (old / f"page-{i}").mkdir(parents=True)
        (old / f"page-{i}" / "index.html").write_text("x")
    real_wait = threading.Event.wait
    interrupts = iter([True])

    def interrupted_once(self: threading.Event, timeout: float | None = None) -> bool:
        if next(interrupts, False):
            raise KeyboardInterrupt
        return real_wait(self, timeout)

    removal = Removal()
    removal.start(old)
    monkeypatch.setattr(threading.Event, "wait", interrupted_once)  # after start(), which waits on one too
    with pytest.raises(KeyboardInterrupt):
        removal.wait()
    assert not old.exists()
