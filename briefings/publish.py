"""Build into a temporary folder and swap it into place only when everything succeeded.

A failed or interrupted build leaves the previous site byte-identical, and the
output folder is never one that holds anything but a site this tool built.
A build killed outright leaves `.NAME.building-PID` (a partial build) or, between the
two renames, `.NAME.previous-PID` and no `NAME`; the next build puts the previous
site back and removes what dead builds left.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import BuildError

MARKER = ".briefings-site"
INPUT_NAMES = ("docs", "data", "templates", "overrides")  # folders whose contents end up in a build


def check_output_dir(site: Path, protected: list[Path], inputs: Iterable[Path] = ()) -> None:
    """Refuse output folders that would overwrite the project or foreign files, or sit inside an input folder.

    protected: folders the output may not be or contain; those named like an input
    folder (docs, data, templates, overrides), and every folder in inputs, may not
    contain the output either (the next build would publish the site into itself).
    """
    site = site.resolve()
    inside = {p.resolve() for p in inputs} | {p.resolve() for p in protected if p.name in INPUT_NAMES}
    for path in [*protected, *inside]:
        path = path.resolve()
        if site == path or site in path.parents:
            raise BuildError(f"refusing to build into {site}: it is or contains {path}")
        if path in inside and path in site.parents:
            raise BuildError(
                f"refusing to build into {site}: it is inside {path}, an input folder "
                "(the next build would publish the site into itself); choose a folder outside it"
            )
    if site == Path(site.anchor) or site == Path.home():
        raise BuildError(f"refusing to build into {site}")
    if site.exists() and (not site.is_dir() or (any(site.iterdir()) and not (site / MARKER).exists())):
        raise BuildError(
            f"refusing to replace {site}: it exists and was not built by this tool (no {MARKER} file); "
            "remove it or choose another output folder"
        )


def _leftovers(site: Path) -> list[tuple[Path, str, int]]:
    """(path, "building" or "previous", pid) of every `.NAME.building-PID` / `.NAME.previous-PID` beside site."""
    pattern = re.compile(rf"\.{re.escape(site.name)}\.(building|previous)-([0-9]{{1,10}})")
    if not site.parent.is_dir():
        return []
    found = []
    for path in sorted(site.parent.iterdir()):
        match = pattern.fullmatch(path.name)
        if match and path.is_dir() and not path.is_symlink():
            found.append((path, match.group(1), int(match.group(2))))
    return found


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's live process, or not a pid we can judge: leave it alone
    return True


def recover_interrupted(site: Path) -> Path | None:
    """If site is missing but a dead build left it renamed to `.NAME.previous-PID`, rename it back.

    Returns the folder that was put back, if any. Only a folder carrying the marker is restored.
    """
    site = site.resolve()
    if site.exists() or site.is_symlink():
        return None
    previous = [
        path
        for path, kind, pid in _leftovers(site)
        if kind == "previous" and not _alive(pid) and (path / MARKER).is_file()
    ]
    if not previous:
        return None
    newest = max(previous, key=lambda p: p.stat().st_mtime)
    newest.rename(site)
    return newest


def remove_leftovers(site: Path) -> list[Path]:
    """Remove `.NAME.building-PID` and `.NAME.previous-PID` folders of builds that are no longer running."""
    removed = []
    for path, _kind, pid in _leftovers(site.resolve()):
        if not _alive(pid):
            shutil.rmtree(path)
            removed.append(path)
    return removed


class PublishedInterrupt(KeyboardInterrupt):
    """Interrupted after the new site was swapped into place: it is published, the previous one removed."""


class Removal:
    """Folders removed on threads of their own while the build goes on; `wait` before the build returns.

    Removing a site of thousands of pages is thousands of unlink calls, which release the GIL:
    the previous site goes while the build cache is pruned.
    """

    def __init__(self) -> None:
        self._started: list[tuple[threading.Thread, threading.Event]] = []

    def start(self, path: Path) -> None:
        """Begin removing path (errors ignored, as for the previous site removed in place)."""
        done = threading.Event()

        def remove() -> None:
            try:
                shutil.rmtree(path, ignore_errors=True)
            finally:
                done.set()

        thread = threading.Thread(target=remove, name="briefings-remove")
        thread.start()
        self._started.append((thread, done))

    def wait(self) -> None:
        """Return when every folder started is gone, even if interrupted meanwhile (then raise
        KeyboardInterrupt): a half-removed folder helps no one.

        Waits on an event, not on Thread.join alone: a join interrupted by Ctrl-C can leave the
        thread looking finished (CPython 3.11), and the process would then end it half-way.
        """
        interrupted = False
        for thread, done in self._started:
            while not done.is_set():
                try:
                    done.wait()
                except KeyboardInterrupt:
                    interrupted = True
            thread.join()
        self._started.clear()
        if interrupted:
            raise KeyboardInterrupt


@contextmanager
def staged(
    site: Path, protected: list[Path], inputs: Iterable[Path] = (), removal: Removal | None = None
) -> Iterator[Path]:
    """Yield an empty folder beside site to build into; when the block succeeds, swap it into place atomically.

    If the block raises (or is interrupted), the folder is removed and site is left as it was.
    removal: remove the previous site on a thread (the caller waits for it), not before returning.
    """
    site = site.resolve()
    check_output_dir(site, protected, inputs)
    recover_interrupted(site)
    remove_leftovers(site)
    site.parent.mkdir(parents=True, exist_ok=True)
    # A sibling of site/ so the final rename stays on one file system (atomic).
    temp = site.parent / f".{site.name}.building-{os.getpid()}"
    old = site.parent / f".{site.name}.previous-{os.getpid()}"
    for stale in (temp, old):
        if stale.exists():
            shutil.rmtree(stale)
    try:
        yield temp
        (temp / MARKER).write_text("built by briefings; safe to replace with a new build\n", encoding="utf-8")
        if site.exists():
            site.rename(old)
        temp.rename(site)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        if old.exists() and not site.exists():
            old.rename(site)
        raise
    if removal is not None:
        removal.start(old)
    else:
        shutil.rmtree(old, ignore_errors=True)


def publish(site: Path, protected: list[Path], build_into: Callable[[Path], None], inputs: Iterable[Path] = ()) -> None:
    """Run build_into(temp) and, if it returns, atomically replace site with temp."""
    with staged(site, protected, inputs) as temp:
        build_into(temp)
