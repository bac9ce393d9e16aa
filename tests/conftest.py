"""Shared fixtures: scratch projects in tmp_path and one build of the bundled site."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from briefings.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "briefings" / "2025-07-01-izhevsk-kupol-strike.yaml"
SEED_SLUG = "2025-07-01-izhevsk-kupol-strike"
PROJECT_PARTS = ("mkdocs.yml", "lychee.toml", "briefings", "templates", "docs", "data", "overrides")


def copy_project(dest: Path) -> Path:
    """A full copy of the bundled project (code, templates, docs, data) in dest."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / part)
    return dest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch copy of the bundled project."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def write_briefing(project: Path) -> Callable[[str, str], Path]:
    """Write a briefing file (YAML text) into the scratch project's data folder."""

    def write(name: str, text: str | bytes) -> Path:
        path = project / "data" / "briefings" / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled site, built once by the real pipeline (MkDocs, lychee) for many assertions."""
    site = tmp_path_factory.mktemp("bundled") / "site"
    assert main(["--project", str(ROOT), "build", "--site-dir", str(site)]) == 0
    return site


@contextmanager
def loopback_server(handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on a free 127.0.0.1 port for the duration of the block; yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def allow_server(base: str) -> Callable[..., bool]:
    """An address policy for the external check that allows exactly one loopback test server (base URL)."""
    from urllib.parse import urlsplit

    from briefings.links import public_only

    parts = urlsplit(base)
    return lambda ip, port: (str(ip), port) == (parts.hostname, parts.port) or public_only(ip, port)


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root with the SHA-256 of its bytes: two equal digests mean identical trees."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def page(site: Path, rel: str) -> BeautifulSoup:
    """Parse a built page; rel is a URL path such as briefings/x/strike/."""
    path = site / rel / "index.html" if not rel.endswith(".html") else site / rel
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def content(soup: BeautifulSoup) -> BeautifulSoup:
    """The article part of a Material page (no navigation chrome)."""
    found = soup.select_one("article.md-content__inner")
    assert found is not None, "page has no article content"
    return found
