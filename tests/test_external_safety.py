"""The external link check never fetches internal addresses, follows only http(s) redirects, and says what it did.

Only 127.0.0.1 is ever contacted. Where a test names a private or link-local address,
socket connections and name lookups are intercepted, so even a regression sends nothing.
"""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from briefings.external import check_external_online, fetch_status, public_only
from briefings.links import LinkReport
from conftest import ROOT, allow_server, briefings_latest_first, copy_project, loopback_server


class _Hits(http.server.BaseHTTPRequestHandler):
    """Counts requests; /to?u=URL redirects to URL, /loop redirects to itself, anything else is 200."""

    hits: list[tuple[str, str]] = []  # (path, Host header)

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        type(self).hits.append((self.path, self.headers.get("Host", "")))
        if self.path.startswith("/to?u="):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/to?u="))
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(301)
            self.send_header("Location", "/loop")
            self.end_headers()
        else:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")


class _Other(_Hits):
    hits: list[tuple[str, str]] = []


@pytest.fixture
def server():
    _Hits.hits = []
    with loopback_server(_Hits) as base:
        yield base


@pytest.fixture
def other_server():
    _Other.hits = []
    with loopback_server(_Other) as base:
        yield base


@pytest.fixture
def no_outside_traffic(monkeypatch):
    """Connections go through only to 127.0.0.1; anything else is recorded and refused before a packet is sent."""
    attempts: list[object] = []
    real_create = socket.create_connection
    real_connect = socket.socket.connect

    def create_connection(address, *args, **kwargs):
        if address[0] != "127.0.0.1":
            attempts.append(address)
            raise ConnectionRefusedError(f"test refused a connection to {address}")
        return real_create(address, *args, **kwargs)

    def connect(self, address):
        if not (isinstance(address, tuple) and address[0] == "127.0.0.1"):
            attempts.append(address)
            raise ConnectionRefusedError(f"test refused a connection to {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


# --------------------------------------------------------------------------- first hop, default policy


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:{port}/", "resolves to 127.0.0.1, a loopback address: not fetched"),
        ("http://localhost:{port}/", "localhost is a loopback name: not fetched"),
        ("http://app.localhost:{port}/", "app.localhost is a loopback name: not fetched"),
        ("http://[::1]:{port}/", "resolves to ::1, a loopback address: not fetched"),
        ("http://127.1:{port}/", "resolves to 127.0.0.1, a loopback address: not fetched"),
        ("http://10.0.0.1/", "resolves to 10.0.0.1, a private address: not fetched"),
        ("http://192.168.1.1/", "resolves to 192.168.1.1, a private address: not fetched"),
        ("http://169.254.169.254/latest/meta-data/", "resolves to 169.254.169.254, a link-local address: not fetched"),
        ("http://0.0.0.0:{port}/", "resolves to 0.0.0.0, an unspecified address: not fetched"),
        ("http://[::ffff:10.0.0.1]/", "resolves to ::ffff:10.0.0.1, a private address: not fetched"),
        ("http://224.0.0.1/", "resolves to 224.0.0.1, a multicast address: not fetched"),
        ("http://240.0.0.1/", "resolves to 240.0.0.1, a reserved address: not fetched"),
        ("http://intranet/", "intranet is a single-label name (no dot): not fetched"),
    ],
)
def test_internal_addresses_are_refused_without_a_connection(server, no_outside_traffic, url, reason):
    port = server.rsplit(":", 1)[1]
    start = time.monotonic()
    result = fetch_status(url.format(port=port), timeout=5.0, retries=2, backoff=1.0)
    assert (result.ok, result.reason, result.attempts) == (False, reason, 1)
    assert time.monotonic() - start < 1.0  # refused up front: no connect, no timeout, no retry
    assert no_outside_traffic == []
    assert _Hits.hits == []  # not even the loopback server saw a request


def test_localhost_and_dotless_names_are_not_even_looked_up(monkeypatch):
    looked_up = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: looked_up.append(a) or [])
    for url in ("http://localhost/", "http://LOCALHOST./x", "http://db.localhost/", "http://intranet/"):
        assert not fetch_status(url, timeout=1.0, retries=0, backoff=0).ok
    assert looked_up == []


def test_a_name_resolving_to_an_internal_address_is_refused(monkeypatch, no_outside_traffic):
    # A public-looking name whose DNS answer is internal (the .test TLD never resolves for real).
    answers = {"metadata.example.test": "169.254.169.254", "mixed.example.test": "10.1.2.3"}

    def getaddrinfo(host, port, *args, **kwargs):
        public = ("93.184.216.34", port) if host == "mixed.example.test" else None
        infos = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return ([(socket.AF_INET, socket.SOCK_STREAM, 6, "", public)] if public else []) + infos

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    result = fetch_status("https://metadata.example.test/", timeout=5.0, retries=0, backoff=0)
    assert result.reason == "resolves to 169.254.169.254, a link-local address: not fetched"
    # Every address of the answer is checked, not only the first.
    result = fetch_status("https://mixed.example.test/", timeout=5.0, retries=0, backoff=0)
    assert result.reason == "resolves to 10.1.2.3, a private address: not fetched"
    assert no_outside_traffic == []


def test_connects_to_the_address_it_checked(server, monkeypatch, no_outside_traffic):
    """DNS rebinding: the name is resolved once per hop, and the connection goes to that checked address."""
    port = int(server.rsplit(":", 1)[1])
    answers = iter(["127.0.0.1"] + ["10.0.0.9"] * 10)  # a second lookup would get an internal address
    lookups = []

    def getaddrinfo(host, p, *args, **kwargs):
        lookups.append(host)
        address = next(answers) if host == "rebind.example.test" else host
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, p))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    result = fetch_status(
        f"http://rebind.example.test:{port}/page", timeout=5.0, retries=0, backoff=0, allow_address=allow_server(server)
    )
    assert (result.ok, result.status) == (True, 200)
    assert lookups.count("rebind.example.test") == 1
    assert _Hits.hits == [("/page", f"rebind.example.test:{port}")]  # Host header is the name, not the address
    assert no_outside_traffic == []


# --------------------------------------------------------------------------- redirects from an allowed server


def test_redirect_targets_are_checked_like_first_hops(server, other_server, no_outside_traffic):
    allow = allow_server(server)  # exactly this server; every redirect target faces the default policy
    other_port = other_server.rsplit(":", 1)[1]
    cases = {
        "file:///etc/passwd": "redirects to file:///etc/passwd: only http(s) is followed",
        f"ftp://127.0.0.1:{other_port}/x": f"redirects to ftp://127.0.0.1:{other_port}/x: only http(s) is followed",
        f"{other_server}/x": f"redirects to {other_server}/x: resolves to 127.0.0.1, a loopback address: not fetched",
        f"http://localhost:{other_port}/x": f"redirects to http://localhost:{other_port}/x: "
        "localhost is a loopback name: not fetched",
        "http://169.254.169.254/latest/meta-data/": "redirects to http://169.254.169.254/latest/meta-data/: "
        "resolves to 169.254.169.254, a link-local address: not fetched",
        "http://[::1]/": "redirects to http://[::1]/: resolves to ::1, a loopback address: not fetched",
    }
    for target, reason in cases.items():
        result = fetch_status(f"{server}/to?u={target}", timeout=5.0, retries=0, backoff=0, allow_address=allow)
        assert (result.ok, result.reason) == (False, reason), target
    assert _Other.hits == []  # the other port never saw a request (nor the ftp redirect a connection)
    assert no_outside_traffic == []
    assert [path for path, _ in _Hits.hits] == [f"/to?u={t}" for t in cases]


def test_redirects_are_followed_within_the_allowed_server_and_bounded(server):
    allow = allow_server(server)
    result = fetch_status(f"{server}/to?u=/fine", timeout=5.0, retries=0, backoff=0, allow_address=allow)
    assert (result.ok, result.status) == (True, 200)
    result = fetch_status(f"{server}/loop", timeout=5.0, retries=0, backoff=0, allow_address=allow)
    assert (result.ok, result.reason) == (False, "more than 5 redirects")
    assert [path for path, _ in _Hits.hits].count("/loop") == 6  # the first request and 5 redirects


def test_the_default_policy_allows_public_addresses_only():
    import ipaddress

    assert public_only(ipaddress.ip_address("93.184.216.34"), 443)
    assert public_only(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"), 443)
    for address in ("127.0.0.1", "10.0.0.1", "172.16.0.1", "100.64.0.1", "fe80::1", "::", "fc00::1", "ff02::1"):
        assert not public_only(ipaddress.ip_address(address), 443), address


# --------------------------------------------------------------------------- what the user sees


def test_summary_says_how_many_external_links_were_checked(server, tmp_path):
    report = LinkReport(external={f"{server}/ok": ["a.html"], f"{server}/loop": ["a.html"], "mailto:x@y.z": ["a.html"]})
    report.broken += check_external_online(report, tmp_path / "cache.json", allow_address=allow_server(server))
    assert [b.format() for b in report.broken] == [f"a.html -> {server}/loop: more than 5 redirects"]
    assert report.summary() == (
        "0 internal links checked, 0 broken, 2 external links checked, 1 broken, 1 non-web external links not fetched"
    )
    again = LinkReport(external=dict(report.external))
    again.broken += check_external_online(again, tmp_path / "cache.json", allow_address=allow_server(server))
    assert again.summary() == (
        "0 internal links checked, 0 broken, 2 external links checked (1 still good from the last day's cache), "
        "1 broken, 1 non-web external links not fetched"
    )


def _site(root: Path, urls: list[str]) -> Path:
    site = root / "site"
    site.mkdir(parents=True)
    links = "".join(f'<a href="{u}">x</a>' for u in urls)
    (site / "index.html").write_text(f'<html><body><article class="md-content__inner">{links}</article></body></html>')
    return site


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_check_links_external_refuses_loopback_and_says_so(server, other_server, tmp_path):
    urls = [f"{server}/ok", f"{server}/to?u={other_server}/x", f"{server}/to?u=file:///etc/passwd"]
    site = _site(tmp_path, urls)
    proc = _cli("--project", str(tmp_path), "check-links", str(site), "--external")
    assert proc.returncode == 1
    reason = "resolves to 127.0.0.1, a loopback address: not fetched"
    assert proc.stderr.splitlines() == [
        "error: link check failed:",
        *sorted(f"index.html -> {u}: {reason}" for u in urls),
        "0 internal links checked, 0 broken, 3 external links checked, 3 broken",
    ]
    assert _Hits.hits == [] and _Other.hits == []


def test_successes_cached_by_the_old_checker_are_not_trusted(server, tmp_path):
    """The old checker fetched loopback URLs and cached them as good for a day."""
    import json

    url = f"{server}/ok"
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "external-links.json").write_text(json.dumps({url: time.time()}))
    proc = _cli("--project", str(tmp_path), "check-links", str(_site(tmp_path, [url])), "--external")
    assert (proc.returncode, proc.stderr.splitlines()[1:]) == (
        1,
        [
            f"index.html -> {url}: resolves to 127.0.0.1, a loopback address: not fetched",
            "0 internal links checked, 0 broken, 1 external links checked, 1 broken",
        ],
    )


def test_check_warns_about_internal_hosts_in_source_urls(tmp_path):
    project = copy_project(tmp_path / "project")
    name = "data/briefings/2024-11-17-kupol-first-strike.yaml"
    path = project / name
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = [
        ("http://127.0.0.1:8080/admin", "127.0.0.1 is a loopback address"),
        ("http://localhost/x", "localhost is a loopback name"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://intranet/wiki", "intranet is a single-label name (no dot)"),
        ("http://[::ffff:10.0.0.1]/x", "::ffff:10.0.0.1 is a private address"),
    ]
    # The URLs of the first five sources (each source has one), whatever the file holds today.
    url_lines = [i for i, line in enumerate(lines, 1) if line.startswith("    url: ")][: len(bad)]
    hosts = dict(zip(url_lines, bad, strict=True))
    for number, (url, _) in hosts.items():
        lines[number - 1] = f"    url: {url}\n"
    path.write_text("".join(lines), encoding="utf-8")
    proc = _cli("--project", str(project), "check")
    count = len(briefings_latest_first(project))
    assert (proc.returncode, proc.stdout.strip()) == (0, f"ok: {count} briefings valid, 5 warnings")
    assert proc.stderr.splitlines() == [
        f"{name}:{number}:10: sources[{i}].url: warning: URL host {what}, not a public site; "
        "the external link check will not fetch it (expected a public web address)"
        for i, (number, (_, what)) in enumerate(hosts.items())
    ]
