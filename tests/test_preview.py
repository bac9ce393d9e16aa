"""Live preview: a real `mkdocs serve` on 127.0.0.1 picks up edits to data and templates."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import SEED_SLUG, preview_server, wait_for

NAME = "data/briefings/2025-07-01-izhevsk-kupol-strike.yaml"


def fetch(url: str) -> str:
    """The text a reader sees on the page (parsed, so entities are decoded)."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return BeautifulSoup(response.read().decode("utf-8"), "lxml").get_text(" ")


@pytest.fixture
def serve(project: Path) -> Iterator[str]:
    """`mkdocs serve` on a free loopback port against the scratch project; stopped afterwards."""
    with preview_server(project, "mkdocs serve") as (base, _log):
        yield base


@pytest.mark.slow
def test_data_and_template_edits_show_up_in_the_preview(serve, project):
    url = f"{serve}/briefings/{SEED_SLUG}/strike/"
    assert "In critical condition" in fetch(url)
    data = project / NAME
    data.write_text(data.read_text().replace("label: In critical condition", "label: Critically injured"))
    wait_for(lambda: "Critically injured" in fetch(url), 30, "the data edit to be served")
    template = project / "templates" / "strike.md.j2"
    template.write_text(template.read_text().replace("## Casualties", "## Casualty figures"))
    wait_for(lambda: "Casualty figures" in fetch(url), 30, "the template edit to be served")
    assert not list((project / "docs").rglob("strike*")), "generated pages must never be written into docs/"


@pytest.mark.slow
def test_data_error_shows_in_preview_and_fixing_recovers(serve, project):
    url = f"{serve}/briefings/{SEED_SLUG}/strike/"
    assert "In critical condition" in fetch(url)
    data = project / NAME
    good = data.read_text()
    data.write_text(good.replace("value: 35\n", "value: -35\n"))
    wait_for(lambda: "Data error" in fetch(url), 30, "the error page")
    page = fetch(url)
    assert f"{NAME}:" in page and "strike.casualties[1].value" in page
    assert "greater than or equal to 0" in page
    assert "Data error" in fetch(serve + "/")
    data.write_text(good.replace("label: In critical condition", "label: Critical, fixed"))
    wait_for(lambda: "Critical, fixed" in fetch(url), 30, "recovery after the fix")


@pytest.mark.slow
def test_preview_starts_even_with_broken_data(project):
    data = project / NAME
    data.write_text(data.read_text().replace("status: unconfirmed", "status: rumour"))
    with preview_server(project, "mkdocs serve", ready="Data error") as (base, log):
        assert "front_lines.developments[3].claims[1].status" in fetch(base + "/")
    output = log.read_text(errors="replace")
    assert f"{NAME}:" in output and "Traceback" not in output
