"""Tokens, roles and the audit log through the API; coverage and chains; 401 and 403 on every kind of route."""

from __future__ import annotations

from pathlib import Path

from tests.world import client_for

READS = ["/enterprises", "/enterprises/E1", "/enterprises/E1/neighbours", "/grids", "/grids/G3",
         "/grids/G3/enterprises", "/needs", "/needs/N1", "/needs/N1/candidates", "/resources", "/resources/R2",
         "/projects", "/zones/LH/coverage", "/chains", "/chains/C1", "/tokens/me"]


def test_every_route_but_health_needs_a_valid_token(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        assert c.get("/health").status_code == 200
        for path in READS:
            r = c.get(path)
            assert r.status_code == 401 and r.json()["code"] == "unauthenticated", path
            assert r.headers["www-authenticate"] == "Bearer"
            assert c.get(path, headers={"Authorization": "Bearer cm_Tnope.x"}).status_code == 401
            assert c.get(path, headers=h["viewer"]).status_code == 200, path
        assert c.post("/needs", json={}).status_code == 401


def test_admin_manages_tokens_and_reads_the_audit_log(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        made = c.post("/tokens", headers=h["admin"], json={"role": "grid_chief", "name": "网格长丙",
                                                            "grid_ids": ["G9"], "person_id": "P9"})
        assert made.status_code == 201
        secret, tid = made.json()["secret"], made.json()["id"]
        me = c.get("/tokens/me", headers={"Authorization": f"Bearer {secret}"}).json()
        assert (me["role"], me["grids"], me["person_id"]) == ("grid_chief", ["G9"], "P9")
        tokens = c.get("/tokens", params={"role": "grid_chief"}, headers=h["admin"]).json()["items"]
        assert tid in [t["id"] for t in tokens] and all("secret" not in t for t in tokens)
        assert c.post(f"/tokens/{tid}/revoke", headers=h["admin"]).json()["revoked"] is True
        assert c.get("/tokens/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
        for role in ["staff", "grid_chief", "viewer"]:
            assert c.get("/audit", headers=h[role]).status_code == 403
            assert c.get("/tokens", headers=h[role]).status_code == 403
            assert c.post("/tokens", headers=h[role], json={"role": "admin", "name": "x"}).status_code == 403
        assert c.post("/tokens", headers=h["admin"], json={"role": "grid_chief", "name": "x"}).status_code == 422
        c.post("/needs", headers=h["grid_chief"], json={"enterprise_id": "E1", "title": "用工", "kind": "workers"})
        log = c.get("/audit", params={"action": "need.create"}, headers=h["admin"]).json()["items"]
        assert [(e["actor_name"], e["role"], e["target_label"]) for e in log] == [("grid_chief", "grid_chief", "Need")]
        assert c.get("/audit", params={"limit": 0}, headers=h["admin"]).status_code == 422


def test_viewer_and_staff_cannot_write_lists(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        for role in ["viewer", "staff"]:
            assert c.post("/needs", headers=h[role], json={"enterprise_id": "E1", "title": "x", "kind": "land"}).status_code == 403
            assert c.post("/needs/N1/close", headers=h[role]).status_code == 403
            assert c.post("/resources", headers=h[role], json={"provider_id": "E1", "title": "x", "kind": "land"}).status_code == 403
        assert c.post("/needs/N1/close", headers=h["viewer"]).json()["code"] == "permission_denied"


def test_coverage_and_chains(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        cov = c.get("/zones/LH/coverage", headers=h["staff"]).json()
        assert (cov["grids"], cov["with_party_organization"], cov["coverage_rate"], cov["chief_rate"]) == (4, 1, 0.25, 0.5)
        assert [g["id"] for g in cov["grids_without_party_organization"]] == ["G1", "G4", "G9"]
        assert cov["open_needs"] == 2
        assert c.get("/zones/LH/coverage", params={"list_limit": 1}, headers=h["staff"]).json()["grids_without_chief"] == [
            {"id": "G1", "name": "一号片区", "note": "1级"}]
        assert c.get("/zones/XX/coverage", headers=h["staff"]).status_code == 404
        mine = c.get("/zones/LH/coverage", headers=h["grid_chief"]).json()
        assert (mine["grids"], mine["coverage_rate"]) == (1, 1.0)
        chains = c.get("/chains", params={"zone_id": "LH"}, headers=h["viewer"]).json()["items"]
        assert [(x["id"], x["gaps"], [f["id"] for f in x["leaders"]]) for x in chains] == [("C1", 1, ["E1"])]
        assert c.get("/chains", params={"zone_id": "QZ"}, headers=h["viewer"]).json()["items"] == []
        chain = c.get("/chains/C1", headers=h["grid_chief"]).json()
        assert [s["name"] for s in chain["segments"]] == ["零部件", "设备制造", "食品加工"]
        assert [s["stage_label"] for s in chain["segments"]] == [
            {"upstream": "上游", "midstream": "中游", "downstream": "下游"}[s["stage"]] for s in chain["segments"]]
        assert [f["restricted"] for f in chain["segments"][2]["firms"]] == [True, True]
        assert c.get("/chains/C404", headers=h["viewer"]).status_code == 404
