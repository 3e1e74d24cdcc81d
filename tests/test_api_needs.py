"""Needs and resources through the API: create, list with filters, update, close, candidates, deadlines, scope."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from tests.world import client_for


def test_need_lifecycle_and_deadlines(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        chief = h["grid_chief"]
        r = c.post("/needs", headers=chief, json={"enterprise_id": "E3", "title": "  环评审批  ", "kind": "approval",
                                                  "posted_on": "2024-05-01"})
        assert r.status_code == 201, r.text
        need = r.json()
        assert (need["title"], need["status"], need["due_on"], need["zone_id"]) == ("环评审批", "open", "2024-05-02", "LH")
        assert need["overdue"] is True  # due 2024-05-02, and today is later
        land = c.post("/needs", headers=h["admin"], json={"enterprise_id": "E1", "title": "扩产用地", "kind": "land"}).json()
        assert date.fromisoformat(land["due_on"]) > date.fromisoformat(land["posted_on"])  # 3 days later
        assert c.post("/needs", headers=chief, json={"enterprise_id": "E2", "title": "x", "kind": "land"}).status_code == 403
        assert c.post("/needs", headers=h["staff"], json={"enterprise_id": "E1", "title": "x", "kind": "land"}).status_code == 403
        assert c.post("/needs", headers=chief, json={"enterprise_id": "E1", "title": "x", "kind": "rocket"}).status_code == 422
        assert c.post("/needs", headers=chief, json={"enterprise_id": "E1", "title": "x", "kind": "land",
                                                     "extra": 1}).status_code == 422
        bad = c.post("/needs", headers=chief, content=b"{not json", )
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"

        upd = c.patch(f"/needs/{need['id']}", headers=chief, json={"description": "新建车间", "due_on": "2030-01-01"}).json()
        assert upd["description"] == "新建车间" and upd["overdue"] is False
        assert c.patch(f"/needs/{need['id']}", headers=chief, json={"due_on": "soon"}).status_code == 422
        closed = c.post(f"/needs/{need['id']}/close", headers=chief, json={"note": "已办结"}).json()
        assert closed["status"] == "closed"
        assert c.post(f"/needs/{need['id']}/close", headers=chief).status_code == 409
        assert c.patch(f"/needs/{need['id']}", headers=chief, json={"title": "y"}).status_code == 409

        mine = c.get("/needs", headers=chief).json()["items"]
        assert {n["id"] for n in mine} == {"N1", need["id"], land["id"]}  # not N2 (双汇, grid G9)
        assert c.get("/needs/N2", headers=chief).status_code == 403
        overdue = c.get("/needs", params={"overdue": "true", "zone_id": "LH"}, headers=h["staff"]).json()["items"]
        assert {n["id"] for n in overdue} == {"N1", "N2"}
        assert [n["id"] for n in c.get("/needs", params={"kind": "land", "enterprise_id": "E9"},
                                       headers=h["viewer"]).json()["items"]] == ["N2"]
        assert [n["id"] for n in c.get("/needs", params={"q": "灭菌"}, headers=h["viewer"]).json()["items"]] == ["N1"]
        assert c.get("/needs", params={"status": "done"}, headers=h["viewer"]).status_code == 422
        assert c.get("/needs/N404", headers=h["viewer"]).status_code == 404


def test_resources(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        chief = h["grid_chief"]
        r = c.post("/resources", headers=chief, json={"provider_id": "E1", "title": "液压设备维修服务", "kind": "technology"})
        assert r.status_code == 201 and r.json()["provider_name"] == "漯河利通液压科技股份有限公司"
        rid = r.json()["id"]
        assert c.post("/resources", headers=chief, json={"provider_id": "D1", "title": "贷款", "kind": "finance"}).status_code == 403
        assert c.post("/resources", headers=h["admin"], json={"provider_id": "D1", "title": "贷款", "kind": "finance"}).status_code == 201
        assert c.post("/resources", headers=h["admin"], json={"provider_id": "Z9", "title": "x", "kind": "finance"}).status_code == 404
        listed = c.get("/resources", params={"kind": "finance", "zone_id": "LH"}, headers=h["viewer"]).json()["items"]
        assert len(listed) == 2 and all(x["provider_id"] == "D1" for x in listed)
        assert {x["id"] for x in c.get("/resources", headers=chief).json()["items"]} >= {rid, "R2"}
        assert "R1" not in {x["id"] for x in c.get("/resources", headers=chief).json()["items"]}  # 亿家馨's
        assert c.patch(f"/resources/{rid}", headers=chief, json={"product": "液压缸维修"}).json()["product"] == "液压缸维修"
        assert c.post(f"/resources/{rid}/withdraw", headers=chief).json()["status"] == "withdrawn"
        assert c.post(f"/resources/{rid}/withdraw", headers=chief).status_code == 409
        assert c.get("/resources", params={"status": "withdrawn"}, headers=h["viewer"]).json()["items"][0]["id"] == rid
        assert c.get("/resources/R1", headers=chief).status_code == 403
        assert c.get("/resources/R1", headers=h["viewer"]).json()["kind"] == "buyers"


def _eventually(probe: Callable[[], Any], seconds: float = 30.0) -> Any:
    """The first truthy answer of ``probe`` (the match index is rebuilt in the background after a write)."""
    deadline = time.monotonic() + seconds
    while not (answer := probe()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return answer


def test_an_open_need_becomes_a_reason_and_stops_being_one_when_closed_without_a_restart(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        def reasons() -> list[str]:
            items = c.get("/enterprises/E1/recommendations", params={"direction": "buyers"},
                          headers=h["staff"]).json()["items"]
            return next(i["reasons"] for i in items if i["id"] == "E2")

        assert not any(r.startswith("待对接需求") for r in reasons())
        need = c.post("/needs", headers=h["admin"], json={"enterprise_id": "E2", "title": "采购杀菌釜",
                                                          "kind": "supply", "product": "高压灭菌设备"}).json()
        assert _eventually(lambda: "待对接需求: 采购杀菌釜" in reasons())
        assert c.patch(f"/needs/{need['id']}", headers=h["admin"], json={"title": "采购高压杀菌釜"}).status_code == 200
        assert _eventually(lambda: "待对接需求: 采购高压杀菌釜" in reasons())
        assert c.post(f"/needs/{need['id']}/close", headers=h["admin"]).status_code == 200
        assert _eventually(lambda: not any(r.startswith("待对接需求") for r in reasons()))
