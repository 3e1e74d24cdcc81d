"""The real service for the browser tests: uvicorn serving ``api.main:app`` on a store file, on a free local port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["ROOT", "free_port", "serve"]

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(db: Path, folder: Path, *, wait: float = 90) -> Iterator[str]:
    """uvicorn on the store ``db`` (its model file and log ``uvicorn.log`` in ``folder``) until the block ends;
    yields its base URL once ``/health`` answers (or fails with the log when the server dies or ``wait`` runs out)."""
    port = free_port()
    env = {"CHAINMATCH_DB": str(db), "CHAINMATCH_MODEL_PATH": str(folder / "m.json"), "PATH": "/usr/bin:/bin"}
    log_path = folder / "uvicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
                                   "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
