"""Issue 15 benchmark: how long after a write a new firm gets recommendations from the running service.

Usage: .venv/bin/python bench/bench_live.py [N=0] [REPEAT=5]

Serves the demo data (N=0) or a synthetic zone of N firms through the ASGI app in this process, then REPEAT
times: creates a new firm with ``POST /registers/enterprises/records`` and polls its recommendations every 50 ms
until they answer 200. The delay is the write's own time plus the background rebuild of the match index (the
service rebuilds it whole, in a thread, and swaps it in). Not measured under other load.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _machine import machine, peak_mb
from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch.access.auth import create_token
from chainmatch.knowledge.classify import ranked_candidates
from chainmatch.loader import load_folder, uscc_check_digit
from chainmatch.settings import DEFAULT_DEMO_DIR, Settings
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.synth import generate


def _uscc(n: int) -> str:
    body = f"91411100MB{n:07d}"
    return body + uscc_check_digit(body)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = DEFAULT_DEMO_DIR
        if n:
            folder = Path(tmp) / "zone"
            generate(folder, enterprises=n, seed=0)
        db = Path(tmp) / "live.db"
        store = SQLiteStore.open(db)
        load_folder(store, folder, classify=ranked_candidates)
        zone = next(iter(store.scan("Zone"))).id
        secret = create_token(store, role="admin", name="bench").secret
        store.close()
        headers = {"Authorization": f"Bearer {secret}"}
        delays, writes = [], []
        with TestClient(create_app(Settings(db=db, model_path=Path(tmp) / "m.json"))) as client:
            for i in range(repeat):
                firm = {"企业名称": f"基准测试食品机械{i}有限公司", "统一社会信用代码": _uscc(i), "主营产品": "杀菌设备",
                        "行业代码": "3531", "所属开发区": zone}
                t0 = time.perf_counter()
                r = client.post("/registers/enterprises/records", json={"records": [firm]}, headers=headers)
                assert r.status_code == 200, r.text
                writes.append(time.perf_counter() - t0)
                url = f"/enterprises/{_uscc(i)}/recommendations"
                while client.get(url, headers=headers).status_code != 200:
                    time.sleep(0.05)
                delays.append(time.perf_counter() - t0)
                time.sleep(0.5)
    print(f"{'demo' if not n else f'{n:,} synthetic'} firms: write {statistics.median(writes):.2f}s (median), "
          f"write to recommendations: median {statistics.median(delays):.2f}s, max {max(delays):.2f}s over "
          f"{repeat} new firms; peak memory {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
