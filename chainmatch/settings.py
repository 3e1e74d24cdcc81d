"""Settings: the one place chainmatch reads its configuration (environment variables ``CHAINMATCH_*``).

Defaults run with no setup at all: no Neo4j URI means the embedded store in ``./chainmatch.db``.

>>> s = Settings(_env_file=None)
>>> s.store_kind
'embedded'
>>> Settings(neo4j_uri="bolt://127.0.0.1:7687").store_kind
'neo4j'
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_DEMO_DIR", "Settings", "get_settings"]

# The demo data ships in the repository's seeds/ folder, beside the package.
DEFAULT_DEMO_DIR = Path(__file__).resolve().parent.parent / "seeds" / "demo"


class Settings(BaseSettings):
    """chainmatch's configuration; each field is read from ``CHAINMATCH_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CHAINMATCH_", env_file=None, extra="ignore")

    db: Path = Path("chainmatch.db")
    """Path of the embedded store's database file (created when missing)."""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1, le=64)
    """Processes ``serve`` starts; each holds its own match index (about 230 MB per 100,000 firms). One per core
    serves the most requests."""
    threads: int | None = Field(default=None, ge=1, le=256)
    """Requests one worker process serves at a time (its thread pool). Default: 1 on the embedded store, where
    requests are pure CPU and more threads only contend for Python's lock; 16 on Neo4j, where they wait on the
    network."""
    access_log: bool = True
    """Whether ``serve`` logs one line per request (turn off behind a proxy that logs, or to save CPU)."""
    demo_dir: Path = DEFAULT_DEMO_DIR
    """Data folder that ``serve`` loads into an empty store on first start."""
    load_demo: bool = True
    """Whether ``serve`` loads ``demo_dir`` into an empty store."""
    model_path: Path = Path("chainmatch-model.json")
    """Where ``chainmatch train`` saves the ranking model and the service reads it (default weights if absent)."""
    neo4j_uri: str | None = None
    """Bolt URI of a Neo4j server; when set, chainmatch uses Neo4j instead of the embedded store."""
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str = "neo4j"
    neo4j_retry_seconds: float = Field(default=15.0, ge=0, le=600)
    """Seconds a Neo4j read or write is tried again while the server is unreachable or reports a temporary error
    (a deadlock, a leader switch) before the answer is 503 ``store_unavailable``."""
    neo4j_tx_rows: int = Field(default=50_000, ge=1, le=10_000_000)
    """Rows (nodes, relationships, resets) per Neo4j transaction when a data folder is loaded
    (``Store.write_bulk``): Neo4j holds a transaction in its heap, up to ``dbms.memory.transaction.total.max``;
    50,000 rows take about 100 MB. Lower it when Neo4j refuses a load for memory."""
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=1_073_741_824)
    """Largest request body the API accepts (bytes); a longer one is refused with 413 before it is read, before
    the token is checked."""
    max_upload_bytes: int = Field(default=20 * 1_048_576, ge=1024, le=1_073_741_824)
    """Largest register upload (``POST /registers/import``, bytes), refused with 413 the same way."""
    header_timeout: float = Field(default=10.0, gt=0, le=600)
    """Seconds a client has to send a request's headers once it connects or starts a request; then ``serve``
    closes the connection (slow partial-header clients)."""
    keep_alive_timeout: float = Field(default=5.0, gt=0, le=600)
    """Seconds ``serve`` keeps an idle connection open between requests (uvicorn's ``timeout_keep_alive``)."""
    rate_recommendations_per_minute: int = Field(default=60_000, ge=0)
    """Recommendation requests a token may make per minute in each worker process (bursts of ten seconds' worth);
    0: no limit. The default is above what one worker serves (so it never slows the benchmarks); lower it to stop
    one token from taking a worker."""
    rate_maps_per_minute: int = Field(default=30, ge=0)
    """Chain map runs a token may start per minute in each worker process; 0: no limit."""
    store_busy_timeout: float = Field(default=2.0, gt=0, le=300)
    """Seconds the embedded store waits for another process's write lock before answering 503
    ``store_unavailable``."""
    deadline_paperwork_days: int = Field(default=1, ge=1)
    """Time limit for paperwork needs (审批 approvals): the "1" of the "135" rule."""
    deadline_problem_days: int = Field(default=3, ge=1)
    """Time limit for problems (land, workers, finance, technology, other): the "3" of "135"."""
    deadline_feedback_days: int = Field(default=5, ge=1)
    """Time limit for feedback (buyers and supply matching, each project step): the "5" of "135"."""
    remind_soon_days: int = Field(default=2, ge=0, le=60)
    """Days ahead that ``chainmatch remind`` and ``GET /reminders`` list as due soon."""
    problem_categories: Path | None = None
    """The problem category catalogue (a CSV file, see README "Problem categories"); default: the example shipped in
    ``chainmatch/data/problem_categories.csv``."""

    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    """Hours a page login lasts (its session then expires and the person logs in again)."""
    cookie_secure: bool | None = None
    """Whether the session cookie is marked Secure (sent over HTTPS only). Default: when the request came over
    HTTPS (directly, or through a proxy that says so in X-Forwarded-Proto and that uvicorn trusts)."""
    login_slow_after: int = Field(default=3, ge=1, le=100)
    """Failed logins in a row after which each further try of that account must wait (1 s, doubling, ≤ 30 s)."""
    login_lock_after: int = Field(default=10, ge=1, le=1000)
    """Failed logins in a row that lock the account for ``login_lock_minutes``."""
    login_lock_minutes: float = Field(default=15.0, gt=0, le=7 * 24 * 60)
    """Minutes a locked account stays locked (an admin's ``chainmatch account passwd`` unlocks it at once)."""

    @property
    def store_kind(self) -> str:
        return "neo4j" if self.neo4j_uri else "embedded"

    @property
    def request_threads(self) -> int:
        """``threads``, or its default for the store kind."""
        return self.threads or (16 if self.neo4j_uri else 1)

    @property
    def inline_requests(self) -> bool:
        """Whether the service runs store calls on its event loop instead of a thread: on the embedded store with
        one request thread, where calls answer in microseconds and requests take turns anyway, so a hop to a
        thread would only add its own cost."""
        return self.neo4j_uri is None and self.request_threads == 1


@cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
