"""Authorization at the object: every write route × every role × a target inside or outside the caller's scope.

The matrix is checked against the app's OpenAPI description, so a new write route without an entry here fails
:func:`test_every_write_route_is_in_the_matrix`. "own" targets lie in grid G3 of zone LH (the grid chief's
grid: 利通 E1, 汇龙 E3, person P1); "other" targets lie in grid G9 of the same zone (双汇 E9, chief P9) or, for
chain maps, in zone QZ. Each case makes its own fresh targets through the library, so cases do not depend on
each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch import needs, resources
from chainmatch.access import auth
from chainmatch.settings import Settings
from chainmatch.stores.base import GraphBatch, Node, Rel, Store
from chainmatch.workflows import events, problems, projects
from tests.world import open_world

ROLES = ("admin", "staff", "staff_lh", "staff_qz", "chief", "viewer")
TOKENS: dict[str, dict[str, Any]] = {
    "admin": {"role": "admin"},
    "staff": {"role": "staff", "person_id": "P2"},
    "staff_lh": {"role": "staff", "zones": ["LH"], "person_id": "P2"},
    "staff_qz": {"role": "staff", "zones": ["QZ"]},
    "chief": {"role": "grid_chief", "grids": ["G3"], "person_id": "P1"},
    "viewer": {"role": "viewer"},
}
Request = tuple[str, str, dict[str, Any] | bytes | None]
Builder = Callable[[Store, str], Request]


def _need(store: Store, firm: str) -> str:
    return needs.create_need(store, auth.SYSTEM, enterprise_id=firm, title="用工需求", kind="workers").id


def _resource(store: Store, firm: str) -> str:
    return resources.create_resource(store, auth.SYSTEM, provider_id=firm, title="闲置厂房", kind="land").id


def _project(store: Store, side: str) -> str:
    pair = [("E1", "supplier"), ("E3", "buyer")] if side == "own" else [("E2", "supplier"), ("E9", "buyer")]
    return projects.create_project(store, auth.SYSTEM, parties=pair).id


def _firm(side: str) -> str:
    return "E1" if side == "own" else "E9"


def _token(store: Store) -> str:
    return auth.create_token(store, role="viewer", name="临时").node.id


# (method, OpenAPI path) → how to build the request for a side, and the status per role for (own, other).
MATRIX: dict[tuple[str, str], tuple[Builder, dict[str, tuple[int, int]]]] = {}
ONLY_ADMIN_AND_CHIEF = {"admin": (201, 201), "staff": (403, 403), "staff_lh": (403, 403), "staff_qz": (403, 403),
                        "chief": (201, 403), "viewer": (403, 403)}
OK_ADMIN_AND_CHIEF = {k: (200 if a == 201 else a, 200 if b == 201 else b) for k, (a, b) in ONLY_ADMIN_AND_CHIEF.items()}
PROJECT_WRITE = {"admin": (200, 200), "staff": (200, 200), "staff_lh": (200, 200), "staff_qz": (403, 403),
                 "chief": (200, 403), "viewer": (403, 403)}
ADMIN_ONLY = {r: ((200, 200) if r == "admin" else (403, 403)) for r in ROLES}


def entry(method: str, path: str, expect: dict[str, tuple[int, int]]) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        MATRIX[(method, path)] = (build, expect)
        return build
    return register


@entry("post", "/needs", ONLY_ADMIN_AND_CHIEF)
def _post_need(store: Store, side: str) -> Request:
    return "POST", "/needs", {"enterprise_id": _firm(side), "title": "找买家", "kind": "buyers"}


@entry("patch", "/needs/{need_id}", OK_ADMIN_AND_CHIEF)
def _patch_need(store: Store, side: str) -> Request:
    return "PATCH", f"/needs/{_need(store, _firm(side))}", {"title": "改了标题"}


@entry("post", "/needs/{need_id}/close", OK_ADMIN_AND_CHIEF)
def _close_need(store: Store, side: str) -> Request:
    return "POST", f"/needs/{_need(store, _firm(side))}/close", {}


@entry("post", "/resources", ONLY_ADMIN_AND_CHIEF)
def _post_resource(store: Store, side: str) -> Request:
    return "POST", "/resources", {"provider_id": _firm(side), "title": "标准厂房", "kind": "land"}


@entry("patch", "/resources/{resource_id}", OK_ADMIN_AND_CHIEF)
def _patch_resource(store: Store, side: str) -> Request:
    return "PATCH", f"/resources/{_resource(store, _firm(side))}", {"title": "改了标题"}


@entry("post", "/resources/{resource_id}/withdraw", OK_ADMIN_AND_CHIEF)
def _withdraw_resource(store: Store, side: str) -> Request:
    return "POST", f"/resources/{_resource(store, _firm(side))}/withdraw", {}


@entry("post", "/projects", {**PROJECT_WRITE, **{r: (201 if a == 200 else a, 201 if b == 200 else b)
                                                  for r, (a, b) in PROJECT_WRITE.items()}})
def _post_project(store: Store, side: str) -> Request:
    if side == "own":
        return "POST", "/projects", {"parties": [{"enterprise_id": "E1"}, {"enterprise_id": "E3"}]}
    # issue 14, reproduction 1: a project from another grid's need
    return "POST", "/projects", {"need_id": "N2", "parties": [{"enterprise_id": "E1"}]}


@entry("post", "/projects/{project_id}/claim", PROJECT_WRITE)
def _claim_project(store: Store, side: str) -> Request:
    return "POST", f"/projects/{_project(store, side)}/claim", {"person_id": "P1" if side == "own" else "P9"}


@entry("post", "/projects/{project_id}/status", PROJECT_WRITE)
def _advance_project(store: Store, side: str) -> Request:
    return "POST", f"/projects/{_project(store, side)}/status", {"status": "dropped"}


PROBLEM_WRITE = PROJECT_WRITE
PROBLEM_CREATE = {r: (201 if a == 200 else a, 201 if b == 200 else b) for r, (a, b) in PROBLEM_WRITE.items()}


def _problem(store: Store, side: str, upto: str = "raised") -> str:
    """A fresh problem of 利通 (own) or 双汇 (other), taken to ``upto`` by the system."""
    pid = problems.raise_problem(store, auth.SYSTEM, enterprise_id=_firm(side), title="用地报批", category="land").id
    if upto in ("dispatched", "handling", "closed"):
        problems.dispatch(store, auth.SYSTEM, pid, ["D1"])
    if upto in ("handling", "closed"):
        problems.acknowledge(store, auth.SYSTEM, pid, department_id="D1")
    if upto == "closed":
        problems.close_problem(store, auth.SYSTEM, pid, note="已办结")
    return pid


@entry("post", "/problems", PROBLEM_CREATE)
def _post_problem(store: Store, side: str) -> Request:
    return "POST", "/problems", {"enterprise_id": _firm(side), "title": "用地报批", "category": "land"}


@entry("post", "/problems/{problem_id}/dispatch", PROBLEM_WRITE)
def _dispatch_problem(store: Store, side: str) -> Request:
    return "POST", f"/problems/{_problem(store, side)}/dispatch", {"department_ids": ["D1"]}


@entry("post", "/problems/{problem_id}/acknowledge", ADMIN_ONLY)
def _acknowledge_problem(store: Store, side: str) -> Request:
    return "POST", f"/problems/{_problem(store, side, 'dispatched')}/acknowledge", {"department_id": "D1"}


@entry("post", "/problems/{problem_id}/escalate", PROBLEM_WRITE)
def _escalate_problem(store: Store, side: str) -> Request:
    return "POST", f"/problems/{_problem(store, side)}/escalate", {}


@entry("post", "/problems/{problem_id}/close", PROBLEM_WRITE)
def _close_problem(store: Store, side: str) -> Request:
    return "POST", f"/problems/{_problem(store, side, 'handling')}/close", {"note": "已办结"}


@entry("post", "/problems/{problem_id}/evaluate", PROBLEM_WRITE)
def _evaluate_problem(store: Store, side: str) -> Request:
    contact = "P1" if side == "own" else "P9"  # made the firm's contact here (the world has no posts)
    store.write(GraphBatch(rels=[Rel("WORKS_FOR", "Person", contact, "Enterprise", _firm(side))]))
    return "POST", f"/problems/{_problem(store, side, 'closed')}/evaluate", {"evaluation": "satisfied",
                                                                            "contact_id": contact}


@entry("post", "/problems/sweep", {r: ((200, 200) if r in ("admin", "staff") else (403, 403)) for r in ROLES})
def _sweep_problems(store: Store, side: str) -> Request:
    return "POST", "/problems/sweep", {}


EVENT_WRITE = {"admin": (200, 200), "staff": (200, 200), "staff_lh": (200, 403), "staff_qz": (403, 200),
               "chief": (403, 403), "viewer": (403, 403)}


def _match_event(store: Store, side: str, invitee: bool = False) -> tuple[str, str]:
    """A fresh event of 利通 (own, zone LH) or 特步 (other, zone QZ), and the firm invited to it when asked (亿家馨,
    or a second QZ firm made here)."""
    host = "E1" if side == "own" else "Q9"
    eid = events.create_event(store, auth.SYSTEM, title="对接会", host_id=host, product="高压灭菌设备").id
    firm = "E2" if side == "own" else "Q8"
    if invitee:
        store.write(GraphBatch(nodes=[Node("Enterprise", "Q8", {"id": "Q8", "name": "泉州某食品有限公司"})],
                               rels=[Rel("IN_ZONE", "Enterprise", "Q8", "Zone", "QZ"),
                                     Rel("IN_GRID", "Enterprise", "Q8", "Grid", "Q1"),
                                     Rel("INVITED", "Enterprise", firm, "MatchEvent", eid, {"origin": "manual"})]))
    return eid, firm


@entry("post", "/events", {r: (201 if a == 200 else a, 201 if b == 200 else b) for r, (a, b) in EVENT_WRITE.items()})
def _post_event(store: Store, side: str) -> Request:
    return "POST", "/events", {"title": "对接会", "host_id": "E1" if side == "own" else "Q9", "product": "高压灭菌设备"}


@entry("post", "/events/{event_id}/invitees", EVENT_WRITE)
def _invite(store: Store, side: str) -> Request:
    eid, _ = _match_event(store, side)
    return "POST", f"/events/{eid}/invitees", {"enterprise_ids": ["E2" if side == "own" else "E9"]}


@entry("delete", "/events/{event_id}/invitees/{enterprise_id}", EVENT_WRITE)
def _uninvite(store: Store, side: str) -> Request:
    eid, firm = _match_event(store, side, invitee=True)
    return "DELETE", f"/events/{eid}/invitees/{firm}", None


@entry("post", "/events/{event_id}/attendance", EVENT_WRITE)
def _attendance(store: Store, side: str) -> Request:
    eid, firm = _match_event(store, side, invitee=True)
    return "POST", f"/events/{eid}/attendance", {"enterprise_ids": [firm]}


@entry("post", "/events/{event_id}/outcomes", EVENT_WRITE)
def _outcome(store: Store, side: str) -> Request:
    eid, firm = _match_event(store, side, invitee=True)
    return "POST", f"/events/{eid}/outcomes", {"enterprise_id": firm, "status": "declined"}


@entry("post", "/maps/runs", {"admin": (202, 202), "staff": (202, 202), "staff_lh": (202, 403),
                              "staff_qz": (403, 202), "chief": (403, 403), "viewer": (403, 403)})
def _start_map_run(store: Store, side: str) -> Request:
    return "POST", "/maps/runs", {"zone_id": "LH" if side == "own" else "QZ", "targets": 1}


@entry("post", "/model/train", ADMIN_ONLY)
def _train(store: Store, side: str) -> Request:
    return "POST", "/model/train", None


@entry("post", "/tokens", {r: ((201, 201) if r == "admin" else (403, 403)) for r in ROLES})
def _post_token(store: Store, side: str) -> Request:
    body: dict[str, Any] = {"role": "viewer", "name": "新令牌"}
    return "POST", "/tokens", {**body, "zone_ids": ["LH"]} if side == "own" else body


@entry("post", "/tokens/{token_id}/revoke", ADMIN_ONLY)
def _revoke_token(store: Store, side: str) -> Request:
    return "POST", f"/tokens/{_token(store)}/revoke", None


REGISTER_WRITE = {"admin": (200, 200), "staff": (200, 200), "staff_lh": (200, 403), "staff_qz": (403, 200),
                  "chief": (403, 403), "viewer": (403, 403)}
"""Registers: admins and staff; a zone-limited staff token only for rows of its zone (own = LH, other = QZ)."""


@entry("post", "/registers/import", REGISTER_WRITE)
def _import_register(store: Store, side: str) -> Request:
    zone = "LH" if side == "own" else "QZ"
    name = f"授权矩阵导入企业{zone}{uuid.uuid4().hex[:6]}"
    return "POST", f"/registers/import?filename=r.csv&zone={zone}&dry_run=false", f"企业名称\n{name}\n".encode()


@entry("post", "/registers/{kind}/records", REGISTER_WRITE)
def _register_records(store: Store, side: str) -> Request:
    zone = "LH" if side == "own" else "QZ"
    return "POST", "/registers/enterprises/records", {
        "records": [{"企业名称": f"授权矩阵记录企业{zone}{uuid.uuid4().hex[:6]}"}], "zone": zone}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Store, dict[str, dict[str, str]]]]:
    tmp = tmp_path_factory.mktemp("authz")
    headers = {}
    with open_world(tmp) as store:
        # A person of zone QZ, for claims across zones (issue 14, reproduction 2).
        store.write(GraphBatch(nodes=[Node("Person", "QP1", {"id": "QP1", "name": "泉州招商员", "role": "staff"})],
                               rels=[Rel("IN_ZONE", "Person", "QP1", "Zone", "QZ")]))
        for name, spec in TOKENS.items():
            new = auth.create_token(store, name=name, role=spec["role"], grids=spec.get("grids", ()),
                                    zones=spec.get("zones", ()), person_id=spec.get("person_id"))
            headers[name] = {"Authorization": f"Bearer {new.secret}"}
    settings = Settings(db=tmp / "world.db", model_path=tmp / "model.json")
    with TestClient(create_app(settings)) as client:
        yield client, client.app.state.store, headers  # type: ignore[attr-defined]


def test_every_write_route_is_in_the_matrix() -> None:
    spec = create_app().openapi()
    writes = {(method, path) for path, ops in spec["paths"].items() for method in ops
              if method in ("post", "put", "patch", "delete")}
    assert writes == set(MATRIX), (
        f"write routes without an authorization entry: {sorted(writes - set(MATRIX))}; "
        f"entries without a route: {sorted(set(MATRIX) - writes)}")


@pytest.mark.parametrize("side", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0].upper()} {r[1]}")
def test_write_is_allowed_only_within_the_callers_scope(
    world: tuple[TestClient, Store, dict[str, dict[str, str]]], route: tuple[str, str], role: str, side: str,
) -> None:
    client, store, headers = world
    build, expect = MATRIX[route]
    method, path, body = build(store, side)
    if isinstance(body, bytes):  # an uploaded file
        response = client.request(method, path, headers=headers[role], content=body)
    else:
        response = client.request(method, path, headers=headers[role], json=body)
    wanted = expect[role][0 if side == "own" else 1]
    assert response.status_code == wanted, (role, side, method, path, response.text)
    if wanted == 403:
        assert response.json()["code"] == "permission_denied" and response.json()["message_en"]


def test_issue_reproductions_are_refused_and_change_nothing(
    world: tuple[TestClient, Store, dict[str, dict[str, str]]],
) -> None:
    client, store, h = world
    # 1. another grid's need: 403 and the need stays open, with no project written.
    before = store.counts().nodes.get("Project", 0)
    r = client.post("/projects", headers=h["chief"], json={"need_id": "N2", "parties": [{"enterprise_id": "E1"}]})
    assert r.status_code == 403 and "N2" in r.json()["message_en"] and "G3" in r.json()["message_en"]
    assert store.counts().nodes.get("Project", 0) == before
    assert store.get("Need", ["N2"])["N2"].props["status"] == "open"
    # ... and an own need with another grid's resource (R1 is 亿家馨's, grid G4).
    own = _need(store, "E1")
    r = client.post("/projects", headers=h["chief"], json={"need_id": own, "resource_id": "R1"})
    assert r.status_code == 403 and "R1" in r.json()["message_en"]
    # A department's resource of the chief's zone is open to link (区金融办's loans), ...
    assert client.post("/projects", headers=h["chief"], json={
        "need_id": own, "resource_id": "R2", "parties": [{"enterprise_id": "E3"}]}).status_code == 201
    # ... but not to change.
    assert client.patch("/resources/R2", headers=h["chief"], json={"title": "改"}).status_code == 403
    # 2. claims for people outside the caller's scope or the project's zone.
    pid = _project(store, "own")
    r = client.post(f"/projects/{pid}/claim", headers=h["staff"], json={"person_id": "QP1"})
    assert r.status_code == 403 and "QZ" in r.json()["message_en"]
    assert client.post(f"/projects/{pid}/claim", headers=h["chief"], json={"person_id": "P9"}).status_code == 403
    assert client.post(f"/projects/{pid}/claim", headers=h["chief"], json={}).json()["owner"]["id"] == "P1"
    # A viewer reads only.
    assert client.post("/maps/runs", headers=h["viewer"], json={"zone_id": "LH"}).status_code == 403


def test_zone_limited_tokens_read_only_their_zone(world: tuple[TestClient, Store, dict[str, dict[str, str]]]) -> None:
    client, _, h = world
    me = client.get("/tokens/me", headers=h["staff_qz"]).json()
    assert me["zones"] == ["QZ"] and me["grids"] == ["Q1"]
    assert client.get("/enterprises/Q9", headers=h["staff_qz"]).status_code == 200
    assert client.get("/enterprises/E1", headers=h["staff_qz"]).status_code == 403
    assert client.get("/needs/N1", headers=h["staff_qz"]).status_code == 403
    assert client.get("/needs/N1", headers=h["staff_lh"]).status_code == 200
    listed = client.get("/needs", headers=h["staff_qz"]).json()
    assert listed["items"] == []
    r = client.post("/tokens", headers=h["admin"], json={"role": "admin", "name": "x", "zone_ids": ["LH"]})
    assert r.status_code == 422 and "admin is global" in r.json()["message_en"]
    r = client.post("/tokens", headers=h["admin"], json={"role": "staff", "name": "x", "zone_ids": ["ZZ"]})
    assert r.status_code == 404 and "ZZ" in r.json()["message_en"]
