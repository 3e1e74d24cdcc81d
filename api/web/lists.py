"""需求清单 ``/pages/needs`` and 资源清单 ``/pages/resources``: filter, post and close a need, offer and withdraw a
resource, through the same library calls (and so the same roles and scope checks) as ``/needs`` and ``/resources``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import LimitsDep, StoreDep, data_changed
from api.web.session import LABELS, FormDep, PageUserDep, error_page, redirect, render
from api.web.views import NOTICES, form_note, notice, page_offset, today, zones_of
from chainmatch import needs, resources
from chainmatch.enterprises import display_name, firm_id
from chainmatch.firms import MAX_QUERY, normalize_text
from chainmatch.stores.base import Store

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_PAGE = 20
_TITLE_MAX = 200
_TEXT_MAX = 4000
NOTICES.update({
    "need_posted": "需求已发布，办理期限按需求类型自动计算。",
    "need_closed": "需求已办结。",
    "resource_offered": "资源已发布。",
    "resource_withdrawn": "资源已撤回。",
})


def _bad(request: Request, what: str) -> HTMLResponse:
    return error_page(request, 422, "输入有误", what)


def _zone_choices(store: Store, user: Any) -> dict[str, str]:
    ids = zones_of(store, user.who)
    nodes = store.get("Zone", ids) if ids else {}
    return {z: display_name(nodes[z]) if z in nodes else z for z in ids}


def _text(form: dict[str, str], name: str, limit: int) -> str:
    return normalize_text(form.get(name, ""))[:limit]


# -- 需求 ---------------------------------------------------------------------------------------------------


@router.get("/pages/needs", response_class=HTMLResponse)
def need_list(request: Request, store: StoreDep, user: PageUserDep) -> HTMLResponse:
    """需求清单: filter by status, kind, zone, overdue and title; post a need; close one."""
    params = request.query_params
    status = params.get("status", "open")
    kind = params.get("kind", "")
    zone = params.get("zone", "")
    q = normalize_text(params.get("q", ""))
    overdue = params.get("overdue") == "1"
    zones = _zone_choices(store, user)
    if (status and status not in needs.NEED_STATUSES) or (kind and kind not in needs.NEED_KINDS) or (
            zone and zone not in zones):
        return _bad(request, "需求状态、类型或开发区不是可选的值，请从页面上的选项中选择。")
    if len(q) > MAX_QUERY:
        return _bad(request, f"检索词最多 {MAX_QUERY} 个字，现在有 {len(q)} 个。请缩短后再检索。")
    offset = page_offset(request)
    page = needs.list_needs(store, user.who, status=status or None, kind=kind or None, zone_id=zone or None,
                            overdue=True if overdue else None, q=q or None, today=today(), limit=_PAGE,
                            offset=offset)
    query = urlencode({"status": status, "kind": kind, "zone": zone, "q": q, **({"overdue": "1"} if overdue else {})})
    return render(request, "needs.html", user=user, page=page, status=status, kind=kind, zone=zone, q=q,
                  overdue=overdue, zones=zones, offset=offset, size=_PAGE, base=f"/pages/needs?{query}&",
                  can_write=user.who.can("needs:write"), notice=notice(request), firm=params.get("firm", "")[:100])


@router.post("/pages/needs")
def post_need(request: Request, store: StoreDep, limits: LimitsDep, user: PageUserDep, form: FormDep) -> Response:
    """发布需求: the firm by id, name or short name; the due date follows the time limit of its kind."""
    firm = _text(form, "firm", 100)
    title = _text(form, "title", _TITLE_MAX + 1)
    kind = form.get("kind", "")
    if not firm or not title:
        return _bad(request, "发布需求要填写企业（名称、简称或编号）和需求标题，例如「高压灭菌设备找买家」。")
    if len(title) > _TITLE_MAX:
        return _bad(request, f"需求标题最多 {_TITLE_MAX} 个字，请缩短；详细情况写在说明里。")
    if kind not in needs.NEED_KINDS:
        return _bad(request, "请选择需求类型（找买家、找供应、用地厂房……）。")
    view = needs.create_need(store, user.who, enterprise_id=firm_id(store, firm), title=title, kind=kind,
                      product=_text(form, "product", 100) or None,
                      description=form.get("description", "").strip()[:_TEXT_MAX] or None, limits=limits)
    data_changed(request.app.state)  # open needs are evidence in the match index
    return redirect("/pages/needs?" + urlencode({"msg": "need_posted", "q": view.title[:MAX_QUERY]}))  # shown


@router.post("/pages/needs/{need_id}/close")
def close_need(request: Request, store: StoreDep, user: PageUserDep, form: FormDep, need_id: str) -> Response:
    """办结 a need, with an optional note."""
    needs.close_need(store, user.who, need_id, note=form_note(form))
    data_changed(request.app.state)
    return redirect("/pages/needs?msg=need_closed")


# -- 资源 ---------------------------------------------------------------------------------------------------


@router.get("/pages/resources", response_class=HTMLResponse)
def resource_list(request: Request, store: StoreDep, user: PageUserDep) -> HTMLResponse:
    """资源清单: filter by kind, status, zone and title; offer a resource; withdraw one."""
    params = request.query_params
    status = params.get("status", "available")
    kind = params.get("kind", "")
    zone = params.get("zone", "")
    q = normalize_text(params.get("q", ""))
    zones = _zone_choices(store, user)
    if (status and status not in resources.RESOURCE_STATUSES) or (kind and kind not in needs.NEED_KINDS) or (
            zone and zone not in zones):
        return _bad(request, "资源状态、类型或开发区不是可选的值，请从页面上的选项中选择。")
    if len(q) > MAX_QUERY:
        return _bad(request, f"检索词最多 {MAX_QUERY} 个字，现在有 {len(q)} 个。请缩短后再检索。")
    offset = page_offset(request)
    page = resources.list_resources(store, user.who, status=status or None, kind=kind or None, zone_id=zone or None,
                                    q=q or None, limit=_PAGE, offset=offset)
    query = urlencode({"status": status, "kind": kind, "zone": zone, "q": q})
    return render(request, "resources.html", user=user, page=page, status=status, kind=kind, zone=zone, q=q,
                  zones=zones, offset=offset, size=_PAGE, base=f"/pages/resources?{query}&",
                  can_write=user.who.can("resources:write"), notice=notice(request),
                  statuses=LABELS["resource_status"])


@router.post("/pages/resources")
def offer_resource(request: Request, store: StoreDep, user: PageUserDep, form: FormDep) -> Response:
    """提供资源: from a firm (id, name or short name) or a department (id or name)."""
    provider = _text(form, "provider", 100)
    title = _text(form, "title", _TITLE_MAX + 1)
    kind = form.get("kind", "")
    if not provider or not title:
        return _bad(request, "提供资源要填写提供方（企业名称、简称，或部门名称）和资源标题，例如「标准厂房出租」。")
    if len(title) > _TITLE_MAX:
        return _bad(request, f"资源标题最多 {_TITLE_MAX} 个字，请缩短；详细情况写在说明里。")
    if kind not in needs.NEED_KINDS:
        return _bad(request, "请选择资源类型（找买家、找供应、用地厂房……）。")
    view = resources.create_resource(store, user.who, provider_id=resources.provider_id(store, provider), title=title, kind=kind,
                              product=_text(form, "product", 100) or None,
                              description=form.get("description", "").strip()[:_TEXT_MAX] or None)
    return redirect("/pages/resources?" + urlencode({"msg": "resource_offered", "q": view.title[:MAX_QUERY]}))


@router.post("/pages/resources/{resource_id}/withdraw")
def withdraw_resource(request: Request, store: StoreDep, user: PageUserDep, form: FormDep,
                      resource_id: str) -> Response:
    """撤回 a resource, with an optional note."""
    resources.withdraw_resource(store, user.who, resource_id, note=form_note(form))
    return redirect("/pages/resources?msg=resource_withdrawn")
