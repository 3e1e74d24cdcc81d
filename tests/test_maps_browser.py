"""A chain map page in a real browser: Debian's headless Chromium renders it with no console message.

The page has no script, so any console line Chromium logs (an SVG attribute it cannot parse, a blocked resource,
a script error) is a failure. Chromium runs with networking features off and a fresh profile; the page must not
reference anything outside itself. The screenshot is kept in the test's temporary folder, and copied to
``$CHAINMATCH_SCREENSHOTS`` when that is set (to look at it). Without ``chromium`` or a Chinese font the test is
skipped, or fails when ``CI`` is set (``.ci/run`` installs both).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainmatch.loader import load_folder
from chainmatch.maps.build import zone_maps
from chainmatch.maps.render import write_maps
from chainmatch.matching.index import build_index
from chainmatch.settings import DEFAULT_DEMO_DIR
from chainmatch.stores.sqlite import SQLiteStore
from tests.conftest import missing_tool

pytestmark = pytest.mark.slow

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--force-device-scale-factor=1", "--enable-logging=stderr", "--v=0"]
CONSOLE = re.compile(r":CONSOLE[:(]\d+\)?\] (.*)")


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        missing_tool("chromium is not installed: apt-get install -y chromium (.ci/run does it)")
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False) \
        if shutil.which("fc-list") else None
    if fonts is None or not fonts.stdout.strip():
        missing_tool("no Chinese font is installed: apt-get install -y fonts-noto-cjk (.ci/run does it)")
    return str(found)


def _run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=180, check=False)


@pytest.fixture(scope="module")
def maps_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("maps_browser")
    store = SQLiteStore.open(tmp / "demo.db")
    load_folder(store, DEFAULT_DEMO_DIR)
    try:
        result = zone_maps(store, build_index(store), "LH")
    finally:
        store.close()
    write_maps(result, tmp / "out")
    yield tmp / "out"


def test_map_page_is_self_contained(maps_dir: Path) -> None:
    page = (maps_dir / "LH" / "LH-C-FOOD.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<link" not in page and "@import" not in page and " src=" not in page
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"]  # the SVG namespace only
    assert re.findall(r"url\(([^)]*)\)", page) and all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", page))
    assert '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC"' in page


@pytest.mark.parametrize("page", ["LH/LH-C-FOOD.html", "LH/index.html", "index.html"])
def test_chromium_renders_without_console_messages(maps_dir: Path, tmp_path: Path, page: str) -> None:
    chromium = _chromium()
    shot = tmp_path / "map.png"
    url = (maps_dir / page).as_uri()
    done = _run(chromium, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1600,1500", url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [m for m in CONSOLE.findall(done.stderr)] == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("CHAINMATCH_SCREENSHOTS"):
        keep = Path(os.environ["CHAINMATCH_SCREENSHOTS"])
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, keep / (page.replace("/", "_").replace(".html", ".png")))
    dom = _run(chromium, tmp_path / "profile2", "--dump-dom", url)
    assert dom.returncode == 0 and [m for m in CONSOLE.findall(dom.stderr)] == []
    if page.endswith("LH-C-FOOD.html"):
        assert "<svg" in dom.stdout and "双汇" in dom.stdout and "卫龙" in dom.stdout and "中粮" in dom.stdout
        assert "金鼎智能" in dom.stdout and "（链主）" in dom.stdout and "缺口" in dom.stdout


def test_console_errors_would_be_caught(tmp_path: Path) -> None:
    """The check above is not vacuous: a page with a script error and an SVG error logs both."""
    chromium = _chromium()
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><svg width="10" height="10"><path d="M0,0 Lx"/></svg>'
                   "<script>undefined_function();</script></body></html>", encoding="utf-8")
    done = _run(chromium, tmp_path / "profile", f"--screenshot={tmp_path / 'bad.png'}", bad.as_uri())
    messages = CONSOLE.findall(done.stderr)
    assert any("undefined_function" in m for m in messages)
    assert any("attribute d" in m for m in messages)


def test_workbook_opens_with_the_expected_sheets(maps_dir: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(maps_dir / "LH" / "LH-C-FOOD.xlsx", read_only=True)
    assert wb.sheetnames == ["概览", "环节企业", "缺口", "招商目标", "需求", "党建"]
    firms = [r[4] for r in wb["环节企业"].iter_rows(min_row=2, values_only=True)]
    assert {"漯河双汇实业集团有限责任公司", "漯河卫龙食品有限公司", "中粮（漯河）粮油工业有限公司"} <= set(firms)
    targets = list(wb["招商目标"].iter_rows(min_row=2, values_only=True))
    assert targets and all(r[3] for r in targets)
    wb.close()
