"""Registers through the API: upload, the dry-run report, commit, and a recommendation for a firm imported
a moment earlier, without a restart."""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path

import pytest
from openpyxl import Workbook

from chainmatch.registers.importing import MAX_UPLOAD_BYTES
from tests.test_registers import uscc
from tests.world import client_for


def register_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["企业名录"])
    ws.append(["序号", "企业名称", "统一社会信用代码", "主营产品", "行业代码", "所属网格", "规模", "所属开发区"])
    for row in rows:
        ws.append(row)
    ws.append(["合计"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


NEW_FIRM = [1, "漯河新锐食品机械有限公司", uscc(77), "杀菌设备", "3531", "亿家馨网格", "规下", "漯河经济技术开发区"]


def test_upload_report_then_commit_and_recommend_without_restart(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        data = register_bytes([NEW_FIRM])
        url = "/registers/import"
        dry = c.post(url, params={"filename": "名录.xlsx"}, content=data, headers=h["staff"])
        assert dry.status_code == 200, dry.text
        report = dry.json()
        assert report["dry_run"] and not report["written"] and report["new"] == 1 and report["problems"] == []
        assert c.get(f"/enterprises/{uscc(77)}", headers=h["staff"]).status_code == 404  # nothing written
        assert c.post(url, params={"filename": "名录.xlsx"}, content=data, headers=h["viewer"]).status_code == 403
        assert c.post(url, params={"filename": "名录.xlsx"}, content=data,
                      headers=h["grid_chief"]).status_code == 403
        done = c.post(url, params={"filename": "名录.xlsx", "dry_run": "false"}, content=data, headers=h["admin"])
        assert done.status_code == 200 and done.json()["written"], done.text
        assert c.get(f"/enterprises/{uscc(77)}", headers=h["staff"]).status_code == 200
        # The match index is rebuilt in the background: wait for it (no restart, no retraining).
        for _ in range(300):
            r = c.get(f"/enterprises/{uscc(77)}/recommendations", params={"direction": "buyers", "scope": "zone"},
                      headers=h["staff"])
            if r.status_code == 200:
                break
            time.sleep(0.1)
        assert r.status_code == 200, r.text
        assert {"E2", "E9"} & {item["id"] for item in r.json()["items"]}  # food firms buy food machinery
        audit = c.get("/audit", params={"action": "register.import"}, headers=h["admin"]).json()["items"]
        assert len(audit) == 1 and "1 new" in audit[0]["detail"]


def test_a_bad_upload_is_422_with_the_report_and_an_upload_over_the_limit_is_refused(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        bad = register_bytes([[1, "甲公司", "123", "", "", "不存在的网格"]])
        r = c.post("/registers/import", params={"filename": "r.xlsx", "dry_run": "false"}, content=bad,
                   headers=h["staff"])
        assert r.status_code == 422 and r.json()["code"] == "register_invalid"
        problems = r.json()["details"]["report"]["problems"]
        assert {(p["row"], p["header"]) for p in problems} >= {(3, "所属网格"), (3, "统一社会信用代码")}
        huge = c.post("/registers/import", params={"filename": "r.xlsx"}, content=b"0" * (MAX_UPLOAD_BYTES + 1),
                      headers=h["staff"])
        assert huge.status_code == 413 and "20 MB" in huge.json()["message_en"]  # before the body is read


def test_a_register_imported_by_the_command_line_reaches_a_running_service(tmp_path: Path) -> None:
    from chainmatch.cli import main

    with client_for(tmp_path) as (c, h):
        path = tmp_path / "名录.xlsx"
        path.write_bytes(register_bytes([NEW_FIRM]))
        url = f"/enterprises/{uscc(77)}/recommendations"
        assert c.get(url, headers=h["staff"]).status_code == 404  # not in the match index yet
        assert main(["--db", str(tmp_path / "world.db"), "import", str(path), "--zone", "LH"]) == 0
        for _ in range(300):  # the next request sees the newer stamp and starts the rebuild
            r = c.get(url, params={"direction": "buyers", "scope": "zone"}, headers=h["staff"])
            if r.status_code == 200:
                break
            time.sleep(0.1)
        assert r.status_code == 200, r.text


def test_the_export_workbook_over_http_holds_a_grid_chiefs_grids_only(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    with client_for(tmp_path) as (c, h):
        r = c.get("/registers/export", params={"what": ["enterprises", "coverage"], "zone_id": "LH"},
                  headers=h["grid_chief"])
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
        wb = load_workbook(io.BytesIO(r.content))
        assert wb.sheetnames == ["企业名录", "网格覆盖"]
        names = {row[2] for row in wb["企业名录"].iter_rows(min_row=3, values_only=True)}
        assert names == {"漯河利通液压科技股份有限公司", "漯河汇龙液压有限公司"}  # G3's firms only
        assert c.get("/registers/export", params={"what": "everything"}, headers=h["staff"]).status_code == 422
        everything = load_workbook(io.BytesIO(c.get("/registers/export", headers=h["viewer"]).content))
        assert everything["企业名录"].max_row == 2 + 5


def test_create_and_update_firms_as_records(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        url = "/registers/enterprises/records"
        new = {"企业名称": "漯河新锐食品机械有限公司", "统一社会信用代码": uscc(78), "主营产品": "杀菌设备",
               "行业代码": "3531", "所属网格": "亿家馨网格", "规模": "规下"}
        r = c.post(url, json={"records": [new]}, headers=h["staff"])
        assert r.status_code == 200 and r.json()["new"] == 1, r.text
        assert c.get(f"/enterprises/{uscc(78)}", headers=h["staff"]).status_code == 200
        r = c.post(url, json={"records": [{"id": "E1", "employees": 950}]}, headers=h["admin"])
        assert r.status_code == 200 and r.json()["updated"] == 1, r.text
        from chainmatch.stores.sqlite import SQLiteStore

        store = SQLiteStore.open(tmp_path / "world.db")
        assert store.get("Enterprise", [uscc(78)])[uscc(78)].props["scale"] == "below"
        e1 = store.get("Enterprise", ["E1"])["E1"]
        assert e1.props["employees"] == 950 and e1.props["name"] == "漯河利通液压科技股份有限公司"  # the rest kept
        assert [e.node.id for e in store.edges("Enterprise", ["E1"], "IN_GRID")["E1"]] == ["G3"]
        assert [e.node.id for e in store.edges("Enterprise", ["E1"], "IN_INDUSTRY")["E1"]] == ["3444"]
        assert {e.node.id for e in store.edges("Enterprise", ["E1"], "IN_SEGMENT")["E1"]} == {"S2"}
        store.close()
        bad = c.post(url, json={"records": [{"id": "E1", "employees": "很多"}]}, headers=h["admin"])
        assert bad.status_code == 422 and bad.json()["details"]["report"]["problems"][0]["header"] == "employees"
        assert c.post(url, json={"records": [new]}, headers=h["grid_chief"]).status_code == 403


def test_a_need_posted_through_the_api_gets_recommendations_without_restart(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        r = c.post("/needs", headers=h["admin"], json={"enterprise_id": "E2", "title": "找灭菌设备供应商",
                                                       "kind": "supply", "product": "高压灭菌设备"})
        assert r.status_code == 201, r.text
        url = f"/needs/{r.json()['id']}/recommendations"
        for _ in range(300):
            got = c.get(url, headers=h["staff"])
            if got.status_code == 200:
                break
            time.sleep(0.1)
        assert got.status_code == 200, got.text


def test_a_firm_created_in_one_worker_is_applied_to_every_workers_index_without_a_rebuild(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Two app instances on one store file stand for two worker processes: the one that writes and the other,
    which sees the stamp file at its next request. Both update their index for the written firm only."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from chainmatch.settings import Settings

    caplog.set_level(logging.INFO, logger="chainmatch.api")
    with client_for(tmp_path) as (a, h):
        settings = Settings(db=tmp_path / "world.db", model_path=tmp_path / "model.json")
        with TestClient(create_app(settings)) as b:
            before = b.app.state.ranking.index  # type: ignore[attr-defined]
            firm = {"企业名称": "漯河新锐食品机械有限公司", "统一社会信用代码": uscc(78), "主营产品": "杀菌设备",
                    "行业代码": "3531", "所属开发区": "LH"}
            done = a.post("/registers/enterprises/records", json={"records": [firm]}, headers=h["admin"])
            assert done.status_code == 200, done.text
            url = f"/enterprises/{uscc(78)}/recommendations"
            for client in (a, b):
                for _ in range(300):
                    r = client.get(url, params={"direction": "buyers", "scope": "zone"}, headers=h["staff"])
                    if r.status_code == 200:
                        break
                    time.sleep(0.1)
                assert r.status_code == 200, r.text
                assert {"E2", "E9"} & {item["id"] for item in r.json()["items"]}
            after = b.app.state.ranking.index  # type: ignore[attr-defined]
            assert after is not before and after.context is before.context  # updated, not read again whole
            assert uscc(78) in after.pos and uscc(78) not in before.pos
    updates = [m for m in caplog.messages if m.startswith("match index updated")]
    assert len(updates) >= 2 and not [m for m in caplog.messages if m.startswith("match index rebuilt")]
