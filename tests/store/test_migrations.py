"""Schema migrations on SQLite and PostgreSQL: from nothing, from the previous
version with data in it, again (a no-op), and from two starters at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from peewee import Database, IntegrityError
from playhouse.db_url import connect

from r2tui.alerts.rules import DEFAULT_RULES
from r2tui.store import Store, open_store, state
from r2tui.store.db import SQLITE_PRAGMAS, enable_wal
from r2tui.store.migrations import LATEST, MIGRATIONS, backup_path, current_version, migrate
from r2tui.store.models import (
    MODELS,
    Bucket,
    Event,
    Inventory,
    InventoryBreakdown,
    ResponseRun,
    Sample,
    StoredReport,
)

V1_TABLES = {"sample", "event", "job_run"}
V2_TABLES = {"bucket", "inventory", "inventory_breakdown", "inventory_object"}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def raw(url: str) -> Database:
    """A database outside open_store, as an older r2tui (or another tool) would use it."""
    if not url.startswith("sqlite"):
        return connect(url)
    d = connect(url, pragmas=SQLITE_PRAGMAS)
    assert enable_wal(d) == "wal"
    return d


@pytest.fixture
def db(url: str) -> Iterator[Database]:
    d = raw(url)
    d.connect(reuse_if_open=True)
    yield d
    d.close()


def versions(db: Database) -> list[int]:
    return [
        v
        for (v,) in db.execute_sql("SELECT version FROM schema_version ORDER BY version").fetchall()
    ]


def test_migrations_are_numbered_in_order() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert MIGRATIONS[-1].version == LATEST


def test_empty_store_to_latest(db: Database) -> None:
    assert current_version(db) == 0
    assert migrate(db) == list(range(1, LATEST + 1))
    assert current_version(db) == LATEST
    assert versions(db) == list(range(1, LATEST + 1))
    assert set(db.get_tables()) >= V1_TABLES | V2_TABLES | {"schema_version"}


def test_frozen_tables_match_the_models(db: Database) -> None:
    """The migrations' frozen copies and models.py must describe the same columns,
    or a model change shipped without its migration."""
    migrate(db)
    for model in MODELS:
        table = model._meta.table_name
        stored = {c.name for c in db.get_columns(table)}
        assert stored == set(model._meta.columns), table


def test_from_previous_version_keeps_rows(url: str, db: Database) -> None:
    assert migrate(db, target=1) == [1]
    assert current_version(db) == 1
    tables = set(db.get_tables())
    assert tables >= V1_TABLES and not (V2_TABLES & tables)
    db.execute_sql(
        "INSERT INTO sample (ts, account, bucket, metric, value) "
        "VALUES (100, 'acc', '*', 'total_bytes', 42.5)"
    )
    db.execute_sql(
        "INSERT INTO event (ts, account, bucket, kind, level, message, data) "
        "VALUES (101, 'acc', NULL, 'job', 'info', 'inventory: done', '{}')"
    )
    db.execute_sql(
        "INSERT INTO job_run (job, account, started_at, finished_at, ok, items, "
        "error, host, pid) VALUES ('inventory', 'acc', 90, 100, %s, 7, NULL, 'h', 1)".replace(
            "%s", "TRUE" if not url.startswith("sqlite") else "1"
        )
    )
    db.close()

    store = open_store(url)  # what the next r2tui does: migrate on open
    try:
        assert current_version(store.db) == LATEST
        assert versions(store.db) == list(range(1, LATEST + 1))
        s = Sample.get()
        assert (s.ts, s.account, s.bucket, s.metric, s.value) == (
            100,
            "acc",
            "*",
            "total_bytes",
            42.5,
        )
        e = Event.get()
        assert (e.ts, e.kind, e.message, e.data) == (101, "job", "inventory: done", "{}")
        assert store.db.execute_sql("SELECT items, ok FROM job_run").fetchone() in (
            (7, True),
            (7, 1),
        )
        # The new tables work through the current models, foreign keys included.
        Bucket.create(account="acc", name="media", first_seen=1, last_seen=1)
        inv = Inventory.create(
            account="acc",
            bucket="media",
            started_at=1,
            finished_at=2,
            objects=3,
            bytes=4,
            list_requests=1,
        )
        InventoryBreakdown.create(
            inventory=inv, dimension="extension", key=".jpg", objects=3, bytes=4
        )
        assert [b.key for b in Inventory.get().breakdowns] == [".jpg"]
    finally:
        store.close()


def test_from_v3_adds_the_report_table(url: str, db: Database) -> None:
    assert migrate(db, target=3) == [1, 2, 3]
    assert "report" not in db.get_tables()
    db.execute_sql(
        "INSERT INTO sample (ts, account, bucket, metric, value) "
        "VALUES (100, 'acc', '*', 'total_bytes', 42.5)"
    )
    db.close()

    store = open_store(url)
    try:
        assert versions(store.db) == list(range(1, LATEST + 1)) and LATEST >= 4
        assert Sample.get().value == 42.5
        StoredReport.create(
            account="acc",
            kind="daily",
            period_start=0,
            period_end=86400,
            generated_at=86430,
            body="{}",
        )
        assert StoredReport.get().format == "json"
        # One report per account, kind, period and format.
        with pytest.raises(IntegrityError):
            StoredReport.create(
                account="acc",
                kind="daily",
                period_start=0,
                period_end=86400,
                generated_at=90000,
                body="{}",
            )
    finally:
        store.close()


def test_from_v5_asks_the_analytics_again(url: str, db: Database) -> None:
    """Analytics stored before storage classes were asked: the watermark of every
    account goes, so the next run queries the 31 days again; other state and the
    samples stay (the bill estimates from them as before until they are replaced)."""
    assert migrate(db, target=5) == [1, 2, 3, 4, 5]
    for key, value in (
        ("analytics_to:acc", 1000),
        ("analytics_to:a_b", 2000),
        ("rollup_from", 3000),
        ("analytics_tonight", 4),
    ):
        db.execute_sql(f"INSERT INTO store_state (key, value) VALUES ('{key}', {value})")
    db.execute_sql(
        "INSERT INTO sample (ts, account, bucket, metric, value) "
        "VALUES (3600, 'acc', 'media', 'stored_bytes', 42.0)"
    )
    db.close()

    store = open_store(url)
    try:
        assert versions(store.db) == list(range(1, LATEST + 1)) and LATEST >= 6
        assert state.get(store, state.analytics_key("acc")) is None
        assert state.get(store, state.analytics_key("a_b")) is None
        assert (
            state.get(store, state.ROLLUP_FROM) == 3000
            and state.get(store, "analytics_tonight") == 4
        )
        assert [(s.metric, s.value) for s in Sample.select()] == [("stored_bytes", 42.0)]
    finally:
        store.close()


def test_from_v8_job_runs_name_their_process(url: str, db: Database) -> None:
    """Runs opened before v9 keep an empty holder id (matched by host and pid);
    a SQLite store is copied aside before the step."""
    assert migrate(db, target=8) == [1, 2, 3, 4, 5, 6, 7, 8]
    db.execute_sql(
        "INSERT INTO job_run (job, account, started_at, items, host, pid) "
        "VALUES ('inventory', 'acc', 90, 0, 'h', 1)"
    )
    db.close()

    store = open_store(url)
    try:
        assert versions(store.db) == list(range(1, LATEST + 1)) and LATEST >= 9
        assert store.db.execute_sql("SELECT holder, host, pid FROM job_run").fetchall() == [
            ("", "h", 1)
        ]
        if url.startswith("sqlite"):
            assert Path(backup_path(str(store.db.database), 8)).is_file()
    finally:
        store.close()


def test_from_v11_responses_get_their_queue(url: str, db: Database) -> None:
    """v12 adds the queue of automated responses (alerts/response_runs.py),
    empty; what the store held stays; a SQLite store is copied aside first."""
    assert migrate(db, target=11) == list(range(1, 12))
    assert "response_run" not in db.get_tables()
    db.execute_sql(
        "INSERT INTO event (ts, account, bucket, kind, level, message, data) "
        "VALUES (101, 'acc', NULL, 'alert', 'error', 'Costly firing', NULL)"
    )
    db.close()

    store = open_store(url)
    try:
        assert versions(store.db) == list(range(1, LATEST + 1)) and LATEST >= 12
        assert [e.message for e in Event.select()] == ["Costly firing"]
        assert not ResponseRun.select().exists()
        row = ResponseRun.create(
            created_at=1,
            account="acc",
            rule="Costly",
            response="page",
            bucket="*",
            fingerprint="f",
            body="{}",
            state="pending",
        )
        assert (row.claimed_until, row.finished_at, row.outcome) == (None, None, None)
        if url.startswith("sqlite"):
            assert Path(backup_path(str(store.db.database), 11)).is_file()
    finally:
        store.close()


def test_rerun_applies_nothing(db: Database) -> None:
    migrate(db)
    before = db.execute_sql(
        "SELECT version, name, applied_at FROM schema_version ORDER BY version"
    ).fetchall()
    assert migrate(db) == []
    assert migrate(db, target=1) == []
    after = db.execute_sql(
        "SELECT version, name, applied_at FROM schema_version ORDER BY version"
    ).fetchall()
    assert after == before


def test_reopen_keeps_data_and_version(url: str) -> None:
    first = open_store(url)
    try:
        Sample.create(ts=1, account="a", bucket="*", metric="m", value=1.0)
    finally:
        first.close()
    second = open_store(url)
    try:
        assert Sample.select().count() == 1
        assert versions(second.db) == list(range(1, LATEST + 1))
    finally:
        second.close()


def test_target_zero_creates_only_the_version_table(db: Database) -> None:
    assert migrate(db, target=0) == []
    assert current_version(db) == 0
    assert set(db.get_tables()) == {"schema_version"}


def _race(url: str, starters: int) -> list[BaseException]:
    """`starters` threads migrate the same new store at once, each through its own
    connection, as a TUI and a headless collector starting together would."""
    gate = threading.Barrier(starters)
    errors: list[BaseException] = []

    def start() -> None:
        gate.wait()
        d = None
        try:
            d = raw(url)  # after the gate: creating the file and its WAL race too
            migrate(d)
        except BaseException as exc:
            errors.append(exc)
        finally:
            if d is not None:
                d.close()

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def test_concurrent_first_migration_sqlite(tmp_path: Path) -> None:
    for attempt in range(10):
        url = f"sqlite:///{tmp_path / f'race-{attempt}.db'}"
        assert _race(url, 4) == []
        d = raw(url)
        try:
            assert versions(d) == list(range(1, LATEST + 1))
        finally:
            d.close()


def test_concurrent_open_store_sqlite(tmp_path: Path) -> None:
    """The same through open_store, which also creates the file and its folder."""
    url = f"sqlite:///{tmp_path / 'new' / 'r2tui.db'}"
    gate = threading.Barrier(3)
    stores: list[Store] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            gate.wait()
            stores.append(open_store(url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    try:
        assert errors == []
        assert len(stores) == 3
        assert versions(stores[0].db) == list(range(1, LATEST + 1))
    finally:
        for s in stores:
            s.close()


def test_concurrent_first_migration_postgres(pg_url: str) -> None:
    assert _race(pg_url, 3) == []
    d = raw(pg_url)
    try:
        assert versions(d) == list(range(1, LATEST + 1))
    finally:
        d.close()


@pytest.mark.parametrize("deleted", [(), ("Slow responses",), "all"])
def test_from_v7_a_new_default_rule_comes_only_where_the_defaults_were_kept(
    url: str, db: Database, deleted: tuple[str, ...] | str
) -> None:
    """Migration 8's "Objects dropped" joins the defaults a store kept (edited
    or not); a store whose defaults were deleted, any of them, gets no new one."""
    assert migrate(db, target=7) == list(range(1, 8))
    if deleted == "all":
        db.execute_sql("DELETE FROM alert_rule")
    for name in deleted if isinstance(deleted, tuple) else ():
        db.execute_sql(f"DELETE FROM alert_rule WHERE name = '{name}'")
    db.execute_sql("UPDATE alert_rule SET body = REPLACE(body, '100.0', '250.0')")
    before = {n for (n,) in db.execute_sql("SELECT name FROM alert_rule").fetchall()}
    db.close()

    store = open_store(url)
    try:
        after = {n for (n,) in store.db.execute_sql("SELECT name FROM alert_rule").fetchall()}
        assert after == (before | {"Objects dropped"} if not deleted else before)
    finally:
        store.close()


def test_a_fresh_store_has_every_default_rule(db: Database) -> None:
    migrate(db)
    names = {n for (n,) in db.execute_sql("SELECT name FROM alert_rule").fetchall()}
    assert names == {r.name for r in DEFAULT_RULES}
