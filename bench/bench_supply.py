"""Benchmark of the supply-link knowledge (issue 3): load time and suppliers_of / buyers_of latency.

Run from the repository root: ``.venv/bin/python bench/bench_supply.py [runs]`` (runs of the cold load, default 5).

Measures
- cold load: a fresh interpreter imports ``chainmatch.knowledge.supply`` and calls ``load_supply_knowledge()`` (reads the
  five data files and the GB/T catalogue, builds the indexes); median and max over ``runs`` processes;
- ``supply_graph()`` build time;
- warm query latency for every GB/T 4754-2017 code (门类 … 小类), both directions, ``top=20``;
- text query latency (classification + lookup) for a few product names, after the classifier has been fitted
  once (its fit time is reported separately: it belongs to ``chainmatch.knowledge.classify``).
"""

from __future__ import annotations

import os

# One core: BLAS and OpenMP pools must be fixed before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEXTS = ["焦炭", "高压灭菌设备", "液压油缸", "肉制品", "皮鞋", "锂电池", "生丝", "啤酒", "鞋底", "合成橡胶"]

COLD = """
import time
t0 = time.perf_counter()
from chainmatch.knowledge.supply import load_supply_knowledge
t1 = time.perf_counter()
k = load_supply_knowledge()
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, len(k.edges))
"""


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(runs: int = 5) -> None:
    print(f"machine: nproc={os.cpu_count()}, CPU {cpu_model()}, Python {platform.python_version()}")

    imports, loads = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", COLD], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
        imports.append(float(out[0]))
        loads.append(float(out[1]))
        edges = int(out[2])
    print(
        f"cold load_supply_knowledge(): median {ms(statistics.median(loads))}, max {ms(max(loads))} "
        f"({edges} links; import of chainmatch.knowledge.supply median {ms(statistics.median(imports))}; {runs} processes)"
    )

    from chainmatch.knowledge.industries import load_industries
    from chainmatch.knowledge.supply import buyers_of, load_supply_knowledge, suppliers_of, supply_graph

    knowledge = load_supply_knowledge()
    t = time.perf_counter()
    G = supply_graph(knowledge)
    print(
        f"supply_graph(): {ms(time.perf_counter() - t)} ({G.number_of_nodes()} nodes, {G.number_of_edges()} edges)"
    )

    codes = [i.code for i in load_industries()]
    for name, fn in (("suppliers_of", suppliers_of), ("buyers_of", buyers_of)):
        times = []
        for code in codes:
            t = time.perf_counter()
            fn(code, top=20, knowledge=knowledge)
            times.append(time.perf_counter() - t)
        print(
            f"{name}(code) over all {len(codes)} GB/T codes: median {ms(statistics.median(times))}, "
            f"p95 {ms(percentile(times, 0.95))}, max {ms(max(times))}"
        )

    from chainmatch.knowledge.classify import default_classifier

    t = time.perf_counter()
    default_classifier()
    print(f"classifier fit (chainmatch.knowledge.classify, once per process): {ms(time.perf_counter() - t)}")
    times = []
    for text in TEXTS:
        t = time.perf_counter()
        buyers_of(text, top=20, knowledge=knowledge)
        times.append(time.perf_counter() - t)
    print(
        f"buyers_of(text) over {len(TEXTS)} product names: median {ms(statistics.median(times))}, "
        f"max {ms(max(times))}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
