"""The issues' done-when checks on the shipped demo data, through the CLI and the library."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from chainmatch.cli import main
from chainmatch.loader import load_folder
from chainmatch.matching.index import MatchIndex, build_index
from chainmatch.matching.ranking import recommend
from chainmatch.settings import DEFAULT_DEMO_DIR
from chainmatch.stores.sqlite import SQLiteStore


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    store = SQLiteStore.open(path)
    load_folder(store, DEFAULT_DEMO_DIR)
    store.close()
    return path


@pytest.fixture(scope="module")
def demo_index(demo_db: Path) -> MatchIndex:
    store = SQLiteStore.open(demo_db)
    index = build_index(store)
    store.close()
    return index


def run(db: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--db", str(db), *args], out=out)
    return code, out.getvalue()


def test_show_litong_by_short_name(demo_db: Path) -> None:
    code, text = run(demo_db, "show", "利通")
    assert code == 0
    assert "漯河利通液压科技股份有限公司" in text and "按简称「利通」匹配到" in text
    for expected in ("网格长", "党委", "液压科技", "链主", "高压灭菌设备"):
        assert expected in text
    code, text = run(demo_db, "show", "利通", "--json")
    profile = json.loads(text)["profile"]
    assert profile["grids"] and profile["grid_chiefs"] and profile["party_organizations"]
    assert any(c["name"] == "液压科技" for c in profile["chains"]) and "高压灭菌设备" in profile["products"]


def test_show_unknown_and_ambiguous_names_say_what_to_do(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(demo_db, "show", "利通液压集团")[0] == 2
    assert "Closest matches: 漯河利通液压科技股份有限公司" in capsys.readouterr().err
    assert run(demo_db, "show", "漯河")[0] == 2
    assert "Use the full name or the id" in capsys.readouterr().err


def _codes(index: MatchIndex, firm_id: str) -> tuple[str, ...]:
    return index.codes[index.pos[firm_id]]


def test_litong_buyers_are_food_firms_with_reasons(demo_index: MatchIndex) -> None:
    """利通's buyers come from both of its businesses, each with its reason: food firms through the sterilizer
    (the equipment-user rule), and hydraulic and machinery firms through its hoses, its main business."""
    from chainmatch.matching.ranking import recommend_for_text

    litong = next(i for i, n in zip(demo_index.ids, demo_index.names) if n == "漯河利通液压科技股份有限公司")
    result = recommend(demo_index, litong, direction="buyers", top=10)
    assert len(result.items) == 10
    food = [item for item in result.items if any(c[:2] in ("13", "14", "15") for c in _codes(demo_index, item.id))]
    assert len(food) >= 2 and all("设备用户规则 3531" in item.path for item in food)
    hoses = [item for item in result.items if item not in food]
    assert hoses and all("胶管" in item.path or "液压" in item.path for item in hoses)
    for item in result.items:
        assert item.path and item.contributions and item.introducers
    # The sterilizer alone (the canonical matchmaking): its buyers are the zone's food firms.
    sterilizer = recommend_for_text(demo_index, "高压灭菌设备", direction="buyers", zone_id="LH", top=10)
    for item in sterilizer.items:
        assert any(c[:2] in ("13", "14", "15") for c in _codes(demo_index, item.id)), item.name
        assert "设备用户规则 3531" in item.path


def test_weilong_suppliers_are_upstream_of_snack_food(demo_index: MatchIndex) -> None:
    weilong = next(i for i, s in zip(demo_index.ids, demo_index.short_names) if s == "卫龙")
    result = recommend(demo_index, weilong, direction="suppliers", top=10)
    upstream = ("01", "03", "13", "22", "29", "35", "3467")  # farming, grain/oil/meat, packaging, food machinery
    assert sum(any(c.startswith(upstream) for c in _codes(demo_index, i.id)) for i in result.items) >= 8


def test_meijin_buyers_follow_coal_coke_hydrogen(demo_index: MatchIndex) -> None:
    meijin = next(i for i, s in zip(demo_index.ids, demo_index.short_names) if s == "美锦华宇")
    result = recommend(demo_index, meijin, direction="buyers", top=10)
    downstream = ("25", "26", "31", "38", "44")  # coal chemicals, chemicals/hydrogen, steel, fuel cells, power
    assert all(any(c.startswith(downstream) for c in _codes(demo_index, i.id)) for i in result.items)


def test_recommend_cli_refuses_a_bad_direction(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(demo_db, "recommend", "利通", "--direction", "upstream")[0] == 2
    assert "buyers, suppliers, partners" in capsys.readouterr().err
    code, text = run(demo_db, "recommend", "利通", "--top", "3")
    assert code == 0 and "路径" in text and "牵线" in text
