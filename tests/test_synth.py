"""The synthetic zone generator: determinism, counts, references and industry codes."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from chainmatch.synth import CHAINS, COLUMNS, generate
from graph_schema import load_schema

GBT = Path(__file__).resolve().parent.parent / "chainmatch" / "data" / "gbt4754_2017.csv"


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def split(value: str) -> list[str]:
    return [v for v in value.split(";") if v]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(out, enterprises=3000, zones=3, chains_per_zone=3, seed=11)
    return out


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", enterprises=800, zones=2, seed=5)
    generate(tmp_path / "b", enterprises=800, zones=2, seed=5)
    generate(tmp_path / "c", enterprises=800, zones=2, seed=6)
    for name in COLUMNS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "enterprises.csv").read_bytes() != (tmp_path / "c" / "enterprises.csv").read_bytes()


def test_counts_match_the_summary_and_the_request(tmp_path: Path) -> None:
    summary = generate(tmp_path, enterprises=1234, zones=2, chains_per_zone=4, seed=1)
    firms = read(tmp_path, "enterprises.csv")
    assert summary.enterprises == len(firms) == 1234
    assert summary.outside_enterprises == sum(1 for f in firms if not f["zone_id"]) == 1234 // 50
    assert summary.zones == len(read(tmp_path, "zones.csv")) == 2
    assert summary.chains == len(read(tmp_path, "chains.csv")) == 8
    for name, attr in (("grids.csv", "grids"), ("people.csv", "people"), ("needs.csv", "needs"),
                       ("trades.csv", "trades"), ("projects.csv", "projects"), ("resources.csv", "resources"),
                       ("party_organizations.csv", "party_organizations"), ("segments.csv", "segments")):
        assert len(read(tmp_path, name)) == getattr(summary, attr), name
    by_zone = Counter(f["zone_id"] for f in firms if f["zone_id"])
    assert abs(by_zone["Z001"] - by_zone["Z002"]) <= 1


def test_smallest_folder_is_consistent(tmp_path: Path) -> None:
    summary = generate(tmp_path, enterprises=1, seed=0)
    assert summary.enterprises == 1 and summary.outside_enterprises == 0
    assert len(read(tmp_path, "grids.csv")) == 4  # area, unit grid, compound, one plot


@pytest.mark.parametrize("kwargs", [{"enterprises": 0}, {"enterprises": 10, "zones": 0},
                                    {"enterprises": 10, "chains_per_zone": len(CHAINS) + 1},
                                    {"enterprises": 3, "zones": 5}])
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, **kwargs)


def test_columns_are_declared_in_the_schema(folder: Path) -> None:
    schema = load_schema()
    node_files = {lab.file: lab for lab in schema.labels.values()}
    rel_files = {r.file: r for r in schema.file_relationships()}
    for name, cols in COLUMNS.items():
        with open(folder / name, encoding="utf-8", newline="") as f:
            assert tuple(next(csv.reader(f))) == cols
        if name in node_files:
            lab = node_files[name]
            allowed = set(lab.properties) | {r.column for r in schema.inline(lab.name) if r.column}
        else:
            allowed = {"from_id", "to_id"} | set(rel_files[name].properties)
        assert set(cols) <= allowed, (name, set(cols) - allowed)


def test_every_row_has_as_many_cells_as_the_header(folder: Path) -> None:
    for name, cols in COLUMNS.items():
        with open(folder / name, encoding="utf-8", newline="") as f:
            lengths = Counter(len(row) for row in csv.reader(f))
        assert set(lengths) == {len(cols)}, (name, lengths)


def test_every_reference_resolves(folder: Path) -> None:
    schema = load_schema()
    ids: dict[str, str] = {}
    for lab in schema.labels.values():
        if (folder / lab.file).exists():
            for row in read(folder, lab.file):
                assert row["id"] not in ids, f"duplicate id {row['id']}"
                ids[row["id"]] = lab.name
    for rel in schema.relationships.values():
        if rel.column:
            if rel.create_missing or rel.target_labels == ("Industry",):
                continue
            for host in rel.host_labels:
                if not (folder / schema.labels[host].file).exists():
                    continue
                for row in read(folder, schema.labels[host].file):
                    refs = split(row.get(rel.column, "")) if rel.many else [row.get(rel.column, "")]
                    for ref in filter(None, refs):
                        assert ids.get(ref) in rel.target_labels, (schema.labels[host].file, rel.column, ref)
        elif rel.file and (folder / rel.file).exists():
            for row in read(folder, rel.file):
                assert ids.get(row["from_id"]) in rel.from_labels, (rel.file, row)
                assert ids.get(row["to_id"]) in rel.to_labels, (rel.file, row)


@pytest.mark.skipif(not GBT.exists(), reason="the GB/T 4754-2017 catalogue has not landed yet")
def test_every_industry_code_is_in_gbt4754(folder: Path) -> None:
    with open(GBT, encoding="utf-8", newline="") as f:
        codes = {r["code"] for r in csv.DictReader(f)}
    used = {c for chain in CHAINS for seg in chain.segments for c in seg.codes}
    for name in ("enterprises.csv", "products.csv", "segments.csv"):
        used |= {c for row in read(folder, name) for c in split(row["industry_codes"])}
    assert used - codes == set()


def test_trades_run_along_the_chain(folder: Path) -> None:
    firms = {f["id"]: f for f in read(folder, "enterprises.csv")}
    order = {s["id"]: int(s["order"]) for s in read(folder, "segments.csv")}
    chain_of = {s["id"]: s["chain_id"] for s in read(folder, "segments.csv")}
    template = {c["id"]: c["template"] for c in read(folder, "chains.csv")}
    trades = read(folder, "trades.csv")
    assert len(trades) > len(firms)
    per_buyer = Counter(t["to_id"] for t in trades)
    assert max(per_buyer.values()) <= 3
    for t in trades:
        buyer, supplier = firms[t["to_id"]], firms[t["from_id"]]
        assert t["product"] in split(supplier["products"]) or supplier["products"] == ""
        if supplier["segment_ids"]:
            b, s = buyer["segment_ids"], supplier["segment_ids"]
            assert order[s] < order[b]
            assert template[chain_of[s]] == template[chain_of[b]]


def test_each_chain_has_a_leader_in_its_own_chain(folder: Path) -> None:
    firms = {f["id"]: f for f in read(folder, "enterprises.csv")}
    chain_of = {s["id"]: s["chain_id"] for s in read(folder, "segments.csv")}
    for chain in read(folder, "chains.csv"):
        (leader,) = split(chain["leader_ids"])
        assert chain_of[firms[leader]["segment_ids"]] == chain["id"]
        assert firms[leader]["scale"] == "above"


def test_party_coverage_is_about_eighty_percent(folder: Path) -> None:
    grids = [g for g in read(folder, "grids.csv") if g["level"] == "3" and g["kind"] == "exclusive"]
    covered = {g for o in read(folder, "party_organizations.csv") for g in split(o["grid_ids"])}
    share = sum(1 for g in grids if g["id"] in covered) / len(grids)
    assert 0.7 < share < 0.9


def test_firm_names_look_like_registered_names(folder: Path) -> None:
    firms = read(folder, "enterprises.csv")
    assert all(f["name"].endswith("公司") and f["synthetic"] == "true" and f["uscc"] == "" for f in firms)
    assert len({f["name"] for f in firms}) > 0.98 * len(firms)
    unclassified = sum(1 for f in firms if not f["industry_codes"])
    assert 0 < unclassified < 0.1 * len(firms)
