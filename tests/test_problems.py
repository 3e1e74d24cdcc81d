"""Problems (企业诉求) through the API on the real embedded store: 六枝's whistle case from raising to evaluation.

The world: 六枝经济开发区 (LZ) with the 片区 LZ-G1 holding the plot grid LZ-G2 (贵州美锦华宇新能源, chief 网格长甲
LZ-P1, grid member 谢工 LZ-P2 who works for 美锦华宇: its contact) and LZ-G3 (a coking firm, chief LZ-P3);
departments 工业和信息化局 (LZ-D-gx), 自然资源局 (LZ-D-zr), 交通运输局 (LZ-D-jt); and a 泉州 department (QZ-D-01).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch.access import audit
from chainmatch.access.auth import SYSTEM, create_token
from chainmatch.errors import Conflict, DataError
from chainmatch.loader import load_folder
from chainmatch.settings import Settings
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.workflows import problems
from chainmatch.workflows.deadlines import DEFAULT_LIMITS
from tests.test_loader import write_folder

__all__ = ["liuzhi_files", "open_liuzhi"]


def liuzhi_files() -> dict[str, str]:
    return {
        "zones.csv": "id,name,kind\nLZ,六枝经济开发区,park\nQZ,泉州经济技术开发区,etdz",
        "grids.csv": "id,name,level,kind,type,zone_id,parent_id\n"
                     "LZ-G1,煤焦化片区,1,exclusive,block,LZ,\n"
                     "LZ-G2,美锦华宇网格,3,exclusive,point,LZ,LZ-G1\n"
                     "LZ-G3,焦化二厂网格,3,exclusive,point,LZ,LZ-G1\n"
                     "QZ-G1,崇泰片,1,exclusive,block,QZ,",
        "people.csv": "id,name,role,organ,zone_id\n"
                      "LZ-P1,网格长甲,grid_chief,特区工信局,LZ\nLZ-P2,谢工,grid_member,,LZ\n"
                      "LZ-P3,网格长乙,grid_chief,特区财政局,LZ\nLZ-P4,招商员丙,staff,招商局,LZ\n"
                      "LZ-P5,王经理,grid_member,,LZ",
        "grid_staff.csv": "from_id,to_id,since\nLZ-P1,LZ-G2,2024-01-01\nLZ-P3,LZ-G3,2024-01-01",
        "grid_members.csv": "from_id,to_id\nLZ-P2,LZ-G2\nLZ-P5,LZ-G3",
        "departments.csv": "id,name,zone_id\nLZ-D-gx,工业和信息化局,LZ\nLZ-D-zr,自然资源局,LZ\n"
                           "LZ-D-jt,交通运输局,LZ\nQZ-D-01,经济发展局,QZ",
        "enterprises.csv": "id,name,short_name,products,industry_codes,zone_id,grid_id\n"
                           "LZ-E1,贵州美锦华宇新能源有限公司,美锦华宇,焦炭;氢气,2521,LZ,LZ-G2\n"
                           "LZ-E2,六枝焦化二厂,焦化二厂,焦炭,2521,LZ,LZ-G3",
        "posts.csv": "from_id,to_id,title\nLZ-P2,LZ-E1,行政部长\nLZ-P5,LZ-E2,厂长",
    }


TOKENS = {  # name → create_token arguments
    "admin": {"role": "admin"},
    "staff": {"role": "staff", "person_id": "LZ-P4"},
    "chief": {"role": "grid_chief", "grids": ["LZ-G2"], "person_id": "LZ-P1"},
    "member": {"role": "grid_chief", "grids": ["LZ-G2"], "person_id": "LZ-P2"},
    "gx": {"role": "department", "department_id": "LZ-D-gx"},
    "zr": {"role": "department", "department_id": "LZ-D-zr"},
    "jt": {"role": "department", "department_id": "LZ-D-jt"},
    "viewer": {"role": "viewer"},
}


def open_liuzhi(tmp_path: Path) -> SQLiteStore:
    store = SQLiteStore.open(tmp_path / "lz.db")
    load_folder(store, write_folder(tmp_path / "lz", liuzhi_files()))
    return store


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    store = open_liuzhi(tmp_path)
    headers = {}
    for name, kwargs in TOKENS.items():
        new = create_token(store, name=name, **kwargs)  # type: ignore[arg-type]
        headers[name] = {"Authorization": f"Bearer {new.secret}"}
    store.close()
    with TestClient(create_app(Settings(db=tmp_path / "lz.db", model_path=tmp_path / "model.json"))) as client:
        yield client, headers


def _count(client: TestClient, label: str) -> int:
    return int(client.app.state.store.counts().nodes.get(label, 0))  # type: ignore[attr-defined]


def test_the_whistle_case_walks_from_raised_to_evaluated(app: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, h = app
    today = audit.now_cst().date()
    raised_on = today - timedelta(days=10)
    # 企业吹哨: the grid member (美锦华宇's 行政部长) finds it, the grid chief raises it.
    r = client.post("/problems", headers=h["chief"], json={
        "enterprise_id": "LZ-E1", "title": "焦化扩能项目用地报批", "category": "用地厂房", "reporter_id": "LZ-P2",
        "raised_on": raised_on.isoformat()})
    assert r.status_code == 201, r.text
    p = r.json()
    pid = p["id"]
    assert (p["status"], p["level"], p["category"], p["grid_id"], p["zone_id"]) == ("raised", "1", "land", "LZ-G2", "LZ")
    assert p["due_on"] == (raised_on + timedelta(days=3)).isoformat()  # the "3" of "135"
    assert p["overdue"] is True and p["reporter"]["id"] == "LZ-P2"
    # 党委响应: dispatched to 工信 and 自然资源.
    r = client.post(f"/problems/{pid}/dispatch", headers=h["chief"], json={"department_ids": ["LZ-D-gx", "LZ-D-zr"]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dispatched"
    assert [d["id"] for d in r.json()["departments"]] == ["LZ-D-gx", "LZ-D-zr"]
    # A department sees what was dispatched to it, and nothing else.
    assert [x["id"] for x in client.get("/problems", headers=h["zr"]).json()["items"]] == [pid]
    assert client.get("/problems", headers=h["jt"]).json()["items"] == []
    assert client.get(f"/problems/{pid}", headers=h["jt"]).status_code == 403
    # 部门报到: 自然资源 first (it owns it: 首办负责), then 工信.
    r = client.post(f"/problems/{pid}/acknowledge", headers=h["zr"], json={})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["handler"]["id"]) == ("handling", "LZ-D-zr")
    r = client.post(f"/problems/{pid}/acknowledge", headers=h["gx"])
    assert r.status_code == 200 and r.json()["handler"]["id"] == "LZ-D-zr"
    assert all(d["acknowledged_on"] == today.isoformat() for d in r.json()["departments"])
    # Overdue: the sweep raises it to 园区/综合党委 with a new due date.
    assert [x["id"] for x in client.get("/problems?overdue=true", headers=h["admin"]).json()["items"]] == [pid]
    r = client.post("/problems/sweep", headers=h["admin"], json={})
    assert r.status_code == 200, r.text
    assert r.json()["escalated"] == [pid] and r.json()["checked"] == 1
    p = client.get(f"/problems/{pid}", headers=h["admin"]).json()
    assert (p["level"], p["level_name"], p["escalations"], p["overdue"]) == ("2", "园区/综合党委", 1, False)
    assert p["due_on"] == (today + timedelta(days=3)).isoformat()
    assert client.post("/problems/sweep", headers=h["admin"], json={}).json()["escalated"] == []  # in time now
    # 提级 by hand to 区级统筹; no level above it.
    r = client.post(f"/problems/{pid}/escalate", headers=h["staff"], json={"note": "需专家团队会商"})
    assert r.status_code == 200 and r.json()["level"] == "3"
    r = client.post(f"/problems/{pid}/escalate", headers=h["staff"], json={})
    assert r.status_code == 409 and "最高层级" in r.json()["message"]
    # Only the first handler closes it: not 工信, not the grid chief once it left the grid level.
    r = client.post(f"/problems/{pid}/close", headers=h["gx"], json={"note": "已办"})
    assert r.status_code == 403 and "首办" in r.json()["message"]
    assert client.post(f"/problems/{pid}/close", headers=h["chief"], json={"note": "已办"}).status_code == 403
    r = client.post(f"/problems/{pid}/close", headers=h["zr"], json={"note": "用地指标已落实，报批完成"})
    assert r.status_code == 200, r.text
    p = r.json()
    assert (p["status"], p["closed_on"], p["on_time"]) == ("closed", today.isoformat(), True)
    assert p["feedback_due_on"] == (today + timedelta(days=5)).isoformat()
    # The evaluation comes from the firm's contact (谢工), not from the grid chief.
    r = client.post(f"/problems/{pid}/evaluate", headers=h["chief"], json={"evaluation": "satisfied"})
    assert r.status_code == 403 and "企业联系人" in r.json()["message"] and "谢工" in r.json()["message"]
    r = client.post(f"/problems/{pid}/evaluate", headers=h["chief"],
                    json={"evaluation": "unsatisfied", "contact_id": "LZ-P2"})
    assert r.status_code == 422 and "原因" in r.json()["message"]
    r = client.post(f"/problems/{pid}/evaluate", headers=h["chief"],
                    json={"evaluation": "unsatisfied", "contact_id": "LZ-P2", "note": "配套道路未落实"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["reopened"]) == ("reopened", 1)
    assert r.json()["closed_on"] is None
    assert client.post(f"/problems/{pid}/close", headers=h["zr"], json={"note": "配套道路已纳入规划"}).status_code == 200
    r = client.post(f"/problems/{pid}/evaluate", headers=h["member"], json={"evaluation": "satisfied", "note": "感谢"})
    assert r.status_code == 200, r.text
    p = r.json()
    assert (p["status"], p["evaluation"], p["next_actions"]) == ("evaluated", "satisfied", [])
    assert [s["action"] for s in p["steps"]] == [
        "raised", "dispatched", "acknowledged", "acknowledged", "escalated", "escalated", "closed", "reopened",
        "closed", "evaluated"]
    assert all(s["by"] and s["at"] for s in p["steps"])
    assert "自动提级" in p["steps"][4]["note"] and p["steps"][4]["by"].startswith("admin")
    actions = [e["action"] for e in client.get(f"/audit?target_id={pid}", headers=h["admin"]).json()["items"]]
    assert actions == ["problem.raise", "problem.dispatched", "problem.acknowledged", "problem.acknowledged",
                       "problem.escalated", "problem.escalated", "problem.closed", "problem.reopened",
                       "problem.closed", "problem.evaluated"]
    # Finished: every further step is refused.
    r = client.post(f"/problems/{pid}/close", headers=h["zr"], json={"note": "再办"})
    assert r.status_code == 409 and "已评价" in r.json()["message"]


def test_bad_input_gets_a_chinese_answer_and_writes_nothing(app: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, h = app
    before = _count(client, "Problem")
    # A firm outside the chief's grids.
    r = client.post("/problems", headers=h["chief"], json={"enterprise_id": "LZ-E2", "title": "道路拓宽",
                                                           "category": "transport"})
    assert r.status_code == 403 and "不在令牌" in r.json()["message"] and "LZ-E2" in r.json()["message"]
    # An unknown category, with the catalogue's list.
    r = client.post("/problems", headers=h["chief"], json={"enterprise_id": "LZ-E1", "title": "x", "category": "路"})
    assert r.status_code == 422 and "用地厂房" in r.json()["message"]
    # A reporter who is neither of the firm's grid nor its contact.
    r = client.post("/problems", headers=h["staff"], json={"enterprise_id": "LZ-E1", "title": "道路拓宽",
                                                           "category": "transport", "reporter_id": "LZ-P5"})
    assert r.status_code == 422 and "上报人" in r.json()["message"]
    # A viewer and a department do not raise problems.
    body = {"enterprise_id": "LZ-E1", "title": "道路拓宽", "category": "transport"}
    assert client.post("/problems", headers=h["viewer"], json=body).status_code == 403
    assert client.post("/problems", headers=h["gx"], json=body).status_code == 403
    assert _count(client, "Problem") == before
    pid = client.post("/problems", headers=h["chief"], json=body).json()["id"]
    steps = _count(client, "ProblemStep")
    # Steps out of order: acknowledge, close or evaluate before dispatch.
    assert client.post(f"/problems/{pid}/acknowledge", headers=h["gx"]).status_code == 403  # not dispatched to it
    r = client.post(f"/problems/{pid}/acknowledge", headers=h["admin"], json={"department_id": "LZ-D-gx"})
    assert r.status_code == 409 and "分流" in r.json()["message"]
    r = client.post(f"/problems/{pid}/close", headers=h["gx"], json={"note": "已办"})
    assert r.status_code == 403  # a department closes nothing that was not dispatched to it
    r = client.post(f"/problems/{pid}/evaluate", headers=h["member"], json={"evaluation": "satisfied"})
    assert r.status_code == 409
    # Unknown departments, departments of another zone, a department twice.
    r = client.post(f"/problems/{pid}/dispatch", headers=h["chief"], json={"department_ids": ["LZ-D-xx"]})
    assert r.status_code == 404 and "LZ-D-xx" in r.json()["message"] and "交通运输局" in r.json()["message"]
    r = client.post(f"/problems/{pid}/dispatch", headers=h["chief"], json={"department_ids": ["QZ-D-01"]})
    assert r.status_code == 422 and "不属于" in r.json()["message"]
    assert _count(client, "ProblemStep") == steps
    assert client.post(f"/problems/{pid}/dispatch", headers=h["chief"],
                       json={"department_ids": ["LZ-D-jt"]}).status_code == 200
    r = client.post(f"/problems/{pid}/dispatch", headers=h["chief"], json={"department_ids": ["LZ-D-gx", "LZ-D-jt"]})
    assert r.status_code == 409 and "重复" in r.json()["message"]
    # A department acknowledges only what was dispatched to it, once.
    r = client.post(f"/problems/{pid}/acknowledge", headers=h["gx"])
    assert r.status_code == 403
    assert client.post(f"/problems/{pid}/acknowledge", headers=h["jt"]).status_code == 200
    r = client.post(f"/problems/{pid}/acknowledge", headers=h["jt"])
    assert r.status_code == 409 and "重复报到" in r.json()["message"]
    # Small matters close in the grid (泉州): the chief closes what stays at grid level.
    assert client.post(f"/problems/{pid}/close", headers=h["chief"], json={"note": "已协调拓宽"}).status_code == 200
    # The chief's list holds the firms of the chief's grids only; another chief's token sees none of them.
    assert [x["id"] for x in client.get("/problems", headers=h["chief"]).json()["items"]] == [pid]


def test_the_sweep_escalates_each_overdue_problem_once_a_level_and_lists_those_at_the_top(tmp_path: Path) -> None:
    store = open_liuzhi(tmp_path)
    try:
        day = date(2024, 5, 1)
        at = datetime(2024, 5, 1, 9, tzinfo=audit.CHINA)
        ids = [problems.raise_problem(store, SYSTEM, enterprise_id="LZ-E1", title=t, category=c, at=at).id
               for t, c in [("审批", "approval"), ("用地", "land"), ("住宿", "living")]]  # due in 1, 3 and 5 days
        assert problems.sweep(store, today=day + timedelta(days=1)).escalated == []  # the due day is in time
        done = problems.sweep(store, today=day + timedelta(days=4))
        assert (done.checked, sorted(done.escalated), done.at_top) == (3, sorted(ids[:2]), [])
        assert [problems.get_problem(store, SYSTEM, i).level for i in ids] == ["2", "2", "1"]
        # The new due dates run from the sweep's day: approval 1 day, land 3 days.
        assert [problems.get_problem(store, SYSTEM, i).due_on for i in ids[:2]] == ["2024-05-06", "2024-05-08"]
        assert sorted(problems.sweep(store, today=day + timedelta(days=7)).escalated) == sorted([ids[0], ids[2]])
        last = problems.sweep(store, today=day + timedelta(days=30), dry_run=True)
        assert (sorted(last.escalated), last.at_top) == (sorted([ids[1], ids[2]]), [ids[0]])
        assert problems.get_problem(store, SYSTEM, ids[1]).level == "2"  # a dry run writes nothing
    finally:
        store.close()


def test_a_catalogue_file_replaces_the_shipped_example(tmp_path: Path) -> None:
    path = tmp_path / "cats.csv"
    path.write_text("code,name,limit\nbus,公交线路,7\npermit,证照,paperwork\n", encoding="utf-8")
    cat = problems.load_catalogue(path)
    assert [(c.code, c.days(DEFAULT_LIMITS)) for c in cat.categories.values()] == [("bus", 7), ("permit", 1)]
    assert cat.get("公交线路").code == "bus"
    path.write_text("code,name,limit\nbus,公交线路,soon\n", encoding="utf-8")
    with pytest.raises(DataError, match="第 2 行，limit 列"):
        problems.load_catalogue(path)
    path.write_text("code,title\nbus,公交线路\n", encoding="utf-8")
    with pytest.raises(DataError, match="缺少列 name, limit"):
        problems.load_catalogue(path)


def test_the_command_line_lists_and_sweeps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import io
    import json

    from chainmatch.cli import main

    store = open_liuzhi(tmp_path)
    at = datetime(2024, 5, 1, 9, tzinfo=audit.CHINA)
    pid = problems.raise_problem(store, SYSTEM, enterprise_id="LZ-E1", title="货运铁路专线", category="transport",
                                 at=at).id
    problems.dispatch(store, SYSTEM, pid, ["LZ-D-jt", "LZ-D-gx"], at=at)
    store.close()
    db = str(tmp_path / "lz.db")
    out = io.StringIO()
    assert main(["--db", db, "problems", "sweep", "--today", "2024-05-10", "--dry-run"], out=out) == 0
    assert "将提级 1 条" in out.getvalue() and pid in out.getvalue()
    out = io.StringIO()
    assert main(["--db", db, "problems", "sweep", "--today", "2024-05-10", "--json"], out=out) == 0
    assert json.loads(out.getvalue())["escalated"] == [pid]
    out = io.StringIO()
    assert main(["--db", db, "problems", "list", "--department", "LZ-D-jt"], out=out) == 0
    assert "园区/综合党委" in out.getvalue() and "工业和信息化局、交通运输局" in out.getvalue()
    assert main(["--db", db, "problems", "sweep", "--today", "2024-5-1x"], out=io.StringIO()) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_department_tokens_name_their_department(tmp_path: Path) -> None:
    from chainmatch.errors import InvalidRequest, NotFound

    store = open_liuzhi(tmp_path)
    try:
        with pytest.raises(InvalidRequest, match="须指明所属部门"):
            create_token(store, role="department", name="工信")
        with pytest.raises(InvalidRequest, match="只有 department 角色"):
            create_token(store, role="viewer", name="x", department_id="LZ-D-gx")
        with pytest.raises(NotFound, match="LZ-D-zz"):
            create_token(store, role="department", name="x", department_id="LZ-D-zz")
        from chainmatch.access.auth import authenticate

        who = authenticate(store, create_token(store, role="department", name="工信", department_id="LZ-D-gx").secret)
        assert (who.department_id, who.zones, who.can("problems:handle"), who.can("problems:write")) == (
            "LZ-D-gx", frozenset({"LZ"}), True, False)
    finally:
        store.close()


def test_a_small_matter_is_closed_in_the_grid_and_a_large_one_is_not(tmp_path: Path) -> None:
    store = open_liuzhi(tmp_path)
    try:
        small = problems.raise_problem(store, SYSTEM, enterprise_id="LZ-E1", title="劳资纠纷调解", category="dispute")
        assert small.next_actions == ["dispatch", "escalate", "close"]
        done = problems.close_problem(store, SYSTEM, small.id, note="片长、网格员、调解员现场调解")
        assert (done.status, done.handler, done.departments) == ("closed", None, [])
        large = problems.raise_problem(store, SYSTEM, enterprise_id="LZ-E1", title="厂区边坡隐患", category="safety")
        problems.escalate(store, SYSTEM, large.id)
        with pytest.raises(Conflict, match="尚未分流"):
            problems.close_problem(store, SYSTEM, large.id, note="已办")
        assert problems.get_problem(store, SYSTEM, large.id).status == "raised"
    finally:
        store.close()
