"""Issue 15 benchmark: the delay from a write to its visibility in recommendations, under request load.

Usage: .venv/bin/python bench/bench_live_load.py [--firms N] [--writes W] [--workers K] [--clients C] [--think MS]
       [--keep DIR]

Starts `chainmatch serve --workers K` on a synthetic zone of N firms (``bench/_zone.py``; kept in DIR with --keep),
then C client threads ask for recommendations of random firms, each pausing about MS ms (exponential) between
requests. Meanwhile W times: a new firm is created with ``POST /registers/enterprises/records`` and its
recommendations are polled every 50 ms on new connections (so the kernel spreads them over the workers) until
10 polls in a row answer 200: then every worker has rebuilt its index. Reports the write's time, the delay to
visibility (median, max) and the load's latency (p50/p99) and errors during the run. 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine
from _zone import zone_db

from chainmatch.access.auth import create_token
from chainmatch.loader import uscc_check_digit
from chainmatch.registers.importing import ensure_name_keys
from chainmatch.stores.sqlite import SQLiteStore


def _uscc(n: int) -> str:
    body = f"91411100MC{n:07d}"
    return body + uscc_check_digit(body)


def _get(port: int, path: str, secret: str, conn: http.client.HTTPConnection | None = None) -> int:
    own = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        own.request("GET", path, headers={"Authorization": f"Bearer {secret}"})
        response = own.getresponse()
        response.read()
        return response.status
    finally:
        if conn is None:
            own.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--firms", type=int, default=20_000)
    ap.add_argument("--writes", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--think", type=int, default=500, help="mean pause in ms between one client's requests")
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = work / "live.db"
        shutil.copyfile(zone_db(args.firms, args.keep or work / "zone"), db)
        store = SQLiteStore.open(db)
        zone = next(iter(store.scan("Zone"))).id
        firms = [node.id for node in store.scan("Enterprise")]
        secret = create_token(store, role="admin", name="bench").secret
        keyed = ensure_name_keys(store)  # a store built before name_key: the one-off keys, not timed below
        store.close()
        port = 18766
        env = {**os.environ, "CHAINMATCH_DB": str(db), "CHAINMATCH_MODEL_PATH": str(work / "model.json"),
               "CHAINMATCH_ACCESS_LOG": "false"}
        log = (work / "serve.log").open("w")
        server = subprocess.Popen([str(Path(sys.executable).parent / "chainmatch"), "serve", "--no-demo", "--port",
                                   str(port), "--workers", str(args.workers)], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        stop = threading.Event()
        latencies: list[float] = []
        errors = [0]

        def client(seed: int) -> None:
            rng = random.Random(seed)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while not stop.is_set():
                path = f"/enterprises/{rng.choice(firms)}/recommendations?direction=buyers&top=20"
                t0 = time.perf_counter()
                try:
                    status = _get(port, path, secret, conn)
                except OSError:
                    status = 0
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                latencies.append(time.perf_counter() - t0)
                errors[0] += status != 200
                stop.wait(rng.expovariate(1000.0 / args.think) if args.think else 0)

        try:
            start = time.perf_counter()
            while (work / "serve.log").read_text().count("Application startup complete") < args.workers:
                if server.poll() is not None or time.perf_counter() - start > 1800:
                    sys.exit("the service did not start:\n" + (work / "serve.log").read_text()[-2000:])
                time.sleep(0.5)
            threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
            for t in threads:
                t.start()
            time.sleep(3)
            writes, delays = [], []
            for i in range(args.writes):
                firm = {"企业名称": f"基准负载食品机械{i}有限公司", "统一社会信用代码": _uscc(i), "主营产品": "杀菌设备",
                        "行业代码": "3531", "所属开发区": zone}
                body = json.dumps({"records": [firm]}, ensure_ascii=False).encode("utf-8")
                t0 = time.perf_counter()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.request("POST", "/registers/enterprises/records", body=body,
                             headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
                answer = conn.getresponse()
                text = answer.read()
                conn.close()
                if answer.status != 200:
                    sys.exit(f"the write failed: {answer.status} {text[:500]!r}")
                writes.append(time.perf_counter() - t0)
                in_a_row = 0
                while in_a_row < 10:
                    in_a_row = in_a_row + 1 if _get(port, f"/enterprises/{_uscc(i)}/recommendations", secret) == 200 \
                        else 0
                    time.sleep(0.05)
                delays.append(time.perf_counter() - t0)
                time.sleep(2)
            stop.set()
            for t in threads:
                t.join(timeout=60)
        finally:
            server.terminate()
            server.wait(timeout=60)
    q = statistics.quantiles(latencies, n=100)
    print(f"machine: {machine()}; {args.firms:,} firms, {args.workers} worker(s), {args.clients} clients with "
          f"{args.think} ms think time; name keys given to {keyed:,} firms before the start "
          f"({len(latencies) / (time.perf_counter() - start):.0f} req/s over the run)")
    after = [d - w for d, w in zip(delays, writes)]
    print(f"write {statistics.median(writes):.2f}s (median); write → recommendations in every worker: median "
          f"{statistics.median(delays):.2f}s, max {max(delays):.2f}s over {args.writes} new firms (from the write's "
          f"answer: median {statistics.median(after):.2f}s, max {max(after):.2f}s, the last 10 polls of 50 ms "
          f"included); load average {os.getloadavg()[0]:.1f}; load during the "
          f"run: recommendations p50 {q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, non-200 {errors[0]} of "
          f"{len(latencies)}")


if __name__ == "__main__":
    main()
