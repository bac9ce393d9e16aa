"""Read data files safely and parse their YAML, keeping a line for every field.

Only regular files are read (never through a symbolic link), at most MAX_BYTES of them.
YAML is read as parser events and built here (never constructed by PyYAML), so no tag
can build an object, aliases are refused before they can expand, duplicate keys are
caught, nesting depth and list length are bounded, and every value keeps the line it
came from. Scalars follow YAML 1.2's core schema
(`NO` stays a string, `12:30:00` is not a number, dates stay strings for the model).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel

from .errors import Problem
from .files import decode_utf8, read_regular_file
from .scalars import Loc, dotted

MAX_BYTES = 2 * 1024 * 1024  # a briefing is ~20 KB; anything this big is a mistake or an attack
MAX_NODES = 200_000
MAX_DEPTH = 40  # nesting levels; a briefing needs fewer than 10
MAX_ITEMS = 2_000  # items in one list; a briefing has at most ~100
MAX_NUMBER_CHARS = 100  # digits, sign, point and exponent of one number

M = TypeVar("M", bound=BaseModel)

try:  # libyaml's C parser is ~10x faster; PyYAML has it when built with libyaml (its wheels are)
    from yaml.cyaml import CParser as _CParser  # type: ignore[attr-defined]  # stubs re-export it implicitly
except ImportError:  # pragma: no cover
    _CParser = None  # type: ignore[assignment,misc]


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: booleans, null, ints and floats only; everything else is a string."""


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


if _CParser is None:  # pragma: no cover

    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, _Resolver):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            _Resolver.__init__(self)

else:

    class _Parser(_CParser, _Resolver):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _Resolver.__init__(self)


_STR, _INT, _FLOAT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class _Abort(Exception):
    """Stops construction of a file that cannot be read further."""


class Document:
    """A parsed data file: plain Python data plus the (line, column) of every field path.

    The data and the marks take several times the memory of the file's text, and once a
    file validated only a problem or a warning needs them again: `release` lets go of both
    and keeps the file's bytes, which are parsed again the next time either is read.
    """

    __slots__ = ("path", "_data", "_marks", "_key_marks", "source")

    def __init__(
        self,
        path: str,
        data: Any,
        marks: dict[Loc, tuple[int, int]],
        key_marks: dict[Loc, tuple[int, int]],
        source: bytes | None = None,
    ) -> None:
        self.path = path
        self._data = data
        self._marks: dict[Loc, tuple[int, int]] | None = marks  # where each value starts
        self._key_marks: dict[Loc, tuple[int, int]] | None = key_marks  # where each mapping key starts
        self.source = source  # the file's bytes, to parse again after `release` (None: never released)

    def __repr__(self) -> str:
        return f"Document({self.path!r})"

    @classmethod
    def unparsed(cls, path: str, source: bytes) -> Document:
        """The document of bytes known to parse (they did before), parsed on first use of its data or marks."""
        doc = cls(path, None, {}, {}, source)
        doc.release()
        return doc

    @property
    def data(self) -> Any:
        """The file's data, as plain Python values."""
        self._restore()
        return self._data

    @property
    def marks(self) -> dict[Loc, tuple[int, int]]:
        """Where each value starts: (line, column) by field path."""
        self._restore()
        assert self._marks is not None
        return self._marks

    @property
    def key_marks(self) -> dict[Loc, tuple[int, int]]:
        """Where each mapping key starts: (line, column) by field path."""
        self._restore()
        assert self._key_marks is not None
        return self._key_marks

    @property
    def released(self) -> bool:
        """True while the data and marks are let go of (read again from source on demand)."""
        return self._marks is None

    def release(self) -> None:
        """Let go of the data and marks if the file's bytes are kept to find them again."""
        if self.source is not None:
            self._data = self._marks = self._key_marks = None

    def _restore(self) -> None:
        if self._marks is not None:
            return
        assert self.source is not None
        again, _ = parse_bytes(self.source, self.path)
        assert again is not None, f"{self.path} parsed once but not again"
        self._data, self._marks, self._key_marks = again._data, again._marks, again._key_marks

    def locate(self, loc: Loc, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column of loc's value (or key), else of its closest located parent's key."""
        marks, key_marks = self.marks, self.key_marks
        if not key and loc in marks:
            return marks[loc]
        for end in range(len(loc), -1, -1):
            if loc[:end] in key_marks:
                return key_marks[loc[:end]]
            if loc[:end] in marks and (end == 0 or isinstance(loc[end - 1], int)):
                return marks[loc[:end]]
        return None, None


class _Frame:
    """A mapping or sequence being built: where it starts and what it holds so far."""

    __slots__ = ("loc", "mark", "data", "is_map", "key", "has_key", "drop_value")

    def __init__(self, loc: Loc, mark: tuple[int, int], is_map: bool) -> None:
        self.loc = loc
        self.mark = mark
        self.is_map = is_map
        self.data: Any = {} if is_map else []
        self.key: Any = None
        self.has_key = False  # a key was read; the next node is its value
        self.drop_value = False  # the key was refused; its value is read but not kept


class _Builder:
    """Turns the parser's events into Python data, recording marks and problems.

    libyaml's composer builds nodes recursively in C (deep nesting crashes the process)
    and shares one node between an anchor and its aliases, so events are consumed here
    with an explicit stack: nesting depth, list length, value count and aliases are all
    bounded before anything is built.
    """

    def __init__(self, path: str, parser: Any) -> None:
        self.path = path
        self.parser = parser
        self.marks: dict[Loc, tuple[int, int]] = {}
        self.key_marks: dict[Loc, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.root_mark = (1, 1)

    def problem(self, mark: tuple[int, int], loc: Loc, message: str, expected: str = "") -> None:
        self.problems.append(Problem(self.path, mark[0], mark[1], dotted(loc), message, expected))

    def _skip(self) -> None:
        """Consume the rest of a collection whose start event was just read, building nothing."""
        depth = 1
        get = self.parser.get_event
        while depth:
            event = get()
            if isinstance(event, _START):
                depth += 1
            elif isinstance(event, _END):
                depth -= 1

    def build(self) -> Any:
        """Read one document's root node (the DocumentStartEvent already consumed)."""
        get = self.parser.get_event
        stack: list[_Frame] = []
        while True:
            event = get()
            cls = type(event)
            if cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                frame = stack.pop()
                value, mark = frame.data, frame.mark
            else:
                parent = stack[-1] if stack else None
                if parent is None:
                    loc: Loc = ()
                elif not parent.is_map:
                    loc = (*parent.loc, len(parent.data))
                    if len(parent.data) >= MAX_ITEMS:
                        self.problem(
                            parent.mark,
                            parent.loc,
                            f"list has more than {MAX_ITEMS} items",
                            f"at most {MAX_ITEMS} items",
                        )
                        raise _Abort
                elif parent.has_key:
                    if parent.drop_value:  # the value of a refused key: read past it
                        if cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                            self._skip()
                        parent.has_key = parent.drop_value = False
                        continue
                    loc = (*parent.loc, parent.key)
                else:
                    loc = (*parent.loc, "<key>")
                start = event.start_mark
                mark = (start.line + 1, start.column + 1)
                self.count += 1
                if self.count > MAX_NODES:
                    self.problem(mark, loc, f"file has more than {MAX_NODES} values", "a briefing of reasonable size")
                    raise _Abort
                if cls is yaml.AliasEvent:
                    self.problem(mark, loc, "YAML aliases (*name) are not allowed", "every value written out in full")
                    raise _Abort
                if loc not in self.marks:
                    self.marks[loc] = mark
                if parent is None:
                    self.root_mark = mark
                if cls is yaml.ScalarEvent:
                    value = self.scalar(event, mark, loc)
                else:
                    is_map = cls is yaml.MappingStartEvent
                    tag = event.tag
                    if tag is None or tag == "!":
                        tag = _MAP if is_map else _SEQ
                    if tag != (_MAP if is_map else _SEQ):
                        self.problem(mark, loc, f"YAML tag {tag!r} is not allowed", "plain YAML without tags")
                        self._skip()
                        value = None
                    elif len(stack) >= MAX_DEPTH:
                        self.problem(mark, loc, f"nesting deeper than {MAX_DEPTH} levels", "a flatter structure")
                        raise _Abort
                    else:
                        stack.append(_Frame(loc, mark, is_map))
                        continue
            # A complete value: hand it to the collection it belongs to.
            if not stack:
                return value
            parent = stack[-1]
            if not parent.is_map:
                parent.data.append(value)
            elif parent.has_key:
                parent.data[parent.key] = value
                parent.has_key = False
            else:
                parent.has_key = True
                if not isinstance(value, str):
                    self.problem(mark, parent.loc, f"key {value!r} is not text", "field names")
                    parent.drop_value = True
                elif value in parent.data:
                    first = self.key_marks[(*parent.loc, value)][0]
                    self.problem(
                        mark, (*parent.loc, value), f"duplicate key {value!r} (first on line {first})", "each key once"
                    )
                    parent.drop_value = True
                else:
                    self.key_marks[(*parent.loc, value)] = mark
                    parent.key = value

    def scalar(self, event: yaml.ScalarEvent, mark: tuple[int, int], loc: Loc) -> Any:
        text, tag = event.value, event.tag
        if tag is None or tag == "!":
            tag = self.parser.resolve(yaml.ScalarNode, text, event.implicit)
        if tag == _STR:
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return text.lower() == "true"
        if tag in (_INT, _FLOAT) and len(text) > MAX_NUMBER_CHARS:
            # Python refuses to convert integers of more than 4,300 digits (and would take
            # quadratic time below that); no number a briefing holds is this long.
            self.problem(mark, loc, f"a number written with {len(text):,} characters", "a number")
            return None
        if tag == _INT:
            return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
        if tag == _FLOAT:
            low = text.lower().lstrip("+")
            if low in (".inf", "-.inf", ".nan"):
                self.problem(mark, loc, f"{text} is not a finite number", "a number")
                return None
            return float(text)
        self.problem(mark, loc, f"YAML tag {tag!r} is not allowed", "plain YAML without tags")
        return None


def read_data_file(path: Path, display: str) -> tuple[bytes | None, list[Problem]]:
    """The bytes of a data file of at most MAX_BYTES (see files.read_regular_file)."""
    return read_regular_file(path, display, MAX_BYTES)


def parse_yaml(path: Path, display: str) -> tuple[Document | None, list[Problem]]:
    """Read one YAML file into a Document, or return the problems that stopped it."""
    raw, problems = read_data_file(path, display)
    if raw is None:
        return None, problems
    return parse_bytes(raw, display)


def parse_bytes(raw: bytes, display: str) -> tuple[Document | None, list[Problem]]:
    """Parse the bytes of one YAML file into a Document, or return the problems that stopped it."""
    text, problems = decode_utf8(raw, display)
    if text is None:
        return None, problems
    parser = _Parser(text)
    builder = _Builder(display, parser)
    try:
        parser.get_event()  # type: ignore[no-untyped-call]  # stream start (PyYAML's parser has no annotations)
        if parser.check_event(yaml.StreamEndEvent):
            return None, [Problem(display, 1, None, "", "file is empty", "a YAML mapping of fields")]
        document = parser.get_event()  # type: ignore[no-untyped-call]
        try:
            data = builder.build()
        except _Abort:
            return None, builder.problems
        parser.get_event()  # type: ignore[no-untyped-call]  # document end
        if not parser.check_event(yaml.StreamEndEvent):
            event = parser.get_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                document.start_mark,
                "but found another document",
                event.start_mark,
            )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where: tuple[int | None, int | None] = (mark.line + 1, mark.column + 1) if mark else (None, None)
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        return None, [Problem(display, *where, "", f"YAML syntax error: {what}", "valid YAML")]
    except yaml.YAMLError as exc:
        return None, [Problem(display, None, None, "", f"YAML error: {exc}", "valid YAML")]
    finally:
        parser.dispose()
    if not isinstance(data, dict) and not builder.problems:
        builder.problem(builder.root_mark, (), f"top level is a {type(data).__name__}", "a YAML mapping of fields")
    return Document(display, data, builder.marks, builder.key_marks, raw), builder.problems


# libyaml's emitter, like its parser, when PyYAML has it: about five times faster. Its text reads back
# exactly as the Python emitter's does (20,000 fuzzed strings); the two differ only in where a line
# longer than `width` folds.
_SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _QuotingDumper(_SafeDumper):  # type: ignore[valid-type,misc]  # chosen at import, as the parser is
    """Double-quotes every string: PyYAML's dumper follows YAML 1.1 and would leave `1e100`
    bare, which this loader (YAML 1.2) reads as a number."""


_QuotingDumper.add_representer(str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style='"'))


def dump_yaml(data: Any) -> str:
    """YAML that this loader reads back exactly as given (for generated data files)."""
    return yaml.dump(data, Dumper=_QuotingDumper, allow_unicode=True, width=10_000, sort_keys=False)
