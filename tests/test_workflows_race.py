"""Concurrent steps on every store (the embedded store and the real Neo4j): a second handle on the same store writes
between a request's read and its write, and the request's compare-and-set either retries over it or refuses with a
clear Conflict (409), writing nothing half-way.

- a problem's step meets another step written meanwhile: refused, the other step kept;
- the overdue sweep meets a step written meanwhile on one of its problems: that one is left (``skipped``), the
  others are escalated;
- an event invitee's outcome meets another invitation (retried over) or the same invitee's outcome recorded by
  someone else (a Conflict naming that project; the project made for nothing is removed).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from chainmatch.access import audit
from chainmatch.access.auth import SYSTEM
from chainmatch.errors import Conflict
from chainmatch.loader import load_folder
from chainmatch.matching.index import build_index
from chainmatch.stores.base import Store
from chainmatch.workflows import events, problems
from tests.racing import Racing
from tests.test_loader import write_folder
from tests.test_problems import liuzhi_files

FILES = {**liuzhi_files(),
         "enterprises.csv": liuzhi_files()["enterprises.csv"] + "\nLZ-E3,六枝煤化工有限公司,煤化工,焦炭,2521,LZ,LZ-G3"}


@pytest.fixture
def liuzhi(store: Store, tmp_path: Path) -> Store:
    load_folder(store, write_folder(tmp_path / "lz", FILES))
    return store


def test_a_step_written_meanwhile_refuses_the_request_and_keeps_the_other(liuzhi: Store, other_handle: Store) -> None:
    pid = problems.raise_problem(liuzhi, SYSTEM, enterprise_id="LZ-E1", title="园区公交专线", category="transport").id
    problems.dispatch(liuzhi, SYSTEM, pid, ["LZ-D-jt"])
    racing = Racing(liuzhi, lambda: problems.escalate(other_handle, SYSTEM, pid, note="另一位同事"))
    with pytest.raises(Conflict, match="changed by someone else"):
        problems.acknowledge(cast(Store, racing), SYSTEM, pid, department_id="LZ-D-jt")
    assert racing.raced
    view = problems.get_problem(liuzhi, SYSTEM, pid)
    assert (view.status, view.level, view.handler) == ("dispatched", "2", None)
    assert [s.action for s in view.steps] == ["raised", "dispatched", "escalated"]


def test_the_sweep_leaves_a_problem_stepped_meanwhile_and_escalates_the_others(liuzhi: Store,
                                                                                other_handle: Store) -> None:
    at = datetime(2024, 5, 1, 9, tzinfo=audit.CHINA)
    ids = [problems.raise_problem(liuzhi, SYSTEM, enterprise_id="LZ-E1", title=t, category="approval", at=at).id
           for t in ("审批甲", "审批乙", "审批丙")]
    racing = Racing(liuzhi, lambda: problems.dispatch(other_handle, SYSTEM, ids[1], ["LZ-D-gx"]))
    done = problems.sweep(cast(Store, racing), today=date(2024, 5, 1) + timedelta(days=4))
    assert racing.raced
    assert (sorted(done.escalated), done.skipped) == (sorted([ids[0], ids[2]]), [ids[1]])
    got = {i: problems.get_problem(liuzhi, SYSTEM, i) for i in ids}
    assert {i: (v.status, v.level) for i, v in got.items()} == {
        ids[0]: ("raised", "2"), ids[1]: ("dispatched", "1"), ids[2]: ("raised", "2")}
    assert [s.action for s in got[ids[1]].steps] == ["raised", "dispatched"]


def _event(store: Store) -> str:
    ev = events.create_event(store, SYSTEM, title="焦炭供需对接会", host_id="LZ-E1", product="焦炭",
                             direction="partners")
    events.invite(store, build_index(store), SYSTEM, ev.id, enterprise_ids=["LZ-E2"])
    return ev.id


def _on_the_event(batch: object) -> bool:
    return any(x.label == "MatchEvent" for x in batch.expects)  # type: ignore[attr-defined]


def test_another_invitation_meanwhile_is_retried_over(liuzhi: Store, other_handle: Store) -> None:
    eid = _event(liuzhi)
    racing = Racing(liuzhi, lambda: events.invite(other_handle, build_index(other_handle), SYSTEM, eid,
                                                  enterprise_ids=["LZ-E3"]), when=_on_the_event)
    got = events.record_outcome(cast(Store, racing), SYSTEM, eid, "LZ-E2", "contacted", person_id="LZ-P4")
    assert racing.raced  # the other invitation did come in between
    view = events.get_event(liuzhi, SYSTEM, eid)
    assert got.project_status == "contacted"
    assert {i.firm.id: i.project_status for i in view.invitees} == {"LZ-E2": "contacted", "LZ-E3": None}
    assert len(list(liuzhi.scan("Project"))) == 1


def test_the_same_outcome_meanwhile_is_a_clear_conflict_and_leaves_one_project(liuzhi: Store,
                                                                                other_handle: Store) -> None:
    eid = _event(liuzhi)
    racing = Racing(liuzhi, lambda: events.record_outcome(other_handle, SYSTEM, eid, "LZ-E2", "signed",
                                                          person_id="LZ-P1"), when=_on_the_event)
    with pytest.raises(Conflict, match="刚由他人记为项目") as refused:
        events.record_outcome(cast(Store, racing), SYSTEM, eid, "LZ-E2", "contacted", person_id="LZ-P4")
    projects = list(liuzhi.scan("Project"))
    assert [p.id for p in projects] == [refused.value.details["project_id"]]
    assert projects[0].props["status"] == "signed"
    steps = [n.id for n in liuzhi.scan("ProjectStep")]
    owners = liuzhi.edges("ProjectStep", steps, "STEP_OF")
    assert steps and {e.node.id for es in owners.values() for e in es} == {projects[0].id}  # no orphan step
    view = events.get_event(liuzhi, SYSTEM, eid)
    assert [(i.firm.id, i.project_id, i.project_status) for i in view.invitees] == [
        ("LZ-E2", projects[0].id, "signed")]
