"""The lists staff report upward, as one Excel workbook: firms (企业名录), needs (需求清单), projects (撮合项目),
overdue items (逾期事项) and coverage (网格覆盖), one sheet each.

Every sheet has a title row with the zone and the time of export (China Standard Time), Chinese headers
(the ones the import reads), enumerations as their Chinese labels, dates as dates, rates as percentages, a
frozen header with an autofilter and column widths. A grid chief gets the records of their grids only.
An exported 企业名录 sheet imports back unchanged (names where the import reads names: zone, grid).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from chainmatch.access import audit
from chainmatch.access.auth import SYSTEM, Principal, require
from chainmatch.errors import InvalidRequest, NotFound
from chainmatch.registers.headers import HeaderDictionary
from chainmatch.registers.template import register_fields
from chainmatch.stores.base import Node, Store
from chainmatch.workflows.deadlines import is_overdue
from graph_schema import Schema, load_schema

if TYPE_CHECKING:
    from chainmatch.workflows.assessment import Assessment

__all__ = ["ASSESSMENT_HEADERS", "EXPORTS", "RegisterExport", "export_assessment", "export_registers"]

EXPORTS = {"enterprises": "企业名录", "needs": "需求清单", "projects": "撮合项目", "overdue": "逾期事项",
           "coverage": "网格覆盖"}
"""What ``export_registers`` can write, each with its sheet's name."""

_BATCH = 500
_TERMINAL = {"signed", "declined", "dropped"}


@dataclass
class RegisterExport:
    path: Path | None
    """The file written (None when written to a stream)."""
    zone: str | None
    at: str
    sheets: dict[str, int] = field(default_factory=dict)
    """Sheet name → rows written."""


def _batches(nodes: Iterator[Node]) -> Iterator[list[Node]]:
    chunk: list[Node] = []
    for n in nodes:
        chunk.append(n)
        if len(chunk) >= _BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Names:
    """Display names and zones of the records the sheets point at, read once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.zones = {z.id: z for z in store.scan("Zone")}
        grids = list(store.scan("Grid"))
        grid_zone = store.edges("Grid", [g.id for g in grids], "IN_ZONE") if grids else {}
        counts: dict[tuple[str, str], int] = defaultdict(int)
        self.grid_zone = {g.id: (grid_zone[g.id][0].node.id if grid_zone.get(g.id) else "") for g in grids}
        for g in grids:
            counts[(self.grid_zone[g.id], str(g.props.get("name", "")))] += 1
        # A grid is written by name when its name is unique in its zone (the import reads names), else by id.
        self.grids = {g.id: str(g.props.get("name", "")) if counts[(self.grid_zone[g.id], str(g.props.get(
            "name", "")))] == 1 and g.props.get("name") else g.id for g in grids}
        self.chains = {c.id: str(c.props.get("name", c.id)) for c in store.scan("Chain")}
        segs = list(store.scan("Segment"))
        seg_chain = store.edges("Segment", [s.id for s in segs], "SEGMENT_OF") if segs else {}
        parents = store.edges("Segment", [s.id for s in segs], "SUBSEGMENT_OF") if segs else {}
        direct = {s.id: (seg_chain[s.id][0].node.id if seg_chain.get(s.id) else None) for s in segs}
        up = {s.id: (parents[s.id][0].node.id if parents.get(s.id) else None) for s in segs}

        def chain_of(sid: str | None, depth: int = 0) -> str | None:
            if sid is None or depth > 10:
                return None
            return direct.get(sid) or chain_of(up.get(sid), depth + 1)

        self.segment_chain = {s.id: chain_of(s.id) for s in segs}

    def zone_name(self, zone_id: str | None) -> str:
        z = self.zones.get(zone_id or "")
        return str(z.props.get("name", z.id)) if z else ""


def _first(edges: dict[str, list[Any]], id_: str) -> Node | None:
    es = edges.get(id_) or []
    return es[0].node if es else None


def _label(schema: Schema, enum: str | None, value: Any) -> Any:
    return schema.enums[enum].get(str(value), value) if enum and value is not None else value


def _as_date(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def export_registers(store: Store, out: Path | IO[bytes], *, who: Principal = SYSTEM, what: Sequence[str] = tuple(EXPORTS),
                     zone_id: str | None = None, today: date | None = None,
                     now: datetime | None = None) -> RegisterExport:
    """Write the lists named in ``what`` (keys of :data:`EXPORTS`) of one zone (or all) into the workbook ``out``
    (a path, or a binary stream such as an HTTP response's buffer)."""
    from openpyxl import Workbook

    require(who, "read")
    for w in what:
        if w not in EXPORTS:
            raise InvalidRequest(f"--what has value '{w}'. It must be one of {', '.join(EXPORTS)}.")
    if not what:
        raise InvalidRequest(f"Name at least one list to export: {', '.join(EXPORTS)}.")
    if zone_id is not None and not store.get("Zone", [zone_id]):
        raise NotFound(f"No zone has the id '{zone_id}'.", candidates=[z.id for z in store.find("Zone", limit=10)])
    stamp = now or audit.now_cst()
    day = today or stamp.date()
    schema = load_schema()
    names = _Names(store)
    d = HeaderDictionary.shipped()
    result = RegisterExport(out if isinstance(out, Path) else None, zone_id, stamp.isoformat(timespec="minutes"))
    wb = Workbook(write_only=True)
    scope = names.zone_name(zone_id) if zone_id else "全部开发区"
    if who.grids is not None:
        scope += f"（{who.name} 的网格）"
    builders = {"enterprises": _enterprises, "needs": _needs, "projects": _projects, "overdue": _overdue,
                "coverage": _coverage}
    for w in what:
        headers, rows, formats = builders[w](store, who, names, schema, d, zone_id, day)
        result.sheets[EXPORTS[w]] = _sheet(wb, EXPORTS[w], f"{EXPORTS[w]} · {scope} · 导出时间 "
                                           f"{stamp.strftime('%Y-%m-%d %H:%M')}（北京时间）", headers, rows, formats)
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return result


def _sheet(wb: Any, name: str, title: str, headers: list[str], rows: list[list[Any]],
           formats: dict[int, str]) -> int:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.filters import AutoFilter

    ws = wb.create_sheet(name)
    widths = [max(8, min(50, 2 * len(h) + 2)) for h in headers]
    for row in rows[:200]:
        for i, v in enumerate(row):
            if v is not None:
                widths[i] = max(widths[i], min(50, len(str(v)) * 2 + 2))
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A3"
    last = get_column_letter(max(1, len(headers)))
    ws.auto_filter = AutoFilter(ref=f"A2:{last}{len(rows) + 2}")
    title_cell = WriteOnlyCell(ws, title)
    title_cell.font = Font(bold=True, size=13)
    ws.append([title_cell])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    head = []
    for h in headers:
        c = WriteOnlyCell(ws, h)
        c.font, c.fill = bold, fill
        head.append(c)
    ws.append(head)
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            if isinstance(v, str):
                v = ILLEGAL_CHARACTERS_RE.sub("", v)
            c = WriteOnlyCell(ws, v)
            if isinstance(v, str) and v.startswith("="):  # data, never a formula
                c.data_type = "s"
            if i in formats and v is not None:
                c.number_format = formats[i]
            cells.append(c)
        ws.append(cells)
    return len(rows)


def _in_zone(edges: dict[str, list[Any]], id_: str, zone_id: str | None) -> bool:
    return zone_id is None or any(e.node.id == zone_id for e in edges.get(id_, []))


def _visible(who: Principal, grid_edges: dict[str, list[Any]], firm: str | None) -> bool:
    return who.grids is None or (firm is not None and any(e.node.id in who.grids for e in grid_edges.get(firm, [])))


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return value


def _enterprises(store: Store, who: Principal, names: _Names, schema: Schema, d: HeaderDictionary,
                 zone_id: str | None, day: date) -> tuple[list[str], list[list[Any]], dict[int, str]]:
    fields = register_fields("enterprises", schema, export=True)
    lab = schema.labels["Enterprise"]
    rows: list[list[Any]] = []
    for batch in _batches(store.scan("Enterprise")):
        ids = [n.id for n in batch]
        zones = store.edges("Enterprise", ids, "IN_ZONE")
        grids = store.edges("Enterprise", ids, "IN_GRID")
        links = {r: store.edges("Enterprise", ids, r) for r in ("PRODUCES", "IN_INDUSTRY", "IN_SEGMENT")}
        for n in batch:
            if not _in_zone(zones, n.id, zone_id) or not _visible(who, grids, n.id):
                continue
            zone = _first(zones, n.id)
            grid = _first(grids, n.id)
            segs = sorted(e.node.id for e in links["IN_SEGMENT"].get(n.id, []))
            chains = [c for c in dict.fromkeys(names.chains.get(names.segment_chain.get(s) or "", "") for s in segs)
                      if c]
            values: dict[str, Any] = {
                "zone_id": names.zone_name(zone.id) if zone else None,
                "grid_id": names.grids.get(grid.id, grid.id) if grid else None,
                "products": sorted(e.node.id for e in links["PRODUCES"].get(n.id, [])) or None,
                "industry_codes": sorted(e.node.id for e in links["IN_INDUSTRY"].get(n.id, [])) or None,
                "segment_ids": segs or None,
                "chain": chains or None,
            }
            row = []
            for f in fields:
                prop = lab.properties.get(f)
                v = values.get(f) if prop is None else _label(schema, prop.enum, n.props.get(f))
                row.append(_cell(v))
            rows.append(row)
    formats = {i: "0.##" for i, f in enumerate(fields) if f == "output_value"}
    return [d.header("enterprises", f) for f in fields], rows, formats


def _poster_firms(store: Store, ids: list[str]) -> dict[str, Node | None]:
    posters = store.edges("Need", ids, "POSTED", "in")
    return {i: _first(posters, i) for i in ids}


def _needs(store: Store, who: Principal, names: _Names, schema: Schema, d: HeaderDictionary,
           zone_id: str | None, day: date) -> tuple[list[str], list[list[Any]], dict[int, str]]:
    fields = ["id", "title", "kind", "enterprise_id", "product", "description", "status", "posted_on", "due_on",
              "overdue", "zone_id"]
    lab = schema.labels["Need"]
    rows: list[list[Any]] = []
    for batch in _batches(store.scan("Need")):
        ids = [n.id for n in batch]
        zones = store.edges("Need", ids, "IN_ZONE")
        firms = _poster_firms(store, ids)
        firm_ids = [f.id for f in firms.values() if f]
        grids = store.edges("Enterprise", firm_ids, "IN_GRID") if who.grids is not None and firm_ids else {}
        for n in batch:
            firm = firms[n.id]
            if not _in_zone(zones, n.id, zone_id) or not _visible(who, grids, firm.id if firm else None):
                continue
            late = n.props.get("status") == "open" and is_overdue(n.props.get("due_on"), day)
            row: list[Any] = []
            for f in fields:
                if f == "enterprise_id":
                    row.append(str(firm.props.get("name", firm.id)) if firm else None)
                elif f == "overdue":
                    row.append("是" if late else "否")
                elif f == "zone_id":
                    z = _first(zones, n.id)
                    row.append(names.zone_name(z.id) if z else None)
                else:
                    prop = lab.properties[f]
                    row.append(_as_date(_cell(_label(schema, prop.enum, n.props.get(f)))))
            rows.append(row)
    headers = [d.header("needs", f) if f != "overdue" else "是否逾期" for f in fields]
    return headers, rows, {7: "yyyy-mm-dd", 8: "yyyy-mm-dd"}


def _project_rows(store: Store, who: Principal, names: _Names, schema: Schema, zone_id: str | None,
                  day: date) -> Iterator[tuple[Node, list[tuple[Node, str]], Node | None, bool, str]]:
    for batch in _batches(store.scan("Project")):
        ids = [n.id for n in batch]
        zones = store.edges("Project", ids, "IN_ZONE")
        parties = store.edges("Project", ids, "PARTY_TO", "in")
        owners = store.edges("Project", ids, "CLAIMED_BY")
        firm_ids = [e.node.id for es in parties.values() for e in es]
        grids = store.edges("Enterprise", firm_ids, "IN_GRID") if who.grids is not None and firm_ids else {}
        for n in batch:
            firms = [(e.node, str(e.rel.props.get("role", "partner"))) for e in parties.get(n.id, [])]
            if not _in_zone(zones, n.id, zone_id):
                continue
            if who.grids is not None and not any(_visible(who, grids, f.id) for f, _ in firms):
                continue
            late = n.props.get("status") not in _TERMINAL and is_overdue(n.props.get("due_on"), day)
            z = _first(zones, n.id)
            yield n, firms, _first(owners, n.id), late, names.zone_name(z.id) if z else ""


def _projects(store: Store, who: Principal, names: _Names, schema: Schema, d: HeaderDictionary,
              zone_id: str | None, day: date) -> tuple[list[str], list[list[Any]], dict[int, str]]:
    headers = ["编号", "项目名称", "状态", "参与企业", "认领人", "对接活动", "来源", "创建日期", "期限", "是否逾期",
               "进展步数", "所属开发区"]
    origins = {"recommendation": "系统推荐", "need": "需求对接", "manual": "人工登记"}
    roles = schema.enums["party_role"]
    rows = []
    for n, firms, owner, late, zone in _project_rows(store, who, names, schema, zone_id, day):
        rows.append([
            n.id, n.props.get("title"), _label(schema, "project_status", n.props.get("status")),
            "；".join(f"{f.props.get('name', f.id)}（{roles.get(r, r)}）" for f, r in firms) or None,
            str(owner.props.get("name", owner.id)) if owner else None, n.props.get("event"),
            origins.get(str(n.props.get("origin")), n.props.get("origin")), _as_date(n.props.get("created_on")),
            _as_date(n.props.get("due_on")), "是" if late else "否", n.props.get("steps"), zone or None,
        ])
    return headers, rows, {7: "yyyy-mm-dd", 8: "yyyy-mm-dd"}


def _overdue(store: Store, who: Principal, names: _Names, schema: Schema, d: HeaderDictionary,
             zone_id: str | None, day: date) -> tuple[list[str], list[list[Any]], dict[int, str]]:
    headers = ["类型", "编号", "名称", "企业", "状态", "期限", "逾期天数", "所属开发区"]
    rows: list[list[Any]] = []
    _, needs, _ = _needs(store, who, names, schema, d, zone_id, day)
    for r in needs:
        if r[9] == "是":
            due = r[8]
            rows.append(["需求", r[0], r[1], r[3], r[6], due, (day - due).days if isinstance(due, date) else None,
                         r[10]])
    for n, firms, _, late, zone in _project_rows(store, who, names, schema, zone_id, day):
        if late:
            due = _as_date(n.props.get("due_on"))
            rows.append(["撮合项目", n.id, n.props.get("title"),
                         "；".join(str(f.props.get("name", f.id)) for f, _ in firms) or None,
                         _label(schema, "project_status", n.props.get("status")), due,
                         (day - due).days if isinstance(due, date) else None, zone or None])
    rows.sort(key=lambda r: -(r[6] or 0))
    return headers, rows, {5: "yyyy-mm-dd"}


def _coverage(store: Store, who: Principal, names: _Names, schema: Schema, d: HeaderDictionary,
              zone_id: str | None, day: date) -> tuple[list[str], list[list[Any]], dict[int, str]]:
    from chainmatch.coverage import zone_coverage

    headers = ["开发区", "网格数", "党组织覆盖网格", "党组织覆盖率", "有网格长的网格", "网格长覆盖率",
               "待对接需求", "逾期需求", "未覆盖党组织的网格（前50个）", "无网格长的网格（前50个）"]
    rows = []
    for zid in [zone_id] if zone_id else sorted(names.zones):
        c = zone_coverage(store, who, zid, today=day)
        rows.append([c.zone_name, c.grids, c.with_party_organization, c.coverage_rate, c.with_chief, c.chief_rate,
                     c.open_needs, c.overdue_needs, "；".join(g.name for g in c.grids_without_party_organization) or None,
                     "；".join(g.name for g in c.grids_without_chief) or None])
    return headers, rows, {3: "0.0%", 5: "0.0%"}


ASSESSMENT_HEADERS = ["编号", "名称", "受理诉求", "已办结", "按期办结", "按期办结率", "未办结", "逾期未办结", "应反馈",
                      "已反馈", "反馈率", "满意", "不满意", "满意率", "提级诉求", "提级次数", "平均办结天数"]
"""Columns of the assessment sheets (考核), one per field of ``chainmatch.workflows.assessment.Figures``."""


def export_assessment(assessment: Assessment, out: Path | IO[bytes], *, scope: str,
                      now: datetime | None = None) -> RegisterExport:
    """Write an assessment (:func:`chainmatch.workflows.assessment.assess`) as a workbook: 考核汇总, 部门考核, 网格考核 and
    网格长考核, one row per unit, rates as percentages."""
    from openpyxl import Workbook

    stamp = now or audit.now_cst()
    result = RegisterExport(out if isinstance(out, Path) else None, assessment.zone_id,
                            stamp.isoformat(timespec="minutes"))
    wb = Workbook(write_only=True)
    formats = {5: "0.0%", 10: "0.0%", 13: "0.0%", 16: "0.0"}
    for name, rows in (("考核汇总", [assessment.total]), ("部门考核", assessment.departments),
                       ("网格考核", assessment.grids), ("网格长考核", assessment.chiefs)):
        cells = [[f.id, f.name, f.received, f.closed, f.on_time, f.on_time_rate, f.open, f.overdue, f.feedback_owed,
                  f.feedback_given, f.feedback_rate, f.satisfied, f.unsatisfied, f.satisfaction_rate, f.escalated,
                  f.escalations, f.avg_days_to_close] for f in rows]
        title = (f"{name} · {scope} · 上报日期 {assessment.start} 至 {assessment.end} · 导出时间 "
                 f"{stamp.strftime('%Y-%m-%d %H:%M')}（北京时间）")
        result.sheets[name] = _sheet(wb, name, title, ASSESSMENT_HEADERS, cells, formats)
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return result
