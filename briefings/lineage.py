"""Claim lineage: which claims of earlier briefings a claim restates, confirms, revises or contradicts.

Pure functions of validated briefings: the integrity rules (a reference names an earlier briefing
and a claim or figure in it; a dispute is settled by a later one), and the index the pages use
(an item's history, oldest first, and the later items that update it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .integrity import RefProblem
from .model import Briefing, Claim, Dispute, Figure
from .scalars import Loc
from .traverse import walk_models
from .vocabulary import Relation

# The page of a briefing that shows the items of each part of it.
_PAGE_OF = {
    "takeaways": "index.md",
    "strike": "strike.md",
    "front_lines": "front-lines.md",
    "diplomacy": "diplomacy.md",
}

Key = tuple[str, str]  # (briefing slug, item id)


@dataclass(frozen=True)
class Node:
    """A claim or figure with an id, in its briefing, with the page (file name) that shows it."""

    briefing: Briefing
    item: Claim | Figure
    page: str

    @cached_property  # nodes are kept between rebuilds (dataset.items_in) and keyed on every one
    def key(self) -> Key:
        return (self.briefing.slug, str(self.item.id))


@dataclass(frozen=True)
class Step:
    """One item of a history: the item, and how it relates to the one before it (None: first reported)."""

    node: Node
    relation: Relation | None


def items_of(briefing: Briefing) -> Iterator[tuple[Loc, Node]]:
    """Every claim and figure with an id, sections first, then the takeaways (an id may be in both)."""
    found: list[tuple[int, Loc, Node]] = []
    kinds: tuple[type[Claim | Figure], ...] = (Claim, Figure)
    for kind in kinds:
        for loc, item in walk_models(briefing, (), kind):
            if item.id is None or loc[0] not in _PAGE_OF:
                continue
            found.append((loc[0] == "takeaways", loc, Node(briefing, item, _PAGE_OF[str(loc[0])])))
    for _, loc, node in sorted(found, key=lambda f: f[0]):
        yield loc, node


def listed_items(briefing: Briefing) -> tuple[tuple[Loc, Node], ...]:
    """items_of as a tuple, to be kept (dataset.items_in keeps one per briefing object)."""
    return tuple(items_of(briefing))


# How the functions below get a briefing's items: listed_items, or a cache of it.
Items = Callable[[Briefing], Sequence[tuple[Loc, Node]]]


def _by_key(briefings: Iterable[Briefing], items: Items = listed_items) -> dict[Key, Node]:
    out: dict[Key, Node] = {}
    for briefing in briefings:
        for _, node in items(briefing):
            out.setdefault(node.key, node)
    return out


def lineage_problems(briefings: list[Briefing], items: Items = listed_items) -> dict[str, list[RefProblem]]:
    """Per briefing slug: lineage that names an unknown or not earlier briefing, or no item in it."""
    by_slug = {b.slug: b for b in briefings}
    nodes = _by_key(briefings, items)
    out: dict[str, list[RefProblem]] = {}
    for briefing in briefings:
        problems: list[RefProblem] = []
        for loc, node in items(briefing):
            for i, link in enumerate(node.item.lineage):
                where: Loc = (*loc, "lineage", i)
                earlier = by_slug.get(link.briefing)
                if earlier is None:
                    options = ", ".join(sorted(b.slug for b in briefings if b.published < briefing.published))
                    problems.append(
                        RefProblem(
                            (*where, "briefing"),
                            f"unknown briefing {link.briefing!r}",
                            f"the slug of an earlier briefing: {options or 'none'}",
                        )
                    )
                elif earlier.published >= briefing.published:
                    problems.append(
                        RefProblem(
                            (*where, "briefing"),
                            f"briefing {link.briefing!r} was published on {earlier.published.isoformat()}, not before "
                            f"this one ({briefing.published.isoformat()})",
                            "a briefing published before this one",
                        )
                    )
                elif (link.briefing, link.claim) not in nodes:
                    ids = sorted(i for s, i in nodes if s == link.briefing)
                    problems.append(
                        RefProblem(
                            (*where, "claim"),
                            f"no claim or figure {link.claim!r} in {link.briefing}",
                            "an id of a claim or figure there: " + (", ".join(ids) or "none"),
                        )
                    )
        if problems:
            out[briefing.slug] = problems
    return out


def settlement_problems(
    disputes: list[Dispute], briefings: list[Briefing], items: Items = listed_items
) -> list[RefProblem]:
    """A dispute's settled_by names a briefing published after every side's, and a claim or figure in it."""
    by_slug = {b.slug: b for b in briefings}
    nodes = _by_key(briefings, items)
    problems = []
    for i, dispute in enumerate(disputes):
        settled = dispute.settled_by
        if settled is None:
            continue
        loc: Loc = ("disputes", i, "settled_by")
        briefing = by_slug.get(settled.briefing)
        sides = [by_slug[s.briefing] for s in dispute.sides if s.briefing in by_slug]
        latest = max(sides, key=lambda b: b.published) if sides else None
        if briefing is None:
            options = ", ".join(sorted(by_slug)) or "none"
            problems.append(
                RefProblem((*loc, "briefing"), f"unknown briefing {settled.briefing!r}", f"one of: {options}")
            )
        elif latest is not None and briefing.published <= latest.published:
            problems.append(
                RefProblem(
                    (*loc, "briefing"),
                    f"briefing {settled.briefing!r} was published on {briefing.published.isoformat()}, not after the "
                    f"latest side's ({latest.slug}, {latest.published.isoformat()})",
                    "a briefing published after every side's",
                )
            )
        elif (settled.briefing, settled.claim) not in nodes:
            problems.append(
                RefProblem(
                    (*loc, "claim"),
                    f"no claim or figure {settled.claim!r} in {settled.briefing}",
                    "an id of a claim or figure",
                )
            )
    return problems


def _date_order(node: Node) -> tuple[Any, ...]:
    return (node.briefing.published, node.briefing.slug, node.item.id)


@dataclass
class LineageIndex:
    """Every item's earlier and later items, resolved once per build."""

    nodes: dict[Key, Node] = field(default_factory=dict)
    earlier: dict[Key, list[tuple[Relation, Node]]] = field(default_factory=dict)  # direct links back
    later: dict[Key, list[tuple[Relation, Node]]] = field(default_factory=dict)  # direct links forward

    def history(self, slug: str, ident: str) -> list[Step]:
        """The claim's earlier reports and itself, oldest first, each with how it relates to one before it;
        empty when it restates, confirms or revises nothing (a contradiction is not its history: see contradicts)."""
        key = (slug, ident)
        if not self._same_claim(self.earlier.get(key, [])):
            return []
        seen: dict[Key, Node] = {}
        todo = [key]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen[current] = self.nodes[current]
            todo += [n.key for _, n in self._same_claim(self.earlier.get(current, []))]
        ordered = sorted(seen.values(), key=_date_order)
        steps = []
        for node in ordered:
            back = [(r, n) for r, n in self._same_claim(self.earlier.get(node.key, [])) if n.key in seen]
            steps.append(Step(node, back[0][0] if back else None))
        return steps

    def updates(self, slug: str, ident: str) -> list[Step]:
        """The later items that restate, confirm or revise this one, directly or through others, oldest first,
        each with its relation to the item it names."""
        seen: dict[Key, Step] = {}
        todo = [(slug, ident)]
        while todo:
            current = todo.pop()
            for relation, node in self._same_claim(self.later.get(current, [])):
                if node.key not in seen:
                    seen[node.key] = Step(node, relation)
                    todo.append(node.key)
        return sorted(seen.values(), key=lambda s: _date_order(s.node))

    def contradicts(self, slug: str, ident: str) -> list[Node]:
        """The earlier items this one contradicts (named in its lineage), oldest first."""
        found = [n for r, n in self.earlier.get((slug, ident), []) if r is Relation.contradicts]
        return sorted(found, key=_date_order)

    def contradicted_by(self, slug: str, ident: str) -> list[Node]:
        """The later items that contradict this one, oldest first."""
        found = [n for r, n in self.later.get((slug, ident), []) if r is Relation.contradicts]
        return sorted(found, key=_date_order)

    @staticmethod
    def _same_claim(links: list[tuple[Relation, Node]]) -> list[tuple[Relation, Node]]:
        return [(r, n) for r, n in links if r is not Relation.contradicts]

    def keys_of(self, slug: str) -> list[Key]:
        """The keys of a briefing's items, in the order of `nodes`."""
        return self._keys_by_slug.get(slug, [])

    def linked_slugs(self, slug: str) -> set[str]:
        """Briefings whose items this briefing's items name, or that name them (their pages show each other)."""
        return self._linked.get(slug, set()) - {slug}

    # Both indexes are built on first use, once the index is complete (lineage_index fills it, then returns it).
    @cached_property
    def _keys_by_slug(self) -> dict[str, list[Key]]:
        out: dict[str, list[Key]] = {}
        for key in self.nodes:
            out.setdefault(key[0], []).append(key)
        return out

    @cached_property
    def _linked(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for (s, _), links in (*self.earlier.items(), *self.later.items()):
            out.setdefault(s, set()).update(n.briefing.slug for _, n in links)
        return out


def lineage_index(briefings: Iterable[Briefing], items: Items = listed_items) -> LineageIndex:
    """Resolve every item's lineage (validated: every reference resolves and points back in time)."""
    index = LineageIndex(_by_key(briefings, items))
    for key, node in index.nodes.items():
        for link in node.item.lineage:
            target = index.nodes.get((link.briefing, link.claim))
            if target is None:
                continue  # only reachable with unvalidated data
            index.earlier.setdefault(key, []).append((link.relation, target))
            index.later.setdefault(target.key, []).append((link.relation, node))
    for links in index.later.values():
        links.sort(key=lambda pair: _date_order(pair[1]))
    return index
