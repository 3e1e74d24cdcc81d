"""Assessment (考核): how the problems raised in a period were handled, per department, grid and grid chief.

For the problems raised from ``start`` to ``end`` (inclusive) that the caller may see, each row counts:

- ``received``: problems (for a department: those dispatched to it; for a grid: raised in it; for a grid chief:
  raised in the grids they are chief of);
- ``closed``: closed now (办结, awaiting or with the firm's evaluation); ``on_time``: of those, closed by their
  due date; ``open`` and ``overdue``: not closed, and past their due date on ``today``;
- ``feedback_owed``: closings (every closing owes the firm's evaluation; a reopened problem was closed once more);
  ``feedback_given``: evaluations recorded (target 100%); ``satisfied`` and ``unsatisfied``: their verdicts;
- ``escalated``: problems raised a level at least once, ``escalations``: levels raised in all;
- ``avg_days_to_close``: calendar days from raising to the (last) closing, over the closed problems.

Rates are None when their denominator is 0. Everything is read from the Problem nodes and four relationship
scans, so a zone's year is assessed in one pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from chainmatch import audit
from chainmatch.auth import Principal, require
from chainmatch.deadlines import check_date, is_overdue
from chainmatch.enterprises import display_name
from chainmatch.errors import InvalidRequest, NotFound
from chainmatch.problems import OPEN
from chainmatch.stores.base import Node, Store

__all__ = ["Assessment", "Figures", "assess"]


@dataclass(frozen=True)
class Figures:
    """One row of the assessment: a department, a grid, a grid chief, or the whole (``id`` = '')."""

    id: str
    name: str
    received: int
    closed: int
    on_time: int
    open: int
    overdue: int
    feedback_owed: int
    feedback_given: int
    satisfied: int
    unsatisfied: int
    escalated: int
    escalations: int
    avg_days_to_close: float | None
    on_time_rate: float | None
    feedback_rate: float | None
    satisfaction_rate: float | None


@dataclass(frozen=True)
class Assessment:
    start: str
    end: str
    zone_id: str | None
    today: str
    total: Figures
    departments: list[Figures]
    grids: list[Figures]
    chiefs: list[Figures]


@dataclass
class _Tally:
    received: int = 0
    closed: int = 0
    on_time: int = 0
    open: int = 0
    overdue: int = 0
    feedback_owed: int = 0
    feedback_given: int = 0
    satisfied: int = 0
    unsatisfied: int = 0
    escalated: int = 0
    escalations: int = 0
    days: int = 0
    seen: set[str] = field(default_factory=set)

    def add(self, pid: str, f: _One) -> None:
        if pid in self.seen:  # a chief of two grids, a problem of both: counted once
            return
        self.seen.add(pid)
        self.received += 1
        self.closed += f.closed
        self.on_time += f.on_time
        self.open += f.open
        self.overdue += f.overdue
        self.feedback_owed += f.closings
        self.feedback_given += f.evaluations
        self.satisfied += f.satisfied
        self.unsatisfied += f.reopened
        self.escalated += f.escalations > 0
        self.escalations += f.escalations
        self.days += f.days

    def figures(self, id_: str, name: str) -> Figures:
        def rate(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        return Figures(
            id_, name, self.received, self.closed, self.on_time, self.open, self.overdue, self.feedback_owed,
            self.feedback_given, self.satisfied, self.unsatisfied, self.escalated, self.escalations,
            round(self.days / self.closed, 2) if self.closed else None, rate(self.on_time, self.closed),
            rate(self.feedback_given, self.feedback_owed), rate(self.satisfied, self.feedback_given))


@dataclass(frozen=True)
class _One:
    """What one problem adds to a row."""

    closed: int
    on_time: int
    open: int
    overdue: int
    closings: int
    evaluations: int
    satisfied: int
    reopened: int
    escalations: int
    days: int


def _one(node: Node, today: date) -> _One:
    p = node.props
    status = p.get("status")
    closed = status in ("closed", "evaluated")
    reopened = int(p.get("reopened") or 0)
    evaluated = status == "evaluated"
    days = 0
    if closed and p.get("closed_on") and p.get("raised_on"):
        days = (date.fromisoformat(str(p["closed_on"])) - date.fromisoformat(str(p["raised_on"]))).days
    is_open = status in OPEN
    return _One(int(closed), int(closed and bool(p.get("on_time"))), int(is_open),
                int(is_open and is_overdue(p.get("due_on"), today)), reopened + int(closed), reopened + int(evaluated),
                int(evaluated and p.get("evaluation") == "satisfied"), reopened, int(p.get("escalations") or 0), days)


def _names(store: Store, label: str, ids: Iterable[str]) -> dict[str, str]:
    return {i: display_name(n) for i, n in store.get(label, sorted(set(ids))).items()}


def assess(store: Store, who: Principal, *, start: date, end: date, zone_id: str | None = None,
           today: date | None = None) -> Assessment:
    """The assessment of the problems raised from ``start`` to ``end`` (see the module's docstring); a grid chief
    gets their grids' problems, a department the problems dispatched to it."""
    require(who, "read")
    check_date("start", start)
    check_date("end", end)
    if end < start:
        raise InvalidRequest(f"考核期间有误：结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}。")
    if zone_id is not None and not store.get("Zone", [zone_id]):
        raise NotFound(f"No zone has the id '{zone_id}'.", candidates=[z.id for z in store.find("Zone", limit=10)])
    day = today or audit.now_cst().date()
    first, last = start.isoformat(), end.isoformat()
    nodes = {n.id: n for n in store.scan("Problem") if first <= str(n.props.get("raised_on", "")) <= last}
    dispatched: dict[str, list[str]] = defaultdict(list)
    for r in store.scan_rels("DISPATCHED_TO"):
        if r.src in nodes:
            dispatched[r.src].append(r.dst)
    grid_of = {r.src: r.dst for r in store.scan_rels("RAISED_IN") if r.src in nodes}
    if zone_id is not None or who.zones is not None:
        zone_of = {r.src: r.dst for r in store.scan_rels("IN_ZONE") if r.src_label == "Problem" and r.src in nodes}
    else:
        zone_of = {}

    def visible(pid: str) -> bool:
        if zone_id is not None and zone_of.get(pid) != zone_id:
            return False
        if who.department_id is not None:
            return who.department_id in dispatched.get(pid, ())
        if who.grids is None:
            return True
        return grid_of.get(pid) in who.grids or (who.zones is not None and zone_of.get(pid) in who.zones)

    chiefs_of: dict[str, list[str]] = defaultdict(list)
    for r in store.scan_rels("CHIEF_OF"):
        chiefs_of[r.dst].append(r.src)
    total = _Tally()
    depts: dict[str, _Tally] = defaultdict(_Tally)
    grids: dict[str, _Tally] = defaultdict(_Tally)
    chiefs: dict[str, _Tally] = defaultdict(_Tally)
    for pid, node in nodes.items():
        if not visible(pid):
            continue
        one = _one(node, day)
        total.add(pid, one)
        for d in dispatched.get(pid, ()):
            if who.department_id is None or d == who.department_id:
                depts[d].add(pid, one)
        grid = grid_of.get(pid)
        if grid is not None:
            grids[grid].add(pid, one)
            for person in chiefs_of.get(grid, ()):
                chiefs[person].add(pid, one)
    dnames = _names(store, "Department", depts)
    gnames = _names(store, "Grid", grids)
    pnames = _names(store, "Person", chiefs)
    return Assessment(
        first, last, zone_id, day.isoformat(), total.figures("", "合计"),
        [t.figures(i, dnames.get(i, i)) for i, t in sorted(depts.items())],
        [t.figures(i, gnames.get(i, i)) for i, t in sorted(grids.items())],
        [t.figures(i, pnames.get(i, i)) for i, t in sorted(chiefs.items())],
    )
