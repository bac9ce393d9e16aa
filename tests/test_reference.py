"""The data-format documentation and JSON Schema come from the model and cannot drift."""

from __future__ import annotations

import json

import pytest

from briefings.cli import main
from briefings.model import Claim
from briefings.reference import json_schemas, missing_descriptions
from conftest import ROOT, content, page


def test_every_field_has_a_description():
    assert missing_descriptions() == []


def test_schema_files_and_readme_section_are_current(capsys):
    assert main(["--project", str(ROOT), "schema", "--check"]) == 0, capsys.readouterr().err


def test_schema_check_detects_drift(project, capsys):
    (project / "README.md").write_text((ROOT / "README.md").read_text().replace("| `slug` |", "| `slugg` |"))
    (project / "schema").mkdir()
    for name, text in json_schemas().items():
        (project / "schema" / name).write_text(text)
    assert main(["--project", str(project), "schema", "--check"]) == 1
    assert "out of date: README.md" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("name", ["briefing.schema.json", "entities.schema.json"])
def test_schema_is_published_and_valid_json(built_site, name):
    schema = json.loads((built_site / "schema" / name).read_text())
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["additionalProperties"] is False


def test_every_data_file_has_the_schema_modeline():
    for path in (ROOT / "data").rglob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        kind = {"entities.yaml": "entities", "disputes.yaml": "disputes", "desk.yaml": "desk"}.get(
            path.name, "briefing"
        )
        assert first.startswith("# yaml-language-server: $schema=") and first.endswith(f"schema/{kind}.schema.json")
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target == ROOT / "schema" / f"{kind}.schema.json"


@pytest.mark.slow
def test_reference_page_lists_fields(built_site):
    art = content(page(built_site, "reference"))
    claim = art.find(id="record-claim")
    assert claim is not None
    rows = [tr.find_all("td") for tr in claim.find_next("table").find_all("tr")[1:]]
    fields = {r[0].get_text(): (r[2].get_text(), r[3].get_text()) for r in rows}
    assert fields["status"][0] == "yes"
    assert fields["attribution"] == ("no", Claim.model_fields["attribution"].description)
    assert fields["attribution"][1].startswith(
        'the hedge as the source worded it, e.g. "according to Russian officials"'
    )
