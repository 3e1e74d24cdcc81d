"""The store interface every graph store implements, and ``open_store`` that picks one from the settings.

A store holds nodes (label, id, properties) and relationships (type, from node, to node,
properties) exactly as ``graph_schema`` declares them. Writes are upserts keyed on ids, so
writing the same batch twice changes nothing; one ``write`` is one transaction (``write_bulk``, for a data
folder's load, may take several on Neo4j: see :func:`split_batch`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from chainmatch.errors import Conflict
from chainmatch.settings import Settings

__all__ = [
    "EVERYTHING",
    "JOURNAL_KEEP",
    "JOURNAL_MAX_TOUCHES",
    "PROBLEM_TALLY_COLUMNS",
    "Changes",
    "Counts",
    "Direction",
    "Edge",
    "Expect",
    "GraphBatch",
    "Node",
    "ProblemTally",
    "Rel",
    "Reset",
    "Store",
    "Touch",
    "batch_rows",
    "changes_file",
    "journal_position",
    "mark_changed",
    "open_store",
    "read_changes",
    "split_batch",
    "touches",
]

Direction = Literal["out", "in"]


# Slots: a load of 1,000,000 firms holds about 12 million nodes and relationships at once (a third of the memory
# of the same objects with a __dict__ each).
@dataclass(frozen=True, slots=True)
class Node:
    label: str
    id: str
    props: Mapping[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        return self.props.get(name, default)


@dataclass(frozen=True, slots=True)
class Rel:
    """A relationship ``(src_label {id: src})-[:type]->(dst_label {id: dst})``."""

    type: str
    src_label: str
    src: str
    dst_label: str
    dst: str
    props: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Edge:
    """A relationship seen from one node, with the node at its other end."""

    rel: Rel
    node: Node


@dataclass(frozen=True)
class Reset:
    """Before writing, drop the ``type`` relationships leaving (``out``) or entering (``in``) a node.

    The loader resets each inline relationship of every row it writes, so that reloading a file
    where a firm moved to another grid leaves exactly one ``IN_GRID``.
    """

    type: str
    label: str
    id: str
    direction: Direction = "out"


@dataclass(frozen=True)
class Expect:
    """A condition of a write: node (``label``, ``id``) holds ``value`` under ``prop`` (None: the node or the
    property is missing) when the write commits. Read-then-write steps (a project's next status) state what they
    read, so that two writers cannot both apply a step decided on the same state."""

    label: str
    id: str
    prop: str
    value: Any

    def check(self, actual: Any) -> None:
        """Raise Conflict unless ``actual`` (the value found inside the writing transaction) is the one expected."""
        if actual != self.value:
            raise Conflict(
                f"{self.label} '{self.id}' was changed by someone else while this request ran ({self.prop} is "
                f"now {actual!r}, not {self.value!r}); nothing was changed. Reload it and try again.",
                details={"label": self.label, "id": self.id, "property": self.prop},
            )


@dataclass
class GraphBatch:
    """Nodes and relationships to upsert together, in one transaction, if every expectation holds."""

    nodes: list[Node] = field(default_factory=list)
    rels: list[Rel] = field(default_factory=list)
    resets: list[Reset] = field(default_factory=list)
    expects: list[Expect] = field(default_factory=list)


@dataclass(frozen=True)
class Counts:
    nodes: Mapping[str, int]
    rels: Mapping[str, int]

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_rels(self) -> int:
        return sum(self.rels.values())


PROBLEM_TALLY_COLUMNS = ("received", "closed", "on_time", "open", "overdue", "feedback_owed", "feedback_given",
                         "satisfied", "unsatisfied", "escalated", "escalations", "days")
"""What :meth:`Store.tally_problems` sums over the problems of a group, in this order (``status`` is the problem's):

- ``received``: the problems; ``closed``: status ``closed`` or ``evaluated``; ``on_time``: closed with ``on_time``
  true; ``open``: status among the open statuses given; ``overdue``: open with a ``due_on`` before ``today``;
- ``feedback_owed``: ``reopened`` + closed (every closing owes an evaluation); ``feedback_given``: ``reopened`` +
  (status ``evaluated``); ``satisfied``: evaluated with ``evaluation`` = ``satisfied``; ``unsatisfied``:
  ``reopened`` (each reopening followed a 不满意);
- ``escalated``: ``escalations`` > 0; ``escalations``: the sum of ``escalations``;
- ``days``: over the closed problems with both dates, the calendar days from ``raised_on`` to ``closed_on``.

Missing numbers count as 0, a missing flag as false."""


@dataclass(frozen=True)
class ProblemTally:
    """The sums of :data:`PROBLEM_TALLY_COLUMNS` over the problems raised in a period that share the copies of
    their grid and departments kept on the node (``grid``, ``departments``). A problem without either copy (loaded
    from a data folder) is a tally of its own, with its id in ``problem_id``, so that the caller can look it up
    through its relationships."""

    grid: str | None
    departments: tuple[str, ...] | None
    problem_id: str | None
    sums: tuple[int, ...]
JOURNAL_MAX_TOUCHES = 2000
"""A write that touches more nodes than this is journaled as one 'everything changed' entry (a load, an import)."""
JOURNAL_KEEP = 100_000
"""Journal entries (one per write) a store keeps; a reader further behind is told that it cannot know."""
EVERYTHING = ("*", "*", "")
"""The touch of a write too large to list: whoever follows the journal reads everything again."""


@dataclass(frozen=True, order=True)
class Touch:
    """A node a write touched: written or deleted itself (``via`` empty), or at an end of a ``via`` relationship
    written, reset or deleted."""

    label: str
    id: str
    via: str = ""


@dataclass(frozen=True)
class Changes:
    """What the writes after a journal position touched (:meth:`Store.changes`)."""

    seq: int
    """The journal position of the last write included (pass it to the next call)."""
    touched: frozenset[Touch] | None
    """The nodes touched; None when it cannot be said (a write too large to list, entries no longer kept, or a
    journal that restarted, as after emptying the database): read everything again."""


def touches(batch: GraphBatch) -> list[tuple[str, str, str]] | None:
    """The (label, id, via) touches of a batch, sorted; None when there are more than :data:`JOURNAL_MAX_TOUCHES`
    (then the journal records :data:`EVERYTHING`)."""
    if len(batch.nodes) + 2 * len(batch.rels) + len(batch.resets) > 4 * JOURNAL_MAX_TOUCHES:
        return None  # certainly too many: do not even collect them (a bulk load)
    out: set[tuple[str, str, str]] = {(n.label, n.id, "") for n in batch.nodes}
    for r in batch.rels:
        out.add((r.src_label, r.src, r.type))
        out.add((r.dst_label, r.dst, r.type))
    for x in batch.resets:
        out.add((x.label, x.id, x.type))
    if len(out) > JOURNAL_MAX_TOUCHES:
        return None
    return sorted(out)


def batch_rows(batch: GraphBatch) -> int:
    """Rows of a batch as ``write_bulk`` counts them: one per reset, node and relationship."""
    return len(batch.resets) + len(batch.nodes) + len(batch.rels)


def split_batch(batch: GraphBatch, rows: int) -> list[GraphBatch]:
    """``batch`` as consecutive batches of at most ``rows`` rows, in write order: resets, then nodes, then
    relationships (a relationship's ends are written before it, a reset before what it makes room for).
    A batch with ``expects`` is not split: its check and its write are one transaction.

    >>> b = GraphBatch(nodes=[Node("Zone", z, {"id": z}) for z in "ABC"],
    ...                rels=[Rel("IN_ZONE", "Enterprise", "E", "Zone", "A")])
    >>> [(len(p.nodes), len(p.rels)) for p in split_batch(b, 2)]
    [(2, 0), (1, 1)]
    >>> len(split_batch(b, 10)), split_batch(GraphBatch(), 2)
    (1, [])
    """
    if rows < 1:
        raise ValueError(f"rows per transaction must be at least 1, not {rows}")
    if batch.expects or batch_rows(batch) <= rows:
        return [batch] if batch_rows(batch) or batch.expects else []
    items: list[tuple[str, Any]] = [("reset", r) for r in batch.resets]
    items += [("node", n) for n in batch.nodes]
    items += [("rel", r) for r in batch.rels]
    parts = []
    for i in range(0, len(items), rows):
        part = GraphBatch()
        for kind, item in items[i : i + rows]:
            (part.resets if kind == "reset" else part.nodes if kind == "node" else part.rels).append(item)
        parts.append(part)
    return parts


def read_changes(since: int, latest: int, rows: Iterable[tuple[int, str, str, str]]) -> Changes:
    """The :class:`Changes` after ``since`` of a journal whose last entry is ``latest``, given its rows after
    ``since`` as (seq, label, id, via) in seq order; shared by the stores. Entries are numbered one by one and
    pruned from the oldest, so entry ``since + 1`` is there unless some after ``since`` were pruned."""
    rows = list(rows)
    if since > latest or (since < latest and (not rows or rows[0][0] != since + 1)):
        return Changes(latest, None)  # the journal restarted, or entries after `since` are no longer kept
    found: set[Touch] = set()
    for _, label, id_, via in rows:
        if (label, id_, via) == EVERYTHING:
            return Changes(latest, None)
        found.add(Touch(label, id_, via))
    return Changes(latest, frozenset(found))


@runtime_checkable
class Store(Protocol):
    """What chainmatch needs from a graph database; implemented by the embedded and Neo4j stores."""

    kind: str
    """'embedded' or 'neo4j'."""
    location: str
    """Where the data lives (a file path or a URI without credentials), for messages."""

    def apply_schema(self) -> None:
        """Create constraints and indexes from ``graph_schema``; safe to run again."""

    def write(self, batch: GraphBatch) -> None:
        """Apply resets, then upsert nodes (properties replaced) and relationships, atomically.

        When an expectation of ``batch.expects`` does not hold, raise Conflict and change nothing; the check and
        the write are one transaction, and a concurrent writer of the same node waits for it.
        """

    def write_bulk(self, batch: GraphBatch) -> None:
        """:meth:`write` of a batch that may be too large for one transaction (a data folder's load), with the same
        content afterwards. The embedded store writes it in one transaction; Neo4j in transactions of at most
        ``CHAINMATCH_NEO4J_TX_ROWS`` rows each (:func:`split_batch`), so a failure can leave the earlier ones
        committed (the error says how many rows): writes are upserts, so writing the batch again completes it.
        A batch with ``expects`` is always one transaction."""

    def await_indexes(self, timeout: float = 3600.0) -> float:
        """Wait until every index of the store is online (Neo4j builds them in the background after an offline
        import or once the schema meets data already there); returns the seconds waited. Raises StoreError when
        an index failed or ``timeout`` passed. The embedded store's indexes are always up to date."""

    def delete(self, label: str, ids: Sequence[str]) -> int:
        """Delete nodes and their relationships; returns how many nodes existed."""

    def changes(self, since: int) -> Changes:
        """What the writes committed after journal position ``since`` touched (0: from the start).

        Every :meth:`write` and :meth:`delete` that changes something appends one journal entry in its own
        transaction, with its :func:`touches` (the deleted nodes for a delete); the match index of each service
        worker follows it to update itself for just those nodes."""

    def get(self, label: str, ids: Sequence[str]) -> dict[str, Node]:
        """The nodes of ``label`` among ``ids`` that exist, by id."""

    def find(
        self, label: str, *, text: str | None = None, where: Mapping[str, Any] | None = None,
        limit: int = 50, offset: int = 0,
    ) -> list[Node]:
        """Nodes of ``label`` whose name, short name, aliases or id contain ``text`` and whose
        properties equal ``where``; ordered by id."""

    def edges(
        self, label: str, ids: Sequence[str], rel_type: str, direction: Direction = "out", *, limit: int = 1000,
    ) -> dict[str, list[Edge]]:
        """For each of ``ids``, its ``rel_type`` relationships in ``direction`` with the far node."""

    def edges_many(
        self, label: str, ids: Sequence[str], wants: Sequence[tuple[str, Direction]], *, limit: int = 1000,
    ) -> dict[tuple[str, Direction], dict[str, list[Edge]]]:
        """:meth:`edges` of several (relationship type, direction) pairs of the same nodes at once, by pair: what
        ``edges`` would give for each, in one read (one round trip on Neo4j) instead of one per pair."""

    def scan(self, label: str) -> Iterator[Node]:
        """Every node of ``label``, ordered by id."""

    def scan_rels(self, rel_type: str) -> Iterator[Rel]:
        """Every relationship of ``rel_type``."""

    def counts(self) -> Counts:
        """Node counts per label and relationship counts per type."""

    def tally_problems(self, first: str, last: str, today: str,
                       open_statuses: Sequence[str]) -> list[ProblemTally]:
        """The Problem nodes whose ``raised_on`` is from ``first`` to ``last`` (ISO dates, inclusive), summed in the
        store (one aggregate query, no node read into Python) per (``grid``, ``departments``) copy; see
        :class:`ProblemTally` and :data:`PROBLEM_TALLY_COLUMNS`. Order unspecified."""

    def open_problems_due_before(self, day: str, open_statuses: Sequence[str]) -> tuple[int, list[Node]]:
        """How many Problem nodes have a status among ``open_statuses``, and those of them whose ``due_on`` is
        before ``day`` (ISO dates order as the days do), by id: what the overdue sweep needs, filtered in the
        store."""

    def count_grid_coverage(self, zone_id: str, kind: str | None = None) -> tuple[int, int, int]:
        """(grids, grids covered by a party organization, grids with a chief) of the Grid nodes IN_ZONE
        ``zone_id`` (of that ``kind`` only, when given), counted in the store (COVERS and CHIEF_OF relationships
        into each grid), no node read into Python: what a zone's coverage figures need."""

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""


_END = 1 << 62


def journal_position(store: Store) -> int:
    """The journal position of the store's last write (read before building an index from the store: the writes
    after it are those to apply later)."""
    return store.changes(_END).seq  # a position beyond the end: the answer is the end, with no entries read


def open_store(settings: Settings) -> Store:
    """Open the store the settings select: Neo4j when a URI is set, else the embedded file."""
    if settings.neo4j_uri:
        from chainmatch.stores.neo4j import Neo4jStore  # imported here: the driver is only needed then

        return Neo4jStore.connect(settings)
    from chainmatch.stores.sqlite import SQLiteStore

    return SQLiteStore.open(settings.db, busy_timeout=settings.store_busy_timeout)


def changes_file(settings: Settings) -> Path:
    """The file whose modification time says the store's data changed under the service's match index (a
    register imported by the command line or through the API): beside the embedded store's file, or beside the
    model file on Neo4j. Every worker process of the service rebuilds its index when it sees a newer one."""
    if settings.store_kind == "embedded":
        return Path(f"{settings.db}.changed")
    return settings.model_path.with_name(settings.model_path.name + ".data-changed")


def mark_changed(settings: Settings) -> Path:
    """Touch :func:`changes_file`; raises OSError when it cannot be written."""
    path = changes_file(settings)
    path.write_text(f"{time.time_ns()}\n", encoding="utf-8")
    return path
