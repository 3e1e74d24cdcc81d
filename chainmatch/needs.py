"""Needs (需求清单): what firms ask for; posted, listed, updated and closed, each with a due date, and matched.

A need's due date follows the time limits (:mod:`chainmatch.workflows.deadlines`, the "135" rule): approvals in
1 day, problems in 3, buyers and supply in 5. A need's candidates are explained in words:

- resources of the same kind that are still on offer, scored by the characters their titles and
  products share with the need's (and +0.5 when they are in the same zone);
- for a ``buyers`` need, the firms of the zone in the industries that buy the product (GB/T 4754 links
  from :func:`chainmatch.knowledge.supply.buyers_of`); for a ``supply`` need, the firms that make the product
  (text match) or are in the industries that supply it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from chainmatch.access import audit
from chainmatch.access.auth import Principal, authorize, require, require_firms, visible_firms
from chainmatch.errors import Conflict, InvalidRequest, NotFound
from chainmatch.firms import Firm, describe, normalize_text
from chainmatch.pages import Page, filtered
from chainmatch.stores.base import GraphBatch, Node, Rel, Store
from chainmatch.workflows.deadlines import DEFAULT_LIMITS, Limits, check_date, due_for_need, is_overdue
from graph_schema import load_schema

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from chainmatch.matching.index import MatchIndex

__all__ = [
    "NEED_KINDS",
    "NEED_STATUSES",
    "Candidates",
    "FirmMatch",
    "NeedView",
    "ResourceMatch",
    "candidates",
    "close_need",
    "create_need",
    "get_need",
    "list_needs",
    "update_need",
]

NEED_KINDS = tuple(load_schema().enums["need_kind"])
NEED_STATUSES = tuple(load_schema().enums["need_status"])
_EDITABLE = ("title", "kind", "product", "description", "due_on")


@dataclass(frozen=True)
class NeedView:
    id: str
    title: str
    kind: str
    status: str
    posted_on: str
    due_on: str | None
    overdue: bool
    product: str | None
    description: str | None
    enterprise: Firm | None
    zone_id: str | None


@dataclass(frozen=True)
class ResourceMatch:
    id: str
    title: str
    kind: str
    product: str | None
    provider: str | None
    score: float
    why: str


@dataclass(frozen=True)
class FirmMatch:
    firm: Firm
    score: float
    why: str


@dataclass(frozen=True)
class Candidates:
    need: NeedView
    resources: list[ResourceMatch]
    firms: list[FirmMatch]
    note: str = ""


def _check_kind(kind: str) -> None:
    if kind not in NEED_KINDS:
        raise InvalidRequest(f"kind has value '{kind}'. It must be one of {', '.join(NEED_KINDS)}.")


def _firm_zone(store: Store, firm_id: str) -> str | None:
    zones = store.edges("Enterprise", [firm_id], "IN_ZONE")[firm_id]
    return zones[0].node.id if zones else None


def _view(store: Store, who: Principal, node: Node, today: date) -> NeedView:
    return _views(store, who, [node], today)[0]


def _views(store: Store, who: Principal, nodes: Sequence[Node], today: date) -> list[NeedView]:
    ids = [n.id for n in nodes]
    posters = store.edges("Need", ids, "POSTED", "in")
    zones = store.edges("Need", ids, "IN_ZONE")
    firm_nodes = {e.node.id: e.node for es in posters.values() for e in es}
    firms = {f.id: f for f in describe(store, who, list(firm_nodes.values()))}
    out = []
    for n in nodes:
        p = n.props
        poster = posters[n.id][0].node.id if posters[n.id] else None
        out.append(NeedView(
            n.id, str(p.get("title", "")), str(p.get("kind", "")), str(p.get("status", "")),
            str(p.get("posted_on", "")), p.get("due_on"),
            p.get("status") == "open" and is_overdue(p.get("due_on"), today),
            p.get("product"), p.get("description"), firms.get(poster) if poster else None,
            zones[n.id][0].node.id if zones[n.id] else None,
        ))
    return out


def _load(store: Store, who: Principal, need_id: str) -> Node:
    node = store.get("Need", [need_id]).get(need_id)
    if node is None:
        raise NotFound(f"No need has the id '{need_id}'.")
    if who.grids is not None:
        posters = [e.node.id for e in store.edges("Need", [need_id], "POSTED", "in")[need_id]]
        require_firms(store, who, posters or ["(none)"], "the needs of firms")
    return node


def create_need(store: Store, who: Principal, *, enterprise_id: str, title: str, kind: str,
                product: str | None = None, description: str | None = None, posted_on: date | None = None,
                limits: Limits = DEFAULT_LIMITS, at: datetime | None = None) -> NeedView:
    """Post a need for a firm; it is open and due by the time limit of its kind."""
    require(who, "needs:write")
    _check_kind(kind)
    title = normalize_text(title)
    if not title:
        raise InvalidRequest("title is empty. Say in a few words what the firm needs, e.g. 高压灭菌设备找买家.")
    if enterprise_id not in store.get("Enterprise", [enterprise_id]):
        raise NotFound(f"No enterprise has the id '{enterprise_id}'.")
    authorize(store, who, "needs:write", firms=[enterprise_id])
    when = at or audit.now_cst()
    posted = check_date("posted_on", posted_on) if posted_on else when.date()
    need_id = f"N{when:%Y%m%d}-{uuid.uuid4().hex[:8]}"
    props: dict[str, Any] = {"id": need_id, "title": title, "kind": kind, "status": "open",
                             "posted_on": posted.isoformat(),
                             "due_on": due_for_need(kind, posted, limits).isoformat()}
    if product:
        props["product"] = normalize_text(product)
    if description:
        props["description"] = description.strip()
    node = Node("Need", need_id, props)
    batch = GraphBatch(nodes=[node, audit.entry(who.actor, "need.create", "Need", need_id, title, at=when)])
    batch.rels.append(Rel("POSTED", "Enterprise", enterprise_id, "Need", need_id))
    zone = _firm_zone(store, enterprise_id)
    if zone:
        batch.rels.append(Rel("IN_ZONE", "Need", need_id, "Zone", zone))
    store.write(batch)
    return _view(store, who, node, when.date())


def get_need(store: Store, who: Principal, need_id: str, *, today: date | None = None) -> NeedView:
    """One need, with its poster and whether it is overdue."""
    require(who, "read")
    return _view(store, who, _load(store, who, need_id), today or audit.now_cst().date())


def list_needs(store: Store, who: Principal, *, zone_id: str | None = None, enterprise_id: str | None = None,
               status: str | None = None, kind: str | None = None, overdue: bool | None = None,
               q: str | None = None, today: date | None = None, limit: int = 50, offset: int = 0) -> Page[NeedView]:
    """Needs by id, filtered; a grid chief sees only the needs of the firms in their grids."""
    require(who, "read")
    if status and status not in NEED_STATUSES:
        raise InvalidRequest(f"status has value '{status}'. It must be one of {', '.join(NEED_STATUSES)}.")
    if kind:
        _check_kind(kind)
    day = today or audit.now_cst().date()
    where = {k: v for k, v in (("status", status), ("kind", kind)) if v}
    text = normalize_text(q or "") or None

    def keep(batch: Sequence[Node]) -> list[Node]:
        ids = [n.id for n in batch]
        posters = store.edges("Need", ids, "POSTED", "in")
        zones = store.edges("Need", ids, "IN_ZONE") if zone_id else {}
        firm_of = {i: (es[0].node.id if es else None) for i, es in posters.items()}
        seen = visible_firms(store, who, [f for f in firm_of.values() if f])
        out = []
        for n in batch:
            firm = firm_of[n.id]
            if who.grids is not None and firm not in seen:
                continue
            if enterprise_id and firm != enterprise_id:
                continue
            if zone_id and not any(e.node.id == zone_id for e in zones[n.id]):
                continue
            late = n.props.get("status") == "open" and is_overdue(n.props.get("due_on"), day)
            if overdue is not None and late != overdue:
                continue
            out.append(n)
        return out

    def fetch(n: int, o: int) -> Sequence[Node]:
        return store.find("Need", text=text, where=where, limit=n, offset=o)

    if enterprise_id and not text:  # one firm's needs: read through its POSTED links, not a scan of every need
        posted = sorted((e.node for e in store.edges("Enterprise", [enterprise_id], "POSTED", limit=100_000)
                         .get(enterprise_id, []) if all(e.node.props.get(k) == v for k, v in where.items())),
                        key=lambda x: x.id)

        def fetch(n: int, o: int) -> Sequence[Node]:  # the firm's own needs, by id as find gives them
            return posted[o: o + n]

    page = filtered(fetch, keep, limit=limit, offset=offset)
    return Page(_views(store, who, page.items, day), limit, offset, page.total)


def update_need(store: Store, who: Principal, need_id: str, changes: dict[str, Any], *,
                at: datetime | None = None) -> NeedView:
    """Change a need's title, kind, product, description or due date; a closed need cannot change."""
    require(who, "needs:write")
    node = _load(store, who, need_id)
    authorize(store, who, "needs:write", needs=[need_id])
    unknown = [k for k in changes if k not in _EDITABLE]
    if unknown:
        raise InvalidRequest(f"'{unknown[0]}' cannot be changed; a need's editable fields are {', '.join(_EDITABLE)}.")
    if node.props.get("status") == "closed":
        raise Conflict(f"Need '{need_id}' is closed; post a new need instead of changing it.")
    props = dict(node.props)
    for k, v in changes.items():
        if v is None:
            props.pop(k, None)
            continue
        if k == "kind":
            _check_kind(str(v))
        if k == "due_on":
            v = check_date("due_on", v if isinstance(v, date) else date.fromisoformat(str(v))).isoformat()
        if k == "title":
            v = normalize_text(str(v))
            if not v:
                raise InvalidRequest("title cannot be empty.")
        props[k] = v
    when = at or audit.now_cst()
    new = Node("Need", need_id, props)
    detail = ", ".join(sorted(changes))
    store.write(GraphBatch(nodes=[new, audit.entry(who.actor, "need.update", "Need", need_id, detail, at=when)]))
    return _view(store, who, new, when.date())


def close_need(store: Store, who: Principal, need_id: str, *, note: str | None = None,
               at: datetime | None = None) -> NeedView:
    """Close a need (办结); closing it twice is a conflict."""
    require(who, "needs:write")
    node = _load(store, who, need_id)
    authorize(store, who, "needs:write", needs=[need_id])
    if node.props.get("status") == "closed":
        raise Conflict(f"Need '{need_id}' is already closed.")
    when = at or audit.now_cst()
    new = Node("Need", need_id, {**node.props, "status": "closed"})
    store.write(GraphBatch(nodes=[new, audit.entry(who.actor, "need.close", "Need", need_id, note or "", at=when)]))
    return _view(store, who, new, when.date())


def candidates(store: Store, who: Principal, need_id: str, *, index: MatchIndex, limit: int = 20,
               today: date | None = None, weights: NDArray[np.float64] | None = None) -> Candidates:
    """Resources and firms that could answer a need, best first, each with the reason in words.

    Resources of the need's kind are ranked by how alike their texts are to the need's (the one text
    measure of ``index``) and by locality; firms, for 找供应 and 找买家 needs, by the ranking's one scorer
    (:func:`chainmatch.matching.ranking.recommend_need_source`), within the need's zone.
    """
    from chainmatch.matching.ranking import Filters, need_source, recommend_need_source

    require(who, "read")
    if not 1 <= limit <= 200:
        raise InvalidRequest(f"limit has value {limit}. It must be from 1 to 200.")
    node = _load(store, who, need_id)
    need = _view(store, who, node, today or audit.now_cst().date())
    text = index.text
    asked = text.text_vector([need.product or need.title, need.title])
    kind_title = load_schema().enums["need_kind"][need.kind]
    resources: list[ResourceMatch] = []
    for r in store.find("Resource", where={"kind": need.kind}, limit=5000):
        if r.props.get("status") == "withdrawn":
            continue
        rtext = [str(r.props.get(k) or "") for k in ("product", "title", "description")]
        score = float((asked @ text.text_vector(rtext).T).toarray()[0, 0]) if asked.nnz else 0.0
        zone = store.edges("Resource", [r.id], "IN_ZONE")[r.id]
        same_zone = bool(zone) and zone[0].node.id == need.zone_id
        why = f"同类资源({kind_title})"
        if score >= 0.05:
            why += f"; 与需求文字相近 {score:.0%}"
        if same_zone:
            why += "; 同一开发区"
        provider = store.edges("Resource", [r.id], "OFFERS", "in")[r.id]
        provider_id = provider[0].node.id if provider else None
        if need.enterprise is not None and provider_id == need.enterprise.id:
            continue  # the poster's own resource does not answer its need
        resources.append(ResourceMatch(r.id, str(r.props.get("title", "")), need.kind, r.props.get("product"),
                                       provider_id, round(score + (0.5 if same_zone else 0.0), 3), why))
    resources.sort(key=lambda m: (-m.score, m.id))
    firm_matches: list[FirmMatch] = []
    note = ""
    if need.kind in ("buyers", "supply") and (need.product or need.title):
        src = need_source(index, need.id, need.kind, need.product or "", need.title,
                          need.enterprise.id if need.enterprise else None)
        ranked = recommend_need_source(index, src, top=limit, weights=weights,
                                       filters=Filters(zone=need.zone_id) if need.zone_id else None)
        nodes = store.get("Enterprise", [i.id for i in ranked.items])
        chosen = [i for i in ranked.items if i.id in nodes]
        described = describe(store, who, [nodes[i.id] for i in chosen])
        firm_matches = [FirmMatch(f, i.score, i.path + ("；" + "；".join(i.reasons) if i.reasons else ""))
                        for f, i in zip(described, chosen)]
        if not ranked.items:
            note = f"没有找到能对接「{need.product or need.title}」的企业: {ranked.reason}"
    elif need.kind in ("buyers", "supply"):
        note = "需求没有写产品, 无法按行业匹配企业; 请补充 product."
    return Candidates(need, resources[:limit], firm_matches, note)
