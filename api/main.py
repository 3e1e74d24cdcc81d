"""The FastAPI application: the store opened once in the lifespan, one router per resource, one error handler.

Run it with ``chainmatch serve`` (which also loads the demo data into an empty store) or
``uvicorn api.main:app``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.routes import health
from chainmatch import __version__
from chainmatch.errors import (
    Ambiguous,
    ChainmatchError,
    Conflict,
    DataError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
)
from chainmatch.settings import Settings, get_settings
from chainmatch.store import open_store

__all__ = ["create_app", "app", "STATUS"]

# Error class → HTTP status; the first matching class wins, so subclasses come first.
STATUS: list[tuple[type[ChainmatchError], int]] = [
    (StoreUnavailable, 503),
    (NotFound, 404),
    (Ambiguous, 409),
    (Conflict, 409),
    (PermissionDenied, 403),
    (InvalidRequest, 422),
    (DataError, 422),
    (ChainmatchError, 500),
]


def _status(error: ChainmatchError) -> int:
    return next(code for cls, code in STATUS if isinstance(error, cls))


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the store is opened when it starts and closed when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings or get_settings())
        app.state.store = store
        try:
            yield
        finally:
            store.close()

    app = FastAPI(
        title="chainmatch",
        version=__version__,
        description="开发区产业链供需撮合 API: enterprises, chain neighbours, partner recommendations, needs and projects.",
        lifespan=lifespan,
    )

    @app.exception_handler(ChainmatchError)
    async def chainmatch_error(request: Request, exc: ChainmatchError) -> JSONResponse:
        return JSONResponse(
            status_code=_status(exc),
            content={"code": exc.code, "message": exc.message, "details": exc.details},
        )

    app.include_router(health.router)
    return app


app = create_app()
