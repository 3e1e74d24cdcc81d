"""Accounts: people log in to the pages with a user name and a password (argon2id-hashed), bound to a person, a
role and grids or zones exactly as API tokens are, so the same :func:`chainmatch.access.auth.authorize` calls apply.

An admin creates, disables, re-enables and resets accounts (``chainmatch account add|disable|enable|passwd``).
Failed logins are counted on the account in the store, so that every worker process sees them: after
``slow_after`` failures in a row each further try must wait (1 s, 2 s, 4 s … at most 30 s), and after
``lock_after`` the account is locked for ``lock_minutes``. A successful login, or a password reset by an admin,
clears the count. Only the password's hash is stored; the password itself is never written or logged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from chainmatch.access import audit
from chainmatch.access.auth import (
    SYSTEM,
    Principal,
    Unauthenticated,
    check_scope,
    department_zone,
    require,
    scoped_principal,
)
from chainmatch.errors import Conflict, InvalidRequest, NotFound
from chainmatch.stores.base import Expect, GraphBatch, Node, Rel, Store

__all__ = [
    "MIN_PASSWORD",
    "AccountView",
    "LoginPolicy",
    "LoginRefused",
    "account_principal",
    "create_account",
    "get_account",
    "list_accounts",
    "login",
    "reset_password",
    "set_disabled",
]

MIN_PASSWORD = 8
MAX_PASSWORD = 256
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{1,39}$")
_MAX_WAIT = 30  # seconds: the longest pause between two tries before the lock
_hasher = PasswordHasher()  # argon2id with the library's recommended cost
# Checked when the user name is unknown, so that an unknown name and a wrong password take the same time.
_DUMMY_HASH = _hasher.hash("chainmatch: no such account")
PREFIX = "account:"


class LoginRefused(Unauthenticated):
    """A login that did not succeed; ``retry_after`` (seconds) says when another try is taken, if it matters."""

    code = "login_refused"

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message, details={"retry_after": retry_after} if retry_after else {})


@dataclass(frozen=True)
class LoginPolicy:
    """How repeated failures are slowed and locked."""

    slow_after: int = 3
    """Failures in a row after which each further try must wait (1 s, doubling, at most 30 s)."""
    lock_after: int = 10
    """Failures in a row that lock the account."""
    lock_minutes: float = 15.0

    @classmethod
    def from_settings(cls, settings: Any) -> LoginPolicy:
        return cls(settings.login_slow_after, settings.login_lock_after, settings.login_lock_minutes)

    def wait(self, failures: int) -> int:
        """Seconds a try must wait after the last failure, when ``failures`` in a row came before it.

        >>> [LoginPolicy(slow_after=3).wait(n) for n in (1, 3, 4, 5, 20)]
        [0, 1, 2, 4, 30]
        """
        if failures < self.slow_after:
            return 0
        return int(min(2 ** (failures - self.slow_after), _MAX_WAIT))


@dataclass(frozen=True)
class AccountView:
    """An account as an admin sees it (never its hash)."""

    id: str
    name: str
    role: str
    grids: list[str]
    zones: list[str]
    person_id: str | None
    department_id: str | None
    disabled: bool
    locked_until: str | None
    created_at: str


def _check_name(username: str) -> str:
    name = username.strip().lower()
    if not _NAME.match(name):
        raise InvalidRequest(f"用户名 '{username}' 不可用：请用 2–40 个小写英文字母、数字、点、下划线或连字符，"
                             "以字母或数字开头（例如 zhang.wei 或 wgz01）。")
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest(f"密码太短：至少 {MIN_PASSWORD} 个字符（现在 {len(password)} 个）。")
    if len(password) > MAX_PASSWORD:
        raise InvalidRequest(f"密码太长：最多 {MAX_PASSWORD} 个字符。")
    if not password.strip():
        raise InvalidRequest("密码不能只有空白字符。")


def _load(store: Store, username: str) -> Node:
    name = username.strip().lower()
    node = store.get("Account", [name]).get(name) if name else None
    if node is None:
        raise NotFound(f"没有用户名为 '{username}' 的账户。",
                       candidates=[n.id for n in store.find("Account", text=name[:2], limit=5)] if name else [])
    return node


def _links(store: Store, username: str) -> tuple[list[str], list[str], str | None, str | None]:
    """An account's own grids, zones, person and department."""
    one = [username]
    grids = [e.node.id for e in store.edges("Account", one, "ACCOUNT_GRID")[username]]
    zones = [e.node.id for e in store.edges("Account", one, "ACCOUNT_ZONE")[username]]
    person = store.edges("Account", one, "ACCOUNT_PERSON")[username]
    dept = store.edges("Account", one, "ACCOUNT_DEPARTMENT")[username]
    return grids, zones, person[0].node.id if person else None, dept[0].node.id if dept else None


def _view(store: Store, node: Node) -> AccountView:
    grids, zones, person, dept = _links(store, node.id)
    return AccountView(node.id, str(node.props.get("name", node.id)), str(node.props.get("role")), grids, zones,
                       person, dept, bool(node.props.get("disabled")), node.props.get("locked_until"),
                       str(node.props.get("created_at", "")))


def create_account(store: Store, username: str, password: str, *, role: str, name: str,
                   grids: Iterable[str] = (), zones: Iterable[str] = (), person_id: str | None = None,
                   department_id: str | None = None, who: Principal = SYSTEM,
                   at: datetime | None = None) -> AccountView:
    """Create an account; its scope is checked as a token's is (a grid chief needs grids, only staff and
    viewers take zones, a department account names its department). Only the password's argon2id hash is
    stored."""
    require(who, "tokens")
    username = _check_name(username)
    display = " ".join(name.split())
    if not display:
        raise InvalidRequest("姓名为空：请给出账户使用人的姓名，例如 --name 张伟。")
    _check_password(password)
    grid_list, zone_list = check_scope(store, who, role=role, grids=list(grids), zones=list(zones),
                                       person_id=person_id, department_id=department_id, what="account")
    if username in store.get("Account", [username]):
        raise Conflict(f"用户名 '{username}' 已被使用；请换一个，或用 chainmatch account passwd 重设其密码。")
    when = at or audit.now_cst()
    node = Node("Account", username, {
        "id": username, "name": display, "role": role, "password_hash": _hasher.hash(password),
        "created_at": when.isoformat(), "password_changed_at": when.isoformat(), "disabled": False,
        "failed_logins": 0,
    })
    batch = GraphBatch(nodes=[node, audit.entry(who.actor, "account.create", "Account", username,
                                                f"{role} {display}", at=when)])
    batch.rels += [Rel("ACCOUNT_GRID", "Account", username, "Grid", g) for g in grid_list]
    batch.rels += [Rel("ACCOUNT_ZONE", "Account", username, "Zone", z) for z in zone_list]
    if person_id:
        batch.rels.append(Rel("ACCOUNT_PERSON", "Account", username, "Person", person_id))
    if department_id:
        batch.rels.append(Rel("ACCOUNT_DEPARTMENT", "Account", username, "Department", department_id))
    # Expect no account of that name inside the writing transaction: two admins cannot both create it.
    batch.expects.append(Expect("Account", username, "id", None))
    store.write(batch)
    return _view(store, node)


def get_account(store: Store, username: str, *, who: Principal = SYSTEM) -> AccountView:
    require(who, "tokens")
    return _view(store, _load(store, username))


def list_accounts(store: Store, *, who: Principal = SYSTEM) -> list[AccountView]:
    """Every account, by user name."""
    require(who, "tokens")
    return [_view(store, n) for n in store.scan("Account")]


def _end_sessions(store: Store, username: str) -> list[str]:
    return [e.node.id for e in store.edges("Account", [username], "SESSION_OF", "in", limit=100_000)[username]]


def set_disabled(store: Store, username: str, disabled: bool, *, who: Principal = SYSTEM,
                 at: datetime | None = None) -> AccountView:
    """Disable an account (its sessions end at once) or enable it again."""
    require(who, "tokens")
    node = _load(store, username)
    props = {**node.props, "disabled": disabled}
    action = "account.disable" if disabled else "account.enable"
    store.write(GraphBatch(nodes=[Node("Account", node.id, props),
                                  audit.entry(who.actor, action, "Account", node.id, at=at)]))
    if disabled:
        store.delete("PageSession", _end_sessions(store, node.id))
    return _view(store, Node("Account", node.id, props))


def reset_password(store: Store, username: str, password: str, *, who: Principal = SYSTEM,
                   at: datetime | None = None) -> AccountView:
    """Set a new password; the failure count and any lock are cleared and the account's sessions end."""
    require(who, "tokens")
    node = _load(store, username)
    _check_password(password)
    when = at or audit.now_cst()
    props = {**node.props, "password_hash": _hasher.hash(password), "password_changed_at": when.isoformat(),
             "failed_logins": 0}
    props.pop("locked_until", None)
    props.pop("last_failure_at", None)
    store.write(GraphBatch(nodes=[Node("Account", node.id, props),
                                  audit.entry(who.actor, "account.passwd", "Account", node.id, at=when)]))
    store.delete("PageSession", _end_sessions(store, node.id))
    return _view(store, Node("Account", node.id, props))


def account_principal(store: Store, node: Node, *,
                      grids_below: Callable[[Iterable[str]], frozenset[str]] | None = None) -> Principal:
    """The principal an account acts as: its role, and its grids or zones, as a token's (a department account
    reaches its department's zone, as a department token does)."""
    grids, zones, person, dept = _links(store, node.id)
    if dept:
        zone = department_zone(store, dept)
        zones = [zone] if zone else ["(无开发区)"]
    return scoped_principal(store, PREFIX + node.id, str(node.props.get("name", node.id)),
                            str(node.props.get("role")), grids=grids, zones=zones, person_id=person,
                            grids_below=grids_below, department_id=dept)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def login(store: Store, username: str, password: str, *, policy: LoginPolicy = LoginPolicy(),
          now: datetime | None = None,
          grids_below: Callable[[Iterable[str]], frozenset[str]] | None = None) -> tuple[Node, Principal]:
    """Check a user name and password; returns the account and the principal it acts as.

    Raises :class:`LoginRefused` for a wrong name or password (the same message for both), a try that came too
    soon after the last failures, a locked account and a disabled one.
    """
    when = now or audit.now_cst()
    name = username.strip().lower()
    node = store.get("Account", [name]).get(name) if _NAME.match(name) and len(password) <= MAX_PASSWORD else None
    if node is None:
        _verify(_DUMMY_HASH, password[:MAX_PASSWORD])
        raise LoginRefused("用户名或密码不正确，请重新输入。")
    locked = node.props.get("locked_until")
    if locked and datetime.fromisoformat(str(locked)) > when:
        until = datetime.fromisoformat(str(locked))
        minutes = max(1, math.ceil((until - when).total_seconds() / 60))
        raise LoginRefused(f"连续登录失败次数过多，账户已锁定，请约 {minutes} 分钟后（{until:%H:%M} 以后）再试，"
                           "或请管理员重设密码。", retry_after=math.ceil((until - when).total_seconds()))
    failures = int(node.props.get("failed_logins") or 0)
    last = node.props.get("last_failure_at")
    wait = policy.wait(failures)
    if wait and last:
        ready = datetime.fromisoformat(str(last)) + timedelta(seconds=wait)
        if ready > when:
            seconds = math.ceil((ready - when).total_seconds())
            raise LoginRefused(f"登录失败次数较多，请 {seconds} 秒后再试。", retry_after=seconds)
    if not _verify(str(node.props.get("password_hash", "")), password):
        _record_failure(store, node, failures, policy, when)
        left = policy.lock_after - failures - 1
        hint = f"再错 {left} 次账户将锁定 {policy.lock_minutes:g} 分钟。" if 0 < left <= 3 else ""
        if left <= 0:
            raise LoginRefused(f"用户名或密码不正确。连续失败 {policy.lock_after} 次，账户已锁定 "
                               f"{policy.lock_minutes:g} 分钟，或请管理员重设密码。",
                               retry_after=int(policy.lock_minutes * 60))
        raise LoginRefused("用户名或密码不正确，请重新输入。" + hint)
    if node.props.get("disabled"):
        raise LoginRefused("该账户已停用。如需继续使用，请联系管理员。")
    props = dict(node.props)
    changed = False
    if failures or locked or last:
        props.update(failed_logins=0)
        props.pop("locked_until", None)
        props.pop("last_failure_at", None)
        changed = True
    if _hasher.check_needs_rehash(str(props["password_hash"])):
        props["password_hash"] = _hasher.hash(password)
        changed = True
    if changed:
        store.write(GraphBatch(nodes=[Node("Account", node.id, props)]))
    return node, account_principal(store, node, grids_below=grids_below)


def _record_failure(store: Store, node: Node, failures: int, policy: LoginPolicy, when: datetime,
                    tries: int = 5) -> None:
    """Count one failure; at ``lock_after`` lock the account (and start counting again after the lock)."""
    props: dict[str, Any] = {**node.props, "failed_logins": failures + 1, "last_failure_at": when.isoformat()}
    batch = GraphBatch()
    if failures + 1 >= policy.lock_after:
        props.update(failed_logins=0, locked_until=(when + timedelta(minutes=policy.lock_minutes)).isoformat())
        props.pop("last_failure_at", None)
        batch.nodes.append(audit.entry(audit.Actor(PREFIX + node.id, str(node.props.get("name", "")), "login"),
                                       "account.lock", "Account", node.id,
                                       f"{policy.lock_after} failed logins", at=when))
    batch.nodes.append(Node("Account", node.id, props))
    # Counted on the state as read: two workers failing at once cannot both write the same count.
    batch.expects.append(Expect("Account", node.id, "failed_logins", node.props.get("failed_logins")))
    try:
        store.write(batch)
    except Conflict:  # another try was counted in between: count this one on the new state
        fresh = store.get("Account", [node.id]).get(node.id)
        if fresh is not None and tries > 1:
            _record_failure(store, fresh, int(fresh.props.get("failed_logins") or 0), policy, when, tries - 1)

