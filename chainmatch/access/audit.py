"""The audit log: who changed what and when, one AuditEntry node per write, written in the write's own batch.

Every library function that writes adds :func:`entry` to the batch it writes, so a change and its
record are committed together or not at all. Admins read the log with :func:`list_entries`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from chainmatch.pages import Page, filtered
from chainmatch.stores.base import Node, Store

__all__ = ["CHINA", "SYSTEM_ACTOR", "Actor", "entry", "list_entries", "now_cst"]

CHINA = timezone(timedelta(hours=8), "CST")
"""China Standard Time: dates such as due dates are the zone's local dates."""


def now_cst() -> datetime:
    """The current time in China Standard Time, to the second."""
    return datetime.now(CHINA).replace(microsecond=0)


@dataclass(frozen=True)
class Actor:
    """Who is writing: a token id, its name and its role (``system`` for the command line)."""

    id: str
    name: str
    role: str


SYSTEM_ACTOR = Actor("system", "系统(命令行)", "admin")


def entry(actor: Actor, action: str, target_label: str, target_id: str, detail: str = "",
          *, at: datetime | None = None) -> Node:
    """The AuditEntry node recording one write at ``at``; its id sorts by the moment it was written.

    >>> e = entry(SYSTEM_ACTOR, "need.create", "Need", "N1", "找买家", at=datetime(2024, 5, 1, 9, 30, tzinfo=CHINA))
    >>> e.props["actor"], e.props["at"], e.id[0], len(e.id)
    ('system', '2024-05-01T09:30:00+08:00', 'A', 29)
    """
    when = at or now_cst()
    node_id = f"A{datetime.now(CHINA):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}"
    props: dict[str, Any] = {
        "id": node_id, "at": when.isoformat(), "actor": actor.id, "actor_name": actor.name, "role": actor.role,
        "action": action, "target_label": target_label, "target_id": target_id, "detail": detail,
    }
    return Node("AuditEntry", node_id, props)


def list_entries(store: Store, *, actor: str | None = None, action: str | None = None,
                 target_id: str | None = None, limit: int = 50, offset: int = 0) -> Page[Node]:
    """Audit entries, oldest first, filtered by actor (token id), action and target id."""
    where: Mapping[str, Any] = {k: v for k, v in
                                (("actor", actor), ("action", action), ("target_id", target_id)) if v}
    return filtered(lambda n, o: store.find("AuditEntry", where=where, limit=n, offset=o),
                    list, limit=limit, offset=offset)
