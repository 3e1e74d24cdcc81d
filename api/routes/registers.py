"""Registers (台账): upload a zone's register, see the report before anything is written, then commit it; and
export the lists staff report upward as an Excel workbook."""

from __future__ import annotations

import io
from typing import Annotated, Any
from urllib.parse import quote

from anyio import to_thread
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import PrincipalDep, StoreDep, data_changed
from api.models import Out
from chainmatch.knowledge.classify import ranked_candidates
from chainmatch.registers.export import EXPORTS, export_registers
from chainmatch.registers.importing import import_records, import_upload

__all__ = ["router"]

router = APIRouter(prefix="/registers", tags=["registers"])


class ProblemOut(Out):
    sheet: str
    row: int
    header: str
    value: str
    expected: str
    fix: str
    severity: str


class DuplicateOut(Out):
    by: str
    value: str
    where: list[str]
    note: str


class ColumnOut(Out):
    header: str
    field: str
    source: str


class SheetOut(Out):
    name: str
    header_row: int | None
    rows: int
    columns: list[ColumnOut]
    skipped: list[str]


class ImportOut(Out):
    file: str
    kind: str
    label: str
    encoding: str | None
    zone: str | None
    kind_guessed: bool
    sheets: list[SheetOut]
    problems: list[ProblemOut]
    duplicates: list[DuplicateOut]
    records: int
    new: int
    updated: int
    matched_by_name: int
    nodes: int
    rels: int
    classified: int
    dry_run: bool
    written: bool
    seconds: float


@router.post("/import", response_model=ImportOut)
async def import_register(
    request: Request, store: StoreDep, who: PrincipalDep,
    filename: Annotated[str, Query(min_length=1, max_length=200, description="the file's name: .xlsx or .csv")],
    kind: Annotated[str | None, Query(description="enterprises, needs, resources, grids, people … "
                                                  "(default: told by the headers)")] = None,
    sheet: Annotated[str | None, Query(max_length=100, description="only this sheet of an .xlsx")] = None,
    zone: Annotated[str | None, Query(max_length=100, description="zone (id or name) of rows without one")] = None,
    dry_run: Annotated[bool, Query(description="report only (the default); false writes the register")] = True,
) -> ImportOut:
    """Check a register sent as the request body (.xlsx or CSV bytes) and report it; with dry_run=false write it
    in one transaction and rebuild the match index in every worker (admins and staff)."""
    # The body limit of an upload (CHAINMATCH_MAX_UPLOAD_BYTES) is applied before this runs (api/limits.py).
    data = await request.body()
    report = await to_thread.run_sync(lambda: import_upload(
        store, who, filename, data, dry_run=dry_run, kind=kind, sheet=sheet, zone=zone, classify=ranked_candidates))
    if report.written:
        data_changed(request.app.state)
    return ImportOut.model_validate(report)


class RecordsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[dict[str, Any]] = Field(min_length=1, max_length=10_000, description=(
        "records as {column: value}: the register's Chinese headers (企业名称, 统一社会信用代码, 所属网格 …) or the "
        "data folder's column names (name, uscc, grid_id …)"))
    dry_run: bool = Field(False, description="report only; write nothing")
    zone: str | None = Field(None, max_length=100, description="zone (id or name) of records without one")


@router.post("/{kind}/records", response_model=ImportOut)
async def records(request: Request, kind: str, body: RecordsIn, store: StoreDep, who: PrincipalDep) -> ImportOut:
    """Create or update records (firms, needs …) through the register's checks: a record that matches a stored one
    (id, 统一社会信用代码 or name) updates the columns it names and keeps the others (admins and staff)."""
    report = await to_thread.run_sync(lambda: import_records(
        store, who, kind, body.records, dry_run=body.dry_run, zone=body.zone, classify=ranked_candidates))
    if report.written:
        data_changed(request.app.state)
    return ImportOut.model_validate(report)


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/export", response_class=Response, responses={200: {"content": {_XLSX: {}},
                                                                 "description": "the workbook"}})
async def export(
    store: StoreDep, who: PrincipalDep,
    what: Annotated[list[str] | None, Query(description="enterprises, needs, projects, overdue, coverage "
                                                        "(repeat; default all)")] = None,
    zone_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The registers staff report upward as one .xlsx workbook, one sheet each (a grid chief: their grids only)."""
    buffer = io.BytesIO()
    result = await to_thread.run_sync(lambda: export_registers(
        store, buffer, who=who, what=what or list(EXPORTS), zone_id=zone_id))
    name = f"registers-{zone_id or 'all'}-{result.at[:10]}.xlsx"
    return Response(buffer.getvalue(), media_type=_XLSX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})
