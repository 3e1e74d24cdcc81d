"""Faults of a real Neo4j (tier 3): the server process killed (SIGKILL) mid-load and mid-serve, and a server of
the wrong major version. The session's Neo4j is killed and restarted on its home and port, as after a crash.
(Wrong credentials and a missing database: test_neo4j_store.py.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch.access.auth import create_token
from chainmatch.errors import StoreError, StoreUnavailable
from chainmatch.loader import install_industries, load_folder
from chainmatch.settings import DEFAULT_DEMO_DIR, Settings
from chainmatch.stores import neo4j as neo4j_store
from chainmatch.stores.neo4j import Neo4jStore, _neo4j_version
from chainmatch.stores.sqlite import SQLiteStore


@dataclass
class Own:
    """The session's Neo4j, killed then restarted on the same home and port, as after a crash; the session's
    store (its driver) reconnects by itself, so the tests after these go on on the same server."""

    server: Any

    def kill(self) -> None:
        self.server.kill()

    def restart(self) -> None:
        self.server.restart()

    def settings(self, **more: Any) -> Settings:
        s = self.server
        return Settings(neo4j_uri=s.uri, neo4j_user=s.user, neo4j_password=s.password,  # type: ignore[arg-type]
                        neo4j_database=s.database, **more)


@pytest.fixture
def own(neo: Neo4jStore, neo4j_server: Any) -> Iterator[Own]:
    """The session's Neo4j (emptied), when this session started it: one given by NEO4J_URI is not ours to kill."""
    if neo4j_server.process is None:
        pytest.skip("NEO4J_URI's server is not this session's to kill")
    holder = Own(neo4j_server)
    yield holder
    if neo4j_server.process.poll() is not None:  # a test that failed between kill and restart
        neo4j_server.restart()


@pytest.fixture(scope="module")
def demo_counts(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """What the demo folder loads, counted in the embedded store."""
    embedded = SQLiteStore.open(tmp_path_factory.mktemp("embedded") / "demo.db")
    load_folder(embedded, DEFAULT_DEMO_DIR)
    counts = embedded.counts()
    embedded.close()
    return counts


@pytest.mark.slow
def test_killed_mid_load_nothing_of_the_load_is_left_and_the_rerun_counts_are_right(
    own: Own, demo_counts: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = Neo4jStore.connect(own.settings(neo4j_retry_seconds=1.0))
    try:
        install_industries(store)
        before = store.counts()
        monkeypatch.setattr(store, "batch_size", 200)  # the demo's one transaction goes in many UNWIND statements
        chunks, sent = neo4j_store._chunks, [0]

        def killing_chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
            for chunk in chunks(items, size):
                sent[0] += 1
                if sent[0] == 6:  # five statements of the load's transaction are in: the server dies now
                    own.kill()
                yield chunk

        monkeypatch.setattr(neo4j_store, "_chunks", killing_chunks)
        with pytest.raises(StoreUnavailable, match=f"{own.server.uri}.*unreachable.*re-run safely"):
            load_folder(store, DEFAULT_DEMO_DIR)
        monkeypatch.setattr(neo4j_store, "_chunks", chunks)
        assert sent[0] >= 6
        own.restart()  # Neo4j recovers from its transaction log: the killed transaction never committed
        assert store.counts() == before  # the same store (its driver) reconnects by itself
        load_folder(store, DEFAULT_DEMO_DIR)
        assert store.counts() == demo_counts
    finally:
        store.close()


@pytest.mark.slow
def test_killed_mid_serve_the_service_answers_503_naming_the_uri_then_recovers(own: Own, tmp_path: Path) -> None:
    store = Neo4jStore.connect(own.settings())
    load_folder(store, DEFAULT_DEMO_DIR)
    secret = create_token(store, role="staff", name="招商科").secret
    store.close()
    headers = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(own.settings(model_path=tmp_path / "m.json", neo4j_retry_seconds=1.0))) as client:
        assert client.get("/enterprises/利通", headers=headers).status_code == 200
        own.kill()
        down = client.get("/enterprises/利通", headers=headers)
        assert down.status_code == 503 and down.json()["code"] == "store_unavailable"
        assert own.server.uri in down.json()["message"] and "连不上" in down.json()["message"]
        assert own.server.uri in down.json()["message_en"] and "unreachable" in down.json()["message_en"]
        assert own.server.password not in down.text
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert own.server.uri in health.json()["problem"]
        own.restart()
        back = client.get("/enterprises/利通", headers=headers)  # no restart of the service
        assert back.status_code == 200 and back.json()["name"] == "漯河利通液压科技股份有限公司"
        for _ in range(60):  # the first counts of a server just started may take longer than /health waits
            health = client.get("/health")
            if health.json()["status"] == "ok":
                break
            time.sleep(0.5)
        assert health.json()["status"] == "ok", health.json()["problem"]


def test_a_server_of_the_wrong_major_version_is_refused_with_what_to_do(neo: Neo4jStore) -> None:
    info = neo._driver.get_server_info()
    assert _neo4j_version(info.agent) == (5, 26)  # the test server's own agent passes the check
    for agent in ("Neo4j/4.4.12", "Neo4j/3.5.35", "Neo4j/5.22.0"):
        with pytest.raises(StoreError, match=f"is {agent}; chainmatch needs Neo4j 5.23 or newer.*Upgrade"):
            neo._check_version(agent)
    neo._check_version("Neo4j/2025.10.1")  # the calendar-versioned releases after 5.26 are newer
