"""Shared fixtures: real stores on real files and servers, one per kind the contract suite runs on.

``store`` yields an empty store of each kind:

- ``embedded``: the SQLite store on a fresh file;
- ``neo4j-arcadedb``: the Neo4j store through the official driver against ArcadeDB's Bolt server
  (tier 2 of NEO4J-TESTING.md), started once per session on 127.0.0.1 by ``tests/arcadedb_server.py``;
- ``neo4j-real``: the Neo4j store against the Neo4j given by ``NEO4J_URI`` (tier 3), skipped with its
  reason when none is given. It must be an empty, dedicated test database: the tests empty it between tests.

In CI (``CI`` set) a missing tool fails the run instead of skipping, so a missing install step shows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chainmatch.stores.base import Store
from chainmatch.stores.sqlite import SQLiteStore

STORE_KINDS = ["embedded", "neo4j-arcadedb", "neo4j-real"]


def missing_tool(reason: str) -> None:
    """Skip the test for a missing tool, or fail it in CI, where a skip would hide a missing install step."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def arcadedb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """ArcadeDB with its Bolt plugin, in a child process, for the whole session."""
    try:
        import arcadedb_embedded  # noqa: F401
    except ImportError:
        missing_tool("arcadedb-embedded is not installed: run `make install` (it is in the dev extras)")
    from tests.arcadedb_server import start

    server = start(tmp_path_factory.mktemp("arcadedb"))
    yield server
    server.stop()


def _neo4j_store(uri: str, user: str, password: str, database: str) -> Any:
    from chainmatch.settings import Settings
    from chainmatch.stores.neo4j import Neo4jStore

    return Neo4jStore.connect(Settings(
        neo4j_uri=uri, neo4j_user=user, neo4j_password=password, neo4j_database=database,  # type: ignore[arg-type]
    ))


@pytest.fixture(scope="session")
def arcadedb_store(arcadedb_server: Any) -> Iterator[Any]:
    """One Neo4j store (one driver) on the ArcadeDB server for the session."""
    s = _neo4j_store(arcadedb_server.uri, arcadedb_server.user, arcadedb_server.password, arcadedb_server.database)
    yield s
    s.close()


@pytest.fixture(scope="session")
def real_neo4j_store() -> Iterator[Any]:
    """The Neo4j store on the Neo4j of ``NEO4J_URI`` (tier 3), which must start empty."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip("tier 3 (real Neo4j) not run: NEO4J_URI is not set "
                    "(set NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE to an empty test database)")
    s = _neo4j_store(uri, os.environ.get("NEO4J_USERNAME", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""),
                     os.environ.get("NEO4J_DATABASE", "neo4j"))
    held = s.counts().total_nodes
    if held:
        s.close()
        pytest.fail(f"NEO4J_URI {s.location} database '{s.database}' holds {held} nodes; the tests empty their "
                    "database between tests, so they only run on an empty, dedicated test database "
                    "(point NEO4J_DATABASE at one).", pytrace=False)
    yield s
    s.clear()
    s.close()


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind."""
    if request.param == "embedded":
        s = SQLiteStore.open(tmp_path / "contract.db")
        yield s
        s.close()
        return
    shared = request.getfixturevalue("arcadedb_store" if request.param == "neo4j-arcadedb" else "real_neo4j_store")
    shared.clear()
    yield shared
    shared.clear()
