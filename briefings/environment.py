"""The Jinja environment: escaping by default, display filters, and errors that name the template line.

Data text is untrusted. Every `{{ value }}` in a template passes through `finalize`,
which escapes it for Markdown *and* HTML at once by turning every character that
could start Markdown, HTML or an attribute list into a numeric character reference.
Only values marked trusted (Markup: macro output, validated ids and URLs) pass as
they are. Python prepares data; templates decide how it looks.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .bytecode import keep_compiled
from .display import counted, figure_value, format_date, format_when, miles, month_name, number
from .errors import Problem, RenderError
from .routes import anchor
from .vocabulary import (
    ENTITY_KINDS,
    STATEMENT_STATUS_RULE,
    STATUS_DECISION_ORDER,
    Channel,
    Credibility,
    Likelihood,
    Relation,
    Reliability,
    Section,
    SourceKind,
    Status,
)

# Characters that can start Markdown, HTML, an attribute list, an entity or emoji
# syntax anywhere in a line. `-`, `.` and digits only matter at the start of a line,
# handled below, so ordinary prose keeps its hyphens and full stops.
_SPECIAL = set('\\`*_{}[]#|~^=<>&"')
_ENTITIES = {ord(ch): f"&#{ord(ch)};" for ch in _SPECIAL}
_LEADING = re.compile(r"^(\d+)([.)])|^([-.+])")
# Everything a Markdown parser or str.splitlines() could treat as a line break.
_BREAKS = re.compile(r"[ ]*[\r\n\t\f\v\x1c-\x1e\x85\u2028\u2029]+[ ]*")


def md_escape(value: object) -> str:
    """Escape any value so Markdown and HTML show it as literal text, on one line."""
    text = str(value)
    # A newline could end an HTML block or start a new Markdown block; HTML shows
    # any whitespace run as one space anyway, so the reader sees the same text.
    text = _BREAKS.sub(" ", text)
    out = text.translate(_ENTITIES)
    out = _LEADING.sub(lambda m: f"{m.group(1)}&#{ord(m.group(2))};" if m.group(1) else f"&#{ord(m.group(3))};", out)
    # Leading spaces would indent a code block; trailing ones would make a <br>.
    core = out.strip(" ")
    if core == out:
        return out
    start = out.index(core) if core else len(out)
    return "&#32;" * start + core + "&#32;" * (len(out) - start - len(core))


def for_theme(value: Any) -> Any:
    """Data bound for the theme (page head, header, OpenGraph, navigation), HTML-escaped once, here.

    MkDocs renders theme templates with autoescape off, so every string this returns is
    Markup holding the escaped text (every HTML, Markdown and template syntax character as
    a character reference, as `md_escape` writes the body): the theme prints it as it is,
    and `|e` leaves it alone.
    Lists, tuples and dicts are escaped item by item; Markup (e.g. script-safe JSON-LD) passes.
    """
    if hasattr(value, "__html__"):
        return value
    if isinstance(value, str):
        return _theme_text(str(value))
    if isinstance(value, dict):
        return {k: for_theme(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(for_theme(v) for v in value)
    return value


@lru_cache(maxsize=4096)  # a pure function; every page's head repeats the site's name, dates, tags ...
def _theme_text(value: str) -> Markup:
    """A string for the theme, escaped."""
    # Markdown and template syntax as character references too, as in the page body:
    # the raw-syntax scan (markup.RawSyntaxScan) then knows the header's text is data.
    return Markup(md_escape(value).replace("'", "&#39;"))


def _finalize(value: Any) -> Any:
    if hasattr(value, "__html__"):
        return value
    if value is None:
        raise ValueError("a template printed None; guard optional fields with {% if %}")
    return Markup(md_escape(value))


def _join(items: Iterable[Any], sep: str = "") -> Markup:
    return Markup(sep).join(_finalize(i) for i in items)


# --------------------------------------------------------------------------- trusted values


def safe_url(value: str) -> Markup:
    """An http(s) URL, percent-encoded so it cannot break out of a Markdown link or attribute."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"refusing to link a non-http(s) URL: {value!r}")
    return Markup(quote(value, safe="/:?#&=;,+%@!$~.-_[]").replace("&", "&amp;"))


_PATH_RE = re.compile(r"^[MLZ0-9. \-]*$")


def safe_path(value: str) -> Markup:
    """SVG path data made of commands and numbers only."""
    if not _PATH_RE.match(value):
        raise ValueError("refusing SVG path data with characters other than M, L, Z and numbers")
    return Markup(value)


def render_error(
    exc: Exception, templates_dir: Path, template: str, src_uri: str, data_file: str | None
) -> RenderError:
    """A RenderError naming the template line that failed, the page and the data file it showed."""
    where, line = f"templates/{template}", None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            path = Path(frame.filename)
            inside = path.is_relative_to(templates_dir)
            where = f"{templates_dir.name}/{path.relative_to(templates_dir).as_posix()}" if inside else path.name
            line = frame.lineno
    source = f" (data: {data_file})" if data_file else ""
    message = f"{type(exc).__name__}: {exc}{source}"
    return RenderError([Problem(where, line, None, f"rendering {src_uri}", message)])


def make_environment(templates_dir: Path) -> Environment:
    """The Jinja environment: strict, Markdown-escaping, with display filters."""
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        undefined=StrictUndefined,
        autoescape=True,  # so macro output is Markup and is not escaped twice
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,
    )
    keep_compiled(env)  # compiled once per machine, not once per process (briefings/bytecode.py)
    # Jinja's own escape and join only HTML-escape; make them escape for Markdown too.
    env.filters.update(
        e=_finalize,
        escape=_finalize,
        join=_join,
        anchor=anchor,
        url=safe_url,
        number=number,
        counted=counted,
        figure_value=figure_value,
        miles=miles,
        date=format_date,
        when=format_when,
        month=month_name,
        safe_path=safe_path,
    )
    env.globals.update(
        STATUS_DECISION_ORDER=STATUS_DECISION_ORDER,
        STATEMENT_STATUS_RULE=STATEMENT_STATUS_RULE,
        Likelihood=Likelihood,
        ENTITY_KINDS=ENTITY_KINDS,
        Status=Status,
        Channel=Channel,
        SourceKind=SourceKind,
        Section=Section,
        Reliability=Reliability,
        Credibility=Credibility,
        Relation=Relation,
    )
    return env
