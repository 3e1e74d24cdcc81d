"""Page render times at scale: p50/p99 of the main pages (企业档案, 推荐, 工作台, 需求, 项目) on a synthetic zone.

Usage::

    .venv/bin/python -m bench.bench_pages --firms 100000 [--keep DIR] [--n 200] [--pages firm,recommend,...]

``--pages`` picks the pages (names below: firm, recommend, workbench, needs, projects; all by default). For each,
the first request after start (nothing warmed by an earlier request) is timed alone, then five warm-up
requests, then ``--n`` timed ones: p50/p99 of wall time and of this process' CPU time (the app runs in this
process, so CPU covers its threads), and the median HTML size.

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

from bench._machine import load, machine, peak_mb
from bench._zone import zone_db

PAGES = {
    "firm": "企业档案 /pages/firms/{id}",
    "recommend": "推荐 /pages/recommend (buyers, top 10)",
    "workbench": "工作台 /",
    "needs": "需求清单 /pages/needs",
    "projects": "项目清单 /pages/projects",
}


def _p(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--firms", type=int, default=100_000)
    ap.add_argument("--keep", type=Path, default=None, help="folder of built zones kept between runs")
    ap.add_argument("--n", type=int, default=200, help="requests per page")
    ap.add_argument("--pages", default=",".join(PAGES), help=f"comma-separated, of: {', '.join(PAGES)}")
    args = ap.parse_args()
    chosen = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PAGES]
    if unknown:
        ap.error(f"unknown page(s) {', '.join(unknown)}; choose from {', '.join(PAGES)}")

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
            urls = {
                "firm": lambda: f"/pages/firms/{rng.choice(firms)}",
                "recommend": lambda: f"/pages/recommend?firm={rng.choice(firms)}&direction=buyers",
                "workbench": lambda: "/",
                "needs": lambda: "/pages/needs",
                "projects": lambda: "/pages/projects",
            }
            print(f"# bench_pages: {args.firms:,} firms, {args.n} requests per page, {machine()}, {load()}")
            print(f"app start (match index) {start:.1f} s")
            print("| page | first ms | p50 ms | p99 ms | max ms | CPU p50 ms | CPU p99 ms | HTML KB (median) |")
            print("| --- | --- | --- | --- | --- | --- | --- | --- |")
            for name in chosen:
                url = urls[name]
                t = time.perf_counter()
                r = c.get(url())
                first = (time.perf_counter() - t) * 1000
                assert r.status_code == 200, (name, r.status_code, r.text[:300])
                for _ in range(5):  # warm-up
                    c.get(url())
                times, cpu, sizes = [], [], []
                for _ in range(args.n):
                    u = url()
                    t, p = time.perf_counter(), time.process_time()
                    r = c.get(u)
                    times.append((time.perf_counter() - t) * 1000)
                    cpu.append((time.process_time() - p) * 1000)
                    assert r.status_code == 200, (u, r.status_code, r.text[:300])
                    sizes.append(len(r.content))
                print(f"| {PAGES[name]} | {first:.1f} | {_p(times, 0.5):.1f} | {_p(times, 0.99):.1f} | {max(times):.1f} | "
                      f"{_p(cpu, 0.5):.1f} | {_p(cpu, 0.99):.1f} | {statistics.median(sizes) / 1024:.1f} |", flush=True)
            print(load())
        print(f"peak RSS {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
