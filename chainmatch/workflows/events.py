"""Matchmaking events (对接活动): a zone gathers the likely partners of one need or one firm's product, and follows
each invitee from invitation to signature.

漯河's canonical match: 利通 developed a high-pressure sterilizer (高压灭菌设备), the zone brought 80+ food firms to
one event, 9 signed. In the product: staff create an event for a need (its poster hosts it) or for a host firm's
product; the invitees are drawn from the recommendations (the one scorer, :mod:`chainmatch.matching.ranking`),
each with its rank, score and reasons, and staff add or remove firms by hand (a firm invited twice is refused);
attendance is recorded; each invitee's outcome (contacted, negotiating, signed, declined, dropped) becomes or moves
a 撮合项目 (:mod:`chainmatch.workflows.projects`, ``event`` = the event's id, ``origin`` = ``event``), so signed and declined
invitees feed ``chainmatch train`` like every other project. The funnel counts invited → attended → negotiating
(reached, signed included) → signed, per event and per chain.

Every change of an event's invitations is decided on the list as read and refused with Conflict if someone
changed it since (compare-and-set on the event's ``changes``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from chainmatch.access import audit
from chainmatch.access.auth import Principal, authorize, require
from chainmatch.enterprises import Ref, display_name
from chainmatch.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from chainmatch.firms import Firm, describe, normalize_text
from chainmatch.pages import Page, filtered
from chainmatch.stores.base import Edge, Expect, GraphBatch, Node, Rel, Reset, Store
from chainmatch.workflows.deadlines import DEFAULT_LIMITS, Limits, check_date
from chainmatch.workflows.projects import TERMINAL, advance_project, claim_project, create_project

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from chainmatch.matching.index import MatchIndex
    from chainmatch.matching.ranking import Recommendations

__all__ = [
    "OUTCOMES",
    "ChainFunnel",
    "EventView",
    "Funnel",
    "Invitee",
    "chain_funnels",
    "create_event",
    "get_event",
    "invite",
    "list_events",
    "record_attendance",
    "record_outcome",
    "remove_invitee",
    "suggestions",
]

OUTCOMES = ("contacted", "negotiating", "signed", "declined", "dropped")
"""What may become of an invitee: the project statuses after ``proposed``."""
_PATH = ("proposed", "contacted", "negotiating", "signed")
_DIRECTIONS = ("buyers", "suppliers", "partners")
_ROLES = {"buyers": ("supplier", "buyer"), "suppliers": ("buyer", "supplier"), "partners": ("partner", "partner")}
_STATUS_NAMES = {"proposed": "已推荐", "contacted": "已联系", "negotiating": "洽谈中", "signed": "已签约",
                 "declined": "已拒绝", "dropped": "已放弃"}
_POOL = 200  # recommendations read to find an invitee's rank and reasons (the scorer's largest list)


@dataclass(frozen=True)
class Invitee:
    firm: Firm
    rank: int | None
    """Its rank in the event's recommendations when it was invited (None: added by hand)."""
    score: float | None
    reasons: list[str]
    origin: str
    """``recommendation`` or ``manual``."""
    attended: bool
    project_id: str | None
    project_status: str | None


@dataclass(frozen=True)
class Funnel:
    """invited → attended → negotiating (reached, signed included) → signed; declined and dropped beside."""

    invited: int
    attended: int
    negotiating: int
    signed: int
    declined: int
    dropped: int
    signed_rate: float | None
    """signed / invited."""


@dataclass(frozen=True)
class EventView:
    id: str
    title: str
    product: str | None
    need_id: str | None
    direction: str
    status: str
    held_on: str | None
    zone_id: str | None
    host: Firm | None
    chain: Ref | None
    funnel: Funnel
    invitees: list[Invitee]


@dataclass(frozen=True)
class ChainFunnel:
    chain_id: str | None
    chain_name: str
    events: int
    funnel: Funnel


def _first(edges: dict[str, list[Edge]], key: str) -> Node | None:
    es = edges.get(key) or []
    return es[0].node if es else None


def _invited(store: Store, event_id: str) -> dict[str, Edge]:
    return {e.node.id: e for e in store.edges("MatchEvent", [event_id], "INVITED", "in", limit=100_000)[event_id]}


def _project_states(store: Store, ids: Sequence[str]) -> dict[str, tuple[str, bool]]:
    """Each project's status and whether it ever reached negotiating."""
    if not ids:
        return {}
    nodes = store.get("Project", list(ids))
    steps = store.edges("Project", list(nodes), "STEP_OF", "in")
    return {i: (str(n.props.get("status")), any(e.node.props.get("status") in ("negotiating", "signed")
                                                for e in steps[i])) for i, n in nodes.items()}


def _funnel(invitations: Sequence[Edge], states: dict[str, tuple[str, bool]]) -> Funnel:
    attended = sum(bool(e.rel.props.get("attended")) for e in invitations)
    got = [states[str(e.rel.props["project_id"])] for e in invitations
           if e.rel.props.get("project_id") and str(e.rel.props["project_id"]) in states]
    n = len(invitations)
    signed = sum(s == "signed" for s, _ in got)
    return Funnel(n, attended, sum(reached for _, reached in got), signed, sum(s == "declined" for s, _ in got),
                  sum(s == "dropped" for s, _ in got), round(signed / n, 4) if n else None)


def _view(store: Store, who: Principal, node: Node, *, invitees: bool = True) -> EventView:
    eid, p = node.id, node.props
    one = [eid]
    host = _first(store.edges("MatchEvent", one, "HOSTS", "in"), eid)
    chain = _first(store.edges("MatchEvent", one, "EVENT_CHAIN"), eid)
    need = _first(store.edges("MatchEvent", one, "EVENT_FOR_NEED"), eid)
    zone = _first(store.edges("MatchEvent", one, "IN_ZONE"), eid)
    invited = sorted(_invited(store, eid).values(),
                     key=lambda e: (e.rel.props.get("rank") is None, e.rel.props.get("rank") or 0, e.node.id))
    states = _project_states(store, [str(e.rel.props["project_id"]) for e in invited if e.rel.props.get("project_id")])
    people: list[Invitee] = []
    if invitees:
        firms = describe(store, who, [e.node for e in invited])
        for e, firm in zip(invited, firms, strict=True):
            r = e.rel.props
            state = states.get(str(r.get("project_id")))
            hidden = firm.restricted  # outside the caller's scope: its score and reasons are not shown either
            people.append(Invitee(firm, r.get("rank"), None if hidden else r.get("score"),
                                  [] if hidden else list(r.get("reasons") or []),
                                  str(r.get("origin", "manual")), bool(r.get("attended")), r.get("project_id"),
                                  state[0] if state else None))
    return EventView(eid, str(p.get("title", "")), p.get("product"), need.id if need else None,
                     str(p.get("direction", "buyers")), str(p.get("status", "planned")), p.get("held_on"),
                     zone.id if zone else None, describe(store, who, [host])[0] if host else None,
                     Ref(chain.id, display_name(chain)) if chain else None, _funnel(invited, states), people)


def _load(store: Store, who: Principal, event_id: str) -> Node:
    node = store.get("MatchEvent", [event_id]).get(event_id)
    if node is None:
        raise NotFound(f"No match event has the id '{event_id}'.")
    if who.zones is not None:
        zone = _first(store.edges("MatchEvent", [event_id], "IN_ZONE"), event_id)
        if zone is None or zone.id not in who.zones:
            raise PermissionDenied(f"对接活动 '{event_id}' 不在令牌 '{who.id}' 的范围（{who.scope}）内。",
                                   details={"label": "MatchEvent", "id": event_id})
    return node


def _writer(store: Store, who: Principal, event_id: str) -> Node:
    require(who, "events:write")
    node = _load(store, who, event_id)
    zone = _first(store.edges("MatchEvent", [event_id], "IN_ZONE"), event_id)
    authorize(store, who, "events:write", zones=[zone.id] if zone and who.zones is not None else [])
    return node


def get_event(store: Store, who: Principal, event_id: str) -> EventView:
    """One event with its host, chain, funnel and every invitee (rank, reasons, attendance, project)."""
    require(who, "read")
    return _view(store, who, _load(store, who, event_id))


def list_events(store: Store, who: Principal, *, zone_id: str | None = None, chain_id: str | None = None,
                limit: int = 50, offset: int = 0) -> Page[EventView]:
    """Events by id with their funnels (invitees left out: read one event for them)."""
    require(who, "read")

    def keep(batch: Sequence[Node]) -> list[Node]:
        ids = [n.id for n in batch]
        zones = store.edges("MatchEvent", ids, "IN_ZONE")
        chains = store.edges("MatchEvent", ids, "EVENT_CHAIN") if chain_id else {}
        out = []
        for n in batch:
            z = zones[n.id][0].node.id if zones[n.id] else None
            if (zone_id and z != zone_id) or (who.zones is not None and z not in who.zones):
                continue
            if chain_id and not any(e.node.id == chain_id for e in chains[n.id]):
                continue
            out.append(n)
        return out

    page = filtered(lambda n, o: store.find("MatchEvent", limit=n, offset=o), keep, limit=limit, offset=offset)
    return Page([_view(store, who, n, invitees=False) for n in page.items], limit, offset, page.total)


def _chain_of_firm(store: Store, firm_id: str) -> str | None:
    for seg in store.edges("Enterprise", [firm_id], "IN_SEGMENT")[firm_id]:
        chain = _first(store.edges("Segment", [seg.node.id], "SEGMENT_OF"), seg.node.id)
        if chain is not None:
            return chain.id
    return None


def create_event(store: Store, who: Principal, *, title: str, need_id: str | None = None,
                 host_id: str | None = None, product: str | None = None, chain_id: str | None = None,
                 held_on: date | None = None, direction: str | None = None,
                 at: datetime | None = None) -> EventView:
    """Create an event for a need (找买家 → buyers, 找供应 → suppliers; its poster hosts it) or for a host firm's
    product (``direction``: buyers by default). Its chain is ``chain_id`` or the host's chain."""
    require(who, "events:write")
    title = normalize_text(title)
    if not title:
        raise InvalidRequest("title（活动名称）为空：例如「高压灭菌设备食品企业对接会」。")
    need = None
    if need_id:
        need = store.get("Need", [need_id]).get(need_id)
        if need is None:
            raise NotFound(f"No need has the id '{need_id}'.")
        kind = str(need.props.get("kind"))
        if kind not in ("buyers", "supply"):
            raise InvalidRequest(f"需求 '{need_id}' 的类别是 {kind}：对接活动只为找买家（buyers）或找供应（supply）的需求举办。")
        poster = _first(store.edges("Need", [need_id], "POSTED", "in"), need_id)
        if host_id and poster is not None and host_id != poster.id:
            raise InvalidRequest(f"需求 '{need_id}' 由 {poster.id} 提出，活动的发起企业就是它；不要另填 host_id。")
        host_id = poster.id if poster is not None else host_id
        product = product or need.props.get("product") or need.props.get("title")
        direction = "buyers" if kind == "buyers" else "suppliers"
    product = normalize_text(product or "") or None
    if not need and not product:
        raise InvalidRequest("对接活动须针对一条需求（need_id）或一种产品（product 与其生产企业 host_id）。")
    if not host_id:
        raise InvalidRequest("请指明发起企业 host_id（产品的生产企业）：每位受邀企业的结果都成为它与发起企业的撮合项目。")
    host = store.get("Enterprise", [host_id]).get(host_id)
    if host is None:
        raise NotFound(f"No enterprise has the id '{host_id}' (host_id).")
    direction = direction or "buyers"
    if direction not in _DIRECTIONS:
        raise InvalidRequest(f"direction 的值 '{direction}' 无效；应为 buyers（下游买家）、suppliers（上游供应商）或 "
                             "partners（同环节伙伴）。")
    zone = _first(store.edges("Enterprise", [host_id], "IN_ZONE"), host_id)
    if chain_id:
        if not store.get("Chain", [chain_id]):
            raise NotFound(f"No chain has the id '{chain_id}'.")
    else:
        chain_id = _chain_of_firm(store, host_id)
    authorize(store, who, "events:write", firms=[host_id], needs=[need_id] if need_id else [])
    when = at or audit.now_cst()
    eid = f"EV{when:%Y%m%d}-{uuid.uuid4().hex[:8]}"
    props: dict[str, Any] = {"id": eid, "title": title, "status": "planned", "direction": direction, "changes": 0}
    if product:
        props["product"] = product
    if held_on:
        props["held_on"] = check_date("held_on", held_on).isoformat()
    node = Node("MatchEvent", eid, props)
    batch = GraphBatch(nodes=[node, audit.entry(who.actor, "event.create", "MatchEvent", eid, title, at=when)],
                       rels=[Rel("HOSTS", "Enterprise", host_id, "MatchEvent", eid)])
    if need_id:
        batch.rels.append(Rel("EVENT_FOR_NEED", "MatchEvent", eid, "Need", need_id))
    if zone:
        batch.rels.append(Rel("IN_ZONE", "MatchEvent", eid, "Zone", zone.id))
    if chain_id:
        batch.rels.append(Rel("EVENT_CHAIN", "MatchEvent", eid, "Chain", chain_id))
    store.write(batch)
    return _view(store, who, node)


def suggestions(store: Store, index: MatchIndex, who: Principal, event_id: str, *, top: int = 80,
                scope: str = "all", weights: NDArray[np.float64] | None = None,
                model_name: str = "默认权重") -> Recommendations:
    """The firms the one scorer recommends for the event (its open need, else its product from the host's zone),
    with their reasons; the host is left out."""
    from chainmatch.matching.ranking import recommend_for_need, recommend_for_text

    require(who, "read")
    node = _load(store, who, event_id)
    view = _view(store, who, node, invitees=False)
    need_open = view.need_id is not None and any(n.id == view.need_id for ns in index.needs.values() for n in ns)
    if need_open and view.need_id is not None:
        recs = recommend_for_need(index, view.need_id, scope=scope, top=top, weights=weights, model_name=model_name)
    else:
        recs = recommend_for_text(index, view.product or view.title, direction=view.direction, zone_id=view.zone_id,
                                  scope=scope, top=top, weights=weights, model_name=model_name)
    host = view.host.id if view.host else None
    return replace(recs, items=[r for r in recs.items if r.id != host])


def _write_invitations(store: Store, who: Principal, node: Node, rels: Sequence[Rel], action: str, detail: str,
                       when: datetime, *, props: dict[str, Any] | None = None, resets: Sequence[Reset] = (),
                       extra: Sequence[Node] = ()) -> None:
    changes = int(node.props.get("changes") or 0)
    batch = GraphBatch(nodes=[Node("MatchEvent", node.id, {**(props or node.props), "changes": changes + 1}),
                              *extra, audit.entry(who.actor, f"event.{action}", "MatchEvent", node.id, detail,
                                                  at=when)],
                       rels=list(rels), resets=list(resets),
                       expects=[Expect("MatchEvent", node.id, "changes", node.props.get("changes"))])
    store.write(batch)


def invite(store: Store, index: MatchIndex, who: Principal, event_id: str, *, enterprise_ids: Sequence[str] = (),
           top: int | None = None, scope: str = "all", weights: NDArray[np.float64] | None = None,
           model_name: str = "默认权重", at: datetime | None = None) -> EventView:
    """Invite firms: the ``top`` recommended ones not yet invited, and/or ``enterprise_ids`` by hand. A firm the
    recommendations hold keeps its rank, score and reasons; one they do not is a manual invitee. A firm already
    invited (or named twice), the host, or an unknown id is refused and nothing is written."""
    node = _writer(store, who, event_id)
    if top is None and not enterprise_ids:
        raise InvalidRequest("请给出要邀请的企业 enterprise_ids，或从推荐名单中邀请前 top 家。")
    if top is not None and not 1 <= top <= _POOL:
        raise InvalidRequest(f"top 的值 {top} 无效；应为 1 到 {_POOL}。")
    invited = _invited(store, event_id)
    host = _first(store.edges("MatchEvent", [event_id], "HOSTS", "in"), event_id)
    named = [e.strip() for e in enterprise_ids]
    seen: set[str] = set()
    for firm in named:
        if firm in invited:
            raise Conflict(f"企业 {display_name(invited[firm].node)}（{firm}）已受邀参加本次活动，不能重复邀请。未做任何修改。",
                           details={"enterprise_id": firm})
        if firm in seen:
            raise Conflict(f"企业 {firm} 在名单中出现了两次；每家企业只邀请一次。未做任何修改。", details={"enterprise_id": firm})
        seen.add(firm)
        if host is not None and firm == host.id:
            raise InvalidRequest(f"企业 {firm} 是本次活动的发起企业，不作为受邀企业。")
    found = store.get("Enterprise", named)
    missing = [f for f in named if f not in found]
    if missing:
        raise NotFound(f"No enterprise has the id '{missing[0]}'.",
                       candidates=[n.id for n in store.find("Enterprise", text=missing[0], limit=5)])
    recs = suggestions(store, index, who, event_id, top=_POOL, scope=scope, weights=weights, model_name=model_name)
    by_id = {r.id: r for r in recs.items}
    chosen = list(named)
    if top is not None:
        chosen += [r.id for r in recs.items if r.id not in invited and r.id not in seen][:top]
    if not chosen:
        raise Conflict(f"推荐名单中的企业都已受邀（共 {len(invited)} 家）；请按编号添加其他企业。")
    rels = []
    for firm in chosen:
        r = by_id.get(firm)
        props: dict[str, Any] = ({"rank": r.rank, "score": round(float(r.score), 4), "reasons": list(r.reasons),
                                  "origin": "recommendation"} if r is not None
                                 else {"origin": "manual", "reasons": ["工作人员添加"]})
        props["attended"] = False
        rels.append(Rel("INVITED", "Enterprise", firm, "MatchEvent", event_id, props))
    when = at or audit.now_cst()
    _write_invitations(store, who, node, rels, "invite", f"{len(chosen)} 家：{', '.join(chosen[:10])}"
                       + ("…" if len(chosen) > 10 else ""), when)
    return _view(store, who, store.get("MatchEvent", [event_id])[event_id])


def remove_invitee(store: Store, who: Principal, event_id: str, enterprise_id: str, *,
                   at: datetime | None = None) -> EventView:
    """Take a firm off the invitation list (staff edit it); one whose outcome is recorded stays."""
    node = _writer(store, who, event_id)
    invited = _invited(store, event_id)
    if enterprise_id not in invited:
        raise NotFound(f"企业 {enterprise_id} 不在对接活动 '{event_id}' 的邀请名单中。")
    if invited[enterprise_id].rel.props.get("project_id"):
        raise Conflict(f"企业 {enterprise_id} 的对接结果已记为项目 {invited[enterprise_id].rel.props['project_id']}，"
                       "不能移出名单；请在项目中把结果改为放弃（dropped）。")
    rest = [e.rel for f, e in invited.items() if f != enterprise_id]
    _write_invitations(store, who, node, rest, "uninvite", enterprise_id, at or audit.now_cst(),
                       resets=[Reset("INVITED", "MatchEvent", event_id, "in")])
    return _view(store, who, store.get("MatchEvent", [event_id])[event_id])


def record_attendance(store: Store, who: Principal, event_id: str, enterprise_ids: Sequence[str], *,
                      attended: bool = True, held_on: date | None = None, at: datetime | None = None) -> EventView:
    """Record which invitees came (到场); the event is then held (on ``held_on``, by default today)."""
    node = _writer(store, who, event_id)
    invited = _invited(store, event_id)
    wanted = list(dict.fromkeys(enterprise_ids))
    if not wanted:
        raise InvalidRequest("enterprise_ids 为空：请列出到场（或未到场）的受邀企业。")
    outside = [f for f in wanted if f not in invited]
    if outside:
        raise Conflict(f"企业 {outside[0]} 未受邀参加对接活动 '{event_id}'，不能记录到场；先邀请它。未做任何修改。",
                       details={"enterprise_id": outside[0]})
    when = at or audit.now_cst()
    rels = [Rel("INVITED", "Enterprise", f, "MatchEvent", event_id, {**invited[f].rel.props, "attended": attended})
            for f in wanted]
    props = {**node.props, "status": "held"}
    props.setdefault("held_on", check_date("held_on", held_on or when.date()).isoformat())
    _write_invitations(store, who, node, rels, "attendance", f"{'到场' if attended else '未到场'} {len(wanted)} 家",
                       when, props=props)
    return _view(store, who, store.get("MatchEvent", [event_id])[event_id])


def record_outcome(store: Store, who: Principal, event_id: str, enterprise_id: str, status: str, *,
                   person_id: str | None = None, note: str | None = None, limits: Limits = DEFAULT_LIMITS,
                   at: datetime | None = None) -> Invitee:
    """Record what became of an invitee: its project with the host (created at the first outcome, claimed by
    ``person_id`` or the token's person) is moved through contacted and negotiating to ``status``; declined and
    dropped end it from any open status. A status it has passed or a finished project is a Conflict."""
    node = _writer(store, who, event_id)
    if status not in OUTCOMES:
        raise InvalidRequest(f"status 的值 '{status}' 无效；应为 {', '.join(OUTCOMES)} 之一。")
    invited = _invited(store, event_id)
    if enterprise_id not in invited:
        raise Conflict(f"企业 {enterprise_id} 未受邀参加对接活动 '{event_id}'；先邀请它再记录结果。",
                       details={"enterprise_id": enterprise_id})
    edge = invited[enterprise_id]
    project_id = edge.rel.props.get("project_id")
    project = store.get("Project", [str(project_id)]).get(str(project_id)) if project_id else None
    current = str(project.props.get("status")) if project else "proposed"
    if current in TERMINAL:
        raise Conflict(f"企业 {enterprise_id} 的对接项目 {project_id} 已结束（{_STATUS_NAMES[current]}），不能再改为"
                       f"「{_STATUS_NAMES[status]}」。", details={"project_id": project_id, "status": current})
    if status in _PATH and _PATH.index(status) <= _PATH.index(current):
        raise Conflict(f"企业 {enterprise_id} 的对接项目已是「{_STATUS_NAMES[current]}」，不能回到「{_STATUS_NAMES[status]}」。",
                       details={"project_id": project_id, "status": current})
    claimed = bool(project and store.edges("Project", [project.id], "CLAIMED_BY")[project.id])
    claimant = person_id or who.person_id
    needs_claim = not claimed and status != "dropped" and status != "declined"
    if needs_claim and not claimant:
        raise InvalidRequest(f"令牌 '{who.id}' 未对应任何人员：请用 person_id 指明谁认领并跟进该企业的对接（首问负责）。")
    if needs_claim and claimant and not store.get("Person", [claimant]):
        raise NotFound(f"No person has the id '{claimant}' (person_id).")
    host = _first(store.edges("MatchEvent", [event_id], "HOSTS", "in"), event_id)
    need = _first(store.edges("MatchEvent", [event_id], "EVENT_FOR_NEED"), event_id)
    if host is None:
        raise Conflict(f"对接活动 '{event_id}' 没有发起企业，结果无法记为项目。")
    when = at or audit.now_cst()
    title = str(node.props.get("title", ""))
    if project is None:
        host_role, firm_role = _ROLES[str(node.props.get("direction", "buyers"))]
        if need is not None and need.props.get("status") != "closed":
            made = create_project(store, who, need_id=need.id, parties=[(enterprise_id, "partner")], event=event_id,
                                  origin="event", note=f"对接活动「{title}」", limits=limits, at=when)
        else:
            made = create_project(store, who, parties=[(host.id, host_role), (enterprise_id, firm_role)],
                                  event=event_id, origin="event", note=f"对接活动「{title}」", limits=limits, at=when)
        project_id = made.id
        _link_project(store, who, event_id, enterprise_id, project_id, when)
    pid = str(project_id)
    if needs_claim and claimant:
        claim_project(store, who, pid, person_id=claimant, at=when)
    steps = ([status] if status in ("declined", "dropped")
             else list(_PATH[_PATH.index(current) + 1:_PATH.index(status) + 1]))
    for i, step in enumerate(steps):
        advance_project(store, who, pid, step, note=note if i == len(steps) - 1 else f"对接活动「{title}」",
                        limits=limits, at=when)
    view = get_event(store, who, event_id)
    return next(i for i in view.invitees if i.firm.id == enterprise_id)


_LINK_TRIES = 5


def _link_project(store: Store, who: Principal, event_id: str, enterprise_id: str, project_id: str,
                  when: datetime) -> None:
    """Write the invitee's new project on its invitation. The write expects the event's list unchanged since it
    was read; when someone changed the list meanwhile (another invitee's outcome, an invitation), the list is read
    again and the link written on it, up to ``_LINK_TRIES`` times. When another request linked a project to this
    same invitee meanwhile, the project made here is deleted and a Conflict names the other one."""
    for attempt in range(_LINK_TRIES):
        fresh = store.get("MatchEvent", [event_id]).get(event_id)
        invitation = _invited(store, event_id).get(enterprise_id) if fresh is not None else None
        linked = invitation.rel.props.get("project_id") if invitation is not None else None
        if fresh is None or invitation is None or linked:
            _discard_project(store, project_id)
            if linked:
                raise Conflict(f"企业 {enterprise_id} 的对接结果刚由他人记为项目 {linked}，这次记录没有生效（未新建项目）。"
                               "请刷新后在该项目上继续。", details={"enterprise_id": enterprise_id, "project_id": linked})
            raise Conflict(f"企业 {enterprise_id} 在这次记录期间被移出了对接活动 '{event_id}' 的名单，结果没有记录。")
        try:
            _write_invitations(store, who, fresh, [Rel("INVITED", "Enterprise", enterprise_id, "MatchEvent", event_id,
                                                       {**invitation.rel.props, "project_id": project_id})],
                               "outcome", f"{enterprise_id} → {project_id}", when)
            return
        except Conflict:
            if attempt == _LINK_TRIES - 1:
                _discard_project(store, project_id)
                raise Conflict(f"对接活动 '{event_id}' 的名单一直在被他人修改，企业 {enterprise_id} 的结果试了 "
                               f"{_LINK_TRIES} 次仍未记录（未新建项目）。请稍后再试。",
                               details={"enterprise_id": enterprise_id}) from None


def _discard_project(store: Store, project_id: str) -> None:
    """Delete a project made for an outcome that could not be recorded, with its steps."""
    steps = [e.node.id for e in store.edges("Project", [project_id], "STEP_OF", "in")[project_id]]
    store.delete("ProjectStep", steps)
    store.delete("Project", [project_id])


def chain_funnels(store: Store, who: Principal, *, zone_id: str | None = None) -> list[ChainFunnel]:
    """The funnel of every chain's events together (events without a chain under 未归链)."""
    require(who, "read")
    events = list(store.scan("MatchEvent"))
    ids = [n.id for n in events]
    zones = store.edges("MatchEvent", ids, "IN_ZONE") if ids else {}
    chains = store.edges("MatchEvent", ids, "EVENT_CHAIN") if ids else {}
    groups: dict[str | None, list[str]] = defaultdict(list)
    names: dict[str | None, str] = {None: "未归链"}
    for n in events:
        z = zones[n.id][0].node.id if zones[n.id] else None
        if (zone_id and z != zone_id) or (who.zones is not None and z not in who.zones):
            continue
        chain = chains[n.id][0].node if chains[n.id] else None
        key = chain.id if chain else None
        if chain:
            names[key] = display_name(chain)
        groups[key].append(n.id)
    out = []
    for key in sorted(groups, key=lambda k: (k is None, k or "")):
        invitations = [e for eid in groups[key] for e in _invited(store, eid).values()]
        states = _project_states(store, [str(e.rel.props["project_id"]) for e in invitations
                                         if e.rel.props.get("project_id")])
        out.append(ChainFunnel(key, names[key], len(groups[key]), _funnel(invitations, states)))
    return out
