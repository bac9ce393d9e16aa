"""Work done in a forked copy of this process, on another core; its result and its log records come back.

The engine hands a forked helper a share of a cold build's pages to convert and write
(engine.build), and the renderer a share of the pages to fill (render.fill_shared): a fork
holds every structure made so far (dataset, templates, configuration, navigation, plugins'
state), so it does its share exactly as this process would, and nothing is pickled or read
again. The helper sends back JSON frames through a pipe: first every log record it emitted
(replayed here, so strict mode counts its warnings and its errors read as this process's) and
the error it ended with, then each item its work returned, read and decoded one at a time (a
large share never sits here twice, as bytes and as objects).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO


class ForkedError(Exception):
    """The error a helper ended with; expected: it was one of the kinds its caller named (said as is);
    where: what the helper's `where` said when it failed (None without one)."""

    def __init__(self, message: str, expected: bool, where: Any = None) -> None:
        super().__init__(message)
        self.expected = expected
        self.where = where


def usable_cores() -> int:
    """The cores this process may run on (1 where processes cannot fork)."""
    if not hasattr(os, "fork"):
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def shares(count: int, jobs: int, minimum: int) -> list[range]:
    """The positions of `count` items dealt among up to `jobs` processes, each given at least `minimum`.

    Interleaved (every `jobs`-th item), so long and short items spread evenly; the first share
    is this process's, each other one a helper's. One share when the items are too few to split.
    """
    parts = max(1, min(jobs, count // max(1, minimum)))
    return [range(i, count, parts) for i in range(parts)]


class _Capture(logging.Handler):
    """Every record the loggers handle, once, each marked with where the work was (`where()`) when it came."""

    def __init__(self, where: Callable[[], Any]) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []
        self.where = where
        self._last: logging.LogRecord | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record is self._last:  # the same record on its way up to a logger that also captures
            return
        self._last = record
        try:
            record.getMessage()
        except Exception:  # a malformed log call: reported and skipped, as every standard handler does
            self.handleError(record)
            return
        record.where = self.where()
        self.records.append(record)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """A captured record as JSON-ready fields (`makeLogRecord` makes it again)."""
    fields = {"name": record.name, "levelno": record.levelno, "levelname": record.levelname}
    fields |= {"msg": record.getMessage(), "where": getattr(record, "where", None)}
    if record.exc_info:
        fields["exc_text"] = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    return fields


@contextmanager
def captured(where: Callable[[], Any] = lambda: None) -> Iterator[_Capture]:
    """While the block runs, every logger's handlers are replaced by one capture (so nothing is printed or
    counted yet); afterwards they are as before. A logger that does not propagate is heard too."""
    capture = _Capture(where)
    loggers = [logging.getLogger()]
    loggers += [v for v in logging.Logger.manager.loggerDict.values() if isinstance(v, logging.Logger)]
    kept = {logger: logger.handlers for logger in loggers if logger.handlers or logger is loggers[0]}
    for logger in kept:
        logger.handlers = [capture]
    try:
        yield capture
    finally:
        for logger, handlers in kept.items():
            logger.handlers = handlers


def replay(records: Iterable[logging.LogRecord]) -> None:
    """Handle captured records as if they were logged now (printed, counted by strict mode)."""
    for record in records:
        logging.getLogger(record.name).handle(record)


class Forked:
    """A forked helper running `work` (which returns a list); `items()` or `result()` read what it sent,
    `stop()` ends it if still running.

    expected: the kinds of error whose message is for the user (ForkedError.expected).
    where: what marks each of the helper's log records (and its error) with where its work was.
    replay: handle the helper's log records here as `items()` starts; False keeps them in `records`
    for the caller to replay (in the order one process would have logged them).
    """

    def __init__(
        self,
        work: Callable[[], list[Any]],
        expected: tuple[type[BaseException], ...] = (),
        where: Callable[[], Any] = lambda: None,
        replay: bool = True,
    ) -> None:
        self.replay = replay
        self.records: list[logging.LogRecord] = []
        read, write = os.pipe()
        parent = os.getpid()
        # What exists now is the parent's: frozen, the helper's garbage collections never walk it
        # (which costs time and copies every page of memory they touch). The parent thaws it at once.
        gc.freeze()
        try:
            pid = os.fork()
        except BaseException:  # no process to fork: nothing is left open or frozen
            gc.unfreeze()
            os.close(read)
            os.close(write)
            raise
        if pid == 0:  # the helper: never returns
            os.close(read)
            _die_with(parent)
            _run(work, write, expected, where)
        gc.unfreeze()
        os.close(write)
        self.pid: int | None = pid
        self.pipe: BinaryIO | None = os.fdopen(read, "rb", buffering=1 << 20)

    def items(self) -> Iterator[Any]:
        """Each item the work returned, as it is read; the helper's log records are handled here first.

        Raises ForkedError with the helper's error, or when it ended without saying all (killed).
        """
        assert self.pipe is not None and self.pid is not None, "read once"
        header = _frame(self.pipe)
        if header is None:
            raise ForkedError(f"a helper process ended without a result ({self._end()})", False)
        self.records = [logging.makeLogRecord({**fields, "args": None}) for fields in header["records"]]
        for record in self.records:
            record.where = _where(getattr(record, "where", None))
        if self.replay:
            replay(self.records)
        if header["error"] is not None:
            self._end()
            raise ForkedError(header["error"], header["expected"], _where(header.get("where")))
        for _ in range(header["items"]):
            item = _frame(self.pipe)
            if item is None:
                raise ForkedError(f"a helper process ended before sending all ({self._end()})", False)
            yield item["item"]
        self._end()

    def result(self) -> Any:
        """The one item the work returned (see `items`)."""
        [item] = list(self.items())
        return item

    def _end(self) -> str:
        """Close the pipe, wait for the helper; how it ended."""
        assert self.pipe is not None and self.pid is not None
        self.pipe.close()
        self.pipe = None
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if os.WIFSIGNALED(status):
            return f"signal {os.WTERMSIG(status)}"
        return f"exit status {os.waitstatus_to_exitcode(status)}"

    def stop(self) -> None:
        """End the helper if it still runs (this process failed first, or stopped reading) and let go of it."""
        if self.pipe is not None:
            self.pipe.close()
            self.pipe = None
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = None


LENGTH = 8  # bytes of a frame's length, big-endian
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent ends


def _die_with(parent: int) -> None:
    """In a helper: be killed when the parent ends, however it ends (SIGKILL, SIGTERM without cleanup),
    so no helper goes on writing into a folder the next build removes; exit if it has ended already."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent still stops its helpers on every way out it sees
        pass
    if os.getppid() != parent:  # the parent ended before the request was made
        os._exit(1)


def _frame(pipe: BinaryIO) -> Any:
    """The next frame's JSON, None at the end of the pipe (or a frame cut short)."""
    size = pipe.read(LENGTH)
    if len(size) < LENGTH:
        return None
    payload = pipe.read(int.from_bytes(size, "big"))
    if len(payload) < int.from_bytes(size, "big"):
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return None


def _send(out: BinaryIO, value: Any) -> None:
    payload = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    out.write(len(payload).to_bytes(LENGTH, "big"))
    out.write(payload)


def _where(value: Any) -> Any:
    """A `where` as sent (JSON makes tuples lists) as it was."""
    return tuple(_where(v) for v in value) if isinstance(value, list) else value


def _run(
    work: Callable[[], list[Any]], fd: int, expected: tuple[type[BaseException], ...], where: Callable[[], Any]
) -> None:
    """The helper's whole life: do the work, send what came of it, exit without running the parent's cleanup."""
    status = 1
    try:
        header: dict[str, Any] = {"error": None, "expected": False, "items": 0, "where": None}
        value: list[Any] = []
        # The parent's handlers (consoles, counters) are taken away for good: the parent handles the records.
        with captured(where) as capture:
            try:
                value = list(work())
                header["items"] = len(value)
                status = 0
            except BaseException as exc:  # every way out is reported to the parent
                header["error"] = str(exc) or type(exc).__name__
                header["expected"] = isinstance(exc, expected)
                header["where"] = where()
        header["records"] = [_fields(record) for record in capture.records]
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            _send(out, header)
            for item in value:
                _send(out, {"item": item})
    finally:
        os._exit(status)  # never the parent's atexit handlers, finally blocks or temporary-folder cleanup
