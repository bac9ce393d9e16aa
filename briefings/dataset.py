"""The project's data as one validated, cross-checked Dataset: entities, briefings, disputes, the desk's settings.

load_dataset reads every data file (load.py parses, validation.py checks each against the
model), then runs the rules across records and files (integrity.py) and the wording lint
(wording.py), and raises one DataError listing every problem at once.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from .errors import DataError, Problem
from .files import check_folders_or_raise, display_path
from .grade_rules import grade_warnings, summary_grade_warnings
from .integrity import (
    RefProblem,
    check_briefing_refs,
    check_disputes,
    check_entity_refs,
    check_repeated_ids,
    dispute_warnings,
    duplicate_slugs,
    earlier_strike_problems,
)
from .lineage import Items, Node, lineage_problems, listed_items, settlement_problems
from .load import Document, parse_bytes, read_data_file
from .model import Briefing, Desk, Dispute, Disputes, Entities
from .scalars import Loc
from .validation import located, validate
from .wording import copied_warnings, editor_warnings, headline_warnings, likelihood_warnings, url_host_warnings

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class Derived:
    """Values computed from validated records, kept per record object, the least recently used dropped first.

    Records are immutable and an unchanged file comes back from the load cache as the very
    same object, so what a pure function derived from it (its checks, its claims and figures,
    its mentions) is computed once per version of the file, not once per rebuild. Keyed by
    identity; each entry holds its records, so an id is never reused while it is kept.
    """

    def __init__(self, size: int = 32768) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = OrderedDict()

    def of(self, kind: str, records: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """compute() for these very records (kind names the function), once while it is kept."""
        key = (kind, *map(id, records))
        found = self._entries.get(key)
        if found is not None:  # the entry holds its records: no other object has their ids while it is kept
            self._entries.move_to_end(key)
            return found[1]  # type: ignore[no-any-return]
        value = compute()
        self._entries[key] = (records, value)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value


@dataclass(frozen=True)
class Dataset:
    """Everything the data folder holds, validated and cross-checked."""

    entities: Entities
    briefings: tuple[Briefing, ...]  # latest first
    files: dict[str, str]  # slug -> data file (display path)
    disputes: tuple[Dispute, ...] = ()
    warnings: tuple[Problem, ...] = ()  # things worth a look that do not block a build
    desk: Desk = Desk(require_grades=False)  # the desk's settings (data/desk.yaml)
    # What later stages derive per record (relations), shared with the datasets loaded before this one.
    derived: Derived = field(default_factory=Derived, compare=False, repr=False)


class ParsedFiles:
    """Parsed-and-validated data files keyed by (path, model, content hash), the least recently used dropped first.

    An unchanged file is never parsed twice in one process (a preview rebuilds on every
    save); bounded, so a long preview session holds the latest versions, not every edit.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str, str], tuple[Any, Document | None, list[Problem]]] = OrderedDict()
        self.derived = Derived(8 * size)  # what is derived from the files kept here (a few values each)
        self.digests: dict[str, str] = {}  # display path -> sha256 of the bytes last loaded from it

    def load(
        self, path: Path, display: str, model: type[M], store: ModelStore | None = None
    ) -> tuple[M | None, Document | None, list[Problem]]:
        """The file's model instance (None if invalid), its Document (None if unreadable) and its problems.

        store: validated files kept between processes (cache.DataCache): a file whose bytes were
        validated before is not parsed; its Document parses it on first use (a problem's line).
        """
        raw, problems = read_data_file(path, display)
        if raw is None:
            return None, None, problems
        key = (display, model.__name__, hashlib.sha256(raw).hexdigest())
        self.digests[display] = key[2]
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        result: M | None = store.find_model(display, key[2], model) if store is not None else None
        doc: Document | None
        if result is not None:
            doc = Document.unparsed(display, raw)
        else:
            doc, problems = parse_bytes(raw, display)
            if doc is not None and not problems:
                result, problems = validate(doc, model)
                if result is not None and not problems and store is not None:
                    store.keep_model(display, key[2], result)
        self._entries[key] = (result, doc, problems)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return result, doc, problems

    def release(self) -> None:
        """Let go of every kept file's data and marks (`Document.release`); a problem's line parses it again."""
        for _, doc, _ in self._entries.values():
            if doc is not None:
                doc.release()


PARSED = ParsedFiles()  # one per process: the CLI, the hook and both previews share what they parsed


def _warnings(doc: Document, refs: list[RefProblem]) -> list[Problem]:
    return [replace(w, severity="warning") for w in located(doc, refs)]


class ModelStore(Protocol):
    """Validated data files kept between processes (cache.DataCache)."""

    def find_model(self, display: str, digest: str, model: type[M]) -> M | None:
        """The file's model as validated before from these bytes, if kept."""

    def keep_model(self, display: str, digest: str, instance: BaseModel) -> None:
        """Keep a file's validated model."""


class ChecksStore(Protocol):
    """One briefing file's own problems and warnings kept between processes (cache.ChecksCache)."""

    def find(self, key: str) -> tuple[tuple[Problem, ...], tuple[Problem, ...]] | None:
        """What the checks found before under this key, if kept."""

    def keep(self, key: str, found: tuple[tuple[Problem, ...], tuple[Problem, ...]]) -> None:
        """Keep what the checks found."""

    def key(self, display: str, digest: str, entities: Entities | None, require_grades: bool) -> str:
        """The key of one file's checks: its path and bytes, the records it is checked against, the setting."""


class DataStore(ChecksStore, ModelStore, Protocol):
    """Both: what the build cache keeps of the data files."""


def load_dataset(
    data_dir: Path, root: Path | None = None, parsed: ParsedFiles = PARSED, checks: DataStore | None = None
) -> Dataset:
    """Load entities, the desk's settings, every briefing and the disputes; raise DataError listing all problems.

    The parsed files are kept (an unchanged file is not parsed again), without their data and
    marks, which only a problem's or warning's line needs later (`ParsedFiles.release`).
    checks: the build cache's validated files and per-file checks (the lint and reference checks of
    one briefing file, keyed by its bytes and the shared records), so a new process parses and
    checks only the files that changed.
    """
    try:
        return _load_dataset(data_dir, root, parsed, checks)
    finally:
        parsed.release()


def _load_dataset(data_dir: Path, root: Path | None, parsed: ParsedFiles, store: DataStore | None) -> Dataset:
    root = root or data_dir.parent
    check_folders_or_raise(root, [data_dir])

    def load(path: Path, model: type[M]) -> tuple[M | None, Document | None, list[Problem]]:
        return parsed.load(path, display_path(path, root), model, store)

    problems: list[Problem] = []
    warnings: list[Problem] = []
    entities: Entities | None = Entities()
    if (data_dir / "entities.yaml").exists():
        entities, entities_doc, found = load(data_dir / "entities.yaml", Entities)
        problems += found
        if entities is not None and entities_doc is not None:
            problems += located(entities_doc, check_entity_refs(entities) + check_repeated_ids(entities))
    desk: Desk | None = Desk(require_grades=False)
    if (data_dir / "desk.yaml").exists():
        desk, _, found = load(data_dir / "desk.yaml", Desk)
        problems += found

    folder = data_dir / "briefings"
    paths = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not paths:
        problems.append(Problem(display_path(folder, root), None, None, "", "no briefing files", "*.yaml files"))
    loaded: list[tuple[Briefing, Document]] = []
    failed = 0
    for path in paths:
        briefing, doc, found = load(path, Briefing)
        problems += found
        if briefing is None or doc is None:
            failed += 1
            continue
        # Pure functions of this file, the entities and the desk's settings: run once per version of the three.
        grades = desk is not None and desk.require_grades
        checks = partial(_briefing_checks, briefing, doc, entities, grades)
        if store is not None and doc.path in parsed.digests:
            checks = partial(
                _kept_checks, store, store.key(doc.path, parsed.digests[doc.path], entities, grades), checks
            )
        file_problems, file_warnings = parsed.derived.of(f"checks, grades {grades}", (briefing, doc, entities), checks)
        problems += file_problems
        warnings += file_warnings
        loaded.append((briefing, doc))

    # Rules across briefing files. Cross-references are checked only when every briefing
    # loaded: a briefing that failed would otherwise show up as "unknown" wherever it is cited.
    duplicates = duplicate_slugs(
        [b for b, _ in loaded], lambda i: f"{loaded[i][1].path}:{loaded[i][1].locate(('slug',))[0]}"
    )
    for i, duplicate in duplicates.items():
        problems += located(loaded[i][1], duplicate)
    loaded = [pair for i, pair in enumerate(loaded) if i not in duplicates]
    briefings = [b for b, _ in loaded]
    docs = {b.slug: doc for b, doc in loaded}
    files = {b.slug: doc.path for b, doc in loaded}
    if not failed:
        for found_refs in (earlier_strike_problems(briefings), lineage_problems(briefings, items_in(parsed.derived))):
            for slug, unresolved_refs in found_refs.items():
                problems += located(docs[slug], unresolved_refs)
    by_slug = {b.slug: b for b in briefings}
    for briefing in briefings:
        base = by_slug.get(briefing.based_on) if briefing.based_on else None
        if base is not None and base is not briefing:
            warnings += _warnings(docs[briefing.slug], copied_warnings(briefing, base))

    disputes = Disputes()
    if (data_dir / "disputes.yaml").exists():
        found_disputes, disputes_doc, found = load(data_dir / "disputes.yaml", Disputes)
        problems += found
        if found_disputes is not None and disputes_doc is not None:
            disputes = found_disputes
            problems += located(disputes_doc, check_repeated_ids(disputes))
            if not failed:
                unresolved = located(
                    disputes_doc,
                    check_disputes(disputes, briefings)
                    + settlement_problems(list(disputes.disputes), briefings, items_in(parsed.derived)),
                )
                problems += unresolved
                if not unresolved:
                    warnings += _warnings(disputes_doc, dispute_warnings(disputes, briefings))
    if problems or entities is None or desk is None:
        raise DataError(problems)
    briefings.sort(key=lambda b: (b.published, b.slug), reverse=True)
    return Dataset(
        entities, tuple(briefings), files, tuple(disputes.disputes), tuple(sorted(warnings)), desk, parsed.derived
    )


def _kept_checks(
    store: ChecksStore, key: str, checks: Callable[[], tuple[tuple[Problem, ...], tuple[Problem, ...]]]
) -> tuple[tuple[Problem, ...], tuple[Problem, ...]]:
    found = store.find(key)
    if found is None:
        found = checks()
        store.keep(key, found)
    return found


def _briefing_checks(
    briefing: Briefing, doc: Document, entities: Entities | None, require_grades: bool
) -> tuple[tuple[Problem, ...], tuple[Problem, ...]]:
    """The problems and warnings of one briefing file on its own: ids, references to entities, the wording lint."""
    problems = located(doc, check_repeated_ids(briefing))
    warnings: list[Problem] = []
    if entities is not None:
        refs = located(doc, check_briefing_refs(briefing, entities))
        problems += refs
        if not refs:
            warnings += _warnings(doc, editor_warnings(briefing, entities))
    lint = likelihood_warnings(briefing) + headline_warnings(briefing) + url_host_warnings(briefing)
    lint += summary_grade_warnings(briefing)
    if require_grades:
        lint += grade_warnings(briefing)
    warnings += _warnings(doc, lint)
    return tuple(problems), tuple(warnings)


def items_in(derived: Derived) -> Items:
    """A briefing's claims and figures with ids (lineage.items_of), listed once per briefing object."""

    def items(briefing: Briefing) -> tuple[tuple[Loc, Node], ...]:
        return derived.of("lineage items", (briefing,), partial(listed_items, briefing))

    return items
