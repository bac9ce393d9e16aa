"""Live preview: a real `mkdocs serve` on 127.0.0.1 picks up edits to data and templates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SEED_FILE, SEED_SLUG, preview_server, served_text, wait_for


@pytest.fixture
def serve(project: Path) -> Iterator[str]:
    """`mkdocs serve` on a free loopback port against the scratch project; stopped afterwards."""
    with preview_server(project, "mkdocs serve") as (base, _log):
        yield base


@pytest.mark.slow
def test_data_and_template_edits_show_up_in_the_preview(serve, project):
    url = f"{serve}/briefings/{SEED_SLUG}/strike/"
    assert "In critical condition" in served_text(url)
    data = project / SEED_FILE
    data.write_text(data.read_text().replace("label: In critical condition", "label: Critically injured"))
    wait_for(lambda: "Critically injured" in served_text(url), 30, "the data edit to be served")
    template = project / "templates" / "strike.md.j2"
    template.write_text(template.read_text().replace("## Casualties", "## Casualty figures"))
    wait_for(lambda: "Casualty figures" in served_text(url), 30, "the template edit to be served")
    assert not list((project / "docs").rglob("strike*")), "generated pages must never be written into docs/"


@pytest.mark.slow
def test_data_error_shows_in_preview_and_fixing_recovers(serve, project):
    url = f"{serve}/briefings/{SEED_SLUG}/strike/"
    assert "In critical condition" in served_text(url)
    data = project / SEED_FILE
    good = data.read_text()
    data.write_text(good.replace("value: 35\n", "value: -35\n"))
    wait_for(lambda: "Data error" in served_text(url), 30, "the error page")
    page = served_text(url)
    assert f"{SEED_FILE}:" in page and "strike.casualties[1].value" in page
    assert "greater than or equal to 0" in page
    assert "Data error" in served_text(serve + "/")
    data.write_text(good.replace("label: In critical condition", "label: Critical, fixed"))
    wait_for(lambda: "Critical, fixed" in served_text(url), 30, "recovery after the fix")


@pytest.mark.slow
def test_preview_starts_even_with_broken_data(project):
    data = project / SEED_FILE
    data.write_text(data.read_text().replace("status: unconfirmed", "status: rumour"))
    with preview_server(project, "mkdocs serve", ready="Data error") as (base, log):
        assert "front_lines.developments[3].claims[1].status" in served_text(base + "/")
    output = log.read_text(errors="replace")
    assert f"{SEED_FILE}:" in output and "Traceback" not in output
