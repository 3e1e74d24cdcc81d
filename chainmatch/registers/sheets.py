"""Reading a register file into sheets of text cells: .xlsx workbooks and CSV files in UTF-8 or GB18030.

A CSV file's encoding is detected (UTF-8 with or without a BOM, else GB18030, which includes GBK and
GB2312) unless one is given, and the sheet says which was used. Cells of an .xlsx merged range all take
the range's value (a 所属网格 merged over several firms belongs to each), numbers that are whole are
written without ``.0`` and dates as ``YYYY-MM-DD``.

>>> decode("企业名称\\n".encode("gb18030"), "x.csv")[1]
'GB18030'
>>> decode("\\ufeff企业名称\\n".encode("utf-8"), "x.csv")[1]
'UTF-8 with BOM'
>>> cell_text(3200000.0), cell_text(12.5), cell_text(True)
('3200000', '12.5', '是')
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from chainmatch.errors import RegisterError

__all__ = ["ENCODINGS", "Sheet", "cell_text", "decode", "read_sheets"]

ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "gb18030": "GB18030", "gbk": "GBK",
             "gb2312": "GB2312"}


@dataclass(frozen=True)
class Sheet:
    """One sheet (a CSV file is one sheet named after the file): its rows as (row number, cells)."""

    name: str
    rows: list[tuple[int, list[str]]]
    encoding: str | None = None
    """The encoding a CSV file was read in (None for .xlsx)."""
    hidden: bool = False


def cell_text(value: object) -> str:
    """A cell's value as the text the loader reads."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def decode(raw: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode a CSV file's bytes; returns (text, the encoding's name). Raises RegisterError on a bad byte."""
    if encoding:
        try:
            codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
            return raw.decode(codec), ENCODINGS.get(codec.lower(), encoding)
        except LookupError:
            raise RegisterError(f"--encoding has value '{encoding}', which Python does not know. Use utf-8, "
                                "gb18030 (covers GBK and GB2312) or another codec name.") from None
        except UnicodeDecodeError as e:
            raise RegisterError(_bad_byte(raw, name, e, [encoding])) from e
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError as e:
            raise RegisterError(_bad_byte(raw[3:], name, e, ["UTF-8 with BOM"], offset=3)) from e
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as first:
        try:
            return raw.decode("gb18030"), "GB18030"
        except UnicodeDecodeError as e:
            raise RegisterError(_bad_byte(raw, name, e, ["UTF-8", "GB18030"], first=first)) from e


def _bad_byte(raw: bytes, name: str, e: UnicodeDecodeError, tried: list[str], *, offset: int = 0,
              first: UnicodeDecodeError | None = None) -> str:
    at = (first or e).start
    line = raw.count(b"\n", 0, at) + 1
    byte = raw[at:at + 1].hex(" ").upper()
    return (f"{name} line {line}: byte 0x{byte} (position {at + offset}) cannot be read in "
            f"{' or '.join(tried)}. Save the file as CSV UTF-8 (in Excel: 另存为 → CSV UTF-8) or as .xlsx, "
            "or give its encoding with --encoding.")


def read_sheets(path: Path, *, data: bytes | None = None, encoding: str | None = None,
                sheet: str | None = None) -> list[Sheet]:
    """The sheets of the register at ``path`` (or of its bytes ``data``, named by ``path``)."""
    name = path.name
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise RegisterError(f"Cannot read {path}: {e.strerror}. Give the path of an .xlsx or .csv file.") from e
    if not data.strip():
        raise RegisterError(f"{name} is empty: there is no sheet to import.")
    suffix = path.suffix.lower()
    if data[:4] == b"PK\x03\x04" or suffix in (".xlsx", ".xlsm"):
        sheets = _read_xlsx(data, name)
        if sheet is not None:
            chosen = [s for s in sheets if s.name == sheet]
            if not chosen:
                raise RegisterError(f"{name} has no sheet '{sheet}'. Its sheets are: "
                                    f"{', '.join(s.name for s in sheets)}.")
            return chosen
        return sheets
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or suffix == ".xls":
        raise RegisterError(f"{name} is an old Excel 97-2003 workbook (.xls), which chainmatch does not read. "
                            "Open it in Excel or WPS and save it as .xlsx (另存为 → Excel 工作簿), then import that.")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RegisterError(f"{name} is not a spreadsheet: it holds binary data. Give an .xlsx workbook or a CSV "
                            "file.")
    text, used = decode(data, name, encoding)
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            rows.append((reader.line_num, [c.strip() for c in cells]))
    except csv.Error as e:
        raise RegisterError(f"{name} line {reader.line_num}: not readable as CSV ({e}). Check the quotes on that "
                            "line, or save the sheet again from Excel.") from e
    return [Sheet(path.stem, rows, used)]


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+):([A-Z]+[0-9]+)"')


def _read_xlsx(data: bytes, name: str) -> list[Sheet]:
    try:
        return _parse_xlsx(data)
    except RegisterError:
        raise
    except Exception as e:
        raise RegisterError(f"{name} is not a readable .xlsx workbook ({type(e).__name__}: {e}). Open it in Excel or "
                            "WPS and save it again as .xlsx, or export the sheet as CSV.") from e


def _parse_xlsx(data: bytes) -> list[Sheet]:
    from openpyxl import load_workbook
    from openpyxl.utils.cell import coordinate_to_tuple

    # Read-only mode streams the rows (faster and lighter on a large register); it does not expose merged
    # ranges, which are read from each sheet's XML instead.
    wb = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    archive = zipfile.ZipFile(io.BytesIO(data))
    sheets = []
    try:
        for ws in wb.worksheets:
            merged: list[tuple[int, int, int, int]] = []
            path = str(getattr(ws, "_worksheet_path", "")).lstrip("/")
            if path in archive.namelist():
                for a, b in _MERGE.findall(archive.read(path)):
                    (r1, c1), (r2, c2) = coordinate_to_tuple(a.decode()), coordinate_to_tuple(b.decode())
                    merged.append((r1, c1, r2, c2))
            raw = [list(values) for values in ws.iter_rows(values_only=True)]
            for r1, c1, r2, c2 in merged:
                value = raw[r1 - 1][c1 - 1] if r1 <= len(raw) and c1 <= len(raw[r1 - 1]) else None
                for r in range(r1, min(r2, len(raw)) + 1):
                    row = raw[r - 1]
                    row.extend([None] * (c2 - len(row)))
                    for c in range(c1, c2 + 1):
                        row[c - 1] = value
            rows = [(r, [cell_text(v) for v in values]) for r, values in enumerate(raw, start=1)]
            sheets.append(Sheet(ws.title, rows, hidden=ws.sheet_state != "visible"))
    finally:
        wb.close()
    return sheets
