"""The store contract: every store (embedded, Neo4j) must pass these tests unchanged.

The ``store`` fixture (tests/conftest.py) yields an empty store of each available kind.
"""

from __future__ import annotations

import pytest

from chainmatch.errors import Conflict
from chainmatch.stores.base import (
    JOURNAL_MAX_TOUCHES,
    Changes,
    Expect,
    GraphBatch,
    Node,
    Rel,
    Reset,
    Store,
    Touch,
    journal_position,
)


def _grid_batch() -> GraphBatch:
    """Zone Z with grids G1 ⊃ G2, firm E1 in G2 supplying firm E2 (a known trade)."""
    return GraphBatch(
        nodes=[
            Node("Zone", "Z", {"id": "Z", "name": "漯河经济技术开发区"}),
            Node("Grid", "G1", {"id": "G1", "name": "一号片区", "level": "1", "kind": "exclusive"}),
            Node("Grid", "G2", {"id": "G2", "name": "利通网格", "level": "3", "kind": "exclusive"}),
            Node("Enterprise", "E1", {"id": "E1", "name": "漯河利通液压科技股份有限公司", "short_name": "利通",
                                      "aliases": ["利通科技"], "employees": 900, "synthetic": False}),
            Node("Enterprise", "E2", {"id": "E2", "name": "漯河亿家馨食品有限公司", "short_name": "亿家馨"}),
        ],
        rels=[
            Rel("PART_OF", "Grid", "G2", "Grid", "G1"),
            Rel("IN_GRID", "Enterprise", "E1", "Grid", "G2"),
            Rel("IN_ZONE", "Enterprise", "E1", "Zone", "Z"),
            Rel("IN_ZONE", "Enterprise", "E2", "Zone", "Z"),
            Rel("SUPPLIES", "Enterprise", "E1", "Enterprise", "E2", {"product": "高压灭菌设备"}),
        ],
    )


def test_write_then_read_back_nodes_with_chinese_text(store: Store) -> None:
    store.write(_grid_batch())
    got = store.get("Enterprise", ["E1", "E2", "missing"])
    assert set(got) == {"E1", "E2"}
    assert got["E1"].props["name"] == "漯河利通液压科技股份有限公司"
    assert got["E1"].props["aliases"] == ["利通科技"]
    assert got["E1"].props["employees"] == 900
    assert got["E1"].props["synthetic"] is False


def test_counts_per_label_and_type(store: Store) -> None:
    store.write(_grid_batch())
    counts = store.counts()
    assert dict(counts.nodes) == {"Enterprise": 2, "Grid": 2, "Zone": 1}
    assert dict(counts.rels) == {"IN_GRID": 1, "IN_ZONE": 2, "PART_OF": 1, "SUPPLIES": 1}
    assert (counts.total_nodes, counts.total_rels) == (5, 5)


def test_writing_the_same_batch_twice_changes_nothing(store: Store) -> None:
    store.write(_grid_batch())
    store.write(_grid_batch())
    counts = store.counts()
    assert (counts.total_nodes, counts.total_rels) == (5, 5)


def test_upsert_replaces_properties(store: Store) -> None:
    store.write(_grid_batch())
    store.write(GraphBatch(nodes=[Node("Enterprise", "E2", {"id": "E2", "name": "亿家馨食品"})]))
    assert store.get("Enterprise", ["E2"])["E2"].props == {"id": "E2", "name": "亿家馨食品"}


def test_edges_in_both_directions_with_far_node(store: Store) -> None:
    store.write(_grid_batch())
    out = store.edges("Enterprise", ["E1"], "SUPPLIES", "out")
    assert [e.node.id for e in out["E1"]] == ["E2"]
    assert out["E1"][0].rel.props == {"product": "高压灭菌设备"}
    inc = store.edges("Enterprise", ["E2", "E1"], "SUPPLIES", "in")
    assert [e.node.id for e in inc["E2"]] == ["E1"] and inc["E1"] == []
    assert [e.node.id for e in store.edges("Grid", ["G1"], "PART_OF", "in")["G1"]] == ["G2"]


def test_edges_limit_per_node(store: Store) -> None:
    store.write(_grid_batch())
    assert len(store.edges("Zone", ["Z"], "IN_ZONE", "in", limit=1)["Z"]) == 1


def test_find_by_partial_name_short_name_alias_and_property(store: Store) -> None:
    store.write(_grid_batch())
    assert [n.id for n in store.find("Enterprise", text="利通")] == ["E1"]
    assert [n.id for n in store.find("Enterprise", text="科技")] == ["E1"]
    assert [n.id for n in store.find("Enterprise", text="漯河")] == ["E1", "E2"]
    assert [n.id for n in store.find("Enterprise", text="漯河", limit=1, offset=1)] == ["E2"]
    assert [n.id for n in store.find("Grid", where={"level": "3"})] == ["G2"]
    assert store.find("Enterprise", text="不存在的企业") == []


def test_find_treats_wildcards_and_quotes_as_text(store: Store) -> None:
    store.write(_grid_batch())
    assert store.find("Enterprise", text="%") == []
    assert store.find("Enterprise", text="_") == []
    assert store.find("Enterprise", text="' OR 1=1 --") == []


def test_reset_replaces_a_single_valued_relationship(store: Store) -> None:
    store.write(_grid_batch())
    store.write(GraphBatch(
        rels=[Rel("IN_GRID", "Enterprise", "E1", "Grid", "G1")],
        resets=[Reset("IN_GRID", "Enterprise", "E1", "out")],
    ))
    assert [e.node.id for e in store.edges("Enterprise", ["E1"], "IN_GRID")["E1"]] == ["G1"]


def test_delete_removes_node_and_its_relationships(store: Store) -> None:
    store.write(_grid_batch())
    assert store.delete("Enterprise", ["E2", "nope"]) == 1
    assert store.get("Enterprise", ["E2"]) == {}
    assert store.edges("Enterprise", ["E1"], "SUPPLIES")["E1"] == []


def test_scan_nodes_and_relationships(store: Store) -> None:
    store.write(_grid_batch())
    assert [n.id for n in store.scan("Grid")] == ["G1", "G2"]
    assert sorted((r.src, r.dst) for r in store.scan_rels("IN_ZONE")) == [("E1", "Z"), ("E2", "Z")]


def test_duplicate_unique_property_is_a_conflict_and_writes_nothing(store: Store) -> None:
    uscc = "91411100MA44XXXX0X"
    store.write(GraphBatch(nodes=[Node("Enterprise", "A", {"id": "A", "name": "甲", "uscc": uscc})]))
    with pytest.raises(Conflict):
        store.write(GraphBatch(nodes=[
            Node("Enterprise", "C", {"id": "C", "name": "丙"}),
            Node("Enterprise", "B", {"id": "B", "name": "乙", "uscc": uscc}),
        ]))
    assert {n.id for n in store.scan("Enterprise")} == {"A"}


def test_a_write_whose_expectation_fails_is_a_conflict_and_writes_nothing(store: Store) -> None:
    store.write(GraphBatch(nodes=[Node("Project", "P1", {"id": "P1", "title": "灭菌设备对接", "status": "proposed",
                                                         "created_on": "2026-11-20"})]))

    def step(seen: str | None, status: str) -> GraphBatch:
        return GraphBatch(
            nodes=[Node("Project", "P1", {"id": "P1", "title": "灭菌设备对接", "status": status,
                                          "created_on": "2026-11-20"}),
                   Node("Enterprise", f"E-{status}", {"id": f"E-{status}", "name": status})],
            expects=[Expect("Project", "P1", "status", seen)],
        )

    store.write(step("proposed", "contacted"))
    with pytest.raises(Conflict, match="changed by someone else") as stale:
        store.write(step("proposed", "declined"))  # decided on the state before the last write
    assert stale.value.details == {"label": "Project", "id": "P1", "property": "status"}
    assert store.get("Project", ["P1"])["P1"].props["status"] == "contacted"
    assert store.get("Enterprise", ["E-declined"]) == {}
    with pytest.raises(Conflict):
        store.write(GraphBatch(
            nodes=[Node("Enterprise", "E-x", {"id": "E-x", "name": "x"})],
            expects=[Expect("Project", "P404", "status", "proposed")]))  # a missing node holds nothing
    store.write(GraphBatch(nodes=[Node("Enterprise", "E-y", {"id": "E-y", "name": "y"})],
                           expects=[Expect("Project", "P1", "due_on", None)]))  # a missing property is None
    assert set(store.get("Enterprise", ["E-x", "E-y"])) == {"E-y"}


def test_of_two_writers_deciding_on_the_same_state_one_wins(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store.write(GraphBatch(nodes=[Node("Project", "P1", {"id": "P1", "title": "t", "status": "negotiating",
                                                         "created_on": "2026-11-20"})]))

    def finish(status: str) -> str:
        try:
            store.write(GraphBatch(
                nodes=[Node("Project", "P1", {"id": "P1", "title": "t", "status": status, "created_on": "2026-11-20"})],
                expects=[Expect("Project", "P1", "status", "negotiating")]))
            return status
        except Conflict:
            return "refused"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(finish, ["signed", "declined"]))
    assert outcomes in (["declined", "refused"], ["refused", "signed"])
    won = next(o for o in outcomes if o != "refused")
    assert store.get("Project", ["P1"])["P1"].props["status"] == won


def test_apply_schema_is_idempotent(store: Store) -> None:
    store.apply_schema()
    store.apply_schema()
    store.write(_grid_batch())
    assert store.counts().total_nodes == 5


def test_the_journal_lists_what_each_write_touched(store: Store) -> None:
    start = journal_position(store)  # 0 for a new store (a Neo4j database emptied for the test goes on counting)
    assert store.changes(start) == Changes(start, frozenset())
    store.write(_grid_batch())
    first = store.changes(start)
    assert first.seq == start + 1 and first.touched is not None
    assert Touch("Enterprise", "E1", "") in first.touched  # written itself
    assert Touch("Enterprise", "E2", "SUPPLIES") in first.touched  # at the far end of a relationship written
    assert Touch("Grid", "G2", "IN_GRID") in first.touched and Touch("Grid", "G1", "PART_OF") in first.touched
    assert store.changes(first.seq) == Changes(first.seq, frozenset())
    store.write(GraphBatch(resets=[Reset("IN_GRID", "Enterprise", "E1")]))
    second = store.changes(first.seq)
    assert second.seq > first.seq and second.touched == frozenset({Touch("Enterprise", "E1", "IN_GRID")})
    assert store.delete("Enterprise", ["E2", "missing"]) == 1
    third = store.changes(second.seq)
    assert third.touched == frozenset({Touch("Enterprise", "E2"), Touch("Enterprise", "missing")})
    both = store.changes(first.seq)
    assert both.seq == third.seq and both.touched == second.touched | third.touched


def test_the_journal_records_nothing_for_a_refused_write_and_everything_for_a_large_one(store: Store) -> None:
    store.write(_grid_batch())
    seq = journal_position(store)
    with pytest.raises(Conflict):
        store.write(GraphBatch(nodes=[Node("Zone", "Z2", {"id": "Z2", "name": "别的开发区"})],
                               expects=[Expect("Enterprise", "E1", "name", "另一个名字")]))
    assert store.changes(seq) == Changes(seq, frozenset())
    assert store.delete("Enterprise", ["missing"]) == 0  # nothing deleted: nothing journaled
    assert store.changes(seq) == Changes(seq, frozenset())
    many = [Node("Zone", f"Z{i:05d}", {"id": f"Z{i:05d}", "name": f"开发区{i}"}) for i in range(JOURNAL_MAX_TOUCHES + 1)]
    store.write(GraphBatch(nodes=many))
    large = store.changes(seq)
    assert large.seq > seq and large.touched is None  # too many to list: read everything again
    assert store.changes(large.seq) == Changes(large.seq, frozenset())
    assert store.changes(large.seq + 5).touched is None  # a position the journal never reached (it restarted)


def test_a_zone_s_grid_coverage_is_counted_in_the_store(store: Store) -> None:
    store.write(_grid_batch())
    store.write(GraphBatch(
        nodes=[Node("Grid", "G3", {"id": "G3", "name": "三号网格", "level": "3", "kind": "general"}),
               Node("Grid", "Q1", {"id": "Q1", "name": "崇泰片", "level": "1", "kind": "exclusive"}),
               Node("Zone", "Q", {"id": "Q", "name": "泉州经济技术开发区"}),
               Node("PartyOrganization", "PO1", {"id": "PO1", "name": "利通公司党支部", "kind": "branch"}),
               Node("PartyOrganization", "PO2", {"id": "PO2", "name": "片区综合党委", "kind": "comprehensive"}),
               Node("Person", "P1", {"id": "P1", "name": "网格长甲", "role": "grid_chief"})],
        rels=[Rel("IN_ZONE", "Grid", g, "Zone", "Z") for g in ("G1", "G2", "G3")]
        + [Rel("IN_ZONE", "Grid", "Q1", "Zone", "Q"),
           Rel("COVERS", "PartyOrganization", "PO1", "Grid", "G2"),
           Rel("COVERS", "PartyOrganization", "PO2", "Grid", "G2"),  # two organizations: still one grid
           Rel("COVERS", "PartyOrganization", "PO2", "Grid", "Q1"),
           Rel("CHIEF_OF", "Person", "P1", "Grid", "G2"), Rel("CHIEF_OF", "Person", "P1", "Grid", "G3")]))
    assert store.count_grid_coverage("Z") == (3, 1, 2)
    assert store.count_grid_coverage("Z", "exclusive") == (2, 1, 1)
    assert store.count_grid_coverage("Z", "general") == (1, 0, 1)
    assert store.count_grid_coverage("Q") == (1, 1, 0)
    assert store.count_grid_coverage("NOPE") == (0, 0, 0)
def _content(store: Store) -> tuple[dict[str, list[tuple[str, dict[str, object]]]], list[tuple[object, ...]]]:
    """Every node (by label, in id order, with its properties) and every relationship of the test's labels."""
    nodes = {lab: [(n.id, dict(n.props)) for n in store.scan(lab)] for lab in ("Zone", "Grid", "Enterprise")}
    rels = sorted((r.type, r.src, r.dst, sorted(r.props.items()))
                  for t in ("PART_OF", "IN_GRID", "IN_ZONE", "SUPPLIES") for r in store.scan_rels(t))
    return nodes, rels


def test_write_bulk_gives_the_same_content_as_write(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # E1 starts in grid G1; the batch resets its IN_GRID and puts it in G2. On Neo4j two rows per transaction
    # (CHAINMATCH_NEO4J_TX_ROWS): the reset, the nodes and the relationships land in different transactions.
    def batch() -> GraphBatch:
        b = _grid_batch()
        b.resets.append(Reset("IN_GRID", "Enterprise", "E1", "out"))
        return b

    first = GraphBatch(nodes=_grid_batch().nodes, rels=[Rel("IN_GRID", "Enterprise", "E1", "Grid", "G1")])
    store.write(first)
    store.write(batch())
    by_write = _content(store)
    for label, ids in (("Enterprise", ["E1", "E2"]), ("Grid", ["G1", "G2"]), ("Zone", ["Z"])):
        store.delete(label, ids)
    assert store.counts().total_nodes == 0
    monkeypatch.setattr(store, "tx_rows", 2, raising=False)
    store.write(first)
    store.write_bulk(batch())
    assert _content(store) == by_write
    assert [(r.src, r.dst) for r in store.scan_rels("IN_GRID")] == [("E1", "G2")]
    store.write_bulk(batch())  # again: an upsert, nothing changes
    assert _content(store) == by_write
