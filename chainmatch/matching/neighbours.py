"""Neighbours for grid chiefs: the firms in a grid and the grids below it, and a firm's chain neighbours in its zone.

A firm's chain neighbours are the firms of the same zone in the segments just before it in its chains
(``upstream``: its suppliers' segments), just after it (``downstream``: its buyers' segments), in its own
segment (``same_segment``) and in its own grid (``same_grid``). ``depth`` bounds how many segment steps
up- and downstream are followed (segments in a chain are ordered by their ``order``).
Each neighbour also says which way it lies along a chain both firms are in (``direction``: ``upstream``,
``downstream`` or ``same_segment``; None for a grid mate in none of the firm's chains), so a grid mate listed
under ``same_grid`` still tells a supplier's segment from a buyer's.

Both lists are read from the :class:`~chainmatch.matching.index.MatchIndex` (which firm sits in which segment,
grid and zone, the grid tree), so a lookup costs a few array passes and no store scan; the store is asked
only whether the firm or grid exists and for the caller's rights.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from chainmatch.access.auth import Principal, require, require_firms
from chainmatch.errors import InvalidRequest, NotFound, PermissionDenied
from chainmatch.firms import Firm, describe_indexed
from chainmatch.matching.index import MatchIndex
from chainmatch.pages import Page, check_page
from chainmatch.stores.base import Store

__all__ = ["DIRECTION_LABELS", "MAX_DEPTH", "RELATIONS", "Neighbour", "chain_neighbours", "grid_firms"]

RELATIONS = ("upstream", "downstream", "same_segment", "same_grid")
MAX_DEPTH = 3


@dataclass(frozen=True)
class Neighbour:
    """A neighbouring firm, how it relates (``relation``), through which segment or grid (``via``), how far,
    and which way along a shared chain it lies (``direction``)."""

    firm: Firm
    relation: str
    via: str
    distance: int
    direction: str | None = None
    relation_label: str = field(init=False)
    """The relation in Chinese (上游, 下游, 同环节, 同网格)."""
    direction_label: str | None = field(init=False)
    """The direction in Chinese (上游, 下游, 同环节; None when the firms share no chain)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "relation_label", RELATION_LABELS.get(self.relation, self.relation))
        d = self.direction
        object.__setattr__(self, "direction_label", None if d is None else DIRECTION_LABELS.get(d, d))


RELATION_LABELS = {"upstream": "上游", "downstream": "下游", "same_segment": "同环节", "same_grid": "同网格"}
DIRECTION_LABELS = {"upstream": "上游", "downstream": "下游", "same_segment": "同环节"}


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


@dataclass(frozen=True)
class _Class:
    """The firms at one (distance, relation) from a set of segments, each once, in id order."""

    distance: int
    relation: int
    firms: NDArray[np.int32]
    ranks: NDArray[np.int64]
    """``index.id_rank`` of ``firms`` (ascending), to find firms by binary search."""
    via: NDArray[np.int32]
    """The segment each firm was reached through."""


_CLASSES_KEPT = 512
"""How many (segments, zone, depth, relations) answers each index keeps (a zone has a few hundred)."""


def _segment_classes(index: MatchIndex, own: tuple[int, ...], zone: int, depth: int,
                     relations: tuple[str, ...]) -> tuple[_Class, ...]:
    """The chain classes (nearest first) of a firm in segments ``own`` of ``zone``, computed once per key.

    Firms sharing segments share this answer, so it is kept (least recently used goes first) in a table
    that lives as long as the index: a lookup then costs a few binary searches instead of sorting the tens
    of thousands of firms a segment holds at a million firms.
    """
    cache = index.memo.setdefault("neighbour_classes", OrderedDict())
    key = (own, zone, depth, relations)
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        return hit  # type: ignore[no-any-return]
    groups = [(index.segment_firms[s], RELATIONS.index(rel), steps, s)
              for s, (rel, steps) in _wanted_segments(index, own, depth, relations).items()]
    seen = np.zeros(index.n, dtype=np.bool_)
    out = []
    for dist, rel in sorted({(d, r) for _, r, d, _ in groups}):
        parts = [(f if zone < 0 else f[index.zone[f] == zone], s) for f, r, d, s in groups if (d, r) == (dist, rel)]
        firms = np.concatenate([f for f, _ in parts])
        via = np.repeat(np.array([s for _, s in parts], dtype=np.int32), [len(f) for f, _ in parts])
        fresh = ~seen[firms]
        firms, via = firms[fresh], via[fresh]
        order = np.argsort(index.id_rank[firms], kind="stable")  # by id; the first segment wins a tie
        firms, via = firms[order], via[order]
        first = np.r_[True, firms[1:] != firms[:-1]] if len(firms) else np.zeros(0, dtype=np.bool_)
        firms, via = firms[first], via[first]
        seen[firms] = True
        out.append(_Class(dist, rel, firms, index.id_rank[firms], via))
    answer = tuple(out)
    cache[key] = answer
    if len(cache) > _CLASSES_KEPT:
        cache.popitem(last=False)
    return answer


def _direction(index: MatchIndex, me: int, other: int) -> str | None:
    """Which way ``other`` lies from ``me`` along a chain both are in: the nearest segment step decides (then
    upstream before downstream before the same segment); None when they share no chain."""
    best: tuple[int, int] | None = None
    for s in index.segments[me]:
        chain, order = index.segment_info[s][0], index.segment_info[s][1]
        if chain < 0:
            continue
        orders = sorted({index.segment_info[t][1] for t in index.chain_segments(chain)})
        for t in index.segments[other]:
            if index.segment_info[t][0] != chain:
                continue
            step = orders.index(index.segment_info[t][1]) - orders.index(order)
            rel = RELATIONS.index("same_segment" if step == 0 else "upstream" if step < 0 else "downstream")
            if best is None or (abs(step), rel) < best:
                best = (abs(step), rel)
    return None if best is None else RELATIONS[best[1]]


def _contains(cls: _Class, ranks: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Which of the firms with id ranks ``ranks`` are in ``cls``."""
    at = np.searchsorted(cls.ranks, ranks)
    return np.take(cls.ranks, at, mode="clip") == ranks if len(cls.ranks) else np.zeros(len(ranks), dtype=np.bool_)


def _slice(firms: NDArray[np.int32], removed: list[int], lo: int, hi: int) -> list[tuple[int, int]]:
    """(raw position, firm) for items lo..hi of ``firms`` once the positions in ``removed`` are left out."""
    start = lo
    for p in removed:  # ascending: each removed position at or before the start shifts it by one
        if p <= start:
            start += 1
    drop = set(removed)
    rows = [(i, f) for i, f in enumerate(firms[start:start + (hi - lo) + len(removed)].tolist(), start)
            if i not in drop]
    return rows[:hi - lo]


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

    zone = int(index.zone[me])
    chain_relations = tuple(r for r in RELATIONS if r in relations and r != "same_grid")
    classes = list(_segment_classes(index, tuple(sorted(index.segments[me])), zone, depth, chain_relations))
    # Per class, the raw positions this firm leaves out: itself, and (after the grid class) its grid's firms.
    me_rank = index.id_rank[me:me + 1]
    removed: list[list[int]] = [np.searchsorted(c.ranks, me_rank)[_contains(c, me_rank)].tolist() for c in classes]
    g = int(index.grid[me])
    grid_class: tuple[NDArray[np.int32], str] | None = None
    if "same_grid" in relations and g >= 0:
        mates = index.grid_firms(g)
        mates = mates[(mates != me) & ((index.zone[mates] == zone) if zone >= 0 else True)]
        mates = mates[np.argsort(index.id_rank[mates], kind="stable")]
        ranks = index.id_rank[mates]
        grid_at = RELATIONS.index("same_grid")
        nearer = [k for k, c in enumerate(classes) if (c.distance, c.relation) < (1, grid_at)]
        taken = np.zeros(len(mates), dtype=np.bool_)
        for k in nearer:
            taken |= _contains(classes[k], ranks)
        mates, ranks = mates[~taken], ranks[~taken]
        for k in range(len(nearer), len(classes)):
            inside = _contains(classes[k], ranks)
            removed[k] = sorted(removed[k] + np.searchsorted(classes[k].ranks, ranks[inside]).tolist())
        grid_class = (mates, index.grid_names[g])
        classes.insert(len(nearer), _Class(1, grid_at, mates, ranks, np.full(len(mates), -1, dtype=np.int32)))
        removed.insert(len(nearer), [])

    total = 0
    page: list[tuple[int, str, int, int]] = []  # (firm, via, relation, distance)
    for c, gone in zip(classes, removed):
        lo, hi = max(offset - total, 0), max(offset + limit - total, 0)
        size = len(c.firms) - len(gone)
        if lo < size and hi > 0:
            for i, f in _slice(c.firms, gone, lo, min(hi, size)):
                via = grid_class[1] if c.relation == RELATIONS.index("same_grid") and grid_class else \
                    index.segment_info[int(c.via[i])][3]
                page.append((f, via, c.relation, c.distance))
        total += size
    described = describe_indexed(index, who, [f for f, *_ in page])
    in_grid = RELATIONS.index("same_grid")
    items = [Neighbour(f, RELATIONS[rel], via, dist,
                       _direction(index, me, pos) if rel == in_grid else RELATIONS[rel])
             for f, (pos, via, rel, dist) in zip(described, page)]
    return Page(items, limit, offset, total)
