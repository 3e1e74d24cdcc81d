"""Resources (资源清单): offer, list, show, update and withdraw what firms and departments provide."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import PagingDep, PrincipalDep, StoreDep
from api.models import VISIBLE, Out, PageOut, page_out
from api.routes.needs import NeedKind
from chainmatch import resources

__all__ = ["router"]

router = APIRouter(prefix="/resources", tags=["resources"])


class ResourceOut(Out):
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


class ResourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider_id: str = Field(min_length=1, max_length=100, description="an enterprise or department id")
    title: str = Field(min_length=1, max_length=200, pattern=VISIBLE)
    kind: NeedKind
    product: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=4000)


class ResourceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=200, pattern=VISIBLE)
    kind: NeedKind | None = None
    product: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=4000)


class WithdrawBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)


@router.get("", response_model=PageOut[ResourceOut])
def list_resources(
    store: StoreDep, who: PrincipalDep, paging: PagingDep,
    zone_id: Annotated[str | None, Query(max_length=100)] = None,
    provider_id: Annotated[str | None, Query(max_length=100)] = None,
    kind: NeedKind | None = None, status: Literal["available", "withdrawn"] | None = None,
    q: Annotated[str | None, Query(max_length=100, description="part of the title")] = None,
) -> PageOut[ResourceOut]:
    """Resources, filtered by zone, provider, kind, status and title."""
    page = resources.list_resources(store, who, zone_id=zone_id, provider_id=provider_id, kind=kind, status=status,
                                    q=q, limit=paging.limit, offset=paging.offset)
    return page_out(page, ResourceOut)


@router.post("", response_model=ResourceOut, status_code=201)
def create_resource(store: StoreDep, who: PrincipalDep, body: ResourceCreate) -> ResourceOut:
    """Offer a resource from a firm or a department."""
    return ResourceOut.model_validate(resources.create_resource(
        store, who, provider_id=body.provider_id, title=body.title, kind=body.kind, product=body.product,
        description=body.description))


@router.get("/{resource_id}", response_model=ResourceOut)
def get_resource(store: StoreDep, who: PrincipalDep, resource_id: str) -> ResourceOut:
    """One resource with its provider."""
    return ResourceOut.model_validate(resources.get_resource(store, who, resource_id))


@router.patch("/{resource_id}", response_model=ResourceOut)
def update_resource(store: StoreDep, who: PrincipalDep, resource_id: str, body: ResourceUpdate) -> ResourceOut:
    """Change a resource's title, kind, product or description."""
    return ResourceOut.model_validate(
        resources.update_resource(store, who, resource_id, body.model_dump(exclude_unset=True)))


@router.post("/{resource_id}/withdraw", response_model=ResourceOut)
def withdraw_resource(store: StoreDep, who: PrincipalDep, resource_id: str,
                      body: WithdrawBody | None = None) -> ResourceOut:
    """Withdraw (close) a resource with an optional note."""
    return ResourceOut.model_validate(
        resources.withdraw_resource(store, who, resource_id, note=body.note if body else None))
