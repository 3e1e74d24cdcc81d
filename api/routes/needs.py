"""Needs (需求清单): post, list, show, update and close needs, and a need's matching candidates."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, computed_field

from api.deps import LimitsDep, PagingDep, PrincipalDep, RankingDep, StoreDep, data_changed
from api.models import VISIBLE, FirmOut, NeedKind, NeedStatus, Out, PageOut, label_of, page_out
from chainmatch import needs
from chainmatch.enterprises import firm_id
from chainmatch.workflows.deadlines import EARLIEST, LATEST

__all__ = ["router"]

router = APIRouter(prefix="/needs", tags=["needs"])



class NeedOut(Out):
    id: str
    title: str
    kind: str
    status: str
    posted_on: str
    due_on: str | None
    overdue: bool
    product: str | None
    description: str | None
    enterprise: FirmOut | None
    zone_id: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str | None:
        """the kind in Chinese (找买家 …)"""
        return label_of("need_kind", self.kind)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str | None:
        """the status in Chinese (待对接 …)"""
        return label_of("need_status", self.status)


class NeedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise_id: str = Field(min_length=1, max_length=100, description="the firm that posts the need: its id, name or short name (利通)")
    title: str = Field(min_length=1, max_length=200, pattern=VISIBLE)
    kind: NeedKind
    product: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=4000)
    posted_on: date | None = Field(default=None, ge=EARLIEST, le=LATEST,
                                   description="default: today; the due date follows from it")


class NeedUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=200, pattern=VISIBLE)
    kind: NeedKind | None = None
    product: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=4000)
    due_on: date | None = Field(default=None, ge=EARLIEST, le=LATEST)


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)


class ResourceMatchOut(Out):
    id: str
    title: str
    kind: str
    product: str | None
    provider: str | None
    score: float
    why: str


class FirmMatchOut(Out):
    firm: FirmOut
    score: float
    why: str


class CandidatesOut(Out):
    need: NeedOut
    resources: list[ResourceMatchOut]
    firms: list[FirmMatchOut]
    note: str


@router.get("", response_model=PageOut[NeedOut])
def list_needs(
    store: StoreDep, who: PrincipalDep, paging: PagingDep,
    zone_id: Annotated[str | None, Query(max_length=100)] = None,
    enterprise_id: Annotated[str | None, Query(max_length=100)] = None,
    status: NeedStatus | None = None, kind: NeedKind | None = None,
    overdue: Annotated[bool | None, Query(description="true: only open needs past their due date")] = None,
    q: Annotated[str | None, Query(max_length=100, description="part of the title")] = None,
) -> PageOut[NeedOut]:
    """Needs, filtered by zone, firm, status, kind, overdue and title (a grid chief: their grids' firms)."""
    page = needs.list_needs(store, who, zone_id=zone_id, enterprise_id=enterprise_id, status=status, kind=kind,
                            overdue=overdue, q=q, limit=paging.limit, offset=paging.offset)
    return page_out(page, NeedOut)


@router.post("", response_model=NeedOut, status_code=201)
def create_need(request: Request, store: StoreDep, who: PrincipalDep, limits: LimitsDep,
                body: NeedCreate) -> NeedOut:
    """Post a need for a firm; its due date follows the time limit of its kind ("135")."""
    view = needs.create_need(store, who, enterprise_id=firm_id(store, body.enterprise_id), title=body.title, kind=body.kind,
                             product=body.product, description=body.description, posted_on=body.posted_on,
                             limits=limits)
    data_changed(request.app.state)  # the need's recommendations come from the match index
    return NeedOut.model_validate(view)


@router.get("/{need_id}", response_model=NeedOut)
def get_need(store: StoreDep, who: PrincipalDep, need_id: str) -> NeedOut:
    """One need with its poster, due date and whether it is overdue."""
    return NeedOut.model_validate(needs.get_need(store, who, need_id))


@router.patch("/{need_id}", response_model=NeedOut)
def update_need(request: Request, store: StoreDep, who: PrincipalDep, need_id: str, body: NeedUpdate) -> NeedOut:
    """Change a need's title, kind, product, description or due date (fields sent as null are cleared)."""
    view = needs.update_need(store, who, need_id, body.model_dump(exclude_unset=True))
    data_changed(request.app.state)  # open needs are evidence in the match index
    return NeedOut.model_validate(view)


@router.post("/{need_id}/close", response_model=NeedOut)
def close_need(request: Request, store: StoreDep, who: PrincipalDep, need_id: str,
               body: CloseBody | None = None) -> NeedOut:
    """Close a need (办结) with an optional note; it stops being a reason in recommendations."""
    view = needs.close_need(store, who, need_id, note=body.note if body else None)
    data_changed(request.app.state)
    return NeedOut.model_validate(view)


@router.get("/{need_id}/candidates", response_model=CandidatesOut)
def need_candidates(store: StoreDep, who: PrincipalDep, ranking: RankingDep, need_id: str,
                    limit: Annotated[int, Query(ge=1, le=200)] = 20) -> CandidatesOut:
    """Resources of the same kind and firms that could supply or buy the need's product (the ranking's scorer), with
    reasons."""
    return CandidatesOut.model_validate(needs.candidates(store, who, need_id, index=ranking.index, limit=limit,
                                                         weights=ranking.weights))
