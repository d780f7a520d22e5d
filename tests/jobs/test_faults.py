"""Faults a collector meets in the field, each against a real peer: the job says
why in one line, the store holds a failed run with that reason and an error
event, nothing is half-written, the next run succeeds once the fault is gone,
and the secret key shows up nowhere."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from r2tui.config import InventorySettings, ProbeSettings, S3Settings
from r2tui.jobs import JobContext, JobResult, run_job
from r2tui.sources import s3
from r2tui.store import Store
from r2tui.store.models import Event, Inventory, JobRun, Sample
from tests.support.configs import account_for, make_config
from tests.support.listing_peers import CountingProxy
from tests.support.peers import (
    Obj,
    closed_port,
    delete_bucket,
    error_server,
    seed_bucket,
    silent_server,
)

SECRET = "test-secret-key"  # what account_for() configures as the secret access key
T0 = 1_760_000_000


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    # Every record, botocore's request logs included, is searched for the secret; the
    # app quiets these loggers, so open each one up for the test.
    caplog.set_level(logging.DEBUG)
    for name in ("botocore", "boto3", "urllib3", "peewee", "r2tui"):
        caplog.set_level(logging.DEBUG, logger=name)


def _ctx(store: Store, endpoint: str, **kw: Any) -> JobContext:
    account_kw = {k: kw.pop(k) for k in ("probe",) if k in kw}
    config = make_config((account_for(endpoint, **account_kw),), **kw)
    return JobContext(config=config, store=store, clock=lambda: T0)


def _seed(backend: Any) -> None:
    seed_bucket(backend, "steady", [Obj(f"s{i}.jpg", 100 + i, T0 - 60) for i in range(5)])


def _store_text(path: Path) -> str:
    """Every row of every table, read through a connection of its own."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(repr(row) for t in tables for row in conn.execute(f'SELECT * FROM "{t}"'))
    finally:
        conn.close()


def _assert_failed_cleanly(
    result: JobResult,
    reason: str,
    store_path: Path,
    caplog: pytest.LogCaptureFixture,
    job: str = "inventory",
) -> None:
    assert not result.ok
    assert result.error is not None and "\n" not in result.error
    assert reason in result.error
    failed = [r for r in JobRun.select().order_by(JobRun.id) if r.ok is False]
    assert failed and failed[-1].job == job and failed[-1].error == result.error
    assert failed[-1].finished_at is not None
    assert JobRun.select().where(JobRun.finished_at.is_null()).count() == 0
    errors = [e.message for e in Event.select().where(Event.kind == "job", Event.level == "error")]
    assert errors[-1] == f"{job} failed: {result.error}"
    _assert_no_secret(result, store_path, caplog)


def _assert_no_secret(
    result: JobResult, store_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert SECRET not in f"{result!r} {result.error}"
    assert SECRET not in _store_text(store_path)
    assert caplog.records, "the fault left no log record at all"
    for record in caplog.records:
        assert SECRET not in record.getMessage()
    assert SECRET not in caplog.text  # formatted tracebacks included


def _recovers(store: Store, endpoint: str, backend: Any, **kw: Any) -> JobResult:
    """The next run against a healthy peer succeeds and leaves no open run."""
    if "steady" not in {b for b in backend.buckets}:
        _seed(backend)
    result = run_job(kw.pop("job", "inventory"), _ctx(store, endpoint, **kw))
    assert result.ok, result.error
    assert JobRun.select().where(JobRun.finished_at.is_null()).count() == 0
    return result


@pytest.fixture
def store_path(tmp_path: Path, store: Store) -> Path:
    return tmp_path / "store.db"


def test_endpoint_down(
    store: Store,
    store_path: Path,
    s3_backend: Any,
    moto_endpoint: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = closed_port()
    result = run_job("inventory", _ctx(store, f"http://127.0.0.1:{port}"))
    assert result.error == f"cannot reach 127.0.0.1:{port}: connection failed"
    _assert_failed_cleanly(result, "cannot reach", store_path, caplog)
    assert Inventory.select().count() == 0 and Sample.select().count() == 0  # nothing billed
    _recovers(store, moto_endpoint, s3_backend)


def test_endpoint_down_for_probes(
    store: Store,
    store_path: Path,
    s3_backend: Any,
    moto_endpoint: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = closed_port()
    probe = ProbeSettings(enabled=True)
    result = run_job("collect_metrics", _ctx(store, f"http://127.0.0.1:{port}", probe=probe))
    _assert_failed_cleanly(
        result, f"cannot reach 127.0.0.1:{port}", store_path, caplog, job="collect_metrics"
    )
    _seed(s3_backend)
    ok = _recovers(store, moto_endpoint, s3_backend, job="collect_metrics", probe=probe)
    assert ok.summary == "probed 1 bucket"


def test_access_denied(
    store: Store,
    store_path: Path,
    s3_backend: Any,
    moto_endpoint: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """moto does not check credentials; this peer refuses every request like R2
    does for a wrong key."""
    with error_server(403, "AccessDenied", "Access Denied") as peer:
        result = run_job("inventory", _ctx(store, peer.endpoint))
    assert result.error == (
        "access denied (403) on ListBuckets: check the access key, its "
        "secret and the token's permissions"
    )
    assert len(peer.requests) == 1  # refused requests are not retried
    _assert_failed_cleanly(result, "access denied", store_path, caplog)
    # R2 bills no refused request: the monitor's spend stays empty.
    assert Sample.select().where(Sample.metric.startswith("monitor_")).count() == 0
    _recovers(store, moto_endpoint, s3_backend)


def test_bucket_deleted_mid_listing(
    store: Store,
    store_path: Path,
    s3_backend: Any,
    moto_endpoint: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _seed(s3_backend)
    seed_bucket(s3_backend, "doomed", [Obj(f"d{i:02d}", 1, T0 - 60) for i in range(30)])
    listing: list[str] = []  # the bucket of each list page asked for

    def on_page(_: int, path: str) -> None:  # before the page is answered
        listing.append(path.strip("/"))
        if listing[-1] == "doomed" and listing.count("doomed") == 2:
            delete_bucket(s3_backend, "doomed")  # gone after its first page

    with CountingProxy(moto_endpoint, on_page=on_page) as proxy:
        ctx = _ctx(store, proxy.endpoint, inventory=InventorySettings(page_size=10))
        result = run_job("inventory", ctx)
    assert result.error == "bucket doomed: no such bucket (deleted while r2tui was listing it?)"
    assert listing.count("doomed") == 2  # the first page came, the second found no bucket
    _assert_failed_cleanly(result, "no such bucket", store_path, caplog)
    # The other bucket is whole; the doomed one left no partial inventory.
    assert [(i.bucket, i.objects) for i in Inventory.select()] == [("steady", 5)]
    ok = _recovers(store, moto_endpoint, s3_backend)
    assert ok.summary.startswith("1 of 1 buckets listed")
    assert "bucket doomed vanished (deleted or no longer visible)" in [
        e.message for e in Event.select().where(Event.kind == "bucket")
    ]


def test_read_timeout(
    store: Store,
    store_path: Path,
    s3_backend: Any,
    moto_endpoint: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fast = S3Settings(connect_timeout=1, read_timeout=0.3, max_attempts=1)
    with silent_server() as peer:
        result = run_job("inventory", _ctx(store, peer.endpoint, s3=fast))
    assert result.error == f"timed out waiting for 127.0.0.1:{peer.port} to answer"
    _assert_failed_cleanly(result, "timed out", store_path, caplog)
    _recovers(store, moto_endpoint, s3_backend)


@pytest.fixture
def locker(store_path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's connection to the same file, free to hold a write lock."""
    # check_same_thread=False: the test proxy takes the lock from its own thread.
    conn = sqlite3.connect(store_path, isolation_level=None, timeout=0.1, check_same_thread=False)
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


def _short_busy_timeout(store: Store) -> None:
    # The store's default waits 5 s per write; the jobs run on this thread's connection.
    store.db.execute_sql("PRAGMA busy_timeout = 200")


def test_store_locked_before_the_job(
    store: Store,
    store_path: Path,
    s3_backend: Any,
    moto_endpoint: str,
    locker: sqlite3.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _seed(s3_backend)
    _short_busy_timeout(store)
    calls: list[str] = []
    ctx = _ctx(store, moto_endpoint)
    ctx.client_factory = lambda *a: calls.append("client") or s3.make_client(*a)
    locker.execute("BEGIN EXCLUSIVE")
    result = run_job("inventory", ctx)
    assert result.error == "store: database is locked; nothing was collected"
    assert calls == []  # no request paid for while the results had nowhere to go
    locker.execute("ROLLBACK")

    # The skipped run is recorded once the store takes writes again.
    ok = run_job("inventory", ctx)
    assert ok.ok, ok.error
    runs = [(r.ok, r.error) for r in JobRun.select().order_by(JobRun.id)]
    assert runs == [(False, result.error), (True, None)]
    _assert_failed_cleanly(result, "database is locked", store_path, caplog)


def test_store_locked_during_the_job(
    store: Store,
    store_path: Path,
    s3_backend: Any,
    moto_endpoint: str,
    locker: sqlite3.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _seed(s3_backend)
    _short_busy_timeout(store)

    locked = threading.Event()

    def lock(*_: object) -> None:  # while the first page is on its way, once
        if not locked.is_set():
            locked.set()
            locker.execute("BEGIN EXCLUSIVE")

    with CountingProxy(moto_endpoint, on_page=lock) as proxy:
        ctx = _ctx(store, proxy.endpoint)
        result = run_job("inventory", ctx)
        assert result.error == "store: database is locked"
        assert Inventory.select().count() == 0  # the listing was not half-saved
        # The run could not be closed yet; it is, with its reason, once the lock goes.
        assert JobRun.select().where(JobRun.finished_at.is_null()).count() == 1
        locker.execute("ROLLBACK")
        assert run_job("inventory", ctx).ok
    _assert_failed_cleanly(result, "database is locked", store_path, caplog)
    # The requests of the failed run were billed; their spend was kept for later.
    assert [
        s.value
        for s in Sample.select().where(Sample.metric == "monitor_class_a_ops").order_by(Sample.id)
    ] == [2, 2]
    assert [i.bucket for i in Inventory.select()] == ["steady"]


def test_store_full(
    store: Store,
    store_path: Path,
    s3_backend: Any,
    moto_endpoint: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SQLITE_FULL for real: the store's connection may not grow the file."""
    # Many types make a breakdown that needs new pages; the run's own rows fit.
    seed_bucket(s3_backend, "steady", [Obj(f"f{i}.t{i}", i, T0 - 60) for i in range(400)])
    pages = store.db.execute_sql("PRAGMA page_count").fetchone()[0]
    store.db.execute_sql(f"PRAGMA max_page_count = {pages}")
    result = run_job("inventory", _ctx(store, moto_endpoint))
    assert result.error is not None
    assert "store: database or disk is full" in result.error
    assert "cannot rollback" not in result.error  # the cause, not peewee's follow-up error
    assert Inventory.select().count() == 0

    store.db.execute_sql("PRAGMA max_page_count = 1073741823")  # room again
    ok = run_job("inventory", _ctx(store, moto_endpoint))
    assert ok.ok, ok.error
    _assert_failed_cleanly(result, "database or disk is full", store_path, caplog)
    assert [(i.bucket, i.objects) for i in Inventory.select()] == [("steady", 400)]
