"""Shared fixtures: real stores on real files, one per kind the contract suite runs on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chainmatch.sqlite_store import SQLiteStore
from chainmatch.store import Store

STORE_KINDS = ["embedded"]


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind (the embedded one on a fresh file)."""
    s = SQLiteStore.open(tmp_path / "contract.db")
    yield s
    s.close()
