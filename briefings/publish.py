"""Build into a temporary folder and swap it into place only when everything succeeded.

A failed or interrupted build leaves the previous site byte-identical, and the
output folder is never one that holds anything but a site this tool built.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from .errors import BuildError

MARKER = ".briefings-site"


def check_output_dir(site: Path, protected: list[Path]) -> None:
    """Refuse output folders that would overwrite the project or foreign files."""
    site = site.resolve()
    for path in protected:
        path = path.resolve()
        if site == path or site in path.parents:
            raise BuildError(f"refusing to build into {site}: it is or contains {path}")
        if path in site.parents and path.name in ("docs", "data", "templates"):
            raise BuildError(f"refusing to build into {site}: it is inside {path}")
    if site == Path(site.anchor) or site == Path.home():
        raise BuildError(f"refusing to build into {site}")
    if site.exists() and (not site.is_dir() or (any(site.iterdir()) and not (site / MARKER).exists())):
        raise BuildError(
            f"refusing to replace {site}: it exists and was not built by this tool (no {MARKER} file); "
            "remove it or choose another output folder"
        )


def publish(site: Path, protected: list[Path], build_into: Callable[[Path], None]) -> None:
    """Run build_into(temp) and, if it returns, atomically replace site with temp."""
    site = site.resolve()
    check_output_dir(site, protected)
    site.parent.mkdir(parents=True, exist_ok=True)
    # A sibling of site/ so the final rename stays on one file system (atomic).
    temp = site.parent / f".{site.name}.building-{os.getpid()}"
    old = site.parent / f".{site.name}.previous-{os.getpid()}"
    for stale in (temp, old):
        if stale.exists():
            shutil.rmtree(stale)
    try:
        build_into(temp)
        (temp / MARKER).write_text("built by briefings; safe to replace with a new build\n", encoding="utf-8")
        if site.exists():
            site.rename(old)
        temp.rename(site)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        if old.exists() and not site.exists():
            old.rename(site)
        raise
    shutil.rmtree(old, ignore_errors=True)
