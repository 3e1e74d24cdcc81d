"""Reminders (提醒): per person and per department, what is overdue, due today and due soon.

What each one is reminded of:

- a department: the open problems dispatched to it (its share of 首办负责 and 部门报到);
- a grid chief: the open problems of their grids' firms, the closed ones whose firm has not evaluated them yet
  (the feedback the chief collects), and the open needs of their grids' firms;
- a project's claimant (认领人): their unfinished projects (each step owes feedback within the feedback limit).

"Soon" is within ``soon_days`` after today (``CHAINMATCH_REMIND_SOON_DAYS``); dates are the zone's local dates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from chainmatch.access import audit
from chainmatch.access.auth import Principal, require
from chainmatch.enterprises import display_name
from chainmatch.errors import InvalidRequest
from chainmatch.stores.base import Direction, Store
from chainmatch.workflows.problems import OPEN
from chainmatch.workflows.projects import TERMINAL

__all__ = ["KINDS", "Recipient", "Reminder", "reminders"]

KINDS = {"problem": "诉求办理", "feedback": "诉求待企业评价", "need": "需求对接", "project": "项目跟进"}
"""What a reminder is about, with its Chinese name."""


@dataclass(frozen=True)
class Reminder:
    kind: str
    id: str
    title: str
    due_on: str
    days_left: int
    """Days from today to the due date (negative: overdue by that many)."""
    enterprise_id: str | None = None


@dataclass
class Recipient:
    """A person or a department and what it is reminded of, each list soonest first."""

    kind: str
    """``person`` or ``department``."""
    id: str
    name: str
    overdue: list[Reminder] = field(default_factory=list)
    today: list[Reminder] = field(default_factory=list)
    soon: list[Reminder] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.soon)


def _firm_of(store: Store, label: str, rel: str, ids: list[str], direction: Direction = "out") -> dict[str, str]:
    out: dict[str, str] = {}
    for i in range(0, len(ids), 5_000):
        for key, es in store.edges(label, ids[i:i + 5_000], rel, direction).items():
            if es:
                out[key] = es[0].node.id
    return out


def reminders(store: Store, who: Principal, *, today: date | None = None, soon_days: int = 2,
              zone_id: str | None = None, person_id: str | None = None,
              department_id: str | None = None) -> list[Recipient]:
    """Every recipient with something overdue, due today or due within ``soon_days``, departments first; a grid
    chief gets what concerns their grids' firms, a department token its own reminders only."""
    require(who, "read")
    if not 0 <= soon_days <= 60:
        raise InvalidRequest(f"soon_days 的值 {soon_days} 无效；应为 0 到 60 天。")
    if who.department_id is not None:
        if department_id and department_id != who.department_id:
            raise InvalidRequest(f"部门令牌只能查看本部门（{who.department_id}）的提醒。")
        department_id = who.department_id
    day = today or audit.now_cst().date()
    last = (day + timedelta(days=soon_days)).isoformat()
    items: dict[tuple[str, str], list[Reminder]] = defaultdict(list)
    grid_of_firm = {r.src: r.dst for r in store.scan_rels("IN_GRID") if r.src_label == "Enterprise"}
    zone_of_firm = ({r.src: r.dst for r in store.scan_rels("IN_ZONE") if r.src_label == "Enterprise"}
                    if zone_id or who.zones is not None else {})
    chiefs: dict[str, list[str]] = defaultdict(list)
    for r in store.scan_rels("CHIEF_OF"):
        chiefs[r.dst].append(r.src)

    def wanted(firm: str | None) -> bool:
        if firm is None:
            return who.grids is None and zone_id is None
        if zone_id and zone_of_firm.get(firm) != zone_id:
            return False
        if who.grids is None or who.department_id is not None:
            return True
        return grid_of_firm.get(firm) in who.grids or (who.zones is not None and zone_of_firm.get(firm) in who.zones)

    def remind(keys: Iterable[tuple[str, str]], item: Reminder) -> None:
        for key in keys:
            items[key].append(item)

    def left(due: str) -> int:
        return (date.fromisoformat(due) - day).days

    problems = [n for n in store.scan("Problem")
                if (n.props.get("status") in OPEN and n.props.get("due_on") and str(n.props["due_on"]) <= last)
                or (n.props.get("status") == "closed" and n.props.get("feedback_due_on")
                    and str(n.props["feedback_due_on"]) <= last)]
    firm_of = _firm_of(store, "Problem", "RAISED_FOR", [n.id for n in problems])
    sent = store.edges("Problem", [n.id for n in problems], "DISPATCHED_TO") if problems else {}
    for n in problems:
        firm = firm_of.get(n.id)
        if not wanted(firm):
            continue
        grid = grid_of_firm.get(firm or "")
        people = [("person", c) for c in chiefs.get(grid or "", [])]
        if n.props.get("status") == "closed":
            due = str(n.props["feedback_due_on"])
            remind(people, Reminder("feedback", n.id, str(n.props.get("title", "")), due, left(due), firm))
            continue
        due = str(n.props["due_on"])
        item = Reminder("problem", n.id, str(n.props.get("title", "")), due, left(due), firm)
        remind(people + [("department", e.node.id) for e in sent.get(n.id, [])], item)
    needs = [n for n in store.find("Need", where={"status": "open"}, limit=1_000_000)
             if n.props.get("due_on") and str(n.props["due_on"]) <= last]
    posters = _firm_of(store, "Need", "POSTED", [n.id for n in needs], "in")
    for n in needs:
        firm = posters.get(n.id)
        if wanted(firm):
            due = str(n.props["due_on"])
            remind([("person", c) for c in chiefs.get(grid_of_firm.get(firm or "", ""), [])],
                   Reminder("need", n.id, str(n.props.get("title", "")), due, left(due), firm))
    projects = [n for n in store.scan("Project") if n.props.get("status") not in TERMINAL
                and n.props.get("due_on") and str(n.props["due_on"]) <= last]
    owners = _firm_of(store, "Project", "CLAIMED_BY", [n.id for n in projects])
    parties = store.edges("Project", [n.id for n in projects], "PARTY_TO", "in") if projects else {}
    for n in projects:
        firms = [e.node.id for e in parties.get(n.id, [])]
        if n.id in owners and (any(wanted(f) for f in firms) if firms else wanted(None)):
            due = str(n.props["due_on"])
            remind([("person", owners[n.id])],
                   Reminder("project", n.id, str(n.props.get("title", "")), due, left(due), firms[0] if firms else None))
    if person_id:
        items = {k: v for k, v in items.items() if k == ("person", person_id)}
    if department_id:
        items = {k: v for k, v in items.items() if k == ("department", department_id)}
    names = {**{i: display_name(n) for i, n in store.get("Person", [k[1] for k in items if k[0] == "person"]).items()},
             **{i: display_name(n) for i, n in
                store.get("Department", [k[1] for k in items if k[0] == "department"]).items()}}
    out = []
    for (kind, rid), found in sorted(items.items(), key=lambda kv: (kv[0][0] != "department", kv[0][1])):
        rec = Recipient(kind, rid, names.get(rid, rid))
        for item in sorted(found, key=lambda r: (r.due_on, r.kind, r.id)):
            (rec.overdue if item.days_left < 0 else rec.today if item.days_left == 0 else rec.soon).append(item)
        out.append(rec)
    return out
