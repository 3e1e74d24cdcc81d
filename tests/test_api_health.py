"""The API skeleton through the ASGI app on a real embedded store."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch.loader import load_folder
from chainmatch.settings import Settings
from chainmatch.stores.sqlite import SQLiteStore
from tests.test_loader import tiny_files, write_folder


def test_health_reports_store_kind_and_counts(tmp_path: Path) -> None:
    db = tmp_path / "api.db"
    store = SQLiteStore.open(db)
    load_folder(store, write_folder(tmp_path / "d", tiny_files()))
    store.close()
    with TestClient(create_app(Settings(db=db))) as client:
        body = client.get("/health").json()
    assert body["status"] == "ok" and body["store"] == "embedded"
    assert body["node_counts"]["Enterprise"] == 2
    assert body["nodes"] > 1000  # the GB/T 4754 industries are installed with the first load
    assert body["relationship_counts"]["SUPPLIES"] == 1


def test_store_that_cannot_be_opened_gives_a_clear_error(tmp_path: Path) -> None:
    import pytest

    from chainmatch.errors import StoreError

    app = create_app(Settings(db=tmp_path / "no" / "such" / "x.db"))
    with pytest.raises(StoreError, match="the folder .* does not exist"), TestClient(app):
        pass


def test_a_neo4j_server_that_is_down_gives_503_not_a_dead_service(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(neo4j_uri=f"bolt://127.0.0.1:{port}", neo4j_password="x", model_path=tmp_path / "m.json")
    with TestClient(create_app(settings)) as client:  # starts although the store is down
        r = client.get("/health")
        assert r.status_code == 503 and r.json()["code"] == "store_unavailable"
        assert f"127.0.0.1:{port}" in r.json()["message_en"]
        assert client.get("/enterprises", headers={"Authorization": "Bearer x"}).status_code == 503
