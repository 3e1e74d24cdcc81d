"""The pages: thin handlers that call the same library functions as the JSON routes and render a template.

工作台 ``/``, 登录 ``/login``, 企业检索 ``/pages/firms``, 企业档案 ``/pages/firms/{id}``, 推荐 ``/pages/recommend``,
项目 ``/pages/projects`` and ``/pages/projects/{id}``, 我的网格 ``/pages/grid``. Every POST carries the CSRF token
of the session (the login form: of its own cookie) and answers with a redirect (post/redirect/get).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import LimitsDep, RankingDep, SettingsDep, StoreDep, offload
from api.web.session import (
    COOKIE,
    LOGIN_COOKIE,
    FormDep,
    PageUserDep,
    cookie_secure,
    error_page,
    new_login_secret,
    read_form,
    redirect,
    render,
)
from chainmatch import needs
from chainmatch.access import accounts, audit
from chainmatch.access.auth import Principal, Unauthenticated, require_firms, visible_firms
from chainmatch.access.sessions import check_csrf, csrf_token, end_session, open_session, start_session
from chainmatch.coverage import Coverage, zone_coverage
from chainmatch.enterprises import display_name, resolve
from chainmatch.firms import MAX_QUERY, firm_profile, normalize_text, search
from chainmatch.grids import get_grid
from chainmatch.matching.neighbours import chain_neighbours, grid_firms
from chainmatch.matching.ranking import Filters, recommend, recommend_for_text
from chainmatch.stores.base import Store
from chainmatch.workflows import projects

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

NOTICES = {  # fixed messages a redirect may name (never text from the query string itself)
    "out": "您已退出登录。",
    "created": "已发起撮合项目。",
    "exists": "这两家企业已有进行中的撮合项目，没有重复创建，已为您打开它。",
    "claimed": "已认领该项目。",
    "advanced": "项目状态已更新。",
}
_DIRECTIONS = {"buyers": "买家（下游）", "suppliers": "供应商（上游）", "partners": "合作伙伴（同环节）"}
_SCOPES = {"all": "区内外", "zone": "仅本开发区", "outside": "仅开发区外"}
_TOPS = ("10", "20", "50")
# Who is who in a project proposed from a recommendation: (the source firm's role, the candidate's role).
_ROLES = {"buyers": ("supplier", "buyer"), "suppliers": ("buyer", "supplier"), "partners": ("partner", "partner")}
_PAGE = 20
_GRID_FIRMS = 50  # firms of a grid listed on 我的网格, each with its nearest chain neighbours
_NEAR = 5
_CHAIN = ("upstream", "downstream", "same_segment")


def _today() -> date:
    return audit.now_cst().date()


def _notice(request: Request) -> str:
    return NOTICES.get(request.query_params.get("msg", ""), "")


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    return int(raw) if raw.isdigit() and int(raw) <= 100_000 else 0


# -- login -------------------------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a path of this site (not ``//host``, not a URL) may follow the login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_page(request: Request, settings: Any, *, message: str = "", status: int = 200,
                username: str = "") -> HTMLResponse:
    secret = request.cookies.get(LOGIN_COOKIE) or new_login_secret()
    why = request.query_params.get("why")
    if not message and why == "expired":
        message = "登录已过期或已失效，请重新登录。"
    response = render(request, "login.html", status_code=status, csrf=csrf_token(secret), message=message,
                      notice=_notice(request), username=username,
                      next=_safe_next(request.query_params.get("next")))
    response.set_cookie(LOGIN_COOKIE, secret, max_age=3600, httponly=True, samesite="lax", path="/login",
                        secure=cookie_secure(request, settings))
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """登录."""
    try:
        open_session(store, request.cookies.get(COOKIE))
        return redirect(_safe_next(request.query_params.get("next")))
    except Unauthenticated:
        return _login_page(request, settings)


@router.post("/login")
async def login_submit(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    form = await read_form(request)
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not check_csrf(cookie, form.get("csrf", "")):
        return error_page(request, 403, "表单已失效", "登录表单已过期或缺少安全令牌（CSRF），已被拒绝。"
                          "请重新打开登录页再登录。")
    username = form.get("username", "")[:100]
    policy = accounts.LoginPolicy.from_settings(settings)
    ranking = getattr(request.app.state, "ranking", None)
    try:
        node, who = await offload(request, accounts.login, store, username, form.get("password", ""), policy=policy,
                                  grids_below=ranking.index.grids_below if ranking is not None else None)
    except accounts.LoginRefused as e:
        refused = _login_page(request, settings, message=e.message, status=429 if e.retry_after else 401,
                               username=username)
        if e.retry_after:
            refused.headers["Retry-After"] = str(e.retry_after)
        return refused
    session = await offload(request, start_session, store, node, who, hours=settings.session_hours)
    response = redirect(_safe_next(form.get("next")))
    response.set_cookie(COOKIE, session.secret, max_age=int(settings.session_hours * 3600), httponly=True,
                        samesite="lax", path="/", secure=cookie_secure(request, settings))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, store: StoreDep, settings: SettingsDep, user: PageUserDep, form: FormDep) -> Response:
    end_session(store, user.session.secret)
    response = redirect("/login?msg=out")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(request, settings))
    return response


# -- 工作台 -------------------------------------------------------------------------------------------------


def _zones_of(store: Store, who: Principal) -> list[str]:
    if who.zones is not None:
        return sorted(who.zones)
    if who.grids is not None:
        zones = store.edges("Grid", sorted(who.grids), "IN_ZONE")
        return sorted({e.node.id for es in zones.values() for e in es})
    return [z.id for z in store.find("Zone", limit=50)]


def _by_due(items: list[Any]) -> list[Any]:
    return sorted(items, key=lambda x: (not x.overdue, x.due_on or "9999", x.id))


@router.get("/", response_class=HTMLResponse)
def workbench(request: Request, store: StoreDep, user: PageUserDep) -> HTMLResponse:
    """工作台: my open needs and projects with their due dates, what is overdue, the zones' coverage."""
    who = user.who
    today = _today()
    open_needs = needs.list_needs(store, who, status="open", limit=100, today=today)
    unfinished = [p for p in projects.list_projects(store, who, limit=200, today=today).items
                  if p.status not in projects.TERMINAL]
    mine = [p for p in unfinished if who.person_id and p.owner and p.owner.id == who.person_id]
    unclaimed = [p for p in unfinished if p.owner is None]
    coverage: list[Coverage] = [zone_coverage(store, who, z, list_limit=0, today=today) for z in _zones_of(store, who)]
    return render(request, "workbench.html", user=user, needs=_by_due(open_needs.items),
                  more_needs=open_needs.has_more, mine=_by_due(mine), unclaimed=_by_due(unclaimed),
                  coverage=coverage, today=today.isoformat(), notice=_notice(request))


# -- 企业检索, 企业档案 ---------------------------------------------------------------------------------------


@router.get("/pages/firms", response_class=HTMLResponse)
def firm_search(request: Request, store: StoreDep, user: PageUserDep) -> HTMLResponse:
    """企业检索: by name, short name, 统一社会信用代码 or product."""
    raw = request.query_params.get("q", "")
    q = normalize_text(raw)
    if len(q) > MAX_QUERY:
        return error_page(request, 422, "检索词太长", f"检索词最多 {MAX_QUERY} 个字，现在有 {len(q)} 个。请缩短后再检索。")
    offset = _offset(request)
    page = search(store, user.who, q, limit=_PAGE, offset=offset) if q else None
    return render(request, "firms.html", user=user, q=q, page=page, offset=offset, size=_PAGE)


@router.get("/pages/firms/{firm}", response_class=HTMLResponse)
def firm_page(request: Request, store: StoreDep, ranking: RankingDep, user: PageUserDep, firm: str) -> HTMLResponse:
    """企业档案: grid, grid chief, party organization, chains and segments, products, needs, projects, partners."""
    matched_by, profile = firm_profile(store, user.who, firm)
    neighbours = chain_neighbours(store, ranking.index, user.who, profile.id, limit=12)
    firm_needs = needs.list_needs(store, user.who, enterprise_id=profile.id, status="open", limit=50)
    return render(request, "firm.html", user=user, p=profile, matched_by=matched_by, neighbours=neighbours.items,
                  needs=firm_needs.items)


# -- 推荐 ---------------------------------------------------------------------------------------------------


@router.get("/pages/recommend", response_class=HTMLResponse)
def recommend_page(request: Request, store: StoreDep, ranking: RankingDep, user: PageUserDep) -> HTMLResponse:
    """推荐: buyers, suppliers or partners for a firm or a product text, with the path and the reasons."""
    params = request.query_params
    firm_q = normalize_text(params.get("firm", ""))
    product = normalize_text(params.get("product", ""))
    direction = params.get("direction", "buyers")
    scope = params.get("scope", "all")
    chain = params.get("chain") or None
    top = params.get("top", "10")
    chains = {c.id: f"{display_name(c)}（{c.id}）" for c in store.find("Chain", limit=500)}
    if direction not in _DIRECTIONS or scope not in _SCOPES or top not in _TOPS or (chain and chain not in chains):
        return error_page(request, 422, "输入有误", "推荐方向、范围、产业链或数量不是可选的值，请从页面上的选项中选择。")
    if len(firm_q) > MAX_QUERY or len(product) > MAX_QUERY:
        return error_page(request, 422, "输入太长", f"企业名称和产品最多 {MAX_QUERY} 个字，请缩短后再试。")
    result = source = None
    if firm_q:
        source = resolve(store, firm_q).node
        require_firms(store, user.who, [source.id])
        result = recommend(ranking.index, source.id, direction=direction, scope=scope, top=int(top),
                           filters=Filters(chain=chain), weights=ranking.weights, model_name=ranking.model)
    elif product:
        result = recommend_for_text(ranking.index, product, direction=direction, scope=scope, top=int(top),
                                    weights=ranking.weights, model_name=ranking.model)
    seen = visible_firms(store, user.who, [i.id for i in result.items]) if result else set()
    roles = _ROLES[direction]
    return render(request, "recommend.html", user=user, firm_q=firm_q, product=product, direction=direction,
                  scope=scope, directions=_DIRECTIONS, scopes=_SCOPES, result=result, seen=seen, chains=chains,
                  chain=chain or "", top=top, tops=_TOPS,
                  source=source, source_name=display_name(source) if source else "", roles=roles,
                  can_propose=user.who.can("projects:write") and source is not None)


# -- 项目 ---------------------------------------------------------------------------------------------------


def _existing(store: Store, who: Principal, a: str, b: str) -> str | None:
    """An unfinished project between exactly these two firms (a form posted twice proposes nothing new)."""
    for p in projects.list_projects(store, who, enterprise_id=a, limit=200).items:
        if p.status not in projects.TERMINAL and {x.firm.id for x in p.parties} == {a, b}:
            return p.id
    return None


@router.post("/pages/projects")
def propose(request: Request, store: StoreDep, limits: LimitsDep, user: PageUserDep, form: FormDep) -> Response:
    """Propose a 撮合项目 from a recommendation (two firms and their roles)."""
    a, b = form.get("a", ""), form.get("b", "")
    roles = (form.get("a_role", "partner"), form.get("b_role", "partner"))
    if not a or not b or a == b or any(r not in projects.ROLES for r in roles):
        return error_page(request, 422, "输入有误", "发起撮合项目需要两家不同的企业和各自的角色（供方、需方或合作方）。"
                          "请从推荐页面上的按钮发起。")
    found = _existing(store, user.who, a, b)
    if found:
        return redirect(f"/pages/projects/{quote(found, safe='')}?msg=exists")
    view = projects.create_project(store, user.who, parties=[(a, roles[0]), (b, roles[1])], origin="recommendation",
                                   note=_form_note(form), event=None, limits=limits)
    return redirect(f"/pages/projects/{quote(view.id, safe='')}?msg=created")


@router.get("/pages/projects", response_class=HTMLResponse)
def project_list(request: Request, store: StoreDep, user: PageUserDep) -> HTMLResponse:
    """项目清单: filter by status, overdue and mine."""
    params = request.query_params
    status = params.get("status") or None
    if status is not None and status not in projects.STATUSES:
        return error_page(request, 422, "输入有误", "项目状态不是可选的值，请从页面上的选项中选择。")
    overdue = True if params.get("overdue") == "1" else None
    mine = params.get("mine") == "1" and user.who.person_id is not None
    offset = _offset(request)
    page = projects.list_projects(store, user.who, status=status, overdue=overdue,
                                  owner_id=user.who.person_id if mine else None, limit=_PAGE, offset=offset)
    return render(request, "projects.html", user=user, page=page, status=status or "", overdue=bool(overdue),
                  mine=mine, offset=offset, size=_PAGE)


@router.get("/pages/projects/{project_id}", response_class=HTMLResponse)
def project_page(request: Request, store: StoreDep, user: PageUserDep, project_id: str) -> HTMLResponse:
    """A project: parties, claimant, steps; claim it; advance its status with a note."""
    view = projects.get_project(store, user.who, project_id)
    return render(request, "project.html", user=user, p=view, notice=_notice(request),
                  can_write=user.who.can("projects:write"))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _form_note(form: dict[str, str]) -> str | None:
    """A note as written (Chinese punctuation kept), without control characters, at most 2,000 characters."""
    return _CONTROL.sub("", form.get("note", "")).strip()[:2000] or None


@router.post("/pages/projects/{project_id}/claim")
def claim(request: Request, store: StoreDep, user: PageUserDep, form: FormDep, project_id: str) -> Response:
    if user.who.person_id is None:
        return error_page(request, 422, "无法认领", "您的账户没有关联人员，不能以本人名义认领项目。"
                          "请管理员在创建账户时用 --person 关联人员。")
    projects.claim_project(store, user.who, project_id, note=_form_note(form))
    return redirect(f"/pages/projects/{quote(project_id, safe='')}?msg=claimed")


@router.post("/pages/projects/{project_id}/status")
def advance(request: Request, store: StoreDep, limits: LimitsDep, user: PageUserDep, form: FormDep,
            project_id: str) -> Response:
    status = form.get("status", "")
    if status not in projects.STATUSES:
        return error_page(request, 422, "输入有误", "请选择项目的下一个状态。")
    projects.advance_project(store, user.who, project_id, status, note=_form_note(form), limits=limits)
    return redirect(f"/pages/projects/{quote(project_id, safe='')}?msg=advanced")


# -- 我的网格 -----------------------------------------------------------------------------------------------


def _own_grids(store: Store, who: Principal) -> list[str]:
    """The top grids of a grid chief's scope (those whose parent is outside it)."""
    grids = sorted(who.grids or ())
    parents = store.edges("Grid", grids, "PART_OF") if grids else {}
    return [g for g in grids if not any(e.node.id in (who.grids or ()) for e in parents[g])]


@router.get("/pages/grid", response_class=HTMLResponse)
def my_grid(request: Request, store: StoreDep, ranking: RankingDep, user: PageUserDep) -> HTMLResponse:
    """我的网格 (grid chiefs): my grids, their firms and their open needs."""
    who = user.who
    if who.role != "grid_chief":
        return render(request, "grid.html", user=user, grids=[], needs=[], chief=False)
    grids = []
    for gid in _own_grids(store, who):
        firms = grid_firms(store, ranking.index, who, gid, limit=_GRID_FIRMS)
        near = [(f, chain_neighbours(store, ranking.index, who, f.id, relations=_CHAIN, limit=_NEAR))
                for f in firms.items]
        grids.append((get_grid(store, who, gid), near, firms.total))
    open_needs = needs.list_needs(store, who, status="open", limit=100)
    return render(request, "grid.html", user=user, grids=grids, needs=_by_due(open_needs.items), chief=True)


# Shared with the other page modules (api/web/*.py), which add their own NOTICES.
today, notice, page_offset, form_note, zones_of = _today, _notice, _offset, _form_note, _zones_of
