"""Problems at zone scale: the assessment (考核) of 100,000 problems raised over a year (target < 2 s) and the
overdue sweep over 100,000 open problems (target < 1 s).

The store is the embedded one, built here: one zone with 390 grids (漯河's exclusive grids), 10 departments,
5,000 firms and the problems, written as the library writes them (the Problem node with its figures, RAISED_FOR,
RAISED_IN, IN_ZONE, one or two DISPATCHED_TO) in batches. Statuses and dates are drawn with a fixed seed.

Rerun: ``.venv/bin/python bench/bench_problems.py [N] [--neo4j]`` (N problems, default 100000; the embedded stores are
built under ``bench/.cache/`` once and reused; ``--neo4j`` also writes them over Bolt into a real Neo4j started for
the run and times the same calls there).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._machine import machine, peak_mb
from chainmatch.access.auth import SYSTEM
from chainmatch.stores.base import GraphBatch, Node, Rel, Store
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.workflows.assessment import assess
from chainmatch.workflows.problems import sweep

CACHE = Path(__file__).resolve().parent / ".cache"
YEAR = date(2025, 1, 1)
TODAY = date(2026, 1, 10)
GRIDS, DEPARTMENTS, FIRMS = 390, 10, 5_000


def build(path: Path, n: int, *, open_only: bool, overdue_share: float, seed: int = 18) -> Path:
    """An embedded store of ``n`` problems at ``path`` (built once, then reused): see ``fill``."""
    if path.exists():
        return path
    work = path.with_suffix(".building")
    for f in path.parent.glob(work.name + "*"):
        f.unlink()
    store = SQLiteStore.open(work)
    fill(store, n, open_only=open_only, overdue_share=overdue_share, seed=seed)
    store.close()
    work.rename(path)
    return path


def fill(store: Store, n: int, *, open_only: bool, overdue_share: float, seed: int = 18) -> None:
    """Write the zone and ``n`` problems into ``store``; ``open_only``: every problem open (the sweep's case),
    ``overdue_share`` of them past their due date on TODAY; otherwise a year's mix of statuses."""
    rng = random.Random(seed)
    base = GraphBatch(nodes=[Node("Zone", "BZ", {"id": "BZ", "name": "基准开发区"})])
    for g in range(GRIDS):
        gid = f"BZ-G{g:03d}"
        base.nodes += [Node("Grid", gid, {"id": gid, "name": f"网格{g}", "level": "3", "kind": "exclusive"}),
                       Node("Person", f"BZ-C{g:03d}", {"id": f"BZ-C{g:03d}", "name": f"网格长{g}", "role": "grid_chief"})]
        base.rels += [Rel("IN_ZONE", "Grid", gid, "Zone", "BZ"), Rel("CHIEF_OF", "Person", f"BZ-C{g:03d}", "Grid", gid)]
    for d in range(DEPARTMENTS):
        base.nodes.append(Node("Department", f"BZ-D{d}", {"id": f"BZ-D{d}", "name": f"部门{d}"}))
        base.rels.append(Rel("IN_ZONE", "Department", f"BZ-D{d}", "Zone", "BZ"))
    for f in range(FIRMS):
        fid = f"BZ-E{f:05d}"
        base.nodes.append(Node("Enterprise", fid, {"id": fid, "name": f"企业{f}"}))
        base.rels += [Rel("IN_ZONE", "Enterprise", fid, "Zone", "BZ"),
                      Rel("IN_GRID", "Enterprise", fid, "Grid", f"BZ-G{f % GRIDS:03d}")]
    store.write(base)
    batch = GraphBatch()
    for i in range(n):
        pid = f"PB-{i:07d}"
        firm = rng.randrange(FIRMS)
        raised = YEAR + timedelta(days=rng.randrange(365))
        props: dict[str, object] = {"id": pid, "title": "诉求", "category": rng.choice(["land", "transport", "approval"]),
                                    "raised_on": raised.isoformat(), "level": "1", "escalations": 0, "reopened": 0,
                                    "steps": 3}
        if open_only:
            late = rng.random() < overdue_share
            due = TODAY - timedelta(days=rng.randrange(1, 30)) if late else TODAY + timedelta(days=rng.randrange(0, 5))
            props.update(status=rng.choice(["raised", "dispatched", "handling"]), due_on=due.isoformat(),
                         level=rng.choice(["1", "1", "2", "3"]))
        else:
            due = raised + timedelta(days=3)
            status = rng.choices(["evaluated", "closed", "handling", "reopened"], [70, 15, 10, 5])[0]
            props.update(status=status, due_on=due.isoformat(), escalations=rng.choice([0, 0, 0, 1, 2]),
                         reopened=int(status == "reopened" or rng.random() < 0.05))
            if status in ("evaluated", "closed"):
                closed = raised + timedelta(days=rng.randrange(0, 8))
                props.update(closed_on=closed.isoformat(), on_time=closed <= due)
            if status == "evaluated":
                props.update(evaluation="satisfied")
        batch.nodes.append(Node("Problem", pid, props))
        batch.rels += [Rel("RAISED_FOR", "Problem", pid, "Enterprise", f"BZ-E{firm:05d}"),
                       Rel("RAISED_IN", "Problem", pid, "Grid", f"BZ-G{firm % GRIDS:03d}"),
                       Rel("IN_ZONE", "Problem", pid, "Zone", "BZ")]
        depts = [f"BZ-D{d}" for d in rng.sample(range(DEPARTMENTS), rng.choice([1, 1, 2]))]
        props.update(grid=f"BZ-G{firm % GRIDS:03d}", departments=depts)  # the copies the library keeps
        batch.rels += [Rel("DISPATCHED_TO", "Problem", pid, "Department", d, {"on": raised.isoformat()}) for d in depts]
        if len(batch.nodes) >= 20_000:
            store.write(batch)
            batch = GraphBatch()
    store.write(batch)


def timed(fn: object, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each run (on a shared machine the CPU time says what a quiet one would take)."""
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _sweep_timed(store: Store) -> tuple[float, float, int, int]:
    t0, c0 = time.perf_counter(), time.process_time()
    done = sweep(store, today=TODAY)
    return time.perf_counter() - t0, time.process_time() - c0, len(done.escalated), done.checked


def _report_assess(where: str, store: Store, runs: int) -> None:
    result = assess(store, SYSTEM, start=YEAR, end=date(2025, 12, 31), today=TODAY)
    wall, cpu = timed(lambda: assess(store, SYSTEM, start=YEAR, end=date(2025, 12, 31), today=TODAY), runs)
    zwall, zcpu = timed(lambda: assess(store, SYSTEM, start=YEAR, end=date(2025, 12, 31), zone_id="BZ",
                                       today=TODAY), runs)
    print(f"{where}: assessment of {result.total.received:,} problems ({len(result.departments)} departments, "
          f"{len(result.grids)} grids, {len(result.chiefs)} chiefs): median {statistics.median(wall):.2f} s wall, "
          f"{statistics.median(cpu):.2f} s CPU; with zone_id: {statistics.median(zwall):.2f} s wall, "
          f"{statistics.median(zcpu):.2f} s CPU (target < 2 s; {_load()})", flush=True)


def _report_sweep(where: str, share: float, runs: list[tuple[float, float, int, int]]) -> None:
    wall, cpu, escalated, checked = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
                                     runs[-1][2], runs[-1][3])
    print(f"{where}: sweep of {checked:,} open problems, {escalated:,} escalated (overdue share {share:.0%}, those "
          f"at 区级统筹 listed only): median of {len(runs)} {wall:.2f} s wall, {cpu:.2f} s CPU (target < 1 s; "
          f"{_load()})", flush=True)


def embedded(n: int) -> None:
    CACHE.mkdir(exist_ok=True)
    store = SQLiteStore.open(build(CACHE / f"problems-year-{n}.db", n, open_only=False, overdue_share=0))
    _report_assess("embedded", store, 5)
    store.close()
    for share in (0.0, 0.05):
        src = build(CACHE / f"problems-open-{n}-{share}.db", n, open_only=True, overdue_share=share)
        SQLiteStore.open(src).close()  # a store built before problem_tally existed gets it once, here
        runs = []
        for _ in range(3):  # each run on a fresh copy: a sweep changes what the next one finds
            copy = src.with_name(src.stem + ".run.db")
            shutil.copyfile(src, copy)
            store = SQLiteStore.open(copy)
            runs.append(_sweep_timed(store))
            store.close()
            copy.unlink()
        _report_sweep("embedded", share, runs)


def neo4j(n: int) -> None:
    """The same on a real Neo4j (tests/neo4j_server.py, full JIT, heap and page cache 1 GB), written over Bolt.
    Neo4j Community holds one database, so the year's store and the two open ones are written in turn; the sweep
    that escalates runs once (its escalations are not overdue any more)."""
    from chainmatch.settings import Settings
    from chainmatch.stores.neo4j import Neo4jStore
    from tests.neo4j_server import start

    home = Path(tempfile.mkdtemp(prefix="bench_problems_neo4j_"))
    server = start(home / "neo4j", heap="1g", pagecache="1g", timeout=600, quick=False)
    try:
        store = Neo4jStore.connect(Settings(
            neo4j_uri=server.uri, neo4j_user=server.user, neo4j_password=server.password,  # type: ignore[arg-type]
            neo4j_database=server.database))
        print(f"Neo4j {server.version}", flush=True)
        t = time.perf_counter()
        fill(store, n, open_only=False, overdue_share=0)
        print(f"neo4j: wrote the year's {n:,} problems in {time.perf_counter() - t:.0f} s ({_load()})", flush=True)
        _report_assess("neo4j", store, 3)
        for share in (0.0, 0.05):
            store.clear()
            fill(store, n, open_only=True, overdue_share=share)
            _report_sweep("neo4j", share, [_sweep_timed(store) for _ in range(3 if share == 0 else 1)])
        store.close()
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000, help="problems (default 100000)")
    parser.add_argument("--neo4j", action="store_true", help="also on a real Neo4j (Java 17 and Maven needed)")
    args = parser.parse_args()
    print(machine(), flush=True)
    embedded(args.n)
    if args.neo4j:
        neo4j(args.n)
    print(f"peak memory {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
