"""The embedded store's ``problem_tally`` (the columns the assessment sums and the sweep filters on) stays in step
with the Problem nodes whoever writes them: the store's own writes and deletes, another program writing the file
with plain SQL, and a file made before the triggers existed (filled once on opening)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from chainmatch.stores.base import GraphBatch, Node
from chainmatch.stores.sqlite import SQLiteStore

COLUMNS = "id, raised_on, grid, departments, status, due_on, closed_on, on_time, evaluation, reopened, escalations"


def _problem(pid: str, status: str, **more: object) -> Node:
    return Node("Problem", pid, {"id": pid, "title": "诉求", "status": status, "raised_on": "2025-03-01",
                                 "due_on": "2025-03-04", "grid": "G1", "departments": ["D-gx", "D-zr"], **more})


def _tally(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT {COLUMNS} FROM problem_tally ORDER BY id").fetchall()


def test_writes_updates_and_deletes_keep_the_tally(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "s.db")
    store.write(GraphBatch(nodes=[_problem("P1", "raised"), _problem("P2", "handling", escalations=1),
                                  Node("Enterprise", "E1", {"id": "E1", "name": "甲公司"})]))
    store.write(GraphBatch(nodes=[_problem("P1", "closed", closed_on="2025-03-03", on_time=True)]))
    assert _tally(tmp_path / "s.db") == [
        ("P1", "2025-03-01", "G1", '["D-gx","D-zr"]', "closed", "2025-03-04", "2025-03-03", 1, None, None, None),
        ("P2", "2025-03-01", "G1", '["D-gx","D-zr"]', "handling", "2025-03-04", None, None, None, None, 1)]
    assert store.delete("Problem", ["P2"]) == 1
    assert [r[0] for r in _tally(tmp_path / "s.db")] == ["P1"]
    store.close()


def test_another_program_writing_the_file_keeps_it_too(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "s.db")
    store.write(GraphBatch(nodes=[_problem("P1", "raised"), _problem("P2", "raised")]))
    with sqlite3.connect(tmp_path / "s.db") as conn:
        conn.execute("UPDATE nodes SET props = json_set(props, '$.status', 'evaluated', '$.evaluation', "
                     "'satisfied') WHERE label = 'Problem' AND id = 'P1'")
        conn.execute("DELETE FROM nodes WHERE label = 'Problem' AND id = 'P2'")
    assert [(r[0], r[4], r[8]) for r in _tally(tmp_path / "s.db")] == [("P1", "evaluated", "satisfied")]
    sums = store.tally_problems("2025-01-01", "2025-12-31", "2025-06-01", ["raised", "dispatched", "handling"])
    assert [(t.grid, t.departments, t.sums[0]) for t in sums] == [("G1", ("D-gx", "D-zr"), 1)]  # one received
    store.close()


def test_a_file_from_before_the_triggers_is_filled_once_on_opening(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "s.db")
    store.write(GraphBatch(nodes=[_problem("P1", "raised"), _problem("P2", "handling")]))
    store.close()
    with sqlite3.connect(tmp_path / "s.db") as conn:  # as an older chainmatch left it: no triggers, a stale row
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("UPDATE nodes SET props = json_set(props, '$.status', 'closed') WHERE id = 'P2'")
        conn.execute("UPDATE problem_tally SET status = 'raised' WHERE id = 'P2'")  # same row count, stale
    SQLiteStore.open(tmp_path / "s.db").close()
    assert [(r[0], r[4]) for r in _tally(tmp_path / "s.db")] == [("P1", "raised"), ("P2", "closed")]
