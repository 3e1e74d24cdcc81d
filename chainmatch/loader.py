"""Data folders: read and check a folder of CSV files against ``graph_schema``, then write it (``write_bulk``).

A data folder holds one CSV file per node label and per file-declared relationship type (the
``file`` names in ``graph_schema/schema.toml``). Every problem found is reported with its file,
line, field, value and what was expected, and nothing is written unless the whole folder is valid.
Loading the same folder again changes nothing.
"""

from __future__ import annotations

import contextlib
import csv
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

from chainmatch.errors import Conflict, LoadError, Problem
from chainmatch.stores.base import Direction, GraphBatch, Node, Rel, Reset, Store
from graph_schema import Label, Property, RelType, Schema, load_schema

__all__ = [
    "LIST_SEPARATORS",
    "Classify",
    "LoadSummary",
    "check_uscc",
    "install_industries",
    "load_demo_once",
    "load_folder",
    "normalize_name",
    "parse_value",
    "read_folder",
    "read_rows",
    "uscc_check_digit",
    "write_batch",
]

LIST_SEPARATORS = (";", "；")
MAX_PROBLEMS = 200

Candidate = tuple[str, float, str]
"""A GB/T 4754 小类 code, the confidence that it is right, and the basis (what in the text matched)."""
Classify = Callable[[list[str]], "list[list[Candidate]]"]
"""Texts → for each, its ranked candidates (best first; empty when nothing matched); fills in firms loaded without
an industry code. Called once per load with every distinct text, so a vectorised classifier pays its cost once."""
VOTE_MIN_CONFIDENCE = 0.1
"""Candidates less sure than this do not vote for a firm's main 大类."""
NAME_VOTE_WEIGHT = 0.3
"""The firm name's vote for its main 大类, against revenue shares (a product with all the revenue weighs 1)."""

_CONTROLS = frozenset(chr(c) for c in [*range(0x20), 0x7F] if chr(c) not in "\t\r\n")
_HAS_CONTROL = re.compile("[" + "".join(sorted(_CONTROLS)) + "]").search  # one C scan of a line instead of a loop
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}
_NO_PROPS: Mapping[str, Any] = MappingProxyType({})  # shared by the relationships without properties (most)
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@dataclass(frozen=True)
class LoadSummary:
    folder: str
    rows: dict[str, int]
    nodes: int
    rels: int
    classified: int = 0
    products_created: int = 0


def uscc_check_digit(first17: str) -> str:
    """The check digit (GB 32100-2015) that completes the first 17 characters of a 统一社会信用代码.

    >>> uscc_check_digit("91350100M000100Y4")
    '3'
    """
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


def check_uscc(code: str) -> bool:
    """Whether ``code`` is a well-formed 统一社会信用代码 (GB 32100-2015: 18 characters, check digit).

    >>> check_uscc("91350100M000100Y43")
    True
    >>> check_uscc("91350100M000100Y44")
    False
    """
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return False
    return uscc_check_digit(code[:17]) == code[17]


def parse_value(prop: Property, raw: str, schema: Schema) -> tuple[Any, str | None]:
    """Turn a CSV cell into the property's value; returns (value, None) or (None, what was expected).

    >>> s = load_schema()
    >>> parse_value(s.labels["Grid"].properties["kind"], "专属网格", s)
    ('exclusive', None)
    >>> parse_value(s.labels["Enterprise"].properties["employees"], "1,200", s)
    (1200, None)
    >>> parse_value(s.labels["Enterprise"].properties["aliases"], "利通科技；利通液压", s)
    (['利通科技', '利通液压'], None)
    >>> parse_value(s.labels["Grid"].properties["level"], "4", s)[1]
    'one of 1, 2, 3 (or 一级网格(片区), 二级网格(单元网格), 三级网格(责任网格))'
    """
    t = prop.type
    try:
        if t in ("str", "text"):
            return raw, None
        if t == "int":
            return int(raw.replace(",", "")), None
        if t == "float":
            return float(raw.replace(",", "")), None
        if t == "bool":
            low = raw.lower()
            if low in _TRUE:
                return True, None
            if low in _FALSE:
                return False, None
            return None, "true or false"
        if t == "date":
            return date.fromisoformat(raw).isoformat(), None
        if t == "datetime":
            return datetime.fromisoformat(raw).isoformat(), None
        if t == "list":
            return _split(raw), None
        if t == "uscc":
            code = unicodedata.normalize("NFKC", raw).upper()
            if check_uscc(code):
                return code, None
            return None, "a valid 统一社会信用代码 (18 characters with a correct check digit, GB 32100-2015)"
    except ValueError:
        expected = {"int": "an integer", "float": "a number", "date": "a date YYYY-MM-DD",
                    "datetime": "a date-time such as 2024-05-01T09:30:00"}
        return None, expected[t]
    assert prop.enum is not None
    values = schema.enums[prop.enum]
    if raw in values:
        return raw, None
    for code, label in values.items():
        if raw == label:
            return code, None
    return None, f"one of {', '.join(values)} (or {', '.join(values.values())})"


def _split(raw: str) -> list[str]:
    for sep in LIST_SEPARATORS[1:]:
        if sep in raw:
            raw = raw.replace(sep, LIST_SEPARATORS[0])
    return [p for p in map(str.strip, raw.split(LIST_SEPARATORS[0])) if p]


@dataclass(slots=True)
class _Ref:
    """An id written in a cell that must name an existing node."""

    rel: RelType
    host_label: str
    host_id: str
    target: str
    file: str
    line: int
    column: str
    props: dict[str, Any] | None = None  # None (most refs): no properties, without an empty dict each


class _Reader:
    def __init__(self, folder: Path, store: Store, schema: Schema) -> None:
        self.folder, self.store, self.schema = folder, store, schema
        self.problems: list[Problem] = []
        self.nodes: dict[str, dict[str, Node]] = defaultdict(dict)
        self.lines: dict[tuple[str, str], int] = {}
        self.refs: list[_Ref] = []
        # One string object per distinct id: a zone's, grid's or product's id is referenced by up to every firm
        # (a million copies of the same few bytes otherwise, each with its object header).
        self.ids: dict[str, str] = {}
        self.rows: dict[str, int] = {}

    def problem(self, file: str, line: int, column: str, value: str, expected: str) -> None:
        self.problems.append(Problem(file, line, column, value, expected))
        if len(self.problems) >= MAX_PROBLEMS:
            raise LoadError(self.problems)

    def _lines(self, name: str, fh: IO[bytes], at: list[int]) -> Iterator[str]:
        """The file's lines decoded one by one, so that an encoding error or a control character is reported at
        its own line (``at[0]`` is the physical line just read); NUL and other control characters are reported
        with their position and left out, so reading goes on and every problem is found in one run."""
        for n, raw in enumerate(fh, start=1):
            at[0] = n
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                bad = raw[e.start:e.start + 4].hex(" ")
                self.problem(name, n, "", f"bytes {bad} at byte {e.start + 1} of the line",
                             "UTF-8 text (save the file as UTF-8; GBK/GB18030 files from Excel must be converted)")
                line = raw.decode("utf-8", errors="replace")
            found = _HAS_CONTROL(line)
            if found:
                i, c = found.start(), found.group()
                self.problem(name, n, "", f"U+{ord(c):04X} at character {i + 1} of the line",
                             "text without control characters (NUL and the like are not allowed in a CSV file)")
                line = "".join(c for c in line if c not in _CONTROLS)
            yield line

    def _open(self, name: str, allowed: list[str], required: list[str]) -> Iterable[tuple[int, dict[str, str]]]:
        path = self.folder / name
        try:
            fh = path.open("rb")
        except OSError as e:
            self.problem(name, 0, "", str(path), f"a readable file ({e.strerror})")
            return
        at = [0]
        with fh:
            reader = csv.reader(self._lines(name, fh, at), strict=True)
            try:
                header = [h.strip() for h in next(reader, [])]
            except csv.Error as e:
                self.problem(name, 1, "", "header", f"a CSV header row ({e})")
                return
            if not header:
                self.problem(name, 1, "", "", f"a header row naming the columns: {', '.join(allowed)}")
                return
            seen: dict[str, int] = {}
            for i, col in enumerate(header, start=1):
                if col in seen:
                    self.problem(name, 1, col, col, f"named once: '{col}' is both column {seen[col]} and column {i} "
                                                    "of the header; remove or rename one of them")
                seen.setdefault(col, i)
            for col in header:
                if col not in allowed:
                    self.problem(name, 1, col, col, f"a known column; the columns of {name} are {', '.join(allowed)}")
            for col in required:
                if col not in header:
                    self.problem(name, 1, col, "(missing)", f"present: column '{col}' is required")
            if any(p.file == name and p.line == 1 for p in self.problems):
                return
            while True:
                first = at[0] + 1  # the line this row starts on (a quoted cell may run over several lines)
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as e:
                    if "unexpected end of data" in str(e):
                        self.problem(name, first, "", "\"", "a closed quote: the quote opened on this line is "
                                     "never closed, so every line after it was read as one cell; close it (\"\")")
                    elif at[0] > first:
                        self.problem(name, first, "", "\"", f"a closed quote: a quoted cell opened on this line runs "
                                     f"to line {at[0]} ({e}); close the quote on this line, and write a quote inside a "
                                     "cell as \"\"")
                    else:
                        self.problem(name, at[0], "", "", f"valid CSV ({e}; a quote inside a cell is written \"\")")
                    break
                stripped = list(map(str.strip, cells))
                if not any(stripped):
                    continue
                if len(cells) != len(header):
                    spans = f"; the row runs from line {first} to {at[0]}: check for an unclosed quote on line " \
                        f"{first}" if at[0] > first else ""
                    self.problem(name, first, "", ",".join(cells)[:60],
                                 f"a row of {len(header)} cells like the header (found {len(cells)}{spans})")
                    continue
                yield first, dict(zip(header, stripped))

    def read_nodes(self, lab: Label) -> None:
        inline = self.schema.inline(lab.name)
        allowed = [*lab.properties, *(r.column for r in inline if r.column)]
        required = [p.name for p in lab.properties.values() if p.required]
        needed = [p for p in lab.properties.values() if p.required]
        texts = {name for name, p in lab.properties.items() if p.type in ("str", "text")}  # taken as they are
        n = 0
        for line, row in self._open(lab.file, allowed, required):
            n += 1
            props: dict[str, Any] = {}
            ok = True
            for name, raw in row.items():
                if raw == "":
                    continue
                if name in texts:
                    props[name] = raw
                    continue
                prop = lab.properties.get(name)
                if prop is None:
                    continue
                value, expected = parse_value(prop, raw, self.schema)
                if expected is not None:
                    self.problem(lab.file, line, name, raw, expected)
                    ok = False
                else:
                    props[name] = value
            for prop in needed:
                if prop.name not in props and row.get(prop.name, "") == "":
                    self.problem(lab.file, line, prop.name, "", f"empty: {prop.name} ({prop.title}) is required")
                    ok = False
            key = props.get(lab.key)
            if not ok or key is None:
                continue
            key = self.ids.setdefault(str(key), str(key))
            first = self.lines.get((lab.name, key))
            if first is not None:
                self.problem(lab.file, line, lab.key, key, f"a new id: it is already used on line {first}")
                continue
            self.lines[(lab.name, key)] = line
            self.nodes[lab.name][key] = Node(lab.name, key, props)
            ids = self.ids
            for rel in inline:
                assert rel.column is not None
                raw = row.get(rel.column, "")
                targets = _split(raw) if rel.many else ([raw] if raw else [])
                for target in targets:
                    self.refs.append(_Ref(rel, lab.name, key, ids.setdefault(target, target), lab.file, line,
                                          rel.column))
        self.rows[lab.file] = n

    def read_rels(self, rel: RelType) -> None:
        assert rel.file is not None
        allowed = ["from_id", "to_id", *rel.properties]
        required = ["from_id", "to_id", *(p.name for p in rel.properties.values() if p.required)]
        n = 0
        for line, row in self._open(rel.file, allowed, required):
            n += 1
            props: dict[str, Any] = {}
            ok = True
            for name, prop in rel.properties.items():
                raw = row.get(name, "")
                if raw == "":
                    if prop.required:
                        self.problem(rel.file, line, name, "", f"empty: {name} ({prop.title}) is required")
                        ok = False
                    continue
                value, expected = parse_value(prop, raw, self.schema)
                if expected is not None:
                    self.problem(rel.file, line, name, raw, expected)
                    ok = False
                props[name] = value
            src, dst = row.get("from_id", ""), row.get("to_id", "")
            for col, value in (("from_id", src), ("to_id", dst)):
                if not value:
                    self.problem(rel.file, line, col, "", "empty: every row links two ids")
                    ok = False
            if ok:
                # The from end is resolved like an inline column hosted on the 'to' side.
                src, dst = self.ids.setdefault(src, src), self.ids.setdefault(dst, dst)
                self.refs.append(_Ref(rel, "", src, dst, rel.file, line, "to_id", props or None))
        self.rows[rel.file] = n

    def _existing(self, label: str, ids: set[str]) -> set[str]:
        have = self.nodes.get(label, {})
        missing = [i for i in ids if i not in have]
        found = set(self.store.get(label, missing)) if missing else set()
        return {i for i in ids if i in have} | found

    def resolve(self) -> tuple[list[Rel], list[Reset], int]:
        """Check every referenced id, creating products named by text; returns rels, resets, products made."""
        targets = {rel.name: rel.target_labels for rel in self.schema.relationships.values()}  # once, not per ref
        wanted: dict[str, set[str]] = defaultdict(set)
        for ref in self.refs:
            for lab in targets[ref.rel.name]:
                wanted[lab].add(ref.target)
            if not ref.host_label:
                for lab in ref.rel.from_labels:
                    wanted[lab].add(ref.host_id)
        exists = {lab: self._existing(lab, ids) for lab, ids in wanted.items()}
        rels: list[Rel] = []
        created = 0
        refs, self.refs = self.refs, []
        refs.reverse()
        while refs:  # taken from the end, in the order read: each reference is freed once it is a relationship
            ref = refs.pop()
            labels = targets[ref.rel.name]
            if len(labels) == 1:  # the common case, without a call per reference
                target_label: str | None = labels[0] if ref.target in exists.get(labels[0], ()) else None
            else:
                target_label = self._which(labels, ref.target, exists)
            if target_label is None and ref.rel.create_missing:
                target_label = ref.rel.target_labels[0]
                if ref.target not in self.nodes[target_label]:
                    key = self.schema.labels[target_label].key
                    self.nodes[target_label][ref.target] = Node(target_label, ref.target, {key: ref.target})
                    created += 1
            if target_label is None:
                names = "/".join(ref.rel.target_labels)
                expected = f"the id of a {names} in this folder or already in the store"
                if ref.rel.target_labels == ("Industry",):
                    from chainmatch.knowledge.industries import load_industries

                    near = load_industries().nearest(ref.target)
                    expected = "a GB/T 4754-2017 code" + (f" (closest: {', '.join(near)})" if near else "")
                self.problem(ref.file, ref.line, ref.column, ref.target, expected)
                continue
            host_label = ref.host_label
            if not host_label:
                found = self._which(ref.rel.from_labels, ref.host_id, exists)
                if found is None:
                    names = "/".join(ref.rel.from_labels)
                    self.problem(ref.file, ref.line, "from_id", ref.host_id,
                                 f"the id of a {names} in this folder or already in the store")
                    continue
                host_label = found
            props = ref.props if ref.props is not None else _NO_PROPS
            if not ref.host_label or ref.rel.on == "from":
                rels.append(Rel(ref.rel.name, host_label, ref.host_id, target_label, ref.target, props))
            else:
                rels.append(Rel(ref.rel.name, target_label, ref.target, host_label, ref.host_id, props))
        resets = self._resets()
        return rels, resets, created

    def _which(self, labels: tuple[str, ...], id_: str, exists: dict[str, set[str]]) -> str | None:
        if len(labels) == 1:
            return labels[0] if id_ in exists.get(labels[0], ()) else None
        for lab in labels:
            if id_ in exists.get(lab, ()):
                return lab
        return None

    def _resets(self) -> list[Reset]:
        """Inline relationships of nodes already in the store are replaced, not added to."""
        resets: list[Reset] = []
        for label, nodes in self.nodes.items():
            if not self.store.find(label, limit=1):  # none of this label yet (a first load): nothing to reset
                continue
            present = self.store.get(label, list(nodes))
            for rel in self.schema.inline(label):
                direction: Direction = "out" if rel.on == "from" else "in"
                resets.extend(Reset(rel.name, label, i, direction) for i in present)
        return resets


def read_folder(folder: Path, store: Store, *, classify: Classify | None = None,
                schema: Schema | None = None) -> tuple[GraphBatch, LoadSummary]:
    """Read and check every data file of ``folder``; raises :class:`LoadError` listing all problems.

    ``store`` is only read: ids the files reference may already be there (e.g. a grid loaded before).
    """
    schema = schema or load_schema()
    reader = _Reader(folder, store, schema)
    if not folder.is_dir():
        raise LoadError([Problem(str(folder), 0, "", str(folder), "an existing folder of CSV data files")])
    known = {lab.file for lab in schema.labels.values()} | {r.file for r in schema.file_relationships() if r.file}
    present = sorted(p.name for p in folder.glob("*.csv"))
    for name in present:
        if name not in known:
            reader.problem(name, 0, "", name, f"a known data file: {', '.join(sorted(known))}")
    if not any(name in known for name in present):
        reader.problem(str(folder), 0, "", str(folder), f"a folder holding data files such as {', '.join(sorted(known))}")
    return _checked(reader, schema, set(present), classify, str(folder))


def _checked(reader: _Reader, schema: Schema, present: set[str], classify: Classify | None,
             source: str) -> tuple[GraphBatch, LoadSummary]:
    """Read the ``present`` data files through ``reader``, check them all, and give the batch to write (or raise
    :class:`LoadError` with every problem): the one path of a folder and of a register's rows."""
    for lab in schema.labels.values():
        if lab.file in present:
            reader.read_nodes(lab)
    for rel in schema.file_relationships():
        if rel.file in present:
            reader.read_rels(rel)
    _check_unique(reader, schema)
    _check_shares(reader)
    classified = _classify_missing(reader, classify) if classify else 0
    rels, resets, created = reader.resolve()
    if reader.problems:
        raise LoadError(reader.problems)
    _name_keys(reader, rels, reader.store)
    nodes = [n for by_id in reader.nodes.values() for n in by_id.values()]
    return GraphBatch(nodes=nodes, rels=rels, resets=resets), LoadSummary(
        source, reader.rows, len(nodes), len(rels), classified, created)


def normalize_name(name: str, city: str = "") -> str:
    """A firm's name as compared for duplicates: NFKC (full-width brackets folded), no spaces, 有限责任公司 as
    有限公司, and the zone's city (漯河市, 漯河, （漯河）) dropped.

    >>> normalize_name("漯河市 利通液压科技有限责任公司", "漯河市") == normalize_name("利通液压科技有限公司", "漯河市")
    True
    >>> normalize_name("中粮（漯河）粮油工业有限公司", "漯河市")
    '中粮粮油工业有限公司'
    """
    text = "".join(unicodedata.normalize("NFKC", name).split())
    text = text.replace("有限责任公司", "有限公司")
    for c in sorted({city, city.removesuffix("市")} - {""}, key=len, reverse=True):
        text = text.replace(f"({c})", "")
        text = text.removeprefix(c)
    return text


def _name_keys(reader: _Reader, rels: list[Rel], store: Store) -> None:
    """Give every firm of the batch its ``name_key``: its name as compared for duplicates (:func:`normalize_name`
    with the city of its zone), an indexed property, so that a record is matched to the store by name with one
    index lookup instead of a pass over every firm."""
    firms = reader.nodes.get("Enterprise")
    if not firms:
        return
    zone_of = {r.src: r.dst for r in rels if r.type == "IN_ZONE" and r.src_label == "Enterprise" and r.src in firms}
    rest = [i for i in firms if i not in zone_of]  # firms updated without their zone column: the stored zone
    for i, edges in store.edges("Enterprise", rest, "IN_ZONE").items() if rest else ():
        if edges:
            zone_of[i] = edges[0].node.id
    zones = {z: n.props for z, n in reader.nodes.get("Zone", {}).items()}
    missing = sorted(set(zone_of.values()) - set(zones))
    zones.update({z: n.props for z, n in store.get("Zone", missing).items()} if missing else {})
    for id_, node in firms.items():
        city = str(zones.get(zone_of.get(id_, ""), {}).get("city") or "")
        firms[id_] = Node("Enterprise", id_, {**node.props, "name_key": normalize_name(str(node.props.get("name", "")),
                                                                                       city)})


def _check_unique(reader: _Reader, schema: Schema) -> None:
    for lab in schema.labels.values():
        for prop in lab.unique:
            seen: dict[Any, str] = {}
            for node in reader.nodes.get(lab.name, {}).values():
                value = node.props.get(prop)
                if value is None:
                    continue
                if value in seen:
                    line = reader.lines[(lab.name, node.id)]
                    reader.problem(lab.file, line, prop, str(value),
                                   f"unique: {lab.name} {seen[value]} already has it")
                else:
                    seen[value] = node.id


def _check_shares(reader: _Reader) -> None:
    """``product_shares`` gives one share per product, each a number from 0 to 1 or a percentage."""
    counts: dict[str, int] = defaultdict(int)
    for r in reader.refs:
        if r.rel.name == "PRODUCES" and r.host_label == "Enterprise":
            counts[r.host_id] += 1
    for id_, node in reader.nodes.get("Enterprise", {}).items():
        raw = node.props.get("product_shares")
        if not raw:
            continue
        line = reader.lines[("Enterprise", id_)]
        values = list(raw) if isinstance(raw, (list, tuple)) else [raw]
        if len(values) != counts[id_]:
            reader.problem("enterprises.csv", line, "product_shares", ";".join(map(str, values)),
                           f"one share per product, in the order of products ({counts[id_]} products, "
                           f"{len(values)} shares)")
            continue
        for v in values:
            text = str(v).strip()
            try:
                number = float(text.rstrip("%")) / (100.0 if text.endswith("%") else 1.0)
            except ValueError:
                number = -1.0
            if not 0 <= number <= 1:
                reader.problem("enterprises.csv", line, "product_shares", text,
                               "a share from 0 to 1 (0.55) or a percentage (55%)")
                break


def _classify_missing(reader: _Reader, classify: Classify) -> int:
    """Give firms without an industry code the code of their main business.

    Every ranked candidate of every product (confidence at least :data:`VOTE_MIN_CONFIDENCE`) votes for its 大类
    with the product's revenue share (``product_shares``; without shares, earlier products weigh more) times its
    confidence; the firm's name votes too, with :data:`NAME_VOTE_WEIGHT` (a name such as 某某证券 or 某某煤业 names
    the main business more often than a side product does). The winning 大类 must hold one confident candidate
    (:data:`chainmatch.matching.index.CLASSIFY_MIN_CONFIDENCE`), else the firm stays without a code (better none
    than a wrong one: the ranking still has its products' texts); its best-supported candidate gives the code.
    Without products the business scope, then the name, may give one.
    """
    from chainmatch.matching.index import CLASSIFY_MIN_CONFIDENCE, code_prefixes

    has_code = {r.host_id for r in reader.refs if r.rel.name == "IN_INDUSTRY" and r.host_label == "Enterprise"}
    products: dict[str, list[str]] = defaultdict(list)
    for r in reader.refs:
        if r.rel.name == "PRODUCES":
            products[r.host_id].append(r.target)
    rel = reader.schema.relationships["IN_INDUSTRY"]
    todo: list[tuple[str, Node, list[str], list[str]]] = []
    for id_, node in reader.nodes.get("Enterprise", {}).items():
        if id_ not in has_code:
            rest = [str(node.props.get("scope") or ""), str(node.props.get("name") or "")]
            todo.append((id_, node, products.get(id_, []), [t for t in rest if t]))
    distinct = sorted({t for _, _, ps, rest in todo for t in (*ps, *rest)})
    found = dict(zip(distinct, classify(distinct))) if distinct else {}
    done = 0
    for id_, node, ps, rest in todo:
        weighted = list(zip(ps, _shares(node.props.get("product_shares"), len(ps))))
        name = str(node.props.get("name") or "")
        if ps and name:
            weighted.append((name, NAME_VOTE_WEIGHT))
        votes: dict[str, float] = defaultdict(float)
        best: dict[str, tuple[float, str, Candidate]] = {}
        for text, share in weighted:
            for hit in found.get(text, []):
                if hit[1] < VOTE_MIN_CONFIDENCE or not code_prefixes(hit[0]):
                    continue
                major, weight = code_prefixes(hit[0])[0], share * hit[1]
                votes[major] += weight
                if hit[1] >= CLASSIFY_MIN_CONFIDENCE and weight > best.get(major, (-1.0, "", hit))[0]:
                    best[major] = (weight, text, hit)
        choice: tuple[str, Candidate] | None = None
        if votes:
            major = max(sorted(votes), key=votes.__getitem__)
            if major in best:
                choice = best[major][1], best[major][2]
        elif not ps:
            for text in rest:
                hits = found.get(text, [])
                if hits and hits[0][1] >= CLASSIFY_MIN_CONFIDENCE:
                    choice = text, hits[0]
                    break
        if choice is None:
            continue
        text, (code, confidence, basis) = choice
        props = dict(node.props, industry_confidence=round(confidence, 4), industry_basis=f"{text}: {basis}")
        reader.nodes["Enterprise"][id_] = Node("Enterprise", id_, props)
        line = reader.lines[("Enterprise", id_)]
        reader.refs.append(_Ref(rel, "Enterprise", id_, code, "enterprises.csv", line, "industry_codes"))
        done += 1
    return done


def _shares(raw: object, n: int) -> list[float]:
    """Revenue shares of a firm's ``n`` products as weights: the given ones (unknown or 0 count as a little),
    else 1, 1/2, 1/3 … by position (registers list the main product first)."""
    values: list[float] = []
    if isinstance(raw, (list, tuple)):
        for v in raw:
            try:
                values.append(float(str(v).rstrip("%")) / (100.0 if str(v).endswith("%") else 1.0))
            except ValueError:
                values.append(0.0)
    if len(values) != n:
        return [1.0 / (k + 1) for k in range(n)]
    return [max(v, 0.02) for v in values]


def install_industries(store: Store) -> int:
    """Write the GB/T 4754-2017 catalogue as Industry nodes (with SUBCLASS_OF); returns how many."""
    from chainmatch.knowledge.industries import load_industries

    nodes, rels = [], []
    for ind in load_industries():
        nodes.append(Node("Industry", ind.code, {"id": ind.code, "name": ind.name, "level": ind.level}))
        if ind.parent:
            rels.append(Rel("SUBCLASS_OF", "Industry", ind.code, "Industry", ind.parent))
    store.write(GraphBatch(nodes=nodes, rels=rels))
    return len(nodes)


def load_folder(store: Store, folder: Path, *, classify: Classify | None = None) -> LoadSummary:
    """Check ``folder`` and write it to ``store`` (``Store.write_bulk``); nothing is written on any problem found
    in the folder. One transaction on the embedded store; on Neo4j transactions of ``CHAINMATCH_NEO4J_TX_ROWS``
    rows, so a load Neo4j refuses midway may leave earlier ones in (the error says so): re-running it is safe."""
    if not store.counts().nodes.get("Industry"):
        install_industries(store)
    batch, summary = read_folder(folder, store, classify=classify)
    try:
        store.write_bulk(batch)
    except Conflict as e:
        problems = _store_clashes(batch, store)
        if not problems or "committed_rows" in e.details:  # earlier transactions are in: the message says so
            problems.append(Problem(str(folder), 0, "", "", str(e)))
        raise LoadError(problems) from e
    return summary


def _store_clashes(batch: GraphBatch, store: Store) -> list[Problem]:
    """Locate unique values the batch shares with other nodes already in the store (the slow path of a refused write)."""
    schema = load_schema()
    problems = []
    for lab in schema.labels.values():
        for prop in lab.unique:
            mine = {n.props[prop]: n.id for n in batch.nodes if n.label == lab.name and prop in n.props}
            if not mine:
                continue
            for other in store.scan(lab.name):
                value = other.props.get(prop)
                if value in mine and mine[value] != other.id:
                    problems.append(Problem(lab.file, 0, prop, str(value),
                                            f"unique: {lab.name} {other.id} in the store already has it"))
    return problems


def load_demo_once(store: Store, demo_dir: Path, marker: Path | None, *,
                   classify: Classify | None = None) -> tuple[LoadSummary | None, str]:
    """Load the demo folder into a store that never held firms; returns (what was loaded or None, why).

    A store file that was removed while the service ran comes back empty at the next start; loading the demo then
    would hide that the data is gone. ``marker`` (a file beside the embedded store's file; None for Neo4j) is
    written once the store holds firms, so an empty store with a marker beside it is said to have lost its data
    and is left empty.
    """
    if store.counts().nodes.get("Enterprise"):
        if marker is not None and not marker.exists():
            _write_marker(marker)
        return None, "the store already holds data"
    if marker is not None and marker.exists():
        return None, (
            f"the store is empty, but {marker} says it held data before (its database file was removed or "
            "replaced?): the demo data is not loaded. Restore the database file from a backup, or delete "
            f"{marker} to start afresh with the demo.")
    summary = load_folder(store, demo_dir, classify=classify)
    if marker is not None:
        _write_marker(marker)
    return summary, "the store was new"


def _write_marker(marker: Path) -> None:
    with contextlib.suppress(OSError):  # a read-only folder: the check is then skipped, nothing else changes
        marker.write_text("chainmatch: this store held data; delete this file only to load the demo into an "
                          "empty store again.\n", encoding="utf-8")


class _RowsReader(_Reader):
    """Rows already read from elsewhere (a register's sheets), checked exactly like a data folder's files."""

    def __init__(self, tables: Mapping[str, Sequence[tuple[int, Mapping[str, str]]]], store: Store,
                 schema: Schema) -> None:
        super().__init__(Path("."), store, schema)
        self.tables = tables

    def _open(self, name: str, allowed: list[str], required: list[str]) -> Iterable[tuple[int, dict[str, str]]]:
        for line, row in self.tables.get(name, ()):
            for col in row:
                if col not in allowed:
                    self.problem(name, line, col, col, f"a known column; the columns of {name} are {', '.join(allowed)}")
            cells = {}
            for k, v in row.items():
                if k not in allowed:
                    continue
                found = _HAS_CONTROL(v)
                if found:  # as the data folder's lines are checked: located, then left out of the value
                    i, c = found.start(), found.group()
                    self.problem(name, line, k, f"U+{ord(c):04X} at character {i + 1} of the cell",
                                 "text without control characters (NUL and the like are not allowed in a cell)")
                    v = "".join(c for c in v if c not in _CONTROLS)
                cells[k] = v.strip()
            yield line, cells

    def _existing(self, label: str, ids: set[str]) -> set[str]:
        found = super()._existing(label, ids)
        if label == "Industry" and found != ids:
            # A dry run on a new store: the catalogue the write would install first.
            from chainmatch.knowledge.industries import load_industries

            catalogue = load_industries()
            found |= {i for i in ids if i in catalogue}
        return found


def read_rows(tables: Mapping[str, Sequence[tuple[int, Mapping[str, str]]]], store: Store, *,
              classify: Classify | None = None, source: str = "", schema: Schema | None = None,
              ) -> tuple[GraphBatch, LoadSummary]:
    """Check rows given as (line, {column: cell}) per data-file name, as :func:`read_folder` checks files.

    The columns are those of the data folder format; ``line`` is whatever locates the row for the caller
    (problems carry it back). Raises :class:`LoadError` listing every problem; ``store`` is only read.
    """
    schema = schema or load_schema()
    reader = _RowsReader(tables, store, schema)
    known = {lab.file for lab in schema.labels.values()} | {r.file for r in schema.file_relationships() if r.file}
    for name in tables:
        if name not in known:
            reader.problem(name, 0, "", name, f"a known data file: {', '.join(sorted(known))}")
    return _checked(reader, schema, set(tables), classify, source)


def write_batch(store: Store, batch: GraphBatch, source: str) -> None:
    """Write a checked batch in one transaction; a unique value another node holds is a located LoadError."""
    if not store.find("Industry", limit=1):  # one index seek (counting every node costs 0.4 s at 100,000 firms)
        install_industries(store)
    try:
        store.write(batch)
    except Conflict as e:
        raise LoadError(_store_clashes(batch, store) or [Problem(source, 0, "", "", str(e))]) from e
