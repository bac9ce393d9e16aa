"""Canaries: a small site with one planted fault of each kind must be reported exactly."""

from __future__ import annotations

import http.server
import time
from pathlib import Path

import pytest

from briefings.cli import main
from briefings.external import check_external_online
from briefings.links import LinkReport, check_site
from briefings.lychee import run_lychee
from conftest import ROOT, allow_server, loopback_server

GOOD = """<!doctype html><html><head><title>x</title>
<link rel="stylesheet" href="{up}assets/site.css"><script src="{up}assets/site.js"></script></head>
<body><article class="md-content__inner"><h1 id="top">Page</h1>
<p><a href="{up}other/">other</a> <a href="{up}other/#there">there</a> <a href="#top">top</a>
<a href="{up}other/index.html#there">explicit</a>
<img src="{up}assets/pic.png" srcset="{up}assets/pic.png 1x, {up}assets/pic.png 2x">
<a href="https://example.org/ok">external</a></p></article></body></html>
"""

# (page, link, what our resolver says) for each planted fault
PLANTED = [
    ("faults/index.html", "../missing/", "no such file"),
    ("faults/index.html", "../other/#nope", "no element with id 'nope'"),
    ("faults/index.html", "#nowhere", "no element with id 'nowhere'"),
    ("faults/index.html", "../other/index.html#absent", "no element with id 'absent'"),
    ("faults/index.html", "../assets/missing.css", "no such file"),
    ("faults/index.html", "../assets/missing.js", "no such file"),
    ("faults/index.html", "../assets/missing.png", "no such file"),
    ("faults/index.html", "../assets/missing-2x.png", "no such file"),
]

FAULTS = """<!doctype html><html><head><title>faults</title>
<link rel="stylesheet" href="../assets/missing.css"><script src="../assets/missing.js"></script></head>
<body><article class="md-content__inner"><h1 id="faults">Faults</h1>
<p><a href="../missing/">page</a> <a href="../other/#nope">anchor elsewhere</a> <a href="#nowhere">anchor here</a>
<a href="../other/index.html#absent">file anchor</a> <img src="../assets/missing.png" alt="">
<img src="../assets/pic.png" srcset="../assets/pic.png 1x, ../assets/missing-2x.png 2x" alt=""></p>
</article></body></html>
"""

UNSAFE = """<!doctype html><html><head><title>unsafe</title><script src="../assets/site.js"></script>
<script>theme()</script><script>alert("head")</script><script src="https://evil.example/x.js"></script>
<script src="../other/index.html"></script><meta http-equiv="refresh" content="0; url=https://evil.example/">
<link rel="stylesheet" href="https://evil.example/x.css"><script type="application/ld+json">{"a": 1}</script>
<script type="application/ld+json">alert(1)</script></head>
<body><article class="md-content__inner"><h1 id="u">Unsafe</h1>
<p onclick="alert(1)">x</p><a href="javascript:alert(1)">js</a><a href=" JaVaScRiPt:alert(1)">js2</a>
<img src="data:image/png;base64,AAAA" alt=""><a href="vbscript:msgbox">vb</a>
<iframe src="../other/"></iframe><object data="../assets/pic.png"></object><embed src="../assets/pic.png">
<base href="https://evil.example/"><script>alert(1)</script>
</article></body></html>
"""

UNSAFE_FOUND = [
    ("unsafe/index.html", "<p onclick=...>", "event-handler attribute"),
    ("unsafe/index.html", "javascript:alert(1)", "javascript: URL in href"),
    ("unsafe/index.html", " JaVaScRiPt:alert(1)", "javascript: URL in href"),
    ("unsafe/index.html", "data:image/png;base64,AAAA", "data: URL in src"),
    ("unsafe/index.html", "vbscript:msgbox", "vbscript: URL in href"),
    ("unsafe/index.html", "<iframe>", "embedding element not allowed"),
    ("unsafe/index.html", "<object>", "embedding element not allowed"),
    ("unsafe/index.html", "<embed>", "embedding element not allowed"),
    ("unsafe/index.html", "<base>", "embedding element not allowed"),
    ("unsafe/index.html", "<script>", "inline script the theme does not write"),
    ("unsafe/index.html", "<script>", "inline script the theme does not write"),
    ("unsafe/index.html", "<script src=https://evil.example/x.js>", "script the theme does not load"),
    ("unsafe/index.html", "<script src=../other/index.html>", "script the theme does not load"),
    ("unsafe/index.html", "<meta http-equiv=refresh>", "http-equiv meta element"),
    ("unsafe/index.html", "https://evil.example/x.css", "stylesheet or preload from outside the site"),
    ("unsafe/index.html", '<script type="application/ld+json">', "JSON script that is not JSON"),
]


def make_site(root: Path, with_faults: bool = True, with_unsafe: bool = False) -> Path:
    site = root / "site"
    (site / "assets").mkdir(parents=True)
    (site / "other").mkdir()
    for name in ("site.css", "site.js", "pic.png"):
        (site / "assets" / name).write_text("x")
    (site / "index.html").write_text(GOOD.format(up=""))
    (site / "other" / "index.html").write_text(
        GOOD.format(up="../").replace('id="top"', 'id="there"').replace("#top", "#there")
    )
    # The theme's own scripts, as a data-free 404 page shows them (root-absolute paths).
    (site / "404.html").write_text(
        '<html><head><script src="/assets/site.js"></script><script>theme()</script></head>'
        '<body><a href="/other/">root-absolute</a><a href="/assets/site.css">c</a></body></html>'
    )
    if with_faults:
        (site / "faults").mkdir()
        (site / "faults" / "index.html").write_text(FAULTS)
    if with_unsafe:
        (site / "unsafe").mkdir()
        (site / "unsafe" / "index.html").write_text(UNSAFE)
    return site


def triples(report: LinkReport) -> list[tuple[str, str, str]]:
    return sorted((b.page, b.link, b.reason) for b in report.broken)


# The planted missing script is also a script the theme does not load: the markup scan says so.
MISSING_SCRIPT = ("faults/index.html", "<script src=../assets/missing.js>", "script the theme does not load")


def test_clean_site_has_no_false_positives(tmp_path):
    site = make_site(tmp_path, with_faults=False)
    assert check_site(site).broken == []
    lychee = run_lychee(site, ROOT / "lychee.toml")
    assert lychee.broken == []
    assert lychee.checked >= check_site(site).checked > 10


def test_our_resolver_reports_each_planted_fault_exactly(tmp_path):
    assert triples(check_site(make_site(tmp_path))) == sorted([*PLANTED, MISSING_SCRIPT])


def test_lychee_reports_each_planted_fault_exactly(tmp_path):
    site = make_site(tmp_path)
    report = run_lychee(site, ROOT / "lychee.toml")
    ours = [b for b in check_site(site).broken if (b.page, b.link, b.reason) != MISSING_SCRIPT]
    assert sorted((b.page, b.target) for b in report.broken) == sorted((b.page, b.target) for b in ours)
    assert len(report.broken) == len(PLANTED)


def test_markup_scan_reports_each_unsafe_construct(tmp_path):
    site = make_site(tmp_path, with_faults=False, with_unsafe=True)
    assert triples(check_site(site)) == sorted(UNSAFE_FOUND)


def test_parsing_on_several_cores_reports_the_same(tmp_path):
    """Pages parsed by worker processes give the report a single process gives, in the same order."""
    site = make_site(tmp_path, with_unsafe=True)
    for i in range(12):  # more pages than workers, so every worker gets some and order can go wrong
        (site / f"copy-{i}").mkdir()
        (site / f"copy-{i}" / "index.html").write_text(FAULTS)
    alone = check_site(site, workers=1)
    together = check_site(site, workers=2)
    assert len(alone.broken) > 12 * len(PLANTED)
    assert together == alone
    assert [b.page for b in together.broken] == [b.page for b in alone.broken]


def test_lychee_runs_beside_our_check_and_reports_a_long_list(tmp_path):
    """A report of thousands of broken links reaches us whole (lychee writes it to a file while our check runs)."""
    site = make_site(tmp_path, with_faults=False)
    links = "".join(f'<a href="../gone-{i:04}/">{i}</a>' for i in range(2000))
    (site / "many").mkdir()
    (site / "many" / "index.html").write_text(FAULTS.replace("<p>", f"<p>{links}"))
    report = run_lychee(site, ROOT / "lychee.toml")
    assert len({b.link for b in report.broken if "gone-" in b.link}) == 2000


def test_check_links_command_prints_page_link_reason(tmp_path, capsys):
    site = make_site(tmp_path)
    assert main(["--project", str(ROOT), "check-links", str(site)]) == 1
    err = capsys.readouterr().err
    assert "faults/index.html -> ../other/#nope: no element with id 'nope'" in err
    assert "9 broken" in err.splitlines()[-1]  # 8 links and the missing script


def test_check_links_command_passes_a_clean_site(tmp_path, capsys):
    site = make_site(tmp_path, with_faults=False)
    assert main(["--project", str(ROOT), "check-links", str(site), "--list-external"]) == 0
    out = capsys.readouterr().out
    assert "https://example.org/ok <- index.html, other/index.html" in out
    assert out.splitlines()[-1].endswith("0 broken, 1 external links skipped (offline)")


def test_malformed_external_url_is_reported_offline(tmp_path):
    site = make_site(tmp_path, with_faults=False)
    (site / "index.html").write_text(GOOD.format(up="").replace("https://example.org/ok", "https://exa mple.org/"))
    from briefings.external import check_external_syntax

    report = check_site(site)
    assert [b.format() for b in check_external_syntax(report)] == [
        "index.html -> https://exa mple.org/: malformed or disallowed external URL"
    ]


# --------------------------------------------------------------------------- online mode, against 127.0.0.1 only


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.path == "/ok":
            self._send(200)
        elif self.path.startswith("/redirect/"):
            n = int(self.path.rsplit("/", 1)[1])
            self.send_response(301)
            self.send_header("Location", f"/redirect/{n - 1}" if n > 1 else "/ok")
            self.end_headers()
        elif self.path == "/missing":
            self._send(404)
        elif self.path == "/busy":
            if self.hits[self.path] == 1:
                self.send_response(429)
                self.send_header("Retry-After", "0")
                self.end_headers()
            else:
                self._send(200)
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200)

    def _send(self, code):
        try:
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout case)


@pytest.fixture
def local_server():
    _Handler.hits = {}
    with loopback_server(_Handler) as base:
        yield base


def test_online_mode_against_local_server(local_server, tmp_path):
    report = LinkReport(
        external={f"{local_server}{p}": ["a.html"] for p in ("/ok", "/redirect/3", "/missing", "/busy", "/slow")}
    )
    cache = tmp_path / "cache.json"
    allow = allow_server(local_server)  # the default policy refuses loopback addresses
    broken = check_external_online(
        report, cache, concurrency=2, timeout=1.0, retries=2, backoff=0.01, allow_address=allow
    )
    assert sorted((b.link.removeprefix(local_server), b.reason) for b in broken) == [
        ("/missing", "HTTP 404"),
        ("/slow", "timed out"),
    ]
    assert _Handler.hits["/busy"] == 2  # 429, then retried to 200
    assert _Handler.hits["/redirect/1"] == 1 and _Handler.hits["/ok"] == 2
    # Successes are cached: a second run fetches only the failures again.
    before = dict(_Handler.hits)
    check_external_online(report, cache, concurrency=2, timeout=1.0, retries=0, backoff=0.01, allow_address=allow)
    assert _Handler.hits["/ok"] == before["/ok"] and _Handler.hits["/busy"] == before["/busy"]
    assert _Handler.hits["/missing"] == before["/missing"] + 1
