"""`/docs` and `/redoc` work with no network: every script and style they load is served by the app itself.

The first tests read the pages through the ASGI app; the last one starts the real service (uvicorn) and has
Debian's headless Chromium render both pages with networking features off: Swagger UI must draw the operations
and ReDoc the schema, with no console message (a blocked CDN script would log one and leave the page blank).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch.settings import Settings
from tests.test_maps_browser import CONSOLE, _chromium, _run
from tests.world import open_world

_URL = re.compile(r"""(?:src|href)=["']([^"']+)["']|url\(["']?([^"')]+)""")


def _referenced(page: str) -> list[str]:
    return [a or b for a, b in _URL.findall(page)]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_reference_only_local_assets(tmp_path: Path, path: str) -> None:
    with open_world(tmp_path):
        pass
    with TestClient(create_app(Settings(db=tmp_path / "world.db", model_path=tmp_path / "m.json"))) as client:
        r = client.get(path)
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        refs = _referenced(r.text)
        assert refs, r.text
        assert "cdn" not in r.text.lower() and "fonts.googleapis" not in r.text
        for ref in refs:
            assert ref.startswith("/"), f"{path} loads {ref} from outside the app"
            asset = client.get(ref)
            assert asset.status_code == 200 and len(asset.content) > 500, ref
        assert client.get("/openapi.json").status_code == 200
        # The pages are not operations of the API.
        assert not any(p.startswith(("/docs", "/redoc")) for p in client.get("/openapi.json").json()["paths"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.slow
def test_chromium_renders_docs_and_redoc_without_network(tmp_path: Path) -> None:
    chromium = _chromium()
    with open_world(tmp_path):
        pass
    port = _free_port()
    env = {"CHAINMATCH_DB": str(tmp_path / "world.db"), "CHAINMATCH_MODEL_PATH": str(tmp_path / "m.json"),
           "PATH": "/usr/bin:/bin"}
    with (tmp_path / "uvicorn.log").open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
                                   "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=Path(__file__).resolve().parents[1])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "uvicorn.log").read_text()
                time.sleep(0.2)
        for path, drawn in [("/docs", "opblock-tag"), ("/redoc", "api-content")]:
            done = _run(chromium, tmp_path / f"profile{path.replace('/', '_')}", "--virtual-time-budget=15000",
                        "--dump-dom", f"http://127.0.0.1:{port}{path}")
            assert done.returncode == 0, done.stderr[-2000:]
            assert CONSOLE.findall(done.stderr) == []
            assert drawn in done.stdout, f"{path} was not drawn: {done.stdout[:2000]}"
            assert "/enterprises" in done.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
