"""Grid firms, chain neighbours, grids, chains and coverage on the tiny world, answers worked out by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from chainmatch.access.auth import SYSTEM, Principal, expand_grids
from chainmatch.chains import chain_detail, zone_chains
from chainmatch.coverage import zone_coverage
from chainmatch.errors import InvalidRequest, NotFound, PermissionDenied
from chainmatch.firms import describe, describe_indexed, search
from chainmatch.grids import list_grids
from chainmatch.loader import load_folder
from chainmatch.matching.index import build_index
from chainmatch.matching.neighbours import RELATIONS, chain_neighbours, grid_firms
from chainmatch.stores.base import Store
from chainmatch.stores.sqlite import SQLiteStore
from tests.world import open_world

DEMO = Path(__file__).resolve().parent.parent / "seeds" / "demo"
CHIEF_G3 = Principal("t1", "网格长甲", "grid_chief", frozenset({"G3"}), "P1")


def test_firms_in_a_grid_include_its_subgrids(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        ix = build_index(store)
        assert [f.id for f in grid_firms(store, ix, SYSTEM, "G1").items] == ["E1", "E2", "E3"]
        assert grid_firms(store, ix, SYSTEM, "G1", include_subgrids=False).items == []
        assert [f.id for f in grid_firms(store, ix, SYSTEM, "G1", limit=1, offset=1).items] == ["E2"]
        with pytest.raises(PermissionDenied):
            grid_firms(store, ix, CHIEF_G3, "G1")
        with pytest.raises(NotFound):
            grid_firms(store, ix, SYSTEM, "G404")


def test_chain_neighbours_up_down_same_segment_and_grid(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        ix = build_index(store)
        page = chain_neighbours(store, ix, SYSTEM, "E1")
        assert [(n.firm.id, n.relation, n.via, n.distance) for n in page.items] == [
            ("E3", "same_segment", "设备制造", 0),  # also in the same grid: listed once, nearest relation
            ("E2", "downstream", "食品加工", 1),
            ("E9", "downstream", "食品加工", 1),
        ]
        up = chain_neighbours(store, ix, SYSTEM, "E2", relations=("upstream",))
        assert [n.firm.id for n in up.items] == ["E1", "E3"]
        assert chain_neighbours(store, ix, SYSTEM, "E2", relations=("upstream",), depth=2).total == 2  # S1 is empty
        grid = chain_neighbours(store, ix, SYSTEM, "E1", relations=("same_grid",))
        assert [(n.firm.id, n.relation) for n in grid.items] == [("E3", "same_grid")]
        with pytest.raises(InvalidRequest, match="depth"):
            chain_neighbours(store, ix, SYSTEM, "E1", depth=9)


def test_a_grid_chief_sees_other_firms_by_name_only(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        ix = build_index(store)
        items = chain_neighbours(store, ix, CHIEF_G3, "E1").items
        shown = {n.firm.id: n.firm for n in items}
        assert not shown["E3"].restricted and shown["E3"].grid_id == "G3"
        assert shown["E2"].restricted and shown["E2"].name == "漯河亿家馨食品有限公司"
        assert shown["E2"].grid_id is None and shown["E2"].products == ()
        with pytest.raises(PermissionDenied):
            chain_neighbours(store, ix, CHIEF_G3, "E2")


def test_search_by_name_alias_product_and_full_width_text(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        assert [f.id for f in search(store, SYSTEM, "利通科技").items] == ["E1"]
        assert [f.id for f in search(store, SYSTEM, "液压").items] == ["E1", "E3"]
        product = search(store, SYSTEM, "火腿").items
        assert [(f.id, f.note) for f in product] == [("E9", "产品匹配")]
        assert [f.id for f in search(store, SYSTEM, "Ｅ１").items] == ["E1"]
        assert search(store, SYSTEM, "%' OR 1=1 --").items == []
        assert [f.id for f in search(store, SYSTEM, None, grid_id="G1", scale="above").items] == ["E1", "E3"]
        assert [f.id for f in search(store, SYSTEM, None, zone_id="QZ").items] == ["Q9"]


def test_grids_chains_and_coverage(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        assert [g.id for g in list_grids(store, SYSTEM, zone_id="LH").items] == ["G1", "G3", "G4", "G9"]
        assert [g.id for g in list_grids(store, CHIEF_G3).items] == ["G3"]
        chains = zone_chains(store, SYSTEM, zone_id="LH").items
        assert [(c.id, [f.id for f in c.leaders], c.segments, c.gaps) for c in chains] == [("C1", ["E1"], 3, 1)]
        detail = chain_detail(store, SYSTEM, "C1")
        assert [(s.id, s.stage, [f.id for f in s.firms], s.gap) for s in detail.segments] == [
            ("S1", "upstream", [], True), ("S2", "midstream", ["E1", "E3"], False),
            ("S3", "downstream", ["E2", "E9"], False),
        ]
        cov = zone_coverage(store, SYSTEM, "LH", today=date(2024, 5, 5))
        assert (cov.grids, cov.with_party_organization, cov.coverage_rate, cov.with_chief) == (4, 1, 0.25, 2)
        assert [g.id for g in cov.grids_without_chief] == ["G1", "G4"]
        assert (cov.open_needs, cov.overdue_needs) == (2, 1)  # N2 was due 2024-05-04, N1 is due 2024-05-06
        counted = zone_coverage(store, SYSTEM, "LH", list_limit=0, today=date(2024, 5, 5))  # counted in the store
        assert (counted.grids, counted.with_party_organization, counted.coverage_rate, counted.with_chief,
                counted.chief_rate, counted.open_needs) == (4, 1, 0.25, 2, 0.5, 2)
        assert counted.grids_without_chief == [] and counted.list_limit == 0
        exclusive = zone_coverage(store, SYSTEM, "LH", kind="exclusive", list_limit=0)
        assert exclusive.grids == zone_coverage(store, SYSTEM, "LH", kind="exclusive").grids == 4
        mine = zone_coverage(store, CHIEF_G3, "LH", today=date(2024, 5, 5))
        assert (mine.grids, mine.coverage_rate, mine.open_needs, mine.overdue_needs) == (1, 1.0, 1, 0)
        with pytest.raises(NotFound, match="Closest matches: LH, QZ"):
            zone_coverage(store, SYSTEM, "XX")


def _reference_neighbours(store: Store, firm: str, depth: int,
                          relations: tuple[str, ...] = RELATIONS) -> dict[str, tuple[int, str]]:
    """Chain neighbours worked out the slow way, from the store's relationships: firm → (distance, relation)."""
    def one(label: str, id_: str, rel: str, direction: str = "out") -> list[str]:
        return [e.node.id for e in store.edges(label, [id_], rel, direction, limit=100_000)[id_]]

    zone = set(one("Enterprise", firm, "IN_ZONE"))
    found: dict[str, tuple[int, str]] = {}

    def add(other: str, distance: int, relation: str) -> None:
        if relation not in relations or other == firm or (zone and not zone & set(one("Enterprise", other, "IN_ZONE"))):
            return
        rank = (distance, RELATIONS.index(relation))
        if other not in found or rank < (found[other][0], RELATIONS.index(found[other][1])):
            found[other] = (distance, relation)

    for seg in one("Enterprise", firm, "IN_SEGMENT"):
        order = {s.id: int(s.props.get("order", 0)) for s in store.scan("Segment")}
        for chain in one("Segment", seg, "SEGMENT_OF"):
            members = one("Chain", chain, "SEGMENT_OF", "in")
            orders = sorted({order[m] for m in members})
            for m in members:
                step = orders.index(order[m]) - orders.index(order[seg])
                if abs(step) <= depth:
                    relation = "same_segment" if step == 0 else "upstream" if step < 0 else "downstream"
                    for other in one("Segment", m, "IN_SEGMENT", "in"):
                        add(other, abs(step), relation)
    for grid in one("Enterprise", firm, "IN_GRID"):
        for other in one("Grid", grid, "IN_GRID", "in"):
            add(other, 1, "same_grid")
    return found


def test_neighbours_from_the_index_agree_with_the_store_on_the_demo(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "demo.db")
    try:
        load_folder(store, DEMO)
        ix = build_index(store)
        firms = [n.id for n in store.scan("Enterprise")]
        checked = 0
        for firm in firms[::7]:
            for depth in (1, 2):
                want = _reference_neighbours(store, firm, depth)
                page = chain_neighbours(store, ix, SYSTEM, firm, depth=depth, limit=200)
                assert page.total == len(want), firm
                assert {n.firm.id: (n.distance, n.relation) for n in page.items} == want, firm
                keys = [(n.distance, RELATIONS.index(n.relation), n.firm.id) for n in page.items]
                assert keys == sorted(keys)
                checked += bool(want)
        assert checked > 50  # the demo's chains and grids give most firms neighbours
    finally:
        store.close()


def test_pages_of_neighbours_join_up_for_every_choice_of_relations(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "demo.db")
    try:
        load_folder(store, DEMO)
        ix = build_index(store)
        firms = [n.id for n in store.scan("Enterprise")]
        choices = [("same_grid",), ("upstream", "same_grid"), ("downstream", "same_segment"), RELATIONS]
        for firm in firms[3::11]:
            for relations in choices:
                whole = chain_neighbours(store, ix, SYSTEM, firm, depth=2, relations=relations, limit=200)
                want = _reference_neighbours(store, firm, 2, relations)
                assert {n.firm.id: (n.distance, n.relation) for n in whole.items} == want, (firm, relations)
                pages = [chain_neighbours(store, ix, SYSTEM, firm, depth=2, relations=relations, limit=3, offset=o)
                         for o in range(0, whole.total + 3, 3)]
                assert [n for p in pages for n in p.items] == whole.items, (firm, relations)
                assert {p.total for p in pages} == {whole.total}
    finally:
        store.close()


def test_firms_described_from_the_index_read_as_from_the_store(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "demo.db")
    try:
        load_folder(store, DEMO)
        ix = build_index(store)
        nodes = list(store.scan("Enterprise"))
        chief = Principal("t", "网格长", "grid_chief", ix.grids_below([ix.grid_ids[0]]))
        assert chief.grids == expand_grids(store, [ix.grid_ids[0]])
        for who in (SYSTEM, chief):
            assert describe_indexed(ix, who, [ix.pos[n.id] for n in nodes]) == describe(store, who, nodes)
    finally:
        store.close()
