"""Chains (产业链): a zone's chains with their leaders, and a chain's segments in order with their firms.

A segment with no firm of the zone is a gap (补链: a segment to recruit for).
"""

from __future__ import annotations

from dataclasses import dataclass

from chainmatch.access.auth import Principal, require
from chainmatch.enterprises import display_name
from chainmatch.errors import NotFound
from chainmatch.firms import Firm, describe
from chainmatch.pages import Page, page_of
from chainmatch.stores.base import Node, Store

__all__ = ["ChainDetail", "ChainSummary", "SegmentView", "chain_detail", "zone_chains"]

_STAGES = {"upstream": 0, "midstream": 1, "downstream": 2}


@dataclass(frozen=True)
class ChainSummary:
    id: str
    name: str
    zone_id: str | None
    leaders: list[Firm]
    segments: int
    gaps: int
    task_force: str | None


@dataclass(frozen=True)
class SegmentView:
    id: str
    name: str
    stage: str
    order: int
    parent_id: str | None
    industry_codes: list[str]
    firms: list[Firm]
    gap: bool


@dataclass(frozen=True)
class ChainDetail:
    id: str
    name: str
    zone_id: str | None
    template: str | None
    task_force: str | None
    leaders: list[Firm]
    segments: list[SegmentView]


def _segments(store: Store, chain_ids: list[str]) -> dict[str, list[Node]]:
    by_chain = store.edges("Chain", chain_ids, "SEGMENT_OF", "in", limit=10_000)
    return {c: sorted((e.node for e in es), key=lambda s: (int(s.props.get("order", 0)),
                                                         _STAGES.get(str(s.props.get("stage")), 9), s.id))
            for c, es in by_chain.items()}


def zone_chains(store: Store, who: Principal, *, zone_id: str | None = None, limit: int = 50,
                offset: int = 0) -> Page[ChainSummary]:
    """Chains by id (of one zone when ``zone_id`` is given), with leaders and how many segments lack a firm."""
    require(who, "read")
    if zone_id and zone_id not in store.get("Zone", [zone_id]):
        raise NotFound(f"No zone has the id '{zone_id}'.", candidates=[z.id for z in store.find("Zone", limit=10)])
    chains = store.find("Chain", limit=100_000)  # chains are few: a handful per zone
    zones = store.edges("Chain", [c.id for c in chains], "IN_ZONE")
    if zone_id:
        chains = [c for c in chains if any(e.node.id == zone_id for e in zones[c.id])]
    page = page_of(chains, limit=limit, offset=offset)
    ids = [c.id for c in page.items]
    segs = _segments(store, ids)
    leaders = store.edges("Chain", ids, "LEADS", "in")
    seg_ids = [s.id for ss in segs.values() for s in ss]
    firms = store.edges("Segment", seg_ids, "IN_SEGMENT", "in", limit=1)
    items = []
    for c in page.items:
        items.append(ChainSummary(
            c.id, display_name(c), zones[c.id][0].node.id if zones[c.id] else None,
            describe(store, who, [e.node for e in leaders[c.id]]), len(segs[c.id]),
            sum(1 for s in segs[c.id] if not firms[s.id]), c.props.get("task_force"),
        ))
    return Page(items, limit, offset, page.total)


def chain_detail(store: Store, who: Principal, chain_id: str, *, firms_per_segment: int = 50) -> ChainDetail:
    """A chain's segments in order (upstream to downstream), each with its firms; empty segments are gaps."""
    require(who, "read")
    chain = store.get("Chain", [chain_id]).get(chain_id)
    if chain is None:
        raise NotFound(f"No chain has the id '{chain_id}'.",
                       candidates=[c.id for c in store.find("Chain", text=chain_id[:2] or None, limit=5)])
    segs = _segments(store, [chain_id])[chain_id]
    ids = [s.id for s in segs]
    members = store.edges("Segment", ids, "IN_SEGMENT", "in", limit=firms_per_segment)
    parents = store.edges("Segment", ids, "SUBSEGMENT_OF")
    zone = store.edges("Chain", [chain_id], "IN_ZONE")[chain_id]
    views = []
    for s in segs:
        firms = describe(store, who, [e.node for e in members[s.id]])
        views.append(SegmentView(
            s.id, display_name(s), str(s.props.get("stage", "")), int(s.props.get("order", 0)),
            parents[s.id][0].node.id if parents[s.id] else None, list(s.props.get("industry_codes") or []),
            firms, not firms,
        ))
    leaders = describe(store, who, [e.node for e in store.edges("Chain", [chain_id], "LEADS", "in")[chain_id]])
    return ChainDetail(chain_id, display_name(chain), zone[0].node.id if zone else None,
                       chain.props.get("template"), chain.props.get("task_force"), leaders, views)
