"""A property-based run over the OpenAPI schema (schemathesis): no 5xx and no response outside the schema.

Every operation is called with a bounded number of generated examples as an admin (so requests reach the
library instead of stopping at 401/403) on the tiny world's real embedded store.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.main import create_app
from chainmatch.auth import create_token
from chainmatch.loader import load_folder
from chainmatch.settings import Settings
from chainmatch.sqlite_store import SQLiteStore
from tests.test_loader import write_folder
from tests.world import world_files

EXAMPLES = 25  # per operation: about 40 operations, well under a minute in all
# A schema-valid body may still break a business rule the schema cannot state (a project needs a need or two
# firms; ids must exist): those are clear 4xx answers, not failures. Every other default check runs.
EXCLUDED = [positive_data_acceptance]


def test_no_server_errors_and_responses_match_the_schema(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "world.db")
    load_folder(store, write_folder(tmp_path / "world", world_files()))
    auth = {"Authorization": f"Bearer {create_token(store, role='admin', name='schemathesis').secret}"}
    app = create_app(Settings(db=tmp_path / "world.db", model_path=tmp_path / "model.json"))
    app.state.store = store  # schemathesis' ASGI transport does not run the lifespan: open the store here
    app.state.settings = Settings(db=tmp_path / "world.db", model_path=tmp_path / "model.json")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    try:
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                      derandomize=True, database=None)
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=auth, excluded_checks=EXCLUDED)

            run()

            @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
            @settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck),
                      derandomize=True, database=None)
            def run_invalid(case: schemathesis.Case) -> None:
                # Wrong types, missing fields, out-of-range values: a clear 4xx in the one error shape.
                response = case.call(headers=auth)
                assert response.status_code < 500, (case.method, case.formatted_path, response.text)

            try:
                run_invalid()
            except Unsatisfiable:  # nothing to get wrong: the operation takes no parameters
                pass
    finally:
        store.close()
