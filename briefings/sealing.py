"""The machine's secret and what it seals: kept in the user's own cache folder, never under a project.

The build cache (`cache.py`) and the compiled templates (`bytecode.py`) trust a file only if it
carries a seal (HMAC-SHA256) made with this key, so nobody without the key can plant a page's
HTML or code that a build would load. The key is therefore used only where no one else could
have written or read it: a folder that is the user's own and writable by no one else, opened
without following a link in its own place, and a key file readable by no one else.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

SEAL = 32  # bytes of an entry's seal (HMAC-SHA256 under the machine's key), before the header
KEY_FILE = ("briefings", "build-key")  # under the user's cache folder, never under the project
DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def digest(*parts: str | bytes) -> str:
    """A sha256 of the parts, each length-prefixed (no two lists of parts give the same input)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def open_dir(name: str, parent: int | None, create: bool) -> int | None:
    """A folder's descriptor, opened without following a link (relative to `parent`); None if it cannot be."""
    try:
        if create:
            try:
                os.mkdir(name, 0o700, dir_fd=parent)
            except FileExistsError:
                pass
        return os.open(name, DIR_FLAGS, dir_fd=parent)
    except OSError:  # a link (ELOOP), a file (ENOTDIR), no permission, a read-only disk...
        return None


def user_folder() -> Path:
    """The user's own cache folder for briefings: `$XDG_CACHE_HOME/briefings`, else `~/.cache/briefings`.

    Never under a project: what is kept here (the machine's key, compiled templates) must not
    come with a project. Raises RuntimeError if there is no absolute home folder to be had (a
    relative or empty HOME would put it under the working folder, or at the root).
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(base):
        return Path(base, KEY_FILE[0])
    home = Path.home()
    if not home.is_absolute() or home == Path(home.anchor):
        raise RuntimeError("no absolute home folder")
    return home / ".cache" / KEY_FILE[0]


def private(info: os.stat_result, readable: bool = True) -> bool:
    """Whether a file or folder is the user's own: owned by them, writable by no one else, and (readable=False)
    readable by no one else. What the machine's key and what is sealed with it may only live in."""
    others = 0o077 if not readable else 0o022
    return info.st_uid == os.getuid() and not info.st_mode & others


def open_user_folder() -> int | None:
    """The user's cache folder (made if needed), opened without following a link in its own place;
    None if it cannot be had or is not private (owned by the user, writable by no one else)."""
    try:
        folder = user_folder()
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (OSError, RuntimeError):
        return None
    parent = open_dir(str(folder.parent), None, create=False)  # ~/.cache may be a link: that is the user's
    if parent is None:
        return None
    try:
        fd = open_dir(folder.name, parent, create=True)
    finally:
        os.close(parent)
    if fd is not None and not private(os.fstat(fd)):
        os.close(fd)
        return None
    return fd


def machine_key() -> bytes | None:
    """The secret every entry is sealed with, kept outside the project; None if there is none to be had.

    It lives in the user's cache folder (`$XDG_CACHE_HOME/briefings/build-key`, else
    `~/.cache/briefings/build-key`), made once with 32 random bytes. An entry that came with the
    project rather than from a build on this machine (committed with a change, copied from
    elsewhere, planted) carries no valid seal and is a miss: without the key nobody can forge
    a page's HTML or metadata under the right address. So the key is used only if nobody else
    could have written or read it: the folder and the file are the user's own, the folder
    writable and the file readable by no one else, and neither is a link.
    """
    folder = open_user_folder()
    if folder is None:
        return None
    name = KEY_FILE[1]
    try:
        try:
            os.stat(name, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            # Written whole under a fresh name, then linked into place: a reader never sees half a key.
            temp = f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(temp, WRITE_FLAGS, 0o600, dir_fd=folder)
            try:
                os.write(fd, secrets.token_bytes(SEAL))
            finally:
                os.close(fd)
            try:
                os.link(temp, name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
            except FileExistsError:
                pass  # another build made it first: use theirs
            finally:
                os.unlink(temp, dir_fd=folder)
        fd = os.open(name, READ_FLAGS, dir_fd=folder)
        try:
            info = os.fstat(fd)
            ok = stat.S_ISREG(info.st_mode) and private(info, readable=False)
            key = os.read(fd, SEAL + 1) if ok else b""
        finally:
            os.close(fd)
    except OSError:  # a read-only disk, a link in the key's place...
        return None
    finally:
        os.close(folder)
    return key if len(key) == SEAL else None


def seal(secret: bytes, kind: str, key: str, payload: bytes) -> bytes:
    """The seal of an entry: what it is (kind and key) and its bytes, under the machine's key."""
    return hmac.digest(secret, digest(kind, key, payload).encode("ascii"), "sha256")


def read_sealed(folder: int, name: str, kind: str, secret: bytes, limit: int, touch: bool = False) -> bytes | None:
    """The bytes of file `name` in folder (a descriptor) without their seal, if it is a regular file of at most
    limit bytes (seal included), not a link, sealed with secret for this kind and name; else None.
    touch: mark it used now (its modification time)."""
    try:
        fd = os.open(name, READ_FLAGS, dir_fd=folder)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        # Read what fstat reports (plus one byte, to see a file that grew meanwhile), never more than the
        # limit: each os.read allocates the size it is asked for, so asking for the limit every time cost
        # a 64 MiB allocation per build-cache entry (a third of a warm build's cache reads).
        parts, size = [], 0
        while size <= limit:
            want = info.st_size + 1 - size if size <= info.st_size else 1 << 20
            chunk = os.read(fd, min(want, limit + 1 - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        if touch:
            try:
                os.utime(fd)
            except OSError:  # a read-only folder: still read
                pass
    except OSError:
        return None
    finally:
        os.close(fd)
    sealed = b"".join(parts)
    if len(sealed) < SEAL or len(sealed) > limit:
        return None
    payload = sealed[SEAL:]
    return payload if hmac.compare_digest(sealed[:SEAL], seal(secret, kind, name, payload)) else None


def write_sealed(folder: int, name: str, kind: str, secret: bytes, payload: bytes) -> bool:
    """Write payload, sealed for this kind and name, as file `name` in folder (a descriptor): under a fresh
    name, then renamed into place (a link in its place is replaced, never followed); whether it was."""
    temp = f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(temp, WRITE_FLAGS, 0o600, dir_fd=folder)
        try:
            with os.fdopen(fd, "wb", closefd=False) as out:
                out.write(seal(secret, kind, name, payload) + payload)
        finally:
            os.close(fd)
        os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except OSError:
        try:
            os.unlink(temp, dir_fd=folder)
        except OSError:
            pass
        return False
    return True
