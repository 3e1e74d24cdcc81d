"""API tokens: create (the secret is shown once), list, revoke, and who am I."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import PagingDep, PrincipalDep, StoreDep
from api.models import VISIBLE, Out, PageOut, Role
from chainmatch.access import auth
from chainmatch.stores.base import Node

__all__ = ["router"]

router = APIRouter(prefix="/tokens", tags=["tokens"])



class TokenOut(BaseModel):
    id: str
    name: str
    role: str
    created_at: str | None
    revoked: bool


class TokenCreated(TokenOut):
    secret: str = Field(description="the token; it is shown only this once")


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    name: str = Field(min_length=1, max_length=100, pattern=VISIBLE)
    grid_ids: list[str] = Field(default=[], max_length=100, description="a grid chief's grids")
    zone_ids: list[str] = Field(default=[], max_length=100,
                                description="the zones a staff or viewer token is limited to (none: every zone)")
    person_id: str | None = Field(default=None, max_length=100, description="the person the token acts as")
    department_id: str | None = Field(default=None, max_length=100,
                                      description="a department token's department (职能部门)")


class MeOut(Out):
    id: str
    name: str
    role: str
    person_id: str | None
    grids: list[str] | None
    zones: list[str] | None
    department_id: str | None = None


def _out(node: Node) -> TokenOut:
    p = node.props
    return TokenOut(id=node.id, name=str(p.get("name", "")), role=str(p.get("role", "")),
                    created_at=p.get("created_at"), revoked=bool(p.get("revoked")))


@router.get("/me", response_model=MeOut)
def me(who: PrincipalDep) -> MeOut:
    """The caller's token: its role, person and the grids it reaches."""
    return MeOut(id=who.id, name=who.name, role=who.role, person_id=who.person_id,
                 grids=sorted(who.grids) if who.grids is not None else None,
                 zones=sorted(who.zones) if who.zones is not None else None, department_id=who.department_id)


@router.post("", response_model=TokenCreated, status_code=201)
def create_token(store: StoreDep, who: PrincipalDep, body: TokenCreate) -> TokenCreated:
    """Create a token (admins only); the response holds the secret, which is stored only as a digest."""
    new = auth.create_token(store, role=body.role, name=body.name, grids=body.grid_ids,
                            person_id=body.person_id, zones=body.zone_ids,
                            department_id=body.department_id, who=who)
    return TokenCreated(**_out(new.node).model_dump(), secret=new.secret)


@router.get("", response_model=PageOut[TokenOut])
def list_tokens(store: StoreDep, who: PrincipalDep, paging: PagingDep, role: Role | None = None) -> PageOut[TokenOut]:
    """Tokens without their secrets (admins only)."""
    page = auth.list_tokens(store, who, role=role, limit=paging.limit, offset=paging.offset)
    return PageOut[TokenOut](items=[_out(n) for n in page.items], limit=page.limit, offset=page.offset,
                             total=page.total, has_more=page.has_more)


@router.post("/{token_id}/revoke", response_model=TokenOut)
def revoke_token(store: StoreDep, who: PrincipalDep, token_id: str) -> TokenOut:
    """Revoke a token; it stops working at once (admins only; the last active admin token cannot be revoked)."""
    return _out(auth.revoke_token(store, who, token_id))
