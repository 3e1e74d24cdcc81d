// Lint Cypher statements with Neo4j's own Cypher front-end (@neo4j-cypher/language-support).
//
// stdin:  {"statements": [{"name": "...", "text": "...", "params": ["rows", ...]}, ...],
//          "labels": [...], "relationshipTypes": [...], "propertyKeys": [...]}   (the last three optional)
// stdout: [{"name": "...", "diagnostics": [{"severity": 1, "message": "...", "line": 0, "character": 0}]}, ...]
//
// Severity 1 is an error, 2 a warning (LSP). Each statement is linted as Cypher 5 with exactly the
// parameters it declares (any other $x is reported), and with Neo4j's built-in functions and its
// db.*, dbms.*, tx.* procedures, so an unknown function or procedure is reported too.
import { lintCypherQuery, testData } from '@neo4j-cypher/language-support';

const VERSION = 'CYPHER 5';

function builtIns() {
  const mock = testData.mockSchema;
  const functions = Object.fromEntries(
    Object.entries(mock.functions[VERSION] ?? {}).filter(([, f]) => f.isBuiltIn === true),
  );
  const procedures = Object.fromEntries(
    Object.entries(mock.procedures[VERSION] ?? {}).filter(
      ([name, p]) => p.isBuiltIn !== false && /^(db|dbms|tx)\./.test(name),
    ),
  );
  return { functions: { [VERSION]: functions }, procedures: { [VERSION]: procedures } };
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const input = await readStdin();
const { functions, procedures } = builtIns();
const results = input.statements.map(({ name, text, params }) => {
  const dbSchema = {
    defaultLanguage: VERSION,
    functions,
    procedures,
    parameters: Object.fromEntries((params ?? []).map((p) => [p, null])),
  };
  for (const key of ['labels', 'relationshipTypes', 'propertyKeys']) {
    if (input[key]) dbSchema[key] = input[key];
  }
  const { diagnostics } = lintCypherQuery(text, dbSchema);
  return {
    name,
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      message: d.message,
      line: d.range?.start?.line ?? 0,
      character: d.range?.start?.character ?? 0,
    })),
  };
});
process.stdout.write(JSON.stringify(results));
