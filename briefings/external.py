"""External links: their syntax, offline, on every build; and, as an explicit opt-in, fetching them.

Fetching refuses internal addresses (loopback, private, link-local ...) at every hop and keeps a
day's cache of links that answered.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, urljoin, urlsplit

from .addresses import IPAddress, address_kind, host_problem, literal_address, shown
from .files import read_regular_file
from .links import Broken, LinkReport


def check_external_syntax(report: LinkReport) -> list[Broken]:
    """Offline: every external URL has an allowed scheme, a host and no whitespace."""
    broken: list[Broken] = []
    for url, pages in sorted(report.external.items()):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            ok = bool(parts.hostname) and not any(ch.isspace() for ch in url)
            try:
                parts.port  # noqa: B018  (raises on a malformed port)
            except ValueError:
                ok = False
        elif scheme == "mailto":
            ok = "@" in parts.path
        else:
            ok = False
        if not ok:
            broken.extend(Broken(page, url, "malformed or disallowed external URL") for page in sorted(set(pages)))
    return broken


@dataclass
class ExternalResult:
    """Outcome of fetching one external URL."""

    url: str
    ok: bool
    status: int | None
    reason: str
    attempts: int


# Decides whether the checker may connect to an address and port. The default allows only
# public addresses; tests pass a narrower function to reach their own 127.0.0.1 server. It is
# a Python parameter only: no option or environment variable lets a build fetch internal hosts.
AddressPolicy = Callable[[IPAddress, int], bool]
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


def public_only(ip: IPAddress, port: int) -> bool:
    """The default address policy: no loopback, private, link-local, multicast, unspecified or reserved address."""
    return address_kind(ip) is None


class _Refused(Exception):
    """A hop that is not fetched; the message is the reason shown for the link."""


def _checked_address(host: str, port: int, allow: AddressPolicy) -> str:
    """The address to connect to for host: resolved once, every address checked; raise _Refused otherwise."""
    problem = host_problem(host)
    literal = literal_address(host)
    if problem and literal is None:  # localhost, single-label names: not even resolved
        raise _Refused(f"{problem}: not fetched")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _Refused(f"{host} does not resolve ({exc})") from None
    addresses = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not allow(ip, port):
            kind = address_kind(ip) or "an address the checker's policy does not allow"
            raise _Refused(f"resolves to {shown(ip)}, {kind}: not fetched")
        addresses.append(str(info[4][0]))
    if not addresses:
        raise _Refused(f"{host} does not resolve")
    return addresses[0]


def _connection(parts: SplitResult, port: int, address: str, timeout: float) -> http.client.HTTPConnection:
    """An HTTP(S) connection to the checked address, with Host header and TLS name (SNI) set to the URL's host."""
    host = parts.hostname or ""
    tls = parts.scheme.lower() == "https"

    class Pinned(http.client.HTTPSConnection if tls else http.client.HTTPConnection):  # type: ignore[misc]
        def connect(self) -> None:
            sock = socket.create_connection((address, self.port), self.timeout)
            if tls:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
            self.sock = sock

    return Pinned(host, port, timeout=timeout)  # an explicit port: an IPv6 host is never parsed for one


def _fetch_once(url: str, timeout: float, allow: AddressPolicy) -> tuple[int, dict[str, str]]:
    """One GET, following up to MAX_REDIRECTS redirects by hand; every hop's address checked before connecting."""
    current = url
    for hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise _Refused(f"redirects to {current}: only http(s) is followed" if hop else "only http(s) is fetched")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise _Refused(f"malformed URL {current}") from None
        if not parts.hostname:
            raise _Refused(f"no host in {current}")
        try:
            address = _checked_address(parts.hostname, port, allow)
        except _Refused as exc:
            raise _Refused(f"redirects to {current}: {exc}" if hop else str(exc)) from None
        conn = _connection(parts, port, address, timeout)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("GET", target, headers={"User-Agent": "briefings-link-check/1"})
            response = conn.getresponse()
            status, headers = response.status, {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        if status not in _REDIRECTS:
            return status, headers
        if "location" not in headers:
            return status, headers
        current = urljoin(current, headers["location"].strip())
    raise _Refused(f"more than {MAX_REDIRECTS} redirects")


def fetch_status(
    url: str, timeout: float, retries: int, backoff: float, allow_address: AddressPolicy = public_only
) -> ExternalResult:
    """GET a URL following redirects (http(s) only, public addresses only); retry 429 and 5xx with backoff."""
    import time

    attempts = 0
    while True:
        attempts += 1
        try:
            status, headers = _fetch_once(url, timeout, allow_address)
        except _Refused as exc:
            return ExternalResult(url, False, None, str(exc), attempts)
        except TimeoutError:
            return ExternalResult(url, False, None, "timed out", attempts)
        except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: certificates, encodings
            reason = str(exc) or type(exc).__name__
            return ExternalResult(url, False, None, "timed out" if "timed out" in reason.lower() else reason, attempts)
        if status < 300:
            return ExternalResult(url, True, status, "ok", attempts)
        retry_after = headers.get("retry-after")
        if (status == 429 or status >= 500) and attempts <= retries:
            delay = backoff * 2 ** (attempts - 1)
            if retry_after and retry_after.isdigit():
                delay = min(float(retry_after), 10.0)
            time.sleep(delay)
            continue
        return ExternalResult(url, False, status, f"HTTP {status}", attempts)


def check_external_online(
    report: LinkReport,
    cache_file: Path | None = None,
    concurrency: int = 4,
    timeout: float = 10.0,
    retries: int = 2,
    backoff: float = 0.5,
    cache_ttl: float = 86_400.0,
    allow_address: AddressPolicy = public_only,
) -> list[Broken]:
    """Opt-in: fetch every external URL (bounded concurrency, retries, cache of successes).

    Records on the report how many links were checked and broken, so its summary says so.
    """
    import time
    from concurrent.futures import ThreadPoolExecutor

    now = time.time()
    cache: dict[str, float] = {}
    if cache_file and cache_file.exists():
        # Never through a link, never a pipe: the cache is only a shortcut, so anything else is ignored.
        raw, _ = read_regular_file(cache_file, cache_file.name)
        try:
            loaded = json.loads(raw) if raw is not None else {}
            cache = {u: t for u, t in loaded.items() if isinstance(t, (int, float)) and now - t < cache_ttl}
        except (ValueError, AttributeError, RecursionError):
            cache = {}
    web = [u for u in sorted(report.external) if urlsplit(u).scheme.lower() in ("http", "https")]
    todo = [u for u in web if u not in cache]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(lambda u: fetch_status(u, timeout, retries, backoff, allow_address), todo))
    broken: list[Broken] = []
    for result in results:
        if result.ok:
            cache[result.url] = now
        else:
            broken.extend(Broken(p, result.url, result.reason) for p in sorted(set(report.external[result.url])))
    report.external_checked = len(web)
    report.external_cached = len(web) - len(todo)
    report.external_failed = {r.url for r in results if not r.ok}
    if cache_file:
        _write_cache(cache_file, json.dumps(cache, indent=1, sort_keys=True))
    return broken


def _write_cache(cache_file: Path, text: str) -> None:
    """Replace the cache file (a new file renamed over it: a link in its place is replaced, not followed).

    Nothing is written if its folder is a link or not a folder; a cache that cannot be written is no error.
    """
    folder = cache_file.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if folder.is_symlink() or not folder.is_dir():
            return
        temp = folder / f".{cache_file.name}.{os.getpid()}.tmp"
        temp.unlink(missing_ok=True)
        with open(temp, "x", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, cache_file)
    except OSError:
        return
