"""Shared fixtures: scratch projects in tmp_path and one build of the bundled site."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from bs4 import BeautifulSoup

from briefings.cache import FOLDER as CACHE_FOLDER
from briefings.cli import main
from briefings.dataset import load_dataset
from briefings.model import Briefing
from scheduling import pytest_collection_modifyitems, pytest_xdist_make_scheduler  # noqa: F401 (hooks)

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("BRIEFINGS_CHROMIUM", "/usr/bin/chromium")
SEED = ROOT / "data" / "briefings" / "2025-07-01-izhevsk-kupol-strike.yaml"
SEED_SLUG = "2025-07-01-izhevsk-kupol-strike"
SEED_FILE = f"data/briefings/{SEED.name}"  # the seed's data file, relative to a project
# The seed's headline as written in its data file, for tests that edit or look for it.
SEED_TITLE = next(
    line[len("title: ") :] for line in SEED.read_text(encoding="utf-8").splitlines() if line.startswith("title: ")
)
PROJECT_PARTS = ("mkdocs.yml", "lychee.toml", "briefings", "templates", "docs", "data", "overrides")


def briefings_latest_first(root: Path = ROOT) -> list[Briefing]:
    """The briefings of a project's data, newest publication first (ties: slug, descending).

    Tests derive counts, order and neighbours from this, never from the bundled set as it
    happens to be today, so they survive a growing archive.
    """
    dataset = load_dataset(root / "data", root)
    return sorted(dataset.briefings, key=lambda b: (b.published, b.slug), reverse=True)


def last_updated(briefing: Briefing) -> dt.date:
    """A briefing's modified date, from the data: its publication or its latest correction."""
    return max([briefing.published, *(c.date for c in briefing.corrections)])


def copy_project(dest: Path, cache: Path | None = None) -> Path:
    """A full copy of the bundled project (code, templates, docs, data) in dest.

    cache: a build cache folder to start with (the `warm_cache` fixture's), as an editor's project has one:
    for a module's shared build, which then converts only what the module changed. Not for a module that
    patches the generator's code (page sizes, say): the cache's keys know the code's files, not a patch.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / part)
    if cache is not None:
        shutil.copytree(cache, dest / CACHE_FOLDER, symlinks=True)
    return dest


@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build cache (`.cache/`) a build of the bundled project leaves, made once per test process."""
    root = copy_project(tmp_path_factory.mktemp("warm") / "project")
    result = main_in_process(root, "--quiet", "build")
    assert result.returncode == 0, result.stderr
    return root / CACHE_FOLDER


@pytest.fixture
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A scratch copy of the bundled project.

    For a test that builds (marked slow), with the build cache a build of the bundled project left, as an
    editor's project has one: its builds convert and check only the pages the test changed (2 s, not 6),
    and every page is the bytes a clean build writes (tests/test_build_cache.py proves it). A module
    marked `cold_cache` gets it without, for tests that count what a build does from nothing.
    """
    warm = request.node.get_closest_marker("slow") and not request.node.get_closest_marker("cold_cache")
    return copy_project(tmp_path / "project", request.getfixturevalue("warm_cache") if warm else None)


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
    # shutdown() waits for the serving loop's next poll: every 0.5 s by default, 0.05 s here.
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class StaticHost(http.server.SimpleHTTPRequestHandler):
    """A static host as GitHub Pages is one: the files of a folder, and the site's 404.html (with
    status 404) for any address that has no file. `not_found` is set on a subclass per server."""

    not_found: Path | None = None

    def log_message(self, *args: object) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404 or self.not_found is None or not self.not_found.is_file():
            super().send_error(code, message, explain)
            return
        body = self.not_found.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


SUBPATH = "briefings"  # the sub-path of a project page: https://ORG.github.io/briefings/


@pytest.fixture(scope="session")
def subpath_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The bundled site built with `--site-url http://127.0.0.1:PORT/briefings/` and served there.

    A real loopback server (started first, so the URL's port is known) serves a folder whose
    `briefings/` is the built site, and the site's 404.html for anything missing, as GitHub Pages
    serves a project page. Yields the site's URL (ending in /) and its folder.
    """
    import functools

    host = tmp_path_factory.mktemp("host")
    site = host / SUBPATH
    handler = type("Host", (StaticHost,), {"not_found": site / "404.html"})
    with loopback_server(functools.partial(handler, directory=str(host))) as base:
        url = f"{base}/{SUBPATH}/"
        assert main(["--project", str(ROOT), "build", "--site-dir", str(site), "--site-url", url]) == 0
        yield url, site


def allow_server(base: str) -> Callable[..., bool]:
    """An address policy for the external check that allows exactly one loopback test server (base URL)."""
    from urllib.parse import urlsplit

    from briefings.external import public_only

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


# Commands of build.py that build a site or start a server: a test running one is marked slow.
_BUILDING = {"build", "serve", "check-links"}
_COMMANDS = _BUILDING | {"check", "new", "schema"}


class _Layer:
    """Whether the running test may build real sites: only tests marked slow may (the default run skips them)."""

    slow = True

    @classmethod
    def require_slow(cls, what: str) -> None:
        if not cls.slow:
            pytest.fail(f"this test {what}: mark it @pytest.mark.slow (the default `pytest` run is the fast layer)")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Note the running test's layer before any of its fixtures (a module-scoped build included) is set up."""
    _Layer.slow = item.get_closest_marker("slow") is not None


def _guard_mkdocs_build() -> None:
    """Wrap the pipeline's MkDocs build for the whole session, so a build fails an unmarked test
    wherever it starts: in the test, or in a module- or session-scoped fixture the test set up first."""
    import functools

    import briefings.pipeline

    real = briefings.pipeline.mkdocs_build

    @functools.wraps(real)
    def guarded(*args: object, **kwargs: object) -> int:
        _Layer.require_slow("runs a real MkDocs build (here or in a fixture it uses)")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    briefings.pipeline.mkdocs_build = guarded  # type: ignore[assignment]


_guard_mkdocs_build()


@pytest.fixture(autouse=True)
def _fast_layer_guard(request: pytest.FixtureRequest) -> None:
    """Fail an unmarked test that uses the bundled site's build (the CLI and previews check for themselves)."""
    if not _Layer.slow and "built_site" in request.fixturenames:
        _Layer.require_slow("uses the bundled site's build")


def run_cli(project: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python build.py --project PROJECT ARGS` as a real subprocess; its exit code and output."""
    command = next((a for a in args if a in _COMMANDS), "build")
    if command in _BUILDING and not {"--help", "--version"} & set(args):
        _Layer.require_slow(f"runs `build.py {command}`")
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--project", str(project), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=timeout,
    )


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll predicate until it holds (connection errors count as not yet), or fail after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def fetch_html(url: str) -> str:
    """The raw HTML a server answers with (errors such as 404 included)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.read().decode("utf-8", errors="replace")


PREVIEWS = {
    "mkdocs serve": [sys.executable, "-m", "mkdocs", "serve"],
    "properdocs serve": [sys.executable, "-m", "properdocs", "serve", "--config-file", "mkdocs.yml"],
    "build.py serve": [sys.executable, str(ROOT / "build.py"), "serve"],
}


@contextmanager
def preview_server(
    project: Path, kind: str, ready: str = "Situation reports", env: dict[str, str] | None = None
) -> Iterator[tuple[str, Path]]:
    """A real preview server (`mkdocs serve`, `properdocs serve` or `build.py serve`) on a free loopback port.

    Yields the base URL and the server's log file; waits until the home page contains `ready`,
    and stops the server (its whole process group) when the block ends. env: extra variables.
    The server's temporary folder is one of the test's own: `mkdocs serve` and `properdocs serve` leave
    their site in it when stopped by a signal (their clean-up runs on Ctrl+C only).
    """
    _Layer.require_slow(f"starts {kind}")
    port = free_port()
    log = project / f".preview-{port}.log"
    scratch = Path(tempfile.mkdtemp(prefix=f"serve-{port}-", dir=project.parent))
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*PREVIEWS[kind], "--dev-addr", f"127.0.0.1:{port}"],
            cwd=project,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "TMPDIR": str(scratch), **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is not None or ready in fetch_html(base + "/"), 120, f"{kind} to start")
        assert proc.poll() is None, f"{kind} exited: {log.read_text(errors='replace')[-2000:]}"
        yield base, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium (never a browser downloaded by a test tool), one per test session."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does)"
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield launched
        launched.close()


def type_search(page: Page, query: str) -> None:
    """Type a query into Material's open search box as a reader does, and wait for the results of all of it.

    Keys typed while the search worker still builds its index are lost, so typing waits for "Type to
    start searching". Each keystroke re-renders the list, and a shorter query's list can look finished
    ("Kupo" marks the whole word "Kupol"), so the result links must carry the query itself (the
    search.highlight feature adds it as ?h=, empty on a result it highlights nothing in): on a busy
    machine a test once clicked a link of "kupo" that the last keystroke had replaced.
    """
    page.wait_for_function(
        "document.querySelector('.md-search-result__meta').textContent.trim() !== 'Initializing search'"
    )
    page.keyboard.type(query, delay=30)
    page.wait_for_function(
        """q => { const terms = [...document.querySelectorAll('.md-search-result__item a')]
                                .map(a => new URL(a.href).searchParams.get('h'));
                  return terms.includes(q) && terms.every(h => h === q || h === ''); }""",
        arg=query.lower(),
    )


# --------------------------------------------------------------------------- shared test data

# Text an attacker writes into data fields: markup, Markdown, template syntax, URLs with bad schemes.
HOSTILE_TEXT = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    "![x](data:text/html;base64,PHNjcmlwdD4=)",
    "# Not a heading",
    "| a | b |",
    'Plain text {: onclick="alert(1)" }',
    "{{ 7*7 }} and {% for x in range(3) %}x{% endfor %}",
    '--8<-- "/etc/passwd"',
    '<div markdown="1">**bold**</div>',
    "*emph* __strong__ ~~del~~ ==mark== ^^ins^^ `code`",
    "&lt;script&gt; &amp; &#60;",
    "back\\slash \\* not emphasis",
    ":smile: @user $x$ 100%",
    "<https://example.com> http://example.com",
    "1. not a list",
    "- not a list either",
    "> not a quote",
    "---",
    "    indented like code",
    "trailing spaces  ",
    "<!-- comment --> <![CDATA[x]]>",
    "&#x3C;script&#x3E;",
]


def served_text(url: str) -> str:
    """The text a reader sees on the page (parsed, so entities are decoded)."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return BeautifulSoup(response.read().decode("utf-8"), "lxml").get_text(" ")


def seed_copy(slug: str, published: dt.date, title: str) -> str:
    """The seed's YAML text under another slug, date and headline."""
    text = SEED.read_text(encoding="utf-8")
    for old, new in (
        (f"\nslug: {SEED_SLUG}\n", f"\nslug: {slug}\n"),
        ("\npublished: 2025-07-01\n", f"\npublished: {published.isoformat()}\n"),
        (f"\ntitle: {SEED_TITLE}\n", f"\ntitle: {title}\n"),
    ):  # top-level keys only (sources have a published date too)
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


# --------------------------------------------------------------------------- hostile files (test_hostile_files*.py)

SECRET = "SECRET-CANARY-7f3a9c"
LINK = "links are not followed (expected a regular file inside the project)"
MKDOCS = Path(sys.executable).with_name("mkdocs")


@pytest.fixture
def cli_project(project: Path) -> Path:
    """The scratch project with its own build.py, so commands run exactly as a user types them."""
    shutil.copy2(ROOT / "build.py", project / "build.py")
    return project


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the project that must never be read, written or published."""
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text(f"TOKEN={SECRET}\n")
    return path


def run(cwd: Path, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """A command as a real subprocess in cwd (a hang fails by the timeout)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=timeout
    )


def build_py(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python build.py ARGS` in the project folder, as a user types it.

    A command that may run a whole build gets the time run_cli gives one: on two busy cores a full
    build can take over a minute, and the timeout is there to end a hang, not to time a build."""
    timeout = 300 if {"build", "check-links"} & set(args) else 60
    return run(project, sys.executable, "build.py", *args, timeout=timeout)


def main_in_process(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line's main() (what build.py runs) in this process, with its exit code and printed output.

    For cases where a child process adds nothing the test checks: no pipe or device that could block
    a read, nothing relayed from MkDocs' log. It saves the child's start and imports (about a second).
    """
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--project", str(project), *args])
    return subprocess.CompletedProcess(["build.py", *args], code, out.getvalue(), err.getvalue())


_PEAK_CHILD = """
import json, sys
from pathlib import Path

from briefings.dataset import load_dataset
from briefings.errors import DataError


def status(field):
    with open("/proc/self/status") as lines:
        return 1024 * int(next(line for line in lines if line.startswith(field + ":")).split()[1])


with open("/proc/self/clear_refs", "w") as reset:
    reset.write("5")  # the peak (VmHWM) starts again from what is resident now
before = status("VmRSS")
try:
    load_dataset(Path(sys.argv[1]) / "data", Path(sys.argv[1]))
    problem = None
except DataError as exc:
    problem = exc.format()
print(json.dumps({"problem": problem, "growth": status("VmHWM") - before}))
"""


def load_in_fresh_process(project: Path) -> tuple[str | None, int]:
    """Load a project's data in a new Python: the data error it gave (None if none) and how far its resident
    memory rose above where it stood before loading, in bytes.

    Untraced, unlike tracemalloc (which made a load of 250,000 values six times slower), and counting
    everything the process held, C allocations too.
    """
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_CHILD, str(project)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    return found["problem"], found["growth"]


def error_lines(stderr: str) -> list[str]:
    """stderr without the build's progress lines (indented)."""
    return [line for line in stderr.splitlines() if not line.startswith("  ")]


def assert_refused(project: Path, out: Path, first_line: str, *, child: bool = False) -> None:
    """`check` and `build` both exit 2 with first_line first, and nothing is published.

    child: run `python build.py` as a subprocess (for a pipe or device, which could block a read:
    a regression then fails by the timeout instead of hanging the test run); otherwise main() in process.
    """
    for args in (["check"], ["build", "--site-dir", str(out)]):
        result = build_py(project, *args) if child else main_in_process(project, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert error_lines(result.stderr)[0] == first_line, result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not out.exists()
    assert not (project / "site").exists()


def assert_secret_unpublished(*roots: Path) -> None:
    for root in roots:
        for path in root.rglob("*") if root.exists() else ():
            if path.is_file() and not path.is_symlink():
                assert SECRET not in path.read_text(errors="replace"), path
