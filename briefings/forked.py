"""Work done in a forked copy of this process, on another core; its result and its log records come back.

The engine hands a forked helper a share of a cold build's pages to convert and write
(engine.build): a fork holds every structure the build made so far (configuration, files,
navigation, theme environment, plugins' state), so it converts its pages exactly as this
process would, and nothing is pickled or read again. The helper sends back JSON through a
pipe: what its work returned, every log record it emitted (replayed here, so strict mode
counts its warnings and its errors read as this process's) and the error it ended with.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import traceback
from collections.abc import Callable
from typing import Any


class ForkedError(Exception):
    """The error a helper ended with; expected: it was one of the kinds its caller named (said as is)."""

    def __init__(self, message: str, expected: bool) -> None:
        super().__init__(message)
        self.expected = expected


def usable_cores() -> int:
    """The cores this process may run on (1 where processes cannot fork)."""
    if not hasattr(os, "fork"):
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Capture(logging.Handler):
    """Every record the helper's loggers handle, once, as JSON-ready fields."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[dict[str, Any]] = []
        self._last: logging.LogRecord | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record is self._last:  # the same record on its way up to a logger that also captures
            return
        self._last = record
        fields = {"name": record.name, "levelno": record.levelno, "levelname": record.levelname}
        fields["msg"] = record.getMessage()
        if record.exc_info:
            fields["exc_text"] = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        self.records.append(fields)


def _capture_logs() -> _Capture:
    """Take every handler away in the helper (they stay the parent's: consoles, counters) and capture instead."""
    capture = _Capture()
    loggers = [logging.getLogger()]
    loggers += [v for v in logging.Logger.manager.loggerDict.values() if isinstance(v, logging.Logger)]
    for logger in loggers:
        # Every logger that had handlers gets the capture, so a logger that does not propagate is heard too.
        if logger.handlers or logger is loggers[0]:
            logger.handlers = [capture]
    return capture


class Forked:
    """A forked helper running `work`; `result()` waits for it, `stop()` ends it if still running.

    expected: the kinds of error whose message is for the user (ForkedError.expected).
    """

    def __init__(self, work: Callable[[], Any], expected: tuple[type[BaseException], ...] = ()) -> None:
        read, write = os.pipe()
        # What exists now is the parent's: frozen, the helper's garbage collections never walk it
        # (which costs time and copies every page of memory they touch). The parent thaws it at once.
        gc.freeze()
        pid = os.fork()
        if pid == 0:  # the helper: never returns
            os.close(read)
            _run(work, write, expected)
        gc.unfreeze()
        os.close(write)
        self.pid: int | None = pid
        self.fd: int | None = read

    def result(self) -> Any:
        """What the work returned, once the helper ended; its log records are handled here first.

        Raises ForkedError with the helper's error, or when it ended without saying (killed).
        """
        assert self.fd is not None and self.pid is not None, "result() once"
        chunks = []
        while chunk := os.read(self.fd, 1 << 20):
            chunks.append(chunk)
        os.close(self.fd)
        self.fd = None
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        try:
            sent = json.loads(b"".join(chunks))
        except ValueError:
            raise ForkedError(f"a helper process ended without a result ({_ended(status)})", False) from None
        for fields in sent["records"]:
            record = logging.makeLogRecord({**fields, "args": None})
            logging.getLogger(record.name).handle(record)
        if sent["error"] is not None:
            raise ForkedError(sent["error"], sent["expected"])
        return sent["value"]

    def stop(self) -> None:
        """End the helper if it still runs (this process failed first) and let go of it."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = None


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _run(work: Callable[[], Any], fd: int, expected: tuple[type[BaseException], ...]) -> None:
    """The helper's whole life: do the work, send what came of it, exit without running the parent's cleanup."""
    status = 1
    try:
        capture = _capture_logs()
        sent: dict[str, Any] = {"value": None, "error": None, "expected": False}
        try:
            sent["value"] = work()
            status = 0
        except BaseException as exc:  # every way out is reported to the parent
            sent["error"] = str(exc) or type(exc).__name__
            sent["expected"] = isinstance(exc, expected)
        sent["records"] = capture.records
        data = json.dumps(sent, ensure_ascii=False).encode("utf-8", "surrogatepass")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os._exit(status)  # never the parent's atexit handlers, finally blocks or temporary-folder cleanup
