"""Projects (撮合项目): a match between firms, or between a need and a resource, followed from proposal to outcome.

Status machine (each step is a ProjectStep node with who, when and a note)::

    proposed ─→ contacted ─→ negotiating ─→ signed
        │            │             │
        └────────────┴─────────────┴──→ declined | dropped

A project is claimed (认领) by a person before anyone contacts the firms (首问负责制: the claimant owns it);
an unclaimed proposal may still be declined or dropped.
Each step owes feedback within the feedback limit (5 days by default); a finished project owes nothing.
Signed, declined and dropped projects are the outcomes that ``chainmatch train`` learns from.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chainmatch.access import audit
from chainmatch.access.auth import Principal, authorize, require, visible_firms
from chainmatch.enterprises import Ref, display_name
from chainmatch.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from chainmatch.firms import Firm, describe, normalize_text
from chainmatch.pages import Page, filtered
from chainmatch.stores.base import Expect, GraphBatch, Node, Rel, Reset, Store
from chainmatch.workflows.deadlines import DEFAULT_LIMITS, Limits, due_for_project, is_overdue
from graph_schema import load_schema

__all__ = [
    "ROLES",
    "STATUSES",
    "TERMINAL",
    "TRANSITIONS",
    "Party",
    "ProjectView",
    "Step",
    "advance_project",
    "claim_project",
    "create_project",
    "get_project",
    "list_projects",
]

STATUSES = tuple(load_schema().enums["project_status"])
ROLES = tuple(load_schema().enums["party_role"])
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("contacted", "declined", "dropped"),
    "contacted": ("negotiating", "declined", "dropped"),
    "negotiating": ("signed", "declined", "dropped"),
    "signed": (),
    "declined": (),
    "dropped": (),
}
TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
_OPPOSITE = {"buyers": ("supplier", "buyer"), "supply": ("buyer", "supplier")}  # need kind → (poster, provider)


@dataclass(frozen=True)
class Party:
    firm: Firm
    role: str


@dataclass(frozen=True)
class Step:
    id: str
    status: str
    action: str
    at: str
    by: str | None
    note: str | None


@dataclass(frozen=True)
class ProjectView:
    id: str
    title: str
    status: str
    origin: str | None
    event: str | None
    created_on: str
    due_on: str | None
    overdue: bool
    zone_id: str | None
    need_id: str | None
    resource_id: str | None
    owner: Ref | None
    parties: list[Party]
    steps: list[Step]
    next_statuses: list[str]


def _parties(store: Store, ids: Sequence[str]) -> dict[str, list[tuple[Node, str]]]:
    edges = store.edges("Project", list(ids), "PARTY_TO", "in")
    return {i: [(e.node, str(e.rel.props.get("role", "partner"))) for e in es] for i, es in edges.items()}


def _need_firms(store: Store, ids: Sequence[str]) -> dict[str, list[str]]:
    needs = store.edges("Project", list(ids), "FOR_NEED")
    need_ids = [e.node.id for es in needs.values() for e in es]
    posters = store.edges("Need", need_ids, "POSTED", "in") if need_ids else {}
    return {i: [e.node.id for n in es for e in posters.get(n.node.id, [])] for i, es in needs.items()}


def _firm_ids(store: Store, project_id: str) -> list[str]:
    firms = [n.id for n, _ in _parties(store, [project_id])[project_id]]
    return list(dict.fromkeys(firms + _need_firms(store, [project_id])[project_id]))


def _load(store: Store, who: Principal, project_id: str) -> Node:
    node = store.get("Project", [project_id]).get(project_id)
    if node is None:
        raise NotFound(f"No project has the id '{project_id}'.")
    if who.grids is not None:
        firms = _firm_ids(store, project_id)
        if not visible_firms(store, who, firms):
            raise PermissionDenied(f"Project '{project_id}' involves no firm in the grids of token '{who.id}'.")
    return node


def _view(store: Store, who: Principal, node: Node, today: date) -> ProjectView:
    pid = node.id
    parties = _parties(store, [pid])[pid]
    firms = describe(store, who, [n for n, _ in parties])
    steps = sorted(
        (Step(e.node.id, str(e.node.props.get("status")), str(e.node.props.get("action") or "status"),
              str(e.node.props.get("at")), e.node.props.get("by"), e.node.props.get("note"))
         for e in store.edges("Project", [pid], "STEP_OF", "in")[pid]),
        key=lambda s: (s.at, s.id),
    )
    one = [pid]
    owner = store.edges("Project", one, "CLAIMED_BY")[pid]
    need = store.edges("Project", one, "FOR_NEED")[pid]
    res = store.edges("Project", one, "USES_RESOURCE")[pid]
    zone = store.edges("Project", one, "IN_ZONE")[pid]
    status = str(node.props.get("status"))
    due = node.props.get("due_on")
    return ProjectView(
        pid, str(node.props.get("title", "")), status, node.props.get("origin"), node.props.get("event"),
        str(node.props.get("created_on", "")), due, status not in TERMINAL and is_overdue(due, today),
        zone[0].node.id if zone else None, need[0].node.id if need else None, res[0].node.id if res else None,
        Ref(owner[0].node.id, display_name(owner[0].node)) if owner else None,
        [Party(f, role) for f, (_, role) in zip(firms, parties)], steps, list(TRANSITIONS.get(status, ())),
    )


def _step(project_id: str, n: int, status: str, action: str, who: Principal, when: datetime,
          note: str | None) -> tuple[Node, Rel]:
    sid = f"{project_id}-S{n:02d}"
    props: dict[str, Any] = {"id": sid, "status": status, "action": action, "at": when.isoformat(),
                             "by": f"{who.name} ({who.id})"}
    if note:
        props["note"] = note.strip()
    return Node("ProjectStep", sid, props), Rel("STEP_OF", "ProjectStep", sid, "Project", project_id)


def create_project(store: Store, who: Principal, *, parties: Sequence[tuple[str, str]] = (),
                   need_id: str | None = None, resource_id: str | None = None, title: str | None = None,
                   event: str | None = None, origin: str | None = None, note: str | None = None,
                   limits: Limits = DEFAULT_LIMITS, at: datetime | None = None) -> ProjectView:
    """Propose a project from a firm pair (a recommendation: ``parties`` as (firm id, role)) or a need with a
    resource or a firm. The need's poster and an enterprise resource's provider join as parties, their roles
    following the need's kind (a ``buyers`` need: the poster supplies)."""
    require(who, "projects:write")
    party_roles: dict[str, str] = {}
    for firm_id, role in parties:
        if role not in ROLES:
            raise InvalidRequest(f"role has value '{role}'. It must be one of {', '.join(ROLES)}.")
        party_roles[firm_id] = role
    need = resource = None
    if need_id:
        need = store.get("Need", [need_id]).get(need_id)
        if need is None:
            raise NotFound(f"No need has the id '{need_id}'.")
        if need.props.get("status") == "closed":
            raise Conflict(f"Need '{need_id}' is closed; it cannot start a project.")
        poster_role, provider_role = _OPPOSITE.get(str(need.props.get("kind")), ("partner", "partner"))
        for e in store.edges("Need", [need_id], "POSTED", "in")[need_id]:
            party_roles.setdefault(e.node.id, poster_role)
        for firm_id, role in parties:
            if role == "partner":
                party_roles[firm_id] = provider_role
    if resource_id:
        resource = store.get("Resource", [resource_id]).get(resource_id)
        if resource is None:
            raise NotFound(f"No resource has the id '{resource_id}'.")
        if resource.props.get("status") == "withdrawn":
            raise Conflict(f"Resource '{resource_id}' was withdrawn; it cannot start a project.")
        for e in store.edges("Resource", [resource_id], "OFFERS", "in")[resource_id]:
            if e.node.label == "Enterprise":
                party_roles.setdefault(e.node.id, _OPPOSITE.get(str(need.props.get("kind")) if need else "",
                                                                ("partner", "partner"))[1])
    if not need and len(party_roles) < 2:
        raise InvalidRequest("A project needs two firms (parties), or a need_id with a resource_id or a firm.")
    if need and not resource and len(party_roles) < 2:
        raise InvalidRequest("A project from a need also needs a resource_id or a second firm in parties.")
    firms = store.get("Enterprise", list(party_roles))
    missing = [f for f in party_roles if f not in firms]
    if missing:
        raise NotFound(f"No enterprise has the id '{missing[0]}'.")
    # Every party, the need and the resource must lie in the caller's scope (a grid chief: their grids).
    authorize(store, who, "projects:write", firms=list(party_roles), needs=[need.id] if need else [],
              uses=[resource.id] if resource else [])
    when = at or audit.now_cst()
    pid = f"PJ{when:%Y%m%d}-{uuid.uuid4().hex[:8]}"
    names = [str(firms[f].props.get("short_name") or display_name(firms[f])) for f in party_roles]
    title = normalize_text(title or "") or (" × ".join(names) + (f"：{need.props.get('title')}" if need else ""))
    props: dict[str, Any] = {"id": pid, "title": title, "status": "proposed", "created_on": when.date().isoformat(),
                             "due_on": due_for_project(when.date(), limits).isoformat(),
                             "origin": origin or ("need" if need else "manual")}
    if event:
        props["event"] = event.strip()
    node = Node("Project", pid, props)
    step, step_rel = _step(pid, 1, "proposed", "created", who, when, note)
    batch = GraphBatch(nodes=[node, step, audit.entry(who.actor, "project.create", "Project", pid, title, at=when)])
    batch.rels.append(step_rel)
    batch.rels += [Rel("PARTY_TO", "Enterprise", f, "Project", pid, {"role": r}) for f, r in party_roles.items()]
    if need:
        batch.rels.append(Rel("FOR_NEED", "Project", pid, "Need", need.id))
    if resource:
        batch.rels.append(Rel("USES_RESOURCE", "Project", pid, "Resource", resource.id))
    zone = store.edges("Enterprise", list(party_roles)[:1], "IN_ZONE")[next(iter(party_roles))]
    if zone:
        batch.rels.append(Rel("IN_ZONE", "Project", pid, "Zone", zone[0].node.id))
    store.write(batch)
    return _view(store, who, node, when.date())


def get_project(store: Store, who: Principal, project_id: str, *, today: date | None = None) -> ProjectView:
    """One project with its parties, claimant and every step."""
    require(who, "read")
    return _view(store, who, _load(store, who, project_id), today or audit.now_cst().date())


def list_projects(store: Store, who: Principal, *, zone_id: str | None = None, status: str | None = None,
                  enterprise_id: str | None = None, owner_id: str | None = None, overdue: bool | None = None,
                  today: date | None = None, limit: int = 50, offset: int = 0) -> Page[ProjectView]:
    """Projects by id, filtered; a grid chief sees the projects of the firms in their grids."""
    require(who, "read")
    if status and status not in STATUSES:
        raise InvalidRequest(f"status has value '{status}'. It must be one of {', '.join(STATUSES)}.")
    day = today or audit.now_cst().date()
    where = {"status": status} if status else {}

    def keep(batch: Sequence[Node]) -> list[Node]:
        ids = [n.id for n in batch]
        parties = _parties(store, ids)
        need_firms = _need_firms(store, ids)
        zones = store.edges("Project", ids, "IN_ZONE") if zone_id else {}
        owners = store.edges("Project", ids, "CLAIMED_BY") if owner_id else {}
        out = []
        for n in batch:
            firms = [f.id for f, _ in parties[n.id]] + need_firms[n.id]
            if who.grids is not None and not visible_firms(store, who, firms):
                continue
            if enterprise_id and enterprise_id not in firms:
                continue
            if zone_id and not any(e.node.id == zone_id for e in zones[n.id]):
                continue
            if owner_id and not any(e.node.id == owner_id for e in owners[n.id]):
                continue
            late = n.props.get("status") not in TERMINAL and is_overdue(n.props.get("due_on"), day)
            if overdue is not None and late != overdue:
                continue
            out.append(n)
        return out

    page = filtered(lambda n, o: store.find("Project", where=where, limit=n, offset=o), keep,
                    limit=limit, offset=offset)
    return Page([_view(store, who, n, day) for n in page.items], limit, offset, page.total)


def _write_step(store: Store, who: Principal, node: Node, status: str, action: str, note: str | None,
                when: datetime, props: dict[str, Any], extra: GraphBatch, detail: str) -> None:
    n = len(store.edges("Project", [node.id], "STEP_OF", "in")[node.id]) + 1
    step, rel = _step(node.id, n, status, action, who, when, note)
    extra.nodes += [Node("Project", node.id, {**props, "steps": n}), step,
                    audit.entry(who.actor, f"project.{action}", "Project", node.id, detail, at=when)]
    extra.rels.append(rel)
    # Decided on the project as read: if another step was written since (another worker, another person),
    # this one is refused with a Conflict instead of both being applied.
    extra.expects.append(Expect("Project", node.id, "steps", node.props.get("steps")))
    store.write(extra)


def _check_claimant_zone(store: Store, who: Principal, project_id: str, person_id: str) -> None:
    """A project is claimed by someone of its zone (首问负责: the claimant must be able to act there); only an
    admin may name a person of another zone."""
    if who.role == "admin":
        return
    project_zone = store.edges("Project", [project_id], "IN_ZONE")[project_id]
    person_zone = store.edges("Person", [person_id], "IN_ZONE")[person_id]
    if project_zone and person_zone and project_zone[0].node.id != person_zone[0].node.id:
        raise PermissionDenied(
            f"Person '{person_id}' works in zone {person_zone[0].node.id}, but project '{project_id}' is in zone "
            f"{project_zone[0].node.id}; only people of the project's zone may claim it. Name a person of zone "
            f"{project_zone[0].node.id}.", details={"label": "Person", "id": person_id})


def claim_project(store: Store, who: Principal, project_id: str, *, person_id: str | None = None,
                  note: str | None = None, at: datetime | None = None) -> ProjectView:
    """Claim (认领) a project for a person (by default the token's own person); a claimed project cannot be
    claimed by someone else, and a finished one cannot be claimed."""
    require(who, "projects:write")
    node = _load(store, who, project_id)
    person_id = person_id or who.person_id
    if not person_id:
        raise InvalidRequest(f"Say who claims the project: person_id (token '{who.id}' is not linked to a person).")
    person = store.get("Person", [person_id]).get(person_id)
    if person is None:
        raise NotFound(f"No person has the id '{person_id}'.")
    authorize(store, who, "projects:write", projects=[project_id], people=[person_id])
    _check_claimant_zone(store, who, project_id, person_id)
    status = str(node.props.get("status"))
    if status in TERMINAL:
        raise Conflict(f"Project '{project_id}' is {status}; a finished project cannot be claimed.")
    owner = store.edges("Project", [project_id], "CLAIMED_BY")[project_id]
    if owner and owner[0].node.id != person_id:
        raise Conflict(f"Project '{project_id}' is already claimed by {display_name(owner[0].node)} "
                       f"({owner[0].node.id}).")
    if owner:
        return _view(store, who, node, (at or audit.now_cst()).date())
    when = at or audit.now_cst()
    batch = GraphBatch(rels=[Rel("CLAIMED_BY", "Project", project_id, "Person", person_id)],
                       resets=[Reset("CLAIMED_BY", "Project", project_id)])
    _write_step(store, who, node, status, "claimed", note or f"认领人 {display_name(person)}", when,
                dict(node.props), batch, person_id)
    return _view(store, who, store.get("Project", [project_id])[project_id], when.date())


def advance_project(store: Store, who: Principal, project_id: str, status: str, *, note: str | None = None,
                    limits: Limits = DEFAULT_LIMITS, at: datetime | None = None) -> ProjectView:
    """Move a project to its next status; an illegal transition is a Conflict naming the allowed ones.

    A signed project marks its open need as matched (已对接).
    """
    require(who, "projects:write")
    if status not in STATUSES:
        raise InvalidRequest(f"status has value '{status}'. It must be one of {', '.join(STATUSES)}.")
    node = _load(store, who, project_id)
    authorize(store, who, "projects:write", projects=[project_id])
    current = str(node.props.get("status"))
    allowed = TRANSITIONS.get(current, ())
    if status not in allowed:
        raise Conflict(
            f"Project '{project_id}' is {current}; it cannot become {status}. "
            + (f"Allowed next: {', '.join(allowed)}." if allowed else "It is finished."),
            details={"status": current, "allowed": list(allowed)},
        )
    if status == "contacted" and not store.edges("Project", [project_id], "CLAIMED_BY")[project_id]:
        raise Conflict(f"Project '{project_id}' is not claimed yet; claim it (认领) before following it up.")
    when = at or audit.now_cst()
    props = {**node.props, "status": status}
    if status in TERMINAL:
        props.pop("due_on", None)
    else:
        props["due_on"] = due_for_project(when.date(), limits).isoformat()
    batch = GraphBatch()
    if status == "signed":
        for e in store.edges("Project", [project_id], "FOR_NEED")[project_id]:
            if e.node.props.get("status") == "open":
                batch.nodes.append(Node("Need", e.node.id, {**e.node.props, "status": "matched"}))
    _write_step(store, who, node, status, "status", note, when, props, batch, f"{current} → {status}")
    return _view(store, who, store.get("Project", [project_id])[project_id], when.date())
