"""Grids: list and show grids, and the firms in a grid and the grids below it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import computed_field

from api.deps import PagingDep, PrincipalDep, RankingDep, StoreDep, offload
from api.models import FirmOut, GridKind, Out, PageOut, RefOut, label_of, page_json, page_out
from chainmatch.grids import get_grid, list_grids
from chainmatch.matching.neighbours import grid_firms

__all__ = ["router"]

router = APIRouter(prefix="/grids", tags=["grids"])


class GridOut(Out):
    id: str
    name: str
    level: str
    kind: str
    type: str | None
    zone_id: str | None
    parent_id: str | None
    chiefs: list[RefOut]
    party_organizations: list[RefOut]
    children: list[RefOut]
    enterprises: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def level_label(self) -> str | None:
        """the level in Chinese (一级网格(片区) …)"""
        return label_of("grid_level", self.level)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str | None:
        """the kind in Chinese (专属网格, 一般网格)"""
        return label_of("grid_kind", self.kind)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def type_label(self) -> str | None:
        """the type in Chinese (点, 面, 片)"""
        return label_of("grid_type", self.type)


@router.get("", response_model=PageOut[GridOut])
def grids(
    store: StoreDep, who: PrincipalDep, paging: PagingDep,
    zone_id: Annotated[str | None, Query(max_length=100)] = None,
    level: Literal["1", "2", "3"] | None = None,
    kind: GridKind | None = None,
    q: Annotated[str | None, Query(max_length=100, description="part of the grid's name or id")] = None,
) -> PageOut[GridOut]:
    """Grids (a grid chief: their own and those below), filtered by zone, level, kind and name."""
    return page_out(list_grids(store, who, zone_id=zone_id, level=level, kind=kind, q=q,
                               limit=paging.limit, offset=paging.offset), GridOut)


@router.get("/{grid_id}", response_model=GridOut)
def grid(store: StoreDep, who: PrincipalDep, grid_id: str) -> GridOut:
    """One grid with its chiefs, covering party organizations, parent, children and firm count."""
    return GridOut.model_validate(get_grid(store, who, grid_id))


@router.get("/{grid_id}/enterprises", response_model=PageOut[FirmOut])
async def firms_in_grid(request: Request, store: StoreDep, who: PrincipalDep, ranking: RankingDep,
                        paging: PagingDep, grid_id: str, include_subgrids: bool = True) -> Response:
    """The firms in a grid and, unless include_subgrids=false, in every grid below it."""
    return page_json(await offload(request, grid_firms, store, ranking.index, who, grid_id,
                                   include_subgrids=include_subgrids, limit=paging.limit, offset=paging.offset))
