"""Map runs: chain investment maps computed in the background and kept as files, for the HTTP API.

A run maps a zone (or every zone) with :func:`chainmatch.maps.build.zone_maps` and writes the files of
:func:`chainmatch.maps.render.write_maps` under ``root/<run id>/``. Runs execute one at a time, in order, on one
worker thread; their state (queued, running, done, failed, with progress and the summary) is kept in memory, the
files on disk. Maps show every firm of a zone, so grid chiefs may neither start runs nor read them; starting one
needs the ``maps`` permission (staff, admin: not viewers), and a zone-limited token maps and sees only its zones.
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from chainmatch.access.auth import Principal, authorize, require
from chainmatch.errors import ChainmatchError, NotFound, PermissionDenied
from chainmatch.maps.build import Thresholds, resolve_zones, zone_maps
from chainmatch.maps.render import write_maps
from chainmatch.matching.index import MatchIndex
from chainmatch.stores.base import Store

__all__ = ["MapRun", "MapRuns"]

_log = logging.getLogger("chainmatch.maps.runs")


@dataclass(frozen=True)
class MapRun:
    id: str
    zone_id: str
    status: str
    """'queued', 'running', 'done' or 'failed'."""
    started_at: datetime
    finished_at: datetime | None
    done: int
    """Chains mapped and written so far (each counts twice: computed, then written)."""
    total: int
    chains: int
    gaps: int
    targets: int
    files: tuple[str, ...]
    """Paths of the written files, relative to the run's folder (``index.html`` first)."""
    notes: tuple[str, ...]
    error: str | None


class MapRuns:
    """The runs of one application, with their files under ``root``."""

    def __init__(self, root: Path, *, keep: int = 50) -> None:
        self.root = root
        self.keep = keep
        self._runs: dict[str, MapRun] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chainmatch-maps")

    def _check(self, who: Principal) -> None:
        require(who, "read")
        if who.grids is not None and who.zones is None:
            raise PermissionDenied(
                f"Token '{who.id}' is limited to its grids; chain maps show every firm of a zone. Ask staff or an admin.")

    def _set(self, run_id: str, **changes: object) -> None:
        with self._lock:
            self._runs[run_id] = replace(self._runs[run_id], **changes)  # type: ignore[arg-type]

    def start(self, store: Store, index: MatchIndex, who: Principal, zone_id: str,
              thresholds: Thresholds | None = None) -> MapRun:
        """Queue a run for ``zone_id`` (or ``"all"``); a wrong zone id fails here, before anything is queued."""
        authorize(store, who, "maps", zones=[zone_id])  # maps show a whole zone ('all': every zone)
        resolve_zones(store, zone_id)
        run = MapRun(uuid.uuid4().hex[:12], zone_id, "queued", datetime.now(UTC), None, 0, 0, 0, 0, 0, (), (), None)
        with self._lock:
            self._runs[run.id] = run
            finished = [r for r in self._runs.values() if r.status in ("done", "failed")]
            for old in sorted(finished, key=lambda r: r.started_at)[: max(0, len(self._runs) - self.keep)]:
                del self._runs[old.id]  # its files stay on disk
        self._pool.submit(self._work, store, index, run.id, zone_id, thresholds or Thresholds())
        return run

    def _work(self, store: Store, index: MatchIndex, run_id: str, zone_id: str, thresholds: Thresholds) -> None:
        self._set(run_id, status="running")
        try:
            def mapped(done: int, total: int, name: str) -> None:
                self._set(run_id, done=done, total=2 * total)

            def written(done: int, total: int, name: str) -> None:
                self._set(run_id, done=total + done, total=2 * total)

            result = zone_maps(store, index, zone_id, thresholds=thresholds, progress=mapped)
            out = self.root / run_id
            files = write_maps(result, out, progress=written).files
            names = sorted((str(p.relative_to(out)) for p in files), key=lambda p: (p != "index.html", p))
            self._set(run_id, status="done", finished_at=datetime.now(UTC), chains=result.chains, gaps=result.gaps,
                      targets=result.targets, files=tuple(names), notes=tuple(result.notes))
        except ChainmatchError as e:
            self._set(run_id, status="failed", finished_at=datetime.now(UTC), error=str(e))
        except Exception as e:  # noqa: BLE001 - a worker thread must record its failure, never die silently
            _log.exception("map run %s failed", run_id)
            self._set(run_id, status="failed", finished_at=datetime.now(UTC), error=f"{type(e).__name__}: {e}")

    def get(self, who: Principal, run_id: str) -> MapRun:
        """The run's state now."""
        self._check(who)
        with self._lock:
            run = self._runs.get(run_id)
            known = sorted(self._runs)[:10]
        if run is None or (who.zones is not None and run.zone_id not in who.zones):
            raise NotFound(f"No map run has the id '{run_id}'.", candidates=known if who.zones is None else [])
        return run

    def list(self, who: Principal) -> list[MapRun]:
        """Every run kept, newest first."""
        self._check(who)
        with self._lock:
            runs = sorted(self._runs.values(), key=lambda r: r.started_at, reverse=True)
        return [r for r in runs if who.zones is None or r.zone_id in who.zones]

    def file(self, who: Principal, run_id: str, path: str) -> Path:
        """The file ``path`` of a finished run (only files the run wrote)."""
        run = self.get(who, run_id)
        if path not in run.files:
            raise NotFound(f"Map run '{run_id}' has no file '{path}' ({run.status}).", candidates=list(run.files[:10]))
        return self.root / run_id / path

    def close(self) -> None:
        """Stop taking runs; queued ones are dropped, a running one finishes."""
        self._pool.shutdown(wait=False, cancel_futures=True)
