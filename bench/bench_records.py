"""Issue 15 benchmark: one firm created or updated as a record (``POST /registers/enterprises/records``'s library
call, ``import_records``) in a store that already holds N firms.

Usage: .venv/bin/python bench/bench_records.py [--firms N=100000] [--rounds R=5] [--keep DIR]

The store is the synthetic zone of ``bench/_zone.py`` (built once under DIR with --keep, e.g. the other
benchmarks' folder), copied. The first call gives the stored firms their ``name_key`` (once: a store written
before the property existed); then R new firms and R updates of stored firms (matched by name, no id given) are
timed with the index lookups (统一社会信用代码, ``name_key``) and with the pass over every stored firm that large
registers use (``TARGETED_MAX = 0``), in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine
from _zone import zone_db

from chainmatch.access.auth import Principal
from chainmatch.registers import importing
from chainmatch.stores.sqlite import SQLiteStore

ADMIN = Principal("bench", "基准", "admin")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--firms", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "records.db"
        shutil.copyfile(zone_db(args.firms, args.keep or Path(tmp) / "zone"), db)
        store = SQLiteStore.open(db)
        zone = next(iter(store.scan("Zone"))).id
        in_zone = [e.node for e in store.edges("Zone", [zone], "IN_ZONE", "in", limit=1000)[zone]
                   if e.node.label == "Enterprise"][-2 * args.rounds:]
        t0 = time.perf_counter()
        keyed = importing.ensure_name_keys(store)
        backfill = time.perf_counter() - t0
        results: dict[str, list[float]] = {}
        for way, limit in (("index lookups", importing.TARGETED_MAX), ("pass over every firm", 0)):
            importing.TARGETED_MAX = limit
            for r in range(args.rounds):
                new = {"企业名称": f"基准记录食品机械{way[:2]}{r}有限公司", "主营产品": "杀菌设备", "行业代码": "3531",
                       "所属开发区": zone}
                t0 = time.perf_counter()
                report = importing.import_records(store, ADMIN, "enterprises", [new])
                results.setdefault(f"{way}: create", []).append(time.perf_counter() - t0)
                assert report.new == 1 and report.written
                firm = in_zone[r if way == "index lookups" else args.rounds + r]
                t0 = time.perf_counter()
                report = importing.import_records(store, ADMIN, "enterprises", [
                    {"企业名称": firm.props["name"], "产值（万元）": str(100 + r), "所属开发区": zone}])
                results.setdefault(f"{way}: update", []).append(time.perf_counter() - t0)
                assert report.updated == 1 and report.new == 0, (report.new, report.updated)
        store.close()
    print(f"machine: {machine()}; {args.firms:,} firms; name keys given to {keyed:,} stored firms in {backfill:.1f}s")
    for what, times in results.items():
        print(f"{what}: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
              f"({len(times)} records)")


if __name__ == "__main__":
    main()
