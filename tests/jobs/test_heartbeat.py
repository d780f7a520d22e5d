"""The collector's heartbeat (heartbeat.py): `holding` ends by itself when the
last renewal would have run out, counted on a clock that keeps counting through
a suspend and from before the renewal's statement, even while a renewal hangs;
on PostgreSQL a renewal behind a locked row gives up within the beat; its log
lines carry no secret and no raw control character; a stop that leaves jobs
running lets the lease run out but keeps its row, so the next holder closes
their runs as abandoned."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from peewee import OperationalError
from playhouse.db_url import connect

from r2tui.heartbeat import Heartbeat, boot_clock
from r2tui.jobs import JobContext
from r2tui.scheduler import Collector
from r2tui.sources import s3
from r2tui.store import Store, lease
from r2tui.store.models import JobRun
from r2tui.waits import Waits
from tests.support.configs import account_for, make_config

ACC = "test"
PEER = lease.Holder("peer-host", 4242, "peer")


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _heartbeat(store: Store, seconds: float, clock: Any = boot_clock, **kw: Any) -> Heartbeat:
    return Heartbeat(
        store,
        [account_for("http://127.0.0.1:9", name=ACC)],
        seconds,
        running=kw.pop("running", list),
        waits=Waits(),
        on_change=lambda _holding: None,
        on_run_request=lambda: None,
        clock=clock,
    )


@contextlib.contextmanager
def _locked(store: Store, url: str) -> Iterator[None]:
    """Another session holds what a renewal must write: SQLite's write lock, or
    on PostgreSQL the lease's row."""
    other = connect(url)
    other.connect()
    try:
        if store.is_sqlite:
            other.execute_sql("BEGIN IMMEDIATE")
        else:
            other.execute_sql("BEGIN")
            other.execute_sql("SELECT 1 FROM collector_lease FOR UPDATE")
        yield
    finally:
        other.execute_sql("ROLLBACK")
        other.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


def test_holding_ends_by_itself_while_a_renewal_hangs(url: str) -> None:
    from r2tui.store import open_store

    store = open_store(url)
    clock = FakeClock()
    renewing = threading.Event()

    def running() -> list[str]:  # asked just before the renewal's statement
        renewing.set()
        return []

    beat = _heartbeat(store, 3, clock, running=running)
    try:
        assert beat.beat() and beat.holding
        with _locked(store, url):
            renewing.clear()
            hung = threading.Thread(target=beat.beat)
            started = time.monotonic()
            hung.start()
            assert renewing.wait(10)
            clock.t += 3  # the lease period passes on this process's clock
            assert not beat.holding and beat.current() is None
            if not store.is_sqlite:
                # Behind a locked row the renewal gives up within the beat's
                # interval (at least 1 s), with the lock still held.
                hung.join(timeout=10)
                assert not hung.is_alive() and time.monotonic() - started < 5
                assert beat.error is not None and "timeout" in beat.error
        hung.join(timeout=10)
        assert not hung.is_alive()
        assert not beat.holding  # counted from before the late renewal: ran out already
        assert beat.beat() and beat.holding  # the next beat renews it
    finally:
        beat.stop()
        store.close()


def test_a_renewal_counts_from_before_its_statement(store: Store) -> None:
    clock = FakeClock()

    def slow_statement() -> list[str]:  # asked while the renewal's statement runs
        clock.t += 8
        return []

    beat = _heartbeat(store, 10, clock, running=slow_statement)
    assert beat.beat()
    clock.t = 1000 + 10  # ten seconds after the beat began: its renewal may have run out
    assert not beat.holding


def test_the_lease_is_counted_on_a_clock_that_counts_through_a_suspend(store: Store) -> None:
    assert _heartbeat(store, 10).clock is boot_clock
    if hasattr(time, "CLOCK_BOOTTIME"):
        assert abs(boot_clock() - time.clock_gettime(time.CLOCK_BOOTTIME)) < 1


def test_a_failed_renewal_is_logged_without_secrets_or_control_characters(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*_args: object, **_kw: object) -> None:
        raise OperationalError("cannot reach postgresql://r2:hunter2@db/r2\x1b[2J today")

    monkeypatch.setattr(lease, "acquire", refuse)
    beat = _heartbeat(store, 10)
    with caplog.at_level(logging.WARNING, logger="r2tui.heartbeat"):
        assert not beat.beat()
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("cannot renew the collector lease: store: cannot reach")
    assert "hunter2" not in line and "\x1b" not in line and "\\x1b[2J" in line


class Hang:
    """A client factory that never lets its job go (a request hung on a silent peer)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: Any) -> Any:
        self.entered.set()
        self.release.wait(30)
        return s3.make_client(*args)


def test_a_stop_that_leaves_jobs_running_lets_the_lease_run_out_and_keeps_its_row(
    st: Store,
) -> None:
    config = make_config((account_for("http://127.0.0.1:9", name=ACC),))
    collector = Collector(JobContext(config=config, store=st), stop_seconds=0.1)
    hang = Hang()
    collector.ctx.client_factory = hang
    assert collector.heartbeat is not None and collector.heartbeat.beat()
    worker = threading.Thread(target=collector.run, args=("inventory",), daemon=True)
    worker.start()
    try:
        assert hang.entered.wait(10)
        assert not collector.stop()  # the job did not end in time
        held = lease.read(st, ACC)
        assert held is not None and held.held_by(lease.me())  # the row stays
        taken = lease.acquire(st, ACC, 60, holder=PEER)  # ran out: taken at once
        assert taken is not None and taken.took_from is not None
        (left,) = JobRun.select().where(JobRun.job == "inventory")
        assert left.error is not None and left.error.startswith("abandoned")
    finally:
        hang.release.set()
        worker.join(timeout=10)
