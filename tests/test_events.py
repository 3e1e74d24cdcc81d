"""Matchmaking events (对接活动) through the API on the demo store: 漯河's sterilizer event, from 80 invitations drawn
from the recommendations to 9 signatures, the funnel, and the retraining that learns from the outcomes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch.access.auth import create_token
from chainmatch.loader import load_folder
from chainmatch.matching.outcomes import collect_outcomes
from chainmatch.settings import DEFAULT_DEMO_DIR, Settings
from chainmatch.stores.sqlite import SQLiteStore

LITONG, YIJIAXIN = "LH-E-004", "LH-E-007"
Client = tuple[TestClient, dict[str, dict[str, str]]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    path = tmp_path_factory.mktemp("events")
    store = SQLiteStore.open(path / "demo.db")
    load_folder(store, DEFAULT_DEMO_DIR)
    headers = {}
    for name, kwargs in {"admin": {"role": "admin"}, "staff": {"role": "staff", "person_id": "LH-P-C02"},
                         "nobody": {"role": "staff"}, "chief": {"role": "grid_chief", "grids": ["LH-G-1"]},
                         "qz": {"role": "staff", "zones": ["QZ"]}, "viewer": {"role": "viewer"}}.items():
        secret = create_token(store, name=name, **kwargs).secret  # type: ignore[arg-type]
        headers[name] = {"Authorization": f"Bearer {secret}"}
    store.close()
    with TestClient(create_app(Settings(db=path / "demo.db", model_path=path / "model.json"))) as client:
        yield client, headers


def _event(client: TestClient, h: dict[str, str]) -> str:
    r = client.post("/events", headers=h, json={"title": "高压灭菌设备食品企业对接会", "host_id": LITONG,
                                                "product": "高压灭菌设备", "held_on": "2025-04-20"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_the_sterilizer_event_from_80_invitations_to_9_signatures(demo: Client) -> None:
    client, h = demo
    store = client.app.state.store  # type: ignore[attr-defined]
    before = collect_outcomes(store, client.app.state.ranking.index)  # type: ignore[attr-defined]
    chains_before = {f["chain_id"]: f for f in client.get("/events/funnel?zone_id=LH", headers=h["staff"]).json()}
    eid = _event(client, h["staff"])
    event = client.get(f"/events/{eid}", headers=h["staff"]).json()
    assert (event["host"]["id"], event["zone_id"], event["direction"], event["status"]) == (LITONG, "LH", "buyers",
                                                                                         "planned")
    assert (event["direction_label"], event["status_label"]) == ("买家", "筹备中")
    assert event["chain"]["id"] == "LH-C-FOOD"
    # The one scorer's list, with reasons; the host is not on it.
    suggested = client.get(f"/events/{eid}/suggestions?top=80&scope=zone", headers=h["staff"]).json()
    assert len(suggested["items"]) == 80 and all(i["reasons"] for i in suggested["items"])
    assert LITONG not in {i["id"] for i in suggested["items"]}
    # Invite the 80 recommended firms: each keeps its rank, score and reasons.
    r = client.post(f"/events/{eid}/invitees", headers=h["staff"], json={"top": 80, "scope": "zone"})
    assert r.status_code == 200, r.text
    invitees = r.json()["invitees"]
    assert [i["firm"]["id"] for i in invitees] == [i["id"] for i in suggested["items"]]
    assert [i["rank"] for i in invitees] == list(range(1, 81))
    assert all(i["origin"] == "recommendation" and i["origin_label"] == "推荐" and i["reasons"] for i in invitees)
    assert YIJIAXIN in {i["firm"]["id"] for i in invitees}
    # Staff edit the list: a firm by hand, then taken off again; a firm twice is refused.
    pool = {i["id"] for i in client.get(f"/events/{eid}/suggestions?top=200", headers=h["staff"]).json()["items"]}
    outside = next(n.id for n in store.scan("Enterprise") if n.id not in pool and n.id != LITONG)
    r = client.post(f"/events/{eid}/invitees", headers=h["staff"], json={"enterprise_ids": [outside]})
    assert r.json()["funnel"]["invited"] == 81
    assert [(i["origin"], i["rank"], i["reasons"]) for i in r.json()["invitees"] if i["firm"]["id"] == outside] == [
        ("manual", None, ["工作人员添加"])]
    r = client.post(f"/events/{eid}/invitees", headers=h["staff"], json={"enterprise_ids": [YIJIAXIN]})
    assert r.status_code == 409 and "不能重复邀请" in r.json()["message"]
    assert client.delete(f"/events/{eid}/invitees/{outside}", headers=h["staff"]).json()["funnel"]["invited"] == 80
    # 60 came.
    ids = [i["firm"]["id"] for i in invitees]
    r = client.post(f"/events/{eid}/attendance", headers=h["staff"], json={"enterprise_ids": ids[:60]})
    assert r.status_code == 200 and r.json()["status"] == "held" and r.json()["held_on"] == "2025-04-20"
    # 9 signed (亿家馨 among them), 6 still negotiating, 3 declined after negotiating, 7 declined at once.
    signed = [YIJIAXIN] + [f for f in ids[:12] if f != YIJIAXIN][:8]
    rest = [f for f in ids if f not in signed]
    for firm in signed:
        r = client.post(f"/events/{eid}/outcomes", headers=h["staff"], json={"enterprise_id": firm, "status": "signed"})
        assert r.status_code == 200 and r.json()["project_status"] == "signed", r.text
    for firm in rest[:9]:
        assert client.post(f"/events/{eid}/outcomes", headers=h["staff"],
                           json={"enterprise_id": firm, "status": "negotiating"}).status_code == 200
    for firm in rest[6:9] + rest[9:16]:
        assert client.post(f"/events/{eid}/outcomes", headers=h["staff"],
                           json={"enterprise_id": firm, "status": "declined", "note": "暂无采购计划"}).status_code == 200
    funnel = client.get(f"/events/{eid}", headers=h["staff"]).json()["funnel"]
    assert funnel == {"invited": 80, "attended": 60, "negotiating": 18, "signed": 9, "declined": 10, "dropped": 0,
                      "signed_rate": 0.1125}
    # Each outcome is a project of 利通 (supplier) and the invitee (buyer), of this event, claimed and stepped.
    one = client.get("/events/" + eid, headers=h["staff"]).json()["invitees"]
    pid = next(i["project_id"] for i in one if i["firm"]["id"] == YIJIAXIN)
    project = client.get(f"/projects/{pid}", headers=h["staff"]).json()
    assert (project["event"], project["origin"], project["owner"]["id"]) == (eid, "event", "LH-P-C02")
    assert {(p["firm"]["id"], p["role"]) for p in project["parties"]} == {(LITONG, "supplier"), (YIJIAXIN, "buyer")}
    assert [s["status"] for s in project["steps"]] == ["proposed", "proposed", "contacted", "negotiating", "signed"]
    # Going back, or past the end, is refused.
    r = client.post(f"/events/{eid}/outcomes", headers=h["staff"], json={"enterprise_id": rest[0], "status": "contacted"})
    assert r.status_code == 409 and "不能回到" in r.json()["message"]
    r = client.post(f"/events/{eid}/outcomes", headers=h["staff"], json={"enterprise_id": YIJIAXIN, "status": "dropped"})
    assert r.status_code == 409 and "已签约" in r.json()["message"]
    # The chain's funnel grew by this event's.
    after = {f["chain_id"]: f for f in client.get("/events/funnel?zone_id=LH", headers=h["staff"]).json()}
    old = chains_before.get("LH-C-FOOD", {"events": 0, "funnel": dict.fromkeys(funnel, 0)})
    assert after["LH-C-FOOD"]["events"] == old["events"] + 1
    for key in ("invited", "attended", "negotiating", "signed", "declined"):
        assert after["LH-C-FOOD"]["funnel"][key] == old["funnel"][key] + funnel[key]
    # Retraining learns from them: 9 more signed pairs and 10 more declined ones.
    r = client.post("/model/train", headers=h["admin"])
    assert r.status_code == 200, r.text
    summary = r.json()["summary"]
    assert summary["signed"] == int(before.labels.sum()) + 9
    assert summary["declined_or_dropped"] == len(before.labels) - int(before.labels.sum()) + 10


def test_events_refuse_bad_input_and_callers_outside_their_scope(demo: Client) -> None:
    client, h = demo
    store = client.app.state.store  # type: ignore[attr-defined]
    assert client.post("/events", headers=h["viewer"], json={"title": "x", "host_id": LITONG,
                                                             "product": "高压灭菌设备"}).status_code == 403
    assert client.post("/events", headers=h["chief"], json={"title": "x", "host_id": LITONG,
                                                            "product": "高压灭菌设备"}).status_code == 403
    assert client.post("/events", headers=h["qz"], json={"title": "x", "host_id": LITONG,
                                                         "product": "高压灭菌设备"}).status_code == 403
    r = client.post("/events", headers=h["staff"], json={"title": "对接会"})
    assert r.status_code == 422 and "need_id" in r.json()["message"]
    r = client.post("/events", headers=h["staff"], json={"title": "对接会", "need_id": "LH-N-999"})
    assert r.status_code == 404 and "LH-N-999" in r.json()["message"]
    eid = _event(client, h["staff"])
    edges = store.counts().rels.get("INVITED", 0)
    r = client.post(f"/events/{eid}/invitees", headers=h["staff"], json={"enterprise_ids": [YIJIAXIN, YIJIAXIN]})
    assert r.status_code == 409 and "两次" in r.json()["message"]
    r = client.post(f"/events/{eid}/invitees", headers=h["staff"], json={"enterprise_ids": [YIJIAXIN, "LH-E-nope"]})
    assert r.status_code == 404 and "LH-E-nope" in r.json()["message"]
    r = client.post(f"/events/{eid}/invitees", headers=h["staff"], json={"enterprise_ids": [LITONG]})
    assert r.status_code == 422 and "发起企业" in r.json()["message"]
    assert store.counts().rels.get("INVITED", 0) == edges
    r = client.post(f"/events/{eid}/attendance", headers=h["staff"], json={"enterprise_ids": [YIJIAXIN]})
    assert r.status_code == 409 and "未受邀" in r.json()["message"]
    r = client.post(f"/events/{eid}/outcomes", headers=h["staff"], json={"enterprise_id": YIJIAXIN, "status": "signed"})
    assert r.status_code == 409 and "未受邀" in r.json()["message"]
    client.post(f"/events/{eid}/invitees", headers=h["staff"], json={"enterprise_ids": [YIJIAXIN]})
    # Who follows the invitee up must be said when the token stands for nobody (首问负责).
    r = client.post(f"/events/{eid}/outcomes", headers=h["nobody"], json={"enterprise_id": YIJIAXIN,
                                                                         "status": "contacted"})
    assert r.status_code == 422 and "person_id" in r.json()["message"]
    assert client.get(f"/events/{eid}", headers=h["qz"]).status_code == 403
    assert client.get(f"/events/{eid}", headers=h["staff"]).json()["invitees"][0]["project_id"] is None
