"""Deadlines: the "135" time limits (paperwork 1 day, problems 3 days, feedback 5 days) and what is overdue.

The limits come from the settings (``CHAINMATCH_DEADLINE_*_DAYS``); days are calendar days in the
zone's local time (China Standard Time).

>>> limits = Limits()
>>> limits.days_for_need("approval"), limits.days_for_need("land"), limits.days_for_need("buyers")
(1, 3, 5)
>>> due_for_need("land", date(2024, 5, 1), limits)
datetime.date(2024, 5, 4)
>>> is_overdue("2024-05-04", date(2024, 5, 5)), is_overdue("2024-05-04", date(2024, 5, 4))
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from chainmatch.errors import InvalidRequest
from chainmatch.settings import Settings

__all__ = ["EARLIEST", "FEEDBACK_KINDS", "LATEST", "PAPERWORK_KINDS", "Limits", "check_date", "due_for_need",
           "due_for_project", "is_overdue"]

PAPERWORK_KINDS = frozenset({"approval"})
"""Need kinds that are paperwork (办手续): the 1-day limit."""
FEEDBACK_KINDS = frozenset({"buyers", "supply"})
"""Need kinds answered by feedback from a match (对接反馈): the 5-day limit. Every other kind is a problem: 3 days."""


@dataclass(frozen=True)
class Limits:
    paperwork_days: int = 1
    problem_days: int = 3
    feedback_days: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.deadline_paperwork_days, settings.deadline_problem_days, settings.deadline_feedback_days)

    def days_for_need(self, kind: str) -> int:
        if kind in PAPERWORK_KINDS:
            return self.paperwork_days
        if kind in FEEDBACK_KINDS:
            return self.feedback_days
        return self.problem_days


EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
"""Dates a need or project may carry: a date outside is a typing error (and 9999-12-31 would overflow the due date)."""


def check_date(field: str, value: date) -> date:
    """``value`` when it lies from EARLIEST to LATEST, else InvalidRequest saying so.

    >>> check_date("posted_on", date(2024, 5, 1))
    datetime.date(2024, 5, 1)
    >>> check_date("posted_on", date(9999, 12, 31))
    Traceback (most recent call last):
    ...
    chainmatch.errors.InvalidRequest: posted_on has value 9999-12-31. It must be a date from 2000-01-01 to 2100-12-31.
    """
    if not EARLIEST <= value <= LATEST:
        raise InvalidRequest(f"{field} has value {value.isoformat()}. It must be a date from {EARLIEST.isoformat()} "
                             f"to {LATEST.isoformat()}.")
    return value


DEFAULT_LIMITS = Limits()
"""The "135" rule as the reports state it."""


def due_for_need(kind: str, posted_on: date, limits: Limits) -> date:
    """The date a need of ``kind`` posted on ``posted_on`` must be answered by."""
    return posted_on + timedelta(days=limits.days_for_need(kind))


def due_for_project(step_on: date, limits: Limits) -> date:
    """A project owes feedback within the feedback limit of its latest step."""
    return step_on + timedelta(days=limits.feedback_days)


def is_overdue(due_on: str | None, today: date) -> bool:
    """Whether an ISO due date has passed (the due day itself is still in time)."""
    return bool(due_on) and date.fromisoformat(str(due_on)) < today
