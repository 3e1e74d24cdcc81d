"""Loads larger than one Neo4j transaction (tier 3): ``Neo4jStore.write_bulk`` on a real Neo4j whose transactions
may hold at most 8 MB (``db.memory.transaction.max``), so that its memory refusal can be met with small data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chainmatch.errors import StoreError
from chainmatch.stores.base import GraphBatch, Node
from tests.conftest import missing_tool, neo4j_store_on


@pytest.fixture(scope="module")
def small_neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Neo4j of its own whose transactions may use at most 8 MB of its heap."""
    from tests.neo4j_server import ToolMissing, start

    try:
        server = start(tmp_path_factory.mktemp("neo4j_small"), heap="512m", pagecache="64m",
                       settings={"db.memory.transaction.max": "8m"})
    except ToolMissing as e:
        missing_tool(str(e))
    store = neo4j_store_on(server)
    yield store
    store.close()
    server.stop()


def _zones(prefix: str, n: int, remark: str) -> list[Node]:
    # `remark` is not indexed (an index refuses values this long before memory would)
    return [Node("Zone", f"{prefix}{i:04d}", {"id": f"{prefix}{i:04d}", "name": "区", "remark": remark})
            for i in range(n)]


def test_a_batch_over_the_memory_limit_loads_in_bounded_transactions_and_a_refusal_says_what_to_lower(
        small_neo4j: Any, tmp_path: Path) -> None:
    store = small_neo4j
    # 1,000 small nodes, then 1,000 of 30 KB each (30 MB in all, over the 8 MB a transaction may use).
    batch = GraphBatch(nodes=_zones("A", 1000, "小") + _zones("B", 1000, "区" * 10_000))

    store.tx_rows = 50_000  # one transaction: refused whole, nothing written
    with pytest.raises(StoreError) as refused:
        store.write_bulk(batch)
    assert "CHAINMATCH_NEO4J_TX_ROWS" in refused.value.message and "50,000" in refused.value.message
    assert "committed_rows" not in refused.value.details
    assert store.counts().total_nodes == 0

    store.tx_rows = 1000  # the small nodes' transaction commits, the large ones' is refused
    with pytest.raises(StoreError) as partly:
        store.write_bulk(batch)
    message = partly.value.message
    assert "CHAINMATCH_NEO4J_TX_ROWS" in message and "已提交 1,000 行（共 2,000 行" in message and "重新运行" in message
    assert partly.value.details["committed_rows"] == 1000
    assert dict(store.counts().nodes) == {"Zone": 1000}

    store.tx_rows = 50  # lowered as the message says: the re-run completes the load
    store.write_bulk(batch)
    assert dict(store.counts().nodes) == {"Zone": 2000}
    assert store.get("Zone", ["B0999"])["B0999"].props["remark"] == "区" * 10_000
