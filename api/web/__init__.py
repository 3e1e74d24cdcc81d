"""The pages people use in a browser (Chinese, server-rendered, working at 360 px wide), served by the API's app.

Templates are in ``api/templates``, the style sheet in ``api/static``; nothing is loaded from elsewhere. People log
in with an account (``chainmatch account add``); the pages call the same library functions, with the same
roles and scope, as the JSON routes.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from api.web import admin, assessment, lists, maps, registers, views
from api.web.session import (
    STATIC,
    CsrfRefused,
    FormUnreadable,
    LoginNeeded,
    error_response,
    is_page,
    login_redirect,
)

__all__ = ["error_response", "install", "is_page"]


def install(app: FastAPI) -> None:
    """Add the pages and their static files, and the handlers that keep their errors in HTML."""
    app.include_router(views.router)
    app.include_router(assessment.router)
    app.include_router(lists.router)
    app.include_router(maps.router)
    app.include_router(registers.router)
    app.include_router(admin.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(LoginNeeded)
    async def login_needed(request: Request, exc: LoginNeeded) -> Response:
        return login_redirect(exc)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return error_response(request, exc)

    @app.exception_handler(FormUnreadable)
    async def form_unreadable(request: Request, exc: FormUnreadable) -> Response:
        return error_response(request, exc)
