"""The Neo4j store: the graph in Neo4j 5 through the official driver, with the statements of ``chainmatch.stores.cypher``.

Open it once with :meth:`Neo4jStore.connect` (the CLI command or the API's lifespan does) and pass
it on. Every call runs in managed transactions (``execute_read`` / ``execute_write``), which the
driver retries on transient errors and lost connections; ``write`` is one transaction, sent as
``UNWIND $rows`` chunks, so a batch lands whole or not at all and can be re-run safely; ``write_bulk`` (a data
folder's load) is one ``write`` per ``tx_rows`` rows (``CHAINMATCH_NEO4J_TX_ROWS``), so that no transaction
passes Neo4j's transaction memory limit. Reads are
bounded: ids go in chunks. Scans (what the match index is built from) go in keyset pages of ``_PAGE`` nodes (or
source nodes) in key order, each page one round trip answered as one record holding a list (a record per row
costs the driver more than the data); a page that meets a lost connection or a temporary error is read again,
for up to ``retry_seconds``. Driver errors become chainmatch errors that name the URI (never the password), the
cause and the fix.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import neo4j
from neo4j import exceptions as nx

from chainmatch.errors import ConfigError, Conflict, StoreError, StoreUnavailable
from chainmatch.settings import Settings
from chainmatch.stores.base import (
    EVERYTHING,
    JOURNAL_KEEP,
    JOURNAL_MAX_TOUCHES,
    Changes,
    Counts,
    Direction,
    Edge,
    Expect,
    GraphBatch,
    Node,
    ProblemTally,
    Rel,
    batch_rows,
    read_changes,
    split_batch,
    touches,
)
from chainmatch.stores.cypher import (
    COUNT_NODES,
    COUNT_RELS,
    DELETE_ALL,
    DELETE_RELATIONSHIPS,
    GRID_COVERAGE,
    INDEXES_NOT_ONLINE,
    JOURNAL_APPEND,
    JOURNAL_PRUNE,
    JOURNAL_READ,
    OVERDUE_PROBLEMS,
    PING,
    TALLY_PROBLEMS,
    Statement,
    edges_many,
    statement,
    statements,
)
from graph_schema import Schema, load_schema

__all__ = ["Neo4jStore", "redact_uri"]

T = TypeVar("T")

_CHUNK = 2000  # rows per UNWIND and ids per read: a round trip stays small, few round trips per call
_SCHEMES = frozenset({"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"})
_PAGE = 10_000  # nodes (or source nodes) per keyset page of a scan: 100,000 firms come in 11 round trips


def redact_uri(uri: str) -> str:
    """The URI without user name or password, for messages and ``location``.

    >>> redact_uri("neo4j://neo4j:s3cret@db.example.cn:7687")
    'neo4j://db.example.cn:7687'
    >>> redact_uri("bolt://127.0.0.1:7687")
    'bolt://127.0.0.1:7687'
    """
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _check_uri(uri: str) -> None:
    problem = None
    try:
        parts = urlsplit(uri)
        if parts.scheme not in _SCHEMES:
            problem = f"its scheme must be one of {', '.join(sorted(_SCHEMES))}"
        elif not parts.hostname:
            problem = "it names no host"
        parts.port  # noqa: B018  # raises ValueError for a port that is not a number
    except ValueError as e:
        problem = str(e)
    if problem:
        raise ConfigError(
            f"CHAINMATCH_NEO4J_URI '{redact_uri(uri)}' is not a usable Bolt URI: {problem}. "
            "Use e.g. neo4j://HOST:7687."
        )


_MIN_VERSION = (5, 23)


def _neo4j_version(agent: str | None) -> tuple[int, int] | None:
    """(major, minor) from a Bolt server agent such as ``Neo4j/5.26.30``; None for another server's agent.

    >>> _neo4j_version("Neo4j/5.26.30"), _neo4j_version("Neo4j/2025.10.1"), _neo4j_version("Neo4j/4.4.12")
    ((5, 26), (2025, 10), (4, 4))
    >>> _neo4j_version("SomethingElse/1.0") is None
    True
    """
    match = re.fullmatch(r"Neo4j/(\d+)\.(\d+)(?:[.\-].*)?", agent or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()).rstrip(".")


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class _MemoryRefused(Exception):
    """Neo4j refused a transaction for memory: raised inside the transaction's work so that the driver does not
    retry it (it is a TransientError, yet the same transaction would be refused again)."""

    def __init__(self, error: nx.Neo4jError) -> None:
        super().__init__(error.message)
        self.error = error


def _memory_refusal(error: nx.Neo4jError) -> bool:
    """Neo4j's refusals of a transaction that needs more memory than it allows (``dbms.memory.transaction.total.max``
    for all transactions, ``db.memory.transaction.max`` for one; codes ``...MemoryPoolOutOfMemoryError``,
    ``...TransactionOutOfMemoryError``)."""
    return "OutOfMemoryError" in (error.code or "") or "MemoryLimit" in (error.code or "")


def _read_all(st: Statement, params: Mapping[str, Any]) -> Callable[[neo4j.ManagedTransaction], list[neo4j.Record]]:
    def work(tx: neo4j.ManagedTransaction) -> list[neo4j.Record]:
        return list(tx.run(st.text, dict(params)))

    return work


class Neo4jStore:
    """A :class:`chainmatch.stores.base.Store` in a Neo4j 5 database (or anything speaking Bolt like it)."""

    kind = "neo4j"

    def __init__(self, driver: neo4j.Driver, uri: str, database: str, schema: Schema | None = None,
                 *, batch_size: int = _CHUNK) -> None:
        """Wrap an open driver; use :meth:`connect` to open one from the settings."""
        self._driver = driver
        self.uri = redact_uri(uri)
        self.location = self.uri
        self.database = database
        self.schema = schema or load_schema()
        self.batch_size = batch_size
        self.retry_seconds = 15.0
        self.tx_rows = 50_000  # rows per transaction of write_bulk (CHAINMATCH_NEO4J_TX_ROWS)
        self._statements = statements(self.schema)

    @classmethod
    def connect(cls, settings: Settings, schema: Schema | None = None, *,
                retry_seconds: float | None = None) -> Neo4jStore:
        """Open the driver once, check the server answers for the database, and apply the schema.

        A transaction that meets a transient error or a lost connection is retried for up to
        ``retry_seconds`` (default ``settings.neo4j_retry_seconds``) before :class:`StoreUnavailable` is raised.
        """
        if retry_seconds is None:
            retry_seconds = settings.neo4j_retry_seconds
        uri = settings.neo4j_uri
        if not uri:
            raise ConfigError("CHAINMATCH_NEO4J_URI is not set: give the Bolt URI of Neo4j, e.g. neo4j://127.0.0.1:7687.")
        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else None
        auth = (settings.neo4j_user, password) if password is not None else None
        _check_uri(uri)
        try:
            driver = neo4j.GraphDatabase.driver(
                uri, auth=auth, connection_timeout=10.0, max_transaction_retry_time=retry_seconds,
                # The server's notes (e.g. "relationship type does not exist" while a type has no relationship
                # yet, as in a new database's counts) are neither sent nor logged.
                notifications_min_severity="OFF",
            )
        except (ValueError, nx.ConfigurationError) as e:
            raise ConfigError(
                f"CHAINMATCH_NEO4J_URI '{redact_uri(uri)}' is not a usable Bolt URI: {e}. "
                "Use neo4j://HOST:7687 (or bolt://, neo4j+s://, bolt+s://)."
            ) from e
        store = cls(driver, uri, settings.neo4j_database, schema)
        store.retry_seconds = retry_seconds
        store.tx_rows = settings.neo4j_tx_rows
        try:
            with store._translated("connecting"):
                driver.verify_connectivity()  # fails at once (no retries) when the server is down
                store._check_version(driver.get_server_info().agent)
            store._read(statement(PING, store.schema), {})
            store.apply_schema()
        except BaseException:
            driver.close()
            raise
        return store

    def _check_version(self, agent: str | None) -> None:
        """Refuse a Neo4j older than 5.23 (``CALL (n) { ... }`` subqueries, which every neighbour read uses)."""
        found = _neo4j_version(agent)
        if found is not None and found < _MIN_VERSION:
            raise StoreError(
                f"{self._where()} is {agent}; chainmatch needs Neo4j 5.23 or newer (5.26 LTS or a 2025 "
                "release): its Cypher uses Neo4j 5 syntax that older servers refuse. Upgrade the server, or point "
                "CHAINMATCH_NEO4J_URI at a Neo4j 5 server."
            )

    # -- running statements -------------------------------------------------------------------

    def _where(self) -> str:
        return f"Neo4j at {self.uri} (database '{self.database}')"

    @contextmanager
    def _translated(self, doing: str) -> Iterator[None]:
        """Turn driver errors into chainmatch errors naming the URI, the cause and the fix."""
        where = self._where()
        try:
            yield
        except nx.ConstraintError as e:
            raise Conflict(
                f"{where} refused the write and nothing was changed: {e.message}. A unique property "
                "(such as 统一社会信用代码) is already used by another node."
            ) from e
        except nx.AuthError as e:
            raise StoreError(
                f"{where} refused the credentials: {e.message}. Check CHAINMATCH_NEO4J_USER and "
                "CHAINMATCH_NEO4J_PASSWORD."
            ) from e
        except (nx.ServiceUnavailable, nx.SessionExpired) as e:
            raise StoreUnavailable(
                f"{where} is unreachable while {doing}: {_one_line(e)}. Check that the server is running and that "
                "CHAINMATCH_NEO4J_URI is right; chainmatch reconnects by itself when the server is back, "
                "and a load can be re-run safely."
            ) from e
        except nx.TransientError as e:
            raise StoreUnavailable(
                f"{where} kept failing with a temporary error while {doing} ({e.code}: {e.message}); "
                "nothing was changed by the failed transaction. Try again in a moment."
            ) from e
        except nx.ClientError as e:
            if e.code == "Neo.ClientError.Database.DatabaseNotFound":
                raise StoreError(
                    f"{where}: the database '{self.database}' does not exist ({e.message}). Create it "
                    f"(CREATE DATABASE {self.database}) or set CHAINMATCH_NEO4J_DATABASE to an existing one."
                ) from e
            raise StoreError(f"{where} refused a statement while {doing}: {e.code}: {e.message}.") from e
        except nx.Neo4jError as e:
            raise StoreError(f"{where} failed while {doing}: {e.code}: {e.message}.") from e
        except nx.DriverError as e:
            raise StoreError(f"{where}: the driver failed while {doing}: {_one_line(e)}.") from e

    def _session(self, mode: str) -> neo4j.Session:
        return self._driver.session(database=self.database, default_access_mode=mode)

    def _retrying(self, attempt: Callable[[], T]) -> T:
        """``attempt()`` again while it raises :class:`StoreUnavailable`, for up to ``retry_seconds``."""
        deadline, pause = 0.0, 0.25
        while True:
            try:
                return attempt()
            except StoreUnavailable:
                now = time.monotonic()
                deadline = deadline or now + self.retry_seconds
                if now >= deadline:
                    raise
                time.sleep(min(pause, deadline - now))
                pause = min(pause * 2, 2.0)

    def _read(self, st: Statement, params: Mapping[str, Any]) -> list[neo4j.Record]:
        """One read statement as an auto-commit query: RUN and PULL go out together, one round trip (a managed
        transaction takes three: BEGIN, RUN+PULL, COMMIT). A read changes nothing, so it is simply run again
        on a lost connection or a temporary error."""
        def attempt() -> list[neo4j.Record]:
            with self._translated(f"reading ({st.name})"), self._session(neo4j.READ_ACCESS) as session:
                return list(session.run(st.text, dict(params)))

        return self._retrying(attempt)

    def _run_write(self, work: Callable[[neo4j.ManagedTransaction], T], doing: str) -> T:
        with self._translated(doing), self._session(neo4j.WRITE_ACCESS) as session:
            return session.execute_write(work)

    def close(self) -> None:
        self._driver.close()

    # -- schema -------------------------------------------------------------------------------

    def apply_schema(self) -> None:
        """Create every constraint and index of ``graph_schema`` that is missing (``IF NOT EXISTS``)."""
        for st in self._statements.values():
            if st.kind == "schema":
                # Schema changes cannot share a transaction with each other's data; one each.
                self._run_write(_read_all(st, {}), f"applying the schema ({st.name})")

    def await_indexes(self, timeout: float = 3600.0, *, progress: Callable[[str], None] | None = None) -> float:
        """Wait until Neo4j reports every index ONLINE (``SHOW INDEXES``, polled once a second); returns the seconds
        waited. ``progress`` is told, at most every 30 s, which indexes are still being built and how far. A FAILED
        index or the ``timeout`` is a StoreError naming the index."""
        st = statement(INDEXES_NOT_ONLINE, self.schema)
        t0 = time.monotonic()
        told = t0
        while True:
            rows = self._read(st, {})
            if not rows:
                return round(time.monotonic() - t0, 1)
            failed = [r["name"] for r in rows if r["state"] == "FAILED"]
            if failed:
                raise StoreError(
                    f"{self._where()} 的索引 {', '.join(failed)} 建立失败（FAILED）。请查看 Neo4j 的 debug.log 中"
                    "该索引的原因，删除该索引（DROP INDEX 名称）后重新连接 chainmatch，它会按 graph_schema 重新创建。",
                    details={"failed": failed})
            now = time.monotonic()
            building = ", ".join(f"{r['name']} {float(r['populationPercent'] or 0):.0f}%" for r in rows)
            if now - t0 >= timeout:
                raise StoreError(
                    f"{self._where()} 的索引在 {timeout:.0f} 秒内仍未建好（{building}）：Neo4j 仍在后台建立它们，"
                    "此时按这些属性的查询会很慢。请稍后再试，或等待更久（await_indexes 的 timeout）。",
                    details={"building": [r["name"] for r in rows]})
            if progress and now - told >= 30:
                progress(building)
                told = now
            time.sleep(1.0)

    # -- writes -------------------------------------------------------------------------------

    def _rows(self, batch: GraphBatch) -> list[tuple[Statement, list[Any]]]:
        """The batch as (statement, parameter list) pairs, in write order: resets, nodes, relationships."""
        plan: list[tuple[Statement, list[Any]]] = []
        resets: dict[str, list[str]] = defaultdict(list)
        for r in batch.resets:
            resets[f"reset_{r.direction}:{self.schema.relationship(r.type).name}:{r.label}"].append(r.id)
        nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for n in batch.nodes:
            self.schema.label(n.label)
            # Neo4j stores no nulls; the key is always a property (SET n = props replaces them all).
            props = {k: v for k, v in n.props.items() if v is not None}
            props[self.schema.labels[n.label].key] = n.id
            nodes[f"merge_nodes:{n.label}"].append(props)
        rels: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rel in batch.rels:
            self.schema.relationship(rel.type)
            props = {k: v for k, v in rel.props.items() if v is not None}
            rels[f"merge_rels:{rel.type}:{rel.src_label}:{rel.dst_label}"].append(
                {"src": rel.src, "dst": rel.dst, "props": props}
            )
        for group in (resets, nodes, rels):
            for name, items in group.items():
                plan.append((self._statement(name), items))
        return plan

    def _statement(self, name: str) -> Statement:
        return statement(name, self.schema)

    def write(self, batch: GraphBatch) -> None:
        plan = self._rows(batch)
        if not plan and not batch.expects:
            return
        size = self.batch_size

        def work(tx: neo4j.ManagedTransaction) -> None:
            try:
                by_label: dict[str, list[Expect]] = defaultdict(list)
                for e in batch.expects:
                    by_label[self.schema.label(e.label).name].append(e)
                for label, expects in sorted(by_label.items()):
                    locked = {rec["id"]: rec["props"] for rec in tx.run(
                        self._statement(f"lock_nodes:{label}").text, {"ids": sorted({e.id for e in expects})})}
                    for e in expects:
                        e.check(locked[e.id].get(e.prop) if e.id in locked else None)
                for st, items in plan:
                    key = "ids" if "ids" in st.params else "rows"
                    for chunk in _chunks(items, size):
                        tx.run(st.text, {key: list(chunk)}).consume()
                if plan:
                    listed = touches(batch)
                    self._journal(tx, [EVERYTHING] if listed is None else listed)
            except nx.Neo4jError as e:
                if _memory_refusal(e):
                    raise _MemoryRefused(e) from e
                raise

        n, r = len(batch.nodes), len(batch.rels)
        try:
            self._run_write(work, f"writing {n} nodes and {r} relationships (nothing was changed)")
        except _MemoryRefused as e:
            raise StoreError(
                f"{self._where()} 拒绝了这次写入（{n:,} 个节点、{r:,} 条关系，共 {batch_rows(batch):,} 行）：事务所需"
                f"内存超过了 Neo4j 的事务内存上限（{e.error.code}：{e.error.message}）；这次写入的事务没有改动任何"
                f"数据。解决：调低 CHAINMATCH_NEO4J_TX_ROWS（现为每个事务 {self.tx_rows:,} 行，例如减半）后重新"
                "导入；或调高 Neo4j 的 dbms.memory.transaction.total.max、db.memory.transaction.max 或其堆内存 "
                "server.memory.heap.max_size。",
                details={"tx_rows": self.tx_rows, "rows": batch_rows(batch)},
            ) from e.error

    def write_bulk(self, batch: GraphBatch) -> None:
        """:meth:`write` in transactions of at most ``tx_rows`` rows (resets, then nodes, then relationships). When one
        fails after others committed, the error says how many rows are in; writing the batch again is safe."""
        parts = split_batch(batch, self.tx_rows)
        total, done = batch_rows(batch), 0
        for part in parts:
            try:
                self.write(part)
            except (StoreError, Conflict) as e:
                if not done:
                    raise
                raise type(e)(
                    f"{e.message} 此前的事务已提交 {done:,} 行（共 {total:,} 行，每个事务至多 {self.tx_rows:,} 行），"
                    "它们留在库中；导入是按编号的覆盖写入（upsert），修正后重新运行同一导入是安全的，会补齐其余部分。",
                    details={**e.details, "committed_rows": done, "total_rows": total},
                ) from e
            done += batch_rows(part)

    def delete(self, label: str, ids: Sequence[str]) -> int:
        st = self._statement(f"delete_nodes:{self.schema.label(label).name}")
        unique = list(dict.fromkeys(ids))

        def work(tx: neo4j.ManagedTransaction) -> int:
            deleted = 0
            for chunk in _chunks(unique, self.batch_size):
                deleted += tx.run(st.text, {"ids": list(chunk)}).single(strict=True)["deleted"]
            if deleted:
                self._journal(tx, [EVERYTHING] if len(unique) > JOURNAL_MAX_TOUCHES
                              else [(label, i, "") for i in sorted(unique)])
            return deleted

        return self._run_write(work, f"deleting {len(unique)} {label} nodes")

    def _journal(self, tx: neo4j.ManagedTransaction, found: Sequence[tuple[str, str, str]]) -> None:
        """Append one journal entry as the last step of a writing transaction (the head's lock is taken last, so
        it adds no deadlock), and forget entries beyond JOURNAL_KEEP now and then."""
        flat = [x for touch in found for x in touch]
        seq = tx.run(statement(JOURNAL_APPEND, self.schema).text, {"touched": flat}).single(strict=True)["seq"]
        if seq % 1000 == 0:
            tx.run(statement(JOURNAL_PRUNE, self.schema).text, {"upto": seq - JOURNAL_KEEP}).consume()

    def changes(self, since: int) -> Changes:
        rec = self._read(statement(JOURNAL_READ, self.schema), {"since": since})[0]
        rows = [(seq, t[k], t[k + 1], t[k + 2]) for seq, t in rec["entries"] for k in range(0, len(t), 3)]
        return read_changes(since, int(rec["latest"]), rows)

    def clear(self) -> int:
        """Delete every node and relationship of the database, in bounded transactions; returns the count.

        Only for a database chainmatch owns alone (tests, ``migrate --replace``).
        """
        rels = statement(DELETE_RELATIONSHIPS, self.schema)
        while True:
            records = self._run_write(_read_all(rels, {"limit": 10_000}), "emptying the database")
            if not records or int(records[0]["deleted"]) == 0:
                break
        st = statement(DELETE_ALL, self.schema)
        total = 0
        while True:
            records = self._run_write(_read_all(st, {"limit": 10_000}), "emptying the database")
            deleted = int(records[0]["deleted"]) if records else 0
            total += deleted
            if deleted == 0:
                # Followers of the journal (the service's match index) read everything again.
                self._run_write(lambda tx: self._journal(tx, [EVERYTHING]), "journaling that the database was emptied")
                return total

    # -- reads --------------------------------------------------------------------------------

    def get(self, label: str, ids: Sequence[str]) -> dict[str, Node]:
        st = self._statement(f"get_nodes:{self.schema.label(label).name}")
        out: dict[str, Node] = {}
        for chunk in _chunks(list(dict.fromkeys(ids)), self.batch_size):
            for rec in self._read(st, {"ids": list(chunk)}):
                out[rec["id"]] = Node(label, rec["id"], rec["props"])
        return out

    def find(
        self, label: str, *, text: str | None = None, where: Mapping[str, Any] | None = None,
        limit: int = 50, offset: int = 0,
    ) -> list[Node]:
        lab = self.schema.label(label)
        for prop in where or {}:
            if prop not in lab.properties:
                raise StoreError(f"'{prop}' is not a property of {label}.")
        params = {
            "text": text.lower() if text else None,
            "where": dict(where or {}),
            "skip": max(0, int(offset)),
            "limit": max(0, int(limit)),
        }
        only = next(iter(where.items())) if where and len(where) == 1 and not text else None
        seek = f"find_by:{lab.name}:{only[0]}" if only else ""
        if only and seek in self._statements:  # one indexed property: an index seek (find_nodes' n[k] cannot)
            params = {"value": only[1], "skip": params["skip"], "limit": params["limit"]}
            records = self._read(self._statement(seek), params)
        else:
            records = self._read(self._statement(f"find_nodes:{lab.name}"), params)
        return [Node(label, rec["id"], rec["props"]) for rec in records]

    def _far_label(self, labels: Sequence[str], declared: Sequence[str]) -> str:
        return next((lab for lab in labels if lab in declared), labels[0] if labels else "")

    def edges(
        self, label: str, ids: Sequence[str], rel_type: str, direction: Direction = "out", *, limit: int = 1000,
    ) -> dict[str, list[Edge]]:
        rel = self.schema.relationship(rel_type)
        self.schema.label(label)
        out: dict[str, list[Edge]] = {i: [] for i in ids}
        name = f"edges_{direction}:{label}:{rel.name}"
        if name not in self._statements:  # the schema declares no such relationship at this label
            return out
        st = self._statements[name]
        for chunk in _chunks(list(out), self.batch_size):
            for rec in self._read(st, {"ids": list(chunk), "limit": max(0, int(limit))}):
                out[rec["id"]].append(self._edge(label, rel.name, direction, rec))
        return out

    def _edge(self, label: str, rel_type: str, direction: Direction, rec: neo4j.Record) -> Edge:
        rel = self.schema.relationships[rel_type]
        near, far_id = rec["id"], rec["far_id"]
        far_label = self._far_label(rec["far_labels"], rel.to_labels if direction == "out" else rel.from_labels)
        if direction == "out":
            r = Rel(rel_type, label, near, far_label, far_id, rec["rel"])
        else:
            r = Rel(rel_type, far_label, far_id, label, near, rec["rel"])
        return Edge(r, Node(far_label, far_id, rec["far"]))

    def edges_many(
        self, label: str, ids: Sequence[str], wants: Sequence[tuple[str, Direction]], *, limit: int = 1000,
    ) -> dict[tuple[str, Direction], dict[str, list[Edge]]]:
        """Every pair in one statement (``cypher.edges_many``): one round trip per ``batch_size`` ids."""
        self.schema.label(label)
        pairs = [(self.schema.relationship(t).name, d) for t, d in dict.fromkeys(wants)]
        out: dict[tuple[str, Direction], dict[str, list[Edge]]] = {p: {i: [] for i in ids} for p in pairs}
        # Pairs the schema does not declare at this label have no relationships (as in edges).
        asked = [p for p in pairs if f"edges_{p[1]}:{label}:{p[0]}" in self._statements]
        if not asked or not ids:
            return out
        st = edges_many(label, tuple(asked), self.schema)
        for chunk in _chunks(list(dict.fromkeys(ids)), self.batch_size):
            for rec in self._read(st, {"ids": list(chunk), "limit": max(0, int(limit))}):
                rel_type, direction = asked[rec["k"]]
                out[(rel_type, direction)][rec["id"]].append(self._edge(label, rel_type, direction, rec))
        return out

    def scan(self, label: str) -> Iterator[Node]:
        st = self._statement(f"scan_nodes:{self.schema.label(label).name}")
        after = ""
        while True:
            rows = self._read(st, {"after": after, "limit": _PAGE})[0]["rows"]
            for key, props in rows:
                yield Node(label, key, props)
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]

    def scan_rels(self, rel_type: str) -> Iterator[Rel]:
        rel = self.schema.relationship(rel_type)
        single = len(rel.to_labels) == 1
        for src_label in rel.from_labels:
            st = self._statement(f"scan_rels:{rel.name}:{src_label}")
            after = ""
            while True:
                page = self._read(st, {"after": after, "limit": _PAGE})[0]
                for row in page["rows"]:
                    dst_label = rel.to_labels[0] if single else self._far_label(row[3], rel.to_labels)
                    yield Rel(rel.name, src_label, row[0], dst_label, row[1], row[2])
                if page["sources"] < _PAGE:
                    break
                after = page["last"]

    def counts(self) -> Counts:
        nodes = {rec["name"]: rec["count"] for rec in self._read(statement(COUNT_NODES, self.schema), {})}
        rels = {rec["name"]: rec["count"] for rec in self._read(statement(COUNT_RELS, self.schema), {})}
        return Counts(
            {k: v for k, v in sorted(nodes.items()) if v}, {k: v for k, v in sorted(rels.items()) if v}
        )

    def tally_problems(self, first: str, last: str, today: str,
                       open_statuses: Sequence[str]) -> list[ProblemTally]:
        rows = self._read(self._statement(TALLY_PROBLEMS), {
            "first": first, "last": last, "today": today, "open": list(open_statuses), "empty": "",
            "evaluated": "evaluated", "satisfied": "satisfied"})[0]["rows"]
        return [ProblemTally(grid, tuple(depts) if depts is not None else None, loose,
                             tuple(int(x or 0) for x in sums)) for loose, grid, depts, *sums in rows]

    def count_grid_coverage(self, zone_id: str, kind: str | None = None) -> tuple[int, int, int]:
        rec = self._read(self._statement(GRID_COVERAGE), {"zone": zone_id, "kind": kind})[0]
        return int(rec["grids"]), int(rec["covered"]), int(rec["chiefs"])

    def open_problems_due_before(self, day: str, open_statuses: Sequence[str]) -> tuple[int, list[Node]]:
        rec = self._read(self._statement(OVERDUE_PROBLEMS), {"day": day, "open": list(open_statuses),
                                                              "empty": ""})[0]
        late = sorted((Node("Problem", key, props) for key, props in rec["late"]), key=lambda n: n.id)
        return int(rec["checked"]), late
