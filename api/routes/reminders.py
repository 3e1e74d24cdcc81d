"""Reminders (提醒): per person and department, what is overdue, due today and due soon."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PrincipalDep, SettingsDep, StoreDep
from api.models import Out
from chainmatch.workflows import reminders

__all__ = ["router"]

router = APIRouter(prefix="/reminders", tags=["reminders"])


class ReminderOut(Out):
    kind: str
    id: str
    title: str
    due_on: str
    days_left: int
    enterprise_id: str | None


class RecipientOut(Out):
    kind: str
    id: str
    name: str
    overdue: list[ReminderOut]
    today: list[ReminderOut]
    soon: list[ReminderOut]


@router.get("", response_model=list[RecipientOut])
def get_reminders(
    store: StoreDep, who: PrincipalDep, settings: SettingsDep,
    soon_days: Annotated[int | None, Query(ge=0, le=60, description="default CHAINMATCH_REMIND_SOON_DAYS")] = None,
    today: Annotated[date | None, Query(description="the day to judge by (default: today, CST)")] = None,
    zone_id: Annotated[str | None, Query(max_length=100)] = None,
    person_id: Annotated[str | None, Query(max_length=100)] = None,
    department_id: Annotated[str | None, Query(max_length=100)] = None,
) -> list[RecipientOut]:
    """The reminder feed: each person and department with what is overdue, due today and due soon."""
    found = reminders.reminders(store, who, today=today, soon_days=settings.remind_soon_days if soon_days is None
                                else soon_days, zone_id=zone_id, person_id=person_id, department_id=department_id)
    return [RecipientOut.model_validate(r) for r in found]
