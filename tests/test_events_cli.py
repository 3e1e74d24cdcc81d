"""``chainmatch events`` on the demo store: an event for 利通's 高压灭菌设备 created, invitees from the
recommendations and by hand, attendance, an outcome that becomes a signed project, the funnel per chain; the same
library calls as ``/events`` (the API reads back what the command wrote). Bad input exits with status 2, a Chinese
message that names the option or the id, and nothing written."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch.access.auth import create_token
from chainmatch.cli import main
from chainmatch.loader import load_folder
from chainmatch.settings import DEFAULT_DEMO_DIR, Settings
from chainmatch.stores.sqlite import SQLiteStore

LITONG, YIJIAXIN = "LH-E-004", "LH-E-007"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("events_cli") / "demo.db"
    store = SQLiteStore.open(db)
    try:
        load_folder(store, DEFAULT_DEMO_DIR)
    finally:
        store.close()
    return db


def run(db: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    out = io.StringIO()
    capsys.readouterr()
    code = main(["--db", str(db), "events", *args], out=out)
    return code, out.getvalue(), capsys.readouterr().err


def _event(db: Path, event_id: str) -> dict[str, object]:
    out = io.StringIO()
    assert main(["--db", str(db), "events", "show", event_id, "--json"], out=out) == 0
    data: dict[str, object] = json.loads(out.getvalue())
    return data


def test_an_event_from_creation_to_a_signature(demo_db: Path, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    code, out, _ = run(demo_db, "create", "--title", "高压灭菌设备第二场对接会", "--host", LITONG, "--product",
                       "高压灭菌设备", "--held-on", "2025-09-01", "--json", capsys=capsys)
    assert code == 0
    event = json.loads(out)
    eid = event["id"]
    assert (event["status"], event["held_on"], event["chain"]["name"]) == ("planned", "2025-09-01", "食品")
    code, out, _ = run(demo_db, "invite", eid, "--top", "3", "--firm", YIJIAXIN, capsys=capsys)
    assert code == 0 and out.startswith("已邀请：") and "受邀企业（4）" in out
    assert "推荐第 1 名" in out and "理由：" in out
    invited = _event(demo_db, eid)["invitees"]
    assert isinstance(invited, list) and len(invited) == 4
    assert [i["rank"] for i in invited[:3]] == [1, 2, 3] and all(i["origin"] == "recommendation" for i in invited)
    code, out, _ = run(demo_db, "attend", eid, "--firm", f"{YIJIAXIN},{invited[0]['firm']['id']}",
                       "--held-on", "2025-09-01", capsys=capsys)
    assert code == 0 and "已记录到场 2 家" in out and "已举办 2025-09-01" in out
    code, out, _ = run(demo_db, "outcome", eid, "--firm", YIJIAXIN, "--status", "signed", "--person", "LH-P-C02",
                       "--note", "签订 2 台采购合同", capsys=capsys)
    assert code == 0 and "已记录对接结果：漯河亿家馨食品有限公司（LH-E-007）" in out and "已签约" in out
    code, out, _ = run(demo_db, "outcome", eid, "--firm", invited[0]["firm"]["id"], "--status", "declined",
                       capsys=capsys)
    assert code == 0 and "已拒绝" in out
    shown = _event(demo_db, eid)
    assert shown["funnel"] == {"invited": 4, "attended": 2, "negotiating": 1, "signed": 1, "declined": 1,
                               "dropped": 0, "signed_rate": 0.25}
    code, out, _ = run(demo_db, "funnel", capsys=capsys)
    # The demo's sterilizer event (81 → 9) and this one, together under 食品.
    assert code == 0 and "食品（LH-C-FOOD）2 场：邀请 85 → 到场 83 → 洽谈 10 → 签约 10" in out
    code, out, _ = run(demo_db, "list", "--zone", "LH", capsys=capsys)
    assert code == 0 and eid in out and "共 2 场对接活动" in out

    # The API reads the same event (the same library calls, the same store).
    store = SQLiteStore.open(demo_db)
    secret = create_token(store, role="viewer", name="查看").secret
    store.close()
    with TestClient(create_app(Settings(db=demo_db, model_path=tmp_path / "m.json"))) as client:
        got = client.get(f"/events/{eid}", headers={"Authorization": f"Bearer {secret}"}).json()
    assert got["funnel"]["signed"] == 1
    assert {i["firm"]["id"]: i["project_status"] for i in got["invitees"]}[YIJIAXIN] == "signed"


def test_bad_input_exits_2_with_a_located_chinese_message_and_writes_nothing(
        demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = SQLiteStore.open(demo_db)
    counts = before.counts()
    before.close()
    cases = [
        (("create", "--title", "对接会", "--host", LITONG, "--product", "灭菌设备", "--held-on", "2025-13-01"),
         "选项 --held-on 的值 '2025-13-01' 不是日期"),
        (("create", "--title", "对接会", "--host", "LH-E-999", "--product", "灭菌设备"), "LH-E-999"),
        (("create", "--title", "对接会"), "需求（need_id）或一种产品"),
        (("create", "--title", "对接会", "--host", LITONG, "--product", "灭菌设备", "--direction", "sideways"),
         "direction 的值 'sideways' 无效"),
        (("show", "LH-EV-404"), "没有编号为「LH-EV-404」的对接活动"),
        (("invite", "LH-EV-001", "--firm", YIJIAXIN), "已受邀参加本次活动，不能重复邀请"),
        (("invite", "LH-EV-001"), "请用 --top N"),
        (("invite", "LH-EV-001", "--top", "0"), "top 的值 0 无效"),
        (("attend", "LH-EV-001", "--firm", ","), "选项 --firm 的值 ',' 含有空的编号"),
        (("attend", "LH-EV-001", "--firm", LITONG), f"企业 {LITONG} 未受邀"),
        (("outcome", "LH-EV-001", "--firm", YIJIAXIN, "--status", "bogus"), "status 的值 'bogus' 无效"),
        (("outcome", "LH-EV-001", "--firm", YIJIAXIN, "--status", "contacted"), "不能再改为「已联系」"),
    ]
    for args, said in cases:
        code, out, err = run(demo_db, *args, capsys=capsys)
        assert code == 2, (args, err)
        assert err.startswith("错误：") and said in err, (args, err)
        assert out == "" and "Traceback" not in err
    after = SQLiteStore.open(demo_db)
    try:
        assert after.counts() == counts
    finally:
        after.close()
