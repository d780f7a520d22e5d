"""Runs fenced by the collector lease (store/fence.py, jobs/runner.py). A holder
stalls past its lease (a locked store, SIGSTOP, a partition) while another
process takes it over and closes its runs as abandoned; when it resumes, what
it runs writes nothing more: not the end of the run the taker closed, not a
new run, and it starts no followers. Once it notices the loss, its runs stop
between pages. A store a newer r2tui upgraded gets nothing more either."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from r2tui.jobs import JobContext, JobResult
from r2tui.jobs.runner import LOST_LEASE
from r2tui.scheduler import Collector
from r2tui.sources import s3
from r2tui.store import Store, lease
from r2tui.store.models import Event, Inventory, JobRun
from tests.support.configs import account_for, make_config
from tests.support.leases import run_out
from tests.support.peers import Obj, seed_bucket

ACC = "test"
PEER = lease.Holder("peer-host", 4242, "peer")


class Gate:
    """A client factory that holds its first job until released: the holder
    stalls with its run open."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: Any) -> Any:
        if not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(10), "the test never released the job"
        return s3.make_client(*args)


class Holder:
    """A collector holding the lease, with its inventory run stalled at the gate."""

    def __init__(self, st: Store, endpoint: str) -> None:
        config = make_config((account_for(endpoint, name=ACC),))
        self.started: list[str] = []
        self.collector = Collector(
            JobContext(config=config, store=st), on_start=self.started.append
        )
        self.collector.follow = True  # as while scheduling: a first success has followers
        self.gate = Gate()
        self.collector.ctx.client_factory = self.gate
        self.results: list[JobResult | None] = []
        self.worker = threading.Thread(
            target=lambda: self.results.append(self.collector.run("inventory"))
        )

    def stall(self) -> None:
        assert self.collector.heartbeat is not None and self.collector.heartbeat.beat()
        self.worker.start()
        assert self.gate.entered.wait(10)  # its run is open; it waits on its first request

    def resume(self) -> JobResult:
        self.gate.release.set()
        self.worker.join(timeout=30)
        (result,) = self.results
        assert result is not None
        return result


@pytest.fixture
def holder(st: Store, s3_backend: Any, moto_endpoint: str) -> Iterator[Holder]:
    seed_bucket(s3_backend, "media", [Obj("a.jpg", 10, 1_700_000_000)])
    h = Holder(st, moto_endpoint)
    yield h
    h.gate.release.set()
    h.collector.stop(timeout=5)


def _take_over(st: Store) -> None:
    """Another process takes the lease the stalled holder no longer renews."""
    run_out(st, ACC)
    taken = lease.acquire(st, ACC, 60, holder=PEER)
    assert taken is not None and taken.took_from is not None


def _no_followers() -> bool:
    return not [t for t in threading.enumerate() if t.name == "job-calculate_costs"]


def test_a_stalled_holder_resumes_after_a_takeover_and_writes_nothing_more(
    st: Store, holder: Holder
) -> None:
    holder.stall()
    _take_over(st)
    (abandoned,) = JobRun.select().where(JobRun.job == "inventory")
    assert abandoned.error.startswith("abandoned")
    # It resumes before its heartbeat noticed: the run goes on, its end is not written.
    result = holder.resume()
    assert not result.ok and result.errors == (LOST_LEASE,)
    assert result.summary == "lost the collector lease"
    assert _no_followers() and holder.started == ["inventory"]
    (after,) = JobRun.select().where(JobRun.job == "inventory")
    assert (after.finished_at, after.ok, after.error) == (
        abandoned.finished_at,
        False,
        abandoned.error,
    )
    assert not Event.select().where(Event.kind == "job").exists()
    # A run it starts now (a viewer's request, a slot) writes no run at all.
    again = holder.collector.run("check_alerts")
    assert again is not None and again.errors == (LOST_LEASE,)
    assert not JobRun.select().where(JobRun.job == "check_alerts").exists()
    # Its next beat sees the lease gone: nothing starts any more.
    assert holder.collector.heartbeat is not None and not holder.collector.heartbeat.beat()
    assert holder.collector.run("check_alerts") is None
    held = lease.read(st, ACC)
    assert held is not None and held.holder == PEER.id


def test_a_run_stops_between_pages_once_the_loss_is_noticed(st: Store, holder: Holder) -> None:
    holder.stall()
    _take_over(st)
    assert holder.collector.heartbeat is not None and not holder.collector.heartbeat.beat()
    result = holder.resume()
    assert result.summary == "lost the collector lease" and result.errors == (LOST_LEASE,)
    assert not Inventory.select().exists()  # no bucket listed after the loss
    assert _no_followers()


def test_a_run_writes_nothing_more_once_a_newer_r2tui_upgraded_the_store(
    st: Store, holder: Holder
) -> None:
    holder.stall()
    st.db.execute_sql("INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'x', 0)")
    beat = holder.collector.heartbeat
    assert beat is not None and not beat.beat() and beat.too_new is not None
    result = holder.resume()
    assert result.errors == (LOST_LEASE,)
    (left,) = JobRun.select().where(JobRun.job == "inventory")
    assert left.finished_at is None  # untouched: the newer r2tui's taker closes it
    assert (
        not Inventory.select().exists() and not Event.select().where(Event.kind == "job").exists()
    )


def test_a_holder_that_kept_its_lease_records_as_before(st: Store, holder: Holder) -> None:
    holder.stall()
    result = holder.resume()
    assert result.ok, result.errors
    (done,) = JobRun.select().where(JobRun.job == "inventory")
    assert done.ok is True and done.holder == lease.me().id
