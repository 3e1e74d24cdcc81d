"""Registers (台账): a realistic zone register as .xlsx (two sheets) and as GB18030 CSV, every kind of bad
input with its located message, the template, the export and the export → import round trip."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from chainmatch.access.auth import Principal
from chainmatch.cli import main
from chainmatch.errors import RegisterError
from chainmatch.loader import load_folder, uscc_check_digit
from chainmatch.registers import ImportReport, format_report, import_register, plan_import
from chainmatch.registers.export import export_registers
from chainmatch.registers.template import write_template
from chainmatch.stores.base import Store
from chainmatch.stores.sqlite import SQLiteStore
from tests.test_loader import write_folder

HEADERS = ["序号", "企业名称", "统一社会信用代码", "主营产品", "所属网格", "所属产业链", "规上/规下", "产值（万元）",
           "从业人数", "经营范围"]
PRODUCTS = ["火腿肠", "冷鲜肉", "小麦粉", "食用植物油", "肉罐头"]


def uscc(n: int) -> str:
    """A well-formed 统一社会信用代码 for test firm ``n``."""
    body = f"91411100MA{n:07d}"
    return body + uscc_check_digit(body)


def zone_files() -> dict[str, str]:
    """One zone (漯河市) with four grids and a food chain of two segments; no firms."""
    return {
        "zones.csv": "id,name,short_name,kind,city\nLH,漯河经济技术开发区,漯河经开区,etdz,漯河市",
        "grids.csv": "id,name,level,kind,zone_id,parent_id\n"
                     "G1,一号片区,1,exclusive,LH,\nG2,二号片区,1,exclusive,LH,\n"
                     "G11,一号片区第1网格,3,exclusive,LH,G1\nG21,二号片区第1网格,3,general,LH,G2",
        "chains.csv": "id,name,zone_id\nFOOD,食品,LH",
        "segments.csv": "id,name,stage,order,industry_codes,products,chain_id\n"
                        "FOOD-S1,原料,upstream,1,1311;1331,小麦粉;食用植物油,FOOD\n"
                        "FOOD-S2,肉制品加工,midstream,2,1353,火腿肠;冷鲜肉;肉罐头,FOOD",
        "people.csv": "id,name,role,zone_id\nP1,网格长甲,grid_chief,LH",
        "grid_staff.csv": "from_id,to_id\nP1,G11",
    }


@pytest.fixture
def zone(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore.open(tmp_path / "zone.db")
    load_folder(store, write_folder(tmp_path / "zone", zone_files()))
    yield store
    store.close()


def firm_rows(start: int, n: int) -> list[list[object]]:
    """Register rows of firms start..start+n-1: every tenth without a code, grids by name or id, mixed scales."""
    rng = random.Random(start)
    grids = ["一号片区第1网格", "二号片区第1网格", "G11", "二号片区"]
    scales = ["规上", "规下", "是", "否"]
    rows: list[list[object]] = []
    for i in range(start, start + n):
        products = "、".join(rng.sample(PRODUCTS, 2))
        rows.append([i + 1, f"漯河市测试{i:04d}食品有限公司", "" if i % 10 == 9 else uscc(i), products,
                     grids[i % 4], "食品", scales[i % 4], round(100 + i * 1.5, 1), 10 + i,
                     f"{products}的生产和销售"])
    return rows


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], *, title: str = "漯河经开区企业名录（2025年）",
               headers: list[str] = HEADERS) -> Path:
    """A register as staff keep it: a merged title row, the header, blank rows here and there, a totals row."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        ws.append(headers)
        for k, row in enumerate(rows):
            ws.append(row)
            if k % 97 == 50:
                ws.append([])
        ws.append(["合计", None, None, None, None, None, None, sum(float(r[7]) for r in rows if len(r) > 7
                                                                   and isinstance(r[7], (int, float)))])
        ws.append(["填表人：张三", None, "审核人：李四"])
    notes = wb.create_sheet("说明")
    notes.append(["本表由经发局汇总"])
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list[object]], encoding: str, *, headers: list[str] = HEADERS) -> Path:
    lines = ["漯河经开区企业名录（2025年）" + "," * (len(headers) - 1), ",".join(headers)]
    for k, row in enumerate(rows):
        lines.append(",".join(str(c) for c in row))
        if k % 97 == 50:
            lines.append("," * (len(headers) - 1))
    lines.append("合计,,,,,,,," + str(len(rows)))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _errors(report: ImportReport) -> list[str]:
    return [str(p) for p in report.errors]


# -- a realistic register ---------------------------------------------------------------------------------


def test_a_register_of_620_firms_on_two_sheets_imports_with_its_report(zone: SQLiteStore, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "企业名录.xlsx", {"一区": firm_rows(0, 310), "二区": firm_rows(310, 310)})
    report = import_register(zone, path)
    assert report.errors == [] and report.written and report.kind == "enterprises" and report.kind_guessed
    assert report.records == 620 and report.new == 620 and report.updated == 0
    assert zone.counts().nodes["Enterprise"] == 620
    one, two = report.sheets[0], report.sheets[1]
    assert (one.name, one.header_row, one.rows) == ("一区", 2, 310) and two.rows == 310
    assert "第1行: 标题" in one.skipped and any("合计行" in s for s in one.skipped)
    assert any("空行" in s for s in one.skipped) and any("表尾" in s for s in one.skipped)
    assert report.sheets[2].name == "说明" and report.sheets[2].header_row is None
    firm = zone.get("Enterprise", [uscc(0)])[uscc(0)]  # a firm with a code has it as its id
    assert firm.props["name"] == "漯河市测试0000食品有限公司" and firm.props["scale"] == "above"
    assert firm.props["output_value"] == 100.0 and firm.props["employees"] == 10
    assert [e.node.id for e in zone.edges("Enterprise", [firm.id], "IN_GRID")[firm.id]] == ["G11"]
    assert [e.node.id for e in zone.edges("Enterprise", [firm.id], "IN_ZONE")[firm.id]] == ["LH"]
    third = zone.get("Enterprise", [uscc(3)])[uscc(3)]
    assert third.props["scale"] == "below"  # 否 in a 规上/规下 column
    segs = {e.node.id for e in zone.edges("Enterprise", [firm.id], "IN_SEGMENT")[firm.id]}
    assert segs and segs <= {"FOOD-S1", "FOOD-S2"}  # 食品 placed by the products
    no_code = [n for n in zone.scan("Enterprise") if "uscc" not in n.props]
    assert len(no_code) == 62 and all(n.id.startswith("LH-E-") for n in no_code)


def test_the_same_register_as_gb18030_csv_imports_and_says_its_encoding(zone: SQLiteStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "企业名录.csv", firm_rows(0, 620), "gb18030")
    report = import_register(zone, path, kind="enterprises")
    assert report.encoding == "GB18030" and report.records == 620 and report.written
    assert zone.counts().nodes["Enterprise"] == 620
    assert "编码: GB18030" in format_report(report)


def test_utf8_with_bom_and_plain_utf8_csv(zone: SQLiteStore, tmp_path: Path) -> None:
    bom = write_csv(tmp_path / "a.csv", firm_rows(0, 5), "utf-8-sig")
    plain = write_csv(tmp_path / "b.csv", firm_rows(5, 5), "utf-8")
    assert import_register(zone, bom).encoding == "UTF-8 with BOM"
    assert import_register(zone, plain).encoding == "UTF-8"
    assert zone.counts().nodes["Enterprise"] == 10


def test_the_dry_run_writes_nothing_and_importing_again_changes_nothing(zone: SQLiteStore, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", {"企业": firm_rows(0, 40)})
    before = zone.counts()
    report = import_register(zone, path, dry_run=True)
    assert not report.written and report.new == 40 and zone.counts() == before
    assert "试运行，未写入" in format_report(report)
    import_register(zone, path)
    after = zone.counts()
    again = import_register(zone, path)
    assert zone.counts() == after and again.updated == 40 and again.new == 0


def test_a_firm_without_code_is_matched_on_its_normalised_name(zone: SQLiteStore, tmp_path: Path) -> None:
    import_register(zone, write_xlsx(tmp_path / "a.xlsx", {"企业": [[1, "漯河市利民食品有限责任公司", "", "火腿肠",
                                                                      "G11", "", "规上", 10, 5]]}))
    (first,) = [n.id for n in zone.scan("Enterprise")]
    report = import_register(zone, write_xlsx(tmp_path / "b.xlsx", {"企业": [[1, "利民食品有限公司", "", "火腿肠",
                                                                           "G11", "", "规下", 10, 5]]}))
    assert report.matched_by_name == 1 and report.updated == 1
    assert [n.id for n in zone.scan("Enterprise")] == [first]
    assert zone.get("Enterprise", [first])[first].props["scale"] == "below"


def test_needs_and_people_registers_take_names(zone: SQLiteStore, tmp_path: Path) -> None:
    import_register(zone, write_xlsx(tmp_path / "f.xlsx", {"企业": firm_rows(0, 3)}))
    needs = write_xlsx(tmp_path / "n.xlsx", {"需求": [
        [1, "寻找冷链物流合作", "找买家", "漯河市测试0001食品有限公司", "冷鲜肉", datetime(2025, 5, 1), "待对接"],
        [2, "扩建厂房用地", "用地厂房", "测试0002食品有限公司", "", "2025/5/3", ""],
    ]}, title="需求清单", headers=["序号", "需求名称", "需求类别", "企业名称", "产品", "提出日期", "状态"])
    report = import_register(zone, needs)
    assert report.kind == "needs" and report.errors == [] and report.new == 2
    by_title = {n.props["title"]: n for n in zone.scan("Need")}
    cold = by_title["寻找冷链物流合作"]
    assert cold.props["kind"] == "buyers" and cold.props["posted_on"] == "2025-05-01"
    assert by_title["扩建厂房用地"].props["status"] == "open" and by_title["扩建厂房用地"].props["posted_on"] == "2025-05-03"
    assert [e.node.id for e in zone.edges("Need", [cold.id], "POSTED", "in")[cold.id]] == [uscc(1)]
    people = write_xlsx(tmp_path / "p.xlsx", {"人员": [[1, "网格长乙", "网格长", "区商务局", "二号片区第1网格"]]},
                        title="网格长名单", headers=["序号", "姓名", "角色", "派出单位", "负责网格"])
    import_register(zone, people, kind="people")
    (person,) = [p for p in zone.scan("Person") if p.props["name"] == "网格长乙"]
    assert [e.node.id for e in zone.edges("Person", [person.id], "CHIEF_OF")[person.id]] == ["G21"]


# -- bad input ----------------------------------------------------------------------------------------------


def _refused(store: Store, path: Path, **options: object) -> ImportReport:
    before = store.counts()
    with pytest.raises(RegisterError) as info:
        import_register(store, path, **options)
    assert store.counts() == before  # nothing written
    assert isinstance(info.value.report, ImportReport)
    return info.value.report


def test_unknown_header_names_the_closest_known_ones(zone: SQLiteStore, tmp_path: Path) -> None:
    headers = ["序号", "企业名称", "统一社会信用编码", "法人代表"]
    report = _refused(zone, write_xlsx(tmp_path / "r.xlsx", {"企业": [[1, "甲公司", uscc(1), "张三"]]},
                                       headers=headers))
    by_header = {p.header: p for p in report.errors}
    assert by_header["统一社会信用编码"].row == 2 and "统一社会信用代码" in by_header["统一社会信用编码"].expected
    assert "映射文件" in by_header["法人代表"].fix and "法人代表,-" in by_header["法人代表"].fix


def test_a_mapping_file_maps_and_ignores_headers(zone: SQLiteStore, tmp_path: Path) -> None:
    headers = ["企业全称", "法人代表", "信用代码"]
    path = write_xlsx(tmp_path / "r.xlsx", {"企业": [["甲食品有限公司", "张三", uscc(1)]]}, headers=headers)
    mapping = tmp_path / "mapping.csv"
    mapping.write_bytes("header,field\n企业全称,name\n法人代表,-\n".encode("gb18030"))
    report = import_register(zone, path, mapping=mapping, kind="enterprises")
    assert report.written and zone.get("Enterprise", [uscc(1)])[uscc(1)].props["name"] == "甲食品有限公司"
    bad = tmp_path / "bad.csv"
    bad.write_text("header,field\n企业全称,nmae\n", encoding="utf-8")
    with pytest.raises(RegisterError, match=r"line 2: field 'nmae'.*closest: name"):
        import_register(zone, path, mapping=bad, kind="enterprises")


def test_bad_check_digit_unknown_grid_and_duplicates_are_located(zone: SQLiteStore, tmp_path: Path) -> None:
    wrong = uscc(2)[:17] + ("0" if uscc(2)[17] != "0" else "1")
    rows = [
        [1, "甲食品有限公司", uscc(1), "火腿肠", "一号片区第1网格"],
        [2, "乙食品有限公司", wrong, "火腿肠", "一号片区第9网格"],
        [3, "丙食品有限公司", uscc(1), "火腿肠", "G11"],
    ]
    report = _refused(zone, write_xlsx(tmp_path / "r.xlsx", {"企业": rows}, headers=HEADERS[:5]))
    errors = {(p.row, p.header): p for p in report.errors}
    digit = errors[(4, "统一社会信用代码")]
    assert digit.value == wrong and f"校验位应为「{uscc(2)[17]}」" in digit.fix
    grid = errors[(4, "所属网格")]
    assert "一号片区第1网格（G11）" in grid.fix  # the closest names
    dup = errors[(5, "统一社会信用代码")]
    assert "第3行" in dup.expected
    assert [d.by for d in report.duplicates] == ["uscc"]
    assert "未写入任何数据" in format_report(report)


def test_likely_duplicates_by_normalised_name_are_said_and_do_not_stop(zone: SQLiteStore, tmp_path: Path) -> None:
    rows = [[1, "漯河市甲食品有限责任公司", uscc(1), "火腿肠", "G11"],
            [2, "甲食品（漯河）有限公司", uscc(2), "火腿肠", "G11"],
            [3, "甲食品有限公司", uscc(3), "火腿肠", "G11"]]
    report = import_register(zone, write_xlsx(tmp_path / "r.xlsx", {"企业": rows}, headers=HEADERS[:5]))
    assert report.written
    (likely,) = [d for d in report.duplicates if d.by == "name"]
    # 有限责任公司 = 有限公司, the city prefix 漯河市 and the bracketed （漯河） dropped: all three rows
    assert [re.search(r"第\d+行", w).group(0) for w in likely.where] == ["第3行", "第4行", "第5行"]  # type: ignore[union-attr]
    assert "核对是否同一企业" in likely.note and report.warnings == []


@pytest.mark.parametrize(("name", "data", "message"), [
    ("r.xlsx", b"this is not a workbook", "not a readable .xlsx"),
    ("r.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "save it as .xlsx"),
    ("r.csv", b"", "is empty"),
    ("r.bin", b"\x00\x01\x02\x03" * 50, "not a spreadsheet"),
])
def test_files_that_are_not_registers(zone: SQLiteStore, tmp_path: Path, name: str, data: bytes,
                                      message: str) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(RegisterError, match=message):
        import_register(zone, tmp_path / name)


def test_an_undecodable_byte_names_the_line_and_the_encodings_tried(zone: SQLiteStore, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("企业名称,统一社会信用代码\n甲公司,1\n".encode() + b"\xff\xfe\xfa,2\n")
    with pytest.raises(RegisterError, match=r"r.csv line 3: byte 0xFF .* UTF-8 or GB18030"):
        import_register(zone, path)
    path.write_bytes("企业名称,统一社会信用代码\n甲公司,1\n".encode("gb18030"))
    with pytest.raises(RegisterError, match=r"r.csv line 1: byte 0x.* cannot be read in utf-8"):
        import_register(zone, path, encoding="utf-8")


def test_control_characters_in_a_register_cell_are_located_and_nothing_is_written(zone: SQLiteStore,
                                                                                   tmp_path: Path) -> None:
    rows = firm_rows(0, 3)
    rows[1][1] = "漯河市\x1b测试0001食品有限公司"  # an escape pasted from another program, in 企业名称
    path = write_csv(tmp_path / "r.csv", rows, "utf-8")
    report = _refused(zone, path, kind="enterprises")
    bad = [p for p in report.errors if "U+001B" in p.value]
    assert len(bad) == 1 and bad[0].header == "企业名称" and bad[0].row == 4  # title, header, then rows 3, 4
    assert "控制字符" in bad[0].expected
    assert not zone.counts().nodes.get("Enterprise")


def test_an_empty_sheet_and_a_sheet_without_header(zone: SQLiteStore, tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "企业"  # type: ignore[union-attr]
    wb.save(tmp_path / "empty.xlsx")
    report = _refused(zone, tmp_path / "empty.xlsx", kind="enterprises")
    assert "空的" in report.errors[0].fix
    headers_only = write_xlsx(tmp_path / "h.xlsx", {"企业": []})
    report = _refused(zone, headers_only)
    assert any("没有数据行" in p.fix for p in report.errors)


# -- the command line ------------------------------------------------------------------------------------------


def test_cli_import_exit_status_json_and_no_store_file_on_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 ) -> None:
    good = write_xlsx(tmp_path / "r.xlsx", {"企业": firm_rows(0, 3)}, headers=HEADERS[:4])
    db = tmp_path / "new.db"
    assert main(["--db", str(db), "import", str(good), "--dry-run"]) == 0
    assert not db.exists()  # a dry run into a new store leaves no file
    bad = write_xlsx(tmp_path / "bad.xlsx", {"企业": [[1, "甲公司", "123"]]}, headers=HEADERS[:3])
    capsys.readouterr()
    assert main(["--db", str(db), "import", str(bad), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["problems"][0]["header"] == "统一社会信用代码" and report["problems"][0]["row"] == 3
    assert not db.exists()  # a failed first import leaves no store file
    assert main(["--db", str(db), "import", str(good)]) == 0
    assert "已导入 3 条记录" in capsys.readouterr().out and db.exists()


def test_a_failed_first_load_leaves_no_store_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "d", {"enterprises.csv": "id,name,employees\nE1,甲,很多"})
    db = tmp_path / "first.db"
    assert main(["--db", str(db), "load", str(folder)]) == 2
    assert not db.exists() and not Path(f"{db}-wal").exists()


# -- template and export -------------------------------------------------------------------------------------------


def test_the_template_has_chinese_headers_instructions_and_drop_downs(zone: SQLiteStore, tmp_path: Path) -> None:
    path = write_template("enterprises", tmp_path / "t.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["企业", "说明"]
    ws = wb["企业"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["统一社会信用代码", "企业名称*", "简称"] and "所属产业链" in headers
    rules = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    scale_col = chr(ord("A") + headers.index("规模"))
    assert rules[scale_col] == '"规上,规下"'
    assert any(row[0].value == "企业名称" and row[2].value == "是" for row in wb["说明"].iter_rows())
    for row in firm_rows(0, 2):  # filled in as a person would, by header
        values = dict(zip(HEADERS, row))
        ws.append([values.get(h.rstrip("*") if h else "", "") if h != "规模" else values["规上/规下"]
                   for h in headers])
    wb.save(path)
    report = import_register(zone, path)
    assert report.written and report.records == 2 and zone.counts().nodes["Enterprise"] == 2


@pytest.mark.parametrize("kind", ["needs", "grids", "people", "party_organizations", "resources"])
def test_every_enumeration_of_a_template_has_a_drop_down(kind: str, tmp_path: Path) -> None:
    from graph_schema import load_schema

    schema = load_schema()
    wb = load_workbook(write_template(kind, tmp_path / f"{kind}.xlsx"))
    ws = wb.worksheets[0]
    lab = next(lab for lab in schema.labels.values() if lab.file == f"{kind}.csv")
    enums = [p for p in lab.properties.values() if p.enum]
    assert len(ws.data_validations.dataValidation) >= len(enums) > 0


def _snapshot(store: Store) -> tuple[dict[str, dict[str, object]], list[tuple[str, ...]]]:
    nodes = {n.id: dict(n.props) for n in store.scan("Enterprise")}
    rels = sorted((r.type, r.src, r.dst) for t in ("IN_ZONE", "IN_GRID", "PRODUCES", "IN_INDUSTRY", "IN_SEGMENT")
                  for r in store.scan_rels(t) if r.src_label == "Enterprise")
    return nodes, rels


def test_export_then_import_is_a_round_trip(zone: SQLiteStore, tmp_path: Path) -> None:
    import_register(zone, write_xlsx(tmp_path / "r.xlsx", {"企业": firm_rows(0, 60)}))
    before = _snapshot(zone)
    out = export_registers(zone, tmp_path / "台账.xlsx", what=["enterprises"])
    assert out.sheets == {"企业名录": 60}
    report = import_register(zone, tmp_path / "台账.xlsx")
    assert report.errors == [] and report.updated == 60 and report.new == 0
    assert _snapshot(zone) == before
    fresh = SQLiteStore.open(tmp_path / "fresh.db")
    load_folder(fresh, write_folder(tmp_path / "zone2", zone_files()))
    import_register(fresh, tmp_path / "台账.xlsx")
    assert _snapshot(fresh) == before
    fresh.close()


def test_the_export_workbook(zone: SQLiteStore, tmp_path: Path) -> None:
    import_register(zone, write_xlsx(tmp_path / "r.xlsx", {"企业": firm_rows(0, 8)}))
    needs = write_xlsx(tmp_path / "n.xlsx", {"需求": [
        [1, "寻找冷链物流合作", "找买家", "漯河市测试0001食品有限公司", "2025-05-01", "2025-05-06"],
        [2, "扩建厂房用地", "用地厂房", "漯河市测试0002食品有限公司", "2025-05-03", "2099-01-01"],
    ]}, title="需求", headers=["序号", "需求名称", "需求类别", "企业名称", "提出日期", "办结期限"])
    import_register(zone, needs)
    path = tmp_path / "out.xlsx"
    export_registers(zone, path, zone_id="LH", today=date(2025, 6, 1), now=datetime(2025, 6, 1, 9, 30))
    wb = load_workbook(path)
    assert wb.sheetnames == ["企业名录", "需求清单", "撮合项目", "逾期事项", "网格覆盖"]
    firms = wb["企业名录"]
    assert firms["A1"].value == "企业名录 · 漯河经济技术开发区 · 导出时间 2025-06-01 09:30（北京时间）"
    assert firms.freeze_panes == "A3" and firms.auto_filter.ref.startswith("A2:")
    header = [c.value for c in firms[2]]
    row = dict(zip(header, [c.value for c in firms[3]]))
    assert row["规模"] in ("规上", "规下") and row["所属开发区"] == "漯河经济技术开发区" and row["所属产业链"] == "食品"
    need_rows = list(wb["需求清单"].iter_rows(min_row=3, values_only=True))
    need_header = [c.value for c in wb["需求清单"][2]]
    first = dict(zip(need_header, need_rows[0] if need_rows[0][1] == "寻找冷链物流合作" else need_rows[1]))
    assert first["需求类别"] == "找买家" and first["状态"] == "待对接" and first["是否逾期"] == "是"
    assert isinstance(first["提出日期"], datetime)  # a date cell, not text
    overdue = list(wb["逾期事项"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[2], r[6]) for r in overdue] == [("需求", "寻找冷链物流合作", 26)]
    cov = wb["网格覆盖"]
    assert cov["D3"].number_format == "0.0%" and cov["B3"].value == 4 and cov["E3"].value == 1


def test_a_grid_chief_exports_their_grids_only(zone: SQLiteStore, tmp_path: Path) -> None:
    import_register(zone, write_xlsx(tmp_path / "r.xlsx", {"企业": firm_rows(0, 8)}))
    chief = Principal("T1", "网格长甲", "grid_chief", frozenset({"G11"}))
    out = export_registers(zone, tmp_path / "mine.xlsx", who=chief, what=["enterprises"])
    in_g11 = sum(1 for es in zone.edges("Enterprise", [n.id for n in zone.scan("Enterprise")], "IN_GRID").values()
                 if es and es[0].node.id == "G11")
    assert out.sheets["企业名录"] == in_g11 == 4


def test_plan_import_reads_uploaded_bytes(zone: SQLiteStore, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "x.csv", firm_rows(0, 3), "gb18030").read_bytes()
    report, batch = plan_import(zone, Path("上传.csv"), data=data)
    assert batch is not None and report.records == 3 and report.file == "上传.csv"


def test_the_report_as_xlsx_marks_the_problem_cells(zone: SQLiteStore, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    rows = [[1, "甲食品有限公司", uscc(1), "火腿肠", "一号片区第9网格"]]
    path = write_xlsx(tmp_path / "r.xlsx", {"企业": rows}, headers=HEADERS[:5])
    marked = tmp_path / "marked.xlsx"
    assert main(["--db", str(tmp_path / "zone.db"), "import", str(path), "--report-xlsx", str(marked)]) == 2
    assert "问题已标在" in capsys.readouterr().out
    wb = load_workbook(marked)
    assert wb.sheetnames == ["问题清单", "企业", "说明"]
    listed = list(wb["问题清单"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[1], r[2], r[6]) for r in listed] == [("企业", 3, "所属网格", "错误")]
    cell = wb["企业"]["E3"]
    assert cell.fill.fgColor.rgb.endswith("FFC7CE") and "一号片区第1网格" in cell.comment.text


def test_import_and_export_on_every_store(store: Store, tmp_path: Path) -> None:
    """The register path uses only the store interface: the same import, report and round trip on Neo4j."""
    load_folder(store, write_folder(tmp_path / "zone", zone_files()))
    report = import_register(store, write_xlsx(tmp_path / "r.xlsx", {"企业": firm_rows(0, 12)}))
    assert report.written and report.new == 12 and store.counts().nodes["Enterprise"] == 12
    before = _snapshot(store)
    export_registers(store, tmp_path / "out.xlsx", what=["enterprises"])
    again = import_register(store, tmp_path / "out.xlsx")
    assert again.updated == 12 and _snapshot(store) == before


def test_likely_duplicates_against_the_store_and_unknown_chains(zone: SQLiteStore, tmp_path: Path) -> None:
    import_register(zone, write_xlsx(tmp_path / "a.xlsx", {"企业": [[1, "漯河市甲食品有限责任公司", uscc(1), "火腿肠",
                                                                      "G11", "食品"]]}, headers=HEADERS[:6]))
    rows = [[1, "甲食品（漯河）有限公司", uscc(2), "火腿肠", "G11", "食品"],
            [2, "乙食品有限公司", uscc(3), "火腿肠", "G11", "食口产业链"]]
    path = write_xlsx(tmp_path / "b.xlsx", {"企业": rows}, headers=HEADERS[:6])
    report = _refused(zone, path)
    (chain,) = report.errors
    assert (chain.row, chain.header, chain.value) == (4, "所属产业链", "食口产业链") and "食品（FOOD）" in chain.fix
    (likely,) = report.duplicates
    assert likely.by == "name" and any(f"库中 漯河市甲食品有限责任公司（{uscc(1)}）" in w for w in likely.where)


def test_a_few_records_are_matched_by_the_indexed_name_key_on_every_store(store: Store, tmp_path: Path) -> None:
    """Firms written before ``name_key`` existed get it at the first lookup; then a record without id or code finds
    its firm by normalised name through the index (on Neo4j the find_by seek), and a likely duplicate is said."""
    from chainmatch.registers.importing import TARGETED_MAX, ensure_name_keys, import_records
    from chainmatch.stores.base import GraphBatch, Node, Rel

    load_folder(store, write_folder(tmp_path / "zone", zone_files()))
    store.write(GraphBatch(nodes=[Node("Enterprise", "OLD-1", {"id": "OLD-1", "name": "漯河市老字号食品有限责任公司"})],
                           rels=[Rel("IN_ZONE", "Enterprise", "OLD-1", "Zone", "LH")]))  # no name_key: an old store
    assert "name_key" not in store.get("Enterprise", ["OLD-1"])["OLD-1"].props
    admin = Principal("T-admin", "管理员", "admin")
    report = import_records(store, admin, "enterprises", [{"企业名称": "老字号食品有限公司", "规模": "规下"}])
    assert TARGETED_MAX >= 1 and report.updated == 1 and report.new == 0 and report.matched_by_name == 1
    assert store.get("Enterprise", ["OLD-1"])["OLD-1"].props["name_key"] == "老字号食品有限公司"  # 漯河市 set aside
    assert ensure_name_keys(store) == 0  # the firms written since the last check have their keys
    store.write(GraphBatch(nodes=[Node("Enterprise", "OLD-2", {"id": "OLD-2", "name": "另一家老企业"})]))
    assert ensure_name_keys(store) == 1  # a firm written without one since (by an older version) gets it
    again = import_records(store, admin, "enterprises", [{"企业名称": "老字号食品（漯河）有限公司", "统一社会信用代码": uscc(5)}])
    assert again.new == 1 and [d.by for d in again.duplicates] == ["name"]
    new = store.get("Enterprise", [uscc(5)])[uscc(5)].props
    assert new["name_key"] == "老字号食品有限公司"  # the loader derives it for every firm it writes


def test_name_key_is_not_a_column_of_templates_or_exports(tmp_path: Path) -> None:
    from chainmatch.registers.template import register_fields

    assert "name_key" not in register_fields("enterprises") and "name_key" not in register_fields(
        "enterprises", export=True)
