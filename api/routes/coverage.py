"""Coverage: a zone's grids with and without a party organization and a grid chief, and its open and overdue needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PrincipalDep, StoreDep
from api.models import GridKind, Out, RefOut
from chainmatch.coverage import zone_coverage

__all__ = ["router"]

router = APIRouter(prefix="/zones", tags=["coverage"])


class CoverageOut(Out):
    zone_id: str
    zone_name: str
    grids: int
    with_party_organization: int
    with_chief: int
    coverage_rate: float
    chief_rate: float
    grids_without_party_organization: list[RefOut]
    grids_without_chief: list[RefOut]
    open_needs: int
    overdue_needs: int
    list_limit: int


@router.get("/{zone_id}/coverage", response_model=CoverageOut)
def coverage(
    store: StoreDep, who: PrincipalDep, zone_id: str,
    kind: GridKind | None = None,
    list_limit: Annotated[int, Query(ge=0, le=1000, description="grids listed per gap list")] = 50,
) -> CoverageOut:
    """Party-organization and grid-chief coverage of a zone's grids, with the gaps and the open and overdue needs."""
    return CoverageOut.model_validate(zone_coverage(store, who, zone_id, kind=kind, list_limit=list_limit))
