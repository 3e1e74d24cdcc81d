"""`/docs` (Swagger UI) and `/redoc` (ReDoc) served with no network: their scripts and styles come from this machine.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on an intranet without internet `/docs` is blank. The
app turns them off (``docs_url=None, redoc_url=None``) and serves these instead, with the assets under
``/docs/assets`` and ``/redoc/assets``. The assets are the distribution files shipped in the PyPI package
``fastapi-standalone-docs`` (MIT; Swagger UI under Apache-2.0 and ReDoc under MIT, their licence files beside
them in that package); only its files are used, not its code (which patches FastAPI globally).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS", "install"]

ASSETS = Path(str(files("fastapi_standalone_docs") / "static"))
"""The folder holding ``swagger/`` (swagger-ui-bundle.js, swagger-ui.css), ``redoc/`` and ``fastapi/favicon.png``."""


def install(app: FastAPI) -> None:
    """Mount the assets and add the two pages (left out of the OpenAPI schema)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/docs", response_class=HTMLResponse)
    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} — API 文档 (Swagger UI)",
            swagger_js_url=f"{root}/docs/assets/swagger/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs/assets/swagger/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs/assets/fastapi/favicon.png",
        )

    @router.get("/redoc", response_class=HTMLResponse)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} — API 文档 (ReDoc)",
            redoc_js_url=f"{root}/redoc/assets/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{root}/docs/assets/fastapi/favicon.png", with_google_fonts=False,
        )

    app.include_router(router)
    app.mount("/docs/assets", StaticFiles(directory=ASSETS), name="docs-assets")
    app.mount("/redoc/assets", StaticFiles(directory=ASSETS), name="redoc-assets")
