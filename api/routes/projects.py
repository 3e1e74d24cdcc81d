"""Projects (撮合项目): propose from a firm pair or a need, claim (认领), and move through the status machine."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, computed_field

from api.deps import LimitsDep, PagingDep, PrincipalDep, StoreDep, data_changed
from api.models import (
    VISIBLE,
    FirmOut,
    Origin,
    Out,
    PageOut,
    PartyRole,
    ProjectStatus,
    RefOut,
    label_of,
    page_out,
)
from chainmatch.enterprises import firm_id
from chainmatch.workflows import projects

__all__ = ["router"]

router = APIRouter(prefix="/projects", tags=["projects"])


class PartyOut(Out):
    firm: FirmOut
    role: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def role_label(self) -> str | None:
        """the role in Chinese (供方, 需方, 合作方)"""
        return label_of("party_role", self.role)


class StepOut(Out):
    id: str
    status: str
    action: str
    at: str
    by: str | None
    note: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str | None:
        """the status in Chinese"""
        return label_of("project_status", self.status)


class ProjectOut(Out):
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
    owner: RefOut | None
    parties: list[PartyOut]
    steps: list[StepOut]
    next_statuses: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str | None:
        """the status in Chinese (已推荐 …)"""
        return label_of("project_status", self.status)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def next_status_labels(self) -> list[str | None]:
        """the next statuses in Chinese"""
        return [label_of("project_status", s) for s in self.next_statuses]


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise_id: str = Field(min_length=1, max_length=100, description="the firm: its id, name or short name")
    role: PartyRole = "partner"


class ProjectCreate(BaseModel):
    """From a recommendation: two parties. From a need: need_id with a resource_id or one more party."""

    model_config = ConfigDict(extra="forbid")
    parties: list[PartyIn] = Field(default=[], max_length=20)
    need_id: str | None = Field(default=None, max_length=100)
    resource_id: str | None = Field(default=None, max_length=100)
    title: str | None = Field(default=None, max_length=200, pattern=VISIBLE)
    event: str | None = Field(default=None, max_length=200, description="the matchmaking event, if any")
    origin: Origin | None = None
    note: str | None = Field(default=None, max_length=2000)


class ClaimBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: str | None = Field(default=None, max_length=100,
                                  description="who claims it; default: the person the token acts as")
    note: str | None = Field(default=None, max_length=2000)


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: ProjectStatus
    note: str | None = Field(default=None, max_length=2000)


@router.get("", response_model=PageOut[ProjectOut])
def list_projects(
    store: StoreDep, who: PrincipalDep, paging: PagingDep,
    zone_id: Annotated[str | None, Query(max_length=100)] = None,
    enterprise_id: Annotated[str | None, Query(max_length=100)] = None,
    owner_id: Annotated[str | None, Query(max_length=100, description="the claimant's person id")] = None,
    status: ProjectStatus | None = None,
    overdue: Annotated[bool | None, Query(description="true: only unfinished projects past their due date")] = None,
) -> PageOut[ProjectOut]:
    """Projects, filtered by zone, firm, claimant, status and overdue (a grid chief: their grids' firms)."""
    page = projects.list_projects(store, who, zone_id=zone_id, enterprise_id=enterprise_id, owner_id=owner_id,
                                  status=status, overdue=overdue, limit=paging.limit, offset=paging.offset)
    return page_out(page, ProjectOut)


@router.post("", response_model=ProjectOut, status_code=201)
def create_project(store: StoreDep, who: PrincipalDep, limits: LimitsDep, body: ProjectCreate) -> ProjectOut:
    """Propose a project from a firm pair (a recommendation) or from a need with a resource or a firm."""
    view = projects.create_project(
        store, who, parties=[(firm_id(store, p.enterprise_id), p.role) for p in body.parties], need_id=body.need_id,
        resource_id=body.resource_id, title=body.title, event=body.event, origin=body.origin, note=body.note,
        limits=limits)
    return ProjectOut.model_validate(view)


@router.get("/{project_id}", response_model=ProjectOut)
def get_project(store: StoreDep, who: PrincipalDep, project_id: str) -> ProjectOut:
    """One project with its parties, claimant and every step (who, when, note)."""
    return ProjectOut.model_validate(projects.get_project(store, who, project_id))


@router.post("/{project_id}/claim", response_model=ProjectOut)
def claim_project(store: StoreDep, who: PrincipalDep, project_id: str, body: ClaimBody | None = None) -> ProjectOut:
    """Claim (认领) a project for a person; someone else's claim is a conflict."""
    body = body or ClaimBody()
    return ProjectOut.model_validate(
        projects.claim_project(store, who, project_id, person_id=body.person_id, note=body.note))


@router.post("/{project_id}/status", response_model=ProjectOut)
def advance_project(request: Request, store: StoreDep, who: PrincipalDep, limits: LimitsDep, project_id: str,
                    body: StatusBody) -> ProjectOut:
    """Move a project to its next status with a note; an illegal transition is refused with 409."""
    out = ProjectOut.model_validate(
        projects.advance_project(store, who, project_id, body.status, note=body.note, limits=limits))
    if body.status == "signed":
        data_changed(request.app.state)  # signing marks the need matched: it leaves the match index
    return out
