"""Pages: one slice of a list (limit/offset), and the filtered paging the list functions share.

The store's ``find`` pages by id; lists that also filter on relationships (a need's zone, a firm's
grid) read the store in batches, keep what passes and stop once the requested page is full.

>>> page_of(list("abcde"), limit=2, offset=2)
Page(items=['c', 'd'], limit=2, offset=2, total=5)
>>> page_of(list("abc"), limit=2, offset=2).has_more
False
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from chainmatch.errors import InvalidRequest

__all__ = ["MAX_LIMIT", "Page", "check_page", "collect", "filtered", "page_of"]

T = TypeVar("T")
MAX_LIMIT = 200
_BATCH = 500
_MAX_SCAN = 200_000  # nodes read at most to fill one filtered page


@dataclass(frozen=True)
class Page(Generic[T]):
    """``items`` from position ``offset``; ``total`` when it is known without reading everything."""

    items: list[T]
    limit: int
    offset: int
    total: int | None = None

    @property
    def has_more(self) -> bool:
        if self.total is not None:
            return self.offset + len(self.items) < self.total
        return len(self.items) == self.limit


def check_page(limit: int, offset: int) -> None:
    """Refuse a page the lists cannot serve, saying which value is wrong and what is allowed."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit has value {limit}. It must be from 1 to {MAX_LIMIT}; page with offset.")
    if offset < 0:
        raise InvalidRequest(f"offset has value {offset}. It must be 0 or more.")


def page_of(items: Sequence[T], *, limit: int, offset: int) -> Page[T]:
    """The page of an already complete list (its total is known)."""
    check_page(limit, offset)
    return Page(list(items[offset : offset + limit]), limit, offset, len(items))


def collect(
    fetch: Callable[[int, int], Sequence[T]], keep: Callable[[Sequence[T]], list[T]], want: int,
) -> tuple[list[T], bool]:
    """Read ``fetch(n, offset)`` batches, keeping what ``keep`` returns, until ``want`` are kept or the
    source is exhausted; returns what was kept and whether the source was read to its end."""
    kept: list[T] = []
    read = 0
    while len(kept) < want and read < _MAX_SCAN:
        batch = fetch(_BATCH, read)
        read += len(batch)
        kept += keep(batch)
        if len(batch) < _BATCH:
            return kept, True
    return kept, False


def filtered(
    fetch: Callable[[int, int], Sequence[T]], keep: Callable[[Sequence[T]], list[T]], *, limit: int, offset: int,
) -> Page[T]:
    """Page through ``fetch(limit, offset)`` batches, keeping what ``keep`` returns, until the page is full.

    >>> data = list(range(20))
    >>> filtered(lambda n, o: data[o:o + n], lambda b: [x for x in b if x % 3 == 0], limit=2, offset=1).items
    [3, 6]
    """
    check_page(limit, offset)
    kept, complete = collect(fetch, keep, offset + limit + 1)  # one more tells whether another page follows
    return Page(kept[offset : offset + limit], limit, offset, len(kept) if complete else None)
