"""The FastAPI application: the store opened once in the lifespan, one router per resource, one error handler.

Run it with ``chainmatch serve`` (which also loads the demo data into an empty store) or
``uvicorn api.main:app``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import web
from api.deps import connect, stop_refresh
from api.limits import (
    UPLOAD_PATHS,
    BodyTooLarge,
    Guard,
    RateLimiter,
    RedactSecrets,
    allowed_methods,
    too_large,
)
from api.models import Error
from api.routes import (
    audit,
    chains,
    coverage,
    docs,
    enterprises,
    events,
    grids,
    health,
    maps,
    needs,
    problems,
    projects,
    recommendations,
    registers,
    reminders,
    resources,
    tokens,
)
from api.web import error_response, is_page
from api.web.session import error_page, load_templates
from chainmatch import __version__
from chainmatch.access.auth import Unauthenticated
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
from chainmatch.messages import chinese, field_value
from chainmatch.settings import Settings, get_settings

__all__ = ["STATUS", "app", "create_app"]

# Error class → HTTP status; the first matching class wins, so subclasses come first.
STATUS: list[tuple[type[ChainmatchError], int]] = [
    (StoreUnavailable, 503),
    (NotFound, 404),
    (Unauthenticated, 401),
    (Ambiguous, 409),
    (Conflict, 409),
    (PermissionDenied, 403),
    (InvalidRequest, 422),
    (DataError, 422),
    (ChainmatchError, 500),
]


def _status(error: ChainmatchError) -> int:
    return next(code for cls, code in STATUS if isinstance(error, cls))


_log = logging.getLogger("chainmatch.api")

# Every error response has the one shape; documented on every route.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": Error, "description": text}
    for code, text in [(400, "a secret in the query string (secret_in_query)"), (401, "missing or invalid token"),
                       (403, "outside the caller's role, grids or zones"), (404, "unknown id (with close matches)"),
                       (409, "conflict or illegal transition"), (413, "request body too large (payload_too_large)"),
                       (422, "invalid input"), (429, "too many requests with this token (rate_limited, Retry-After)"),
                       (503, "the store is unavailable, busy or its file is gone (store_unavailable)")]
}


def _validation_details(exc: RequestValidationError) -> list[dict[str, object]]:
    # Only the location, message and type: the raw input may be bytes or huge, and is echoed nowhere.
    return [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the store is opened when it starts and closed when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings or get_settings()
        app.state.store = app.state.ranking = None
        # Sync routes run in this pool: its size is how many requests run at once in this process.
        to_thread.current_default_thread_limiter().total_tokens = app.state.settings.request_threads
        load_templates()
        try:
            connect(app.state)
        except StoreUnavailable as e:
            # A Neo4j server that is down must not stop the service: requests answer 503 until it is back.
            _log.warning("store unavailable at start-up, will retry on the next request: %s", e)
        try:
            yield
        finally:
            pool = getattr(app.state, "health_pool", None)
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            stop_refresh(app.state)
            if app.state.store is not None:
                app.state.store.close()

    app = FastAPI(
        title="chainmatch",
        version=__version__,
        description="开发区产业链供需撮合 API: enterprises, chain neighbours, partner recommendations, needs and projects.",
        lifespan=lifespan,
        docs_url=None,  # served from local assets instead (api/routes/docs.py): no CDN
        redoc_url=None,
    )

    def current() -> Settings:
        return getattr(app.state, "settings", None) or settings or get_settings()

    def rates() -> RateLimiter:
        limiter: RateLimiter | None = getattr(app.state, "rates", None)
        if limiter is None:
            s = current()
            limiter = RateLimiter({"recommendations": s.rate_recommendations_per_minute,
                                   "maps": s.rate_maps_per_minute})
            app.state.rates = limiter
        return limiter

    # Runs before the body is read, the token checked or a route chosen (api/limits.py).
    def page_refusal(scope: Any, status: int, zh: str) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """A refusal of the limits on a page: a Chinese HTML page instead of the API's JSON."""
        if not is_page(scope.get("path", "")):
            return None
        page = error_page(Request(scope), status, "提交的内容太大", zh + "什么也没有改变。")
        return page.status_code, [*page.raw_headers, (b"connection", b"close")], bytes(page.body)

    app.add_middleware(Guard, max_body_bytes=lambda: current().max_body_bytes, rates=rates,
                       max_upload_bytes=lambda: current().max_upload_bytes, page_refusal=page_refusal)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())

    @app.exception_handler(ChainmatchError)
    async def chainmatch_error(request: Request, exc: ChainmatchError) -> Response:
        status = _status(exc)
        message = exc.message
        if status >= 500:
            _log.error("%s %s failed: %s", request.method, request.url.path, exc)
        if is_page(request.url.path):  # a person in a browser: a Chinese page, never JSON
            return error_response(request, exc)
        if status >= 500:
            # Store trouble is logged with the file's path; the answer does not show where the file lives.
            db = current().db
            for path in {str(db.resolve()), str(db)}:
                message = message.replace(path, "the store file")
        zh = chinese(exc)
        if status >= 500:
            db = current().db
            for path in {str(db.resolve()), str(db)}:
                zh = zh.replace(path, "数据文件")
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(
            status_code=status,
            content={"code": exc.code, "message": zh, "message_en": message, "details": exc.details},
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_page(request.url.path):
            return error_response(request, InvalidRequest("the request's parameters are not valid"))
        details = _validation_details(exc)
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(x) for x in first["loc"])  # type: ignore[attr-defined]
        raw = exc.errors()
        zh = field_value([str(x) for x in raw[0].get("loc", ())], str(raw[0].get("type", "")),
                         str(raw[0].get("msg", "")), raw[0].get("ctx")) if raw else "请求有误"
        return JSONResponse(status_code=422, content={
            "code": "invalid_request",
            "message": f"请求有误：{zh}。" + (f"共 {len(details)} 处问题，见 details.errors。" if len(details) > 1 else ""),
            "message_en": f"The request is not valid: {where}: {first['msg']}. See details.errors for every problem.",
            "details": {"errors": details},
        })

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_page(request.url.path) and exc.status_code in (404, 405):
            return error_page(request, exc.status_code, "页面不存在" if exc.status_code == 404 else "不支持的操作",
                              "没有这个页面，请从导航栏进入。" if exc.status_code == 404
                              else "这个页面不接受这种请求，请从页面上的链接或表单进入。")
        if isinstance(exc.__cause__, BodyTooLarge) and is_page(request.url.path):
            return error_response(request, exc.__cause__)
        if isinstance(exc.__cause__, BodyTooLarge):  # FastAPI wraps what the body limit raised while reading
            status, raw, body = too_large(exc.__cause__.limit, exc.__cause__.size, request.url.path in UPLOAD_PATHS)
            return Response(body, status_code=status, headers={k.decode(): v.decode() for k, v in raw
                                                               if k != b"content-length"})
        if exc.status_code == 400:  # the body could not be decoded: the one documented 422 for unreadable bodies
            return JSONResponse(status_code=422, content={
                "code": "invalid_request",
                "message": "无法读取请求内容：请发送 UTF-8 编码的 JSON 对象，并带请求头 'Content-Type: application/json'。",
                "message_en": "The request body could not be read: send a JSON object encoded as UTF-8 with the header "
                              "'Content-Type: application/json'.",
                "details": {"errors": [{"loc": ["body"], "msg": "unreadable body", "type": "body_unreadable"}]}})
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "permission_denied"}
        message = str(exc.detail)
        zh = f"请求无法处理（HTTP {exc.status_code}）。"
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 404:
            message = f"No such path: {request.url.path}. See /docs for the endpoints."
            zh = f"没有这个接口：{request.url.path}。可用的接口见 /docs。"
        if exc.status_code == 405:
            allow = allowed_methods(request.app, request.scope)
            headers["Allow"] = ", ".join(allow)
            message = f"{request.method} is not allowed on {request.url.path}; it takes {', '.join(allow)}."
            zh = f"接口 {request.url.path} 不接受 {request.method} 请求，只接受 {', '.join(allow)}。"
        return JSONResponse(status_code=exc.status_code, headers=headers or None,
                            content={"code": codes.get(exc.status_code, "http_error"), "message": zh,
                                     "message_en": message, "details": {}})

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        # Never a stack trace to clients: log it here, answer with the one shape.
        _log.exception("%s %s failed", request.method, request.url.path)
        if is_page(request.url.path):
            return error_response(request, exc)
        return JSONResponse(status_code=500, content={
            "code": "internal_error", "message": "服务器内部错误，已记录；请稍后重试，并报告管理员。",
            "message_en": "An internal error occurred; it was logged. Please report it.",
            "details": {},
        })

    docs.install(app)
    web.install(app)
    app.include_router(health.router, responses={503: ERROR_RESPONSES[503]})
    for module in (enterprises, recommendations, grids, needs, resources, projects, problems, events, reminders,
                   coverage, chains, maps, tokens, audit, registers):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    return app


app = create_app()
