"""Assessment (考核) of 六枝's problems in May 2024, every figure worked out by hand.

Problems (tests/test_problems.py's world; today is 2024-06-10):

====  =====  =========  ==========  ===========================================================================
id    grid   category   raised      what happened
====  =====  =========  ==========  ===========================================================================
A     LZ-G2  land (3)   05-01       → 工信 + 自然资源; 自然资源 first; closed 05-03 (in time); 满意
B     LZ-G2  transp (3) 05-02       → 交通; swept 05-06 (level 2, due 05-09); closed 05-08; 不满意 05-09 (due
                                    05-12); closed 05-11 (in time); 满意
C     LZ-G3  approv (1) 05-10       → 工信; acknowledged; still open on 06-10: overdue
D     LZ-G3  living (5) 05-20       → 自然资源; closed 05-27 (due 05-25: late); no evaluation yet
E     LZ-G2  land       04-30       → 工信; outside the period
====  =====  =========  ==========  ===========================================================================

Closed A, B, D in 2, 9 and 7 days. Closings owing feedback: A 1, B 2, D 1 = 4; evaluations A 1, B 2 = 3, of which
2 satisfied.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.main import create_app
from chainmatch.access import audit
from chainmatch.access.auth import SYSTEM, create_token
from chainmatch.settings import Settings
from chainmatch.stores.base import Store
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.workflows import problems
from chainmatch.workflows.assessment import Figures, assess
from tests.test_problems import open_liuzhi

MAY, JUNE = 5, 6


def _at(month: int, day: int) -> datetime:
    return datetime(2024, month, day, 10, tzinfo=audit.CHINA)


def _raise(store: Store, firm: str, category: str, month: int, day: int) -> str:
    return problems.raise_problem(store, SYSTEM, enterprise_id=firm, title=f"{category} 诉求", category=category,
                                  at=_at(month, day)).id


def may_problems(store: Store) -> dict[str, str]:
    ids = {}
    ids["E"] = _raise(store, "LZ-E1", "land", 4, 30)
    problems.dispatch(store, SYSTEM, ids["E"], ["LZ-D-gx"], at=_at(4, 30))
    ids["A"] = a = _raise(store, "LZ-E1", "land", MAY, 1)
    problems.dispatch(store, SYSTEM, a, ["LZ-D-gx", "LZ-D-zr"], at=_at(MAY, 1))
    problems.acknowledge(store, SYSTEM, a, department_id="LZ-D-zr", at=_at(MAY, 2))
    problems.acknowledge(store, SYSTEM, a, department_id="LZ-D-gx", at=_at(MAY, 2))
    problems.close_problem(store, SYSTEM, a, note="用地已落实", at=_at(MAY, 3))
    problems.evaluate(store, SYSTEM, a, evaluation="satisfied", contact_id="LZ-P2", at=_at(MAY, 4))
    ids["B"] = b = _raise(store, "LZ-E1", "transport", MAY, 2)
    problems.dispatch(store, SYSTEM, b, ["LZ-D-jt"], at=_at(MAY, 2))
    problems.acknowledge(store, SYSTEM, b, department_id="LZ-D-jt", at=_at(MAY, 3))
    assert problems.sweep(store, today=date(2024, MAY, 6), at=_at(MAY, 6)).escalated == [ids["E"], b]
    problems.close_problem(store, SYSTEM, b, note="公交专线开通", at=_at(MAY, 8))
    problems.evaluate(store, SYSTEM, b, evaluation="unsatisfied", contact_id="LZ-P2", note="班次太少",
                      at=_at(MAY, 9))
    problems.close_problem(store, SYSTEM, b, note="加密班次", at=_at(MAY, 11))
    problems.evaluate(store, SYSTEM, b, evaluation="satisfied", contact_id="LZ-P2", at=_at(MAY, 12))
    ids["C"] = c = _raise(store, "LZ-E2", "approval", MAY, 10)
    problems.dispatch(store, SYSTEM, c, ["LZ-D-gx"], at=_at(MAY, 10))
    problems.acknowledge(store, SYSTEM, c, department_id="LZ-D-gx", at=_at(MAY, 10))
    ids["D"] = d = _raise(store, "LZ-E2", "living", MAY, 20)
    problems.dispatch(store, SYSTEM, d, ["LZ-D-zr"], at=_at(MAY, 20))
    problems.acknowledge(store, SYSTEM, d, department_id="LZ-D-zr", at=_at(MAY, 21))
    problems.close_problem(store, SYSTEM, d, note="职工宿舍已协调", at=_at(MAY, 27))
    return ids


def row(received: int, closed: int, on_time: int, open_: int, overdue: int, owed: int, given: int, satisfied: int,
        unsatisfied: int, escalated: int, avg: float | None, rates: tuple[float | None, ...],
        escalations: int | None = None) -> tuple[object, ...]:
    """A row's figures; ``escalations`` (levels raised) defaults to ``escalated`` (each problem raised once)."""
    return (received, closed, on_time, open_, overdue, owed, given, satisfied, unsatisfied, escalated,
            escalated if escalations is None else escalations, avg, *rates)


def figures(f: Figures) -> tuple[object, ...]:
    return (f.received, f.closed, f.on_time, f.open, f.overdue, f.feedback_owed, f.feedback_given, f.satisfied,
            f.unsatisfied, f.escalated, f.escalations, f.avg_days_to_close, f.on_time_rate, f.feedback_rate,
            f.satisfaction_rate)


G2 = row(2, 2, 2, 0, 0, 3, 3, 2, 1, 1, 5.5, (1.0, 1.0, 0.6667))
G3 = row(2, 1, 0, 1, 1, 1, 0, 0, 0, 0, 7.0, (0.0, 0.0, None))


def test_the_figures_of_may_are_those_worked_out_by_hand(tmp_path: Path) -> None:
    store = open_liuzhi(tmp_path)
    try:
        may_problems(store)
        a = assess(store, SYSTEM, start=date(2024, 5, 1), end=date(2024, 5, 31), today=date(2024, 6, 10))
    finally:
        store.close()
    assert figures(a.total) == row(4, 3, 2, 1, 1, 4, 3, 2, 1, 1, 6.0, (0.6667, 0.75, 0.6667))
    assert {f.id: figures(f) for f in a.departments} == {
        "LZ-D-gx": row(2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 2.0, (1.0, 1.0, 1.0)),
        "LZ-D-jt": row(1, 1, 1, 0, 0, 2, 2, 1, 1, 1, 9.0, (1.0, 1.0, 0.5)),
        "LZ-D-zr": row(2, 2, 1, 0, 0, 2, 1, 1, 0, 0, 4.5, (0.5, 0.5, 1.0)),
    }
    assert [f.name for f in a.departments] == ["工业和信息化局", "交通运输局", "自然资源局"]
    assert {f.id: figures(f) for f in a.grids} == {"LZ-G2": G2, "LZ-G3": G3}
    assert {(f.id, f.name): figures(f) for f in a.chiefs} == {("LZ-P1", "网格长甲"): G2, ("LZ-P3", "网格长乙"): G3}


def test_the_assessment_through_the_api_is_scoped_and_exported(tmp_path: Path) -> None:
    store = open_liuzhi(tmp_path)
    may_problems(store)
    chief = create_token(store, role="grid_chief", name="网格长甲", grids=["LZ-G2"], person_id="LZ-P1").secret
    dept = create_token(store, role="department", name="交通运输局", department_id="LZ-D-jt").secret
    admin = create_token(store, role="admin", name="管理员").secret
    store.close()
    with TestClient(create_app(Settings(db=tmp_path / "lz.db", model_path=tmp_path / "m.json"))) as client:
        period = "start=2024-05-01&end=2024-05-31"
        r = client.get(f"/problems/assessment?{period}&zone_id=LZ", headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 200, r.text
        assert (r.json()["total"]["received"], r.json()["total"]["feedback_rate"]) == (4, 0.75)
        # A grid chief: the problems of their grid only (A and B).
        mine = client.get(f"/problems/assessment?{period}", headers={"Authorization": f"Bearer {chief}"}).json()
        assert (mine["total"]["received"], [g["id"] for g in mine["grids"]]) == (2, ["LZ-G2"])
        assert {d["id"]: d["received"] for d in mine["departments"]} == {"LZ-D-gx": 1, "LZ-D-jt": 1, "LZ-D-zr": 1}
        # A department: what was dispatched to it.
        theirs = client.get(f"/problems/assessment?{period}", headers={"Authorization": f"Bearer {dept}"}).json()
        assert [(d["id"], d["received"], d["satisfaction_rate"]) for d in theirs["departments"]] == [
            ("LZ-D-jt", 1, 0.5)]
        r = client.get("/problems/assessment?start=2024-06-01&end=2024-05-01", headers={
            "Authorization": f"Bearer {admin}"})
        assert r.status_code == 422 and "早于" in r.json()["message"]
        r = client.get(f"/problems/assessment.xlsx?{period}", headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["考核汇总", "部门考核", "网格考核", "网格长考核"]
    rows = list(wb["部门考核"].iter_rows(min_row=2, values_only=True))
    assert rows[0][:6] == ("编号", "名称", "受理诉求", "已办结", "按期办结", "按期办结率")
    assert rows[3][:6] == ("LZ-D-zr", "自然资源局", 2, 2, 1, 0.5)
    assert wb["部门考核"].cell(5, 6).number_format == "0.0%"
    assert wb["考核汇总"].cell(3, 17).value == pytest.approx(6.0)


def test_the_command_line_prints_and_writes_the_assessment(tmp_path: Path) -> None:
    from chainmatch.cli import main

    store = open_liuzhi(tmp_path)
    may_problems(store)
    store.close()
    out = io.StringIO()
    book = tmp_path / "考核.xlsx"
    assert main(["--db", str(tmp_path / "lz.db"), "problems", "assess", "--from", "2024-05-01", "--to", "2024-05-31",
                 "--zone", "LZ", "--xlsx", str(book)], out=out) == 0
    assert "自然资源局（LZ-D-zr）受理 2，办结 2，按期 50%" in out.getvalue()
    assert load_workbook(book)["网格考核"].cell(3, 1).value == "LZ-G2"


def test_problems_loaded_from_a_data_folder_are_assessed_through_their_relationships(tmp_path: Path) -> None:
    from chainmatch.loader import load_folder
    from tests.test_loader import write_folder
    from tests.test_problems import liuzhi_files

    files = liuzhi_files()
    files["problems.csv"] = ("id,title,category,status,level,raised_on,due_on,closed_on,on_time,reopened,"
                             "enterprise_id,grid_id,zone_id,handler_id\n"
                             "LZ-PB-1,园区公交专线,transport,evaluated,2,2024-03-01,2024-03-04,2024-03-03,true,0,"
                             "LZ-E1,LZ-G2,LZ,LZ-D-jt\n"
                             "LZ-PB-2,货运道路拓宽至20米,transport,handling,3,2024-03-05,2024-03-08,,,0,"
                             "LZ-E2,LZ-G3,LZ,LZ-D-jt")
    files["problem_departments.csv"] = "from_id,to_id,on\nLZ-PB-1,LZ-D-jt,2024-03-01\nLZ-PB-2,LZ-D-jt,2024-03-05\n" \
                                       "LZ-PB-2,LZ-D-zr,2024-03-05"
    store = SQLiteStore.open(tmp_path / "f.db")
    try:
        load_folder(store, write_folder(tmp_path / "f", files))
        a = assess(store, SYSTEM, start=date(2024, 3, 1), end=date(2024, 3, 31), zone_id="LZ",
                   today=date(2024, 4, 1))
    finally:
        store.close()
    assert [(f.id, f.received, f.closed, f.overdue) for f in a.departments] == [("LZ-D-jt", 2, 1, 1),
                                                                                ("LZ-D-zr", 1, 0, 1)]
    assert [(f.id, f.received, f.avg_days_to_close) for f in a.grids] == [("LZ-G2", 1, 2.0), ("LZ-G3", 1, None)]


def test_the_demo_problems_and_event_give_the_figures_counted_by_hand(tmp_path: Path) -> None:
    """seeds/demo: 六枝's three whistle problems (bus line: 交通 3 days; railway: 工信 + 自然资源, escalated twice,
    8 days; road: 住建 + 自然资源, 3 days), 铭智's three (plant 6 days, escalated once; hiring 12 days, reopened once
    after a 不满意; living 5 days) and the sterilizer event (81 invited and present, 9 signed)."""
    from chainmatch.loader import load_folder
    from chainmatch.settings import DEFAULT_DEMO_DIR
    from chainmatch.workflows.events import get_event

    store = SQLiteStore.open(tmp_path / "demo.db")
    try:
        load_folder(store, DEFAULT_DEMO_DIR)
        lz = assess(store, SYSTEM, start=date(2024, 1, 1), end=date(2025, 12, 31), zone_id="LZ",
                    today=date(2025, 12, 31))
        lh = assess(store, SYSTEM, start=date(2024, 1, 1), end=date(2025, 12, 31), zone_id="LH",
                    today=date(2025, 12, 31))
        event = get_event(store, SYSTEM, "LH-EV-001")
    finally:
        store.close()
    assert figures(lz.total) == row(3, 3, 3, 0, 0, 3, 3, 3, 0, 1, 4.67, (1.0, 1.0, 1.0), escalations=2)
    assert {f.id: (f.received, f.escalations, f.avg_days_to_close) for f in lz.departments} == {
        "LZ-D-gx": (1, 2, 8.0), "LZ-D-jt": (1, 0, 3.0), "LZ-D-zj": (1, 0, 3.0), "LZ-D-zr": (2, 2, 5.5)}
    assert figures(lh.total) == row(3, 3, 3, 0, 0, 4, 4, 3, 1, 1, 7.67, (1.0, 1.0, 0.75))
    assert len(lh.chiefs) == 1 and figures(lh.chiefs[0]) == figures(lh.total)
    assert (event.funnel.invited, event.funnel.attended, event.funnel.negotiating, event.funnel.signed,
            event.funnel.declined, event.funnel.dropped) == (81, 81, 9, 9, 15, 14)
    assert "LH-E-007" in {i.firm.id for i in event.invitees if i.project_status == "signed"}
