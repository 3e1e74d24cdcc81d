"""Enterprises and grids through the ASGI app: search, profile, neighbours, grid firms, scopes and bad input."""

from __future__ import annotations

from pathlib import Path

from tests.world import client_for


def test_search_profile_and_neighbours(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        body = c.get("/enterprises", params={"q": "液压"}, headers=h["staff"]).json()
        assert [f["id"] for f in body["items"]] == ["E1", "E3"] and body["total"] == 2
        assert [f["id"] for f in c.get("/enterprises", params={"q": "高压灭菌"}, headers=h["viewer"]).json()["items"]] == ["E1"]
        page = c.get("/enterprises", params={"limit": 1, "offset": 1, "zone_id": "LH"}, headers=h["admin"]).json()
        assert [f["id"] for f in page["items"]] == ["E2"] and page["has_more"] is True
        profile = c.get("/enterprises/利通", headers=h["staff"]).json()
        assert profile["id"] == "E1" and profile["matched_by"] == "简称"
        assert [g["id"] for g in profile["grids"]] == ["G3", "G1"]
        assert [x["name"] for x in profile["grid_chiefs"]] == ["网格长甲"]
        assert {o["id"] for o in profile["party_organizations"]} == {"PO1"}  # sits in E1 and covers G3
        assert [n["id"] for n in profile["open_needs"]] == ["N1"]
        nb = c.get("/enterprises/E1/neighbours", params={"relation": "downstream"}, headers=h["staff"]).json()
        assert [(n["firm"]["id"], n["relation"], n["via"]) for n in nb["items"]] == [
            ("E2", "downstream", "食品加工"), ("E9", "downstream", "食品加工")]
        assert [(n["direction"], n["direction_label"], n["firm"]["scale_label"]) for n in nb["items"]] == [
            ("downstream", "下游", "规下"), ("downstream", "下游", "规上")]
        # 汇龙 is listed as 利通's grid mate and still says it sits in the same segment; 双汇 shares no grid
        mates = c.get("/enterprises/E1/neighbours", params={"relation": "same_grid"}, headers=h["staff"]).json()
        assert [(n["firm"]["id"], n["relation_label"], n["direction"], n["direction_label"]) for n in mates["items"]] \
            == [("E3", "同网格", "same_segment", "同环节")]
        up = c.get("/enterprises/E2/neighbours", params={"relation": "上游"}, headers=h["staff"]).json()
        assert {(n["firm"]["id"], n["direction_label"]) for n in up["items"]} == {("E1", "上游"), ("E3", "上游")}
        assert [f["scale_label"] for f in body["items"]] == ["规上", "规上"]


def test_grid_chief_scope(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        chief = h["grid_chief"]  # G3 only
        found = c.get("/enterprises", params={"q": "漯河"}, headers=chief).json()["items"]
        assert {f["id"]: f["restricted"] for f in found} == {"E1": False, "E2": True, "E3": False}
        assert set(next(f for f in found if f["id"] == "E2")) >= {"id", "name"}
        assert next(f for f in found if f["id"] == "E2")["products"] == []
        assert c.get("/enterprises/E1", headers=chief).status_code == 200
        denied = c.get("/enterprises/E2", headers=chief)
        assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
        assert c.get("/enterprises/E2/neighbours", headers=chief).status_code == 403
        assert c.get("/grids/G1/enterprises", headers=chief).status_code == 403
        assert [f["id"] for f in c.get("/grids/G3/enterprises", headers=chief).json()["items"]] == ["E1", "E3"]
        wide = h["chief_g1"]  # G1 and the grids below it
        assert [f["id"] for f in c.get("/grids/G1/enterprises", headers=wide).json()["items"]] == ["E1", "E2", "E3"]
        assert [g["id"] for g in c.get("/grids", headers=wide).json()["items"]] == ["G1", "G3", "G4"]
        assert c.get("/grids/G9", headers=wide).status_code == 403


def test_grids(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        g = c.get("/grids/G3", headers=h["viewer"]).json()
        assert (g["parent_id"], g["enterprises"], [x["id"] for x in g["chiefs"]]) == ("G1", 2, ["P1"])
        assert (g["level_label"], g["kind_label"], g["type_label"]) == ("三级网格(责任网格)", "专属网格", "点")
        listed = c.get("/grids", params={"zone_id": "LH"}, headers=h["viewer"]).json()["items"]
        assert {x["id"]: x["type_label"] for x in listed} == {"G1": "片", "G3": "点", "G4": "点", "G9": "面"}
        assert [x["id"] for x in g["party_organizations"]] == ["PO1"]
        assert [x["id"] for x in c.get("/grids", params={"level": "1", "zone_id": "LH"},
                                       headers=h["viewer"]).json()["items"]] == ["G1", "G9"]
        assert c.get("/grids/G1/enterprises", params={"include_subgrids": "false"},
                     headers=h["viewer"]).json()["items"] == []


def test_unknown_ids_and_bad_input_give_clear_4xx(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        missing = c.get("/enterprises/利通液压科技有限", headers=h["staff"])
        assert missing.status_code in (404, 409)
        nf = c.get("/enterprises/亿家鑫食品", headers=h["staff"])
        assert nf.status_code == 404 and nf.json()["code"] == "not_found"
        assert any("亿家馨" in x for x in nf.json()["details"]["candidates"])
        assert c.get("/grids/G404", headers=h["staff"]).status_code == 404
        big = c.get("/enterprises", params={"limit": 201}, headers=h["staff"])
        assert big.status_code == 422 and big.json()["code"] == "invalid_request"
        assert "limit" in big.json()["message_en"] and big.json()["details"]["errors"][0]["loc"] == ["query", "limit"]
        assert c.get("/enterprises", params={"limit": "many"}, headers=h["staff"]).status_code == 422
        assert c.get("/enterprises/E1/neighbours", params={"depth": 9}, headers=h["staff"]).status_code == 422
        for q in ["'; DROP TABLE nodes; --", "%", "_", "\\", "１２３", "ＬＩＴＯＮＧ　液压", "\x00", "🙂" * 30]:
            r = c.get("/enterprises", params={"q": q}, headers=h["staff"])
            assert r.status_code == 200, (q, r.text)
        assert c.get("/enterprises", params={"q": "液" * 101}, headers=h["staff"]).status_code == 422
        assert c.get("/no/such/path", headers=h["staff"]).json()["code"] == "not_found"
