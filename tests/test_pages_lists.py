"""需求 and 资源 pages through the ASGI app: filters, posting and closing a need, offering and withdrawing a
resource, by the roles that may (grid chiefs within their grids, admins) and refused to those that may not."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests import test_pages
from tests.test_pages import csrf_of, is_chinese_html, login
from tests.world import client_for

client = test_pages.client  # the fixture: the world's store with an account per role


def test_the_need_list_filters_and_marks_overdue(client: TestClient) -> None:
    login(client, "staff1")
    r = client.get("/pages/needs")
    assert r.status_code == 200 and is_chinese_html(r)
    assert "高压灭菌设备找买家" in r.text and "扩建用地" in r.text and "超期" in r.text and "2024-05-06" in r.text
    r = client.get("/pages/needs", params={"kind": "land"})
    assert "扩建用地" in r.text and "高压灭菌设备找买家" not in r.text
    r = client.get("/pages/needs", params={"kind": "用地厂房"})  # not a code of the page's options
    assert r.status_code == 422 and is_chinese_html(r)
    r = client.get("/pages/needs", params={"q": "灭菌"})
    assert "高压灭菌设备找买家" in r.text and "扩建用地" not in r.text
    r = client.get("/pages/needs", params={"status": "closed"})
    assert "没有符合条件的需求" in r.text
    # staff read needs but do not post them: no form, and a POST is refused
    assert 'method="post" action="/pages/needs"' not in client.get("/pages/needs").text
    page = client.get("/pages/needs")
    r = client.post("/pages/needs", data={"csrf": csrf_of(page.text), "firm": "利通", "title": "找融资",
                                          "kind": "finance"})
    assert r.status_code == 403 and is_chinese_html(r) and "无权操作" in r.text


def test_a_grid_chief_posts_and_closes_a_need_of_their_grid_only(client: TestClient) -> None:
    login(client, "chief1")
    page = client.get("/pages/needs")
    assert "扩建用地" not in page.text  # 双汇's need: another grid
    token = csrf_of(page.text)
    r = client.post("/pages/needs", data={"csrf": token, "firm": "利通", "title": "液压胶管找买家", "kind": "buyers",
                                          "product": "液压胶管"})
    assert r.status_code == 303 and r.headers["location"].startswith("/pages/needs?msg=need_posted&q=")
    listed = client.get(r.headers["location"]).text
    assert "需求已发布" in listed and "液压胶管找买家" in listed
    assert "液压胶管找买家" in client.get("/pages/firms/E1").text  # the firm's profile shows it too
    r = client.post("/pages/needs", data={"csrf": token, "firm": "双汇", "title": "找工人", "kind": "workers"})
    assert r.status_code == 403 and "不在您负责的范围内" in r.text
    r = client.post("/pages/needs", data={"csrf": token, "firm": "利通", "title": "", "kind": "buyers"})
    assert r.status_code == 422 and "需求标题" in r.text
    r = client.post("/pages/needs", data={"csrf": token, "firm": "利通", "title": "x", "kind": "money"})
    assert r.status_code == 422 and "需求类型" in r.text
    r = client.post("/pages/needs", data={"csrf": token, "firm": "不存在的公司", "title": "x", "kind": "land"})
    assert r.status_code == 404 and is_chinese_html(r)
    # closing: without the token refused, then closed once, then a Chinese 409
    assert client.post("/pages/needs/N1/close", data={"note": "x"}).status_code == 403
    r = client.post("/pages/needs/N1/close", data={"csrf": token, "note": "已对接亿家馨"})
    assert r.status_code == 303 and "need_closed" in r.headers["location"]
    closed = client.get("/pages/needs", params={"status": "closed"}).text
    assert "高压灭菌设备找买家" in closed and "已办结" in closed
    r = client.post("/pages/needs/N1/close", data={"csrf": token})
    assert r.status_code == 409 and is_chinese_html(r)
    r = client.post("/pages/needs/N2/close", data={"csrf": token})  # 双汇's
    assert r.status_code == 403 and is_chinese_html(r)


def test_resources_are_listed_offered_and_withdrawn(client: TestClient) -> None:
    login(client, "chief1")
    page = client.get("/pages/resources")
    assert page.status_code == 200 and is_chinese_html(page)
    assert "食品企业设备采购对接" in page.text and "园区企业贷款" in page.text and "区金融办" in page.text
    token = csrf_of(page.text)
    r = client.post("/pages/resources", data={"csrf": token, "provider": "汇龙液压", "title": "闲置厂房出租",
                                              "kind": "land"})
    assert r.status_code == 303 and "resource_offered" in r.headers["location"]
    assert "闲置厂房出租" in client.get("/pages/resources", params={"kind": "land"}).text
    r = client.post("/pages/resources", data={"csrf": token, "provider": "双汇", "title": "冷库", "kind": "land"})
    assert r.status_code == 403
    r = client.post("/pages/resources", data={"csrf": token, "provider": "区金融办", "title": "贴息", "kind": "finance"})
    assert r.status_code == 403  # a department's resource is changed by zone staff, not by a grid chief
    rid = next(line.split('"')[1] for line in client.get("/pages/resources", params={"kind": "land"}).text.split(
        "data-resource=")[1:] if "闲置厂房出租" in line)
    r = client.post(f"/pages/resources/{rid}/withdraw", data={"csrf": token})
    assert r.status_code == 303
    assert "闲置厂房出租" in client.get("/pages/resources", params={"status": "withdrawn"}).text
    assert client.post(f"/pages/resources/{rid}/withdraw", data={"csrf": token}).status_code == 409
    viewer = TestClient(client.app, follow_redirects=False)
    login(viewer, "viewer1")
    page = viewer.get("/pages/resources")
    assert "提供资源</button>" not in page.text and "不能提供" in page.text
    r = viewer.post("/pages/resources", data={"csrf": csrf_of(page.text), "provider": "利通", "title": "x",
                                              "kind": "land"})
    assert r.status_code == 403 and "无权操作" in r.text


def test_short_names_in_api_bodies_and_chinese_labels_in_answers(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        r = c.post("/needs", json={"enterprise_id": "利通", "title": "液压胶管找买家", "kind": "找买家"},
                   headers=h["grid_chief"])
        assert r.status_code == 201 and r.json()["enterprise"]["id"] == "E1", r.text
        r = c.post("/resources", json={"provider_id": "汇龙液压", "title": "闲置厂房", "kind": "land"},
                   headers=h["grid_chief"])
        assert r.status_code == 201 and r.json()["provider_id"] == "E3", r.text
        r = c.post("/resources", json={"provider_id": "区金融办", "title": "贴息", "kind": "finance"},
                   headers=h["admin"])
        assert r.status_code == 201 and r.json()["provider_id"] == "D1", r.text
        r = c.post("/projects", json={"parties": [{"enterprise_id": "利通", "role": "supplier"},
                                                  {"enterprise_id": "亿家馨", "role": "buyer"}]}, headers=h["staff"])
        assert r.status_code == 201 and {p["firm"]["id"] for p in r.json()["parties"]} == {"E1", "E2"}, r.text
        r = c.post("/needs", json={"enterprise_id": "双汇", "title": "找工人", "kind": "workers"},
                   headers=h["grid_chief"])
        assert r.status_code == 403  # a short name is checked at the object like an id
        r = c.post("/needs", json={"enterprise_id": "漯河", "title": "找工人", "kind": "workers"}, headers=h["admin"])
        assert r.status_code == 409 and r.json()["code"] == "ambiguous"  # several firms: the candidates listed
        r = c.post("/needs", json={"enterprise_id": "没有这家", "title": "x", "kind": "land"}, headers=h["admin"])
        assert r.status_code == 404 and "没有名为" in r.json()["message"]
        rec = c.get("/enterprises/利通/recommendations", params={"direction": "buyers"}, headers=h["staff"]).json()
        assert rec["direction_label"] == "买家" and rec["scope_label"] == "区内外"
        near = c.get("/enterprises/E1/neighbours", headers=h["staff"]).json()["items"]
        assert near and all(n["relation_label"] in ("上游", "下游", "同环节", "同网格") for n in near)
