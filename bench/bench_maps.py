"""Issue 7 benchmark: every chain investment map of a zone of 100,000 firms and 20 chains, in at most 60 s.

Usage: .venv/bin/python bench/bench_maps.py [N=100000] [CHAINS=20] [MIN_SHARE=0.1] [WORKDIR]

``chainmatch.synth.generate`` writes at most one chain per template (9 templates), so the script generates one zone
with 9 chains and then splits each chain's firms between the chain and copies of it (食品（二）, 食品（三）...),
same segments and industries under new ids, until the zone has CHAINS chains; each copy gets a leader (the first
firm moved into the segment of the original's leader) and its industry party committee. The folder is loaded into
an embedded store once and kept in WORKDIR (default: a folder under the system temp dir) so reruns skip it.

Timed like ``chainmatch maps --zone Z001 --out DIR``: the match index built once, every map computed
(:func:`chainmatch.maps.build.zone_maps`), then written (HTML/SVG, JSON, XLSX per chain and the zone index).
Every category of the synthetic chains holds hundreds of firms, so with the default thresholds there is no gap
and no recruitment work; the benchmark calls a category weak below MIN_SHARE (default 10%) of its chain's local
output, which makes about half of them gaps, each with its ranked outside firms (the worst case).
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine, peak_mb

from chainmatch.knowledge.classify import ranked_candidates
from chainmatch.loader import install_industries, load_folder
from chainmatch.maps.build import Thresholds, zone_maps
from chainmatch.maps.render import write_maps
from chainmatch.matching.index import build_index
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.synth import CHAINS, generate

_NUMERALS = "一二三四五六七八九十"


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def extend_chains(folder: Path, zone: str, base: int, total: int) -> None:
    """Split the firms of the zone's ``base`` chains between them and copies, up to ``total`` chains."""
    copies: dict[int, list[int]] = defaultdict(list)  # base chain number → chain numbers (itself first)
    for k in range(1, total + 1):
        copies[(k - 1) % base + 1].append(k)
    ch_head, chains = _read(folder / "chains.csv")
    seg_head, segments = _read(folder / "segments.csv")
    po_head, pos = _read(folder / "party_organizations.csv")
    e_head, firms = _read(folder / "enterprises.csv")
    prefix = f"{zone}-C-"

    def renamed(value: str, old: int, new: int) -> str:
        if value == f"{prefix}{old}" or value.startswith(f"{prefix}{old}-"):
            return f"{prefix}{new}{value[len(prefix) + len(str(old)):]}"
        return value

    leader_seg: dict[int, str] = {}
    by_id = {r[0]: r for r in firms}
    for r in chains:
        num = int(r[0].rsplit("-", 1)[1])
        leader = r[ch_head.index("leader_ids")]
        if leader in by_id:
            leader_seg[num] = by_id[leader][e_head.index("segment_ids")]
    seg_col = e_head.index("segment_ids")
    new_leaders: dict[int, str] = {}
    first_moved: dict[int, str] = {}  # a leader for a copy whose original's leader segment got no firm
    count: dict[int, int] = defaultdict(int)
    for r in firms:
        sid = r[seg_col]
        if not sid.startswith(prefix):
            continue
        num = int(sid[len(prefix):].split("-", 1)[0])
        group = copies[num]
        target = group[count[num] % len(group)]  # firms dealt out in turn, in file order
        count[num] += 1
        if target != num:
            r[seg_col] = renamed(sid, num, target)
            if sid == leader_seg.get(num) and target not in new_leaders:
                new_leaders[target] = r[0]
            first_moved.setdefault(target, r[0])
    extra_chains, extra_segs, extra_pos = [], [], []
    for num, group in copies.items():
        original = next(r for r in chains if r[0] == f"{prefix}{num}")
        for n, target in enumerate(group[1:], 2):
            row = list(original)
            row[0] = f"{prefix}{target}"
            row[ch_head.index("name")] = f"{original[ch_head.index('name')]}（{_NUMERALS[n - 1]}）"
            row[ch_head.index("leader_ids")] = new_leaders.get(target) or first_moved.get(target, "")
            extra_chains.append(row)
            for s in segments:
                if s[seg_head.index("chain_id")] == original[0]:
                    s2 = [renamed(v, num, target) if i in (0, seg_head.index("chain_id"), seg_head.index("parent_id"))
                          else v for i, v in enumerate(s)]
                    extra_segs.append(s2)
            for p in pos:
                if p[po_head.index("chain_ids")] == original[0]:
                    p2 = list(p)
                    p2[0] = f"{p[0]}-{target}"
                    p2[po_head.index("name")] = f"{p[po_head.index('name')]}（{_NUMERALS[n - 1]}）"
                    p2[po_head.index("chain_ids")] = f"{prefix}{target}"
                    extra_pos.append(p2)
    _write(folder / "chains.csv", ch_head, chains + extra_chains)
    _write(folder / "segments.csv", seg_head, segments + extra_segs)
    _write(folder / "party_organizations.csv", po_head, pos + extra_pos)
    _write(folder / "enterprises.csv", e_head, firms)


def prepare(workdir: Path, n: int, chains: int) -> Path:
    db = workdir / f"maps-{n}-{chains}.db"
    if db.exists():
        return db
    folder = workdir / "zone"
    shutil.rmtree(folder, ignore_errors=True)
    base = min(chains, len(CHAINS))
    t = time.perf_counter()
    generate(folder, enterprises=n, zones=1, chains_per_zone=base, seed=0)
    if chains > base:
        extend_chains(folder, "Z001", base, chains)
    store = SQLiteStore.open(workdir / "loading.db")
    install_industries(store)
    load_folder(store, folder, classify=ranked_candidates)
    store.close()
    (workdir / "loading.db").rename(db)
    print(f"prepared {db} in {time.perf_counter() - t:.0f}s (generate + load, not part of the timing)")
    return db


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    chains = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    min_share = float(sys.argv[3]) if len(sys.argv) > 3 else 0.1
    workdir = Path(sys.argv[4]) if len(sys.argv) > 4 else Path(tempfile.gettempdir()) / "chainmatch-bench-maps"
    workdir.mkdir(parents=True, exist_ok=True)
    db = prepare(workdir, n, chains)
    out = workdir / "maps"
    shutil.rmtree(out, ignore_errors=True)
    store = SQLiteStore.open(db)
    t0 = time.perf_counter()
    index = build_index(store)
    t1 = time.perf_counter()
    result = zone_maps(store, index, "Z001", thresholds=Thresholds(min_output_share=min_share))
    t2 = time.perf_counter()
    written = write_maps(result, out)
    t3 = time.perf_counter()
    store.close()
    size = sum(p.stat().st_size for p in written.files) / 1e6
    firms = sum(m.strength.firms for m in result.maps)
    print(f"machine: {machine()}")
    print(f"{n:,} enterprises, {result.chains} chains ({firms:,} firm places on the maps), "
          f"{result.gaps} gaps (categories below {min_share:.0%} of their chain's output), "
          f"{result.targets} targets named, {len(result.notes)} notes")
    print(f"index build {t1 - t0:.1f}s; maps {t2 - t1:.1f}s; write {t3 - t2:.1f}s "
          f"({len(written.files)} files, {size:.0f} MB); total {t3 - t0:.1f}s (target <= 60 s); "
          f"peak memory {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
