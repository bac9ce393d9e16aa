"""What changed since the previous briefing: derived from lineage and the data, never written by hand.

The previous briefing of a briefing is the latest earlier briefing it updates: the latest one its
claims and figures name in their lineage, else the latest earlier one it shares a dispute with.
Not the previous one in the archive (a desk covers many stories at once, and the archive's previous
briefing may be about another), and not `based_on` (a hint for `new --from`, deleted when done).
A briefing that updates none has no previous briefing: everything in it is new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .display import figure_text
from .lineage import LineageIndex, Node
from .model import Attributed, Briefing, Dispute, Entities, Event, Figure
from .traverse import walk_models
from .vocabulary import Relation


@dataclass(frozen=True)
class Update:
    """An item of this briefing and the earlier item it restates, confirms, revises or contradicts."""

    node: Node
    earlier: Node
    relation: Relation

    @property
    def status_changed(self) -> bool:
        return self.node.item.status != self.earlier.item.status

    @property
    def revised_figure(self) -> bool:
        """A figure revising a figure: the page shows the old and the new value side by side."""
        return (
            self.relation is Relation.revises
            and isinstance(self.node.item, Figure)
            and isinstance(self.earlier.item, Figure)
        )


@dataclass(frozen=True)
class Changes:
    """What changed in a briefing since its previous one."""

    briefing: Briefing
    previous: Briefing | None
    updates: tuple[Update, ...]  # every lineage link of the briefing's items, in page order
    new_items: int  # claims, figures, quotes and statements of its sections that name no earlier item
    disputes_opened: tuple[Dispute, ...]  # disputes whose second side (in date order) is in this briefing
    disputes_settled: tuple[tuple[Dispute, Node], ...]  # disputes this briefing settles, with the settling item

    @property
    def revised_figures(self) -> list[Update]:
        return [u for u in self.updates if u.revised_figure]

    @property
    def other_updates(self) -> list[Update]:
        """Restated, confirmed, contradicted, and revised claims in words."""
        return [u for u in self.updates if not u.revised_figure]

    @property
    def status_changes(self) -> list[Update]:
        return [u for u in self.updates if u.status_changed]


def _order(b: Briefing) -> tuple[Any, ...]:
    return (b.published, b.slug)


def opened_in(dispute: Dispute, by_slug: dict[str, Briefing]) -> Briefing:
    """The briefing that opened a dispute: the one holding its second side in date order (one side is no dispute)."""
    sides = sorted((by_slug[s.briefing] for s in dispute.sides), key=_order)
    return sides[1]


def section_items(briefing: Briefing) -> tuple[Any, ...]:
    """The claims, figures, quotes and statements of a briefing's sections (not its takeaways or timeline)."""
    return tuple(
        item
        for loc, item in walk_models(briefing, (), Attributed)
        if loc[0] not in ("takeaways", "timeline") and not isinstance(item, Event)
    )


def what_changed(
    briefing: Briefing,
    briefings: list[Briefing],
    disputes: list[Dispute],
    index: LineageIndex,
    by_slug: dict[str, Briefing] | None = None,
    own_items: Sequence[Any] | None = None,
) -> Changes:
    """The changes a briefing brings, and the briefing it brings them to.

    by_slug (every briefing by slug) and own_items (`section_items(briefing)`), if the caller has them.
    """
    by_slug = {b.slug: b for b in briefings} if by_slug is None else by_slug
    updates = []
    for key in index.keys_of(briefing.slug):
        node = index.nodes[key]
        updates += [Update(node, earlier, relation) for relation, earlier in index.earlier.get(key, [])]
    with_lineage = {id(u.node.item) for u in updates}
    own_items = section_items(briefing) if own_items is None else own_items
    new_items = sum(1 for item in own_items if id(item) not in with_lineage)
    shared = [d for d in disputes if briefing.slug in {s.briefing for s in d.sides}]
    settled = []
    for dispute in disputes:
        if dispute.settled_by is not None and dispute.settled_by.briefing == briefing.slug:
            settled.append((dispute, index.nodes[(briefing.slug, dispute.settled_by.claim)]))
            shared.append(dispute)
    linked = {u.earlier.briefing.slug for u in updates}
    if not linked:
        linked = {s.briefing for d in shared for s in d.sides}
    earlier = [by_slug[s] for s in linked if s in by_slug and _order(by_slug[s]) < _order(briefing)]
    previous = max(earlier, key=_order) if earlier else None
    opened = tuple(d for d in disputes if opened_in(d, by_slug).slug == briefing.slug)
    return Changes(briefing, previous, tuple(updates), new_items, opened, tuple(settled))


# --------------------------------------------------------------------------- plain text (feeds) and JSON (export)


def _value(figure: Figure, entities: Entities) -> str:
    return figure_text(figure, entities.unit_words(figure.unit))


def _words(node: Node) -> str:
    item = node.item
    return str(item.label) if isinstance(item, Figure) else str(item.text)


def _stated(node: Node, entities: Entities) -> str:
    """An item as plain text with who says it: a figure's label and value, a claim's words in quotation marks."""
    item = node.item
    words = f"{item.label}: {_value(item, entities)}" if isinstance(item, Figure) else f"“{item.text}”"
    said = []
    speaker = getattr(item, "speaker", None)
    if speaker is not None:
        kind, ident = ("person", speaker.person) if speaker.person else ("organisation", speaker.organisation)
        who = entities.record(kind, ident).name if ident else speaker.name or ""
        said.append(", ".join(p for p in (who, speaker.role) if p))
    if getattr(item, "attribution", None):
        said.append(str(item.attribution))
    return (
        f"{words} (according to {'; '.join(said)})"
        if speaker is not None
        else (f"{words} ({'; '.join(said)})" if said else words)
    )


def summary_lines(changes: Changes, entities: Entities) -> list[str]:
    """The changes as plain text lines, for feed entries (serialised by the feed writer, never as markup)."""
    prev = changes.previous
    if prev is None:
        return ["The first briefing on this story: it updates no earlier briefing."]
    lines = [f"What changed since {prev.title} ({prev.published.isoformat()}):"]
    for u in changes.revised_figures:
        old, new = u.earlier.item, u.node.item
        assert isinstance(old, Figure) and isinstance(new, Figure)
        lines.append(
            f"- Revised: {new.label}: {_value(old, entities)} ({u.earlier.briefing.published.isoformat()}) "
            f"-> {_value(new, entities)}"
        )
    for u in changes.other_updates:
        lines.append(
            f"- {_stated(u.node, entities)} {u.relation.value} the report of "
            f"{u.earlier.briefing.published.isoformat()}: {_stated(u.earlier, entities)}"
        )
    for u in changes.status_changes:
        was, now = u.earlier.item.status.label, u.node.item.status.label
        lines.append(f"- Status changed from {was} to {now}: {_words(u.node)}")
    lines += [f"- Dispute opened: {d.topic}" for d in changes.disputes_opened]
    lines += [f"- Dispute settled: {d.topic} ({_words(node)})" for d, node in changes.disputes_settled]
    lines.append(f"- New in this briefing: {changes.new_items} claims, figures, quotes and statements.")
    return lines


def _ref(node: Node) -> dict[str, str]:
    return {"briefing": node.briefing.slug, "claim": str(node.item.id)}


def changes_json(changes: Changes, entities: Entities) -> dict[str, Any]:
    """The changes for the JSON export: references by briefing and id, old and new values, and the text lines."""
    return {
        "previous": changes.previous.slug if changes.previous else None,
        "updates": [
            {
                "relation": u.relation.value,
                "item": _ref(u.node),
                "earlier": _ref(u.earlier),
                **(
                    {"old_value": u.earlier.item.value, "new_value": u.node.item.value}  # type: ignore[union-attr]
                    if u.revised_figure
                    else {}
                ),
                **(
                    {"old_status": u.earlier.item.status.value, "new_status": u.node.item.status.value}
                    if u.status_changed
                    else {}
                ),
            }
            for u in changes.updates
        ],
        "disputes_opened": [d.id for d in changes.disputes_opened],
        "disputes_settled": [{"dispute": d.id, "by": _ref(node)} for d, node in changes.disputes_settled],
        "new_items": changes.new_items,
        "summary": summary_lines(changes, entities),
    }
