"""Neighbours for grid chiefs: the firms in a grid and the grids below it, and a firm's chain neighbours in its zone.

A firm's chain neighbours are the firms of the same zone in the segments just before it in its chains
(``upstream``: its suppliers' segments), just after it (``downstream``: its buyers' segments), in its own
segment (``same_segment``) and in its own grid (``same_grid``). ``depth`` bounds how many segment steps
up- and downstream are followed (segments in a chain are ordered by their ``order``).
"""

from __future__ import annotations

from dataclasses import dataclass

from chainmatch.auth import Principal, expand_grids, require, require_firms
from chainmatch.enterprises import display_name
from chainmatch.errors import InvalidRequest, NotFound, PermissionDenied
from chainmatch.firms import Firm, describe
from chainmatch.pages import Page, page_of
from chainmatch.store import Node, Store

__all__ = ["MAX_DEPTH", "RELATIONS", "Neighbour", "chain_neighbours", "grid_firms"]

RELATIONS = ("upstream", "downstream", "same_segment", "same_grid")
MAX_DEPTH = 3
_MANY = 1_000_000


@dataclass(frozen=True)
class Neighbour:
    """A neighbouring firm, how it relates (``relation``), through which segment or grid (``via``), and how far."""

    firm: Firm
    relation: str
    via: str
    distance: int


def grid_firms(store: Store, who: Principal, grid_id: str, *, include_subgrids: bool = True,
               limit: int = 50, offset: int = 0) -> Page[Firm]:
    """The firms in a grid (and, by default, in every grid below it), ordered by id."""
    require(who, "read")
    if grid_id not in store.get("Grid", [grid_id]):
        raise NotFound(f"No grid has the id '{grid_id}'.",
                       candidates=[g.id for g in store.find("Grid", text=grid_id[:2] or None, limit=5)])
    if who.grids is not None and grid_id not in who.grids:
        raise PermissionDenied(f"Grid '{grid_id}' is not one of the grids of token '{who.id}' or below them.")
    grids = sorted(expand_grids(store, [grid_id])) if include_subgrids else [grid_id]
    firms = store.edges("Grid", grids, "IN_GRID", "in", limit=_MANY)
    nodes = sorted((e.node for es in firms.values() for e in es), key=lambda n: n.id)
    page = page_of(nodes, limit=limit, offset=offset)
    return Page(describe(store, who, page.items), limit, offset, page.total)


def _segments(store: Store, firm_id: str) -> list[Node]:
    return [e.node for e in store.edges("Enterprise", [firm_id], "IN_SEGMENT")[firm_id]]


def chain_neighbours(store: Store, who: Principal, firm_id: str, *, depth: int = 1,
                     relations: tuple[str, ...] = RELATIONS, limit: int = 50, offset: int = 0) -> Page[Neighbour]:
    """A firm's neighbours in its zone along its chains and in its grid, nearest first.

    A firm found through several routes is listed once, under its nearest relation.
    """
    require(who, "read")
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidRequest(f"depth has value {depth}. It must be from 1 to {MAX_DEPTH}.")
    unknown = [r for r in relations if r not in RELATIONS]
    if unknown:
        raise InvalidRequest(f"relation has value '{unknown[0]}'. It must be one of {', '.join(RELATIONS)}.")
    if firm_id not in store.get("Enterprise", [firm_id]):
        raise NotFound(f"No enterprise has the id '{firm_id}'.")
    require_firms(store, who, [firm_id])
    zone = {e.node.id for e in store.edges("Enterprise", [firm_id], "IN_ZONE")[firm_id]}

    found: dict[str, tuple[int, str, str, Node]] = {}  # firm → (distance, relation, via, node)

    def add(node: Node, relation: str, via: str, distance: int) -> None:
        if node.id != firm_id and (node.id not in found or found[node.id][0] > distance):
            found[node.id] = (distance, relation, via, node)

    own = _segments(store, firm_id)
    if own and set(relations) & {"upstream", "downstream", "same_segment"}:
        chain_of = store.edges("Segment", [s.id for s in own], "SEGMENT_OF")
        chains = sorted({e.node.id for es in chain_of.values() for e in es})
        members = store.edges("Chain", chains, "SEGMENT_OF", "in", limit=10_000)
        wanted: dict[str, tuple[str, int]] = {}  # segment → (relation, distance)
        for s in own:
            for ce in chain_of[s.id]:
                ordered = sorted({int(e.node.props.get("order", 0)) for e in members[ce.node.id]})
                mine = ordered.index(int(s.props.get("order", 0)))
                for e in members[ce.node.id]:
                    step = ordered.index(int(e.node.props.get("order", 0))) - mine
                    if step == 0:
                        rel = "same_segment"
                    elif -depth <= step < 0:
                        rel = "upstream"
                    elif 0 < step <= depth:
                        rel = "downstream"
                    else:
                        continue
                    if rel in relations and (e.node.id not in wanted or wanted[e.node.id][1] > abs(step)):
                        wanted[e.node.id] = (rel, abs(step))
        seg_nodes = store.get("Segment", list(wanted))
        in_seg = store.edges("Segment", list(wanted), "IN_SEGMENT", "in", limit=_MANY)
        for sid, (rel, dist) in wanted.items():
            for e in in_seg[sid]:
                add(e.node, rel, display_name(seg_nodes[sid]), dist)
    if "same_grid" in relations:
        grid = store.edges("Enterprise", [firm_id], "IN_GRID")[firm_id]
        if grid:
            g = grid[0].node
            for e in store.edges("Grid", [g.id], "IN_GRID", "in", limit=_MANY)[g.id]:
                add(e.node, "same_grid", display_name(g), 1)
    ids = list(found)
    if zone and ids:
        zones = store.edges("Enterprise", ids, "IN_ZONE")
        ids = [i for i in ids if {e.node.id for e in zones[i]} & zone]
    order = {r: k for k, r in enumerate(RELATIONS)}
    ids.sort(key=lambda i: (found[i][0], order[found[i][1]], i))
    page = page_of(ids, limit=limit, offset=offset)
    firms = describe(store, who, [found[i][3] for i in page.items])
    items = [Neighbour(f, found[f.id][1], found[f.id][2], found[f.id][0]) for f in firms]
    return Page(items, limit, offset, page.total)
