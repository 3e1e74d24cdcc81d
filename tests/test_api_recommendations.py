"""Recommendations through the ASGI app on the demo data: reasons, roles, bad input, and retraining end to end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch.access.auth import create_token
from chainmatch.loader import load_folder
from chainmatch.settings import DEFAULT_DEMO_DIR, Settings
from chainmatch.stores.sqlite import SQLiteStore


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    tmp = tmp_path_factory.mktemp("api-rec")
    store = SQLiteStore.open(tmp / "demo.db")
    load_folder(store, DEFAULT_DEMO_DIR)
    litong = store.edges("Enterprise", ["LH-E-004"], "IN_GRID")["LH-E-004"][0].node.id
    chief = store.edges("Grid", [litong], "CHIEF_OF", "in")[litong][0].node.id
    headers = {"chief_person": {"id": chief}}
    for role, grids in [("admin", ()), ("staff", ()), ("viewer", ()), ("grid_chief", (litong,))]:
        secret = create_token(store, role=role, name=role, grids=grids).secret
        headers[role] = {"Authorization": f"Bearer {secret}"}
    store.close()
    with TestClient(create_app(Settings(db=tmp / "demo.db", model_path=tmp / "model.json"))) as client:
        yield client, headers


def test_buyers_of_litong_with_reasons(demo: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    c, h = demo
    r = c.get("/enterprises/利通/recommendations", params={"direction": "buyers", "top": 5}, headers=h["staff"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source_name"] == "漯河利通液压科技股份有限公司" and body["model"].startswith("默认权重")
    assert len(body["items"]) == 5
    for item in body["items"]:
        assert item["path"] and item["contributions"] and item["introducers"] and not item["restricted"]
    zone = c.get("/enterprises/LH-E-004/recommendations", params={"scope": "outside"}, headers=h["staff"]).json()
    assert all(i["zone"] != "漯河经济技术开发区" for i in zone["items"])


def test_grid_chief_sees_other_grids_firms_by_name_only(demo: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    c, h = demo
    body = c.get("/enterprises/LH-E-004/recommendations", headers=h["grid_chief"]).json()
    assert body["items"] and all(i["restricted"] and i["path"] == "" and i["score"] is None for i in body["items"])
    other = c.get("/enterprises/双汇/recommendations", headers=h["grid_chief"])
    assert other.status_code == 403


def test_bad_input_gets_clear_4xx(demo: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    c, h = demo
    assert c.get("/enterprises/利通/recommendations").status_code == 401
    bad = c.get("/enterprises/利通/recommendations", params={"direction": "upstream"}, headers=h["staff"])
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"
    assert c.get("/enterprises/利通/recommendations", params={"top": 1000}, headers=h["staff"]).status_code == 422
    missing = c.get("/enterprises/不存在的公司/recommendations", headers=h["staff"])
    assert missing.status_code == 404 and "message" in missing.json()


def test_signed_projects_retrain_and_change_the_ranking(demo: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    c, h = demo
    params = {"direction": "buyers", "top": 20}
    before = c.get("/enterprises/LH-E-004/recommendations", params=params, headers=h["staff"]).json()
    # The sterilizer case: recommend → create a project with the first candidate → claim → signed.
    buyer = before["items"][0]["id"]
    made = c.post("/projects", headers=h["staff"], json={
        "parties": [{"enterprise_id": "LH-E-004", "role": "supplier"}, {"enterprise_id": buyer, "role": "buyer"}],
        "origin": "recommendation"})
    assert made.status_code == 201, made.text
    pid = made.json()["id"]
    claim = c.post(f"/projects/{pid}/claim", headers=h["staff"], json={"person_id": h["chief_person"]["id"]})
    assert claim.status_code == 200, claim.text
    for status in ["contacted", "negotiating", "signed"]:
        assert c.post(f"/projects/{pid}/status", headers=h["staff"], json={"status": status}).status_code == 200
    assert c.post("/model/train", headers=h["staff"]).status_code == 403  # admins only
    trained = c.post("/model/train", headers=h["admin"])
    assert trained.status_code == 200, trained.text
    assert trained.json()["trained"] and trained.json()["model"].startswith("trained")
    after = c.get("/enterprises/LH-E-004/recommendations", params=params, headers=h["staff"]).json()
    assert after["model"].startswith("trained")
    ranking = lambda body: [(i["id"], i["score"]) for i in body["items"]]
    assert ranking(after) != ranking(before)


def test_recommendations_for_a_product_text_and_for_a_need(demo: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    c, h = demo
    r = c.get("/recommendations", params={"product": "高压灭菌设备", "zone_id": "LH", "top": 3}, headers=h["staff"])
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 3 and all("设备用户规则 3531" in i["path"] for i in items)
    garbage = c.get("/recommendations", params={"product": "hello"}, headers=h["staff"]).json()
    assert garbage["items"] == [] and "could not be classified" in garbage["reason"]
    need = c.get("/needs", params={"kind": "buyers", "status": "open", "limit": 1}, headers=h["staff"]).json()["items"][0]
    answer = c.get(f"/needs/{need['id']}/recommendations", headers=h["staff"]).json()
    assert answer["direction"] == "buyers" and (answer["items"] or answer["reason"])
    land = c.get("/needs", params={"kind": "land", "status": "open", "limit": 1}, headers=h["staff"]).json()["items"]
    if land:  # land needs are answered by resources, and the answer says so
        refused = c.get(f"/needs/{land[0]['id']}/recommendations", headers=h["staff"])
        assert refused.status_code == 422 and "resources" in refused.json()["message_en"]
    assert c.get("/needs/NOPE/recommendations", headers=h["staff"]).status_code == 404


def test_answers_encoded_from_dataclasses_match_their_response_models(
        demo: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    """The busiest routes encode the library's dataclasses directly; each answer must be exactly its model."""
    from api.models import FirmOut, PageOut
    from api.routes.enterprises import NeighbourOut
    from api.routes.recommendations import RecommendationsOut

    c, h = demo
    needs = c.get("/needs", params={"status": "open", "kind": "supply"}, headers=h["staff"]).json()["items"]
    need = next(n["id"] for n in needs
                if c.get(f"/needs/{n['id']}/recommendations", headers=h["staff"]).json()["items"])
    grid = c.get("/enterprises/LH-E-004", headers=h["staff"]).json()["grids"][0]["id"]
    cases = [
        ("/enterprises/LH-E-004/recommendations", {"top": 30}, RecommendationsOut),
        ("/enterprises/LH-E-004/recommendations", {"direction": "suppliers"}, RecommendationsOut),
        ("/recommendations", {"product": "高压灭菌设备"}, RecommendationsOut),
        (f"/needs/{need}/recommendations", {}, RecommendationsOut),
        ("/enterprises/LH-E-004/neighbours", {"depth": 2}, PageOut[NeighbourOut]),
        (f"/grids/{grid}/enterprises", {}, PageOut[FirmOut]),
        ("/enterprises", {"q": "食品"}, PageOut[FirmOut]),
    ]
    for role in ("staff", "grid_chief"):
        for path, params, model in cases:
            if role == "grid_chief" and path.startswith("/needs"):
                continue  # the need's firm is outside the chief's grid
            r = c.get(path, params=params, headers=h[role])
            assert r.status_code == 200 and r.headers["content-type"] == "application/json", (path, r.text)
            body = r.json()
            assert body.get("items"), (role, path)
            assert model.model_validate(body).model_dump(mode="json") == body, (role, path)


def test_requests_run_on_the_event_loop_or_in_threads_give_the_same_answers(
    demo: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    c, h = demo
    inline = c.app.state.settings  # type: ignore[attr-defined]
    threaded = Settings(db=inline.db, model_path=inline.model_path, threads=4)
    assert inline.inline_requests and not threaded.inline_requests
    calls = [
        ("/enterprises/利通/recommendations", {"top": 5}, "staff"),
        ("/enterprises/LH-E-004/recommendations", {}, "grid_chief"),
        ("/enterprises/双汇/recommendations", {}, "grid_chief"),  # 403
        ("/enterprises/不存在的公司/recommendations", {}, "staff"),  # 404
        ("/enterprises/LH-E-004/neighbours", {"limit": 5}, "grid_chief"),
        ("/enterprises", {"q": "液压"}, "viewer"),
        ("/enterprises", {"q": "液压"}, "nobody"),  # 401
    ]
    with TestClient(create_app(threaded)) as t:
        for path, params, role in calls:
            a = c.get(path, params=params, headers=h.get(role, {}))
            b = t.get(path, params=params, headers=h.get(role, {}))
            assert (a.status_code, a.json()) == (b.status_code, b.json()), path
