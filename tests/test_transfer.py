"""Bulk paths: neo4j-admin CSV export (read back by the header rules) and embedded → Neo4j migration."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from chainmatch import cli
from chainmatch.errors import Conflict
from chainmatch.settings import Settings
from chainmatch.stores.base import GraphBatch, Node, Rel, Store
from chainmatch.stores.neo4j import Neo4jStore
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.transfer import ARRAY_DELIMITER, export_neo4j_admin, migrate


def _batch() -> GraphBatch:
    """Zone Z, grid G, firm E1 (typed properties, a comma and a quote in its scope) supplying E2."""
    return GraphBatch(
        nodes=[
            Node("Zone", "Z", {"id": "Z", "name": "漯河经济技术开发区"}),
            Node("Grid", "G", {"id": "G", "name": "利通网格", "level": "3", "kind": "exclusive"}),
            Node("Enterprise", "E1", {"id": "E1", "name": "漯河利通液压科技股份有限公司", "short_name": "利通",
                                      "aliases": ["利通科技", "利通液压"], "employees": 900, "output_value": 12.5,
                                      "synthetic": False, "scope": '液压胶管, "高压"总成\n第二行'}),
            Node("Enterprise", "E2", {"id": "E2", "name": "漯河亿家馨食品有限公司"}),
        ],
        rels=[
            Rel("IN_GRID", "Enterprise", "E1", "Grid", "G"),
            Rel("IN_ZONE", "Enterprise", "E1", "Zone", "Z"),
            Rel("IN_ZONE", "Grid", "G", "Zone", "Z"),
            Rel("SUPPLIES", "Enterprise", "E1", "Enterprise", "E2", {"product": "液压胶管", "since": "2021-03-01"}),
        ],
    )


def _parse(header: str, cell: str) -> Any:
    """Read one cell the way neo4j-admin does with --array-delimiter=';' --ignore-empty-strings=true."""
    kind = header.split(":", 1)[1] if ":" in header else "string"
    if cell == "":
        return None
    return {"long": int, "double": float, "boolean": lambda v: v == "true",
            "string[]": lambda v: v.split(ARRAY_DELIMITER)}.get(kind, str)(cell)


def _read_back(folder: Path) -> GraphBatch:
    """Rebuild the graph from the export using only its headers (ID spaces, types, :LABEL, :TYPE)."""
    batch = GraphBatch()
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        for row in body:
            cells = dict(zip(header, row, strict=True))
            if header[0].endswith(")") and ":ID(" in header[0]:
                key, space = header[0].split(":ID(")
                props = {key: cells[header[0]]}
                props |= {h.split(":")[0]: _parse(h, v) for h, v in cells.items()
                          if not h.startswith(":") and ":ID(" not in h and v != ""}
                assert cells[":LABEL"] == space[:-1]
                batch.nodes.append(Node(cells[":LABEL"], props[key], props))
            else:
                src_space, dst_space = header[0][len(":START_ID("):-1], header[1][len(":END_ID("):-1]
                props = {h.split(":")[0]: _parse(h, v) for h, v in cells.items() if not h.startswith(":") and v != ""}
                batch.rels.append(Rel(cells[":TYPE"], src_space, row[0], dst_space, row[1], props))
    return batch


def _everything(store: Store) -> tuple[dict[str, Any], list[Any]]:
    from graph_schema import load_schema

    schema = load_schema()
    nodes = {lab: [(n.id, dict(n.props)) for n in store.scan(lab)] for lab in schema.labels}
    rels = sorted((r.type, r.src_label, r.src, r.dst_label, r.dst, json.dumps(dict(r.props), sort_keys=True))
                  for t in schema.relationships for r in store.scan_rels(t))
    return {k: v for k, v in nodes.items() if v}, rels


def test_export_has_neo4j_admin_headers(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "g.db")
    store.write(_batch())
    summary = export_neo4j_admin(store, tmp_path / "out")
    store.close()
    assert (summary.nodes, summary.rels) == (4, 4)
    first_lines = {f: (tmp_path / "out" / f).read_text(encoding="utf-8").splitlines()[0] for f in summary.files}
    enterprise = first_lines["nodes_Enterprise.csv"].split(",")
    assert enterprise[0] == "id:ID(Enterprise)" and enterprise[-1] == ":LABEL"
    assert {"aliases:string[]", "employees:long", "output_value:double", "synthetic:boolean", "name"} <= set(enterprise)
    assert first_lines["rels_SUPPLIES_Enterprise_Enterprise.csv"] == (
        ":START_ID(Enterprise),:END_ID(Enterprise),product,since,source,:TYPE")
    assert sorted(f for f in summary.files if f.startswith("rels_IN_ZONE")) == [
        "rels_IN_ZONE_Enterprise_Zone.csv", "rels_IN_ZONE_Grid_Zone.csv"]
    assert "neo4j-admin database import full" in (tmp_path / "out" / "import.txt").read_text(encoding="utf-8")
    assert "--nodes=nodes_Enterprise.csv" in summary.command


def test_export_read_back_by_its_headers_is_the_same_graph(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "g.db")
    store.write(_batch())
    export_neo4j_admin(store, tmp_path / "out")
    copy = SQLiteStore.open(tmp_path / "copy.db")
    copy.write(_read_back(tmp_path / "out"))
    assert _everything(copy) == _everything(store)
    store.close()
    copy.close()


def test_export_command_via_the_cli(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "g.db")
    store.write(_batch())
    store.close()
    out = io.StringIO()
    assert cli.main(["--db", str(tmp_path / "g.db"), "export", "--format", "neo4j-admin", str(tmp_path / "o")],
                    out=out) == 0
    assert "4 nodes and 4 relationships" in out.getvalue()
    assert (tmp_path / "o" / "nodes_Zone.csv").exists()


def test_migrate_copies_everything_and_can_be_rerun(tmp_path: Path, neo: Neo4jStore) -> None:
    source = SQLiteStore.open(tmp_path / "g.db")
    source.write(_batch())
    summary = migrate(source, neo, batch=2)
    assert (summary.nodes, summary.rels) == (4, 4)
    assert _everything(neo) == _everything(source)
    migrate(source, neo, batch=3)  # re-running is safe
    assert _everything(neo) == _everything(source)
    source.close()


def test_migrate_into_a_target_holding_other_data_is_a_conflict(tmp_path: Path, neo: Neo4jStore) -> None:
    neo.write(GraphBatch(nodes=[Node("Zone", "OTHER", {"id": "OTHER", "name": "别的开发区"})]))
    source = SQLiteStore.open(tmp_path / "g.db")
    source.write(_batch())
    with pytest.raises(Conflict, match="Zone nodes: source 1, target 2"):
        migrate(source, neo)
    source.close()


def test_migrate_command_via_the_cli(tmp_path: Path, neo: Neo4jStore, neo4j_server: Any,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    source = SQLiteStore.open(tmp_path / "g.db")
    source.write(_batch())
    source.close()
    settings = Settings(neo4j_uri=neo4j_server.uri, neo4j_user=neo4j_server.user,
                        neo4j_password=neo4j_server.password,  # type: ignore[arg-type]
                        neo4j_database=neo4j_server.database)
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    out = io.StringIO()
    assert cli.main(["--db", str(tmp_path / "g.db"), "migrate", "--to", "neo4j"], out=out) == 0
    assert "4 nodes, 4 relationships; counts checked equal" in out.getvalue()
    assert neo.counts().total_nodes == 4
