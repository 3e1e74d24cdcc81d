"""Access: API tokens (the secret shown once, stored as a SHA-256 digest), roles and what each role may see and do.

Roles:

``admin``       everything, including tokens and the audit log; never limited to a zone;
``staff``       investment-promotion staff (招商): reads, creates and follows projects, starts chain maps;
``grid_chief``  reads and writes only within their grids and the grids below them; other firms appear
                at most by id and name;
``viewer``      reads only.
``department``  a department (职能部门) that problems are dispatched to: reads like a viewer of its department's
                zone, acknowledges (报到) and closes the problems dispatched to it, sees only those problems.

A staff or viewer token may be limited to zones (``--zone``): it then reads and writes like a grid chief of
every grid of those zones (and the zones' firms without a grid). A token with no grids and no zones is global.

Library functions take the :class:`Principal` doing the work. Every write goes through :func:`authorize`, the
one place that decides whether the caller may write every node the write touches or links (the need, the
resource, each party firm, the claimant, a project's parties); reads are shaped with :func:`visible_firms`
and :func:`require_firms`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chainmatch.access import audit
from chainmatch.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from chainmatch.pages import Page, filtered
from chainmatch.stores.base import GraphBatch, Node, Rel, Store

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "SYSTEM",
    "NewToken",
    "Principal",
    "Unauthenticated",
    "authenticate",
    "authorize",
    "check_scope",
    "create_token",
    "department_zone",
    "expand_grids",
    "firm_grid",
    "list_tokens",
    "require",
    "require_firms",
    "revoke_token",
    "scoped_principal",
    "visible_firms",
    "zone_grids",
]

ROLES = ("admin", "staff", "grid_chief", "viewer", "department")
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "needs:write", "resources:write", "projects:write", "maps", "tokens", "audit",
                        "model", "problems:write", "problems:handle", "events:write"}),
    "staff": frozenset({"read", "projects:write", "maps", "problems:write", "events:write"}),
    "grid_chief": frozenset({"read", "needs:write", "resources:write", "projects:write", "problems:write"}),
    "viewer": frozenset({"read"}),
    "department": frozenset({"read", "problems:handle"}),
}
_PREFIX = "cm_"
_MAX_GRID_DEPTH = 5  # grids nest three levels; a little slack, and a stop on cycles
_MAX_KNOWN_TOKENS = 10_000  # tokens whose grids and person authenticate() keeps (then it starts over)
_UNKNOWN_DIGEST = "0" * 64  # compared against when a token id is unknown, so both cases cost the same


class Unauthenticated(PermissionDenied):
    """No token, or a token that is unknown, malformed or revoked (HTTP 401)."""

    code = "unauthenticated"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's id, name and role.

    ``grids`` is the set of grids the token may reach (None: no limit): a grid chief's grids and those below
    them, or every grid of the ``zones`` a staff or viewer token is limited to (None: no zone limit).
    ``department_id`` is the department a ``department`` token stands for (its zone is then its only zone).
    """

    id: str
    name: str
    role: str
    grids: frozenset[str] | None = None
    person_id: str | None = None
    zones: frozenset[str] | None = None
    department_id: str | None = None

    @property
    def scope(self) -> str:
        """The token's scope in words, for messages."""
        if self.zones is not None:
            return "zones " + ", ".join(sorted(self.zones))
        if self.grids is not None:
            shown = sorted(self.grids)
            return "grids " + ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")
        return "everything"

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(self.id, self.name, self.role)

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


SYSTEM = Principal("system", "系统(命令行)", "admin")
"""The principal of the command line and of library callers that act for the zone itself."""


@dataclass(frozen=True)
class NewToken:
    """A token just created: ``secret`` is the only copy of the secret; show it once."""

    secret: str
    node: Node


def _digest(secret: str) -> str:
    # The secret carries 256 random bits, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def require(who: Principal, permission: str) -> None:
    """Raise PermissionDenied unless ``who``'s role grants ``permission``."""
    if not who.can(permission):
        raise PermissionDenied(
            f"The role '{who.role}' of token '{who.id}' may not do this (it needs '{permission}'). "
            f"Roles that may: {', '.join(r for r in ROLES if permission in PERMISSIONS[r])}."
        )


def expand_grids(store: Store, grid_ids: Iterable[str]) -> frozenset[str]:
    """The grids and every grid below them (through PART_OF), bounded in depth."""
    seen = set(grid_ids)
    frontier = list(seen)
    for _ in range(_MAX_GRID_DEPTH):
        if not frontier:
            break
        children = store.edges("Grid", frontier, "PART_OF", "in", limit=100_000)
        frontier = [e.node.id for es in children.values() for e in es if e.node.id not in seen]
        seen.update(frontier)
    return frozenset(seen)


def zone_grids(store: Store, zone_ids: Iterable[str]) -> frozenset[str]:
    """Every grid of the zones (grids whose IN_ZONE is one of them, and the grids below those)."""
    zones = set(zone_ids)
    grids = [n.id for n in store.scan("Grid")]
    in_zone = store.edges("Grid", grids, "IN_ZONE") if grids else {}
    top = [g for g, es in in_zone.items() if any(e.node.id in zones for e in es)]
    return expand_grids(store, top)


def check_scope(store: Store, who: Principal, *, role: str, grids: Sequence[str] = (), zones: Sequence[str] = (),
                person_id: str | None = None, department_id: str | None = None,
                what: str = "token") -> tuple[list[str], list[str]]:
    """Check a role and its scope as tokens and accounts take them: a grid chief needs at least one grid, only
    staff and viewers may be limited to zones, a department role names its department, an admin is global; every
    grid, zone, person and department must exist. Returns the grids and zones without repeats."""
    if role not in ROLES:
        raise InvalidRequest(f"role has value '{role}'. It must be one of {', '.join(ROLES)}.")
    grid_list = list(dict.fromkeys(grids))
    zone_list = list(dict.fromkeys(zones))
    if role == "grid_chief" and not grid_list:
        raise InvalidRequest(f"A grid_chief {what} needs at least one grid: pass --grid GRID_ID (repeatable).")
    if role != "grid_chief" and grid_list:
        raise InvalidRequest(f"Only grid_chief {what}s are limited to grids; a '{role}' {what} takes no grids "
                             "(limit a staff or viewer token to zones with --zone instead).")
    if zone_list and role not in ("staff", "viewer"):
        raise InvalidRequest(f"Only staff and viewer {what}s are limited to zones; a '{role}' {what} takes no zones "
                             "(an admin is global, a grid chief is limited by --grid).")
    if role == "department" and not department_id:
        raise InvalidRequest("部门角色须指明所属部门：--department DEPARTMENT_ID（API: department_id）。"
                             f"A department {what} needs its department.")
    if role != "department" and department_id:
        raise InvalidRequest(f"只有 department 角色对应部门；'{role}' 角色不带 department_id。")
    if department_id:
        if department_id not in store.get("Department", [department_id]):
            raise NotFound(f"没有编号为 '{department_id}' 的部门。",
                           candidates=[n.id for n in store.find("Department", text=department_id, limit=8)])
        dept_zone = _zone_of(store, "Department", department_id)
        if who.zones is not None and dept_zone not in who.zones:
            raise PermissionDenied(f"Token '{who.id}' is limited to {who.scope}; department '{department_id}' "
                                   f"is in zone {dept_zone}.")
    if who.zones is not None and role == "admin":
        raise PermissionDenied(f"Token '{who.id}' is limited to {who.scope}; it cannot create a global admin {what}.")
    missing = [g for g in grid_list if g not in store.get("Grid", grid_list)]
    if missing:
        raise NotFound(f"No grid has the id '{missing[0]}'.")
    missing = [z for z in zone_list if z not in store.get("Zone", zone_list)]
    if missing:
        raise NotFound(f"No zone has the id '{missing[0]}'.", candidates=[n.id for n in store.find("Zone", limit=10)])
    if person_id and person_id not in store.get("Person", [person_id]):
        raise NotFound(f"No person has the id '{person_id}'.")
    return grid_list, zone_list


def create_token(store: Store, *, role: str, name: str, grids: Sequence[str] = (), person_id: str | None = None,
                 zones: Sequence[str] = (), department_id: str | None = None, who: Principal = SYSTEM,
                 at: datetime | None = None) -> NewToken:
    """Create a token; only its digest is stored. A grid chief's token needs at least one grid; a staff or viewer
    token may be limited to zones (none: every zone); a department token names its department (and reaches the
    department's zone); an admin token is always global."""
    require(who, "tokens")
    name = name.strip()
    if role in ROLES and not name:
        raise InvalidRequest("name is empty. Give the token a name that says whose it is, e.g. 网格长甲.")
    grid_list, zone_list = check_scope(store, who, role=role, grids=grids, zones=zones, person_id=person_id,
                                       department_id=department_id)
    when = at or audit.now_cst()
    token_id = "T" + uuid.uuid4().hex[:10]
    secret = f"{_PREFIX}{token_id}.{secrets.token_urlsafe(32)}"
    node = Node("ApiToken", token_id, {
        "id": token_id, "name": name, "role": role, "secret_hash": _digest(secret),
        "created_at": when.isoformat(), "revoked": False,
    })
    batch = GraphBatch(nodes=[node])
    batch.rels += [Rel("TOKEN_GRID", "ApiToken", token_id, "Grid", g) for g in grid_list]
    batch.rels += [Rel("TOKEN_ZONE", "ApiToken", token_id, "Zone", z) for z in zone_list]
    if person_id:
        batch.rels.append(Rel("ACTS_AS", "ApiToken", token_id, "Person", person_id))
    if department_id:
        batch.rels.append(Rel("TOKEN_DEPARTMENT", "ApiToken", token_id, "Department", department_id))
    scope = f" zones {','.join(zone_list)}" if zone_list else ""
    batch.nodes.append(audit.entry(who.actor, "token.create", "ApiToken", token_id, f"{role} {name}{scope}", at=when))
    store.write(batch)
    return NewToken(secret, node)


@dataclass(frozen=True)
class _Links:
    """What a token links to, fixed when it is created: its own grids, its person, its zones and their grids."""

    grids: tuple[str, ...]
    person_id: str | None
    zones: tuple[str, ...]
    zone_grids: frozenset[str]
    department_id: str | None = None


def _links(store: Store, token_id: str) -> _Links:
    own = tuple(e.node.id for e in store.edges("ApiToken", [token_id], "TOKEN_GRID")[token_id])
    person = store.edges("ApiToken", [token_id], "ACTS_AS")[token_id]
    zones = tuple(e.node.id for e in store.edges("ApiToken", [token_id], "TOKEN_ZONE")[token_id])
    dept = store.edges("ApiToken", [token_id], "TOKEN_DEPARTMENT")[token_id]
    if dept:  # a department's token reaches its department's zone, like a viewer limited to that zone
        zone = _zone_of(store, "Department", dept[0].node.id)
        zones = (zone,) if zone else ("(无开发区)",)
    return _Links(own, person[0].node.id if person else None, zones,
                  zone_grids(store, zones) if zones else frozenset(), dept[0].node.id if dept else None)


def authenticate(store: Store, secret: str | None, *,
                 grids_below: Callable[[Iterable[str]], frozenset[str]] | None = None,
                 links: MutableMapping[str, object] | None = None) -> Principal:
    """The principal a bearer secret stands for; Unauthenticated when it is missing, unknown or revoked.

    ``grids_below`` expands a grid chief's grids to those below them (default: :func:`expand_grids` over
    the store; the service passes the match index's copy of the grid tree, which needs no store query).
    ``links`` keeps each token's own grids, person and zones between calls (the service keeps one per process):
    they are fixed when the token is created, so only the token itself (its digest, and whether it is revoked) is
    read on every call.
    """
    if not secret:
        raise Unauthenticated("No API token was given. Send the header 'Authorization: Bearer <token>'; "
                              "an admin creates tokens with 'chainmatch token create'.")
    token_id = secret[len(_PREFIX):].split(".", 1)[0] if secret.startswith(_PREFIX) else ""
    node = store.get("ApiToken", [token_id]).get(token_id) if token_id else None
    # The digest is compared whether or not the token exists, so that an unknown id and a wrong secret take the
    # same time (the answer does not tell which token ids exist).
    expected = str(node.props.get("secret_hash", "")) if node is not None else _UNKNOWN_DIGEST
    if not hmac.compare_digest(expected, _digest(secret)) or node is None:
        raise Unauthenticated("The API token is not valid. Check that it was copied whole, or ask an admin "
                              "for a new one.")
    if node.props.get("revoked"):
        raise Unauthenticated(f"The API token '{token_id}' was revoked. Ask an admin for a new one.")
    known = links.get(token_id) if links is not None else None
    if not isinstance(known, _Links):
        known = _links(store, token_id)
        if links is not None:
            if len(links) >= _MAX_KNOWN_TOKENS:
                links.clear()
            links[token_id] = known
    return scoped_principal(store, token_id, str(node.props.get("name", token_id)), str(node.props.get("role")),
                            grids=known.grids, zones=known.zones, person_id=known.person_id,
                            grids_below=grids_below, zone_grid_ids=known.zone_grids,
                            department_id=known.department_id)


def scoped_principal(store: Store, principal_id: str, name: str, role: str, *, grids: Sequence[str] = (),
                     zones: Sequence[str] = (), person_id: str | None = None,
                     grids_below: Callable[[Iterable[str]], frozenset[str]] | None = None,
                     zone_grid_ids: frozenset[str] | None = None, department_id: str | None = None) -> Principal:
    """The principal of a token or an account with its own ``grids`` (a grid chief: expanded to the grids below
    them) or ``zones`` (staff and viewers: every grid of the zones); an admin is always global."""
    reach: frozenset[str] | None = None
    zone_set: frozenset[str] | None = None
    if role == "grid_chief":
        reach = grids_below(grids) if grids_below is not None else expand_grids(store, grids)
    elif zones and role != "admin":
        zone_set = frozenset(zones)
        reach = zone_grid_ids if zone_grid_ids is not None else zone_grids(store, zones)
    return Principal(principal_id, name, role, reach, person_id, zone_set,
                     department_id if role == "department" else None)


def list_tokens(store: Store, who: Principal, *, role: str | None = None, limit: int = 50,
                offset: int = 0) -> Page[Node]:
    """Tokens (never their secrets), by id."""
    require(who, "tokens")
    where = {"role": role} if role else {}
    return filtered(lambda n, o: store.find("ApiToken", where=where, limit=n, offset=o), list,
                    limit=limit, offset=offset)


def revoke_token(store: Store, who: Principal, token_id: str, *, at: datetime | None = None) -> Node:
    """Mark a token revoked; it stops working at once. Revoking twice is harmless. The last active admin token
    cannot be revoked (nobody could create tokens afterwards): create another admin token first."""
    require(who, "tokens")
    node = store.get("ApiToken", [token_id]).get(token_id)
    if node is None:
        raise NotFound(f"No API token has the id '{token_id}'.")
    if node.props.get("revoked"):
        return node
    if node.props.get("role") == "admin":
        others = [n.id for n in store.find("ApiToken", where={"role": "admin"}, limit=100_000)
                  if n.id != token_id and not n.props.get("revoked")]
        if not others:
            raise Conflict(
                f"Token '{token_id}' is the last active admin token; revoking it would leave nobody able to manage "
                "tokens. Create another admin token first (chainmatch token create --role admin, or POST /tokens "
                "with role admin), then revoke this one.", details={"token_id": token_id})
    revoked = Node("ApiToken", token_id, {**node.props, "revoked": True})
    store.write(GraphBatch(nodes=[revoked, audit.entry(who.actor, "token.revoke", "ApiToken", token_id, at=at)]))
    return revoked


def firm_grid(store: Store, ids: Sequence[str]) -> dict[str, str | None]:
    """Each firm's grid id (None when it has no grid)."""
    by_firm = store.edges("Enterprise", list(ids), "IN_GRID")
    return {i: (es[0].node.id if es else None) for i, es in by_firm.items()}


def _firm_zones(store: Store, ids: Sequence[str]) -> dict[str, str | None]:
    by_firm = store.edges("Enterprise", list(ids), "IN_ZONE")
    return {i: (es[0].node.id if es else None) for i, es in by_firm.items()}


def visible_firms(store: Store, who: Principal, ids: Sequence[str]) -> set[str]:
    """The firms among ``ids`` whose details ``who`` may see and change: all of them unless ``who`` is limited to
    grids (a grid chief: firms in them) or zones (firms in the zones' grids, or in the zones without a grid)."""
    if who.grids is None:
        return set(ids)
    grids = who.grids
    seen = {i for i, g in firm_grid(store, ids).items() if g is not None and g in grids}
    if who.zones is not None and len(seen) < len(set(ids)):
        zones = who.zones
        seen |= {i for i, z in _firm_zones(store, [i for i in ids if i not in seen]).items() if z in zones}
    return seen


def require_firms(store: Store, who: Principal, ids: Sequence[str], what: str = "this firm") -> None:
    """Raise PermissionDenied when a grid- or zone-limited ``who`` reaches a firm outside their scope."""
    outside = [i for i in ids if i not in visible_firms(store, who, ids)]
    if outside:
        raise PermissionDenied(
            f"Enterprise '{outside[0]}' is outside the {who.scope} of token '{who.id}'; this token may see and "
            f"change only {what} in its own scope. Ask staff or an admin whose scope includes it.",
            details={"label": "Enterprise", "id": outside[0]},
        )


def _zone_of(store: Store, label: str, node_id: str) -> str | None:
    es = store.edges(label, [node_id], "IN_ZONE")[node_id]
    return es[0].node.id if es else None


def department_zone(store: Store, department_id: str) -> str | None:
    """The zone of a department: the only zone its tokens and accounts reach."""
    return _zone_of(store, "Department", department_id)


def _chief_zones(store: Store, who: Principal) -> set[str]:
    grids = sorted(who.grids or ())
    return {e.node.id for es in store.edges("Grid", grids, "IN_ZONE").values() for e in es} if grids else set()


def _denied(who: Principal, label: str, node_id: str, why: str) -> PermissionDenied:
    return PermissionDenied(
        f"{label} '{node_id}' is outside the {who.scope} of token '{who.id}' ({why}); a {who.role} token may write "
        "only what lies in its own scope. Ask staff or an admin whose scope includes it.",
        details={"label": label, "id": node_id},
    )


def authorize(store: Store, who: Principal, permission: str, *, firms: Sequence[str] = (),
              needs: Sequence[str] = (), resources: Sequence[str] = (), uses: Sequence[str] = (),
              departments: Sequence[str] = (), people: Sequence[str] = (), projects: Sequence[str] = (),
              zones: Sequence[str] = ()) -> None:
    """Allow a write only when ``who``'s role grants ``permission`` and ``who`` may write every node it touches or
    links; raise PermissionDenied naming the first one outside the caller's scope.

    ``firms``: enterprises written or linked (a need's poster, a project's parties); ``needs``: their posters;
    ``resources``: resources written (their provider firm, or for a department: only zone-limited tokens of its
    zone); ``uses``: resources only linked (a project's resource; a department's resource of the caller's zone is
    open to the grid chiefs of that zone); ``departments``: departments offering a new resource; ``people``: the
    claimant (the token's own person, or a person of the caller's grids or zones); ``projects``: every firm, need
    and resource of each project; ``zones``: whole zones (a chain map), only for tokens limited to those zones.
    A token with no grid or zone limit (an admin, global staff) passes on its role.

    >>> who = Principal("t", "网格长", "grid_chief", frozenset({"G3"}))
    >>> who.scope
    'grids G3'
    """
    require(who, permission)
    if who.grids is None:
        return
    for zone in dict.fromkeys(zones):
        if who.zones is None or zone not in who.zones:
            raise _denied(who, "Zone", zone, "a whole zone is open only to tokens of that zone"
                          if who.zones is not None else "a grid chief's token reaches grids, not a whole zone")
    firm_ids = list(firms)
    need_ids = list(needs)
    used = list(uses)
    for pid in projects:
        firm_ids += [e.node.id for e in store.edges("Project", [pid], "PARTY_TO", "in")[pid]]
        need_ids += [e.node.id for e in store.edges("Project", [pid], "FOR_NEED")[pid]]
        used += [e.node.id for e in store.edges("Project", [pid], "USES_RESOURCE")[pid]]
    for nid in dict.fromkeys(need_ids):
        posters = [e.node.id for e in store.edges("Need", [nid], "POSTED", "in")[nid]]
        if not posters and (who.zones is None or _zone_of(store, "Need", nid) not in who.zones):
            raise _denied(who, "Need", nid, "it was posted by no firm of that scope")
        outside = [f for f in posters if f not in visible_firms(store, who, posters)]
        if outside:
            raise _denied(who, "Need", nid, f"its firm {outside[0]} is not in that scope")
    for rid, linking in [(r, False) for r in dict.fromkeys(resources)] + [(r, True) for r in dict.fromkeys(used)]:
        providers = store.edges("Resource", [rid], "OFFERS", "in")[rid]
        if not providers and (who.zones is None or _zone_of(store, "Resource", rid) not in who.zones):
            raise _denied(who, "Resource", rid, "it has no provider in that scope")
        for e in providers:
            if e.node.label == "Enterprise":
                if not visible_firms(store, who, [e.node.id]):
                    raise _denied(who, "Resource", rid, f"it is offered by firm {e.node.id}, not in that scope")
            elif not _department_open(store, who, e.node.id, linking):
                raise _denied(who, "Resource", rid, f"it is offered by department {e.node.id}")
    for did in dict.fromkeys(departments):
        if not _department_open(store, who, did, False):
            raise _denied(who, "Department", did, "only staff or an admin of its zone manage a department's resources")
    outside = [f for f in dict.fromkeys(firm_ids) if f not in visible_firms(store, who, firm_ids)]
    if outside:
        raise _denied(who, "Enterprise", outside[0], "its grid and zone are not in that scope")
    for person in dict.fromkeys(people):
        if person != who.person_id and not _person_in_scope(store, who, person):
            raise _denied(who, "Person", person, "a claim is made for the token's own person or for someone who "
                                                 "works in its grids or zones")


def _department_open(store: Store, who: Principal, department_id: str, linking: bool) -> bool:
    zone = _zone_of(store, "Department", department_id)
    if who.zones is not None:
        return zone in who.zones
    return linking and zone is not None and zone in _chief_zones(store, who)


def _person_in_scope(store: Store, who: Principal, person_id: str) -> bool:
    grids = who.grids or frozenset()
    for rel in ("CHIEF_OF", "MEMBER_OF_GRID"):
        if any(e.node.id in grids for e in store.edges("Person", [person_id], rel)[person_id]):
            return True
    return who.zones is not None and _zone_of(store, "Person", person_id) in who.zones
