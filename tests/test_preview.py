"""Live preview: a real `mkdocs serve` on 127.0.0.1 picks up edits to data and templates."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import SEED_SLUG

NAME = "data/briefings/2025-07-01-izhevsk-kupol-strike.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def serve(project: Path) -> Iterator[str]:
    """`mkdocs serve` on a free loopback port against the scratch project; stopped afterwards."""
    port = free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: "Situation reports" in fetch(base + "/"), 60, "the first build")
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


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
