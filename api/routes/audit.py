"""The audit log: every write with who and when, readable by admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import PagingDep, PrincipalDep, StoreDep
from api.models import PageOut
from chainmatch.access import audit
from chainmatch.access.auth import require

__all__ = ["router"]

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditOut(BaseModel):
    id: str
    at: str
    actor: str
    actor_name: str | None = None
    role: str | None = None
    action: str
    target_label: str | None = None
    target_id: str | None = None
    detail: str | None = None


@router.get("", response_model=PageOut[AuditOut])
def audit_log(
    store: StoreDep, who: PrincipalDep, paging: PagingDep,
    actor: Annotated[str | None, Query(max_length=100, description="a token id")] = None,
    action: Annotated[str | None, Query(max_length=100, description="e.g. project.status")] = None,
    target_id: Annotated[str | None, Query(max_length=100)] = None,
) -> PageOut[AuditOut]:
    """Audit entries, oldest first, filtered by actor, action and target (admins only)."""
    require(who, "audit")
    page = audit.list_entries(store, actor=actor, action=action, target_id=target_id,
                              limit=paging.limit, offset=paging.offset)
    return PageOut[AuditOut](items=[AuditOut.model_validate(dict(n.props)) for n in page.items], limit=page.limit,
                             offset=page.offset, total=page.total, has_more=page.has_more)
