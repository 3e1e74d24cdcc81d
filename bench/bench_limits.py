"""What the limits layer costs: p50 of a recommendation and of a grid chief's neighbour lookup with and without
:class:`api.limits.Guard` (body limit, query-secret check, rate limit), in one process, in alternating rounds.

Usage: .venv/bin/python bench/bench_limits.py [--firms N] [--rounds R] [--requests K] [--keep DIR]

The app is called directly as an ASGI callable (no socket, no HTTP client), so the figure is the layer's own cost
on top of the route; over HTTP with uvicorn the same cost is a smaller share. Both apps run on the same store and
match index, the same tokens and the same firms, round after round (A, B, A, B, ...), so that a change in the
machine's speed falls on both. Reads go through the same authentication and scope code in both apps; the object
checks of writes (``chainmatch.access.auth.authorize``) are not on these read paths.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._zone import zone_db


async def _call(app: Any, path: str, query: str, secret: str) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {secret}".encode())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000)}
    await app(scope, receive, send)
    return status


async def _round(app: Any, requests: list[tuple[str, str, str]]) -> list[float]:
    took = []
    for path, query, secret in requests:
        start = time.perf_counter()
        status = await _call(app, path, query, secret)
        took.append(time.perf_counter() - start)
        assert status == 200, (path, status)
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--firms", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()

    from api.deps import connect
    from api.limits import Guard
    from api.main import create_app
    from chainmatch.access.auth import create_token, expand_grids
    from chainmatch.settings import Settings
    from chainmatch.stores.sqlite import SQLiteStore

    with tempfile.TemporaryDirectory() as tmp:
        db = zone_db(args.firms, args.keep or Path(tmp) / "zone")
        store = SQLiteStore.open(db)
        grids = [g.id for g in store.scan("Grid")]
        parents = store.edges("Grid", grids, "PART_OF")
        top = max((g for g in grids if not parents[g]), key=lambda g: len(expand_grids(store, [g])))
        staff = create_token(store, role="staff", name="bench staff").secret
        chief = create_token(store, role="grid_chief", name="bench chief", grids=[top]).secret
        below = expand_grids(store, [top])
        in_grid = [e.node.id for es in store.edges("Grid", sorted(below), "IN_GRID", "in", limit=100_000).values()
                   for e in es]
        firms = [n.id for n in store.find("Enterprise", limit=100_000)]
        store.close()
        settings = Settings(db=db, model_path=Path(tmp) / "model.json")
        guarded = create_app(settings)
        plain = create_app(settings)
        plain.user_middleware = [m for m in plain.user_middleware if m.cls is not Guard]
        for app in (guarded, plain):
            app.state.settings, app.state.store, app.state.ranking = settings, None, None
            connect(app.state)
        rng = random.Random(0)
        kinds = {
            "recommendation": [(f"/enterprises/{rng.choice(firms)}/recommendations", "direction=buyers&top=20",
                                staff) for _ in range(args.requests)],
            "neighbours": [(f"/enterprises/{rng.choice(in_grid)}/neighbours", "", chief)
                           for _ in range(args.requests)],
        }
        for name, requests in kinds.items():
            times: dict[str, list[float]] = {"guarded": [], "plain": []}
            for app, key in ((guarded, "guarded"), (plain, "plain")):  # warm both
                asyncio.run(_round(app, requests[:20]))
            for r in range(args.rounds):
                order = [(guarded, "guarded"), (plain, "plain")] if r % 2 == 0 else [(plain, "plain"),
                                                                                       (guarded, "guarded")]
                for app, key in order:
                    times[key] += asyncio.run(_round(app, requests))
            p50 = {k: statistics.median(v) * 1000 for k, v in times.items()}
            extra = (p50["guarded"] / p50["plain"] - 1) * 100
            print(f"{name}: p50 with the limits layer {p50['guarded']:.3f} ms, without {p50['plain']:.3f} ms "
                  f"({extra:+.1f} %), {len(times['plain'])} requests each, {args.firms} firms")
        for app in (guarded, plain):
            app.state.store.close()


if __name__ == "__main__":
    main()
