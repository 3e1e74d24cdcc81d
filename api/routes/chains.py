"""Chains (产业链): a zone's chains, and a chain's segments in order with their firms and its leader."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import computed_field

from api.deps import PagingDep, PrincipalDep, StoreDep
from api.models import FirmOut, Out, PageOut, label_of, page_out
from chainmatch.chains import chain_detail, zone_chains

__all__ = ["router"]

router = APIRouter(prefix="/chains", tags=["chains"])


class ChainSummaryOut(Out):
    id: str
    name: str
    zone_id: str | None
    leaders: list[FirmOut]
    segments: int
    gaps: int
    task_force: str | None


class SegmentOut(Out):
    id: str
    name: str
    stage: str
    order: int
    parent_id: str | None
    industry_codes: list[str]
    firms: list[FirmOut]
    gap: bool

    @computed_field  # type: ignore[prop-decorator]
    @property
    def stage_label(self) -> str | None:
        """the stage in Chinese (上游, 中游, 下游)"""
        return label_of("stage", self.stage)


class ChainOut(Out):
    id: str
    name: str
    zone_id: str | None
    template: str | None
    task_force: str | None
    leaders: list[FirmOut]
    segments: list[SegmentOut]


@router.get("", response_model=PageOut[ChainSummaryOut])
def chains(store: StoreDep, who: PrincipalDep, paging: PagingDep,
           zone_id: Annotated[str | None, Query(max_length=100)] = None) -> PageOut[ChainSummaryOut]:
    """Chains (of one zone with zone_id), with their leaders and how many segments lack a local firm."""
    return page_out(zone_chains(store, who, zone_id=zone_id, limit=paging.limit, offset=paging.offset),
                    ChainSummaryOut)


@router.get("/{chain_id}", response_model=ChainOut)
def chain(store: StoreDep, who: PrincipalDep, chain_id: str,
          firms_per_segment: Annotated[int, Query(ge=1, le=200)] = 50) -> ChainOut:
    """A chain's segments from upstream to downstream, each with its firms; empty segments are gaps."""
    return ChainOut.model_validate(chain_detail(store, who, chain_id, firms_per_segment=firms_per_segment))
