"""A store opened read-only cannot write (SQLite through a `mode=ro` URI,
PostgreSQL with read-only transactions) and leaves a SQLite file's bytes as they
were; opening a store that needs no migration takes no lock, so it succeeds
while another connection writes; a SQLite store is copied aside (backup API)
before a migration.

Real parts: SQLite files, PostgreSQL at 127.0.0.1:5432, second connections that
hold a write. Nothing is mocked."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from peewee import PeeweeException

from r2tui.store import Store, StoreError, open_store, queries, writes
from r2tui.store.migrations import LATEST, current_version, migrate
from r2tui.store.writes import SampleRow
from tests.support.store_files import sqlite_path, store_bytes

# What the other connection holds while these tests open and read: well under
# SQLite's busy timeout (5 s), which a blocked open would wait out before failing.
QUICK_S = 3.0


@pytest.fixture
def made(sqlite_url: str) -> str:
    """A migrated SQLite store holding one sample, closed."""
    store = open_store(sqlite_url)
    try:
        writes.add_samples(store, "acme", [SampleRow("total_bytes", 42.0)], ts=100)
    finally:
        store.close()
    return sqlite_url


def _read(store: Store) -> float | None:
    """The account's last total_bytes: a read through the models."""
    return queries.last_value(store, "acme", "total_bytes")


def test_read_only_sqlite_reads_refuses_writes_and_leaves_the_bytes(made: str) -> None:
    before = store_bytes(sqlite_path(made))
    store = open_store(made, read_only=True)
    try:
        assert store.read_only and _read(store) == 42.0
        with pytest.raises((PeeweeException, sqlite3.Error), match="readonly"):
            writes.add_samples(store, "acme", [SampleRow("total_bytes", 1.0)], ts=200)
    finally:
        store.close()
    assert store_bytes(sqlite_path(made)) == before


def test_read_only_refuses_a_missing_store_and_one_that_needs_migrating(
    tmp_path: Path, sqlite_url: str
) -> None:
    missing = f"sqlite:///{tmp_path / 'none' / 'store.db'}"
    with pytest.raises(StoreError, match="no store there; --read-only never creates one"):
        open_store(missing, "--db", read_only=True)
    assert not (tmp_path / "none").exists()
    with closing(sqlite3.connect(sqlite_path(sqlite_url))) as conn:
        conn.execute("PRAGMA journal_mode=wal")
    old = open_store(sqlite_url, migrate_now=False)
    try:
        migrate(old.db, target=3)
    finally:
        old.close()
    with pytest.raises(StoreError) as info:
        open_store(sqlite_url, "--db", read_only=True)
    assert f"at schema version 3 and this r2tui needs {LATEST}" in str(info.value)
    assert "run r2tui once without --read-only" in str(info.value)
    with closing(sqlite3.connect(sqlite_path(sqlite_url))) as conn:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (3,)


def test_read_only_postgres_refuses_a_write(pg_url: str) -> None:
    import psycopg2  # with the postgres extra only: pg_url skips without it

    open_store(pg_url).close()
    store = open_store(pg_url, read_only=True)
    try:
        assert _read(store) is None
        with pytest.raises((PeeweeException, psycopg2.Error), match="read-only transaction"):
            writes.add_samples(store, "acme", [SampleRow("total_bytes", 1.0)], ts=200)
    finally:
        store.close()
    store = open_store(pg_url)
    try:
        assert _read(store) is None  # nothing got in
    finally:
        store.close()


def test_read_only_sqlite_keeps_the_urls_options_and_any_absolute_path(made: str) -> None:
    """The URL's timeout stays; a path written with a leading "//" (five slashes
    in the URL) is still a path, not a URI host."""
    before = store_bytes(sqlite_path(made))
    doubled = made.replace("sqlite:///", "sqlite:////", 1) + "?timeout=1.5"
    store = open_store(doubled, read_only=True)
    try:
        assert _read(store) == 42.0
        assert store.db._timeout == 1.5  # peewee's busy timeout for the connection
        with pytest.raises((PeeweeException, sqlite3.Error), match="readonly"):
            writes.add_samples(store, "acme", [SampleRow("total_bytes", 1.0)], ts=200)
    finally:
        store.close()
    assert store_bytes(sqlite_path(made)) == before


def test_read_only_postgres_keeps_the_urls_options_and_sends_no_startup_option(
    pg_url: str,
) -> None:
    """Read-only is a statement on each new connection, not a startup option
    (which PgBouncer refuses); the URL's own parameters all stay in force."""
    open_store(pg_url).close()
    store = open_store(pg_url + "&encoding=LATIN1", read_only=True)
    try:
        assert "read_only" not in str(store.db.connect_params)
        assert store.db.execute_sql("SHOW client_encoding").fetchone() == ("LATIN1",)
        assert store.db.execute_sql("SHOW transaction_read_only").fetchone() == ("on",)
        assert _read(store) is None  # the URL's search_path: the test's schema
        # TCP keepalives: a server gone behind a partition is noticed, not waited on.
        dsn = store.db.connection().get_dsn_parameters()
        assert (dsn["keepalives"], dsn["keepalives_idle"]) == ("1", "30")
    finally:
        store.close()


# ---- readers are never blocked by writers ----------------------------------------------


@pytest.fixture
def writing(made: str) -> Iterator[sqlite3.Connection]:
    """Another connection in the middle of a write (BEGIN IMMEDIATE, a row inserted)."""
    conn = sqlite3.connect(sqlite_path(made), isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO sample (ts, account, bucket, metric, value) "
        "VALUES (300, 'acme', '*', 'object_count', 1)"
    )
    try:
        yield conn
    finally:
        conn.execute("ROLLBACK")
        conn.close()


@pytest.mark.parametrize("read_only", [True, False])
def test_sqlite_opens_and_reads_while_another_connection_writes(
    made: str, writing: sqlite3.Connection, read_only: bool
) -> None:
    started = time.monotonic()
    store = open_store(made, read_only=read_only)
    try:
        assert _read(store) == 42.0
    finally:
        store.close()
    assert time.monotonic() - started < QUICK_S


def test_sqlite_opens_in_a_thread_while_another_connection_writes(
    made: str, writing: sqlite3.Connection
) -> None:
    seen: list[object] = []

    def reader() -> None:
        try:
            store = open_store(made, read_only=True)
            seen.append(_read(store))
            store.close()
        except Exception as exc:  # the test reads what went wrong
            seen.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    thread.join(QUICK_S)
    assert seen == [42.0]


@pytest.mark.parametrize("read_only", [True, False])
def test_postgres_opens_and_reads_during_a_long_write(pg_url: str, read_only: bool) -> None:
    """Another session holds a write transaction, r2tui's write lock and the
    migrations' lock: an open that needs no migration waits on none of them."""
    import psycopg2  # with the postgres extra only: pg_url skips without it

    from r2tui.store.db import _PG_WRITE_LOCK_KEY  # the key itself: no public name
    from r2tui.store.migrations import _PG_LOCK_KEY

    open_store(pg_url).close()
    schema = pg_url.rsplit("%3D", 1)[1]
    other = psycopg2.connect(pg_url.split("?", 1)[0], options=f"-c search_path={schema}")
    try:
        with other.cursor() as cur:  # psycopg2 opens the transaction; it stays open
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_WRITE_LOCK_KEY,))
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_KEY,))
            cur.execute(
                "INSERT INTO sample (ts, account, bucket, metric, value) "
                "VALUES (300, 'acme', '*', 'object_count', 1)"
            )
        started = time.monotonic()
        store = open_store(pg_url, read_only=read_only)
        try:
            assert _read(store) is None
        finally:
            store.close()
        assert time.monotonic() - started < QUICK_S
    finally:
        other.rollback()
        other.close()


# ---- upgrades ---------------------------------------------------------------------------


def test_a_sqlite_store_is_copied_aside_before_a_migration(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = sqlite_path(sqlite_url)
    old = open_store(sqlite_url, migrate_now=False)
    try:
        migrate(old.db, target=LATEST - 1)
        old.db.execute_sql(
            "INSERT INTO sample (ts, account, bucket, metric, value) "
            "VALUES (100, 'acme', '*', 'total_bytes', 42)"
        )
    finally:
        old.close()
    with caplog.at_level(logging.INFO, logger="r2tui.store"):
        open_store(sqlite_url).close()
    copy = Path(f"{path}.before-v{LATEST}")
    assert f"copied to {copy}" in caplog.text
    with closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (LATEST - 1,)
        assert conn.execute("SELECT value FROM sample").fetchall() == [(42.0,)]
    assert not list(Path(path).parent.glob("*.partial"))
    # Opened again (nothing to migrate), and a new store: no copy.
    open_store(sqlite_url).close()
    fresh = Path(path).with_name("fresh.db")
    open_store(f"sqlite:///{fresh}").close()
    assert sorted(p.name for p in Path(path).parent.glob("*.before-v*")) == [copy.name]


def test_migrate_itself_copies_the_store_first(sqlite_url: str) -> None:
    """migrate() on a connection (not only open_store) copies the store first: under
    the migrations' lock, read through a connection of its own (SQLite's backup
    waits forever on a source connection that holds the lock)."""
    old = open_store(sqlite_url, migrate_now=False)
    try:
        migrate(old.db, target=2)
        assert migrate(old.db) == list(range(3, LATEST + 1))
        assert current_version(old.db) == LATEST
    finally:
        old.close()
    assert Path(f"{sqlite_path(sqlite_url)}.before-v3").is_file()


def test_a_failed_copy_before_a_migration_is_a_store_error_and_migrates_nothing(
    sqlite_url: str,
) -> None:
    """A full disk or a folder in the way: the open says where the copy failed
    and the store stays at its version."""
    path = sqlite_path(sqlite_url)
    old = open_store(sqlite_url, migrate_now=False)
    try:
        migrate(old.db, target=LATEST - 1)
    finally:
        old.close()
    Path(f"{path}.before-v{LATEST}.partial").mkdir()  # sqlite cannot open a folder
    with pytest.raises(StoreError, match=r"cannot copy the store to .*before-v"):
        open_store(sqlite_url)
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (LATEST - 1,)
