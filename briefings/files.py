"""The folders a build reads are untrusted too: only regular files and folders may be in them.

A symbolic link (git stores them, so a pull request can add one) would put its target,
say `/proc/self/environ`, into the published site; a named pipe or a device would hang
the build or fill the memory. Each is a Problem (exit 2) naming the entry.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .errors import DataError, Problem

KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


class UnsafeFilesError(DataError):
    """An input folder holds a symbolic link or a special file; nothing may be built from it."""

    noun = "file"


def display_path(path: Path, root: Path) -> str:
    """How errors name a file: relative to the project root when it is inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def link_problem(path: Path, display: str) -> Problem:
    """The problem for a symbolic link found where a file was expected."""
    try:
        target = f" (to {os.readlink(path)!r})"
    except OSError:
        target = ""
    message = f"is a symbolic link{target}; links are not followed"
    return Problem(display, None, None, "", message, "a regular file inside the project")


def special_problem(display: str, mode: int) -> Problem:
    """The problem for something that is neither a regular file nor (where one is allowed) a folder."""
    kind = KINDS.get(stat.S_IFMT(mode), "not a regular file")
    return Problem(display, None, None, "", f"is {kind}, not a regular file", "a regular file")


def check_folders(root: Path, folders: Iterable[Path | None]) -> list[Problem]:
    """Every symbolic link or special file in the given folders (and the folders themselves)."""

    def display(p: Path) -> str:
        return display_path(p, root)

    problems: list[Problem] = []
    seen: set[Path] = set()
    for folder in folders:
        if folder is None or folder in seen:
            continue
        seen.add(folder)
        try:
            mode = os.lstat(folder).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            problems.append(link_problem(folder, display(folder)))
            continue
        if not stat.S_ISDIR(mode):
            continue  # a missing or misplaced folder is reported by whoever needs it
        pending = [folder]
        while pending:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    path = Path(entry.path)
                    if entry.is_symlink():
                        problems.append(link_problem(path, display(path)))
                    elif entry.is_dir(follow_symlinks=False):
                        pending.append(path)
                    elif not entry.is_file(follow_symlinks=False):
                        problems.append(special_problem(display(path), entry.stat(follow_symlinks=False).st_mode))
    return problems


def check_folders_or_raise(root: Path, folders: Iterable[Path | None]) -> None:
    """Raise UnsafeFilesError listing every link or special file in the given folders."""
    problems = check_folders(root, folders)
    if problems:
        raise UnsafeFilesError(problems)
