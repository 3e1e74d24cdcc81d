"""Enterprises: find a firm by id, full name, short name or alias, and assemble its profile.

A profile is what a grid chief or an investment-promotion officer needs on one page: the firm's
zone and grid, who the grid chief is, its party organization, its chains and segments, its
products and industries, its known trade partners, its open needs and its projects.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from chainmatch.errors import Ambiguous, InvalidRequest, NotFound
from chainmatch.stores.base import Direction, Edge, Node, Store
from graph_schema import load_schema

__all__ = ["Profile", "Ref", "Resolution", "display_name", "firm_id", "profile", "resolve"]

_MAX_CANDIDATES = 8
_ENUMS = load_schema().enums  # Chinese labels of stored codes (上游, 已签约 ...)


@dataclass(frozen=True)
class Resolution:
    """The firm a name resolved to, and how (so the caller can say which firm it picked)."""

    node: Node
    matched_by: str


@dataclass(frozen=True)
class Ref:
    """A node named for people: its id, its Chinese name and, where useful, a note."""

    id: str
    name: str
    note: str = ""


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    short_name: str
    props: dict[str, Any]
    zone: Ref | None
    grids: list[Ref]
    """The firm's grid first, then its parents up to the level-1 grid."""
    grid_chiefs: list[Ref]
    grid_members: list[Ref]
    party_organizations: list[Ref]
    chains: list[Ref]
    """Chains the firm sits in (note: its segment) or leads (note: 链主)."""
    products: list[str]
    industries: list[Ref]
    suppliers: list[Ref]
    buyers: list[Ref]
    open_needs: list[Ref]
    projects: list[Ref]
    liaisons: list[Ref] = field(default_factory=list)


def display_name(node: Node) -> str:
    """A node's name for people: its ``name`` (or ``title``), falling back to its id."""
    return str(node.props.get("name") or node.props.get("title") or node.id)


def _names(node: Node) -> list[tuple[str, str]]:
    out = [("全称", str(node.props.get("name", "")))]
    if node.props.get("short_name"):
        out.append(("简称", str(node.props["short_name"])))
    out += [("别名", str(a)) for a in node.props.get("aliases") or []]
    return out


def resolve(store: Store, query: str) -> Resolution:
    """Find the one enterprise ``query`` names: an id, a full name, a short name, an alias or a unique part of a name.

    Raises :class:`~chainmatch.errors.Ambiguous` listing the candidates when several firms match
    equally well, and :class:`~chainmatch.errors.NotFound` with the closest names when none does.
    """
    q = query.strip()
    if not q:
        raise InvalidRequest("An enterprise name or id is required; it was empty.")
    by_id = store.get("Enterprise", [q])
    if q in by_id:
        return Resolution(by_id[q], "编号")
    hits = store.find("Enterprise", text=q, limit=200)
    exact = [(how, n) for n in hits for how, name in _names(n) if name == q]
    if len({n.id for _, n in exact}) == 1:
        how, node = exact[0]
        return Resolution(node, how)
    if len(exact) > 1:
        raise Ambiguous(f"'{q}' is the name of several enterprises.",
                        candidates=[f"{display_name(n)} ({n.id})" for _, n in exact][:_MAX_CANDIDATES])
    if len(hits) == 1:
        return Resolution(hits[0], "名称包含")
    if hits:
        raise Ambiguous(f"'{q}' matches {len(hits)}{'+' if len(hits) == 200 else ''} enterprises.",
                        candidates=[f"{display_name(n)} ({n.id})" for n in hits[:_MAX_CANDIDATES]])
    raise NotFound(f"No enterprise is called '{q}'.", candidates=_close_names(store, q))


def firm_id(store: Store, query: str) -> str:
    """The id of the firm ``query`` names (an id, a full name, a short name such as 利通, an alias), as
    :func:`resolve` finds it: for the firm ids of request bodies, which take what paths take."""
    q = query.strip()
    if q in store.get("Enterprise", [q]):
        return q
    return resolve(store, q).node.id


def _close_names(store: Store, q: str) -> list[str]:
    """Names sharing a two-character piece with ``q``, most similar first (bounded work)."""
    pool: dict[str, Node] = {}
    for i in range(max(len(q) - 1, 1)):
        for n in store.find("Enterprise", text=q[i : i + 2], limit=50):
            pool[n.id] = n
        if len(pool) >= 200:
            break
    scored = sorted(pool.values(), key=lambda n: -difflib.SequenceMatcher(None, q, display_name(n)).ratio())
    return [f"{display_name(n)} ({n.id})" for n in scored[:5]]


def _refs(edges: list[Any], note_prop: str | None = None) -> list[Ref]:
    out = []
    for e in edges:
        note = str(e.rel.props.get(note_prop, "")) if note_prop else ""
        out.append(Ref(e.node.id, display_name(e.node), note))
    return out


_FIRM_EDGES: tuple[tuple[str, Direction], ...] = (
    ("IN_ZONE", "out"), ("IN_GRID", "out"), ("SITS_IN", "in"), ("IN_SEGMENT", "out"), ("LEADS", "out"),
    ("POSTED", "out"), ("PARTY_TO", "out"), ("PRODUCES", "out"), ("IN_INDUSTRY", "out"), ("SUPPLIES", "in"),
    ("SUPPLIES", "out"), ("LINKED_TO", "in"),
)
"""A firm's own relationships its profile shows, read at once."""
_GRID_EDGES: tuple[tuple[str, Direction], ...] = (
    ("PART_OF", "out"), ("CHIEF_OF", "in"), ("COVERS", "in"), ("MEMBER_OF_GRID", "in"),
)
"""A grid's parent, chiefs and covering organizations (and, for the firm's own grid, its members)."""


def profile(store: Store, enterprise_id: str) -> Profile:
    """Everything a grid chief needs to know about one firm, from a handful of store reads.

    The reads go by level (``Store.edges_many``: all the relationships wanted of the same nodes at once): the firm,
    its own relationships, each grid up its chain (with the grid's chiefs, members and covering organizations), the
    organizations' parents and the segments' chains: on Neo4j about seven round trips for a firm in a grid of three
    levels (one per store call before issue 17: 21).
    """
    found = store.get("Enterprise", [enterprise_id])
    if enterprise_id not in found:
        raise NotFound(f"No enterprise has the id '{enterprise_id}'.")
    node = found[enterprise_id]
    one = [enterprise_id]
    own = store.edges_many("Enterprise", one, _FIRM_EDGES)
    mine = {pair: by_id[enterprise_id] for pair, by_id in own.items()}

    zone = mine[("IN_ZONE", "out")]
    grids: list[Node] = [e.node for e in mine[("IN_GRID", "out")]]
    around: dict[str, dict[tuple[str, Direction], list[Edge]]] = {}  # per grid: its parent, chiefs, orgs, members
    todo, wanted = list(grids), _GRID_EDGES  # the firm's own grids, with their members; then each parent's
    while todo:
        for pair, by_id in store.edges_many("Grid", [g.id for g in todo], wanted).items():
            for gid, es in by_id.items():
                around.setdefault(gid, {})[pair] = es
        todo, wanted = [], _GRID_EDGES[:3]
        parents = around[grids[-1].id][("PART_OF", "out")]
        if len(grids) < 5 and parents and parents[0].node.id not in {g.id for g in grids}:
            grids.append(parents[0].node)
            todo = [parents[0].node]
    grid_ids = [g.id for g in grids]
    chiefs, members = [], []
    if grid_ids:
        for g in grids:
            chiefs += [Ref(e.node.id, display_name(e.node), display_name(g))
                       for e in around[g.id].get(("CHIEF_OF", "in"), [])]
        members = [Ref(e.node.id, display_name(e.node), display_name(grids[0]))
                   for e in around[grid_ids[0]].get(("MEMBER_OF_GRID", "in"), [])]

    orgs = [Ref(e.node.id, display_name(e.node), "建在企业") for e in mine[("SITS_IN", "in")]]
    for g in grids:
        orgs += [Ref(e.node.id, display_name(e.node), f"覆盖网格 {display_name(g)}")
                 for e in around[g.id].get(("COVERS", "in"), [])]
    orgs = list({o.id: o for o in reversed(orgs)}.values())[::-1]  # an org that sits in the firm and covers its grid
    if orgs:
        org_parents = store.edges("PartyOrganization", [o.id for o in orgs], "UNDER")
        seen = {o.id for o in orgs}
        for o in list(orgs):
            for e in org_parents[o.id]:
                if e.node.id not in seen:
                    seen.add(e.node.id)
                    orgs.append(Ref(e.node.id, display_name(e.node), f"上级党组织 ({o.name})"))

    segments = mine[("IN_SEGMENT", "out")]
    chains: list[Ref] = []
    if segments:
        seg_chain = store.edges("Segment", [s.node.id for s in segments], "SEGMENT_OF")
        for s in segments:
            for e in seg_chain[s.node.id]:
                stage = _ENUMS["stage"].get(str(s.node.props.get("stage", "")), "")
                chains.append(Ref(e.node.id, display_name(e.node), f"{display_name(s.node)} ({stage})"))
    chains += [Ref(e.node.id, display_name(e.node), "链主") for e in mine[("LEADS", "out")]]

    needs = [
        Ref(e.node.id, display_name(e.node), _ENUMS["need_kind"].get(str(e.node.props.get("kind", "")), ""))
        for e in mine[("POSTED", "out")]
        if e.node.props.get("status") == "open"
    ]
    projects = [
        Ref(e.node.id, display_name(e.node),
            f"{_ENUMS['party_role'].get(str(e.rel.props.get('role', '')), '')}, "
            f"{_ENUMS['project_status'].get(str(e.node.props.get('status', '')), '')}")
        for e in mine[("PARTY_TO", "out")]
    ]
    return Profile(
        id=node.id,
        name=display_name(node),
        short_name=str(node.props.get("short_name", "")),
        props=dict(node.props),
        zone=Ref(zone[0].node.id, display_name(zone[0].node)) if zone else None,
        grids=[Ref(g.id, display_name(g), f"{g.props.get('level', '')}级") for g in grids],
        grid_chiefs=chiefs,
        grid_members=members,
        party_organizations=orgs,
        chains=chains,
        products=[e.node.id for e in mine[("PRODUCES", "out")]],
        industries=_refs(mine[("IN_INDUSTRY", "out")]),
        suppliers=_refs(mine[("SUPPLIES", "in")], "product"),
        buyers=_refs(mine[("SUPPLIES", "out")], "product"),
        open_needs=needs,
        projects=projects,
        liaisons=_refs(mine[("LINKED_TO", "in")], "note"),
    )
