"""What only a real Neo4j vouches for (tier 3): its constraints, its query plans, its deadlock detection, its
element ids. Runs on the session's Neo4j (tests/conftest.py); a second driver of the test's own probes the
server directly, with statements built from ``graph_schema``'s declared names only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import neo4j
import pytest
from neo4j import exceptions as nx

from chainmatch.stores import neo4j as neo4j_store
from chainmatch.stores.base import GraphBatch, Node, Rel
from chainmatch.stores.cypher import Statement, statements
from chainmatch.stores.neo4j import Neo4jStore
from graph_schema import load_schema

# The statements a request or a load runs many times: each must start from the key's unique index.
HOT = ("get_nodes", "lock_node", "merge_nodes", "delete_nodes", "merge_rels", "reset_out", "reset_in",
       "edges_out", "edges_in", "scan_nodes", "scan_rels")
SCANS = ("AllNodesScan", "NodeByLabelScan", "NodeIndexScan", "DirectedRelationshipTypeScan",
         "UndirectedRelationshipTypeScan", "DirectedAllRelationshipsScan", "UndirectedAllRelationshipsScan")


@pytest.fixture
def raw(neo: Neo4jStore, neo4j_server: Any) -> Iterator[neo4j.Session]:
    """A session of a driver of the test's own on the emptied database (notifications on)."""
    driver = neo4j.GraphDatabase.driver(neo4j_server.uri, auth=(neo4j_server.user, neo4j_server.password))
    with driver.session(database=neo4j_server.database) as session:
        yield session
    driver.close()


def _params(st: Statement) -> dict[str, Any]:
    """Parameters of the right shapes for EXPLAIN (which plans without running)."""
    values: dict[str, Any] = {"ids": ["x"], "id": "x", "after": "", "limit": 10, "skip": 0, "text": None,
                              "where": {}}
    if "rows" in st.params:
        values["rows"] = ([{"src": "a", "dst": "b", "props": {}}] if st.name.startswith("merge_rels")
                          else [{"id": "x"}])
    return {k: values[k] for k in st.params}


def _operators(plan: dict[str, Any]) -> Iterator[str]:
    yield plan["operatorType"].split("@")[0]
    for child in plan.get("children", []):
        yield from _operators(child)


def _plan(session: neo4j.Session, st: Statement) -> tuple[list[str], Sequence[Any]]:
    summary = session.run("EXPLAIN " + st.text, _params(st)).consume()
    assert summary.plan is not None, st.name
    return list(_operators(summary.plan)), summary.gql_status_objects


def _deprecations(notes: Sequence[Any]) -> list[str]:
    """The GQL statuses saying a feature is deprecated (01N00 - 01N02), e.g. id() for elementId()."""
    return [f"{n.gql_status}: {n.status_description}" for n in notes
            if n.gql_status.startswith("01N0") or "deprecat" in n.status_description.lower()]


def test_the_key_constraint_refuses_a_duplicate_key_of_every_label(raw: neo4j.Session) -> None:
    schema = load_schema()
    for label in schema.labels.values():
        create = f"CREATE (:{label.name} {{{label.key}: $key}})"
        raw.run(create, key="dup").consume()
        with pytest.raises(nx.ConstraintError, match="already exists"):
            raw.run(create, key="dup").consume()
        assert raw.run(f"MATCH (n:{label.name}) RETURN count(n) AS n").single(strict=True)["n"] == 1, label.name


def test_the_hot_statements_seek_the_key_index_and_use_nothing_deprecated(raw: neo4j.Session) -> None:
    hot = [st for name, st in statements().items() if name.split(":")[0] in HOT]
    assert len(hot) > 100  # every label and every declared (type, end label) of the schema
    for st in hot:
        operators, notes = _plan(raw, st)
        assert any("IndexSeek" in op for op in operators), (st.name, operators)
        assert not set(operators) & set(SCANS), (st.name, operators)
        # Neo4j 5 warns of deprecated features (id() for elementId(), old subquery forms) in every plan.
        assert not _deprecations(notes), (st.name, _deprecations(notes))


def test_node_writes_stream_without_an_eager(raw: neo4j.Session) -> None:
    # An Eager holds every row of a chunk before the first write (issue 17's load profile); the node upserts
    # plan without one. (Relationship upserts keep one: Neo4j 5.26 plans it for every form of `SET r = map`.)
    merges = [st for name, st in statements().items() if name.startswith("merge_nodes:")]
    assert merges
    for st in merges:
        operators, _ = _plan(raw, st)
        assert "Merge" in operators and "Eager" not in operators, (st.name, operators)


def test_a_deadlock_between_two_writes_is_retried_and_both_land(
    neo: Neo4jStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """Two writes lock A then B and B then A; Neo4j aborts one as a deadlock, the store runs it again."""
    neo.write(GraphBatch(nodes=[Node("Enterprise", i, {"id": i, "name": "起始"}) for i in ("A", "B")]))
    monkeypatch.setattr(neo, "batch_size", 1)  # one node per UNWIND: each write locks its first node, then the other
    barrier = threading.Barrier(2, timeout=30)
    attempts: dict[int, int] = {}
    chunks = neo4j_store._chunks

    def meeting_chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
        for i, chunk in enumerate(chunks(items, size)):
            if i == 1:
                me = threading.get_ident()
                attempts[me] = attempts.get(me, 0) + 1
                if attempts[me] == 1:
                    barrier.wait()  # both hold their first node's lock before asking for the other's
            yield chunk

    monkeypatch.setattr(neo4j_store, "_chunks", meeting_chunks)
    errors: list[BaseException] = []

    def write(order: str, name: str) -> None:
        try:
            neo.write(GraphBatch(nodes=[Node("Enterprise", i, {"id": i, "name": name}) for i in order]))
        except Exception as e:  # noqa: BLE001 - reported below, whatever it is
            errors.append(e)

    caplog.set_level(logging.WARNING, logger="neo4j")
    threads = [threading.Thread(target=write, args=args) for args in (("AB", "甲"), ("BA", "乙"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    monkeypatch.setattr(neo4j_store, "_chunks", chunks)
    assert errors == []
    assert "DeadlockDetected" in caplog.text  # the driver's note that it runs the aborted transaction again
    assert sorted(attempts.values()) == [1, 2]  # one write ran once, the other twice
    names = {n.props["name"] for n in neo.get("Enterprise", ["A", "B"]).values()}
    assert len(names) == 1 and names <= {"甲", "乙"}  # each write landed whole; the later one holds both


def test_an_upsert_keeps_the_node_its_element_id_and_its_relationships(neo: Neo4jStore, raw: neo4j.Session) -> None:
    def element_id(key: str) -> str:
        found: str = raw.run("MATCH (n:Enterprise {id: $key}) RETURN elementId(n) AS e", key=key).single(
            strict=True)["e"]
        return found

    neo.write(GraphBatch(
        nodes=[Node("Enterprise", "A", {"id": "A", "name": "甲"}), Node("Enterprise", "B", {"id": "B", "name": "乙"})],
        rels=[Rel("SUPPLIES", "Enterprise", "A", "Enterprise", "B")],
    ))
    before = element_id("A")
    assert before.count(":") == 2  # Neo4j 5's form: database id, then the node's number
    neo.write(GraphBatch(nodes=[Node("Enterprise", "A", {"id": "A", "name": "甲方", "scale": "above"})]))
    assert element_id("A") == before  # MERGE ... ON MATCH SET n = row updates the node in place, never recreates it
    assert neo.get("Enterprise", ["A"])["A"].props == {"id": "A", "name": "甲方", "scale": "above"}
    assert [e.node.id for e in neo.edges("Enterprise", ["A"], "SUPPLIES", "out")["A"]] == ["B"]
    neo.delete("Enterprise", ["A"])
    neo.write(GraphBatch(nodes=[Node("Enterprise", "A", {"id": "A", "name": "甲"})]))
    assert neo.edges("Enterprise", ["A"], "SUPPLIES", "out")["A"] == []  # a new node: nothing of the old one
