"""The import report: what a register holds and every problem in it, said before anything is written.

Each problem names its sheet, row, the column's own header, the value, what was expected and how to fix
it; errors stop the import, warnings (a likely duplicate, a firm placed in no chain segment) are said and
do not. :func:`format_report` renders it as Chinese text, :func:`write_report_xlsx` as the register with the
problem cells marked; the dataclasses serialise to JSON as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chainmatch.registers.sheets import Sheet

__all__ = ["ColumnMap", "Duplicate", "ImportReport", "RegisterProblem", "SheetReport", "format_report",
           "write_report_xlsx"]


@dataclass(frozen=True)
class RegisterProblem:
    """One problem of a register, located by sheet, row (as Excel numbers them) and the column's header."""

    sheet: str
    row: int
    header: str
    value: str
    expected: str
    fix: str
    severity: str = "error"
    """``error`` stops the import; ``warning`` is said and does not."""

    def __str__(self) -> str:
        where = f"工作表「{self.sheet}」" + (f"第{self.row}行" if self.row else "")
        if self.header:
            where += f"「{self.header}」列"
        value = f"值「{self.value}」" if self.value else "值为空"
        return f"{where}: {value}，应为{self.expected}。{self.fix}"


@dataclass(frozen=True)
class Duplicate:
    """Rows (or a row and a record already in the store) that are, or may be, the same record."""

    by: str
    """``uscc`` (the same 统一社会信用代码: an error), ``name`` (the same normalised name: a likely duplicate)."""
    value: str
    where: list[str]
    note: str


@dataclass(frozen=True)
class ColumnMap:
    header: str
    field: str
    """The data-folder column the header stands for; ``-`` ignored; empty when unknown."""
    source: str


@dataclass
class SheetReport:
    name: str
    header_row: int | None
    rows: int = 0
    columns: list[ColumnMap] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Rows read past, each with its reason (标题行, 空行, 合计行, 表尾)."""


@dataclass
class ImportReport:
    file: str
    kind: str
    label: str
    encoding: str | None = None
    zone: str | None = None
    kind_guessed: bool = False
    sheets: list[SheetReport] = field(default_factory=list)
    problems: list[RegisterProblem] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    records: int = 0
    new: int = 0
    updated: int = 0
    matched_by_name: int = 0
    nodes: int = 0
    rels: int = 0
    classified: int = 0
    dry_run: bool = False
    written: bool = False
    seconds: float = 0.0

    @property
    def errors(self) -> list[RegisterProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[RegisterProblem]:
        return [p for p in self.problems if p.severity != "error"]


_KIND_ZH = {"enterprises": "企业", "needs": "需求", "resources": "资源", "grids": "网格", "people": "人员",
            "party_organizations": "党组织", "projects": "撮合项目", "chains": "产业链", "segments": "产业链环节",
            "departments": "职能部门", "zones": "开发区"}


def kind_title(kind: str) -> str:
    return _KIND_ZH.get(kind, kind)


def format_report(report: ImportReport, *, limit: int = 200) -> str:
    """The report as Chinese text, problems first by sheet and row."""
    out = [f"导入报告: {report.file}（{kind_title(report.kind)}台账"
           + ("，按表头判断" if report.kind_guessed else "") + "）"]
    if report.encoding:
        out.append(f"  编码: {report.encoding}")
    if report.zone:
        out.append(f"  开发区: {report.zone}")
    for s in report.sheets:
        if s.header_row is None:
            out.append(f"  工作表「{s.name}」: 未导入（{'；'.join(s.skipped) or '没有可识别的表头'}）")
            continue
        out.append(f"  工作表「{s.name}」: 表头在第{s.header_row}行，{s.rows} 行数据"
                   + (f"；略过 {len(s.skipped)} 行（{'；'.join(s.skipped[:8])}"
                      + ("…" if len(s.skipped) > 8 else "") + "）" if s.skipped else ""))
        mapped = [f"{c.header}→{c.field if c.field != '-' else '(忽略)'}" for c in s.columns if c.field]
        out.append(f"    列: {'，'.join(mapped)}")
    errors, warnings = report.errors, report.warnings
    if errors:
        out.append(f"错误 {len(errors)} 个（须改正后再导入）:")
        out.extend(f"  - {p}" for p in errors[:limit])
        if len(errors) > limit:
            out.append(f"  … 另有 {len(errors) - limit} 个（--json 列出全部）")
    if report.duplicates:
        out.append(f"重复与疑似重复 {len(report.duplicates)} 组:")
        for d in report.duplicates[:limit]:
            what = "统一社会信用代码相同" if d.by == "uscc" else "名称归一化后相同（疑似重复）"
            out.append(f"  - {what}「{d.value}」: {'；'.join(d.where)}。{d.note}")
    if warnings:
        out.append(f"提示 {len(warnings)} 个（不影响导入）:")
        out.extend(f"  - {p}" for p in warnings[:limit])
        if len(warnings) > limit:
            out.append(f"  … 另有 {len(warnings) - limit} 个")
    if errors:
        out.append("未写入任何数据。改正以上错误后重新导入（可先加 --dry-run 检查）。")
    else:
        counts = (f"{report.records} 条记录: 新增 {report.new}，更新 {report.updated}"
                  + (f"（其中按名称匹配到已有记录 {report.matched_by_name}）" if report.matched_by_name else "")
                  + f"；{report.nodes} 个节点、{report.rels} 条关系"
                  + (f"；{report.classified} 家企业按产品自动判定行业" if report.classified else ""))
        if report.written:
            out.append(f"已导入 {counts}，用时 {report.seconds:.1f}s。")
        else:
            out.append(f"检查通过（试运行，未写入）: 将导入 {counts}。去掉 --dry-run 即写入。")
    return "\n".join(out) + "\n"


def write_report_xlsx(report: ImportReport, sheets: Sequence[Sheet], out: Path) -> Path:
    """The register again with each problem's cell marked (errors red, warnings yellow, the fix as a comment),
    after a first sheet 问题清单 listing every problem."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    fills = {"error": PatternFill("solid", fgColor="FFC7CE"), "warning": PatternFill("solid", fgColor="FFEB9C")}
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "问题清单"
    title = (f"导入报告: {report.file}（{kind_title(report.kind)}台账）: 错误 {len(report.errors)} 个，"
             f"提示 {len(report.warnings)} 个")
    summary.append([title])
    summary.append(["工作表", "行", "列", "值", "应为", "改法", "级别"])
    for cell in summary[2]:
        cell.font = Font(bold=True)
    for p in report.problems:
        summary.append([p.sheet, p.row or None, p.header, p.value, p.expected, p.fix,
                        "错误" if p.severity == "error" else "提示"])
    for letter, width in zip("ABCDEFG", (14, 6, 18, 24, 40, 70, 6)):
        summary.column_dimensions[letter].width = width
    summary.freeze_panes = "A3"
    header_rows = {s.name: s.header_row for s in report.sheets}
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name[:31])
        for _, cells in sheet.rows:
            ws.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in cells])
        at = header_rows.get(sheet.name)
        header = next((cells for line, cells in sheet.rows if line == at), [])
        for p in report.problems:
            if p.sheet != sheet.name or not p.row:
                continue
            col = header.index(p.header) + 1 if p.header in header else 1
            cell = ws.cell(p.row, col)
            cell.fill = fills.get(p.severity, fills["error"])
            note = f"应为{p.expected}。{p.fix}"
            cell.comment = Comment(note if cell.comment is None else f"{cell.comment.text}\n{note}", "chainmatch")
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
