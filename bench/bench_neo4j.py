"""Benchmark of the Neo4j store over Bolt on a real Neo4j (Community 5.26, tests/neo4j_server.py), beside the
embedded store on the same data (issues 6 and 17).

1. Generates N synthetic firms (default 100,000, ``chainmatch.synth.generate``) with their zone, grids, products
   and relationships, reads them with the loader, and loads them into the embedded store and through
   ``Neo4jStore.write`` in batches; reports nodes/s (target >= 5,000) and relationships/s. With ``--admin-import``
   Neo4j is filled offline instead: the data exported as ``chainmatch export --format neo4j-admin`` writes it, then
   ``neo4j-admin database import full`` (Neo4j 5.26's own tool, the command of the export's ``import.txt``), then
   the server started on it, the schema applied and ``Neo4jStore.await_indexes``; each step timed.
2. Builds the match index (``build_index``) from each store: seconds, the part spent waiting on the store's scans,
   and Bolt round trips through a counting TCP proxy; then reads what the build read, alone, ``--read-passes``
   times (target on Neo4j: 100,000 firms <= 15 s, 1,000,000 <= 150 s).
3. A firm's profile, a grid chief's neighbour lookup and a recommendation on each store: p50 / p99 and round trips.

Rerun from the repository root: ``.venv/bin/python bench/bench_neo4j.py [--firms 100000] [--admin-import] [--keep DIR]``
(``--keep`` keeps the generated data, the embedded store and Neo4j's home for the next run, which then skips the
loads; the server is started again on that home).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._machine import load, machine, peak_mb
from chainmatch.access.auth import Principal, expand_grids
from chainmatch.enterprises import profile
from chainmatch.loader import install_industries, read_folder
from chainmatch.matching.index import build_index
from chainmatch.matching.neighbours import chain_neighbours
from chainmatch.matching.ranking import recommend
from chainmatch.settings import Settings
from chainmatch.stores.base import GraphBatch, Node, Rel, Store
from chainmatch.stores.neo4j import Neo4jStore
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.transfer import export_neo4j_admin
from tests.neo4j_server import admin_import, start


class CountingProxy:
    """A TCP proxy that counts round trips: client sends that follow a server answer (or open the connection)."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port: int = self.listener.getsockname()[1]
        self.round_trips = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            state = {"answered": True}
            threading.Thread(target=self._pump, args=(client, server, state, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, state, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, state: dict[str, bool], upstream: bool) -> None:
        try:
            while data := src.recv(65536):
                with self._lock:
                    if upstream and state["answered"]:
                        self.round_trips += 1
                    state["answered"] = not upstream
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def measure(self, fn: Callable[[], Any], repeat: int) -> float:
        """Mean round trips per call of ``fn`` (connections already open in the driver's pool)."""
        fn()  # warm: open pooled connections, caches
        before = self.round_trips
        for _ in range(repeat):
            fn()
        time.sleep(0.05)
        return (self.round_trips - before) / repeat


def _store(uri: str, server: Any, batch_size: int) -> Neo4jStore:
    settings = Settings(neo4j_uri=uri, neo4j_user=server.user, neo4j_password=server.password,  # type: ignore[arg-type]
                        neo4j_database=server.database)
    store = Neo4jStore.connect(settings)
    store.batch_size = batch_size
    return store


def _cycling(fn: Callable[[str], Any], ids: list[str]) -> Callable[[], Any]:
    """``fn`` called on the next id of ``ids`` at each call."""
    it = itertools.cycle(ids)
    return lambda: fn(next(it))


def _latency_ms(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2), "p99_ms": round(times[int(len(times) * 0.99) - 1], 2)}


def _load(store: Store, firms: list[Any], others: list[Any], rels: list[Any], batch: int) -> dict[str, Any]:
    install_industries(store)
    t = time.perf_counter()
    for i in range(0, len(others), batch):  # in batches: at 1,000,000 firms one transaction of all ~970,000 other
        store.write(GraphBatch(nodes=others[i : i + batch]))  # nodes passes Neo4j's transaction memory limit
        _progress(store.kind, "other nodes", i + batch, len(others), t)
    out: dict[str, Any] = {}
    t = time.perf_counter()
    for i in range(0, len(firms), batch):
        store.write(GraphBatch(nodes=firms[i : i + batch]))
        _progress(store.kind, "firms", i + batch, len(firms), t)
    took = time.perf_counter() - t
    out["firm_nodes_per_s"], out["firm_load_s"] = round(len(firms) / took), round(took, 1)
    out["firm_load_machine"] = load()
    t = time.perf_counter()
    for i in range(0, len(rels), batch):
        store.write(GraphBatch(rels=rels[i : i + batch]))
        _progress(store.kind, "relationships", i + batch, len(rels), t)
    took = time.perf_counter() - t
    out["rels_per_s"], out["rels_load_s"] = round(len(rels) / took), round(took, 1)
    out["rels_load_machine"] = load()
    print(f"{store.kind}: firms {out['firm_nodes_per_s']:,}/s, relationships {out['rels_per_s']:,}/s", flush=True)
    return out


def _progress(kind: str, what: str, done: int, total: int, since: float) -> None:
    """A line every 100,000 items (and at the end): how far a long load got, its rate so far, the machine's load."""
    done = min(done, total)
    if done % 100_000 and done != total:
        return
    took = time.perf_counter() - since
    print(f"  {kind} {what}: {done:,} of {total:,} in {took:.0f}s = {done / took:,.0f}/s; {load()}", flush=True)


class _InMemory:
    """The generated batch and the industries of ``industries`` as something to export (``scan``, ``scan_rels``)."""

    def __init__(self, batch: GraphBatch, industries: Store) -> None:
        self.nodes: dict[str, list[Node]] = {}
        for n in batch.nodes:
            self.nodes.setdefault(n.label, []).append(n)
        self.rels: dict[str, list[Rel]] = {}
        for r in batch.rels:
            self.rels.setdefault(r.type, []).append(r)
        self.industries = industries

    def scan(self, label: str) -> Iterator[Node]:
        yield from self.industries.scan(label)
        yield from self.nodes.get(label, [])

    def scan_rels(self, rel_type: str) -> Iterator[Rel]:
        yield from self.industries.scan_rels(rel_type)
        yield from self.rels.get(rel_type, [])


def _admin_import(work: Path, batch: GraphBatch, industries: Store, off_heap: str) -> dict[str, Any]:
    """Export the batch as neo4j-admin CSV files and import them into ``work/neo4j`` (no server running)."""
    out: dict[str, Any] = {}
    t = time.perf_counter()
    summary = export_neo4j_admin(_InMemory(batch, industries), work / "import")
    out["export_s"], out["export_machine"] = round(time.perf_counter() - t, 1), load()
    print(f"exported {summary.nodes:,} nodes, {summary.rels:,} relationships in {out['export_s']}s", flush=True)
    t = time.perf_counter()
    admin_import(work / "neo4j", work / "import", f"{summary.command} --max-off-heap-memory={off_heap}")
    took = time.perf_counter() - t
    out["import_s"], out["import_machine"] = round(took, 1), load()
    out["import_nodes_and_rels_per_s"] = round((summary.nodes + summary.rels) / took)
    print(f"neo4j-admin import: {out['import_s']}s = {out['import_nodes_and_rels_per_s']:,} nodes and "
          f"relationships/s; {load()}", flush=True)
    shutil.rmtree(work / "import", ignore_errors=True)
    return out


class _TimedReads:
    """A store whose ``scan`` / ``scan_rels`` count the seconds spent waiting for them: the read itself, apart from
    what ``build_index`` does with the rows."""

    def __init__(self, store: Store) -> None:
        self.store, self.read_s = store, 0.0
        self.calls: list[tuple[str, str]] = []  # (scan or scan_rels, label or type), in the build's order

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def _timed(self, rows: Iterator[Any]) -> Iterator[Any]:
        while True:
            t = time.perf_counter()
            item = next(rows, None)
            self.read_s += time.perf_counter() - t
            if item is None:
                return
            yield item

    def scan(self, label: str) -> Iterator[Any]:
        self.calls.append(("scan", label))
        return self._timed(self.store.scan(label))

    def scan_rels(self, rel_type: str) -> Iterator[Any]:
        self.calls.append(("scan_rels", rel_type))
        return self._timed(self.store.scan_rels(rel_type))


def _read_alone(store: Store, calls: list[tuple[str, str]]) -> float:
    """Seconds to read what ``build_index`` read (the same scans, rows counted and dropped)."""
    t = time.perf_counter()
    for kind, name in calls:
        for _ in store.scan(name) if kind == "scan" else store.scan_rels(name):
            pass
    return round(time.perf_counter() - t, 1)


def _chief(store: Store, seed: int) -> tuple[Principal, list[str]]:
    """A grid chief of the top-level grid with the most firms among 20 sampled, and the firms of that grid."""
    tops = sorted(g.id for g in store.scan("Grid") if str(g.props.get("level")) == "1")
    rng = random.Random(seed)
    best: tuple[int, str, frozenset[str], list[str]] = (0, "", frozenset(), [])
    for top in rng.sample(tops, min(20, len(tops))):
        grids = expand_grids(store, [top])
        inside = sorted(e.node.id for es in store.edges("Grid", sorted(grids), "IN_GRID", "in",
                                                         limit=1_000_000).values() for e in es)
        if len(inside) > best[0]:
            best = (len(inside), top, grids, inside)
    _, top, grids, inside = best
    return Principal(id="bench-chief", name="bench 网格长", role="grid_chief", grids=grids), inside


def _calls(store: Store, index: Any, chief: Principal) -> dict[str, Callable[[str], Any]]:
    return {
        "profile(firm)": lambda i: profile(store, i),
        "chain_neighbours(grid chief, depth 1, 50 per page)": lambda i: chain_neighbours(store, index, chief, i),
        "recommend(index, firm)": lambda i: recommend(index, i),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--firms", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=10_000, help="nodes or relationships per write() call")
    ap.add_argument("--chunk", type=int, default=5_000, help="rows per UNWIND statement inside a write")
    ap.add_argument("--heap", default="1g", help="Neo4j's JVM heap")
    ap.add_argument("--pagecache", default="1g", help="Neo4j's page cache")
    ap.add_argument("--repeat", type=int, default=200, help="calls per latency figure")
    ap.add_argument("--read-passes", type=int, default=2, help="passes of the index's reads alone after the build")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--keep", type=Path, help="keep (and reuse) data, embedded store and Neo4j home here")
    ap.add_argument("--skip-embedded", action="store_true", help="measure Neo4j only")
    ap.add_argument("--admin-import", action="store_true",
                    help="fill Neo4j with neo4j-admin database import full from the export instead of Bolt writes")
    ap.add_argument("--import-memory", default="2g", help="neo4j-admin import's --max-off-heap-memory")
    args = ap.parse_args()

    from chainmatch.synth import generate

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_neo4j_"))
    work.mkdir(parents=True, exist_ok=True)
    reuse = (work / "loaded").exists()
    results: dict[str, Any] = {"firms": args.firms, "batch": args.batch, "chunk": args.chunk, "heap": args.heap,
                               "pagecache": args.pagecache, "machine": machine(), "start_machine": load(),
                               "admin_import": args.admin_import}
    if not reuse:
        t = time.perf_counter()
        generate(work / "data", enterprises=args.firms, seed=args.seed)
        scratch = SQLiteStore.open(work / "scratch.db")  # read_folder looks ids up in it: it holds the industries
        install_industries(scratch)
        batch, _ = read_folder(work / "data", scratch)
        firms = [n for n in batch.nodes if n.label == "Enterprise"]
        others = [n for n in batch.nodes if n.label != "Enterprise"]
        results.update(nodes=len(batch.nodes), relationships=len(batch.rels))
        print(f"generated and read {len(batch.nodes)} nodes ({len(firms)} firms), {len(batch.rels)} relationships "
              f"in {time.perf_counter() - t:.1f}s", flush=True)
        if args.admin_import:
            results["neo4j_import"] = _admin_import(work, batch, scratch, args.import_memory)
        scratch.close()

    server = start(work / "neo4j", heap=args.heap, pagecache=args.pagecache, timeout=600, quick=False,
                   port=int((work / "neo4j.port").read_text()) if reuse else 0)
    (work / "neo4j.port").write_text(str(server.bolt_port))
    results["neo4j"] = {"version": server.version, "start_s": server.started_s, **results.pop("neo4j_import", {})}
    try:
        t = time.perf_counter()
        neo = _store(server.uri, server, args.chunk)  # applies the schema: constraints built on imported data
        results["neo4j"]["connect_and_schema_s"] = round(time.perf_counter() - t, 1)
        results["neo4j"]["await_indexes_s"] = neo.await_indexes(progress=lambda s: print("  indexes:", s, flush=True))
        results["neo4j"]["indexes_machine"] = load()
        print(f"Neo4j up: schema {results['neo4j']['connect_and_schema_s']}s, indexes online after "
              f"{results['neo4j']['await_indexes_s']}s more; {load()}", flush=True)
        embedded = SQLiteStore.open(work / "embedded.db")
        stores: dict[str, Store] = {"neo4j": neo} if args.skip_embedded else {"embedded": embedded, "neo4j": neo}
        if not reuse:
            for name, st in stores.items():
                if name == "neo4j" and args.admin_import:
                    continue
                results.setdefault(name, {})["load"] = _load(st, firms, others, batch.rels, args.batch)
            t = time.perf_counter()
            neo.write(GraphBatch(nodes=firms[: args.batch]))
            results["neo4j"]["rewrite_batch_s"] = round(time.perf_counter() - t, 2)
            del batch, firms, others
            (work / "loaded").write_text("1")
        counts = neo.counts()
        results["neo4j"]["counts"] = {"nodes": counts.total_nodes, "relationships": counts.total_rels}
        if not args.skip_embedded:
            results["counts_equal"] = embedded.counts() == counts
        print(f"Neo4j holds {counts.total_nodes:,} nodes, {counts.total_rels:,} relationships", flush=True)

        proxy = CountingProxy(server.bolt_port)
        counted = _store(f"bolt://127.0.0.1:{proxy.port}", server, args.chunk)
        indexes: dict[str, Any] = {}
        for name, st in stores.items():
            via = counted if name == "neo4j" else st
            before = proxy.round_trips
            timed = _TimedReads(via)
            t = time.perf_counter()
            indexes[name] = build_index(timed)  # type: ignore[arg-type]  # a Store by delegation
            took = time.perf_counter() - t
            results.setdefault(name, {})["build_index"] = {"s": round(took, 1), "reads_s": round(timed.read_s, 1),
                                            "peak_mb": round(peak_mb()), "machine": load()}
            if name == "neo4j":
                results[name]["build_index"]["round_trips"] = proxy.round_trips - before
            results[name]["read_alone_s"] = [_read_alone(st, timed.calls) for _ in range(args.read_passes)]
            results[name]["read_alone_machine"] = load()
            print(f"{name}: read alone {results[name]['read_alone_s']} s; {load()}", flush=True)
            print(f"{name}: build_index {results[name]['build_index']}", flush=True)

        chief, inside = _chief(neo, args.seed)
        rng = random.Random(args.seed)
        sample = rng.sample(inside, min(len(inside), 500))
        results["grid_chief_firms"] = len(inside)
        for name, st in stores.items():
            direct = _calls(st, indexes[name], chief)
            via = _calls(counted, indexes[name], chief) if name == "neo4j" else {}
            out = {}
            for call, fn in direct.items():
                figures: dict[str, Any] = _latency_ms(_cycling(fn, sample), args.repeat)
                if via:
                    figures["round_trips"] = proxy.measure(_cycling(via[call], sample), 20)
                figures["machine"] = load()
                out[call] = figures
                print(f"{name}: {call}: {figures}", flush=True)
            results[name]["calls"] = out
        counted.close()
        neo.close()
        embedded.close()
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
