"""Supplier and buyer industries: chainmatch.knowledge.supply."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict

import networkx as nx
import pytest

from chainmatch.errors import InvalidRequest, UnknownIndustryCode
from chainmatch.knowledge.supply import (
    KINDS,
    SupplyAnswer,
    buyers_of,
    load_supply_knowledge,
    suppliers_of,
    supply_graph,
)


def under(code: str, big: str) -> bool:
    return code.startswith(big)


def test_food_machinery_is_bought_by_food_manufacturing_by_rule() -> None:
    answer = buyers_of("3531")
    assert answer.resolved_codes == ("3531",)
    top3 = answer.links[:3]
    assert [link.buyer_code for link in top3] == ["13", "14", "15"]
    for link in top3:
        assert link.kind == "equipment_rule"
        assert link.evidence.startswith("设备用户规则 3531 → 13/14/15")
        assert link.weight == 1.0
        assert link.supplier_code == "3531"


def test_coke_text_names_steel_and_chemicals_as_buyers_with_io_evidence() -> None:
    answer = buyers_of("焦炭")
    assert answer.resolved_codes == ("2521",)
    assert answer.confidence is not None and 0 < answer.confidence <= 1
    io_buyers = [link for link in answer.links if link.kind == "io"]
    steel = [link for link in io_buyers if under(link.buyer_code, "31")]
    chemicals = [link for link in io_buyers if under(link.buyer_code, "26")]
    assert steel and chemicals
    assert steel[0].buyer_code == "313"
    assert steel[0].evidence.startswith(
        "国家统计局 2017 年全国投入产出表: 煤炭加工品 → 钢压延产品, 钢压延产品每百元投入中约 5.9 元来自煤炭加工品"
    )
    assert answer.links[0] == steel[0]


def test_coke_is_supplied_by_coal_mining() -> None:
    links = suppliers_of("2521").links
    coal = next(link for link in links if link.supplier_code == "06")
    assert coal.kind == "io" and coal.weight == 1.0
    assert "煤炭开采和洗选产品 → 煤炭加工品" in coal.evidence
    assert any(link.supplier_code == "0610" and link.kind == "template" for link in links)


def test_hydraulics_are_bought_by_machinery_makers() -> None:
    buyers = [link.buyer_code for link in buyers_of("3444", top=30).links]
    assert {"351", "357", "343"} <= set(buyers)
    assert any(under(code, "43") for code in buyers)


def test_code_forms_give_the_same_answer() -> None:
    assert buyers_of("C3531").links == buyers_of(" 3531 ").links == buyers_of("3531").links


def test_division_query_reaches_its_subclasses_rules() -> None:
    buyers = {link.buyer_code: link for link in buyers_of("35", top=200).links}
    assert buyers["27"].supplier_code == "3544"
    assert buyers["17"].supplier_code == "3551"


def test_section_query_is_accepted() -> None:
    answer = suppliers_of("C", top=5)
    assert answer.resolved_names == ("制造业",)
    assert len(answer.links) == 5
    assert all(
        not link.supplier_code.startswith(("1", "2", "3", "40", "41", "42", "43")) for link in answer.links
    )


def test_catch_all_rule_keeps_its_section_buyer() -> None:
    link = next(link for link in buyers_of("3599").links if link.buyer_code == "C")
    assert (link.buyer_name, link.kind, link.weight) == ("制造业", "equipment_rule", 0.2)


def test_unknown_code_is_refused_with_nearest_codes() -> None:
    with pytest.raises(UnknownIndustryCode) as info:
        buyers_of("3530")
    assert info.value.candidates[:2] == ["3531", "3532"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "查询为空 (empty query)"), ("hello", "没有中文产品词 (no Chinese product words)")],
)
def test_unclassifiable_text_gives_empty_answer_with_reason(text: str, reason: str) -> None:
    answer = suppliers_of(text)
    assert answer == SupplyAnswer(text, "suppliers", (), (), (), reason)
    assert reason in str(answer)


def test_top_limits_and_must_be_positive() -> None:
    assert len(buyers_of("2521", top=4).links) == 4
    with pytest.raises(InvalidRequest):
        buyers_of("2521", top=0)


def test_links_are_ranked_and_weights_are_in_unit_interval() -> None:
    for answer in (buyers_of("2521"), suppliers_of("1353"), buyers_of("3444")):
        weights = [link.weight for link in answer.links]
        assert weights == sorted(weights, reverse=True)
        assert all(0 < w <= 1 for w in weights)
        assert all(link.kind in KINDS for link in answer.links)
        counterparts = [
            link.buyer_code if answer.direction == "buyers" else link.supplier_code for link in answer.links
        ]
        assert answer.resolved_codes[0] not in counterparts


def test_merged_link_keeps_other_sources_evidence() -> None:
    steelmaking = next(link for link in buyers_of("2521").links if link.buyer_code == "312")
    assert steelmaking.kind == "template"
    assert "；另见 国家统计局 2017 年全国投入产出表: 煤炭加工品 → 钢," in steelmaking.evidence


def test_io_weight_is_split_when_the_query_is_narrower_than_the_sector() -> None:
    # 3544 sits in IO sector 其他专用设备, which spans six 中类: its IO buyers are discounted 1/6.
    io_links = [link for link in buyers_of("3544", top=100).links if link.kind == "io"]
    assert io_links and max(link.weight for link in io_links) == pytest.approx(1 / 6, abs=1e-4)


def test_answer_is_printable_and_json_ready() -> None:
    answer = buyers_of("3531", top=2)
    text = str(answer)
    assert text.splitlines()[0] == "3531 → 3531 食品、酒、饮料及茶生产专用设备制造: 采购方 (buyers)"
    assert text.splitlines()[1].startswith("  1. 13 农副食品加工业  1.00  [equipment_rule]")
    data = json.loads(json.dumps(asdict(answer), ensure_ascii=False))
    assert data["links"][0]["buyer_name"] == "农副食品加工业"


def test_supply_graph_edges_carry_weight_kind_and_evidence() -> None:
    G = supply_graph()
    assert isinstance(G, nx.DiGraph)
    assert G.edges["252", "313"]["kind"] == "io"
    assert G.edges["252", "313"]["weight_down"] == 1.0
    assert G.edges["3531", "13"]["kind"] == "equipment_rule"
    assert G.edges["3531", "13"]["kinds"] == ["equipment_rule", "template"]
    assert set(G.edges["2521", "311"]["kinds"]) == {"template"}
    for _, _, data in G.edges(data=True):
        assert 0 < data["weight"] <= 1 and data["kind"] in KINDS and data["evidence"]


def test_knowledge_is_loaded_once() -> None:
    assert load_supply_knowledge() is load_supply_knowledge()


def test_import_does_no_io() -> None:
    code = "import chainmatch.knowledge.supply as s; print(s.load_supply_knowledge.cache_info().currsize)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
