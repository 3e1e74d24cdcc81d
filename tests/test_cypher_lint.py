"""Tier 1: every Cypher statement of chainmatch, judged by Neo4j's own Cypher front-end.

``tests/cypher_lint/lint.mjs`` runs ``@neo4j-cypher/language-support`` (pinned in its package.json and
package-lock.json, installed by ``make test``) over all statements in one ``node`` call per session:
each is linted as Cypher 5 with exactly the parameters it declares, with Neo4j's built-in functions
and procedures. A few deliberately broken statements prove the linter really judges.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chainmatch.stores.cypher import JOURNAL_LABELS, JOURNAL_PROPERTIES, Statement, statements
from graph_schema import load_schema, neo4j_ddl

LINT_DIR = Path(__file__).parent / "cypher_lint"
PACKAGE = LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support" / "package.json"

# Broken on purpose; each must draw at least one error (severity 1) mentioning these words.
BROKEN = {
    "broken:removed_exists": ("MATCH (n:Enterprise) WHERE exists(n.uscc) RETURN n.id", [], "no longer supported"),
    "broken:ends_in_match": ("MATCH (n:Enterprise {id: $id})", ["id"], "cannot conclude with MATCH"),
    "broken:undeclared_param": ("MATCH (n:Enterprise {id: $idx}) RETURN n.id AS id", ["id"], "$idx"),
    "broken:unknown_function": ("MATCH (n:Enterprise) RETURN apoc.text.join(n.aliases, ';')", [], "apoc.text.join"),
    "broken:syntax": ("UNWIND $rows AS row MERGE (n:Zone {id: row.id} SET n = row.props", ["rows"], ""),
    "broken:label_parameter": ("UNWIND $rows AS row MERGE (n:$label {id: row.id})", ["rows", "label"], ""),
}


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def lint_results() -> dict[str, list[dict[str, Any]]]:
    """Diagnostics per statement name, for every statement of chainmatch.stores.cypher and the broken ones."""
    node = shutil.which("node")
    if node is None:
        _missing("node is not installed: install Node.js 20+ to lint the Cypher (tier 1)")
    if not PACKAGE.exists():
        _missing(f"the Cypher linter is not installed: run `npm ci --prefix {LINT_DIR}` (make test does)")
    schema = load_schema()
    items = [{"name": s.name, "text": s.text, "params": sorted(s.params)} for s in statements().values()]
    items += [{"name": name, "text": text, "params": params} for name, (text, params, _) in BROKEN.items()]
    payload = {
        "statements": items,
        "labels": sorted([*schema.labels, *JOURNAL_LABELS]),  # the journal's own labels beside the data's
        "relationshipTypes": sorted(schema.relationships),
        # Declared properties, and the keys of the maps in $rows (row.id, row.src, row.dst, row.props).
        "propertyKeys": sorted({p for lab in schema.labels.values() for p in lab.properties}
                               | {p for rel in schema.relationships.values() for p in rel.properties}
                               | {"id", "src", "dst", "props"} | set(JOURNAL_PROPERTIES)),
    }
    done = subprocess.run(
        [str(node), str(LINT_DIR / "lint.mjs")], input=json.dumps(payload), capture_output=True, text=True,
        cwd=LINT_DIR, timeout=600, check=False,
    )
    assert done.returncode == 0, f"lint.mjs failed with status {done.returncode}:\n{done.stderr[-3000:]}"
    results = json.loads(done.stdout)
    return {r["name"]: r["diagnostics"] for r in results}


def _show(found: dict[str, list[dict[str, Any]]], severity: int) -> str:
    lines = []
    for name, diags in sorted(found.items()):
        st: Statement | None = statements().get(name)
        lines.append(f"{name}: {st.text if st else ''}")
        lines += [f"    line {d['line']} col {d['character']}: {d['message']}" for d in diags
                  if d["severity"] <= severity]
    return "\n".join(lines)


def test_every_statement_is_valid_neo4j_5_cypher(lint_results: dict[str, list[dict[str, Any]]]) -> None:
    names = set(statements())
    assert names <= set(lint_results)
    errors = {n: d for n, d in lint_results.items() if n in names and any(x["severity"] == 1 for x in d)}
    assert not errors, "Neo4j's Cypher front-end rejects:\n" + _show(errors, 1)


def test_no_statement_draws_a_warning(lint_results: dict[str, list[dict[str, Any]]]) -> None:
    """Warnings are deprecations (e.g. CALL without a variable scope) and unknown labels or properties."""
    names = set(statements())
    warned = {n: d for n, d in lint_results.items() if n in names and d}
    assert not warned, "Neo4j's Cypher front-end warns about:\n" + _show(warned, 2)


def test_the_ddl_of_graph_schema_is_linted() -> None:
    texts = {s.text for s in statements().values()}
    assert set(neo4j_ddl(load_schema())) <= texts


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_statements_are_flagged(lint_results: dict[str, list[dict[str, Any]]], name: str) -> None:
    errors = [d["message"] for d in lint_results[name] if d["severity"] == 1]
    assert errors, f"the linter accepted a broken statement: {BROKEN[name][0]}"
    assert BROKEN[name][2] in " ".join(errors)


def test_every_label_and_type_in_the_cypher_is_declared() -> None:
    """No statement names a label or relationship type that graph_schema does not declare (besides the write
    journal's own two labels)."""
    import re

    schema = load_schema()
    for st in statements().values():
        for label in re.findall(r"\(\w*:(\w+)", st.text):
            assert label in schema.labels or label in JOURNAL_LABELS, f"{st.name}: label {label}"
        for rel_type in re.findall(r"\[\w*:(\w+)\]", st.text):
            assert rel_type in schema.relationships, f"{st.name}: type {rel_type}"
