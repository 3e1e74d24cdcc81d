# The two set-up commands: `make run` (serve the demo on the embedded store) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "chainmatch needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/chainmatch serve

# The Cypher linter of the Neo4j tests (tier 1, NEO4J-TESTING.md): Neo4j's front-end from npm, pinned by package-lock.json.
LINT_NPM := tests/cypher_lint/node_modules/.installed
$(LINT_NPM): tests/cypher_lint/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/cypher_lint --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the Cypher lint tests will be skipped (they fail when CI is set)"; fi

# The real Neo4j of the tests (tier 3, NEO4J-TESTING.md): Neo4j Community 5.26 from Maven Central, pinned by
# tests/neo4j_server/pom.xml; the build writes the launcher's class path (the jars stay in ~/.m2).
NEO4J_CP := tests/neo4j_server/target/classpath.txt
$(NEO4J_CP): tests/neo4j_server/pom.xml $(wildcard tests/neo4j_server/src/main/java/chainmatch/testing/*.java)
	@if command -v mvn >/dev/null 2>&1 && command -v javac >/dev/null 2>&1; then \
	  mvn -q -B -f tests/neo4j_server/pom.xml package; \
	else echo "java or mvn not found: the tests on a real Neo4j will be skipped (they fail when CI is set)"; fi

test: $(STAMP) $(LINT_NPM) $(NEO4J_CP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check chainmatch graph_schema api tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) chainmatch.db chainmatch.db-wal chainmatch.db-shm chainmatch.db.changed
