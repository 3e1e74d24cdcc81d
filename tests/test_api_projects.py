"""The sterilizer case end to end through the API: 利通's need for buyers of its 高压灭菌设备 → a project with
亿家馨 → claimed → contacted → negotiating → signed; illegal transitions refused; every step audited."""

from __future__ import annotations

from pathlib import Path

from tests.world import client_for


def test_sterilizer_project_lifecycle(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        # The project joins 利通 (G3) and 亿家馨 (G4): the chief of G1, above both, may follow it up.
        staff, chief = h["staff"], h["chief_g1"]
        cands = c.get("/needs/N1/candidates", headers=staff).json()
        assert "E2" in [m["firm"]["id"] for m in cands["firms"]]  # 亿家馨: food industry buys sterilizers
        assert "农副食品加工业" in next(m["why"] for m in cands["firms"] if m["firm"]["id"] == "E2")
        r = c.post("/projects", headers=staff, json={
            "need_id": "N1", "parties": [{"enterprise_id": "E2", "role": "buyer"}],
            "event": "食品企业产销对接会", "note": "利通吹哨, 网格长上报"})
        assert r.status_code == 201, r.text
        p = r.json()
        pid = p["id"]
        assert p["status"] == "proposed" and p["need_id"] == "N1" and p["origin"] == "need"
        assert {(x["firm"]["id"], x["role"]) for x in p["parties"]} == {("E1", "supplier"), ("E2", "buyer")}
        assert p["next_statuses"] == ["contacted", "declined", "dropped"] and p["due_on"]

        early = c.post(f"/projects/{pid}/status", headers=staff, json={"status": "contacted"})
        assert early.status_code == 409 and "claim it" in early.json()["message_en"]

        claimed = c.post(f"/projects/{pid}/claim", headers=chief, json={"note": "首问负责"}).json()
        assert claimed["owner"]["id"] == "P1"  # the grid chief's token acts as 网格长甲
        other = c.post(f"/projects/{pid}/claim", headers=staff, json={})
        assert other.status_code == 409 and "already claimed" in other.json()["message_en"]

        skip = c.post(f"/projects/{pid}/status", headers=chief, json={"status": "signed"})
        assert skip.status_code == 409 and skip.json()["details"]["allowed"] == ["contacted", "declined", "dropped"]
        for status in ["contacted", "negotiating", "signed"]:
            r = c.post(f"/projects/{pid}/status", headers=chief, json={"status": status, "note": f"→ {status}"})
            assert r.status_code == 200, r.text
        done = r.json()
        assert done["status"] == "signed" and done["due_on"] is None and done["next_statuses"] == []
        assert [(s["action"], s["status"]) for s in done["steps"]] == [
            ("created", "proposed"), ("claimed", "proposed"), ("status", "contacted"),
            ("status", "negotiating"), ("status", "signed")]
        assert all(s["by"] and s["at"] for s in done["steps"])
        again = c.post(f"/projects/{pid}/status", headers=chief, json={"status": "dropped"})
        assert again.status_code == 409 and "finished" in again.json()["message_en"]
        assert c.get("/needs/N1", headers=staff).json()["status"] == "matched"

        listed = c.get("/projects", params={"status": "signed", "enterprise_id": "E2"}, headers=staff).json()
        assert [x["id"] for x in listed["items"]] == [pid]
        assert [x["id"] for x in c.get("/projects", params={"owner_id": "P1"}, headers=h["viewer"]).json()["items"]] == [pid]
        log = c.get("/audit", params={"target_id": pid}, headers=h["admin"]).json()["items"]
        assert [e["action"] for e in log] == ["project.create", "project.claimed", "project.status",
                                              "project.status", "project.status"]
        # Hook for the lead: the signed outcome is what `chainmatch train` learns from, so a retrain after
        # this point is expected to move 亿家馨 up 利通's buyer recommendations (tested with the endpoint).


def test_project_from_a_firm_pair_and_scope(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        pair = {"parties": [{"enterprise_id": "E1", "role": "supplier"}, {"enterprise_id": "E9", "role": "buyer"}],
                "origin": "recommendation"}
        assert c.post("/projects", headers=h["viewer"], json=pair).status_code == 403
        # 双汇 is in G9: the chief of G3 may not link it (a project touching another grid is staff's to make).
        assert c.post("/projects", headers=h["grid_chief"], json=pair).status_code == 403
        made = c.post("/projects", headers=h["staff"], json=pair)
        assert made.status_code == 201 and made.json()["title"] == "利通 × 双汇"
        pid = made.json()["id"]
        seen = c.get(f"/projects/{pid}", headers=h["grid_chief"]).json()  # the chief of G3 still reads it
        restricted = {x["firm"]["id"]: x["firm"]["restricted"] for x in seen["parties"]}
        assert restricted == {"E1": False, "E9": True}
        foreign = c.post("/projects", headers=h["grid_chief"], json={"parties": [
            {"enterprise_id": "E2", "role": "supplier"}, {"enterprise_id": "E9", "role": "buyer"}]})
        assert foreign.status_code == 403
        assert c.post("/projects", headers=h["staff"], json={"parties": [{"enterprise_id": "E1"}]}).status_code == 422
        assert c.post("/projects", headers=h["staff"], json={"parties": [
            {"enterprise_id": "E1"}, {"enterprise_id": "X404"}]}).status_code == 404
        assert c.post(f"/projects/{pid}/claim", headers=h["admin"], json={}).status_code == 422  # no person
        assert c.post(f"/projects/{pid}/claim", headers=h["staff"], json={"person_id": "P404"}).status_code == 404
        assert c.post(f"/projects/{pid}/status", headers=h["staff"], json={"status": "won"}).status_code == 422
        assert c.post(f"/projects/{pid}/status", headers=h["staff"], json={"status": "dropped"}).status_code == 200
        assert c.get("/projects/PJ404", headers=h["staff"]).status_code == 404
        chief_g1 = h["chief_g1"]
        assert c.get(f"/projects/{pid}", headers=chief_g1).status_code == 200  # 利通 is in G3, below G1
        from_need_and_resource = c.post("/projects", headers=h["staff"], json={"need_id": "N1", "resource_id": "R1"})
        assert {(x["firm"]["id"], x["role"]) for x in from_need_and_resource.json()["parties"]} == {
            ("E1", "supplier"), ("E2", "buyer")}
        assert c.get("/projects", params={"overdue": "true"}, headers=h["staff"]).json()["items"] == []


def test_a_step_decided_on_a_state_that_changed_meanwhile_is_refused(tmp_path: Path) -> None:
    """Two people (or two worker processes) advance one project at the same moment: the one whose write comes
    second decided on the state before the first one's step, and is refused with nothing written."""
    import pytest

    from chainmatch.access import audit
    from chainmatch.access.auth import SYSTEM
    from chainmatch.errors import Conflict
    from chainmatch.stores.base import GraphBatch
    from chainmatch.stores.sqlite import SQLiteStore
    from chainmatch.workflows.projects import advance_project, claim_project, create_project, get_project
    from tests.world import open_world

    with open_world(tmp_path) as store:
        pid = create_project(store, SYSTEM, parties=[("E1", "supplier"), ("E2", "buyer")]).id
        claim_project(store, SYSTEM, pid, person_id="P1")
        advance_project(store, SYSTEM, pid, "contacted")
        other = SQLiteStore.open(tmp_path / "world.db")  # the other worker's own connection to the same file

        class Racing(SQLiteStore):
            """Lets the other worker sign the project between this request's read and its write."""

            def write(self, batch: GraphBatch) -> None:
                advance_project(other, SYSTEM, pid, "negotiating", note="另一位同事")
                super().write(batch)

        racing = Racing.open(tmp_path / "world.db")
        with pytest.raises(Conflict, match="changed by someone else"):
            advance_project(racing, SYSTEM, pid, "declined", note="我方判断")
        racing.close()
        other.close()
        view = get_project(store, SYSTEM, pid)
        assert view.status == "negotiating"
        assert [(s.status, s.note) for s in view.steps][-1] == ("negotiating", "另一位同事")
        assert [e.props["action"] for e in audit.list_entries(store, target_id=pid).items].count("project.status") == 2
