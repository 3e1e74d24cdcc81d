"""Excel templates of registers: the Chinese headers the import reads, an instructions sheet (说明), and a
drop-down list (data validation) on every column whose values are an enumeration of ``graph_schema``.

>>> import tempfile, pathlib
>>> from openpyxl import load_workbook
>>> with tempfile.TemporaryDirectory() as d:
...     path = write_template("enterprises", pathlib.Path(d) / "企业.xlsx")
...     wb = load_workbook(path)
...     print(wb.sheetnames[:2], wb["企业"]["B1"].value, wb["企业"].data_validations.dataValidation[0].formula1)
['企业', '说明'] 企业名称* "规上,规下"
"""

from __future__ import annotations

from pathlib import Path

from chainmatch.registers.headers import VIRTUAL_FIELDS, HeaderDictionary, kind_label
from chainmatch.registers.report import kind_title
from graph_schema import Label, Property, Schema, load_schema

__all__ = ["TEMPLATE_ROWS", "register_fields", "write_template"]

TEMPLATE_ROWS = 2000
"""Rows of the data sheet that carry the drop-down lists."""

_EXPORT_ONLY = {"industry_confidence", "industry_basis", "steps"}
_DERIVED = {"name_key"}
"""Properties the loader derives (never a column of a register, a template or an export)."""
_TYPE_ZH = {"str": "文字", "text": "文字（可长）", "int": "整数", "float": "数字", "bool": "是/否",
            "date": "日期，如 2025-05-01", "datetime": "日期时间，如 2025-05-01 09:30", "list": "多个值用、或；分隔",
            "uscc": "18位统一社会信用代码（校验位须正确）"}
_REF_ZH = {"zone_id": "开发区的名称或编号", "grid_id": "网格的名称或编号", "parent_id": "上级的名称或编号",
           "enterprise_id": "企业的名称、简称或统一社会信用代码", "provider_id": "提供资源的企业或部门名称",
           "products": "产品名称，多个用、分隔", "industry_codes": "GB/T 4754-2017 四位小类代码，可不填（按产品自动判定）",
           "segment_ids": "产业链环节编号，多个用；分隔", "grid_ids": "网格的名称或编号，多个用；分隔",
           "chain_ids": "产业链的名称或编号", "leader_ids": "链主企业的名称或编号", "owner_id": "认领人编号",
           "need_id": "需求编号", "resource_id": "资源编号", "chain_id": "产业链的名称或编号"}


def register_fields(kind: str, schema: Schema | None = None, *, export: bool = False) -> list[str]:
    """The columns of a register of ``kind``, in order: its properties, then its links and extra columns.

    ``export`` adds the columns only an export writes back (the id, an automatic industry's basis).

    >>> register_fields("needs")
    ['title', 'kind', 'product', 'description', 'status', 'posted_on', 'due_on', 'zone_id', 'enterprise_id']
    """
    schema = schema or load_schema()
    lab = schema.labels[kind_label(kind, schema)]
    props = [p for p in lab.properties if p != "synthetic" and p not in _DERIVED
             and (export or (p != lab.key and p not in _EXPORT_ONLY))]
    links = [r.column for r in schema.inline(lab.name) if r.column]
    virtual = list(VIRTUAL_FIELDS.get(kind, {}))
    fields = [*props, *[c for c in links if c], *virtual]
    if kind == "enterprises":  # the register's usual order: the firm, where it is, what it makes
        order = ["uscc", "name", "short_name", "aliases", "scale", "output_value", "employees", "zone_id",
                 "grid_id", "chain", "segment_ids", "products", "scope", "industry_codes"]
        fields = ([lab.key] if export else []) + [f for f in order if f in fields] + [
            f for f in fields if f not in order and f != lab.key]
    if export and "synthetic" in lab.properties:
        fields.append("synthetic")
    return fields


def _describe(prop: Property | None, name: str, schema: Schema, kind: str) -> str:
    if prop is None:
        return VIRTUAL_FIELDS.get(kind, {}).get(name, _REF_ZH.get(name, "编号或名称"))
    if prop.enum:
        return "从下拉列表选: " + "、".join(schema.enums[prop.enum].values())
    return _TYPE_ZH.get(prop.type, prop.type)


def write_template(kind: str, out: Path, *, dictionary: HeaderDictionary | None = None,
                   schema: Schema | None = None) -> Path:
    """Write an empty register of ``kind`` at ``out`` (.xlsx); returns the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    schema = schema or load_schema()
    d = dictionary or HeaderDictionary.shipped()
    lab: Label = schema.labels[kind_label(kind, schema)]
    fields = register_fields(kind, schema)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = kind_title(kind)
    notes = wb.create_sheet("说明")
    lists = wb.create_sheet("选项")
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    notes.append([f"{kind_title(kind)}台账模板 · 填写说明"])
    notes["A1"].font = Font(bold=True, size=14)
    for line in (
        f"在「{ws.title}」工作表第2行起每行填一条{kind_title(kind)}记录；带 * 的列必填，其他列可空。",
        "表头可保留本模板的写法，也可用常见的同义写法（见 README「表头词典」）；不认识的表头请用映射文件说明。",
        "有下拉列表的列请从列表中选；名称列（开发区、网格、产业链、企业）可写名称，也可写编号。",
        "导入前先试运行: chainmatch import 文件.xlsx --dry-run，报告会指出每个问题所在的行、列和改法；没有错误再去掉 --dry-run 写入。",
        "同一企业以统一社会信用代码识别，没有代码时以名称识别：重复导入不会产生重复记录。",
    ):
        notes.append([line])
    notes.append([])
    notes.append(["表头", "对应字段", "必填", "填写要求"])
    for cell in notes[notes.max_row]:
        cell.font, cell.fill = bold, fill
    validations = 0
    for col, name in enumerate(fields, start=1):
        prop = lab.properties.get(name)
        required = bool(prop and prop.required)
        header = d.header(kind, name) + ("*" if required else "")
        cell = ws.cell(1, col, header)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = max(10, min(40, 2 * len(header) + 4))
        notes.append([header.rstrip("*"), name, "是" if required else "", _describe(prop, name, schema, kind)])
        values: list[str] = []
        if prop is not None and prop.enum:
            values = list(schema.enums[prop.enum].values())
        elif prop is not None and prop.type == "bool":
            values = ["是", "否"]
        if not values:
            continue
        letter = get_column_letter(col)
        joined = ",".join(values)
        if len(joined) <= 250:  # Excel's limit for a list written in the rule itself
            formula = f'"{joined}"'
        else:
            validations += 1
            lists.cell(1, validations, header)
            for i, v in enumerate(values, start=2):
                lists.cell(i, validations, v)
            ref = get_column_letter(validations)
            formula = f"选项!${ref}$2:${ref}${len(values) + 1}"
        dv = DataValidation(type="list", formula1=formula, allow_blank=not required, showDropDown=False,
                            showErrorMessage=True, errorTitle="请从列表中选择",
                            error=f"「{header.rstrip('*')}」只能是: {'、'.join(values)}")
        dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
        ws.add_data_validation(dv)
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 16
    notes.column_dimensions["D"].width = 80
    ws.freeze_panes = "A2"
    if validations:
        lists.sheet_state = "hidden"
    else:
        wb.remove(lists)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
