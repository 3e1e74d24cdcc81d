"""Input the API refuses with a clear 4xx: dates outside 2000–2100, invisible titles, and revoking the last admin."""

from __future__ import annotations

from pathlib import Path

from tests.world import client_for


def test_dates_are_bounded_with_a_clear_message(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        far = {"enterprise_id": "E1", "title": "扩建用地", "kind": "land", "posted_on": "9999-12-31"}
        r = c.post("/needs", headers=h["grid_chief"], json=far)
        assert r.status_code == 422 and r.json()["code"] == "invalid_request"
        assert "posted_on" in r.json()["message_en"] and "2100-12-31" in r.json()["message_en"]
        r = c.patch("/needs/N1", headers=h["grid_chief"], json={"due_on": "9999-12-31"})
        assert r.status_code == 422 and "due_on" in r.json()["message_en"]
        assert c.patch("/needs/N1", headers=h["grid_chief"], json={"due_on": "1999-12-31"}).status_code == 422
        ok = c.post("/needs", headers=h["grid_chief"], json={**far, "posted_on": "2100-12-30"})
        assert ok.status_code == 201 and ok.json()["due_on"] == "2101-01-02"


def test_titles_must_show_something(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        for title in ("\u202e\u200b", "   ", "\ufeff\u2060"):
            r = c.post("/needs", headers=h["grid_chief"], json={"enterprise_id": "E1", "title": title, "kind": "land"})
            assert r.status_code == 422 and "title" in r.json()["message_en"], repr(title)
            r = c.post("/projects", headers=h["staff"], json={
                "title": title, "parties": [{"enterprise_id": "E1"}, {"enterprise_id": "E3"}]})
            assert r.status_code == 422, repr(title)
        assert c.patch("/resources/R1", headers=h["admin"], json={"title": "\u200b"}).status_code == 422


def test_the_last_active_admin_token_cannot_be_revoked(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        me = c.get("/tokens/me", headers=h["admin"]).json()["id"]
        r = c.post(f"/tokens/{me}/revoke", headers=h["admin"])
        assert r.status_code == 409 and r.json()["code"] == "conflict"
        assert "last active admin" in r.json()["message_en"] and "--role admin" in r.json()["message_en"]
        assert c.get("/tokens/me", headers=h["admin"]).status_code == 200  # still works
        second = c.post("/tokens", headers=h["admin"], json={"role": "admin", "name": "备用管理员"}).json()
        assert c.post(f"/tokens/{me}/revoke", headers=h["admin"]).json()["revoked"] is True
        other = {"Authorization": f"Bearer {second['secret']}"}
        assert c.post(f"/tokens/{second['id']}/revoke", headers=other).status_code == 409
