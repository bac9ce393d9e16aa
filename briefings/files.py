"""The folders a build reads are untrusted too: only regular files and folders may be in them.

A symbolic link (git stores them, so a pull request can add one) would put its target,
say `/proc/self/environ`, into the published site; a named pipe or a device would hang
the build or fill the memory. Each is a Problem (exit 2) naming the entry. The same
holds for the single files a build reads at the project root (`mkdocs.yml`,
`lychee.toml`) and for every file read by `read_regular_file`.
"""

from __future__ import annotations

import errno
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


MAX_BYTES = 2 * 1024 * 1024  # default bound for a file read whole into memory

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


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


def check_files(root: Path, files: Iterable[Path | None]) -> list[Problem]:
    """Every one of the given files that is a symbolic link or not a regular file (missing ones are skipped)."""
    problems: list[Problem] = []
    seen: set[Path] = set()
    for path in files:
        if path is None or path in seen:
            continue
        seen.add(path)
        try:
            mode = os.lstat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue  # whoever needs the file says it is missing
        if stat.S_ISLNK(mode):
            problems.append(link_problem(path, display_path(path, root)))
        elif not stat.S_ISREG(mode):
            problems.append(special_problem(display_path(path, root), mode))
    return problems


def check_files_or_raise(root: Path, files: Iterable[Path | None]) -> None:
    """Raise UnsafeFilesError if one of the given files is a symbolic link or a special file."""
    problems = check_files(root, files)
    if problems:
        raise UnsafeFilesError(problems)


def read_regular_file(path: Path, display: str, max_bytes: int = MAX_BYTES) -> tuple[bytes | None, list[Problem]]:
    """The bytes of a regular file of at most max_bytes, else the problem that stopped the read.

    The file is opened without following a symbolic link and without blocking (a named
    pipe would wait forever), and the size limit applies to the bytes actually read:
    `stat` says 0 for a device such as /dev/zero.
    """

    def refuse(message: str, expected: str = "a regular file") -> tuple[None, list[Problem]]:
        return None, [Problem(display, None, None, "", message, expected)]

    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            return None, [link_problem(path, display)]
        return refuse(f"cannot be read: {exc.strerror or exc}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, [special_problem(display, info.st_mode)]
        if info.st_size > max_bytes:
            return refuse(f"file is {info.st_size} bytes", f"at most {max_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        return refuse(f"cannot be read: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if size > max_bytes:  # grew while being read
        return refuse(f"file is more than {max_bytes} bytes", f"at most {max_bytes} bytes")
    return b"".join(chunks), []


def decode_utf8(raw: bytes, display: str) -> tuple[str | None, list[Problem]]:
    """A file's bytes as text (a leading BOM dropped), or where the first byte that is not UTF-8 is."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Problem(display, line, col, "", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8", "UTF-8 text")]
    return text.removeprefix("\ufeff"), []
