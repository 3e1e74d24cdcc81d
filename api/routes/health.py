"""Health: is the service up, which store does it use, how much does the store hold; answered within a second.

The store is asked on a thread of its own with a deadline: a store that hangs (another process holding the write
lock) or whose file was removed or replaced makes the answer ``degraded`` with the reason, and the last counts
known, instead of a request that hangs.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api.deps import StoreDep
from chainmatch import __version__
from chainmatch.errors import StoreError
from chainmatch.stores.base import Counts, Store

__all__ = ["PROBE_SECONDS", "Health", "router"]

router = APIRouter(tags=["health"])
PROBE_SECONDS = {"embedded": 0.8, "neo4j": 5.0}
"""How long /health waits for the store's counts before it answers ``degraded``: under a second on the embedded
store (a file on this machine: a longer wait means another process holds it); longer on Neo4j, whose counts travel
over the network and whose driver retries a dropped connection once."""


class Health(BaseModel):
    status: str
    """``ok``, or ``degraded`` when the store did not answer in time or cannot take writes (see ``problem``)."""
    version: str
    store: str
    nodes: int
    relationships: int
    node_counts: dict[str, int]
    relationship_counts: dict[str, int]
    problem: str | None = None


def _probe(request: Request, store: Store) -> Future[Counts]:
    """The running count of the store, or a new one on the health thread (never more than one at a time)."""
    state = request.app.state
    running: Future[Counts] | None = getattr(state, "health_probe", None)
    if running is not None and not running.done():
        return running
    pool: ThreadPoolExecutor | None = getattr(state, "health_pool", None)
    if pool is None:
        pool = state.health_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chainmatch-health")
    state.health_probe = pool.submit(store.counts)
    return state.health_probe  # type: ignore[no-any-return]


@router.get("/health", response_model=Health)
async def health(request: Request, store: StoreDep) -> Health:
    """Service status with the store kind and its node and relationship counts (``degraded`` with the reason)."""
    state = request.app.state
    problem = None
    counts: Counts | None = None
    wait = PROBE_SECONDS.get(store.kind, 0.8)
    try:
        check = getattr(store, "check_file", None)
        if check is not None:
            check()
        counts = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(_probe(request, store))), wait)
        state.health_counts = counts
    except TimeoutError:
        problem = (f"The store did not answer within {wait} s (another process may hold its write lock, or the "
                   "server is slow); the counts are the last known ones.")
    except StoreError as e:
        problem = e.message
    if counts is None:
        counts = getattr(state, "health_counts", None) or Counts({}, {})
    return Health(
        status="ok" if problem is None else "degraded", version=__version__, store=store.kind,
        nodes=counts.total_nodes, relationships=counts.total_rels,
        node_counts=dict(counts.nodes), relationship_counts=dict(counts.rels), problem=problem,
    )
