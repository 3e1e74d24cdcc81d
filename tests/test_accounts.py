"""Accounts: created, disabled and reset by an admin; passwords stored as argon2id hashes only; repeated failures
slowed, then locked, with the state in the store (a second store handle, as another worker would have, sees it)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from chainmatch.access import accounts
from chainmatch.access.accounts import LoginPolicy, LoginRefused
from chainmatch.access.audit import CHINA, list_entries
from chainmatch.access.auth import Principal, authorize
from chainmatch.access.sessions import SessionExpired, end_session, open_session, start_session
from chainmatch.cli import main
from chainmatch.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from chainmatch.stores.sqlite import SQLiteStore
from tests.world import open_world

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=CHINA)
PW = "correct horse 7"


def test_an_account_is_scoped_like_a_token_and_passes_the_same_authorize(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        view = accounts.create_account(store, "Chief.A", PW, role="grid_chief", name=" 网格长  甲 ", grids=["G3"],
                                       person_id="P1", at=T0)
        assert (view.id, view.name, view.grids, view.person_id, view.disabled) == ("chief.a", "网格长 甲", ["G3"],
                                                                                   "P1", False)
        _node, who = accounts.login(store, "chief.a", PW, now=T0)
        assert who == Principal("account:chief.a", "网格长 甲", "grid_chief", frozenset({"G3"}), "P1")
        authorize(store, who, "needs:write", firms=["E1"])  # 利通 is in G3
        with pytest.raises(PermissionDenied):
            authorize(store, who, "needs:write", firms=["E9"])  # 双汇 is in G9
        accounts.create_account(store, "zs", PW, role="staff", name="招商员乙", zones=["LH"], at=T0)
        _, staff = accounts.login(store, "ZS ", PW, now=T0)
        assert staff.zones == frozenset({"LH"}) and {"G1", "G3", "G4", "G9"} <= (staff.grids or set())
        assert "Q1" not in (staff.grids or set())


def test_only_the_hash_is_stored(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        accounts.create_account(store, "u1", PW, role="viewer", name="甲", at=T0)
        stored = store.get("Account", ["u1"])["u1"]
        assert stored.props["password_hash"].startswith("$argon2id$")
        assert PW not in repr(stored.props)
    raw = (tmp_path / "world.db").read_bytes()
    assert PW.encode() not in raw


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"username": "x", "password": PW, "role": "viewer"}, InvalidRequest),  # too short a name
    ({"username": "张三", "password": PW, "role": "viewer"}, InvalidRequest),
    ({"username": "u2", "password": "short", "role": "viewer"}, InvalidRequest),
    ({"username": "u2", "password": " " * 10, "role": "viewer"}, InvalidRequest),
    ({"username": "u2", "password": PW, "role": "grid_chief"}, InvalidRequest),  # a chief needs a grid
    ({"username": "u2", "password": PW, "role": "boss"}, InvalidRequest),
    ({"username": "u2", "password": PW, "role": "grid_chief", "grids": ["G77"]}, NotFound),
    ({"username": "u2", "password": PW, "role": "admin", "zones": ["LH"]}, InvalidRequest),
])
def test_bad_accounts_are_refused(tmp_path: Path, kwargs: dict[str, object], error: type[Exception]) -> None:
    with open_world(tmp_path) as store:
        with pytest.raises(error):
            accounts.create_account(store, name="某人", at=T0, **kwargs)  # type: ignore[arg-type]
        assert list(store.scan("Account")) == []


def test_a_user_name_is_taken_once(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        accounts.create_account(store, "u1", PW, role="viewer", name="甲", at=T0)
        with pytest.raises(Conflict, match="已被使用"):
            accounts.create_account(store, "U1", "another password", role="admin", name="乙", at=T0)
        assert store.get("Account", ["u1"])["u1"].props["role"] == "viewer"


def test_only_an_admin_manages_accounts(tmp_path: Path) -> None:
    staff = Principal("t", "招商", "staff")
    with open_world(tmp_path) as store, pytest.raises(PermissionDenied):
        accounts.create_account(store, "u1", PW, role="viewer", name="甲", who=staff)


def test_wrong_and_unknown_get_the_same_answer(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        accounts.create_account(store, "u1", PW, role="viewer", name="甲", at=T0)
        with pytest.raises(LoginRefused) as wrong:
            accounts.login(store, "u1", "wrong password", now=T0)
        with pytest.raises(LoginRefused) as unknown:
            accounts.login(store, "nobody", "wrong password", now=T0)
        assert wrong.value.message == unknown.value.message == "用户名或密码不正确，请重新输入。"


def test_failures_are_slowed_then_locked_across_store_handles(tmp_path: Path) -> None:
    policy = LoginPolicy(slow_after=2, lock_after=4, lock_minutes=15)
    with open_world(tmp_path) as store:
        accounts.create_account(store, "u1", PW, role="viewer", name="甲", at=T0)
    one, two = SQLiteStore.open(tmp_path / "world.db"), SQLiteStore.open(tmp_path / "world.db")
    try:
        t = T0
        for _ in range(2):  # two failures: no wait yet
            with pytest.raises(LoginRefused, match="不正确"):
                accounts.login(one, "u1", "bad password", policy=policy, now=t)
        # The third try comes at once: refused before the password is even checked, by the other handle too,
        # and the right password does not get through either.
        with pytest.raises(LoginRefused, match="请 1 秒后再试") as soon:
            accounts.login(two, "u1", PW, policy=policy, now=t)
        assert soon.value.retry_after == 1
        t += timedelta(seconds=1)
        with pytest.raises(LoginRefused, match="再错 1 次"):
            accounts.login(two, "u1", "bad password", policy=policy, now=t)
        t += timedelta(seconds=2)
        with pytest.raises(LoginRefused, match="已锁定"):
            accounts.login(one, "u1", "bad password", policy=policy, now=t)
        # Locked: even the right password is refused, on either handle, until the lock ends.
        t += timedelta(minutes=14)
        with pytest.raises(LoginRefused, match="已锁定"):
            accounts.login(two, "u1", PW, policy=policy, now=t)
        t += timedelta(minutes=2)
        _, who = accounts.login(one, "u1", PW, policy=policy, now=t)
        assert who.role == "viewer"
        stored = one.get("Account", ["u1"])["u1"].props
        assert stored["failed_logins"] == 0 and "locked_until" not in stored
        locks = list_entries(one, action="account.lock").items
        assert [(e.props["target_id"], e.props["detail"]) for e in locks] == [("u1", "4 failed logins")]
    finally:
        one.close()
        two.close()


def test_a_reset_unlocks_and_a_disabled_account_cannot_log_in(tmp_path: Path) -> None:
    policy = LoginPolicy(slow_after=5, lock_after=1)
    with open_world(tmp_path) as store:
        accounts.create_account(store, "u1", PW, role="viewer", name="甲", at=T0)
        node, who = accounts.login(store, "u1", PW, policy=policy, now=T0)
        session = start_session(store, node, who, hours=8, now=T0)
        with pytest.raises(LoginRefused, match="已锁定"):
            accounts.login(store, "u1", "bad password", policy=policy, now=T0)
        accounts.reset_password(store, "u1", "a new password", at=T0)
        with pytest.raises(SessionExpired):  # the reset ended the session
            open_session(store, session.secret, now=T0)
        policy = LoginPolicy()
        with pytest.raises(LoginRefused):
            accounts.login(store, "u1", PW, policy=policy, now=T0)  # the old password no longer works
        node, who = accounts.login(store, "u1", "a new password", policy=policy, now=T0)
        session = start_session(store, node, who, hours=8, now=T0)
        accounts.set_disabled(store, "u1", True)
        with pytest.raises(SessionExpired):
            open_session(store, session.secret, now=T0)
        with pytest.raises(LoginRefused, match="已停用"):
            accounts.login(store, "u1", "a new password", policy=policy, now=T0)
        accounts.set_disabled(store, "u1", False)
        accounts.login(store, "u1", "a new password", policy=policy, now=T0)


def test_sessions_store_only_a_digest_and_expire(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        accounts.create_account(store, "chief", PW, role="grid_chief", name="网格长甲", grids=["G3"],
                                person_id="P1", at=T0)
        node, who = accounts.login(store, "chief", PW, now=T0)
        session = start_session(store, node, who, hours=8, now=T0)
        stored = list(store.scan("PageSession"))
        assert len(stored) == 1 and session.secret not in repr(stored[0]) and stored[0].id != session.secret
        again = open_session(store, session.secret, now=T0 + timedelta(hours=7))
        assert again.principal == who and again.account_id == "chief"
        with pytest.raises(SessionExpired, match="过期"):
            open_session(store, session.secret, now=T0 + timedelta(hours=8))
        assert list(store.scan("PageSession")) == []  # an expired session is removed when seen
        with pytest.raises(SessionExpired):
            open_session(store, "made-up", now=T0)
        session = start_session(store, node, who, hours=8, now=T0)
        end_session(store, session.secret)
        with pytest.raises(SessionExpired):
            open_session(store, session.secret, now=T0)


def test_the_command_line_reads_the_password_from_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    with open_world(tmp_path):
        pass
    db = str(tmp_path / "world.db")
    monkeypatch.setattr("sys.stdin", io.StringIO(PW + "\n"))
    assert main(["--db", db, "account", "add", "chief", "--role", "grid_chief", "--name", "网格长甲",
                 "--grid", "G3", "--person", "P1"]) == 0
    assert "已创建账户" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["--db", db, "account", "passwd", "chief"]) == 2
    assert "密码太短" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("another password\n"))
    assert main(["--db", db, "account", "passwd", "chief"]) == 0
    assert main(["--db", db, "account", "disable", "chief"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "account", "list"]) == 0
    listed = capsys.readouterr().out
    assert listed == "chief\t网格长甲\tgrid_chief 网格 G3 人员 P1\t已停用\n"
    store = SQLiteStore.open(tmp_path / "world.db")
    try:
        with pytest.raises(LoginRefused, match="已停用"):
            accounts.login(store, "chief", "another password", now=T0)
    finally:
        store.close()
    with pytest.raises(SystemExit):  # there is no password argument
        main(["--db", db, "account", "add", "x1", "--role", "viewer", "--name", "某", "--password", PW])
