"""Store trouble through the API on a real SQLite file: another process's write lock, a removed or replaced
database file, and an empty store that held data before (the demo is not loaded into it)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch.access.auth import create_token
from chainmatch.loader import load_demo_once
from chainmatch.settings import Settings
from chainmatch.stores.sqlite import SQLiteStore
from tests.test_loader import tiny_files, write_folder
from tests.world import open_world

NEED = {"enterprise_id": "E1", "title": "扩建用地", "kind": "land"}


def _app(tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    with open_world(tmp_path) as store:
        chief = {"Authorization": f"Bearer {create_token(store, role='grid_chief', name='c', grids=['G3']).secret}"}
    settings = Settings(db=tmp_path / "world.db", model_path=tmp_path / "m.json", store_busy_timeout=0.3)
    return TestClient(create_app(settings)), chief


def test_another_process_holding_the_write_lock_is_a_fast_503_without_the_path(tmp_path: Path) -> None:
    client, chief = _app(tmp_path)
    with client:
        other = sqlite3.connect(tmp_path / "world.db", isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            r = client.post("/needs", headers=chief, json=NEED)
            assert r.status_code == 503 and r.json()["code"] == "store_unavailable"
            assert "write lock" in r.json()["message_en"] and "world.db" not in r.text and str(tmp_path) not in r.text
            health = client.get("/health")
            assert health.status_code == 200 and health.json()["status"] in ("ok", "degraded")
            assert client.get("/needs/N1", headers=chief).status_code == 200  # reads go on (WAL)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert client.post("/needs", headers=chief, json=NEED).status_code == 201


def test_a_removed_database_file_refuses_writes_and_health_says_degraded(tmp_path: Path) -> None:
    client, chief = _app(tmp_path)
    with client:
        assert client.get("/health").json()["status"] == "ok"
        for suffix in ("", "-wal", "-shm"):
            (tmp_path / f"world.db{suffix}").unlink(missing_ok=True)
        r = client.post("/needs", headers=chief, json=NEED)
        assert r.status_code == 503 and r.json()["details"]["reason"] == "file_removed"
        assert "removed" in r.json()["message_en"] and str(tmp_path) not in r.text
        health = client.get("/health").json()
        assert health["status"] == "degraded" and "removed" in health["problem"]


def test_a_replaced_database_file_refuses_writes(tmp_path: Path) -> None:
    client, chief = _app(tmp_path)
    with client:
        copy = tmp_path / "copy.db"
        shutil.copyfile(tmp_path / "world.db", copy)
        copy.replace(tmp_path / "world.db")
        r = client.post("/needs", headers=chief, json=NEED)
        assert r.status_code == 503 and r.json()["details"]["reason"] == "file_replaced"


def test_the_demo_is_never_loaded_into_a_store_that_held_data(tmp_path: Path) -> None:
    demo = write_folder(tmp_path / "demo", tiny_files())
    db, marker = tmp_path / "s.db", tmp_path / "s.db.held-data"
    store = SQLiteStore.open(db)
    summary, _ = load_demo_once(store, demo, marker)
    assert summary is not None and marker.exists()  # a new store: the demo is loaded
    assert load_demo_once(store, demo, marker)[0] is None  # it holds data now
    store.close()
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"s.db{suffix}").unlink(missing_ok=True)
    store = SQLiteStore.open(db)  # the file is gone: an empty store comes back
    try:
        summary, why = load_demo_once(store, demo, marker)
        assert summary is None and "held data before" in why and str(marker) in why
        assert not store.counts().nodes.get("Enterprise")
    finally:
        store.close()
