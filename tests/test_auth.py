"""Tokens, roles and grid scope on the tiny world (tests/world.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainmatch.access import audit, auth
from chainmatch.errors import InvalidRequest, NotFound, PermissionDenied


def test_secret_is_shown_once_and_stored_only_as_a_digest(tmp_path: Path) -> None:
    from tests.world import open_world

    with open_world(tmp_path) as store:
        new = auth.create_token(store, role="grid_chief", name="网格长甲", grids=["G1"], person_id="P1")
        stored = store.get("ApiToken", [new.node.id])[new.node.id]
        assert new.secret not in str(stored.props) and len(stored.props["secret_hash"]) == 64
        links: dict[str, object] = {}
        who = auth.authenticate(store, new.secret, links=links)
        assert (who.role, who.person_id) == ("grid_chief", "P1")
        assert who.grids == {"G1", "G3", "G4"}  # G1 and the grids below it, not G9
        kept_links = links[new.node.id]  # kept: a token's grids and person never change
        assert (kept_links.grids, kept_links.person_id, kept_links.zones) == (("G1",), "P1", ())  # type: ignore[attr-defined]
        assert auth.authenticate(store, new.secret, links=links) == who == auth.authenticate(store, new.secret)
        assert auth.visible_firms(store, who, ["E1", "E2", "E9"]) == {"E1", "E2"}
        with pytest.raises(auth.Unauthenticated, match="not valid"):
            auth.authenticate(store, new.secret[:-1] + ("x" if new.secret[-1] != "x" else "y"))
        auth.revoke_token(store, auth.SYSTEM, new.node.id)
        for kept in (None, links):  # the token itself is read on every call: revoking works at once
            with pytest.raises(auth.Unauthenticated, match="revoked"):
                auth.authenticate(store, new.secret, links=kept)
        actions = [e.props["action"] for e in audit.list_entries(store, target_id=new.node.id).items]
        assert actions == ["token.create", "token.revoke"]


def test_token_arguments_are_checked(tmp_path: Path) -> None:
    from tests.world import open_world

    with open_world(tmp_path) as store:
        with pytest.raises(InvalidRequest, match="needs at least one grid"):
            auth.create_token(store, role="grid_chief", name="x")
        with pytest.raises(InvalidRequest, match="must be one of admin, staff, grid_chief, viewer"):
            auth.create_token(store, role="root", name="x")
        with pytest.raises(NotFound, match="G404"):
            auth.create_token(store, role="grid_chief", name="x", grids=["G404"])
        viewer = auth.authenticate(store, auth.create_token(store, role="viewer", name="v").secret)
        with pytest.raises(PermissionDenied, match="needs 'tokens'"):
            auth.create_token(store, role="admin", name="x", who=viewer)
        with pytest.raises(auth.Unauthenticated, match="No API token"):
            auth.authenticate(store, None)


def test_role_permissions() -> None:
    assert auth.Principal("t", "t", "staff").can("projects:write")
    assert not auth.Principal("t", "t", "staff").can("needs:write")
    assert not auth.Principal("t", "t", "viewer").can("projects:write")
    assert auth.Principal("t", "t", "grid_chief").can("needs:write")
    assert not auth.Principal("t", "t", "grid_chief").can("audit")
