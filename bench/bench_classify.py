"""Benchmark of the classifier: 100,000 product strings on one core, knowledge load time, peak memory.

Run from the repository root: ``.venv/bin/python bench/bench_classify.py [n]`` (n defaults to 100000).
The strings are generated deterministically (seed 4754) from the labelled set and the synonym file, with the
variations registries show: brand or place prefixes, activity and spec suffixes, full-width characters, spaces
and punctuation.
"""

from __future__ import annotations

import os

# One core: BLAS and OpenMP pools must be fixed before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import csv
import platform
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PREFIXES = ["", "", "", "漯河", "泉州", "六枝", "嘉陵", "成都", "优质", "新型", "高端", "进口", "国产", "定制", "批发"]
SUFFIXES = ["", "", "", "生产", "加工", "销售", "制造", "及配件", "系列", "（出口型）", " 型号A-200", "等产品", "、技术服务"]


def to_full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def make_strings(n: int, seed: int = 4754) -> list[str]:
    """``n`` product strings built from the labelled texts and the synonyms, reproducibly."""
    from chainmatch.knowledge.classify import read_synonyms

    with (ROOT / "tests" / "data" / "labelled_products.csv").open(encoding="utf-8", newline="") as f:
        base = [row["text"] for row in csv.DictReader(f)]
    base += [synonym for _, synonym in read_synonyms()]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = rng.choice(PREFIXES) + rng.choice(base) + rng.choice(SUFFIXES)
        if rng.random() < 0.1:
            text = to_full_width(text)
        if rng.random() < 0.1:
            text = " " + text.replace("", " ")[1:-1] + "。"
        out.append(text)
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    start = time.perf_counter()
    from chainmatch.knowledge.classify import classify_many, default_classifier

    import_s = time.perf_counter() - start
    start = time.perf_counter()
    clf = default_classifier()
    fit_s = time.perf_counter() - start
    texts = make_strings(n)
    classify_many(texts[:1000], classifier=clf)  # warm-up: first-call allocations are not throughput
    start = time.perf_counter()
    results = classify_many(texts, top=5, classifier=clf)
    run_s = time.perf_counter() - start
    refused = sum(1 for r in results if not r.candidates)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {os.cpu_count()} CPUs ({cpu_model()}), pinned to 1 core; Python {platform.python_version()}")
    print(f"import chainmatch.knowledge.classify (numpy, scikit-learn): {import_s:.2f} s")
    print(f"knowledge load + fit (default_classifier, {len(clf.doc_texts_)} documents, "
          f"{len(clf.classes_)} classes): {fit_s:.2f} s")
    print(f"classify_many, top=5: {n} strings in {run_s:.2f} s = {n / run_s:,.0f} strings/s; "
          f"{refused} refused as meaningless")
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
