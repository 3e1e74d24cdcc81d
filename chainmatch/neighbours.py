"""Neighbours for grid chiefs: the firms in a grid and the grids below it, and a firm's chain neighbours in its zone.

A firm's chain neighbours are the firms of the same zone in the segments just before it in its chains
(``upstream``: its suppliers' segments), just after it (``downstream``: its buyers' segments), in its own
segment (``same_segment``) and in its own grid (``same_grid``). ``depth`` bounds how many segment steps
up- and downstream are followed (segments in a chain are ordered by their ``order``).

Both lists are read from the :class:`~chainmatch.index.MatchIndex` (which firm sits in which segment,
grid and zone, the grid tree), so a lookup costs a few array passes and no store scan; the store is asked
only whether the firm or grid exists and for the caller's rights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from chainmatch.auth import Principal, require, require_firms
from chainmatch.errors import InvalidRequest, NotFound, PermissionDenied
from chainmatch.firms import Firm, describe_indexed
from chainmatch.index import MatchIndex
from chainmatch.pages import Page, check_page
from chainmatch.store import Store

__all__ = ["MAX_DEPTH", "RELATIONS", "Neighbour", "chain_neighbours", "grid_firms"]

RELATIONS = ("upstream", "downstream", "same_segment", "same_grid")
MAX_DEPTH = 3


@dataclass(frozen=True)
class Neighbour:
    """A neighbouring firm, how it relates (``relation``), through which segment or grid (``via``), and how far."""

    firm: Firm
    relation: str
    via: str
    distance: int


def grid_firms(store: Store, index: MatchIndex, who: Principal, grid_id: str, *, include_subgrids: bool = True,
               limit: int = 50, offset: int = 0) -> Page[Firm]:
    """The firms in a grid (and, by default, in every grid below it), ordered by id."""
    require(who, "read")
    check_page(limit, offset)
    if grid_id not in store.get("Grid", [grid_id]):
        raise NotFound(f"No grid has the id '{grid_id}'.",
                       candidates=[g.id for g in store.find("Grid", text=grid_id[:2] or None, limit=5)])
    if who.grids is not None and grid_id not in who.grids:
        raise PermissionDenied(f"Grid '{grid_id}' is not one of the grids of token '{who.id}' or below them.")
    grids = index.grids_below([grid_id]) if include_subgrids else frozenset([grid_id])
    gpos = {g: k for k, g in enumerate(index.grid_ids)}
    parts = [index.grid_firms(gpos[g]) for g in grids if g in gpos]
    firms = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    firms = firms[np.argsort(index.id_rank[firms], kind="stable")]
    page = firms[offset:offset + limit]
    return Page(describe_indexed(index, who, page.tolist()), limit, offset, len(firms))


def _wanted_segments(index: MatchIndex, own: tuple[int, ...], depth: int,
                     relations: tuple[str, ...]) -> dict[int, tuple[str, int]]:
    """Segment position → (relation, steps) for the segments within ``depth`` steps of the firm's own."""
    wanted: dict[int, tuple[str, int]] = {}
    for s in own:
        chain, order = index.segment_info[s][0], index.segment_info[s][1]
        members = index.chain_segments(chain) if chain >= 0 else (s,)  # a segment in no chain: itself only
        orders = sorted({index.segment_info[t][1] for t in members})
        mine = orders.index(order)
        for t in members:
            step = orders.index(index.segment_info[t][1]) - mine
            rel = "same_segment" if step == 0 else "upstream" if step < 0 else "downstream"
            if abs(step) > depth or rel not in relations:
                continue
            if t not in wanted or (wanted[t][1], RELATIONS.index(wanted[t][0])) > (abs(step), RELATIONS.index(rel)):
                wanted[t] = (rel, abs(step))
    return wanted


def chain_neighbours(store: Store, index: MatchIndex, who: Principal, firm_id: str, *, depth: int = 1,
                     relations: tuple[str, ...] = RELATIONS, limit: int = 50, offset: int = 0) -> Page[Neighbour]:
    """A firm's neighbours in its zone along its chains and in its grid, nearest first.

    A firm found through several routes is listed once, under its nearest relation (then the first of
    upstream, downstream, same segment, same grid), and ties are ordered by id.
    """
    require(who, "read")
    check_page(limit, offset)
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidRequest(f"depth has value {depth}. It must be from 1 to {MAX_DEPTH}.")
    unknown = [r for r in relations if r not in RELATIONS]
    if unknown:
        raise InvalidRequest(f"relation has value '{unknown[0]}'. It must be one of {', '.join(RELATIONS)}.")
    if firm_id not in store.get("Enterprise", [firm_id]):
        raise NotFound(f"No enterprise has the id '{firm_id}'.")
    require_firms(store, who, [firm_id])
    me = index.pos.get(firm_id)
    if me is None:
        raise NotFound(f"Enterprise '{firm_id}' was added after the service read its match index; an admin "
                       "rebuilds the index with POST /model/train (or restart the service).")

    # One group per (segment or grid): its firms, the relation, the distance and what to show as "via".
    groups: list[tuple[NDArray[np.int32], int, int, str]] = []
    for s, (relation, steps) in _wanted_segments(index, index.segments[me], depth, relations).items():
        groups.append((index.segment_firms[s], RELATIONS.index(relation), steps, index.segment_info[s][3]))
    g = int(index.grid[me])
    if "same_grid" in relations and g >= 0:
        groups.append((index.grid_firms(g), RELATIONS.index("same_grid"), 1, index.grid_names[g]))

    # Classes of (distance, relation), nearest first; each firm counts once, in its nearest class, and a class
    # lists its firms by id. Work is a few array passes over the groups: no sort of everything.
    seen = np.zeros(index.n, dtype=np.bool_)
    seen[me] = True
    zone = int(index.zone[me])
    total = 0
    page: list[tuple[int, int, int, int]] = []  # (firm, group, relation, distance)
    for dist, rel in sorted({(d, r) for _, r, d, _ in groups}):
        members = [k for k, (_, r, d, _) in enumerate(groups) if (d, r) == (dist, rel)]
        parts = [groups[k][0] for k in members]
        if zone >= 0:
            parts = [f[index.zone[f] == zone] for f in parts]
        firms = np.concatenate(parts)
        via = np.repeat(np.array(members), [len(f) for f in parts])
        fresh = ~seen[firms]
        firms, via = firms[fresh], via[fresh]
        order = np.argsort(index.id_rank[firms], kind="stable")  # by id; the first group wins a tie
        firms, via = firms[order], via[order]
        first = np.r_[True, firms[1:] != firms[:-1]] if len(firms) else np.zeros(0, dtype=np.bool_)
        firms, via = firms[first], via[first]
        seen[firms] = True
        lo, hi = max(offset - total, 0), max(offset + limit - total, 0)
        page += [(f, v, rel, dist) for f, v in zip(firms[lo:hi].tolist(), via[lo:hi].tolist())]
        total += len(firms)
    described = describe_indexed(index, who, [f for f, *_ in page])
    items = [Neighbour(f, RELATIONS[rel], groups[v][3], dist) for f, (_, v, rel, dist) in zip(described, page)]
    return Page(items, limit, offset, total)
