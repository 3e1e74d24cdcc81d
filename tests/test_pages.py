"""The pages through the ASGI app: login and logout, the session cookie, CSRF on every form, the pages per role,
a grid chief kept to their grids, and errors as Chinese HTML pages (never JSON, never a stack trace)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch.access import accounts
from chainmatch.settings import Settings
from chainmatch.stores.sqlite import SQLiteStore
from tests.world import open_world

PW = "correct horse 7"
USERS = {  # user name → (role, grids, zones, person)
    "admin1": ("admin", (), (), None),
    "staff1": ("staff", (), (), "P2"),
    "chief1": ("grid_chief", ("G1",), (), "P1"),  # G1 holds G3 (利通 E1, 汇龙 E3) and G4 (亿家馨 E2)
    "chief9": ("grid_chief", ("G9",), (), "P9"),  # 双汇 (E9)
    "viewer1": ("viewer", (), (), None),
}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with open_world(tmp_path) as store:
        for name, (role, grids, zones, person) in USERS.items():
            accounts.create_account(store, name, PW, role=role, name=f"{name}姓名", grids=grids, zones=zones,
                                    person_id=person)
    settings = Settings(db=tmp_path / "world.db", model_path=tmp_path / "model.json", login_slow_after=50)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, html[:2000]
    return found.group(1)


def login(client: TestClient, name: str, password: str = PW) -> None:
    page = client.get("/login")
    r = client.post("/login", data={"username": name, "password": password, "csrf": csrf_of(page.text),
                                    "next": "/"})
    assert r.status_code == 303 and r.headers["location"] == "/", r.text[:500]


def is_chinese_html(r: object) -> bool:
    text = r.text  # type: ignore[attr-defined]
    headers = r.headers  # type: ignore[attr-defined]
    return ("text/html" in headers["content-type"] and '<html lang="zh-CN">' in text and "Traceback" not in text
            and '"code"' not in text)


def test_pages_need_a_login_and_come_back_after_it(client: TestClient) -> None:
    r = client.get("/pages/firms/E1")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/pages/firms/E1"
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and is_chinese_html(page) and "登录" in page.text
    assert 'value="/pages/firms/E1"' in page.text
    r = client.post("/login", data={"username": "staff1", "password": PW, "csrf": csrf_of(page.text),
                                    "next": "/pages/firms/E1"})
    assert r.status_code == 303 and r.headers["location"] == "/pages/firms/E1"
    cookie = r.headers["set-cookie"]
    assert "cm_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test
    profile = client.get("/pages/firms/E1")
    assert profile.status_code == 200 and is_chinese_html(profile)
    assert "漯河利通液压科技股份有限公司" in profile.text and "网格长甲" in profile.text and "利通公司党支部" in profile.text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_the_login_sends_nobody_to_another_site(client: TestClient, target: str) -> None:
    page = client.get("/login", params={"next": target})
    r = client.post("/login", data={"username": "staff1", "password": PW, "csrf": csrf_of(page.text),
                                    "next": target})
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_the_cookie_is_secure_over_https(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        accounts.create_account(store, "staff1", PW, role="staff", name="招商")
    settings = Settings(db=tmp_path / "world.db", model_path=tmp_path / "model.json")
    with TestClient(create_app(settings), base_url="https://testserver", follow_redirects=False) as c:
        page = c.get("/login")
        assert "Secure" in page.headers["set-cookie"]
        r = c.post("/login", data={"username": "staff1", "password": PW, "csrf": csrf_of(page.text)})
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_wrong_password_and_unknown_user_say_the_same_in_chinese(client: TestClient) -> None:
    for name in ("staff1", "nobody"):
        page = client.get("/login")
        r = client.post("/login", data={"username": name, "password": "wrong one", "csrf": csrf_of(page.text)})
        assert r.status_code == 401 and is_chinese_html(r) and "用户名或密码不正确" in r.text
        assert "cm_session=" not in r.headers.get("set-cookie", "")


def test_a_locked_account_is_told_when_to_come_back(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        accounts.create_account(store, "staff1", PW, role="staff", name="招商")
    settings = Settings(db=tmp_path / "world.db", model_path=tmp_path / "model.json", login_slow_after=10,
                        login_lock_after=2)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        for _ in range(2):
            page = c.get("/login")
            c.post("/login", data={"username": "staff1", "password": "wrong one", "csrf": csrf_of(page.text)})
        page = c.get("/login")
        r = c.post("/login", data={"username": "staff1", "password": PW, "csrf": csrf_of(page.text)})
        assert r.status_code == 429 and "已锁定" in r.text and int(r.headers["retry-after"]) > 800


def test_login_without_its_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": "staff1", "password": PW})
    assert r.status_code == 403 and is_chinese_html(r) and "CSRF" in r.text
    r = client.post("/login", data={"username": "staff1", "password": PW, "csrf": "forged"})
    assert r.status_code == 403


def test_every_form_needs_the_session_s_csrf_token(client: TestClient) -> None:
    login(client, "chief1")
    r = client.post("/pages/projects", data={"a": "E1", "a_role": "supplier", "b": "E3", "b_role": "buyer"})
    assert r.status_code == 403 and is_chinese_html(r) and "安全令牌" in r.text
    page = client.get("/pages/recommend?firm=利通&direction=buyers")
    other = TestClient(client.app, follow_redirects=False)
    login(other, "chief1")  # the same person's other session has another token
    r = other.post("/pages/projects", data={"csrf": csrf_of(page.text), "a": "E1", "a_role": "supplier",
                                            "b": "E3", "b_role": "buyer"})
    assert r.status_code == 403
    r = client.post("/logout", data={})
    assert r.status_code == 403  # logging out is a form too
    r = client.post("/logout", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/login?msg=out"
    assert client.get("/").status_code == 303  # the session is gone
    assert "已退出" in client.get("/login?msg=out").text


def test_a_grid_chief_cannot_open_or_act_on_another_grid_s_firm(client: TestClient) -> None:
    login(client, "chief1")
    r = client.get("/pages/firms/E9")  # 双汇, in G9
    assert r.status_code == 403 and is_chinese_html(r) and "无权访问" in r.text and "不在您负责的范围内" in r.text
    r = client.get("/pages/firms/双汇")
    assert r.status_code == 403
    page = client.get("/pages/firms/E1")
    assert page.status_code == 200
    r = client.post("/pages/projects", data={"csrf": csrf_of(page.text), "a": "E1", "a_role": "supplier",
                                             "b": "E9", "b_role": "buyer"})
    assert r.status_code == 403 and "不在您负责的范围内" in r.text
    r = client.get("/pages/recommend?firm=E9")
    assert r.status_code == 403
    grid = client.get("/pages/grid")
    assert grid.status_code == 200 and "一号片区" in grid.text and "汇龙" in grid.text and "亿家馨" in grid.text
    assert "双汇片区" not in grid.text and "/pages/firms/E9" not in grid.text  # 双汇 only by name, as a neighbour


def test_my_grid_and_the_firm_page_show_chain_neighbours_with_their_direction(client: TestClient) -> None:
    login(client, "chief1")
    grid = client.get("/pages/grid").text
    assert "一级网格(片区) · 专属网格 · 片" in grid  # G1's level, kind and type in Chinese
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>\s*<td>(.*?)</td></tr>", grid, re.DOTALL)
    by_firm = {re.sub(r"<[^>]+>", "", f): (scale, re.sub(r"<[^>]+>", "", near)) for f, scale, near in rows}
    assert by_firm["利通"] == ("规上", "汇龙液压（同环节）、亿家馨（下游）、河南双汇投资发展股份有限公司（下游）")
    assert by_firm["亿家馨"] == ("规下", "河南双汇投资发展股份有限公司（同环节）、利通（上游）、汇龙液压（上游）")
    firm = client.get("/pages/firms/E2").text
    assert "<th>方向</th>" in firm
    assert re.search(r'data-direction="upstream"><td><a href="/pages/firms/E1">利通</a></td><td>上游</td><td>上游</td>',
                     firm)


def test_the_workbench_shows_needs_with_due_dates_overdue_and_coverage(client: TestClient) -> None:
    login(client, "chief9")
    r = client.get("/")
    assert r.status_code == 200 and is_chinese_html(r)
    assert "扩建用地" in r.text and "2024-05-04" in r.text and "超期" in r.text  # N2 of 双汇, long past due
    assert "高压灭菌设备找买家" not in r.text  # 利通's need is another grid's
    assert "网格覆盖" in r.text and "漯河经济技术开发区" in r.text


def test_search_finds_by_name_short_name_uscc_and_product_and_takes_odd_text(client: TestClient) -> None:
    login(client, "staff1")
    for q, found in [("利通", "漯河利通液压科技股份有限公司"), ("亿家馨", "漯河亿家馨食品有限公司"),
                     ("火腿肠", "河南双汇投资发展股份有限公司"), ("ＬＨ", "")]:
        r = client.get("/pages/firms", params={"q": q})
        assert r.status_code == 200 and is_chinese_html(r)
        assert found in r.text
    r = client.get("/pages/firms", params={"q": "🚀灭菌"})
    assert r.status_code == 200 and "没有找到" in r.text
    r = client.get("/pages/firms", params={"q": "长" * 101})
    assert r.status_code == 422 and is_chinese_html(r) and "检索词太长" in r.text
    r = client.get("/pages/firms/不存在的公司")
    assert r.status_code == 404 and is_chinese_html(r) and "未找到" in r.text


def test_recommend_propose_claim_and_sign(client: TestClient) -> None:
    login(client, "staff1")
    page = client.get("/pages/recommend", params={"firm": "利通", "direction": "buyers"})
    assert page.status_code == 200 and is_chinese_html(page)
    assert "亿家馨" in page.text and "发起撮合项目" in page.text and "→" in page.text  # the path
    r = client.post("/pages/projects", data={"csrf": csrf_of(page.text), "a": "E1", "a_role": "supplier",
                                             "b": "E2", "b_role": "buyer", "note": "由推荐发起"})
    assert r.status_code == 303 and "msg=created" in r.headers["location"]
    project_url = r.headers["location"].split("?")[0]
    again = client.post("/pages/projects", data={"csrf": csrf_of(page.text), "a": "E1", "a_role": "supplier",
                                                 "b": "E2", "b_role": "buyer"})
    assert again.headers["location"] == project_url + "?msg=exists"  # posted twice: one project
    project = client.get(project_url)
    assert "已推荐" in project.text and "待认领" in project.text
    chief = TestClient(client.app, follow_redirects=False)
    login(chief, "chief1")
    page = chief.get(project_url)
    assert page.status_code == 200 and "认领该项目" in page.text
    token = csrf_of(page.text)
    assert chief.post(project_url + "/claim", data={"csrf": token}).status_code == 303
    for status, label in [("contacted", "已联系"), ("negotiating", "洽谈中"), ("signed", "已签约")]:
        r = chief.post(project_url + "/status", data={"csrf": token, "status": status, "note": f"进展 {label}"})
        assert r.status_code == 303, r.text[:500]
        assert label in chief.get(project_url).text
    r = chief.post(project_url + "/status", data={"csrf": token, "status": "signed", "note": "again"})
    assert r.status_code == 409 and is_chinese_html(r) and "已签约" in r.text and "重复提交" in r.text
    done = chief.get(project_url).text
    assert "进展 已联系" in done and "认领" in done and "网格长甲" in done


def test_a_viewer_reads_but_cannot_propose(client: TestClient) -> None:
    login(client, "viewer1")
    page = client.get("/pages/recommend", params={"firm": "利通"})
    assert page.status_code == 200 and "亿家馨" in page.text and 'action="/pages/projects"' not in page.text
    r = client.post("/pages/projects", data={"csrf": csrf_of(page.text), "a": "E1", "a_role": "supplier",
                                             "b": "E2", "b_role": "buyer"})
    assert r.status_code == 403 and is_chinese_html(r) and "无权操作" in r.text


def test_errors_on_pages_are_chinese_html(client: TestClient) -> None:
    login(client, "staff1")
    for url, status in [("/pages/nothing-here", 404), ("/pages/projects/PJ-none", 404),
                        ("/pages/projects?status=bogus", 422), ("/pages/recommend?direction=up", 422),
                        ("/pages/firms/漯河", 409)]:  # 漯河 names several firms: pick one
        r = client.get(url)
        assert r.status_code == status and is_chinese_html(r), (url, r.status_code, r.text[:300])
    r = client.get("/pages/firms/漯河")
    assert "请选择" in r.text and 'href="/pages/firms/E1"' in r.text
    # Not a form at all, on a page: a Chinese page too.
    page = client.get("/")
    r = client.post("/pages/projects", content=b'{"a": 1}', headers={"content-type": "application/json"})
    assert r.status_code == 400 and is_chinese_html(r)
    assert "csrf" in page.text
    # The JSON API is unchanged: an unknown path there still answers JSON.
    r = client.get("/no-such-api")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_a_disabled_account_s_session_ends_at_once(client: TestClient, tmp_path: Path) -> None:
    login(client, "staff1")
    assert client.get("/").status_code == 200
    store = SQLiteStore.open(tmp_path / "world.db")
    try:
        accounts.set_disabled(store, "staff1", True)
    finally:
        store.close()
    r = client.get("/")
    assert r.status_code == 303 and "why=expired" in r.headers["location"]
    assert "登录已过期或已失效" in client.get(r.headers["location"]).text


def test_pages_carry_security_headers_and_load_only_local_assets(client: TestClient) -> None:
    login(client, "staff1")
    r = client.get("/")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert "/static/chainmatch.css" in refs
    assert all(ref.startswith(("/", "data:")) for ref in refs), refs
    css = client.get("/static/chainmatch.css")
    assert css.status_code == 200 and "@media (max-width: 480px)" in css.text and "url(" not in css.text
    # The pages are not operations of the API.
    assert not any(p in client.get("/openapi.json").json()["paths"] for p in ("/", "/login", "/pages/firms"))


def test_a_non_editable_install_carries_the_templates_and_the_style_sheet() -> None:
    import tomllib
    from fnmatch import fnmatch

    root = Path(__file__).resolve().parents[1]
    patterns = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["api"]
    shipped = [p.relative_to(root / "api").as_posix() for d in ("templates", "static") for p in (root / "api" / d).iterdir()]
    assert shipped and all(any(fnmatch(f, pat) for pat in patterns) for f in shipped), (shipped, patterns)
