"""Page render times at scale: p50/p99 of the main pages (企业档案, 推荐, 工作台, 需求, 项目) on a synthetic zone.

Usage::

    .venv/bin/python -m bench.bench_pages --firms 100000 [--keep DIR] [--n 200]

The pages are requested through the ASGI app in this process (routing, session check, library calls, Jinja2
rendering; no network), logged in as a global admin, on a copy of the zone's store. The target (issue 16): p99 under
100 ms for a firm profile and a recommendation page at 100,000 firms. HTML sizes are reported.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench._machine import machine, peak_mb
from bench._zone import zone_db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--firms", type=int, default=100_000)
    ap.add_argument("--keep", type=Path, default=None, help="folder of built zones kept between runs")
    ap.add_argument("--n", type=int, default=200, help="requests per page")
    args = ap.parse_args()

    from fastapi.testclient import TestClient

    from api.main import create_app
    from chainmatch.access import accounts
    from chainmatch.settings import Settings
    from chainmatch.stores.sqlite import SQLiteStore

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        kept = zone_db(args.firms, args.keep or work / "zone")
        db = work / "pages.db"
        shutil.copyfile(kept, db)
        store = SQLiteStore.open(db)
        firms = [n.id for n in store.find("Enterprise", limit=5000)]
        accounts.create_account(store, "bench", "bench password 1", role="admin", name="压测")
        store.close()
        rng = random.Random(0)
        settings = Settings(db=db, model_path=work / "m.json", access_log=False, load_demo=False)
        t0 = time.perf_counter()
        with TestClient(create_app(settings), follow_redirects=False) as c:
            start = time.perf_counter() - t0
            page = c.get("/login")
            token = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert token
            r = c.post("/login", data={"username": "bench", "password": "bench password 1", "csrf": token.group(1)})
            assert r.status_code == 303, r.text[:300]
            pages = {
                "企业档案 /pages/firms/{id}": lambda: f"/pages/firms/{rng.choice(firms)}",
                "推荐 /pages/recommend (buyers, top 10)": lambda: f"/pages/recommend?firm={rng.choice(firms)}&direction=buyers",
                "工作台 /": lambda: "/",
                "需求 /pages/needs": lambda: "/pages/needs",
                "项目 /pages/projects": lambda: "/pages/projects",
            }
            print(f"# bench_pages: {args.firms:,} firms, {args.n} requests per page, {machine()}")
            print(f"app start (match index) {start:.1f} s")
            print("| page | p50 ms | p99 ms | max ms | HTML KB (median) |")
            print("| --- | --- | --- | --- | --- |")
            for name, url in pages.items():
                for _ in range(5):  # warm-up
                    c.get(url())
                times, sizes = [], []
                for _ in range(args.n):
                    u = url()
                    t = time.perf_counter()
                    r = c.get(u)
                    times.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200, (u, r.status_code, r.text[:300])
                    sizes.append(len(r.content))
                times.sort()
                p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
                print(f"| {name} | {statistics.median(times):.1f} | {p99:.1f} | {times[-1]:.1f} | "
                      f"{statistics.median(sizes) / 1024:.1f} |")
        print(f"peak RSS {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
