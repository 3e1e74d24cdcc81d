"""Reminders on 六枝's world (tests/test_problems.py) on 2024-05-06, with "soon" = within 2 days."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch import needs
from chainmatch.access import audit
from chainmatch.access.auth import SYSTEM, create_token
from chainmatch.cli import main
from chainmatch.settings import Settings
from chainmatch.stores.base import Store
from chainmatch.workflows import problems, projects
from chainmatch.workflows.reminders import reminders
from tests.test_problems import open_liuzhi


def _at(day: int) -> datetime:
    return datetime(2024, 5, day, 9, tzinfo=audit.CHINA)


def world(store: Store) -> dict[str, str]:
    ids = {}
    ids["A"] = problems.raise_problem(store, SYSTEM, enterprise_id="LZ-E1", title="用地报批", category="land",
                                      at=_at(1)).id  # due 05-04: overdue
    problems.dispatch(store, SYSTEM, ids["A"], ["LZ-D-gx"], at=_at(1))
    ids["B"] = problems.raise_problem(store, SYSTEM, enterprise_id="LZ-E1", title="公交专线", category="transport",
                                      at=_at(5)).id  # due 05-08: soon
    problems.dispatch(store, SYSTEM, ids["B"], ["LZ-D-zr"], at=_at(5))
    ids["C"] = problems.raise_problem(store, SYSTEM, enterprise_id="LZ-E2", title="证照办理", category="approval",
                                      at=_at(5)).id  # due 05-06: today (grid LZ-G3, chief LZ-P3)
    ids["D"] = problems.raise_problem(store, SYSTEM, enterprise_id="LZ-E1", title="调解", category="dispute",
                                      at=_at(1)).id
    problems.close_problem(store, SYSTEM, ids["D"], note="就地调解", at=_at(3))  # feedback due 05-08: soon
    ids["N"] = needs.create_need(store, SYSTEM, enterprise_id="LZ-E1", title="招工", kind="workers",
                                 posted_on=date(2024, 5, 3), at=_at(3)).id  # due 05-06: today
    ids["P"] = projects.create_project(store, SYSTEM, parties=[("LZ-E1", "supplier"), ("LZ-E2", "buyer")],
                                       at=_at(2)).id  # due 05-07: soon, claimed by the staff member
    projects.claim_project(store, SYSTEM, ids["P"], person_id="LZ-P4", at=_at(2))
    problems.raise_problem(store, SYSTEM, enterprise_id="LZ-E1", title="远期", category="living", at=_at(5))  # 05-10
    return ids


def test_each_person_and_department_gets_what_is_overdue_due_today_and_soon(tmp_path: Path) -> None:
    store = open_liuzhi(tmp_path)
    try:
        ids = world(store)
        found = {(r.kind, r.id): r for r in reminders(store, SYSTEM, today=date(2024, 5, 6), soon_days=2)}
    finally:
        store.close()

    def view(key: tuple[str, str]) -> tuple[list[str], list[str], list[str]]:
        r = found[key]
        return ([i.id for i in r.overdue], [i.id for i in r.today], [i.id for i in r.soon])

    assert list(found) == [("department", "LZ-D-gx"), ("department", "LZ-D-zr"), ("person", "LZ-P1"),
                           ("person", "LZ-P3"), ("person", "LZ-P4")]
    assert view(("department", "LZ-D-gx")) == ([ids["A"]], [], [])
    assert view(("department", "LZ-D-zr")) == ([], [], [ids["B"]])
    chief = found[("person", "LZ-P1")]
    assert ([i.id for i in chief.overdue], [i.id for i in chief.today]) == ([ids["A"]], [ids["N"]])
    assert sorted((i.kind, i.id) for i in chief.soon) == sorted([("problem", ids["B"]), ("feedback", ids["D"])])
    assert view(("person", "LZ-P3")) == ([], [ids["C"]], [])
    assert view(("person", "LZ-P4")) == ([], [], [ids["P"]])
    assert found[("person", "LZ-P4")].soon[0].days_left == 1 and found[("person", "LZ-P1")].overdue[0].days_left == -2


def test_the_feed_and_the_command_are_scoped(tmp_path: Path) -> None:
    store = open_liuzhi(tmp_path)
    ids = world(store)
    dept = create_token(store, role="department", name="工信", department_id="LZ-D-gx").secret
    chief = create_token(store, role="grid_chief", name="网格长甲", grids=["LZ-G2"], person_id="LZ-P1").secret
    store.close()
    with TestClient(create_app(Settings(db=tmp_path / "lz.db", model_path=tmp_path / "m.json"))) as client:
        r = client.get("/reminders?today=2024-05-06", headers={"Authorization": f"Bearer {dept}"})
        assert r.status_code == 200, r.text
        assert [(x["id"], [i["id"] for i in x["overdue"]]) for x in r.json()] == [("LZ-D-gx", [ids["A"]])]
        mine = client.get("/reminders?today=2024-05-06", headers={"Authorization": f"Bearer {chief}"}).json()
        assert ("person", "LZ-P3") not in {(x["kind"], x["id"]) for x in mine}  # 焦化二厂 is not in the chief's grid
        assert client.get("/reminders?soon_days=99", headers={"Authorization": f"Bearer {chief}"}).status_code == 422
    out = io.StringIO()
    assert main(["--db", str(tmp_path / "lz.db"), "remind", "--today", "2024-05-06", "--department", "LZ-D-gx"],
                out=out) == 0
    assert out.getvalue().splitlines()[0] == "部门 工业和信息化局（LZ-D-gx）：逾期 1，今日到期 0，即将到期 0"
    assert f"[逾期] 诉求办理 {ids['A']} 用地报批（期限 2024-05-04）" in out.getvalue()
