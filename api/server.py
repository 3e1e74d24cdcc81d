"""How `chainmatch serve` runs the app: uvicorn with Nagle's algorithm off, and several worker processes that each
listen on their own socket.

Two things measured under load (bench/README.md, "HTTP service under load") shape this module:

- asyncio turns Nagle's algorithm off only for sockets it knows to be TCP. A socket handed to worker processes
  comes back with protocol number 0, so Nagle stayed on: a response goes out as two writes (headers, then body)
  and the body waited for the client's delayed acknowledgement, about 40 ms on Linux, while the service idled.
  :class:`NoDelayHttpProtocol` sets TCP_NODELAY on every connection.
- uvicorn's workers share one listening socket, and asyncio accepts every waiting connection at once, so the
  first worker to wake could take all fifty clients while the other idled. Here each worker listens on its own
  socket with SO_REUSEPORT, and the kernel spreads new connections over the workers.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import socket
import threading
import time
from contextlib import suppress
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from chainmatch.errors import InvalidRequest
from chainmatch.settings import get_settings

__all__ = ["NoDelayHttpProtocol", "run_workers"]

_log = logging.getLogger("chainmatch.serve")
_STARTUP_FAILURE = 3  # uvicorn's exit code when the app could not start (e.g. the store could not be opened)


class NoDelayHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; each connection sends small writes at once (TCP_NODELAY), and a client that
    does not finish a request's headers within ``Settings.header_timeout`` seconds of connecting or of starting
    the request is disconnected (uvicorn itself times out only idle connections between requests)."""

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with suppress(OSError):  # not a TCP socket after all: nothing to turn off
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(get_settings().header_timeout, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            _log.info("closing a connection that sent no complete request headers in time")
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm_header_timer()  # idle from here on: uvicorn's keep-alive timeout takes over

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)


def _socket(host: str, port: int, *, shared: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise InvalidRequest(f"Cannot listen on {host}:{port}: {e.strerror}. Stop what uses the port, or pass "
                             "another one with --port.") from e
    return sock


def _worker(host: str, port: int, options: dict[str, Any]) -> None:
    sock = _socket(host, port, shared=True)
    config = uvicorn.Config("api.main:create_app", factory=True, **options)
    # uvicorn shuts down on Ctrl-C, then raises it again for the default handler: the worker just ends.
    with suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])


def run_workers(host: str, port: int, workers: int, options: dict[str, Any]) -> int:
    """Serve with ``workers`` processes until SIGINT or SIGTERM; a worker that dies is started again.

    Returns 0 after a requested stop, 1 when a worker could not start (its log says why).
    """
    if not hasattr(socket, "SO_REUSEPORT"):
        raise InvalidRequest("--workers above 1 needs SO_REUSEPORT, which this system lacks; run one worker.")
    _socket(host, port, shared=False).close()  # a clear error now if the port is taken
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(target=_worker, args=(host, port, options), name="chainmatch-worker")
        process.start()
        return process

    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
    failed = False
    try:
        while not stop.wait(0.5):
            for i, process in enumerate(processes):
                if process.is_alive():
                    continue
                if process.exitcode == _STARTUP_FAILURE:
                    _log.error("a worker could not start (see above); stopping")
                    failed = True
                    stop.set()
                    break
                _log.warning("worker %s ended with code %s; starting another", process.pid, process.exitcode)
                processes[i] = start()
    finally:
        # Ctrl-C or a service manager signals the workers too; give them a moment to stop on that signal alone,
        # since a second one makes uvicorn drop the requests in flight.
        deadline = time.monotonic() + 2
        for process in processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight, then exits
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 1 if failed else 0
