"""Problems (企业诉求): a firm's problem found and reported (发现、上报), dispatched to departments (分流), handled
(处置) by the first department that reports in (首办负责), closed within a time limit, evaluated by the firm (评价)
and counted in the assessment (考核, :mod:`chainmatch.workflows.assessment`).

六枝's "企业吹哨、党委响应、部门报到" in the product: a grid member, the grid chief or the firm's liaison raises the
problem (the whistle); the grid chief or staff dispatch it to one or more departments; each department
acknowledges (报到), the first one owns it; it is raised a level (提级: 网格 → 园区/综合党委 → 区级统筹, where an
expert team coordinates) by hand or by :func:`sweep` when it is overdue; the owner closes it with the result; the
firm's contact evaluates it (满意 / 不满意); a 不满意 reopens it. Status machine (each step a ProblemStep with who,
when and a note)::

    raised ─分流→ dispatched ─报到→ handling ─办结→ closed ─满意→ evaluated
      │                                ↑          ↑         │
      └──────就地办结 (网格层级)──────────┼──────────┘         │
                                   reopened ←────不满意──────┘   (reopened ─办结→ closed)

More departments may be added while a problem is open; escalation keeps the status and raises the level. Every
step is decided on the problem as read and written only if nobody wrote a step since (compare-and-set on ``steps``,
like projects): a concurrent or repeated step is refused with Conflict and writes nothing.

Due dates: the category's limit (the catalogue's ``limit``: one of the "135" limits or a number of days) from the
day it is raised, escalated or reopened; a closed problem owes the firm's feedback within the feedback limit.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from chainmatch.access import audit
from chainmatch.access.auth import SYSTEM, Principal, authorize, require, visible_firms
from chainmatch.enterprises import Ref, display_name
from chainmatch.errors import Conflict, DataError, InvalidRequest, NotFound, PermissionDenied
from chainmatch.firms import Firm, describe, normalize_text
from chainmatch.pages import Page, filtered
from chainmatch.stores.base import Expect, GraphBatch, Node, Rel, Store
from chainmatch.workflows.deadlines import DEFAULT_LIMITS, Limits, check_date, is_overdue
from graph_schema import load_schema

__all__ = [
    "LEVELS",
    "OPEN",
    "STATUSES",
    "TRANSITIONS",
    "Catalogue",
    "Category",
    "Dispatch",
    "ProblemStepView",
    "ProblemView",
    "SweepResult",
    "acknowledge",
    "close_problem",
    "dispatch",
    "escalate",
    "evaluate",
    "get_problem",
    "list_problems",
    "load_catalogue",
    "raise_problem",
    "sweep",
]

_SCHEMA = load_schema()
STATUSES = tuple(_SCHEMA.enums["problem_status"])
STATUS_NAMES = dict(_SCHEMA.enums["problem_status"])
LEVELS = tuple(_SCHEMA.enums["problem_level"])
LEVEL_NAMES = dict(_SCHEMA.enums["problem_level"])
EVALUATIONS = tuple(_SCHEMA.enums["evaluation"])
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "raised": ("dispatched", "closed"),
    "dispatched": ("handling",),
    "handling": ("closed",),
    "reopened": ("closed",),
    "closed": ("evaluated", "reopened"),
    "evaluated": (),
}
OPEN = frozenset({"raised", "dispatched", "handling", "reopened"})
"""Statuses that still owe a result: they can be escalated and become overdue."""
_NEXT_ACTIONS = {"raised": ("dispatch", "escalate", "close"), "dispatched": ("dispatch", "acknowledge", "escalate"),
                 "handling": ("dispatch", "acknowledge", "escalate", "close"),
                 "reopened": ("dispatch", "acknowledge", "escalate", "close"), "closed": ("evaluate",),
                 "evaluated": ()}
_LIMIT_NAMES = ("paperwork", "problem", "feedback")
_SWEEP_BATCH = 500


# -- the catalogue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """A problem category: ``limit`` is a "135" limit by name (paperwork, problem, feedback) or a number of days;
    ``departments`` name the departments it usually goes to (a hint shown to whoever dispatches)."""

    code: str
    name: str
    limit: str
    departments: tuple[str, ...] = ()
    description: str = ""

    def days(self, limits: Limits) -> int:
        """The days a problem of this category has, under ``limits``.

        >>> Category("land", "用地厂房", "problem").days(Limits()), Category("x", "加急", "2").days(Limits())
        (3, 2)
        """
        if self.limit.isdigit():
            return int(self.limit)
        return {"paperwork": limits.paperwork_days, "feedback": limits.feedback_days}.get(self.limit,
                                                                                          limits.problem_days)


@dataclass(frozen=True)
class Catalogue:
    """The problem categories in use, by code; a category is named by its code or its Chinese name."""

    categories: dict[str, Category]
    source: str

    def get(self, code_or_name: str) -> Category:
        text = normalize_text(code_or_name)
        found = self.categories.get(text) or next((c for c in self.categories.values() if c.name == text), None)
        if found is None:
            listed = "，".join(f"{c.code}（{c.name}）" for c in self.categories.values())
            raise InvalidRequest(f"诉求类别 '{code_or_name}' 不在类别目录（{self.source}）中。请从以下类别中选一个：{listed}。",
                                 details={"category": code_or_name, "allowed": list(self.categories)})
        return found

    def days(self, code: str, limits: Limits) -> int:
        """Days of the category ``code``; a category no longer in the catalogue has the problem limit."""
        category = self.categories.get(code)
        return category.days(limits) if category else limits.problem_days


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue in ``path`` (a UTF-8 CSV with the columns ``code,name,limit,departments,description``), or the
    shipped example (``chainmatch/data/problem_categories.csv``) when None. A bad file is a DataError naming the
    line and the field.

    >>> cat = load_catalogue()
    >>> cat.get("用地厂房").code, cat.get("approval").limit
    ('land', 'paperwork')
    """
    if path is None:
        return _shipped()
    try:
        return _from_file(path.resolve(), path.stat().st_mtime_ns)
    except OSError as e:
        raise DataError(f"诉求类别目录 {path} 无法读取：{e.strerror}。请检查 CHAINMATCH_PROBLEM_CATEGORIES。") from e


@lru_cache(maxsize=8)
def _from_file(path: Path, stamp: int) -> Catalogue:
    """The catalogue of ``path`` as it was at modification time ``stamp`` (read again when the file changes)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise DataError(f"诉求类别目录 {path} 无法读取：{e.strerror}。请检查 CHAINMATCH_PROBLEM_CATEGORIES。") from e
    except UnicodeDecodeError as e:
        raise DataError(f"诉求类别目录 {path} 不是 UTF-8 编码（第 {e.start} 字节）；请另存为 UTF-8 CSV。") from e
    return _parse(text, str(path))


@cache
def _shipped() -> Catalogue:
    text = resources.files("chainmatch").joinpath("data/problem_categories.csv").read_text(encoding="utf-8")
    return _parse(text, "chainmatch/data/problem_categories.csv")


def _parse(text: str, source: str) -> Catalogue:
    rows = list(csv.reader(text.splitlines()))
    header = [h.strip() for h in rows[0]] if rows else []
    missing = [c for c in ("code", "name", "limit") if c not in header]
    if missing:
        raise DataError(f"{source}：表头缺少列 {', '.join(missing)}。表头应为 code,name,limit,departments,description。")
    col = {h: i for i, h in enumerate(header)}
    categories: dict[str, Category] = {}
    names: set[str] = set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            i = col.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        code, name, limit = cell("code"), cell("name"), cell("limit") or "problem"
        if not code or not name:
            raise DataError(f"{source} 第 {line} 行：code 和 name 都不能为空。")
        if code in categories or name in names:
            raise DataError(f"{source} 第 {line} 行：类别 '{code}'（{name}）重复；每个类别的 code 和 name 只能出现一次。")
        if limit not in _LIMIT_NAMES and not (limit.isdigit() and 1 <= int(limit) <= 365):
            raise DataError(f"{source} 第 {line} 行，limit 列：'{limit}' 不是 paperwork、problem、feedback "
                            "（\"135\" 时限）或 1 到 365 的天数。")
        depts = tuple(d.strip() for d in cell("departments").split(";") if d.strip())
        categories[code] = Category(code, name, limit, depts, cell("description"))
        names.add(name)
    if not categories:
        raise DataError(f"{source}：目录中没有任何类别。")
    return Catalogue(categories, source)


# -- views --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dispatch:
    """A department the problem was dispatched to (分流), and when it reported in (报到)."""

    id: str
    name: str
    on: str | None
    acknowledged_on: str | None


@dataclass(frozen=True)
class ProblemStepView:
    id: str
    status: str
    action: str
    level: str | None
    at: str
    by: str | None
    department_id: str | None
    note: str | None


@dataclass(frozen=True)
class ProblemView:
    id: str
    title: str
    category: str
    category_name: str
    description: str | None
    status: str
    status_name: str
    level: str
    level_name: str
    raised_on: str
    due_on: str | None
    overdue: bool
    closed_on: str | None
    on_time: bool | None
    feedback_due_on: str | None
    evaluation: str | None
    evaluation_note: str | None
    escalations: int
    reopened: int
    enterprise: Firm | None
    grid_id: str | None
    zone_id: str | None
    reporter: Ref | None
    handler: Ref | None
    """The first department that reported in (首办负责: it owns the problem)."""
    departments: list[Dispatch]
    steps: list[ProblemStepView]
    next_actions: list[str]


def _first(edges: dict[str, list[Any]], key: str) -> Node | None:
    es = edges.get(key) or []
    return es[0].node if es else None


def _view(store: Store, who: Principal, node: Node, today: date, catalogue: Catalogue) -> ProblemView:
    pid, p = node.id, node.props
    one = [pid]
    firm = _first(store.edges("Problem", one, "RAISED_FOR"), pid)
    grid = _first(store.edges("Problem", one, "RAISED_IN"), pid)
    zone = _first(store.edges("Problem", one, "IN_ZONE"), pid)
    reporter = _first(store.edges("Problem", one, "REPORTED_BY"), pid)
    handler = _first(store.edges("Problem", one, "HANDLED_BY"), pid)
    depts = sorted((Dispatch(e.node.id, display_name(e.node), e.rel.props.get("on"), e.rel.props.get("acknowledged_on"))
                    for e in store.edges("Problem", one, "DISPATCHED_TO")[pid]), key=lambda d: (d.on or "", d.id))
    steps = sorted((ProblemStepView(e.node.id, str(e.node.props.get("status")), str(e.node.props.get("action")),
                                    e.node.props.get("level"), str(e.node.props.get("at")), e.node.props.get("by"),
                                    e.node.props.get("department_id"), e.node.props.get("note"))
                    for e in store.edges("Problem", one, "PROBLEM_STEP_OF", "in")[pid]), key=lambda s: s.id)
    status = str(p.get("status"))
    level = str(p.get("level", "1"))
    category = catalogue.categories.get(str(p.get("category")))
    return ProblemView(
        pid, str(p.get("title", "")), str(p.get("category", "")), category.name if category else str(p.get("category")),
        p.get("description"), status, STATUS_NAMES.get(status, status), level, LEVEL_NAMES.get(level, level),
        str(p.get("raised_on", "")), p.get("due_on"), status in OPEN and is_overdue(p.get("due_on"), today),
        p.get("closed_on"), p.get("on_time"), p.get("feedback_due_on"), p.get("evaluation"), p.get("evaluation_note"),
        int(p.get("escalations") or 0), int(p.get("reopened") or 0),
        describe(store, who, [firm])[0] if firm else None, grid.id if grid else None, zone.id if zone else None,
        Ref(reporter.id, display_name(reporter)) if reporter else None,
        Ref(handler.id, display_name(handler)) if handler else None, depts, steps,
        list(_NEXT_ACTIONS.get(status, ())) if level != LEVELS[-1] else
        [a for a in _NEXT_ACTIONS.get(status, ()) if a != "escalate"],
    )


# -- reading ------------------------------------------------------------------------------------


def _firm_of(store: Store, problem_id: str) -> str | None:
    firm = _first(store.edges("Problem", [problem_id], "RAISED_FOR"), problem_id)
    return firm.id if firm else None


def _dispatched(store: Store, problem_id: str) -> dict[str, Any]:
    return {e.node.id: e for e in store.edges("Problem", [problem_id], "DISPATCHED_TO")[problem_id]}


def _load(store: Store, who: Principal, problem_id: str) -> Node:
    node = store.get("Problem", [problem_id]).get(problem_id)
    if node is None:
        raise NotFound(f"No problem has the id '{problem_id}' (GET /problems lists the problems you can see).")
    if who.department_id is not None:
        if who.department_id not in _dispatched(store, problem_id):
            raise PermissionDenied(f"诉求 '{problem_id}' 没有分流给部门 {who.department_id}；部门令牌只能查看和办理"
                                   "分流给本部门的诉求。", details={"label": "Problem", "id": problem_id})
    elif who.grids is not None:
        firm = _firm_of(store, problem_id)
        if firm is None or not visible_firms(store, who, [firm]):
            raise PermissionDenied(f"诉求 '{problem_id}' 的企业 {firm} 不在令牌 '{who.id}' 的管辖范围（{who.scope}）内。",
                                   details={"label": "Problem", "id": problem_id})
    return node


def get_problem(store: Store, who: Principal, problem_id: str, *, today: date | None = None,
                catalogue: Catalogue | None = None) -> ProblemView:
    """One problem with its firm, departments, first handler and every step."""
    require(who, "read")
    return _view(store, who, _load(store, who, problem_id), today or audit.now_cst().date(),
                 catalogue or load_catalogue())


def list_problems(store: Store, who: Principal, *, zone_id: str | None = None, status: str | None = None,
                  enterprise_id: str | None = None, department_id: str | None = None, grid_id: str | None = None,
                  level: str | None = None, overdue: bool | None = None, today: date | None = None,
                  catalogue: Catalogue | None = None, limit: int = 50, offset: int = 0) -> Page[ProblemView]:
    """Problems by id, filtered; a grid chief sees those of their grids' firms, a department those dispatched to it."""
    require(who, "read")
    if status and status not in STATUSES:
        raise InvalidRequest(f"status 的值 '{status}' 无效；应为 {', '.join(STATUSES)} 之一。")
    if level and level not in LEVELS:
        raise InvalidRequest(f"level 的值 '{level}' 无效；应为 {', '.join(LEVELS)} 之一（1 网格，2 园区/综合党委，3 区级统筹）。")
    if who.department_id is not None:
        if department_id and department_id != who.department_id:
            raise PermissionDenied(f"部门令牌只能查看分流给本部门（{who.department_id}）的诉求。")
        department_id = who.department_id
    day = today or audit.now_cst().date()
    cat = catalogue or load_catalogue()
    where: dict[str, Any] = {k: v for k, v in (("status", status), ("level", level)) if v}

    def keep(batch: Sequence[Node]) -> list[Node]:
        ids = [n.id for n in batch]
        firms = store.edges("Problem", ids, "RAISED_FOR")
        zones = store.edges("Problem", ids, "IN_ZONE") if zone_id else {}
        grids = store.edges("Problem", ids, "RAISED_IN") if grid_id else {}
        depts = store.edges("Problem", ids, "DISPATCHED_TO") if department_id else {}
        firm_ids = [e.node.id for es in firms.values() for e in es]
        seen = visible_firms(store, who, firm_ids) if who.grids is not None and who.department_id is None else None
        out = []
        for n in batch:
            firm = firms[n.id][0].node.id if firms[n.id] else None
            if seen is not None and firm not in seen:
                continue
            if enterprise_id and firm != enterprise_id:
                continue
            if zone_id and not any(e.node.id == zone_id for e in zones[n.id]):
                continue
            if grid_id and not any(e.node.id == grid_id for e in grids[n.id]):
                continue
            if department_id and not any(e.node.id == department_id for e in depts[n.id]):
                continue
            late = n.props.get("status") in OPEN and is_overdue(n.props.get("due_on"), day)
            if overdue is not None and late != overdue:
                continue
            out.append(n)
        return out

    page = filtered(lambda n, o: store.find("Problem", where=where, limit=n, offset=o), keep,
                    limit=limit, offset=offset)
    return Page([_view(store, who, n, day, cat) for n in page.items], limit, offset, page.total)


# -- writing ------------------------------------------------------------------------------------


def _by(who: Principal) -> str:
    return f"{who.name} ({who.id})"


def _step(problem_id: str, n: int, status: str, action: str, level: str, who: Principal, when: datetime,
          note: str | None, department_id: str | None = None) -> tuple[Node, Rel]:
    sid = f"{problem_id}-S{n:02d}"
    props: dict[str, Any] = {"id": sid, "status": status, "action": action, "level": level, "at": when.isoformat(),
                             "by": _by(who)}
    if note and note.strip():
        props["note"] = note.strip()
    if department_id:
        props["department_id"] = department_id
    return Node("ProblemStep", sid, props), Rel("PROBLEM_STEP_OF", "ProblemStep", sid, "Problem", problem_id)


def _stepped(who: Principal, node: Node, props: dict[str, Any], action: str, when: datetime, note: str | None,
             detail: str, batch: GraphBatch, department_id: str | None = None) -> GraphBatch:
    """Add to ``batch`` the problem's new properties, its next step, the audit entry, and the condition that no
    other step was written since ``node`` was read."""
    n = int(node.props.get("steps") or 0) + 1
    step, rel = _step(node.id, n, str(props["status"]), action, str(props.get("level", "1")), who, when, note,
                      department_id)
    batch.nodes += [Node("Problem", node.id, {**props, "steps": n}), step,
                    audit.entry(who.actor, f"problem.{action}", "Problem", node.id, detail, at=when)]
    batch.rels.append(rel)
    batch.expects.append(Expect("Problem", node.id, "steps", node.props.get("steps")))
    return batch


def _refuse(node: Node, action: str, allowed_in: Iterable[str]) -> Conflict:
    status = str(node.props.get("status"))
    allowed = [STATUS_NAMES[s] for s in allowed_in]
    nxt = {"raised": "先分流（dispatch）到部门", "dispatched": "等待部门报到（acknowledge）",
           "handling": "由首办部门办结（close）", "reopened": "由首办部门重新办结（close）",
           "closed": "由企业联系人评价（evaluate）", "evaluated": "诉求已评价完结，无需再办"}[status]
    return Conflict(f"诉求 '{node.id}' 当前为「{STATUS_NAMES.get(status, status)}」，不能{action}"
                    f"（只有「{'、'.join(allowed)}」的诉求可以）。下一步应{nxt}。未做任何修改。",
                    details={"status": status, "next_actions": list(_NEXT_ACTIONS.get(status, ()))})


def _in_scope(store: Store, who: Principal, firm_id: str, firm_name: str) -> None:
    if who.grids is not None and not visible_firms(store, who, [firm_id]):
        raise PermissionDenied(
            f"企业 {firm_name}（{firm_id}）不在令牌 '{who.id}' 的管辖范围（{who.scope}）内；只能为本人管辖网格或开发区的"
            "企业上报和办理诉求。请由该企业所在网格的网格长或招商人员办理。", details={"label": "Enterprise", "id": firm_id})


def _firm_contacts(store: Store, firm_id: str) -> dict[str, Node]:
    """People who work for the firm (its contacts: they give its feedback)."""
    return {e.node.id: e.node for e in store.edges("Enterprise", [firm_id], "WORKS_FOR", "in")[firm_id]
            if e.node.label == "Person"}


def _check_reporter(store: Store, person: Node, firm_id: str, grid_id: str | None) -> None:
    """A problem is raised by a grid member or grid chief of the firm's grid (or a grid above it), or by the
    firm's liaison (a person linked to the firm, or working for it)."""
    pid = person.id
    grids: set[str] = set()
    g = grid_id
    for _ in range(5):  # the firm's grid and those above it
        if g is None or g in grids:
            break
        grids.add(g)
        up = store.edges("Grid", [g], "PART_OF")[g]
        g = up[0].node.id if up else None
    for rel in ("CHIEF_OF", "MEMBER_OF_GRID"):
        if any(e.node.id in grids for e in store.edges("Person", [pid], rel)[pid]):
            return
    if any(e.node.id == firm_id for e in store.edges("Person", [pid], "LINKED_TO")[pid]):
        return
    if pid in _firm_contacts(store, firm_id):
        return
    raise InvalidRequest(
        f"上报人 {display_name(person)}（{pid}）不是该企业所在网格（{grid_id or '无网格'}）的网格长或网格员，也不是企业的联系人"
        "或挂钩干部；诉求由企业所在网格的网格员、网格长或企业联系人上报。请改填 reporter_id。",
        details={"label": "Person", "id": pid})


def raise_problem(store: Store, who: Principal, *, enterprise_id: str, title: str, category: str,
                  description: str | None = None, reporter_id: str | None = None, raised_on: date | None = None,
                  catalogue: Catalogue | None = None, limits: Limits = DEFAULT_LIMITS,
                  at: datetime | None = None) -> ProblemView:
    """Raise (上报) a problem for a firm: level 网格, due by its category's limit. The reporter must be a grid
    member or chief of the firm's grid, or the firm's liaison; by default the token's person when they are one."""
    require(who, "problems:write")
    cat = catalogue or load_catalogue()
    kind = cat.get(category)
    title = normalize_text(title)
    if not title:
        raise InvalidRequest("title（诉求标题）为空：请用一句话说明企业的问题，例如「园区公交专线开通」。")
    firm = store.get("Enterprise", [enterprise_id]).get(enterprise_id)
    if firm is None:
        raise NotFound(f"No enterprise has the id '{enterprise_id}'.",
                       candidates=[n.id for n in store.find("Enterprise", text=enterprise_id, limit=5)])
    _in_scope(store, who, enterprise_id, display_name(firm))
    authorize(store, who, "problems:write", firms=[enterprise_id])
    grid = _first(store.edges("Enterprise", [enterprise_id], "IN_GRID"), enterprise_id)
    zone = _first(store.edges("Enterprise", [enterprise_id], "IN_ZONE"), enterprise_id)
    reporter = None
    if reporter_id:
        reporter = store.get("Person", [reporter_id]).get(reporter_id)
        if reporter is None:
            raise NotFound(f"No person has the id '{reporter_id}' (reporter_id).")
        _check_reporter(store, reporter, enterprise_id, grid.id if grid else None)
    elif who.person_id:  # the token's person reported it when they are of the firm's grid or its liaison
        own = store.get("Person", [who.person_id]).get(who.person_id)
        try:
            if own is not None:
                _check_reporter(store, own, enterprise_id, grid.id if grid else None)
                reporter = own
        except InvalidRequest:
            reporter = None  # staff entering a problem centrally: the step's "by" says who wrote it
    when = at or audit.now_cst()
    day = check_date("raised_on", raised_on or when.date())
    if day > when.date():
        raise InvalidRequest(f"raised_on（上报日期）{day.isoformat()} 晚于今天 {when.date().isoformat()}；请填写实际上报的日期。")
    pid = f"PB{day:%Y%m%d}-{uuid.uuid4().hex[:8]}"
    props: dict[str, Any] = {"id": pid, "title": title, "category": kind.code, "status": "raised", "level": LEVELS[0],
                             "raised_on": day.isoformat(),
                             "due_on": (day + timedelta(days=kind.days(limits))).isoformat(),
                             "escalations": 0, "reopened": 0, "steps": 1, "departments": []}
    if grid:
        props["grid"] = grid.id
    if description and description.strip():
        props["description"] = description.strip()
    node = Node("Problem", pid, props)
    step, step_rel = _step(pid, 1, "raised", "raised", LEVELS[0], who, when,
                           f"上报人 {display_name(reporter)}" if reporter else None)
    batch = GraphBatch(nodes=[node, step, audit.entry(who.actor, "problem.raise", "Problem", pid,
                                                      f"{enterprise_id} {kind.name}：{title}", at=when)],
                       rels=[step_rel, Rel("RAISED_FOR", "Problem", pid, "Enterprise", enterprise_id)])
    if grid:
        batch.rels.append(Rel("RAISED_IN", "Problem", pid, "Grid", grid.id))
    if zone:
        batch.rels.append(Rel("IN_ZONE", "Problem", pid, "Zone", zone.id))
    if reporter:
        batch.rels.append(Rel("REPORTED_BY", "Problem", pid, "Person", reporter.id))
    store.write(batch)
    return _view(store, who, node, when.date(), cat)


def _writer(store: Store, who: Principal, problem_id: str) -> Node:
    """The problem, for a write by a grid chief, staff or an admin in whose scope its firm lies."""
    require(who, "problems:write")
    node = _load(store, who, problem_id)
    firm = _firm_of(store, problem_id)
    if firm:
        authorize(store, who, "problems:write", firms=[firm])
    return node


def _reload(store: Store, who: Principal, problem_id: str, when: datetime,
            catalogue: Catalogue | None) -> ProblemView:
    return _view(store, who, store.get("Problem", [problem_id])[problem_id], when.date(),
                 catalogue or load_catalogue())


def _zone_departments(store: Store, zone_id: str | None) -> str:
    """The departments of a zone, in words, for a message."""
    if zone_id is None:
        return ""
    depts = store.find("Department", limit=500)
    zones = store.edges("Department", [d.id for d in depts], "IN_ZONE") if depts else {}
    listed = "，".join(f"{d.id} {display_name(d)}" for d in depts if any(e.node.id == zone_id for e in zones[d.id]))
    return f"本开发区的部门：{listed}。" if listed else ""


def dispatch(store: Store, who: Principal, problem_id: str, department_ids: Sequence[str], *,
             note: str | None = None, catalogue: Catalogue | None = None, at: datetime | None = None) -> ProblemView:
    """Dispatch (分流) an open problem to one or more departments of its zone; a department it already went to is
    refused (nothing is written)."""
    node = _writer(store, who, problem_id)
    if str(node.props.get("status")) not in OPEN:
        raise _refuse(node, "分流", [s for s in STATUSES if s in OPEN])
    wanted = list(dict.fromkeys(d.strip() for d in department_ids if d.strip()))
    zone = _first(store.edges("Problem", [problem_id], "IN_ZONE"), problem_id)
    if not wanted:
        raise InvalidRequest("department_ids 为空：请至少指定一个部门编号。" + _zone_departments(store, zone.id if zone else None))
    found = store.get("Department", wanted)
    for d in wanted:
        if d not in found:
            raise NotFound(f"没有编号为 '{d}' 的部门。" + _zone_departments(store, zone.id if zone else None))
    if zone:
        for d, es in store.edges("Department", wanted, "IN_ZONE").items():
            if not any(e.node.id == zone.id for e in es):
                raise InvalidRequest(f"部门 {display_name(found[d])}（{d}）不属于诉求所在的开发区 {zone.id}；请分流给本开发区"
                                     f"的部门。{_zone_departments(store, zone.id)}", details={"label": "Department", "id": d})
    already = _dispatched(store, problem_id)
    twice = [d for d in wanted if d in already]
    if twice:
        raise Conflict(f"诉求 '{problem_id}' 已分流给 {display_name(found[twice[0]])}（{twice[0]}），不能重复分流。未做任何修改。",
                       details={"department_id": twice[0]})
    when = at or audit.now_cst()
    status = "dispatched" if node.props.get("status") == "raised" else str(node.props.get("status"))
    props = {**node.props, "status": status, "departments": [*already, *wanted]}
    names = "、".join(display_name(found[d]) for d in wanted)
    batch = GraphBatch(rels=[Rel("DISPATCHED_TO", "Problem", problem_id, "Department", d,
                                 {"on": when.date().isoformat()}) for d in wanted])
    store.write(_stepped(who, node, props, "dispatched", when, note or f"分流至 {names}", ", ".join(wanted), batch))
    return _reload(store, who, problem_id, when, catalogue)


def _acting_department(store: Store, who: Principal, department_id: str | None) -> str:
    if who.department_id is not None:
        if department_id and department_id != who.department_id:
            raise PermissionDenied(f"部门令牌 '{who.id}' 代表部门 {who.department_id}，不能代 {department_id} 报到或办结。")
        return who.department_id
    if not department_id:
        raise InvalidRequest("请指明哪个部门报到：department_id（部门令牌无需填写）。")
    return department_id


def acknowledge(store: Store, who: Principal, problem_id: str, *, department_id: str | None = None,
                note: str | None = None, catalogue: Catalogue | None = None, at: datetime | None = None) -> ProblemView:
    """A department reports in (部门报到) on a problem dispatched to it; the first one becomes its handler
    (首办负责) and the problem is being handled."""
    require(who, "problems:handle")
    dept = _acting_department(store, who, department_id)
    node = _load(store, who, problem_id)
    status = str(node.props.get("status"))
    if status not in ("dispatched", "handling", "reopened"):
        raise _refuse(node, "报到", ["dispatched", "handling", "reopened"])
    sent = _dispatched(store, problem_id)
    if dept not in sent:
        raise Conflict(f"诉求 '{problem_id}' 没有分流给部门 {dept}，该部门不能报到。已分流给：{', '.join(sent) or '无'}。",
                       details={"department_id": dept})
    edge = sent[dept]
    if edge.rel.props.get("acknowledged_on"):
        raise Conflict(f"部门 {display_name(edge.node)}（{dept}）已于 {edge.rel.props['acknowledged_on']} 报到，不能重复报到。",
                       details={"department_id": dept})
    when = at or audit.now_cst()
    first = not store.edges("Problem", [problem_id], "HANDLED_BY")[problem_id]
    props = {**node.props, "status": "handling" if status == "dispatched" else status}
    batch = GraphBatch(rels=[Rel("DISPATCHED_TO", "Problem", problem_id, "Department", dept,
                                 {**edge.rel.props, "acknowledged_on": when.date().isoformat()})])
    if first:
        batch.rels.append(Rel("HANDLED_BY", "Problem", problem_id, "Department", dept))
    text = f"{display_name(edge.node)} 报到" + ("（首办负责）" if first else "")
    store.write(_stepped(who, node, props, "acknowledged", when, note or text, dept, batch, dept))
    return _reload(store, who, problem_id, when, catalogue)


def _escalated_props(node: Node, day: date, catalogue: Catalogue, limits: Limits) -> dict[str, Any]:
    level = str(node.props.get("level", LEVELS[0]))
    nxt = LEVELS[LEVELS.index(level) + 1]
    due = day + timedelta(days=catalogue.days(str(node.props.get("category")), limits))
    return {**node.props, "level": nxt, "escalations": int(node.props.get("escalations") or 0) + 1,
            "due_on": due.isoformat()}


def escalate(store: Store, who: Principal, problem_id: str, *, note: str | None = None,
             catalogue: Catalogue | None = None, limits: Limits = DEFAULT_LIMITS,
             at: datetime | None = None) -> ProblemView:
    """Raise an open problem one level (提级: 网格 → 园区/综合党委 → 区级统筹) with a new due date."""
    node = _writer(store, who, problem_id)
    if str(node.props.get("status")) not in OPEN:
        raise _refuse(node, "提级", [s for s in STATUSES if s in OPEN])
    level = str(node.props.get("level", LEVELS[0]))
    if level == LEVELS[-1]:
        raise Conflict(f"诉求 '{problem_id}' 已在最高层级「{LEVEL_NAMES[level]}」（由专家团队会商），不能再提级。",
                       details={"level": level})
    cat = catalogue or load_catalogue()
    when = at or audit.now_cst()
    props = _escalated_props(node, when.date(), cat, limits)
    text = f"提级至{LEVEL_NAMES[props['level']]}" + (f"：{note.strip()}" if note and note.strip() else "")
    store.write(_stepped(who, node, props, "escalated", when, text, f"{level} → {props['level']}", GraphBatch()))
    return _reload(store, who, problem_id, when, cat)


def close_problem(store: Store, who: Principal, problem_id: str, *, note: str, department_id: str | None = None,
                  catalogue: Catalogue | None = None, limits: Limits = DEFAULT_LIMITS,
                  at: datetime | None = None) -> ProblemView:
    """Close (办结) a problem being handled, with its result. The first handler owns it: a department closes only
    the problems it handles first; a grid chief closes only what stays at grid level; staff and admins close any
    in their scope. A small matter still at grid level may be closed where it was raised, with no department
    (就地办结). The firm's feedback is then due within the feedback limit."""
    if who.can("problems:write") and who.department_id is None:
        node = _writer(store, who, problem_id)
    else:
        require(who, "problems:handle")
        node = _load(store, who, problem_id)
    status = str(node.props.get("status"))
    level = str(node.props.get("level", LEVELS[0]))
    if status == "raised" and (level != LEVELS[0] or who.role == "department"):
        raise Conflict(f"诉求 '{problem_id}' 尚未分流：只有留在网格层级的小事可以由网格就地办结（泉州：片长、网格员、调解员），"
                       f"它已在「{LEVEL_NAMES[level]}」；请先分流（dispatch）到部门，由首办部门办结。",
                       details={"status": status, "level": level})
    if status not in ("raised", "handling", "reopened"):
        raise _refuse(node, "办结", ["raised", "handling", "reopened"])
    if not note or not note.strip():
        raise InvalidRequest("note（办理结果）为空：办结时请写明如何解决，例如「公交专线已于 5 月 10 日开通」。")
    handler = _first(store.edges("Problem", [problem_id], "HANDLED_BY"), problem_id)
    if who.role == "department":
        dept = _acting_department(store, who, department_id)
        if handler is None or handler.id != dept:
            raise PermissionDenied(f"首办负责：诉求 '{problem_id}' 由首办部门 {display_name(handler) if handler else '—'}"
                                   f"（{handler.id if handler else '—'}）办结，部门 {dept} 不能办结。")
    elif who.role == "grid_chief" and level != LEVELS[0]:
        raise PermissionDenied(f"诉求 '{problem_id}' 已提级至「{LEVEL_NAMES[level]}」，由首办部门或招商人员办结，网格长不能办结。")
    when = at or audit.now_cst()
    day = when.date()
    due = node.props.get("due_on")
    props = {**node.props, "status": "closed", "closed_on": day.isoformat(),
             "on_time": not is_overdue(due, day),
             "feedback_due_on": (day + timedelta(days=limits.feedback_days)).isoformat()}
    store.write(_stepped(who, node, props, "closed", when, note, "closed", GraphBatch(),
                         handler.id if handler else None))
    return _reload(store, who, problem_id, when, catalogue)


def evaluate(store: Store, who: Principal, problem_id: str, *, evaluation: str, contact_id: str | None = None,
             note: str | None = None, catalogue: Catalogue | None = None, limits: Limits = DEFAULT_LIMITS,
             at: datetime | None = None) -> ProblemView:
    """Record the firm's evaluation (评价) of a closed problem, given by one of the firm's contacts (a person who
    works for it; default: the token's person): 满意 ends it, 不满意 (with a note saying why) reopens it with a new
    due date."""
    node = _writer(store, who, problem_id)
    if evaluation not in EVALUATIONS:
        raise InvalidRequest(f"evaluation 的值 '{evaluation}' 无效；应为 satisfied（满意）或 unsatisfied（不满意）。")
    if str(node.props.get("status")) != "closed":
        raise _refuse(node, "评价", ["closed"])
    firm_id = _firm_of(store, problem_id) or ""
    contacts = _firm_contacts(store, firm_id)
    contact_id = contact_id or who.person_id
    if not contact_id or contact_id not in contacts:
        firm = store.get("Enterprise", [firm_id]).get(firm_id)
        listed = "，".join(f"{display_name(p)}（{i}）" for i, p in contacts.items()) or "无（在 posts.csv 登记企业的联系人）"
        who_text = f"{contact_id}" if contact_id else f"令牌 '{who.id}' 未对应任何人员"
        raise PermissionDenied(
            f"评价须由企业联系人给出：{who_text} 不是 {display_name(firm) if firm else firm_id} 的联系人。"
            f"该企业的联系人：{listed}。请填写 contact_id。", details={"label": "Person", "id": contact_id or ""})
    if evaluation == "unsatisfied" and not (note and note.strip()):
        raise InvalidRequest("企业不满意时请在 note 中写明原因，诉求将据此重新处置。")
    cat = catalogue or load_catalogue()
    when = at or audit.now_cst()
    day = when.date()
    props: dict[str, Any] = {**node.props, "evaluation": evaluation, "evaluated_on": day.isoformat(),
                             "evaluated_by": contact_id}
    if note and note.strip():
        props["evaluation_note"] = note.strip()
    else:
        props.pop("evaluation_note", None)
    if evaluation == "satisfied":
        props["status"] = "evaluated"
        action, text = "evaluated", f"{display_name(contacts[contact_id])}：满意" + (f"。{note.strip()}" if note else "")
    else:
        props.update(status="reopened", reopened=int(props.get("reopened") or 0) + 1,
                     due_on=(day + timedelta(days=cat.days(str(props.get("category")), limits))).isoformat())
        for gone in ("closed_on", "on_time", "feedback_due_on"):
            props.pop(gone, None)
        action, text = "reopened", f"{display_name(contacts[contact_id])}：不满意，重新处置。{note.strip() if note else ''}"
    store.write(_stepped(who, node, props, action, when, text, evaluation, GraphBatch()))
    return _reload(store, who, problem_id, when, cat)


# -- the overdue sweep --------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What :func:`sweep` did on ``today``: problems escalated a level, and overdue problems already at the top
    level (区级统筹) that stay overdue; ``skipped``: changed by someone else during the sweep (left as they were)."""

    today: str
    checked: int = 0
    escalated: list[str] = field(default_factory=list)
    at_top: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def sweep(store: Store, *, today: date | None = None, who: Principal = SYSTEM, zone_id: str | None = None,
          catalogue: Catalogue | None = None, limits: Limits = DEFAULT_LIMITS, at: datetime | None = None,
          dry_run: bool = False) -> SweepResult:
    """Escalate every open problem past its due date by one level (自动提级), with a new due date from ``today``;
    run once a day (``chainmatch problems sweep``). Overdue problems at the top level are listed, not changed."""
    require(who, "problems:write")
    if who.grids is not None:
        raise PermissionDenied("自动提级针对整个开发区，只能由管理员、不限区域的招商人员或命令行执行。")
    when = at or audit.now_cst()
    day = today or when.date()
    cat = catalogue or load_catalogue()
    in_zone = ({r.src for r in store.scan_rels("IN_ZONE") if r.src_label == "Problem" and r.dst == zone_id}
               if zone_id else None)
    result = SweepResult(day.isoformat())
    late: list[Node] = []
    top = LEVELS[-1]
    # The store counts the open problems and reads only those past their due date (ISO dates order as the days do).
    checked, overdue = store.open_problems_due_before(day.isoformat(), sorted(OPEN))
    if in_zone is not None:
        checked = sum(1 for n in store.get("Problem", sorted(in_zone)).values()
                      if n.props.get("status") in OPEN)
    result.checked = checked
    for n in overdue:
        if in_zone is not None and n.id not in in_zone:
            continue
        if str(n.props.get("level", LEVELS[0])) == top:
            result.at_top.append(n.id)
        else:
            late.append(n)
    if dry_run:
        result.escalated = [n.id for n in late]
        return result

    def batch_of(nodes: Sequence[Node]) -> GraphBatch:
        batch = GraphBatch()
        for n in nodes:
            props = _escalated_props(n, day, cat, limits)
            _stepped(who, n, props, "escalated", when,
                     f"逾期未办结（期限 {n.props.get('due_on')}），自动提级至{LEVEL_NAMES[props['level']]}",
                     f"auto {n.props.get('level')} → {props['level']}", batch)
        return batch

    for start in range(0, len(late), _SWEEP_BATCH):
        chunk = late[start:start + _SWEEP_BATCH]
        try:
            store.write(batch_of(chunk))
            result.escalated += [n.id for n in chunk]
        except Conflict:  # someone wrote a step meanwhile: escalate the others one by one, leave that one
            for n in chunk:
                try:
                    store.write(batch_of([n]))
                    result.escalated.append(n.id)
                except Conflict:
                    result.skipped.append(n.id)
    return result
