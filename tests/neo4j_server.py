"""A real Neo4j for the tests (tier 3 of NEO4J-TESTING.md): Neo4j Community 5.26 embedded in a small JVM launcher.

The Maven module ``tests/neo4j_server/`` (a pinned ``pom.xml`` and ``chainmatch.testing.Neo4jServer``) is built
with ``mvn -q -B -f tests/neo4j_server/pom.xml package``, which compiles the launcher and writes its class path
to ``target/classpath.txt``; the jars stay in ``~/.m2``. :func:`build` does that when the build is missing or older
than its sources. :func:`start` runs the launcher as a child process with Bolt on 127.0.0.1, a free port (or the
given one, to restart on the same home) and authentication on; it returns once the database answers.

The server stops when :meth:`Neo4jServer.stop` closes its standard input, and also when the test process ends
however it ends (its standard input closes then too). :meth:`Neo4jServer.kill` ends it at once (SIGKILL), as a
crash would. Neo4j Community is GPL-3: a test tool fetched at build time, never shipped with chainmatch.
Used by ``tests/conftest.py`` and ``bench/bench_neo4j.py``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DATABASE", "MODULE", "USER", "Neo4jServer", "ToolMissing", "admin_import", "build", "start"]

MODULE = Path(__file__).resolve().parent / "neo4j_server"
DATABASE = "neo4j"  # Community serves one user database
USER = "neo4j"
_PASSWORD = "chainmatch-test-only"  # a throw-away server on 127.0.0.1, gone with its temporary folder
_MAIN = "chainmatch.testing.Neo4jServer"
_ADMIN = "org.neo4j.cli.AdminTool"  # neo4j-admin's entry point, in the neo4j-command-line jar of the same release


class ToolMissing(RuntimeError):
    """Java or Maven is not installed, or the build failed: the tests cannot have a Neo4j."""


@dataclass
class Neo4jServer:
    """A running Neo4j; ``stop()`` ends it cleanly, ``kill()`` as a crash would."""

    process: subprocess.Popen[bytes]
    home: Path
    bolt_port: int
    version: str
    started_s: float
    user: str = USER
    password: str = _PASSWORD
    database: str = DATABASE
    settings: dict[str, str] = field(default_factory=dict)
    heap: str = "1g"
    pagecache: str = "256m"
    extra: dict[str, str] = field(default_factory=dict)
    quick: bool = True

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def log(self) -> Path:
        return self.home / "console.log"

    def stop(self, timeout: float = 60) -> None:
        if self.process.poll() is None:
            if self.process.stdin:
                self.process.stdin.close()  # the launcher shuts the DBMS down when its input ends
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        elif self.process.stdin:
            self.process.stdin.close()

    def restart(self, timeout: float = 180) -> None:
        """Start Neo4j again on the same home and port (after :meth:`kill` or :meth:`stop`); this object then
        stands for the new process, so drivers on :attr:`uri` reconnect to it by themselves."""
        if self.process.poll() is None:
            self.stop()
        again = start(self.home, port=self.bolt_port, timeout=timeout, password=self.password or None,
                      heap=self.heap, pagecache=self.pagecache, settings=self.extra, quick=self.quick)
        self.process, self.version, self.started_s = again.process, again.version, again.started_s

    def kill(self) -> None:
        """End the JVM at once (SIGKILL): no shutdown, as in a crash or an out-of-memory kill."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdin:
            self.process.stdin.close()


def _newest_source() -> float:
    files = [MODULE / "pom.xml", *(MODULE / "src").rglob("*.java")]
    return max(f.stat().st_mtime for f in files)


def classpath() -> str:
    """The launcher's class path (its classes, then Neo4j's jars), building the module if needed."""
    cp = MODULE / "target" / "classpath.txt"
    if not cp.exists() or cp.stat().st_mtime < _newest_source():
        build()
    return f"{MODULE / 'target' / 'classes'}{os.pathsep}{cp.read_text().strip()}"


def build() -> None:
    """``mvn -q -B package`` of the module; raises :class:`ToolMissing` when Java or Maven is missing or it fails."""
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            raise ToolMissing(f"`{tool}` is not installed: the real Neo4j of the tests needs Java 17 and Maven "
                              "(apt-get install openjdk-17-jdk-headless maven; .ci/run does it)")
    done = subprocess.run(["mvn", "-q", "-B", "-f", str(MODULE / "pom.xml"), "package"],
                          check=False, capture_output=True, text=True, timeout=1200)
    if done.returncode != 0:
        raise ToolMissing(f"building the test Neo4j failed (mvn -q -B -f {MODULE / 'pom.xml'} package, exit status "
                          f"{done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")


def start(home: Path, *, port: int = 0, heap: str = "1g", pagecache: str = "256m", timeout: float = 180,
          password: str | None = _PASSWORD, settings: dict[str, str] | None = None,
          quick: bool = True) -> Neo4jServer:
    """Start Neo4j on ``home`` (made if missing) and return once its default database answers.

    ``port`` 0 takes a free port; give the ``bolt_port`` of a stopped or killed server on the same ``home`` to
    restart it with its data. ``password`` None turns authentication off. ``settings`` are more Neo4j settings
    (neo4j.conf names). ``quick`` (the tests) compiles with the JVM's fast compiler only: a start takes half the
    CPU time on a small machine, small queries run as fast; the benchmark turns it off for full-speed code.
    """
    java = shutil.which("java")
    if java is None:
        raise ToolMissing("`java` is not installed: the real Neo4j of the tests needs Java 17")
    cp = classpath()
    home.mkdir(parents=True, exist_ok=True)
    conf = {
        "server.memory.pagecache.size": pagecache,
        "db.tx_log.rotation.retention_policy": "2 files",
        # The tests try wrong passwords on purpose: no 5-second lock of the user after three of them.
        "dbms.security.auth_max_failed_attempts": "0",
        **(settings or {}),
    }
    env = {k: v for k, v in os.environ.items() if k != "CHAINMATCH_TEST_NEO4J_PASSWORD"}
    if password is not None:
        env["CHAINMATCH_TEST_NEO4J_PASSWORD"] = password
    log_path = home / "console.log"
    with open(log_path, "ab") as log:
        log.write(f"--- starting on port {port or 'any'}\n".encode())
        log.flush()
        offset = log.tell()
        process = subprocess.Popen(
            [java, f"-Xmx{heap}", f"-Xms{heap}", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError",
             *(["-XX:TieredStopAtLevel=1"] if quick else []),
             "-cp", cp, _MAIN, str(home), str(port), *(f"{k}={v}" for k, v in conf.items())],
            cwd=home, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    t0 = time.monotonic()
    deadline = t0 + timeout
    while True:
        text = log_path.read_bytes()[offset:].decode(errors="replace")
        ready = next((line for line in text.splitlines() if line.startswith("READY ")), None)
        if ready:
            uri, version = ready.split()[1:3]
            server = Neo4jServer(process, home, int(uri.rsplit(":", 1)[1]), version.split("/", 1)[1],
                                 round(time.monotonic() - t0, 1), password=password or "", settings=conf,
                                 heap=heap, pagecache=pagecache, extra=dict(settings or {}), quick=quick)
            return server
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                process.kill()
                process.wait()
            raise RuntimeError(f"Neo4j did not start (exit status {process.returncode}); its output ends:\n"
                               f"{text[-3000:]}")
        time.sleep(0.1)


def admin_import(home: Path, folder: Path, command: str, *, database: str = DATABASE, heap: str = "1g",
                 timeout: float = 7200) -> str:
    """Run ``command``, the ``neo4j-admin database import full ...`` line an export writes to ``import.txt``, in
    ``folder`` with the import tool of the test server's own Neo4j release (``neo4j-admin`` is
    ``org.neo4j.cli.AdminTool`` of its jars), into ``home``; :func:`start` on ``home`` then serves the imported
    database. ``DATABASE`` in the command becomes ``database``. No server may be running on ``home``. Returns the
    tool's output; raises RuntimeError with its end when it fails."""
    java = shutil.which("java")
    if java is None:
        raise ToolMissing("`java` is not installed: the Neo4j import tool needs Java 17")
    args = shlex.split(command)
    if args[:4] != ["neo4j-admin", "database", "import", "full"]:
        raise ValueError(f"not a neo4j-admin database import full command: {command[:80]}")
    args = [database if a == "DATABASE" else a for a in args[1:]]
    home.mkdir(parents=True, exist_ok=True)
    (home / "neo4j.conf").touch()  # the launcher writes its settings there at each start
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home)}
    done = subprocess.run([java, f"-Xmx{heap}", "-XX:+UseG1GC", "-cp", classpath(), _ADMIN, *args], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise RuntimeError(f"neo4j-admin database import full failed (exit status {done.returncode}) in {folder}; "
                           f"its output ends:\n{output[-3000:]}")
    return output
