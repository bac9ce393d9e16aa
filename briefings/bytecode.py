"""Compiled templates kept between processes: Jinja's bytecode cache, sealed, in the user's cache folder.

Every build and every preview start compiles the theme's templates (about sixty) and ours
from source: about a second, as long as a whole one-page MkDocs build. Jinja can keep what it
compiled (a bucket of marshalled Python code per template) and load it next time; this is
that cache, with the build cache's discipline, because loading it runs what it holds:

- it lives in the user's cache folder (`sealing.user_folder()/templates-1/`), never under a
  project, so it never comes with one (a clone, an archive, a planted `.cache/`); that folder
  and this one are used only if they are the user's own and writable by no one else;
- each file is sealed with the machine's key (`sealing.seal`, the key the build cache uses, itself
  used only if no one else could read or write it): a file this machine's builds did not
  write is a miss, never unmarshalled;
- folders are opened without following a symbolic link and files written under a fresh name
  and renamed into place, so a link in the way is not used and a reader never sees half a file;
- a file's name covers the template (Jinja's key: its name and file), our code fingerprint
  (the versions of Jinja, MarkupSafe, MkDocs, Material and Python, and this package) and
  everything in the environment that Jinja builds into compiled code: its options and policies,
  and each filter and test, `finalize` and `autoescape` by name (Jinja applies filters and tests
  to literals, and `finalize` to literal text, while compiling). These are read when a
  template is loaded, after every plugin's `env` event. A callable whose code is not in the
  fingerprint (a hook's or another plugin's filter, a lambda) could change without the name
  changing, so an environment holding one keeps nothing here: it compiles as without the cache;
- Jinja itself checks the source's checksum and its own format on load;
- it is bounded: a write that finds more than `SealedBytecodeCache.max_files` (2,000) files removes
  the least recently used half (a load marks a file used). Safe to delete at any time; any problem is a miss.
"""

from __future__ import annotations

import json
import os

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket

from .cache import code_fingerprint
from .sealing import digest, machine_key, open_dir, open_user_folder, private, read_sealed, write_sealed

FOLDER = "templates-1"  # bump when a file's layout or meaning changes
KIND = "templates"  # what the seal names, so no build-cache entry passes for a compiled template
MAX_BYTES = 16 * 1024 * 1024  # of one file: the largest theme template compiles to about 100 KB


# Top-level modules whose code is in the code fingerprint (cache.PACKAGES, Python itself): their callables
# are known by name. Anything else (a hook, another plugin) is not, and keeps its environment out of the cache.
KNOWN = frozenset({"briefings", "jinja2", "markupsafe", "mkdocs", "material", "properdocs", "builtins", "_operator"})
_DEPTH = 4  # how far into closures and containers a value is described before giving up


def _described(value: object, depth: int = 0) -> str | None:
    """A description of value that is the same in every process exactly when it behaves the same; None if
    there is none (a callable whose code is not in the fingerprint, a value shown with its address)."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return repr(value)
    if depth > _DEPTH:
        return None
    if isinstance(value, (tuple, list, set, frozenset)):
        found = [_described(v, depth + 1) for v in value]
        items = [item for item in found if item is not None]
        if len(items) < len(found):
            return None
        shown = sorted(items) if isinstance(value, (set, frozenset)) else items
        return f"{type(value).__name__}({', '.join(shown)})"
    if isinstance(value, dict):
        pairs = [(_described(k, depth + 1), _described(v, depth + 1)) for k, v in value.items()]
        if any(k is None or v is None for k, v in pairs):
            return None
        return f"dict({sorted(f'{k}: {v}' for k, v in pairs)})"
    module, name = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not callable(value) or not isinstance(module, str) or not isinstance(name, str):
        return None
    if module.split(".")[0] not in KNOWN:
        return None
    try:  # what a closure holds can differ between processes with the same code (a setting it captured)
        held = [_described(cell.cell_contents, depth + 1) for cell in getattr(value, "__closure__", None) or ()]
    except ValueError:  # an empty cell
        return None
    if any(item is None for item in held):
        return None
    passes = getattr(value, "jinja_pass_arg", None)  # pass_context and the like: how Jinja calls it
    return f"{module}:{name}:{getattr(passes, 'name', passes)}:{held}"


def _state(env: Environment) -> tuple[object, ...]:
    """What env holds that Jinja builds into compiled code: its classes, the callables it applies while
    compiling (filters and tests to literals, `finalize` to literal text, `autoescape` per template),
    its policies, extensions and options."""
    return (
        type(env),
        env.undefined,
        env.code_generator_class,
        env.context_class,
        env.finalize,
        env.autoescape,
        dict(env.filters),
        dict(env.tests),
        dict(env.policies),
        sorted(env.extensions),
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
    )


def signature(env: Environment) -> str | None:
    """Everything besides a template's source that the code Jinja compiles from it depends on, as one hash;
    None if some of it cannot be known by name (then nothing is kept for env)."""
    return _signature(_state(env))


def _signature(state: tuple[object, ...]) -> str | None:
    described = [_described(value) for value in state]
    if any(item is None for item in described):
        return None
    return digest(code_fingerprint(), json.dumps(described))


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    """Whether two environment states hold the same values (callables: the same objects)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if isinstance(x, dict) and isinstance(y, dict):
            if x.keys() != y.keys() or any(x[k] is not y[k] and x[k] != y[k] for k in x):
                return False
        elif x is not y and (callable(x) or callable(y) or x != y):
            return False
    return True


class SealedBytecodeCache(BytecodeCache):
    """Jinja's bytecode cache in the user's cache folder, every file sealed with the machine's key."""

    max_files = 2000  # a few hundred templates' worth, even with many projects (our templates' key names their file)

    def __init__(self) -> None:
        self.secret = machine_key()
        self._folder: int | None = None
        self._opened = False
        # The last environment's state and signature: describing it takes ~2 ms, a build loads ~80 templates.
        # The state holds the callables themselves, so none can be freed and another take its address.
        self._signed: tuple[tuple[object, ...], str | None] | None = None

    def _dir(self) -> int | None:
        """The folder's descriptor (opened once, without following links); None if it cannot be had or
        is not the user's own (writable by no one else), or there is no key."""
        if not self._opened:
            self._opened = True
            top = open_user_folder() if self.secret is not None else None
            if top is not None:
                try:
                    folder = open_dir(FOLDER, top, create=True)
                finally:
                    os.close(top)
                if folder is not None and not private(os.fstat(folder)):
                    os.close(folder)
                    folder = None
                self._folder = folder
        return self._folder

    def close(self) -> None:
        """Let go of the folder (opened again if the cache is used after)."""
        if self._folder is not None:
            os.close(self._folder)
        self._folder, self._opened = None, False

    def __del__(self) -> None:
        self.close()

    def _name(self, bucket: Bucket) -> str | None:
        """The bucket's file name, for the environment as it is now; None if nothing may be kept for it."""
        state = _state(bucket.environment)
        if self._signed is None or not _same(self._signed[0], state):
            self._signed = (state, _signature(state))
        env_signature = self._signed[1]
        return digest(env_signature, bucket.key) if env_signature is not None else None

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill the bucket from its file if the file is this machine's, sealed for this name; else leave it empty."""
        folder = self._dir()
        name = self._name(bucket) if folder is not None else None
        if folder is None or name is None:
            return
        assert self.secret is not None  # a folder is opened only with a key
        # touch: used now, so the last to be removed when the folder is pruned
        payload = read_sealed(folder, name, KIND, self.secret, MAX_BYTES, touch=True)
        if payload is None:
            return
        try:
            bucket.bytecode_from_string(payload)  # Jinja checks its format and the source's checksum
        except Exception:  # sealed here, so only another Jinja's format could get here: compile again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Write the bucket's code, sealed, under a fresh name renamed into place; a failure is no error."""
        folder = self._dir()
        name = self._name(bucket) if folder is not None else None
        if folder is None or name is None:
            return
        assert self.secret is not None  # a folder is opened only with a key
        if write_sealed(folder, name, KIND, self.secret, bucket.bytecode_to_string()):
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
    env.bytecode_cache = SealedBytecodeCache()
    return env
