"""Problems at zone scale: the assessment (考核) of 100,000 problems raised over a year (target < 2 s) and the
overdue sweep over 100,000 open problems (target < 1 s).

The store is the embedded one, built here: one zone with 390 grids (漯河's exclusive grids), 10 departments,
5,000 firms and the problems, written as the library writes them (the Problem node with its figures, RAISED_FOR,
RAISED_IN, IN_ZONE, one or two DISPATCHED_TO) in batches. Statuses and dates are drawn with a fixed seed.

Rerun: ``.venv/bin/python bench/bench_problems.py [N]`` (N problems, default 100000; the stores are built under
``bench/.cache/`` once and reused).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._machine import machine, peak_mb
from chainmatch.access.auth import SYSTEM
from chainmatch.stores.base import GraphBatch, Node, Rel
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.workflows.assessment import assess
from chainmatch.workflows.problems import sweep

CACHE = Path(__file__).resolve().parent / ".cache"
YEAR = date(2025, 1, 1)
TODAY = date(2026, 1, 10)
GRIDS, DEPARTMENTS, FIRMS = 390, 10, 5_000


def build(path: Path, n: int, *, open_only: bool, overdue_share: float, seed: int = 18) -> Path:
    """A store of ``n`` problems; ``open_only``: every problem open (the sweep's case), ``overdue_share`` of them
    past their due date on TODAY; otherwise a year's mix of statuses."""
    if path.exists():
        return path
    work = path.with_suffix(".building")
    for f in path.parent.glob(work.name + "*"):
        f.unlink()
    rng = random.Random(seed)
    store = SQLiteStore.open(work)
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
    store.close()
    work.rename(path)
    return path


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


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    CACHE.mkdir(exist_ok=True)
    print(machine())
    year = build(CACHE / f"problems-year-{n}.db", n, open_only=False, overdue_share=0)
    store = SQLiteStore.open(year)
    result = assess(store, SYSTEM, start=YEAR, end=date(2025, 12, 31), today=TODAY)
    wall, cpu = timed(lambda: assess(store, SYSTEM, start=YEAR, end=date(2025, 12, 31), today=TODAY), 5)
    zwall, zcpu = timed(lambda: assess(store, SYSTEM, start=YEAR, end=date(2025, 12, 31), zone_id="BZ",
                                       today=TODAY), 3)
    store.close()
    print(f"assessment of {result.total.received:,} problems ({len(result.departments)} departments, "
          f"{len(result.grids)} grids, {len(result.chiefs)} chiefs): median {statistics.median(wall):.2f} s wall, "
          f"{statistics.median(cpu):.2f} s CPU; with zone_id: {statistics.median(zwall):.2f} s wall, "
          f"{statistics.median(zcpu):.2f} s CPU (target < 2 s; {_load()})")
    for share in (0.0, 0.05):
        src = build(CACHE / f"problems-open-{n}-{share}.db", n, open_only=True, overdue_share=share)
        SQLiteStore.open(src).close()  # a store built before problem_tally existed gets it once, here
        runs, cpus = [], []
        escalated = checked = 0
        for _ in range(3):  # each run on a fresh copy: a sweep changes what the next one finds
            copy = src.with_name(src.stem + ".run.db")
            shutil.copyfile(src, copy)
            store = SQLiteStore.open(copy)
            t0, c0 = time.perf_counter(), time.process_time()
            done = sweep(store, today=TODAY)
            runs.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            escalated, checked = len(done.escalated), done.checked
            store.close()
            copy.unlink()
        print(f"sweep of {checked:,} open problems, {escalated:,} escalated (overdue share {share:.0%}, those at "
              f"区级统筹 listed only): median {statistics.median(runs):.2f} s wall, {statistics.median(cpus):.2f} s "
              f"CPU (target < 1 s; {_load()})")
    print(f"peak memory {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
