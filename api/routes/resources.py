"""Resources (资源清单): offer, list, show, update and withdraw what firms and departments provide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, computed_field

from api.deps import PagingDep, PrincipalDep, StoreDep
from api.models import VISIBLE, NeedKind, Out, PageOut, ResourceStatus, label_of, page_out
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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str | None:
        """the kind in Chinese"""
        return label_of("need_kind", self.kind)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str | None:
        """the status in Chinese (可提供, 已撤回)"""
        return label_of("resource_status", self.status)


class ResourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider_id: str = Field(min_length=1, max_length=100, description="a department (id or name) or an enterprise (id, name or short name)")
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
    kind: NeedKind | None = None, status: ResourceStatus | None = None,
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
        store, who, provider_id=resources.provider_id(store, body.provider_id), title=body.title, kind=body.kind, product=body.product,
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
