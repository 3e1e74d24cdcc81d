"""Limits before work (api/limits.py): body size before the body is read and before the token is checked, secrets
in query strings, OPTIONS, unreadable bodies, per-token rate limits, and slow clients on a real server."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.limits import RateLimiter, RedactSecrets
from api.main import create_app
from api.server import NoDelayHttpProtocol
from chainmatch.settings import Settings, get_settings
from tests.world import client_for, open_world


def test_a_large_body_is_refused_before_it_is_read_and_before_the_token(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        big = b"x" * (1_048_576 + 1)
        r = c.post("/needs", content=big)  # no token at all: still 413, not 401
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
        assert "1048576" in r.json()["message_en"] and "CHAINMATCH_MAX_BODY_BYTES" in r.json()["message_en"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: cut off while it is read
            for _ in range(200):
                yield b"x" * 10_000

        r = c.post("/needs", content=chunks(), headers={**h["admin"], "content-type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
        ok = c.post("/needs", headers=h["grid_chief"],
                    json={"enterprise_id": "E1", "title": "找买家", "kind": "buyers", "description": "长" * 1000})
        assert ok.status_code == 201


def test_secrets_in_query_strings_are_refused_and_never_logged(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        secret = h["admin"]["Authorization"].removeprefix("Bearer ")
        for query in ({"token": "abc"}, {"access_token": secret}, {"q": secret}):
            r = c.get("/enterprises", params=query)
            assert r.status_code == 400 and r.json()["code"] == "secret_in_query", query
            assert secret not in r.text
        assert c.get("/enterprises", params={"q": "利通"}, headers=h["admin"]).status_code == 200
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:1", "GET", f"/enterprises?token={secret}&q=1", "1.1", 400), None)
    RedactSecrets().filter(record)
    assert secret not in record.getMessage() and "[redacted]" in record.getMessage()


def test_options_answer_with_allow_and_unreadable_bodies_are_the_documented_422(tmp_path: Path) -> None:
    with client_for(tmp_path) as (c, h):
        r = c.options("/needs")
        assert r.status_code == 204 and r.headers["allow"] == "GET, HEAD, POST, OPTIONS"
        assert c.options("/projects/PJ1/claim").headers["allow"] == "POST, OPTIONS"
        assert c.options("/no/such/path").status_code == 404
        r = c.delete("/needs", headers=h["admin"])
        assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, POST, OPTIONS"
        assert "GET, HEAD, POST" in r.json()["message_en"]
        r = c.post("/needs", headers={**h["admin"], "content-type": "application/json"}, content=b'"\xff"')
        assert r.status_code == 422 and r.json()["code"] == "invalid_request" and "UTF-8" in r.json()["message_en"]


def test_recommendations_and_maps_are_rate_limited_per_token(tmp_path: Path) -> None:
    with open_world(tmp_path) as store:
        from chainmatch.access.auth import create_token

        one = {"Authorization": f"Bearer {create_token(store, role='staff', name='a').secret}"}
        two = {"Authorization": f"Bearer {create_token(store, role='staff', name='b').secret}"}
    settings = Settings(db=tmp_path / "world.db", model_path=tmp_path / "m.json", rate_recommendations_per_minute=12,
                        rate_maps_per_minute=6)
    with TestClient(create_app(settings)) as c:
        url = "/enterprises/E1/recommendations"
        answers = [c.get(url, headers=one).status_code for _ in range(3)]  # a burst of 2 (ten seconds' worth)
        assert answers == [200, 200, 429]
        r = c.get(url, headers=one)
        assert r.status_code == 429 and r.json()["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
        assert "CHAINMATCH_RATE_RECOMMENDATIONS_PER_MINUTE" in r.json()["message_en"]
        assert c.get(url, headers=two).status_code == 200  # per token
        assert c.get("/enterprises/E1", headers=one).status_code == 200  # other routes are not limited
        assert c.post("/maps/runs", headers=one, json={"zone_id": "LH"}).status_code == 202
        assert c.post("/maps/runs", headers=one, json={"zone_id": "LH"}).status_code == 429


def test_a_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter({"maps": 6, "off": 0}, clock=lambda: now[0])
    assert limiter.wait("t", "maps") == 0 and limiter.wait("t", "maps") == pytest.approx(10.0)
    now[0] = 10.0
    assert limiter.wait("t", "maps") == 0
    assert all(limiter.wait("t", "off") == 0 for _ in range(100))


def test_a_client_that_never_finishes_its_headers_is_disconnected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINMATCH_HEADER_TIMEOUT", "0.2")
    get_settings.cache_clear()

    async def app(scope: dict[str, object], receive: object, send: object) -> None:  # never reached
        raise AssertionError("no request should reach the app")

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, http=NoDelayHttpProtocol, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            threading.Event().wait(0.05)
        with socket.create_connection(sock.getsockname(), timeout=30) as client:
            client.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and nothing more
            assert client.recv(1024) == b""  # closed by the server (recv would time out otherwise)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        get_settings.cache_clear()
