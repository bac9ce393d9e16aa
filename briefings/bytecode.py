"""Compiled templates kept between processes: Jinja's bytecode cache, sealed, in the user's cache folder.

Every build and every preview start compiles the theme's templates (about sixty) and ours
from source: about a second, as long as a whole one-page MkDocs build. Jinja can keep what it
compiled (a bucket of marshalled Python code per template) and load it next time; this is
that cache, with the build cache's discipline, because loading it runs what it holds:

- it lives in the user's cache folder (`cache.user_folder()/templates-1/`), never under a
  project, so it never comes with one (a clone, an archive, a planted `.cache/`);
- each file is sealed with the machine's key (`cache.seal`, the key the build cache uses): a
  file this machine's builds did not write is a miss, never unmarshalled;
- folders are opened without following a symbolic link and files written under a fresh name
  and renamed into place, so a link in the way is not used and a reader never sees half a file;
- a file's name covers the template (Jinja's key: its name and file), the environment's
  options that change the compiled code, and our code fingerprint (the versions of Jinja,
  MkDocs, Material and Python, and this package, which sets our environment's options);
  Jinja itself checks the source's checksum and its own format on load;
- it is bounded: a write that finds more than MAX_FILES files removes the least recently used
  half (a load marks a file used). Safe to delete at any time; any problem is a miss.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import stat

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket

from .cache import READ_FLAGS, SEAL, WRITE_FLAGS, code_fingerprint, digest, machine_key, open_dir, seal, user_folder

FOLDER = "templates-1"  # bump when a file's layout or meaning changes
KIND = "templates"  # what the seal names, so no build-cache entry passes for a compiled template
MAX_BYTES = 16 * 1024 * 1024  # of one file: the largest theme template compiles to about 100 KB


def options_of(env: Environment) -> str:
    """What the code Jinja compiles depends on besides a template's source, as one hash."""
    autoescape = env.autoescape if isinstance(env.autoescape, bool) else getattr(env.autoescape, "__qualname__", "?")
    finalize = getattr(env.finalize, "__qualname__", repr(env.finalize)) if env.finalize is not None else None
    options = [
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        autoescape,
        finalize,
        env.undefined.__qualname__,
        sorted(env.extensions),
    ]
    return digest(code_fingerprint(), json.dumps(options))


class SealedBytecodeCache(BytecodeCache):
    """Jinja's bytecode cache in the user's cache folder, every file sealed with the machine's key."""

    max_files = 2000  # a few hundred templates' worth, even with many projects (our templates' key names their file)

    def __init__(self, options: str) -> None:
        self.options = options
        self.secret = machine_key()
        self._folder: int | None = None
        self._opened = False

    def _dir(self) -> int | None:
        """The folder's descriptor (opened once, without following links); None if it cannot be had."""
        if not self._opened:
            self._opened = True
            if self.secret is not None:
                try:
                    top = open_dir(str(user_folder()), None, create=False)
                except RuntimeError:  # no home folder
                    top = None
                if top is not None:
                    try:
                        self._folder = open_dir(FOLDER, top, create=True)
                    finally:
                        os.close(top)
        return self._folder

    def close(self) -> None:
        """Let go of the folder (opened again if the cache is used after)."""
        if self._folder is not None:
            os.close(self._folder)
        self._folder, self._opened = None, False

    def __del__(self) -> None:
        self.close()

    def _name(self, bucket: Bucket) -> str:
        return digest(self.options, bucket.key)

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill the bucket from its file if the file is this machine's, sealed for this name; else leave it empty."""
        folder = self._dir()
        if folder is None or self.secret is None:
            return
        name = self._name(bucket)
        try:
            fd = os.open(name, READ_FLAGS, dir_fd=folder)
        except OSError:
            return
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
                return
            sealed = os.read(fd, info.st_size + 1)
            os.utime(fd)  # used now: the last to be removed when the folder is pruned
        except OSError:
            return
        finally:
            os.close(fd)
        payload = sealed[SEAL:]
        if len(sealed) <= SEAL or not hmac.compare_digest(sealed[:SEAL], seal(self.secret, KIND, name, payload)):
            return
        try:
            bucket.bytecode_from_string(payload)  # Jinja checks its format and the source's checksum
        except Exception:  # sealed here, so only another Jinja's format could get here: compile again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Write the bucket's code, sealed, under a fresh name renamed into place; a failure is no error."""
        folder = self._dir()
        if folder is None or self.secret is None:
            return
        name = self._name(bucket)
        payload = bucket.bytecode_to_string()
        temp = f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(temp, WRITE_FLAGS, 0o600, dir_fd=folder)
            try:
                with os.fdopen(fd, "wb", closefd=False) as out:
                    out.write(seal(self.secret, KIND, name, payload) + payload)
            finally:
                os.close(fd)
            os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
        except OSError:
            try:
                os.unlink(temp, dir_fd=folder)
            except OSError:
                pass
            return
        self._prune(folder)

    def _prune(self, folder: int) -> None:
        """Remove the least recently used half once there are more than max_files files."""
        try:
            names = os.listdir(folder)
        except OSError:
            return
        if len(names) <= self.max_files:
            return
        used = []
        for name in names:
            try:
                used.append((os.stat(name, dir_fd=folder, follow_symlinks=False).st_mtime_ns, name))
            except OSError:
                continue
        for _, name in sorted(used)[: len(used) - self.max_files // 2]:
            try:
                os.unlink(name, dir_fd=folder)
            except OSError:  # a folder someone put there, or removed meanwhile
                pass


def keep_compiled(env: Environment) -> Environment:
    """Have env keep the templates it compiles between processes (and load them from there)."""
    env.bytecode_cache = SealedBytecodeCache(options_of(env))
    return env
