"""Issue 4 benchmark: top-20 buyers with explanations, in process, on a synthetic zone of N enterprises.

Usage: .venv/bin/python bench/bench_recommend.py [N=100000] [QUERIES=500] [SEED=0] [--keep DIR]

Generates and loads the zone (like bench_load.py), builds the match index once (timed, with peak
memory), then asks for the top 20 buyers of QUERIES firms drawn at random (seeded) and reports
p50/p95/p99 latency on one core. The first query per code warms the knowledge caches; all are counted.
With --keep DIR the loaded store is kept in (and reused from) DIR, like bench_api.py (the 1,000,000-firm load
takes minutes); load time is then not measured.
"""

from __future__ import annotations

import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _machine import machine, peak_mb
from _zone import zone_db

from chainmatch.knowledge.classify import ranked_candidates
from chainmatch.loader import install_industries, load_folder
from chainmatch.matching.index import build_index
from chainmatch.matching.ranking import recommend, warm
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.synth import generate


def main() -> None:
    args = sys.argv[1:]
    keep = None
    if "--keep" in args:
        at = args.index("--keep")
        keep = Path(args[at + 1])
        del args[at:at + 2]
    n = int(args[0]) if len(args) > 0 else 100_000
    queries = int(args[1]) if len(args) > 1 else 500
    seed = int(args[2]) if len(args) > 2 else 0
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory() as tmp:
        load_s = math.nan
        if keep is not None:
            store = SQLiteStore.open(zone_db(n, keep, seed=seed))
        else:
            folder = Path(tmp) / "zone"
            generate(folder, enterprises=n, zones=max(1, n // 250_000), seed=seed)
            store = SQLiteStore.open(Path(tmp) / "bench.db")
            install_industries(store)
            t0 = time.perf_counter()
            load_folder(store, folder, classify=ranked_candidates)
            load_s = time.perf_counter() - t0
        before = peak_mb()
        t1 = time.perf_counter()
        index = build_index(store)
        warm(index)  # as the service does at start-up: chain knowledge per code, text measure, product chains
        build_s = time.perf_counter() - t1
        store.close()
    rng = random.Random(seed)
    picks = [rng.randrange(index.n) for _ in range(queries)]
    times, empty = [], 0
    for i in picks:
        t = time.perf_counter()
        result = recommend(index, index.ids[i], direction="buyers", top=20)
        times.append((time.perf_counter() - t) * 1000)
        empty += not result.items
    ms = np.array(times)
    print(f"machine: {machine()} (pinned to one core)")
    print(f"{n:,} enterprises: load {'kept store' if keep else f'{load_s:.0f}s'}; index build {build_s:.1f}s, peak memory {peak_mb():.0f} MB "
          f"(before index {before:.0f} MB)")
    print(f"top-20 buyers with explanations, {queries} queries: p50 {np.percentile(ms, 50):.1f} ms, "
          f"p95 {np.percentile(ms, 95):.1f} ms, p99 {np.percentile(ms, 99):.1f} ms, max {ms.max():.1f} ms; "
          f"{empty} empty lists")


if __name__ == "__main__":
    main()
