"""Shared fixtures: isolated folders, a moto S3 server over HTTP, SQLite and
PostgreSQL stores. Only what cannot run here is mocked, and each test says so."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import textual._wait as textual_wait

from r2tui import runtime
from r2tui.cli import main
from r2tui.sources.analytics import forget_learned
from r2tui.sources.query_budget import forget_budgets
from r2tui.store import Store, open_store
from tests.support.graphql_peer import GraphQLPeer
from tests.support.tui_data import fill

PG_BASE = os.environ.get("R2TUI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

# Pilot waits after each key (and in pause() and settle()) until the process is
# idle: it sleeps slices of 20 ms until one passes with under 5 % of it spent on
# the CPU, so each of those waits takes 20 ms at the least, busy or not (96 of
# them in the rule-form test that types the most: 1.9 s). Slices of 5 ms make the
# same test (under 5 %) at a quarter of the wait; the default minimum follows.
# textual._wait is private: Pilot has no public setting for how it waits.
textual_wait.SLEEP_GRANULARITY = 0.005
textual_wait.SLEEP_IDLE = textual_wait.SLEEP_GRANULARITY / 20
textual_wait.wait_for_idle.__defaults__ = (textual_wait.SLEEP_GRANULARITY, 1)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def fresh_analytics_process() -> Iterator[None]:
    """What the analytics client learns per process (refused fields, page sizes,
    each token's spent queries) is keyed by endpoint: a loopback peer on a port an
    earlier test used must not inherit that test's learning."""
    forget_learned()
    forget_budgets()
    yield


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config, data, state and cache folders and a clean env."""
    for var in (
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
        "XDG_RUNTIME_DIR",
    ):
        d = tmp_path / var.lower()
        d.mkdir()
        monkeypatch.setenv(var, str(d))
    for var in list(os.environ):
        if var.startswith(("R2_", "R2TUI_", "CLOUDFLARE_", "AWS_")):
            monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    return tmp_path


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server on loopback for the whole session; tests reset it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_backend(moto_endpoint: str):  # type: ignore[no-untyped-def]
    """moto's in-process backend, reset, for seeding thousands of objects fast."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    httpx.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    return s3_backends[DEFAULT_ACCOUNT_ID]["aws"]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    s = open_store(sqlite_url)
    try:
        yield s
    finally:
        s.close()


def _pg_available() -> str | None:
    try:
        import psycopg2
    except ImportError:
        return "psycopg2 is not installed"
    try:
        conn = psycopg2.connect(
            PG_BASE.replace("postgresql://", "postgresql://", 1), connect_timeout=3
        )
        conn.close()
    except Exception as exc:
        return f"PostgreSQL at {PG_BASE} is unreachable: {exc}"
    return None


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema in the machine's PostgreSQL for one test, dropped afterwards.
    Skips (with the reason) when PostgreSQL is unreachable, except in CI where
    both store back-ends must run."""
    import psycopg2

    reason = _pg_available()
    if reason:
        if IN_CI:
            pytest.fail(f"CI must test PostgreSQL: {reason}")
        pytest.skip(reason)
    schema = f"r2tui_test_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(PG_BASE)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_BASE}?options=-c%20search_path%3D{schema}"
    finally:
        from r2tui.store.models import database

        if database.obj is not None and not database.obj.is_closed():
            database.obj.close()
        with conn.cursor() as cur:
            cur.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def st(request: pytest.FixtureRequest) -> Iterator[Store]:
    """A store on SQLite, then on PostgreSQL."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    s = open_store(url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., tuple[int, str, str]]]:
    """main(argv) in this process; gives back (exit code, stdout, stderr) and undoes
    the process-wide logging set-up main() does."""
    root = logging.getLogger()
    handlers, level, configured = list(root.handlers), root.level, runtime._configured
    # main() quiets some libraries' loggers; put them back for the tests after this one.
    quieted = {
        name: logging.getLogger(name).level
        for name in ("botocore", "boto3", "urllib3", "werkzeug", "apscheduler", "httpx", "peewee")
    }
    runtime._configured = False

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        runtime._configured = False
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    for h in root.handlers[:]:
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)
    for name, lvl in quieted.items():
        logging.getLogger(name).setLevel(lvl)
    runtime._configured = configured


@pytest.fixture
def peer() -> Iterator[GraphQLPeer]:
    """An empty loopback GraphQL endpoint; tests fill its rows or script answers."""
    with GraphQLPeer() as p:
        yield p


@pytest.fixture
def filled(store: Store) -> Store:
    """A store holding tui_data's fixed buckets, probes and events (TUI tests)."""
    fill(store)
    return store
