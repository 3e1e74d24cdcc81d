"""考核 ``/pages/assessment``: the assessment of the problems raised in a period (per department, grid and grid
chief), in a table, and its workbook ``/pages/assessment.xlsx``. Both call :func:`chainmatch.workflows.assessment.assess`
with the logged-in person's principal, so a department account sees its department's problems and a grid chief
those of their grids, as with the JSON routes (``GET /problems/assessment``)."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import StoreDep
from api.web.session import PageUserDep, error_page, render
from chainmatch.access import audit
from chainmatch.access.auth import Principal
from chainmatch.enterprises import display_name
from chainmatch.registers.export import export_assessment
from chainmatch.stores.base import Store
from chainmatch.workflows.assessment import Assessment, assess

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _zones(store: Store, who: Principal) -> dict[str, str]:
    """The zones the person may pick from (id → name): their own, or every zone for a global account."""
    if who.zones is not None:
        ids = sorted(who.zones)
    elif who.grids is not None:
        ids = sorted({e.node.id for es in store.edges("Grid", sorted(who.grids), "IN_ZONE").values() for e in es})
    else:
        ids = [z.id for z in store.find("Zone", limit=100)]
    return {i: display_name(n) for i, n in store.get("Zone", ids).items()}


class _BadPeriod(ValueError):
    pass


def _day(request: Request, name: str, default: date) -> date:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _BadPeriod(name, raw) from None


def _period(request: Request) -> tuple[date, date]:
    today = audit.now_cst().date()
    return _day(request, "start", today.replace(month=1, day=1)), _day(request, "end", today)


def _bad_period(request: Request, e: _BadPeriod) -> HTMLResponse:
    name, raw = e.args
    what = "开始日期" if name == "start" else "结束日期"
    return error_page(request, 422, "日期有误", f"{what}「{raw[:20]}」不是日期。请用页面上的日期选择框，"
                      "或写成 年-月-日，例如 2024-05-01。")


def _asked(request: Request, store: Store, who: Principal) -> tuple[date, date, dict[str, str], str | None] | HTMLResponse:
    """The period and zone a request asks for, or the Chinese error page saying what was wrong."""
    try:
        start, end = _period(request)
    except _BadPeriod as e:
        return _bad_period(request, e)
    zones = _zones(store, who)
    zone = request.query_params.get("zone") or None
    if zone is not None and zone not in zones:
        return error_page(request, 422, "输入有误", "所选开发区不在您负责的范围内，请从页面上的选项中选择。")
    return start, end, zones, zone


def _scope(zones: dict[str, str], zone: str | None, who: Principal) -> str:
    if zone is None and len(zones) == 1 and (who.zones is not None or who.grids is not None):
        zone = next(iter(zones))
    where = zones.get(zone, zone) if zone else "全部开发区"
    return where + (f"（{who.name}）" if who.grids is not None or who.department_id is not None else "")


@router.get("/pages/assessment", response_class=HTMLResponse)
def assessment_page(request: Request, store: StoreDep, user: PageUserDep) -> HTMLResponse:
    """考核: received, closed, on time, feedback, satisfaction, escalations and days to close over a period."""
    asked = _asked(request, store, user.who)
    if isinstance(asked, HTMLResponse):
        return asked
    start, end, zones, zone = asked
    who = user.who
    result: Assessment = assess(store, who, start=start, end=end, zone_id=zone)
    query = {"start": start.isoformat(), "end": end.isoformat(), **({"zone": zone} if zone else {})}
    return render(request, "assessment.html", user=user, a=result, zones=zones, zone=zone or "",
                  scope=_scope(zones, zone, who), xlsx="/pages/assessment.xlsx?" + urlencode(query),
                  department=who.department_id)


@router.get("/pages/assessment.xlsx")
def assessment_workbook(request: Request, store: StoreDep, user: PageUserDep) -> Response:
    """The same assessment as an Excel workbook (考核汇总, 部门考核, 网格考核, 网格长考核)."""
    asked = _asked(request, store, user.who)
    if isinstance(asked, HTMLResponse):
        return asked
    start, end, zones, zone = asked
    who = user.who
    buffer = io.BytesIO()
    export_assessment(assess(store, who, start=start, end=end, zone_id=zone), buffer, scope=_scope(zones, zone, who))
    name = f"考核-{zone or '全部'}-{start.isoformat()}-{end.isoformat()}.xlsx"
    return Response(buffer.getvalue(), media_type=_XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})
