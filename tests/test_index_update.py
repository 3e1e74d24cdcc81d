"""The match index updated in place of a rebuild (chainmatch.matching.index.update_index): after every kind of write
the service makes (a firm created, updated, deleted; a trade; a need posted and closed; a party organization; a
firm's products taken away), the updated index equals one built afresh from the store, table by table, derived
structures included (text vectors, product chains, firms per code, peers, activity, ranks), and so do the
recommendations. Runs on each store kind of the contract suite."""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from chainmatch.access.auth import Principal
from chainmatch.loader import load_folder
from chainmatch.matching.index import MatchIndex, build_index, update_index
from chainmatch.matching.ranking import recommend, warm
from chainmatch.needs import close_need, create_need
from chainmatch.registers.importing import import_records
from chainmatch.stores.base import GraphBatch, Node, Rel, Reset, Store, journal_position

DEMO = Path(__file__).resolve().parent.parent / "seeds" / "demo"
ADMIN = Principal("T-admin", "管理员", "admin")


def _same(a: Any, b: Any, where: str) -> None:
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif sp.issparse(a):
        assert sp.issparse(b) and a.shape == b.shape, where
        assert (a != b).nnz == 0, where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{where}: keys {set(a) ^ set(b)}"
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{k}]")
    else:
        both_nan = isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
        assert a == b or both_nan, f"{where}: {a!r} != {b!r}"


def assert_same_index(got: MatchIndex, fresh: MatchIndex) -> None:
    """Every table and every derived structure of ``got`` equals ``fresh``'s."""
    for f in fields(MatchIndex):
        if f.compare:
            _same(getattr(got, f.name), getattr(fresh, f.name), f.name)
    for name in ("buyer_activity", "supplier_activity", "diffuse", "id_rank", "_grid_members"):
        _same(getattr(got, name), getattr(fresh, name), name)
    for name in ("product_names", "idf", "products", "product_terms", "firm_products", "product_firms", "norms"):
        _same(getattr(got.text, name), getattr(fresh.text, name), f"text.{name}")
    for name in ("down", "up", "match", "names"):
        _same(getattr(got.product_links, name), getattr(fresh.product_links, name), f"product_links.{name}")
    for firm in [*fresh.ids[:40:7], *fresh.ids[-3:]]:
        for direction in ("buyers", "suppliers", "partners"):
            assert recommend(got, firm, direction=direction, top=20) == recommend(fresh, firm, direction=direction,
                                                                                top=20), (firm, direction)


@pytest.fixture
def demo(store: Store) -> Store:
    load_folder(store, DEMO)
    return store


def _step(store: Store, index: MatchIndex, seq: int) -> tuple[MatchIndex, int]:
    changes = store.changes(seq)
    assert changes.touched is not None and changes.seq > seq
    updated = update_index(index, store, changes.touched)
    assert updated is not None and updated is not index
    warm(updated)
    assert_same_index(updated, build_index(store))
    return updated, changes.seq


def test_updates_after_each_kind_of_write_equal_a_fresh_build(demo: Store) -> None:
    store = demo
    seq = journal_position(store)
    index = build_index(store)
    warm(index)
    # A new firm (its id sorts among the others: the positions after it move up).
    import_records(store, ADMIN, "enterprises", [{"企业名称": "漯河测试杀菌设备有限公司", "主营产品": "杀菌设备、灭菌釜",
                                                 "行业代码": "3531", "所属开发区": "LH", "所属网格": "LH-G-1-01-01",
                                                 "产值（万元）": "5000", "规模": "规上"}])
    index, seq = _step(store, index, seq)
    new = next(i for i, name in zip(index.ids, index.names) if name == "漯河测试杀菌设备有限公司")
    assert recommend(index, new, direction="buyers", top=5).items
    # An update: another product, output and grid for 利通.
    import_records(store, ADMIN, "enterprises", [{"企业名称": "漯河利通液压科技股份有限公司", "主营产品": "液压胶管、食品机械",
                                                 "产值（万元）": "1", "所属网格": "LH-G-1-01-01"}])
    index, seq = _step(store, index, seq)
    # A trade between the new firm and a food maker, and a party organization for the new firm.
    store.write(GraphBatch(rels=[Rel("SUPPLIES", "Enterprise", new, "Enterprise", "LH-E-007", {"product": "杀菌设备"}),
                                 Rel("SITS_IN", "PartyOrganization", "LH-PO-LT-1", "Enterprise", new)]))
    index, seq = _step(store, index, seq)
    # A need posted, then closed.
    need = create_need(store, ADMIN, enterprise_id="LH-E-009", title="找杀菌设备供应商", kind="supply", product="杀菌设备")
    index, seq = _step(store, index, seq)
    assert any(n.id == need.id for n in index.needs[index.pos["LH-E-009"]])
    close_need(store, ADMIN, need.id)
    index, seq = _step(store, index, seq)
    assert all(n.id != need.id for n in index.needs.get(index.pos["LH-E-009"], []))
    # A firm's products taken away, and a firm with trades deleted (its partners' lists shrink).
    store.write(GraphBatch(resets=[Reset("PRODUCES", "Enterprise", "LH-E-005")]))
    index, seq = _step(store, index, seq)
    store.delete("Enterprise", ["LH-E-004"])
    index, seq = _step(store, index, seq)
    assert "LH-E-004" not in index.pos
    # Several writes between two updates: a firm deleted, two created (one sorting first), one updated.
    store.delete("Enterprise", ["LH-E-009"])
    import_records(store, ADMIN, "enterprises", [
        {"企业名称": "漯河甲醇化工有限公司", "主营产品": "甲醇", "所属开发区": "LH", "产值（万元）": "100"},
        {"企业名称": "漯河焦化有限公司", "主营产品": "冶金焦炭", "所属开发区": "LH", "规模": "规下"}])
    store.write(GraphBatch(nodes=[Node("Enterprise", "A-FIRST", {"id": "A-FIRST", "name": "最先的企业"})],
                           rels=[Rel("IN_ZONE", "Enterprise", "A-FIRST", "Zone", "LH"),
                                 Rel("SUPPLIES", "Enterprise", "A-FIRST", "Enterprise", "LH-E-007")]))
    index, seq = _step(store, index, seq)
    assert index.ids[0] == "A-FIRST" and "LH-E-009" not in index.pos


def test_a_write_beyond_firms_asks_for_a_rebuild(demo: Store) -> None:
    store = demo
    seq = journal_position(store)
    index = build_index(store)
    grid = store.get("Grid", ["LH-G-1-01-01"])["LH-G-1-01-01"]
    store.write(GraphBatch(nodes=[Node("Grid", grid.id, {**grid.props, "name": "改名的网格"})]))
    changes = store.changes(seq)
    assert changes.touched is not None
    assert update_index(index, store, changes.touched) is None  # a grid's name is in every firm's reasons
    store.write(GraphBatch(nodes=[Node("Zone", "LH", {**store.get("Zone", ["LH"])["LH"].props})]))
    assert update_index(index, store, store.changes(changes.seq).touched or ()) is None
