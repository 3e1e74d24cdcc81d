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

Rates are None when their denominator is 0. The store sums the figures itself (:meth:`Store.tally_problems`: one
SQL ``GROUP BY`` in the embedded store, one Cypher aggregation in Neo4j) per copy of grid and departments that the
Problem nodes keep, so a zone's year is assessed without reading its problems into Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from chainmatch.access import audit
from chainmatch.access.auth import Principal, require
from chainmatch.enterprises import display_name
from chainmatch.errors import InvalidRequest, NotFound
from chainmatch.stores.base import PROBLEM_TALLY_COLUMNS, Store
from chainmatch.workflows.deadlines import check_date
from chainmatch.workflows.problems import OPEN

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


_COLUMNS = PROBLEM_TALLY_COLUMNS


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
    first, last, today_iso = start.isoformat(), end.isoformat(), day.isoformat()
    # The store sums the problems per copy of grid and departments kept on the node (one aggregate query); a
    # problem loaded from a data folder without those copies comes as a tally of its own, looked up through its
    # relationships.
    tallies = store.tally_problems(first, last, today_iso, sorted(OPEN))
    loose = {t.problem_id: t for t in tallies if t.problem_id is not None}
    no_depts = [pid for pid, t in loose.items() if t.departments is None]
    no_grid = [pid for pid, t in loose.items() if t.grid is None and t.departments is None]
    dispatched: dict[str, list[str]] = {}
    grid_of: dict[str, str] = {}
    for chunk in _chunks(no_depts):
        for pid, es in store.edges("Problem", chunk, "DISPATCHED_TO").items():
            dispatched[pid] = [e.node.id for e in es]
    for chunk in _chunks(no_grid):
        for pid, es in store.edges("Problem", chunk, "RAISED_IN").items():
            if es:
                grid_of[pid] = es[0].node.id
    groups: list[tuple[str | None, Sequence[str], str | None, tuple[int, ...]]] = []  # grid, depts, loose id, sums
    for t in tallies:
        lone = t.problem_id
        grid = t.grid if t.grid is not None else (grid_of.get(lone) if lone is not None else None)
        depts: Sequence[str] = t.departments if t.departments is not None else dispatched.get(lone or "", [])
        groups.append((grid, depts, lone, t.sums))
    zone_of_grid: dict[str, str | None] = {}
    zone_of_loose: dict[str, str | None] = {}
    if zone_id is not None or who.zones is not None:
        in_zone = store.edges("Grid", sorted({g for g, _, _, _ in groups if g is not None}), "IN_ZONE")
        zone_of_grid = {g: (es[0].node.id if es else None) for g, es in in_zone.items()}
        for chunk in _chunks([pid for g, _, pid, _ in groups if g is None and pid is not None]):
            for pid, es in store.edges("Problem", chunk, "IN_ZONE").items():
                zone_of_loose[pid] = es[0].node.id if es else None

    everything = zone_id is None and who.department_id is None and who.grids is None

    def visible(grid: str | None, depts: Sequence[str], pid: str | None) -> bool:
        zone = zone_of_grid.get(grid) if grid is not None else zone_of_loose.get(pid or "")
        if zone_id is not None and zone != zone_id:
            return False
        if who.department_id is not None:
            return who.department_id in depts
        if who.grids is None:
            return True
        return grid in who.grids or (who.zones is not None and zone in who.zones)

    chiefs_of: dict[str, list[str]] = defaultdict(list)
    for r in store.scan_rels("CHIEF_OF"):
        chiefs_of[r.dst].append(r.src)
    rows: list[tuple[int, ...]] = []
    depts_rows: dict[str, list[int]] = defaultdict(list)
    grids: dict[str, list[int]] = defaultdict(list)
    only = who.department_id
    for g, ds, lid, sums in groups:
        if not everything and not visible(g, ds, lid):
            continue
        k = len(rows)
        rows.append(sums)
        for d in ds:
            if only is None or d == only:
                depts_rows[d].append(k)
        if g is not None:
            grids[g].append(k)
    chiefs: dict[str, list[int]] = defaultdict(list)
    for grid_id, ks in grids.items():
        for person in chiefs_of.get(grid_id, ()):
            chiefs[person] += ks
    table = np.array(rows, dtype=np.int64).reshape(len(rows), len(_COLUMNS))

    def summed(groups: dict[str, list[int]], label: str) -> list[Figures]:
        names = _names(store, label, groups)
        # A chief of two grids has each problem once (a problem is in one grid); np.unique keeps it so regardless.
        return [_figures(i, names.get(i, i), table[np.unique(np.array(ks, dtype=np.int64))].sum(axis=0))
                for i, ks in sorted(groups.items())]

    return Assessment(first, last, zone_id, today_iso, _figures("", "合计", table.sum(axis=0)),
                      summed(depts_rows, "Department"), summed(grids, "Grid"), summed(chiefs, "Person"))
