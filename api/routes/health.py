"""Health: is the service up, which store does it use, how much does the store hold."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import StoreDep
from chainmatch import __version__

__all__ = ["Health", "router"]

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str
    store: str
    nodes: int
    relationships: int
    node_counts: dict[str, int]
    relationship_counts: dict[str, int]


@router.get("/health", response_model=Health)
def health(store: StoreDep) -> Health:
    """Service status with the store kind and its node and relationship counts."""
    counts = store.counts()
    return Health(
        status="ok", version=__version__, store=store.kind,
        nodes=counts.total_nodes, relationships=counts.total_rels,
        node_counts=dict(counts.nodes), relationship_counts=dict(counts.rels),
    )
