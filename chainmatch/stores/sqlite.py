"""The embedded store: the graph in one SQLite file (WAL mode, full sync), no server to run.

Nodes and relationships are two tables keyed like Neo4j's MERGE keys; properties are JSON.
A committed write survives ``kill -9`` of the process: WAL with ``synchronous=FULL`` syncs the
log before ``COMMIT`` returns.

>>> import tempfile, pathlib
>>> from chainmatch.stores.base import GraphBatch, Node, Rel
>>> with tempfile.TemporaryDirectory() as d:
...     store = SQLiteStore.open(pathlib.Path(d) / "g.db")
...     store.write(GraphBatch(nodes=[Node("Zone", "LH", {"id": "LH", "name": "漯河经开区"})]))
...     print(store.get("Zone", ["LH"])["LH"].props["name"], store.counts().nodes)
...     store.close()
漯河经开区 {'Zone': 1}
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any

import orjson

from chainmatch.errors import Conflict, StoreError, StoreUnavailable
from chainmatch.stores.base import (
    EVERYTHING,
    JOURNAL_KEEP,
    JOURNAL_MAX_TOUCHES,
    Changes,
    Counts,
    Direction,
    Edge,
    GraphBatch,
    Node,
    ProblemTally,
    Rel,
    read_changes,
    touches,
)
from graph_schema import Schema, load_schema

__all__ = ["BULK_MIN_ROWS", "SQLiteStore"]

BULK_MIN_ROWS = 20_000
"""A write of at least this many nodes and relationships into a store holding fewer rows than the write (a first
load) takes the bulk path: inside its one transaction the secondary indexes of ``nodes`` and ``rels`` are dropped,
the rows inserted into the bare primary keys, and the indexes built again from the sorted rows before ``COMMIT``
(about twice as fast as keeping every index up to date row by row). A process killed on the way leaves the store as
it was, indexes included: dropping and creating an index are part of the transaction."""

_TABLES = """
CREATE TABLE IF NOT EXISTS nodes (
    label TEXT NOT NULL, id TEXT NOT NULL, props TEXT NOT NULL,
    PRIMARY KEY (label, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rels (
    type TEXT NOT NULL, src_label TEXT NOT NULL, src TEXT NOT NULL, dst_label TEXT NOT NULL, dst TEXT NOT NULL,
    props TEXT NOT NULL,
    PRIMARY KEY (type, src_label, src, dst_label, dst)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rels_outgoing ON rels (src_label, src, type);
CREATE INDEX IF NOT EXISTS rels_incoming ON rels (dst_label, dst, type);
CREATE TABLE IF NOT EXISTS problem_tally (
    id TEXT PRIMARY KEY, raised_on TEXT, grid TEXT, departments TEXT, status TEXT, due_on TEXT, closed_on TEXT,
    on_time INTEGER, evaluation TEXT, reopened INTEGER, escalations INTEGER) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS problem_tally_status ON problem_tally (status, due_on);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER NOT NULL, label TEXT NOT NULL, id TEXT NOT NULL, via TEXT NOT NULL,
    PRIMARY KEY (seq, label, id, via)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal_head (one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL);
"""
# The journal (Store.changes): one entry per write, numbered by journal_head in the writing transaction, so
# numbers are consecutive and a reader can tell when entries it has not read were pruned.
# The primary key starts with the type, so reading every relationship of a type (building the
# match index) is one range scan; the two indexes serve a node's outgoing and incoming edges.
# problem_tally holds, for each Problem node, the properties the assessment sums and the sweep filters on, as plain
# columns, kept by triggers on nodes (so every write, delete and bulk path, and any program writing the file, keeps
# it in step, in the same transaction); filled from the nodes once when the triggers are first made (a file written
# before they existed). SQLite 3.40 parses a property map again for every json_extract; over these columns a year of
# 100,000 problems is summed by one GROUP BY in a tenth of the time.

_TALLY_PROPS = ("raised_on", "grid", "departments", "status", "due_on", "closed_on", "on_time", "evaluation",
                "reopened", "escalations")


def _tally_values(row: str) -> str:
    return ", ".join(f"json_extract({row}.props, '$.{p}')" if p != "departments" else
                     f"json(json_extract({row}.props, '$.departments'))" for p in _TALLY_PROPS)


_TALLY_INSERT = f"INSERT INTO problem_tally (id, {', '.join(_TALLY_PROPS)})"
_TALLY_TRIGGERS = {
    "problem_tally_on_insert": f"""
CREATE TRIGGER IF NOT EXISTS problem_tally_on_insert AFTER INSERT ON nodes WHEN NEW.label = 'Problem' BEGIN
    DELETE FROM problem_tally WHERE id = NEW.id;
    {_TALLY_INSERT} VALUES (NEW.id, {_tally_values("NEW")});
END;""",
    "problem_tally_on_update": f"""
CREATE TRIGGER IF NOT EXISTS problem_tally_on_update AFTER UPDATE ON nodes WHEN NEW.label = 'Problem' OR OLD.label = 'Problem' BEGIN
    DELETE FROM problem_tally WHERE id = OLD.id AND OLD.label = 'Problem';
    {_TALLY_INSERT} SELECT NEW.id, {_tally_values("NEW")} WHERE NEW.label = 'Problem';
END;""",
    "problem_tally_on_delete": """
CREATE TRIGGER IF NOT EXISTS problem_tally_on_delete AFTER DELETE ON nodes WHEN OLD.label = 'Problem' BEGIN
    DELETE FROM problem_tally WHERE id = OLD.id;
END;""",
}
_TALLY_REFILL = (f"DELETE FROM problem_tally; {_TALLY_INSERT} SELECT nodes.id, {_tally_values('nodes')} "
                 "FROM nodes WHERE label = 'Problem';")

_CHUNK = 500  # ids per IN (...) list: well under SQLite's variable limit
_TEXT_FIELDS = ("name", "short_name", "aliases", "title")


def _dumps(props: Mapping[str, Any]) -> str:
    """A property map as stored: compact JSON with sorted keys, written by orjson (five times faster than ``json``);
    what orjson cannot write as ``json`` does (integers beyond 64 bits, lone surrogates, NaN and infinities, which
    orjson would turn into null) is written by ``json``, so the stored text reads back as before."""
    if not props:
        return "{}"  # most relationships carry no properties: skip the encoder
    try:
        out = orjson.dumps(props, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        return _json_dumps(props)
    if b"null" in out and _non_finite(props.values()):
        return _json_dumps(props)
    return out.decode()


def _json_dumps(props: Mapping[str, Any]) -> str:
    return json.dumps(props, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _non_finite(values: Iterable[Any]) -> bool:
    for v in values:
        if isinstance(v, float) and not math.isfinite(v):
            return True
        if isinstance(v, (list, tuple)) and _non_finite(v):
            return True
        if isinstance(v, Mapping) and _non_finite(v.values()):
            return True
    return False


def _loads(props: str) -> dict[str, Any]:
    return {} if props == "{}" else _parse(props)


def _parse(props: str) -> dict[str, Any]:
    """A stored property map: orjson reads it three times faster than ``json`` (a scan of a label reads every
    node); what it refuses (NaN and infinities, which ``json.dumps`` writes; lone surrogates) is read by ``json``.
    Integers beyond 64 bits would come back as floats: no property chainmatch declares holds one."""
    try:
        return dict(orjson.loads(props))
    except orjson.JSONDecodeError:
        return dict(json.loads(props))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SQLiteStore:
    """A :class:`chainmatch.stores.base.Store` in one SQLite database file.

    Open it with :meth:`open`; each thread gets its own connection (WAL lets readers run while a
    writer commits), and writes are serialised by SQLite's write lock.
    """

    kind = "embedded"

    def __init__(self, path: Path, schema: Schema, *, busy_timeout: float = 30.0) -> None:
        self.path = path
        self.location = str(path)
        self.schema = schema
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._identity: tuple[int, int] | None = None

    @classmethod
    def open(cls, path: Path | str, schema: Schema | None = None, *, busy_timeout: float = 30.0) -> SQLiteStore:
        """Open (creating if needed) the database file at ``path`` and make sure its tables exist.

        ``busy_timeout`` is how long a write (or opening a connection) waits for another process's lock before
        it fails with :class:`StoreUnavailable`.
        """
        store = cls(Path(path), schema or load_schema(), busy_timeout=busy_timeout)
        store.apply_schema()
        store._identity = store._file_identity()
        return store

    # -- the file itself -----------------------------------------------------------------------

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def check_file(self) -> None:
        """Raise StoreUnavailable when the database file was removed or replaced since the store was opened: the
        open connections would go on reading and writing a file nobody will find again."""
        if self._identity is None:
            return
        now = self._file_identity()
        if now != self._identity:
            what = "removed" if now is None else "replaced by another file"
            raise StoreUnavailable(
                f"The store's database file was {what} while the service ran; writes are refused so that none is "
                "acknowledged into a file that is gone. Restore the file (or its backup) and restart the service.",
                details={"reason": f"file_{'removed' if now is None else 'replaced'}"})

    # -- connections -------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise StoreError(f"The store at {self.path} is closed.")
        self.check_file()  # a new connection to a removed file would create an empty one in its place
        path = self.path
        if path.exists() and path.is_dir():
            raise StoreError(
                f"Cannot open the store at {path}: it is a directory. "
                "Set CHAINMATCH_DB to a file path, e.g. ./chainmatch.db."
            )
        if not path.parent.exists():
            raise StoreError(
                f"Cannot open the store at {path}: the folder {path.parent} does not exist. "
                "Create it or set CHAINMATCH_DB to a path in an existing folder."
            )
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=self.busy_timeout)
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute("PRAGMA cache_size=-65536")
        except sqlite3.OperationalError as e:
            if conn is not None:
                conn.close()
            raise _translate(e, "open") from e
        except sqlite3.DatabaseError as e:
            raise StoreError(
                f"Cannot open the store at {path}: {e}. Check that the file is a chainmatch database "
                "and that you may read and write it, or point CHAINMATCH_DB at another file."
            ) from e
        self._local.conn = conn
        with self._lock:
            self._conns.append(conn)
        return conn

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.OperationalError as e:
            raise _translate(e, "read", self.path) from e

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()

    # -- schema ------------------------------------------------------------------------------

    def apply_schema(self) -> None:
        statements = [_TABLES]
        for lab in self.schema.labels.values():
            # Label and property names come from graph_schema (checked identifiers), never from callers.
            for prop in lab.indexed:
                statements.append(
                    f"CREATE INDEX IF NOT EXISTS idx_{lab.name}_{prop} ON nodes "
                    f"(json_extract(props, '$.{prop}')) WHERE label = '{lab.name}';"
                )
            for prop in lab.unique:
                statements.append(
                    f"CREATE UNIQUE INDEX IF NOT EXISTS uniq_{lab.name}_{prop} ON nodes "
                    f"(json_extract(props, '$.{prop}')) WHERE label = '{lab.name}' "
                    f"AND json_extract(props, '$.{prop}') IS NOT NULL;"
                )
        try:
            conn = self._conn()
            conn.executescript("\n".join(statements))
            made = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
            missing = [sql for name, sql in _TALLY_TRIGGERS.items() if name not in made]
            if missing:  # one transaction: the triggers and the rows they would have kept
                conn.executescript(f"BEGIN IMMEDIATE; {''.join(missing)} {_TALLY_REFILL} COMMIT;")
        except sqlite3.DatabaseError as e:
            raise StoreError(
                f"Cannot prepare the store at {self.path}: {e}. If the file is not a chainmatch database, "
                "move it away or set CHAINMATCH_DB to another path."
            ) from e

    # -- writes ------------------------------------------------------------------------------

    def await_indexes(self, timeout: float = 3600.0) -> float:
        """Nothing to wait for: SQLite updates its indexes in the writing transaction."""
        return 0.0

    def write_bulk(self, batch: GraphBatch) -> None:
        """One transaction, as :meth:`write`: SQLite holds a large transaction on disk, not in memory."""
        self.write(batch)

    def write(self, batch: GraphBatch) -> None:
        self.check_file()
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise _translate(e, "write", self.path) from e
        try:
            for x in batch.expects:  # under the write lock taken by BEGIN IMMEDIATE: no writer can come between
                row = conn.execute("SELECT props FROM nodes WHERE label = ? AND id = ?", (x.label, x.id)).fetchone()
                x.check(_loads(row[0]).get(x.prop) if row else None)
            for r in batch.resets:
                if r.direction == "out":
                    conn.execute(
                        "DELETE FROM rels WHERE src_label = ? AND src = ? AND type = ?", (r.label, r.id, r.type)
                    )
                else:
                    conn.execute(
                        "DELETE FROM rels WHERE dst_label = ? AND dst = ? AND type = ?", (r.label, r.id, r.type)
                    )
            rebuild = _drop_indexes(conn) if _bulk(conn, batch) else []
            # Inserting in key order keeps B-tree writes local: much faster for large batches. The rows are sorted
            # as objects and encoded one by one, so that the encoded batch is never held whole.
            nodes = _in_key_order(batch.nodes, _NODE_GROUP, _NODE_KEY)
            conn.executemany(
                "INSERT INTO nodes (label, id, props) VALUES (?, ?, ?) "
                "ON CONFLICT (label, id) DO UPDATE SET props = excluded.props",
                ((n.label, n.id, _dumps(n.props)) for n in nodes),
            )
            del nodes
            conn.executemany(
                "INSERT INTO rels (type, src_label, src, dst_label, dst, props) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (type, src_label, src, dst_label, dst) DO UPDATE SET props = excluded.props",
                ((r.type, r.src_label, r.src, r.dst_label, r.dst, _dumps(r.props) if r.props else "{}")
                 for r in _in_key_order(batch.rels, _REL_GROUP, _REL_KEY)),
            )
            for sql in rebuild:
                conn.execute(sql)
            if batch.nodes or batch.rels or batch.resets:
                found = touches(batch)
                _journal(conn, [EVERYTHING] if found is None else found)
            conn.execute("COMMIT")
        except sqlite3.IntegrityError as e:
            _rollback(conn)
            raise Conflict(
                f"The write was refused and nothing was changed: {e}. A unique property "
                "(such as 统一社会信用代码) is already used by another node."
            ) from e
        except sqlite3.OperationalError as e:
            _rollback(conn)
            raise _translate(e, "write", self.path) from e
        except sqlite3.DatabaseError as e:
            _rollback(conn)
            raise StoreError(f"Cannot write to the store at {self.path}: {e}. Nothing was changed.") from e
        except BaseException:
            _rollback(conn)
            raise

    def delete(self, label: str, ids: Sequence[str]) -> int:
        self.check_file()
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise _translate(e, "write", self.path) from e
        try:
            existed = 0
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                existed += conn.execute(
                    f"DELETE FROM nodes WHERE label = ? AND id IN ({marks})", (label, *chunk)
                ).rowcount
                conn.execute(f"DELETE FROM rels WHERE src_label = ? AND src IN ({marks})", (label, *chunk))
                conn.execute(f"DELETE FROM rels WHERE dst_label = ? AND dst IN ({marks})", (label, *chunk))
            if existed:
                unique = sorted(set(ids))
                _journal(conn, [EVERYTHING] if len(unique) > JOURNAL_MAX_TOUCHES else [(label, i, "") for i in unique])
            conn.execute("COMMIT")
        except sqlite3.OperationalError as e:
            _rollback(conn)
            raise _translate(e, "write", self.path) from e
        except BaseException:
            _rollback(conn)
            raise
        return existed

    # -- reads -------------------------------------------------------------------------------

    def get(self, label: str, ids: Sequence[str]) -> dict[str, Node]:
        out: dict[str, Node] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            marks = ",".join("?" * len(chunk))
            for id_, props in self._run(
                f"SELECT id, props FROM nodes WHERE label = ? AND id IN ({marks})", (label, *chunk)
            ):
                out[id_] = Node(label, id_, _parse(props))
        return out

    def find(
        self, label: str, *, text: str | None = None, where: Mapping[str, Any] | None = None,
        limit: int = 50, offset: int = 0,
    ) -> list[Node]:
        clauses, params = ["label = ?"], [label]
        if text:
            pattern = _like(text)
            ors = ["id LIKE ? ESCAPE '\\'"] + [
                f"json_extract(props, '$.{f}') LIKE ? ESCAPE '\\'" for f in _TEXT_FIELDS
            ]
            clauses.append("(" + " OR ".join(ors) + ")")
            params += [pattern] * len(ors)
        lab = self.schema.label(label)
        for prop, value in (where or {}).items():
            if prop not in lab.properties:
                raise StoreError(f"'{prop}' is not a property of {label}.")
            clauses.append(f"json_extract(props, '$.{prop}') = ?")
            params.append(value)
        rows = self._run(
            f"SELECT id, props FROM nodes WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [Node(label, id_, _parse(props)) for id_, props in rows]

    def edges(
        self, label: str, ids: Sequence[str], rel_type: str, direction: Direction = "out", *, limit: int = 1000,
    ) -> dict[str, list[Edge]]:
        near, far = ("src", "dst") if direction == "out" else ("dst", "src")
        # Named: without statistics SQLite would range-scan the primary key (every edge of the type).
        by = "rels_outgoing" if direction == "out" else "rels_incoming"
        out: dict[str, list[Edge]] = {i: [] for i in ids}
        for chunk in _chunks(list(out)):
            marks = ",".join("?" * len(chunk))
            rows = self._run(
                f"SELECT r.src_label, r.src, r.dst_label, r.dst, r.props, n.label, n.id, n.props "
                f"FROM rels r INDEXED BY {by} JOIN nodes n ON n.label = r.{far}_label AND n.id = r.{far} "
                f"WHERE r.{near}_label = ? AND r.{near} IN ({marks}) AND r.type = ? "
                f"ORDER BY r.{near}, n.id",
                (label, *chunk, rel_type),
            )
            for sl, s, dl, d, rprops, nl, nid, nprops in rows:
                key = s if direction == "out" else d
                if len(out[key]) < limit:
                    rel = Rel(rel_type, sl, s, dl, d, _loads(rprops))
                    out[key].append(Edge(rel, Node(nl, nid, _parse(nprops))))
        return out

    def edges_many(
        self, label: str, ids: Sequence[str], wants: Sequence[tuple[str, Direction]], *, limit: int = 1000,
    ) -> dict[tuple[str, Direction], dict[str, list[Edge]]]:
        # A local file has no round trips to save: one query per pair.
        return {(t, d): self.edges(label, ids, t, d, limit=limit) for t, d in dict.fromkeys(wants)}

    def scan(self, label: str) -> Iterator[Node]:
        cur = self._conn().execute("SELECT id, props FROM nodes WHERE label = ? ORDER BY id", (label,))
        for id_, props in cur:
            yield Node(label, id_, _parse(props))

    def scan_rels(self, rel_type: str) -> Iterator[Rel]:
        cur = self._conn().execute(
            "SELECT src_label, src, dst_label, dst, props FROM rels WHERE type = ?", (rel_type,)
        )
        for sl, s, dl, d, props in cur:
            yield Rel(rel_type, sl, s, dl, d, _loads(props))

    def changes(self, since: int) -> Changes:
        conn = self._conn()
        try:
            conn.execute("BEGIN")  # one snapshot for the head and the entries
            head = conn.execute("SELECT seq FROM journal_head").fetchone()
            rows = conn.execute("SELECT seq, label, id, via FROM journal WHERE seq > ? ORDER BY seq",
                                (since,)).fetchall()
            conn.execute("COMMIT")
        except sqlite3.OperationalError as e:
            _rollback(conn)
            raise _translate(e, "read", self.path) from e
        return read_changes(since, head[0] if head else 0, rows)

    def counts(self) -> Counts:
        nodes = dict(self._run("SELECT label, count(*) FROM nodes GROUP BY label ORDER BY label"))
        rels = dict(self._run("SELECT type, count(*) FROM rels GROUP BY type ORDER BY type"))
        return Counts(nodes, rels)


    def tally_problems(self, first: str, last: str, today: str,
                       open_statuses: Sequence[str]) -> list[ProblemTally]:
        opens = ",".join(f"?{i}" for i in range(4, 4 + len(open_statuses))) or "NULL"
        rows = self._run(_TALLY.format(opens=opens), (first, last, today, *open_statuses))
        return [ProblemTally(grid, tuple(orjson.loads(depts)) if depts is not None else None, loose,
                             tuple(int(x or 0) for x in sums)) for loose, grid, depts, *sums in rows]

    def count_grid_coverage(self, zone_id: str, kind: str | None = None) -> tuple[int, int, int]:
        grids, covered, chiefs = self._run(_GRID_COVERAGE, (zone_id, kind))[0]
        return int(grids), int(covered or 0), int(chiefs or 0)

    def open_problems_due_before(self, day: str, open_statuses: Sequence[str]) -> tuple[int, list[Node]]:
        opens = ",".join("?" * len(open_statuses)) or "NULL"
        counted = self._run(f"SELECT count(*) FROM problem_tally WHERE status IN ({opens})", tuple(open_statuses))
        rows = self._run(
            f"SELECT n.id, n.props FROM problem_tally t JOIN nodes n ON n.label = 'Problem' AND n.id = t.id "
            f"WHERE t.status IN ({opens}) AND t.due_on < ? AND t.due_on <> '' ORDER BY n.id", (*open_statuses, day))
        return int(counted[0][0]), [Node("Problem", id_, _parse(props)) for id_, props in rows]


# The assessment's sums (PROBLEM_TALLY_COLUMNS) in one pass over problem_tally. A problem without the grid or
# departments copy is grouped on its own id ("loose").
_GRID_COVERAGE = """
SELECT count(*),
       sum(EXISTS (SELECT 1 FROM rels c WHERE c.dst_label = 'Grid' AND c.dst = z.src AND c.type = 'COVERS')),
       sum(EXISTS (SELECT 1 FROM rels h WHERE h.dst_label = 'Grid' AND h.dst = z.src AND h.type = 'CHIEF_OF'))
FROM rels z INDEXED BY rels_incoming JOIN nodes g ON g.label = 'Grid' AND g.id = z.src
WHERE z.dst_label = 'Zone' AND z.dst = ?1 AND z.type = 'IN_ZONE' AND z.src_label = 'Grid'
  AND (?2 IS NULL OR json_extract(g.props, '$.kind') = ?2)
"""
"""Store.count_grid_coverage: a zone's grids (through the incoming-relationship index) and, per grid, whether a
COVERS and a CHIEF_OF relationship comes in."""
_TALLY = """
SELECT CASE WHEN departments IS NULL OR grid IS NULL OR grid = '' THEN id END AS loose, NULLIF(grid, ''),
       departments, count(*), sum(status IN ('closed', 'evaluated')),
       sum(status IN ('closed', 'evaluated') AND coalesce(on_time, 0)), sum(status IN ({opens})),
       sum(status IN ({opens}) AND due_on <> '' AND due_on < ?3),
       sum(coalesce(reopened, 0) + (status IN ('closed', 'evaluated'))),
       sum(coalesce(reopened, 0) + (status = 'evaluated')), sum(status = 'evaluated' AND evaluation = 'satisfied'),
       sum(coalesce(reopened, 0)), sum(coalesce(escalations, 0) > 0), sum(coalesce(escalations, 0)),
       sum(CASE WHEN status IN ('closed', 'evaluated') AND closed_on IS NOT NULL AND raised_on IS NOT NULL
                THEN CAST(julianday(closed_on) - julianday(raised_on) AS INTEGER) ELSE 0 END)
FROM problem_tally WHERE raised_on >= ?1 AND raised_on <= ?2
GROUP BY loose, NULLIF(grid, ''), departments
"""
_NODE_GROUP, _NODE_KEY = attrgetter("label"), attrgetter("id")
_REL_GROUP, _REL_KEY = attrgetter("type", "src_label"), attrgetter("src", "dst_label", "dst")


def _in_key_order(items: Sequence[Any], group: Callable[[Any], Any], key: Callable[[Any], Any]) -> list[Any]:
    """``items`` in primary-key order, a stable sort: grouped on the key's first columns, then each group sorted
    on the rest, so that sort keys exist for one group at a time (a key tuple per relationship of a million-firm
    load would take a gigabyte)."""
    groups: dict[Any, list[Any]] = {}
    for item in items:
        groups.setdefault(group(item), []).append(item)
    out: list[Any] = []
    for g in sorted(groups):
        out += sorted(groups.pop(g), key=key)
    return out


def _bulk(conn: sqlite3.Connection, batch: GraphBatch) -> bool:
    """Whether ``batch`` takes the bulk path (:data:`BULK_MIN_ROWS`): counting stops at the batch's size, so a large
    store is not counted whole."""
    rows = len(batch.nodes) + len(batch.rels)
    if rows < BULK_MIN_ROWS:
        return False
    held = conn.execute("SELECT (SELECT count(*) FROM (SELECT 1 FROM nodes LIMIT ?1)) + "
                        "(SELECT count(*) FROM (SELECT 1 FROM rels LIMIT ?1))", (rows,)).fetchone()[0]
    return int(held) < rows


def _drop_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the secondary indexes of ``nodes`` and ``rels`` inside the open transaction; returns the statements
    that build them again (as the file holds them, so whatever apply_schema created comes back unchanged)."""
    found = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('nodes', 'rels') "
                         "AND sql IS NOT NULL ORDER BY name").fetchall()
    for name, _ in found:
        conn.execute('DROP INDEX "' + name.replace('"', '""') + '"')
    return [sql for _, sql in found]


def _journal(conn: sqlite3.Connection, found: Sequence[tuple[str, str, str]]) -> None:
    """Append one journal entry (inside the writing transaction) and forget entries beyond JOURNAL_KEEP."""
    conn.execute("INSERT INTO journal_head (one, seq) VALUES (1, 1) ON CONFLICT (one) DO UPDATE SET seq = seq + 1")
    seq = conn.execute("SELECT seq FROM journal_head").fetchone()[0]
    conn.executemany("INSERT OR IGNORE INTO journal (seq, label, id, via) VALUES (?, ?, ?, ?)",
                     [(seq, label, id_, via) for label, id_, via in found])
    if seq % 1000 == 0:
        conn.execute("DELETE FROM journal WHERE seq <= ?", (seq - JOURNAL_KEEP,))


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite has already rolled back after some errors (a full disk, an I/O error): a second ROLLBACK would fail
    # with "no transaction is active" and hide the real cause.
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def _translate(e: sqlite3.OperationalError, doing: str, path: Path | None = None) -> StoreError:
    """A StoreError that says what went wrong: another process's lock (503, retry), a full disk, or the rest.
    Messages of StoreUnavailable (the API's 503) never name the file."""
    name = getattr(e, "sqlite_errorname", "")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(e):
        return StoreUnavailable(
            f"The store is busy: another process holds its write lock, and this {doing} waited for it as long as "
            "CHAINMATCH_STORE_BUSY_TIMEOUT allows. Nothing was changed; retry in a moment (a long load or another "
            "program writing the database file can hold the lock).", details={"reason": "locked"})
    where = f" at {path}" if path is not None else ""
    if name.startswith("SQLITE_FULL") or "disk is full" in str(e):
        return StoreError(
            f"The disk holding the store{where} is full; the {doing} was refused and nothing was changed. Free space "
            "on that disk (or move the store with CHAINMATCH_DB) and try again.", details={"reason": "disk_full"})
    return StoreError(f"Cannot {doing} the store{where}: {e}. Nothing was changed.")


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
