"""Chain investment maps: a tiny hand-made zone with the answers worked out by hand, then the demo data.

The tiny store (``tiny_files``):

- 甲开发区 (Z1) has the chain C1 煤—焦—氢, led by 焦化 (E1). Its segments (listed out of order in the file) are
  上游 T1 (煤炭开采 0610, 矿山装备 3511), 中游 T2 (炼焦 2521), 下游 T3 (氢能 2619, 铁路物流 5320).
  Firms: 焦化 E1 (炼焦, 1000 万元, grid G1), 煤矿 E2 (煤炭开采, 100), 氢能 E3 (氢能, 200), and 装备 E4 (3511, 50)
  which is on no chain: it is placed in 矿山装备 by its industry. Nobody local does 5320: 铁路物流 is a gap.
- Outside the zone, three 5320 firms: 外地铁路 X1 (no zone) supplies 焦化 (a known trade); 乙区物流 X2 (zone Z2)
  has no trade; 外地货运 X4 (no zone) buys from 氢能 E3. Ranked: X1 (trade to the leader), X4 (buys locally),
  X2 (only the chain-template link 5320 → 2521). 外地肉业 X3 (1353) fills nothing.
- Trades inside the chain: 煤矿 → 焦化, 装备 → 焦化. 煤矿 posts an open need, 焦化 a closed one.
- The comprehensive committee PO0 serves C1, with the branches PO1 (in 焦化) and PO2 (in 煤矿) under it.
- 乙开发区 (Z2) has no chain. 丙开发区 (Z3) has C2 (segments without industry codes) and C4 乳业
  (1441, which no firm anywhere does: an empty recruitment pool).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainmatch.errors import InvalidRequest, NotFound
from chainmatch.loader import load_folder
from chainmatch.maps.build import ChainMap, Thresholds, chain_map, zone_maps
from chainmatch.maps.render import _boxes, chain_bands, chain_svg, svg_size, write_maps
from chainmatch.matching.index import MatchIndex, build_index
from chainmatch.settings import DEFAULT_DEMO_DIR
from chainmatch.stores.base import Store
from chainmatch.stores.sqlite import SQLiteStore
from tests.test_loader import write_folder

EXACT = Thresholds(min_firms=1, min_output_share=0.0)
"""Only categories without any local firm are gaps."""


def tiny_files() -> dict[str, str]:
    return {
        "zones.csv": "id,name\nZ1,甲开发区\nZ2,乙开发区\nZ3,丙开发区",
        "grids.csv": "id,name,level,kind,type,zone_id,parent_id\nG1,焦化网格,3,exclusive,point,Z1,",
        "chains.csv": "id,name,task_force,zone_id,leader_ids\n"
                      "C1,煤—焦—氢,煤焦氢专班,Z1,E1\nC2,无行业链,,Z3,\nC4,乳业,,Z3,",
        "segments.csv": "id,name,stage,order,industry_codes,products,chain_id,parent_id\n"
                        "T3,下游：氢能与物流,downstream,3,2619;5320,,C1,\n"
                        "T1-b,矿山装备,upstream,11,3511,采煤机,C1,T1\n"
                        "T2,中游：炼焦,midstream,2,2521,,C1,\n"
                        "T1,上游：煤炭与装备,upstream,1,0610;3511,,C1,\n"
                        "T3-b,铁路物流,downstream,14,5320,铁路货运,C1,T3\n"
                        "T1-a,煤炭开采,upstream,10,0610,原煤,C1,T1\n"
                        "T2-a,炼焦,midstream,12,2521,焦炭,C1,T2\n"
                        "T3-a,氢能,downstream,13,2619,工业氢气,C1,T3\n"
                        "U1,原料,upstream,1,,,C2,\nU2,加工,midstream,2,,,C2,\n"
                        "M1,乳品加工,midstream,1,1441,,C4,",
        "enterprises.csv": "id,name,short_name,scale,output_value,zone_id,grid_id,industry_codes,segment_ids\n"
                           "E1,六枝焦化有限公司,焦化,above,1000,Z1,G1,2521,T2-a\n"
                           "E2,六枝煤矿有限公司,煤矿,below,100,Z1,G1,0610,T1-a\n"
                           "E3,六枝氢能有限公司,氢能,above,200,Z1,,2619,T3-a\n"
                           "E4,六枝装备有限公司,装备,below,50,Z1,,3511,\n"
                           "X1,外地铁路有限公司,外地铁路,above,500,,,5320,\n"
                           "X2,乙区物流有限公司,乙区物流,below,900,Z2,,5320,\n"
                           "X3,外地肉业有限公司,外地肉业,above,800,,,1353,\n"
                           "X4,外地货运有限公司,外地货运,below,30,,,5320,",
        "trades.csv": "from_id,to_id,product\nX1,E1,铁路货运\nE3,X4,工业氢气\nE2,E1,原煤\nE4,E1,采煤机",
        "needs.csv": "id,title,kind,product,status,posted_on,zone_id,enterprise_id\n"
                     "N1,煤矿找洗精煤买家,buyers,洗精煤,open,2024-05-01,Z1,E2\n"
                     "N2,焦化厂房,land,,closed,2024-01-01,Z1,E1",
        "party_organizations.csv": "id,name,kind,zone_id,parent_id,enterprise_id,chain_ids\n"
                                   "PO0,甲区非公企业综合党委,comprehensive,Z1,,,C1\n"
                                   "PO1,焦化党支部,branch,Z1,PO0,E1,\n"
                                   "PO2,煤矿党支部,branch,Z1,PO0,E2,",
    }


def _no_classifier(texts: list[str]) -> list[tuple[str, float] | None]:
    return [None] * len(texts)


@pytest.fixture()
def tiny(tmp_path: Path) -> Iterator[tuple[SQLiteStore, MatchIndex]]:
    folder = write_folder(tmp_path / "tiny", tiny_files())
    store = SQLiteStore.open(tmp_path / "tiny.db")
    load_folder(store, folder)
    try:
        yield store, build_index(store, classify_many=_no_classifier)
    finally:
        store.close()


def _cat(m: ChainMap, name: str):  # type: ignore[no-untyped-def]
    return next(c for s in m.segments for c in s.categories if c.name == name)


def test_segments_in_order_upstream_to_downstream_with_categories(tiny: tuple[SQLiteStore, MatchIndex]) -> None:
    m = chain_map(*tiny, "C1", thresholds=EXACT)
    assert [s.name for s in m.segments] == ["上游：煤炭与装备", "中游：炼焦", "下游：氢能与物流"]
    assert [[c.name for c in s.categories] for s in m.segments] == [["煤炭开采", "矿山装备"], ["炼焦"],
                                                                    ["氢能", "铁路物流"]]
    assert [i.code for i in _cat(m, "矿山装备").industries] == ["3511"]
    assert _cat(m, "矿山装备").industries[0].name == "矿山机械制造"
    assert _cat(m, "铁路物流").products == ("铁路货运",)


def test_local_firms_leader_and_strength(tiny: tuple[SQLiteStore, MatchIndex]) -> None:
    m = chain_map(*tiny, "C1", thresholds=EXACT)
    assert [f.name for f in m.leaders] == ["六枝焦化有限公司"]
    coke = _cat(m, "炼焦").firms[0]
    assert (coke.leader, coke.scale, coke.output, coke.grid, coke.membership) == (True, "above", 1000.0, "焦化网格",
                                                                                 "declared")
    assert coke.has_party
    # 装备 is on no chain but its industry 3511 is 矿山装备's: the zone has it.
    eq = _cat(m, "矿山装备").firms
    assert [(f.short_name, f.membership, f.leader) for f in eq] == [("装备", "industry", False)]
    assert m.strength.firms == 4 and m.strength.output == 1350.0
    assert _cat(m, "炼焦").strength.output_share == round(1000 / 1350, 4)
    assert m.segments[0].strength.firms == 2 and m.segments[0].strength.output == 150.0
    assert m.zone == "甲开发区" and m.task_force == "煤焦氢专班"


def test_gap_where_no_local_firm_with_ranked_outside_firms_and_reasons(tiny: tuple[SQLiteStore, MatchIndex]) -> None:
    m = chain_map(*tiny, "C1", thresholds=EXACT)
    assert [(g.category, g.kind, g.firms) for g in m.gaps] == [("铁路物流", "missing", 0)]
    gap = m.gaps[0]
    assert gap.segment == "下游：氢能与物流" and gap.pool == 3
    assert [t.short_name for t in gap.targets] == ["外地铁路", "外地货运", "乙区物流"]
    first, second, third = gap.targets
    assert [r.kind for r in first.reasons] == ["supplies_leader", "fills_segment"]
    assert first.reasons[0].evidence == "已知交易" and "焦化" in first.reasons[0].text
    assert first.zone == "区外" and first.industries == ("5320",)
    assert [r.kind for r in second.reasons] == ["supplies_leader", "buys_from_local", "fills_segment"]
    assert second.reasons[1].evidence == "已知交易" and "氢能" in second.reasons[1].text
    assert second.reasons[0].evidence == "产业链知识" and "5320" in second.reasons[0].text
    assert [r.kind for r in third.reasons] == ["supplies_leader", "fills_segment"]
    assert third.zone == "乙开发区"
    assert all(t.id != "X3" for t in gap.targets)  # 1353 fills no gap of this chain
    assert first.score > second.score > third.score


def test_weak_gaps_follow_the_thresholds(tiny: tuple[SQLiteStore, MatchIndex]) -> None:
    m = chain_map(*tiny, "C1", thresholds=Thresholds(min_firms=1, min_output_share=0.1))
    assert [(g.category, g.kind) for g in m.gaps] == [("煤炭开采", "weak"), ("矿山装备", "weak"),
                                                      ("铁路物流", "missing")]
    m = chain_map(*tiny, "C1", thresholds=Thresholds(min_firms=2, min_output_share=0.0, targets_per_gap=1))
    assert len(m.gaps) == 5 and all(len(g.targets) <= 1 for g in m.gaps)
    with pytest.raises(InvalidRequest, match="min_output_share"):
        Thresholds(min_output_share=2)


def test_links_needs_and_party_coverage(tiny: tuple[SQLiteStore, MatchIndex]) -> None:
    m = chain_map(*tiny, "C1", thresholds=EXACT)
    assert sorted((x.supplier_id, x.buyer_id) for x in m.links) == [("E2", "E1"), ("E4", "E1")]
    assert [(n.id, n.kind_title, n.firm, n.segments) for n in m.needs] == [("N1", "找买家", "六枝煤矿有限公司",
                                                                           ("煤炭开采",))]
    p = m.party
    assert (p.firms, p.with_party, p.rate) == (4, 2, 0.5)
    assert [c.name for c in p.committees] == ["甲区非公企业综合党委"]
    assert sorted((x.org, x.firm, x.on_map) for x in p.committees[0].members) == [
        ("焦化党支部", "六枝焦化有限公司", True), ("煤矿党支部", "六枝煤矿有限公司", True)]
    assert m.notes == ()


def test_bad_input_is_said_plainly(tiny: tuple[SQLiteStore, MatchIndex]) -> None:
    result = zone_maps(*tiny, "all", thresholds=EXACT)
    zones = {z.zone_id: z for z in result.zones}
    assert zones["Z2"].maps == () and "没有产业链" in zones["Z2"].notes[0]
    no_codes = next(m for m in zones["Z3"].maps if m.chain_id == "C2")
    assert any("都没有行业代码" in n for n in no_codes.notes)
    assert any("没有链主" in n for n in no_codes.notes)
    assert all(g.note and "没有行业代码" in g.note for g in no_codes.gaps) and len(no_codes.gaps) == 2
    dairy = next(m for m in zones["Z3"].maps if m.chain_id == "C4")
    assert [(g.category, g.kind, g.targets) for g in dairy.gaps] == [("乳品加工", "missing", ())]
    assert "1441" in (dairy.gaps[0].note or "") and any("empty recruitment pool" in n for n in dairy.notes)
    assert result.chains == 3 and result.gaps == 1 + 2 + 1
    assert any(n.startswith("乙开发区: ") for n in result.notes)


def test_the_same_maps_on_every_store(store: Store, tmp_path: Path) -> None:
    """Only the store interface is used: the embedded store and the Neo4j store (on a real Neo4j) agree."""
    load_folder(store, write_folder(tmp_path / "tiny", tiny_files()))
    result = zone_maps(store, build_index(store, classify_many=_no_classifier), "all", thresholds=EXACT)
    m = next(m for m in result.maps if m.chain_id == "C1")
    assert [[c.name for c in s.categories] for s in m.segments] == [["煤炭开采", "矿山装备"], ["炼焦"],
                                                                    ["氢能", "铁路物流"]]
    assert [f.short_name for f in m.leaders] == ["焦化"] and m.strength.firms == 4
    assert [(g.category, [t.id for t in g.targets]) for g in m.gaps] == [("铁路物流", ["X1", "X4", "X2"])]
    assert sorted((x.supplier_id, x.buyer_id) for x in m.links) == [("E2", "E1"), ("E4", "E1")]
    assert sorted(x.org for c in m.party.committees for x in c.members) == ["焦化党支部", "煤矿党支部"]
    assert (result.chains, result.gaps) == (3, 4)


def test_unknown_ids_name_the_closest(tiny: tuple[SQLiteStore, MatchIndex]) -> None:
    with pytest.raises(NotFound, match="No chain has the id 'C9'"):
        chain_map(*tiny, "C9")
    with pytest.raises(NotFound, match="Closest matches: Z1, Z2, Z3"):
        zone_maps(*tiny, "Z9")


def test_progress_is_reported_per_chain(tiny: tuple[SQLiteStore, MatchIndex]) -> None:
    seen: list[tuple[int, int, str]] = []
    zone_maps(*tiny, "Z3", progress=lambda done, total, name: seen.append((done, total, name)))
    assert seen == [(1, 2, "无行业链"), (2, 2, "乳业")]


def test_written_files_json_html_xlsx_and_index_pages(tiny: tuple[SQLiteStore, MatchIndex], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    written = write_maps(zone_maps(*tiny, "all", thresholds=EXACT), tmp_path / "out")
    out = tmp_path / "out"
    assert written.index_page == out / "index.html"
    data = json.loads((out / "Z1" / "C1.json").read_text(encoding="utf-8"))
    assert data["summary"]["gaps"] == 1 and data["gaps"][0]["targets"][0]["id"] == "X1"
    assert data["segments"][0]["name"] == "上游：煤炭与装备"
    page = (out / "Z1" / "C1.html").read_text(encoding="utf-8")
    assert "<svg" in page and "链主" in page and "缺口" in page and "外地铁路" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert 'href="C1.html"' in (out / "Z1" / "index.html").read_text(encoding="utf-8")
    assert "没有产业链" in (out / "Z2" / "index.html").read_text(encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["chains"] == 3 and summary["zones"][0]["chains"][0]["files"]["html"] == "Z1/C1.html"
    wb = load_workbook(out / "Z1" / "C1.xlsx", read_only=True)
    assert wb.sheetnames == ["概览", "环节企业", "缺口", "招商目标", "需求", "党建"]
    rows = list(wb["招商目标"].iter_rows(values_only=True))
    assert rows[1][:4] == ("铁路物流", 1, "X1", "外地铁路有限公司")
    firms = list(wb["环节企业"].iter_rows(values_only=True))
    assert len(firms) == 1 + 4 and firms[1][4] == "六枝煤矿有限公司"
    wb.close()


def test_names_from_data_are_escaped_in_html_and_kept_as_text_in_xlsx(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    files = tiny_files()
    files["enterprises.csv"] = files["enterprises.csv"].replace(
        "六枝焦化有限公司,焦化", '"<script>alert(1)</script>焦化&公司",=SUM(A1)')
    folder = write_folder(tmp_path / "evil", files)
    store = SQLiteStore.open(tmp_path / "evil.db")
    load_folder(store, folder)
    result = zone_maps(store, build_index(store, classify_many=_no_classifier), "Z1")
    store.close()
    write_maps(result, tmp_path / "out")
    page = (tmp_path / "out" / "Z1" / "C1.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;焦化&amp;公司" in page
    wb = load_workbook(tmp_path / "out" / "Z1" / "C1.xlsx")
    cells = [c for row in wb["环节企业"].iter_rows() for c in row if c.value == "=SUM(A1)"]
    assert len(cells) == 1 and cells[0].data_type == "s"  # a text, not a formula


# -- the demo data ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SQLiteStore, MatchIndex]]:
    store = SQLiteStore.open(tmp_path_factory.mktemp("maps") / "demo.db")
    load_folder(store, DEFAULT_DEMO_DIR)
    try:
        yield store, build_index(store)
    finally:
        store.close()


def test_demo_maps_for_the_five_zones(demo: tuple[SQLiteStore, MatchIndex]) -> None:
    result = zone_maps(*demo, "all")
    assert len(result.zones) == 5 and all(z.maps for z in result.zones)
    assert result.chains == 11 and result.gaps > 0 and result.targets > 0


def test_demo_liuzhi_coal_coke_hydrogen(demo: tuple[SQLiteStore, MatchIndex]) -> None:
    m = chain_map(*demo, "LZ-C-CCH")
    assert [f.short_name for f in m.leaders] == ["美锦华宇"]
    names = [c.name for s in m.segments for c in s.categories]
    for wanted in ("煤电", "铁路与货运物流", "矿山装备"):
        assert wanted in names
    assert [s.stage for s in m.segments] == ["upstream", "midstream", "downstream"]
    coke = _cat(m, "炼焦").firms[0]
    assert coke.short_name == "美锦华宇" and coke.leader
    rail = _cat(m, "铁路与货运物流")
    assert {"5320", "5431"} <= {i.code for i in rail.industries}  # rail and road freight
    assert rail.strength.firms >= 10
    assert _cat(m, "煤电").strength.firms >= 3 and _cat(m, "矿山装备").strength.firms >= 3
    assert [c.name for c in m.party.committees] == ["六枝经开区非公企业综合党委"]
    assert len(m.party.committees[0].members) == 5


def test_demo_luohe_food_with_its_equipment_suppliers(demo: tuple[SQLiteStore, MatchIndex]) -> None:
    m = chain_map(*demo, "LH-C-FOOD")
    firms = {f.short_name: f for s in m.segments for c in s.categories for f in c.firms}
    for name in ("双汇", "卫龙", "中粮"):
        assert name in firms
    assert firms["双汇"].leader and firms["卫龙"].leader and not firms["中粮"].leader
    equipment = {f.short_name for f in _cat(m, "食品装备").firms}
    assert {"利通", "金鼎智能"} <= equipment
    by_id = {f.id: f.short_name for f in firms.values()}
    links = {(by_id.get(x.supplier_id), by_id.get(x.buyer_id)) for x in m.links}
    assert {("金鼎智能", "双汇"), ("金鼎智能", "卫龙"), ("利通", "亿家馨")} <= links
    assert all(t.zone != m.zone for g in m.gaps for t in g.targets)


# -- the command line ------------------------------------------------------------------------


def test_cli_maps_writes_files_with_progress_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from chainmatch.cli import main

    folder = write_folder(tmp_path / "tiny", tiny_files())
    store = SQLiteStore.open(tmp_path / "cli.db")
    load_folder(store, folder)
    store.close()
    out = io.StringIO()
    code = main(["--db", str(tmp_path / "cli.db"), "maps", "--zone", "all", "--out", str(tmp_path / "maps"),
                 "--min-firms", "1", "--min-share", "0"], out=out)
    assert code == 0
    err = capsys.readouterr().err
    assert "[######--------------] 1/3 chains mapped: 煤—焦—氢" in err
    assert "[####################] 3/3 chains written: 乳业" in err
    text = out.getvalue()
    assert "5 个开发区" not in text and "3 个开发区, 3 条产业链, 缺口 4 个" in text
    assert "乙开发区: 本区没有产业链" in text and "用时" in text
    assert (tmp_path / "maps" / "Z1" / "C1.html").exists() and (tmp_path / "maps" / "Z3" / "C4.xlsx").exists()
    out = io.StringIO()
    assert main(["--db", str(tmp_path / "cli.db"), "maps", "--zone", "Z1", "--out", str(tmp_path / "z1"), "--json"],
                out=out) == 0
    data = json.loads(out.getvalue())
    assert (data["zones"], data["chains"], data["files"]) == (1, 1, 6)  # 3 per chain, 2 index pages, summary
    assert main(["--db", str(tmp_path / "cli.db"), "maps", "--zone", "Z9", "--out", str(tmp_path / "x")]) == 2
    assert "Closest matches: Z1, Z2, Z3" in capsys.readouterr().err


def test_a_tall_map_is_cut_into_bands_between_its_boxes(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "demo.db")
    load_folder(store, DEFAULT_DEMO_DIR)
    m = chain_map(store, build_index(store), "LH-C-FOOD")
    store.close()
    width, height = svg_size(m)
    assert (width, height) == (960, 1494)  # 3 columns; the 食品 column of 5 categories sets the height
    bands = chain_bands(m, 552, 626)  # A4's bands (api/web/maps.py): 552 below the title, 626 on later pages
    assert bands == [(0, 470), (470, 910), (910, 1494)]
    crossed = [sum(t < cut < b for t, b in _boxes(m)) for _, cut in bands[:-1]]
    assert crossed == [1, 0]  # no clean cut between 276 and 552 (the columns overlap): one box; then a clean one
    assert chain_bands(m, height, 10) == [(0, height)]  # a map that fits is one band
    svg = chain_svg(m, band=bands[1], scale=0.9, ids="-p2")
    assert svg.startswith(f'<svg xmlns="http://www.w3.org/2000/svg" width="864" height="{round(0.9 * (bands[1][1] - bands[1][0]))}" '
                          f'viewBox="0 {bands[1][0]} 960 {bands[1][1] - bands[1][0]}"')
    assert 'id="arrow-p2"' in svg and "url(#arrow)" not in svg
