"""ArcadeDB's Bolt server as a throw-away test double of Neo4j (tier 2, see NEO4J-TESTING.md).

``start(root)`` runs this file as a subprocess: ArcadeDB with its Bolt plugin on 127.0.0.1 and free
ports, its data, logs (``./log/``) and console output under ``root``. The JVM lives in that child,
never in the test process, so its heap, its log lines and its shutdown stay out of pytest.
Used by ``tests/conftest.py`` and ``bench/bench_neo4j.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DATABASE", "USER", "ArcadeServer", "start"]

DATABASE = "chainmatch"
USER = "root"
_PASSWORD = "chainmatch-test-only"  # a throw-away server on 127.0.0.1, gone with its temporary folder


@dataclass
class ArcadeServer:
    """A running ArcadeDB server; ``stop()`` ends it."""

    process: subprocess.Popen[bytes]
    root: Path
    bolt_port: int
    user: str = USER
    password: str = _PASSWORD
    database: str = DATABASE

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def log(self) -> Path:
        return self.root / "console.log"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(root: Path, *, heap: str = "512m", timeout: float = 90.0, bolt_port: int | None = None) -> ArcadeServer:
    """Start ArcadeDB with Bolt in a child process under ``root``; returns once the database exists.

    Give the ``bolt_port`` of a stopped server on the same ``root`` to restart it with its data.
    """
    root.mkdir(parents=True, exist_ok=True)
    bolt, http = bolt_port or _free_port(), _free_port()
    ready = root / "ready"
    ready.unlink(missing_ok=True)
    with open(root / "console.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(root), str(bolt), str(http), heap],
            cwd=root, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    server = ArcadeServer(process, root, bolt)
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            tail = server.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"ArcadeDB did not start (exit status {process.returncode}); its output ends:\n{tail}")
        time.sleep(0.1)
    return server


def _serve(root: str, bolt: int, http: int, heap: str) -> None:
    import arcadedb_embedded as arcadedb
    from arcadedb_embedded import jvm

    jvm.start_jvm(heap_size=heap)
    srv = arcadedb.create_server(root_path=root, root_password=_PASSWORD, config={
        "host": "127.0.0.1", "http_port": http,
        "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin", "bolt_port": bolt,
    })
    srv.start()
    if not Path(root, "databases", DATABASE).exists():
        srv.create_database(DATABASE)
    stopping = False

    def on_term(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    Path(root, "ready").write_text(str(bolt))
    while not stopping:
        time.sleep(0.2)
    srv.stop()
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: JPype can crash while the JVM unloads


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
