"""Attribution as a reader and an editor meet it: the desk's status apart from the source's verb,
speakers apart from sources, only what the source gives, each thing said once.

Page assertions read the built HTML; data assertions run `build.py check` on a scratch copy and
read its file:line:col lines and exit code. Expectations come from the data, never from how many
briefings are bundled.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from briefings.integrity import figures
from briefings.model import Briefing
from briefings.vocabulary import STATEMENT_STATUS_RULE, STATUS_DECISION_ORDER, Status
from briefings.wording import headline_warnings, numbers_in
from conftest import (
    SEED,
    SEED_FILE,
    SEED_SLUG,
    SEED_TITLE,
    briefings_latest_first,
    content,
    copy_project,
    main_in_process,
    page,
    run_cli,
    seed_copy,
)

FIRST = "2024-11-17-kupol-first-strike"
SEED_TEXT = SEED.read_text(encoding="utf-8")


def text_of(node) -> str:
    return re.sub(r"\s+", " ", node.get_text(" ", strip=True))


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def write_seed(project: Path, old: str, new: str) -> str:
    assert old in SEED_TEXT, old
    text = SEED_TEXT.replace(old, new, 1)
    (project / SEED_FILE).write_text(text, encoding="utf-8")
    return text


# --------------------------------------------------------------------------- statuses


@pytest.mark.slow
def test_statuses_page_defines_every_status_from_the_model(built_site):
    art = content(page(built_site, "statuses"))
    for status in Status:
        section = art.find(id=f"status-{status.value}")
        assert section is not None, status
        assert text_of(section.h2).removesuffix(" ¶") == status.label
        rows = {text_of(dt): text_of(dt.find_next_sibling("dd")) for dt in section.select("dt")}
        assert rows == {"What it means": status.meaning, "Given when": status.use, "Not when": status.not_}
    order = [text_of(li) for li in art.find(id="choosing").find_next("ol").select("li")]
    assert order == [f"{s.label}: {s.meaning}" for s in STATUS_DECISION_ORDER]
    assert STATEMENT_STATUS_RULE in text_of(art)


@pytest.mark.slow
def test_badge_explanation_is_the_status_meaning(built_site):
    badges = content(page(built_site, f"briefings/{SEED_SLUG}/strike")).select(".bf-badge")
    assert badges
    for badge in badges:
        status = Status(next(c for c in badge["class"] if c.startswith("bf-badge--")).removeprefix("bf-badge--"))
        assert text_of(badge.select_one(".bf-badge__label")) == status.label
        assert text_of(badge.select_one(".bf-badge__explain")) == status.meaning


@pytest.mark.parametrize("status", ["confirmed", "verified"])
def test_confirmed_and_verified_need_an_independent_source(project, status):
    """A source's verb is not the desk's verification: confirmed needs confirmed_by, naming who checked."""
    old = (
        "    figures: [critical]\n"
        "    speaker: {person: alexander-brechalov, role: Udmurtia's regional governor,"
        " as_published: Aleksandr Bechalov}\n"
        "    sources: [article]\n    status: reported\n"
    )
    text = write_seed(project, old, old.replace("status: reported", f"status: {status}"))
    result = main_in_process(project, "check")
    assert result.returncode == 2
    line = line_of(text, "text: Ten of the wounded were")  # the claim's first line
    verb = "confirmed" if status == "confirmed" else "verified"
    assert (
        f"{SEED_FILE}:{line}:5: takeaways[1]: status {status} needs confirmed_by: the sources, independent of the "
        f"claimant, that {verb} it. A claimant's own word is reported or claimed, whatever verb the source uses"
    ) in result.stderr


@pytest.mark.slow
def test_confirmed_by_shows_a_confirmed_badge(project, tmp_path):
    old = (
        "    sources: [article]\n    status: reported\n    credibility: 3\n"
        "    attribution: according to Russian officials\n"
    )
    write_seed(
        project,
        old,
        "    sources: [article, checker]\n    status: confirmed\n    confirmed_by: [checker]\n"
        "    attribution: according to Russian officials\n",
    )
    seed = project / SEED_FILE
    seed.write_text(
        seed.read_text().replace(
            "\nstrike:\n", "\n  - id: checker\n    name: An independent checker\n    kind: analysis\n\nstrike:\n", 1
        )
    )
    result = run_cli(project, "build", "--site-dir", str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    first = content(page(tmp_path / "site", f"briefings/{SEED_SLUG}")).select_one("#sec-takeaways ~ .bf-claim")
    assert text_of(first.select_one(".bf-badge__label")) == "Confirmed"
    assert [text_of(a) for a in first.select(".bf-refs a")] == ["[1]", "[2]"]


def test_confirmed_by_only_with_confirmed(project):
    old = (
        "    sources: [article]\n    status: reported\n    credibility: 3\n"
        "    attribution: according to Russian officials\n"
    )
    text = write_seed(project, old, old.replace("status: reported", "status: reported\n    confirmed_by: [article]"))
    result = main_in_process(project, "check")
    assert result.returncode == 2
    line = line_of(text, "text: Three people were killed")
    assert (
        f"{SEED_FILE}:{line}:5: takeaways[0]: "
        "confirmed_by is only for status confirmed or verified (status is reported)"
    ) in result.stderr


@pytest.mark.slow
def test_a_partys_own_denial_is_not_denied_and_a_verification_sentence_is_reported(built_site):
    """Russia's own denial is its statement, not "denied"; "could not verify" is a reported sentence,
    and the claim it concerns is the one not independently confirmed."""
    diplomacy = content(page(built_site, f"briefings/{SEED_SLUG}/diplomacy"))
    denial = diplomacy.find(id="russia-denies-delay")
    assert text_of(denial.select_one(".bf-badge__label")) != "Denied"
    strike = content(page(built_site, f"briefings/{FIRST}/strike"))
    assert text_of(strike.find(id="not-verified").select_one(".bf-badge__label")) == "Reported"
    unit = strike.find(id="unit-300")
    assert text_of(unit.select_one(".bf-badge__label")) == "Not independently confirmed"
    assert "could not verify the claims" in text_of(unit.select_one(".bf-attribution"))


# --------------------------------------------------------------------------- headlines


@pytest.mark.slow
def test_headline_keeps_the_source_attribution(built_site):
    art = content(page(built_site, f"briefings/{SEED_SLUG}"))
    assert text_of(art.h1).removesuffix(" ¶") == SEED_TITLE
    assert "Russian officials say" in SEED_TITLE and "reportedly" in SEED_TITLE
    summary = text_of(art.select_one("#sec-takeaways").find_previous("p"))
    assert "according to Russian officials; the attack reportedly targeted the Kupol" in summary


def test_check_warns_when_the_headline_states_an_attributed_figure(project):
    text = write_seed(project, f"title: {SEED_TITLE}", "title: Drone strike on the Kupol plant in Izhevsk kills three")
    result = main_in_process(project, "check")
    assert result.returncode == 0, result.stderr
    line = line_of(text, "title: Drone strike on the Kupol")
    assert (
        f"{SEED_FILE}:{line}:8: title: warning: the headline states 3 as fact, but the briefing only attributes it "
        "(takeaways[0]: reported, according to Russian officials) (expected a headline that keeps the "
        "attribution: says, say, said, claims, according to ...)"
    ) in result.stderr
    write_seed(
        project, f"title: {SEED_TITLE}", "title: Drone strike on the Kupol plant in Izhevsk kills three, officials say"
    )
    result = main_in_process(project, "check")
    assert result.returncode == 0 and "warning" not in result.stderr


def briefing_titled(title: str, status: str = "reported", text: str = "Three people were killed.") -> Briefing:
    return Briefing.model_validate(
        {
            "slug": "x",
            "title": title,
            "published": "2025-07-01",
            "summary": "S.",
            "takeaways": [{"text": text, "sources": ["a"], "status": status}],
            "sources": [{"id": "a", "name": "A", "kind": "media"}],
            "quotes": [
                {
                    "id": "q",
                    "speaker": {"name": "N"},
                    "text": "w",
                    "context": "c",
                    "sources": ["a"],
                    "status": "reported",
                }
            ],
        }
    )


@pytest.mark.parametrize(
    ("title", "status", "text", "warned"),
    [
        ("Strike kills three", "reported", "Three people were killed.", [3.0]),
        ("Strike kills 3", "claimed", "3 people were killed.", [3.0]),
        ("Strike kills three, officials say", "reported", "Three people were killed.", []),
        ("Strike reportedly kills three", "reported", "Three people were killed.", []),
        ("Strike kills three", "unconfirmed", "Three people were killed.", [3.0]),
        ("Strike on 3 June 2025 kills one", "reported", "Three people were killed.", []),  # dates are not figures
        ("Strike kills 1,300", "reported", "About 1,300 people.", [1300.0]),
    ],
)
def test_headline_warnings(title, status, text, warned):
    found = headline_warnings(briefing_titled(title, status, text))
    assert [float(re.search(r"states ([0-9.,]+)", w.message).group(1).replace(",", "")) for w in found] == warned
    assert all(w.loc == ("title",) for w in found)


def test_a_confirmed_figure_may_stand_in_a_headline():
    briefing = briefing_titled("Strike kills three", "reported")
    confirmed = briefing.model_copy(
        update={
            "takeaways": [
                briefing.takeaways[0].model_copy(update={"status": Status.confirmed, "confirmed_by": ["a"]}),
            ]
        }
    )
    assert headline_warnings(confirmed) == []


def test_numbers_in_words_and_digits():
    assert numbers_in("kills three and wounds twenty-one; 1,300 km on 1 June 2025, 7.5 mi") == {3, 21, 1300, 7.5}


# --------------------------------------------------------------------------- speakers, channels, sources


@pytest.mark.slow
def test_statement_names_speaker_role_channel_and_date(built_site):
    art = content(page(built_site, f"briefings/{SEED_SLUG}/diplomacy"))
    kellogg = art.find(id="kellogg-stalling")
    assert (
        text_of(kellogg.select_one(".bf-statement__who"))
        == "Keith Kellogg , U.S. envoy for Ukraine and Russia — Post on X"
    )
    assert kellogg.select_one(".bf-speaker a")["href"] == "../../../entities/people/keith-kellogg/"
    putin = art.find(id="putin-open-to-talks")
    assert (
        text_of(putin.select_one(".bf-statement__who")) == "Vladimir Putin , President — 23–29 June 2025 (“Last week”)"
    )
    # Verbatim words carry quotation marks on the page.
    assert "cannot “continue to stall for time while it bombs civilian targets in Ukraine.”" in text_of(kellogg)
    assert "Source:" not in text_of(art)


@pytest.mark.slow
def test_sources_page_lists_what_was_read_not_who_spoke(built_site):
    for b in briefings_latest_first():
        art = content(page(built_site, f"briefings/{b.slug}/sources"))
        numbers = [text_of(n) for n in art.select(".bf-source .bf-source__number")]
        assert numbers == [f"[{i}]" for i in range(1, len(b.sources) + 1)]
    seed = content(page(built_site, f"briefings/{SEED_SLUG}/sources"))
    assert [s["id"] for s in seed.select(".bf-source")] == ["source-article"]


def test_a_speaker_is_not_a_source_id(project):
    text = write_seed(
        project,
        "speaker: {person: keith-kellogg, role: U.S. envoy for Ukraine and Russia}\n    text: continue",
        "speaker: article\n    text: continue",
    )
    result = main_in_process(project, "check")
    assert result.returncode == 2
    line = line_of(text, "speaker: article")
    assert (
        f"{SEED_FILE}:{line}:14: quotes[4].speaker: Input should be a valid dictionary or instance of Speaker"
        " (got 'article')" in result.stderr
    )


@pytest.mark.slow
def test_speaker_page_lists_what_they_said(built_site):
    art = content(page(built_site, "entities/people/keith-kellogg"))
    claims = [a["href"] for a in art.select("#said + p + ul a")]  # what he said, apart from claims about him
    assert f"../../../briefings/{SEED_SLUG}/diplomacy/#kellogg-stalling" in claims
    assert f"../../../briefings/{SEED_SLUG}/quotes/#quote-stall-for-time" in claims


def test_check_warns_about_a_quote_repeated_without_quotation_marks(project):
    words = "continue to stall for time while it bombs civilian targets in Ukraine."
    old = f"he wrote that Russia cannot “{words}”"
    text = write_seed(project, old, f"he wrote that Russia cannot {words}")
    result = main_in_process(project, "check")
    assert result.returncode == 0
    line = line_of(text, "he wrote that Russia cannot continue")
    assert (
        f"{SEED_FILE}:{line}:13: diplomacy.statements[2].text: warning: "
        "repeats the words of quote quote-stall-for-time "
        "without quotation marks: 'continue to stall for time while it bombs civilian targets in Ukraine' "
        "(expected verbatim words in quotation marks, or a paraphrase)"
    ) in result.stderr


# --------------------------------------------------------------------------- only what the source gives


@pytest.mark.slow
def test_a_date_the_source_only_reported_on_says_so(built_site):
    strike = content(page(built_site, f"briefings/{SEED_SLUG}/strike"))
    facts = {text_of(dt): text_of(dt.find_next_sibling("dd")) for dt in strike.select(".bf-facts dt")}
    assert facts["When"] == "Reported 1 July 2025"
    assert facts["Target"] == "Kupol Electromechanical Plant (reportedly)"
    events = content(page(built_site, f"briefings/{SEED_SLUG}")).select(".bf-event")
    struck = [text_of(e) for e in events if "Izhevsk, reportedly the Kupol plant" in text_of(e)]
    assert len(struck) == 1 and struck[0].startswith("Reported 1 July 2025 :")


@pytest.mark.slow
def test_miles_are_no_more_precise_than_the_kilometres(built_site):
    strike = content(page(built_site, f"briefings/{FIRST}/strike"))
    euromaidan = strike.find(id="distance-euromaidan")
    assert text_of(euromaidan.select_one(".bf-figure__value")) == "about 1,500"
    assert text_of(euromaidan.select_one(".bf-figure__alt")) == "(about 930 mi)"
    # Miles the source printed are shown as printed.
    assert text_of(strike.find(id="distance-kyiv-independent").select_one(".bf-figure__alt")) == "(800 mi)"


MILES_CASES = [
    (1500, "about", "(about 930 mi)"),
    (4000, "more-than", "(over 2,000 mi)"),
    (1234, "exact", "(767 mi)"),
    (6.5, "up-to", "(up to 4 mi)"),
    (1700, "about", "(about 1,100 mi)"),
]
BORDER_DISTANCE = "      value: 1000\n      unit: km\n      qualifier: more-than\n      mi_as_reported: 620\n"


@pytest.fixture(scope="module")
def miles_site(tmp_path_factory: pytest.TempPathFactory, warm_cache: Path) -> tuple[Path, list[str]]:
    """One build for every row of MILES_CASES: the seed and copies of it, each with its own border distance.

    Each briefing's page is built from its own data alone, so one row's figure cannot change another's.
    Returns the site and the slug of the briefing of each row.
    """
    project = copy_project(tmp_path_factory.mktemp("miles") / "project", warm_cache)
    slugs = []
    for i, (km, qualifier, _) in enumerate(MILES_CASES):
        if i == 0:
            slug, text, path = SEED_SLUG, SEED_TEXT, project / SEED_FILE
        else:
            day = dt.date(2025, 7, 1) + dt.timedelta(days=i)
            slug = f"{day.isoformat()}-miles-{i}"
            text, path = seed_copy(slug, day, f"Miles case {i}"), project / "data" / "briefings" / f"{slug}.yaml"
        assert text.count(BORDER_DISTANCE) == 1
        text = text.replace(BORDER_DISTANCE, f"      value: {km}\n      unit: km\n      qualifier: {qualifier}\n")
        path.write_text(text, encoding="utf-8")
        slugs.append(slug)
    site = project.parent / "site"
    result = run_cli(project, "build", "--site-dir", str(site))
    assert result.returncode == 0, result.stderr
    return site, slugs


@pytest.mark.slow
@pytest.mark.parametrize("case", range(len(MILES_CASES)), ids=[f"{km}-{q}" for km, q, _ in MILES_CASES])
def test_miles_keep_the_source_precision_on_the_page(miles_site, case):
    site, slugs = miles_site
    shown = MILES_CASES[case][2]
    strike = content(page(site, f"briefings/{slugs[case]}/strike"))
    assert text_of(strike.find(id="distance-border").select_one(".bf-figure__alt")) == shown


@pytest.mark.slow
def test_no_inferred_figure_for_a_drone(built_site):
    """The source says "a drone": the page keeps the words, and shows no "1 drone" figure."""
    strike = content(page(built_site, f"briefings/{FIRST}/strike"))
    values = [
        (text_of(f.select_one(".bf-figure__value")), text_of(f.select_one(".bf-figure__unit")))
        for f in strike.select(".bf-figure")
    ]
    assert ("1", "drone") not in values
    assert "A drone hit a factory workshop" in text_of(strike.find(id="workshop-hit"))


@pytest.mark.slow
def test_name_as_published_is_quoted_marked_and_linked(built_site):
    critical = content(page(built_site, f"briefings/{SEED_SLUG}/strike")).find(id="critical")
    attribution = critical.select_one(".bf-attribution")
    assert text_of(attribution) == (
        "(according to “Aleksandr Bechalov” [sic: Alexander Brechalov ], Udmurtia's regional governor)"
    )
    assert attribution.select_one(".bf-as-published").get_text() == "“Aleksandr Bechalov”"
    assert attribution.a["href"] == "../../../entities/people/alexander-brechalov/"
    person = content(page(built_site, "entities/people/alexander-brechalov"))
    assert "Also written" not in text_of(person)
    assert text_of(person.select_one(".bf-entity__misspellings")) == "Misspelled in sources as “Aleksandr Bechalov”."


def test_name_as_published_should_be_known_to_the_record(project):
    text = write_seed(project, "as_published: Aleksandr Bechalov}", "as_published: Alex Bechalof}")
    result = main_in_process(project, "check")
    assert result.returncode == 0
    line = line_of(text, "as_published: Alex Bechalof")
    assert re.search(
        rf"{re.escape(SEED_FILE)}:{line}:\d+: takeaways\[1\]\.speaker\.as_published: warning: 'Alex Bechalof' is not a "
        r"spelling the record of Alexander Brechalov lists, so the page cannot say whether it is a misspelling "
        r"\(expected a spelling in the variants or misspellings of person alexander-brechalov \(entities file\), "
        r"or no as_published\)",
        result.stderr,
    ), result.stderr


# --------------------------------------------------------------------------- disputes


@pytest.mark.slow
def test_compatible_values_are_no_dispute(built_site):
    strike = content(page(built_site, f"briefings/{FIRST}/strike"))
    for figure_id in ("distance-kyiv-independent", "distance-euromaidan"):
        node = strike.find(id=figure_id)
        assert text_of(node.select_one(".bf-badge__label")) == "Reported"
        assert node.select_one(".bf-disputed") is None
    topics = [text_of(h) for h in strike.select(".bf-dispute h3")]
    assert not [t for t in topics if "far" in t]


def test_check_warns_about_a_dispute_whose_values_can_all_be_true(project):
    disputes = project / "data" / "disputes.yaml"
    extra = (
        "  - id: distance\n    topic: How far?\n    sides:\n"
        f"      - briefing: {FIRST}\n        claim: distance-kyiv-independent\n"
        f"      - briefing: {FIRST}\n        claim: distance-euromaidan\n"
    )
    disputes.write_text(disputes.read_text() + extra)
    line = len(disputes.read_text().splitlines()) - 3  # the list of sides starts with the first side
    result = main_in_process(project, "check")
    assert result.returncode == 0
    assert re.search(
        rf"data/disputes.yaml:{line}:\d+: disputes\[\d+\]\.sides: warning: the sides can all be true "
        r"\(over 1,300 km; about 1,500 km\): no contradiction, so no dispute",
        result.stderr,
    ), result.stderr


# --------------------------------------------------------------------------- each thing once


@pytest.mark.slow
def test_overview_states_each_figure_once(built_site):
    """The key-figures strip leaves out every figure a takeaway states; it says what date it is as of."""
    for b in briefings_latest_first():
        art = content(page(built_site, f"briefings/{b.slug}"))
        stated = {ident for c in b.takeaways for ident in c.figures}
        unstated_labels = [f.label for _, f in figures(b) if f.id not in stated]
        strip = art.select_one(".bf-keyfigures")
        rows = [text_of(dt) for dt in strip.select("dt")] if strip else []
        assert not art.select(".bf-figure"), b.slug  # no cards
        for label in rows:  # every row is a figure no takeaway states
            assert rows.count(label) <= unstated_labels.count(label), (b.slug, label)
        if strip:
            assert text_of(strip.select_one(".bf-keyfigures__asof")) == f"As of {b.updated.day} {b.updated:%B %Y}"
        assert not art.select(".bf-cite") and "Source:" not in text_of(art)


def test_a_takeaway_can_only_state_figures_of_its_briefing(project):
    text = write_seed(project, "    figures: [killed, hospitalised]\n", "    figures: [killed, wounded]\n")
    result = main_in_process(project, "check")
    assert result.returncode == 2
    line = line_of(text, "figures: [killed, wounded]")
    assert f"{SEED_FILE}:{line}:23: takeaways[0].figures[1]: no figure 'wounded' in this briefing" in result.stderr


@pytest.mark.slow
def test_references_are_in_number_order(built_site):
    for b in briefings_latest_first():
        for rel in ["", *(f"/{s.value}" for s in b.sections)]:
            for refs in content(page(built_site, f"briefings/{b.slug}{rel}")).select(".bf-refs"):
                numbers = [int(text_of(a).strip("[]")) for a in refs.select("a")]
                assert numbers == sorted(numbers), (b.slug, rel, numbers)
