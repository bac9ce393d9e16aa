"""The exception family and how a list of problems is printed."""

from __future__ import annotations

from dataclasses import dataclass


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
        return text


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

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or 0, p.field))
        super().__init__(self.format())

    def format(self) -> str:
        """All problems, one per line, then a count."""
        lines = [p.format() for p in self.problems]
        files = len({p.file for p in self.problems})
        noun = "problem" if len(self.problems) == 1 else "problems"
        lines.append(f"{len(self.problems)} {noun} in {files} data file{'s' if files != 1 else ''}")
        return "\n".join(lines)
