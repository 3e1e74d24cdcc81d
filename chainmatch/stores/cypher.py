"""All of chainmatch's Cypher: named statements with the parameters they take, built from ``graph_schema``.

Cypher 5 cannot take a label or a relationship type as a parameter, so there is one statement per
label, per relationship type and per (type, end labels) the schema declares. Those names are
identifiers checked by ``graph_schema`` (``[A-Za-z][A-Za-z0-9_]*``), never caller input; every value
travels as a ``$parameter``. The statements run on Neo4j 5 (their judge is Neo4j's own Cypher
front-end, see ``tests/test_cypher_lint.py``) and on a real Neo4j 5.26 (``tests/neo4j_server.py``).

>>> s = statements()
>>> s["merge_nodes:Zone"].text
'UNWIND $rows AS row MERGE (n:Zone {id: row.id}) ON CREATE SET n = row ON MATCH SET n = row'
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
    "DELETE_RELATIONSHIPS",
    "GRID_COVERAGE",
    "INDEXES_NOT_ONLINE",
    "JOURNAL_APPEND",
    "JOURNAL_LABELS",
    "JOURNAL_PROPERTIES",
    "JOURNAL_PRUNE",
    "JOURNAL_READ",
    "OVERDUE_PROBLEMS",
    "PING",
    "TALLY_PROBLEMS",
    "TEXT_FIELDS",
    "Statement",
    "edges_many",
    "statement",
    "statements",
]

TEXT_FIELDS = ("name", "short_name", "aliases", "title")
"""Properties ``find(text=...)`` searches besides the id (when the label declares them)."""

PING = "ping"
COUNT_NODES = "count_nodes"
COUNT_RELS = "count_rels"
DELETE_ALL = "delete_all"
DELETE_RELATIONSHIPS = "delete_relationships"
INDEXES_NOT_ONLINE = "indexes_not_online"
TALLY_PROBLEMS = "tally_problems"
GRID_COVERAGE = "grid_coverage"
OVERDUE_PROBLEMS = "overdue_problems"
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
    # Each row is the node's whole property map, key included: one map per node to pack and send. The SET is
    # written as ON CREATE / ON MATCH (the same replace of every property): a plain `SET n = row` after the MERGE
    # makes Neo4j plan an Eager (the map may write the key the next row's MERGE reads), which holds every row of
    # the chunk before the first SET; this form streams (tests/test_neo4j_guarantees.py holds it).
    yield _s(
        f"merge_nodes:{L}",
        f"UNWIND $rows AS row MERGE (n:{L} {{id: row.id}}) ON CREATE SET n = row ON MATCH SET n = row",
        "write",
    )
    # Writing a node takes its write lock until the transaction ends; what is read after that is the committed
    # state, and a concurrent writer of the node waits (the check of GraphBatch.expects).
    # Many at once (a sweep's expectations): one round trip per label, the locks taken in id order.
    yield _s(f"lock_nodes:{L}", f"UNWIND $ids AS id MATCH (n:{L} {{id: id}}) SET n.id = n.id "
             "RETURN n.id AS id, properties(n) AS props", "write")
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


def _problem_statements() -> Iterator[Statement]:
    """The assessment's sums (``chainmatch.stores.base.PROBLEM_TALLY_COLUMNS``) per copy of grid and departments
    kept on the Problem nodes, a problem without them grouped on its own id; and the sweep's open problems with
    those past their due date. Each answers as one record holding a list."""
    closed = "p.status IN ['closed', 'evaluated']"
    one = "CASE WHEN {} THEN 1 ELSE 0 END".format
    yield _s(TALLY_PROBLEMS, (
        "MATCH (p:Problem) WHERE p.raised_on >= $first AND p.raised_on <= $last "
        "WITH p, coalesce(p.reopened, 0) AS reopened, coalesce(p.escalations, 0) AS escalations, "
        "CASE WHEN p.departments IS NULL OR p.grid IS NULL OR p.grid = '' THEN p.id END AS loose, "
        "CASE WHEN p.grid = '' THEN null ELSE p.grid END AS grid "
        "WITH loose, grid, p.departments AS departments, count(*) AS received, "
        f"sum({one(closed)}) AS closed, sum({one(closed + ' AND coalesce(p.on_time, false)')}) AS on_time, "
        f"sum({one('p.status IN $open')}) AS open, "
        f"sum({one('p.status IN $open AND p.due_on IS NOT NULL AND p.due_on <> $empty AND p.due_on < $today')}) "
        f"AS overdue, sum(reopened + {one(closed)}) AS owed, sum(reopened + {one('p.status = $evaluated')}) AS given, "
        f"sum({one('p.status = $evaluated AND p.evaluation = $satisfied')}) AS satisfied, "
        f"sum(reopened) AS unsatisfied, sum({one('escalations > 0')}) AS escalated, sum(escalations) AS raised, "
        f"sum(CASE WHEN {closed} AND p.closed_on IS NOT NULL AND p.raised_on IS NOT NULL "
        "THEN duration.inDays(date(p.raised_on), date(p.closed_on)).days ELSE 0 END) AS days "
        "RETURN collect([loose, grid, departments, received, closed, on_time, open, overdue, owed, given, satisfied, "
        "unsatisfied, escalated, raised, days]) AS rows"))
    yield _s(OVERDUE_PROBLEMS, (
        "MATCH (p:Problem) WHERE p.status IN $open "
        "RETURN count(p) AS checked, collect(CASE WHEN p.due_on IS NOT NULL AND p.due_on <> $empty "
        "AND p.due_on < $day THEN [p.id, properties(p)] END) AS late"))
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
    # Indexes still being built (POPULATING) or broken (FAILED): after an offline import, or once the schema is
    # applied to data already there, Neo4j builds them in the background (Store.await_indexes waits for them).
    add(_s(INDEXES_NOT_ONLINE, "SHOW INDEXES YIELD name, state, populationPercent WHERE state <> 'ONLINE' "
           "RETURN name, state, populationPercent ORDER BY name"))
    # Deletes in bounded transactions; only for emptying a dedicated database (tests, migrate --replace).
    # The journal's head stays, so that its numbers never start again (a reader's position stays meaningful).
    # Relationships first, a bounded number at a time: a node with 100,000 relationships (a zone) detached in one
    # transaction would exceed Neo4j's transaction memory.
    add(_s(DELETE_RELATIONSHIPS, "MATCH ()-[r]->() WITH r LIMIT $limit DELETE r RETURN count(*) AS deleted",
           "write"))
    add(_s(DELETE_ALL, "MATCH (n) WHERE NOT n:JournalHead WITH n LIMIT $limit DETACH DELETE n "
           "RETURN count(*) AS deleted", "write"))
    for st in _counts(schema):
        add(st)
    if "Problem" in schema.labels:
        for st in _problem_statements():
            add(st)
    if {"Grid", "Zone"} <= set(schema.labels) and {"IN_ZONE", "COVERS", "CHIEF_OF"} <= set(schema.relationships):
        add(_s(GRID_COVERAGE, (
            "MATCH (g:Grid)-[:IN_ZONE]->(:Zone {id: $zone}) WHERE $kind IS NULL OR g.kind = $kind "
            "RETURN count(g) AS grids, count(CASE WHEN EXISTS { ()-[:COVERS]->(g) } THEN 1 END) AS covered, "
            "count(CASE WHEN EXISTS { ()-[:CHIEF_OF]->(g) } THEN 1 END) AS chiefs")))
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


def edges_many(label: str, wants: tuple[tuple[str, str], ...], schema: Schema | None = None) -> Statement:
    """One statement reading several (relationship type, direction) pairs of the nodes ``$ids`` of ``label``: a
    branch per pair in one subquery (``UNION ALL``), each branch ordered by the far node's key and limited like
    ``edges_out`` / ``edges_in``; column ``k`` says which pair (its place in ``wants``) a row belongs to.

    Built from names ``graph_schema`` declares (a pair not declared at ``label`` is a :class:`SchemaError`), so a
    caller's text never reaches the statement; made once per (label, pairs).

    >>> print(edges_many("Grid", (("PART_OF", "out"), ("CHIEF_OF", "in"))).text)  # doctest: +NORMALIZE_WHITESPACE
    UNWIND $ids AS id MATCH (n:Grid {id: id}) CALL (n) {
    MATCH (n)-[r:PART_OF]->(m) WITH r, m ORDER BY m.id LIMIT $limit RETURN 0 AS k, r, m
    UNION ALL MATCH (n)<-[r:CHIEF_OF]-(m) WITH r, m ORDER BY m.id LIMIT $limit RETURN 1 AS k, r, m }
    RETURN n.id AS id, k, properties(r) AS rel, labels(m) AS far_labels, m.id AS far_id, properties(m) AS far
    """
    schema = schema or load_schema()
    key = (id(schema), label, wants)
    made = _MANY.get(key)
    if made is None or made[0] is not schema:
        made = _MANY[key] = (schema, _edges_many(label, wants, schema))
    return made[1]


_MANY: dict[tuple[int, str, tuple[tuple[str, str], ...]], tuple[Schema, Statement]] = {}


def _edges_many(label: str, wants: tuple[tuple[str, str], ...], schema: Schema) -> Statement:
    known = statements(schema)
    branches = []
    for k, (rel_type, direction) in enumerate(wants):
        rel = schema.relationship(rel_type)
        if f"edges_{direction}:{label}:{rel.name}" not in known:  # also refuses a direction other than out / in
            raise SchemaError(f"No relationship {rel_type} ({direction}) at {label} in graph_schema/schema.toml.")
        pattern = f"(n)-[r:{rel.name}]->(m)" if direction == "out" else f"(n)<-[r:{rel.name}]-(m)"
        branches.append(f"MATCH {pattern} WITH r, m ORDER BY m.id LIMIT $limit RETURN {k} AS k, r, m")
    if not branches:
        raise SchemaError("edges_many needs at least one relationship.")
    return _s(
        f"edges_many:{label}:" + ",".join(f"{t}.{d}" for t, d in wants),
        f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) CALL (n) {{ " + " UNION ALL ".join(branches) + " } "
        "RETURN n.id AS id, k, properties(r) AS rel, labels(m) AS far_labels, m.id AS far_id, properties(m) AS far",
    )


def statement(name: str, schema: Schema | None = None) -> Statement:
    """The statement called ``name``; a :class:`SchemaError` names what is undeclared."""
    try:
        return statements(schema)[name]
    except KeyError:
        raise SchemaError(
            f"No Cypher statement '{name}': its label or relationship type is not declared in "
            "graph_schema/schema.toml."
        ) from None
