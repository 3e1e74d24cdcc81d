"""Enterprises: search, a firm's profile, and its chain neighbours in the zone.

The recommendations route (``/enterprises/{id}/recommendations``) is the lead's, over ``chainmatch.matching.ranking``;
it belongs in this router's URL space and reuses ``PrincipalDep`` and ``firm_profile``'s scope check.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from api.deps import PagingDep, PrincipalDep, RankingDep, StoreDep, offload
from api.models import FirmOut, Out, PageOut, RefOut, Relation, Scale, page_json
from chainmatch.firms import firm_profile, search
from chainmatch.matching.neighbours import MAX_DEPTH, RELATIONS, chain_neighbours

__all__ = ["router"]

router = APIRouter(prefix="/enterprises", tags=["enterprises"])



class ProfileOut(Out):
    matched_by: str = ""
    id: str
    name: str
    short_name: str
    props: dict[str, Any]
    zone: RefOut | None
    grids: list[RefOut]
    grid_chiefs: list[RefOut]
    grid_members: list[RefOut]
    party_organizations: list[RefOut]
    chains: list[RefOut]
    products: list[str]
    industries: list[RefOut]
    suppliers: list[RefOut]
    buyers: list[RefOut]
    open_needs: list[RefOut]
    projects: list[RefOut]
    liaisons: list[RefOut]


class NeighbourOut(Out):
    firm: FirmOut
    relation: Relation
    via: str
    distance: int
    relation_label: str = Field(description="the relation in Chinese (上游, 下游, 同环节, 同网格)")
    direction: Literal["upstream", "downstream", "same_segment"] | None = Field(
        None, description="which way the neighbour lies along a chain both firms are in; null when they share none")
    direction_label: str | None = Field(None, description="the direction in Chinese (上游, 下游, 同环节)")


@router.get("", response_model=PageOut[FirmOut])
async def search_enterprises(
    request: Request, store: StoreDep, who: PrincipalDep, paging: PagingDep,
    q: Annotated[str | None, Query(max_length=100, description="name, short name, alias, 统一社会信用代码 or product")] = None,
    zone_id: Annotated[str | None, Query(max_length=100)] = None,
    grid_id: Annotated[str | None, Query(max_length=100, description="this grid and the grids below it")] = None,
    scale: Scale | None = None,
) -> Response:
    """Search firms by name, short name, alias, 统一社会信用代码 or product, filtered by zone, grid and scale."""
    page = await offload(request, search, store, who, q, zone_id=zone_id, grid_id=grid_id, scale=scale,
                  limit=paging.limit, offset=paging.offset)
    return page_json(page)


@router.get("/{enterprise}", response_model=ProfileOut)
def get_enterprise(store: StoreDep, who: PrincipalDep, enterprise: str) -> ProfileOut:
    """A firm's profile (by id, full name, short name or alias): grid, chief, party organization, chains, needs."""
    matched_by, profile = firm_profile(store, who, enterprise)
    return ProfileOut.model_validate({**profile.__dict__, "matched_by": matched_by})


@router.get("/{enterprise_id}/neighbours", response_model=PageOut[NeighbourOut])
async def get_neighbours(
    request: Request, store: StoreDep, who: PrincipalDep, ranking: RankingDep, paging: PagingDep, enterprise_id: str,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH, description="segment steps up- and downstream")] = 1,
    relation: Annotated[list[Relation] | None, Query(description="keep only these relations")] = None,
) -> Response:
    """A firm's chain neighbours in its zone (upstream, downstream, same segment, same grid), nearest first."""
    page = await offload(request, chain_neighbours, store, ranking.index, who, enterprise_id, depth=depth,
                         relations=tuple(relation or RELATIONS), limit=paging.limit, offset=paging.offset)
    return page_json(page)
