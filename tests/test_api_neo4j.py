"""The service unchanged on the Neo4j store: `create_app` with the Neo4j settings pointed at the test Bolt server
(a real Neo4j, tier 3) answers the demo questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch.access.auth import create_token
from chainmatch.loader import load_folder
from chainmatch.settings import DEFAULT_DEMO_DIR, Settings


def test_service_on_neo4j_answers_the_demo_questions(neo: Any, neo4j_server: Any, tmp_path: Path) -> None:
    load_folder(neo, DEFAULT_DEMO_DIR)
    secret = create_token(neo, role="staff", name="招商科").secret
    settings = Settings(neo4j_uri=neo4j_server.uri, neo4j_user=neo4j_server.user,
                        neo4j_password=neo4j_server.password,  # type: ignore[arg-type]
                        neo4j_database=neo4j_server.database, model_path=tmp_path / "m.json")
    headers = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
        assert health["store"] == "neo4j" and health["node_counts"]["Enterprise"] == 427
        firm = client.get("/enterprises/利通", headers=headers).json()
        assert firm["name"] == "漯河利通液压科技股份有限公司" and "高压灭菌设备" in firm["products"]
        recs = client.get("/enterprises/利通/recommendations", params={"top": 5}, headers=headers).json()
        assert len(recs["items"]) == 5 and all(i["path"] and i["reasons"] for i in recs["items"])
        sterilizer = client.get("/recommendations", params={"product": "高压灭菌设备", "zone_id": "LH", "top": 3},
                                headers=headers).json()
        assert len(sterilizer["items"]) == 3 and all("设备用户规则 3531" in i["path"] for i in sterilizer["items"])
        chains = client.get("/chains", params={"zone_id": "LZ"}, headers=headers)
        assert chains.status_code == 200 and any("煤" in c["name"] for c in chains.json()["items"])
