"""Resources (资源清单): what firms and departments offer (buyers' channels, plants, workers, loans, approvals).

Resources are offered, listed, updated and withdrawn; a need's matching resources come from
:func:`chainmatch.needs.candidates`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chainmatch.access import audit
from chainmatch.access.auth import Principal, authorize, require, require_firms, visible_firms
from chainmatch.enterprises import display_name, firm_id
from chainmatch.errors import Conflict, InvalidRequest, NotFound
from chainmatch.firms import normalize_text
from chainmatch.needs import NEED_KINDS
from chainmatch.pages import Page, filtered
from chainmatch.stores.base import GraphBatch, Node, Rel, Store

__all__ = [
    "RESOURCE_STATUSES",
    "ResourceView",
    "create_resource",
    "get_resource",
    "list_resources",
    "provider_id",
    "update_resource",
    "withdraw_resource",
]

RESOURCE_STATUSES = ("available", "withdrawn")
_EDITABLE = ("title", "kind", "product", "description")


@dataclass(frozen=True)
class ResourceView:
    id: str
    title: str
    kind: str
    status: str
    product: str | None
    description: str | None
    provider_id: str | None
    provider_name: str | None
    provider_label: str | None
    zone_id: str | None


def _views(store: Store, nodes: Sequence[Node]) -> list[ResourceView]:
    ids = [n.id for n in nodes]
    providers = store.edges("Resource", ids, "OFFERS", "in")
    zones = store.edges("Resource", ids, "IN_ZONE")
    out = []
    for n in nodes:
        p = providers[n.id][0].node if providers[n.id] else None
        out.append(ResourceView(
            n.id, str(n.props.get("title", "")), str(n.props.get("kind", "")),
            str(n.props.get("status") or "available"), n.props.get("product"), n.props.get("description"),
            p.id if p else None, display_name(p) if p else None, p.label if p else None,
            zones[n.id][0].node.id if zones[n.id] else None,
        ))
    return out


def provider_id(store: Store, query: str) -> str:
    """The id of the provider ``query`` names: a department by id or exact name, else a firm by id, name, short name
    or alias (:func:`chainmatch.enterprises.firm_id`)."""
    q = query.strip()
    if q in store.get("Department", [q]):
        return q
    named = [d.id for d in store.find("Department", text=q, limit=20) if d.props.get("name") == q] if q else []
    if len(named) == 1:
        return named[0]
    try:
        return firm_id(store, q)
    except NotFound as e:
        raise NotFound(f"No enterprise or department is called '{q}'.", candidates=e.candidates) from e


def _provider(store: Store, provider_id: str) -> Node:
    for label in ("Enterprise", "Department"):
        found = store.get(label, [provider_id])
        if provider_id in found:
            return found[provider_id]
    raise NotFound(f"No enterprise or department has the id '{provider_id}'.")


def _load(store: Store, who: Principal, resource_id: str) -> tuple[Node, Node | None]:
    node = store.get("Resource", [resource_id]).get(resource_id)
    if node is None:
        raise NotFound(f"No resource has the id '{resource_id}'.")
    providers = store.edges("Resource", [resource_id], "OFFERS", "in")[resource_id]
    return node, (providers[0].node if providers else None)


def create_resource(store: Store, who: Principal, *, provider_id: str, title: str, kind: str,
                    product: str | None = None, description: str | None = None,
                    at: datetime | None = None) -> ResourceView:
    """Offer a resource from a firm or a department, in the provider's zone."""
    require(who, "resources:write")
    if kind not in NEED_KINDS:
        raise InvalidRequest(f"kind has value '{kind}'. It must be one of {', '.join(NEED_KINDS)}.")
    title = normalize_text(title)
    if not title:
        raise InvalidRequest("title is empty. Say in a few words what is offered, e.g. 标准厂房出租.")
    provider = _provider(store, provider_id)
    if provider.label == "Enterprise":
        authorize(store, who, "resources:write", firms=[provider.id])
    else:
        authorize(store, who, "resources:write", departments=[provider.id])
    when = at or audit.now_cst()
    rid = f"R{when:%Y%m%d}-{uuid.uuid4().hex[:8]}"
    props: dict[str, Any] = {"id": rid, "title": title, "kind": kind, "status": "available"}
    if product:
        props["product"] = normalize_text(product)
    if description:
        props["description"] = description.strip()
    node = Node("Resource", rid, props)
    batch = GraphBatch(nodes=[node, audit.entry(who.actor, "resource.create", "Resource", rid, title, at=when)])
    batch.rels.append(Rel("OFFERS", provider.label, provider.id, "Resource", rid))
    zone = store.edges(provider.label, [provider.id], "IN_ZONE")[provider.id]
    if zone:
        batch.rels.append(Rel("IN_ZONE", "Resource", rid, "Zone", zone[0].node.id))
    store.write(batch)
    return _views(store, [node])[0]


def get_resource(store: Store, who: Principal, resource_id: str) -> ResourceView:
    """One resource with its provider."""
    require(who, "read")
    node, provider = _load(store, who, resource_id)
    if who.grids is not None and provider is not None and provider.label == "Enterprise":
        require_firms(store, who, [provider.id], "resources of firms")
    return _views(store, [node])[0]


def list_resources(store: Store, who: Principal, *, zone_id: str | None = None, kind: str | None = None,
                   status: str | None = None, provider_id: str | None = None, q: str | None = None,
                   limit: int = 50, offset: int = 0) -> Page[ResourceView]:
    """Resources by id, filtered; a grid chief sees departments' resources and their own firms' ones."""
    require(who, "read")
    if kind and kind not in NEED_KINDS:
        raise InvalidRequest(f"kind has value '{kind}'. It must be one of {', '.join(NEED_KINDS)}.")
    if status and status not in RESOURCE_STATUSES:
        raise InvalidRequest(f"status has value '{status}'. It must be one of {', '.join(RESOURCE_STATUSES)}.")
    where = {"kind": kind} if kind else {}
    text = normalize_text(q or "") or None

    def keep(batch: Sequence[Node]) -> list[Node]:
        ids = [n.id for n in batch]
        providers = store.edges("Resource", ids, "OFFERS", "in")
        zones = store.edges("Resource", ids, "IN_ZONE") if zone_id else {}
        firm_ids = [e.node.id for es in providers.values() for e in es if e.node.label == "Enterprise"]
        seen = visible_firms(store, who, firm_ids)
        out = []
        for n in batch:
            p = providers[n.id][0].node if providers[n.id] else None
            if who.grids is not None and p is not None and p.label == "Enterprise" and p.id not in seen:
                continue
            if provider_id and (p is None or p.id != provider_id):
                continue
            if zone_id and not any(e.node.id == zone_id for e in zones[n.id]):
                continue
            if status and (n.props.get("status") or "available") != status:
                continue
            out.append(n)
        return out

    page = filtered(lambda n, o: store.find("Resource", text=text, where=where, limit=n, offset=o), keep,
                    limit=limit, offset=offset)
    return Page(_views(store, page.items), limit, offset, page.total)


def update_resource(store: Store, who: Principal, resource_id: str, changes: dict[str, Any], *,
                    at: datetime | None = None) -> ResourceView:
    """Change a resource's title, kind, product or description; a withdrawn resource cannot change."""
    require(who, "resources:write")
    node, _ = _load(store, who, resource_id)
    authorize(store, who, "resources:write", resources=[resource_id])
    unknown = [k for k in changes if k not in _EDITABLE]
    if unknown:
        raise InvalidRequest(f"'{unknown[0]}' cannot be changed; editable fields are {', '.join(_EDITABLE)}.")
    if node.props.get("status") == "withdrawn":
        raise Conflict(f"Resource '{resource_id}' was withdrawn; offer a new one instead.")
    props = dict(node.props)
    for k, v in changes.items():
        if v is None:
            if k in ("title", "kind"):
                raise InvalidRequest(f"{k} cannot be removed.")
            props.pop(k, None)
            continue
        if k == "kind" and v not in NEED_KINDS:
            raise InvalidRequest(f"kind has value '{v}'. It must be one of {', '.join(NEED_KINDS)}.")
        if k == "title":
            v = normalize_text(str(v))
            if not v:
                raise InvalidRequest("title cannot be empty.")
        props[k] = v
    new = Node("Resource", resource_id, props)
    store.write(GraphBatch(nodes=[new, audit.entry(who.actor, "resource.update", "Resource", resource_id,
                                                   ", ".join(sorted(changes)), at=at)]))
    return _views(store, [new])[0]


def withdraw_resource(store: Store, who: Principal, resource_id: str, *, note: str | None = None,
                      at: datetime | None = None) -> ResourceView:
    """Withdraw (close) a resource; withdrawing it twice is a conflict."""
    require(who, "resources:write")
    node, _ = _load(store, who, resource_id)
    authorize(store, who, "resources:write", resources=[resource_id])
    if node.props.get("status") == "withdrawn":
        raise Conflict(f"Resource '{resource_id}' is already withdrawn.")
    new = Node("Resource", resource_id, {**node.props, "status": "withdrawn"})
    store.write(GraphBatch(nodes=[new, audit.entry(who.actor, "resource.withdraw", "Resource", resource_id,
                                                   note or "", at=at)]))
    return _views(store, [new])[0]
