"""Pagination of listings: fixed-size pages with stable numbers, so no page grows with the archive.

A listing in time order (an entity's, a tag's, a year's briefings; a year's events) is cut
into pages counted from its oldest item: page 1 holds the oldest `size` items, page 2 the
next, and the last page, the newest items, is the listing's entry page at its usual URL
(x.md). A new item only ever lands on the entry page; when that is full, it becomes
x/page-N.md and a new entry page starts. So a numbered page keeps its URL and its items
for good (a link to it keeps its meaning and a cache stays valid): it says "page N", not
"page N of M", which every page of the listing would change with whenever the entry page
fills. Only the entry page and, when it fills, the page before the new numbered page (its
"Later" link) change. Counting from the newest item instead would shift every item down a
page with each new briefing.

A listing in no time order (records by kind, tags) starts at its entry page, page 1.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from . import routes

T = TypeVar("T")


@dataclass(frozen=True)
class Paging:
    """Where one page sits in its listing: its number, how many there are, and the routes of the others."""

    first: str  # route of the listing's entry page (x.md)
    number: int  # 1-based
    count: int
    entry: int  # the number of the entry page: the last (time order) or 1
    newest_last: bool  # True: page 1 holds the oldest items

    def route(self, number: int) -> str:
        """The route of page `number` of this listing."""
        return routes.paged(self.first, None if number == self.entry else number)

    @property
    def src_uri(self) -> str:
        """This page's route."""
        return self.route(self.number)

    @property
    def previous(self) -> int | None:
        """The number of the page before this one, if any."""
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        """The number of the page after this one, if any."""
        return self.number + 1 if self.number < self.count else None

    def title(self, title: str) -> str:
        """The page's title: the listing's, with the page number on every page but the entry page (and the count
        of pages in a listing in no time order; in time order it would change every numbered page as pages fill)."""
        if self.number == self.entry:
            return title
        return f"{title} · page {self.number}" if self.newest_last else f"{title} · page {self.number} of {self.count}"


def paginate(first: str, items: Sequence[T], size: int, newest_last: bool) -> Iterator[tuple[Paging, list[T]]]:
    """The pages of a listing, each with its items in the listing's order; one entry page if there are none.

    `items` are in display order (latest first when `newest_last`); pages are cut from the oldest
    item so that their numbers and contents stay put as items are added.
    """
    if size < 1:
        raise ValueError(f"page size must be positive, not {size}")
    ordered = list(reversed(items)) if newest_last else list(items)
    chunks = [ordered[i : i + size] for i in range(0, len(ordered), size)] or [[]]
    count = len(chunks)
    entry = count if newest_last else 1
    for number, chunk in enumerate(chunks, 1):
        shown = list(reversed(chunk)) if newest_last else chunk
        yield Paging(first, number, count, entry, newest_last), shown
