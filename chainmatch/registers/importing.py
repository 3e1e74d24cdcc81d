"""Importing a register (台账): find its header, map its Chinese headers, turn its rows into data-folder rows,
check them with the loader and write them in one transaction.

The rows go through :func:`chainmatch.loader.read_rows`, the same checks as ``chainmatch load``; what this
module adds is what a register needs first: the header row under a title, blank, totals (合计/总计) and
footer rows read past, names where the data folder wants ids (a grid, a chain, a zone, a firm), ids made
for records that have none, and duplicates found by 统一社会信用代码 and by normalised name.

Records are matched to the store on 统一社会信用代码, else on the exact normalised name (in the same
zone), so importing the same register twice changes nothing and never makes a second copy of a firm.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import time
import unicodedata
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainmatch.access import audit
from chainmatch.access.auth import Principal
from chainmatch.errors import LoadError, PermissionDenied, Problem, RegisterError
from chainmatch.loader import Classify, check_uscc, normalize_name, read_rows, uscc_check_digit, write_batch
from chainmatch.registers.headers import IGNORE, KINDS, HeaderDictionary, kind_label, read_mapping
from chainmatch.registers.report import (
    ColumnMap,
    Duplicate,
    ImportReport,
    RegisterProblem,
    SheetReport,
    kind_title,
)
from chainmatch.registers.sheets import Sheet, cell_text, read_sheets
from chainmatch.stores.base import GraphBatch, Node, Store, journal_position
from graph_schema import Label, Schema, load_schema

__all__ = [
    "IMPORT_ROLES",
    "MAX_UPLOAD_BYTES",
    "import_records",
    "import_register",
    "import_upload",
    "normalize_name",
    "plan_import",
]

_TOTALS = ("合计", "总计", "小计", "总合计")
_FOOTERS = ("填表人", "制表人", "填报人", "审核人", "制表单位", "填报单位", "负责人签字", "注:", "注：", "说明:", "说明：")
_LIST_SEPARATORS = re.compile(r"[、，,；]")
_UNITS = re.compile(r"(万元|元|人|家|个)$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SCALE = {"是": "above", "否": "below", "规模以上": "above", "规模以下": "below", "规上企业": "above",
          "规下企业": "below", "规上": "above", "规下": "below"}
_PREFIX = {"Enterprise": "E", "Need": "N", "Resource": "R", "Grid": "G", "Person": "P", "PartyOrganization": "PO",
           "Project": "PJ", "Chain": "C", "Segment": "S", "Department": "D", "Zone": "Z"}
_NAME_PROPS = ("name", "title")
IMPORT_ROLES = ("admin", "staff")
"""Who may import a register through the API (the command line acts for the zone itself)."""
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
"""The largest register an upload may be: 20 MB holds about 100,000 firms as .xlsx."""

_NOTE_SHEETS = {"说明", "填写说明", "填表说明", "选项", "字典", "代码表"}


@dataclass
class _Record:
    sheet: str
    row: int
    values: dict[str, str]
    headers: dict[str, str]
    id: str = ""
    matched: str = ""
    """How the record was matched to one in the store: 统一社会信用代码, 名称 or empty (new or by id)."""


@dataclass
class _Names:
    """Ids by name for one label, from the store and from the rows being imported."""

    by_id: dict[str, str] = field(default_factory=dict)
    """id → display name"""
    by_name: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    zone_of: dict[str, str] = field(default_factory=dict)
    city: str = ""
    uscc: dict[str, str] = field(default_factory=dict)
    """统一社会信用代码 → id"""
    by_norm: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """normalised firm name (:func:`normalize_name`) → ids: 测试食品有限公司 finds 漯河市测试食品有限责任公司"""

    def add(self, id_: str, names: Iterable[str], zone: str | None) -> None:
        names = [n for n in names if n]
        self.by_id.setdefault(id_, names[0] if names else id_)
        for n in names:
            self.by_name[_key(n)].add(id_)
        if names:
            self.by_norm[normalize_name(names[0], self.city)].add(id_)
        if zone:
            self.zone_of[id_] = zone


def _key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).lower()


@dataclass
class _Context:
    store: Store
    schema: Schema
    zone: str | None
    city: str
    names: dict[str, _Names] = field(default_factory=dict)
    firms: _Names | None = None
    """The stored firms looked up for the records being imported (:meth:`firms_for`)."""

    def lookup(self, label: str) -> _Names:
        if label not in self.names:
            table = _Names(city=self.city)
            nodes = list(self.store.scan(label))
            zones = self.store.edges(label, [n.id for n in nodes], "IN_ZONE") if nodes and label != "Zone" else {}
            _fill(table, nodes, zones)
            self.names[label] = table
        return self.names[label]

    def firms_for(self, records: Sequence[_Record]) -> _Names:
        """The stored firms the records may match or duplicate: all of them (one pass) for a large register; for
        a few records only those with one of their 统一社会信用代码 or normalised names (index lookups)."""
        if "Enterprise" in self.names or len(records) > TARGETED_MAX:
            return self.lookup("Enterprise")
        if self.firms is not None:
            return self.firms  # asked again for the same records (less the duplicates dropped meanwhile)
        ensure_name_keys(self.store)
        found: dict[str, Node] = {}
        for rec in records:
            for prop, value in (("uscc", rec.values.get("uscc", "")),
                                ("name_key", normalize_name(rec.values.get("name", ""), self.city))):
                if value:
                    found.update((n.id, n) for n in self.store.find("Enterprise", where={prop: value}, limit=1000))
        nodes = [found[i] for i in sorted(found)]
        table = _Names(city=self.city)
        _fill(table, nodes, self.store.edges("Enterprise", [n.id for n in nodes], "IN_ZONE") if nodes else {})
        self.firms = table
        return table


TARGETED_MAX = 200
"""Up to this many firm records are matched to the store by index lookups (统一社会信用代码 and the indexed
``name_key``); a larger register is matched against one pass over every stored firm."""
_KEYED: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
"""Per store: the journal position up to which every firm is known to have its name_key."""


def ensure_name_keys(store: Store) -> int:
    """Give every stored firm without one its ``name_key`` (firms written before the property existed); returns
    how many were written. The first call of a process on a store reads every firm; later calls read only the
    firms that the writes journaled since then touched (every write through the loader sets the key, so they are
    normally none)."""
    since = _KEYED.get(store)
    changes = store.changes(since) if since is not None else None
    if changes is not None and changes.touched is not None:
        seq = changes.seq
        touched = sorted({t.id for t in changes.touched if t.label == "Enterprise"})
        candidates: Iterable[Node] = store.get("Enterprise", touched).values() if touched else ()
    else:
        seq = journal_position(store)  # before the read: what is written after it is checked next time
        candidates = store.scan("Enterprise")
    missing = [n for n in candidates if "name_key" not in n.props]
    if missing:
        zones = store.edges("Enterprise", [n.id for n in missing], "IN_ZONE")
        cities = {z.id: str(z.props.get("city") or "") for z in store.scan("Zone")}
        store.write(GraphBatch(nodes=[Node("Enterprise", n.id, {**n.props, "name_key": normalize_name(
            str(n.props.get("name", "")), cities.get(zones[n.id][0].node.id, "") if zones.get(n.id) else "")})
            for n in missing]))
    _KEYED[store] = seq
    return len(missing)


def _fill(table: _Names, nodes: Iterable[Node], zones: Mapping[str, Sequence[Any]]) -> None:
    for n in nodes:
        names = [str(n.props.get(p, "")) for p in ("name", "title", "short_name", "uscc")]
        names += [str(a) for a in n.props.get("aliases") or []]
        z = zones.get(n.id)
        table.add(n.id, names, z[0].node.id if z else None)
        if n.props.get("uscc"):
            table.uscc[str(n.props["uscc"])] = n.id


def plan_import(store: Store, path: Path, *, kind: str | None = None, sheet: str | None = None,
                mapping: Path | None = None, encoding: str | None = None, zone: str | None = None,
                classify: Classify | None = None, data: bytes | None = None,
                sheets: Sequence[Sheet] | None = None) -> tuple[ImportReport, GraphBatch | None]:
    """Read and check a register; returns its report and the batch to write (None when it has errors).

    ``store`` is only read. ``zone`` (an id or a name) is the zone of rows without a zone column; when the
    store holds one zone, it is that one. ``data`` gives the file's bytes (an upload) instead of reading ``path``;
    ``sheets`` gives rows already read (records sent as JSON).
    """
    schema = load_schema()
    sheets = list(sheets) if sheets is not None else read_sheets(path, data=data, encoding=encoding, sheet=sheet)
    dictionary = HeaderDictionary.shipped()
    if mapping is not None:
        dictionary = dictionary.with_mapping(read_mapping(mapping, kind), f"映射文件 {mapping.name}")
    guessed = kind is None
    if kind is None:
        kind = _guess_kind(sheets, dictionary)
    label = schema.labels[kind_label(kind, schema)]
    report = ImportReport(str(path.name), kind, label.name, encoding=sheets[0].encoding, kind_guessed=guessed)
    ctx = _Context(store, schema, None, "")
    zone_id = _default_zone(ctx, zone, report)
    ctx.zone = zone_id
    if zone_id:
        z = store.get("Zone", [zone_id]).get(zone_id)
        ctx.city = str(z.props.get("city", "")) if z else ""
        report.zone = f"{ctx.lookup('Zone').by_id.get(zone_id, zone_id)}（{zone_id}）"
    records: list[_Record] = []
    readable = [s for s in sheets if sheet is not None or not (s.hidden or s.name.strip() in _NOTE_SHEETS)]
    for s in sheets:
        if s in readable or not readable:
            records.extend(_read_sheet(s, kind, label, dictionary, report, only=len(sheets) == 1 or sheet is not None))
        else:
            report.sheets.append(SheetReport(s.name, None, skipped=["隐藏的工作表" if s.hidden else "说明页"]))
    if not any(s.header_row for s in report.sheets):
        known = "、".join(list(dictionary.preferred[kind].values())[:6])
        report.problems.append(RegisterProblem(
            sheets[0].name, 0, "", "", f"一个表头行（如 {known}）",
            f"在数据上方加一行表头；表头不是这些名称时，用 --mapping 给出映射文件；不是{kind_title(kind)}台账时用 --kind 指明类型。"))
    report.records = len(records)
    if not records and not report.errors:
        report.problems.append(RegisterProblem(sheets[0].name, 0, "", "", "至少一行数据",
                                               "表头下面没有数据行：填入数据后再导入。"))
    if report.errors:
        return report, None
    _convert(ctx, kind, label, records, report)
    _assign_ids(ctx, kind, label, records, report)
    _check_duplicates(ctx, kind, label, records, report)
    tables = _tables(ctx, kind, label, records, report, classify)
    try:
        # Run even when the register's own checks found errors, so that one report says every problem.
        batch, summary = read_rows(tables, store, classify=classify if not report.errors else None,
                                   source=report.file, schema=schema)
    except LoadError as e:
        report.problems.extend(_translate(p, records, label, schema) for p in e.problems)
        return report, None
    if report.errors:
        return report, None
    ids = [r.id for r in records]
    existing = store.get(label.name, ids)
    report.updated = len({i for i in ids if i in existing})
    report.new = len(set(ids)) - report.updated
    report.matched_by_name = sum(1 for r in records if r.matched == "名称")
    report.nodes, report.rels, report.classified = summary.nodes, summary.rels, summary.classified
    return report, batch


def import_register(store: Store, path: Path, *, dry_run: bool = False, who: Principal | None = None,
                    kind: str | None = None, sheet: str | None = None, mapping: Path | None = None,
                    encoding: str | None = None, zone: str | None = None, classify: Classify | None = None,
                    data: bytes | None = None) -> ImportReport:
    """Check a register and, unless ``dry_run``, write it in one transaction; raises RegisterError (holding the
    report) when it has errors, and then nothing is written. The options are those of :func:`plan_import`;
    ``who`` (an API caller) puts an audit entry in the same transaction."""
    start = time.perf_counter()
    report, batch = plan_import(store, path, kind=kind, sheet=sheet, mapping=mapping, encoding=encoding, zone=zone,
                                classify=classify, data=data)
    report.dry_run = dry_run
    if batch is None:
        raise RegisterError(_summary(report), report=report, details={"report": _as_dict(report)})
    if who is not None:
        batch.nodes.append(audit.entry(who.actor, "register.import", report.label, "",
                                       f"{report.file}: {report.new} new, {report.updated} updated"))
    if not dry_run:
        if who is not None:
            authorize_batch(store, who, batch)
        try:
            write_batch(store, batch, report.file)
        except LoadError as e:
            schema = load_schema()
            label = schema.labels[report.label]
            report.problems.extend(_translate(p, [], label, schema) for p in e.problems)
            raise RegisterError(_summary(report), report=report, details={"report": _as_dict(report)}) from e
        report.written = True
    report.seconds = round(time.perf_counter() - start, 3)
    return report


def authorize_batch(store: Store, who: Principal, batch: GraphBatch) -> None:
    """A register write by a zone-limited staff token stays within its zones: every node the batch zones must be
    placed in one of them (admins and global staff pass on their role; see :func:`chainmatch.access.auth.authorize`)."""
    if who.grids is None:
        return
    zones = {r.dst for r in batch.rels if r.type == "IN_ZONE"}
    placed = {(r.src_label, r.src) for r in batch.rels if r.type == "IN_ZONE"}
    outside = sorted(zones - set(who.zones or ()))
    unplaced = sorted(n.id for n in batch.nodes if n.label in ("Enterprise", "Need", "Resource", "Grid")
                      and (n.label, n.id) not in placed)
    if outside or unplaced:
        what = f"zone {outside[0]}" if outside else f"{unplaced[0]} (no zone given)"
        raise PermissionDenied(f"This token may write only in zones {', '.join(sorted(who.zones or ())) or '—'}; the "
                               f"register writes {what}. Give each row a zone of the token (所属开发区), or ask an "
                               "admin or a token of that zone.")


def import_upload(store: Store, who: Principal, filename: str, data: bytes, *, dry_run: bool = True,
                  max_bytes: int = MAX_UPLOAD_BYTES, kind: str | None = None, sheet: str | None = None,
                  zone: str | None = None, classify: Classify | None = None) -> ImportReport:
    """Import a register uploaded as ``data`` (its file name says .xlsx or .csv); admins and staff only."""
    if who.role not in IMPORT_ROLES:
        raise PermissionDenied(f"Role '{who.role}' may not import registers; ask an admin or staff (招商人员) token.")
    if len(data) > max_bytes:
        raise RegisterError(f"{filename} is {len(data) / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit "
                            "of an upload. Split the register into several files (by sheet or by grid), or import it with "
                            "the command line (chainmatch import), which has no limit.")
    name = Path(filename).name or "register.xlsx"
    return import_register(store, Path(name), dry_run=dry_run, who=None if dry_run else who, data=data, kind=kind,
                           sheet=sheet, zone=zone, classify=classify)


def import_records(store: Store, who: Principal, kind: str, records: Sequence[Mapping[str, object]], *,
                   dry_run: bool = False, zone: str | None = None, classify: Classify | None = None,
                   ) -> ImportReport:
    """Create or update records of ``kind`` given as {column: value} (the register's headers or the data folder's
    column names), through the same checks as a register; admins and staff only.

    A record that matches one in the store (by id, 统一社会信用代码 or normalised name) is updated: the columns it
    names replace the stored values, the others are kept (links included).
    """
    if who.role not in IMPORT_ROLES:
        raise PermissionDenied(f"Role '{who.role}' may not create or update records; ask an admin or staff "
                               "(招商人员) token.")
    if not records:
        raise RegisterError("No records were given: send at least one, e.g. {\"records\": [{\"企业名称\": \"…\"}]}.")
    records = _with_required(store, kind, records)
    headers = list(dict.fromkeys(str(k) for r in records for k in r))
    rows = [(1, headers)] + [(n, [cell_text(r.get(h)) for h in headers]) for n, r in enumerate(records, start=2)]
    start = time.perf_counter()
    report, batch = plan_import(store, Path("records"), kind=kind, zone=zone, classify=classify,
                                sheets=[Sheet("records", rows)])
    report.dry_run = dry_run
    if batch is None:
        raise RegisterError(_summary(report), report=report, details={"report": _as_dict(report)})
    batch = _keep_unnamed(store, batch, report.label, headers, kind)
    batch.nodes.append(audit.entry(who.actor, "records.import", report.label, "",
                                   f"{report.new} new, {report.updated} updated"))
    if not dry_run:
        authorize_batch(store, who, batch)
        write_batch(store, batch, "records")
        report.written = True
    report.seconds = round(time.perf_counter() - start, 3)
    return report


def _with_required(store: Store, kind: str, records: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """Records of stored nodes (named by id or 统一社会信用代码) completed with the required values they leave out,
    so that an update may name only what changes."""
    d = HeaderDictionary.shipped()
    label = load_schema().labels[kind_label(kind)]
    required = [p for p in label.properties.values() if p.required and p.name != label.key]
    out = []
    for record in records:
        fields = {d.field(kind, str(k)) or str(k): v for k, v in record.items()}
        node = None
        if fields.get("id"):
            node = store.get(label.name, [str(fields["id"])]).get(str(fields["id"]))
        elif fields.get("uscc") and "uscc" in label.properties:
            found = store.find(label.name, where={"uscc": str(fields["uscc"]).strip().upper()}, limit=1)
            node = found[0] if found else None
        full = dict(record)
        if node is not None:
            for prop in required:
                value = node.props.get(prop.name)
                if prop.name not in fields and value is not None:
                    full[prop.name] = ";".join(map(str, value)) if isinstance(value, list) else value
        out.append(full)
    return out


def _keep_unnamed(store: Store, batch: GraphBatch, label: str, headers: Sequence[str], kind: str) -> GraphBatch:
    """An update keeps what its record does not name: stored properties under the new ones, and the links of
    columns the records leave out (the loader would reset every inline link of a reloaded node)."""
    d = HeaderDictionary.shipped()
    named = {d.field(kind, h) or h for h in headers}
    if "chain" in named:
        named.add("segment_ids")
    existing = store.get(label, [n.id for n in batch.nodes if n.label == label])
    guessed = {"industry_confidence", "industry_basis"} if "industry_codes" not in named else set()
    nodes = [Node(n.label, n.id, {**existing[n.id].props, **{k: v for k, v in n.props.items() if k not in guessed}})
             if n.label == label and n.id in existing else n for n in batch.nodes]
    columns = {r.name: r.column for r in load_schema().inline(label)}
    resets = [r for r in batch.resets if r.label != label or columns.get(r.type) in named]
    # A stored firm keeps its industry when the update names none (instead of a second, classified one).
    rels = [r for r in batch.rels if not (guessed and r.type == "IN_INDUSTRY" and r.src in existing)]
    return GraphBatch(nodes=nodes, rels=rels, resets=resets, expects=batch.expects)


def _summary(report: ImportReport) -> str:
    first = "\n".join(f"  - {p}" for p in report.errors[:10])
    more = f"\n  … 另有 {len(report.errors) - 10} 个" if len(report.errors) > 10 else ""
    return (f"{report.file}: {len(report.errors)} 个错误，未写入任何数据。改正后重新导入:\n{first}{more}")


def _as_dict(report: ImportReport) -> dict[str, object]:
    import dataclasses

    return dataclasses.asdict(report)


# -- sheets and headers ---------------------------------------------------------------------------


def _score(cells: Sequence[str], kind: str, d: HeaderDictionary) -> int:
    fields = [d.field(kind, c) for c in cells if c]
    return sum(2 if f not in (None, IGNORE) else (1 if f == IGNORE else 0) for f in fields)


def _guess_kind(sheets: Sequence[Sheet], d: HeaderDictionary) -> str:
    best: dict[str, int] = {}
    for kind in KINDS:
        best[kind] = sum(max((_score(c, kind, d) for _, c in s.rows[:20]), default=0) for s in sheets)
    top = max(best.values())
    if top < 2:
        raise RegisterError(
            f"Cannot tell which register {sheets[0].name} is: no row looks like a header of a known kind. "
            f"Give --kind ({', '.join(KINDS)}), and --mapping for headers chainmatch does not know.")
    # A tie goes to the first kind in the schema's order (enterprises before needs).
    return next(k for k in KINDS if best[k] == top)


def _header_row(sheet: Sheet, kind: str, d: HeaderDictionary) -> int | None:
    """Index in ``sheet.rows`` of the row that names the most known columns (at least two)."""
    best, at = 0, None
    for i, (_, cells) in enumerate(sheet.rows[:20]):
        score = _score(cells, kind, d)
        if score > best:
            best, at = score, i
    return at if best >= 2 else None


def _is_total(cells: Sequence[str]) -> bool:
    first = next((c for c in cells if c), "")
    compact = "".join(first.split()).rstrip(":：")
    return compact in _TOTALS or (compact.startswith(_TOTALS) and len(compact) <= 6)


def _is_footer(cells: Sequence[str]) -> bool:
    first = "".join(next((c for c in cells if c), "").split())
    return first.startswith(_FOOTERS)


def _read_sheet(sheet: Sheet, kind: str, label: Label, d: HeaderDictionary, report: ImportReport,
                *, only: bool) -> list[_Record]:
    at = _header_row(sheet, kind, d)
    sr = SheetReport(sheet.name, None)
    report.sheets.append(sr)
    if at is None:
        sr.skipped.append("没有可识别的表头" if any(any(c) for _, c in sheet.rows) else "空工作表")
        if only and any(any(c) for _, c in sheet.rows):
            report.problems.append(RegisterProblem(
                sheet.name, 0, "", "", f"一个{kind_title(kind)}台账的表头行",
                "没有找到表头：检查表头名称（见 README「表头词典」），或用 --mapping 给出映射。"))
        elif only:
            report.problems.append(RegisterProblem(sheet.name, 0, "", "", "有数据的工作表",
                                                   "工作表是空的：填入表头和数据，或用 --sheet 选另一个工作表。"))
        return []
    header_line, header = sheet.rows[at]
    sr.header_row = header_line
    sr.skipped.extend(f"第{line}行: 标题" for line, cells in sheet.rows[:at] if any(cells))
    columns: dict[int, str] = {}
    seen: dict[str, str] = {}
    for col, text in enumerate(header):
        if not text:
            continue
        f = d.field(kind, text)
        source = d.sources.get((kind, _norm(text)), "")
        sr.columns.append(ColumnMap(text, f or "", source))
        if f is None:
            near = d.closest(kind, text)
            report.problems.append(RegisterProblem(
                sheet.name, header_line, text, text, "一个已知的表头" + (f"（最接近: {'、'.join(near)}）" if near else ""),
                ("改成已知表头，" if near else "")
                + f"或在映射文件中加一行「{text},字段名」（不需要这一列时写「{text},-」），再用 --mapping 导入。"))
            continue
        if f == IGNORE:
            continue
        if f in seen:
            report.problems.append(RegisterProblem(
                sheet.name, header_line, text, text, f"只出现一次的列（「{seen[f]}」也对应 {f}）",
                f"删掉其中一列，或在映射文件中写「{text},-」忽略它。"))
            continue
        seen[f] = text
        columns[col] = f
    for prop in label.properties.values():
        if prop.required and prop.name not in seen and prop.name not in _DEFAULTABLE:
            report.problems.append(RegisterProblem(
                sheet.name, header_line, d.header(kind, prop.name), "(缺少此列)",
                f"必填列「{d.header(kind, prop.name)}」（{prop.name}）",
                f"加上这一列并填写每一行；表头名称不同时用 --mapping 映射到 {prop.name}。"))
    header_keys = {_norm(h) for h in header if h}
    records: list[_Record] = []
    for line, cells in sheet.rows[at + 1:]:
        if not any(cells):
            sr.skipped.append(f"第{line}行: 空行")
            continue
        if _is_total(cells):
            sr.skipped.append(f"第{line}行: 合计行")
            continue
        if _is_footer(cells):
            sr.skipped.append(f"第{line}行: 表尾")
            continue
        if {_norm(c) for c in cells if c} <= header_keys:
            sr.skipped.append(f"第{line}行: 重复的表头")
            continue
        values = {f: cells[c] for c, f in columns.items() if c < len(cells) and cells[c]}
        records.append(_Record(sheet.name, line, values, {f: header[c] for c, f in columns.items()}))
        extra = [c for c in range(len(header), len(cells)) if cells[c]]
        extra += [c for c in range(len(header)) if not header[c] and c < len(cells) and cells[c]]
        for c in extra:
            report.problems.append(RegisterProblem(
                sheet.name, line, f"第{c + 1}列(无表头)", cells[c], "有表头的列中的值",
                "给这一列加上表头，或删掉这个值。", "warning"))
    sr.rows = len(records)
    return records


def _norm(text: str) -> str:
    from chainmatch.registers.headers import normalize_header

    return normalize_header(text)


_DEFAULTABLE = {"id", "status"}
"""Required columns a register may leave out: ids are made, a need's status is 待对接 (open)."""


# -- values, names and ids -----------------------------------------------------------------------------


def _default_zone(ctx: _Context, zone: str | None, report: ImportReport) -> str | None:
    zones = ctx.lookup("Zone")
    if zone:
        found = _resolve_name(zones, zone, None)
        if len(found) == 1:
            return found[0]
        near = _closest(zones, zone)
        raise RegisterError(f"--zone has value '{zone}', which names {'several zones' if found else 'no zone'} "
                            f"in the store{': ' + ', '.join(found) if found else ''}. Give a zone id or full name"
                            + (f" (closest: {', '.join(near)})" if near else "") + ".")
    if len(zones.by_id) == 1:
        return next(iter(zones.by_id))
    return None


def _resolve_name(table: _Names, value: str, zone: str | None) -> list[str]:
    if value in table.by_id:
        return [value]
    ids = sorted(table.by_name.get(_key(value), ()) or table.by_norm.get(normalize_name(value, table.city), ()))
    if len(ids) > 1 and zone:
        local = [i for i in ids if table.zone_of.get(i) == zone]
        ids = local or ids
    return ids


def _closest(table: _Names, value: str, n: int = 3) -> list[str]:
    names = {name: ids for name, ids in table.by_name.items()}
    near = difflib.get_close_matches(_key(value), list(names), n=n, cutoff=0.4)
    bare = _key(value).removesuffix("产业链").removesuffix("链")  # 食口产业链 is closest to the chain 食品
    if bare != _key(value):
        near += [k for k in difflib.get_close_matches(bare, list(names), n=n, cutoff=0.4) if k not in near]
    return [f"{table.by_id[min(names[k])]}（{min(names[k])}）" for k in near]


def _date(text: str) -> str:
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return text


def _enum_value(values: Mapping[str, str], raw: str) -> str:
    if raw in values:
        return raw
    key = _key(raw)
    for code, lab in values.items():
        if key in (_key(lab), code.lower()):
            return code
    starts = [code for code, lab in values.items() if _key(lab).startswith(key) or key.startswith(_key(lab))]
    return starts[0] if len(starts) == 1 else raw


def _convert(ctx: _Context, kind: str, label: Label, records: list[_Record], report: ImportReport) -> None:
    """Bring each cell to the form the loader reads: codes for labels, ISO dates, ';' lists, bare numbers."""
    schema = ctx.schema
    many = {r.column for r in schema.inline(label.name) if r.many and r.column}
    for rec in records:
        for f, raw in list(rec.values.items()):
            prop = label.properties.get(f)
            value = raw
            if prop is not None:
                if prop.enum is not None:
                    value = _SCALE.get(_key(raw), raw) if prop.enum == "scale" else raw
                    value = _enum_value(schema.enums[prop.enum], value)
                elif prop.type in ("date",):
                    value = _date(raw)
                elif prop.type in ("int", "float"):
                    value = _UNITS.sub("", raw.replace(" ", ""))
                elif prop.type == "list":
                    value = _LIST_SEPARATORS.sub(";", raw)
                elif prop.type == "uscc":
                    value = "".join(unicodedata.normalize("NFKC", raw).split()).upper()
            elif f in many or f == "chain":
                value = _LIST_SEPARATORS.sub(";", raw)
            rec.values[f] = value
        if kind == "needs" and "status" not in rec.values:
            rec.values["status"] = "open"
        if kind == "resources" and not rec.values.get("status"):
            rec.values.pop("status", None)
        if "zone_id" not in rec.values and ctx.zone and any(
                r.name == "IN_ZONE" for r in schema.inline(label.name)):
            rec.values["zone_id"] = ctx.zone


def _assign_ids(ctx: _Context, kind: str, label: Label, records: list[_Record], report: ImportReport) -> None:
    """Give every record its id: the id column, else the record in the store with its 统一社会信用代码 or its
    normalised name (in its zone), else the 统一社会信用代码, else an id made from the zone and the name."""
    if label.name != "Enterprise":
        table = ctx.lookup(label.name)
    else:
        table = ctx.firms_for(records) if any("id" not in r.values for r in records) else _Names()
    by_norm: dict[tuple[str, str], set[str]] = defaultdict(set)
    by_uscc = table.uscc
    for id_, name in table.by_id.items():
        by_norm[(table.zone_of.get(id_, ""), normalize_name(name, ctx.city))].add(id_)
    for rec in records:
        if rec.values.get("id"):
            rec.id = rec.values["id"]
            continue
        name = next((rec.values[p] for p in _NAME_PROPS if rec.values.get(p)), "")
        zone = rec.values.get("zone_id", "")
        zone_id = (_resolve_name(ctx.lookup("Zone"), zone, None) or [zone])[0] if zone else ""
        uscc = rec.values.get("uscc", "")
        if uscc and uscc in by_uscc:
            rec.id, rec.matched = by_uscc[uscc], "统一社会信用代码"
        elif uscc and check_uscc(uscc) and label.name == "Enterprise":
            rec.id = uscc
        elif name and len(by_norm.get((zone_id, normalize_name(name, ctx.city)), ())) == 1:
            rec.id, rec.matched = next(iter(by_norm[(zone_id, normalize_name(name, ctx.city))])), "名称"
        else:
            basis = "|".join([zone_id, normalize_name(name, ctx.city), *(
                rec.values.get(f, "") for f in ("enterprise_id", "provider_id", "posted_on", "created_on"))])
            digest = hashlib.sha1(basis.encode("utf-8")).hexdigest()[:10]
            rec.id = f"{zone_id + '-' if zone_id else ''}{_PREFIX.get(label.name, 'X')}-{digest}"
        rec.values["id"] = rec.id


def _where(rec: _Record) -> str:
    return f"「{rec.sheet}」第{rec.row}行"


def _check_duplicates(ctx: _Context, kind: str, label: Label, records: list[_Record], report: ImportReport) -> None:
    """The same 统一社会信用代码 or id twice is an error; the same normalised name with another code, in the file
    or in the store, is a likely duplicate (a warning)."""
    first_uscc: dict[str, _Record] = {}
    first_id: dict[str, _Record] = {}
    dropped: set[int] = set()
    for i, rec in enumerate(records):
        uscc = rec.values.get("uscc", "")
        if uscc and uscc in first_uscc:
            other = first_uscc[uscc]
            report.duplicates.append(Duplicate("uscc", uscc, [_where(other), _where(rec)],
                                               "同一企业只写一行：合并这两行，或改正其中一个统一社会信用代码。"))
            report.problems.append(RegisterProblem(
                rec.sheet, rec.row, rec.headers.get("uscc", "统一社会信用代码"), uscc,
                f"不重复的统一社会信用代码（{_where(other)}已有）", "合并这两行，或改正其中一个代码。"))
            dropped.add(i)
            continue
        if uscc:
            first_uscc[uscc] = rec
        if rec.id in first_id:
            other = first_id[rec.id]
            name_field = next((p for p in _NAME_PROPS if p in rec.values), "id")
            shown = rec.values.get(name_field, rec.id)
            report.problems.append(RegisterProblem(
                rec.sheet, rec.row, rec.headers.get(name_field, "编号"), shown,
                f"一条新记录（与{_where(other)}是同一条: 编号 {rec.id}）",
                "删掉重复的一行；确是两家不同企业时，填上各自的统一社会信用代码。"))
            dropped.add(i)
            continue
        first_id[rec.id] = rec
    records[:] = [r for i, r in enumerate(records) if i not in dropped]
    if label.name != "Enterprise":
        return
    by_norm: dict[str, list[_Record]] = defaultdict(list)
    for rec in records:
        by_norm[normalize_name(rec.values.get("name", ""), ctx.city)].append(rec)
    for norm, recs in by_norm.items():
        if len(recs) > 1 and norm:
            report.duplicates.append(Duplicate(
                "name", recs[0].values.get("name", ""), [f"{_where(r)}「{r.values.get('name', '')}」" for r in recs],
                "名称归一化（有限责任公司/有限公司、全角半角括号、城市名前缀）后相同但统一社会信用代码不同："
                "核对是否同一企业；是则合并，不是则不用处理。"))
    table = ctx.firms_for(records)
    if not table.by_id:
        return
    store_norm: dict[str, list[str]] = defaultdict(list)
    for id_, name in table.by_id.items():
        store_norm[normalize_name(name, ctx.city)].append(id_)
    for rec in records:
        others = [i for i in store_norm.get(normalize_name(rec.values.get("name", ""), ctx.city), []) if i != rec.id]
        if others and rec.matched != "名称":
            report.duplicates.append(Duplicate(
                "name", rec.values.get("name", ""),
                [_where(rec), *(f"库中 {table.by_id[o]}（{o}）" for o in others[:3])],
                "库中已有名称归一化后相同的企业，统一社会信用代码不同或缺失：核对是否同一企业；是则在这一行填上"
                "库中企业的编号（编号列），不是则不用处理。"))


# -- references and tables -----------------------------------------------------------------------------


def _tables(ctx: _Context, kind: str, label: Label, records: list[_Record], report: ImportReport,
            classify: Classify | None) -> dict[str, list[tuple[int, dict[str, str]]]]:
    """The loader's rows (line = position in ``records`` + 1) with names turned into ids."""
    schema = ctx.schema
    pending = _Names(city=ctx.city)
    for rec in records:
        pending.add(rec.id, [rec.values.get(p, "") for p in (*_NAME_PROPS, "short_name", "uscc")],
                    rec.values.get("zone_id"))
    inline = {r.column: r for r in schema.inline(label.name) if r.column}
    for rec in records:
        for col, rel in inline.items():
            zone = rec.values.get("zone_id")
            raw = rec.values.get(col)
            if not raw or rel.target_labels[0] in ("Product", "Industry"):
                continue
            targets = [t.strip() for t in raw.split(";") if t.strip()] if rel.many else [raw]
            ids = []
            for t in targets:
                found = _resolve_ref(ctx, rel.target_labels, t, zone if col != "zone_id" else None,
                                     pending if label.name in rel.target_labels else None)
                if isinstance(found, str):
                    ids.append(found)
                else:
                    report.problems.append(_ref_problem(ctx, rec, col, t, rel.target_labels, found))
            rec.values[col] = ";".join(ids)
    if kind == "enterprises" and any("chain" in r.values for r in records):
        _place_in_chains(ctx, records, report, classify)
    extra: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    if kind == "people":
        for n, rec in enumerate(records, start=1):
            grid = rec.values.pop("grid", "")
            for t in [g for g in grid.replace("；", ";").split(";") if g.strip()]:
                found = _resolve_ref(ctx, ("Grid",), t.strip(), rec.values.get("zone_id"), None)
                if not isinstance(found, str):
                    report.problems.append(_ref_problem(ctx, rec, "grid", t, ("Grid",), found))
                    continue
                file = {"grid_chief": "grid_staff.csv", "grid_member": "grid_members.csv"}.get(
                    rec.values.get("role", ""))
                if file is None:
                    report.problems.append(RegisterProblem(
                        rec.sheet, rec.row, rec.headers.get("grid", "网格"), t, "网格长或网格员的网格",
                        "只有角色为网格长、网格员的人员才写网格；其他人员留空此列。", "warning"))
                    continue
                extra[file].append((n, {"from_id": rec.id, "to_id": found}))
    rows = [(n, {k: v for k, v in rec.values.items() if k != "chain"}) for n, rec in enumerate(records, start=1)]
    return {label.file: rows, **extra}


def _resolve_ref(ctx: _Context, labels: Sequence[str], value: str, zone: str | None,
                 pending: _Names | None) -> str | list[str]:
    """The id ``value`` names among ``labels`` (an id, a name, a short name, a 统一社会信用代码); else the
    candidates (several: ambiguous, none: unknown)."""
    found: list[str] = []
    for lab in labels:
        tables = [ctx.lookup(lab)] + ([pending] if pending is not None else [])
        for table in tables:
            found += [i for i in _resolve_name(table, value, zone) if i not in found]
        if found:
            break
    if len(found) > 1 and zone:
        local = [i for i in found if any(t.zone_of.get(i) == zone for t in ctx.names.values())]
        found = local or found
    return found[0] if len(found) == 1 else found


def _ref_problem(ctx: _Context, rec: _Record, col: str, value: str, labels: Sequence[str],
                 found: list[str]) -> RegisterProblem:
    titles = "或".join(ctx.schema.labels[lab].title for lab in labels)
    header = rec.headers.get(col, col)
    if found:
        return RegisterProblem(rec.sheet, rec.row, header, value, f"唯一的{titles}名称",
                               f"有 {len(found)} 个{titles}叫这个名字（{', '.join(found[:5])}）：改写成其中一个的编号。")
    near = [n for lab in labels for n in _closest(ctx.lookup(lab), value)]
    return RegisterProblem(rec.sheet, rec.row, header, value, f"已有{titles}的名称或编号",
                           (f"最接近的: {'、'.join(near)}。" if near else f"库中没有这样的{titles}。")
                           + f"改正名称，或先导入这个{titles}（chainmatch import … --kind "
                           + f"{ctx.schema.labels[labels[0]].file.removesuffix('.csv')}）。")


def _place_in_chains(ctx: _Context, records: list[_Record], report: ImportReport,
                     classify: Classify | None) -> None:
    """A 所属产业链 column names chains; each firm goes to the chain's segments its products or industries fit."""
    chains = ctx.lookup("Chain")
    segments: dict[str, list[Node]] = defaultdict(list)
    if chains.by_id:
        seg_edges = ctx.store.edges("Chain", list(chains.by_id), "SEGMENT_OF", "in")
        for cid, es in seg_edges.items():
            segments[cid] = [e.node for e in es]
    todo = [r for r in records if r.values.get("chain") and not r.values.get("segment_ids")
            and not r.values.get("industry_codes")]
    texts = sorted({t for r in todo for t in _firm_texts(r)})
    guessed: dict[str, str] = {}
    if classify and texts:
        guessed = {t: hits[0][0] for t, hits in zip(texts, classify(texts)) if hits}
    for rec in records:
        raw = rec.values.get("chain", "")
        if not raw:
            continue
        chain_ids = []
        for t in [x.strip() for x in raw.split(";") if x.strip()]:
            found = _resolve_ref(ctx, ("Chain",), t, rec.values.get("zone_id"), None)
            if isinstance(found, str):
                chain_ids.append(found)
            elif not found:
                alt = _resolve_ref(ctx, ("Chain",), t.removesuffix("产业链").removesuffix("链"),
                                   rec.values.get("zone_id"), None)
                if isinstance(alt, str):
                    chain_ids.append(alt)
                else:
                    report.problems.append(_ref_problem(ctx, rec, "chain", t, ("Chain",), []))
            else:
                report.problems.append(_ref_problem(ctx, rec, "chain", t, ("Chain",), found))
        if rec.values.get("segment_ids") or not chain_ids:
            continue
        codes = [c for c in rec.values.get("industry_codes", "").split(";") if c]
        codes += [guessed[t] for t in _firm_texts(rec) if t in guessed][:1] if not codes else []
        products = set(rec.values.get("products", "").split(";")) - {""}
        placed = []
        for cid in chain_ids:
            fits = [s for s in segments.get(cid, []) if products & set(s.props.get("products") or [])
                    or any(c.startswith(str(sc)) or str(sc).startswith(c) for c in codes
                           for sc in s.props.get("industry_codes") or [])]
            placed += [s.id for s in fits]
            if not fits:
                names = "、".join(str(s.props.get("name", s.id)) for s in segments.get(cid, [])[:6])
                report.problems.append(RegisterProblem(
                    rec.sheet, rec.row, rec.headers.get("chain", "所属产业链"), raw,
                    "一个产品或行业能对上的产业链环节",
                    f"企业未放入产业链「{chains.by_id.get(cid, cid)}」的环节（产品和行业都对不上"
                    + (f"：{names}" if names else "，该链还没有环节") + "）；要放入时在「所在环节」列写环节编号。",
                    "warning"))
        if placed:
            rec.values["segment_ids"] = ";".join(dict.fromkeys(placed))


def _firm_texts(rec: _Record) -> list[str]:
    return [t for t in [*rec.values.get("products", "").split(";"), rec.values.get("scope", ""),
                        rec.values.get("name", "")] if t]


# -- the loader's problems in the register's terms -------------------------------------------------------------

_EXPECTED = [
    (re.compile(r"^an integer$"), "整数"),
    (re.compile(r"^a number$"), "数字"),
    (re.compile(r"^a date YYYY-MM-DD$"), "日期（如 2024-05-01 或 2024/5/1）"),
    (re.compile(r"^a date-time"), "日期时间（如 2024-05-01T09:30:00）"),
    (re.compile(r"^true or false$"), "是或否"),
    (re.compile(r"^a valid 统一社会信用代码"), "有效的统一社会信用代码（18位，校验位正确，GB 32100-2015）"),
    (re.compile(r"^empty: .*required$"), "必填的值（不能为空）"),
    (re.compile(r"^unique: "), "不重复的值"),
    (re.compile(r"^a new id"), "不重复的编号"),
    (re.compile(r"^text without control characters"), "不含控制字符的文本（删去从别的程序粘贴来的不可见字符，如 U+001B）"),
]


def _translate(p: Problem, records: Sequence[_Record], label: Label, schema: Schema) -> RegisterProblem:
    rec = records[p.line - 1] if 0 < p.line <= len(records) else None
    sheet, row = (rec.sheet, rec.row) if rec else (p.file, 0)
    header = rec.headers.get(p.field, p.field) if rec else p.field
    expected, fix = p.expected, "改正这个值后重新导入。"
    for pattern, zh in _EXPECTED:
        if pattern.search(p.expected):
            expected = zh
            break
    m = re.match(r"^one of (.*) \(or (.*)\)$", p.expected)
    if m:
        expected = f"以下之一: {m.group(2).replace(', ', '、')}"
        fix = "从下拉列表中选（chainmatch template 生成的模板有下拉列表），或写中文名称或代码。"
    if p.expected.startswith("a GB/T 4754-2017 code"):
        near = re.search(r"closest: (.*)\)", p.expected)
        expected = "GB/T 4754-2017 行业代码" + (f"（最接近: {near.group(1)}）" if near else "")
        fix = "改成四位小类代码（用 chainmatch classify 产品名 查询），或留空让系统按产品判定。"
    if "统一社会信用代码" in p.expected:
        code = "".join(unicodedata.normalize("NFKC", p.value).split()).upper()
        chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        if len(code) == 18 and all(c in chars for c in code[:17]):
            right = uscc_check_digit(code[:17])
            fix = f"按前17位，校验位应为「{right}」而不是「{code[17]}」：核对营业执照上的代码。"
        elif len(code) == 18:
            fix = "代码中有不允许的字符（不用 I、O、S、V、Z）：核对营业执照上的代码。"
        else:
            fix = f"代码应为18位（现为{len(code)}位）：核对营业执照上的代码。"
    if p.expected.startswith("the id of a"):
        expected, fix = "已有记录的编号或名称", "改正它，或先导入它指向的记录。"
    if p.expected.startswith("unique: "):
        fix = "库中已有另一条记录用着这个值：核对是否同一家企业；是则在编号列写库中记录的编号。"
    return RegisterProblem(sheet, row, header, p.value, expected, fix)
