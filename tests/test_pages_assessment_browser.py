"""The 考核 page in Debian's headless Chromium (Playwright) on a 360 px wide screen, against the real service
(uvicorn) on a real store holding 六枝's May problems (tests/test_assessment.py, figures worked out by hand).

A department account (交通运输局) logs in on a phone, opens 考核 from the menu, picks May with the date inputs and
sees only its department's row; the page is no wider than the screen; the Excel link downloads the workbook of
the same figures. A grid chief then sees their grid and themselves. No page logs a console message.
Screenshots go to ``test-artifacts/pages/`` (ignored by git), or to ``$CHAINMATCH_SCREENSHOTS``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from chainmatch.access import accounts
from tests.conftest import missing_tool
from tests.service import serve
from tests.test_assessment import may_problems
from tests.test_maps_browser import _chromium
from tests.test_pages_browser import FLAGS, PW, artefacts  # noqa: F401  (artefacts: a fixture)
from tests.test_problems import open_liuzhi

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("assessment_browser")
    store = open_liuzhi(tmp)
    try:
        may_problems(store)
        accounts.create_account(store, "jiaotong", PW, role="department", name="交通运输局科员",
                                department_id="LZ-D-jt")
        accounts.create_account(store, "wanggezhang", PW, role="grid_chief", name="网格长甲", grids=["LZ-G2"],
                                person_id="LZ-P1")
    finally:
        store.close()
    with serve(tmp / "lz.db", tmp) as base:
        yield base


def test_the_assessment_page_on_a_phone(service: str, artefacts: Path, tmp_path: Path) -> None:  # noqa: F811
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_tool("playwright is not installed: run `make install` (it is in the dev extras)")
    chromium = _chromium()
    base = service
    console: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)

        def phone_page() -> object:
            page = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN",
                                       accept_downloads=True).new_page()
            page.on("console", lambda m: console.append(f"{m.type}: {m.text} ({page.url})"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e} ({page.url})"))
            return page

        def fits(page: object) -> None:
            width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
            assert width <= 360, f"{page.url} is {width} px wide"  # type: ignore[attr-defined]

        def login(page: object, user: str) -> None:
            page.goto(base + "/")  # type: ignore[attr-defined]
            page.fill("input[name=username]", user)  # type: ignore[attr-defined]
            page.fill("input[name=password]", PW)  # type: ignore[attr-defined]
            page.click("button:has-text('登录')")  # type: ignore[attr-defined]
            page.wait_for_selector("h1:has-text('工作台')")  # type: ignore[attr-defined]

        page = phone_page()
        login(page, "jiaotong")
        page.click("nav >> text=考核")
        page.wait_for_selector("h1:has-text('考核')")
        page.fill("input[name=start]", "2024-05-01")
        page.fill("input[name=end]", "2024-05-31")
        page.click("button:has-text('查看')")
        page.wait_for_url("**/pages/assessment?start=2024-05-01&end=2024-05-31*")
        rows = page.locator("table[data-kind=departments] tbody tr")
        assert rows.count() == 1 and rows.first.get_attribute("data-id") == "LZ-D-jt"
        cells = rows.first.locator("td").all_inner_texts()
        # B: dispatched to 交通, escalated once, closed twice (reopened after a 不满意), 9 days to the last closing.
        assert cells[0].startswith("交通运输局") and cells[1:4] == ["1", "1", "100.0%"]
        assert cells[6:] == ["100.0%（2/2）", "50.0%", "1", "9"]
        fits(page)
        page.screenshot(path=str(artefacts / "21-department-assessment.png"), full_page=True)
        with page.expect_download() as got:
            page.click("a:has-text('下载 Excel')")
        saved = tmp_path / "考核.xlsx"
        got.value.save_as(saved)
        assert got.value.suggested_filename.endswith("2024-05-01-2024-05-31.xlsx")
        book = load_workbook(saved)
        assert [r[:4] for r in book["部门考核"].iter_rows(min_row=3, values_only=True)] == [
            ("LZ-D-jt", "交通运输局", 1, 1)]

        chief = phone_page()
        login(chief, "wanggezhang")
        chief.goto(base + "/pages/assessment?start=2024-05-01&end=2024-05-31")
        assert [r.get_attribute("data-id") for r in chief.locator("table[data-kind=grids] tbody tr").all()] == [
            "LZ-G2"]
        assert chief.locator("table[data-kind=chiefs] tbody tr").first.locator("td").all_inner_texts()[1:3] == [
            "2", "2"]
        fits(chief)
        chief.screenshot(path=str(artefacts / "22-chief-assessment.png"), full_page=True)
        browser.close()
    assert console == []
