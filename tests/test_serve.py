"""`chainmatch serve` as users run it: a real process with worker processes, on a real port."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import uvicorn
from uvicorn.server import ServerState

from api.server import NoDelayHttpProtocol
from chainmatch.loader import load_folder
from chainmatch.stores.sqlite import SQLiteStore
from tests.test_loader import tiny_files, write_folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(tmp_path: Path, port: int, workers: int) -> subprocess.Popen[str]:
    """`chainmatch serve` in the background; what it prints goes to ``tmp_path / "serve.log"``."""
    env = {**os.environ, "CHAINMATCH_DB": str(tmp_path / "serve.db"), "CHAINMATCH_MODEL_PATH": str(tmp_path / "m.json"),
           "CHAINMATCH_ACCESS_LOG": "false"}
    with (tmp_path / "serve.log").open("w") as log:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "chainmatch"), "serve", "--no-demo", "--port", str(port),
             "--workers", str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,  # its own process group, as in a terminal
        )


def _answers(server: subprocess.Popen[str], port: int, n: int) -> list[int]:
    """Status codes of ``n`` requests, each on a new connection, waiting (up to two minutes) for the service."""
    answers: list[int] = []
    deadline = time.monotonic() + 120
    while len(answers) < n and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
                answers.append(r.status)
        except OSError:
            assert server.poll() is None, "the service ended"
            time.sleep(0.2)
    return answers


def _workers(pid: int) -> list[int]:
    """The worker processes of the service ``pid`` (not multiprocessing's resource tracker)."""
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == pid
            and b"spawn_main" in _cmdline(p)]


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def _ppid(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _stop(server: subprocess.Popen[str]) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)


@pytest.fixture()
def loaded(tmp_path: Path) -> Path:
    store = SQLiteStore.open(tmp_path / "serve.db")
    load_folder(store, write_folder(tmp_path / "d", tiny_files()))
    store.close()
    return tmp_path


@pytest.mark.parametrize("stop", ["sigterm", "ctrl_c"])
def test_two_workers_answer_on_new_connections_and_stop_after_the_requests_in_flight(loaded: Path, stop: str) -> None:
    port = _free_port()
    server = _serve(loaded, port, 2)
    try:
        assert _answers(server, port, 20) == [200] * 20
    finally:
        if stop == "sigterm":  # a service manager stopping the service
            server.send_signal(signal.SIGTERM)
        else:  # what Ctrl-C does: the signal goes to the whole process group, workers included
            os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=60)
    out = (loaded / "serve.log").read_text()
    assert server.returncode == 0, out
    assert out.count("Application startup complete") == 2 and out.count("Application shutdown complete") == 2
    assert "Traceback" not in out


def test_workers_that_cannot_start_stop_the_service_with_their_reason(tmp_path: Path) -> None:
    (tmp_path / "serve.db").mkdir()  # a folder where the database file should be
    server = _serve(tmp_path, _free_port(), 2)
    server.wait(timeout=120)
    out = (tmp_path / "serve.log").read_text()
    assert server.returncode == 1, out
    assert "it is a directory" in out and "a worker could not start" in out
    assert "starting another" not in out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the worker processes through /proc")
def test_a_worker_that_dies_is_started_again(loaded: Path) -> None:
    port = _free_port()
    server = _serve(loaded, port, 2)
    try:
        assert _answers(server, port, 4) == [200] * 4
        workers = _workers(server.pid)
        assert len(workers) == 2
        os.kill(max(workers), signal.SIGKILL)
        deadline = time.monotonic() + 60
        while "starting another" not in (loaded / "serve.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _answers(server, port, 10) == [200] * 10
        assert len(_workers(server.pid)) == 2 and max(workers) not in _workers(server.pid)
    finally:
        _stop(server)
    assert server.returncode == 0


def test_a_taken_port_is_a_clear_error_and_no_worker_is_left(loaded: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = _serve(loaded, port, 2)
        server.wait(timeout=60)
    out = (loaded / "serve.log").read_text()
    assert server.returncode == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in out and "--port" in out
    assert "Traceback" not in out and "startup complete" not in out


def test_connections_send_small_writes_at_once_even_on_a_socket_of_unknown_protocol() -> None:
    with socket.socket() as listener, socket.socket() as client:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client.connect(listener.getsockname())
        accepted, _ = listener.accept()
        # How worker processes get their sockets back: the protocol number reads 0, so asyncio leaves Nagle on.
        unknown = socket.socket(accepted.family, accepted.type, 0, fileno=accepted.detach())
        assert unknown.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0

        class Transport(asyncio.Transport):
            def get_extra_info(self, name: str, default: object = None) -> object:
                return {"socket": unknown, "peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(name)

        loop = asyncio.new_event_loop()
        try:
            config = uvicorn.Config(app=lambda scope, receive, send: None, http=NoDelayHttpProtocol)
            protocol = NoDelayHttpProtocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)
            protocol.connection_made(Transport())
            assert unknown.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        finally:
            loop.close()
            unknown.close()


def test_every_acknowledged_write_survives_kill_9_under_concurrent_writers(loaded: Path) -> None:
    import json
    import urllib.error

    from chainmatch.access.auth import create_token

    store = SQLiteStore.open(loaded / "serve.db")
    secret = create_token(store, role="grid_chief", name="网格长", grids=["G3"]).secret
    store.close()
    port = _free_port()
    server = _serve(loaded, port, 1)
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            body = json.dumps({"enterprise_id": "E1", "title": f"写入{n}-{i}", "kind": "land"}).encode()
            request = urllib.request.Request(f"http://127.0.0.1:{port}/needs", data=body, method="POST", headers={
                "Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=10) as r:
                    need = json.loads(r.read())["id"]
                with lock:
                    acked.append(need)
            except (OSError, urllib.error.HTTPError):
                if stop.is_set() or server.poll() is not None:
                    return

    try:
        assert _answers(server, port, 1) == [200]
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acked) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)  # the whole service, mid-write
        server.wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    assert len(acked) >= 20
    store = SQLiteStore.open(loaded / "serve.db")
    try:
        assert set(acked) <= set(store.get("Need", acked))  # every 201 is in the store after the kill
    finally:
        store.close()


def test_token_create_takes_zones(loaded: Path) -> None:
    import io
    import json

    from chainmatch.cli import main

    out = io.StringIO()
    assert main(["--db", str(loaded / "serve.db"), "token", "create", "--role", "viewer", "--zone", "LH", "--json"],
                out=out) == 0
    token = json.loads(out.getvalue())["id"]
    store = SQLiteStore.open(loaded / "serve.db")
    try:
        assert [e.node.id for e in store.edges("ApiToken", [token], "TOKEN_ZONE")[token]] == ["LH"]
    finally:
        store.close()
    assert main(["--db", str(loaded / "serve.db"), "token", "create", "--role", "admin", "--zone", "LH"]) == 2
