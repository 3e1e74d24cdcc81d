"""产业链图谱 pages through the ASGI app: the chains of my zones, one chain's map in the page with its print style
sheets, and the scope (a grid chief is refused a whole zone's map). The printed layout is checked in Chromium by
tests/test_pages_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from chainmatch.access import accounts
from chainmatch.stores.sqlite import SQLiteStore
from tests import test_pages
from tests.test_pages import is_chinese_html, login

client = test_pages.client  # the fixture: the world's store with an account per role


def test_staff_see_the_zone_s_chains_and_a_map_with_zone_chain_and_date(client: TestClient) -> None:
    login(client, "staff1")
    r = client.get("/pages/maps")
    assert r.status_code == 200 and is_chinese_html(r)
    assert 'href="/pages/maps/C1"' in r.text and "漯河经济技术开发区" in r.text and "泉州经济技术开发区" in r.text
    r = client.get("/pages/maps/C1")
    assert r.status_code == 200 and is_chinese_html(r)
    running = re.search(r'<p class="running">([^<]+)</p>', r.text)
    assert running and "漯河经济技术开发区" in running.group(1) and "智能装备-食品" in running.group(1)
    assert re.search(r"\d{4}-\d{2}-\d{2}", running.group(1))
    screen = r.text.split('<div class="map">', 1)[1].split("</svg>", 1)[0]
    assert "<svg" in screen and screen.count('class="segment"') == 3  # 零部件, 设备制造, 食品加工
    assert "漯河利通液压科技股份有限公司" in r.text and "缺口" in r.text and "党建覆盖" in r.text
    assert '/static/print-a4.css' in r.text and '/static/print.js' in r.text
    assert '/static/print-a3.css' in client.get("/pages/maps/C1?paper=a3").text
    for sheet, size in (("print-a4.css", "A4 landscape"), ("print-a3.css", "A3 landscape")):
        css = client.get(f"/static/{sheet}")
        assert css.status_code == 200 and size in css.text
    assert client.get("/static/print.js").status_code == 200
    r = client.get("/pages/maps/C1?paper=letter")
    assert r.status_code == 422 and is_chinese_html(r)
    r = client.get("/pages/maps/NOPE")
    assert r.status_code == 404 and is_chinese_html(r)


def test_a_grid_chief_is_refused_a_whole_zone_s_map(client: TestClient) -> None:
    login(client, "chief1")
    assert 'href="/pages/maps"' not in client.get("/").text  # not in the navigation either
    for url in ("/pages/maps", "/pages/maps/C1"):
        r = client.get(url)
        assert r.status_code == 403 and is_chinese_html(r) and "不在您负责的范围内" in r.text


def test_a_viewer_reads_maps(client: TestClient) -> None:
    login(client, "viewer1")
    assert client.get("/pages/maps/C1").status_code == 200


def test_a_zone_limited_account_sees_its_zones_maps_only(client: TestClient, tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "world.db")
    try:
        accounts.create_account(store, "staffqz", test_pages.PW, role="staff", name="泉州招商", zones=("QZ",))
    finally:
        store.close()
    login(client, "staffqz")
    r = client.get("/pages/maps")
    assert r.status_code == 200 and "泉州经济技术开发区" in r.text and "漯河经济技术开发区" not in r.text
    r = client.get("/pages/maps/C1")  # 漯河's chain
    assert r.status_code == 403 and is_chinese_html(r)
