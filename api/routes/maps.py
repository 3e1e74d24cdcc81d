"""Chain investment maps (产业链招商图谱): start a run for a zone, follow it, fetch its pages, JSON and workbooks.

Runs are kept by :class:`chainmatch.maps.runs.MapRuns`, their files in the folder beside the store file
(``chainmatch-maps/`` next to ``chainmatch.db``).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, computed_field

from api.deps import PrincipalDep, RankingDep, SettingsDep, StoreDep
from api.models import Out, label_of
from chainmatch.maps.build import Thresholds
from chainmatch.maps.runs import MapRuns

__all__ = ["router"]

router = APIRouter(prefix="/maps", tags=["maps"])
_lock = threading.Lock()
_MEDIA = {".html": "text/html; charset=utf-8", ".json": "application/json",
          ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def get_runs(request: Request, settings: SettingsDep) -> MapRuns:
    with _lock:
        runs: MapRuns | None = getattr(request.app.state, "map_runs", None)
        if runs is None:
            runs = MapRuns(settings.db.with_name(f"{settings.db.stem}-maps"))
            request.app.state.map_runs = runs
    return runs


RunsDep = Annotated[MapRuns, Depends(get_runs)]


class MapRunIn(BaseModel):
    zone_id: str = Field(min_length=1, max_length=100, pattern=r"\S", description="a zone id, or 'all'")
    min_firms: int = Field(2, ge=0, le=100_000, description="a category with fewer local firms is a weak gap")
    min_share: float = Field(0.01, ge=0, le=1, description="a category below this share of the chain's output is weak")
    targets: int = Field(10, ge=0, le=100, description="outside firms named per gap")


class MapRunOut(Out):
    id: str
    zone_id: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    done: int
    total: int
    chains: int
    gaps: int
    targets: int
    files: list[str]
    notes: list[str]
    error: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str | None:
        """the run's status in Chinese (排队中, 生成中, 已完成, 失败)"""
        return label_of("map_run_status", self.status)


@router.post("/runs", response_model=MapRunOut, status_code=202)
def start_run(body: MapRunIn, store: StoreDep, who: PrincipalDep, ranking: RankingDep, runs: RunsDep) -> MapRunOut:
    """Start mapping every chain of a zone (or of all zones) in the background; follow it at /maps/runs/{id}."""
    thresholds = Thresholds(min_firms=body.min_firms, min_output_share=body.min_share, targets_per_gap=body.targets)
    return MapRunOut.model_validate(runs.start(store, ranking.index, who, body.zone_id, thresholds))


@router.get("/runs", response_model=list[MapRunOut])
def list_runs(who: PrincipalDep, runs: RunsDep) -> list[MapRunOut]:
    """The map runs of this server, newest first."""
    return [MapRunOut.model_validate(r) for r in runs.list(who)]


@router.get("/runs/{run_id}", response_model=MapRunOut)
def get_run(run_id: str, who: PrincipalDep, runs: RunsDep) -> MapRunOut:
    """A run's status, progress, summary (chains, gaps, targets, notes) and files."""
    return MapRunOut.model_validate(runs.get(who, run_id))


@router.get("/runs/{run_id}/files/{path:path}", response_class=FileResponse,
            responses={200: {"content": {media: {} for media in _MEDIA.values()},
                             "description": "the page (HTML), data (JSON) or workbook (XLSX)"}})
def run_file(run_id: str, path: str, who: PrincipalDep, runs: RunsDep) -> FileResponse:
    """A file of a finished run: index.html, ZONE/index.html, ZONE/CHAIN.html, .json or .xlsx."""
    found = runs.file(who, run_id, path)
    return FileResponse(found, media_type=_MEDIA.get(found.suffix, "application/octet-stream"))
