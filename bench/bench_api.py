"""Issue 5 benchmark: the HTTP service under concurrent load, measured with wrk (Debian package `wrk`).

Usage: .venv/bin/python bench/bench_api.py [N=100000] [SECONDS=30] [CONNECTIONS=50]

Generates and loads a synthetic zone of N firms into a temporary embedded store, creates a staff token, starts
`chainmatch serve` (uvicorn, one process) on 127.0.0.1, then drives two endpoints with wrk for SECONDS each, with
CONNECTIONS concurrent clients and firms drawn at random: a firm's top-20 buyer recommendations, and a grid chief's
neighbour lookup (`/enterprises/{id}/neighbours`). Prints wrk's latency distribution (p50/p90/p99) and throughput.
Traffic goes to 127.0.0.1 only; every run is bounded in time.
"""

from __future__ import annotations

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

from chainmatch.auth import create_token
from chainmatch.cli import _default_classify
from chainmatch.loader import install_industries, load_folder
from chainmatch.sqlite_store import SQLiteStore
from chainmatch.synth import generate

LUA = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
math.randomseed(%(seed)d)
request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", string.format("%(path)s", id), {["Authorization"] = "Bearer %(secret)s"})
end
"""


def wrk(url: str, script: Path, seconds: int, connections: int) -> str:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout
    return out


def summary(text: str) -> str:
    pct = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", text, re.MULTILINE))
    rps = re.search(r"Requests/sec:\s+(\S+)", text)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return (f"p50 {pct.get('50')}, p90 {pct.get('90')}, p99 {pct.get('99')}, {rps.group(1) if rps else '?'} req/s, "
            f"non-2xx {errors.group(1) if errors else 0}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    connections = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "zone", enterprises=n, zones=max(1, n // 250_000), seed=0)
        db = root / "bench.db"
        store = SQLiteStore.open(db)
        install_industries(store)
        load_folder(store, root / "zone", classify=_default_classify())
        secret = create_token(store, role="staff", name="bench").secret
        rng = random.Random(0)
        ids = [node.id for node in store.scan("Enterprise")]
        (root / "ids.txt").write_text("\n".join(rng.sample(ids, min(5000, len(ids)))) + "\n", encoding="utf-8")
        store.close()
        port = 18765
        env = {**os.environ, "CHAINMATCH_DB": str(db), "CHAINMATCH_MODEL_PATH": str(root / "model.json")}
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "chainmatch"), "serve", "--no-demo", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            start, base = time.perf_counter(), f"http://127.0.0.1:{port}"
            while True:
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=5).read()
                    break
                except OSError:
                    if server.poll() is not None or time.perf_counter() - start > 900:
                        sys.exit("the service did not start")
                    time.sleep(1)
            startup = time.perf_counter() - start
            results = {}
            for name, path in [("recommendations", "/enterprises/%s/recommendations?direction=buyers&top=20"),
                               ("neighbours", "/enterprises/%s/neighbours?depth=1&limit=50")]:
                script = root / f"{name}.lua"
                script.write_text(LUA % {"ids": root / "ids.txt", "seed": 1, "path": path, "secret": secret})
                results[name] = wrk(base, script, seconds, connections)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"machine: {machine()}; {n:,} firms; service start-up (index build) {startup:.0f}s; "
          f"wrk {connections} connections, {seconds}s per endpoint, uvicorn one process")
    for name, text in results.items():
        print(f"{name}: {summary(text)}")


if __name__ == "__main__":
    main()
