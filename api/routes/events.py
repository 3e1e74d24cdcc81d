"""Matchmaking events (对接活动): invitees from the recommendations, attendance, outcomes as projects, the funnel."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, computed_field

from api.deps import LimitsDep, PagingDep, PrincipalDep, RankingDep, StoreDep, data_changed
from api.models import VISIBLE, FirmOut, Out, PageOut, RefOut, label_of, page_out
from api.routes.recommendations import RecommendationsOut, recommendations_response
from chainmatch.enterprises import firm_id
from chainmatch.workflows import events

__all__ = ["router"]

router = APIRouter(prefix="/events", tags=["events"])

Id = Annotated[str, Field(min_length=1, max_length=100)]


class FunnelOut(Out):
    invited: int
    attended: int
    negotiating: int
    signed: int
    declined: int
    dropped: int
    signed_rate: float | None


class InviteeOut(Out):
    firm: FirmOut
    rank: int | None
    score: float | None
    reasons: list[str]
    origin: str
    attended: bool
    project_id: str | None
    project_status: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def origin_label(self) -> str | None:
        """where the invitee came from, in Chinese (推荐 …)"""
        return label_of("origin", self.origin)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def project_status_label(self) -> str | None:
        """the project's status in Chinese"""
        return label_of("project_status", self.project_status)


class EventOut(Out):
    id: str
    title: str
    product: str | None
    need_id: str | None
    direction: str
    status: str
    held_on: str | None
    zone_id: str | None
    host: FirmOut | None
    chain: RefOut | None
    funnel: FunnelOut
    invitees: list[InviteeOut]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def direction_label(self) -> str | None:
        """the direction in Chinese (买家, 供应商, 合作伙伴)"""
        return label_of("direction", self.direction)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str | None:
        """the status in Chinese (筹备中, 已举办)"""
        return label_of("event_status", self.status)


class ChainFunnelOut(Out):
    chain_id: str | None
    chain_name: str
    events: int
    funnel: FunnelOut


class EventCreate(BaseModel):
    """For a need (need_id; its poster hosts it) or for a host firm's product (host_id and product)."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200, pattern=VISIBLE)
    need_id: str | None = Field(default=None, max_length=100)
    host_id: str | None = Field(default=None, max_length=100, description="the firm whose product it is")
    product: str | None = Field(default=None, max_length=100, description="e.g. 高压灭菌设备")
    chain_id: str | None = Field(default=None, max_length=100, description="default: the host's chain")
    held_on: date | None = None
    direction: Literal["buyers", "suppliers", "partners"] | None = None


class InviteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise_ids: list[Id] = Field(default=[], max_length=200, description="firms invited by hand")
    top: int | None = Field(default=None, ge=1, le=200, description="invite the top N recommended not yet invited")
    scope: Literal["zone", "outside", "all"] = "all"


class AttendanceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise_ids: list[Id] = Field(min_length=1, max_length=500)
    attended: bool = True
    held_on: date | None = None


class OutcomeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise_id: str = Field(min_length=1, max_length=100)
    status: Literal["contacted", "negotiating", "signed", "declined", "dropped"]
    person_id: str | None = Field(default=None, max_length=100,
                                  description="who claims the invitee's project (default: the token's person)")
    note: str | None = Field(default=None, max_length=2000)


@router.get("", response_model=PageOut[EventOut])
def list_events(store: StoreDep, who: PrincipalDep, paging: PagingDep,
                zone_id: Annotated[str | None, Query(max_length=100)] = None,
                chain_id: Annotated[str | None, Query(max_length=100)] = None) -> PageOut[EventOut]:
    """Events with their funnels (read one event for its invitees)."""
    page = events.list_events(store, who, zone_id=zone_id, chain_id=chain_id, limit=paging.limit,
                              offset=paging.offset)
    return page_out(page, EventOut)


@router.post("", response_model=EventOut, status_code=201)
def create_event(store: StoreDep, who: PrincipalDep, body: EventCreate) -> EventOut:
    """Create an event for a need or for a host firm's product (staff and admins)."""
    return EventOut.model_validate(events.create_event(
        store, who, title=body.title, need_id=body.need_id,
        host_id=firm_id(store, body.host_id) if body.host_id else None, product=body.product,
        chain_id=body.chain_id, held_on=body.held_on, direction=body.direction))


@router.get("/funnel", response_model=list[ChainFunnelOut])
def chain_funnels(store: StoreDep, who: PrincipalDep,
                  zone_id: Annotated[str | None, Query(max_length=100)] = None) -> list[ChainFunnelOut]:
    """The funnel (invited → attended → negotiating → signed) of each chain's events together."""
    return [ChainFunnelOut.model_validate(f) for f in events.chain_funnels(store, who, zone_id=zone_id)]


@router.get("/{event_id}", response_model=EventOut)
def get_event(store: StoreDep, who: PrincipalDep, event_id: str) -> EventOut:
    """One event with every invitee: rank, reasons, attendance and project."""
    return EventOut.model_validate(events.get_event(store, who, event_id))


@router.get("/{event_id}/suggestions", response_model=RecommendationsOut)
def suggestions(store: StoreDep, who: PrincipalDep, ranking: RankingDep, event_id: str,
                top: Annotated[int, Query(ge=1, le=200)] = 80,
                scope: Literal["zone", "outside", "all"] = "all") -> Response:
    """The firms the recommendations hold for the event, with their reasons (the host left out)."""
    result = events.suggestions(store, ranking.index, who, event_id, top=top, scope=scope, weights=ranking.weights,
                                model_name=ranking.model)
    return recommendations_response(store, who, result)


@router.post("/{event_id}/invitees", response_model=EventOut)
def invite(store: StoreDep, who: PrincipalDep, ranking: RankingDep, event_id: str, body: InviteBody) -> EventOut:
    """Invite the top recommended firms and/or firms by hand; a firm invited twice is refused with 409."""
    return EventOut.model_validate(events.invite(
        store, ranking.index, who, event_id, enterprise_ids=[firm_id(store, f) for f in body.enterprise_ids], top=body.top, scope=body.scope,
        weights=ranking.weights, model_name=ranking.model))


@router.delete("/{event_id}/invitees/{enterprise_id}", response_model=EventOut)
def remove_invitee(store: StoreDep, who: PrincipalDep, event_id: str, enterprise_id: str) -> EventOut:
    """Take a firm off the list (not once its outcome is recorded)."""
    return EventOut.model_validate(events.remove_invitee(store, who, event_id, enterprise_id))


@router.post("/{event_id}/attendance", response_model=EventOut)
def record_attendance(store: StoreDep, who: PrincipalDep, event_id: str, body: AttendanceBody) -> EventOut:
    """Record which invitees came (到场); the event is then held."""
    return EventOut.model_validate(events.record_attendance(store, who, event_id,
                                                            [firm_id(store, f) for f in body.enterprise_ids],
                                                            attended=body.attended, held_on=body.held_on))


@router.post("/{event_id}/outcomes", response_model=InviteeOut)
def record_outcome(request: Request, store: StoreDep, who: PrincipalDep, limits: LimitsDep, event_id: str,
                   body: OutcomeBody) -> InviteeOut:
    """Record an invitee's outcome: its project with the host is created or moved to the status."""
    out = InviteeOut.model_validate(events.record_outcome(store, who, event_id, firm_id(store, body.enterprise_id), body.status,
                                                          person_id=body.person_id, note=body.note, limits=limits))
    if body.status == "signed":
        data_changed(request.app.state)  # a signed project marks the event's need matched
    return out
