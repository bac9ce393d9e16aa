"""The analyst's edge: Admiralty grades, claim lineage and "what changed since the previous briefing".

A scratch archive of three briefings on one story (built here, not the bundled set): a death toll
reported as 3, revised to 4, then to 5; a dispute over the cause opened by the second briefing and
settled by the third, whose claim confirms one side (status claimed -> confirmed).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import feedparser
import pytest
import yaml

from briefings.changes import summary_lines, what_changed
from briefings.dataset import load_dataset
from briefings.lineage import lineage_index
from briefings.model import Claim
from briefings.vocabulary import Credibility, Relation, Reliability, combined
from conftest import briefings_latest_first, content, copy_project, main_in_process, page
from conftest import run_cli as run

A, B, C = "2030-01-01-fire-a", "2030-01-02-fire-b", "2030-01-03-fire-c"
SOURCES = [
    {"id": "wire", "name": "A wire agency", "kind": "media", "reliability": {"grade": "B", "reason": "wire agency"}},
    {"id": "blog", "name": "A local blog", "kind": "media", "reliability": {"grade": "D", "reason": "no record"}},
]


def _claim(ident: str, text: str, status: str = "reported", **extra: object) -> dict:
    return {"id": ident, "text": text, "sources": ["wire"], "status": status, "credibility": 3, **extra}


def _killed(value: int, earlier: str | None) -> dict:
    figure = {"id": "killed", "label": "Killed", "value": value, "unit": "people", "sources": ["wire", "blog"]}
    figure |= {"status": "reported", "credibility": 2}
    if earlier:
        figure["lineage"] = [{"relation": "revises", "briefing": earlier, "claim": "killed"}]
    return figure


def _briefing(slug: str, day: int, killed: dict, claims: list[dict]) -> dict:
    return {
        "slug": slug,
        "title": f"Fire at a depot, day {day}",
        "published": f"2030-01-0{day}",
        "summary": "A fire at a depot.",
        "takeaways": [{"text": "A depot burned.", "sources": ["wire"], "status": "reported", "credibility": 2}],
        "sources": SOURCES,
        "strike": {
            "summary": "A fire at a depot.",
            "when": {"date": "2030-01-01"},
            "casualties": [killed],
            "details": claims,
        },
    }


ARCHIVE = {
    A: _briefing(A, 1, _killed(3, None), [_claim("cause-gas", "A gas leak caused the fire.", "claimed")]),
    B: _briefing(B, 2, _killed(4, A), [_claim("cause-drone", "A drone caused the fire.", "claimed")]),
    C: _briefing(
        C,
        3,
        _killed(5, B),
        [
            _claim(
                "cause-confirmed",
                "A drone caused the fire.",
                "confirmed",
                sources=["wire", "blog"],
                confirmed_by=["blog"],
                lineage=[{"relation": "confirms", "briefing": B, "claim": "cause-drone"}],
            )
        ],
    ),
}
DISPUTES = {
    "disputes": [
        {
            "id": "fire-cause",
            "topic": "What caused the fire?",
            "sides": [{"briefing": A, "claim": "cause-gas"}, {"briefing": B, "claim": "cause-drone"}],
            "settled_by": {"briefing": C, "claim": "cause-confirmed"},
        }
    ]
}


def write_archive(project: Path, archive: dict[str, dict] = ARCHIVE, disputes: dict = DISPUTES) -> Path:
    """Replace the scratch project's briefings and disputes with the given ones (entities stay)."""
    folder = project / "data" / "briefings"
    shutil.rmtree(folder)
    folder.mkdir()
    for slug, doc in archive.items():
        (folder / f"{slug}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    (project / "data" / "disputes.yaml").write_text(yaml.safe_dump(disputes, sort_keys=False), encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_archive(copy_project(tmp_path_factory.mktemp("analyst") / "project"))


# --------------------------------------------------------------------------- pure functions


def test_combined_grade_takes_the_weakest_graded_source_and_the_items_credibility():
    """A claim is never shown as better sourced than every source it rests on; the letter names its source."""
    grade = combined([Reliability.C, None, Reliability.B], Credibility.probably_true, ["Blog", "Agency", "Wire"])
    assert grade.code == "C2"
    assert grade.meaning == "source (Blog) fairly reliable; information probably true"
    assert combined([Reliability.B, Reliability.F], Credibility.possibly_true).code == "F3"
    assert combined([None], Credibility.cannot_be_judged).code == "6"
    assert combined([], None).code == ""


@pytest.mark.parametrize("value", [True, "2", 2.0, 0, 7])
def test_credibility_is_a_whole_number_from_1_to_6(value):
    with pytest.raises(ValueError, match="credibility"):
        Claim.model_validate({"text": "x", "sources": ["s"], "status": "reported", "credibility": value})


def test_what_changed_in_each_briefing_of_the_archive(archive):
    dataset = load_dataset(archive / "data", archive)
    by_date = sorted(dataset.briefings, key=lambda b: b.published)
    index = lineage_index(by_date)
    changes = {b.slug: what_changed(b, by_date, list(dataset.disputes), index) for b in by_date}

    assert changes[A].previous is None and changes[A].updates == ()
    assert [(u.earlier.item.value, u.node.item.value) for u in changes[B].revised_figures] == [(3, 4)]
    assert [d.id for d in changes[B].disputes_opened] == ["fire-cause"] and changes[B].disputes_settled == ()
    c = changes[C]
    assert c.previous is not None and c.previous.slug == B
    assert [(u.earlier.item.value, u.node.item.value) for u in c.revised_figures] == [(4, 5)]
    assert [(u.relation, u.earlier.item.id) for u in c.other_updates] == [(Relation.confirms, "cause-drone")]
    assert [(u.earlier.item.status.value, u.node.item.status.value) for u in c.status_changes] == [
        ("claimed", "confirmed")
    ]
    assert [(d.id, n.item.id) for d, n in c.disputes_settled] == [("fire-cause", "cause-confirmed")]
    assert c.disputes_opened == () and c.new_items == 0
    lines = summary_lines(c, dataset.entities)
    assert lines[0] == "What changed since Fire at a depot, day 2 (2030-01-02):"
    assert "- Revised: Killed: 4 people (2030-01-02) -> 5 people" in lines
    assert "- Dispute settled: What caused the fire? (A drone caused the fire.)" in lines


def test_history_runs_oldest_first_and_updates_run_forward(archive):
    dataset = load_dataset(archive / "data", archive)
    index = lineage_index(dataset.briefings)
    history = index.history(C, "killed")
    assert [(s.node.briefing.slug, s.node.item.value, s.relation) for s in history] == [
        (A, 3, None),
        (B, 4, Relation.revises),
        (C, 5, Relation.revises),
    ]
    assert [(s.node.briefing.slug, s.relation) for s in index.updates(A, "killed")] == [
        (B, Relation.revises),
        (C, Relation.revises),
    ]
    assert index.history(A, "killed") == [] and index.updates(C, "killed") == []


# --------------------------------------------------------------------------- check


def test_check_reports_every_bad_lineage_and_settlement_with_file_line_and_field(tmp_path):
    bad = {slug: json.loads(json.dumps(doc)) for slug, doc in ARCHIVE.items()}
    bad[B]["strike"]["casualties"][0]["lineage"] = [
        {"relation": "revises", "briefing": "no-such-briefing", "claim": "killed"},
        {"relation": "revises", "briefing": C, "claim": "killed"},  # later, not earlier
        {"relation": "revises", "briefing": A, "claim": "no-such-claim"},
    ]
    disputes = json.loads(json.dumps(DISPUTES))
    disputes["disputes"][0]["settled_by"] = {"briefing": A, "claim": "cause-gas"}  # not after the sides
    project = write_archive(copy_project(tmp_path / "project"), bad, disputes)
    result = main_in_process(project, "check")
    assert result.returncode == 2, result.stdout + result.stderr
    out = result.stdout + result.stderr
    where = f"data/briefings/{B}.yaml"
    field = "strike.casualties[0].lineage"
    assert f"{where}:" in out
    for expected in (
        f"{field}[0].briefing: unknown briefing 'no-such-briefing'",
        f"{field}[1].briefing: briefing '{C}' was published on 2030-01-03, not before this one (2030-01-02)",
        f"{field}[2].claim: no claim or figure 'no-such-claim' in {A}",
        f"disputes[0].settled_by.briefing: briefing '{A}' was published on 2030-01-01, not after the latest side's",
    ):
        assert expected in out, out
    lines = [line for line in out.splitlines() if field in line]
    assert all(line.startswith(f"{where}:") and line.split(":")[1].isdigit() for line in lines), lines


def test_check_warns_about_ungraded_sources_once_the_desk_opts_in(tmp_path):
    docs = {slug: json.loads(json.dumps(doc)) for slug, doc in ARCHIVE.items()}
    del docs[A]["sources"][1]["reliability"]
    del docs[A]["strike"]["details"][0]["credibility"]
    project = write_archive(copy_project(tmp_path / "project"), docs)
    desk = project / "data" / "desk.yaml"
    desk.write_text("require_grades: false\n", encoding="utf-8")
    quiet = main_in_process(project, "check")
    assert "no reliability grade" not in quiet.stdout + quiet.stderr and "0 warnings" in quiet.stdout
    desk.write_text("require_grades: true\n", encoding="utf-8")
    result = main_in_process(project, "check")
    assert result.returncode == 0
    out = result.stdout + result.stderr
    assert f"data/briefings/{A}.yaml:" in out
    assert "sources[1].reliability: warning: source 'blog' has no reliability grade" in out
    assert "strike.details[0].credibility: warning: no credibility grade" in out


# --------------------------------------------------------------------------- pages of the scratch archive


@pytest.fixture(scope="module")
def archive_site(archive: Path) -> Path:
    out = archive.parent / "site"
    result = run(archive, "build", "--site-dir", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def text_of(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def changes_list(site: Path, slug: str) -> list[str]:
    overview = content(page(site, f"briefings/{slug}"))
    heading = overview.find(id="sec-changes")
    assert heading is not None
    return [text_of(li) for li in heading.find_next("ul", class_="bf-changes").find_all("li")]


@pytest.mark.slow
def test_what_changed_on_each_overview(archive_site):
    first = content(page(archive_site, f"briefings/{A}")).find(id="sec-changes")
    assert text_of(first.find_next("p")).startswith("The first briefing on this story")
    assert first.find_next("ul", class_="bf-changes") is None
    b = changes_list(archive_site, B)
    assert b[0] == "Revised: Killed : 3 people ( 1 January 2030 ) → 4 people"
    assert "Dispute opened: What caused the fire?" in b
    c = changes_list(archive_site, C)
    assert c[0] == "Revised: Killed : 4 people ( 2 January 2030 ) → 5 people"
    assert c[1].startswith("“A drone caused the fire.”") and " confirms the report of " in c[1]
    assert "Status changed from Claimed to Confirmed: “A drone caused the fire.”" in c
    assert "Dispute settled: What caused the fire? , by “A drone caused the fire.”" in c
    since = content(page(archive_site, f"briefings/{C}")).find(id="sec-changes").find_next("p")
    assert since.a["href"] == f"../{B}/" and "Fire at a depot, day 2" in text_of(since)


@pytest.mark.slow
def test_a_twice_revised_figure_shows_its_history_and_old_and_new_values(archive_site):
    latest = content(page(archive_site, f"briefings/{C}/strike")).find(id="killed")
    assert text_of(latest.select_one(".bf-revision__old")) == "Before, 2 January 2030 : 4 people"
    assert text_of(latest.select_one(".bf-revision__new")) == "Now: 5 people"
    history = latest.select_one(".bf-lineage")
    assert text_of(history) == (
        "History: first reported on 1 January 2030 as Killed: 3 people; revised on 2 January 2030 as Killed: "
        "4 people; revised on 3 January 2030 (this report)."
    )
    assert [a["href"] for a in history.find_all("a")] == [f"../../{A}/strike/#killed", f"../../{B}/strike/#killed"]
    first = content(page(archive_site, f"briefings/{A}/strike")).find(id="killed")
    later = first.select_one(".bf-lineage--later")
    assert [a["href"] for a in later.find_all("a")] == [f"../../{B}/strike/#killed", f"../../{C}/strike/#killed"]


@pytest.mark.slow
def test_a_settled_dispute_says_so_where_it_is_shown(archive_site):
    box = content(page(archive_site, f"briefings/{B}/strike")).find(id="dispute-fire-cause")
    settled = box.select_one(".bf-dispute__settled")
    assert text_of(settled) == "Settled on 3 January 2030 : “A drone caused the fire.”"
    assert settled.a["href"] == f"../../{C}/strike/#cause-confirmed"


@pytest.mark.slow
def test_export_and_feeds_carry_what_changed_grades_and_lineage(archive_site):
    export = json.loads((archive_site / "api" / "briefings" / f"{C}.json").read_text(encoding="utf-8"))
    changed = export["what_changed"]
    assert changed["previous"] == B
    revised = next(u for u in changed["updates"] if u["relation"] == "revises")
    assert (revised["old_value"], revised["new_value"], revised["earlier"]) == (
        4,
        5,
        {"briefing": B, "claim": "killed"},
    )
    assert changed["disputes_settled"] == [{"dispute": "fire-cause", "by": {"briefing": C, "claim": "cause-confirmed"}}]
    assert export["sources"][0]["reliability"] == {"grade": "B", "reason": "wire agency"}
    assert export["strike"]["casualties"][0]["lineage"] == [{"relation": "revises", "briefing": B, "claim": "killed"}]
    assert export["strike"]["casualties"][0]["credibility"] == 2
    atom = feedparser.parse((archive_site / "feed.xml").read_text(encoding="utf-8"))
    atom_text = next(e for e in atom.entries if e.link.endswith(f"/{C}/")).content[0].value
    items = json.loads((archive_site / "feed.json").read_text(encoding="utf-8"))["items"]
    json_text = next(i for i in items if i["url"].endswith(f"/{C}/"))["content_text"]
    for text in (atom_text, json_text):
        assert "What changed since Fire at a depot, day 2 (2030-01-02):" in text
        assert "- Revised: Killed: 4 people (2030-01-02) -> 5 people" in text


# --------------------------------------------------------------------------- the bundled briefings


GRADED = ".bf-claim, .bf-figure, .bf-quote, .bf-statement, .bf-keyfigures dd, .bf-event"


@pytest.mark.slow
def test_every_source_and_item_of_the_bundled_briefings_shows_its_grade_and_the_legend(built_site):
    for b in briefings_latest_first():
        sources = content(page(built_site, f"briefings/{b.slug}/sources"))
        boxes = sources.select("section.bf-source")
        assert len(boxes) == len(b.sources)
        for box in boxes:
            facts = {text_of(dt): text_of(dt.find_next("dd")) for dt in box.select("dt")}
            assert facts.get("Reliability", "")[:1] in "ABCDEF" and ": " in facts["Reliability"], box.get("id")
        for rel in ["", *(f"{s.value}" for s in b.sections)]:
            body = content(page(built_site, f"briefings/{b.slug}/{rel}"))
            items = body.select(GRADED)
            assert items, rel
            for item in items:
                grade = item.select_one(".bf-grade .bf-grade__code")
                assert grade is not None, (b.slug, rel, text_of(item)[:80])
                assert grade.get_text()[-1] in "123456"
            legend = body.select_one(".bf-grade-legend")
            assert legend is not None and "F reliability cannot be judged" in text_of(legend)
            assert legend.a["href"].endswith("statuses/#grading")


@pytest.mark.slow
def test_the_method_page_defines_every_grade(built_site):
    statuses = content(page(built_site, "statuses"))
    rows = {text_of(tr.td): text_of(tr.find_all("td")[1]) for tr in statuses.select("#reliability ~ table tr") if tr.td}
    for grade, term in (
        ("A", "Completely reliable"),
        ("D", "Not usually reliable"),
        ("F", "Reliability cannot be judged"),
    ):
        assert rows[grade] == term
    assert rows["1"] == "Confirmed by other sources" and rows["6"] == "Truth cannot be judged"


@pytest.mark.slow
def test_the_2025_briefing_shows_its_link_to_the_2024_claim(built_site):
    """The Izhevsk article recalls the November 2024 strike (restated) and says no one was hurt (contradicted)."""
    later, earlier = "2025-07-01-izhevsk-kupol-strike", "2024-11-17-kupol-first-strike"
    strike = content(page(built_site, f"briefings/{later}/strike"))
    history = strike.find(id="second-strike").select_one(".bf-lineage")
    assert text_of(history).startswith("History: first reported on 17 November 2024 as “A drone struck the Kupol")
    assert history.a["href"] == f"../../{earlier}/strike/#kupol-hit"
    contradicted = strike.find(id="previous-no-casualties").select_one(".bf-lineage--contradicts")
    # A contradiction is not the claim's history: it names what it contradicts, and who said that
    # (the earlier figure is shown without its badge, so its speaker must be there).
    assert " ".join(contradicted.get_text().split()) == (
        "Contradicts the report of 17 November 2024: Injured: 1 person "
        "(according to Alexander Brechalov, head of the Udmurt Republic)"
    )
    assert contradicted.a["href"] == f"../../{earlier}/strike/#injured"
    assert strike.find(id="previous-no-casualties").select_one(".bf-lineage:not(.bf-lineage--contradicts)") is None
    injured = content(page(built_site, f"briefings/{earlier}/strike")).find(id="injured")
    assert text_of(injured.select_one(".bf-lineage--contradicted")).startswith("Contradicted since: on 1 July 2025 by")
    back = (
        content(page(built_site, f"briefings/{earlier}/strike")).find(id="kupol-hit").select_one(".bf-lineage--later")
    )
    assert back.a["href"] == f"../../{later}/strike/#second-strike"
    changes = changes_list(built_site, later)
    assert changes[0].startswith("“This is the second drone strike") and " restates the report of " in changes[0]
    # The earlier figure it contradicts, shown without its badge, still says who gave it.
    assert any(
        " contradicts the report of " in line
        and line.replace(" ,", ",").endswith(
            "Injured: 1 person (according to Alexander Brechalov, head of the Udmurt Republic)"
        )
        for line in changes
    ), changes
    assert "Dispute opened: Was anyone hurt in the November 2024 strike on the Kupol plant?" in changes


# --------------------------------------------------------------------------- lineage shapes, rendered (no MkDocs)


def _rendered(project: Path, archive: dict[str, dict], uri: str) -> str:
    """One page's Markdown as the generator renders it from a scratch archive."""
    from briefings.feeds import SiteInfo
    from briefings.render import render_pages

    write_archive(project, archive, {"disputes": []})
    dataset = load_dataset(project / "data", project)
    pages = render_pages(dataset, project / "templates", SiteInfo("https://example.org/", "Desk", "Desk"))
    return next(p.content for p in pages if p.src_uri == uri)


def test_a_claim_naming_two_unrelated_earlier_claims_renders_both_as_first_reports(project):
    """Two roots in a history (allowed by the data format) once crashed the page: no relation for the second."""
    two_roots = [
        {"relation": "restates", "briefing": A, "claim": "cause-gas"},
        {"relation": "confirms", "briefing": B, "claim": "cause-drone"},
    ]
    archive = {
        A: ARCHIVE[A],
        B: _briefing(B, 2, _killed(4, None), [_claim("cause-drone", "A drone caused the fire.", "claimed")]),
        C: _briefing(C, 3, _killed(5, None), [_claim("both", "A gas leak and a drone.", lineage=two_roots)]),
    }
    text = _rendered(project, archive, f"briefings/{C}/strike.md")
    assert "History: first reported on" in text and "also reported on" in text and "(this report)." in text


def test_a_long_history_shows_its_first_report_and_latest_steps_with_a_count_between(project):
    """A page's size must not grow with the archive: a claim restated daily lists a bounded history."""
    days = 9
    slugs = [f"2030-01-0{d}-fire" for d in range(1, days + 1)]
    archive = {}
    for d, slug in enumerate(slugs, 1):
        lineage = [{"relation": "restates", "briefing": slugs[d - 2], "claim": "cause"}] if d > 1 else []
        claims = [
            _claim("cause", f"A gas leak caused the fire (day {d}).", **({"lineage": lineage} if lineage else {}))
        ]
        archive[slug] = _briefing(slug, d, _killed(3, None), claims)
    latest = _rendered(project, archive, f"briefings/{slugs[-1]}/strike.md")
    history = next(line for line in latest.splitlines() if "History:" in line)
    assert history.count(" on ") == 6 and "(day 1)" in history and "(day 2)" not in history
    assert "3 more steps" in history
    first = _rendered(project, archive, f"briefings/{slugs[0]}/strike.md")
    since = next(line for line in first.splitlines() if "Since then:" in line)
    assert "3 earlier updates" in since and since.count("restated on") == 5


@pytest.mark.parametrize("value", ["yes", '"true"', "1", "on"])
def test_a_desk_setting_is_true_or_false_never_a_word_or_number(project, capsys, value):
    """YAML 1.2 keeps `yes` a string; the model must not turn it (or 1, or "true") back into true."""
    from briefings.cli import main

    (project / "data" / "desk.yaml").write_text(f"require_grades: {value}\n", encoding="utf-8")
    assert main(["--project", str(project), "check"]) == 2
    err = capsys.readouterr().err
    assert "data/desk.yaml:1:17: require_grades: " in err and "Traceback" not in err


def test_a_summary_graded_truer_than_what_it_restates_is_a_warning(project, capsys):
    """A takeaway stating a figure, or a timeline event telling an item, is never more credible than it."""
    from briefings.cli import main

    archive = {A: ARCHIVE[A]}
    archive[A] = {**ARCHIVE[A], "takeaways": [{**ARCHIVE[A]["takeaways"][0], "figures": ["killed"], "credibility": 1}]}
    write_archive(project, archive, {"disputes": []})
    assert main(["--project", str(project), "check"]) == 0
    err = capsys.readouterr().err
    assert "takeaways[0].credibility: warning: credibility 1 is better than the 2 of 'killed', which it restates" in err
