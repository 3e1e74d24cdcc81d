"""Dependencies shared by the routes: the store opened once in the app's lifespan, the caller, paging."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import numpy as np
from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from numpy.typing import NDArray

from chainmatch.access.auth import Principal, authenticate
from chainmatch.errors import DataError, StoreUnavailable
from chainmatch.matching.index import MatchIndex, build_index, update_index
from chainmatch.matching.ranking import load_model, warm
from chainmatch.pages import MAX_LIMIT
from chainmatch.settings import Settings, get_settings
from chainmatch.stores.base import Store, changes_file, journal_position, mark_changed, open_store
from chainmatch.workflows.deadlines import Limits

__all__ = [
    "LimitsDep",
    "Paging",
    "PagingDep",
    "PrincipalDep",
    "Ranking",
    "RankingDep",
    "SettingsDep",
    "StoreDep",
    "connect",
    "data_changed",
    "get_store",
    "make_ranking",
    "next_index",
    "offload",
    "refresh_index",
    "settle",
    "stop_refresh",
]


P = ParamSpec("P")
T = TypeVar("T")

_connecting = threading.Lock()
_log = logging.getLogger("chainmatch.api")


def connect(state: Any) -> Store:
    """Open the store and read the match index into the app's state (at start-up, or when a store comes back).

    Raises :class:`StoreUnavailable` while the store cannot be reached; the next request tries again.
    """
    with _connecting:
        if state.store is None:
            settings: Settings = state.settings
            store = open_store(settings)
            try:
                # The match index is read once from the store; `POST /model/train` rebuilds it, and so does a
                # newer data stamp (an import in any worker: refresh_index).
                state.data_stamp = _stamp(changes_file(settings))
                state.journal_seq = journal_position(store)  # before the read: later writes are applied after
                state.ranking = make_ranking(build_index(store), settings.model_path)
                warm(state.ranking.index)
            except BaseException:
                store.close()
                raise
            settle()
            state.store = store
        current: Store = state.store
        return current


def settle() -> None:
    """Take what exists now (above all a new match index) out of the garbage collector's view.

    A full collection walks every tracked object: about 0.1 s with a 100,000-firm index and ten times that at
    1,000,000, during which a worker answers nothing. Frozen objects are still freed when no longer used (the
    index holds no reference cycles); only the walk is spared.
    """
    gc.collect()
    gc.freeze()


async def get_store(request: Request) -> Store:
    """The app's store; while it is not connected (a Neo4j server that was down), try to connect in a thread."""
    store: Store | None = getattr(request.app.state, "store", None)
    if store is None:
        store = await run_in_threadpool(connect, request.app.state)
    return store


StoreDep = Annotated[Store, Depends(get_store)]


async def offload(request: Request, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Call ``fn``, which reaches the store: on the event loop when ``Settings.inline_requests`` (the embedded
    store, one request at a time), in the request thread pool otherwise (Neo4j, whose calls wait on the network)."""
    settings: Settings | None = getattr(request.app.state, "settings", None)
    if settings is not None and settings.inline_requests:
        return fn(*args, **kwargs)
    return await run_in_threadpool(fn, *args, **kwargs)


async def get_app_settings(request: Request) -> Settings:
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return settings or get_settings()


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_limits(settings: SettingsDep) -> Limits:
    return Limits.from_settings(settings)


LimitsDep = Annotated[Limits, Depends(get_limits)]

_bearer = HTTPBearer(auto_error=False, description="An API token from `chainmatch token create`.")


async def get_principal(
    request: Request, store: StoreDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller named by the ``Authorization: Bearer <token>`` header (401 when missing or invalid)."""
    state = request.app.state
    ranking: Ranking | None = getattr(state, "ranking", None)
    if getattr(state, "token_links", None) is None:
        state.token_links = {}
    return await offload(request, authenticate, store, credentials.credentials if credentials else None,
                         grids_below=ranking.index.grids_below if ranking is not None else None,
                         links=state.token_links)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


async def get_paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size, 1 to {MAX_LIMIT}")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="items to skip")] = 0,
) -> Paging:
    return Paging(limit, offset)


PagingDep = Annotated[Paging, Depends(get_paging)]


@dataclass(frozen=True)
class Ranking:
    """The match index and the ranking weights in use; replaced whole (never mutated) on retraining."""

    index: MatchIndex
    weights: NDArray[np.float64] | None
    model: str
    model_stamp: int | None = None
    """The model file's modification time when it was read (None: no file); a newer file is read again."""


_DEFAULT_MODEL = "默认权重 (default weights)"


def _stamp(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def make_ranking(index: MatchIndex, model_path: Path) -> Ranking:
    """The ranking state for an index and the model file at ``model_path`` (absent: the default weights)."""
    stamp = _stamp(model_path)
    loaded = load_model(model_path) if stamp is not None else None
    weights, model = loaded if loaded is not None else (None, _DEFAULT_MODEL)
    return Ranking(index, weights, model, stamp)


_refresh_lock = threading.Lock()


def data_changed(state: Any) -> None:
    """Say that the store's data changed: this worker rebuilds its match index now, the others when their next
    request sees the newer stamp file."""
    try:
        state.data_stamp = _stamp(mark_changed(state.settings))
    except OSError as e:  # the other workers then catch up at their restart; this one still rebuilds
        _log.warning("cannot write %s, other worker processes will not see the change: %s",
                     changes_file(state.settings), e)
    refresh_index(state)


def refresh_index(state: Any) -> None:
    """Bring the match index up to the store's journal in a background thread and swap the new one in whole (a
    request sees the old index or the new one); asked again while it runs, it runs once more after.

    The writes since the index's journal position are read from the store (:meth:`Store.changes`); when they
    touched only firms and their needs, trades and links, :func:`update_index` re-reads just those firms
    (milliseconds); otherwise (a grid, a chain, a load or import too large to list, an unknown position) the
    index is rebuilt from the whole store."""
    with _refresh_lock:
        state.refresh_wanted = True
        if getattr(state, "refresh_running", False):
            return
        state.refresh_running = True
    state.refresh_thread = threading.Thread(target=_refresh, args=(state,), name="chainmatch-index-refresh",
                                            daemon=True)
    state.refresh_thread.start()


def stop_refresh(state: Any, timeout: float = 120.0) -> None:
    """Let a running index rebuild finish before the store is closed (closing a connection another thread is
    reading crashes the process); no rebuild starts after this."""
    with _refresh_lock:
        state.refresh_wanted = False
    thread: threading.Thread | None = getattr(state, "refresh_thread", None)
    if thread is not None and thread.is_alive():
        thread.join(timeout)


def next_index(store: Store, current: MatchIndex | None, since: int | None) -> tuple[MatchIndex, int, str]:
    """The index after the writes since journal position ``since`` (None: unknown), the new position, and how it
    was made ('unchanged', 'updated' or 'rebuilt')."""
    if current is not None and since is not None:
        changes = store.changes(since)
        if changes.touched is not None:
            updated = update_index(current, store, changes.touched)
            if updated is current:
                return current, changes.seq, "unchanged"
            if updated is not None:
                return updated, changes.seq, "updated"
        seq = changes.seq
    else:
        seq = journal_position(store)
    return build_index(store), seq, "rebuilt"


def _refresh(state: Any) -> None:
    while True:
        with _refresh_lock:
            store: Store | None = getattr(state, "store", None)
            if not state.refresh_wanted or store is None:
                state.refresh_running = False
                return
            state.refresh_wanted = False
        try:
            start = time.perf_counter()
            current: Ranking | None = state.ranking
            index, seq, how = next_index(store, current.index if current is not None else None,
                                         getattr(state, "journal_seq", None))
            if how != "unchanged":
                warm(index)
                state.ranking = (replace(current, index=index) if current is not None
                                 else make_ranking(index, state.settings.model_path))
                if how == "rebuilt":
                    settle()  # an update keeps almost every object of the index it came from: no new walk to spare
            state.journal_seq = seq
            _log.info("match index %s after a data change in %.2f s", how, time.perf_counter() - start)
        except Exception:  # noqa: BLE001 (keep serving the index in use; the next change tries again)
            _log.exception("rebuilding the match index after a data change failed; the previous index stays")


async def get_ranking(request: Request, store: StoreDep, settings: SettingsDep) -> Ranking:
    """The ranking state; re-reads the model file when it changed (another worker process retrained it), and
    starts rebuilding the match index when the data stamp changed (another worker imported a register)."""
    ranking: Ranking | None = getattr(request.app.state, "ranking", None)
    if ranking is None:
        raise StoreUnavailable("The match index is still being built; retry in a moment.")
    data = _stamp(changes_file(settings))
    if data != getattr(request.app.state, "data_stamp", data):
        request.app.state.data_stamp = data
        refresh_index(request.app.state)
    stamp = _stamp(settings.model_path)
    if stamp != ranking.model_stamp:
        try:
            ranking = make_ranking(ranking.index, settings.model_path)
        except DataError as e:  # keep ranking with the weights in use; say why once
            _log.warning("the model file changed but cannot be used, keeping the current weights: %s", e)
            ranking = replace(ranking, model_stamp=stamp)
        request.app.state.ranking = ranking
    return ranking


RankingDep = Annotated[Ranking, Depends(get_ranking)]
