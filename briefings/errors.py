"""The exception family and how a list of problems is printed."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """text with control characters (C0, DEL, C1), format characters (bidi overrides, zero-width)
    and line/paragraph separators escaped as `\\x1b`, `\\n`, `\\u202e`: a crafted file name
    can neither forge an error line nor send escape sequences to a terminal."""
    if text.isprintable() and text.isascii():
        return text
    return "".join(
        _escape_char(ch) if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") else ch for ch in text
    )


def printable_lines(text: str) -> str:
    """printable() for a multi-line message: its own line breaks stay, everything else is escaped."""
    return "\n".join(printable(line) for line in text.split("\n"))


def printable_message(text: str) -> str:
    """printable() for a log message that may quote file names or links (MkDocs' do).

    A line break is kept only where the next line is indented, as the continuation lines
    of a message are (MkDocs lists files as `\\n  - name`; this tool indents the problems
    under its own headings); every other one is escaped like any control character. So a
    file name such as `x\\nERROR fake` can never start a line that reads as a message of its own.
    """
    lines = text.split("\n")
    out = [printable(lines[0])]
    for line in lines[1:]:
        out.append(("\n" if line.startswith(" ") else "\\n") + printable(line))
    return "".join(out)


def indented(text: str, prefix: str = "  ") -> str:
    """Every line of text indented: the continuation lines of a multi-line log message."""
    return "\n".join(prefix + line for line in text.split("\n"))


class PrintableFilter(logging.Filter):
    """Escapes control characters in log messages (MkDocs logs the names of files in docs/)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        escaped = printable_message(message)
        if escaped != message:
            record.msg, record.args = escaped, None
        return True


def escape_log_output(logger: logging.Logger) -> None:
    """Add a PrintableFilter to each handler of logger (once)."""
    for handler in logger.handlers:
        if not any(isinstance(f, PrintableFilter) for f in handler.filters):
            handler.addFilter(PrintableFilter())


class BriefingError(Exception):
    """Base of every error this tool reports to a user (never with a traceback)."""

    exit_code = 1


class UsageError(BriefingError):
    """The command line was wrong."""

    exit_code = 3


class BuildError(BriefingError):
    """The MkDocs build, the publish step or the output folder failed."""

    exit_code = 1


class LinkCheckError(BriefingError):
    """The built site has broken links or unsafe markup."""

    exit_code = 1


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a data file, located by file, line, column and field path."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str
    expected: str = ""
    severity: str = "error"  # or "warning": reported, but does not fail the build

    def format(self) -> str:
        """Render as `file:LINE[:COL]: field: message (expected ...)`."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        label = "warning: " if self.severity == "warning" else ""
        text = f"{where}: {self.field or '(file)'}: {label}{self.message}"
        if self.expected:
            text += f" (expected {self.expected})"
        return printable(text)


class RenderError(BriefingError):
    """A template failed while rendering a page; names the page, the data file and the template line."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(self.format())

    def format(self) -> str:
        """The problem, one line each."""
        return "\n".join(p.format() for p in self.problems)


class DataError(BriefingError):
    """One or more data files are invalid; carries every problem found."""

    exit_code = 2
    noun = "data file"

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or 0, p.field))
        super().__init__(self.format())

    def format(self) -> str:
        """All problems, one per line, then a count."""
        lines = [p.format() for p in self.problems]
        files = len({p.file for p in self.problems})
        noun = "problem" if len(self.problems) == 1 else "problems"
        lines.append(f"{len(self.problems)} {noun} in {files} {self.noun}{'s' if files != 1 else ''}")
        return "\n".join(lines)
