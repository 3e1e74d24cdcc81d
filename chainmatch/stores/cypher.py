"""All of chainmatch's Cypher: named statements with the parameters they take, built from ``graph_schema``.

Cypher 5 cannot take a label or a relationship type as a parameter, so there is one statement per
label, per relationship type and per (type, end labels) the schema declares. Those names are
identifiers checked by ``graph_schema`` (``[A-Za-z][A-Za-z0-9_]*``), never caller input; every value
travels as a ``$parameter``. The statements run on Neo4j 5 (their judge is Neo4j's own Cypher
front-end, see ``tests/test_cypher_lint.py``) and on a real Neo4j 5.26 (``tests/neo4j_server.py``).

>>> s = statements()
>>> s["merge_nodes:Zone"].text
'UNWIND $rows AS row MERGE (n:Zone {id: row.id}) SET n = row'
>>> sorted(s["edges_out:Enterprise:SUPPLIES"].params)
['ids', 'limit']
>>> statement("merge_nodes:Nope")
Traceback (most recent call last):
...
chainmatch.errors.SchemaError: No Cypher statement 'merge_nodes:Nope': its label or relationship type is not declared in graph_schema/schema.toml.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

from chainmatch.errors import SchemaError
from graph_schema import Label, Schema, load_schema, neo4j_ddl

__all__ = [
    "COUNT_NODES",
    "COUNT_RELS",
    "DELETE_ALL",
    "JOURNAL_APPEND",
    "JOURNAL_LABELS",
    "JOURNAL_PROPERTIES",
    "JOURNAL_PRUNE",
    "JOURNAL_READ",
    "PING",
    "TEXT_FIELDS",
    "Statement",
    "statement",
    "statements",
]

TEXT_FIELDS = ("name", "short_name", "aliases", "title")
"""Properties ``find(text=...)`` searches besides the id (when the label declares them)."""

PING = "ping"
COUNT_NODES = "count_nodes"
COUNT_RELS = "count_rels"
DELETE_ALL = "delete_all"
JOURNAL_APPEND = "journal_append"
JOURNAL_PRUNE = "journal_prune"
JOURNAL_READ = "journal_read"
JOURNAL_LABELS = ("JournalEntry", "JournalHead")
"""The journal's labels: the store's own bookkeeping, not data labels of graph_schema."""
JOURNAL_PROPERTIES = ("id", "seq", "touched")

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Statement:
    """One Cypher statement: its ``name``, its ``text`` and the ``params`` it must be sent.

    ``kind`` says how it may run: ``read`` and ``write`` in managed transactions, ``schema``
    (constraints and indexes) on its own, since Neo4j refuses schema and data changes in one transaction.
    """

    name: str
    text: str
    params: frozenset[str]
    kind: Literal["read", "write", "schema"] = "read"

    def __post_init__(self) -> None:
        used = frozenset(_PARAM.findall(self.text))
        if used != self.params:
            raise SchemaError(
                f"Cypher statement '{self.name}' uses parameters {sorted(used)} but declares {sorted(self.params)}."
            )


def _s(name: str, text: str, kind: Literal["read", "write", "schema"] = "read") -> Statement:
    return Statement(name, text, frozenset(_PARAM.findall(text)), kind)


def _text_filter(lab: Label) -> str:
    """``$text`` contained (case-insensitively) in the id or in a text property ``lab`` declares."""
    tests = ["toLower(n.id) CONTAINS $text"]
    for f in TEXT_FIELDS:
        prop = lab.properties.get(f)
        if prop is None or f == lab.key:
            continue
        if prop.type == "list":
            tests.append(f"any(a IN coalesce(n.{f}, []) WHERE toLower(a) CONTAINS $text)")
        else:
            tests.append(f"toLower(n.{f}) CONTAINS $text")
    return "($text IS NULL OR " + " OR ".join(tests) + ")"


def _label_statements(lab: Label) -> Iterator[Statement]:
    L = lab.name
    # Each row is the node's whole property map, key included: one map per node to pack and send.
    yield _s(f"merge_nodes:{L}", f"UNWIND $rows AS row MERGE (n:{L} {{id: row.id}}) SET n = row", "write")
    # Writing a node takes its write lock until the transaction ends; what is read after that is the committed
    # state, and a concurrent writer of the node waits (the check of GraphBatch.expects).
    yield _s(f"lock_node:{L}", f"MATCH (n:{L} {{id: $id}}) SET n.id = n.id RETURN properties(n) AS props", "write")
    yield _s(
        f"delete_nodes:{L}",
        f"UNWIND $ids AS id MATCH (n:{L} {{id: id}}) DETACH DELETE n RETURN count(*) AS deleted",
        "write",
    )
    yield _s(
        f"get_nodes:{L}",
        f"UNWIND $ids AS id MATCH (n:{L} {{id: id}}) RETURN n.id AS id, properties(n) AS props",
    )
    yield _s(
        f"find_nodes:{L}",
        f"MATCH (n:{L}) WHERE {_text_filter(lab)} AND all(k IN keys($where) WHERE n[k] = $where[k]) "
        "RETURN n.id AS id, properties(n) AS props ORDER BY n.id SKIP $skip LIMIT $limit",
    )
    for prop in dict.fromkeys((*lab.unique, *lab.indexed)):  # an index seek on one property (a firm by its normalised name)
        yield _s(f"find_by:{L}:{prop}",
                 f"MATCH (n:{L}) WHERE n.{prop} = $value RETURN n.id AS id, properties(n) AS props "
                 "ORDER BY n.id SKIP $skip LIMIT $limit")
    # Keyset pages for bulk reads (the match index): the next $limit nodes after $after in key order (a range
    # seek on the key's unique index gives the order), as ONE record holding a list of [id, props]: a record per
    # node costs the driver far more than the values it carries.
    yield _s(
        f"scan_nodes:{L}",
        f"MATCH (n:{L}) WHERE n.id > $after WITH n ORDER BY n.id LIMIT $limit "
        "RETURN collect([n.id, properties(n)]) AS rows",
    )


def _rel_statements(schema: Schema) -> Iterator[Statement]:
    for rel in schema.relationships.values():
        T = rel.name
        for src in rel.from_labels:
            for dst in rel.to_labels:
                yield _s(
                    f"merge_rels:{T}:{src}:{dst}",
                    f"UNWIND $rows AS row MATCH (a:{src} {{id: row.src}}) MATCH (b:{dst} {{id: row.dst}}) "
                    f"MERGE (a)-[r:{T}]->(b) SET r = row.props",
                    "write",
                )
            yield _s(
                f"reset_out:{T}:{src}",
                f"UNWIND $ids AS id MATCH (:{src} {{id: id}})-[r:{T}]->() DELETE r",
                "write",
            )
            yield _s(
                f"edges_out:{src}:{T}",
                f"UNWIND $ids AS id MATCH (n:{src} {{id: id}}) "
                f"CALL (n) {{ MATCH (n)-[r:{T}]->(m) RETURN r, m ORDER BY m.id LIMIT $limit }} "
                "RETURN n.id AS id, properties(r) AS rel, labels(m) AS far_labels, m.id AS far_id, "
                "properties(m) AS far",
            )
            # Keyset pages of source nodes, as one record: how many sources the page had, the last one's key
            # (where the next page starts) and a list of [source key, far key, relationship properties] (plus
            # the far node's labels when the type may end at several labels), in (source, far) key order.
            far_labels = ", labels(b)" if len(rel.to_labels) > 1 else ""
            yield _s(
                f"scan_rels:{T}:{src}",
                f"MATCH (a:{src}) WHERE a.id > $after WITH a ORDER BY a.id LIMIT $limit WITH collect(a) AS page "
                f"CALL (page) {{ UNWIND page AS a MATCH (a)-[r:{T}]->(b) WITH a, r, b ORDER BY a.id, b.id "
                f"RETURN collect([a.id, b.id, properties(r){far_labels}]) AS rows }} "
                "RETURN size(page) AS sources, page[-1].id AS last, rows",
            )
        for dst in rel.to_labels:
            yield _s(
                f"reset_in:{T}:{dst}",
                f"UNWIND $ids AS id MATCH (:{dst} {{id: id}})<-[r:{T}]-() DELETE r",
                "write",
            )
            yield _s(
                f"edges_in:{dst}:{T}",
                f"UNWIND $ids AS id MATCH (n:{dst} {{id: id}}) "
                f"CALL (n) {{ MATCH (n)<-[r:{T}]-(m) RETURN r, m ORDER BY m.id LIMIT $limit }} "
                "RETURN n.id AS id, properties(r) AS rel, labels(m) AS far_labels, m.id AS far_id, "
                "properties(m) AS far",
            )


def _counts(schema: Schema) -> Iterator[Statement]:
    # One round trip each; in Neo4j every branch is answered from the count store.
    yield _s(COUNT_NODES, " UNION ALL ".join(
        f"MATCH (n:{L}) RETURN '{L}' AS name, count(n) AS count" for L in schema.labels
    ))
    yield _s(COUNT_RELS, " UNION ALL ".join(
        f"MATCH ()-[r:{T}]->() RETURN '{T}' AS name, count(r) AS count" for T in schema.relationships
    ))


def _journal() -> Iterator[Statement]:
    """The write journal (Store.changes): one JournalEntry node per write, numbered by the JournalHead node that
    the writing transaction increments (and so locks: entries are numbered one by one, in commit order). Its
    labels are not data labels of graph_schema: counts, scans and exports never see them. ``touched`` is a flat
    list label, id, via, label, id, via …"""
    yield _s(JOURNAL_APPEND,
             "MERGE (h:JournalHead {id: 'journal'}) ON CREATE SET h.seq = 0 SET h.seq = h.seq + 1 "
             "CREATE (:JournalEntry {seq: h.seq, touched: $touched}) RETURN h.seq AS seq", "write")
    yield _s(JOURNAL_PRUNE,
             "MATCH (e:JournalEntry) WHERE e.seq <= $upto WITH e LIMIT 10000 DELETE e RETURN count(*) AS deleted",
             "write")
    yield _s(JOURNAL_READ,
             "OPTIONAL MATCH (h:JournalHead {id: 'journal'}) "
             "CALL () { MATCH (e:JournalEntry) WHERE e.seq > $since WITH e ORDER BY e.seq "
             "RETURN collect([e.seq, e.touched]) AS entries } "
             "RETURN coalesce(h.seq, 0) AS latest, entries")
    yield Statement("schema:journal_entry_seq", "CREATE CONSTRAINT journal_entry_seq IF NOT EXISTS "
                    "FOR (e:JournalEntry) REQUIRE e.seq IS UNIQUE", frozenset(), "schema")
    yield Statement("schema:journal_head_id", "CREATE CONSTRAINT journal_head_id IF NOT EXISTS "
                    "FOR (h:JournalHead) REQUIRE h.id IS UNIQUE", frozenset(), "schema")


def _build(schema: Schema) -> dict[str, Statement]:
    out: dict[str, Statement] = {}

    def add(st: Statement) -> None:
        if st.name in out:
            raise SchemaError(f"Two Cypher statements are named '{st.name}'.")
        out[st.name] = st

    add(_s(PING, "RETURN 1 AS ok"))
    # Deletes in bounded transactions; only for emptying a dedicated database (tests, migrate --replace).
    # The journal's head stays, so that its numbers never start again (a reader's position stays meaningful).
    add(_s(DELETE_ALL, "MATCH (n) WHERE NOT n:JournalHead WITH n LIMIT $limit DETACH DELETE n "
           "RETURN count(*) AS deleted", "write"))
    for st in _counts(schema):
        add(st)
    for st in _journal():
        add(st)
    for lab in schema.labels.values():
        for st in _label_statements(lab):
            add(st)
    for st in _rel_statements(schema):
        add(st)
    for ddl in neo4j_ddl(schema):
        name = ddl.split()[2]  # CREATE CONSTRAINT|INDEX <name> IF NOT EXISTS ...
        add(Statement(f"schema:{name}", ddl, frozenset(), "schema"))
    return out


@cache
def _default() -> Mapping[str, Statement]:
    return _build(load_schema())


def statements(schema: Schema | None = None) -> Mapping[str, Statement]:
    """Every statement chainmatch runs, by name (built once for the shipped schema)."""
    if schema is None or schema is load_schema():
        return _default()
    return _build(schema)


def statement(name: str, schema: Schema | None = None) -> Statement:
    """The statement called ``name``; a :class:`SchemaError` names what is undeclared."""
    try:
        return statements(schema)[name]
    except KeyError:
        raise SchemaError(
            f"No Cypher statement '{name}': its label or relationship type is not declared in "
            "graph_schema/schema.toml."
        ) from None
