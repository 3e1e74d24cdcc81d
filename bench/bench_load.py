"""Issue 2 and issue 15 (bulk speed) benchmark: load a synthetic zone of N enterprises into a fresh embedded store,
beside the raw SQLite floor for the same rows measured in the same run.

Usage: .venv/bin/python bench/bench_load.py [N=100000] [SEED=0] [--keep DIR] [--no-floor]

Generates the folder with chainmatch.synth (deterministic by seed; with --keep DIR it is kept in DIR and reused by
later runs), then times `load_folder` into a fresh store (classification of firms without a code included) and
reports enterprises per second of wall time and per CPU-second of the process, rows/s and peak memory.

The floor then inserts the very rows the load wrote (read back from the store, already encoded and sorted, so no
Python work but the executemany loop is counted) into fresh files, one transaction each, same pragmas:

- "store schema, indexes kept": the store's own tables and indexes, updated row by row (the old path);
- "store schema, indexes after rows": the indexes dropped first, built after the rows (what the bulk path does);
- "bare tables": the two tables with their primary keys and no other index;
- "integer keys (proposal)": a possible next file format: nodes with an integer row id, the indexed properties as
  real columns with plain indexes, relationships as (type, src, dst) integers with one index for incoming edges,
  indexes built after the rows; the Python mapping of text ids to row ids is timed separately.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's chainmatch, not an installed one

import orjson
from _machine import load, machine, peak_mb

from chainmatch.knowledge.classify import ranked_candidates
from chainmatch.loader import install_industries, load_folder
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.synth import generate
from graph_schema import load_schema

NodeRow = tuple[str, str, str]
RelRow = tuple[str, str, str, str, str, str]


def _folder(n: int, seed: int, keep: Path | None, tmp: Path) -> tuple[Path, str]:
    if keep is None:
        folder = tmp / "zone"
        t0 = time.perf_counter()
        summary = generate(folder, enterprises=n, seed=seed)
        return folder, f"generated in {time.perf_counter() - t0:.1f}s: {summary}"
    folder = keep / f"load-{n}-seed{seed}"
    if (folder / "enterprises.csv").exists():
        return folder, f"reused {folder}"
    work = keep / f"load-{n}-seed{seed}.building"
    shutil.rmtree(work, ignore_errors=True)
    t0 = time.perf_counter()
    summary = generate(work, enterprises=n, seed=seed)
    work.rename(folder)  # only a complete folder gets the final name
    return folder, f"generated in {time.perf_counter() - t0:.1f}s: {summary}"


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "cache_size=-65536"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _timed(what: Callable[[], Any]) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    what()
    return time.perf_counter() - w, time.process_time() - c


def _store_floor(path: Path, nodes: list[NodeRow], rels: list[RelRow], indexes: str) -> tuple[float, float]:
    """The rows into the store's own schema; ``indexes``: "kept", "after" or "none"."""
    SQLiteStore.open(path).close()  # the store's tables and indexes, exactly as the product creates them
    conn = _connect(path)
    found = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('nodes', 'rels') "
                         "AND sql IS NOT NULL").fetchall()

    def run() -> None:
        conn.execute("BEGIN IMMEDIATE")
        if indexes != "kept":
            for name, _ in found:
                conn.execute(f'DROP INDEX "{name}"')
        conn.executemany("INSERT INTO nodes (label, id, props) VALUES (?, ?, ?)", nodes)
        conn.executemany("INSERT INTO rels (type, src_label, src, dst_label, dst, props) VALUES (?, ?, ?, ?, ?, ?)",
                         rels)
        if indexes == "after":
            for _, sql in found:
                conn.execute(sql)
        conn.execute("COMMIT")

    took = _timed(run)
    conn.close()
    return took


def _proposal_floor(path: Path, nodes: list[NodeRow], rels: list[RelRow]) -> tuple[float, float, float, int]:
    """The rows into the proposed format; returns wall, CPU, the CPU of mapping ids to row ids, and the file size."""
    schema = load_schema()
    columns = sorted({p for lab in schema.labels.values() for p in (*lab.indexed, *lab.unique)})
    labels = {name: i for i, name in enumerate(sorted(schema.labels))}
    types = {name: i for i, name in enumerate(sorted(schema.relationships))}
    conn = _connect(path)
    conn.executescript(
        "CREATE TABLE nodes (rid INTEGER PRIMARY KEY, label INTEGER NOT NULL, id TEXT NOT NULL, props TEXT NOT NULL, "
        + ", ".join(columns) + ");"  # no declared type: values kept as given
        "CREATE TABLE rels (type INTEGER NOT NULL, src INTEGER NOT NULL, dst INTEGER NOT NULL, props TEXT, "
        "PRIMARY KEY (type, src, dst)) WITHOUT ROWID;")
    index_sql = ["CREATE UNIQUE INDEX nodes_key ON nodes (label, id)",
                 "CREATE INDEX rels_incoming ON rels (type, dst)"]
    for lab in schema.labels.values():
        for p in lab.indexed:
            index_sql.append(f"CREATE INDEX idx_{lab.name}_{p} ON nodes ({p}) WHERE label = {labels[lab.name]}")
        for p in lab.unique:
            index_sql.append(f"CREATE UNIQUE INDEX uniq_{lab.name}_{p} ON nodes ({p}) "
                             f"WHERE label = {labels[lab.name]} AND {p} IS NOT NULL")
    # Outside the timing, as the floor's rows are encoded before: the indexed values as the loader has them.
    node_rows = []
    for label, id_, props in nodes:
        values = orjson.loads(props) if props != "{}" else {}
        node_rows.append((labels[label], id_, props, *(values.get(c) for c in columns)))
    c0 = time.process_time()
    rid = {(label, id_): i for i, (label, id_, _) in enumerate(nodes, start=1)}
    rel_rows = sorted((types[t], rid[(sl, s)], rid[(dl, d)], None if p == "{}" else p) for t, sl, s, dl, d, p in rels)
    mapping = time.process_time() - c0
    marks = ", ".join("?" * (4 + len(columns)))

    def run() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO nodes VALUES ({marks})", ((i, *row) for i, row in enumerate(node_rows, 1)))
        conn.executemany("INSERT INTO rels VALUES (?, ?, ?, ?)", rel_rows)
        for sql in index_sql:
            conn.execute(sql)
        conn.execute("COMMIT")

    wall, cpu = _timed(run)
    conn.close()
    return wall, cpu, mapping, _size(path)


def _size(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, Path(str(db) + "-wal")) if p.exists())


def _rows(db: Path) -> tuple[list[NodeRow], list[RelRow]]:
    conn = sqlite3.connect(db)
    nodes = conn.execute("SELECT label, id, props FROM nodes ORDER BY label, id").fetchall()
    rels = conn.execute("SELECT type, src_label, src, dst_label, dst, props FROM rels "
                        "ORDER BY type, src_label, src, dst_label, dst").fetchall()
    conn.close()
    return nodes, rels


def _floor(n: int, db: Path, tmp: Path) -> Iterator[str]:
    nodes, rels = _rows(db)
    rows = len(nodes) + len(rels)
    yield f"floor: the same {len(nodes):,} nodes and {len(rels):,} relationships, pre-encoded and sorted"
    for what, indexes in (("store schema, indexes kept", "kept"), ("store schema, indexes after rows", "after"),
                          ("bare tables (primary keys only)", "none")):
        path = tmp / f"floor-{indexes}.db"
        wall, cpu = _store_floor(path, nodes, rels, indexes)
        yield (f"  {what}: {wall:.1f}s wall, {cpu:.1f}s CPU = {n / wall:,.0f} firms/s, {n / cpu:,.0f} firms/CPU-s "
               f"({rows / cpu:,.0f} rows/CPU-s)")
        path.unlink()
    wall, cpu, mapping, size = _proposal_floor(tmp / "floor-proposal.db", nodes, rels)
    yield (f"  integer keys (proposal): {wall:.1f}s wall, {cpu:.1f}s CPU = {n / wall:,.0f} firms/s, "
           f"{n / cpu:,.0f} firms/CPU-s ({rows / cpu:,.0f} rows/CPU-s); mapping ids to row ids {mapping:.1f}s CPU "
           f"more ({n / (cpu + mapping):,.0f} firms/CPU-s with it); file {size / 1e6:.0f} MB")


def main() -> None:
    args = sys.argv[1:]
    keep: Path | None = None
    if "--keep" in args:
        at = args.index("--keep")
        keep = Path(args[at + 1])
        keep.mkdir(parents=True, exist_ok=True)
        del args[at:at + 2]
    floor = "--no-floor" not in args
    args = [a for a in args if a != "--no-floor"]
    n = int(args[0]) if args else 100_000
    seed = int(args[1]) if len(args) > 1 else 0
    print(f"machine: {machine()}; {load()} at the start", flush=True)
    with tempfile.TemporaryDirectory(dir=keep) as tmp_name:
        tmp = Path(tmp_name)
        folder, made = _folder(n, seed, keep, tmp)
        print(made, flush=True)
        db = tmp / "bench.db"
        store = SQLiteStore.open(db)
        install_industries(store)
        ranked_candidates(["钢板"])  # fit the classifier before timing: it is paid once per process
        before = peak_mb()
        c1, t1 = time.process_time(), time.perf_counter()
        result = load_folder(store, folder, classify=ranked_candidates)
        took, cpu = time.perf_counter() - t1, time.process_time() - c1
        store.close()
        peak = peak_mb()
        size = _size(db) / 1e6
        rows = result.nodes + result.rels
        print(f"load: {took:.1f}s wall, {cpu:.1f}s CPU: {n / took:,.0f} enterprises/s, {n / cpu:,.0f} per "
              f"CPU-second; {rows:,} rows ({rows / took:,.0f} rows/s), {result.classified} firms classified, peak "
              f"memory {peak:.0f} MB (before load {before:.0f} MB), database {size:.0f} MB; {load()}", flush=True)
        if floor:
            for line in _floor(n, db, tmp):
                print(line, flush=True)
            print(f"{load()} at the end; peak memory of the whole run {peak_mb():.0f} MB", flush=True)
        os.sync()


if __name__ == "__main__":
    main()
