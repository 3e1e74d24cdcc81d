"""The header dictionary: which data-folder column a register's own Chinese header stands for.

A zone's register (台账) names its columns as its staff wrote them: 企业名称, 单位名称 or 公司名称 all mean
``name``. The shipped dictionary ``chainmatch/data/register_headers.csv`` (columns ``kind,field,header``;
kind ``*`` applies to every kind, field ``-`` means a column to ignore, such as 序号) holds the headers real
registers use; each property's own title in ``graph_schema/schema.toml`` and the column names of the data
folder format are understood too. A user mapping file (:func:`read_mapping`) adds or overrides headers.

Headers are compared after :func:`normalize_header`: full-width characters folded (NFKC: ``产值（万元）`` is
``产值(万元)``), spaces and line breaks removed, and the ``*`` that marks a required column dropped.

>>> d = HeaderDictionary.shipped()
>>> d.field("enterprises", "公司名称"), d.field("enterprises", " 产值（万元）"), d.field("enterprises", "序号")
('name', 'output_value', '-')
>>> d.field("enterprises", "企业名称*"), d.field("enterprises", "uscc"), d.field("enterprises", "法人代表")
('name', 'uscc', None)
>>> d.header("enterprises", "uscc")
'统一社会信用代码'
"""

from __future__ import annotations

import csv
import difflib
import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from chainmatch.errors import RegisterError
from graph_schema import Schema, load_schema

__all__ = [
    "IGNORE",
    "KINDS",
    "VIRTUAL_FIELDS",
    "HeaderDictionary",
    "kind_label",
    "normalize_header",
    "read_mapping",
]

IGNORE = "-"
"""The field of a column the import reads past (序号, 备注)."""

_INTERNAL = ("industries.csv", "products.csv", "project_steps.csv", "api_tokens.csv", "audit_log.csv",
             "accounts.csv", "page_sessions.csv")
KINDS: tuple[str, ...] = tuple(
    lab.file.removesuffix(".csv") for lab in load_schema().labels.values() if lab.file not in _INTERNAL
)
"""What a register can hold: the node files of the data folder format, by name (``enterprises``, ``needs`` …)."""

VIRTUAL_FIELDS: Mapping[str, Mapping[str, str]] = {
    "enterprises": {"chain": "所属产业链: 产业链的名称或编号; 企业按产品或行业放入该链的环节"},
    "people": {"grid": "负责网格: 网格长或网格员所在网格的名称或编号"},
}
"""Register columns that are not data-folder columns but are turned into them by the import."""


def kind_label(kind: str, schema: Schema | None = None) -> str:
    """The schema label a kind of register holds (``enterprises`` → ``Enterprise``)."""
    schema = schema or load_schema()
    for lab in schema.labels.values():
        if lab.file == f"{kind}.csv" and kind in KINDS:
            return lab.name
    raise RegisterError(f"--kind has value '{kind}'. It must be one of {', '.join(KINDS)}.")


def normalize_header(text: str) -> str:
    """A header as compared: NFKC, no whitespace, no trailing ``*`` (required mark).

    >>> normalize_header("产值\\n（万元）*")
    '产值(万元)'
    """
    folded = unicodedata.normalize("NFKC", text)
    return "".join(folded.split()).rstrip("*").strip()


@dataclass
class HeaderDictionary:
    """Per kind, normalised header → field; ``preferred`` holds the header a template or an export writes."""

    by_kind: dict[str, dict[str, str]] = field(default_factory=dict)
    preferred: dict[str, dict[str, str]] = field(default_factory=dict)
    sources: dict[tuple[str, str], str] = field(default_factory=dict)
    """(kind, normalised header) → where the entry came from: 内置词典, 字段名, 模式标题 or the mapping file."""

    @classmethod
    @cache
    def shipped(cls) -> HeaderDictionary:
        """The dictionary shipped with chainmatch (read once)."""
        text = resources.files("chainmatch").joinpath("data/register_headers.csv").read_text(encoding="utf-8")
        return cls.build(list(csv.DictReader(io.StringIO(text))), source="内置词典")

    @classmethod
    def build(cls, entries: list[dict[str, str]], *, source: str, schema: Schema | None = None) -> HeaderDictionary:
        schema = schema or load_schema()
        d = cls()
        for kind in KINDS:
            d.by_kind[kind], d.preferred[kind] = {}, {}
        for row in entries:
            d.add(row["kind"], row["field"], row["header"], source)
        for kind in KINDS:
            lab = schema.labels[kind_label(kind, schema)]
            names = {**{p.name: p.title for p in lab.properties.values()},
                     **{r.column: r.title for r in schema.inline(lab.name) if r.column}}
            for name, title in names.items():
                d._fallback(kind, name, name, "字段名")
                if title:
                    d._fallback(kind, name, title, "模式标题")
                d.preferred[kind].setdefault(name, title or name)
        return d

    def add(self, kind: str, field_name: str, header: str, source: str) -> None:
        """Map ``header`` to ``field_name`` for ``kind`` (``*``: every kind); later entries override earlier ones."""
        key = normalize_header(header)
        kinds = KINDS if kind == "*" else (kind,)
        for k in kinds:
            if k not in self.by_kind:
                raise RegisterError(f"Header '{header}' is listed for kind '{kind}', which is not one of "
                                    f"{', '.join(KINDS)} (or * for all).")
            self.by_kind[k][key] = field_name
            self.sources[(k, key)] = source
            if field_name != IGNORE:
                self.preferred[k].setdefault(field_name, header)

    def _fallback(self, kind: str, field_name: str, header: str, source: str) -> None:
        key = normalize_header(header)
        if key and key not in self.by_kind[kind]:
            self.by_kind[kind][key] = field_name
            self.sources[(kind, key)] = source

    def field(self, kind: str, header: str) -> str | None:
        """The field ``header`` stands for in a register of ``kind``, ``-`` to ignore it, None if unknown."""
        return self.by_kind[kind].get(normalize_header(header))

    def header(self, kind: str, field_name: str) -> str:
        """The header a template or an export writes for ``field_name``."""
        return self.preferred[kind].get(field_name, field_name)

    def closest(self, kind: str, header: str, n: int = 3) -> list[str]:
        """Known headers of ``kind`` closest to an unknown one, for the message."""
        known = [h for h, f in self.by_kind[kind].items() if f != IGNORE and not h.isascii()]
        return difflib.get_close_matches(normalize_header(header), known, n=n, cutoff=0.3)

    def with_mapping(self, entries: list[tuple[str, str, str]], source: str) -> HeaderDictionary:
        """A copy with the user's (kind, header, field) entries added over the shipped ones."""
        d = HeaderDictionary({k: dict(v) for k, v in self.by_kind.items()},
                             {k: dict(v) for k, v in self.preferred.items()}, dict(self.sources))
        for kind, header, field_name in entries:
            d.add(kind, field_name, header, source)
        return d

    def fields(self, kind: str, schema: Schema | None = None) -> set[str]:
        """Every field a header of ``kind`` may stand for."""
        schema = schema or load_schema()
        lab = schema.labels[kind_label(kind, schema)]
        return {*lab.properties, *(r.column for r in schema.inline(lab.name) if r.column),
                *VIRTUAL_FIELDS.get(kind, {}), IGNORE}


def read_mapping(path: Path, kind: str | None = None) -> list[tuple[str, str, str]]:
    """Read a mapping file: CSV with the columns ``header,field`` (and optionally ``kind``), UTF-8 or GB18030.

    A ``field`` of ``-`` ignores the column. Without a ``kind`` column (or with an empty cell) an entry
    applies to the kind being imported (or to every kind when none is given).
    """
    from chainmatch.registers.sheets import decode

    try:
        raw = path.read_bytes()
    except OSError as e:
        raise RegisterError(f"Cannot read the mapping file {path}: {e.strerror}. Give an existing CSV file "
                            "with the columns header,field.") from e
    text, _ = decode(raw, str(path))
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise RegisterError(f"The mapping file {path} is empty. Write a header row 'header,field' and one line "
                            "per register header, e.g. '法人代表,-' or '企业地址,source'.")
    head = [normalize_header(h).lower() for h in rows[0]]
    if "header" not in head or "field" not in head:
        raise RegisterError(f"The mapping file {path} has the columns {', '.join(rows[0])}; it needs the columns "
                            "header,field (and optionally kind), e.g. '企业全称,name'.")
    hi, fi = head.index("header"), head.index("field")
    ki = head.index("kind") if "kind" in head else None
    out = []
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) <= max(hi, fi):
            raise RegisterError(f"{path} line {line}: '{','.join(cells)}' has no field; write 'header,field'.")
        entry_kind = (cells[ki].strip() if ki is not None and ki < len(cells) else "") or kind or "*"
        out.append((entry_kind, cells[hi].strip(), cells[fi].strip()))
    d = HeaderDictionary.shipped()
    for line, (entry_kind, header, field_name) in enumerate(out, start=2):
        if entry_kind != "*" and entry_kind not in KINDS:
            raise RegisterError(f"{path} line {line}: kind '{entry_kind}' is not one of {', '.join(KINDS)}.")
        allowed = d.fields(entry_kind) if entry_kind != "*" else {IGNORE, "zone_id", "synthetic"}
        if field_name not in allowed:
            near = difflib.get_close_matches(field_name, sorted(allowed), n=3, cutoff=0.4)
            raise RegisterError(
                f"{path} line {line}: field '{field_name}' (for header '{header}') is not a column of "
                f"{entry_kind}; it must be one of {', '.join(sorted(allowed))}"
                + (f" (closest: {', '.join(near)})" if near else "") + ", or - to ignore the column.")
    return out
