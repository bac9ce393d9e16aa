"""The editor's workflow: scaffold, likelihood language, summaries, documented CLI."""

from __future__ import annotations

import json
import re

import pytest

from briefings.cli import _parser, main
from conftest import ROOT, SEED, SEED_SLUG, briefings_latest_first, content, page

NEW = "2025-07-02-new-briefing"


def fill_placeholders(text: str) -> str:
    text = text.replace('"TODO-place-id"', '"izhevsk"').replace('"TODO-facility-id"', '"kupol-plant"')
    text = text.replace("TODO-place-id", "izhevsk").replace("TODO-facility-id", "kupol-plant")
    return re.sub(r'"TODO: ([^"]*)"', lambda m: json.dumps(m.group(1).capitalize() + "."), text)


@pytest.mark.slow
def test_new_writes_a_skeleton_that_check_accepts_once_filled(project, capsys):
    assert main(["--project", str(project), "new", NEW]) == 0
    path = project / "data" / "briefings" / f"{NEW}.yaml"
    assert capsys.readouterr().out.startswith(f"wrote data/briefings/{NEW}.yaml")
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../schema/briefing.schema.json")
    assert main(["--project", str(project), "check"]) == 2
    err = capsys.readouterr().err
    assert f"data/briefings/{NEW}.yaml:6:8: title: placeholder not filled in" in err
    assert "strike.places[0]: 'TODO-place-id' is not a valid id" in err
    path.write_text(fill_placeholders(text))
    assert main(["--project", str(project), "check"]) == 0, capsys.readouterr().err
    assert main(["--project", str(project)]) == 0
    assert (project / "site" / "briefings" / NEW / "index.html").exists()


def test_new_refuses_to_overwrite_and_bad_slugs(project, capsys):
    assert main(["--project", str(project), "new", SEED_SLUG]) == 3
    assert "already exists" in capsys.readouterr().err
    assert main(["--project", str(project), "new", "../evil"]) == 3
    assert "not a valid slug" in capsys.readouterr().err
    assert SEED.read_text() == (project / "data" / "briefings" / SEED.name).read_text()


def test_new_from_existing_copies_shared_records(project, capsys):
    assert main(["--project", str(project), "new", NEW, "--from", SEED_SLUG]) == 0
    text = (project / "data" / "briefings" / f"{NEW}.yaml").read_text()
    assert 'places: ["izhevsk", "udmurtia"' in text
    assert '"id": "article"' in text and 'places: ["izhevsk"]' in text
    assert 'facility: "kupol-plant"' in text and f'based_on: "{SEED_SLUG}"' in text
    path = project / "data" / "briefings" / f"{NEW}.yaml"
    path.write_text(fill_placeholders(text))
    capsys.readouterr()
    assert main(["--project", str(project), "check"]) == 0
    err = capsys.readouterr().err
    lines = path.read_text().splitlines()

    def line_of(prefix: str) -> int:
        return next(i for i, s in enumerate(lines, 1) if s.startswith(prefix))

    # The values copied from the other briefing are named until they change (or based_on goes).
    name = f"data/briefings/{NEW}.yaml"
    assert f"{name}:{line_of('places:')}:9: places: warning: places are the same as in {SEED_SLUG}" in err
    assert f"{name}:{line_of('  places:')}:11: strike.places: warning: strike places are the same" in err
    assert f"{name}:{line_of('    - id: target')}:7: strike.targets[0]: warning: target is the same as one in" in err
    path.write_text(path.read_text().replace(f'based_on: "{SEED_SLUG}"', ""))
    assert main(["--project", str(project), "check"]) == 0
    assert "the same as in" not in capsys.readouterr().err
    assert main(["--project", str(project), "new", "x-y", "--from", "nope"]) == 3


def assessment(likelihood: str, text: str) -> str:
    claim = (
        f"  - id: assessment\n    text: {text}\n    sources: [article]\n    status: reported\n"
        f"    credibility: 3\n    likelihood: {likelihood}\n"  # graded: the desk requires grades (desk.yaml)
    )
    return SEED.read_text().replace("takeaways:\n", "takeaways:\n" + claim, 1)


@pytest.mark.slow
def test_likelihood_is_shown_with_its_range(project):
    (project / "data" / "briefings" / SEED.name).write_text(
        assessment("likely", "Further strikes on the plant are likely.")
    )
    assert main(["--project", str(project)]) == 0
    claim = content(page(project / "site", f"briefings/{SEED_SLUG}")).find(id="assessment")
    assert claim.select_one(".bf-likelihood").get_text() == "Assessment: Likely or probable (55–75%)"
    statuses = content(page(project / "site", "statuses"))
    assert "Remote chance" in statuses.get_text() and "95–100%" in statuses.get_text()


def test_check_warns_when_wording_contradicts_likelihood(project, capsys):
    path = project / "data" / "briefings" / SEED.name
    path.write_text(assessment("likely", "Further strikes are highly unlikely."))
    line = next(i for i, s in enumerate(path.read_text().splitlines(), 1) if "highly unlikely" in s)
    assert main(["--project", str(project), "check"]) == 0
    err = capsys.readouterr().err
    assert (
        f"data/briefings/{SEED.name}:{line}:11: takeaways[0].text: warning: text says highly unlikely but likelihood "
        "is likely (expected wording that matches likely or probable (55–75%))"
    ) in err
    path.write_text(assessment("highly-unlikely", "Further strikes are highly unlikely."))
    assert main(["--project", str(project), "check"]) == 0
    assert "warning" not in capsys.readouterr().err


@pytest.mark.slow
def test_json_summary_for_ci(project, capsys):
    assert main(["--project", str(project), "--json", "build"]) == 0
    summary = json.loads(capsys.readouterr().out)
    briefings = len(briefings_latest_first(project))
    assert briefings >= 2 and summary["briefings"] == briefings
    assert summary["pages"] > 40 and summary["links_broken"] == 0
    assert summary["links_checked"] > 1000 and set(summary["seconds"]) >= {"validate", "build", "check", "total"}


@pytest.mark.slow
def test_quiet_prints_one_line(project, capsys):
    assert main(["--project", str(project), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1 and captured.out.startswith("built ")
    assert captured.err == ""


def _commands_and_options():
    parser = _parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    found = {opt for a in parser._actions for opt in a.option_strings if opt.startswith("--")}
    for name, subparser in sub.choices.items():
        found.add(name)
        found |= {opt for a in subparser._actions for opt in a.option_strings if opt.startswith("--")}
    return sub.choices, found


def test_every_command_and_option_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    _, found = _commands_and_options()
    missing = sorted(item for item in found if item != "--help" and item not in readme)
    assert missing == []


@pytest.mark.parametrize("command", ["build", "check", "check-links", "new", "schema", "serve"])
def test_every_command_has_help(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: build.py {command}") and "exit codes:" in out
