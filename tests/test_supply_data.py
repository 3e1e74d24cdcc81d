"""Integrity of the shipped supply-link data (chainmatch/data, written by tools/derive_knowledge.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from chainmatch.knowledge.industries import load_industries

DATA = Path(__file__).resolve().parent.parent / "chainmatch" / "data"


def rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def templates() -> list[dict[str, Any]]:
    doc = json.loads((DATA / "chain_templates.json").read_text(encoding="utf-8"))
    result: list[dict[str, Any]] = doc["templates"]
    return result


def rule_users(code: str) -> set[str]:
    return {
        u for r in rows("equipment_rules.csv") if r["equipment_code"] == code for u in r["user_codes"].split()
    }


# --- input-output concordance and links ---


def test_concordance_maps_all_149_sectors_to_valid_codes() -> None:
    industries = load_industries()
    concordance = rows("io_concordance.csv")
    assert [r["io_sector"] for r in concordance] == [f"{i:03d}" for i in range(1, 150)]
    for r in concordance:
        codes = r["gbt_codes"].split()
        assert codes, r["io_sector"]
        assert all(c in industries for c in codes), r
        assert r["gbt_names"] == "；".join(industries.get(c).name for c in codes)


@pytest.mark.parametrize(
    ("sector", "codes"),
    [("042", "252"), ("061", "312"), ("062", "313"), ("016", "135"), ("070", "344"), ("034", "195")],
)
def test_concordance_spot_checks(sector: str, codes: str) -> None:
    assert {r["io_sector"]: r["gbt_codes"] for r in rows("io_concordance.csv")}[sector] == codes


def test_io_links_are_a_small_derived_table_above_the_threshold() -> None:
    links = rows("io_links.csv")
    assert 1000 < len(links) <= 3000
    sectors = {r["io_sector"] for r in rows("io_concordance.csv")}
    for r in links:
        assert r["supplier_sector"] in sectors and r["buyer_sector"] in sectors
        assert max(float(r["output_share"]), float(r["input_share"])) >= 0.02
        assert 0 < float(r["direct_input_coef"]) < 1
    pairs = [(r["supplier_sector"], r["buyer_sector"]) for r in links]
    assert len(pairs) == len(set(pairs))
    # the diagonal (a sector buying from itself) is there: chemicals buy chemicals
    assert ("043", "043") in pairs and float(next(r for r in links if r["supplier_sector"] == r["buyer_sector"] == "043")
                                              ["output_share"]) > 0.1


def test_io_links_keep_the_coke_to_steel_cell() -> None:
    cell = next(
        r for r in rows("io_links.csv") if (r["supplier_sector"], r["buyer_sector"]) == ("042", "062")
    )
    assert (cell["supplier_name"], cell["buyer_name"]) == ("煤炭加工品", "钢压延产品")
    assert float(cell["output_share"]) == pytest.approx(0.5598, abs=1e-4)


# --- equipment rules ---


def test_every_34_and_35_subclass_has_an_equipment_rule() -> None:
    industries = load_industries()
    ruled = {r["equipment_code"] for r in rows("equipment_rules.csv")}
    leaves = [i.code for big in ("34", "35") for i in industries.leaves_under(big)]
    assert len([c for c in leaves if c.startswith("35")]) == 56
    assert [c for c in leaves if c not in ruled] == []


def test_equipment_rules_use_valid_codes_and_weights() -> None:
    industries = load_industries()
    for r in rows("equipment_rules.csv"):
        assert r["equipment_code"] in industries, r
        assert r["equipment_name"] == industries.get(r["equipment_code"]).name
        assert all(u in industries for u in r["user_codes"].split()), r
        assert 0 < float(r["weight"]) <= 1
        assert r["note"]


@pytest.mark.parametrize(
    ("equipment", "users"),
    [("3531", {"13", "14", "15"}), ("3544", {"27"}), ("3551", {"17"}), ("3511", {"06", "08", "09", "10"})],
)
def test_equipment_rule_spot_checks(equipment: str, users: set[str]) -> None:
    assert users <= rule_users(equipment)


def test_hydraulics_rule_names_machinery_makers() -> None:
    assert {"351", "357", "343", "433"} <= rule_users("3444")


# --- chain templates ---


def test_templates_cover_the_zones_chains() -> None:
    names = {t["name"] for t in templates()}
    assert names == {"煤—焦—氢", "食品", "液压科技", "智能装备", "汽车汽配", "丝纺服装", "鞋服", "食品饮料"}


def test_template_segments_are_valid() -> None:
    industries = load_industries()
    for t in templates():
        ids = [s["id"] for s in t["segments"]]
        assert len(ids) == len(set(ids)), t["id"]
        orders = [s["order"] for s in t["segments"]]
        assert orders == sorted(orders), t["id"]
        for s in t["segments"]:
            assert s["stage"] in {"上游", "中游", "下游", "配套"}
            assert s["codes"] and all(c in industries for c in s["codes"]), (t["id"], s["id"])
            assert s["code_names"] == [industries.get(c).name for c in s["codes"]]
            assert set(s["supplies_to"]) <= set(ids), (t["id"], s["id"])
        assert any(s["supplies_to"] for s in t["segments"])


def test_coal_coke_hydrogen_template_is_ordered_coal_then_coke_then_hydrogen() -> None:
    t = next(t for t in templates() if t["id"] == "coal_coke_hydrogen")
    order = {s["id"]: (s["order"], s["codes"]) for s in t["segments"]}
    assert order["coal_mining"] == (1, ["0610"])
    assert order["coking"] == (2, ["2521"])
    assert order["hydrogen"][0] == 3


# --- KAG taxonomy ---


def test_kag_links_are_deduplicated_and_complete() -> None:
    links = rows("kag_product_links.csv")
    assert len(links) == 536
    pairs = [(r["product"], r["downstream_category"]) for r in links]
    assert len(pairs) == len(set(pairs))
    assert len({r["product"] for r in links}) == 44


def test_kag_codes_are_valid_where_mapped() -> None:
    industries = load_industries()
    links = rows("kag_product_links.csv")
    for r in links:
        assert r["product_gbt"] in industries, r
        assert r["downstream_gbt"] == "" or r["downstream_gbt"] in industries, r
    assert sum(1 for r in links if r["downstream_gbt"]) >= 500


def test_kag_attribution_is_shipped() -> None:
    notice = (DATA.parent.parent / "NOTICE").read_text(encoding="utf-8")
    assert "OpenSPG/KAG" in notice and "Apache License, Version 2.0" in notice
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "`kag_product_links.csv`" in readme and "国家统计局 2017 年全国投入产出表" in readme
