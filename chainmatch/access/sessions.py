"""Page sessions: a login starts a session whose secret travels in a cookie; the store keeps only its SHA-256
digest, when it started and when it expires. Forms carry a CSRF token derived from the session's secret (an
HMAC), so another site cannot post a form for a logged-in person: it knows neither the cookie nor the token.

>>> len(csrf_token("s"))
43
>>> check_csrf("s", csrf_token("s")), check_csrf("s", ""), check_csrf("s", csrf_token("t"))
(True, False, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from chainmatch.access import audit
from chainmatch.access.accounts import account_principal
from chainmatch.access.auth import Principal, Unauthenticated
from chainmatch.stores.base import GraphBatch, Node, Rel, Store

__all__ = ["Session", "SessionExpired", "check_csrf", "csrf_token", "end_session", "open_session", "start_session"]

_MAX_SECRET = 200


class SessionExpired(Unauthenticated):
    """No session, an unknown one, an expired one, or one whose account was disabled: log in again."""

    code = "session_expired"


@dataclass(frozen=True)
class Session:
    """A live session: ``secret`` is what the cookie carries (never stored)."""

    secret: str
    account_id: str
    principal: Principal
    expires_at: datetime


def _digest(secret: str) -> str:
    # 256 random bits: a plain SHA-256 is enough, as for API tokens.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_token(secret: str) -> str:
    """The CSRF token of the session whose secret is ``secret`` (or of a login form's own cookie)."""
    mac = hmac.new(secret.encode("utf-8"), b"chainmatch csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def check_csrf(secret: str, token: str) -> bool:
    """Whether ``token`` is the CSRF token of ``secret`` (compared in constant time)."""
    return bool(secret) and bool(token) and hmac.compare_digest(csrf_token(secret), token)


def start_session(store: Store, account: Node, principal: Principal, *, hours: float,
                  now: datetime | None = None) -> Session:
    """Start a session for a logged-in account; the account's expired sessions are removed at the same time."""
    when = now or audit.now_cst()
    secret = secrets.token_urlsafe(32)
    sid = _digest(secret)
    expires = when + timedelta(hours=hours)
    old = [e.node.id for e in store.edges("Account", [account.id], "SESSION_OF", "in", limit=10_000)[account.id]
           if datetime.fromisoformat(str(e.node.props.get("expires_at"))) <= when]
    if old:
        store.delete("PageSession", old)
    node = Node("PageSession", sid, {"id": sid, "created_at": when.isoformat(), "expires_at": expires.isoformat()})
    store.write(GraphBatch(nodes=[node, audit.entry(principal.actor, "session.start", "Account", account.id,
                                                    at=when)],
                           rels=[Rel("SESSION_OF", "PageSession", sid, "Account", account.id)]))
    return Session(secret, account.id, principal, expires)


def open_session(store: Store, secret: str | None, *, now: datetime | None = None,
                 grids_below: Callable[[Iterable[str]], frozenset[str]] | None = None) -> Session:
    """The session a cookie's secret stands for, with the principal of its account as the account is now
    (a disabled account, or a role changed since, takes effect at once)."""
    if not secret or len(secret) > _MAX_SECRET:
        raise SessionExpired("请先登录。")
    sid = _digest(secret)
    node = store.get("PageSession", [sid]).get(sid)
    if node is None:
        raise SessionExpired("登录已失效（已退出、密码已重设或会话不存在），请重新登录。")
    when = now or audit.now_cst()
    expires = datetime.fromisoformat(str(node.props.get("expires_at")))
    if expires <= when:
        store.delete("PageSession", [sid])
        raise SessionExpired("登录已过期，请重新登录。")
    owner = store.edges("PageSession", [sid], "SESSION_OF")[sid]
    if not owner or owner[0].node.props.get("disabled"):
        store.delete("PageSession", [sid])
        raise SessionExpired("该账户已停用，登录已失效。如需继续使用，请联系管理员。")
    account = owner[0].node
    return Session(secret, account.id, account_principal(store, account, grids_below=grids_below), expires)


def end_session(store: Store, secret: str | None) -> None:
    """End a session (log out); an unknown or already ended one is harmless."""
    if secret and len(secret) <= _MAX_SECRET:
        store.delete("PageSession", [_digest(secret)])
