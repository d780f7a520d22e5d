"""The collector: when jobs are due, one run of a job at a time, the embedded
scheduler on a running loop, pause/resume, a clean stop, and the headless
`r2tui collect` stopping on SIGTERM and SIGINT."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_SUBMITTED

from r2tui.config import Schedule
from r2tui.config.values import parse_schedule
from r2tui.jobs import JobContext, JobResult
from r2tui.scheduler import Collector, is_due, trigger_for
from r2tui.sources import s3
from r2tui.store import Store
from r2tui.store.models import JobRun
from tests.support.configs import account_for, make_config
from tests.support.peers import Obj, collector_config, seed_bucket


def _schedule(job: str, text: str) -> Schedule:
    seconds, cron = parse_schedule(text)
    return Schedule(job, text, seconds, cron)


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


# ---- is_due ---------------------------------------------------------------------------


def test_is_due_interval() -> None:
    every5 = _schedule("collect_metrics", "5m")
    assert is_due(every5, "UTC", None, 0)  # never ran: due at once
    assert not is_due(every5, "UTC", 1000, 1000 + 299)
    assert is_due(every5, "UTC", 1000, 1000 + 300)
    assert is_due(every5, "UTC", 1000, 1000 + 86400)


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [
        # A run that finished within the very second of its fire time is that run.
        ("2026-01-10T03:00:00", "2026-01-10T12:00:00", False),
        ("2026-01-10T02:59:59", "2026-01-10T02:59:59.500", False),
        ("2026-01-10T02:59:59", "2026-01-10T03:00:00", True),
        ("2026-01-10T03:00:05", "2026-01-11T02:59:59", False),
        ("2026-01-10T03:00:05", "2026-01-11T03:00:00", True),
        ("2026-01-01T03:00:05", "2026-01-09T00:00:00", True),  # missed days: due now
    ],
)
def test_is_due_cron_utc(last: str, now: str, due: bool) -> None:
    daily = _schedule("inventory", "0 3 * * *")
    assert is_due(daily, "UTC", _ts(last), _ts(now)) is due
    assert is_due(daily, "UTC", None, _ts(now))


def test_is_due_cron_in_a_time_zone() -> None:
    """03:00 in Berlin is 02:00 UTC in winter and 01:00 UTC in summer."""
    daily = _schedule("inventory", "0 3 * * *")
    assert not is_due(
        daily, "Europe/Berlin", _ts("2026-01-10T01:00:00"), _ts("2026-01-10T01:59:59")
    )
    assert is_due(daily, "Europe/Berlin", _ts("2026-01-10T01:00:00"), _ts("2026-01-10T02:00:00"))
    assert is_due(daily, "Europe/Berlin", _ts("2026-07-10T00:30:00"), _ts("2026-07-10T01:00:00"))


def test_is_due_cron_weekday_names() -> None:
    """Crontab's 1 is Monday; parse_schedule spells it so APScheduler agrees."""
    mondays = _schedule("monthly_report", "0 9 * * 1")
    friday = _ts("2026-01-09T10:00:00")  # a Friday
    assert not is_due(mondays, "UTC", friday, _ts("2026-01-12T08:59:59"))
    assert is_due(mondays, "UTC", friday, _ts("2026-01-12T09:00:00"))  # the Monday after


# ---- Collector.run --------------------------------------------------------------------


class Gate:
    """A client factory that holds the first job to ask until released (a slow
    listing); later callers pass straight through."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: Any) -> Any:
        if not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(10), "the test never released the job"
        return s3.make_client(*args)


def _collector(
    store: Store, endpoint: str, schedules: dict[str, str] | None = None, **kw: Any
) -> Collector:
    config = make_config((account_for(endpoint),))
    if schedules is not None:
        config = make_config(
            (account_for(endpoint),),
            schedules={job: _schedule(job, text) for job, text in schedules.items()},
        )
    # The schedule alone: the lease and its fencing are tests/jobs/test_fencing.py's.
    kw.setdefault("lease", False)
    return Collector(JobContext(config=config, store=store), **kw)


def test_the_same_job_never_runs_twice_at_once(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    seed_bucket(s3_backend, "solo", [Obj("a", 1, 1_700_000_000)])
    started: list[str] = []
    results: list[JobResult] = []
    collector = _collector(store, moto_endpoint, on_start=started.append, on_result=results.append)
    gate = Gate()
    collector.ctx.client_factory = gate
    first: list[JobResult | None] = []
    worker = threading.Thread(target=lambda: first.append(collector.run("inventory")))
    worker.start()
    assert gate.entered.wait(10)
    assert collector.running_jobs == ["inventory"]
    assert collector.run("inventory") is None  # refused, not queued
    other = collector.run("collect_metrics")  # a different job runs meanwhile
    assert other is not None and other.ok
    gate.release.set()
    worker.join(10)
    assert first[0] is not None and first[0].ok and first[0].items == 1
    assert collector.running_jobs == []
    assert started == ["inventory", "collect_metrics"]
    assert [r.job for r in results] == ["collect_metrics", "inventory"]
    assert JobRun.select().where(JobRun.job == "inventory").count() == 1
    again = collector.run("inventory")  # free again once the first ended
    assert again is not None and again.ok


def test_a_failing_result_callback_does_not_lose_the_result(
    store: Store, moto_endpoint: str
) -> None:
    def explode(_: JobResult) -> None:
        raise RuntimeError("callback broke")

    collector = _collector(store, moto_endpoint, on_result=explode)
    result = collector.run("collect_metrics")
    assert result is not None and result.ok
    assert collector.running_jobs == []


# ---- stop -----------------------------------------------------------------------------


def test_stop_waits_for_the_job_in_flight(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    seed_bucket(s3_backend, "solo", [Obj("a", 1, 1_700_000_000)])
    collector = _collector(store, moto_endpoint)
    gate = Gate()
    collector.ctx.client_factory = gate
    out: list[JobResult | None] = []
    worker = threading.Thread(target=lambda: out.append(collector.run("inventory")))
    worker.start()
    assert gate.entered.wait(10)
    cpu0, t0 = time.thread_time(), time.monotonic()  # this thread's CPU only
    threading.Timer(0.6, gate.release.set).start()  # after t0: a slow start cannot shorten it
    assert collector.stop(timeout=10) is True
    waited, cpu = time.monotonic() - t0, time.thread_time() - cpu0
    assert waited >= 0.5  # it waited for the job...
    assert cpu < 0.2, f"stop() burned {cpu:.2f} s of CPU waiting {waited:.2f} s"  # ...idly
    assert collector.ctx.stop.is_set()
    worker.join(5)
    # The job saw the stop request and ended its run as cancelled, closed in the store.
    assert out[0] is not None and out[0].error == "cancelled: r2tui was stopping"
    assert JobRun.select().where(JobRun.finished_at.is_null()).count() == 0
    assert collector.run("collect_metrics") is None  # a stopped collector starts nothing


def test_stop_gives_up_after_its_timeout(s3_backend: Any, moto_endpoint: str, store: Store) -> None:
    collector = _collector(store, moto_endpoint)
    gate = Gate()
    collector.ctx.client_factory = gate
    worker = threading.Thread(target=collector.run, args=("inventory",))
    worker.start()
    assert gate.entered.wait(10)
    t0 = time.monotonic()
    assert collector.stop(timeout=0.3) is False
    assert 0.25 <= time.monotonic() - t0 < 3
    gate.release.set()
    worker.join(10)
    assert collector.running_jobs == []


# ---- the embedded scheduler -----------------------------------------------------------


async def _until(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def test_start_embedded_runs_due_jobs_off_the_loop(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    seed_bucket(s3_backend, "solo", [Obj("a.txt", 7, 1_700_000_000)])
    threads: list[str] = []
    results: list[JobResult] = []
    collector = _collector(
        store,
        moto_endpoint,
        {"collect_metrics": "5m", "inventory": "0 3 * * *"},
        on_start=lambda _: threads.append(threading.current_thread().name),
        on_result=results.append,
    )
    loop_thread = threading.current_thread().name
    collector.start_embedded()
    try:
        assert collector.scheduler is not None and collector.scheduler.running
        assert sorted(j.id for j in collector.scheduler.get_jobs()) == [
            "collect_metrics",
            "inventory",
        ]
        await _until(lambda: len(results) == 2)
    finally:
        assert collector.stop(timeout=10)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
    assert sorted((r.job, r.ok) for r in results) == [
        ("collect_metrics", True),
        ("inventory", True),
    ]
    assert loop_thread not in threads  # the loop never waited on a job
    # collect_metrics checked the endpoint once (probes are off): one item.
    assert sorted((r.job, r.ok, r.items) for r in JobRun.select()) == [
        ("collect_metrics", True, 1),
        ("inventory", True, 1),
    ]
    assert collector.ctx.stop.is_set() and not collector.scheduler.running


async def _scheduler_looked(scheduler: Any) -> None:
    """The scheduler has looked at its jobs once more: wakeup() runs on the loop
    through call_soon_threadsafe, in call order, so a marker queued after it is
    done once that look (and every job it found due submitted) is over."""
    scheduler.wakeup()
    looked = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon_threadsafe(looked.set_result, None)
    await looked


def _record_submissions(scheduler: Any) -> list[str]:
    """The job ids the scheduler hands to its executor, as it hands them."""
    submitted: list[str] = []
    scheduler.add_listener(lambda event: submitted.append(event.job_id), EVENT_JOB_SUBMITTED)
    return submitted


async def test_jobs_not_due_wait_for_their_time(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    collector = _collector(store, moto_endpoint, {"collect_metrics": "1h"})
    assert collector.run("collect_metrics") is not None  # just succeeded
    collector.ctx.stop.clear()
    started: list[str] = []
    collector.on_start = started.append
    collector.start_embedded()
    try:
        # Before the scheduler's first look (it runs on the loop's next turn).
        submitted = _record_submissions(collector.scheduler)
        await _scheduler_looked(collector.scheduler)
        assert submitted == [] and started == []  # looked, and found nothing due
        job = collector.scheduler.get_job("collect_metrics")  # type: ignore[union-attr]
        assert job.next_run_time.timestamp() > time.time() + 3500
    finally:
        collector.stop()


async def test_pause_and_resume(store: Store, moto_endpoint: str) -> None:
    results: list[JobResult] = []
    collector = _collector(
        store, moto_endpoint, {"collect_metrics": "1s"}, on_result=results.append
    )
    collector.start_embedded()
    scheduler = collector.scheduler
    assert scheduler is not None
    try:
        await _until(lambda: len(results) >= 2, timeout=10)
        collector.pause()
        assert collector.paused
        # Submissions, not results: a run already under way may still land.
        submitted = _record_submissions(scheduler)
        # Due now, and the scheduler made to look: paused, it hands nothing out.
        scheduler.modify_job("collect_metrics", next_run_time=datetime.now(UTC))
        await _scheduler_looked(scheduler)
        assert submitted == [], "a paused collector kept running jobs"
        resumed = asyncio.Event()
        scheduler.add_listener(lambda _: resumed.set(), EVENT_JOB_SUBMITTED)
        collector.resume()
        assert not collector.paused
        await asyncio.wait_for(resumed.wait(), timeout=5)  # the due job, at once
        assert submitted == ["collect_metrics"]
        await _until(lambda: collector.running_jobs == [], timeout=10)
    finally:
        collector.stop()
    assert all(r.ok for r in results)


# ---- headless `r2tui collect` -----------------------------------------------------------


def _headless_config(tmp_path: Path, endpoint: str, db: Path) -> Path:
    return collector_config(
        tmp_path, endpoint, db, inventory="page_size = 10", s3="max_attempts = 1"
    )


def _rows(db: Path, sql: str) -> list[tuple]:
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []  # not migrated yet
    finally:
        conn.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_headless_collect_stops_cleanly(
    signum: int, tmp_path: Path, s3_backend: Any, moto_endpoint: str
) -> None:
    # 60 pages of 10 keys: the inventory is still listing when the signal comes.
    seed_bucket(s3_backend, "slow", [Obj(f"k{i:04d}", i, 1_700_000_000) for i in range(600)])
    db = tmp_path / "headless.db"
    config = _headless_config(tmp_path, moto_endpoint, db)
    proc = subprocess.Popen(
        [sys.executable, "-m", "r2tui", "collect", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        deadline = time.monotonic() + 30
        while not _rows(db, "SELECT id FROM job_run WHERE job = 'inventory'"):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the collector never started a job"
            time.sleep(0.05)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, (proc.returncode, err)
    assert "Traceback" not in err
    assert "Ctrl-C stops" in err  # the start-up line
    runs = _rows(db, "SELECT job, finished_at, ok, error FROM job_run")
    assert runs and all(finished is not None for _, finished, _, _ in runs), runs
    inventory = [r for r in runs if r[0] == "inventory"]
    # Either it finished before the signal or it stopped between pages and said so.
    assert all(ok or error == "cancelled: r2tui was stopping" for _, _, ok, error in inventory)


def test_plan_keeps_an_interval_cadence_across_restarts(store: Store) -> None:
    """A collector restarted 100 s into a 5-minute period runs its metrics job
    200 s later, not a full period after the restart, and a due job at once."""
    from r2tui.store import writes

    now = time.time()
    run = writes.start_job_run(store, "collect_metrics", "test", ts=now - 110)
    writes.finish_job_run(store, run, True, 1, None, ts=now - 100)
    collector = _collector(
        store, "http://127.0.0.1:9", schedules={"collect_metrics": "5m", "inventory": "1d"}
    )
    plan = collector.plan()
    wall = datetime.now(UTC).timestamp()
    assert plan["collect_metrics"] is not None
    assert abs(plan["collect_metrics"].timestamp() - (wall + 200)) < 5
    assert plan["inventory"] is not None  # never ran: due now
    assert abs(plan["inventory"].timestamp() - wall) < 5


def test_costs_follow_the_first_collection_while_scheduling(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    """At start-up every due job starts at once; costs computed beside the first
    collection would miss what it brings, so its first success runs them again.
    Only while scheduling: `collect --once` runs each job exactly once."""
    seed_bucket(s3_backend, "solo", [Obj("a", 1, 1_700_000_000)])
    results: list[JobResult] = []
    done = threading.Event()

    def seen(r: JobResult) -> None:
        results.append(r)
        if r.job == "calculate_costs":
            done.set()

    collector = _collector(
        store,
        moto_endpoint,
        on_result=seen,
        schedules={"collect_metrics": "5m", "calculate_costs": "6h"},
    )
    collector.run("collect_metrics")
    assert not done.wait(0.5)  # not scheduling: no follower
    collector.follow = True
    collector.run("collect_metrics")
    assert done.wait(10), [r.job for r in results]
    assert [r.ok for r in results if r.job == "calculate_costs"] == [True]
    done.clear()
    collector.run("collect_metrics")  # only the first success is followed
    assert not done.wait(0.5)
    assert [r.job for r in results].count("calculate_costs") == 1


def test_report_crons_are_read_in_utc() -> None:
    """A monthly report at local midnight on the 1st in UTC+2 would run two hours
    before the UTC month it covers has ended."""
    from r2tui.scheduler import zone_for

    schedule = _schedule("monthly_report", "0 0 1 * *")
    trigger = trigger_for(schedule, zone_for("monthly_report", "Europe/Berlin"))
    first = trigger.get_next_fire_time(None, datetime(2026, 11, 15, tzinfo=UTC))
    assert first == datetime(2026, 12, 1, tzinfo=UTC)
    assert zone_for("collect_metrics", "Europe/Berlin") == "Europe/Berlin"


def test_collect_now_refreshes_the_costs_and_a_start_cascades_to_reports(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    seed_bucket(s3_backend, "solo", [Obj("a", 1, 1_700_000_000)])
    seen: list[str] = []
    costs, reports = threading.Event(), threading.Event()

    def record(r: JobResult) -> None:
        seen.append(r.job)
        (
            costs
            if r.job == "calculate_costs"
            else reports
            if r.job == "daily_report"
            else threading.Event()
        ).set()

    collector = _collector(
        store,
        moto_endpoint,
        on_result=record,
        schedules={"collect_metrics": "5m", "calculate_costs": "6h", "daily_report": "0 0 * * *"},
    )
    collector.run("collect_metrics", chain=True)  # the user's "collect now"
    assert costs.wait(10)
    assert not reports.wait(0.5), seen  # a user's refresh does not remake the reports
    costs.clear()
    collector.follow = True  # scheduling: a start's first success cascades
    collector.run("collect_metrics")
    assert costs.wait(10) and reports.wait(10), seen
