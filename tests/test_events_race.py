"""An invitee's outcome meets a concurrent change of the event's list between its read and the write that links the
new project (compare-and-set on the event's ``changes``): another invitation is retried over, the same invitee's
outcome recorded by someone else meanwhile is a clear Conflict (409) and the project made for nothing is removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainmatch.access.auth import SYSTEM
from chainmatch.errors import Conflict
from chainmatch.loader import load_folder
from chainmatch.matching.index import build_index
from chainmatch.stores.base import GraphBatch
from chainmatch.stores.sqlite import SQLiteStore
from chainmatch.workflows import events
from tests.test_loader import write_folder
from tests.test_problems import liuzhi_files

FILES = {**liuzhi_files(),
         "enterprises.csv": liuzhi_files()["enterprises.csv"] + "\nLZ-E3,六枝煤化工有限公司,煤化工,焦炭,2521,LZ,LZ-G3"}


def _event(tmp_path: Path) -> str:
    store = SQLiteStore.open(tmp_path / "lz.db")
    load_folder(store, write_folder(tmp_path / "lz", FILES))
    ev = events.create_event(store, SYSTEM, title="焦炭供需对接会", host_id="LZ-E1", product="焦炭",
                             direction="partners")
    events.invite(store, build_index(store), SYSTEM, ev.id, enterprise_ids=["LZ-E2"])
    store.close()
    return ev.id


class Racing(SQLiteStore):
    """Runs ``meanwhile`` once, just before the first write that expects the event's list unchanged."""

    meanwhile: object = None

    def write(self, batch: GraphBatch) -> None:
        if self.meanwhile is not None and any(x.label == "MatchEvent" for x in batch.expects):
            act, self.meanwhile = self.meanwhile, None
            act()  # type: ignore[operator]
        super().write(batch)


def test_another_invitation_meanwhile_is_retried_over(tmp_path: Path) -> None:
    eid = _event(tmp_path)
    other = SQLiteStore.open(tmp_path / "lz.db")
    racing = Racing.open(tmp_path / "lz.db")
    racing.meanwhile = lambda: events.invite(other, build_index(other), SYSTEM, eid, enterprise_ids=["LZ-E3"])
    try:
        got = events.record_outcome(racing, SYSTEM, eid, "LZ-E2", "contacted", person_id="LZ-P4")
        assert racing.meanwhile is None  # the other invitation did come in between
        view = events.get_event(racing, SYSTEM, eid)
        assert got.project_status == "contacted"
        assert {i.firm.id: i.project_status for i in view.invitees} == {"LZ-E2": "contacted", "LZ-E3": None}
        assert len(list(racing.scan("Project"))) == 1
    finally:
        racing.close()
        other.close()


def test_the_same_outcome_meanwhile_is_a_clear_conflict_and_leaves_one_project(tmp_path: Path) -> None:
    eid = _event(tmp_path)
    other = SQLiteStore.open(tmp_path / "lz.db")
    racing = Racing.open(tmp_path / "lz.db")
    racing.meanwhile = lambda: events.record_outcome(other, SYSTEM, eid, "LZ-E2", "signed", person_id="LZ-P1")
    try:
        with pytest.raises(Conflict, match="刚由他人记为项目") as refused:
            events.record_outcome(racing, SYSTEM, eid, "LZ-E2", "contacted", person_id="LZ-P4")
        projects = list(racing.scan("Project"))
        assert [p.id for p in projects] == [refused.value.details["project_id"]]
        assert projects[0].props["status"] == "signed"
        steps = [n.id for n in racing.scan("ProjectStep")]
        owners = racing.edges("ProjectStep", steps, "STEP_OF")
        assert steps and {e.node.id for es in owners.values() for e in es} == {projects[0].id}  # no orphan step
        view = events.get_event(racing, SYSTEM, eid)
        assert [(i.firm.id, i.project_id, i.project_status) for i in view.invitees] == [
            ("LZ-E2", projects[0].id, "signed")]
    finally:
        racing.close()
        other.close()
