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

Rates are None when their denominator is 0. Everything is read from the Problem nodes (which keep a copy of their
grid and departments), so a zone's year is assessed in one pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np

from chainmatch import audit
from chainmatch.auth import Principal, require
from chainmatch.deadlines import check_date
from chainmatch.enterprises import display_name
from chainmatch.errors import InvalidRequest, NotFound
from chainmatch.problems import OPEN
from chainmatch.stores.base import Store

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


_COLUMNS = ("received", "closed", "on_time", "open", "overdue", "feedback_owed", "feedback_given", "satisfied",
            "unsatisfied", "escalated", "escalations", "days")


def _figures(id_: str, name: str, sums: Sequence[int]) -> Figures:
    """A row from the column sums of its problems (in the order of ``_COLUMNS``)."""
    v = dict(zip(_COLUMNS, (int(x) for x in sums), strict=True))

    def rate(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return Figures(
        id_, name, v["received"], v["closed"], v["on_time"], v["open"], v["overdue"], v["feedback_owed"],
        v["feedback_given"], v["satisfied"], v["unsatisfied"], v["escalated"], v["escalations"],
        round(v["days"] / v["closed"], 2) if v["closed"] else None, rate(v["on_time"], v["closed"]),
        rate(v["feedback_given"], v["feedback_owed"]), rate(v["satisfied"], v["feedback_given"]))


def _one(p: Mapping[str, Any], today: str, day: Callable[[str], int]) -> tuple[int, ...]:
    """What one problem (its properties) adds to each column of ``_COLUMNS``."""
    status = p.get("status")
    closed = status == "closed" or status == "evaluated"
    reopened = int(p.get("reopened") or 0)
    evaluated = status == "evaluated"
    days = 0
    if closed and p.get("closed_on") and p.get("raised_on"):
        days = day(str(p["closed_on"])) - day(str(p["raised_on"]))
    is_open = status in OPEN
    due = p.get("due_on")
    escalations = int(p.get("escalations") or 0)
    return (1, int(closed), int(closed and bool(p.get("on_time"))), int(is_open),
            int(is_open and bool(due) and str(due) < today), reopened + int(closed), reopened + int(evaluated),
            int(evaluated and p.get("evaluation") == "satisfied"), reopened, int(escalations > 0), escalations, days)


def _chunks(ids: list[str], size: int = 5_000) -> Iterable[list[str]]:
    return (ids[i:i + size] for i in range(0, len(ids), size))


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
    # The service keeps a copy of each problem's grid and departments on the node (one read for a zone's year);
    # problems loaded from a data folder without them are looked up through their relationships.
    nodes: dict[str, Mapping[str, Any]] = {}
    dispatched: dict[str, list[str]] = {}
    grid_of: dict[str, str] = {}
    unknown_depts, unknown_grid = [], []
    for n in store.scan("Problem"):
        p = n.props
        if not first <= str(p.get("raised_on", "")) <= last:
            continue
        pid = n.id
        nodes[pid] = p
        kept = p.get("departments")
        if kept is None:
            unknown_depts.append(pid)
        else:
            dispatched[pid] = kept
        grid = p.get("grid")
        if grid:
            grid_of[pid] = grid
        elif kept is None:
            unknown_grid.append(pid)
    for chunk in _chunks(unknown_depts):
        for pid, es in store.edges("Problem", chunk, "DISPATCHED_TO").items():
            dispatched[pid] = [e.node.id for e in es]
    for chunk in _chunks(unknown_grid):
        for pid, es in store.edges("Problem", chunk, "RAISED_IN").items():
            if es:
                grid_of[pid] = es[0].node.id
    zone_of: dict[str, str | None] = {}
    if zone_id is not None or who.zones is not None:
        in_zone = store.edges("Grid", sorted(set(grid_of.values())), "IN_ZONE")
        grid_zone = {g: (es[0].node.id if es else None) for g, es in in_zone.items()}
        zone_of = {pid: grid_zone.get(g) for pid, g in grid_of.items()}
        for chunk in _chunks([pid for pid in nodes if pid not in grid_of]):
            for pid, es in store.edges("Problem", chunk, "IN_ZONE").items():
                zone_of[pid] = es[0].node.id if es else None

    everything = zone_id is None and who.department_id is None and who.grids is None

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
    today_iso = day.isoformat()
    ordinal = lru_cache(maxsize=None)(lambda iso: date.fromisoformat(iso).toordinal())  # a few hundred dates
    rows: list[tuple[int, ...]] = []
    depts: dict[str, list[int]] = defaultdict(list)
    grids: dict[str, list[int]] = defaultdict(list)
    only = who.department_id
    for pid, props in nodes.items():
        if not everything and not visible(pid):
            continue
        k = len(rows)
        rows.append(_one(props, today_iso, ordinal))
        for d in dispatched.get(pid, ()):
            if only is None or d == only:
                depts[d].append(k)
        grid = grid_of.get(pid)
        if grid is not None:
            grids[grid].append(k)
    chiefs: dict[str, list[int]] = defaultdict(list)
    for grid, ks in grids.items():
        for person in chiefs_of.get(grid, ()):
            chiefs[person] += ks
    table = np.array(rows, dtype=np.int64).reshape(len(rows), len(_COLUMNS))

    def summed(groups: dict[str, list[int]], label: str) -> list[Figures]:
        names = _names(store, label, groups)
        # A chief of two grids has each problem once (a problem is in one grid); np.unique keeps it so regardless.
        return [_figures(i, names.get(i, i), table[np.unique(np.array(ks, dtype=np.int64))].sum(axis=0))
                for i, ks in sorted(groups.items())]

    return Assessment(first, last, zone_id, today_iso, _figures("", "合计", table.sum(axis=0)),
                      summed(depts, "Department"), summed(grids, "Grid"), summed(chiefs, "Person"))
