"""账户管理 page through the ASGI app: an admin lists, adds, disables and enables accounts and sets a password,
through the library of ``chainmatch account``; nobody else may."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import test_pages
from tests.test_pages import PW, csrf_of, is_chinese_html, login

client = test_pages.client  # the fixture: the world's store with an account per role


def test_an_admin_adds_disables_enables_and_resets_an_account(client: TestClient) -> None:
    login(client, "admin1")
    page = client.get("/pages/accounts")
    assert page.status_code == 200 and is_chinese_html(page)
    assert all(f'data-account="{n}"' in page.text for n in test_pages.USERS) and "网格 G1" in page.text
    assert "argon2" not in page.text and "password_hash" not in page.text
    token = csrf_of(page.text)
    new = {"csrf": token, "username": "wgz.new", "name": "新网格长", "role": "grid_chief", "grids": "G3, G4",
           "person": "P1", "password": "新的密码 123", "password2": "新的密码 123"}
    r = client.post("/pages/accounts", data=new)
    assert r.status_code == 303 and "account_added" in r.headers["location"]
    listed = client.get("/pages/accounts").text
    assert 'data-account="wgz.new"' in listed and "网格 G3、G4" in listed and "账户已创建" in client.get(
        r.headers["location"]).text
    chief = TestClient(client.app, follow_redirects=False)
    login(chief, "wgz.new", "新的密码 123")
    assert chief.get("/pages/grid").status_code == 200
    # refused with the reason in Chinese: a used name, a chief without grids, a short password, two passwords
    for change, words in [({}, "已被使用"), ({"username": "x.y", "grids": ""}, "网格"),
                          ({"username": "x.z", "password": "short", "password2": "short"}, "密码太短"),
                          ({"username": "x.w", "password2": "other one 1"}, "两次密码不一致"),
                          ({"username": "Bad Name!"}, "用户名")]:
        r = client.post("/pages/accounts", data={**new, **change})
        assert r.status_code in (409, 422) and is_chinese_html(r) and words in r.text, (change, r.text[:1500])
    r = client.post("/pages/accounts/wgz.new/disable", data={"csrf": token})
    assert r.status_code == 303
    assert chief.get("/").status_code == 303  # its session ended at once
    assert "已停用" in client.get("/pages/accounts").text
    assert client.post("/pages/accounts/wgz.new/enable", data={"csrf": token}).status_code == 303
    r = client.post("/pages/accounts/wgz.new/password", data={"csrf": token, "password": "另一个密码 456",
                                                              "password2": "另一个密码 456"})
    assert r.status_code == 303 and "password_set" in r.headers["location"]
    login(chief, "wgz.new", "另一个密码 456")
    r = client.post("/pages/accounts/admin1/disable", data={"csrf": token})
    assert r.status_code == 409 and "不能停用自己" in r.text
    assert client.post("/pages/accounts/nobody/disable", data={"csrf": token}).status_code == 404
    assert client.post("/pages/accounts/wgz.new/disable", data={}).status_code == 403  # no CSRF token


def test_only_admins_manage_accounts(client: TestClient) -> None:
    for name in ("staff1", "chief1", "viewer1"):
        c = TestClient(client.app, follow_redirects=False)
        login(c, name)
        assert 'href="/pages/accounts"' not in c.get("/").text
        token = csrf_of(c.get("/").text)
        r = c.get("/pages/accounts")
        assert r.status_code == 403 and is_chinese_html(r) and "无权操作" in r.text
        r = c.post("/pages/accounts", data={"csrf": token, "username": "evil", "name": "x", "role": "admin",
                                            "password": PW, "password2": PW})
        assert r.status_code == 403
        assert c.post("/pages/accounts/admin1/disable", data={"csrf": token}).status_code == 403
