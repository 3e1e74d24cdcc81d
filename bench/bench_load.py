"""Issue 2 benchmark: load a synthetic zone of N enterprises into a fresh embedded store.

Usage: .venv/bin/python bench/bench_load.py [N=100000] [SEED=0]

Generates the folder with chainmatch.synth (deterministic by seed), then times `load_folder` in a fresh
process-level store (classification of firms without a code included), and reports enterprises/s,
rows/s and peak memory of the loading process.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine, peak_mb

from chainmatch.knowledge.classify import ranked_candidates
from chainmatch.loader import install_industries, load_folder
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.synth import generate


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "zone"
        t0 = time.perf_counter()
        summary = generate(folder, enterprises=n, seed=seed)
        gen = time.perf_counter() - t0
        store = SQLiteStore.open(Path(tmp) / "bench.db")
        install_industries(store)
        classify = ranked_candidates
        if classify is not None:
            classify(["钢板"])  # fit the classifier before timing: it is paid once per process
        before = peak_mb()
        t1 = time.perf_counter()
        result = load_folder(store, folder, classify=classify)
        took = time.perf_counter() - t1
        store.close()
        size = (Path(tmp) / "bench.db").stat().st_size / 1e6
    rows = result.nodes + result.rels
    print(f"machine: {machine()}")
    print(f"generated {n} enterprises in {gen:.1f}s: {summary}")
    print(f"load: {took:.1f}s, {n / took:,.0f} enterprises/s, {rows:,} rows ({rows / took:,.0f} rows/s), "
          f"{result.classified} firms classified, peak memory {peak_mb():.0f} MB (before load {before:.0f} MB), "
          f"database {size:.0f} MB")


if __name__ == "__main__":
    main()
