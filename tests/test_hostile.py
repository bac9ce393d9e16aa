"""Hostile input: one row per case, each with the error an editor reads or the literal text a reader sees."""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, NavigableString

from briefings.cli import main
from briefings.dataset import load_dataset
from briefings.errors import DataError
from briefings.load import MAX_BYTES
from briefings.publish import publish
from conftest import HOSTILE_TEXT, SEED, SEED_FILE, SEED_SLUG, SEED_TITLE, content, load_in_fresh_process, page

SEED_TEXT = SEED.read_text(encoding="utf-8")

BILLION_LAUGHS = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def seed_with(old: str, new: str) -> str:
    assert old in SEED_TEXT, old
    return SEED_TEXT.replace(old, new, 1)


# (case id, file content, expected fragment of the one error line for this file)
BAD_FILES: list[tuple[str, str | bytes, str]] = [
    ("yaml-syntax", "slug: x\ntitle: [unclosed\n", ":3:1: (file): YAML syntax error: while parsing a flow sequence"),
    ("empty-file", "", ":1: (file): file is empty (expected a YAML mapping of fields)"),
    ("only-comments", "# nothing here\n", ":1: (file): file is empty"),
    ("not-utf8", b"slug: x\ntitle: caf\xe9\n", ":2:11: (file): byte 0xe9 is not valid UTF-8 (expected UTF-8 text)"),
    ("top-level-list", "- a\n- b\n", ":1:1: (file): top level is a list (expected a YAML mapping of fields)"),
    ("duplicate-key", seed_with("title: Drone", "title: Other\ntitle: Drone"), ":8:1: title: duplicate key 'title'"),
    ("unknown-field", seed_with("\nquotes:\n", "\nqoutes:\n"), ": qoutes: unknown field 'qoutes'"),
    (
        "negative-casualties",
        seed_with("value: 3\n", "value: -3\n"),
        "value: Input should be greater than or equal to 0",
    ),
    ("impossible-date", seed_with("published: 2025-07-01", "published: 2025-02-30"), "day value is outside expected"),
    ("date-not-a-date", seed_with("published: 2025-07-01", "published: last Tuesday"), "published: Input should be"),
    (
        "url-without-scheme",
        seed_with("    kind: media\n", "    kind: media\n    url: www.x.org\n"),
        "url: URL scheme (none) is not allowed",
    ),
    (
        "javascript-url",
        seed_with("    kind: media\n", "    kind: media\n    url: javascript:alert(1)\n"),
        "url: URL scheme javascript: is not allowed",
    ),
    (
        "data-url",
        seed_with("    kind: media\n", "    kind: media\n    url: data:text/html,x\n"),
        "url: URL scheme data: is not allowed",
    ),
    ("unknown-source", seed_with("sources: [article]", "sources: [artcle]"), "unknown source id 'artcle'"),
    (
        "unknown-quote-speaker",
        seed_with(
            "speaker: {person: keith-kellogg, role: U.S. envoy for Ukraine and Russia}\n    text: continue",
            "speaker: {person: keith-kelog}\n    text: continue",
        ),
        "quotes[4].speaker.person: unknown person id 'keith-kelog'",
    ),
    (
        "speaker-without-anyone",
        seed_with("speaker: {name: An unnamed Ukrainian official}", "speaker: {role: official}"),
        "quotes[0].speaker: a speaker needs a person, an organisation or a name",
    ),
    ("unknown-person", seed_with("person: keith-kellogg", "person: keith-kelog"), "unknown person id 'keith-kelog'"),
    (
        "slug-traversal",
        seed_with(f"slug: {SEED_SLUG}", "slug: ../../etc/evil"),
        "slug: '../../etc/evil' is not a valid id",
    ),
    ("slug-absolute", seed_with(f"slug: {SEED_SLUG}", "slug: /tmp/evil"), "slug: '/tmp/evil' is not a valid id"),
    ("slug-fullwidth", seed_with(f"slug: {SEED_SLUG}", "slug: ｅvil"), "slug: 'ｅvil' is not a valid id"),
    ("id-dot-dot", seed_with("id: killed", "id: .."), "id: '..' is not a valid id"),
    ("bidi-override", seed_with("label: Killed", 'label: "Kil\u202eled"'), "bidirectional control character U+202E"),
    (
        "python-tag",
        seed_with("title: Drone", "title: !!python/object/apply:os.system ['true']\nx: Drone"),
        "title: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    ),
    ("custom-tag", seed_with("title: Drone", "title: !include secrets.yaml\nx: Drone"), "YAML tag '!include' is not"),
    ("alias-bomb", BILLION_LAUGHS, "b[0]: YAML aliases (*name) are not allowed"),
    ("yaml11-sexagesimal", seed_with("value: 537\n", "value: 12:30:00\n"), "value: Input should be a valid number"),
    (
        "yaml11-version-float",
        seed_with(f"title: {SEED_TITLE}", "title: 1.10"),
        "title: Input should be a valid string (got 1.1)",
    ),
    ("merge-key", seed_with("slug:", "<<: {a: 1}\nslug:"), "<<: unknown field '<<'"),
    ("infinite-number", seed_with("value: 3\n", "value: .inf\n"), "value: .inf is not a finite number"),
]


@pytest.mark.parametrize(("case", "text", "expected"), BAD_FILES, ids=[row[0] for row in BAD_FILES])
def test_bad_file_reports_file_line_field_and_expectation(project, case, text, expected, capsys):
    path = project / SEED_FILE
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    for command in (["check"], ["build"]):
        assert main(["--project", str(project), *command]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err
        lines = [line for line in err.splitlines() if line.startswith(SEED_FILE)]
        assert lines, err
        assert any(expected in line for line in lines), err
        assert re.match(rf"{re.escape(SEED_FILE)}:\d+", lines[0]), lines[0]
    assert not (project / "site").exists()


def test_yaml_1_1_booleans_stay_text(project):
    # YAML 1.1 would read NO (Norway, or a plain answer) as false; the core schema keeps the text.
    entities = project / "data" / "entities.yaml"
    entities.write_text(entities.read_text().replace("name: Ukraine\n", "name: NO\n", 1))
    dataset = load_dataset(project / "data", project)
    assert next(p.name for p in dataset.entities.places if p.id == "ukraine") == "NO"


def test_problems_of_all_files_reported_in_one_run(project, capsys):
    (project / SEED_FILE).write_text(seed_with("value: 3\n", "value: -3\n"))
    (project / "data" / "briefings" / "other.yaml").write_text("title: [\n")
    entities = project / "data" / "entities.yaml"
    entities.write_text(entities.read_text().replace("within: udmurtia", "within: udmurtiya", 1))
    assert main(["--project", str(project), "check"]) == 2
    err = capsys.readouterr().err
    assert "data/briefings/other.yaml:2:1: (file): YAML syntax error" in err
    assert f"{SEED_FILE}:" in err and "greater than or equal to 0" in err
    assert "data/entities.yaml:" in err and "unknown place id 'udmurtiya'" in err
    assert err.splitlines()[-1] == "3 problems in 3 data files"


def test_very_large_file_fails_fast_without_reading_it(project):
    path = project / SEED_FILE
    with path.open("w") as f:
        f.write("title: x\n")
        f.truncate(50 * MAX_BYTES)  # sparse: 100 MiB on paper
    tracemalloc.start()
    with pytest.raises(DataError) as info:
        load_dataset(project / "data", project)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert f"(file): file is {50 * MAX_BYTES} bytes (expected at most {MAX_BYTES} bytes)" in info.value.format()
    assert peak < 10 * 1024 * 1024


def test_many_small_values_are_bounded(project):
    # Lists are bounded to MAX_ITEMS each, so many lists of many values.
    row = "[" + ",".join(["0"] * 1_000) + "]"
    (project / SEED_FILE).write_text("tags: [" + ",".join([row] * 250) + "]\n")
    problem, growth = load_in_fresh_process(project)
    assert problem is not None and "file has more than 200000 values" in problem
    assert growth < 400 * 1024 * 1024


def test_alias_bomb_uses_bounded_memory(project):
    (project / SEED_FILE).write_text(BILLION_LAUGHS)
    tracemalloc.start()
    with pytest.raises(DataError):
        load_dataset(project / "data", project)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 1024 * 1024


# --------------------------------------------------------------------------- untrusted text stays text


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory, warm_cache: Path) -> Path:
    """One build with every hostile string placed in a takeaway, a figure note and a quote."""
    from conftest import copy_project

    project = copy_project(tmp_path_factory.mktemp("hostile") / "project", warm_cache)
    takeaways = "".join(
        f"  - id: hostile-{i}\n    text: {yaml_quote(s)}\n    sources: [article]\n    status: reported\n"
        for i, s in enumerate(HOSTILE_TEXT)
    )
    text = seed_with(f"title: {SEED_TITLE}", "title: " + yaml_quote("<b>Bold</b> [x](javascript:alert(1)) {{ 7*7 }}"))
    text = text.replace("takeaways:\n", "takeaways:\n" + takeaways, 1)
    text = text.replace(
        "context: On the drone strike on the Kupol plant in Izhevsk.",
        "context: " + yaml_quote('<a href="javascript:alert(1)">x</a> | cell | {: .cls }'),
    )
    (project / SEED_FILE).write_text(text, encoding="utf-8")
    site = project / "site"
    assert main(["--project", str(project)]) == 0
    return site


def yaml_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def leading_text(node) -> str:
    first = node.contents[0]
    assert isinstance(first, NavigableString), f"text became markup: {node}"
    return str(first)


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(HOSTILE_TEXT)), ids=[s[:24] for s in HOSTILE_TEXT])
def test_hostile_text_appears_literally(hostile_site, index):
    art = content(page(hostile_site, f"briefings/{SEED_SLUG}"))
    claim = art.find(id=f"hostile-{index}")
    p = claim.find("p")
    # HTML shows a whitespace run as one space; anything else must be exactly as written.
    assert leading_text(p).strip() == HOSTILE_TEXT[index].strip()


@pytest.mark.slow
def test_no_markup_from_data_anywhere(hostile_site):
    for path in (hostile_site / "briefings").rglob("*.html"):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
        art = soup.select_one("article")
        if art is None:
            continue
        assert not art.find_all(["script", "img", "iframe", "object", "embed", "base", "b", "em", "del", "code"])
        # Templates write h4 only with their own class; Markdown from data would make a bare one.
        assert not [h for h in art.find_all("h4") if "bf-subhead" not in h.get("class", [])]
        for tag in art.find_all(True):
            assert not [a for a in tag.attrs if a.startswith("on")], tag
            for attr in ("href", "src"):
                assert not str(tag.get(attr, "")).lower().startswith(("javascript:", "data:")), tag


@pytest.mark.slow
def test_hostile_title_and_context_stay_text(hostile_site):
    soup = page(hostile_site, f"briefings/{SEED_SLUG}/quotes")
    assert soup.title.string.startswith("Quotes · <b>Bold</b> [x](javascript:alert(1)) {{ 7*7 }}")
    art = content(soup)
    context = art.find(id="quote-special-operation").select_one(".bf-quote__context")
    assert context.get_text() == '<a href="javascript:alert(1)">x</a> | cell | {: .cls }'
    assert not context.find_all(True)
    assert not art.find_all("table")


@pytest.mark.slow
def test_url_fields_link_only_http(project):
    text = seed_with(
        "    kind: media\n",
        '    kind: media\n    url: "https://example.org/a(b)c\\"onmouseover=alert(1)"\n',
    )
    (project / SEED_FILE).write_text(text)
    assert main(["--project", str(project)]) == 0
    art = content(page(project / "site", f"briefings/{SEED_SLUG}/sources"))
    link = art.find(id="source-article").select_one("a.bf-source__url")
    assert link["href"] == "https://example.org/a%28b%29c%22onmouseover=alert%281%29"
    assert list(link.attrs) == ["class", "href"]
    assert link.get_text() == 'https://example.org/a(b)c"onmouseover=alert(1)'


def test_interrupted_build_leaves_site_byte_identical(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / ".briefings-site").write_text("x")
    (site / "index.html").write_text("previous")

    def interrupted(temp: Path) -> None:
        temp.mkdir()
        (temp / "index.html").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        publish(site, [tmp_path / "project"], interrupted)
    assert (site / "index.html").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
