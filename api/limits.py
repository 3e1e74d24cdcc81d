"""Limits checked before any work: body size, secrets in query strings, OPTIONS, and per-token request rates.

:class:`Guard` is a plain ASGI middleware, so it runs before the body is read, before the token is checked and
before a route is chosen:

- a body longer than ``Settings.max_body_bytes`` is refused with 413 from its ``Content-Length`` alone, and a body
  sent without one (chunked) is cut off as soon as it grows past the limit;
- a query string carrying a secret (``token=``, ``access_token=``, ``api_key=`` or anything that looks like a
  chainmatch secret) is refused with 400 ``secret_in_query``; :class:`RedactSecrets` keeps such query strings out
  of the access log;
- ``OPTIONS`` answers 204 with the ``Allow`` header of the path (404 for a path that does not exist);
- recommendations and starting chain maps are limited per token (requests per minute, a token bucket per worker
  process), answered 429 with ``Retry-After``.

Every refusal has the API's one error shape.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from starlette.routing import Match

__all__ = ["BodyTooLarge", "Guard", "RateLimiter", "RedactSecrets", "allowed_methods", "too_large", "too_large_zh"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]

_SECRET_IN_QUERY = re.compile(rb"(?:^|&)(?:token|access_token|api_key|apikey|secret|key)=|cm_T[0-9a-f]{10}", re.IGNORECASE)
_REDACT = re.compile(r"(?:(?<=[?&])(?:token|access_token|api_key|apikey|secret|key)=[^&\s]*)|cm_T[0-9a-f]{10}\S*", re.IGNORECASE)
_RATED: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"^/enterprises/[^/]+/recommendations$"), "recommendations"),
    ("GET", re.compile(r"^/recommendations$"), "recommendations"),
    ("GET", re.compile(r"^/needs/[^/]+/recommendations$"), "recommendations"),
    ("POST", re.compile(r"^/maps/runs$"), "maps"),
]
_MAX_BUCKETS = 10_000  # tokens whose buckets are kept (then they start over)


class BodyTooLarge(Exception):
    """Raised while reading a body that grew past the limit (FastAPI wraps it: the app's handler answers 413)."""

    def __init__(self, limit: int, size: int) -> None:
        super().__init__(f"body of {size} bytes or more, limit {limit}")
        self.limit = limit
        self.size = size


def _error(status: int, code: str, message: str, details: dict[str, Any] | None = None,
           headers: dict[str, str] | None = None, *, zh: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """An error answer: ``zh`` is the Chinese ``message``, ``message`` the English ``message_en``."""
    body = orjson.dumps({"code": code, "message": zh, "message_en": message, "details": details or {}})
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return status, raw, body


async def _send(send: Send, answer: tuple[int, list[tuple[bytes, bytes]], bytes]) -> None:
    status, headers, body = answer
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def allowed_methods(app: Any, scope: Scope) -> list[str]:
    """The methods the app's routes take on ``scope``'s path (empty: no route has that path)."""
    routes = getattr(app, "routes", ())
    allowed = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
               if any(route.matches({**scope, "method": m})[0] == Match.FULL for route in routes)]
    if "GET" in allowed:
        allowed.insert(1, "HEAD")
    return [*allowed, "OPTIONS"] if allowed else []


class RateLimiter:
    """Token buckets per (key, kind): ``per_minute`` requests a minute, in bursts of up to ``per_minute / 6``
    (ten seconds' worth, at least one). ``per_minute`` 0 means no limit."""

    def __init__(self, limits: dict[str, int], clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, kind: str) -> float:
        """0 when the request may go now (and count it), else the seconds until it may."""
        per_minute = self.limits.get(kind, 0)
        if per_minute <= 0:
            return 0.0
        rate = per_minute / 60.0
        burst = max(1.0, per_minute / 6.0)
        now = self.clock()
        with self._lock:
            if len(self._buckets) >= _MAX_BUCKETS:
                self._buckets.clear()
            level, last = self._buckets.get((key, kind), (burst, now))
            level = min(burst, level + (now - last) * rate)
            if level >= 1.0:
                self._buckets[(key, kind)] = (level - 1.0, now)
                return 0.0
            self._buckets[(key, kind)] = (level, now)
            return (1.0 - level) / rate


class Guard:
    """The ASGI middleware that applies the limits before anything else runs (see the module's docstring)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: Callable[[], int], rates: Callable[[], RateLimiter],
                 max_upload_bytes: Callable[[], int] | None = None,
                 page_refusal: Callable[[Scope, int, str], Answer | None] | None = None) -> None:
        self.app = app
        self.page_refusal = page_refusal
        """Given a refusal's status and Chinese message, the answer for a person in a browser (an HTML page), or
        None when the path is not a page (then the API's JSON)."""
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes or max_body_bytes
        self.rates = rates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _SECRET_IN_QUERY.search(scope.get("query_string") or b""):
            await _send(send, _error(400, "secret_in_query", (
                "A secret was sent in the query string, where proxies and logs keep it; it was refused and not "
                "logged. Send the token as the header 'Authorization: Bearer <token>' instead, and if it was a real "
                "token, have an admin revoke it and create another."),
                zh="查询字符串中带有密钥（代理和日志会记下它），已拒绝且未记录。请改用请求头 "
                   "'Authorization: Bearer <令牌>' 发送；如果这是真实令牌，请管理员吊销它并另建一个。"))
            return
        method = scope["method"]
        if method == "OPTIONS":
            allow = allowed_methods(scope.get("app"), scope)
            if not allow:
                await _send(send, _error(404, "not_found", f"No such path: {scope['path']}. See /docs for the "
                                                           "endpoints.", {"candidates": []},
                                         zh=f"没有这个接口：{scope['path']}。可用的接口见 /docs。"))
                return
            await send({"type": "http.response.start", "status": 204,
                        "headers": [(b"allow", ", ".join(allow).encode())]})
            await send({"type": "http.response.body", "body": b""})
            return
        upload = scope.get("path", "") in UPLOAD_PATHS
        limit = self.max_upload_bytes() if upload else self.max_body_bytes()
        headers = dict(scope.get("headers") or ())
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0:
                await _send(send, _error(400, "invalid_request", "The Content-Length header is not a number.",
                                         zh="请求头 Content-Length 不是数字。"))
                return
            if declared > limit:
                await _send(send, self._too_large(scope, limit, declared, upload))
                return
        path = scope.get("path", "")
        for rated_method, pattern, kind in _RATED:
            if method == rated_method and pattern.match(path):
                key = headers.get(b"authorization", b"").decode("latin-1") or "anonymous"
                wait = self.rates().wait(key, kind)
                if wait > 0:
                    seconds = max(1, math.ceil(wait))
                    await _send(send, _error(
                        429, "rate_limited",
                        f"Too many {kind} requests with this token; retry in {seconds} s. The limit is "
                        f"{self.rates().limits[kind]} a minute per token (CHAINMATCH_RATE_"
                        f"{kind.upper()}_PER_MINUTE).", {"retry_after": seconds}, {"Retry-After": str(seconds)},
                        zh=f"这个令牌的{'推荐' if kind == 'recommendations' else '图谱'}请求太频繁，请 {seconds} 秒后再试"
                           f"（每个令牌每分钟最多 {self.rates().limits[kind]} 次，设置 CHAINMATCH_RATE_"
                           f"{kind.upper()}_PER_MINUTE）。"))
                    return
                break
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, received)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await _send(send, self._too_large(scope, limit, received, upload))

    def _too_large(self, scope: Scope, limit: int, size: int, upload: bool) -> Answer:
        page = self.page_refusal(scope, 413, too_large_zh(limit, size, upload)) if self.page_refusal else None
        return page or too_large(limit, size, upload)


def too_large_zh(limit: int, size: int, upload: bool = False) -> str:
    """The Chinese message of a body over the limit."""
    if upload:
        return (f"上传的台账有 {size / 2**20:.1f} MB 或更大，上传最多 {limit / 2**20:.0f} MB（CHAINMATCH_MAX_UPLOAD_BYTES）。"
                "请按工作表或网格拆成几个文件，或用命令行导入（chainmatch import，没有大小限制）。")
    return f"请求内容有 {size} 字节或更多，最多接受 {limit} 字节（CHAINMATCH_MAX_BODY_BYTES）；请减少内容，例如拆分过长的说明。"


def too_large(limit: int, size: int, upload: bool = False) -> Answer:
    """The 413 answer: status, headers and body."""
    zh = too_large_zh(limit, size, upload)
    if upload:
        message = (f"The uploaded register is {size / 2**20:.1f} MB or more; an upload may be at most "
                   f"{limit / 2**20:.0f} MB (CHAINMATCH_MAX_UPLOAD_BYTES). Split the register into several files (by "
                   "sheet or by grid), or import it with the command line (chainmatch import), which has no limit.")
    else:
        message = (f"The request body is {size} bytes or more; at most {limit} bytes are accepted "
                   "(CHAINMATCH_MAX_BODY_BYTES). Send less, e.g. split a long description.")
    return _error(413, "payload_too_large", message, {"limit": limit}, {"Connection": "close"}, zh=zh)


UPLOAD_PATHS = frozenset({"/registers/import", "/pages/registers/upload"})
"""Routes that take a file as their body, under ``Settings.max_upload_bytes``."""


class RedactSecrets(logging.Filter):
    """Replaces secrets in access-log lines (a refused ``?token=`` is never written out)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_REDACT.sub("[redacted]", a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = _REDACT.sub("[redacted]", record.msg)
        return True
