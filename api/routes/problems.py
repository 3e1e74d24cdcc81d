"""Problems (企业诉求): raise, dispatch to departments, acknowledge, escalate, close, evaluate; the overdue sweep."""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Literal
from urllib.parse import quote

from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import LimitsDep, PagingDep, PrincipalDep, SettingsDep, StoreDep
from api.models import VISIBLE, FirmOut, Out, PageOut, RefOut, page_out
from chainmatch.access import audit
from chainmatch.enterprises import firm_id
from chainmatch.registers.export import export_assessment
from chainmatch.workflows import assessment, problems
from chainmatch.workflows.problems import Catalogue

__all__ = ["CatalogueDep", "router"]

router = APIRouter(prefix="/problems", tags=["problems"])

ProblemStatus = Literal["raised", "dispatched", "handling", "closed", "evaluated", "reopened"]
Level = Literal["1", "2", "3"]


async def get_catalogue(settings: SettingsDep) -> Catalogue:
    return problems.load_catalogue(settings.problem_categories)


CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]


class DispatchOut(Out):
    id: str
    name: str
    on: str | None
    acknowledged_on: str | None


class ProblemStepOut(Out):
    id: str
    status: str
    action: str
    level: str | None
    at: str
    by: str | None
    department_id: str | None
    note: str | None


class ProblemOut(Out):
    id: str
    title: str
    category: str
    category_name: str
    description: str | None
    status: str
    status_name: str
    level: str
    level_name: str
    raised_on: str
    due_on: str | None
    overdue: bool
    closed_on: str | None
    on_time: bool | None
    feedback_due_on: str | None
    evaluation: str | None
    evaluation_note: str | None
    escalations: int
    reopened: int
    enterprise: FirmOut | None
    grid_id: str | None
    zone_id: str | None
    reporter: RefOut | None
    handler: RefOut | None
    departments: list[DispatchOut]
    steps: list[ProblemStepOut]
    next_actions: list[str]


class CategoryOut(Out):
    code: str
    name: str
    limit: str
    days: int
    departments: list[str]
    description: str


class CatalogueOut(BaseModel):
    source: str
    categories: list[CategoryOut]


class SweepOut(Out):
    today: str
    checked: int
    escalated: list[str]
    at_top: list[str]
    skipped: list[str]


Note = Field(default=None, max_length=2000)


class ProblemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise_id: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=200, pattern=VISIBLE)
    category: str = Field(min_length=1, max_length=50, description="a category code or name of the catalogue")
    description: str | None = Field(default=None, max_length=4000)
    reporter_id: str | None = Field(default=None, max_length=100,
                                    description="who found it: a grid member or chief of the firm's grid, or the "
                                                "firm's liaison (default: the token's person)")
    raised_on: date | None = None


class DispatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(min_length=1, max_length=20)
    note: str | None = Note


class AcknowledgeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department_id: str | None = Field(default=None, max_length=100,
                                      description="the department reporting in (a department token: its own)")
    note: str | None = Note


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Note


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=2000, pattern=VISIBLE, description="the result (办理结果)")
    department_id: str | None = Field(default=None, max_length=100)


class EvaluateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    evaluation: Literal["satisfied", "unsatisfied"]
    contact_id: str | None = Field(default=None, max_length=100,
                                   description="the firm's contact giving the evaluation (default: the token's person)")
    note: str | None = Note


class SweepBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zone_id: str | None = Field(default=None, max_length=100)
    dry_run: bool = False


@router.get("", response_model=PageOut[ProblemOut])
def list_problems(
    store: StoreDep, who: PrincipalDep, paging: PagingDep, catalogue: CatalogueDep,
    zone_id: Annotated[str | None, Query(max_length=100)] = None,
    enterprise_id: Annotated[str | None, Query(max_length=100)] = None,
    department_id: Annotated[str | None, Query(max_length=100)] = None,
    grid_id: Annotated[str | None, Query(max_length=100)] = None,
    status: ProblemStatus | None = None, level: Level | None = None,
    overdue: Annotated[bool | None, Query(description="true: only open problems past their due date")] = None,
) -> PageOut[ProblemOut]:
    """Problems, filtered (a grid chief: their grids' firms; a department: those dispatched to it)."""
    page = problems.list_problems(store, who, zone_id=zone_id, enterprise_id=enterprise_id,
                                  department_id=department_id, grid_id=grid_id, status=status, level=level,
                                  overdue=overdue, catalogue=catalogue, limit=paging.limit, offset=paging.offset)
    return page_out(page, ProblemOut)


@router.get("/categories", response_model=CatalogueOut)
def categories(who: PrincipalDep, catalogue: CatalogueDep, limits: LimitsDep) -> CatalogueOut:
    """The problem category catalogue in use, each category with its time limit in days."""
    return CatalogueOut(source=catalogue.source, categories=[
        CategoryOut(code=c.code, name=c.name, limit=c.limit, days=c.days(limits), departments=list(c.departments),
                    description=c.description) for c in catalogue.categories.values()])


@router.post("", response_model=ProblemOut, status_code=201)
def raise_problem(store: StoreDep, who: PrincipalDep, limits: LimitsDep, catalogue: CatalogueDep,
                  body: ProblemCreate) -> ProblemOut:
    """Raise (上报) a firm's problem: level 网格, due by its category's limit."""
    return ProblemOut.model_validate(problems.raise_problem(
        store, who, enterprise_id=firm_id(store, body.enterprise_id), title=body.title, category=body.category,
        description=body.description, reporter_id=body.reporter_id, raised_on=body.raised_on,
        catalogue=catalogue, limits=limits))


@router.post("/sweep", response_model=SweepOut)
def sweep(store: StoreDep, who: PrincipalDep, limits: LimitsDep, catalogue: CatalogueDep,
          body: SweepBody | None = None) -> SweepOut:
    """Escalate every overdue open problem one level (自动提级); admins and unlimited staff."""
    body = body or SweepBody()
    return SweepOut.model_validate(problems.sweep(store, who=who, zone_id=body.zone_id, catalogue=catalogue,
                                                  limits=limits, dry_run=body.dry_run))


class FiguresOut(Out):
    id: str
    name: str
    received: int
    closed: int
    on_time: int
    open: int
    overdue: int
    feedback_owed: int
    feedback_given: int
    satisfied: int
    unsatisfied: int
    escalated: int
    escalations: int
    avg_days_to_close: float | None
    on_time_rate: float | None
    feedback_rate: float | None
    satisfaction_rate: float | None


class AssessmentOut(Out):
    start: str
    end: str
    zone_id: str | None
    today: str
    total: FiguresOut
    departments: list[FiguresOut]
    grids: list[FiguresOut]
    chiefs: list[FiguresOut]


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    today = audit.now_cst().date()
    return start or today.replace(month=1, day=1), end or today


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
StartQ = Annotated[date | None, Query(description="first day raised (default: 1 January of this year)")]
EndQ = Annotated[date | None, Query(description="last day raised (default: today)")]
ZoneQ = Annotated[str | None, Query(max_length=100)]


@router.get("/assessment", response_model=AssessmentOut)
def get_assessment(store: StoreDep, who: PrincipalDep, start: StartQ = None, end: EndQ = None,
                   zone_id: ZoneQ = None) -> AssessmentOut:
    """Assessment (考核) of the problems raised in a period, per department, grid and grid chief."""
    first, last = _period(start, end)
    return AssessmentOut.model_validate(assessment.assess(store, who, start=first, end=last, zone_id=zone_id))


@router.get("/assessment.xlsx", response_class=Response, responses={200: {"content": {_XLSX: {}},
                                                                          "description": "the workbook"}})
async def get_assessment_xlsx(store: StoreDep, who: PrincipalDep, start: StartQ = None, end: EndQ = None,
                              zone_id: ZoneQ = None) -> Response:
    """The assessment as an Excel workbook: 考核汇总, 部门考核, 网格考核, 网格长考核."""
    first, last = _period(start, end)
    buffer = io.BytesIO()

    def work() -> None:
        result = assessment.assess(store, who, start=first, end=last, zone_id=zone_id)
        scope = (zone_id or "全部开发区") + (f"（{who.name}）" if who.grids is not None else "")
        export_assessment(result, buffer, scope=scope)

    await to_thread.run_sync(work)
    name = f"assessment-{zone_id or 'all'}-{first.isoformat()}-{last.isoformat()}.xlsx"
    return Response(buffer.getvalue(), media_type=_XLSX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/{problem_id}", response_model=ProblemOut)
def get_problem(store: StoreDep, who: PrincipalDep, catalogue: CatalogueDep, problem_id: str) -> ProblemOut:
    """One problem with its departments, first handler and every step (who, when, note)."""
    return ProblemOut.model_validate(problems.get_problem(store, who, problem_id, catalogue=catalogue))


@router.post("/{problem_id}/dispatch", response_model=ProblemOut)
def dispatch(store: StoreDep, who: PrincipalDep, catalogue: CatalogueDep, problem_id: str,
             body: DispatchBody) -> ProblemOut:
    """Dispatch (分流) a problem to departments of its zone; a department twice is refused with 409."""
    return ProblemOut.model_validate(problems.dispatch(store, who, problem_id, body.department_ids, note=body.note,
                                                       catalogue=catalogue))


@router.post("/{problem_id}/acknowledge", response_model=ProblemOut)
def acknowledge(store: StoreDep, who: PrincipalDep, catalogue: CatalogueDep, problem_id: str,
                body: AcknowledgeBody | None = None) -> ProblemOut:
    """A department reports in (部门报到); the first one handles the problem (首办负责)."""
    body = body or AcknowledgeBody()
    return ProblemOut.model_validate(problems.acknowledge(store, who, problem_id, department_id=body.department_id,
                                                          note=body.note, catalogue=catalogue))


@router.post("/{problem_id}/escalate", response_model=ProblemOut)
def escalate(store: StoreDep, who: PrincipalDep, limits: LimitsDep, catalogue: CatalogueDep, problem_id: str,
             body: NoteBody | None = None) -> ProblemOut:
    """Raise a problem one level (提级: 网格 → 园区/综合党委 → 区级统筹) with a new due date."""
    body = body or NoteBody()
    return ProblemOut.model_validate(problems.escalate(store, who, problem_id, note=body.note, catalogue=catalogue,
                                                       limits=limits))


@router.post("/{problem_id}/close", response_model=ProblemOut)
def close(store: StoreDep, who: PrincipalDep, limits: LimitsDep, catalogue: CatalogueDep, problem_id: str,
          body: CloseBody) -> ProblemOut:
    """Close (办结) a problem with its result; the first handler owns it."""
    return ProblemOut.model_validate(problems.close_problem(store, who, problem_id, note=body.note,
                                                            department_id=body.department_id, catalogue=catalogue,
                                                            limits=limits))


@router.post("/{problem_id}/evaluate", response_model=ProblemOut)
def evaluate(store: StoreDep, who: PrincipalDep, limits: LimitsDep, catalogue: CatalogueDep, problem_id: str,
             body: EvaluateBody) -> ProblemOut:
    """The firm's contact evaluates (评价) a closed problem: satisfied ends it, unsatisfied reopens it."""
    return ProblemOut.model_validate(problems.evaluate(store, who, problem_id, evaluation=body.evaluation,
                                                       contact_id=body.contact_id, note=body.note,
                                                       catalogue=catalogue, limits=limits))
