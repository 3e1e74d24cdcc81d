"""The sterilizer case end to end in Chinese pages, in Debian's headless Chromium (driven by Playwright) against the
real service (uvicorn) on a real store holding the demo data.

Staff log in, find 利通 (the demo's 高压灭菌设备 maker; the demo is loaded without its projects, as the zone was
before its matchmaking event), ask for its buyers along the zone's 食品 chain and propose a
撮合项目 with one of those food firms; that firm's grid chief (an account made with ``chainmatch account add`` for the
person the store names as chief of the firm's grid) logs in on a 360 px wide screen, claims the project and moves
it to 已签约. On the way: a form posted without its CSRF token is refused and changes nothing; the chief is refused a
firm page of another grid; no page logs a console message; no page is wider than the screen. Screenshots go to
``test-artifacts/pages/`` (ignored by git), or to ``$CHAINMATCH_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainmatch.access.auth import expand_grids
from chainmatch.enterprises import resolve
from chainmatch.loader import load_folder
from chainmatch.settings import DEFAULT_DEMO_DIR
from chainmatch.stores.sqlite import SQLiteStore
from tests.conftest import missing_tool
from tests.service import ROOT, serve
from tests.test_maps_browser import _chromium

pytestmark = pytest.mark.slow

PW = "正确的马 battery 7"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
FOOD = ("13", "14", "15")  # GB/T 4754 大类 of food: what a 食品专用设备 (3531) maker's buyers make


def _cli(db: Path, *args: str, password: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "chainmatch.cli", "--db", str(db), *args], cwd=ROOT,
                          input=None if password is None else password + "\n", capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def artefacts() -> Path:
    folder = Path(os.environ.get("CHAINMATCH_SCREENSHOTS") or ROOT / "test-artifacts" / "pages")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """uvicorn serving the app on a demo store in a temporary folder; yields its base URL and the store file."""
    tmp = tmp_path_factory.mktemp("pages_browser")
    db = tmp / "demo.db"
    # The zone before its matchmaking event: the demo without its projects (it holds the event's 81 projects of
    # 利通 with food firms, signed or followed; the pages would rightly open those instead of proposing new ones).
    before = shutil.copytree(DEFAULT_DEMO_DIR, tmp / "demo", ignore=shutil.ignore_patterns("project*.csv"))
    store = SQLiteStore.open(db)
    try:
        load_folder(store, before)
        tall_chain(store, tmp / "tall")
    finally:
        store.close()
    _cli(db, "account", "add", "zhaoshang", "--role", "staff", "--name", "招商员测试", "--zone", "LH",
         password=PW)
    with serve(db, tmp) as base:
        yield base, db


def _chief_of_both(store: SQLiteStore, firm: str, other: str) -> str | None:
    """A person who is grid chief of ``firm``'s grid and whose grids also reach ``other``'s grid."""
    grid = store.edges("Enterprise", [firm], "IN_GRID")[firm]
    other_grid = store.edges("Enterprise", [other], "IN_GRID")[other]
    if not grid or not other_grid:
        return None
    for e in store.edges("Grid", [grid[0].node.id], "CHIEF_OF", "in")[grid[0].node.id]:
        own = [g.node.id for g in store.edges("Person", [e.node.id], "CHIEF_OF")[e.node.id]]
        if other_grid[0].node.id in expand_grids(store, own):
            return e.node.id
    return None


def test_sterilizer_case_in_chinese_pages(service: tuple[str, Path], artefacts: Path) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_tool("playwright is not installed: run `make install` (it is in the dev extras)")
    chromium = _chromium()
    base, db = service
    store = SQLiteStore.open(db)
    litong = resolve(store, "利通").node
    food_chain = next(e.node for s in store.edges("Enterprise", [litong.id], "IN_SEGMENT")[litong.id]
                      for e in store.edges("Segment", [s.node.id], "SEGMENT_OF")[s.node.id]
                      if "食品" in str(e.node.props.get("name")))
    console: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)

        def new_page(width: int) -> object:
            page = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN").new_page()
            page.on("console", lambda m: console.append(f"{m.type}: {m.text} ({page.url})"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e} ({page.url})"))
            return page

        def fits(page: object) -> None:
            width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
            assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"  # type: ignore[attr-defined]

        def login(page: object, user: str) -> None:
            page.goto(base + "/")  # type: ignore[attr-defined]
            assert page.url.startswith(base + "/login")  # type: ignore[attr-defined]
            page.fill("input[name=username]", user)  # type: ignore[attr-defined]
            page.fill("input[name=password]", PW)  # type: ignore[attr-defined]
            page.click("button:has-text('登录')")  # type: ignore[attr-defined]
            page.wait_for_selector("h1:has-text('工作台')")  # type: ignore[attr-defined]

        # -- staff: 利通's buyers along the 食品 chain → a project with one of those food firms
        staff = new_page(1280)
        login(staff, "zhaoshang")
        staff.screenshot(path=str(artefacts / "01-staff-workbench.png"), full_page=True)
        staff.click("nav >> text=企业检索")
        staff.fill("input[name=q]", "利通")
        staff.click("button:has-text('检索')")
        staff.click(f"a:has-text('{litong.props['name']}')")
        staff.wait_for_selector(f"h1:has-text('{litong.props['name']}')")
        grid_chiefs = [e.node.props["name"] for g in store.edges("Enterprise", [litong.id], "IN_GRID")[litong.id]
                       for e in store.edges("Grid", [g.node.id], "CHIEF_OF", "in")[g.node.id]]
        assert grid_chiefs and all(name in staff.inner_text("main") for name in grid_chiefs)
        staff.screenshot(path=str(artefacts / "02-litong-profile.png"), full_page=True)
        staff.click("a:has-text('找买家')")
        staff.select_option("select[name=chain]", food_chain.id)
        staff.select_option("select[name=scope]", "zone")
        staff.select_option("select[name=top]", "50")
        staff.click("button:has-text('推荐')")
        staff.wait_for_selector("ol.recs > li[data-firm]")
        staff.screenshot(path=str(artefacts / "03-litong-buyers.png"), full_page=True)
        buyers = [li.get_attribute("data-firm") or "" for li in staff.query_selector_all("ol.recs > li[data-firm]")]
        industries = store.edges("Enterprise", buyers, "IN_INDUSTRY")
        food = [b for b in buyers if any(e.node.id.startswith(FOOD) for e in industries[b])]
        assert len(food) >= len(buyers) // 2, f"利通's buyers are not food firms: {buyers}"
        chosen = next(((b, chief) for b in food if (chief := _chief_of_both(store, b, litong.id))), None)
        assert chosen, f"no food buyer of 利通 shares a grid chief with it: {food}"
        buyer, chief = chosen
        buyer_node = store.get("Enterprise", [buyer])[buyer]
        buyer_name = str(buyer_node.props.get("short_name") or buyer_node.props["name"])
        item = staff.locator(f"ol.recs > li[data-firm='{buyer}']")
        assert "→" in item.inner_text() and "理由" not in item.inner_text()  # a path, and reasons in plain words
        item.locator("button:has-text('发起撮合项目')").click()
        staff.wait_for_selector("text=已发起撮合项目")
        project_url = staff.url.split("?")[0]
        assert "已推荐" in staff.inner_text("main") and buyer_name in staff.inner_text("main")
        staff.screenshot(path=str(artefacts / "04-project-proposed.png"), full_page=True)

        # -- the food firm's grid chief, on a phone
        chief_grids = [e.node.id for e in store.edges("Person", [chief], "CHIEF_OF")[chief]]
        chief_name = str(store.get("Person", [chief])[chief].props["name"])
        grid_args = [a for g in chief_grids for a in ("--grid", g)]
        _cli(db, "account", "add", "wanggezhang", "--role", "grid_chief", "--name", chief_name, "--person", chief,
             *grid_args, password=PW)
        phone = new_page(360)
        login(phone, "wanggezhang")
        fits(phone)
        phone.screenshot(path=str(artefacts / "05-chief-workbench.png"), full_page=True)
        phone.goto(f"{base}/pages/firms/{buyer}")  # the chief's own firm: its profile, on a phone
        assert chief_name in phone.inner_text("main")
        fits(phone)
        phone.screenshot(path=str(artefacts / "05b-chief-firm-profile.png"), full_page=True)
        phone.goto(base + "/")
        phone.click(f"a[href='{project_url[len(base):]}'] >> nth=0")
        phone.wait_for_selector("button:has-text('认领该项目')")
        fits(phone)
        phone.click("button:has-text('认领该项目')")
        phone.wait_for_selector("text=已认领该项目")
        assert chief_name in phone.inner_text("main")

        # A form without its CSRF token is refused, and nothing changes.
        phone.evaluate("document.querySelector('form[action$=\"/status\"] input[name=csrf]').remove()")
        phone.select_option("select[name=status]", "contacted")
        with phone.expect_response(lambda r: r.url.endswith("/status")) as refused:
            phone.click("button:has-text('更新状态')")
        assert refused.value.status == 403
        phone.wait_for_selector("h1:has-text('表单已失效')")
        assert "安全令牌" in phone.inner_text("main")
        phone.screenshot(path=str(artefacts / "06-form-without-csrf.png"), full_page=True)
        phone.goto(project_url)
        assert "已联系" not in phone.inner_text("section.card >> nth=0")

        for status, label in [("contacted", "已联系"), ("negotiating", "洽谈中"), ("signed", "已签约")]:
            phone.select_option("select[name=status]", status)
            phone.fill("textarea[name=note]", f"{label}：与{buyer_name}采购负责人沟通")
            phone.click("button:has-text('更新状态')")
            phone.wait_for_selector("text=项目状态已更新")
            assert label in phone.inner_text("section.card >> nth=0")
        fits(phone)
        assert "已签约：与" in phone.inner_text("ol.steps")
        phone.screenshot(path=str(artefacts / "07-project-signed.png"), full_page=True)

        # Another grid's firm: a Chinese 403 page.
        reach = expand_grids(store, chief_grids)
        zone_firms = [e.node.id for e in store.edges("Zone", ["LH"], "IN_ZONE", "in", limit=100_000)["LH"]
                      if e.node.label == "Enterprise"]
        firm_grids = store.edges("Enterprise", zone_firms, "IN_GRID")
        outside = next(f for f in zone_firms if firm_grids[f] and firm_grids[f][0].node.id not in reach)
        response = phone.goto(f"{base}/pages/firms/{outside}")
        assert response is not None and response.status == 403
        assert "无权访问" in phone.inner_text("main") and "不在您负责的范围内" in phone.inner_text("main")
        phone.screenshot(path=str(artefacts / "08-other-grid-refused.png"), full_page=True)
        browser.close()
    store.close()

    # The refusals above are pages the test asked for; Chromium names each failed load once. Nothing else.
    expected = ("the server responded with a status of 403",)
    assert [m for m in console if not any(x in m for x in expected)] == []
    assert len(console) <= 2, console


# -- 产业链图谱 printed -----------------------------------------------------------------------------------------

_MM = 96 / 25.4  # CSS pixels per millimetre
PAPERS = {  # paper → (width, height in PDF points, printable width and height in mm: the page less its margins)
    "a4": ((842, 595), (297 - 20, 210 - 20)),
    "a3": ((1191, 842), (420 - 24, 297 - 24)),
}


def _printed(expected: str, text: str) -> bool:
    """Whether ``expected`` is in text read back from a PDF: NFKC-normalised (the fonts map some characters to
    their Kangxi radicals: ⼒ for 力), and a character of the CJK radicals supplement (⻝ for 食, which has no
    decomposition) standing for any character."""
    import re
    import unicodedata

    pattern = "".join(f"[{re.escape(c)}\u2e80-\u2eff]" if "\u4e00" <= c <= "\u9fff" else re.escape(c)
                      for c in unicodedata.normalize("NFKC", expected))
    return re.search(pattern, unicodedata.normalize("NFKC", text)) is not None


TALL = "LH-C-TALL"


def tall_chain(store: SQLiteStore, folder: Path) -> str:
    """Add to the demo a chain of 漯河 whose upstream column holds 14 categories of its chains (a map five A4 pages
    tall, where the food chain's is three); returns its id."""
    with (DEFAULT_DEMO_DIR / "segments.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cats = [r for r in rows if r["parent_id"] and r["chain_id"].startswith("LH-")]
    segments = [f"{TALL}-S1,上游：原料与装备,upstream,1,,,{TALL},", f"{TALL}-S2,中游：加工,midstream,2,,,{TALL},",
                f"{TALL}-S3,下游：流通,downstream,3,5930;5432;5129,,{TALL},"]
    for k, c in enumerate(cats[:14]):
        segments.append(f"{TALL}-S1-{k:02d},{c['name']},upstream,{10 + k},{c['industry_codes']},,{TALL},{TALL}-S1")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chains.csv").write_text("id,name,template,task_force,zone_id,leader_ids\n"
                                       f"{TALL},长链测试,,,LH,\n", encoding="utf-8")
    (folder / "segments.csv").write_text("id,name,stage,order,industry_codes,products,chain_id,parent_id\n"
                                         + "\n".join(segments) + "\n", encoding="utf-8")
    load_folder(store, folder)
    return TALL


def _chain(store: SQLiteStore, chain_id: str) -> tuple[str, str, str]:
    node = store.get("Chain", [chain_id])[chain_id]
    zone = store.edges("Chain", [node.id], "IN_ZONE")[node.id][0].node
    return node.id, str(node.props["name"]), str(zone.props["name"])


def _largest_chain(store: SQLiteStore) -> tuple[str, str, str]:
    """The demo chain with the most categories (the widest map, three A4 pages tall): its id, name and zone's name."""
    best: tuple[int, str] = (-1, "")
    for chain in store.scan("Chain"):
        if chain.id == TALL:
            continue
        segments = [e.node.id for e in store.edges("Chain", [chain.id], "SEGMENT_OF", "in")[chain.id]]
        best = max(best, (len(segments), chain.id))
    node = store.get("Chain", [best[1]])[best[1]]
    zone = store.edges("Chain", [node.id], "IN_ZONE")[node.id][0].node
    return node.id, str(node.props["name"]), str(zone.props["name"])


@pytest.mark.parametrize("which", ["largest", "tall"])
def test_a_chain_map_prints_on_a4_and_a3_landscape(service: tuple[str, Path], artefacts: Path, which: str) -> None:
    """A tall map prints in bands at its own size (or scaled to the page's width, never under 80%), one page each,
    the continuation pages headed （续）; no column is cut, no page is blank, every page names the zone, chain and
    date."""
    try:
        from playwright.sync_api import sync_playwright
        from pypdf import PdfReader
    except ImportError:
        missing_tool("playwright and pypdf are not installed: run `make install` (they are in the dev extras)")
    import io
    import math

    base, db = service
    store = SQLiteStore.open(db)
    chain_id, chain, zone = _largest_chain(store) if which == "largest" else _chain(store, TALL)
    all_segments = [e.node.id for e in store.edges("Chain", [chain_id], "SEGMENT_OF", "in")[chain_id]]
    parents = store.edges("Segment", all_segments, "SUBSEGMENT_OF")
    segments = sum(1 for s in all_segments if not parents[s])  # the map's columns: the top-level segments
    store.close()
    _cli(db, "account", "add", f"tupu{which}", "--role", "staff", "--name", "图谱打印", password=PW)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=FLAGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        page.goto(base + "/login")
        page.fill("input[name=username]", f"tupu{which}")
        page.fill("input[name=password]", PW)
        page.click("button:has-text('登录')")
        page.wait_for_selector("h1:has-text('工作台')")
        page.click("nav >> text=图谱")
        page.click(f"a[href='/pages/maps/{chain_id}']")
        page.wait_for_selector(".map svg")
        for paper, ((width_pt, height_pt), (print_w, print_h)) in PAPERS.items():
            page.goto(f"{base}/pages/maps/{chain_id}?paper={paper}")
            day = page.inner_text("p.running").rsplit("·", 1)[1].strip()
            # On paper: the PDF Chromium prints, at the size the page's style sheet asks for.
            page.emulate_media(media="print")  # what page.pdf uses anyway, unless told otherwise (as below)
            pdf = page.pdf(prefer_css_page_size=True, print_background=True)
            (artefacts / f"map-{which}-{paper}.pdf").write_bytes(pdf)
            pages = PdfReader(io.BytesIO(pdf)).pages
            assert all(round(float(pg.mediabox.width)) == width_pt and round(float(pg.mediabox.height)) == height_pt
                       for pg in pages), paper
            texts = [pg.extract_text() or "" for pg in pages]
            for n, text in enumerate(texts, start=1):
                head, _, body = text.partition(day)
                assert _printed(zone, head) and _printed(chain, head), f"{paper} page {n} lacks the zone, chain or date: {text[:80]}"
                assert len(body.strip()) > 20, f"{paper} page {n} is blank but for its header: {text[:200]}"
            bands = page.locator(".band").count()
            assert len(pages) >= bands >= (2 if which == "tall" else 1), (paper, bands, len(pages))
            assert all(_printed(stage, texts[0]) for stage in ("上游", "中游", "下游")), texts[0][:300]  # the heads
            assert not _printed("（续）", texts[0])
            for k in range(2, bands + 1):  # band k opens page k, headed （续）
                assert _printed(f"{chain} 产业链招商图谱（续）· 第 {k}/{bands} 页", texts[k - 1]), (paper, k, texts[k - 1][:200])
            # The layout Chromium prints, measured at the printable width in print media.
            page.set_viewport_size({"width": round(print_w * _MM), "height": round(print_h * _MM)})
            page.emulate_media(media="print")
            box = page.evaluate("""() => {
                const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
                const bands = [...document.querySelectorAll('.band')].map(b => {
                    const svg = b.querySelector('svg');
                    return {band: rect(b), svg: rect(svg), drawn: svg.viewBox.baseVal.width,
                            cols: [...svg.querySelectorAll('g.segment rect')].map(rect)};
                });
                const frame = document.querySelector('table.frame > tbody').getBoundingClientRect();
                return {bands, page: document.documentElement.scrollWidth, top: frame.top, bottom: frame.bottom,
                        header: document.querySelector('table.frame > thead').getBoundingClientRect().height,
                        full: document.querySelector('.map').getBoundingClientRect().height};
            }""")
            printable_w, printable_h = round(print_w * _MM), round(print_h * _MM)  # the viewport set above
            assert box["full"] == 0  # the screen's drawing is not printed: the bands are
            assert box["page"] <= math.ceil(printable_w), f"{paper}: the page is {box['page']} px wide, not {printable_w}"
            first = box["bands"][0]
            assert len(first["cols"]) == segments, box  # every column head on the first page, none cut
            assert 0 <= min(c[0] for c in first["cols"]) and max(c[2] for c in first["cols"]) <= printable_w + 0.5
            for k, b in enumerate(box["bands"]):
                scale = (b["svg"][2] - b["svg"][0]) / b["drawn"]
                assert 0.8 <= scale <= 1.0 + 1e-6, (paper, k, scale)  # readable: at least 80% of its size
                assert b["svg"][2] <= printable_w + 0.5, (paper, k, b)  # no column cut at the right
                fits = printable_h - box["header"] - ((b["band"][1] - box["top"]) if k == 0 else 0)
                assert b["band"][3] - b["band"][1] <= fits, (paper, k, b, fits)  # one page high, title included
            # As many pages as the bands and the rest need (a page pushed on by an unbreakable block at most per heading).
            rest = math.ceil((box["bottom"] - box["bands"][-1]["band"][3]) / (printable_h - box["header"]))
            assert bands <= len(pages) <= bands + rest + 2, (paper, len(pages), bands, rest, box["bottom"])
            page.screenshot(path=str(artefacts / f"09-map-print-{which}-{paper}.png"), full_page=True)
            page.emulate_media(media="screen")
            page.set_viewport_size({"width": 1280, "height": 900})
        browser.close()


# -- admin and viewer ------------------------------------------------------------------------------------------


def test_admin_and_viewer_flows_in_chinese_pages(service: tuple[str, Path], artefacts: Path,
                                                 tmp_path: Path) -> None:
    """An admin makes a viewer account on the 账户 page, posts and closes a need of 利通, uploads a register, reads
    its report and commits it; the viewer, on a phone, reads the lists and gets Chinese 403 pages for what it may
    not do (post a need, advance a project, the admin pages)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_tool("playwright is not installed: run `make install` (it is in the dev extras)")
    from openpyxl import Workbook

    base, db = service
    _cli(db, "account", "add", "guanliyuan", "--role", "admin", "--name", "管理员测试", password=PW)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["企业名称", "主营产品", "所属开发区"])
    ws.append(["漯河浏览器测试食品机械有限公司", "杀菌设备", "漯河经济技术开发区"])
    register = tmp_path / "企业名录.xlsx"
    wb.save(register)
    console: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=FLAGS)

        def new_page(width: int) -> object:
            page = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN").new_page()
            page.on("console", lambda m: console.append(f"{m.type}: {m.text} ({page.url})"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e} ({page.url})"))
            return page

        def login(page: object, user: str, password: str = PW) -> None:
            page.goto(base + "/login")  # type: ignore[attr-defined]
            page.fill("input[name=username]", user)  # type: ignore[attr-defined]
            page.fill("input[name=password]", password)  # type: ignore[attr-defined]
            page.click("button:has-text('登录')")  # type: ignore[attr-defined]
            page.wait_for_selector("h1:has-text('工作台')")  # type: ignore[attr-defined]

        def fits(page: object) -> None:
            width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
            assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"  # type: ignore[attr-defined]

        admin = new_page(1280)
        login(admin, "guanliyuan")
        admin.click("nav >> text=账户")
        admin.fill("form[action='/pages/accounts'] input[name=username]", "chakan")
        admin.fill("form[action='/pages/accounts'] input[name=name]", "只读测试")
        admin.select_option("select[name=role]", "viewer")
        admin.fill("form[action='/pages/accounts'] input[name=password]", PW)
        admin.fill("form[action='/pages/accounts'] input[name=password2]", PW)
        admin.click("button:has-text('创建账户')")
        admin.wait_for_selector("text=账户已创建")
        assert "只读测试" in admin.inner_text("tr[data-account=chakan]")
        admin.screenshot(path=str(artefacts / "10-admin-accounts.png"), full_page=True)
        # a need of 利通, posted by its short name, then closed
        admin.click("nav >> text=需求")
        admin.fill("form[method=post] input[name=firm]", "利通")
        admin.fill("form[method=post] input[name=title]", "浏览器测试液压胶管找买家")
        admin.select_option("form[method=post] select[name=kind]", "buyers")
        admin.click("button:has-text('发布需求')")
        admin.wait_for_selector("text=需求已发布")
        row = admin.locator("tr:has-text('浏览器测试液压胶管找买家')")
        assert "找买家" in row.inner_text() and "-" in row.inner_text()  # a due date
        admin.screenshot(path=str(artefacts / "11-admin-needs.png"), full_page=True)
        row.locator("button:has-text('办结')").click()
        admin.wait_for_selector("text=需求已办结")
        assert admin.locator("tr:has-text('浏览器测试液压胶管找买家')").count() == 0  # open needs only
        admin.select_option("select[name=status]", "closed")
        admin.fill("form[method=get] input[name=q]", "浏览器测试")
        admin.click("button:has-text('筛选')")
        assert "已办结" in admin.inner_text("tr:has-text('浏览器测试液压胶管找买家')")
        # a register: upload, read the report, commit
        admin.click("nav >> text=台账")
        admin.set_input_files("input[type=file]", str(register))
        admin.click("button:has-text('检查')")
        admin.wait_for_selector("h1:has-text('导入报告')")
        assert "检查通过" in admin.inner_text("main") and "新增 1" in admin.inner_text("main")
        admin.screenshot(path=str(artefacts / "12-register-report.png"), full_page=True)
        admin.click("button:has-text('确认导入')")
        admin.wait_for_selector("text=已导入")
        admin.goto(base + "/pages/firms?q=浏览器测试食品机械")
        assert "漯河浏览器测试食品机械有限公司" in admin.inner_text("main")

        viewer = new_page(360)
        login(viewer, "chakan")
        for path in ("/", "/pages/needs", "/pages/resources", "/pages/projects", "/pages/maps"):
            viewer.goto(base + path)
            fits(viewer)
        viewer.goto(base + "/pages/needs")
        assert viewer.locator("form[method=post][action='/pages/needs']").count() == 0
        assert "不能发布" in viewer.inner_text("main")
        viewer.screenshot(path=str(artefacts / "13-viewer-needs.png"), full_page=True)
        # A form the page does not offer, sent anyway with the session's own CSRF token: a Chinese 403 page.
        for action, fields in [("/pages/needs", {"firm": "利通", "title": "不该发布", "kind": "land"}),
                               ("/pages/projects", {"a": "利通", "a_role": "supplier", "b": "双汇", "b_role": "buyer"})]:
            viewer.evaluate("""([action, fields]) => {
                const form = document.createElement('form');
                form.method = 'post'; form.action = action;
                const all = {...fields, csrf: document.querySelector('input[name=csrf]').value};
                for (const [k, v] of Object.entries(all)) {
                    const input = document.createElement('input'); input.type = 'hidden'; input.name = k; input.value = v;
                    form.appendChild(input);
                }
                document.body.appendChild(form); form.submit();
            }""", [action, fields])
            viewer.wait_for_selector("h1:has-text('无权操作')")
            assert "只读账户" in viewer.inner_text("main")
            fits(viewer)
            viewer.goto(base + "/pages/needs")
        viewer.screenshot(path=str(artefacts / "14-viewer-refused.png"), full_page=True)
        for path in ("/pages/accounts", "/pages/registers"):
            response = viewer.goto(base + path)
            assert response is not None and response.status == 403
            assert "无权操作" in viewer.inner_text("main")
        browser.close()
    store = SQLiteStore.open(db)
    try:
        assert not [n for n in store.find("Need", text="不该发布", limit=5)]  # nothing was written
    finally:
        store.close()
    expected = ("the server responded with a status of 403",)
    assert [m for m in console if not any(x in m for x in expected)] == [], console
