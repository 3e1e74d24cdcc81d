"""账户管理 ``/pages/accounts`` (admins): list, add, disable and enable accounts and set a new password, through the
library calls of ``chainmatch account`` (the scope checked as a token's; only the password's argon2id hash kept)."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import StoreDep
from api.web.session import LABELS, FormDep, PageUserDep, error_page, redirect, render
from api.web.views import NOTICES, notice
from chainmatch.access import accounts
from chainmatch.access.auth import ROLES, require

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
NOTICES.update({
    "account_added": "账户已创建。请把用户名和初始密码当面或通过安全渠道告诉使用人。",
    "account_disabled": "账户已停用，它的登录会话已全部结束。",
    "account_enabled": "账户已启用。",
    "password_set": "密码已重设，账户已解锁，它原有的登录会话已结束。",
})
_ACCOUNT_ROLES = {r: LABELS["api_role"].get(r, r) for r in ROLES if r != "department"}
_IDS = re.compile(r"[\s,，;；、]+")


def _ids(text: str) -> list[str]:
    return [x for x in _IDS.split(text.strip()) if x][:50]


@router.get("/pages/accounts", response_class=HTMLResponse)
def account_list(request: Request, store: StoreDep, user: PageUserDep) -> HTMLResponse:
    """The accounts with role, scope, person and state; the form to add one."""
    require(user.who, "tokens")
    rows = accounts.list_accounts(store, who=user.who)
    return render(request, "accounts.html", user=user, accounts=rows, roles=_ACCOUNT_ROLES, notice=notice(request),
                  me=user.session.account_id, min_password=accounts.MIN_PASSWORD)


@router.post("/pages/accounts")
def add_account(request: Request, store: StoreDep, user: PageUserDep, form: FormDep) -> Response:
    require(user.who, "tokens")
    password = form.get("password", "")
    if password != form.get("password2", ""):
        return error_page(request, 422, "两次密码不一致", "两次输入的密码不一样，账户没有创建。请返回重新填写。")
    role = form.get("role", "")
    if role not in _ACCOUNT_ROLES:
        return error_page(request, 422, "输入有误", "请选择账户的角色（管理员、招商人员、网格长或只读）。")
    accounts.create_account(store, form.get("username", "")[:100], password, role=role, name=form.get("name", "")[:100],
                            grids=_ids(form.get("grids", "")), zones=_ids(form.get("zones", "")),
                            person_id=form.get("person", "").strip() or None, who=user.who)
    return redirect("/pages/accounts?msg=account_added")


@router.post("/pages/accounts/{username}/disable")
def disable(request: Request, store: StoreDep, user: PageUserDep, form: FormDep, username: str) -> Response:
    require(user.who, "tokens")
    if username == user.session.account_id:
        return error_page(request, 409, "不能停用自己", "不能停用您正在使用的账户（否则没有人能再管理账户）。"
                          "请用另一个管理员账户操作。")
    accounts.set_disabled(store, username, True, who=user.who)
    return redirect("/pages/accounts?msg=account_disabled")


@router.post("/pages/accounts/{username}/enable")
def enable(request: Request, store: StoreDep, user: PageUserDep, form: FormDep, username: str) -> Response:
    require(user.who, "tokens")
    accounts.set_disabled(store, username, False, who=user.who)
    return redirect("/pages/accounts?msg=account_enabled")


@router.post("/pages/accounts/{username}/password")
def set_password(request: Request, store: StoreDep, user: PageUserDep, form: FormDep, username: str) -> Response:
    require(user.who, "tokens")
    if form.get("password", "") != form.get("password2", ""):
        return error_page(request, 422, "两次密码不一致", "两次输入的密码不一样，密码没有改变。请返回重新填写。")
    accounts.reset_password(store, username, form.get("password", ""), who=user.who)
    if username == user.session.account_id:  # one's own sessions ended: log in again
        return redirect("/login?next=" + quote("/pages/accounts", safe="/"))
    return redirect("/pages/accounts?msg=password_set")
