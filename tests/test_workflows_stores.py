"""Problems, assessment, the sweep, reminders and events on every store (the ``store`` fixture: the embedded store
and the real Neo4j): the store-side aggregate of the assessment (SQL GROUP BY, Cypher aggregation) and the sweep's
filter give the figures worked out by hand in tests/test_assessment.py, tests/test_problems.py and
tests/test_reminders.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from chainmatch.access import audit
from chainmatch.access.auth import SYSTEM
from chainmatch.loader import load_folder
from chainmatch.matching.index import build_index
from chainmatch.stores.base import Store
from chainmatch.workflows import events, problems
from chainmatch.workflows.assessment import assess
from chainmatch.workflows.reminders import reminders
from tests.test_assessment import G2, G3, figures, may_problems, row
from tests.test_loader import write_folder
from tests.test_problems import liuzhi_files
from tests.test_reminders import world


def _liuzhi(store: Store, tmp_path: Path, **extra: str) -> None:
    load_folder(store, write_folder(tmp_path / "lz", {**liuzhi_files(), **extra}))


def test_the_may_assessment_is_the_one_worked_out_by_hand(store: Store, tmp_path: Path) -> None:
    _liuzhi(store, tmp_path)
    may_problems(store)
    a = assess(store, SYSTEM, start=date(2024, 5, 1), end=date(2024, 5, 31), today=date(2024, 6, 10))
    assert figures(a.total) == row(4, 3, 2, 1, 1, 4, 3, 2, 1, 1, 6.0, (0.6667, 0.75, 0.6667))
    assert {f.id: figures(f) for f in a.departments} == {
        "LZ-D-gx": row(2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 2.0, (1.0, 1.0, 1.0)),
        "LZ-D-jt": row(1, 1, 1, 0, 0, 2, 2, 1, 1, 1, 9.0, (1.0, 1.0, 0.5)),
        "LZ-D-zr": row(2, 2, 1, 0, 0, 2, 1, 1, 0, 0, 4.5, (0.5, 0.5, 1.0)),
    }
    assert {f.id: figures(f) for f in a.grids} == {"LZ-G2": G2, "LZ-G3": G3}
    assert {f.id: figures(f) for f in a.chiefs} == {"LZ-P1": G2, "LZ-P3": G3}
    zoned = assess(store, SYSTEM, start=date(2024, 5, 1), end=date(2024, 5, 31), zone_id="QZ",
                   today=date(2024, 6, 10))
    assert zoned.total.received == 0 and zoned.departments == []


def test_problems_without_the_copies_are_assessed_through_their_relationships(store: Store, tmp_path: Path) -> None:
    _liuzhi(store, tmp_path, **{
        "problems.csv": "id,title,category,status,level,raised_on,due_on,closed_on,on_time,reopened,enterprise_id,"
                        "grid_id,zone_id,handler_id\n"
                        "LZ-PB-1,园区公交专线,transport,evaluated,2,2024-03-01,2024-03-04,2024-03-03,true,0,LZ-E1,"
                        "LZ-G2,LZ,LZ-D-jt\n"
                        "LZ-PB-2,货运道路拓宽至20米,transport,handling,3,2024-03-05,2024-03-08,,,0,LZ-E2,LZ-G3,LZ,"
                        "LZ-D-jt",
        "problem_departments.csv": "from_id,to_id,on\nLZ-PB-1,LZ-D-jt,2024-03-01\nLZ-PB-2,LZ-D-jt,2024-03-05\n"
                                   "LZ-PB-2,LZ-D-zr,2024-03-05"})
    a = assess(store, SYSTEM, start=date(2024, 3, 1), end=date(2024, 3, 31), zone_id="LZ", today=date(2024, 4, 1))
    assert [(f.id, f.received, f.closed, f.overdue) for f in a.departments] == [("LZ-D-jt", 2, 1, 1),
                                                                                ("LZ-D-zr", 1, 0, 1)]
    assert [(f.id, f.received, f.avg_days_to_close) for f in a.grids] == [("LZ-G2", 1, 2.0), ("LZ-G3", 1, None)]


def test_the_sweep_escalates_the_overdue_ones(store: Store, tmp_path: Path) -> None:
    _liuzhi(store, tmp_path)
    day = date(2024, 5, 1)
    at = datetime(2024, 5, 1, 9, tzinfo=audit.CHINA)
    ids = [problems.raise_problem(store, SYSTEM, enterprise_id="LZ-E1", title=t, category=c, at=at).id
           for t, c in [("审批", "approval"), ("用地", "land"), ("住宿", "living")]]  # due in 1, 3 and 5 days
    assert problems.sweep(store, today=day + timedelta(days=1)).escalated == []
    done = problems.sweep(store, today=day + timedelta(days=4))
    assert (done.checked, sorted(done.escalated), done.at_top) == (3, sorted(ids[:2]), [])
    assert [problems.get_problem(store, SYSTEM, i).level for i in ids] == ["2", "2", "1"]
    assert problems.sweep(store, today=day + timedelta(days=4), zone_id="QZ").checked == 0
    last = problems.sweep(store, today=day + timedelta(days=30), dry_run=True)
    assert sorted(last.escalated) == sorted(ids)


def test_reminders_per_department_and_person(store: Store, tmp_path: Path) -> None:
    _liuzhi(store, tmp_path)
    ids = world(store)
    found = {(r.kind, r.id): r for r in reminders(store, SYSTEM, today=date(2024, 5, 6), soon_days=2)}
    assert [i.id for i in found[("department", "LZ-D-gx")].overdue] == [ids["A"]]
    assert [i.id for i in found[("department", "LZ-D-zr")].soon] == [ids["B"]]
    assert [i.id for i in found[("person", "LZ-P3")].today] == [ids["C"]]
    assert [i.id for i in found[("person", "LZ-P4")].soon] == [ids["P"]]


def test_an_event_from_invitation_to_signature(store: Store, tmp_path: Path) -> None:
    _liuzhi(store, tmp_path)
    ev = events.create_event(store, SYSTEM, title="焦炭供需对接会", host_id="LZ-E1", product="焦炭",
                             direction="partners")
    ev = events.invite(store, build_index(store), SYSTEM, ev.id, enterprise_ids=["LZ-E2"])
    assert [i.firm.id for i in ev.invitees] == ["LZ-E2"]
    events.record_attendance(store, SYSTEM, ev.id, ["LZ-E2"], held_on=date(2024, 6, 1))
    signed = events.record_outcome(store, SYSTEM, ev.id, "LZ-E2", "signed", person_id="LZ-P4")
    assert signed.project_status == "signed"
    f = events.get_event(store, SYSTEM, ev.id).funnel
    assert (f.invited, f.attended, f.negotiating, f.signed) == (1, 1, 1, 1)
    assert [(c.events, c.funnel.signed) for c in events.chain_funnels(store, SYSTEM)] == [(1, 1)]
