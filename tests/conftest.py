"""Shared fixtures: real stores on real files and servers, one per kind the contract suite runs on.

``store`` yields an empty store of each kind:

- ``embedded``: the SQLite store on a fresh file;
- ``neo4j``: the Neo4j store through the official driver against a real Neo4j (tier 3 of NEO4J-TESTING.md):
  Neo4j Community 5.26 started once per session on 127.0.0.1 by ``tests/neo4j_server.py`` (built with Maven from
  ``tests/neo4j_server/``), or the Neo4j given by ``NEO4J_URI`` (with ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``,
  ``NEO4J_DATABASE``) when that is set. That one must be an empty, dedicated test database: the tests empty it
  between tests.

In CI (``CI`` set) a missing tool (Java, Maven, the Neo4j jars) fails the run instead of skipping, so a missing
install step shows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chainmatch.stores.base import Store
from chainmatch.stores.sqlite import SQLiteStore

STORE_KINDS = ["embedded", "neo4j"]


def missing_tool(reason: str) -> None:
    """Skip the test for a missing tool, or fail it in CI, where a skip would hide a missing install step."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@dataclass
class ExternalNeo4j:
    """The Neo4j of ``NEO4J_URI``: nothing to start or stop."""

    uri: str
    user: str
    password: str
    database: str
    version: str = "?"
    process: None = None


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The real Neo4j of the session: ``NEO4J_URI``'s, else Neo4j Community started here for the session."""
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield ExternalNeo4j(uri, os.environ.get("NEO4J_USERNAME", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""),
                            os.environ.get("NEO4J_DATABASE", "neo4j"))
        return
    from tests.neo4j_server import ToolMissing, start

    try:
        server = start(tmp_path_factory.mktemp("neo4j"))
    except ToolMissing as e:
        missing_tool(str(e))
    yield server
    server.stop()


def neo4j_store_on(server: Any, **settings: Any) -> Any:
    """A Neo4j store (its own driver) on ``server``; close it after use."""
    from chainmatch.settings import Settings
    from chainmatch.stores.neo4j import Neo4jStore

    return Neo4jStore.connect(Settings(
        neo4j_uri=server.uri, neo4j_user=server.user, neo4j_password=server.password,  # type: ignore[arg-type]
        neo4j_database=server.database, **settings,
    ))


@pytest.fixture(scope="session")
def neo4j_store(neo4j_server: Any) -> Iterator[Any]:
    """One Neo4j store (one driver) on the session's Neo4j, which must start empty."""
    s = neo4j_store_on(neo4j_server)
    held = s.counts().total_nodes
    if held and neo4j_server.process is None:
        s.close()
        pytest.fail(f"NEO4J_URI {s.location} database '{s.database}' holds {held} nodes; the tests empty their "
                    "database between tests, so they only run on an empty, dedicated test database "
                    "(point NEO4J_DATABASE at one).", pytrace=False)
    yield s
    s.clear()
    s.close()


@pytest.fixture
def neo(neo4j_store: Any) -> Iterator[Any]:
    """The session's Neo4j store, emptied before and after the test."""
    neo4j_store.clear()
    yield neo4j_store
    neo4j_store.clear()


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind."""
    if request.param == "embedded":
        s = SQLiteStore.open(tmp_path / "contract.db")
        yield s
        s.close()
        return
    shared = request.getfixturevalue("neo4j_store")
    shared.clear()
    yield shared
    shared.clear()


@pytest.fixture
def other_handle(store: Store, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A second handle on the same store as ``store`` (another worker's connection or driver)."""
    other: Store = (SQLiteStore.open(store.path) if isinstance(store, SQLiteStore)
                    else neo4j_store_on(request.getfixturevalue("neo4j_server")))
    yield other
    other.close()
