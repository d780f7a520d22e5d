"""Opening a store: SQLite pragmas, URL errors that say what to do, redaction."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from r2tui.config.secrets import shown_url
from r2tui.jobs.base import JobContext
from r2tui.store import Store, StoreError, open_store, queries, writes
from r2tui.store.migrations import LATEST, StoreTooNew, current_version, migrate
from r2tui.store.models import Event, JobRun, Sample, database
from r2tui.store.writes import EventRow
from tests.support.configs import make_config


@pytest.fixture
def opened() -> Iterator[list[Store]]:
    """Stores a test opened, closed at teardown whatever happens."""
    stores: list[Store] = []
    yield stores
    for s in stores:
        s.close()


def test_sqlite_pragmas(sqlite_url: str, opened: list[Store]) -> None:
    store = open_store(sqlite_url)
    opened.append(store)
    assert store.is_sqlite

    def pragma(name: str) -> object:
        return store.db.execute_sql(f"PRAGMA {name}").fetchone()[0]

    assert pragma("journal_mode") == "wal"
    assert pragma("busy_timeout") == 5000
    assert pragma("foreign_keys") == 1
    assert pragma("synchronous") == 1  # NORMAL


def test_pragmas_hold_on_every_thread_connection(sqlite_url: str, opened: list[Store]) -> None:
    """Peewee opens one connection per thread: each must carry the pragmas."""
    import threading

    store = open_store(sqlite_url)
    opened.append(store)
    seen: list[tuple[object, object]] = []

    def read() -> None:
        try:
            seen.append(
                (
                    store.db.execute_sql("PRAGMA busy_timeout").fetchone()[0],
                    store.db.execute_sql("PRAGMA foreign_keys").fetchone()[0],
                )
            )
        finally:
            store.db.close()

    t = threading.Thread(target=read)
    t.start()
    t.join()
    assert seen == [(5000, 1)]


def test_open_creates_the_folder_and_binds_the_models(tmp_path: Path, opened: list[Store]) -> None:
    path = tmp_path / "deep" / "er" / "r2tui.db"
    store = open_store(f"sqlite:///{path}")
    opened.append(store)
    assert path.exists()
    assert current_version(store.db) == LATEST
    assert database.obj is store.db
    Sample.create(ts=1, account="a", bucket="*", metric="m", value=1.0)
    assert sqlite3.connect(path).execute("SELECT count(*) FROM sample").fetchone() == (1,)


def test_unopenable_folder_says_which(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as info:
        open_store(f"sqlite:///{blocker}/sub/r2tui.db", "R2TUI_DB")
    assert str(info.value).startswith("R2TUI_DB: cannot create the folder for ")
    assert str(blocker) in str(info.value)


@pytest.mark.parametrize(
    "url", ["r2tui.db", "/var/lib/r2tui.db", "http://host/db", "mongodb://u:hunter2@host/db"]
)
def test_unsupported_scheme_names_source_and_valid_forms(url: str) -> None:
    with pytest.raises(StoreError) as info:
        open_store(url, "/etc/r2tui.toml: store.url")
    msg = str(info.value)
    assert msg.startswith("/etc/r2tui.toml: store.url: unsupported database URL scheme")
    assert "sqlite:////absolute/path.db" in msg
    assert "postgresql://user@host:5432/dbname" in msg
    assert "hunter2" not in msg


@pytest.mark.parametrize(
    ("url", "package"),
    [
        ("mysql://u@127.0.0.1:1/x", "pymysql"),
    ],
)
def test_missing_driver_says_what_to_install(url: str, package: str) -> None:
    try:
        __import__(package)
    except ImportError:
        pass  # the test means something only while the driver is absent
    else:
        pytest.skip(f"{package} is installed here")
    with pytest.raises(StoreError) as info:
        open_store(url, "--db")
    msg = str(info.value)
    assert msg.startswith("--db: the driver for mysql is not installed")
    assert f"pip install {package}" in msg


def test_missing_postgres_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """psycopg2 is installed here: hide it from peewee to see the message a user gets."""
    import peewee

    monkeypatch.setattr(peewee, "psycopg2", None)
    monkeypatch.setattr(peewee, "psycopg", None)
    with pytest.raises(StoreError) as info:
        open_store("postgresql://u:pw@127.0.0.1:1/x", "R2TUI_DB")
    msg = str(info.value)
    assert msg.startswith("R2TUI_DB: the driver for postgresql is not installed")
    assert "pip install 'r2tui[postgres]'" in msg


def test_unreachable_server_names_source_and_hides_password() -> None:
    with pytest.raises(StoreError) as info:
        open_store("postgresql://r2:hunter2@127.0.0.1:1/r2tui", "R2TUI_DB")
    msg = str(info.value)
    assert msg.startswith("R2TUI_DB: cannot open postgresql://127.0.0.1:1/r2tui")
    assert "hunter2" not in msg


# Shown as scheme, host, port and path only (issue 14): no userinfo, query or fragment.
@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://r2:hunter2@db:5432/r2tui", "postgresql://db:5432/r2tui"),
        ("postgresql://r2:hun%40ter2@db/r2tui", "postgresql://db/r2tui"),
        ("postgresql://hunter2:hunter2@db/r2tui", "postgresql://db/r2tui"),
        ("postgresql://r2@db/r2tui?password=hunter2&sslmode=require", "postgresql://db/r2tui"),
        ("postgresql://r2:hunter2@db/x?PASSWORD=hunter2", "postgresql://db/x"),
        ("postgresql://r2@db/r2tui", "postgresql://db/r2tui"),
        ("sqlite:////var/lib/r2tui.db", "sqlite:////var/lib/r2tui.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
    ],
)
def test_a_store_url_is_shown_without_credentials(url: str, shown: str) -> None:
    assert shown_url(url) == shown
    assert "hunter2" not in shown_url(url)


def test_store_url_is_redacted(pg_url: str, opened: list[Store]) -> None:
    url = pg_url.replace("postgres@", "postgres:not-needed@", 1)
    store = open_store(url)
    opened.append(store)
    assert "not-needed" not in store.url and store.url == "postgresql://127.0.0.1:5432/test"
    assert current_version(store.db) == LATEST


def _too_new(url: str) -> None:
    store = open_store(url)
    try:
        store.db.execute_sql(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'future', 0)"
        )
    finally:
        store.close()


def test_store_too_new_is_refused(sqlite_url: str) -> None:
    _too_new(sqlite_url)
    with pytest.raises(StoreError) as info:
        open_store(sqlite_url, "--db")
    msg = str(info.value)
    assert msg.startswith("--db: the store is at schema version 99")
    assert f"knows ({LATEST})" in msg and "upgrade r2tui" in msg


def test_migrate_raises_store_too_new(sqlite_url: str) -> None:
    _too_new(sqlite_url)
    store = open_store(sqlite_url, migrate_now=False)
    try:
        with pytest.raises(StoreTooNew):
            migrate(store.db)
        assert current_version(store.db) == 99
    finally:
        store.close()


def test_failed_open_leaves_no_connection_and_keeps_the_open_store(
    sqlite_url: str, tmp_path: Path, opened: list[Store]
) -> None:
    good = open_store(f"sqlite:///{tmp_path / 'good.db'}")
    opened.append(good)
    _too_new(sqlite_url)
    database.initialize(good.db)  # _too_new's own open rebound the models
    with pytest.raises(StoreError):
        open_store(sqlite_url)
    # The models still talk to the store that opened; the failed one let go of its file.
    assert database.obj is good.db
    Sample.create(ts=1, account="a", bucket="*", metric="m", value=1.0)
    assert Sample.select().count() == 1


def test_store_too_new_on_postgres(pg_url: str) -> None:
    _too_new(pg_url)
    with pytest.raises(StoreError, match="schema version 99"):
        open_store(pg_url)


def test_write_is_immediate_on_sqlite(sqlite_url: str, opened: list[Store]) -> None:
    """A second connection cannot start writing while store.write() is open, even
    before the first statement: that is what makes read-then-write safe."""
    store = open_store(sqlite_url)
    opened.append(store)
    path = sqlite_url[len("sqlite:///") :]
    other = sqlite3.connect(path, timeout=0)
    try:
        with store.write(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
    finally:
        other.close()


def test_close_is_idempotent(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    store.close()
    store.close()
    assert store.db.is_closed()


def test_a_store_another_open_took_the_models_from_refuses_reads(
    tmp_path: Path, opened: list[Store]
) -> None:
    """One open store per process: reads through a store whose models another
    open took over say so instead of answering from the other store."""
    first = open_store(f"sqlite:///{tmp_path / 'first.db'}")
    opened.append(first)
    assert first.bound() is first
    assert queries.bucket_names(first, "acc") == []
    second = open_store(f"sqlite:///{tmp_path / 'second.db'}")
    opened.append(second)
    with pytest.raises(StoreError, match="not the one open in this process"):
        queries.bucket_names(first, "acc")
    with pytest.raises(StoreError, match="not the one open in this process"):
        first.write()
    assert queries.bucket_names(second, "acc") == []


def test_stored_times_come_from_the_stores_clock(sqlite_url: str, opened: list[Store]) -> None:
    store = open_store(sqlite_url, clock=lambda: 1_000_000.75)
    opened.append(store)
    assert store.now() == 1_000_000
    writes.add_events(store, "acc", [EventRow("job", "info", "hello")])
    run = writes.start_job_run(store, "inventory", "acc")
    assert [(e.ts, e.message) for e in Event.select()] == [(1_000_000, "hello")]
    assert JobRun.get_by_id(run).started_at == 1_000_000
    # A job's context asks the store's clock unless it is given one.
    assert JobContext(config=make_config(()), store=store).clock() == 1_000_000.75
    assert JobContext(config=make_config(()), store=store, clock=lambda: 5.0).clock() == 5.0


def test_thread_done_gives_the_threads_connection_back(
    sqlite_url: str, opened: list[Store]
) -> None:
    store = open_store(sqlite_url)
    opened.append(store)
    closed: list[bool] = []

    def worker() -> None:
        queries.bucket_names(store, "acc")
        open_before = not store.db.is_closed()
        store.thread_done()
        closed.append(open_before and store.db.is_closed())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert closed == [True]
    assert store.fetch(Sample.select(Sample.id)) == []  # this thread's own connection


def test_samples_wait_for_the_write_lock_on_postgres(pg_url: str, opened: list[Store]) -> None:
    """Samples are written under the store's write lock (PostgreSQL's advisory
    lock), as the rollup's pruning of series keys is: a new series' key is never
    dropped while its first sample commits."""
    store = open_store(pg_url)
    opened.append(store)
    holding, release = threading.Event(), threading.Event()
    writer_pid: list[int] = []
    done = threading.Event()

    def hold() -> None:
        try:
            with store.write():
                holding.set()
                release.wait(30)
        finally:
            store.thread_done()

    def add() -> None:
        try:
            writer_pid.append(store.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0])
            writes.add_samples(store, "acc", [writes.SampleRow("total_files", 1.0)], 1)
        finally:
            done.set()
            store.thread_done()

    holder = threading.Thread(target=hold)
    holder.start()
    waited = False
    try:
        assert holding.wait(10)
        adder = threading.Thread(target=add)
        adder.start()
        deadline = time.monotonic() + 10
        while not done.is_set() and time.monotonic() < deadline:
            if (
                writer_pid
                and store.db.execute_sql(
                    "SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted"
                    " AND locktype = 'advisory'",
                    (writer_pid[0],),
                ).fetchone()
            ):
                waited = True
                break
            time.sleep(0.02)
    finally:
        release.set()
        holder.join(10)
    adder.join(10)
    assert waited, "the sample was written without waiting for the write lock"
    assert Sample.select().where(Sample.account == "acc").count() == 1
