"""台账 pages through the ASGI app: upload a register, read the dry-run report in Chinese with its problem rows,
commit it; download the registers; admins and staff only; and a page POST over the size limits answered with a
Chinese page, not the limits' JSON."""

from __future__ import annotations

import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.main import create_app
from chainmatch.access import accounts
from chainmatch.settings import Settings
from tests import test_pages
from tests.test_api_registers import NEW_FIRM, register_bytes
from tests.test_pages import PW, csrf_of, is_chinese_html, login
from tests.test_registers import uscc
from tests.world import open_world

client = test_pages.client  # the fixture: the world's store with an account per role
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(c: TestClient, token: str, data: bytes, name: str = "名录.xlsx", **fields: str) -> object:
    return c.post("/pages/registers/upload", data={"csrf": token, **fields}, files={"file": (name, data, XLSX)})


def test_upload_read_the_report_then_commit(client: TestClient, tmp_path: Path) -> None:
    login(client, "staff1")
    page = client.get("/pages/registers")
    assert page.status_code == 200 and is_chinese_html(page) and 'enctype="multipart/form-data"' in page.text
    token = csrf_of(page.text)
    bad = [2, "漯河坏数据有限公司", "123", "杀菌设备", "3531", "没有这个网格", "规下", "漯河经济技术开发区"]
    r = _upload(client, token, register_bytes([NEW_FIRM, bad]))
    assert r.status_code == 422 and is_chinese_html(r)  # type: ignore[attr-defined]
    text = r.text  # type: ignore[attr-defined]
    assert "错误" in text and "未写入任何数据" in text and "没有这个网格" in text and "确认导入" not in text
    assert re.search(r"<td>4</td><td>所属网格</td>", text) or "所属网格" in text  # the row and its column's header
    r = _upload(client, token, register_bytes([NEW_FIRM]))
    text = r.text  # type: ignore[attr-defined]
    assert r.status_code == 200 and "检查通过" in text and "新增 1" in text  # type: ignore[attr-defined]
    assert "漯河新锐食品机械有限公司" not in client.get("/pages/firms", params={"q": uscc(77)}).text  # not written yet
    upload = re.search(r'name="upload" value="([^"]+)"', text)
    assert upload
    other = TestClient(client.app, follow_redirects=False)
    login(other, "admin1")  # another account cannot commit this upload
    r = other.post("/pages/registers/commit", data={"csrf": csrf_of(other.get("/pages/registers").text),
                                                    "upload": upload.group(1)})
    assert r.status_code == 409 and "上传已失效" in r.text
    assert client.post("/pages/registers/commit", data={"upload": upload.group(1)}).status_code == 403  # no CSRF
    r = client.post("/pages/registers/commit", data={"csrf": token, "upload": upload.group(1)})
    assert r.status_code == 200 and "已导入" in r.text, r.text[:2000]
    assert "漯河新锐食品机械有限公司" in client.get("/pages/firms", params={"q": uscc(77)}).text
    r = client.post("/pages/registers/commit", data={"csrf": token, "upload": upload.group(1)})
    assert r.status_code == 409  # committed once; the file is gone
    assert not list((tmp_path / "world-uploads").iterdir())
    for bogus in ("../world", "", "x" * 30):
        assert client.post("/pages/registers/commit", data={"csrf": token, "upload": bogus}).status_code == 409
    r = _upload(client, token, b"\x00\x01binary", name="名录.xls")
    assert r.status_code == 422 and is_chinese_html(r)  # type: ignore[attr-defined]
    r = client.post("/pages/registers/upload", data={"csrf": token})
    assert r.status_code in (400, 422) and is_chinese_html(r)


def test_the_registers_download_as_one_workbook(client: TestClient) -> None:
    login(client, "staff1")
    r = client.get("/pages/registers/export", params=[("what", "enterprises"), ("what", "needs"), ("zone", "LH")])
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert "attachment" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["企业名录", "需求清单"]
    assert any("漯河利通液压科技股份有限公司" in str(c.value) for row in book["企业名录"].iter_rows() for c in row)
    assert client.get("/pages/registers/export", params={"what": "secrets"}).status_code == 422


def test_grid_chiefs_and_viewers_are_refused_registers(client: TestClient) -> None:
    for name in ("chief1", "viewer1"):
        c = TestClient(client.app, follow_redirects=False)
        login(c, name)
        assert 'href="/pages/registers"' not in c.get("/").text
        token = csrf_of(c.get("/").text)
        for r in (c.get("/pages/registers"), c.get("/pages/registers/export"),
                  _upload(c, token, register_bytes([NEW_FIRM]))):
            assert r.status_code == 403 and is_chinese_html(r)  # type: ignore[attr-defined]


def test_a_page_post_over_the_size_limit_gets_a_chinese_page(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        accounts.create_account(store, "chief1", PW, role="grid_chief", name="网格长", grids=("G1",), person_id="P1")
        accounts.create_account(store, "staff1", PW, role="staff", name="招商")
    settings = Settings(db=tmp_path / "world.db", model_path=tmp_path / "m.json", max_body_bytes=4096,
                        max_upload_bytes=20_000)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        login(c, "chief1")
        before = c.get("/pages/needs", params={"status": ""}).text.count("data-need=")
        token = csrf_of(c.get("/pages/needs").text)
        r = c.post("/pages/needs", data={"csrf": token, "firm": "利通", "title": "x", "kind": "land",
                                         "description": "长" * 5000})
        assert r.status_code == 413 and is_chinese_html(r) and "提交的内容太大" in r.text and "什么也没有改变" in r.text
        assert c.get("/pages/needs", params={"status": ""}).text.count("data-need=") == before  # nothing posted
        # sent without a Content-Length (chunked): cut off while read, a Chinese page too
        body = ("csrf=" + token + "&firm=E1&title=y&kind=land&description=" + "a" * 6000).encode()
        r = c.post("/pages/needs", content=iter([body[:3000], body[3000:]]),
                   headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413 and is_chinese_html(r) and "提交的内容太大" in r.text
        # an upload has the upload limit: 20,000 bytes, said in MB
        staff = TestClient(c.app, follow_redirects=False)
        login(staff, "staff1")
        token = csrf_of(staff.get("/pages/registers").text)
        r = _upload(staff, token, b"a" * 30_000, name="名录.csv")
        assert r.status_code == 413 and is_chinese_html(r) and "上传的台账" in r.text  # type: ignore[attr-defined]
        r = _upload(staff, token, register_bytes([NEW_FIRM]))  # under it (over the 4,096 of other bodies)
        assert r.status_code == 200 and "检查通过" in r.text  # type: ignore[attr-defined]
        # the API keeps its JSON
        r = c.post("/needs", content=b"x" * 5000, headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
