"""The embedded store's bulk path (a large write into a smaller store: indexes dropped and built again in the
write's transaction): the same store as the row-by-row path, its indexes back, and a kill -9 on the way leaves
the store as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chainmatch.errors import Conflict
from chainmatch.loader import check_uscc, load_folder, uscc_check_digit
from chainmatch.stores import sqlite as sqlite_store
from chainmatch.stores.base import GraphBatch, Node, Rel
from chainmatch.stores.sqlite import BULK_MIN_ROWS, SQLiteStore
from graph_schema import load_schema

ROOT = Path(__file__).resolve().parent.parent


def _uscc(i: int) -> str:
    first = f"91411100MA{i:07d}"
    code = first + uscc_check_digit(first)
    assert check_uscc(code)
    return code


def _base() -> GraphBatch:
    """A store's content before the large write: a zone, a grid, two firms (one that the large write updates), a
    problem (the problem tally) and a trade."""
    return GraphBatch(
        nodes=[
            Node("Zone", "LH", {"id": "LH", "name": "漯河经济技术开发区", "city": "漯河市"}),
            Node("Grid", "G1", {"id": "G1", "name": "一号片区", "level": "1", "kind": "exclusive"}),
            Node("Enterprise", "E0", {"id": "E0", "name": "漯河利通液压科技股份有限公司", "uscc": _uscc(0)}),
            Node("Enterprise", "X1", {"id": "X1", "name": "漯河亿家馨食品有限公司", "short_name": "亿家馨"}),
            Node("Problem", "PB1", {"id": "PB1", "title": "用电报装慢", "status": "open", "grid": "G1",
                                    "raised_on": "2026-01-05", "due_on": "2026-01-20", "departments": ["D1"]}),
        ],
        rels=[
            Rel("IN_ZONE", "Grid", "G1", "Zone", "LH"),
            Rel("IN_GRID", "Enterprise", "X1", "Grid", "G1"),
            Rel("SUPPLIES", "Enterprise", "X1", "Enterprise", "E0", {"product": "高压灭菌设备"}),
        ],
    )


def _large(n: int = 9_000) -> GraphBatch:
    """``n`` firms (E0 updated), each in the zone and grid with a product, some trades and problems: more than
    BULK_MIN_ROWS rows with unique, indexed and tallied properties, relationships with and without properties."""
    nodes = [Node("Enterprise", f"E{i}", {"id": f"E{i}", "name": f"合成企业{i}有限公司", "uscc": _uscc(i),
                                          "short_name": f"合成{i}", "employees": i % 700, "output_value": i / 7,
                                          "aliases": [f"合成{i}", "简称"], "above_scale": i % 3 == 0})
             for i in range(n)]
    nodes += [Node("Product", f"产品{k}", {"id": f"产品{k}"}) for k in range(97)]
    nodes += [Node("Problem", f"PB{k}", {"id": f"PB{k}", "title": f"问题{k}", "status": ("open", "closed")[k % 2],
                                         "grid": "G1", "raised_on": "2026-02-01", "departments": ["D1", "D2"]})
              for k in range(2, 300)]
    rels = [Rel("IN_ZONE", "Enterprise", f"E{i}", "Zone", "LH") for i in range(n)]
    rels += [Rel("IN_GRID", "Enterprise", f"E{i}", "Grid", "G1") for i in range(n)]
    rels += [Rel("PRODUCES", "Enterprise", f"E{i}", "Product", f"产品{i % 97}") for i in range(n)]
    rels += [Rel("SUPPLIES", "Enterprise", f"E{i}", "Enterprise", f"E{(i * 7 + 1) % n}", {"product": f"产品{i % 97}"})
             for i in range(0, n, 3)]
    assert len(nodes) + len(rels) >= BULK_MIN_ROWS
    return GraphBatch(nodes=nodes, rels=rels)


def _content(store: SQLiteStore) -> dict[str, object]:
    """Everything a reader can see: every node and relationship, the counts, the problem tally, the journal."""
    schema = load_schema()
    conn = sqlite3.connect(store.path)
    try:
        tally = conn.execute("SELECT * FROM problem_tally ORDER BY id").fetchall()
    finally:
        conn.close()
    return {
        "nodes": {label: list(store.scan(label)) for label in schema.labels},
        "rels": {t: sorted(store.scan_rels(t), key=lambda r: (r.src_label, r.src, r.dst_label, r.dst))
                 for t in schema.relationships},
        "counts": store.counts(),
        "tally": tally,
        "journal": store.changes(0),
    }


def _indexes(path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                            "ORDER BY name").fetchall()
    finally:
        conn.close()


def _write_traced(store: SQLiteStore, batch: GraphBatch) -> list[str]:
    """Write ``batch``; returns the statements SQLite ran for it."""
    seen: list[str] = []
    conn = store._conn()
    conn.set_trace_callback(seen.append)
    try:
        store.write(batch)
    finally:
        conn.set_trace_callback(None)
    return seen


def test_the_bulk_path_writes_exactly_what_the_row_by_row_path_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bulk = SQLiteStore.open(tmp_path / "bulk.db")
    bulk.write(_base())
    ran = _write_traced(bulk, _large())
    assert any(s.startswith("DROP INDEX") for s in ran), "the large write did not take the bulk path"

    monkeypatch.setattr(sqlite_store, "BULK_MIN_ROWS", 10**9)  # the same write, row by row
    rows = SQLiteStore.open(tmp_path / "rows.db")
    rows.write(_base())
    ran = _write_traced(rows, _large())
    assert not any(s.startswith("DROP INDEX") for s in ran)

    got, want = _content(bulk), _content(rows)
    assert got == want
    assert len(got["nodes"]["Enterprise"]) == 9_001  # type: ignore[index]
    assert _indexes(bulk.path) == _indexes(rows.path)
    bulk.close()
    rows.close()


def test_a_small_write_or_a_write_into_a_larger_store_keeps_the_indexes(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "g.db")
    assert not any(s.startswith("DROP INDEX") for s in _write_traced(store, _base()))  # too few rows
    store.write(_large())
    again = _large()  # as many rows as the store holds already: updated in place, indexes kept
    assert not any(s.startswith("DROP INDEX") for s in _write_traced(store, again))
    store.close()


def test_after_a_bulk_write_every_index_is_back_and_used(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    store = SQLiteStore.open(path)
    before = _indexes(path)
    assert {"rels_outgoing", "rels_incoming", "uniq_Enterprise_uscc", "idx_Enterprise_name_key"} <= {
        name for name, _, _ in before}
    store.write(_large())
    assert _indexes(path) == before
    conn = sqlite3.connect(path)
    plan = " ".join(str(row) for row in conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM nodes WHERE label = 'Enterprise' AND json_extract(props, '$.uscc') = ?",
        (_uscc(5),)))
    assert "uniq_Enterprise_uscc" in plan
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)  # the rebuilt indexes match the rows
    conn.close()
    assert [n.id for n in store.find("Enterprise", where={"uscc": _uscc(5)})] == ["E5"]
    assert [e.node.id for e in store.edges("Grid", ["G1"], "IN_GRID", "in", limit=2)["G1"]] == ["E0", "E1"]
    with pytest.raises(Conflict):  # the rebuilt unique index refuses a second firm with a used code
        store.write(GraphBatch(nodes=[Node("Enterprise", "EX", {"id": "EX", "name": "重复", "uscc": _uscc(5)})]))
    store.close()


def test_a_bulk_write_refused_by_a_unique_clash_leaves_the_store_and_its_indexes_as_they_were(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    store = SQLiteStore.open(path)
    store.write(_base())
    before, indexes = _content(store), _indexes(path)
    clash = _large()
    clash.nodes.append(Node("Enterprise", "DUP", {"id": "DUP", "name": "重复企业", "uscc": _uscc(7)}))
    with pytest.raises(Conflict, match="统一社会信用代码"):
        store.write(clash)
    assert _content(store) == before
    assert _indexes(path) == indexes
    store.close()


# The child loads a folder of 30,000 firms into a store holding the tiny folder; its trace callback writes a marker
# file when SQLite starts the chosen statement of the bulk write and then waits, so the kill lands there for sure.
_CHILD = """
import sys, time
from pathlib import Path
from chainmatch.loader import load_folder
from chainmatch.stores.sqlite import SQLiteStore
db, folder, marker, wanted, nth = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], int(sys.argv[5])
store = SQLiteStore.open(db)
seen = []
def trace(sql):
    if sql.startswith(wanted):
        seen.append(sql)
        if len(seen) == nth:
            marker.write_text(sql)
            time.sleep(60)
store._conn().set_trace_callback(trace)
load_folder(store, folder)
"""


def _folder(folder: Path, n: int) -> Path:
    from tests.test_loader import tiny_files, write_folder

    rows = "\n".join(f"F{i:06d},合成企业{i}有限公司,产品{i % 97};零件{i % 13},LH" for i in range(n))
    files = tiny_files()
    return write_folder(folder, {"zones.csv": files["zones.csv"],
                                 "enterprises.csv": "id,name,products,zone_id\n" + rows})


@pytest.mark.parametrize(("wanted", "nth"), [
    ("INSERT INTO rels", 1),  # the indexes dropped, the nodes written, the relationships about to be
    ("CREATE INDEX", 2),  # the rows written, one index built again, the next one being built
])
def test_a_bulk_load_killed_midway_leaves_the_previous_content(tmp_path: Path, wanted: str, nth: int) -> None:
    from tests.test_loader import tiny_files, write_folder

    db = tmp_path / "kill.db"
    store = SQLiteStore.open(db)
    load_folder(store, write_folder(tmp_path / "tiny", tiny_files()))
    before, indexes = _content(store), _indexes(db)
    store.close()
    big = _folder(tmp_path / "big", 30_000)
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(db), str(big), str(marker), wanted, str(nth)],
                            cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not marker.exists():
        time.sleep(0.005)
    assert marker.exists(), f"the load never reached {wanted!r} (exit status {proc.poll()})"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    store = SQLiteStore.open(db)
    assert _content(store) == before
    assert _indexes(db) == indexes
    summary = load_folder(store, big)  # and the same load simply runs again
    assert store.counts().nodes["Enterprise"] == 30_000 + 2 == summary.rows["enterprises.csv"] + 2
    assert _indexes(db) == indexes
    store.close()
