"""A loaded synthetic zone for the benchmarks, kept between runs when asked to.

``zone_db(n, folder)`` returns the path of an embedded store holding ``chainmatch.synth.generate(seed)``'s
zone of ``n`` firms, loaded with the default classifier. The store is built once per (n, seed) under
``folder`` and reused by later runs (a 1,000,000-firm store takes about ten minutes to build).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path


def zone_db(n: int, folder: Path, *, seed: int = 0) -> Path:
    """The embedded store of the synthetic zone with ``n`` firms, built under ``folder`` if it is not there."""
    from chainmatch.knowledge.classify import ranked_candidates
    from chainmatch.loader import install_industries, load_folder
    from chainmatch.stores.sqlite import SQLiteStore
    from chainmatch.synth import generate

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"zone-{n}-seed{seed}.db"
    if db.exists():
        return db
    work = folder / f"zone-{n}-seed{seed}.building"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    t0 = time.perf_counter()
    generate(work / "csv", enterprises=n, zones=max(1, n // 250_000), seed=seed)
    store = SQLiteStore.open(work / "zone.db")
    install_industries(store)
    load_folder(store, work / "csv", classify=ranked_candidates)
    store.close()
    (work / "zone.db").rename(db)  # only a complete store gets the final name
    shutil.rmtree(work, ignore_errors=True)
    print(f"built {db} in {time.perf_counter() - t0:.0f}s")
    return db
