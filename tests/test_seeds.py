"""Invariants of the demo data folder ``seeds/demo`` that hold without the loader (plain csv, the schema)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from graph_schema import Schema, load_schema

DEMO = Path(__file__).resolve().parent.parent / "seeds" / "demo"
GBT = Path(__file__).resolve().parent.parent / "chainmatch" / "data" / "gbt4754_2017.csv"


@cache
def read(name: str) -> tuple[dict[str, str], ...]:
    path = DEMO / name
    if not path.exists():
        return ()
    with open(path, encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def header(name: str) -> list[str]:
    with open(DEMO / name, encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def split(value: str) -> list[str]:
    return [v for v in value.split(";") if v]


@cache
def ids_by_label() -> dict[str, str]:
    """Every node id of the folder → its label."""
    schema = load_schema()
    out: dict[str, str] = {}
    for label in schema.labels.values():
        for row in read(label.file):
            out[row[label.key]] = label.name
    return out


def enterprise(short: str) -> dict[str, str]:
    found = [r for r in read("enterprises.csv") if r["short_name"] == short]
    assert len(found) == 1, f"{short}: {len(found)} enterprises"
    return found[0]


# ------------------------------------------------------------------------------------------- format


def test_every_file_is_declared_and_every_column_too() -> None:
    schema = load_schema()
    node_files = {lab.file: lab for lab in schema.labels.values()}
    rel_files = {r.file: r for r in schema.file_relationships()}
    files = sorted(p.name for p in DEMO.glob("*.csv"))
    assert files, "seeds/demo holds no csv file"
    for name in files:
        cols = header(name)
        assert len(cols) == len(set(cols)), f"{name}: duplicate column"
        if name in node_files:
            lab = node_files[name]
            allowed = set(lab.properties) | {r.column for r in schema.inline(lab.name) if r.column}
        else:
            assert name in rel_files, f"{name} is neither a label's nor a relationship's file"
            allowed = {"from_id", "to_id"} | set(rel_files[name].properties)
        assert set(cols) <= allowed, f"{name}: undeclared columns {sorted(set(cols) - allowed)}"


def test_every_row_has_as_many_cells_as_the_header() -> None:
    for path in sorted(DEMO.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as f:
            lengths = Counter(len(row) for row in csv.reader(f))
        assert len(lengths) == 1, (path.name, lengths)


def _check_value(schema: Schema, file: str, line: int, col: str, ptype: str, enum: str | None, value: str) -> None:
    where = f"{file}:{line} {col}={value!r}"
    if enum:
        assert value in schema.enums[enum], f"{where}: not a code of enum {enum}"
    elif ptype == "bool":
        assert value in ("true", "false"), where
    elif ptype == "int":
        int(value)
    elif ptype == "float":
        float(value)
    elif ptype == "date":
        dt.date.fromisoformat(value)
    elif ptype == "datetime":
        dt.datetime.fromisoformat(value)


def test_values_have_their_declared_types_and_required_ones_are_present() -> None:
    schema = load_schema()
    files = {lab.file: lab.properties for lab in schema.labels.values()}
    files.update({r.file: r.properties for r in schema.file_relationships() if r.file})
    for file, props in files.items():
        for line, row in enumerate(read(file), start=2):
            for name, prop in props.items():
                value = row.get(name, "")
                if prop.required:
                    assert value, f"{file}:{line}: required {name} is empty"
                if value:
                    _check_value(schema, file, line, name, prop.type, prop.enum, value)


def test_ids_are_unique_across_the_folder() -> None:
    schema = load_schema()
    counts: Counter[str] = Counter()
    for lab in schema.labels.values():
        counts.update(row[lab.key] for row in read(lab.file))
    dupes = [i for i, n in counts.items() if n > 1]
    assert not dupes, f"ids used more than once: {dupes[:10]}"


def test_every_reference_resolves() -> None:
    schema = load_schema()
    ids = ids_by_label()
    codes = _gbt_codes()
    for rel in schema.relationships.values():
        if rel.column:
            for host in rel.host_labels:
                file = schema.labels[host].file
                for line, row in enumerate(read(file), start=2):
                    raw = row.get(rel.column, "")
                    for ref in split(raw) if rel.many else ([raw] if raw else []):
                        if rel.create_missing:
                            continue
                        if rel.target_labels == ("Industry",):
                            if codes:
                                assert ref in codes, f"{file}:{line} {rel.column}: {ref} is not a GB/T 4754-2017 code"
                            continue
                        assert ids.get(ref) in rel.target_labels, (
                            f"{file}:{line} {rel.column}={ref}: no {'/'.join(rel.target_labels)} with that id")
        else:
            assert rel.file
            for line, row in enumerate(read(rel.file), start=2):
                assert ids.get(row["from_id"]) in rel.from_labels, f"{rel.file}:{line} from_id={row['from_id']}"
                assert ids.get(row["to_id"]) in rel.to_labels, f"{rel.file}:{line} to_id={row['to_id']}"


@cache
def _gbt_codes() -> frozenset[str]:
    if not GBT.exists():
        return frozenset()
    with open(GBT, encoding="utf-8", newline="") as f:
        return frozenset(r["code"] for r in csv.DictReader(f))


def test_most_firms_have_industry_codes_and_some_are_left_to_the_classifier() -> None:
    firms = read("enterprises.csv")
    empty = sum(1 for r in firms if not r["industry_codes"])
    assert 0 < empty < len(firms) * 0.2


# ------------------------------------------------------------------------------------------- content


def test_at_least_300_enterprises_in_five_zones_and_some_outside() -> None:
    firms = read("enterprises.csv")
    assert len(firms) >= 300
    by_zone = Counter(r["zone_id"] for r in firms)
    assert {z["id"] for z in read("zones.csv")} == {"LH", "QZ", "LZ", "JL", "CD"}
    assert by_zone["LH"] >= 100 and by_zone[""] >= 10
    assert all(r["synthetic"] == "true" for r in firms if r["zone_id"] == "")


@pytest.mark.parametrize("short, zone", [
    ("双汇", "LH"), ("中粮", "LH"), ("卫龙", "LH"), ("利通", "LH"), ("汇龙液压", "LH"), ("铭智新能源", "LH"),
    ("亿家馨", "LH"), ("九牧王", "QZ"), ("特步", "QZ"), ("安记", "QZ"), ("泰亚", "QZ"), ("美锦华宇", "LZ"),
    ("吉利汽车", "JL"), ("北汽银翔", "JL"), ("依格尔", "JL"), ("尚好茶业", "JL"), ("燕京啤酒", "JL"), ("通产玻璃", "JL"),
])
def test_named_real_firms_are_present_and_not_synthetic(short: str, zone: str) -> None:
    row = enterprise(short)
    assert row["synthetic"] == "false" and row["zone_id"] == zone and row["uscc"] == ""
    assert row["source"].startswith("seed-articles/")


def test_real_names_of_the_report() -> None:
    assert enterprise("利通")["name"] == "漯河利通液压科技股份有限公司"
    assert enterprise("亿家馨")["name"] == "漯河亿家馨食品有限公司"
    assert enterprise("美锦华宇")["name"] == "贵州美锦华宇新能源有限公司"
    assert {"利通科技", "利通液压"} <= set(split(enterprise("利通")["aliases"]))


def test_litong_makes_the_sterilizer_and_leads_hydraulics() -> None:
    litong = enterprise("利通")
    assert "高压灭菌设备" in split(litong["products"])
    chain = next(c for c in read("chains.csv") if c["zone_id"] == "LH" and c["name"] == "液压科技")
    assert litong["id"] in split(chain["leader_ids"])
    food = next(c for c in read("chains.csv") if c["zone_id"] == "LH" and c["name"] == "食品")
    assert enterprise("双汇")["id"] in split(food["leader_ids"])


def test_sterilizer_event_contacted_80_food_firms_and_9_signed() -> None:
    litong, yjx = enterprise("利通")["id"], enterprise("亿家馨")["id"]
    whistle = [n for n in read("needs.csv") if n["enterprise_id"] == litong and n["product"] == "高压灭菌设备"]
    assert len(whistle) == 1 and whistle[0]["kind"] == "buyers"
    projects = {p["id"]: p for p in read("projects.csv") if p["need_id"] == whistle[0]["id"]}
    assert all(p["event"] == "高压灭菌设备供需对接会" for p in projects.values())
    buyers = {pp["to_id"]: pp["from_id"] for pp in read("project_parties.csv")
              if pp["to_id"] in projects and pp["role"] == "buyer"}
    suppliers = {pp["to_id"]: pp["from_id"] for pp in read("project_parties.csv")
                 if pp["to_id"] in projects and pp["role"] == "supplier"}
    assert set(suppliers.values()) == {litong} and set(buyers) == set(projects)
    food_firms = {r["id"] for r in read("enterprises.csv")
                  if any(s.startswith("LH-C-FOOD") for s in split(r["segment_ids"]))}
    assert len(set(buyers.values())) >= 80 and set(buyers.values()) <= food_firms
    signed = {buyers[p] for p, row in projects.items() if row["status"] == "signed"}
    assert len(signed) == 9 and yjx in signed
    steps = Counter(s["project_id"] for s in read("project_steps.csv") if s["project_id"] in projects)
    assert all(steps[p] >= 2 for p in projects)


def test_quanzhou_grid_levels() -> None:
    grids = [g for g in read("grids.csv") if g["zone_id"] == "QZ"]
    level1 = {g["name"] for g in grids if g["level"] == "1"}
    assert level1 == {"崇泰片", "崇宏片", "崇文片"}
    assert sum(1 for g in grids if g["level"] == "2") == 12
    level3 = [g for g in grids if g["level"] == "3"]
    firms = read("enterprises.csv")
    own = [g for g in level3 if sum(1 for f in firms if f["grid_id"] == g["id"]) == 1 and g["type"] == "point"]
    assert len(own) == 15
    assert any(g["kind"] == "general" for g in level3)
    for short in ("九牧王", "特步", "安记", "泰亚"):
        assert enterprise(short)["grid_id"] in {g["id"] for g in own}


def test_liuzhi_chain_leader_and_comprehensive_committee() -> None:
    chain = next(c for c in read("chains.csv") if c["zone_id"] == "LZ")
    assert chain["name"] == "煤—焦—氢" and split(chain["leader_ids"]) == [enterprise("美锦华宇")["id"]]
    orgs = [o for o in read("party_organizations.csv") if o["zone_id"] == "LZ"]
    comp = [o for o in orgs if o["kind"] == "comprehensive"]
    assert len(comp) == 1
    under = [o for o in orgs if o["parent_id"] == comp[0]["id"] and o["enterprise_id"]]
    assert len(under) >= 4
    committee_members = {p["from_id"] for p in read("posts.csv") if p["to_id"] == comp[0]["id"]}
    heads = {p["from_id"] for p in read("posts.csv") if p["to_id"] in {o["id"] for o in under} and p["title"] == "书记"}
    assert len(heads) >= 4 and heads <= committee_members
    people = [p for p in read("people.csv") if p["zone_id"] == "LZ"]
    assert sum(1 for p in people if p["role"] == "instructor") == 12
    deals = [p for p in read("projects.csv") if p["zone_id"] == "LZ" and p["title"].startswith("链上合作")]
    assert len(deals) == 11 and all(p["status"] == "signed" for p in deals)


def test_jialing_party_tree_has_three_industry_committees() -> None:
    orgs = [o for o in read("party_organizations.csv") if o["zone_id"] == "JL"]
    industry = {o["name"]: o for o in orgs if o["kind"] == "industry"}
    assert set(industry) == {"汽车汽配行业党委", "丝纺服装行业党委", "食品饮料行业党委"}
    for o in industry.values():
        assert any(c["parent_id"] == o["id"] and c["enterprise_id"] for c in orgs)
    assert sum(1 for g in read("grids.csv") if g["zone_id"] == "JL" and g["level"] == "1") == 5


def test_chengdu_point_area_block_and_paired_committees() -> None:
    types = {g["type"] for g in read("grids.csv") if g["zone_id"] == "CD"}
    assert {"point", "area", "block"} <= types
    names = {o["name"] for o in read("party_organizations.csv") if o["zone_id"] == "CD"}
    assert {"桂溪街道联享街区综合党委", "吉泰社区党委"} <= names


def test_chains_have_ordered_segments() -> None:
    segments = read("segments.csv")
    for chain in read("chains.csv"):
        own = [s for s in segments if s["chain_id"] == chain["id"]]
        stages = {s["stage"] for s in own}
        assert stages == {"upstream", "midstream", "downstream"}, chain["name"]
        leaves = sorted((int(s["order"]), s["stage"]) for s in own if s["parent_id"])
        rank = {"upstream": 0, "midstream": 1, "downstream": 2}
        assert [rank[st] for _, st in leaves] == sorted(rank[st] for _, st in leaves), chain["name"]
