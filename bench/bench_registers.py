"""Issue 15 benchmark: import a zone register (台账) of N firms as .xlsx and as GB18030 CSV.

Usage: .venv/bin/python bench/bench_registers.py [N=20000] [SEED=0]

Generates a synthetic zone of N firms (chainmatch.synth), loads it, exports its 企业名录 sheet with
``chainmatch export --format xlsx`` (timed: rows/s), writes the same rows as a GB18030 CSV, then imports each
into a fresh store holding the zone's grids and chains but no firm (new firms: the first import's path) and
the .xlsx again into the loaded store (every firm an update). Each import is split into reading the file,
checking (plan_import: headers, names, ids, duplicates, the loader's checks, classification) and the write.
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine, peak_mb

from chainmatch.knowledge.classify import ranked_candidates
from chainmatch.loader import load_folder, write_batch
from chainmatch.registers import plan_import, read_sheets
from chainmatch.registers.export import export_registers
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.synth import generate

_STRUCTURE = ("zones.csv", "grids.csv", "chains.csv", "segments.csv", "departments.csv")


def _import(store: SQLiteStore, path: Path, classify: object, what: str, n: int) -> None:
    t0 = time.perf_counter()
    read_sheets(path)
    read = time.perf_counter() - t0
    t1 = time.perf_counter()
    report, batch = plan_import(store, path, kind="enterprises", classify=classify)  # type: ignore[arg-type]
    plan = time.perf_counter() - t1
    assert batch is not None, [str(p) for p in report.errors[:5]]
    t2 = time.perf_counter()
    write_batch(store, batch, path.name)
    write = time.perf_counter() - t2
    total = plan + write
    print(f"{what}: {report.records:,} firms (new {report.new:,}, updated {report.updated:,}, classified "
          f"{report.classified:,}); reading the file {read:.1f}s ({n / read:,.0f} rows/s, also inside the check), "
          f"check {plan:.1f}s, write {write:.1f}s: {n / total:,.0f} firms/s; peak memory {peak_mb():.0f} MB")


def _copy_without(src: Path, dst: Path, column: str) -> None:
    """Copy a data file without one column (a chain's leaders are firms, which the fresh store lacks)."""
    with open(src, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    keep = [i for i, h in enumerate(rows[0]) if h != column]
    with open(dst, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([r[i] for i in keep] for r in rows)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    print(f"machine: {machine()}")
    classify = ranked_candidates
    if classify is not None:
        classify(["钢板"])  # the classifier's fit is paid once per process, not per import
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "zone", enterprises=n, seed=seed)
        loaded = SQLiteStore.open(root / "loaded.db")
        load_folder(loaded, root / "zone", classify=classify)
        xlsx = root / "企业名录.xlsx"
        t0 = time.perf_counter()
        export_registers(loaded, xlsx, what=["enterprises"])
        took = time.perf_counter() - t0
        print(f"export --format xlsx --what enterprises: {n:,} rows in {took:.1f}s ({n / took:,.0f} rows/s), "
              f"{xlsx.stat().st_size / 1e6:.1f} MB")
        (sheet,) = read_sheets(xlsx)
        gbk = root / "企业名录.csv"
        with open(gbk, "w", encoding="gb18030", errors="replace", newline="") as fh:
            csv.writer(fh).writerows(cells for _, cells in sheet.rows)
        for path, what in ((xlsx, "import .xlsx into a store without firms"),
                           (gbk, "import GB18030 .csv into a store without firms")):
            (root / "structure").mkdir(exist_ok=True)
            for name in _STRUCTURE:
                if (root / "zone" / name).exists():
                    _copy_without(root / "zone" / name, root / "structure" / name, "leader_ids")
            fresh = SQLiteStore.open(root / f"fresh-{path.suffix[1:]}.db")
            load_folder(fresh, root / "structure")
            _import(fresh, path, classify, what, n)
            fresh.close()
        _import(loaded, xlsx, classify, "import .xlsx again into the loaded store (updates)", n)
        loaded.close()


if __name__ == "__main__":
    main()
