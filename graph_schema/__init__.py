"""The chainmatch graph schema: labels, relationship types and enums read from ``schema.toml``.

Both stores and the data loader take every label, type and property name from here, so a name
that is not declared cannot reach a database. ``neo4j_ddl()`` turns the declaration into the
idempotent Neo4j statements that create its constraints and indexes.

>>> schema = load_schema()
>>> schema.labels["Enterprise"].key
'id'
>>> schema.relationships["IN_GRID"].from_labels, schema.relationships["IN_GRID"].to_labels
(('Enterprise',), ('Grid',))
>>> schema.enums["grid_kind"]["exclusive"]
'专属网格'
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from chainmatch.errors import SchemaError

__all__ = ["SCALAR_TYPES", "Label", "Property", "RelType", "Schema", "load_schema", "neo4j_ddl", "parse_schema"]

SCALAR_TYPES = frozenset({"str", "text", "int", "float", "bool", "date", "datetime", "list", "uscc"})
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Property:
    """A declared property: ``type`` is a scalar type or ``enum:NAME`` (then ``enum`` is NAME)."""

    name: str
    type: str
    required: bool = False
    title: str = ""
    enum: str | None = None


@dataclass(frozen=True)
class Label:
    name: str
    title: str
    file: str
    key: str
    properties: Mapping[str, Property]
    unique: tuple[str, ...] = ()
    indexed: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelType:
    """A relationship type; ``column`` set means it is written inline in a node file."""

    name: str
    title: str
    from_labels: tuple[str, ...]
    to_labels: tuple[str, ...]
    properties: Mapping[str, Property]
    column: str | None = None
    on: str = "from"
    many: bool = False
    file: str | None = None
    create_missing: bool = False

    @property
    def host_labels(self) -> tuple[str, ...]:
        """The labels whose files carry this relationship's column."""
        return self.from_labels if self.on == "from" else self.to_labels

    @property
    def target_labels(self) -> tuple[str, ...]:
        """The labels the column's ids point at."""
        return self.to_labels if self.on == "from" else self.from_labels


@dataclass(frozen=True)
class Schema:
    labels: Mapping[str, Label]
    relationships: Mapping[str, RelType]
    enums: Mapping[str, Mapping[str, str]]
    _by_file: Mapping[str, str] = field(default_factory=dict, repr=False)

    def label(self, name: str) -> Label:
        try:
            return self.labels[name]
        except KeyError:
            raise SchemaError(
                f"Label '{name}' is not declared in graph_schema/schema.toml. "
                f"Declared labels: {', '.join(sorted(self.labels))}."
            ) from None

    def relationship(self, name: str) -> RelType:
        try:
            return self.relationships[name]
        except KeyError:
            raise SchemaError(
                f"Relationship type '{name}' is not declared in graph_schema/schema.toml. "
                f"Declared types: {', '.join(sorted(self.relationships))}."
            ) from None

    def inline(self, label: str) -> list[RelType]:
        """Relationship types written as columns of ``label``'s file, in declaration order."""
        return [r for r in self.relationships.values() if r.column and label in r.host_labels]

    def file_relationships(self) -> list[RelType]:
        return [r for r in self.relationships.values() if r.file]


def _as_tuple(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _properties(owner: str, raw: Mapping[str, Any], enums: Mapping[str, Any]) -> dict[str, Property]:
    props: dict[str, Property] = {}
    for name, spec in raw.items():
        if not _NAME.match(name):
            raise SchemaError(f"{owner}: property name '{name}' must be ASCII letters, digits and '_'.")
        ptype = spec.get("type", "str")
        enum = None
        if ptype.startswith("enum:"):
            enum = ptype[5:]
            if enum not in enums:
                raise SchemaError(f"{owner}.{name}: enum '{enum}' is not declared under [enums].")
        elif ptype not in SCALAR_TYPES:
            raise SchemaError(
                f"{owner}.{name}: type '{ptype}' is unknown; use one of {', '.join(sorted(SCALAR_TYPES))} "
                "or enum:NAME."
            )
        props[name] = Property(name, ptype, bool(spec.get("required", False)), spec.get("title", ""), enum)
    return props


def parse_schema(doc: Mapping[str, Any]) -> Schema:
    """Build and check a :class:`Schema` from a parsed TOML document.

    >>> s = parse_schema({"labels": {"A": {"title": "甲", "file": "a.csv", "key": "id",
    ...     "properties": {"id": {"type": "str", "required": True}}}}})
    >>> s.labels["A"].properties["id"].required
    True
    >>> parse_schema({"labels": {"A": {"file": "a.csv", "key": "nope", "properties": {}}}})
    Traceback (most recent call last):
    ...
    chainmatch.errors.SchemaError: Label 'A': key 'nope' is not one of its properties.
    """
    enums = {str(k): {str(c): str(t) for c, t in v.items()} for k, v in doc.get("enums", {}).items()}
    labels: dict[str, Label] = {}
    for name, spec in doc.get("labels", {}).items():
        if not _NAME.match(name):
            raise SchemaError(f"Label name '{name}' must be ASCII letters, digits and '_'.")
        props = _properties(f"Label '{name}'", spec.get("properties", {}), enums)
        key = spec.get("key", "id")
        if key not in props:
            raise SchemaError(f"Label '{name}': key '{key}' is not one of its properties.")
        for p in [*spec.get("unique", []), *spec.get("indexed", [])]:
            if p not in props:
                raise SchemaError(f"Label '{name}': unique/indexed property '{p}' is not declared.")
        labels[name] = Label(
            name, spec.get("title", name), spec["file"], key, props,
            tuple(spec.get("unique", [])), tuple(spec.get("indexed", [])),
        )
    rels: dict[str, RelType] = {}
    for name, spec in doc.get("relationships", {}).items():
        if not _NAME.match(name):
            raise SchemaError(f"Relationship type '{name}' must be ASCII letters, digits and '_'.")
        frm, to = _as_tuple(spec["from"]), _as_tuple(spec["to"])
        for lab in (*frm, *to):
            if lab not in labels:
                raise SchemaError(f"Relationship '{name}': end label '{lab}' is not declared.")
        column, file = spec.get("column"), spec.get("file")
        if bool(column) == bool(file):
            raise SchemaError(f"Relationship '{name}': declare exactly one of 'column' or 'file'.")
        on = spec.get("on", "from")
        if on not in ("from", "to"):
            raise SchemaError(f"Relationship '{name}': 'on' must be \"from\" or \"to\", not '{on}'.")
        rels[name] = RelType(
            name, spec.get("title", name), frm, to,
            _properties(f"Relationship '{name}'", spec.get("properties", {}), enums),
            column, on, bool(spec.get("many", False)), file, bool(spec.get("create_missing", False)),
        )
    by_file: dict[str, str] = {}
    for declared in labels.values():
        if declared.file in by_file:
            raise SchemaError(
                f"File '{declared.file}' is declared for both {by_file[declared.file]} and {declared.name}."
            )
        by_file[declared.file] = declared.name
    for rel in rels.values():
        if rel.file:
            if rel.file in by_file:
                raise SchemaError(f"File '{rel.file}' is declared for both {by_file[rel.file]} and {rel.name}.")
            by_file[rel.file] = rel.name
    return Schema(labels, rels, enums, by_file)


@cache
def load_schema() -> Schema:
    """The schema shipped in ``graph_schema/schema.toml`` (read once)."""
    text = resources.files(__package__).joinpath("schema.toml").read_text(encoding="utf-8")
    return parse_schema(tomllib.loads(text))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def neo4j_ddl(schema: Schema) -> list[str]:
    """Idempotent Neo4j 5 statements creating every constraint and index the schema declares.

    >>> ddl = neo4j_ddl(load_schema())
    >>> ddl[0]
    'CREATE CONSTRAINT zone_id_unique IF NOT EXISTS FOR (n:Zone) REQUIRE n.id IS UNIQUE'
    >>> any("FOR (n:Enterprise) ON (n.name)" in s for s in ddl)
    True
    """
    out: list[str] = []
    for lab in schema.labels.values():
        base = _snake(lab.name)
        for prop in (lab.key, *lab.unique):
            out.append(
                f"CREATE CONSTRAINT {base}_{prop}_unique IF NOT EXISTS "
                f"FOR (n:{lab.name}) REQUIRE n.{prop} IS UNIQUE"
            )
        for prop in lab.indexed:
            out.append(f"CREATE INDEX {base}_{prop} IF NOT EXISTS FOR (n:{lab.name}) ON (n.{prop})")
    return out
