"""What every page shares: the session cookie and the person it stands for, CSRF-checked forms, rendering a
template, and Chinese error pages (never JSON or a stack trace in the browser)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.deps import Ranking, StoreDep, offload
from api.limits import UPLOAD_PATHS, BodyTooLarge, too_large_zh
from chainmatch.access.auth import Principal
from chainmatch.access.sessions import Session, SessionExpired, check_csrf, csrf_token, open_session
from chainmatch.errors import (
    Ambiguous,
    ChainmatchError,
    Conflict,
    DataError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
)
from chainmatch.messages import chinese
from chainmatch.settings import Settings
from graph_schema import load_schema

__all__ = [
    "COOKIE",
    "LOGIN_COOKIE",
    "STATIC",
    "CsrfRefused",
    "FormDep",
    "LoginNeeded",
    "PageUser",
    "PageUserDep",
    "cookie_secure",
    "error_page",
    "error_response",
    "is_page",
    "load_templates",
    "read_form",
    "render",
]

HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
COOKIE = "cm_session"
LOGIN_COOKIE = "cm_login"
_PAGE_PATHS = frozenset({"/", "/login", "/logout"})
_MAX_FIELDS = 50
LABELS: Mapping[str, Mapping[str, str]] = load_schema().enums
SECURITY_HEADERS = {
    # Everything a page loads comes from this app; no frame may hold it; forms post only here.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.globals["labels"] = LABELS


def load_templates() -> int:
    """Compile every page template now (at start-up) rather than in the first request of each page."""
    names = _env.list_templates(extensions=["html"])
    for name in names:
        _env.get_template(name)
    return len(names)


def is_page(path: str) -> bool:
    """Whether ``path`` is a page (answered with HTML, errors included) rather than an API route."""
    return path in _PAGE_PATHS or path.startswith(("/pages/", "/static/"))


@dataclass(frozen=True)
class PageUser:
    """The person logged in to the pages, and the principal they act as."""

    session: Session

    @property
    def who(self) -> Principal:
        return self.session.principal

    @property
    def csrf(self) -> str:
        return csrf_token(self.session.secret)

    @property
    def role_label(self) -> str:
        return LABELS["api_role"].get(self.who.role, self.who.role)


class LoginNeeded(Exception):
    """No valid session: the browser goes to the login page, then back to ``next``."""

    def __init__(self, message: str, next_path: str) -> None:
        super().__init__(message)
        self.message = message
        self.next_path = next_path


class CsrfRefused(Exception):
    """A form came without its CSRF token, or with another session's."""


class FormUnreadable(Exception):
    """A POST that is not an HTML form (wrong content type, not UTF-8)."""


def _ranking_grids(request: Request) -> Any:
    ranking: Ranking | None = getattr(request.app.state, "ranking", None)
    return ranking.index.grids_below if ranking is not None else None


async def page_user(request: Request, store: StoreDep) -> PageUser:
    """The logged-in person of the session cookie; without one, :class:`LoginNeeded`."""
    secret = request.cookies.get(COOKIE)
    try:
        session = await offload(request, open_session, store, secret, grids_below=_ranking_grids(request))
    except SessionExpired as e:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginNeeded(e.message if secret else "", target if request.method == "GET" else "/") from e
    return PageUser(session)


PageUserDep = Annotated[PageUser, Depends(page_user)]


async def read_form(request: Request) -> dict[str, str]:
    """The fields of an HTML form (``application/x-www-form-urlencoded``), the first value of each name."""
    body = await request.body()
    if not body:
        return {}
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise FormUnreadable
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError) as e:
        raise FormUnreadable from e
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form


async def checked_form(request: Request, user: PageUserDep) -> dict[str, str]:
    """The form, once its CSRF token is the session's own."""
    form = await read_form(request)
    if not check_csrf(user.session.secret, form.get("csrf", "")):
        raise CsrfRefused
    return form


FormDep = Annotated[dict[str, str], Depends(checked_form)]


def cookie_secure(request: Request, settings: Settings) -> bool:
    """Whether cookies are marked Secure: the setting, or else whether the request came over HTTPS."""
    return settings.cookie_secure if settings.cookie_secure is not None else request.url.scheme == "https"


def new_login_secret() -> str:
    return secrets.token_urlsafe(24)


def render(request: Request, template: str, *, user: PageUser | None = None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """A page from ``api/templates`` with the security headers every page carries."""
    html = _env.get_template(template).render(request=request, user=user, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def login_redirect(exc: LoginNeeded) -> Response:
    url = "/login?next=" + quote(exc.next_path, safe="/")
    if exc.message:
        url += "&why=expired"
    return redirect(url)


def error_page(request: Request, status: int, title: str, message: str, *,
               items: Sequence[tuple[str, str]] = (), detail: str = "") -> HTMLResponse:
    """A Chinese error page; ``items`` are (text, link) pairs, e.g. the candidates of an ambiguous name."""
    return render(request, "error.html", status_code=status, title=title, message=message, items=list(items),
                  detail=detail)


def _scope_words(who_scope: str) -> str:
    return who_scope.replace("grids ", "网格 ").replace("zones ", "开发区 ").replace(" and ", " 等 ")


def _candidate_items(candidates: list[str]) -> list[tuple[str, str]]:
    # Candidates read "name (id)": each links to the firm's page.
    out = []
    for c in candidates[:8]:
        name, _, rest = c.rpartition(" (")
        fid = rest.rstrip(")") if name else c
        out.append((name or c, "/pages/firms/" + quote(fid, safe="")))
    return out


def error_response(request: Request, exc: Exception) -> HTMLResponse:
    """The Chinese page for an error met on a page."""
    if isinstance(exc, CsrfRefused):
        return error_page(request, 403, "表单已失效", "这次提交缺少有效的安全令牌（CSRF），已被拒绝，什么也没有改变。"
                          "请回到上一页，刷新后重新提交。")
    if isinstance(exc, BodyTooLarge):  # a body without Content-Length that grew past the limit while read
        return error_page(request, 413, "提交的内容太大",
                          too_large_zh(exc.limit, exc.size, request.url.path in UPLOAD_PATHS) + "什么也没有改变。")
    if isinstance(exc, FormUnreadable):
        return error_page(request, 400, "无法读取表单", "提交的内容不是网页表单，或不是 UTF-8 编码。请从页面上的表单提交。")
    if isinstance(exc, StoreUnavailable):
        return error_page(request, 503, "数据库暂时不可用", "数据库暂时无法访问，请稍后刷新重试；如持续出现，请联系管理员。")
    if isinstance(exc, PermissionDenied):
        label = exc.details.get("label")
        if label:
            what = {"Enterprise": "该企业", "Need": "该需求", "Resource": "该资源", "Person": "该人员",
                    "Zone": "该开发区", "Department": "该部门", "Grid": "该网格"}.get(str(label), "该对象")
            return error_page(request, 403, "无权访问", f"{what}（{exc.details.get('id')}）不在您负责的范围内，"
                              "您不能查看其详情或对其操作。如需协助，请联系管辖它的网格长、招商人员或管理员。")
        if "grids of token" in exc.message or "no firm in the grids" in exc.message:
            return error_page(request, 403, "无权访问", "该网格或项目不在您负责的范围内，您不能查看或操作。")
        return error_page(request, 403, "无权操作", "您的角色不能执行这项操作（例如只读账户不能发起或推进项目）。"
                          "如需权限，请联系管理员。")
    if isinstance(exc, Ambiguous):
        return error_page(request, 409, "名称对应多家企业", "这个名称对应多家企业，请选择其中一家：",
                          items=_candidate_items(exc.candidates))
    if isinstance(exc, NotFound):
        return error_page(request, 404, "未找到", "没有找到您要的内容，它可能已被删除，或编号、名称有误。"
                          + ("相近的有：" if exc.candidates else ""), items=_candidate_items(exc.candidates))
    if isinstance(exc, Conflict):
        current = exc.details.get("status")
        allowed = exc.details.get("allowed")
        if current is not None and isinstance(allowed, list):
            names = LABELS["project_status"]
            nxt = "、".join(names.get(a, a) for a in allowed) or "无（项目已结束）"
            return error_page(request, 409, "不能这样变更", f"该项目当前状态为「{names.get(str(current), current)}」，"
                              f"不能改为所选状态；可改为：{nxt}。如果您刚提交过同一表单，这次重复提交没有生效。")
        if "not claimed" in exc.message:
            return error_page(request, 409, "请先认领", "该项目还没有人认领；请先认领（首问负责），再跟进联系。")
        if "already claimed" in exc.message:
            return error_page(request, 409, "已被他人认领", "该项目已由其他人认领，不能重复认领。", detail=chinese(exc))
        if "changed by someone else" in exc.message:
            return error_page(request, 409, "已被他人修改", "在您操作期间，该项目已被其他人更新，这次操作没有生效。"
                              "请刷新页面查看最新状态后再试。")
        return error_page(request, 409, "与当前状态冲突", "这项操作与当前状态冲突，没有生效。请刷新页面后再试。",
                          detail=chinese(exc))
    if isinstance(exc, (InvalidRequest, DataError)):
        return error_page(request, 422, "输入有误", "提交的内容有误，请检查后重新填写。", detail=chinese(exc))
    if isinstance(exc, ChainmatchError):
        return error_page(request, 500, "出错了", "处理请求时出错，已记录。请稍后再试或联系管理员。")
    return error_page(request, 500, "服务器内部错误", "处理请求时发生内部错误，已记录。请稍后再试或联系管理员。")
