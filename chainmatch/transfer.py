"""Bulk paths between stores: CSV files for ``neo4j-admin database import``, and a store-to-store copy.

``export_neo4j_admin`` writes one node file per label and one relationship file per (type, from
label, to label), with the headers ``neo4j-admin database import full`` reads (``id:ID(Label)``,
``:START_ID(Label)``, ``:END_ID(Label)``, typed properties such as ``employees:long`` and
``aliases:string[]``), and ``import.txt`` with the command to run. ``migrate`` copies every node and
relationship of one store into another in batches and checks the counts; each batch is an upsert,
so an interrupted migration can simply be run again.

>>> import tempfile, pathlib
>>> from chainmatch.stores.sqlite import SQLiteStore
>>> from chainmatch.stores.base import GraphBatch, Node
>>> with tempfile.TemporaryDirectory() as d:
...     store = SQLiteStore.open(pathlib.Path(d) / "g.db")
...     store.write(GraphBatch(nodes=[Node("Zone", "LH", {"id": "LH", "name": "漯河经开区"})]))
...     summary = export_neo4j_admin(store, pathlib.Path(d) / "out")
...     lines = (pathlib.Path(d) / "out" / "nodes_Zone.csv").read_text(encoding="utf-8").splitlines()
...     store.close()
>>> summary.nodes, summary.files
(1, ['nodes_Zone.csv'])
>>> lines[0].split(",")[:2], lines[1].split(",")[:2]
(['id:ID(Zone)', 'name'], ['LH', '漯河经开区'])
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from chainmatch.errors import Conflict, StoreError
from chainmatch.stores.base import Counts, GraphBatch, Node, Rel, Store
from graph_schema import Property, Schema, load_schema

T = TypeVar("T")

__all__ = ["ARRAY_DELIMITER", "ExportSummary", "MigrateSummary", "Scannable", "export_neo4j_admin", "migrate"]

ARRAY_DELIMITER = ";"  # neo4j-admin's default; list items never hold it (the loader splits lists on it)

_TYPES = {"str": "", "text": "", "uscc": "", "date": "", "datetime": "", "int": ":long", "float": ":double",
          "bool": ":boolean", "list": ":string[]"}
# Dates stay strings, as both stores keep them: the answers do not change with the path the data took.


@dataclass
class ExportSummary:
    folder: Path
    nodes: int = 0
    rels: int = 0
    files: list[str] = field(default_factory=list)
    command: str = ""


@dataclass
class MigrateSummary:
    source: str
    target: str
    nodes: int
    rels: int
    counts: Counts


def _header_type(prop: Property) -> str:
    return _TYPES.get(prop.type, "")  # enums are strings


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ARRAY_DELIMITER.join(str(v) for v in value)
    return str(value)


def _write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            n += 1
    return n


def _node_rows(store: Scannable, label: str, names: list[str]) -> Iterator[list[str]]:
    for node in store.scan(label):
        yield [node.id, *(_cell(node.props.get(n)) for n in names), label]


class Scannable(Protocol):
    """What the export reads: a store's ``scan`` and ``scan_rels`` (a store, or data held in memory)."""

    def scan(self, label: str) -> Iterator[Node]: ...

    def scan_rels(self, rel_type: str) -> Iterator[Rel]: ...


def export_neo4j_admin(store: Scannable, out: Path, schema: Schema | None = None) -> ExportSummary:
    """Write ``store`` as CSV files for ``neo4j-admin database import full`` into the folder ``out``.

    Streams: one node file per label as it is scanned, and the relationships of a type into one open file per
    (from label, to label), so memory stays flat however large the store (a million firms' 10 million
    relationships)."""
    schema = schema or load_schema()
    out.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary(out)
    node_files, rel_files = [], []
    for lab in schema.labels.values():
        props = [p for p in lab.properties.values() if p.name != lab.key]
        header = [f"{lab.key}:ID({lab.name})", *(p.name + _header_type(p) for p in props), ":LABEL"]

        name = f"nodes_{lab.name}.csv"
        count = _write_csv(out / name, header, _node_rows(store, lab.name, [p.name for p in props]))
        if count:
            summary.nodes += count
            node_files.append(name)
        else:
            (out / name).unlink()
    for rel in schema.relationships.values():
        props = list(rel.properties.values())
        files: dict[tuple[str, str], Any] = {}  # (from label, to label) -> its csv writer
        with ExitStack() as stack:
            for r in store.scan_rels(rel.name):
                ends = (r.src_label, r.dst_label)
                if ends not in files:
                    f = stack.enter_context(open(out / f"rels_{rel.name}_{ends[0]}_{ends[1]}.csv", "w",
                                                 encoding="utf-8", newline=""))
                    files[ends] = csv.writer(f, lineterminator="\n")
                    files[ends].writerow([f":START_ID({ends[0]})", f":END_ID({ends[1]})",
                                          *(p.name + _header_type(p) for p in props), ":TYPE"])
                files[ends].writerow([r.src, r.dst, *(_cell(r.props.get(p.name)) for p in props), rel.name])
                summary.rels += 1
        rel_files += [f"rels_{rel.name}_{src}_{dst}.csv" for src, dst in sorted(files)]
    summary.files = node_files + rel_files
    # The database comes first: --nodes and --relationships take any number of files, so a name after them would
    # be read as one more file (Neo4j 5.26: "File 'neo4j' doesn't exist").
    summary.command = (
        "neo4j-admin database import full DATABASE --array-delimiter=';' --multiline-fields=true "
        "--ignore-empty-strings=true "
        + " ".join(f"--nodes={f}" for f in node_files) + " "
        + " ".join(f"--relationships={f}" for f in rel_files)
    )
    (out / "import.txt").write_text(
        "Import these files into an empty, stopped Neo4j 5 database (run in this folder; DATABASE is its name, "
        "neo4j on Community; checked with Neo4j 5.26's import tool):\n\n"
        f"  {summary.command}\n\n"
        "Then start it and point chainmatch at it (CHAINMATCH_NEO4J_URI, _USER, _PASSWORD, _DATABASE):\n"
        "its first connection creates the constraints and indexes of graph_schema.\n",
        encoding="utf-8",
    )
    return summary


def migrate(source: Store, target: Store, *, batch: int = 10_000, schema: Schema | None = None,
            progress: Callable[[str, int], None] | None = None) -> MigrateSummary:
    """Copy every node and relationship of ``source`` into ``target``, then check the counts match.

    ``target`` must hold nothing that ``source`` does not: the copy is an upsert, so re-running an
    interrupted migration is safe, but stray data in ``target`` would make the counts differ.
    """
    schema = schema or load_schema()
    nodes = rels = 0
    for lab in schema.labels:
        for node_chunk in _batches(source.scan(lab), batch):
            target.write(GraphBatch(nodes=node_chunk))
            nodes += len(node_chunk)
        if progress:
            progress(lab, nodes)
    for rel_type in schema.relationships:
        for rel_chunk in _batches(source.scan_rels(rel_type), batch):
            target.write(GraphBatch(rels=rel_chunk))
            rels += len(rel_chunk)
        if progress:
            progress(rel_type, rels)
    want, got = source.counts(), target.counts()
    if dict(want.nodes) != dict(got.nodes) or dict(want.rels) != dict(got.rels):
        diff = _differences(want, got)
        raise (Conflict if _more(want, got) else StoreError)(
            f"After copying {source.location} into {target.location} the counts differ: {diff}. "
            "If the target held other data, empty it (or use another database) and run the migration again; "
            "otherwise run it again: copying is safe to repeat."
        )
    return MigrateSummary(source.location, target.location, nodes, rels, got)


def _differences(want: Counts, got: Counts) -> str:
    parts = []
    for kind, a, b in (("nodes", want.nodes, got.nodes), ("relationships", want.rels, got.rels)):
        for name in sorted(set(a) | set(b)):
            if a.get(name, 0) != b.get(name, 0):
                parts.append(f"{name} {kind}: source {a.get(name, 0)}, target {b.get(name, 0)}")
    return "; ".join(parts)


def _more(want: Counts, got: Counts) -> bool:
    """The target holds more of something than the source: it was not empty."""
    pairs: list[tuple[Mapping[str, int], Mapping[str, int]]] = [(want.nodes, got.nodes), (want.rels, got.rels)]
    return any(b.get(k, 0) > a.get(k, 0) for a, b in pairs for k in b)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items (the last may be shorter)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
