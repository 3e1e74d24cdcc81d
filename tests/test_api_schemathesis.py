"""A property-based run over the OpenAPI schema (schemathesis): no 5xx and no response outside the schema.

Every operation is called with a bounded number of generated examples as an admin (so requests reach the
library instead of stopping at 401/403) on the demo data. Ids in paths, queries and bodies are often swapped for
real ones of the demo (firms, needs, resources, projects, grids, zones, chains, a finished map run and its
files), so that routes are reached past their 404. Revocations only ever reach spare tokens: the admin token of
the run stays valid (and, being the last admin, could not be revoked anyway).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.deps import connect
from api.main import create_app
from chainmatch.access.auth import create_token
from chainmatch.loader import load_folder
from chainmatch.settings import DEFAULT_DEMO_DIR, Settings
from chainmatch.stores.base import Store
from chainmatch.stores.sqlite import SQLiteStore

EXAMPLES = 25  # per operation: about 40 operations, well under a few minutes in all
SLOW = {("POST", "/model/train"): 2, ("POST", "/maps/runs"): 3}  # each rebuilds the index or maps a zone
# A schema-valid body may still break a business rule the schema cannot state (a project needs a need or two
# firms; ids must exist): those are clear 4xx answers, not failures. Every other default check runs.
EXCLUDED = [positive_data_acceptance]
REAL_SHARE = 0.7  # how often an id is replaced by a real one


def _pools(store: Store, run_id: str, files: list[str], spare_tokens: list[str]) -> dict[str, list[str]]:
    def ids(label: str, n: int = 40) -> list[str]:
        return [node.id for node in store.find(label, limit=n)]

    firms = ids("Enterprise")
    return {
        "enterprise": firms, "enterprise_id": firms, "provider_id": firms + ids("Department", 5),
        "need_id": ids("Need"), "resource_id": ids("Resource"), "project_id": ids("Project"),
        "grid_id": ids("Grid"), "grid_ids": ids("Grid"), "zone_id": ids("Zone"), "zone_ids": ids("Zone"),
        "chain_id": ids("Chain"), "person_id": ids("Person"), "owner_id": ids("Person"),
        "run_id": [run_id], "path": files, "token_id": spare_tokens,
        "department_id": ids("Department"), "department_ids": ids("Department"), "problem_id": ids("Problem"),
        "event_id": ids("MatchEvent"), "host_id": firms, "contact_id": ids("Person"), "reporter_id": ids("Person"),
    }


def _realistic(case: schemathesis.Case, pools: dict[str, list[str]], data: st.DataObject) -> None:
    """Swap some generated ids of ``case`` (path, query, body) for real ones."""
    def real(name: str, value: Any) -> Any:
        pool = pools.get(name)
        if not pool or data.draw(st.floats(0, 1), label=f"swap {name}?") > REAL_SHARE:
            return value
        pick = data.draw(st.sampled_from(pool), label=name)
        return [pick] if isinstance(value, list) else pick

    for container in (case.path_parameters, case.query):
        if isinstance(container, dict):
            for name in list(container):
                container[name] = real(name, container[name])
    if isinstance(case.body, dict):
        for name in list(case.body):
            case.body[name] = real(name, case.body[name])


def _map_run(client: TestClient, headers: dict[str, str]) -> tuple[str, list[str]]:
    run = client.post("/maps/runs", headers=headers, json={"zone_id": "LZ", "targets": 2}).json()
    deadline = time.monotonic() + 120
    while run["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        run = client.get(f"/maps/runs/{run['id']}", headers=headers).json()
    assert run["status"] == "done", run
    return run["id"], run["files"]


def test_no_server_errors_and_responses_match_the_schema(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "demo.db")
    load_folder(store, DEFAULT_DEMO_DIR)
    runner = create_token(store, role="admin", name="schemathesis")
    setup = create_token(store, role="staff", name="setup").secret
    spare = [create_token(store, role="viewer", name=f"spare {i}").node.id for i in range(20)]
    store.close()
    auth = {"Authorization": f"Bearer {runner.secret}"}
    config = Settings(db=tmp_path / "demo.db", model_path=tmp_path / "model.json", rate_maps_per_minute=6)
    app = create_app(config)
    # schemathesis' ASGI transport does not run the lifespan: open the store and build the index here.
    app.state.settings, app.state.store, app.state.ranking = config, None, None
    connect(app.state)
    try:
        run_id, files = _map_run(TestClient(app), {"Authorization": f"Bearer {setup}"})
        pools = _pools(app.state.store, run_id, files, spare)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 30
        for operation in operations:
            examples = SLOW.get((operation.method.upper(), operation.path), EXAMPLES)

            @given(case=operation.as_strategy(), data=st.data())
            @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck),
                      derandomize=True, database=None)
            def run(case: schemathesis.Case, data: st.DataObject) -> None:
                _realistic(case, pools, data)
                case.call_and_validate(headers=auth, excluded_checks=EXCLUDED)

            run()

            @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
            @settings(max_examples=max(1, examples // 2), deadline=None, suppress_health_check=list(HealthCheck),
                      derandomize=True, database=None)
            def run_invalid(case: schemathesis.Case) -> None:
                # Wrong types, missing fields, out-of-range values: a clear 4xx in the one error shape.
                response = case.call(headers=auth)
                assert response.status_code < 500, (case.method, case.formatted_path, response.text)

            try:
                run_invalid()
            except Unsatisfiable:  # nothing to get wrong: the operation takes no parameters
                pass
        me = TestClient(app).get("/tokens/me", headers=auth)
        assert me.status_code == 200 and me.json()["id"] == runner.node.id  # the run's own token still works
    finally:
        runs = getattr(app.state, "map_runs", None)
        if runs is not None:
            runs.close()
        app.state.store.close()
