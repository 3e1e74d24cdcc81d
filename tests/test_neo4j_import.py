"""The offline bulk path (tier 3): ``chainmatch export --format neo4j-admin`` read back by Neo4j 5.26's own
``neo4j-admin database import full`` (the command the export writes to ``import.txt``), served by a real Neo4j on
the imported home, and read back equal to the store it was exported from."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainmatch.loader import load_folder
from chainmatch.settings import DEFAULT_DEMO_DIR
from chainmatch.stores.base import GraphBatch, Node, Rel
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.transfer import export_neo4j_admin
from tests.conftest import missing_tool, neo4j_store_on
from tests.test_transfer import _everything


def _awkward() -> GraphBatch:
    """What a CSV file makes hard: quotes, commas, a newline inside a name, lists, numbers, booleans."""
    return GraphBatch(nodes=[
        Node("Zone", "ZQ", {"id": "ZQ", "name": '漯河"经开区", 东区\n二期'}),
        Node("Enterprise", "EQ", {"id": "EQ", "name": "漯河“引号”, 有限公司", "aliases": ["甲,乙", '丙"丁'],
                                  "employees": 12, "synthetic": True}),
    ], rels=[Rel("IN_ZONE", "Enterprise", "EQ", "Zone", "ZQ")])


def test_neo4j_admin_import_of_an_export_reads_back_equal(tmp_path: Path) -> None:
    from tests.neo4j_server import ToolMissing, admin_import, start

    embedded = SQLiteStore.open(tmp_path / "source.db")
    load_folder(embedded, DEFAULT_DEMO_DIR)
    embedded.write(_awkward())
    summary = export_neo4j_admin(embedded, tmp_path / "export")
    want = _everything(embedded)
    embedded.close()
    command = (tmp_path / "export" / "import.txt").read_text(encoding="utf-8").splitlines()[2].strip()
    assert command == summary.command

    home = tmp_path / "neo4j"
    try:
        output = admin_import(home, tmp_path / "export", command)
    except ToolMissing as e:
        missing_tool(str(e))
    assert "IMPORT DONE" in output
    server = start(home, heap="512m", pagecache="128m")
    try:
        store = neo4j_store_on(server)  # applies graph_schema's constraints and indexes to the imported data
        try:
            assert store.await_indexes(timeout=300) >= 0
            assert store._read(store._statement("indexes_not_online"), {}) == []
            assert _everything(store) == want
            # The imported database takes writes like a loaded one: an upsert of an imported firm by its key.
            firm = store.get("Enterprise", ["EQ"])["EQ"]
            store.write(GraphBatch(nodes=[Node("Enterprise", "EQ", {**firm.props, "employees": 13})]))
            assert store.get("Enterprise", ["EQ"])["EQ"].props["employees"] == 13
            assert store.counts().nodes["Enterprise"] == len(want[0]["Enterprise"])
        finally:
            store.close()
    finally:
        server.stop()


@pytest.mark.parametrize("bad", ["neo4j-admin database import incremental x", "rm -rf /"])
def test_admin_import_runs_only_a_full_import(tmp_path: Path, bad: str) -> None:
    from tests.neo4j_server import admin_import

    with pytest.raises(ValueError, match="not a neo4j-admin database import full"):
        admin_import(tmp_path / "h", tmp_path, bad)
