"""Issue 5 benchmark: the HTTP service under concurrent load, measured with wrk (Debian package `wrk`).

Usage: .venv/bin/python bench/bench_api.py [--firms N] [--seconds S] [--connections C] [--workers W] [--keep DIR]
       [--think MS]

Loads a synthetic zone of N firms (``chainmatch.synth.generate(seed=0)``) into an embedded store (kept in DIR
for later runs when --keep is given: a 1,000,000-firm store takes about six minutes to build), creates a staff
token and a grid chief's token for one top-level grid, starts `chainmatch serve` (uvicorn, W worker processes,
no access log) on 127.0.0.1, then drives it with wrk for S seconds per endpoint with C concurrent connections:

- a firm's top-20 buyer recommendations (staff token, firms drawn at random from *all* firms);
- a grid chief's neighbour lookup `/enterprises/{id}/neighbours` (the chief's token, firms of the chief's grids).

With --think MS each client pauses (exponentially distributed, mean MS) between its requests, like people at work;
without it every client sends its next request at once, which measures the service saturated.

Prints wrk's latency distribution (p50/p90/p99), throughput and non-2xx answers. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine
from _zone import zone_db

from chainmatch.access.auth import create_token, expand_grids
from chainmatch.stores.sqlite import SQLiteStore

LUA = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
math.randomseed(%(seed)d)
request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", string.format("%(path)s", id), {["Authorization"] = "Bearer %(secret)s"})
end
%(think)s
"""
THINK = """
delay = function()  -- a client's pause before its next request: exponential, mean %(ms)d ms
  return math.floor(-math.log(1 - math.random()) * %(ms)d)
end
"""


def wrk(url: str, script: Path, seconds: int, connections: int) -> str:
    return subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout


def summary(text: str) -> str:
    pct = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", text, re.MULTILINE))
    rps = re.search(r"Requests/sec:\s+(\S+)", text)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    timeouts = re.search(r"timeout (\d+)", text)
    return (f"p50 {pct.get('50')}, p90 {pct.get('90')}, p99 {pct.get('99')}, {rps.group(1) if rps else '?'} req/s, "
            f"non-2xx {errors.group(1) if errors else 0}, timeouts {timeouts.group(1) if timeouts else 0}")


def tokens_and_ids(db: Path, work: Path) -> tuple[str, str, str, int]:
    """A staff token, a grid chief's token for the top-level grid with the most firms, and the id files."""
    store = SQLiteStore.open(db)
    try:
        staff = create_token(store, role="staff", name="bench staff").secret
        firms = [node.id for node in store.scan("Enterprise")]
        (work / "all.txt").write_text("\n".join(firms) + "\n", encoding="utf-8")
        tops = [g.id for g in store.scan("Grid") if str(g.props.get("level")) == "1"]
        rng = random.Random(0)
        best: tuple[int, str, list[str]] = (0, "", [])
        for top in rng.sample(tops, min(20, len(tops))):
            grids = sorted(expand_grids(store, [top]))
            inside = [e.node.id for es in store.edges("Grid", grids, "IN_GRID", "in", limit=1_000_000).values()
                      for e in es]
            if len(inside) > best[0]:
                best = (len(inside), top, inside)
        _, top, inside = best
        chief = create_token(store, role="grid_chief", name="bench 网格长", grids=[top]).secret
        (work / "grid.txt").write_text("\n".join(inside) + "\n", encoding="utf-8")
        return staff, chief, top, len(inside)
    finally:
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--firms", type=int, default=100_000)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", type=Path, help="folder that keeps the loaded store between runs")
    ap.add_argument("--think", type=int, default=0,
                    help="mean pause in ms between one client's requests (0: each client sends its next request at "
                         "once, which saturates the service)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        kept = zone_db(args.firms, args.keep or work / "zone")
        db = work / "bench.db"
        shutil.copyfile(kept, db)  # tokens go into a copy: the kept store stays as generated
        staff, chief, grid, in_grid = tokens_and_ids(db, work)
        port = 18765
        env = {**os.environ, "CHAINMATCH_DB": str(db), "CHAINMATCH_MODEL_PATH": str(work / "model.json"),
               "CHAINMATCH_ACCESS_LOG": "false"}
        log = (work / "serve.log").open("w")
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "chainmatch"), "serve", "--no-demo", "--port", str(port),
             "--workers", str(args.workers)], env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            start, base = time.perf_counter(), f"http://127.0.0.1:{port}"
            # Every worker says so once its match index is built.
            while (work / "serve.log").read_text().count("Application startup complete") < args.workers:
                if server.poll() is not None or time.perf_counter() - start > 1800:
                    sys.exit("the service did not start:\n" + (work / "serve.log").read_text()[-2000:])
                time.sleep(1)
            urllib.request.urlopen(f"{base}/openapi.json", timeout=30).read()
            startup = time.perf_counter() - start
            results = {}
            for name, path, secret, ids in [
                ("recommendations (staff, top 20 buyers)", "/enterprises/%s/recommendations?direction=buyers&top=20",
                 staff, "all.txt"),
                ("neighbours (grid chief, depth 1, 50 per page)", "/enterprises/%s/neighbours?depth=1&limit=50",
                 chief, "grid.txt"),
            ]:
                script = work / f"{len(results)}.lua"
                think = THINK % {"ms": args.think} if args.think else ""
                script.write_text(LUA % {"ids": work / ids, "seed": 1, "path": path, "secret": secret, "think": think})
                results[name] = wrk(base, script, args.seconds, args.connections)
        finally:
            server.terminate()
            server.wait(timeout=60)
    print(f"machine: {machine()}; {args.firms:,} firms; service start-up (index build) {startup:.0f}s; "
          f"uvicorn {args.workers} worker(s), wrk 2 threads, {args.connections} connections, {args.seconds}s per "
          f"endpoint, think time {args.think} ms; grid chief of {grid} ({in_grid:,} firms in it and below)")
    for name, text in results.items():
        print(f"{name}: {summary(text)}")


if __name__ == "__main__":
    main()
