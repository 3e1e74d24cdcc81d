"""The 考核 page through the ASGI app: the May figures of tests/test_assessment.py (worked out by hand) in its
tables, scoped to the person logged in (a department account sees its department's problems, a grid chief those of
their grid), the workbook behind its link, and a bad date as a Chinese error page."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.main import create_app
from chainmatch.access import accounts
from chainmatch.settings import Settings
from tests.test_assessment import may_problems
from tests.test_pages import PW, csrf_of, is_chinese_html
from tests.test_problems import open_liuzhi

MAY = {"start": "2024-05-01", "end": "2024-05-31"}
ACCOUNTS = {  # user name → create_account arguments
    "admin1": {"role": "admin"},
    "jt1": {"role": "department", "department_id": "LZ-D-jt"},
    "chief1": {"role": "grid_chief", "grids": ["LZ-G2"], "person_id": "LZ-P1"},
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = open_liuzhi(tmp_path)
    try:
        may_problems(store)
        for name, kwargs in ACCOUNTS.items():
            accounts.create_account(store, name, PW, name=f"{name}姓名", **kwargs)  # type: ignore[arg-type]
    finally:
        store.close()
    settings = Settings(db=tmp_path / "lz.db", model_path=tmp_path / "m.json", login_slow_after=50)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


def _login(client: TestClient, name: str) -> None:
    client.cookies.clear()
    page = client.get("/login")
    r = client.post("/login", data={"username": name, "password": PW, "csrf": csrf_of(page.text), "next": "/"})
    assert r.status_code == 303, r.text[:300]


def _rows(html: str, kind: str) -> dict[str, list[str]]:
    """The rows of one table of the page: id → its cells as text (tags stripped)."""
    table = re.search(rf'<table class="figures" data-kind="{kind}">(.*?)</table>', html, re.DOTALL)
    assert table, f"no {kind} table"
    out = {}
    for rid, cells in re.findall(r'<tr data-id="([^"]*)"[^>]*>(.*?)</tr>', table.group(1), re.DOTALL):
        out[rid] = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", cells, re.DOTALL)]
    return out


def test_the_page_shows_the_may_figures_worked_out_by_hand(client: TestClient) -> None:
    _login(client, "admin1")
    r = client.get("/pages/assessment", params={**MAY, "zone": "LZ"})
    assert r.status_code == 200 and is_chinese_html(r)
    # 合计: received 4, closed 3, on time 2/3, open 1, overdue 1, feedback 3/4, satisfied 2/3, escalated 1, 6 days.
    assert _rows(r.text, "total")[""][1:] == ["4", "3", "66.7%", "1", "1", "75.0%（3/4）", "66.7%", "1", "6"]
    depts = _rows(r.text, "departments")
    assert depts["LZ-D-zr"][1:] == ["2", "2", "50.0%", "0", "0", "50.0%（1/2）", "100.0%", "0", "4.5"]
    assert depts["LZ-D-jt"][1:] == ["1", "1", "100.0%", "0", "0", "100.0%（2/2）", "50.0%", "1", "9"]
    assert depts["LZ-D-gx"][0].startswith("工业和信息化局")
    assert set(_rows(r.text, "grids")) == {"LZ-G2", "LZ-G3"}
    assert _rows(r.text, "chiefs")["LZ-P3"][1:3] == ["2", "1"]
    link = re.search(r'href="(/pages/assessment\.xlsx\?[^"]+)"', r.text)
    assert link
    book = client.get(link.group(1).replace("&amp;", "&"))
    assert book.status_code == 200 and book.headers["content-type"].startswith("application/vnd.openxml")
    wb = load_workbook(io.BytesIO(book.content))
    assert wb.sheetnames == ["考核汇总", "部门考核", "网格考核", "网格长考核"]
    assert next(iter(wb["部门考核"].iter_rows(min_row=5, max_row=5, values_only=True)))[:5] == (
        "LZ-D-zr", "自然资源局", 2, 2, 1)


def test_a_department_sees_its_department_and_a_grid_chief_their_grid(client: TestClient) -> None:
    _login(client, "jt1")
    r = client.get("/pages/assessment", params=MAY)
    assert r.status_code == 200 and "只统计分流给本部门的诉求" in r.text
    assert list(_rows(r.text, "departments")) == ["LZ-D-jt"]
    assert _rows(r.text, "total")[""][1:3] == ["1", "1"]  # B only
    book = load_workbook(io.BytesIO(client.get("/pages/assessment.xlsx", params=MAY).content))
    assert [row[0] for row in book["部门考核"].iter_rows(min_row=3, values_only=True)] == ["LZ-D-jt"]
    _login(client, "chief1")
    r = client.get("/pages/assessment", params=MAY)
    assert list(_rows(r.text, "grids")) == ["LZ-G2"] and list(_rows(r.text, "chiefs")) == ["LZ-P1"]
    assert _rows(r.text, "total")[""][1] == "2"  # A and B
    # A zone outside the chief's reach is refused, not widened.
    refused = client.get("/pages/assessment", params={**MAY, "zone": "QZ"})
    assert refused.status_code == 422 and is_chinese_html(refused) and "不在您负责的范围内" in refused.text


def test_bad_dates_get_a_chinese_page(client: TestClient) -> None:
    _login(client, "admin1")
    r = client.get("/pages/assessment", params={"start": "2024-13-01", "end": "2024-05-31"})
    assert r.status_code == 422 and is_chinese_html(r) and "开始日期「2024-13-01」不是日期" in r.text
    r = client.get("/pages/assessment", params={"start": "2024-06-01", "end": "2024-05-01"})
    assert r.status_code == 422 and is_chinese_html(r) and "早于" in r.text
    r = client.get("/pages/assessment.xlsx", params={"start": "x", "end": "2024-05-31"})
    assert r.status_code == 422 and is_chinese_html(r)


def test_the_page_needs_a_login(client: TestClient) -> None:
    r = client.get("/pages/assessment", params=MAY)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/pages/assessment")
