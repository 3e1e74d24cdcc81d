"""Neo4j-store behaviour beyond the shared contract: errors, atomic chunked writes, paging, restarts.

Runs through the official driver against a real Neo4j (tier 3); see tests/conftest.py.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from chainmatch.errors import ConfigError, Conflict, StoreError, StoreUnavailable
from chainmatch.settings import Settings
from chainmatch.stores import neo4j as neo4j_store
from chainmatch.stores.base import GraphBatch, Node, Rel, Touch
from chainmatch.stores.neo4j import Neo4jStore
from chainmatch.stores.sqlite import SQLiteStore


def _settings(uri: str, user: str = "neo4j", password: str = "x", database: str = "neo4j") -> Settings:
    return Settings(neo4j_uri=uri, neo4j_user=user, neo4j_password=password,  # type: ignore[arg-type]
                    neo4j_database=database)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # nothing listens there once the socket is closed


def _firms(n: int) -> list[Node]:
    return [Node("Enterprise", f"E{i:04d}", {"id": f"E{i:04d}", "name": f"企业{i}"}) for i in range(n)]


def test_server_down_is_store_unavailable_naming_the_uri() -> None:
    uri = f"bolt://127.0.0.1:{_closed_port()}"
    with pytest.raises(StoreUnavailable, match=f"{uri}.*unreachable.*server is running"):
        Neo4jStore.connect(_settings(uri), retry_seconds=0.5)


def test_wrong_password_names_the_uri_and_the_settings_never_the_password(neo4j_server: Any) -> None:
    with pytest.raises(StoreError) as info:
        Neo4jStore.connect(_settings(neo4j_server.uri, password="not-the-password-42"), retry_seconds=0.5)
    message = str(info.value)
    assert neo4j_server.uri in message and "CHAINMATCH_NEO4J_PASSWORD" in message
    assert "not-the-password-42" not in message
    assert not isinstance(info.value, StoreUnavailable)


def test_missing_database_says_how_to_fix_it(neo4j_server: Any) -> None:
    settings = _settings(neo4j_server.uri, password=neo4j_server.password, database="no_such_db")
    with pytest.raises(StoreError, match="'no_such_db' does not exist.*CHAINMATCH_NEO4J_DATABASE"):
        Neo4jStore.connect(settings, retry_seconds=0.5)


@pytest.mark.parametrize("uri", ["http://127.0.0.1:7474", "127.0.0.1:7687", "bolt://127.0.0.1:notaport"])
def test_unusable_uri_is_a_config_error(uri: str) -> None:
    with pytest.raises(ConfigError, match=f"'{uri}' is not a usable Bolt URI"):
        Neo4jStore.connect(_settings(uri))


def test_location_carries_no_credentials() -> None:
    assert neo4j_store.redact_uri("neo4j+s://u:pw@db.example.cn:7687/") == "neo4j+s://db.example.cn:7687/"


def test_a_batch_of_many_chunks_is_one_transaction(neo: Neo4jStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(neo, "batch_size", 3)
    uscc = "91411100MA44XXXX0X"
    neo.write(GraphBatch(nodes=[Node("Enterprise", "A", {"id": "A", "name": "甲", "uscc": uscc})]))
    clash = Node("Enterprise", "Z", {"id": "Z", "name": "重复", "uscc": uscc})
    with pytest.raises(Conflict, match="nothing was changed"):
        neo.write(GraphBatch(nodes=[*_firms(10), clash]))  # the clash comes in the fourth chunk
    assert [n.id for n in neo.scan("Enterprise")] == ["A"]


def test_chunked_write_then_paged_scans_see_everything(neo: Neo4jStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(neo, "batch_size", 4)
    monkeypatch.setattr(neo4j_store, "_PAGE", 3)  # many keyset pages per scan
    firms = _firms(11)
    rels = [Rel("SUPPLIES", "Enterprise", firms[i].id, "Enterprise", firms[j].id)
            for i in range(11) for j in (i + 1, i + 2) if j < 11]
    neo.write(GraphBatch(nodes=firms, rels=rels))
    assert [n.id for n in neo.scan("Enterprise")] == [f.id for f in firms]
    assert sorted((r.src, r.dst) for r in neo.scan_rels("SUPPLIES")) == sorted((r.src, r.dst) for r in rels)
    assert len(neo.get("Enterprise", [f.id for f in firms])) == 11
    edges = neo.edges("Enterprise", [f.id for f in firms], "SUPPLIES", "in")
    assert [e.node.id for e in edges["E0005"]] == ["E0003", "E0004"]
    assert neo.delete("Enterprise", [f.id for f in firms[:5]]) == 5
    assert neo.counts().nodes == {"Enterprise": 6}


def test_undeclared_relationship_is_refused(neo: Neo4jStore) -> None:
    with pytest.raises(Exception, match="not declared"):
        neo.write(GraphBatch(rels=[Rel("NOT_A_TYPE", "Enterprise", "A", "Enterprise", "B")]))


DEMO = Path(__file__).resolve().parent.parent / "seeds" / "demo"


@pytest.mark.slow
def test_parity_demo_data_gives_the_same_answers_in_both_stores(tmp_path: Path, neo: Neo4jStore) -> None:
    """The demo data loaded into the embedded store and into Neo4j answers show, neighbours,
    recommendations and coverage identically."""
    from chainmatch.access.auth import SYSTEM
    from chainmatch.coverage import zone_coverage
    from chainmatch.enterprises import profile
    from chainmatch.loader import load_folder
    from chainmatch.matching.index import build_index
    from chainmatch.matching.neighbours import chain_neighbours
    from chainmatch.matching.ranking import recommend
    from graph_schema import load_schema

    embedded = SQLiteStore.open(tmp_path / "demo.db")
    load_folder(embedded, DEMO)
    load_folder(neo, DEMO)
    schema = load_schema()
    assert neo.counts() == embedded.counts()
    for label in schema.labels:
        assert list(neo.scan(label)) == list(embedded.scan(label)), label
    for rel_type in schema.relationships:
        key = lambda r: (r.src_label, r.src, r.dst_label, r.dst)
        assert sorted(neo.scan_rels(rel_type), key=key) == sorted(embedded.scan_rels(rel_type), key=key), rel_type

    firms = [n.id for n in embedded.scan("Enterprise")]
    for firm in firms:
        assert profile(neo, firm) == profile(embedded, firm), firm
    index_neo, index_embedded = build_index(neo), build_index(embedded)
    for firm in firms[:: max(1, len(firms) // 15)]:
        assert (chain_neighbours(neo, index_neo, SYSTEM, firm)
                == chain_neighbours(embedded, index_embedded, SYSTEM, firm)), firm
    for firm in firms[:: max(1, len(firms) // 15)]:
        for direction in ("buyers", "suppliers"):
            assert recommend(index_neo, firm, direction=direction) == recommend(index_embedded, firm,
                                                                                direction=direction), firm
    for zone in embedded.scan("Zone"):
        assert zone_coverage(neo, SYSTEM, zone.id) == zone_coverage(embedded, SYSTEM, zone.id), zone.id
        counted = zone_coverage(neo, SYSTEM, zone.id, list_limit=0)  # the figures counted in the store
        assert counted == zone_coverage(embedded, SYSTEM, zone.id, list_limit=0), zone.id
        full = zone_coverage(embedded, SYSTEM, zone.id)
        assert (counted.grids, counted.with_party_organization, counted.with_chief) == (
            full.grids, full.with_party_organization, full.with_chief), zone.id
    embedded.close()


def test_emptying_the_database_keeps_the_journal_numbering_and_says_read_everything(neo: Neo4jStore) -> None:
    neo.write(GraphBatch(nodes=[Node("Zone", "Z", {"id": "Z", "name": "开发区"})]))
    seq = neo.changes(0).seq
    neo.clear()
    after = neo.changes(seq)
    assert after.seq > seq and after.touched is None  # not a restart at 0 that a reader could mistake
    assert neo.counts().total_nodes == 0
    neo.write(GraphBatch(nodes=[Node("Zone", "Z2", {"id": "Z2", "name": "开发区二"})]))
    assert neo.changes(after.seq).touched == frozenset({Touch("Zone", "Z2")})
