"""Grids (网格): list a zone's grids and show one with its chiefs, party organizations, parent and children.

A grid chief sees only their own grids and the grids below them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chainmatch.access.auth import Principal, require
from chainmatch.enterprises import Ref, display_name
from chainmatch.errors import InvalidRequest, NotFound, PermissionDenied
from chainmatch.firms import normalize_text
from chainmatch.pages import Page, filtered
from chainmatch.stores.base import Node, Store

__all__ = ["GridView", "get_grid", "list_grids"]


@dataclass(frozen=True)
class GridView:
    id: str
    name: str
    level: str
    kind: str
    type: str | None
    zone_id: str | None
    parent_id: str | None
    chiefs: list[Ref]
    party_organizations: list[Ref]
    children: list[Ref]
    enterprises: int
    """Firms directly in this grid (not in the grids below it)."""


def _views(store: Store, nodes: Sequence[Node]) -> list[GridView]:
    ids = [n.id for n in nodes]
    zones, parents = store.edges("Grid", ids, "IN_ZONE"), store.edges("Grid", ids, "PART_OF")
    chiefs, orgs = store.edges("Grid", ids, "CHIEF_OF", "in"), store.edges("Grid", ids, "COVERS", "in")
    children = store.edges("Grid", ids, "PART_OF", "in", limit=10_000)
    firms = store.edges("Grid", ids, "IN_GRID", "in", limit=1_000_000)
    return [GridView(
        n.id, display_name(n), str(n.props.get("level", "")), str(n.props.get("kind", "")), n.props.get("type"),
        zones[n.id][0].node.id if zones[n.id] else None, parents[n.id][0].node.id if parents[n.id] else None,
        [Ref(e.node.id, display_name(e.node), str(e.node.props.get("organ", ""))) for e in chiefs[n.id]],
        [Ref(e.node.id, display_name(e.node), str(e.node.props.get("kind", ""))) for e in orgs[n.id]],
        [Ref(e.node.id, display_name(e.node)) for e in children[n.id]], len(firms[n.id]),
    ) for n in nodes]


def list_grids(store: Store, who: Principal, *, zone_id: str | None = None, level: str | None = None,
               kind: str | None = None, q: str | None = None, limit: int = 50, offset: int = 0) -> Page[GridView]:
    """Grids by id, filtered by zone, level (1–3), kind and name."""
    require(who, "read")
    if level and level not in ("1", "2", "3"):
        raise InvalidRequest(f"level has value '{level}'. It must be 1, 2 or 3.")
    if kind and kind not in ("exclusive", "general"):
        raise InvalidRequest(f"kind has value '{kind}'. It must be exclusive or general.")
    where = {k: v for k, v in (("level", level), ("kind", kind)) if v}
    text = normalize_text(q or "") or None

    def keep(batch: Sequence[Node]) -> list[Node]:
        out = [g for g in batch if who.grids is None or g.id in who.grids]
        if zone_id:
            zones = store.edges("Grid", [g.id for g in out], "IN_ZONE")
            out = [g for g in out if any(e.node.id == zone_id for e in zones[g.id])]
        return out

    page = filtered(lambda n, o: store.find("Grid", text=text, where=where, limit=n, offset=o), keep,
                    limit=limit, offset=offset)
    return Page(_views(store, page.items), limit, offset, page.total)


def get_grid(store: Store, who: Principal, grid_id: str) -> GridView:
    """One grid with its chiefs, covering party organizations, parent and children."""
    require(who, "read")
    node = store.get("Grid", [grid_id]).get(grid_id)
    if node is None:
        raise NotFound(f"No grid has the id '{grid_id}'.",
                       candidates=[g.id for g in store.find("Grid", text=grid_id[:2] or None, limit=5)])
    if who.grids is not None and grid_id not in who.grids:
        raise PermissionDenied(f"Grid '{grid_id}' is not one of the grids of token '{who.id}' or below them.")
    return _views(store, [node])[0]
