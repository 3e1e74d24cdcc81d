"""Another worker's write between a request's read and its own write, on any store.

``Racing(store, meanwhile, when)`` is ``store`` except that the first ``write`` whose batch ``when`` accepts runs
``meanwhile`` (the other worker, on its own handle of the same store) just before it: the request has read, the
other worker writes, then the request's compare-and-set write meets what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainmatch.stores.base import GraphBatch


class Racing:
    """A store whose first matching write is preceded by ``meanwhile``; every other call goes to ``store``."""

    def __init__(self, store: Any, meanwhile: Callable[[], object],
                 when: Callable[[GraphBatch], bool] = lambda batch: True) -> None:
        self._store, self._meanwhile, self._when = store, meanwhile, when
        self.raced = False

    def write(self, batch: GraphBatch) -> None:
        if not self.raced and self._when(batch):
            self.raced = True
            self._meanwhile()
        self._store.write(batch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)
