"""Access: API tokens (the secret shown once, stored as a SHA-256 digest), roles and what each role may see and do.

Roles:

``admin``       everything, including tokens and the audit log;
``staff``       investment-promotion staff (招商): reads the whole zone, creates and follows projects;
``grid_chief``  reads and writes only within their grids and the grids below them; other firms appear
                at most by id and name;
``viewer``      reads only.

Library functions take the :class:`Principal` doing the work: they check it with :func:`require` and
:func:`require_firms`, shape their answers with :func:`visible_firms`, and record writes as it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chainmatch import audit
from chainmatch.errors import InvalidRequest, NotFound, PermissionDenied
from chainmatch.pages import Page, filtered
from chainmatch.store import GraphBatch, Node, Rel, Store

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "SYSTEM",
    "NewToken",
    "Principal",
    "Unauthenticated",
    "authenticate",
    "create_token",
    "expand_grids",
    "firm_grid",
    "list_tokens",
    "require",
    "require_firms",
    "revoke_token",
    "visible_firms",
]

ROLES = ("admin", "staff", "grid_chief", "viewer")
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "needs:write", "resources:write", "projects:write", "tokens", "audit", "model"}),
    "staff": frozenset({"read", "projects:write"}),
    "grid_chief": frozenset({"read", "needs:write", "resources:write", "projects:write"}),
    "viewer": frozenset({"read"}),
}
_PREFIX = "cm_"
_MAX_GRID_DEPTH = 5  # grids nest three levels; a little slack, and a stop on cycles
_MAX_KNOWN_TOKENS = 10_000  # tokens whose grids and person authenticate() keeps (then it starts over)


class Unauthenticated(PermissionDenied):
    """No token, or a token that is unknown, malformed or revoked (HTTP 401)."""

    code = "unauthenticated"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's id, name and role; ``grids`` is the set a grid chief may reach (None: no limit)."""

    id: str
    name: str
    role: str
    grids: frozenset[str] | None = None
    person_id: str | None = None

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


def create_token(store: Store, *, role: str, name: str, grids: Sequence[str] = (), person_id: str | None = None,
                 who: Principal = SYSTEM, at: datetime | None = None) -> NewToken:
    """Create a token; only its digest is stored. A grid chief's token needs at least one grid."""
    require(who, "tokens")
    if role not in ROLES:
        raise InvalidRequest(f"role has value '{role}'. It must be one of {', '.join(ROLES)}.")
    name = name.strip()
    if not name:
        raise InvalidRequest("name is empty. Give the token a name that says whose it is, e.g. 网格长甲.")
    grid_list = list(dict.fromkeys(grids))
    if role == "grid_chief" and not grid_list:
        raise InvalidRequest("A grid_chief token needs at least one grid: pass --grid GRID_ID (repeatable).")
    if role != "grid_chief" and grid_list:
        raise InvalidRequest(f"Only grid_chief tokens are limited to grids; a '{role}' token takes no grids.")
    missing = [g for g in grid_list if g not in store.get("Grid", grid_list)]
    if missing:
        raise NotFound(f"No grid has the id '{missing[0]}'.")
    if person_id and person_id not in store.get("Person", [person_id]):
        raise NotFound(f"No person has the id '{person_id}'.")
    when = at or audit.now_cst()
    token_id = "T" + uuid.uuid4().hex[:10]
    secret = f"{_PREFIX}{token_id}.{secrets.token_urlsafe(32)}"
    node = Node("ApiToken", token_id, {
        "id": token_id, "name": name, "role": role, "secret_hash": _digest(secret),
        "created_at": when.isoformat(), "revoked": False,
    })
    batch = GraphBatch(nodes=[node])
    batch.rels += [Rel("TOKEN_GRID", "ApiToken", token_id, "Grid", g) for g in grid_list]
    if person_id:
        batch.rels.append(Rel("ACTS_AS", "ApiToken", token_id, "Person", person_id))
    batch.nodes.append(audit.entry(who.actor, "token.create", "ApiToken", token_id, f"{role} {name}", at=when))
    store.write(batch)
    return NewToken(secret, node)


def authenticate(store: Store, secret: str | None, *,
                 grids_below: Callable[[Iterable[str]], frozenset[str]] | None = None,
                 links: MutableMapping[str, tuple[tuple[str, ...], str | None]] | None = None) -> Principal:
    """The principal a bearer secret stands for; Unauthenticated when it is missing, unknown or revoked.

    ``grids_below`` expands a grid chief's grids to those below them (default: :func:`expand_grids` over
    the store; the service passes the match index's copy of the grid tree, which needs no store query).
    ``links`` keeps each token's own grids and person between calls (the service keeps one per process): they are
    fixed when the token is created, so only the token itself (its digest, and whether it is revoked) is read
    on every call.
    """
    if not secret:
        raise Unauthenticated("No API token was given. Send the header 'Authorization: Bearer <token>'; "
                              "an admin creates tokens with 'chainmatch token create'.")
    token_id = secret[len(_PREFIX):].split(".", 1)[0] if secret.startswith(_PREFIX) else ""
    node = store.get("ApiToken", [token_id]).get(token_id) if token_id else None
    if node is None or not hmac.compare_digest(str(node.props.get("secret_hash", "")), _digest(secret)):
        raise Unauthenticated("The API token is not valid. Check that it was copied whole, or ask an admin "
                              "for a new one.")
    if node.props.get("revoked"):
        raise Unauthenticated(f"The API token '{token_id}' was revoked. Ask an admin for a new one.")
    known = links.get(token_id) if links is not None else None
    if known is None:
        own = tuple(e.node.id for e in store.edges("ApiToken", [token_id], "TOKEN_GRID")[token_id])
        person = store.edges("ApiToken", [token_id], "ACTS_AS")[token_id]
        known = (own, person[0].node.id if person else None)
        if links is not None:
            if len(links) >= _MAX_KNOWN_TOKENS:
                links.clear()
            links[token_id] = known
    own, person_id = known
    grids = None
    if node.props.get("role") == "grid_chief":
        grids = grids_below(own) if grids_below is not None else expand_grids(store, own)
    return Principal(token_id, str(node.props.get("name", token_id)), str(node.props.get("role")), grids, person_id)


def list_tokens(store: Store, who: Principal, *, role: str | None = None, limit: int = 50,
                offset: int = 0) -> Page[Node]:
    """Tokens (never their secrets), by id."""
    require(who, "tokens")
    where = {"role": role} if role else {}
    return filtered(lambda n, o: store.find("ApiToken", where=where, limit=n, offset=o), list,
                    limit=limit, offset=offset)


def revoke_token(store: Store, who: Principal, token_id: str, *, at: datetime | None = None) -> Node:
    """Mark a token revoked; it stops working at once. Revoking twice is harmless."""
    require(who, "tokens")
    node = store.get("ApiToken", [token_id]).get(token_id)
    if node is None:
        raise NotFound(f"No API token has the id '{token_id}'.")
    revoked = Node("ApiToken", token_id, {**node.props, "revoked": True})
    store.write(GraphBatch(nodes=[revoked, audit.entry(who.actor, "token.revoke", "ApiToken", token_id, at=at)]))
    return revoked


def firm_grid(store: Store, ids: Sequence[str]) -> dict[str, str | None]:
    """Each firm's grid id (None when it has no grid)."""
    by_firm = store.edges("Enterprise", list(ids), "IN_GRID")
    return {i: (es[0].node.id if es else None) for i, es in by_firm.items()}


def visible_firms(store: Store, who: Principal, ids: Sequence[str]) -> set[str]:
    """The firms among ``ids`` whose details ``who`` may see: all of them unless ``who`` is limited to grids."""
    if who.grids is None:
        return set(ids)
    return {i for i, g in firm_grid(store, ids).items() if g is not None and g in who.grids}


def require_firms(store: Store, who: Principal, ids: Sequence[str], what: str = "this firm") -> None:
    """Raise PermissionDenied when a grid-limited ``who`` reaches a firm outside their grids."""
    outside = [i for i in ids if i not in visible_firms(store, who, ids)]
    if outside:
        raise PermissionDenied(
            f"Enterprise '{outside[0]}' is outside the grids of token '{who.id}'; a grid chief may see and change "
            f"only {what} in their own grids. Ask staff or an admin."
        )
