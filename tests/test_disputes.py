"""Disputes as a reader meets them: in the section holding their sides, summarised on the overview.

A scratch copy of the project gets two disputes about the seed's front-lines items: one side
of each is the same figure, and one side is a party's position made of two claims.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, SEED_SLUG, content, copy_project, main_in_process, page
from conftest import run_cli as run

DISPUTES = "data/disputes.yaml"
ADDED = f"""  - id: test-front
    topic: Was the weekend attack a record?
    sides:
      - party: Ukraine's air force
        briefing: {SEED_SLUG}
        claim: drones-and-missiles
      - party: Other reports
        briefing: {SEED_SLUG}
        claims: [air-attack-targets, sumy-push-slowed]
  - id: test-second
    topic: Did the front move?
    sides:
      - briefing: {SEED_SLUG}
        claim: drones-and-missiles
      - briefing: {SEED_SLUG}
        claim: by-ukraine
"""


def text_of(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, warm_cache: Path) -> Path:
    project = copy_project(tmp_path_factory.mktemp("disputes") / "project", warm_cache)
    path = project / DISPUTES
    path.write_text(path.read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    out = project.parent / "site"
    result = run(project, "build", "--site-dir", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.mark.slow
def test_a_dispute_renders_in_the_sections_holding_its_sides(site):
    front = content(page(site, f"briefings/{SEED_SLUG}/front-lines"))
    strike = content(page(site, f"briefings/{SEED_SLUG}/strike"))
    assert front.find(id="dispute-test-front") is not None
    assert strike.find(id="dispute-test-front") is None  # no side of it is on the strike page
    assert front.find(id="dispute-test-second") is not None and strike.find(id="dispute-test-second") is not None


@pytest.mark.slow
def test_a_side_keeps_its_party_note_and_every_item(site):
    front = content(page(site, f"briefings/{SEED_SLUG}/front-lines"))
    sides = front.find(id="dispute-test-front").select(".bf-dispute__side")
    assert [text_of(s.select_one(".bf-dispute__party")) for s in sides] == ["Ukraine's air force:", "Other reports:"]
    assert "A record, over the weekend." in text_of(sides[0])  # the figure's note
    assert len(sides[1].select(".bf-badge")) == 2  # two claims, each with its status


@pytest.mark.slow
def test_an_item_in_two_disputes_links_to_both(site):
    front = content(page(site, f"briefings/{SEED_SLUG}/front-lines"))
    links = [a["href"] for a in front.find(id="drones-and-missiles").select(".bf-disputed a")]
    assert links == ["./#dispute-test-front", "./#dispute-test-second"]


@pytest.mark.slow
def test_the_overview_summarises_disputes_with_links_to_their_section(site):
    overview = content(page(site, f"briefings/{SEED_SLUG}"))
    items = {text_of(li.a): li.a["href"] for li in overview.select("#sec-disputes + ul > li")}
    assert items["Was the weekend attack a record?"] == "front-lines/#dispute-test-front"
    assert items["Did the front move?"] == "front-lines/#dispute-test-second"


def test_check_names_a_missing_item_of_a_side_and_a_side_of_both_forms(project):
    path = project / DISPUTES
    bad = ADDED.replace("claims: [air-attack-targets, sumy-push-slowed]", "claims: [air-attack-targets, nope]")
    bad = bad.replace(
        f"      - briefing: {SEED_SLUG}\n        claim: by-ukraine\n",
        f"      - briefing: {SEED_SLUG}\n        claim: by-ukraine\n        claims: [by-ukraine]\n",
    )
    text = path.read_text(encoding="utf-8") + bad
    path.write_text(text, encoding="utf-8")
    result = main_in_process(project, "check")
    assert result.returncode == 2
    lines = text.splitlines()
    nope = next(i for i, line in enumerate(lines, 1) if "nope]" in line)
    both = next(i for i, line in enumerate(lines, 1) if "claims: [by-ukraine]" in line) - 2
    errors = [line for line in result.stderr.splitlines() if line.startswith(DISPUTES)]
    assert any(
        e.startswith(f"{DISPUTES}:{both}:") and "give either claim (one id) or claims (a list of ids)" in e
        for e in errors
    ), result.stderr
    assert not any(f":{nope}:" in e for e in errors)  # reference checks run once the file's structure is valid
    path.write_text(text.replace("        claims: [by-ukraine]\n", ""), encoding="utf-8")
    result = main_in_process(project, "check")
    errors = [line for line in result.stderr.splitlines() if line.startswith(DISPUTES)]
    assert errors[0].startswith(f"{DISPUTES}:{nope}:")
    assert f"sides[1].claims[1]: no claim or figure 'nope' in {SEED_SLUG} (expected an anchor id)" in errors[0]


def test_checking_disputes_walks_each_briefing_they_name_once(monkeypatch):
    """A briefing's anchors are found once for every side that names it: walking the briefing again for
    each side was two thirds of loading the bundled data (and grows with disputes times briefing size)."""
    from briefings import integrity
    from briefings.dataset import load_dataset
    from briefings.model import Disputes

    dataset = load_dataset(ROOT / "data", ROOT)
    seed = next(b for b in dataset.briefings if b.slug == SEED_SLUG)
    first, second = [ident for _, ident, _ in integrity.anchored(seed)][:2]
    sides = [{"briefing": SEED_SLUG, "claim": first}, {"briefing": SEED_SLUG, "claim": second}]
    disputes = Disputes.model_validate(
        {"disputes": [{"id": f"d{i}", "topic": "Which?", "sides": sides} for i in range(3)]}
    )
    walked: list[str] = []
    real = integrity.anchored

    def counted(briefing):
        walked.append(briefing.slug)
        return real(briefing)

    monkeypatch.setattr(integrity, "anchored", counted)
    assert integrity.check_disputes(disputes, list(dataset.briefings)) == []
    assert walked == [SEED_SLUG]  # six sides, one briefing
