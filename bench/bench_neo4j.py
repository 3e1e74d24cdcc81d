"""Benchmark of the Neo4j store over Bolt, against the ArcadeDB test server (issue 6).

1. Loads N synthetic firms (default 100,000, from ``chainmatch.synth.generate``) with their zone, grids,
   products and relationships through ``Neo4jStore.write`` in batches; reports nodes/s (target >= 5,000).
2. Counts the Bolt round trips of one ``get``, one ``edges`` and one neighbour lookup
   (``chainmatch.matching.neighbours.chain_neighbours``) through a counting TCP proxy, and their latency
   without the proxy; and the round trips of building the ranking index (a recommendation itself then
   reads nothing from the store).

Rerun from the repository root: ``.venv/bin/python bench/bench_neo4j.py [--firms 100000] [--batch 10000]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chainmatch.loader import install_industries, read_folder
from chainmatch.settings import Settings
from chainmatch.stores.base import GraphBatch
from chainmatch.stores.neo4j import Neo4jStore
from chainmatch.stores.sqlite import SQLiteStore
from tests.arcadedb_server import start


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


def _store(uri: str, server: Any, batch_size: int = 2000) -> Neo4jStore:
    settings = Settings(neo4j_uri=uri, neo4j_user=server.user, neo4j_password=server.password,  # type: ignore[arg-type]
                        neo4j_database=server.database)
    store = Neo4jStore.connect(settings)
    store.batch_size = batch_size
    return store


def _cycling(fn: Callable[[str], Any], ids: list[str]) -> Callable[[], Any]:
    """``fn`` called on the next id of ``ids`` at each call."""
    it = itertools.cycle(ids)
    return lambda: fn(next(it))


def _latency_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--firms", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=10_000, help="nodes or relationships per write() call")
    ap.add_argument("--chunk", type=int, default=5_000, help="rows per UNWIND statement inside a write")
    ap.add_argument("--heap", default="2g", help="ArcadeDB JVM heap")
    ap.add_argument("--seed", type=int, default=6)
    args = ap.parse_args()

    from chainmatch.synth import generate

    work = Path(tempfile.mkdtemp(prefix="bench_neo4j_"))
    t = time.perf_counter()
    generate(work / "data", enterprises=args.firms, seed=args.seed)
    scratch = SQLiteStore.open(work / "scratch.db")  # read_folder looks ids up in it: it holds the industries only
    install_industries(scratch)
    batch, _ = read_folder(work / "data", scratch)
    scratch.close()
    prep = time.perf_counter() - t
    firms = [n for n in batch.nodes if n.label == "Enterprise"]
    others = [n for n in batch.nodes if n.label != "Enterprise"]
    print(f"generated and read {len(batch.nodes)} nodes ({len(firms)} firms), {len(batch.rels)} relationships "
          f"in {prep:.1f}s", flush=True)

    server = start(work / "arcadedb", heap=args.heap)
    results: dict[str, Any] = {
        "firms": len(firms), "nodes": len(batch.nodes), "relationships": len(batch.rels),
        "batch": args.batch, "chunk": args.chunk, "heap": args.heap,
        "machine": f"nproc={os.cpu_count()}, {platform.processor() or platform.machine()}, "
                   f"Python {platform.python_version()}",
    }
    try:
        store = _store(server.uri, server, args.chunk)
        install_industries(store)
        store.write(GraphBatch(nodes=others))
        base = store.counts()
        t = time.perf_counter()
        for i in range(0, len(firms), args.batch):
            store.write(GraphBatch(nodes=firms[i : i + args.batch]))
        took = time.perf_counter() - t
        results["firm_nodes_per_s"] = round(len(firms) / took)
        results["firm_load_s"] = round(took, 1)
        print(f"firms: {len(firms)} in {took:.1f}s = {len(firms) / took:,.0f} nodes/s", flush=True)
        t = time.perf_counter()
        for i in range(0, len(batch.rels), args.batch):
            store.write(GraphBatch(rels=batch.rels[i : i + args.batch]))
        took = time.perf_counter() - t
        results["rels_per_s"] = round(len(batch.rels) / took)
        print(f"relationships: {len(batch.rels)} in {took:.1f}s = {len(batch.rels) / took:,.0f}/s", flush=True)
        t = time.perf_counter()
        store.write(GraphBatch(nodes=firms[: args.batch]))
        results["rewrite_batch_s"] = round(time.perf_counter() - t, 2)
        counts = store.counts()
        results["counts_ok"] = (counts.total_nodes, counts.total_rels) == (
            base.total_nodes + len(firms), base.total_rels + len(batch.rels))
        print(f"store holds {counts.total_nodes} nodes, {counts.total_rels} relationships", flush=True)

        from chainmatch.auth import SYSTEM
        from chainmatch.matching.neighbours import chain_neighbours

        rng = random.Random(args.seed)
        zone = next(n.id for n in others if n.label == "Zone")
        in_zone = [e.rel.src for e in store.edges("Zone", [zone], "IN_ZONE", "in", limit=1_000_000)[zone]
                   if e.rel.src_label == "Enterprise"]
        sample = rng.sample(in_zone, 1000)
        def calls(s: Neo4jStore) -> dict[str, Callable[[str], Any]]:
            return {
                "get (1 id)": lambda i: s.get("Enterprise", [i]),
                "get (1,000 ids)": lambda i: s.get("Enterprise", sample),
                "edges SUPPLIES out (1 id)": lambda i: s.edges("Enterprise", [i], "SUPPLIES", "out"),
                "edges IN_ZONE in, Zone (limit 1000)": lambda i: s.edges("Zone", [zone], "IN_ZONE", "in"),
                "neighbour lookup chain_neighbours(depth=1)": lambda i: chain_neighbours(s, index, SYSTEM, i),
            }

        proxy = CountingProxy(server.bolt_port)
        counted = _store(f"bolt://127.0.0.1:{proxy.port}", server, args.chunk)
        from chainmatch.matching.index import build_index

        before = proxy.round_trips
        t = time.perf_counter()
        index = build_index(counted)
        results["build_index"] = {"round_trips": proxy.round_trips - before, "s": round(time.perf_counter() - t, 1)}
        print(f"build_index: {results['build_index']}", flush=True)
        direct, via_proxy = calls(store), calls(counted)
        calls_out = {}
        for name in direct:
            med, p95 = _latency_ms(_cycling(direct[name], sample), 40)
            trips = proxy.measure(_cycling(via_proxy[name], sample), 20)
            calls_out[name] = {"round_trips": trips, "median_ms": round(med, 2), "p95_ms": round(p95, 2)}
            print(f"{name}: {trips:g} round trips, median {med:.1f} ms, p95 {p95:.1f} ms", flush=True)
        results["calls"] = calls_out
        counted.close()
        store.close()
    finally:
        server.stop()
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
