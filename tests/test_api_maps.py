"""The maps API: start a run on the tiny world, follow it to the end, fetch its files; roles and bad input."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.world import client_for


def _wait(client: TestClient, headers: dict[str, str], run_id: str) -> dict[str, Any]:
    for _ in range(600):
        run: dict[str, Any] = client.get(f"/maps/runs/{run_id}", headers=headers).json()
        if run["status"] in ("done", "failed"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"map run {run_id} did not finish: {run}")


def test_start_follow_and_fetch_a_map_run(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, h):
        r = client.post("/maps/runs", json={"zone_id": "LH", "min_firms": 1, "min_share": 0}, headers=h["staff"])
        assert r.status_code == 202, r.text
        started = r.json()
        assert started["zone_id"] == "LH" and started["status"] in ("queued", "running", "done")
        run = _wait(client, h["staff"], started["id"])
        assert run["status"] == "done" and run["error"] is None, run
        assert run["status_label"] == "已完成"
        assert (run["chains"], run["done"], run["total"]) == (1, 2, 2)
        assert run["files"][0] == "index.html" and "LH/C1.html" in run["files"] and "LH/C1.xlsx" in run["files"]
        page = client.get(f"/maps/runs/{run['id']}/files/LH/C1.html", headers=h["viewer"])
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "智能装备-食品" in page.text and "<svg" in page.text
        data = client.get(f"/maps/runs/{run['id']}/files/LH/C1.json", headers=h["staff"]).json()
        assert data["chain_id"] == "C1" and data["leaders"][0]["short_name"] == "利通"
        xlsx = client.get(f"/maps/runs/{run['id']}/files/LH/C1.xlsx", headers=h["staff"])
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        assert [x["id"] for x in client.get("/maps/runs", headers=h["admin"]).json()] == [run["id"]]
        assert (tmp_path / "world-maps" / run["id"] / "LH" / "C1.json").exists()


def test_bad_input_unknown_ids_and_roles(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, h):
        r = client.post("/maps/runs", json={"zone_id": "XX"}, headers=h["staff"])
        assert r.status_code == 404 and "Closest matches: LH, QZ" in r.json()["message_en"]
        assert client.post("/maps/runs", json={"zone_id": "LH", "min_share": 2}, headers=h["staff"]).status_code == 422
        assert client.post("/maps/runs", json={"zone_id": "LH"}, headers=h["grid_chief"]).status_code == 403
        assert client.post("/maps/runs", json={"zone_id": "LH"}).status_code == 401
        assert client.get("/maps/runs/nope", headers=h["staff"]).status_code == 404
        run = _wait(client, h["staff"], client.post("/maps/runs", json={"zone_id": "QZ"}, headers=h["staff"]).json()["id"])
        assert run["status"] == "done" and run["chains"] == 0 and any("没有产业链" in n for n in run["notes"])
        for path in ("../world.db", "QZ/../../world.db", "nothing.html"):
            assert client.get(f"/maps/runs/{run['id']}/files/{path}", headers=h["staff"]).status_code == 404
